-- Trading between deployments, the buying side (docs/federation.md): a peer's shared
-- offers are mirrored as ordinary local rows (an organisation for each remote producer,
-- an offer for each remote offer), so matching, routing and the documents treat them as
-- any other; these tables say where each mirror came from, which networks list which
-- peers' offers, and how the peer's feed was last read.

-- A network's coordinators choose the peers whose shared offers are listed in it.
CREATE TABLE network_peer (
    network_id  uuid NOT NULL REFERENCES network (id) ON DELETE CASCADE,
    peer_id     uuid NOT NULL REFERENCES peer (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (network_id, peer_id)
);
CREATE INDEX network_peer_peer ON network_peer (peer_id);

-- The organisation that stands here for a producer of a peer (its id there: remote_id).
CREATE TABLE remote_producer (
    organisation_id  uuid PRIMARY KEY REFERENCES organisation (id) ON DELETE CASCADE,
    peer_id          uuid NOT NULL REFERENCES peer (id) ON DELETE CASCADE,
    remote_id        uuid NOT NULL,
    UNIQUE (peer_id, remote_id)
);

-- The offer that stands here for an offer of a peer (its id there: remote_offer_id).
-- packs_available is what the peer's feed last said was free there.
CREATE TABLE remote_offer (
    offer_id         uuid PRIMARY KEY REFERENCES offer (id) ON DELETE CASCADE,
    peer_id          uuid NOT NULL REFERENCES peer (id) ON DELETE CASCADE,
    remote_offer_id  uuid NOT NULL,
    seen_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (peer_id, remote_offer_id)
);

-- The poller's state per peer: the feed's ETag for conditional requests, when it was
-- last asked, when it last answered well, and the last failure ('' after a good one).
CREATE TABLE peer_feed (
    peer_id     uuid PRIMARY KEY REFERENCES peer (id) ON DELETE CASCADE,
    etag        text NOT NULL DEFAULT '' CHECK (length(etag) <= 200),
    fetched_at  timestamptz,
    ok_at       timestamptz,
    error       text NOT NULL DEFAULT '' CHECK (length(error) <= 1000)
);
