-- Joining a network by a link its coordinators share (docs/authorization.md, "Joining").
--
-- A network has at most one join link. The link carries a public lookup id and a random
-- secret: the row is found by the id, and the secret compared in constant time, so the
-- coordinator can show the link again. Rotating replaces both; turning it off deletes
-- the row. Either way the old link stops working.
CREATE TABLE join_link (
    network_id         uuid PRIMARY KEY REFERENCES network (id) ON DELETE CASCADE,
    lookup             text NOT NULL UNIQUE CHECK (lookup ~ '^[0-9a-f]{12}$'),
    secret             text NOT NULL CHECK (length(secret) BETWEEN 20 AND 64),
    created_by         uuid REFERENCES person (id) ON DELETE SET NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);

-- What someone who opened the link asked for. Until its e-mail address is confirmed (a
-- mailed link: only its hash is kept) it is nothing but this row; confirming makes the
-- organisation, with its place and hours, and its person, but no membership: the
-- organisation is in no network, so nothing matches it, mails it or lets it order or
-- offer, until a coordinator approves (then the membership is made) or refuses (then the
-- organisation, which never traded, is deleted).
CREATE TABLE join_request (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    network_id         uuid NOT NULL REFERENCES network (id) ON DELETE CASCADE,
    secret_hash        bytea NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    kind               text NOT NULL CHECK (kind IN ('producer', 'coop')),
    organisation_name  text NOT NULL CHECK (length(organisation_name) BETWEEN 1 AND 200),
    person_name        text NOT NULL CHECK (length(person_name) BETWEEN 1 AND 200),
    email              text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    phone              text NOT NULL DEFAULT '' CHECK (length(phone) <= 40),
    language           text NOT NULL DEFAULT 'sv' CHECK (language IN ('sv', 'en')),
    address            text NOT NULL DEFAULT '' CHECK (length(address) <= 500),
    lat                double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon                double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    -- [{weekday, opens, closes}], as organisation_window will hold them
    windows            jsonb NOT NULL DEFAULT '[]',
    created_at         timestamptz NOT NULL DEFAULT now(),
    expires_at         timestamptz NOT NULL,
    confirmed_at       timestamptz,
    organisation_id    uuid REFERENCES organisation (id) ON DELETE SET NULL,
    person_id          uuid REFERENCES person (id) ON DELETE SET NULL,
    decision           text CHECK (decision IN ('approved', 'refused')),
    decided_at         timestamptz,
    decided_by         uuid REFERENCES person (id) ON DELETE SET NULL,
    CHECK ((decision IS NULL) = (decided_at IS NULL)),
    CHECK (decision IS NULL OR confirmed_at IS NOT NULL)
);
-- The members page's question: the network's requests waiting for a decision.
CREATE INDEX join_request_waiting_idx ON join_request (network_id, confirmed_at)
    WHERE decision IS NULL;
CREATE INDEX join_request_organisation_idx ON join_request (organisation_id);
CREATE INDEX join_request_expiry_idx ON join_request (expires_at) WHERE confirmed_at IS NULL;
