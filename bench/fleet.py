"""Many networks at once, and what one matcher process holds in memory.

Fleet: small, realistic networks are built through the HTTP API in-process (Litestar's
``AsyncTestClient``, as a client would build them); their coordinators then close every
cycle together through ``POST /v1/cycles/{id}/close``, the path that records each match
run and queues it, while one or two real ``samlast worker`` processes drain the queue.
Each closed cycle must then have exactly one run, proposed, its result stored once.

Memory: the peak resident set (``VmHWM``) of a fresh ``samlast worker`` process after the
largest allocation run (bench/allocation.py's 1x network) and after a routing run of a
couple of hundred shipments.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from litestar import Litestar
from litestar.testing import AsyncTestClient

from bench.networks import DELIVERY, generate
from infra.devservers import scratch_database, servers_from_env
from infra.processes import samlast_process
from services.api.app import create_app
from services.api.tokens.service import create_admin
from services.client import SamlastClient
from services.demo.network import PRODUCTS, Product
from services.matcher.engine import AllocationProblem
from shared.db import cycles as cycles_db
from shared.db import demand as demand_db
from shared.db import networks as networks_db
from shared.db import offers as offers_db
from shared.db import organisations as organisations_db
from shared.db import products as products_db
from shared.db.migrate import migrate
from shared.db.pool import Conn, connect
from shared.settings import load_settings

Client = AsyncTestClient[Litestar]
Worker = subprocess.Popen[bytes]
UPPSALA = (59.8586, 17.6389)
DEPOT = {"lat": 59.8470, "lon": 17.6790}
FINISHED = ["proposed", "failed", "cancelled"]


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


@dataclass(frozen=True)
class FleetRow:
    workers: int
    networks: int
    offers: int  # over all networks
    lines: int
    shipments: int  # over all runs
    build_s: float  # building the networks through the API; not part of the throughput
    closing_s: float  # the first close to the moment all were committed
    drain_s: float  # that moment to the last run proposed, on PostgreSQL's clock
    run_s: float  # the median run, claimed to proposed
    worker_cpu_s: float  # CPU the worker processes spent in drain_s
    runs: int
    proposed: int
    retried: int  # runs a worker started more than once
    problems: tuple[str, ...]  # every lost, duplicated or doubly stored result found
    alone: tuple[float, float] | None = None  # one run before, alone: CPU s, claimed to proposed

    @property
    def runs_per_minute(self) -> float:
        return 60 * self.proposed / self.drain_s if self.drain_s > 0 else 0.0


@dataclass(frozen=True)
class MemoryRow:
    case: str
    built: Built
    shipments: int
    state: str
    run_s: float  # claimed to proposed
    idle_mib: float  # VmHWM of the worker once started, before the run
    peak_mib: float  # VmHWM after the run


@dataclass(frozen=True)
class FleetReport:
    quick: bool
    fleets: tuple[FleetRow, ...]
    memory: tuple[MemoryRow, ...]
    routing_seconds: float  # the route search's cap per plan in the routing memory case
    load_average: float  # of the machine's last minute when the bench started
    seconds: float


def measure(quick: bool) -> FleetReport:
    started, load = time.monotonic(), os.getloadavg()[0]
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request
    networks, routing_seconds = (8, 1.0) if quick else (40, 4.0)
    with servers_from_env() as urls, tempfile.TemporaryDirectory(prefix="samlast-fleet-") as tmp:
        fleets = []
        for workers in (1, 2):
            with _scratch(urls.database_url, urls.redis_url) as env:
                alone = workers == 1 and not quick
                fleets.append(asyncio.run(_fleet(env, networks, workers, alone, Path(tmp))))
            print(
                f"fleet, {workers} worker(s): {fleets[-1].runs_per_minute:.1f} runs/min",
                file=sys.stderr,
                flush=True,
            )
        with _scratch(urls.database_url, urls.redis_url) as env:
            memory = asyncio.run(_memory(env, quick, routing_seconds, Path(tmp)))
    return FleetReport(
        quick, tuple(fleets), tuple(memory), routing_seconds, load, time.monotonic() - started
    )


# -- servers and workers ------------------------------------------------------------------


@contextlib.contextmanager
def _scratch(server_url: str, redis_url: str) -> Iterator[dict[str, str]]:
    """A database and a queue of its own: the environment one measurement runs in."""
    with scratch_database(server_url, "samlast_fleet") as database_url:
        yield {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SAMLAST_QUEUE_NAME": f"samlast-fleet-{secrets.token_hex(4)}",
            "SAMLAST_LOG_LEVEL": "INFO",
        }


async def _setup(env: dict[str, str]) -> tuple[Client, Conn, SamlastClient]:
    """The API in-process, the operator's connection (the login role, which migrates),
    and the API as an admin sees it."""
    settings = load_settings(env)
    conn = await connect(settings)
    await migrate(conn)
    token = await create_admin(conn, "Bench", "", "bench/fleet.py")
    client = AsyncTestClient(app=create_app(settings))
    return client, conn, SamlastClient(client, token)


@contextlib.contextmanager
def _workers(count: int, env: dict[str, str], logs: Path) -> Iterator[list[Worker]]:
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(samlast_process(["worker"], env, _log(logs, worker)))
            for worker in range(count)
        ]


def _log(logs: Path, worker: int) -> Path:
    return logs / f"worker-{worker}.log"


async def _ready(workers: list[Worker], logs: Path, timeout_s: float = 60) -> None:
    """Each worker has run its start-up cron jobs, so it is taking jobs from the queue."""
    deadline = time.monotonic() + timeout_s
    for number, worker in enumerate(workers):
        log = _log(logs, number)
        while "← cron:" not in log.read_text(errors="replace"):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"`samlast worker` did not start:\n{log.read_text()[-2000:]}")
            await asyncio.sleep(0.1)


def _cpu_s(workers: list[Worker]) -> float:
    return sum(sum(psutil.Process(w.pid).cpu_times()[:2]) for w in workers)


def _peak_mib(worker: Worker) -> float:
    """The process's peak resident set so far (VmHWM), in MiB."""
    for line in Path(f"/proc/{worker.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc: this measurement needs Linux")


async def _wait_finished(conn: Conn, cycle_ids: list[uuid.UUID], timeout_s: float) -> None:
    """Until every run of these cycles is finished or the time is up (the verdict says)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await conn.fetchval(UNFINISHED, cycle_ids, FINISHED) == 0:
            return
        await asyncio.sleep(0.2)


UNFINISHED = """
SELECT count(*) FROM cycle c LEFT JOIN match_run r ON r.cycle_id = c.id
WHERE c.id = any($1::uuid[]) AND (r.id IS NULL OR NOT r.state = any($2::text[]))"""


# -- many networks at once ----------------------------------------------------------------


async def _fleet(env: dict[str, str], count: int, workers: int, alone: bool, tmp: Path) -> FleetRow:
    """``count`` networks closed together; if ``alone``, first one more closed alone."""
    client, conn, admin = await _setup(env)
    logs = Path(tempfile.mkdtemp(prefix=f"fleet-{workers}-", dir=tmp))
    try:
        async with client:
            with _workers(workers, env, logs) as processes:  # they start while we build
                started = time.monotonic()
                gate = asyncio.Semaphore(4)
                built = await asyncio.gather(
                    *(_build(admin, FLEET_SHAPE, n, gate) for n in range(count + alone))
                )
                build_s = time.monotonic() - started
                await _ready(processes, logs)
                solo = await _alone(conn, admin, processes, built.pop()) if alone else None
                cycles = [uuid.UUID(network.cycle_id) for network in built]
                cpu_before = _cpu_s(processes)
                await asyncio.gather(*(_close(admin, network) for network in built))
                closed_at: dt.datetime = await conn.fetchval("SELECT clock_timestamp()")
                await _wait_finished(conn, cycles, timeout_s=60 + 20 * count)
                cpu_s = _cpu_s(processes) - cpu_before
        row = await _verdict(conn, cycles, workers, built, build_s, closed_at, cpu_s)
        return dataclasses.replace(row, alone=solo)
    finally:
        await conn.close()


async def _alone(
    conn: Conn, api: SamlastClient, processes: list[Worker], network: Built
) -> tuple[float, float]:
    """One run with the workers to itself: its CPU seconds, and seconds claimed to proposed."""
    before = _cpu_s(processes)
    await _close(api, network)
    await _wait_finished(conn, [uuid.UUID(network.cycle_id)], timeout_s=120)
    run = await conn.fetchrow(ONE_RUN, uuid.UUID(network.cycle_id))
    assert run is not None
    return _cpu_s(processes) - before, _seconds(run)


def _seconds(run: asyncpg.Record) -> float:
    """Claimed to proposed (or failed)."""
    started: dt.datetime = run["started_at"]
    return ((run["finished_at"] or started) - started).total_seconds()


async def _close(api: SamlastClient, network: Built) -> None:
    """Close the network's cycle as its coordinator."""
    await api.as_(network.coordinator).close_cycle(network.cycle_id)


async def _verdict(
    conn: Conn,
    cycles: list[uuid.UUID],
    workers: int,
    built: Sequence[Built],
    build_s: float,
    closed_at: dt.datetime,
    cpu_s: float,
) -> FleetRow:
    runs = await conn.fetch(RUN_ROWS, cycles)
    problems = [
        f"cycle {row['id']} ({row['state']}) has {row['runs']} runs"
        for row in await conn.fetch(CYCLE_RUNS, cycles)
        if row["runs"] != 1 or row["state"] != "matched"
    ]
    problems += [
        f"run {r['id']} {r['state']}: {r['error']}" for r in runs if r["state"] != "proposed"
    ]
    problems += [f"run {run['id']}: {what}" for run in runs for what in _stored_twice(run)]
    for what, sql in (
        ("lines given more than firm + tolerance", OVERFILLED),
        (
            "offers whose reserved packs differ from what proposed runs bought",
            MISRESERVED,
        ),
    ):
        if found := await conn.fetchval(sql, cycles):
            problems.append(f"{found} {what}")
    proposed = [run for run in runs if run["state"] == "proposed"]
    last = max((run["finished_at"] for run in proposed), default=closed_at)
    run_s = [(run["finished_at"] - run["started_at"]).total_seconds() for run in proposed]
    return FleetRow(
        workers=workers,
        networks=len(cycles),
        offers=sum(network.offers for network in built),
        lines=sum(network.lines for network in built),
        shipments=sum(run["shipment_rows"] for run in runs),
        build_s=build_s,
        closing_s=(
            closed_at - min((r["created_at"] for r in runs), default=closed_at)
        ).total_seconds(),
        drain_s=(last - closed_at).total_seconds(),
        run_s=statistics.median(run_s or [0.0]),
        worker_cpu_s=cpu_s,
        runs=len(runs),
        proposed=len(proposed),
        retried=sum(run["attempts"] > 1 for run in runs),
        problems=tuple(problems),
    )


def _stored_twice(run: asyncpg.Record) -> list[str]:
    """Where a run's rows disagree with the summary stored with them in one transaction."""
    summary, routing = run["summary"] or {}, run["routing"] or {}
    filled = summary.get("firm_units_filled", 0) + summary.get("tolerance_units", 0)
    expected = {
        "packs bought": (run["packs"], summary.get("packs_bought")),
        "units allocated": (run["units"], filled),
        "allocation rows per offer and line": (run["allocation_rows"], run["allocation_keys"]),
        "lines short": (run["unfilled_rows"], summary.get("lines_short")),
        "shipments": (run["shipment_rows"], routing.get("shipments")),
        "joint routes": (run["joint_routes"], (routing.get("joint") or {}).get("routes")),
    }
    return [
        f"{what}: {got} stored, {want} expected"
        for what, (got, want) in expected.items()
        if got != want
    ]


CYCLE_RUNS = """
SELECT c.id, c.state, count(r.id) AS runs
FROM cycle c LEFT JOIN match_run r ON r.cycle_id = c.id
WHERE c.id = any($1::uuid[]) GROUP BY c.id, c.state"""

RUN_ROWS = """
SELECT r.id, r.state, r.error, r.attempts, r.summary, r.routing, r.created_at,
       r.started_at, r.finished_at,
       (SELECT coalesce(sum(p.packs), 0) FROM run_purchase p WHERE p.run_id = r.id) AS packs,
       (SELECT coalesce(sum(a.units), 0) FROM allocation a WHERE a.run_id = r.id) AS units,
       (SELECT count(*) FROM allocation a WHERE a.run_id = r.id) AS allocation_rows,
       (SELECT count(DISTINCT (a.offer_id, a.demand_line_id)) FROM allocation a
        WHERE a.run_id = r.id) AS allocation_keys,
       (SELECT count(*) FROM unfilled_demand u WHERE u.run_id = r.id) AS unfilled_rows,
       (SELECT count(*) FROM shipment s WHERE s.run_id = r.id) AS shipment_rows,
       (SELECT count(*) FROM route t WHERE t.run_id = r.id AND t.plan = 'joint') AS joint_routes
FROM match_run r WHERE r.cycle_id = any($1::uuid[])"""

# A result stored twice would give its lines their units twice ...
OVERFILLED = """
SELECT count(*) FROM (
    SELECT sum(a.units) AS got, min(d.firm_quantity + d.tolerance) AS most
    FROM allocation a JOIN match_run r ON r.id = a.run_id
    JOIN demand_line d ON d.id = a.demand_line_id
    WHERE r.cycle_id = any($1::uuid[]) GROUP BY a.run_id, a.demand_line_id) lines
WHERE got > most"""

# ... and reserve its packs twice.
MISRESERVED = """
SELECT count(*) FROM offer o
WHERE o.id IN (SELECT l.offer_id FROM offer_listing l JOIN cycle c ON c.network_id = l.network_id
               WHERE c.id = any($1::uuid[]))
  AND o.packs_reserved <> (SELECT coalesce(sum(p.packs), 0) FROM run_purchase p
                           JOIN match_run r ON r.id = p.run_id
                           WHERE p.offer_id = o.id AND r.state = 'proposed')"""


# -- networks built through the API -------------------------------------------------------


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
        token = await issuer.issue_token(created["id"], user_name=f"{name} (bench)")
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


async def _build(admin: SamlastClient, shape: Shape, number: int, gate: asyncio.Semaphore) -> Built:
    """A network around Uppsala: farms within about 50 km, co-ops in town, vans at a depot;
    the products, the farms' offers, an open cycle and every co-op's demand round."""
    rng = random.Random(number)
    async with gate:
        name = f"Nätverk {number} {secrets.token_hex(3)}"
        nid = (await admin.create_network({"name": name}))["id"]
        body = {"kind": "coordinator", "name": f"{name} samordning", "network_ids": [nid]}
        created = await admin.create_organisation(body)
        coordinator = admin.as_(await admin.issue_token(created["id"], user_name="Samordnare"))
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


# -- memory --------------------------------------------------------------------------------


async def _memory(
    env: dict[str, str], quick: bool, routing_seconds: float, tmp: Path
) -> list[MemoryRow]:
    client, conn, admin = await _setup(env)
    divide, routing = (10, QUICK_ROUTING_SHAPE) if quick else (1, ROUTING_SHAPE)
    cases: list[tuple[str, dict[str, str], Callable[[], Awaitable[Built]]]] = [
        (
            f"allocation: bench/allocation.py's {'1/10x' if quick else '1x'} network, no vans",
            env,
            lambda: _allocation_network(conn, divide),
        ),
        (
            f"routing: {routing.vans} vans, route search capped at {routing_seconds:g} s a plan",
            {**env, "SAMLAST_ROUTING_SECONDS": str(routing_seconds)},
            lambda: _build(admin, routing, 1000, asyncio.Semaphore(1)),
        ),
    ]
    try:
        async with client:
            return [
                await _memory_case(conn, admin, case, case_env, build, tmp)
                for case, case_env, build in cases
            ]
    finally:
        await conn.close()


async def _memory_case(
    conn: Conn,
    admin: SamlastClient,
    case: str,
    env: dict[str, str],
    build: Callable[[], Awaitable[Built]],
    tmp: Path,
) -> MemoryRow:
    """A fresh worker takes the network's run: its peak resident set before and after."""
    logs = Path(tempfile.mkdtemp(prefix="memory-", dir=tmp))
    with _workers(1, env, logs) as (worker,):
        network = await build()  # while the worker starts
        await _ready([worker], logs)
        idle = _peak_mib(worker)
        await admin.close_cycle(network.cycle_id)
        await _wait_finished(conn, [uuid.UUID(network.cycle_id)], timeout_s=900)
        peak = _peak_mib(worker)
    run = await conn.fetchrow(ONE_RUN, uuid.UUID(network.cycle_id))
    assert run is not None
    return MemoryRow(case, network, run["shipments"], run["state"], _seconds(run), idle, peak)


ONE_RUN = """
SELECT r.state, r.started_at, r.finished_at,
       (SELECT count(*) FROM shipment s WHERE s.run_id = r.id) AS shipments
FROM match_run r WHERE r.cycle_id = $1"""


async def _allocation_network(conn: Conn, divide: int) -> Built:
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
        terms = (o.pack_units, o.packs_available, o.price_per_pack_ore, o.valid_from, o.valid_until)
        rows.append((o.id, farm, *terms, lat, lon, "", ""))
    await offers_db.insert_offers(conn, rows)
    listings = [(o.id, nid, products[o.product_id]) for o in problem.offers]
    await offers_db.insert_listings(conn, listings)
    now = dt.datetime.now(dt.UTC)
    opens, closes = now - dt.timedelta(hours=1), now + dt.timedelta(days=2)
    cycle = await cycles_db.insert_cycle(conn, nid, opens, closes, DELIVERY)
    orders: dict[uuid.UUID, list[demand_db.LineValues]] = defaultdict(list)
    for line in problem.lines:
        wanted = (line.firm_quantity, line.tolerance, line.max_unit_price_ore, None, None)
        orders[line.coop_id].append((products[line.product_id], *wanted))
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


# -- the report ------------------------------------------------------------------------------


def render(report: FleetReport) -> str:
    """The report's section on many networks at once and on memory, in Markdown."""
    one, two = report.fleets[0], report.fleets[-1]
    shape, per = FLEET_SHAPE, max(one.networks, 1)
    out = [
        "## Many networks at once",
        "",
        f"Written by `make bench{' ARGS=--quick' if report.quick else ''}` "
        f"(`python -m bench.fleet` alone) in {report.seconds:.0f} s, on {os.cpu_count()} cores "
        f"shared with other work (load average {report.load_average:.1f} at the start). "
        f"{one.networks} networks are built through the HTTP API in-process, as a client "
        f"would: each has {shape.farms} farms (one a dairy) within about 50 km of Uppsala, "
        f"{shape.coops} co-ops in town, {shape.products} products, about {one.offers // per} "
        f"offers, {one.lines // per} demand lines ({shape.lines_per_coop} a co-op) and "
        f"{shape.vans} vans (one refrigerated), no hub; a run has about "
        f"{one.shipments // per} shipments to route. Then every coordinator closes its cycle "
        "at once (`POST /v1/cycles/{id}/close`: the run recorded in the same transaction, "
        "then queued in Redis) while real `samlast worker` processes, with default settings "
        "(4 runs at once each, route search budget by size), take runs from the one queue. "
        "Runs per minute count from the moment every close is committed to the last run "
        "proposed, both on PostgreSQL's clock. Each measurement has its own database and "
        f"queue; building its networks took {one.build_s:.0f} s and {two.build_s:.0f} s "
        "(not counted).",
        "",
        "| workers | networks | closing s | to the last run proposed s | runs/min "
        "| median run s | worker CPU s | CPU s a run | cores busy | runs started twice |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report.fleets:
        out.append(
            f"| {row.workers} | {row.networks} | {row.closing_s:.2f} | {row.drain_s:.1f} | "
            f"{row.runs_per_minute:.1f} | {row.run_s:.1f} | {row.worker_cpu_s:.1f} | "
            f"{row.worker_cpu_s / max(row.proposed, 1):.2f} | "
            f"{row.worker_cpu_s / row.drain_s if row.drain_s else 0:.2f} | {row.retried} |"
        )
    ratio = two.runs_per_minute / one.runs_per_minute if one.runs_per_minute else 0.0
    out += ["", f"Two workers against one: **{ratio:.2f}x** the runs per minute."]
    out.append(
        "The route search stops at its iteration count or at its wall-clock limit (3 s plus "
        "1 s per 20 shipments a plan), whichever comes first, and a worker runs 4 runs at "
        "once in threads. When those get less CPU than they need, searches end at the limit "
        "with fewer iterations: a run costs less CPU and may plan a little worse, and runs "
        "per minute follow the runs in flight (4 a worker) over that limit more than the "
        "cores; compare CPU s a run and cores busy."
        + (
            f" One run with the worker to itself took {one.alone[1]:.1f} s and "
            f"{one.alone[0]:.2f} CPU s."
            if one.alone
            else ""
        )
    )
    problems = [problem for row in report.fleets for problem in row.problems]
    out += [
        "",
        f"No run lost or duplicated: **{'met' if not problems else 'not met'}**. Checked "
        f"for the {sum(row.networks for row in report.fleets)} closed cycles: each has exactly one "
        "match run, every run reached `proposed` (the state a finished run waits for review "
        "in) and its cycle `matched`; each run's stored rows agree with the summary stored "
        "with them (packs bought, units allocated, lines short, shipments, joint routes); no "
        "allocation row appears twice for a run, offer and line; no line got more than its "
        "firm quantity plus tolerance; every offer's reserved packs equal what the proposed "
        "runs bought from it.",
    ]
    out += [f"- {problem}" for problem in problems[:20]]
    out += ["", *SPREAD, "", *_render_memory(report), ""]
    return "\n".join(out)


SPREAD = [
    "### Past one machine",
    "",
    "- **API replicas behind a load balancer.** The API keeps no state of its own: each "
    "request's token is checked in PostgreSQL, rate limits and refused-login counts are in "
    "Redis, the web pages keep only the token in a cookie. Any replica can serve any "
    "request; no sticky sessions.",
    "- **Workers on many hosts, one Redis queue.** A run's job id is the run's id, so it is "
    "queued once however often it is enqueued; a worker claims the run in PostgreSQL and "
    "stores its result in one transaction that first checks, under the run's row lock, "
    "that nobody stored it yet. The 5-second sweeps run in every worker, but arq queues "
    "each tick's job once and closing due cycles is a single UPDATE. The two worker "
    "processes above talk to each other only through Redis and PostgreSQL, as two hosts "
    "would.",
    "- **One Redis.** It holds queues, rate limits and health keys only; a lost job is "
    "queued again from PostgreSQL by the sweep.",
    "- **PostgreSQL by network.** The matching path splits cleanly: `product`, `vehicle`, "
    "`membership`, `offer_listing`, `cycle`, `demand_round`, `demand_line` and `match_run` "
    "carry `network_id`, and a run's results (`run_purchase`, `allocation`, "
    "`unfilled_demand`, `shipment`, `route`, `route_stop`, `cost_share`, `run_transition`) "
    "hang off its `match_run`. Not every table does: an organisation may belong to several "
    "networks (and with it its users, tokens, opening hours and webhook deliveries), and an "
    "offer may be listed in several, its reserved packs counted across them "
    "(`offer.packs_reserved`); idempotency keys hang off tokens, and audit entries name a "
    "network only when they concern one. Those stay "
    "shared (reference) tables, and storing a run updates one shared offer row per offer "
    "it buys from.",
]


def _render_memory(report: FleetReport) -> list[str]:
    out = [
        "## Memory of a worker",
        "",
        "Peak resident memory (`VmHWM` in `/proc/<pid>/status`) of a real `samlast worker` "
        "process, a fresh one for each case: once it has started (idle), and after it "
        "finished the case's run. The engine runs in that process's threads, so this is all "
        "of it. The allocation case is bench/allocation.py's network of that size written "
        "to the database with `shared/db` functions, without vans: its shipments are stored "
        "as unserved and no route is searched (a search over that many shipments, and the "
        "300 producers' own round trips planned for the baseline, would take far longer "
        "than this bench can spend). The "
        "routing case is built through the API; its route search is capped "
        f"(`SAMLAST_ROUTING_SECONDS={report.routing_seconds:g}`), which bounds the time, not "
        "the size of what the solver holds.",
        "",
        "| case | producers | co-ops | offers | demand lines | shipments | run s | state "
        "| idle MiB | peak MiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report.memory:
        net = row.built
        out.append(
            f"| {row.case} | {net.farms:,} | {net.coops:,} | {net.offers:,} | {net.lines:,} | "
            f"{row.shipments:,} | {row.run_s:.1f} | {row.state} | {row.idle_mib:.0f} | "
            f"{row.peak_mib:.0f} |"
        )
    return out


if __name__ == "__main__":
    print(render(measure("--quick" in sys.argv)))
