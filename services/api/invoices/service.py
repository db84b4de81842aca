"""Invoices and credit notes of a published run, and the payments against them.

The shell around the pure computations (engine/settlement): load the run's rows, call
``run_invoices`` or ``credit_notes``, and store the drafts with their numbers in one
transaction. Issuing a run twice issues nothing more (the run's row lock and a unique
index); numbers come from each issuer's counter row, locked until commit, so they are
unique and gap-free however many runs are invoiced at once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from uuid import UUID

import asyncpg
from anyio import to_thread

from services.api.auth.actor import Actor, Role
from services.api.core.audit import record
from services.api.invoices import access, issuing
from services.api.invoices.printable import invoice_pdf, invoice_rows, render_invoice
from services.api.invoices.schemas import (
    InvoiceLineOut,
    InvoiceOut,
    Issued,
    PaymentIn,
    PaymentOut,
    VatTotalOut,
)
from services.api.runs.documents import to_csv
from services.matcher.engine.settlement.invoices import (
    credit_notes,
)
from shared.contracts.invoices import Balance, InvoiceKind
from shared.db import invoices as invoices_db
from shared.db.pool import Conn
from shared.db.rows import as_struct
from shared.errors import ConflictError, TenantDeniedError, Term, UnprocessableError

LIST_LIMIT = 1000  # the first of the period; narrow it with `from` and `to`


class InvoiceService:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

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
                drafts = await issuing.run_drafts(self.conn, run, network)
                await issuing.store(self.conn, actor, run, network, drafts, InvoiceKind.INVOICE)
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
            drafts = credit_notes(issuing.issued_invoices(rows, lines), accepted)
            await issuing.store(self.conn, actor, run, network, drafts, InvoiceKind.CREDIT_NOTE)
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
        return render_invoice(*await self._with_corrected(actor, invoice_id))

    async def pdf(self, actor: Actor, invoice_id: UUID) -> tuple[bytes, str]:
        """The invoice as a PDF in its buyer's language, and the file's name."""
        invoice, corrected = await self._with_corrected(actor, invoice_id)
        document = await to_thread.run_sync(invoice_pdf, invoice, corrected)
        kind = "kreditfaktura" if invoice.kind is InvoiceKind.CREDIT_NOTE else "faktura"
        return document, f"{kind}-{invoice.number}-{invoice.id}.pdf"

    async def spreadsheet(
        self,
        actor: Actor,
        organisation_id: UUID | None,
        since: dt.date | None,
        until: dt.date | None,
        language: str,
    ) -> str:
        """The invoices the listing shows, as a CSV for a Swedish spreadsheet:
        semicolons, decimal commas in Swedish, headed in ``language``."""
        header, rows = invoice_rows(
            await self.list_invoices(actor, organisation_id, since, until), language
        )
        return to_csv(rows, delimiter=";", header=header) or ";".join(header) + "\r\n"

    async def _with_corrected(
        self, actor: Actor, invoice_id: UUID
    ) -> tuple[InvoiceOut, int | None]:
        """The invoice with its lines, and the number of the invoice it credits."""
        invoice = await self.get(actor, invoice_id)
        corrected = None
        if invoice.corrects_id is not None:
            original = await invoices_db.select_invoice(self.conn, invoice.corrects_id)
            corrected = original["number"] if original else None
        return invoice, corrected

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
            balance = _balance(locked)
            open_ore = balance.open_ore
            if open_ore <= 0:
                raise ConflictError(
                    "nothing is open on this invoice", invoice_status=balance.status
                )
            amount = data.amount_ore or open_ore
            if amount > open_ore:
                raise UnprocessableError(
                    "`amount_ore` {amount} is more than the {open} öre still open",
                    values={"amount": amount, "open": open_ore},
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
            raise ConflictError(
                "the run is {state}: only a published run is invoiced",
                values={"state": Term(run["state"])},
            )
        return run

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
                status=_balance(row).status,
                open_ore=max(0, _balance(row).open_ore),
                vat=vat[row["id"]],
                lines=lines[row["id"]],
            )
            for row in rows
        ]


def _balance(row: asyncpg.Record) -> Balance:
    return as_struct(row, Balance)
