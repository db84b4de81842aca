-- Webhook signing secrets are sealed at rest (Fernet under SAMLAST_SECRET_KEYS): a
-- copy of the database no longer signs as its organisations. `samlast migrate` seals
-- the plain-text secrets left in organisation.webhook_secret right after this file and
-- empties that column; nothing writes it any more, and a later migration drops it.
ALTER TABLE organisation ADD COLUMN webhook_secret_sealed bytea
    CHECK (length(webhook_secret_sealed) <= 1000);

-- A delivery is claimed for one attempt by a committed lease, not by a row lock held
-- while the receiver answers: no transaction stays open during an outbound call.
ALTER TABLE webhook_delivery ADD COLUMN claimed_until timestamptz;

-- What was recorded before kept up to 200 characters of the receiver's body and the
-- addresses it resolved to; keep only the status and our own words.
UPDATE webhook_delivery
SET last_error = CASE
    WHEN last_error = 'the organisation removed its webhook' THEN last_error
    WHEN last_error LIKE 'refused:%' THEN 'refused: the host resolves to a private address'
    WHEN last_status IS NOT NULL THEN 'answered ' || last_status
    ELSE 'no answer'
END
WHERE last_error IS NOT NULL;
