"""Receiving: after the delivery date each co-op confirms per line what arrived.

Until the network's deadline (``receiving_days`` after the delivery date) the co-op
records its own lines; after it, what was planned counts as received, and only a
coordinator corrects. What is recorded is the accepted quantity in thousandths of a
unit, which the credit notes price (engine/settlement/invoices.py).
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import asyncpg

from services.api.auth.actor import Actor, Role
from services.api.core.audit import record
from services.api.invoices import access
from services.api.invoices.schemas import ReceiptIn, ReceiptLineIn, ReceiptLineOut, Receipts
from shared.contracts.invoices import ReceiptOutcome
from shared.db import invoices as invoices_db
from shared.db.pool import Conn
from shared.errors import (
    ConflictError,
    ForeignReferenceError,
    TenantDeniedError,
    Term,
    UnprocessableError,
)

WEIGHED_UNITS = ("kg", "l")


class ReceivingService:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def receipts(self, actor: Actor, run_id: UUID) -> Receipts:
        """The run's delivered lines with what was confirmed: all for its coordinators,
        a co-op's own for the co-op."""
        run, network = await self._published(actor, run_id)
        purchases = await self._lines(actor, run)
        recorded = await invoices_db.select_receipts(self.conn, run_id)
        return Receipts(
            run_id=run_id,
            delivery_date=run["delivery_date"],
            deadline=_deadline(run, network),
            lines=[
                _line_out(row, recorded.get((row["offer_id"], row["demand_line_id"])))
                for row in purchases
            ],
        )

    async def record(self, actor: Actor, run_id: UUID, data: ReceiptIn) -> Receipts:
        run, network = await self._published(actor, run_id)
        coordinator = actor.coordinates(run["network_id"])
        today = access.today(network["timezone"])
        if today < run["delivery_date"]:
            raise ConflictError(
                "the goods arrive on {day}: confirm them then",
                values={"day": run["delivery_date"].isoformat()},
            )
        if not coordinator and today > _deadline(run, network):
            raise ConflictError(
                "the deadline to confirm this delivery has passed: what was planned counts "
                "as received; ask the network's coordinator to correct it"
            )
        planned = {
            (row["offer_id"], row["demand_line_id"]): row for row in await self._lines(actor, run)
        }
        rows = []
        for index, line in enumerate(data.lines):
            row = planned.get((line.offer_id, line.demand_line_id))
            if row is None:
                raise ForeignReferenceError(
                    "`{field}` names no line delivered to you in this run",
                    values={"field": f"lines[{index}]"},
                    field=f"lines[{index}]",
                )
            accepted = _accepted_milli(line, row, index)
            rows.append(
                (
                    run_id,
                    line.offer_id,
                    line.demand_line_id,
                    line.outcome.value,
                    accepted,
                    line.note,
                    actor.person_id,
                    coordinator,
                )
            )
        async with self.conn.transaction():
            await invoices_db.upsert_receipts(self.conn, rows)
            await record(
                self.conn,
                actor,
                "receipt.record",
                "match_run",
                run_id,
                network_id=run["network_id"],
                detail={"lines": len(rows), "by_coordinator": coordinator},
            )
        return await self.receipts(actor, run_id)

    async def _lines(self, actor: Actor, run: asyncpg.Record) -> list[asyncpg.Record]:
        """The run's delivered lines the actor receives: all for its coordinators; a
        co-op's own, and a run that brought the co-op nothing is not its to receive."""
        if actor.coordinates(run["network_id"]):
            return await invoices_db.select_purchases(self.conn, run["id"])
        if actor.role is not Role.COOP:
            raise TenantDeniedError("no such run")
        lines = await invoices_db.select_purchases(self.conn, run["id"], actor.organisation_id)
        if not lines:
            raise TenantDeniedError("nothing of this run was delivered to you")
        return lines

    async def _published(self, actor: Actor, run_id: UUID) -> tuple[asyncpg.Record, asyncpg.Record]:
        run = await access.run(self.conn, actor, run_id)
        if run["state"] != "published":
            raise ConflictError(
                "the run is {state}: only a published run is received",
                values={"state": Term(run["state"])},
            )
        network = await invoices_db.select_network(self.conn, run["network_id"])
        assert network is not None  # the run's network exists (foreign key)
        return run, network


def _deadline(run: asyncpg.Record, network: asyncpg.Record) -> dt.date:
    deadline: dt.date = run["delivery_date"] + dt.timedelta(days=network["receiving_days"])
    return deadline


def _accepted_milli(line: ReceiptLineIn, row: asyncpg.Record, index: int) -> int:
    """What the line's receipt accepts, in thousandths of its kg, l or piece (a unit of
    500 g is 500); refuses quantities the outcome does not take, or more short or
    damaged units than were planned."""
    planned = int(row["units"])
    per_unit = int(row["per_unit_milli"])
    field = f"lines[{index}]"
    given = {
        name
        for name in ("received_units", "damaged_units", "weighed_milli")
        if getattr(line, name) is not None
    }
    needs = {
        ReceiptOutcome.AS_PLANNED: set(),
        ReceiptOutcome.SHORT: {"received_units"},
        ReceiptOutcome.DAMAGED: {"damaged_units"},
        ReceiptOutcome.WEIGHED: {"weighed_milli"},
    }[line.outcome]
    if given != needs:
        if not needs:
            raise UnprocessableError(
                "`{field}` {outcome} takes no quantity",
                values={"field": f"{field}.outcome", "outcome": line.outcome.value},
                field=f"{field}.outcome",
            )
        raise UnprocessableError(
            "`{field}` {outcome} takes {wanted}",
            values={
                "field": f"{field}.outcome",
                "outcome": line.outcome.value,
                "wanted": ", ".join(f"`{name}`" for name in sorted(needs)),
            },
            field=f"{field}.outcome",
        )
    if line.outcome is ReceiptOutcome.WEIGHED:
        if row["unit"] not in WEIGHED_UNITS:
            raise UnprocessableError(
                "`{field}` is counted in pieces: weigh only kg or l products",
                values={"field": field},
                field=f"{field}.weighed_milli",
            )
        return int(line.weighed_milli or 0)
    if line.outcome is ReceiptOutcome.AS_PLANNED:
        return planned * per_unit
    units = line.received_units if line.outcome is ReceiptOutcome.SHORT else line.damaged_units
    assert units is not None
    if units > planned:
        name = "received_units" if line.outcome is ReceiptOutcome.SHORT else "damaged_units"
        raise UnprocessableError(
            "`{field}` is more than the {planned} planned",
            values={"field": f"{field}.{name}", "planned": planned},
            field=f"{field}.{name}",
        )
    kept = units if line.outcome is ReceiptOutcome.SHORT else planned - units
    return kept * per_unit


def _line_out(row: asyncpg.Record, receipt: asyncpg.Record | None) -> ReceiptLineOut:
    return ReceiptLineOut(
        offer_id=row["offer_id"],
        demand_line_id=row["demand_line_id"],
        coop_id=row["coop_id"],
        producer=row["producer"],
        product=row["product"],
        unit=row["unit"],
        planned_units=row["units"],
        per_unit_milli=row["per_unit_milli"],
        outcome=receipt["outcome"] if receipt else ReceiptOutcome.AS_PLANNED.value,
        accepted_milli=(
            receipt["accepted_milli"] if receipt else row["units"] * row["per_unit_milli"]
        ),
        note=receipt["note"] if receipt else "",
        confirmed=receipt is not None,
        by_coordinator=bool(receipt and receipt["by_coordinator"]),
    )
