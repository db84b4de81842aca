-- Why a hold at a peer is where it is (docs/federation.md, "Holds"), said in each page's
-- language: run_remote_hold.reason becomes a msgid (as peer_feed.error is), filled by
-- reason_values (a value may itself be a msgid and its values: {"message", "values"}),
-- beside a stable reason_code for API clients. A reason written before keeps its English
-- under the code 'other'.
ALTER TABLE run_remote_hold
    ADD COLUMN reason_code text NOT NULL DEFAULT '' CHECK (reason_code ~ '^[a-z_]{0,40}$'),
    ADD COLUMN reason_values jsonb NOT NULL DEFAULT '{}'
        CHECK (jsonb_typeof(reason_values) = 'object');
UPDATE run_remote_hold SET reason_code = 'other' WHERE reason <> '';
