"""Demand rounds: a co-op's pooled order for one cycle, editable while the cycle is open."""

from __future__ import annotations

from uuid import UUID, uuid4

import asyncpg
import msgspec

from services.api.auth.actor import Actor
from services.api.core.audit import record
from services.api.core.bulk import RowError, refuse
from services.api.core.conditional import expected_version
from services.api.core.types import TimeWindow
from services.api.cycles.service import CycleService, demand_refusal
from services.api.demand.amounts import Measure
from services.api.demand.schemas import DemandLineIn, DemandLineOut, DemandRoundOut
from services.api.demand.upload import Catalogue, Product, Say, plain, read_lines
from services.api.organisations.service import require_location
from shared.db import demand as demand_db
from shared.db import products as products_db
from shared.db.pool import Conn
from shared.db.rows import as_struct
from shared.errors import ConflictError, NotFoundError, PreconditionFailedError, TenantDeniedError


class DemandService:
    def __init__(self, conn: Conn, cycles: CycleService) -> None:
        self.conn = conn
        self.cycles = cycles

    async def create(
        self, actor: Actor, cycle_id: UUID, lines: list[DemandLineIn]
    ) -> DemandRoundOut:
        assert actor.organisation_id is not None
        await require_location(self.conn, actor, "ordering")
        async with self.conn.transaction():
            cycle = await self._open_cycle(actor, cycle_id)
            await self._check_lines(cycle["network_id"], lines, kept=set())
            round_id = await demand_db.insert_round(
                self.conn, cycle_id, cycle["network_id"], actor.organisation_id
            )
            if round_id is None:
                raise ConflictError(
                    "your co-op already has a demand round in this cycle; replace its lines"
                )
            await demand_db.replace_lines(
                self.conn, round_id, cycle["network_id"], line_rows(lines)
            )
            await record(
                self.conn,
                actor,
                "demand.create",
                "demand_round",
                round_id,
                network_id=cycle["network_id"],
                detail={"lines": len(lines)},
            )
        return await self.get(actor, round_id)

    async def replace_lines(
        self, actor: Actor, round_id: UUID, lines: list[DemandLineIn], if_match: str | None
    ) -> DemandRoundOut:
        current = await self._visible(actor, round_id)
        if current["coop_id"] != actor.organisation_id:
            raise TenantDeniedError("no such demand round")
        version = expected_version(if_match)
        await require_location(self.conn, actor, "ordering")
        async with self.conn.transaction():
            await self._open_cycle(actor, current["cycle_id"])
            kept = {UUID(line["id"]) for line in current["lines"]}
            await self._check_lines(current["network_id"], lines, kept)
            if await demand_db.bump_round(self.conn, round_id, version) is None:
                raise PreconditionFailedError("the demand round changed since you read it")
            await demand_db.replace_lines(
                self.conn, round_id, current["network_id"], line_rows(lines)
            )
            await record(
                self.conn,
                actor,
                "demand.replace_lines",
                "demand_round",
                round_id,
                network_id=current["network_id"],
                detail={"lines": len(lines)},
            )
        return await self.get(actor, round_id)

    async def upload_lines(
        self,
        actor: Actor,
        round_id: UUID,
        body: bytes,
        content_type: str,
        if_match: str | None,
        say: Say = plain,
    ) -> DemandRoundOut:
        """Replace the lines from a spreadsheet export (CSV) or a JSON array; its rows'
        errors in ``say``'s words."""
        current = await self._visible(actor, round_id)
        catalogue = await self.catalogue(current["network_id"])
        lines = read_lines(body, content_type, catalogue, say)
        return await self.replace_lines(actor, round_id, lines, if_match)

    async def catalogue(self, network_id: UUID) -> Catalogue:
        """The network's products as an upload names them, with their measures."""
        rows = await products_db.select_products(self.conn, network_id, retired=True)
        return Catalogue(
            products={
                row["id"]: Product(
                    row["name"], Measure.of(row["unit"], row["grams_per_unit"], row["ml_per_unit"])
                )
                for row in rows
            },
            names={row["name"].casefold(): row["id"] for row in rows if row["retired_at"] is None},
        )

    async def get(self, actor: Actor, round_id: UUID) -> DemandRoundOut:
        return round_out(await self._visible(actor, round_id))

    async def list_rounds(self, actor: Actor, cycle_id: UUID) -> list[DemandRoundOut]:
        cycle = await self.cycles.visible(actor, cycle_id)
        coop = None if actor.coordinates(cycle["network_id"]) else actor.organisation_id
        return [round_out(row) for row in await demand_db.select_rounds(self.conn, cycle_id, coop)]

    async def _open_cycle(self, actor: Actor, cycle_id: UUID) -> asyncpg.Record:
        """The cycle, locked against a concurrent close, if it accepts demand now."""
        cycle = await self.cycles.visible(actor, cycle_id, share=True)
        refusal = demand_refusal(cycle)
        if refusal:
            raise ConflictError(refusal, state=cycle["state"])
        return cycle

    async def _check_lines(
        self, network_id: UUID, lines: list[DemandLineIn], kept: set[UUID]
    ) -> None:
        """Every line names a product of the network, and an id only of a line of the
        round (``kept``), at most once. One product may have several lines."""
        wanted = [line.product_id for line in lines]
        known = await products_db.select_network_product_ids(self.conn, network_id, wanted)
        errors, seen = [], set()
        for number, line in enumerate(lines, start=1):
            if line.product_id not in known:
                errors.append(
                    RowError(
                        row=number,
                        field="product_id",
                        message="not a product of this cycle's network",
                    )
                )
            if line.id is None:
                continue
            if line.id not in kept:
                errors.append(
                    RowError(row=number, field="id", message="not a line of this demand round")
                )
            elif line.id in seen:
                errors.append(
                    RowError(row=number, field="id", message="the line is named on an earlier row")
                )
            seen.add(line.id)
        refuse(errors)

    async def _visible(self, actor: Actor, round_id: UUID) -> asyncpg.Record:
        row = await demand_db.select_round(self.conn, round_id)
        if row is None:
            raise NotFoundError("no such demand round")
        if not (row["coop_id"] == actor.organisation_id or actor.coordinates(row["network_id"])):
            raise TenantDeniedError("no such demand round")
        return row


def line_rows(lines: list[DemandLineIn]) -> list[demand_db.LineRow]:
    """The lines as stored: a kept line with its id, a new one with a new id."""
    return [
        demand_db.LineRow(
            id=line.id or uuid4(),
            product_id=line.product_id,
            firm_quantity=line.firm_quantity,
            tolerance=line.tolerance,
            max_unit_price_ore=line.max_unit_price_ore,
            deliver_from=line.delivery_window.opens if line.delivery_window else None,
            deliver_until=line.delivery_window.closes if line.delivery_window else None,
        )
        for line in lines
    ]


def round_out(row: asyncpg.Record) -> DemandRoundOut:
    lines = []
    for item in row["lines"]:
        window = None
        if item["deliver_from"] is not None:
            window = msgspec.convert(
                {"opens": item["deliver_from"], "closes": item["deliver_until"]}, TimeWindow
            )
        lines.append(
            DemandLineOut(
                id=UUID(item["id"]),
                line_no=item["line_no"],
                product_id=UUID(item["product_id"]),
                firm_quantity=item["firm_quantity"],
                tolerance=item["tolerance"],
                max_unit_price_ore=item["max_unit_price_ore"],
                delivery_window=window,
            )
        )
    return as_struct(row, DemandRoundOut, lines=lines)
