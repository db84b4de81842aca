-- E-mail is a kind of outbox message (docs/architecture.md, "The outbox"): written in
-- the transaction of the event it tells of, delivered by the matcher over SMTP with the
-- outbox's claim, commit, send, record. Webhook messages are unchanged.

-- A mail goes to one address, for a person (persons come in 0013, which adds the
-- reference), on behalf of an organisation or a network or of neither (a sign-in link).
ALTER TABLE outbox_message ALTER COLUMN organisation_id DROP NOT NULL;
ALTER TABLE outbox_message
    ADD COLUMN network_id uuid REFERENCES network (id) ON DELETE CASCADE,
    ADD COLUMN person_id uuid,
    ADD COLUMN recipient text CHECK (length(recipient) <= 254),
    -- at most one message per key and kind: an event writes a mail once per recipient
    ADD COLUMN dedupe_key text CHECK (length(dedupe_key) BETWEEN 1 AND 300),
    -- the mail itself (shared/contracts/messages.py: Mail, as JSON), sealed with Fernet
    -- under SAMLAST_SECRET_KEYS: a sign-in link in it is a secret
    ADD COLUMN payload_sealed bytea CHECK (length(payload_sealed) <= 20000000);
ALTER TABLE outbox_message ALTER COLUMN payload DROP NOT NULL;

ALTER TABLE outbox_message DROP CONSTRAINT outbox_message_kind_check;
ALTER TABLE outbox_message ADD CONSTRAINT outbox_message_kind_check
    CHECK (kind IN ('webhook', 'mail'));
-- What each kind needs, and a mail never holds its content in plain JSON.
ALTER TABLE outbox_message ADD CONSTRAINT outbox_message_kind_fields CHECK (
    CASE kind
        WHEN 'webhook' THEN organisation_id IS NOT NULL AND payload IS NOT NULL
            AND payload_sealed IS NULL
        -- sent or given-up mail may lose its content (housekeeping, after 30 days)
        WHEN 'mail' THEN recipient IS NOT NULL AND payload IS NULL
            AND (payload_sealed IS NOT NULL OR state <> 'pending')
    END
);

-- Publishing tells each organisation of a run once by webhook; mail to several persons
-- of one organisation about one run is told apart by its dedupe key instead.
ALTER TABLE outbox_message DROP CONSTRAINT outbox_message_once;
CREATE UNIQUE INDEX outbox_message_once ON outbox_message (kind, organisation_id, event, run_id)
    WHERE kind = 'webhook';
CREATE UNIQUE INDEX outbox_message_dedupe_idx ON outbox_message (kind, dedupe_key)
    WHERE dedupe_key IS NOT NULL;
-- A network's or a person's recent mail, newest first (coordinators' and admins' view).
CREATE INDEX outbox_message_network_idx ON outbox_message (network_id, created_at)
    WHERE network_id IS NOT NULL;
CREATE INDEX outbox_message_person_idx ON outbox_message (person_id, created_at)
    WHERE person_id IS NOT NULL;
