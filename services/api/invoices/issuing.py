"""Issuing: a published run's rows become drafts (engine/settlement), drafts become
numbered invoices and credit notes. Called inside the issuing transaction, which holds
the run's row lock and, as each number is taken, its issuer's counter row."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from services.api.auth.actor import Actor
from services.api.invoices import access
from services.matcher.engine.settlement.invoices import (
    Draft,
    DraftLine,
    IssuedInvoice,
    IssuedLine,
    MissingInvoicerError,
    Purchase,
    SalesMode,
    Terms,
    TransportCharge,
    run_invoices,
)
from services.matcher.engine.settlement.ocr import ocr_reference
from services.matcher.engine.settlement.vat import (
    SWEDISH_RATES,
    NoRateError,
    VatRule,
    merged,
    vat_class_of,
)
from shared.contracts.catalogue import CATEGORY_VAT_CLASS
from shared.contracts.invoices import InvoiceKind
from shared.db import invoices as invoices_db
from shared.db.pool import Conn
from shared.errors import ConflictError

# What an invoice keeps of each party's details as they were when it was issued.
PARTY_FIELDS = (
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
)


async def run_drafts(conn: Conn, run: asyncpg.Record, network: asyncpg.Record) -> list[Draft]:
    """The run's invoices as drafts; 409 naming what the network or a party lacks."""
    purchases = [
        Purchase(
            **{name: row[name] for name in Purchase.__struct_fields__ if name != "vat_class"},
            vat_class=vat_class_of(row["category"], CATEGORY_VAT_CLASS),
        )
        for row in await invoices_db.select_purchases(conn, run["id"])
    ]
    transport = [
        TransportCharge(payer_id=payer, amount_ore=amount)
        for payer, amount in (await invoices_db.select_transport(conn, run["id"])).items()
    ]
    parties = {p.producer_id for p in purchases} | {p.coop_id for p in purchases}
    parties |= {charge.payer_id for charge in transport if charge.amount_ore}
    if network["invoicing_organisation_id"]:
        parties.add(network["invoicing_organisation_id"])
    details = await invoices_db.select_details(conn, sorted(parties))
    overrides = [
        VatRule(vat_class=r["vat_class"], effective_from=r["effective_from"], rate_bp=r["rate_bp"])
        for r in await invoices_db.select_vat_rates(conn, run["network_id"])
    ]
    terms = Terms(
        sales_mode=SalesMode(network["sales_mode"]),
        network_org_id=network["invoicing_organisation_id"],
        delivery_date=run["delivery_date"],
        rules=merged(SWEDISH_RATES, overrides),
        vat_exempt=frozenset(o for o, d in details.items() if d["vat_exempt"]),
    )
    try:
        drafts = run_invoices(purchases, transport, terms)
    except MissingInvoicerError:
        raise ConflictError(
            "the network names no organisation that invoices transport: set "
            "`invoicing_organisation_id` in its invoicing settings"
        ) from None
    except NoRateError as error:
        raise ConflictError(
            "no VAT rate for `{vat_class}` on {day}: add the rate to the network's VAT rules",
            values={"vat_class": error.vat_class, "day": error.day},
        ) from None
    involved = {d.issuer_id for d in drafts} | {d.buyer_id for d in drafts}
    if missing := sorted(involved - set(details), key=str):
        raise ConflictError(
            "these organisations have no invoicing details yet: {ids}",
            values={"ids": ", ".join(str(org) for org in missing)},
            organisations=[str(org) for org in missing],
        )
    return drafts


async def store(
    conn: Conn,
    actor: Actor,
    run: asyncpg.Record,
    network: asyncpg.Record,
    drafts: list[Draft],
    kind: InvoiceKind,
) -> None:
    """Number and store the drafts, each issuer's in turn (its counter row stays locked
    until the transaction ends: numbers unique and gap-free)."""
    if not drafts:
        return
    involved = sorted({d.issuer_id for d in drafts} | {d.buyer_id for d in drafts}, key=str)
    details = await invoices_db.select_details(conn, involved)
    if missing := [org for org in involved if org not in details]:
        raise ConflictError(
            "organisation {id} has no invoicing details yet", values={"id": str(missing[0])}
        )
    today = access.today(network["timezone"])
    for draft in sorted(drafts, key=lambda d: (str(d.issuer_id), str(d.buyer_id))):
        number = await invoices_db.next_number(conn, draft.issuer_id)
        invoice_id = uuid.uuid4()
        days = (
            0 if kind is InvoiceKind.CREDIT_NOTE else details[draft.issuer_id]["payment_terms_days"]
        )
        await invoices_db.insert_invoice(
            conn,
            invoices_db.InvoiceRow(
                id=invoice_id,
                network_id=run["network_id"],
                cycle_id=run["cycle_id"],
                run_id=run["id"],
                issuer_id=draft.issuer_id,
                buyer_id=draft.buyer_id,
                kind=kind.value,
                purpose=draft.purpose.value,
                number=number,
                corrects_id=draft.corrects,
                issued_on=today,
                delivery_date=run["delivery_date"],
                due_on=today + dt.timedelta(days=int(days)),
                currency=network["currency"],
                net_ore=draft.net_ore,
                vat_ore=draft.vat_ore,
                total_ore=draft.total_ore,
                ocr_reference=ocr_reference(number),
                issuer=_party(details[draft.issuer_id]),
                buyer=_party(details[draft.buyer_id]),
                language=str(details[draft.buyer_id]["language"]),
                issued_by=actor.person_id,
            ),
            [_line_row(invoice_id, n, line) for n, line in enumerate(draft.lines, start=1)],
            [
                invoices_db.InvoiceVatRow(invoice_id, t.rate_bp, t.taxable_ore, t.vat_ore)
                for t in draft.vat
            ],
        )


def _party(row: asyncpg.Record) -> dict[str, Any]:
    return {name: row[name] for name in PARTY_FIELDS}


def _line_row(invoice_id: UUID, line_no: int, line: DraftLine) -> invoices_db.InvoiceLineRow:
    return invoices_db.InvoiceLineRow(
        invoice_id=invoice_id,
        line_no=line_no,
        description=line.description[:500],
        unit=line.unit,
        quantity_milli=line.quantity_milli,
        unit_price_ore=line.unit_price_ore,
        net_ore=line.net_ore,
        vat_rate_bp=line.vat_rate_bp,
        offer_id=line.offer_id,
        demand_line_id=line.demand_line_id,
    )


def issued_invoices(rows: list[asyncpg.Record], lines: list[asyncpg.Record]) -> list[IssuedInvoice]:
    """The run's goods invoices with their lines and what credit notes took off each."""
    by_invoice: dict[UUID, list[asyncpg.Record]] = defaultdict(list)
    for line in lines:
        by_invoice[line["invoice_id"]].append(line)
    credited: dict[UUID, dict[tuple[UUID, UUID], int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        if row["kind"] == InvoiceKind.CREDIT_NOTE:
            for line in by_invoice[row["id"]]:
                key = (line["offer_id"], line["demand_line_id"])
                credited[row["corrects_id"]][key] -= line["net_ore"]
    return [
        IssuedInvoice(
            id=row["id"],
            issuer_id=row["issuer_id"],
            buyer_id=row["buyer_id"],
            lines=tuple(
                msgspec.convert(dict(line.items()), IssuedLine)
                for line in by_invoice[row["id"]]
                if line["offer_id"] is not None
            ),
            credited_ore=dict(credited[row["id"]]),
        )
        for row in rows
        if row["kind"] == InvoiceKind.INVOICE and row["purpose"] == "goods"
    ]
