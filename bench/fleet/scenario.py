"""The fleet's networks: small realistic ones built through the HTTP API as a client
would, and bench/allocation.py's big one written straight to the database."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bench.networks import DELIVERY, generate
from services.client import SamlastClient
from services.demo.network import PRODUCTS, Product
from services.matcher.engine import AllocationProblem
from services.matcher.engine.allocation.transport import HANDLING_ORE_PER_KG, ORE_PER_TONNE_KM
from shared.db import cycles as cycles_db
from shared.db import demand as demand_db
from shared.db import networks as networks_db
from shared.db import offers as offers_db
from shared.db import organisations as organisations_db
from shared.db import products as products_db
from shared.db.offers import ListingRow, OfferRow
from shared.db.pool import Conn

UPPSALA = (59.8586, 17.6389)
DEPOT = {"lat": 59.8470, "lon": 17.6790}


@dataclass(frozen=True)
class Shape:
    """One generated network; a demand round has at most one line per product."""

    farms: int  # a quarter of them (at least one) dairies: the chilled products
    coops: int
    products: int
    lines_per_coop: int
    vans: int  # every other one refrigerated


FLEET_SHAPE = Shape(farms=4, coops=5, products=48, lines_per_coop=40, vans=2)
ROUTING_SHAPE = Shape(farms=24, coops=24, products=48, lines_per_coop=10, vans=16)
QUICK_ROUTING_SHAPE = Shape(farms=6, coops=6, products=24, lines_per_coop=8, vans=4)


@dataclass(frozen=True)
class Built:
    cycle_id: str
    coordinator: str  # a token that may close the cycle
    farms: int
    coops: int
    offers: int
    lines: int


async def _members(
    issuer: SamlastClient, nid: str, kind: str, count: int, spread: float, rng: random.Random
) -> list[tuple[SamlastClient, dict[str, Any]]]:
    """New organisations of the network within ``spread`` degrees of Uppsala: the API as
    each sees it, and where it is."""
    members = []
    for number in range(1, count + 1):
        name = f"{'Gård' if kind == 'producer' else 'Matlag'} {number}"
        place = _place(rng, spread, f"{name}, Uppsala län")
        body = {"kind": kind, "name": name, "network_ids": [nid], "location": place}
        created = await issuer.create_organisation(body)
        token = await issuer.issue_token(created["id"], label=f"{name} (bench)")
        members.append((issuer.as_(token), place))
    return members


def _place(rng: random.Random, spread: float, address: str) -> dict[str, Any]:
    """Somewhere within ``spread`` degrees of latitude (twice that of longitude) of Uppsala."""
    lat = round(UPPSALA[0] + rng.uniform(-spread, spread), 5)
    return {
        "lat": lat,
        "lon": round(UPPSALA[1] + rng.uniform(-2 * spread, 2 * spread), 5),
        "address": address,
    }


async def build_network(
    admin: SamlastClient, shape: Shape, number: int, gate: asyncio.Semaphore
) -> Built:
    """A network around Uppsala: farms within about 50 km, co-ops in town, vans at a depot;
    the products, the farms' offers, an open cycle and every co-op's demand round."""
    rng = random.Random(number)
    async with gate:
        name = f"Nätverk {number} {secrets.token_hex(3)}"
        nid = (await admin.create_network({"name": name}))["id"]
        body = {"kind": "coordinator", "name": f"{name} samordning", "network_ids": [nid]}
        created = await admin.create_organisation(body)
        coordinator = admin.as_(await admin.issue_token(created["id"], label="Samordnare"))
        catalogue = [PRODUCTS[n % len(PRODUCTS)] for n in range(shape.products)]
        products = [
            await coordinator.create_product(nid, body) for body in _product_bodies(catalogue)
        ]
        for van in range(shape.vans):
            vehicle = {**VAN, "name": f"Bil {van + 1}", "cold_capable": van % 2 == 0}
            await coordinator.add_vehicle(nid, vehicle)
        farms = await _members(coordinator, nid, "producer", shape.farms, 0.45, rng)
        coops = await _members(coordinator, nid, "coop", shape.coops, 0.04, rng)
        offers = 0
        for (farm, place), grown in zip(farms, _growers(shape, catalogue, rng), strict=True):
            bodies = [
                _offer(nid, products[n], catalogue[n], place, share, rng) for n, share in grown
            ]
            offers += (await farm.upload_offers(bodies))["created"]
        cycle = await coordinator.open_cycle(nid, _cycle_body())
        for coop, _ in coops:
            order = [
                _line(products[n], catalogue[n], rng)
                for n in rng.sample(range(shape.products), k=shape.lines_per_coop)
            ]
            await coop.submit_demand(cycle["id"], order)
    demand = shape.coops * shape.lines_per_coop
    return Built(cycle["id"], coordinator.token, shape.farms, shape.coops, offers, demand)


VAN: dict[str, Any] = {"start": DEPOT, "capacity_grams": 900_000, "capacity_ml": 5_400_000}
VAN |= {"fixed_cost_ore": 20_000, "cost_per_km_ore": 450, "cost_per_hour_ore": 30_000}


def _product_bodies(catalogue: list[Product]) -> Iterator[dict[str, Any]]:
    """The demo's products; past the first dozen, other varieties of them."""
    for number, product in enumerate(catalogue):
        variety = number // len(PRODUCTS)
        yield {
            "name": f"{product.name} {variety + 1}" if variety else product.name,
            "category": product.category,
            "unit": product.unit,
            "grams_per_unit": product.grams_per_unit,
            "ml_per_unit": product.ml_per_unit,
            "temperature": product.temperature,
        }


def _growers(
    shape: Shape, catalogue: list[Product], rng: random.Random
) -> list[list[tuple[int, float]]]:
    """What each farm offers, (product, share of the network's demand): dairies the chilled
    products, the other farms the rest; each product from one farm, a third from two."""
    dairies = max(1, shape.farms // 4)
    farms_of = {"chilled": list(range(dairies)), "ambient": list(range(dairies, shape.farms))}
    growers: list[list[tuple[int, float]]] = [[] for _ in range(shape.farms)]
    taken: dict[str, int] = defaultdict(int)  # products given to each group so far
    ordering = shape.coops * shape.lines_per_coop / shape.products  # co-ops per product
    for number, product in enumerate(catalogue):
        group = "chilled" if product.temperature == "chilled" else "ambient"
        farms, first = farms_of[group], taken[group]
        taken[group] += 1
        sellers = [farms[first % len(farms)]]
        if len(farms) > 1 and rng.random() < 1 / 3:
            sellers.append(farms[(first + rng.randrange(1, len(farms))) % len(farms)])
        for farm in sellers:
            growers[farm].append((number, product.typical_order * ordering / len(sellers)))
    return growers


def _offer(
    nid: str,
    product: dict[str, Any],
    kind: Product,
    place: dict[str, Any],
    demand: float,
    rng: random.Random,
) -> dict[str, Any]:
    """Packs for about ``demand`` units, some short and some plenty."""
    pack = rng.choice(kind.pack_units)
    today = dt.date.today()
    return {
        "listings": [{"network_id": nid, "product_id": product["id"]}],
        "pack_units": pack,
        "packs_available": max(1, round(demand * rng.uniform(0.7, 1.4) / pack)),
        "price_per_pack_ore": round(kind.unit_price_ore * pack * rng.uniform(0.85, 1.15)),
        "valid_from": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=30)).isoformat(),
        "pickup": place,
        "pickup_windows": [{"opens": "07:00:00", "closes": "12:00:00"}],
    }


def _line(product: dict[str, Any], kind: Product, rng: random.Random) -> dict[str, Any]:
    """A co-op's pooled order of one product, a little under or over what it usually takes."""
    firm = max(1, round(kind.typical_order * rng.uniform(0.4, 1.6)))
    ceiling = rng.choice([None, None, round(kind.unit_price_ore * rng.uniform(0.95, 1.3))])
    return {
        "product_id": product["id"],
        "firm_quantity": firm,
        "tolerance": rng.choice([0, 1, 2, max(1, firm // 4)]),
        "max_unit_price_ore": ceiling,
    }


def _cycle_body() -> dict[str, str]:
    now = dt.datetime.now(dt.UTC)
    return {
        "opens_at": (now - dt.timedelta(hours=1)).isoformat(),
        "closes_at": (now + dt.timedelta(days=2)).isoformat(),
        "delivery_date": (now + dt.timedelta(days=4)).date().isoformat(),
    }


async def allocation_network(conn: Conn, divide: int) -> Built:
    """bench/allocation.py's 1x network (``divide`` 1), written with shared/db's functions:
    through the API, 400 organisations and their tokens would take minutes. It has no
    vans, so the run's routing stage stores its shipments unserved without a search."""
    problem = generate(
        1,
        producers=300 // divide,
        coops=100 // divide,
        offers=3000 // divide,
        lines=30000 // divide,
    )
    values = dict.fromkeys(("hub_lat", "hub_lon")) | {"region": "", "hub_address": ""}
    values |= {"timezone": "Europe/Stockholm", "currency": "SEK", "producer_share_permille": 0}
    values |= {
        "transport_handling_ore_per_kg": HANDLING_ORE_PER_KG,
        "transport_ore_per_tonne_km": ORE_PER_TONNE_KM,
        "deadline_reminder_hours": 24,
        "transport_warning_permille": 300,
    }
    values["name"] = f"Län {secrets.token_hex(3)}"
    nid = (await networks_db.insert_network(conn, values))["id"]
    members = await _insert_members(conn, nid, problem)
    grams = sorted({offer.product_id: offer.grams_per_unit for offer in problem.offers}.items())
    products = {}
    for number, (old, weight) in enumerate(grams):
        values = {"name": f"produkt {number}", "category": "", "unit": "kg"}
        values |= {"grams_per_unit": weight, "ml_per_unit": weight, "temperature": "ambient"}
        products[old] = (await products_db.insert_product(conn, nid, values))["id"]
    rows = []
    for o in problem.offers:
        farm, lat, lon = members[o.producer_id]
        rows.append(
            OfferRow(
                id=o.id,
                producer_id=farm,
                pack_units=o.pack_units,
                packs_available=o.packs_available,
                price_per_pack_ore=o.price_per_pack_ore,
                valid_from=o.valid_from,
                valid_until=o.valid_until,
                pickup_lat=lat,
                pickup_lon=lon,
                pickup_address="",
                note="",
            )
        )
    await offers_db.insert_offers(conn, rows)
    listings = [
        ListingRow(offer_id=o.id, network_id=nid, product_id=products[o.product_id])
        for o in problem.offers
    ]
    await offers_db.insert_listings(conn, listings)
    now = dt.datetime.now(dt.UTC)
    opens, closes = now - dt.timedelta(hours=1), now + dt.timedelta(days=2)
    cycle = await cycles_db.insert_cycle(conn, nid, opens, closes, DELIVERY)
    orders: dict[uuid.UUID, list[demand_db.LineRow]] = defaultdict(list)
    for line in problem.lines:
        orders[line.coop_id].append(
            demand_db.LineRow(
                id=uuid.uuid4(),
                product_id=products[line.product_id],
                firm_quantity=line.firm_quantity,
                tolerance=line.tolerance,
                max_unit_price_ore=line.max_unit_price_ore,
                deliver_from=None,
                deliver_until=None,
            )
        )
    for coop, lines in orders.items():
        round_id = await demand_db.insert_round(conn, cycle["id"], nid, members[coop][0])
        assert round_id is not None
        await demand_db.replace_lines(conn, round_id, nid, lines)
    farms = len({offer.producer_id for offer in problem.offers})
    return Built(str(cycle["id"]), "", farms, len(orders), len(problem.offers), len(problem.lines))


async def _insert_members(
    conn: Conn, nid: uuid.UUID, problem: AllocationProblem
) -> dict[uuid.UUID, tuple[uuid.UUID, float, float]]:
    """The problem's producers and co-ops as organisations of the network, within about
    70 km of Uppsala: their generated id → (organisation id, lat, lon)."""
    rng = random.Random(1)
    kinds = {offer.producer_id: "producer" for offer in problem.offers}
    kinds |= {line.coop_id: "coop" for line in problem.lines}
    members: dict[uuid.UUID, tuple[uuid.UUID, float, float]] = {}
    for old, kind in sorted(kinds.items()):
        place = _place(rng, 0.6, "")
        values = {"kind": kind, "name": f"{kind} {len(members)}", **place}
        new = await organisations_db.insert_organisation(
            conn, {**values, "contact_email": "", "contact_phone": ""}
        )
        await networks_db.insert_membership(conn, nid, new)
        members[old] = (new, place["lat"], place["lon"])
    return members
