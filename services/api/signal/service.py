"""The demand signal: what a network's co-ops want, told to its producers so they know what
to grow and offer, without telling any one co-op's order (``disclosure.py``).

Producers and coordinators of the network read it; co-ops are refused (403): a co-op
knows its own order, so a sum over three co-ops tells it the sum of the other two, and
the minimum would protect nobody from it. Another network's member finds no network (404).
"""

from __future__ import annotations

from collections import defaultdict
from typing import cast
from uuid import UUID

import asyncpg

from services.api.auth.actor import Actor, Role
from services.api.signal.disclosure import MINIMUM_COOPS, ReasonSums, shown_reasons, too_few
from services.api.signal.schemas import (
    DemandSignal,
    OpenCycleSignal,
    OpenDemand,
    PublishedCycleSignal,
    PublishedDemand,
    Shortfall,
    ShortReason,
)
from shared.db import networks as networks_db
from shared.db import signal as signal_db
from shared.db.pool import Conn
from shared.errors import ForbiddenError, NotFoundError, TenantDeniedError

READERS = frozenset({Role.ADMIN, Role.COORDINATOR, Role.PRODUCER})


class SignalService:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def signal(self, actor: Actor, network_id: UUID) -> DemandSignal:
        """The network's open cycle and last published cycle, per product."""
        if await networks_db.select_network(self.conn, network_id) is None:
            raise NotFoundError("no such network")
        if not actor.member_of(network_id):
            raise TenantDeniedError("no such network")
        if actor.role not in READERS:
            raise ForbiddenError("the demand signal is for the network's producers")
        return DemandSignal(
            network_id=network_id,
            minimum_coops=MINIMUM_COOPS,
            open_cycle=await self._open_cycle(network_id),
            published_cycle=await self._published_cycle(network_id),
        )

    async def _open_cycle(self, network_id: UUID) -> OpenCycleSignal | None:
        cycle = await signal_db.select_open_cycle(self.conn, network_id)
        if cycle is None:
            return None
        rows = await signal_db.select_open_demand(
            self.conn, network_id, cycle["id"], cycle["delivery_date"]
        )
        return OpenCycleSignal(
            cycle_id=cycle["id"],
            closes_at=cycle["closes_at"],
            delivery_date=cycle["delivery_date"],
            products=[open_demand(row) for row in rows],
        )

    async def _published_cycle(self, network_id: UUID) -> PublishedCycleSignal | None:
        published = await signal_db.select_published(self.conn, network_id)
        if published is None:
            return None
        rows = await signal_db.select_unfilled(
            self.conn, published["run_id"], published["cycle_id"]
        )
        return PublishedCycleSignal(
            cycle_id=published["cycle_id"],
            run_id=published["run_id"],
            delivery_date=published["delivery_date"],
            products=published_demand(rows),
        )


def open_demand(row: asyncpg.Record) -> OpenDemand:
    """A product's figures, or none of them when one or two co-ops ordered it."""
    base = {
        "product_id": row["product_id"],
        "product": row["product"],
        "unit": row["unit"],
        "per_unit_milli": row["per_unit_milli"],
    }
    if too_few(row["coops"]):
        return OpenDemand(
            **base,
            disclosed=False,
            coops=None,
            firm_units=None,
            offered_packs=None,
            offered_units=None,
            covered_units=None,
            uncovered_units=None,
        )
    covered = min(row["firm_units"], row["offered_units"])
    return OpenDemand(
        **base,
        disclosed=True,
        coops=row["coops"],
        firm_units=row["firm_units"],
        offered_packs=row["offered_packs"],
        offered_units=row["offered_units"],
        covered_units=covered,
        uncovered_units=row["firm_units"] - covered,
    )


def published_demand(rows: list[asyncpg.Record]) -> list[PublishedDemand]:
    """Rows per product and reason, as products with the shortfalls that may be shown."""
    products: dict[UUID, asyncpg.Record] = {}
    reasons: dict[UUID, list[ReasonSums]] = defaultdict(list)
    for row in rows:
        products.setdefault(row["product_id"], row)
        if row["reason"] is not None:
            reasons[row["product_id"]].append(
                ReasonSums(
                    row["reason"],
                    row["reason_coops"],
                    row["reason_coops_got_nothing"],
                    row["units_short"],
                )
            )
    found = []
    for product_id, row in products.items():
        base = {
            "product_id": product_id,
            "product": row["product"],
            "unit": row["unit"],
            "per_unit_milli": row["per_unit_milli"],
        }
        if too_few(row["coops"]):
            found.append(
                PublishedDemand(**base, disclosed=False, coops=None, firm_units=None, shortfalls=[])
            )
            continue
        shown = shown_reasons(row["coops"], reasons[product_id])
        found.append(
            PublishedDemand(
                **base,
                disclosed=True,
                coops=row["coops"],
                firm_units=row["firm_units"],
                shortfalls=[_shortfall(r, r.reason in shown) for r in reasons[product_id]],
            )
        )
    return found


def _shortfall(reason: ReasonSums, shown: bool) -> Shortfall:
    named = cast(ShortReason, reason.reason)
    if not shown:
        return Shortfall(reason=named, disclosed=False, coops=None, units_short=None)
    return Shortfall(
        reason=named,
        disclosed=True,
        coops=reason.coops,
        units_short=reason.units_short,
    )
