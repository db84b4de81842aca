-- One transactional outbox (docs/architecture.md): a message is written in the same
-- transaction as the event it tells of, then delivered by the matcher's outbox worker:
-- claim, commit, send, record. Webhook deliveries are its first kind; e-mail and
-- federation pushes become kinds of it, not copies of it.
ALTER TABLE webhook_delivery RENAME TO outbox_message;
ALTER TABLE outbox_message RENAME CONSTRAINT webhook_delivery_pkey TO outbox_message_pkey;
ALTER INDEX webhook_delivery_due_idx RENAME TO outbox_message_due_idx;
ALTER INDEX webhook_delivery_org_idx RENAME TO outbox_message_org_idx;
ALTER TABLE outbox_message
    RENAME CONSTRAINT webhook_delivery_attempts_check TO outbox_message_attempts_check;
ALTER TABLE outbox_message
    RENAME CONSTRAINT webhook_delivery_event_check TO outbox_message_event_check;
ALTER TABLE outbox_message
    RENAME CONSTRAINT webhook_delivery_last_error_check TO outbox_message_last_error_check;
ALTER TABLE outbox_message
    RENAME CONSTRAINT webhook_delivery_state_check TO outbox_message_state_check;
ALTER TABLE outbox_message
    RENAME CONSTRAINT webhook_delivery_organisation_id_fkey TO outbox_message_organisation_id_fkey;
ALTER TABLE outbox_message
    RENAME CONSTRAINT webhook_delivery_run_id_fkey TO outbox_message_run_id_fkey;

ALTER TABLE outbox_message
    ADD COLUMN kind text NOT NULL DEFAULT 'webhook' CHECK (kind IN ('webhook'));
ALTER TABLE outbox_message ALTER COLUMN kind DROP DEFAULT;

-- Publishing tells each party of a run once, per kind of message.
ALTER TABLE outbox_message DROP CONSTRAINT webhook_delivery_organisation_id_event_run_id_key;
ALTER TABLE outbox_message ADD CONSTRAINT outbox_message_once
    UNIQUE (kind, organisation_id, event, run_id);
