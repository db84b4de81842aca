-- Trading between deployments (docs/federation.md):
-- a peer's hand-over point: where the peering says its producers' goods are handed over
-- (a depot, a terminal); when set, the mirrors of that peer's offers are picked up there
-- in place of each producer's own place. Address and coordinates, both or none.
ALTER TABLE peer
    ADD COLUMN handover_address text NOT NULL DEFAULT '' CHECK (length(handover_address) <= 500),
    ADD COLUMN handover_lat double precision CHECK (handover_lat BETWEEN -90 AND 90),
    ADD COLUMN handover_lon double precision CHECK (handover_lon BETWEEN -180 AND 180),
    ADD CONSTRAINT peer_handover_both CHECK ((handover_lat IS NULL) = (handover_lon IS NULL));

-- The feed's last failure is kept as a msgid (peer_feed.error) and its values, so each
-- page says it in its own language.
ALTER TABLE peer_feed
    ADD COLUMN error_values jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(error_values) = 'object');
