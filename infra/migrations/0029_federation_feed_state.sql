-- Trading between deployments, the feed (docs/federation.md): what the poller found of
-- each network's chosen peer (how many offers it lists there, which items it skipped and
-- why, for the coordinator), and which peers a run left out because they could not be
-- reached (shown on the run page).

ALTER TABLE network_peer
    ADD COLUMN listed   integer NOT NULL DEFAULT 0 CHECK (listed >= 0),
    ADD COLUMN skipped  jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(skipped) = 'array');

ALTER TABLE match_run
    ADD COLUMN peers_left_out jsonb NOT NULL DEFAULT '[]'
        CHECK (jsonb_typeof(peers_left_out) = 'array');
