"""Money over HTTP: invoicing details, receiving, invoices and credit notes, payments,
ledgers, SIE 4 files and a cycle's settlement. Handlers stay two lines."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter

from services.api.auth.guards import ANYONE, MANAGERS, NOTE_READERS, PICK_LIST_READERS
from services.api.core.openapi import StateDependentOperation
from services.api.deps import Books, CurrentActor, InvoiceDetails, Invoices, Receiving
from services.api.documents.controller import language_of, pdf_response
from services.api.invoices.schemas import (
    InvoiceOut,
    InvoicingIn,
    InvoicingOut,
    Issued,
    LedgerRow,
    NetworkInvoicingIn,
    NetworkInvoicingOut,
    PaymentIn,
    PaymentOut,
    ReceiptIn,
    Receipts,
    SettlementOut,
)
from services.api.runs.documents import csv_response, to_csv

PERIOD_NOTE = (
    "At most a year (366 days) at a time: without `from` and `to`, the last year up to "
    "today; with one of them, the year after `from` or before `to` (400 beyond). The "
    "running balance starts at zero on `from`."
)
# who records money against an invoice: its payee (a producer, or the network's
# coordinating organisation) or the network's coordinators; never a co-op, which only buys
PAYEES = PICK_LIST_READERS


class InvoiceController(Controller):
    path = "/v1"
    tags = ["money"]

    @get(
        "/organisations/{organisation_id:uuid}/invoicing",
        guards=[ANYONE],
        summary="What the organisation's invoices say about it",
    )
    async def get_details(
        self, organisation_id: FromPath[UUID], actor: CurrentActor, invoice_details: InvoiceDetails
    ) -> InvoicingOut:
        return await invoice_details.organisation(actor, organisation_id)

    @put(
        "/organisations/{organisation_id:uuid}/invoicing",
        guards=[ANYONE],
        summary="Set the legal name, numbers, address, payee accounts and terms",
        description="Organisation and VAT numbers, Bankgiro, Plusgiro, IBAN and BIC are "
        "checked by their published rules (400 naming the field).",
    )
    async def set_details(
        self,
        organisation_id: FromPath[UUID],
        data: JSONBody[InvoicingIn],
        actor: CurrentActor,
        invoice_details: InvoiceDetails,
    ) -> InvoicingOut:
        return await invoice_details.set_organisation(actor, organisation_id, data)

    @get(
        "/networks/{network_id:uuid}/invoicing",
        guards=[ANYONE],
        summary="How the network sells, its VAT rules and its account map",
    )
    async def get_network(
        self, network_id: FromPath[UUID], actor: CurrentActor, invoice_details: InvoiceDetails
    ) -> NetworkInvoicingOut:
        return await invoice_details.network(actor, network_id)

    @put(
        "/networks/{network_id:uuid}/invoicing",
        guards=[MANAGERS],
        summary="Set direct or through-the-network sales, VAT rules, the receiving deadline",
    )
    async def set_network(
        self,
        network_id: FromPath[UUID],
        data: JSONBody[NetworkInvoicingIn],
        actor: CurrentActor,
        invoice_details: InvoiceDetails,
    ) -> NetworkInvoicingOut:
        return await invoice_details.set_network(actor, network_id, data)

    @get(
        "/runs/{run_id:uuid}/receipts",
        guards=[NOTE_READERS],
        operation_class=StateDependentOperation,
        summary="What arrived of each delivered line (a co-op: its own)",
    )
    async def get_receipts(
        self, run_id: FromPath[UUID], actor: CurrentActor, receiving: Receiving
    ) -> Receipts:
        return await receiving.receipts(actor, run_id)

    @put(
        "/runs/{run_id:uuid}/receipts",
        guards=[NOTE_READERS],
        summary="Confirm what arrived: as planned, short, damaged or weighed",
        description="A co-op, from the delivery date until the network's deadline; a "
        "coordinator corrects any line after the delivery date.",
    )
    async def record_receipts(
        self,
        run_id: FromPath[UUID],
        data: JSONBody[ReceiptIn],
        actor: CurrentActor,
        receiving: Receiving,
    ) -> Receipts:
        return await receiving.record(actor, run_id, data)

    @post(
        "/runs/{run_id:uuid}/invoices",
        guards=[MANAGERS],
        status_code=200,
        summary="Issue a published run's invoices (again: the same ones)",
    )
    async def issue(
        self, run_id: FromPath[UUID], actor: CurrentActor, invoices: Invoices
    ) -> Issued:
        return await invoices.issue(actor, run_id)

    @get(
        "/runs/{run_id:uuid}/invoices",
        guards=[ANYONE],
        summary="A run's invoices and credit notes (a producer or co-op: its own)",
    )
    async def of_run(
        self, run_id: FromPath[UUID], actor: CurrentActor, invoices: Invoices
    ) -> list[InvoiceOut]:
        return await invoices.of_run(actor, run_id)

    @post(
        "/runs/{run_id:uuid}/credit-notes",
        guards=[MANAGERS],
        status_code=200,
        summary="Issue the credit notes the run's receipts call for",
    )
    async def credit(
        self, run_id: FromPath[UUID], actor: CurrentActor, invoices: Invoices
    ) -> Issued:
        return await invoices.credit(actor, run_id)

    @get(
        "/invoices",
        guards=[ANYONE],
        summary="Invoices you issued or received",
        description="The first 1,000 of the period in date order; narrow it with `from` and "
        "`to`. Coordinators see their networks'.",
    )
    async def list_invoices(
        self,
        actor: CurrentActor,
        invoices: Invoices,
        organisation_id: Annotated[UUID | None, QueryParameter()] = None,
        since: Annotated[dt.date | None, QueryParameter(name="from")] = None,
        until: Annotated[dt.date | None, QueryParameter(name="to")] = None,
    ) -> list[InvoiceOut]:
        return await invoices.list_invoices(actor, organisation_id, since, until)

    @get("/invoices/{invoice_id:uuid}", guards=[ANYONE], summary="One invoice with its lines")
    async def get_invoice(
        self, invoice_id: FromPath[UUID], actor: CurrentActor, invoices: Invoices
    ) -> InvoiceOut:
        return await invoices.get(actor, invoice_id)

    @get(
        "/invoices/{invoice_id:uuid}/invoice.html",
        guards=[ANYONE],
        summary="The invoice as a printable page, in the buyer's language",
        media_type="text/html; charset=utf-8",
    )
    async def printable(
        self, invoice_id: FromPath[UUID], actor: CurrentActor, invoices: Invoices
    ) -> Response[str]:
        page = await invoices.printable(actor, invoice_id)
        return Response(page, media_type="text/html; charset=utf-8")

    @get(
        "/invoices/{invoice_id:uuid}/invoice.pdf",
        guards=[ANYONE],
        summary="The invoice as a PDF, in the buyer's language",
        media_type="application/pdf",
    )
    async def invoice_pdf(
        self, invoice_id: FromPath[UUID], actor: CurrentActor, invoices: Invoices
    ) -> Response[bytes]:
        document, filename = await invoices.pdf(actor, invoice_id)
        return pdf_response(document, filename)

    @get(
        "/invoices.csv",
        guards=[ANYONE],
        summary="The invoices of `GET /v1/invoices` as a CSV for a spreadsheet",
        description="Semicolons, UTF-8 with a byte order mark, amounts in kronor with a "
        "decimal comma in Swedish (the language `Accept-Language` asks for, Swedish by "
        "default). The same first 1,000 of the period as the listing.",
        media_type="text/csv; charset=utf-8",
    )
    async def invoices_csv(
        self,
        request: Request[Any, Any, Any],
        actor: CurrentActor,
        invoices: Invoices,
        organisation_id: Annotated[UUID | None, QueryParameter()] = None,
        since: Annotated[dt.date | None, QueryParameter(name="from")] = None,
        until: Annotated[dt.date | None, QueryParameter(name="to")] = None,
    ) -> Response[str]:
        text = await invoices.spreadsheet(
            actor, organisation_id, since, until, language_of(request)
        )
        return csv_response(text, "invoices.csv", bom=True)

    @post(
        "/invoices/{invoice_id:uuid}/payments",
        guards=[PAYEES],
        summary="Record a payment or a write-off (by the payee or a coordinator)",
    )
    async def pay(
        self,
        invoice_id: FromPath[UUID],
        data: JSONBody[PaymentIn],
        actor: CurrentActor,
        invoices: Invoices,
    ) -> PaymentOut:
        return await invoices.pay(actor, invoice_id, data)

    @get(
        "/organisations/{organisation_id:uuid}/ledger",
        guards=[ANYONE],
        summary="Invoices, credit notes and payments with the running balance",
        description=PERIOD_NOTE,
    )
    async def ledger(
        self,
        organisation_id: FromPath[UUID],
        actor: CurrentActor,
        books: Books,
        since: Annotated[dt.date | None, QueryParameter(name="from")] = None,
        until: Annotated[dt.date | None, QueryParameter(name="to")] = None,
    ) -> list[LedgerRow]:
        return await books.ledger(actor, organisation_id, since, until)

    @get(
        "/organisations/{organisation_id:uuid}/ledger.csv",
        guards=[ANYONE],
        summary="The ledger as CSV",
        description=PERIOD_NOTE,
        media_type="text/csv; charset=utf-8",
    )
    async def ledger_csv(
        self,
        organisation_id: FromPath[UUID],
        actor: CurrentActor,
        books: Books,
        since: Annotated[dt.date | None, QueryParameter(name="from")] = None,
        until: Annotated[dt.date | None, QueryParameter(name="to")] = None,
    ) -> Response[str]:
        rows = await books.ledger(actor, organisation_id, since, until)
        return csv_response(to_csv(rows), f"ledger-{organisation_id}.csv")

    @get(
        "/organisations/{organisation_id:uuid}/sie",
        guards=[ANYONE],
        operation_class=StateDependentOperation,
        summary="The period's verifications as a SIE 4 file (code page 437)",
        description="409 until the organisation has invoicing details; `from` and `to` "
        "lie in one calendar year (400 otherwise).",
        media_type="text/plain; charset=cp437",
    )
    async def sie(
        self,
        organisation_id: FromPath[UUID],
        actor: CurrentActor,
        books: Books,
        since: Annotated[dt.date, QueryParameter(name="from")],
        until: Annotated[dt.date, QueryParameter(name="to")],
    ) -> Response[bytes]:
        data, filename = await books.sie(actor, organisation_id, since, until)
        disposition = f'attachment; filename="{filename}"'
        return Response(
            data,
            media_type="text/plain; charset=cp437",
            headers={"Content-Disposition": disposition},
        )

    @get(
        "/cycles/{cycle_id:uuid}/settlement",
        guards=[MANAGERS],
        summary="Who owes whom for the cycle, pair by pair or through the network",
    )
    async def settlement(
        self, cycle_id: FromPath[UUID], actor: CurrentActor, books: Books
    ) -> SettlementOut:
        return await books.settlement(actor, cycle_id)
