-- Why an order to a peer was refused, and why a run was matched again without a peer,
-- said in each page's language (docs/federation.md), as a hold's reason is (0033):
-- run_remote_order.reason and a transition's note become a msgid filled by their values
-- beside a stable code for API clients. A transition's note_code is '' when a person
-- typed the note (said as typed); the matcher's notes written before keep their English
-- under the code 'other', as orders' reasons do.
ALTER TABLE run_remote_order
    ADD COLUMN reason_code text NOT NULL DEFAULT '' CHECK (reason_code ~ '^[a-z_]{0,40}$'),
    ADD COLUMN reason_values jsonb NOT NULL DEFAULT '{}'
        CHECK (jsonb_typeof(reason_values) = 'object');
UPDATE run_remote_order SET reason_code = 'other' WHERE reason <> '';

ALTER TABLE run_transition
    ADD COLUMN note_code text NOT NULL DEFAULT '' CHECK (note_code ~ '^[a-z_]{0,40}$'),
    ADD COLUMN note_values jsonb NOT NULL DEFAULT '{}'
        CHECK (jsonb_typeof(note_values) = 'object');
UPDATE run_transition SET note_code = 'other'
WHERE actor_user_id IS NULL AND actor_token_id IS NULL AND note LIKE 'a peer % hold packs (%';
