-- Money (issue 22): what invoicing needs of organisations and networks, receipts per
-- delivered line, invoices and credit notes (numbered gap-free per issuer, never
-- changed once issued), and payments. Money is integer öre, VAT rates integer basis
-- points (2500 = 25 %), quantities on invoices thousandths of a unit (grams of a kg).
-- Invoicing details live beside organisation and network, one row each, so the tables
-- every page reads stay as they are.

CREATE TABLE organisation_invoicing (
    organisation_id    uuid PRIMARY KEY REFERENCES organisation (id) ON DELETE CASCADE,
    legal_name         text NOT NULL CHECK (length(legal_name) BETWEEN 1 AND 200),
    org_number         text NOT NULL DEFAULT '' CHECK (length(org_number) <= 20),
    vat_number         text NOT NULL DEFAULT '' CHECK (length(vat_number) <= 20),
    -- small businesses below the VAT threshold invoice without VAT, saying why
    vat_exempt         boolean NOT NULL DEFAULT false,
    vat_exempt_statement text NOT NULL DEFAULT '' CHECK (length(vat_exempt_statement) <= 300),
    billing_address    text NOT NULL CHECK (length(billing_address) BETWEEN 1 AND 500),
    bankgiro           text NOT NULL DEFAULT '' CHECK (bankgiro ~ '^([0-9]{3,4}-[0-9]{4})?$'),
    plusgiro           text NOT NULL DEFAULT '' CHECK (plusgiro ~ '^([0-9]{1,7}-[0-9])?$'),
    iban               text NOT NULL DEFAULT '' CHECK (iban ~ '^([A-Z]{2}[0-9]{2}[A-Z0-9]{10,30})?$'),
    bic                text NOT NULL DEFAULT '' CHECK (bic ~ '^([A-Z0-9]{8}([A-Z0-9]{3})?)?$'),
    payment_terms_days smallint NOT NULL DEFAULT 30 CHECK (payment_terms_days BETWEEN 0 AND 120),
    language           text NOT NULL DEFAULT 'sv' CHECK (language IN ('sv', 'en')),
    version            integer NOT NULL DEFAULT 1 CHECK (version > 0),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    -- a full invoice names the issuer's VAT number, or its organisation number
    CHECK (org_number <> '' OR vat_number <> ''),
    CHECK (NOT vat_exempt OR vat_exempt_statement <> '')
);

CREATE TABLE network_invoicing (
    network_id         uuid PRIMARY KEY REFERENCES network (id) ON DELETE CASCADE,
    -- direct: each producer invoices each co-op; through_network: producers invoice the
    -- network's organisation, which invoices the co-ops
    sales_mode         text NOT NULL DEFAULT 'direct'
                       CHECK (sales_mode IN ('direct', 'through_network')),
    -- the coordinating organisation that invoices transport (and goods, through the network)
    invoicing_organisation_id uuid REFERENCES organisation (id) ON DELETE RESTRICT,
    -- days after the delivery date a co-op may confirm what arrived; after that, what
    -- was planned counts as received (a coordinator may still correct)
    receiving_days     smallint NOT NULL DEFAULT 3 CHECK (receiving_days BETWEEN 0 AND 60),
    -- settle through the network: each co-op pays it one amount, each producer gets one
    clearing           boolean NOT NULL DEFAULT false,
    -- BAS account numbers the network maps differently (shared/contracts/invoices.py)
    accounts           jsonb NOT NULL DEFAULT '{}',
    version            integer NOT NULL DEFAULT 1 CHECK (version > 0),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- A network's own VAT rules, beside the Swedish defaults (engine/settlement/vat.py).
CREATE TABLE network_vat_rate (
    network_id         uuid NOT NULL REFERENCES network (id) ON DELETE CASCADE,
    vat_class          text NOT NULL CHECK (vat_class IN ('food', 'transport', 'standard')),
    effective_from     date NOT NULL,
    rate_bp            integer NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
    PRIMARY KEY (network_id, vat_class, effective_from)
);

-- What a co-op confirms arrived of one delivered line; a line without a row counts
-- as received as planned.
CREATE TABLE receipt (
    run_id             uuid NOT NULL,
    offer_id           uuid NOT NULL,
    demand_line_id     uuid NOT NULL,
    outcome            text NOT NULL CHECK (outcome IN ('as_planned', 'short', 'damaged', 'weighed')),
    accepted_milli     bigint NOT NULL CHECK (accepted_milli >= 0),
    note               text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    recorded_by        uuid REFERENCES person (id) ON DELETE SET NULL,
    by_coordinator     boolean NOT NULL DEFAULT false,
    recorded_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, offer_id, demand_line_id),
    FOREIGN KEY (run_id, offer_id, demand_line_id)
        REFERENCES allocation (run_id, offer_id, demand_line_id) ON DELETE CASCADE
);

-- The last number each issuer gave: locked by the issuing transaction (UPDATE ...
-- RETURNING), so numbers are unique and gap-free even when runs are invoiced at once;
-- a transaction that rolls back gives its numbers back.
CREATE TABLE invoice_counter (
    issuer_id          uuid PRIMARY KEY REFERENCES organisation (id) ON DELETE RESTRICT,
    last_number        integer NOT NULL DEFAULT 0 CHECK (last_number >= 0)
);

CREATE TABLE invoice (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    network_id         uuid NOT NULL REFERENCES network (id) ON DELETE RESTRICT,
    cycle_id           uuid NOT NULL,
    run_id             uuid NOT NULL REFERENCES match_run (id) ON DELETE RESTRICT,
    issuer_id          uuid NOT NULL REFERENCES organisation (id) ON DELETE RESTRICT,
    buyer_id           uuid NOT NULL REFERENCES organisation (id) ON DELETE RESTRICT,
    kind               text NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    purpose            text NOT NULL CHECK (purpose IN ('goods', 'transport')),
    number             integer NOT NULL CHECK (number > 0),
    corrects_id        uuid REFERENCES invoice (id) ON DELETE RESTRICT,
    issued_on          date NOT NULL,
    delivery_date      date NOT NULL,
    due_on             date NOT NULL,
    currency           char(3) NOT NULL DEFAULT 'SEK',
    net_ore            bigint NOT NULL,
    vat_ore            bigint NOT NULL,
    total_ore          bigint NOT NULL,
    ocr_reference      text NOT NULL CHECK (ocr_reference ~ '^[0-9]{2,25}$'),
    -- both parties' invoicing details as they were when issued (legal name, address,
    -- numbers, payee accounts): the invoice says what it said, whatever changes later
    issuer             jsonb NOT NULL,
    buyer              jsonb NOT NULL,
    language           text NOT NULL DEFAULT 'sv' CHECK (language IN ('sv', 'en')),
    issued_by          uuid REFERENCES person (id) ON DELETE SET NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (cycle_id, network_id) REFERENCES cycle (id, network_id) ON DELETE RESTRICT,
    UNIQUE (issuer_id, number),
    CHECK (issuer_id <> buyer_id),
    CHECK (total_ore = net_ore + vat_ore),
    CHECK ((kind = 'credit_note') = (corrects_id IS NOT NULL)),
    CHECK ((kind = 'invoice' AND net_ore >= 0) OR (kind = 'credit_note' AND net_ore <= 0)),
    CHECK (due_on >= issued_on)
);
-- issuing a run is idempotent: one invoice per run, issuer, buyer and purpose
CREATE UNIQUE INDEX invoice_once_per_run ON invoice (run_id, issuer_id, buyer_id, purpose)
    WHERE kind = 'invoice';
CREATE INDEX invoice_issuer_idx ON invoice (issuer_id, issued_on);
CREATE INDEX invoice_buyer_idx ON invoice (buyer_id, issued_on);
CREATE INDEX invoice_network_idx ON invoice (network_id, cycle_id);
CREATE INDEX invoice_corrects_idx ON invoice (corrects_id) WHERE corrects_id IS NOT NULL;

CREATE TABLE invoice_line (
    invoice_id         uuid NOT NULL REFERENCES invoice (id) ON DELETE RESTRICT,
    line_no            integer NOT NULL CHECK (line_no > 0),
    description        text NOT NULL CHECK (length(description) BETWEEN 1 AND 500),
    unit               text NOT NULL CHECK (length(unit) BETWEEN 1 AND 20),
    quantity_milli     bigint NOT NULL,
    unit_price_ore     bigint NOT NULL CHECK (unit_price_ore >= 0),
    net_ore            bigint NOT NULL,
    vat_rate_bp        integer NOT NULL CHECK (vat_rate_bp BETWEEN 0 AND 10000),
    offer_id           uuid,
    demand_line_id     uuid,
    PRIMARY KEY (invoice_id, line_no),
    CHECK ((offer_id IS NULL) = (demand_line_id IS NULL))
);

-- The taxable amount and VAT per rate, as the invoice states them.
CREATE TABLE invoice_vat (
    invoice_id         uuid NOT NULL REFERENCES invoice (id) ON DELETE RESTRICT,
    rate_bp            integer NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
    taxable_ore        bigint NOT NULL,
    vat_ore            bigint NOT NULL,
    PRIMARY KEY (invoice_id, rate_bp)
);

-- Money received against an invoice, or what is written off; never changed either.
CREATE TABLE payment (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    invoice_id         uuid NOT NULL REFERENCES invoice (id) ON DELETE RESTRICT,
    kind               text NOT NULL CHECK (kind IN ('payment', 'write_off')),
    amount_ore         bigint NOT NULL CHECK (amount_ore > 0),
    paid_on            date NOT NULL,
    note               text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    recorded_by        uuid REFERENCES person (id) ON DELETE SET NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_invoice_idx ON payment (invoice_id, paid_on);

-- Issued is issued: corrections are credit notes and new payments, never edits.
CREATE FUNCTION money_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: an issued invoice is corrected by a credit note (% refused)',
        TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER invoice_no_update_delete BEFORE UPDATE OR DELETE ON invoice
    FOR EACH ROW EXECUTE FUNCTION money_is_append_only();
CREATE TRIGGER invoice_line_no_update_delete BEFORE UPDATE OR DELETE ON invoice_line
    FOR EACH ROW EXECUTE FUNCTION money_is_append_only();
CREATE TRIGGER invoice_vat_no_update_delete BEFORE UPDATE OR DELETE ON invoice_vat
    FOR EACH ROW EXECUTE FUNCTION money_is_append_only();
CREATE TRIGGER payment_no_update_delete BEFORE UPDATE OR DELETE ON payment
    FOR EACH ROW EXECUTE FUNCTION money_is_append_only();
