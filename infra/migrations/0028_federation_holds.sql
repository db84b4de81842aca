-- Holds on packs between deployments (docs/federation.md).

-- The selling side: packs of our offers held for a peer's run. The id is the peer's
-- (its idempotency key); holding adds to offer.packs_reserved in the same transaction,
-- under the same CHECK as our own runs' reservations, so nothing is ever oversold.
CREATE TABLE federation_hold (
    id          uuid PRIMARY KEY,
    peer_id     uuid NOT NULL REFERENCES peer (id) ON DELETE CASCADE,
    offer_id    uuid NOT NULL REFERENCES offer (id) ON DELETE CASCADE,
    packs       integer NOT NULL CHECK (packs > 0),
    state       text NOT NULL CHECK (state IN ('held', 'confirmed', 'released', 'expired')),
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX federation_hold_offer ON federation_hold (offer_id);
CREATE INDEX federation_hold_expiry ON federation_hold (expires_at) WHERE state = 'held';

-- The buying side: one hold asked of a peer for each purchase of a mirrored offer.
CREATE TABLE run_remote_hold (
    run_id      uuid NOT NULL REFERENCES match_run (id) ON DELETE CASCADE,
    offer_id    uuid NOT NULL REFERENCES offer (id) ON DELETE CASCADE,
    peer_id     uuid NOT NULL REFERENCES peer (id) ON DELETE CASCADE,
    hold_id     uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    packs       integer NOT NULL CHECK (packs > 0),
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'held', 'refused',
                    'unreachable', 'confirmed', 'released')),
    reason      text NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, offer_id)
);
CREATE INDEX run_remote_hold_peer ON run_remote_hold (peer_id);
