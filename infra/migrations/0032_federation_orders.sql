-- Orders between deployments (docs/federation.md, "Orders"): publishing a run that buys
-- a peer's offers sends each of that peer's producers its order, a DFC Order with its
-- OrderLines, naming the confirmed holds it takes.

-- The selling side: an order a peer sent us, for one of our producers. Its id is the
-- peer's (the idempotency key); each line takes one of that peer's confirmed holds,
-- whose packs are reserved already.
CREATE TABLE federation_order (
    id            uuid PRIMARY KEY,
    peer_id       uuid NOT NULL REFERENCES peer (id) ON DELETE CASCADE,
    producer_id   uuid NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    network       text NOT NULL CHECK (length(network) BETWEEN 1 AND 200),
    delivery_date date NOT NULL,
    document      jsonb NOT NULL,
    state         text NOT NULL DEFAULT 'received' CHECK (state IN ('received', 'accepted')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX federation_order_producer ON federation_order (producer_id, delivery_date);

CREATE TABLE federation_order_line (
    order_id  uuid NOT NULL REFERENCES federation_order (id) ON DELETE CASCADE,
    hold_id   uuid NOT NULL UNIQUE REFERENCES federation_hold (id) ON DELETE CASCADE,
    offer_id  uuid NOT NULL REFERENCES offer (id) ON DELETE CASCADE,
    packs     integer NOT NULL CHECK (packs > 0),
    PRIMARY KEY (order_id, hold_id)
);

-- The buying side: one order per remote producer of a published run, its state as the
-- origin last answered.
CREATE TABLE run_remote_order (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    run_id       uuid NOT NULL REFERENCES match_run (id) ON DELETE CASCADE,
    peer_id      uuid NOT NULL REFERENCES peer (id) ON DELETE CASCADE,
    producer_id  uuid NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    state        text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'received', 'accepted', 'refused')),
    reason       text NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (run_id, producer_id)
);

ALTER TABLE outbox_message DROP CONSTRAINT outbox_message_kind_check;
ALTER TABLE outbox_message ADD CONSTRAINT outbox_message_kind_check
    CHECK (kind IN ('webhook', 'mail', 'federation_hold', 'federation_order',
                    'federation_order_state'));
ALTER TABLE outbox_message DROP CONSTRAINT outbox_message_kind_fields;
ALTER TABLE outbox_message ADD CONSTRAINT outbox_message_kind_fields CHECK (
    CASE kind
        WHEN 'webhook' THEN organisation_id IS NOT NULL AND payload IS NOT NULL
            AND payload_sealed IS NULL
        WHEN 'mail' THEN recipient IS NOT NULL AND payload IS NULL
            AND (payload_sealed IS NOT NULL OR state <> 'pending')
        -- no secret in them: ids, offers, packs, the DFC order
        WHEN 'federation_hold' THEN payload IS NOT NULL AND payload_sealed IS NULL
            AND dedupe_key IS NOT NULL
        WHEN 'federation_order' THEN payload IS NOT NULL AND payload_sealed IS NULL
            AND dedupe_key IS NOT NULL
        -- the state our producer gave a peer's order, sent back to that peer
        WHEN 'federation_order_state' THEN payload IS NOT NULL AND payload_sealed IS NULL
            AND dedupe_key IS NOT NULL
    END
);
