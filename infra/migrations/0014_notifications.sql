-- Notifications (docs/notifications.md): mail to the people of the organisations an event
-- concerns, written on the outbox with the event. The time-driven ones (a cycle opened
-- when its opens_at passes, its deadline near) come from the matcher's cron job; each
-- is claimed here once per cycle and kind, in the transaction that writes its mail, so
-- two matchers or a job run twice never send it again.
CREATE TABLE cycle_notice (
    cycle_id           uuid NOT NULL REFERENCES cycle (id) ON DELETE CASCADE,
    kind               text NOT NULL CHECK (kind IN ('cycle_opened', 'deadline_near')),
    sent_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cycle_id, kind)
);

-- How many hours before a cycle's demand deadline co-ops and producers who have not yet
-- ordered or offered are reminded; 0 sends no reminder.
ALTER TABLE network
    ADD COLUMN deadline_reminder_hours integer NOT NULL DEFAULT 24
        CHECK (deadline_reminder_hours BETWEEN 0 AND 720);

-- Cycles already open, or already within a day of their deadline, when this is applied
-- were announced by people before there were notifications: no mail about them now.
INSERT INTO cycle_notice (cycle_id, kind)
SELECT id, 'cycle_opened' FROM cycle WHERE opens_at <= now();
INSERT INTO cycle_notice (cycle_id, kind)
SELECT id, 'deadline_near' FROM cycle WHERE closes_at - interval '24 hours' <= now();

-- The cron job's question every few seconds: open cycles with a notice not yet sent.
CREATE INDEX cycle_open_opens_idx ON cycle (opens_at) WHERE state = 'open';
