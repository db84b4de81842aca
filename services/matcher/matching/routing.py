"""The routing stage's I/O: read what routing needs, store what it planned.

Reads the network's vehicles, where and when each bought offer is picked up and each
co-op receives, builds the shipments from the allocation, and asks for travel times
(great circle, or the OSRM service when configured). The rules and the planning are
the engine's (``engine/routing``), run in a thread by ``matching``; storing happens
with the allocation, in ``matching.store_result``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from services.matcher.engine import AllocationProblem, AllocationResult
from services.matcher.engine.routing.alone import own_van_like
from services.matcher.engine.routing.hub import HUB_ID
from services.matcher.engine.routing.model import (
    Place,
    RoutePlan,
    RoutingProblem,
    Shipment,
    Vehicle,
    Window,
)
from services.matcher.engine.routing.plans import Routing
from services.matcher.engine.routing.realised import Repass, TransportCheck
from services.matcher.engine.routing.shipments import (
    CoopSite,
    OfferSite,
    Unplaced,
    build_shipments,
)
from services.matcher.engine.routing.travel import TravelMatrix, great_circle
from services.matcher.matching.osrm import osrm_table
from shared.contracts.runs import (
    Overrides,
    PlanSavings,
    PlanTotals,
    RunRouting,
    TransportRepass,
)
from shared.contracts.runs import TransportCheck as StoredTransportCheck
from shared.db import networks as networks_db
from shared.db import routes as routes_db
from shared.db.pool import Conn, Pool
from shared.db.routes import RouteRow, RouteShareRow, ShipmentRow, StopRow
from shared.settings import Settings


class RoutingInput(msgspec.Struct, frozen=True, kw_only=True):
    problem: RoutingProblem
    unplaced: list[Unplaced]  # for co-ops with no location: stored as unserved
    hub: Place | None
    hub_hours: list[Window] | None  # the hub's openings on the delivery day; None: no hours
    own_van: Vehicle
    producer_share_permille: int
    timezone: str


async def load_routing(
    pool: Pool, run: asyncpg.Record, problem: AllocationProblem, result: AllocationResult
) -> RoutingInput:
    offer_ids = sorted({p.offer_id for p in result.purchases})
    coop_of_line = {line.id: line.coop_id for line in problem.lines}
    coop_ids = sorted({coop_of_line[a.line_id] for a in result.allocations})
    async with pool.acquire() as conn:
        network = await routes_db.select_network(conn, run["network_id"])
        assert network is not None
        vehicle_rows = await routes_db.select_vehicles(conn, run["network_id"])
        offer_rows = await routes_db.select_offer_sites(conn, run["network_id"], offer_ids)
        coop_rows = await routes_db.select_coop_sites(conn, coop_ids, problem.delivery_date)
        hour_rows = await networks_db.select_hub_hours(conn, run["network_id"])
    offers = {
        row["id"]: OfferSite(
            producer_id=row["producer_id"],
            temperature=row["temperature"],
            grams_per_unit=row["grams_per_unit"],
            ml_per_unit=row["ml_per_unit"],
            place=Place(lat=row["pickup_lat"], lon=row["pickup_lon"]),
            window=_window(row),
        )
        for row in offer_rows
    }
    coops = {
        row["id"]: CoopSite(place=Place(lat=row["lat"], lon=row["lon"]), window=_window(row))
        for row in coop_rows
        if row["lat"] is not None
    }
    excluded = set(Overrides.of(run["overrides"]).exclude_vehicles)
    fleet = [_vehicle(row) for row in vehicle_rows]
    vehicles = [vehicle for vehicle in fleet if vehicle.id not in excluded]
    shipments, unplaced = build_shipments(result, offers, coop_of_line, coops)
    return RoutingInput(
        problem=RoutingProblem(shipments=shipments, vehicles=vehicles),
        unplaced=unplaced,
        hub=None
        if network["hub_lat"] is None
        else Place(lat=network["hub_lat"], lon=network["hub_lon"]),
        hub_hours=hub_hours(hour_rows, problem.delivery_date),
        own_van=own_van_like(fleet),  # what a van costs here, left out or not
        producer_share_permille=network["producer_share_permille"],
        timezone=network["timezone"],
    )


async def travel_matrix(settings: Settings, places: list[Place]) -> TravelMatrix:
    if settings.matching.osrm_url:
        return await osrm_table(settings.matching.osrm_url, places)
    return great_circle(
        places,
        road_factor=settings.matching.road_factor,
        speed_kmh=settings.matching.average_speed_kmh,
    )


async def store_routing(
    conn: Conn,
    run_id: UUID,
    day: dt.date,
    routing_input: RoutingInput,
    routing: Routing,
    *,
    transport: TransportCheck | None = None,
    repass: Repass | None = None,
) -> RunRouting:
    """Shipments, every plan's routes with their stops, the proposed routes' cost
    shares; the figures for the run's summary."""
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(routing_input.timezone))
    unserved = {left.shipment: left.reason for left in routing.chosen.unserved}
    shipment_ids = [uuid.uuid4() for _ in routing.shipments]  # ids made here: one COPY each
    shipments = [
        ShipmentRow(
            id=shipment_ids[n],
            run_id=run_id,
            producer_id=s.producer_id,
            coop_id=s.coop_id,
            temperature=s.temperature,
            weight_grams=s.grams,
            volume_ml=s.ml,
            unserved_reason=unserved.get(n),
        )
        for n, s in enumerate(routing.shipments)
    ] + [
        ShipmentRow(
            id=uuid.uuid4(),
            run_id=run_id,
            producer_id=u.producer_id,
            coop_id=u.coop_id,
            temperature=u.temperature,
            weight_grams=u.grams,
            volume_ml=u.ml,
            unserved_reason="no_location",
        )
        for u in routing_input.unplaced
    ]
    owners = {van.id: van.producer_id for van in routing.own_vans}
    shares = {item.route: item for item in routing.shares}
    plans: list[tuple[str, RoutePlan, list[Shipment], bool]] = [
        ("joint", routing.joint, routing.shipments, routing.proposed == "joint"),
        ("baseline", routing.baseline, routing.shipments, False),
    ]
    if routing.hub:
        plans.append(("hub", routing.hub.plan, routing.hub.legs, routing.proposed == "hub"))
    routes: list[RouteRow] = []
    stops: list[StopRow] = []
    cost_shares: list[RouteShareRow] = []
    for plan_name, plan, legs, proposed in plans:
        direct = plan_name != "hub"
        for number, route in enumerate(plan.routes):
            share = shares.get(number) if proposed else None
            route_id = uuid.uuid4()
            routes.append(
                RouteRow(
                    id=route_id,
                    run_id=run_id,
                    plan=plan_name,
                    route_no=number + 1,
                    vehicle_id=route.vehicle_id if plan_name != "baseline" else None,
                    producer_id=owners.get(route.vehicle_id),
                    distance_m=route.distance_m,
                    duration_s=route.duration_s,
                    cost_ore=route.cost_ore,
                    co2_grams=route.co2_grams,
                    unshared_ore=share.shares.unshared_ore if share else 0,
                )
            )
            stops += [
                StopRow(
                    route_id=route_id,
                    seq=seq,
                    kind=stop.kind,
                    organisation_id=_organisation(legs, stop.kind, stop.shipment),
                    shipment_id=(
                        shipment_ids[stop.shipment]
                        if direct and stop.shipment is not None
                        else None
                    ),
                    arrival_at=midnight + dt.timedelta(seconds=stop.arrival_s),
                    departure_at=midnight + dt.timedelta(seconds=stop.departure_s),
                    load_grams=stop.load_grams,
                    load_ml=stop.load_ml,
                    lat=stop.place.lat,
                    lon=stop.place.lon,
                )
                for seq, stop in enumerate(route.stops)
            ]
            if share:
                cost_shares += [
                    RouteShareRow(
                        route_id=route_id,
                        organisation_id=coop,
                        share_ore=ore,
                        standalone_cost_ore=share.standalone_ore[coop],
                        payer="coop",
                    )
                    for coop, ore in sorted(share.shares.coops.items())
                ]
                cost_shares += [
                    RouteShareRow(
                        route_id=route_id,
                        organisation_id=producer,
                        share_ore=ore,
                        standalone_cost_ore=None,
                        payer="producer",
                    )
                    for producer, ore in sorted(share.shares.producers.items())
                ]
    await routes_db.insert_routing(conn, shipments, routes, stops, cost_shares)
    return RunRouting(
        proposed=routing.proposed,
        joint=msgspec.convert(routing.joint.totals, PlanTotals, from_attributes=True),
        hub=msgspec.convert(routing.hub.plan.totals, PlanTotals, from_attributes=True)
        if routing.hub
        else None,
        baseline=msgspec.convert(routing.baseline.totals, PlanTotals, from_attributes=True),
        savings=msgspec.convert(routing.savings, PlanSavings, from_attributes=True),
        shipments=len(routing.shipments) + len(routing_input.unplaced),
        unserved=len(routing.chosen.unserved) + len(routing_input.unplaced),
        baseline_unserved=len(routing.baseline.unserved),
        hub_closed=routing.hub_closed,
        clock_capped=routing.clock_capped
        or (repass is not None and (repass.first.clock_capped or repass.second.clock_capped)),
        transport=None
        if transport is None
        else msgspec.convert(transport, StoredTransportCheck, from_attributes=True),
        repass=None
        if repass is None
        else msgspec.convert(repass, TransportRepass, from_attributes=True),
    )


def _organisation(legs: list[Shipment], kind: str, leg: int | None) -> UUID | None:
    """Who is met at a stop: the producer at a pickup, the co-op at a delivery; nobody
    at the start, the end or the hub."""
    if leg is None:
        return None
    met = legs[leg].producer_id if kind == "pickup" else legs[leg].coop_id
    return None if met == HUB_ID else met


def hub_hours(rows: list[asyncpg.Record], day: dt.date) -> list[Window] | None:
    """The hub's openings on ``day``, in the engine's seconds since midnight: None when
    it keeps no hours at all (open whenever), empty when it is closed that day."""
    if not rows:
        return None
    return [
        Window(opens_s=_seconds(row["opens_at"]), closes_s=_seconds(row["closes_at"]))
        for row in rows
        if row["weekday"] == day.isoweekday()
    ]


def _window(row: asyncpg.Record) -> Window:
    if row["opens_at"] is None:
        return Window(opens_s=0, closes_s=24 * 3600)
    return Window(opens_s=_seconds(row["opens_at"]), closes_s=_seconds(row["closes_at"]))


def _seconds(at: dt.time) -> int:
    return at.hour * 3600 + at.minute * 60 + at.second


def _vehicle(row: asyncpg.Record) -> Vehicle:
    return Vehicle(
        id=row["id"],
        capacity_grams=row["capacity_grams"],
        capacity_ml=row["capacity_ml"],
        cold_capable=row["cold_capable"],
        start=Place(lat=row["start_lat"], lon=row["start_lon"]),
        end=Place(lat=row["end_lat"], lon=row["end_lon"]),
        shift=Window(opens_s=_seconds(row["shift_start"]), closes_s=_seconds(row["shift_end"])),
        fixed_cost_ore=row["fixed_cost_ore"],
        cost_per_km_ore=row["cost_per_km_ore"],
        cost_per_hour_ore=row["cost_per_hour_ore"],
    )
