-- Holds asked of peers go out through the one outbox (docs/federation.md, "Holds"): a
-- message of kind 'federation_hold' per hold and step (hold, confirm, release), written
-- with the event (a run stored, approved, rejected or superseded) and delivered by the
-- matcher: claim, commit, send, record. Its dedupe key (hold:<hold id>:<step>) writes
-- each step of each hold once.
ALTER TABLE outbox_message DROP CONSTRAINT outbox_message_kind_check;
ALTER TABLE outbox_message ADD CONSTRAINT outbox_message_kind_check
    CHECK (kind IN ('webhook', 'mail', 'federation_hold'));
ALTER TABLE outbox_message DROP CONSTRAINT outbox_message_kind_fields;
ALTER TABLE outbox_message ADD CONSTRAINT outbox_message_kind_fields CHECK (
    CASE kind
        WHEN 'webhook' THEN organisation_id IS NOT NULL AND payload IS NOT NULL
            AND payload_sealed IS NULL
        -- sent or given-up mail may lose its content (housekeeping, after 30 days)
        WHEN 'mail' THEN recipient IS NOT NULL AND payload IS NULL
            AND (payload_sealed IS NOT NULL OR state <> 'pending')
        -- no secret in it: the hold's id, the peer, the offers, the packs
        WHEN 'federation_hold' THEN payload IS NOT NULL AND payload_sealed IS NULL
            AND dedupe_key IS NOT NULL
    END
);
CREATE INDEX run_remote_hold_run ON run_remote_hold (run_id, state);
