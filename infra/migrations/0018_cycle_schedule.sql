-- A network's weekly schedule: the matcher opens a cycle by itself each week (see
-- services/matcher/jobs/schedules.py). Weekdays are ISO's (1 Monday .. 7 Sunday)
-- and times are clock times in the network's time zone, as its people read them; the
-- closing and delivery days are the first of their weekday after the opening (closing
-- strictly after it, delivery on or after the closing day). A schedule opens only the
-- weeks whose opening comes after it was last saved on (active_from): saving it never
-- opens a week already under way.
CREATE TABLE cycle_schedule (
    network_id         uuid PRIMARY KEY REFERENCES network (id) ON DELETE CASCADE,
    enabled            boolean NOT NULL DEFAULT false,
    opens_weekday      smallint NOT NULL CHECK (opens_weekday BETWEEN 1 AND 7),
    opens_time         time NOT NULL,
    closes_weekday     smallint NOT NULL CHECK (closes_weekday BETWEEN 1 AND 7),
    closes_time        time NOT NULL,
    delivery_weekday   smallint NOT NULL CHECK (delivery_weekday BETWEEN 1 AND 7),
    active_from        timestamptz NOT NULL DEFAULT now(),
    version            integer NOT NULL DEFAULT 1 CHECK (version > 0),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
-- The cron job's question every minute: the schedules that are on.
CREATE INDEX cycle_schedule_enabled_idx ON cycle_schedule (network_id) WHERE enabled;

-- Each week a schedule opens, claimed once per network and opening day (its local date):
-- two matchers, or a job run twice, never open two cycles for it. cycle_id is NULL when
-- the week was passed over because the network already had a cycle then.
CREATE TABLE scheduled_cycle (
    network_id         uuid NOT NULL REFERENCES network (id) ON DELETE CASCADE,
    opens_on           date NOT NULL,
    cycle_id           uuid REFERENCES cycle (id) ON DELETE SET NULL,
    claimed_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (network_id, opens_on)
);
