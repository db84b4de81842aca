-- Reminders of overdue invoices (docs/money.md): the matcher's cron job mails the buyer's
-- people when an invoice with something still open is past its due date, and again each
-- reminder interval while it stays open. Each reminder is claimed here, in the transaction
-- that writes its mail, so two matchers, a restart or a job run twice never send it again.
-- (The invoice itself is append-only: what was reminded lives beside it.)
CREATE TABLE invoice_reminder (
    invoice_id         uuid NOT NULL REFERENCES invoice (id) ON DELETE RESTRICT,
    reminder_no        integer NOT NULL CHECK (reminder_no > 0),
    reminded_on        date NOT NULL,  -- the day in the network's time zone
    open_ore           bigint NOT NULL CHECK (open_ore > 0),  -- what the mail said was open
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (invoice_id, reminder_no)
);

-- The cron job's question: invoices past their due date (most are paid; this stays small
-- only with the payments' sums, so it looks at invoices by due date).
CREATE INDEX invoice_due_idx ON invoice (due_on) WHERE kind = 'invoice';
