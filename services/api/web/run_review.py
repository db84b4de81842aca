"""The run review page's content: loads a run's result and routes through the API's
services, and hands them to the pure computations of ``review`` and ``visits``."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.api.auth.actor import Actor
from services.api.demand.amounts import Measure
from services.api.networks.schemas import NetworkOut
from services.api.networks.service import NetworkService
from services.api.organisations.service import OrganisationService
from services.api.products.schemas import ProductOut
from services.api.products.service import ProductService
from services.api.runs.schemas import RunOut, RunResult
from services.api.runs.service import RunService
from services.api.web import review as figures
from services.api.web.svgmap import draw
from services.api.web.visits import GoodsIndex, visits
from shared.db import holds as holds_db
from shared.db import orders_federation as peer_orders_db
from shared.db import routes as routes_db
from shared.db.pool import Conn
from shared.db.reasons import phrased


class RunReview:
    """One run as its review page shows it, for one coordinator."""

    def __init__(
        self,
        conn: Conn,
        actor: Actor,
        services: tuple[RunService, NetworkService, OrganisationService, ProductService],
        network: NetworkOut,
    ) -> None:
        self.conn = conn
        self.actor = actor
        self.runs, self.networks, self.organisations, self.products = services
        self.network = network
        self._names: dict[Any, str] | None = None
        self._catalogue: dict[UUID, ProductOut] | None = None

    async def names(self) -> dict[Any, str]:
        if self._names is None:
            members = await self.organisations.list_organisations(self.actor, self.network.id, None)
            self._names = {o.id: o.name for o in members}
        return self._names

    async def catalogue(self) -> dict[UUID, ProductOut]:
        if self._catalogue is None:
            listed = await self.products.list_products(self.actor, self.network.id, retired=True)
            self._catalogue = {p.id: p for p in listed}
        return self._catalogue

    async def offers(self, offer_ids: list[UUID]) -> dict[UUID, Any]:
        rows = await routes_db.select_offer_sites(self.conn, self.network.id, offer_ids)
        return {row["id"]: row for row in rows}

    async def product_reviews(self, result: RunResult) -> list[figures.ProductReview]:
        offers = await self.offers([p.offer_id for p in result.purchases])
        return figures.product_reviews(
            result,
            await self.catalogue(),
            await self.names(),
            {offer_id: row["producer_id"] for offer_id, row in offers.items()},
        )

    async def fill_by_unit(self, run_id: UUID) -> dict[str, list[figures.Quantity]]:
        """Firm demand and fill of a run, per catalogue unit (for the comparison)."""
        reviewed = await self.product_reviews(await self.runs.result(self.actor, run_id))
        return _fill(reviewed)

    async def of(self, run: RunOut, tile_url: str | None) -> dict[str, Any]:
        """Everything the page shows of a run with a result."""
        result = await self.runs.result(self.actor, run.id)
        routed = await self.runs.routes(self.actor, run.id, "proposed")
        names = await self.names()
        catalogue = await self.catalogue()
        offer_ids = sorted({p.offer_id for p in result.purchases} | set(run.exclude_offers))
        offers = await self.offers(offer_ids)
        producer_of = {offer_id: row["producer_id"] for offer_id, row in offers.items()}
        reviewed = figures.product_reviews(result, catalogue, names, producer_of)
        hub = (self.network.hub.lat, self.network.hub.lon) if self.network.hub else None
        index = GoodsIndex(result, catalogue, producer_of)
        shipments = {s.id: s for s in routed.shipments}
        vehicles = await self.networks.vehicles(self.actor, self.network.id)
        return {
            "result": result,
            "products": catalogue,
            "measures": {p.id: Measure.of_product(p) for p in catalogue.values()},
            "names": names,
            "reviewed": reviewed,
            "fill": _fill(reviewed),
            "transport": figures.coop_transport(
                figures.goods_by_coop(result),
                routed.routes,
                names,
                self.network.transport_warning_permille,
                hub,
            ),
            "chart": figures.savings_chart(run.routing) if run.routing else [],
            "routes": [
                {"route": route, "visits": visits(route, shipments, index, names)}
                for route in routed.routes
            ],
            "unserved": [s for s in routed.shipments if s.unserved_reason],
            "map": draw(routed.routes, names, tile_url, hub),
            "vehicles": vehicles,
            "vehicle_names": {v.id: v.name for v in vehicles},
            "coops": sorted(
                {a.coop_id for a in result.allocations} | {u.coop_id for u in result.unfilled},
                key=lambda coop_id: names.get(coop_id, ""),
            ),
            "offers": _offer_labels(result, offers, names, catalogue),
            "pins": _pin_choices(result, offers, names, catalogue),
            "left_out": {
                "coops": [names.get(c, str(c)) for c in run.exclude_coops],
                "offers": [
                    _offer_label(offers.get(o), names, catalogue) for o in run.exclude_offers
                ],
                "vehicles": [v.name for v in vehicles if v.id in set(run.exclude_vehicles)],
                "retired_vehicles": len(set(run.exclude_vehicles) - {v.id for v in vehicles}),
            },
            # holds asked of peer deployments for their producers' packs (fed-holds)
            "remote_holds": [
                {
                    **phrased(row),
                    "measure": Measure(row["unit"], row["per_unit_milli"]) if row["unit"] else None,
                }
                for row in await holds_db.select_run_holds(self.conn, run.id)
            ],
            "holds_unconfirmed": len(await holds_db.select_unconfirmed(self.conn, run.id)),
            # the published run's orders to peers' producers, as they answered (fed-holds)
            "remote_orders": [
                phrased(row) for row in await peer_orders_db.select_run_orders(self.conn, run.id)
            ],
        }


def _fill(reviewed: list[figures.ProductReview]) -> dict[str, list[figures.Quantity]]:
    sized = [(r.measure, r) for r in reviewed if r.measure is not None]
    return {
        "demanded": figures.by_unit((measure, r.demanded) for measure, r in sized),
        "filled": figures.by_unit((measure, r.filled) for measure, r in sized),
        "extra": figures.by_unit((measure, r.extra) for measure, r in sized if r.extra),
    }


def _offer_label(row: Any, names: dict[Any, str], catalogue: dict[UUID, ProductOut]) -> str:
    if row is None:
        return "?"
    product = catalogue.get(row["product_id"])
    return f"{names.get(row['producer_id'], '')}: {product.name if product else ''}"


def _offer_labels(
    result: RunResult,
    offers: dict[UUID, Any],
    names: dict[Any, str],
    catalogue: dict[UUID, ProductOut],
) -> list[dict[str, Any]]:
    """The offers a run buys from, as a coordinator recognises them: its producer,
    product and packs (their count and size in the product's measure: "2 × 5 kg")."""
    labels = []
    for p in result.purchases:
        row = offers.get(p.offer_id)
        product = catalogue.get(row["product_id"]) if row is not None else None
        labels.append(
            {
                "offer_id": p.offer_id,
                "label": _offer_label(row, names, catalogue),
                "packs": p.packs,
                "pack_units": p.pack_units,
                "measure": Measure.of_product(product) if product else None,
            }
        )
    return sorted(labels, key=lambda o: (o["label"], o["packs"], str(o["offer_id"])))


def _pin_choices(
    result: RunResult,
    offers: dict[UUID, Any],
    names: dict[Any, str],
    catalogue: dict[UUID, ProductOut],
) -> list[dict[str, Any]]:
    """Each allocation a re-run may keep: its form value, co-op, product, producer, units."""
    choices = [
        {
            "value": f"{a.offer_id}:{a.demand_line_id}:{a.units}",
            "coop": names.get(a.coop_id, ""),
            "offer": _offer_label(offers.get(a.offer_id), names, catalogue),
            "units": a.units,
            "measure": Measure.of_product(catalogue[a.product_id])
            if a.product_id in catalogue
            else None,
        }
        for a in result.allocations
    ]
    return sorted(choices, key=lambda c: (c["coop"], c["offer"], c["value"]))
