-- Samlast schema v1: the domain of ARCHITECTURE.md.
-- Quantities are integer units, grams and millilitres; money is integer öre.
-- Constraints here defend the invariants even when application code is wrong.


-- Networks: the tenancy boundary for matching -------------------------------------

CREATE TABLE network (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    region             text NOT NULL DEFAULT '' CHECK (length(region) <= 200),
    timezone           text NOT NULL DEFAULT 'Europe/Stockholm' CHECK (length(timezone) <= 64),
    currency           char(3) NOT NULL DEFAULT 'SEK' CHECK (currency ~ '^[A-Z]{3}$'),
    hub_lat            double precision CHECK (hub_lat BETWEEN -90 AND 90),
    hub_lon            double precision CHECK (hub_lon BETWEEN -180 AND 180),
    -- share of each route's cost paid by producers, in per mille (0 = co-ops pay all)
    producer_share_permille integer NOT NULL DEFAULT 0
                       CHECK (producer_share_permille BETWEEN 0 AND 1000),
    version            integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((hub_lat IS NULL) = (hub_lon IS NULL))
);
CREATE UNIQUE INDEX network_name_key ON network (lower(name));

CREATE TABLE vehicle (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    network_id         uuid NOT NULL REFERENCES network (id) ON DELETE CASCADE,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    capacity_grams     bigint NOT NULL CHECK (capacity_grams > 0),
    capacity_ml        bigint NOT NULL CHECK (capacity_ml > 0),
    cold_capable       boolean NOT NULL DEFAULT false,
    start_lat          double precision NOT NULL CHECK (start_lat BETWEEN -90 AND 90),
    start_lon          double precision NOT NULL CHECK (start_lon BETWEEN -180 AND 180),
    end_lat            double precision NOT NULL CHECK (end_lat BETWEEN -90 AND 90),
    end_lon            double precision NOT NULL CHECK (end_lon BETWEEN -180 AND 180),
    shift_start        time NOT NULL,
    shift_end          time NOT NULL,
    fixed_cost_ore     bigint NOT NULL DEFAULT 0 CHECK (fixed_cost_ore >= 0),
    cost_per_km_ore    bigint NOT NULL DEFAULT 0 CHECK (cost_per_km_ore >= 0),
    cost_per_hour_ore  bigint NOT NULL DEFAULT 0 CHECK (cost_per_hour_ore >= 0),
    active             boolean NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (shift_start < shift_end),
    UNIQUE (network_id, name)
);

-- Organisations, people and their tokens ---------------------------------------------

CREATE TABLE organisation (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind               text NOT NULL CHECK (kind IN ('producer', 'coop', 'coordinator')),
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    contact_email      text NOT NULL DEFAULT '' CHECK (length(contact_email) <= 254),
    contact_phone      text NOT NULL DEFAULT '' CHECK (length(contact_phone) <= 40),
    address            text NOT NULL DEFAULT '' CHECK (length(address) <= 500),
    lat                double precision CHECK (lat BETWEEN -90 AND 90),
    lon                double precision CHECK (lon BETWEEN -180 AND 180),
    webhook_url        text CHECK (length(webhook_url) <= 2000),
    webhook_secret     text,
    version            integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((lat IS NULL) = (lon IS NULL))
);

-- Pickup (producer) or receiving (co-op) hours, by ISO weekday (1 = Monday).
CREATE TABLE organisation_window (
    organisation_id    uuid NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    weekday            smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens_at           time NOT NULL,
    closes_at          time NOT NULL,
    CHECK (opens_at < closes_at),
    PRIMARY KEY (organisation_id, weekday, opens_at)
);

CREATE TABLE membership (
    network_id         uuid NOT NULL REFERENCES network (id) ON DELETE CASCADE,
    organisation_id    uuid NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    joined_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (network_id, organisation_id)
);
CREATE INDEX membership_organisation_idx ON membership (organisation_id);

-- A user acts for one organisation; a deployment admin may act for none.
CREATE TABLE app_user (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id    uuid REFERENCES organisation (id) ON DELETE CASCADE,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email              text NOT NULL DEFAULT '' CHECK (length(email) <= 254),
    is_admin           boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (is_admin OR organisation_id IS NOT NULL)
);

-- Opaque bearer tokens: only a hash of the secret is stored.
CREATE TABLE api_token (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id            uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    prefix             text NOT NULL UNIQUE CHECK (length(prefix) BETWEEN 4 AND 32),
    secret_hash        bytea NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    label              text NOT NULL DEFAULT '' CHECK (length(label) <= 200),
    created_at         timestamptz NOT NULL DEFAULT now(),
    last_used_at       timestamptz,
    expires_at         timestamptz,
    revoked_at         timestamptz
);
CREATE INDEX api_token_user_idx ON api_token (user_id);

-- Products and offers ------------------------------------------------------------------

CREATE TABLE product (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    network_id         uuid NOT NULL REFERENCES network (id) ON DELETE CASCADE,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    category           text NOT NULL DEFAULT '' CHECK (length(category) <= 100),
    unit               text NOT NULL CHECK (unit IN ('kg', 'l', 'piece')),
    grams_per_unit     integer NOT NULL CHECK (grams_per_unit >= 0),
    ml_per_unit        integer NOT NULL CHECK (ml_per_unit >= 0),
    temperature        text NOT NULL CHECK (temperature IN ('ambient', 'chilled', 'frozen')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, network_id)  -- target of composite keys that pin a product to its network
);
CREATE UNIQUE INDEX product_name_key ON product (network_id, lower(name));

CREATE TABLE offer (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    producer_id        uuid NOT NULL REFERENCES organisation (id) ON DELETE RESTRICT,
    pack_units         integer NOT NULL CHECK (pack_units > 0),
    packs_available    integer NOT NULL CHECK (packs_available >= 0),
    -- packs held by stored match runs, across every network the offer is listed in
    packs_reserved     integer NOT NULL DEFAULT 0 CHECK (packs_reserved >= 0),
    price_per_pack_ore bigint NOT NULL CHECK (price_per_pack_ore >= 0),
    valid_from         date NOT NULL,
    valid_until        date NOT NULL,
    pickup_lat         double precision NOT NULL CHECK (pickup_lat BETWEEN -90 AND 90),
    pickup_lon         double precision NOT NULL CHECK (pickup_lon BETWEEN -180 AND 180),
    pickup_address     text NOT NULL DEFAULT '' CHECK (length(pickup_address) <= 500),
    note               text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    withdrawn_at       timestamptz,
    version            integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_from <= valid_until),
    CONSTRAINT offer_no_oversell CHECK (packs_reserved <= packs_available)
);
CREATE INDEX offer_producer_idx ON offer (producer_id);

-- An offer is listed in one or more of its producer's networks, as that network's product.
CREATE TABLE offer_listing (
    offer_id           uuid NOT NULL REFERENCES offer (id) ON DELETE CASCADE,
    network_id         uuid NOT NULL REFERENCES network (id) ON DELETE CASCADE,
    product_id         uuid NOT NULL,
    PRIMARY KEY (offer_id, network_id),
    FOREIGN KEY (product_id, network_id) REFERENCES product (id, network_id)
);
CREATE INDEX offer_listing_network_idx ON offer_listing (network_id, product_id);

CREATE TABLE offer_pickup_window (
    offer_id           uuid NOT NULL REFERENCES offer (id) ON DELETE CASCADE,
    opens_at           time NOT NULL,
    closes_at          time NOT NULL,
    CHECK (opens_at < closes_at),
    PRIMARY KEY (offer_id, opens_at)
);

-- Cycles and demand ----------------------------------------------------------------------

CREATE TABLE cycle (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    network_id         uuid NOT NULL REFERENCES network (id) ON DELETE CASCADE,
    opens_at           timestamptz NOT NULL,
    closes_at          timestamptz NOT NULL,
    delivery_date      date NOT NULL,
    state              text NOT NULL DEFAULT 'open'
                       CHECK (state IN ('open', 'closed', 'matched', 'published', 'cancelled')),
    version            integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (opens_at < closes_at),
    UNIQUE (id, network_id)
);
CREATE INDEX cycle_network_idx ON cycle (network_id, closes_at);
CREATE INDEX cycle_open_deadline_idx ON cycle (closes_at) WHERE state = 'open';

CREATE TABLE demand_round (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cycle_id           uuid NOT NULL,
    network_id         uuid NOT NULL,
    coop_id            uuid NOT NULL REFERENCES organisation (id) ON DELETE RESTRICT,
    version            integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (cycle_id, network_id) REFERENCES cycle (id, network_id) ON DELETE CASCADE,
    UNIQUE (cycle_id, coop_id),
    UNIQUE (id, network_id)
);

CREATE TABLE demand_line (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    round_id           uuid NOT NULL,
    network_id         uuid NOT NULL,
    line_no            integer NOT NULL CHECK (line_no > 0),
    product_id         uuid NOT NULL,
    firm_quantity      integer NOT NULL CHECK (firm_quantity > 0),
    tolerance          integer NOT NULL DEFAULT 0 CHECK (tolerance >= 0),
    max_unit_price_ore bigint CHECK (max_unit_price_ore >= 0),
    deliver_from       time,
    deliver_until      time,
    FOREIGN KEY (round_id, network_id) REFERENCES demand_round (id, network_id) ON DELETE CASCADE,
    FOREIGN KEY (product_id, network_id) REFERENCES product (id, network_id),
    CHECK ((deliver_from IS NULL) = (deliver_until IS NULL)),
    CHECK (deliver_from < deliver_until),
    UNIQUE (round_id, line_no)
);

-- Match runs: versioned, immutable results ----------------------------------------------

CREATE TABLE match_run (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cycle_id           uuid NOT NULL,
    network_id         uuid NOT NULL,
    run_version        integer NOT NULL CHECK (run_version > 0),
    state              text NOT NULL DEFAULT 'queued'
                       CHECK (state IN ('queued', 'running', 'proposed', 'failed', 'approved',
                                        'published', 'rejected', 'superseded', 'cancelled')),
    stage              text NOT NULL DEFAULT '' CHECK (length(stage) <= 40),
    percent            smallint NOT NULL DEFAULT 0 CHECK (percent BETWEEN 0 AND 100),
    attempts           integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    seed               bigint NOT NULL DEFAULT 0,
    overrides          jsonb NOT NULL DEFAULT '{}',
    summary            jsonb,
    error              text,
    requested_by       uuid REFERENCES app_user (id) ON DELETE SET NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    started_at         timestamptz,
    finished_at        timestamptz,
    FOREIGN KEY (cycle_id, network_id) REFERENCES cycle (id, network_id) ON DELETE CASCADE,
    UNIQUE (cycle_id, run_version)
);
CREATE INDEX match_run_queued_idx ON match_run (updated_at) WHERE state IN ('queued', 'running');

-- Packs bought per offer in a run.
CREATE TABLE run_purchase (
    run_id             uuid NOT NULL REFERENCES match_run (id) ON DELETE CASCADE,
    offer_id           uuid NOT NULL REFERENCES offer (id) ON DELETE RESTRICT,
    packs              integer NOT NULL CHECK (packs > 0),
    pack_units         integer NOT NULL CHECK (pack_units > 0),
    price_per_pack_ore bigint NOT NULL CHECK (price_per_pack_ore >= 0),
    PRIMARY KEY (run_id, offer_id)
);

-- Units of one offer assigned to one demand line.
CREATE TABLE allocation (
    run_id             uuid NOT NULL,
    offer_id           uuid NOT NULL,
    demand_line_id     uuid NOT NULL REFERENCES demand_line (id) ON DELETE CASCADE,
    units              integer NOT NULL CHECK (units > 0),
    tolerance_units    integer NOT NULL DEFAULT 0 CHECK (tolerance_units >= 0),
    pinned             boolean NOT NULL DEFAULT false,
    FOREIGN KEY (run_id, offer_id) REFERENCES run_purchase (run_id, offer_id) ON DELETE CASCADE,
    CHECK (tolerance_units <= units),
    PRIMARY KEY (run_id, offer_id, demand_line_id)
);
CREATE INDEX allocation_line_idx ON allocation (demand_line_id);

CREATE TABLE unfilled_demand (
    run_id             uuid NOT NULL REFERENCES match_run (id) ON DELETE CASCADE,
    demand_line_id     uuid NOT NULL REFERENCES demand_line (id) ON DELETE CASCADE,
    units_short        integer NOT NULL CHECK (units_short > 0),
    reason             text NOT NULL CHECK (reason IN ('no_offer', 'price_above_max',
                           'supply_short', 'pack_not_completed', 'temperature', 'validity',
                           'excluded')),
    detail             jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, demand_line_id)
);

-- What one producer sends one co-op in one temperature class.
CREATE TABLE shipment (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    run_id             uuid NOT NULL REFERENCES match_run (id) ON DELETE CASCADE,
    producer_id        uuid NOT NULL REFERENCES organisation (id),
    coop_id            uuid NOT NULL REFERENCES organisation (id),
    temperature        text NOT NULL CHECK (temperature IN ('ambient', 'chilled', 'frozen')),
    weight_grams       bigint NOT NULL CHECK (weight_grams >= 0),
    volume_ml          bigint NOT NULL CHECK (volume_ml >= 0),
    unserved_reason    text,
    UNIQUE (run_id, producer_id, coop_id, temperature)
);

-- One vehicle's run: 'joint' is the proposal, 'baseline' each producer alone,
-- 'hub' the alternative plan via the network's hub.
CREATE TABLE route (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    run_id             uuid NOT NULL REFERENCES match_run (id) ON DELETE CASCADE,
    plan               text NOT NULL CHECK (plan IN ('joint', 'baseline', 'hub')),
    route_no           integer NOT NULL CHECK (route_no > 0),
    vehicle_id         uuid REFERENCES vehicle (id) ON DELETE SET NULL,
    producer_id        uuid REFERENCES organisation (id),
    distance_m         bigint NOT NULL CHECK (distance_m >= 0),
    duration_s         bigint NOT NULL CHECK (duration_s >= 0),
    cost_ore           bigint NOT NULL CHECK (cost_ore >= 0),
    co2_grams          bigint NOT NULL CHECK (co2_grams >= 0),
    UNIQUE (run_id, plan, route_no)
);

CREATE TABLE route_stop (
    route_id           uuid NOT NULL REFERENCES route (id) ON DELETE CASCADE,
    seq                integer NOT NULL CHECK (seq >= 0),
    kind               text NOT NULL CHECK (kind IN ('start', 'pickup', 'delivery', 'end')),
    organisation_id    uuid REFERENCES organisation (id),
    shipment_id        uuid REFERENCES shipment (id) ON DELETE CASCADE,
    arrival_at         timestamptz NOT NULL,
    departure_at       timestamptz NOT NULL,
    load_grams         bigint NOT NULL CHECK (load_grams >= 0),
    load_ml            bigint NOT NULL CHECK (load_ml >= 0),
    CHECK (arrival_at <= departure_at),
    PRIMARY KEY (route_id, seq)
);

CREATE TABLE cost_share (
    route_id           uuid NOT NULL REFERENCES route (id) ON DELETE CASCADE,
    organisation_id    uuid NOT NULL REFERENCES organisation (id),
    share_ore          bigint NOT NULL CHECK (share_ore >= 0),
    standalone_cost_ore bigint NOT NULL CHECK (standalone_cost_ore >= 0),
    CONSTRAINT cost_share_within_standalone CHECK (share_ore <= standalone_cost_ore),
    PRIMARY KEY (route_id, organisation_id)
);

-- Safe retries and the audit trail -------------------------------------------------------

CREATE TABLE idempotency_key (
    token_id           uuid NOT NULL REFERENCES api_token (id) ON DELETE CASCADE,
    key                text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    method             text NOT NULL,
    path               text NOT NULL,
    fingerprint        bytea NOT NULL,
    state              text NOT NULL DEFAULT 'in_flight' CHECK (state IN ('in_flight', 'done')),
    response_status    smallint,
    response_headers   jsonb,
    response_body      bytea,
    created_at         timestamptz NOT NULL DEFAULT now(),
    expires_at         timestamptz NOT NULL DEFAULT now() + interval '24 hours',
    PRIMARY KEY (token_id, key)
);
CREATE INDEX idempotency_key_expiry_idx ON idempotency_key (expires_at);

CREATE TABLE audit_log (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at                 timestamptz NOT NULL DEFAULT now(),
    actor_user_id      uuid,
    actor_token_id     uuid,
    organisation_id    uuid,
    network_id         uuid,
    action             text NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    object_type        text NOT NULL DEFAULT '',
    object_id          text NOT NULL DEFAULT '',
    outcome            text NOT NULL CHECK (outcome IN ('ok', 'denied', 'unauthenticated', 'error')),
    request_id         text NOT NULL DEFAULT '',
    detail             jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_org_idx ON audit_log (organisation_id, at);

-- The audit trail is append-only for everyone but a superuser who drops the trigger.
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
