-- Federation peering (docs/federation-peering.md): this deployment's Ed25519 signing keys,
-- the peers it trades with and their public keys, which producers share their offers
-- with which peer, and the nonces of signed requests already taken (replays are refused
-- by PostgreSQL, not Redis: a Redis outage neither opens replays nor stops federation).

-- Our own keys. The private key is kept only sealed under SAMLAST_SECRET_KEYS. Several
-- may be published at once (a rotation's overlap); the newest unretired one signs.
CREATE TABLE federation_key (
    key_id              text PRIMARY KEY CHECK (key_id ~ '^[A-Za-z0-9._-]{1,100}$'),
    public_key          bytea NOT NULL CHECK (length(public_key) = 32),
    private_key_sealed  bytea NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    retired_at          timestamptz
);

CREATE TABLE peer (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    base_url    text NOT NULL UNIQUE CHECK (length(base_url) BETWEEN 8 AND 500),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A peer's public keys, by the key id its signatures name. A key id names one key of one
-- peer across the deployment, so a signature's keyid alone says who signed.
CREATE TABLE peer_key (
    key_id      text PRIMARY KEY CHECK (key_id ~ '^[A-Za-z0-9._-]{1,100}$'),
    peer_id     uuid NOT NULL REFERENCES peer (id) ON DELETE CASCADE,
    public_key  bytea NOT NULL CHECK (length(public_key) = 32),
    added_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX peer_key_peer ON peer_key (peer_id);

-- A producer shares its offers with a peer: chosen by the producer itself or the admin.
CREATE TABLE peer_share (
    peer_id      uuid NOT NULL REFERENCES peer (id) ON DELETE CASCADE,
    producer_id  uuid NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (peer_id, producer_id)
);
CREATE INDEX peer_share_producer ON peer_share (producer_id);

-- Each signed request's nonce, per key, until its signature expires (the housekeeping
-- cron deletes it then: an expired signature is refused anyway).
CREATE TABLE federation_nonce (
    key_id      text NOT NULL,
    nonce       text NOT NULL CHECK (length(nonce) BETWEEN 16 AND 200),
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (key_id, nonce)
);
CREATE INDEX federation_nonce_expiry ON federation_nonce (expires_at);
