"""A published run after its delivery: the co-op confirms what arrived, line by line
(as planned, short, damaged or weighed), and the coordinator issues the run's invoices
and credit notes and sees who owes whom for its cycle.

The receiving form becomes the API's own ``ReceiptIn`` and goes to ``ReceivingService``;
each line's mistake is shown beside its fields and everything typed is kept. Issuing is
irreversible, so it asks first (``money_confirm.html``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath
from litestar.response import Redirect, Template

from services.api.auth.actor import Actor
from services.api.auth.guards import MANAGERS, NOTE_READERS
from services.api.core import numbers
from services.api.deps import Books, CurrentActor, Invoices, Receiving
from services.api.invoices import access
from services.api.invoices.schemas import ReceiptIn, Receipts
from services.api.web.pages import Db, back, page, same_site, submit
from shared.db import invoices as invoices_db
from shared.errors import NotFoundError, SamlastError

Req = Request[Any, Any, Any]
OUTCOMES = ("as_planned", "short", "damaged", "weighed")
WEIGHED_UNITS = ("kg", "l")
LINE_FIELDS = ("outcome", "received", "damaged", "weighed", "note")
# the API's field names (``lines[i].damaged_units``) -> the form's
API_FIELDS = {
    "received_units": "received",
    "damaged_units": "damaged",
    "weighed_milli": "weighed",
    "outcome": "outcome",
}
MESSAGES = {
    "received": "how many units arrived: a whole number, at most what was planned",
    "damaged": "how many units were damaged: a whole number, at most what was planned",
    "weighed": "the weighed quantity, like 12,5",
    "outcome": "choose what arrived",
    "note": "at most 500 characters",
}


class ReceivingPages(Controller):
    path = "/app/runs/{run_id:uuid}"
    include_in_schema = False

    @get("/receiving", guards=[NOTE_READERS])
    async def receiving(
        self,
        request: Req,
        run_id: FromPath[UUID],
        actor: CurrentActor,
        receiving: Receiving,
        conn: Db,
    ) -> Template:
        receipts = await receiving.receipts(actor, run_id)
        return await _receiving_page(request, actor, conn, receipts, _shown(receipts), {})

    @post("/receiving", guards=[NOTE_READERS], status_code=303)
    async def confirm(
        self,
        request: Req,
        run_id: FromPath[UUID],
        actor: CurrentActor,
        receiving: Receiving,
        conn: Db,
    ) -> Response[Any]:
        same_site(request)
        receipts = await receiving.receipts(actor, run_id)
        form = await request.form()
        typed = _typed(form, receipts)
        errors: dict[str, dict[str, str]] = {}
        data = _receipt_in(typed, receipts, errors)
        if data is not None:
            try:
                await receiving.record(actor, run_id, data)
            except SamlastError as exc:
                field = str(exc.extra.get("field", ""))
                key, name = _line_field(field, list(typed))
                if key is None:
                    return await _receiving_page(
                        request,
                        actor,
                        conn,
                        receipts,
                        typed,
                        {},
                        error=exc.detail,
                        status=exc.status_code,
                    )
                errors[key] = {name: MESSAGES.get(name, exc.detail)}
            else:
                return back(f"/app/runs/{run_id}/receiving", done="delivery confirmed")
        return await _receiving_page(request, actor, conn, receipts, typed, errors, status=422)

    @get("/money", guards=[MANAGERS])
    async def money(
        self,
        request: Req,
        run_id: FromPath[UUID],
        actor: CurrentActor,
        invoices: Invoices,
        books: Books,
        conn: Db,
    ) -> Template:
        run = await _run(conn, actor, run_id)
        issued = await invoices.of_run(actor, run_id)
        settlement = await books.settlement(actor, run["cycle_id"]) if issued else None
        today = dt.date.today()
        context = {"run": run, "invoices": issued, "settlement": settlement, "today": today}
        return page(request, "money_run", **context)

    @get("/money/{what:str}", guards=[MANAGERS])
    async def ask(
        self,
        request: Req,
        run_id: FromPath[UUID],
        what: FromPath[str],
        actor: CurrentActor,
        conn: Db,
    ) -> Template:
        """Issuing can't be undone: say what it does and ask."""
        if what not in ("invoices", "credit-notes"):
            raise NotFoundError("no such page")
        run = await _run(conn, actor, run_id)
        return page(request, "money_confirm", run=run, what=what)

    @post("/money/{what:str}", guards=[MANAGERS], status_code=303)
    async def issue(
        self,
        request: Req,
        run_id: FromPath[UUID],
        what: FromPath[str],
        actor: CurrentActor,
        invoices: Invoices,
    ) -> Redirect:
        same_site(request)
        to = f"/app/runs/{run_id}/money"
        if what == "invoices":
            return await submit(to, "invoices issued", lambda: invoices.issue(actor, run_id))
        if what == "credit-notes":
            return await submit(to, "credit notes issued", lambda: invoices.credit(actor, run_id))
        raise NotFoundError("no such page")


async def _run(conn: Any, actor: Actor, run_id: UUID) -> Any:
    run = await access.run(conn, actor, run_id)
    if not actor.coordinates(run["network_id"]):
        raise NotFoundError("no such run")
    return run


def _key(offer_id: object, demand_line_id: object) -> str:
    return f"{offer_id}:{demand_line_id}"


def _shown(receipts: Receipts) -> dict[str, dict[str, str]]:
    """What the form shows of each line: its recorded outcome and quantity."""
    shown = {}
    for line in receipts.lines:
        values = {"outcome": line.outcome, "note": line.note}
        kept = line.accepted_milli
        if line.outcome == "short":
            values["received"] = str(kept // line.per_unit_milli)
        elif line.outcome == "damaged":
            values["damaged"] = str(line.planned_units - kept // line.per_unit_milli)
        elif line.outcome == "weighed":
            whole, rest = divmod(kept, 1000)
            values["weighed"] = str(whole) if not rest else f"{whole},{rest:03d}".rstrip("0")
        shown[_key(line.offer_id, line.demand_line_id)] = values
    return shown


def _typed(form: FormMultiDict, receipts: Receipts) -> dict[str, dict[str, str]]:
    """What was typed for each line the co-op receives, bounded; nothing else is read."""
    typed = {}
    for line in receipts.lines:
        key = _key(line.offer_id, line.demand_line_id)
        typed[key] = {name: str(form.get(f"{name}:{key}", ""))[:600] for name in LINE_FIELDS}
    return typed


def _receipt_in(
    typed: dict[str, dict[str, str]], receipts: Receipts, errors: dict[str, dict[str, str]]
) -> ReceiptIn | None:
    """The API's request from the form, or None with ``errors`` per line and field."""
    lines = []
    for line in receipts.lines:
        key = _key(line.offer_id, line.demand_line_id)
        values = typed[key]
        outcome = values["outcome"] or "as_planned"
        body: dict[str, Any] = {
            "offer_id": str(line.offer_id),
            "demand_line_id": str(line.demand_line_id),
            "outcome": outcome,
            "note": values["note"].strip(),
        }
        wrong: dict[str, str] = {}
        if outcome not in OUTCOMES or (outcome == "weighed" and line.unit not in WEIGHED_UNITS):
            wrong["outcome"] = MESSAGES["outcome"]
        for name, field, reader in (
            ("short", "received", numbers.whole_number),
            ("damaged", "damaged", numbers.whole_number),
            ("weighed", "weighed", numbers.thousandths),
        ):
            if outcome != name:
                continue
            try:
                amount = reader(values[field])
            except numbers.NumberError:
                wrong[field] = MESSAGES[field]
                continue
            limit = line.planned_units if name != "weighed" else None
            if amount < 0 or (limit is not None and amount > limit):
                wrong[field] = MESSAGES[field]
            body[
                {"received": "received_units", "damaged": "damaged_units"}.get(
                    field, "weighed_milli"
                )
            ] = amount
        if len(body["note"]) > 500:
            wrong["note"] = MESSAGES["note"]
        if wrong:
            errors[key] = wrong
        lines.append(body)
    if errors:
        return None
    try:
        return msgspec.convert({"lines": lines}, ReceiptIn)
    except (msgspec.ValidationError, ValueError):
        # no line to blame (none at all, or more than a receipt holds): the page's notice
        errors[""] = {"outcome": MESSAGES["outcome"]}
        return None


def _line_field(field: str, keys: list[str]) -> tuple[str | None, str]:
    """The line and form field an API error names (``lines[2].damaged_units``)."""
    if not field.startswith("lines["):
        return None, ""
    index_text, _, rest = field[len("lines[") :].partition("]")
    if not index_text.isdigit() or int(index_text) >= len(keys):
        return None, ""
    return keys[int(index_text)], API_FIELDS.get(rest.lstrip("."), "outcome")


async def _receiving_page(
    request: Req,
    actor: Actor,
    conn: Any,
    receipts: Receipts,
    values: dict[str, dict[str, str]],
    errors: dict[str, dict[str, str]],
    *,
    error: str | None = None,
    status: int | None = None,
) -> Template:
    run = await invoices_db.select_run(conn, receipts.run_id)
    assert run is not None
    network = await invoices_db.select_network(conn, run["network_id"])
    assert network is not None
    today: dt.date = access.today(network["timezone"])
    coordinator = actor.coordinates(run["network_id"])
    coops = (
        {row["coop_id"]: row["coop"] for row in await invoices_db.select_purchases(conn, run["id"])}
        if coordinator
        else {}
    )
    early = today < receipts.delivery_date
    late = today > receipts.deadline and not coordinator
    return page(
        request,
        "receiving",
        receipts=receipts,
        network=network,
        values=values,
        errors=errors,
        coordinator=coordinator,
        coops=coops,
        early=early,
        late=late,
        editable=not (early or late),
        weighed_units=WEIGHED_UNITS,
        status_code=status or (422 if errors else 200),
        **({"error": error} if error else {}),
    )
