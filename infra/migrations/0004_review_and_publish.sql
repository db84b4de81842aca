-- Review and publish: every state change of a run with who made it and when, and
-- the webhooks that tell each organisation its part is published (retried until
-- delivered; the row is the record, the queue only carries its id).

CREATE TABLE run_transition (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id             uuid NOT NULL REFERENCES match_run (id) ON DELETE CASCADE,
    from_state         text NOT NULL,
    to_state           text NOT NULL,
    actor_user_id      uuid REFERENCES app_user (id) ON DELETE SET NULL,
    note               text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    at                 timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX run_transition_run_idx ON run_transition (run_id, id);

CREATE TABLE webhook_delivery (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id    uuid NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    event              text NOT NULL CHECK (length(event) BETWEEN 1 AND 100),
    run_id             uuid REFERENCES match_run (id) ON DELETE CASCADE,
    payload            jsonb NOT NULL,
    state              text NOT NULL DEFAULT 'pending'
                       CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts           integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_status        smallint,
    last_error         text CHECK (length(last_error) <= 2000),
    next_attempt_at    timestamptz NOT NULL DEFAULT now(),
    created_at         timestamptz NOT NULL DEFAULT now(),
    delivered_at       timestamptz,
    UNIQUE (organisation_id, event, run_id)  -- publishing notifies each party once
);
CREATE INDEX webhook_delivery_due_idx ON webhook_delivery (next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX webhook_delivery_org_idx ON webhook_delivery (organisation_id, created_at);

-- A cycle has at most one approved or published run: the one its parties act on.
CREATE UNIQUE INDEX match_run_one_decision_idx ON match_run (cycle_id)
    WHERE state IN ('approved', 'published');
