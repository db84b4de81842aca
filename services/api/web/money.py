"""An organisation's money on the pages: its invoicing details, its invoices and credit
notes (to print, as PDF, as a spreadsheet), recording a payment or a write-off, and its
ledger with the SIE 4 file for its accountant.

Forms become the API's own structs (``InvoicingIn``, ``PaymentIn``) and go to the
services the API uses; each mistake is named beside its field, and what was typed is
kept. Recording money can't be undone, so the payment form asks before it records.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from services.api.auth.actor import Actor, Role
from services.api.auth.guards import ANYONE
from services.api.core import numbers
from services.api.deps import Books, CurrentActor, InvoiceDetails, Invoices
from services.api.documents.controller import HTML, pdf_response
from services.api.invoices import access, identifiers
from services.api.invoices.books import ledger_period
from services.api.invoices.schemas import InvoiceOut, InvoicingIn, PaymentIn
from services.api.runs.documents import csv_response, to_csv
from services.api.web.pages import back, language_of, page, said, same_site
from services.api.web.setup_forms import FormError
from shared.contracts.invoices import InvoiceKind, PaymentKind
from shared.db.invoices import DETAIL_FIELDS  # the form's fields are the details stored
from shared.errors import NotFoundError, SamlastError

Req = Request[Any, Any, Any]
Since = Annotated[dt.date | None, QueryParameter(name="from")]
Until = Annotated[dt.date | None, QueryParameter(name="to")]
INVOICING = "/app/invoicing"
INVOICES = "/app/invoices"
CHANGED_SINCE = "the invoice changed since you confirmed; nothing was recorded: look at it again"
LEDGER = "/app/ledger"
IDENTIFIERS = {
    "org_number": identifiers.org_number,
    "vat_number": identifiers.vat_number,
    "bankgiro": identifiers.bankgiro,
    "plusgiro": identifiers.plusgiro,
    "iban": identifiers.iban_number,
    "bic": identifiers.bic_code,
}
MESSAGES = {
    "legal_name": "write the legal name, at most 200 characters",
    "billing_address": "write the billing address, at most 500 characters",
    "org_number": "not a valid organisation number, like 556016-0680",
    "vat_number": "not a valid Swedish VAT number, like SE556016068001",
    "bankgiro": "not a valid Bankgiro number, like 5050-1055",
    "plusgiro": "not a valid Plusgiro number, like 4789-2",
    "iban": "not a valid IBAN, like SE45 5000 0000 0583 9825 7466",
    "bic": "not a valid BIC, like ESSESESS",
    "payment_terms_days": "a whole number of days from 0 to 120",
    "vat_exempt_statement": "say why your invoices carry no VAT, at most 300 characters",
    "numbers": "give the organisation number or the VAT number",
    "language": "choose a language",
    "kind": "choose what happened",
    "amount": "an amount in kronor, like 250,50, at most what is open",
    "paid_on": "a date, not after today",
    "note": "at most 200 characters",
    "period": "a period of at most a year, its end not before its start",
}
PAYMENT_KINDS = ("paid", "partly", "write_off")


def _organisation(actor: Actor) -> UUID:
    if actor.organisation_id is None:
        raise NotFoundError("act for an organisation to see its money")
    return actor.organisation_id


class MoneyPages(Controller):
    path = "/app"
    guards = [ANYONE]
    include_in_schema = False

    # -- invoicing details -----------------------------------------------------------------

    @get("/invoicing")
    async def invoicing(
        self, request: Req, actor: CurrentActor, invoice_details: InvoiceDetails
    ) -> Template:
        organisation_id = _organisation(actor)
        try:
            found = await invoice_details.organisation(actor, organisation_id)
            values = {name: str(getattr(found, name)) for name in DETAIL_FIELDS}
            values["vat_exempt"] = "on" if found.vat_exempt else ""
        except NotFoundError:
            values = {"payment_terms_days": "30", "language": "sv"}
        return page(request, "invoicing", values=values, errors={})

    @post("/invoicing", status_code=303)
    async def save_invoicing(
        self, request: Req, actor: CurrentActor, invoice_details: InvoiceDetails
    ) -> Response[Any]:
        same_site(request)
        organisation_id = _organisation(actor)
        form = await request.form()
        values = {name: str(form.get(name, ""))[:600] for name in DETAIL_FIELDS}
        try:
            data = invoicing_in(values)
            await invoice_details.set_organisation(actor, organisation_id, data)
        except FormError as exc:
            return page(request, "invoicing", values=values, errors=exc.errors, status_code=422)
        return back(INVOICING, done="invoicing details saved")

    # -- invoices ----------------------------------------------------------------------------

    @get("/invoices")
    async def invoices_page(
        self,
        request: Req,
        actor: CurrentActor,
        invoices: Invoices,
        since: Since = None,
        until: Until = None,
    ) -> Template:
        listed = await invoices.list_invoices(actor, actor.organisation_id, since, until)
        mine = actor.organisation_id
        issued = [i for i in listed if i.issuer_id == mine]
        received = [i for i in listed if i.buyer_id == mine]
        others = [i for i in listed if mine not in (i.issuer_id, i.buyer_id)]
        owed = sum(i.open_ore for i in issued if i.kind is InvoiceKind.INVOICE)
        owing = sum(i.open_ore for i in received if i.kind is InvoiceKind.INVOICE)
        query = "&".join(
            f"{name}={value.isoformat()}"
            for name, value in (("from", since), ("to", until))
            if value is not None
        )
        return page(
            request,
            "invoices",
            issued=issued,
            received=received,
            others=others,
            owed=owed,
            owing=owing,
            coordinator=actor.role in (Role.COORDINATOR, Role.ADMIN),
            mine=mine,
            since=since,
            until=until,
            csv=f"{INVOICES}.csv" + (f"?{query}" if query else ""),
            today=access.default_today(),
        )

    @get("/invoices.csv")
    async def invoices_csv(
        self,
        request: Req,
        actor: CurrentActor,
        invoices: Invoices,
        since: Since = None,
        until: Until = None,
    ) -> Response[str]:
        text = await invoices.spreadsheet(
            actor, actor.organisation_id, since, until, language_of(request)
        )
        return csv_response(text, "fakturor.csv", bom=True)

    @get("/invoices/{invoice_id:uuid}", media_type=HTML)
    async def printable(
        self, invoice_id: FromPath[UUID], actor: CurrentActor, invoices: Invoices
    ) -> Response[str]:
        return Response(await invoices.printable(actor, invoice_id), media_type=HTML)

    @get("/invoices/{invoice_id:uuid}/invoice.pdf")
    async def pdf(
        self, invoice_id: FromPath[UUID], actor: CurrentActor, invoices: Invoices
    ) -> Response[bytes]:
        document, filename = await invoices.pdf(actor, invoice_id)
        return pdf_response(document, filename)

    # -- payments ----------------------------------------------------------------------------

    @get("/invoices/{invoice_id:uuid}/payment")
    async def payment(
        self, request: Req, invoice_id: FromPath[UUID], actor: CurrentActor, invoices: Invoices
    ) -> Template:
        invoice = await _payable(actor, invoices, invoice_id)
        paid_on = access.default_today().isoformat()
        values = {"kind": "paid", "paid_on": paid_on, "back": _back(request)}
        return page(request, "payment", invoice=invoice, values=values, errors={})

    @post("/invoices/{invoice_id:uuid}/payment", status_code=303)
    async def record_payment(
        self, request: Req, invoice_id: FromPath[UUID], actor: CurrentActor, invoices: Invoices
    ) -> Response[Any]:
        """First the form is checked and a page asks to confirm; then it is recorded."""
        same_site(request)
        invoice = await _payable(actor, invoices, invoice_id)
        form = await request.form()
        values = {
            name: str(form.get(name, ""))[:300]
            for name in ("kind", "amount", "paid_on", "note", "back")
        }
        values["back"] = values["back"] if values["back"].startswith("/app/") else INVOICES
        recording = form.get("step") == "record"
        if recording and str(form.get("open_ore", "")) != str(invoice.open_ore):
            # confirmed against another open amount: a second click, or someone else
            # recorded meanwhile; recording it again would count the money twice
            return back(values["back"], error=CHANGED_SINCE)
        try:
            data = payment_in(values, invoice.open_ore, access.default_today())
        except FormError as exc:
            context = {"invoice": invoice, "values": values, "errors": exc.errors}
            return page(request, "payment", status_code=422, **context)
        amount = data.amount_ore or invoice.open_ore
        if not recording:
            return page(
                request, "payment_confirm", invoice=invoice, values=values, data=data, amount=amount
            )
        try:
            await invoices.pay(actor, invoice_id, data)
        except SamlastError as exc:
            return back(values["back"], error=said(request, exc))
        done = "write-off recorded" if data.kind is PaymentKind.WRITE_OFF else "payment recorded"
        return back(values["back"], done=done)

    # -- the ledger and the SIE file -------------------------------------------------------------

    @get("/ledger")
    async def ledger(
        self,
        request: Req,
        actor: CurrentActor,
        books: Books,
        since: Since = None,
        until: Until = None,
    ) -> Template:
        organisation_id = _organisation(actor)
        today = access.default_today()
        errors = {}
        try:
            period = ledger_period(since, until, today)
        except SamlastError:
            errors["period"] = MESSAGES["period"]
            period = ledger_period(None, None, today)
        rows = await books.ledger(actor, organisation_id, *period)
        query = f"from={period[0].isoformat()}&to={period[1].isoformat()}"
        return page(
            request,
            "ledger",
            rows=rows,
            period=period,
            errors=errors,
            csv=f"{LEDGER}.csv?{query}",
            year_start=dt.date(today.year, 1, 1),
            today=today,
            mine=organisation_id,
            status_code=422 if errors else 200,
        )

    @get("/ledger.csv")
    async def ledger_csv(
        self,
        actor: CurrentActor,
        books: Books,
        since: Since = None,
        until: Until = None,
    ) -> Response[str]:
        rows = await books.ledger(actor, _organisation(actor), since, until)
        return csv_response(to_csv(rows, delimiter=";"), "huvudbok.csv", bom=True)

    @get("/sie")
    async def sie(
        self,
        actor: CurrentActor,
        books: Books,
        since: Since = None,
        until: Until = None,
    ) -> Response[Any]:
        """The SIE 4 file of a period; a period it can't make goes back to the ledger
        page, saying why."""
        if since is None or until is None:
            return back(LEDGER, error=MESSAGES["period"])
        try:
            data, filename = await books.sie(actor, _organisation(actor), since, until)
        except SamlastError as exc:
            return back(LEDGER, error=exc.detail)
        return Response(
            data,
            media_type="text/plain; charset=cp437",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


async def _payable(actor: Actor, invoices: Any, invoice_id: UUID) -> InvoiceOut:
    """An invoice ``actor`` may record money against: its payee's or its coordinators'."""
    invoice: InvoiceOut = await invoices.get(actor, invoice_id)
    if not (actor.coordinates(invoice.network_id) or actor.organisation_id == invoice.issuer_id):
        raise NotFoundError("no such invoice")
    return invoice


def _back(request: Req) -> str:
    """Where the person came from on this site (the run's invoices, or theirs)."""
    referer = request.headers.get("referer", "")
    path = referer.split(request.url.netloc, 1)[-1] if request.url.netloc in referer else ""
    return path if path.startswith("/app/") else INVOICES


def invoicing_in(values: dict[str, str]) -> InvoicingIn:
    """The API's ``InvoicingIn`` from the form, or every field's mistake at once."""
    errors: dict[str, str] = {}
    for name, check in IDENTIFIERS.items():
        try:
            check(values.get(name, "").strip())
        except ValueError:
            errors[name] = MESSAGES[name]
    for name, limit in (("legal_name", 200), ("billing_address", 500)):
        if not values.get(name, "").strip() or len(values[name].strip()) > limit:
            errors[name] = MESSAGES[name]
    terms = None
    try:
        terms = numbers.whole_number(values.get("payment_terms_days", "") or "30")
        if not 0 <= terms <= 120:
            errors["payment_terms_days"] = MESSAGES["payment_terms_days"]
    except numbers.NumberError:
        errors["payment_terms_days"] = MESSAGES["payment_terms_days"]
    exempt = values.get("vat_exempt") == "on"
    statement = values.get("vat_exempt_statement", "").strip()
    if (exempt and not statement) or len(statement) > 300:
        errors["vat_exempt_statement"] = MESSAGES["vat_exempt_statement"]
    if not (values.get("org_number", "").strip() or values.get("vat_number", "").strip()):
        errors.setdefault("org_number", MESSAGES["numbers"])
    if values.get("language") not in ("sv", "en"):
        errors["language"] = MESSAGES["language"]
    if errors:
        raise FormError(errors)
    fields = {
        name: values.get(name, "").strip()
        for name in DETAIL_FIELDS
        if name not in ("vat_exempt", "payment_terms_days")
    }
    try:
        return msgspec.convert(
            {**fields, "vat_exempt": exempt, "payment_terms_days": terms}, InvoicingIn
        )
    except (msgspec.ValidationError, ValueError):
        raise FormError({"legal_name": MESSAGES["legal_name"]}) from None


def payment_in(values: dict[str, str], open_ore: int, today: dt.date) -> PaymentIn:
    """The API's ``PaymentIn`` from the form: paid in full, partly (an amount in kronor,
    ``250,50``), or the rest written off."""
    errors: dict[str, str] = {}
    kind = values.get("kind", "")
    if kind not in PAYMENT_KINDS:
        errors["kind"] = MESSAGES["kind"]
    amount = None
    if kind == "partly":
        try:
            amount = numbers.kronor_to_ore(values.get("amount", ""))
            if not 0 < amount <= open_ore:
                errors["amount"] = MESSAGES["amount"]
        except numbers.NumberError:
            errors["amount"] = MESSAGES["amount"]
    paid_on = None
    try:
        paid_on = dt.date.fromisoformat(values.get("paid_on", "").strip())
        if paid_on > today:
            errors["paid_on"] = MESSAGES["paid_on"]
    except ValueError:
        errors["paid_on"] = MESSAGES["paid_on"]
    note = values.get("note", "").strip()
    if len(note) > 200:
        errors["note"] = MESSAGES["note"]
    if errors:
        raise FormError(errors)
    return PaymentIn(
        paid_on=paid_on or today,
        kind=PaymentKind.WRITE_OFF if kind == "write_off" else PaymentKind.PAYMENT,
        amount_ore=amount,
        note=note,
    )
