-- A join link's secret is no longer kept in plain text. The public join page checks the
-- secret against its SHA-256 (`secret_hash`, compared in constant time); the coordinators'
-- page shows the link again from `secret_sealed`, sealed under SAMLAST_SECRET_KEYS like
-- webhook secrets. `samlast migrate` seals the secrets of links made before this and
-- empties `secret`; until then the old column still shows them.
ALTER TABLE join_link
    ADD COLUMN secret_hash bytea CHECK (length(secret_hash) = 32),
    ADD COLUMN secret_sealed bytea,
    ALTER COLUMN secret DROP NOT NULL;

UPDATE join_link SET secret_hash = sha256(convert_to(secret, 'UTF8'));

ALTER TABLE join_link
    ALTER COLUMN secret_hash SET NOT NULL,
    ADD CONSTRAINT join_link_secret_kept CHECK (secret IS NOT NULL OR secret_sealed IS NOT NULL);
