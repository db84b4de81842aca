-- A response that carried a secret shown once (a new API token) is never kept for
-- Idempotency-Key replays: only that it happened, its status and its headers. Those
-- stored before this migration lose their bodies here.
ALTER TABLE idempotency_key
    ADD COLUMN secret_withheld boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT idempotency_key_withheld_has_no_body
        CHECK (NOT secret_withheld OR response_body IS NULL);

UPDATE idempotency_key SET response_body = NULL, secret_withheld = true
WHERE state = 'done' AND method = 'POST' AND path ~ '^/v1/organisations/[^/]+/tokens$';
