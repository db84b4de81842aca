-- A network's hub keeps opening hours, as organisations keep their receiving and pickup
-- hours (organisation_window): ISO weekdays (1 Monday .. 7 Sunday), clock times in the
-- network's time zone. No rows: the hub takes goods at any time. Rows on other days
-- only: the hub is closed on the delivery day, and no run plans via it that day
-- (docs/routing.md, "The hub's opening hours").
CREATE TABLE network_hub_window (
    network_id         uuid NOT NULL REFERENCES network (id) ON DELETE CASCADE,
    weekday            smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens_at           time NOT NULL,
    closes_at          time NOT NULL,
    CHECK (opens_at < closes_at),
    PRIMARY KEY (network_id, weekday, opens_at)
);
