"""Invoices and credit notes of a published run, and the payments against them.

The shell around the pure computations (engine/settlement): load the run's rows, call
``run_invoices`` or ``credit_notes``, and store the drafts with their numbers in one
transaction. Issuing a run twice issues nothing more (the run's row lock and a unique
index); numbers come from each issuer's counter row, locked until commit, so they are
unique and gap-free however many runs are invoiced at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from services.api.auth.actor import Actor, Role
from services.api.core.audit import record
from services.api.invoices import access
from services.api.invoices.printable import render_invoice
from services.api.invoices.schemas import (
    InvoiceLineOut,
    InvoiceOut,
    Issued,
    PaymentIn,
    PaymentOut,
    VatTotalOut,
)
from services.matcher.engine.settlement.invoices import (
    Draft,
    IssuedInvoice,
    IssuedLine,
    MissingInvoicerError,
    Purchase,
    SalesMode,
    Terms,
    TransportCharge,
    credit_notes,
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
from shared.contracts.invoices import InvoiceKind, InvoiceStatus
from shared.db import invoices as invoices_db
from shared.db.pool import Conn
from shared.db.rows import as_struct
from shared.errors import ConflictError, TenantDeniedError, UnprocessableError

LIST_LIMIT = 1000  # the first of the period; narrow it with `from` and `to`
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


class InvoiceService:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self._details: dict[UUID, asyncpg.Record] = {}  # the parties of what is issued

    async def issue(self, actor: Actor, run_id: UUID) -> Issued:
        """Every invoice of a published run; a second call returns the same ones."""
        run = await self._coordinated_run(actor, run_id)
        network = await invoices_db.select_network(self.conn, run["network_id"])
        assert network is not None
        async with self.conn.transaction():
            await invoices_db.lock_run(self.conn, run_id)
            if await invoices_db.count_run_invoices(self.conn, run_id):
                created = 0
            else:
                drafts = await self._drafts(run, network)
                await self._store(actor, run, network, drafts, InvoiceKind.INVOICE)
                created = len(drafts)
            await record(  # asked again, the answer is the same invoices: recorded too
                self.conn,
                actor,
                "invoice.issue",
                "match_run",
                run_id,
                network_id=run["network_id"],
                detail={"invoices": created},
            )
        return Issued(run_id=run_id, created=created, invoices=await self.of_run(actor, run_id))

    async def credit(self, actor: Actor, run_id: UUID) -> Issued:
        """The credit notes the run's receipts call for and earlier ones did not give."""
        run = await self._coordinated_run(actor, run_id)
        network = await invoices_db.select_network(self.conn, run["network_id"])
        assert network is not None
        async with self.conn.transaction():
            await invoices_db.lock_run(self.conn, run_id)
            rows = await invoices_db.select_invoices(self.conn, run_id=run_id)
            if not any(row["kind"] == InvoiceKind.INVOICE for row in rows):
                raise ConflictError("the run has no invoices yet: issue them first")
            lines = await invoices_db.select_lines(self.conn, [row["id"] for row in rows])
            receipts = await invoices_db.select_receipts(self.conn, run_id)
            accepted = {key: receipt["accepted_milli"] for key, receipt in receipts.items()}
            drafts = credit_notes(_issued(rows, lines), accepted)
            await self._store(actor, run, network, drafts, InvoiceKind.CREDIT_NOTE)
            await record(
                self.conn,
                actor,
                "invoice.credit",
                "match_run",
                run_id,
                network_id=run["network_id"],
                detail={"credit_notes": len(drafts)},
            )
        return Issued(run_id=run_id, created=len(drafts), invoices=await self.of_run(actor, run_id))

    async def of_run(self, actor: Actor, run_id: UUID) -> list[InvoiceOut]:
        run = await access.run(self.conn, actor, run_id)
        mine = None if actor.coordinates(run["network_id"]) else actor.organisation_id
        rows = await invoices_db.select_invoices(self.conn, run_id=run_id, organisation_id=mine)
        return await self._out(rows)

    async def list_invoices(
        self,
        actor: Actor,
        organisation_id: UUID | None,
        since: dt.date | None,
        until: dt.date | None,
    ) -> list[InvoiceOut]:
        """Invoices the actor may see: its own organisation's, or its networks'."""
        networks: list[UUID] | None = None
        if not actor.is_admin:
            if actor.role is Role.COORDINATOR:
                networks = sorted(actor.network_ids)
            elif organisation_id not in (None, actor.organisation_id):
                return []  # a list shows only what the caller may see
            else:
                organisation_id = actor.organisation_id
        rows = await invoices_db.select_invoices(
            self.conn,
            organisation_id=organisation_id,
            network_ids=networks,
            since=since,
            until=until,
            limit=LIST_LIMIT,
        )
        return await self._out(rows, with_lines=False)

    async def get(self, actor: Actor, invoice_id: UUID) -> InvoiceOut:
        row = access.invoice(actor, await invoices_db.select_invoice(self.conn, invoice_id))
        (out,) = await self._out([row])
        return out

    async def printable(self, actor: Actor, invoice_id: UUID) -> str:
        """The invoice as a printable page in its buyer's language."""
        invoice = await self.get(actor, invoice_id)
        corrected = None
        if invoice.corrects_id is not None:
            original = await invoices_db.select_invoice(self.conn, invoice.corrects_id)
            corrected = original["number"] if original else None
        return render_invoice(invoice, corrected)

    async def pay(self, actor: Actor, invoice_id: UUID, data: PaymentIn) -> PaymentOut:
        """Record money received (or written off) against an invoice: by the network's
        coordinators or by the payee, never by the one who owes it."""
        row = access.invoice(actor, await invoices_db.select_invoice(self.conn, invoice_id))
        if not (actor.coordinates(row["network_id"]) or actor.organisation_id == row["issuer_id"]):
            raise TenantDeniedError("no such invoice")  # the buyer may not mark itself paid
        if row["kind"] != InvoiceKind.INVOICE:
            raise ConflictError("a credit note is settled by its invoice, not paid")
        async with self.conn.transaction():
            await invoices_db.lock_invoice(self.conn, invoice_id)
            locked = await invoices_db.select_invoice(self.conn, invoice_id)
            assert locked is not None
            open_ore = _open(locked)
            if open_ore <= 0:
                raise ConflictError("nothing is open on this invoice", status=_status(locked))
            amount = data.amount_ore or open_ore
            if amount > open_ore:
                raise UnprocessableError(
                    f"`amount_ore` {amount} is more than the {open_ore} öre still open",
                    field="amount_ore",
                )
            payment = await invoices_db.insert_payment(
                self.conn,
                invoice_id,
                [data.kind.value, amount, data.paid_on, data.note, actor.person_id],
            )
            await record(
                self.conn,
                actor,
                f"invoice.{data.kind.value}",
                "invoice",
                invoice_id,
                network_id=row["network_id"],
                detail={"amount_ore": amount},
            )
        return as_struct(payment, PaymentOut)

    # -- the shell around the engine ------------------------------------------------------

    async def _coordinated_run(self, actor: Actor, run_id: UUID) -> asyncpg.Record:
        run = await access.run(self.conn, actor, run_id)
        if not actor.coordinates(run["network_id"]):
            raise TenantDeniedError("no such run")
        if run["state"] != "published":
            raise ConflictError(f"the run is {run['state']}: only a published run is invoiced")
        return run

    async def _drafts(self, run: asyncpg.Record, network: asyncpg.Record) -> list[Draft]:
        purchases = [
            Purchase(
                **{name: row[name] for name in Purchase.__struct_fields__ if name != "vat_class"},
                vat_class=vat_class_of(row["category"], CATEGORY_VAT_CLASS),
            )
            for row in await invoices_db.select_purchases(self.conn, run["id"])
        ]
        transport = [
            TransportCharge(payer_id=payer, amount_ore=amount)
            for payer, amount in (await invoices_db.select_transport(self.conn, run["id"])).items()
        ]
        parties = {p.producer_id for p in purchases} | {p.coop_id for p in purchases}
        parties |= {charge.payer_id for charge in transport if charge.amount_ore}
        if network["invoicing_organisation_id"]:
            parties.add(network["invoicing_organisation_id"])
        details = await invoices_db.select_details(self.conn, sorted(parties))
        overrides = [
            VatRule(
                vat_class=r["vat_class"], effective_from=r["effective_from"], rate_bp=r["rate_bp"]
            )
            for r in await invoices_db.select_vat_rates(self.conn, run["network_id"])
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
            raise ConflictError(f"{error}: add the rate to the network's VAT rules") from None
        involved = {d.issuer_id for d in drafts} | {d.buyer_id for d in drafts}
        if missing := sorted(involved - set(details), key=str):
            raise ConflictError(
                "these organisations have no invoicing details yet: "
                + ", ".join(str(org) for org in missing),
                organisations=[str(org) for org in missing],
            )
        self._details = details
        return drafts

    async def _store(
        self,
        actor: Actor,
        run: asyncpg.Record,
        network: asyncpg.Record,
        drafts: list[Draft],
        kind: InvoiceKind,
    ) -> None:
        if not drafts:
            return
        if kind is InvoiceKind.CREDIT_NOTE:
            self._details = await invoices_db.select_details(
                self.conn, sorted({d.issuer_id for d in drafts} | {d.buyer_id for d in drafts})
            )
        today = access.today(network["timezone"])
        for draft in sorted(drafts, key=lambda d: (str(d.issuer_id), str(d.buyer_id))):
            issuer, buyer = self._party(draft.issuer_id), self._party(draft.buyer_id)
            number = await invoices_db.next_number(self.conn, draft.issuer_id)
            invoice_id = uuid.uuid4()
            days = self._details[draft.issuer_id]["payment_terms_days"]
            terms = 0 if kind is InvoiceKind.CREDIT_NOTE else int(days)
            await invoices_db.insert_invoice(
                self.conn,
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
                    due_on=today + dt.timedelta(days=terms),
                    currency=network["currency"],
                    net_ore=draft.net_ore,
                    vat_ore=draft.vat_ore,
                    total_ore=draft.total_ore,
                    ocr_reference=ocr_reference(number),
                    issuer=issuer,
                    buyer=buyer,
                    language=str(self._details[draft.buyer_id]["language"]),
                    issued_by=actor.person_id,
                ),
                [
                    invoices_db.InvoiceLineRow(invoice_id, n, *_line_values(line))
                    for n, line in enumerate(draft.lines, start=1)
                ],
                [
                    invoices_db.InvoiceVatRow(invoice_id, t.rate_bp, t.taxable_ore, t.vat_ore)
                    for t in draft.vat
                ],
            )

    def _party(self, organisation_id: UUID) -> dict[str, Any]:
        row = self._details.get(organisation_id)
        if row is None:
            raise ConflictError(f"organisation {organisation_id} has no invoicing details yet")
        return {name: row[name] for name in PARTY_FIELDS}

    async def _out(self, rows: list[asyncpg.Record], with_lines: bool = True) -> list[InvoiceOut]:
        ids = [row["id"] for row in rows]
        vat: dict[UUID, list[VatTotalOut]] = defaultdict(list)
        lines: dict[UUID, list[InvoiceLineOut]] = defaultdict(list)
        for total in await invoices_db.select_vat(self.conn, ids):
            vat[total["invoice_id"]].append(as_struct(total, VatTotalOut))
        if with_lines:
            for line in await invoices_db.select_lines(self.conn, ids):
                lines[line["invoice_id"]].append(as_struct(line, InvoiceLineOut))
        return [
            as_struct(
                row,
                InvoiceOut,
                status=_status(row),
                open_ore=max(0, _open(row)),
                vat=vat[row["id"]],
                lines=lines[row["id"]],
            )
            for row in rows
        ]


def _line_values(line: Any) -> tuple[Any, ...]:
    return (
        line.description[:500],
        line.unit,
        line.quantity_milli,
        line.unit_price_ore,
        line.net_ore,
        line.vat_rate_bp,
        line.offer_id,
        line.demand_line_id,
    )


def _open(row: asyncpg.Record) -> int:
    """What is still owed: the total less credit notes, payments and write-offs."""
    return int(row["total_ore"] + row["credited_ore"] - row["paid_ore"] - row["written_off_ore"])


def _status(row: asyncpg.Record) -> InvoiceStatus:
    if row["kind"] == InvoiceKind.CREDIT_NOTE:
        return InvoiceStatus.CREDIT_NOTE
    if row["total_ore"] + row["credited_ore"] <= 0 and row["total_ore"] > 0:
        return InvoiceStatus.CREDITED
    if _open(row) <= 0:
        return InvoiceStatus.WRITTEN_OFF if row["written_off_ore"] else InvoiceStatus.PAID
    return InvoiceStatus.PARTLY_PAID if row["paid_ore"] else InvoiceStatus.UNPAID


def _issued(rows: list[asyncpg.Record], lines: list[asyncpg.Record]) -> list[IssuedInvoice]:
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
