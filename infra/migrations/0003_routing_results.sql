-- What routing stores beside the tables 0001 made for it: where each stop is (a
-- farm's pickup place is the offer's, not the organisation's), the part of a route's
-- cost no co-op pays (beyond their stand-alone costs), the producers' shares, and the
-- run's plan figures (joint, baseline, hub) for the review page.
ALTER TABLE route_stop
    ADD COLUMN lat double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    ADD COLUMN lon double precision NOT NULL CHECK (lon BETWEEN -180 AND 180);

ALTER TABLE route
    ADD COLUMN unshared_ore bigint NOT NULL DEFAULT 0 CHECK (unshared_ore >= 0);

ALTER TABLE cost_share
    ADD COLUMN payer text NOT NULL DEFAULT 'coop' CHECK (payer IN ('coop', 'producer')),
    ALTER COLUMN standalone_cost_ore DROP NOT NULL,
    ADD CONSTRAINT cost_share_standalone_for_coops
        CHECK ((payer = 'coop') = (standalone_cost_ore IS NOT NULL));

ALTER TABLE match_run ADD COLUMN routing jsonb;
