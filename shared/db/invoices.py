"""Money: invoicing details, receipts, invoices and credit notes, payments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, NamedTuple
from uuid import UUID

import asyncpg

from shared.db.pool import Conn, copy_rows
from shared.db.products import PER_UNIT_MILLI

# -- invoicing details ------------------------------------------------------------------

DETAIL_COLUMNS = """organisation_id, legal_name, org_number, vat_number, vat_exempt,
    vat_exempt_statement, billing_address, bankgiro, plusgiro, iban, bic,
    payment_terms_days, language, version, updated_at"""

SELECT_DETAILS = f"""
SELECT {DETAIL_COLUMNS} FROM organisation_invoicing WHERE organisation_id = any($1::uuid[])"""

UPSERT_DETAILS = f"""
INSERT INTO organisation_invoicing (organisation_id, legal_name, org_number, vat_number,
    vat_exempt, vat_exempt_statement, billing_address, bankgiro, plusgiro, iban, bic,
    payment_terms_days, language)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (organisation_id) DO UPDATE SET legal_name = $2, org_number = $3,
    vat_number = $4, vat_exempt = $5, vat_exempt_statement = $6, billing_address = $7,
    bankgiro = $8, plusgiro = $9, iban = $10, bic = $11, payment_terms_days = $12,
    language = $13, version = organisation_invoicing.version + 1, updated_at = now()
RETURNING {DETAIL_COLUMNS}"""


async def select_details(conn: Conn, organisation_ids: list[UUID]) -> dict[UUID, asyncpg.Record]:
    rows = await conn.fetch(SELECT_DETAILS, organisation_ids)
    return {row["organisation_id"]: row for row in rows}


# The details an organisation sets, in the order of UPSERT_DETAILS' parameters $2 on.
DETAIL_FIELDS = (
    "legal_name",
    "org_number",
    "vat_number",
    "vat_exempt",
    "vat_exempt_statement",
    "billing_address",
    "bankgiro",
    "plusgiro",
    "iban",
    "bic",
    "payment_terms_days",
    "language",
)


async def upsert_details(
    conn: Conn, organisation_id: UUID, details: Mapping[str, Any]
) -> asyncpg.Record:
    values = [details[name] for name in DETAIL_FIELDS]
    row = await conn.fetchrow(UPSERT_DETAILS, organisation_id, *values)
    assert row is not None
    return row


NETWORK_COLUMNS = """n.id AS network_id, n.name, n.timezone, n.currency,
    coalesce(i.sales_mode, 'direct') AS sales_mode, i.invoicing_organisation_id,
    coalesce(i.receiving_days, 3) AS receiving_days, coalesce(i.clearing, false) AS clearing,
    coalesce(i.accounts, '{}'::jsonb) AS accounts, coalesce(i.version, 0) AS version"""

SELECT_NETWORK = f"""
SELECT {NETWORK_COLUMNS} FROM network n LEFT JOIN network_invoicing i ON i.network_id = n.id
WHERE n.id = $1"""

UPSERT_NETWORK = """
INSERT INTO network_invoicing (network_id, sales_mode, invoicing_organisation_id,
    receiving_days, clearing, accounts)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (network_id) DO UPDATE SET sales_mode = $2, invoicing_organisation_id = $3,
    receiving_days = $4, clearing = $5, accounts = $6,
    version = network_invoicing.version + 1, updated_at = now()"""

SELECT_VAT_RATES = """
SELECT vat_class, effective_from, rate_bp FROM network_vat_rate WHERE network_id = $1
ORDER BY vat_class, effective_from"""

DELETE_VAT_RATES = "DELETE FROM network_vat_rate WHERE network_id = $1"


class VatRateRow(NamedTuple):
    network_id: UUID
    vat_class: str
    effective_from: dt.date
    rate_bp: int


async def select_network(conn: Conn, network_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_NETWORK, network_id)


async def upsert_network(conn: Conn, network_id: UUID, values: list[Any]) -> None:
    await conn.execute(UPSERT_NETWORK, network_id, *values)


async def select_vat_rates(conn: Conn, network_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_VAT_RATES, network_id)


async def replace_vat_rates(conn: Conn, network_id: UUID, rows: list[VatRateRow]) -> None:
    await conn.execute(DELETE_VAT_RATES, network_id)
    await copy_rows(conn, "network_vat_rate", rows)


# -- a published run: what was delivered, to whom, at what price --------------------------

SELECT_RUN = """
SELECT m.id, m.state, m.network_id, m.cycle_id, c.delivery_date
FROM match_run m JOIN cycle c ON c.id = m.cycle_id WHERE m.id = $1"""

LOCK_RUN = "SELECT id FROM match_run WHERE id = $1 FOR UPDATE"

SELECT_PURCHASES = f"""
SELECT a.offer_id, a.demand_line_id, o.producer_id, pr.name AS producer, r.coop_id,
       c.name AS coop, p.name AS product, p.unit, p.category, a.units, rp.packs,
       rp.pack_units, rp.price_per_pack_ore,
       {PER_UNIT_MILLI} AS per_unit_milli
FROM allocation a
JOIN offer o ON o.id = a.offer_id
JOIN run_purchase rp ON rp.run_id = a.run_id AND rp.offer_id = a.offer_id
JOIN demand_line d ON d.id = a.demand_line_id
JOIN demand_round r ON r.id = d.round_id
JOIN product p ON p.id = d.product_id
JOIN organisation pr ON pr.id = o.producer_id
JOIN organisation c ON c.id = r.coop_id
WHERE a.run_id = $1 AND ($2::uuid IS NULL OR r.coop_id = $2)
ORDER BY pr.name, c.name, p.name, a.offer_id, a.demand_line_id"""

# What each organisation pays of the run's transport (only the proposed plan has shares).
SELECT_TRANSPORT = """
SELECT c.organisation_id, sum(c.share_ore)::bigint AS amount_ore
FROM cost_share c JOIN route rt ON rt.id = c.route_id
WHERE rt.run_id = $1 GROUP BY c.organisation_id ORDER BY c.organisation_id"""


async def select_run(conn: Conn, run_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_RUN, run_id)


async def lock_run(conn: Conn, run_id: UUID) -> None:
    await conn.execute(LOCK_RUN, run_id)


async def select_purchases(
    conn: Conn, run_id: UUID, coop_id: UUID | None = None
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_PURCHASES, run_id, coop_id)


async def select_transport(conn: Conn, run_id: UUID) -> dict[UUID, int]:
    rows = await conn.fetch(SELECT_TRANSPORT, run_id)
    return {row["organisation_id"]: row["amount_ore"] for row in rows}


# -- receipts --------------------------------------------------------------------------

SELECT_RECEIPTS = """
SELECT run_id, offer_id, demand_line_id, outcome, accepted_milli, note, by_coordinator,
       recorded_at
FROM receipt WHERE run_id = $1"""

UPSERT_RECEIPT = """
INSERT INTO receipt (run_id, offer_id, demand_line_id, outcome, accepted_milli, note,
    recorded_by, by_coordinator)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (run_id, offer_id, demand_line_id) DO UPDATE SET outcome = $4,
    accepted_milli = $5, note = $6, recorded_by = $7, by_coordinator = $8, recorded_at = now()"""


async def select_receipts(conn: Conn, run_id: UUID) -> dict[tuple[UUID, UUID], asyncpg.Record]:
    rows = await conn.fetch(SELECT_RECEIPTS, run_id)
    return {(row["offer_id"], row["demand_line_id"]): row for row in rows}


async def upsert_receipts(conn: Conn, rows: list[tuple[Any, ...]]) -> None:
    await conn.executemany(UPSERT_RECEIPT, rows)


# -- invoices ------------------------------------------------------------------------------

INVOICE_COLUMNS = """i.id, i.network_id, i.cycle_id, i.run_id, i.issuer_id, i.buyer_id,
    i.kind, i.purpose, i.number, i.corrects_id, i.issued_on, i.delivery_date, i.due_on,
    i.currency, i.net_ore, i.vat_ore, i.total_ore, i.ocr_reference, i.issuer, i.buyer,
    i.language, i.created_at,
    coalesce((SELECT sum(amount_ore) FROM payment p
              WHERE p.invoice_id = i.id AND p.kind = 'payment'), 0)::bigint AS paid_ore,
    coalesce((SELECT sum(amount_ore) FROM payment p
              WHERE p.invoice_id = i.id AND p.kind = 'write_off'), 0)::bigint AS written_off_ore,
    coalesce((SELECT sum(total_ore) FROM invoice n WHERE n.corrects_id = i.id), 0)::bigint
        AS credited_ore"""

NEXT_NUMBER = """
INSERT INTO invoice_counter (issuer_id, last_number) VALUES ($1, 1)
ON CONFLICT (issuer_id) DO UPDATE SET last_number = invoice_counter.last_number + 1
RETURNING last_number"""


class InvoiceRow(NamedTuple):
    id: UUID
    network_id: UUID
    cycle_id: UUID
    run_id: UUID
    issuer_id: UUID
    buyer_id: UUID
    kind: str
    purpose: str
    number: int
    corrects_id: UUID | None
    issued_on: dt.date
    delivery_date: dt.date
    due_on: dt.date
    currency: str
    net_ore: int
    vat_ore: int
    total_ore: int
    ocr_reference: str
    issuer: dict[str, Any]
    buyer: dict[str, Any]
    language: str
    issued_by: UUID | None


class InvoiceLineRow(NamedTuple):
    invoice_id: UUID
    line_no: int
    description: str
    unit: str
    quantity_milli: int
    unit_price_ore: int
    net_ore: int
    vat_rate_bp: int
    offer_id: UUID | None
    demand_line_id: UUID | None


class InvoiceVatRow(NamedTuple):
    invoice_id: UUID
    rate_bp: int
    taxable_ore: int
    vat_ore: int


INSERT_INVOICE = """
INSERT INTO invoice (id, network_id, cycle_id, run_id, issuer_id, buyer_id, kind, purpose,
    number, corrects_id, issued_on, delivery_date, due_on, currency, net_ore, vat_ore,
    total_ore, ocr_reference, issuer, buyer, language, issued_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
    $20, $21, $22)"""


async def next_number(conn: Conn, issuer_id: UUID) -> int:
    """The issuer's next invoice number; its counter row stays locked until commit."""
    number: int = await conn.fetchval(NEXT_NUMBER, issuer_id)
    return number


async def insert_invoice(
    conn: Conn, invoice: InvoiceRow, lines: list[InvoiceLineRow], vat: list[InvoiceVatRow]
) -> None:
    await conn.execute(INSERT_INVOICE, *invoice)
    await copy_rows(conn, "invoice_line", lines)
    await copy_rows(conn, "invoice_vat", vat)


# Books and settlement read every row of their filter; the listing caps itself ($7).
SELECT_INVOICES = f"""
SELECT {INVOICE_COLUMNS} FROM invoice i
WHERE ($1::uuid IS NULL OR i.run_id = $1)
  AND ($2::uuid IS NULL OR i.issuer_id = $2 OR i.buyer_id = $2)
  AND ($3::uuid[] IS NULL OR i.network_id = any($3::uuid[]))
  AND ($4::date IS NULL OR i.issued_on >= $4)
  AND ($5::date IS NULL OR i.issued_on <= $5)
  AND ($6::uuid IS NULL OR i.cycle_id = $6)
ORDER BY i.issued_on, i.issuer_id, i.number
LIMIT $7"""

SELECT_INVOICE = f"SELECT {INVOICE_COLUMNS} FROM invoice i WHERE i.id = $1"

LOCK_INVOICE = "SELECT id FROM invoice WHERE id = $1 FOR NO KEY UPDATE"

SELECT_LINES = """
SELECT invoice_id, line_no, description, unit, quantity_milli, unit_price_ore, net_ore,
       vat_rate_bp, offer_id, demand_line_id
FROM invoice_line WHERE invoice_id = any($1::uuid[]) ORDER BY invoice_id, line_no"""

SELECT_VAT = """
SELECT invoice_id, rate_bp, taxable_ore, vat_ore FROM invoice_vat
WHERE invoice_id = any($1::uuid[]) ORDER BY invoice_id, rate_bp DESC"""

COUNT_RUN_INVOICES = "SELECT count(*) FROM invoice WHERE run_id = $1 AND kind = 'invoice'"


async def select_invoices(
    conn: Conn,
    *,
    run_id: UUID | None = None,
    organisation_id: UUID | None = None,
    network_ids: list[UUID] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    cycle_id: UUID | None = None,
    limit: int | None = None,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        SELECT_INVOICES, run_id, organisation_id, network_ids, since, until, cycle_id, limit
    )


async def select_invoice(conn: Conn, invoice_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_INVOICE, invoice_id)


async def lock_invoice(conn: Conn, invoice_id: UUID) -> None:
    """Payments of one invoice take turns (so they never pay more than is open)."""
    await conn.execute(LOCK_INVOICE, invoice_id)


async def select_lines(conn: Conn, invoice_ids: list[UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_LINES, invoice_ids)


async def select_vat(conn: Conn, invoice_ids: list[UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_VAT, invoice_ids)


async def count_run_invoices(conn: Conn, run_id: UUID) -> int:
    count: int = await conn.fetchval(COUNT_RUN_INVOICES, run_id)
    return count


# -- payments ----------------------------------------------------------------------------

INSERT_PAYMENT = """
INSERT INTO payment (invoice_id, kind, amount_ore, paid_on, note, recorded_by)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id, invoice_id, kind, amount_ore, paid_on, note, created_at"""

SELECT_PAYMENTS = """
SELECT p.id, p.invoice_id, p.kind, p.amount_ore, p.paid_on, p.note, p.created_at,
       i.number AS invoice_number, i.issuer_id, i.buyer_id, i.network_id,
       i.issuer ->> 'legal_name' AS issuer_name, i.buyer ->> 'legal_name' AS buyer_name
FROM payment p JOIN invoice i ON i.id = p.invoice_id
WHERE (i.issuer_id = $1 OR i.buyer_id = $1)
  AND ($2::date IS NULL OR p.paid_on >= $2) AND ($3::date IS NULL OR p.paid_on <= $3)
ORDER BY p.paid_on, p.created_at, p.id"""


async def insert_payment(conn: Conn, invoice_id: UUID, values: list[Any]) -> asyncpg.Record:
    row = await conn.fetchrow(INSERT_PAYMENT, invoice_id, *values)
    assert row is not None
    return row


async def select_payments(
    conn: Conn, organisation_id: UUID, since: dt.date | None, until: dt.date | None
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_PAYMENTS, organisation_id, since, until)


SELECT_ORGANISATION = """
SELECT o.id, o.kind, o.name, array_agg(m.network_id) FILTER (WHERE m.network_id IS NOT NULL)
    AS network_ids
FROM organisation o LEFT JOIN membership m ON m.organisation_id = o.id
WHERE o.id = $1 GROUP BY o.id"""


async def select_organisation(conn: Conn, organisation_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_ORGANISATION, organisation_id)


# -- reminders of overdue invoices --------------------------------------------------------

# Invoices with something open past their due date (the day in their network's time
# zone, or $1), not reminded within the last $2 days, due within the last year (older
# ones are the coordinators' to chase): at most $3 of them, each claimed with its next
# reminder number (the rest on the next run). A second matcher running the same claim
# waits on the first one's rows, then finds the number taken (the primary key) and
# claims nothing.
CLAIM_REMINDERS = """
WITH due AS (
    SELECT i.id, i.total_ore
        + coalesce((SELECT sum(n.total_ore) FROM invoice n WHERE n.corrects_id = i.id), 0)
        - coalesce((SELECT sum(p.amount_ore) FROM payment p WHERE p.invoice_id = i.id), 0)
        AS open_ore,
        coalesce($1::date, (now() AT TIME ZONE n.timezone)::date) AS today
    FROM invoice i JOIN network n ON n.id = i.network_id
    WHERE i.kind = 'invoice' AND i.due_on < coalesce($1::date, current_date + 1)
      AND i.due_on >= coalesce($1::date, current_date) - 366
)
INSERT INTO invoice_reminder (invoice_id, reminder_no, reminded_on, open_ore)
SELECT d.id,
       1 + (SELECT count(*) FROM invoice_reminder r WHERE r.invoice_id = d.id),
       d.today, d.open_ore
FROM due d JOIN invoice i ON i.id = d.id
WHERE d.open_ore > 0 AND i.due_on < d.today
  AND NOT EXISTS (SELECT 1 FROM invoice_reminder r
                  WHERE r.invoice_id = d.id AND r.reminded_on > d.today - $2::integer)
ORDER BY i.due_on, d.id
LIMIT $3
ON CONFLICT DO NOTHING
RETURNING invoice_id, reminder_no"""


REMINDERS_PER_RUN = 500  # one run's mail; the hourly job takes the rest next time


async def claim_reminders(
    conn: Conn, interval_days: int, today: dt.date | None = None
) -> list[tuple[UUID, int]]:
    """The overdue invoices due a reminder now, claimed: (invoice id, reminder number)."""
    rows = await conn.fetch(CLAIM_REMINDERS, today, interval_days, REMINDERS_PER_RUN)
    return [(row["invoice_id"], row["reminder_no"]) for row in rows]
