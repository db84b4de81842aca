-- People, not tokens (docs/authorization.md). A person signs in to the pages by an
-- e-mailed link or a password, belongs to organisations with a role in each, and acts for
-- one of them at a time. API tokens belong to organisations, for integrations: one
-- outlives the person who made it. Each earlier user becomes a person of its
-- organisation under the same id, so audit rows and run transitions still name it.

ALTER TABLE app_user RENAME TO person;
ALTER TABLE person RENAME CONSTRAINT app_user_pkey TO person_pkey;
ALTER TABLE person RENAME CONSTRAINT app_user_name_check TO person_name_check;
ALTER TABLE person RENAME CONSTRAINT app_user_email_check TO person_email_check;
ALTER TABLE person
    ADD COLUMN language text NOT NULL DEFAULT 'sv' CHECK (language IN ('sv', 'en')),
    ADD COLUMN phone text NOT NULL DEFAULT '' CHECK (length(phone) <= 40),
    ADD COLUMN password_hash text CHECK (length(password_hash) <= 500),
    -- notifications the person turned off, by kind (on by default for their role)
    ADD COLUMN muted text[] NOT NULL DEFAULT '{}',
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- An e-mail address names one person. Earlier users had none, or shared one: those keep
-- their rows (and history) without an address, and can't sign in until given one.
ALTER TABLE person ALTER COLUMN email DROP NOT NULL, ALTER COLUMN email DROP DEFAULT;
UPDATE person SET email = NULL WHERE btrim(email) = '';
UPDATE person p SET email = NULL
WHERE EXISTS (
    SELECT 1 FROM person q
    WHERE lower(q.email) = lower(p.email) AND (q.created_at, q.id) < (p.created_at, p.id)
);
CREATE UNIQUE INDEX person_email_key ON person (lower(email));

CREATE TABLE person_organisation (
    person_id          uuid NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    organisation_id    uuid NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    role               text NOT NULL CHECK (role IN ('member', 'admin')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person_id, organisation_id)
);
CREATE INDEX person_organisation_org_idx ON person_organisation (organisation_id);
INSERT INTO person_organisation (person_id, organisation_id, role, created_at)
SELECT id, organisation_id, 'admin', created_at FROM person WHERE organisation_id IS NOT NULL;

-- Tokens: the organisation's (or, for admin tokens, the deployment's); who made each.
ALTER TABLE api_token
    ADD COLUMN organisation_id uuid REFERENCES organisation (id) ON DELETE CASCADE,
    ADD COLUMN is_admin boolean NOT NULL DEFAULT false;
UPDATE api_token t SET organisation_id = p.organisation_id, is_admin = p.is_admin
FROM person p WHERE p.id = t.user_id;
ALTER TABLE api_token RENAME COLUMN user_id TO created_by;
ALTER TABLE api_token ALTER COLUMN created_by DROP NOT NULL;
ALTER TABLE api_token DROP CONSTRAINT api_token_user_id_fkey;
ALTER TABLE api_token ADD CONSTRAINT api_token_created_by_fkey
    FOREIGN KEY (created_by) REFERENCES person (id) ON DELETE SET NULL;
ALTER TABLE api_token ADD CONSTRAINT api_token_owner
    CHECK (is_admin <> (organisation_id IS NOT NULL));
ALTER INDEX api_token_user_idx RENAME TO api_token_created_by_idx;
CREATE INDEX api_token_org_idx ON api_token (organisation_id);

ALTER TABLE person DROP COLUMN organisation_id;  -- and with it "is_admin or organisation"

-- A signed-in browser: only a hash of the cookie's opaque value is kept.
CREATE TABLE web_session (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    secret_hash        bytea NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    person_id          uuid NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    -- the organisation the person acts for; NULL: a deployment admin acting as admin
    organisation_id    uuid REFERENCES organisation (id) ON DELETE SET NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    last_seen_at       timestamptz NOT NULL DEFAULT now(),
    expires_at         timestamptz NOT NULL,
    revoked_at         timestamptz,
    user_agent         text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 300),
    address            text NOT NULL DEFAULT '' CHECK (length(address) <= 100)
);
CREATE INDEX web_session_person_idx ON web_session (person_id);
CREATE INDEX web_session_expiry_idx ON web_session (expires_at);

-- One-time links by e-mail: sign in, or set a new password. Hashed, single use, short.
CREATE TABLE sign_in_link (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    secret_hash        bytea NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    person_id          uuid NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    purpose            text NOT NULL CHECK (purpose IN ('sign_in', 'reset')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    expires_at         timestamptz NOT NULL,
    used_at            timestamptz
);
CREATE INDEX sign_in_link_person_idx ON sign_in_link (person_id);
CREATE INDEX sign_in_link_expiry_idx ON sign_in_link (expires_at);

-- An invitation into an organisation that exists (a colleague), or to found one in a
-- network (a producer or co-op a coordinator invites).
CREATE TABLE invitation (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    secret_hash        bytea NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    email              text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    language           text NOT NULL DEFAULT 'sv' CHECK (language IN ('sv', 'en')),
    role               text NOT NULL CHECK (role IN ('member', 'admin')),
    organisation_id    uuid REFERENCES organisation (id) ON DELETE CASCADE,
    organisation_kind  text CHECK (organisation_kind IN ('producer', 'coop')),
    organisation_name  text CHECK (length(organisation_name) BETWEEN 1 AND 200),
    network_id         uuid REFERENCES network (id) ON DELETE CASCADE,
    invited_by         uuid REFERENCES person (id) ON DELETE SET NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    sent_at            timestamptz NOT NULL DEFAULT now(),
    times_sent         integer NOT NULL DEFAULT 1 CHECK (times_sent > 0),
    expires_at         timestamptz NOT NULL,
    accepted_at        timestamptz,
    accepted_by        uuid REFERENCES person (id) ON DELETE SET NULL,
    withdrawn_at       timestamptz,
    CHECK (organisation_id IS NOT NULL OR (organisation_kind IS NOT NULL
        AND organisation_name IS NOT NULL AND network_id IS NOT NULL))
);
CREATE INDEX invitation_org_idx ON invitation (organisation_id);
CREATE INDEX invitation_network_idx ON invitation (network_id);

-- A run moved through an API token names the token when no person made it.
ALTER TABLE run_transition
    ADD COLUMN actor_token_id uuid REFERENCES api_token (id) ON DELETE SET NULL;

-- The outbox's mail names the person it is for (0012 came before the table did).
ALTER TABLE outbox_message ADD CONSTRAINT outbox_message_person_id_fkey
    FOREIGN KEY (person_id) REFERENCES person (id) ON DELETE SET NULL;
