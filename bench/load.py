"""The API under load and bulk ingest, each against asyncpg doing the same writes directly.

``samlast api --workers <cores>`` (uvicorn, as production runs it) serves a scratch
database; wrk (Debian's package) drives it over loopback with the scripts in
``bench/wrk/``. The reference ceiling for posting offers is the same inserts the API
makes (offer, listing, pickup window, audit row, in one transaction), done by asyncpg
at the same concurrency in the same run; bulk ingest is compared with a plain
``copy_records_to_table`` of the same rows. ``python -m bench.load [--quick]``.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import uvloop

from infra.devservers import free_port, scratch_database, servers_from_env
from infra.processes import samlast_process, wait_for_health
from services.api.auth.tokens import hash_token
from services.api.bulk import MAX_ROWS
from services.api.offers.upload import CSV_COLUMNS
from services.client import SamlastClient
from shared.db import offers as offers_db
from shared.db import tokens as tokens_db
from shared.db.audit import insert_audit
from shared.db.migrate import migrate
from shared.db.offers import OFFER_COLUMNS
from shared.db.pool import Conn, connect, create_pool
from shared.settings import load_settings

T = TypeVar("T")
Record = tuple[Any, ...]

WRK_DIR = Path(__file__).with_name("wrk")
LOG_DIR = Path(".samlast") / "logs"
CONNECTIONS = 64
WRK_THREADS = 2
RATE_LIMIT_PER_MINUTE = 10_000_000  # the default, 1,200, would answer 429 within a second
COOPS = 16
LISTED_OFFERS = 2_000  # in the network when the load starts, and again at every run
DEMAND_LINES = 200
PICKUP = (59.9126, 17.5203, "Ekeby 1, Uppsala")
WINDOW = (dt.time(7), dt.time(11))
TARGET_SHARE = 0.35
TARGET_P99_MS = 100.0
CHURNED_TABLES = ("offer", "offer_listing", "offer_pickup_window", "demand_round", "demand_line")
API_BUSY = """
SELECT count(*) FROM pg_stat_activity
WHERE application_name = 'samlast-api' AND state <> 'idle' AND datname = current_database()"""


class LoadBenchError(RuntimeError):
    """The load benchmark could not run (no wrk, the API did not answer as expected)."""


@dataclass(frozen=True)
class Plan:
    seconds: int  # per run
    runs: int
    bulk_rows: int


QUICK = Plan(seconds=2, runs=1, bulk_rows=10_000)
FULL = Plan(seconds=10, runs=3, bulk_rows=100_000)


@dataclass(frozen=True)
class Sample:
    """One run of one workload."""

    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


@dataclass(frozen=True)
class LoadRow:
    name: str
    connections: int
    requests_per_s: float  # median of the runs
    spread: tuple[float, float]  # slowest and fastest run, requests/s
    p50_ms: float  # median of the runs
    p99_ms: float  # median of the runs
    p99_worst_ms: float
    errors: int  # answers outside 2xx and socket errors, all runs
    requests: int  # all runs
    first_error: str = ""

    @property
    def error_rate(self) -> float:
        return self.errors / max(self.requests, 1)


@dataclass(frozen=True)
class IngestRow:
    rows: int
    uploads: int
    api_rows_per_s: float
    copy_rows_per_s: float
    api_spread: tuple[float, float]  # slowest and fastest upload, rows/s
    copy_spread: tuple[float, float]

    @property
    def ratio(self) -> float:
        return self.api_rows_per_s / self.copy_rows_per_s


@dataclass(frozen=True)
class LoadReport:
    quick: bool
    plan: Plan
    api_workers: int
    postgres: str
    wrk: str
    post_offers: LoadRow
    list_offers: LoadRow
    replace_demand: LoadRow
    ceiling: LoadRow
    ingest: IngestRow
    load_average: float  # 1-minute, when the measurement started
    seconds: float

    @property
    def api_rows(self) -> list[LoadRow]:
        return [self.post_offers, self.list_offers, self.replace_demand]

    @property
    def share_of_ceiling(self) -> float:
        return self.post_offers.requests_per_s / self.ceiling.requests_per_s


@dataclass(frozen=True)
class World:
    """What the benchmark built through the API: one network, its members, an open cycle."""

    base: str
    network_id: str
    producer: str  # token of the producer that posts under load
    producer_id: str
    seller: str  # token of the producer whose LISTED_OFFERS the co-ops list
    products: dict[str, str]  # name -> id
    coops: list[tuple[str, str]]  # (token, demand round id)


def measure(quick: bool) -> LoadReport:
    """Servers, a scratch database and the API up; the workloads; everything down again."""
    started, load_average = time.monotonic(), os.getloadavg()[0]
    plan = QUICK if quick else FULL
    wrk = wrk_binary()
    workers = os.cpu_count() or 1
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with (
        servers_from_env() as urls,
        scratch_database(urls.database_url, "samlast_bench") as database_url,
    ):
        admin, postgres = run(_prepare(database_url))
        port = free_port()
        env = {
            **os.environ,
            **urls.as_env(),
            "DATABASE_URL": database_url,
            "SAMLAST_QUEUE_NAME": f"samlast-bench-{secrets.token_hex(4)}",
            "SAMLAST_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT_PER_MINUTE),
        }
        args = ["api", "--workers", str(workers), "--port", str(port)]
        with samlast_process(args, env, LOG_DIR / "bench-api.log") as api:
            base = f"http://127.0.0.1:{port}"
            wait_for_health(base, {"bench-api": api}, LOG_DIR, need_worker=False)
            world = run(build_world(base, admin))
            run(list_these(world))
            rows = _load(plan, wrk, world, database_url)
            ingest = run(bulk_ingest(world, database_url, plan.bulk_rows))
    return LoadReport(
        quick=quick,
        plan=plan,
        api_workers=workers,
        postgres=postgres,
        wrk=_wrk_version(wrk),
        post_offers=rows["post"],
        list_offers=rows["list"],
        replace_demand=rows["replace"],
        ceiling=rows["ceiling"],
        ingest=ingest,
        load_average=load_average,
        seconds=time.monotonic() - started,
    )


def _load(plan: Plan, wrk: str, world: World, database_url: str) -> dict[str, LoadRow]:
    """The runs of each workload interleaved, so a busy moment hits them all alike."""
    today = dt.date.today()
    product_ids = list(world.products.values())
    workloads: dict[str, Callable[[int], Sample]] = {
        "ceiling": lambda seconds: run(direct_inserts(database_url, world, seconds)),
        "post": lambda seconds: run_wrk(
            wrk,
            "post_offers.lua",
            f"{world.base}/v1/offers",
            seconds,
            [
                world.producer,
                world.network_id,
                str(today),
                str(today + dt.timedelta(30)),
                *product_ids[:20],
            ],
        ),
        "list": lambda seconds: run_wrk(
            wrk, "list_offers.lua", f"{world.base}/v1/offers", seconds, [world.coops[0][0]]
        ),
        "replace": lambda seconds: run_wrk(
            wrk,
            "replace_demand.lua",
            f"{world.base}/v1/demand-rounds",
            seconds,
            [",".join(product_ids), *(part for coop in world.coops for part in coop)],
        ),
    }
    for measure_once in workloads.values():
        measure_once(1)  # warm-up: connections, prepared statements, caches
        run(reset(database_url, world))
    samples: dict[str, list[Sample]] = {name: [] for name in workloads}
    for _ in range(plan.runs):
        for name, measure_once in workloads.items():
            samples[name].append(measure_once(plan.seconds))
            run(reset(database_url, world))
    names = {
        "ceiling": "offer inserts, asyncpg direct (ceiling)",
        "post": "POST /v1/offers",
        "list": "GET /v1/offers",
        "replace": f"PUT demand round lines ({DEMAND_LINES})",
    }
    return {name: summarise(names[name], runs) for name, runs in samples.items()}


def summarise(name: str, runs: list[Sample]) -> LoadRow:
    rates = [sample.rate for sample in runs]
    return LoadRow(
        name=name,
        connections=CONNECTIONS,
        requests_per_s=statistics.median(rates),
        spread=(min(rates), max(rates)),
        p50_ms=statistics.median(sample.p50_ms for sample in runs),
        p99_ms=statistics.median(sample.p99_ms for sample in runs),
        p99_worst_ms=max(sample.p99_ms for sample in runs),
        errors=sum(sample.errors for sample in runs),
        requests=sum(sample.requests for sample in runs),
        first_error=next((sample.first_error for sample in runs if sample.first_error), ""),
    )


async def reset(database_url: str, world: World, timeout_s: float = 30.0) -> None:
    """Every run starts from the same database: wait until the API has no statement
    running (requests wrk left in flight are still served after it stops), delete the
    offers the load posted, and vacuum what the load churned."""
    conn = await connect(load_settings({"DATABASE_URL": database_url}))
    try:
        quiet, deadline = 0, time.monotonic() + timeout_s
        while quiet < 3 and time.monotonic() < deadline:
            busy = await conn.fetchval(API_BUSY)
            quiet = quiet + 1 if busy == 0 else 0
            await asyncio.sleep(0.1)
        await conn.execute("DELETE FROM offer WHERE producer_id = $1", uuid.UUID(world.producer_id))
        await conn.execute(f"VACUUM (ANALYZE) {', '.join(CHURNED_TABLES)}")
    finally:
        await conn.close()


def run_wrk(wrk: str, script: str, url: str, seconds: int, args: list[str]) -> Sample:
    command = [
        wrk,
        f"--threads={WRK_THREADS}",
        f"--connections={CONNECTIONS}",
        f"--duration={seconds}s",
        "--timeout=5s",
        f"--script={(WRK_DIR / script).resolve()}",
        url,
        "--",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = done.stdout.splitlines()
    summary = next((line for line in lines if line.startswith("SAMLAST-WRK ")), None)
    if done.returncode != 0 or summary is None:
        raise LoadBenchError(f"wrk {script} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    result = json.loads(summary.split(" ", 1)[1])
    first_error = next(
        (line.split(" ", 1)[1] for line in lines if line.startswith("SAMLAST-WRK-FIRST-ERROR ")),
        "",
    )
    socket_errors = sum(result[kind] for kind in ("connect", "read", "write", "timeout"))
    return Sample(
        requests=result["requests"] + socket_errors,
        seconds=result["duration_us"] / 1e6,
        errors=result["non2xx"] + socket_errors,
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        first_error=first_error,
    )


async def direct_inserts(database_url: str, world: World, seconds: float) -> Sample:
    """OfferService._insert for one offer, by CONNECTIONS tasks over as many connections."""
    pool = await create_pool(
        load_settings({"DATABASE_URL": database_url}),
        min_size=CONNECTIONS,
        max_size=CONNECTIONS,
    )
    try:
        async with pool.acquire() as conn:
            actor = await tokens_db.select_token_actor(conn, hash_token(world.producer))
        assert actor is not None
        product_ids = [uuid.UUID(value) for value in world.products.values()][:20]
        network_id = uuid.UUID(world.network_id)
        latencies: list[float] = []
        loop = asyncio.get_running_loop()
        started = loop.time()

        async def writer(task_no: int) -> None:
            sent = 0
            while loop.time() - started < seconds:
                sent += 1
                offer_id = uuid.uuid4()
                begun = time.perf_counter()
                async with pool.acquire() as conn, conn.transaction():
                    values = _offer(sent, f"asyncpg task {task_no} offer {sent}")
                    await offers_db.insert_offers(
                        conn, [_offer_record(offer_id, actor["organisation_id"], values)]
                    )
                    await offers_db.insert_listings(
                        conn, [(offer_id, network_id, product_ids[sent % len(product_ids)])]
                    )
                    await offers_db.insert_windows(conn, [(offer_id, *WINDOW)])
                    await insert_audit(
                        conn,
                        action="offer.create",
                        outcome="ok",
                        user_id=actor["user_id"],
                        token_id=actor["token_id"],
                        organisation_id=actor["organisation_id"],
                        object_type="offer",
                        object_id=str(offer_id),
                    )
                latencies.append(time.perf_counter() - begun)

        await asyncio.gather(*(writer(n) for n in range(CONNECTIONS)))
        elapsed = loop.time() - started
    finally:
        await pool.close()
    latencies.sort()
    return Sample(
        requests=len(latencies),
        seconds=elapsed,
        errors=0,
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
    )


def _offer(number: int, note: str) -> dict[str, Any]:
    """An offer's columns (as ``OFFER_COLUMNS`` names them, producer aside), all different."""
    today = dt.date.today()
    lat, lon, address = PICKUP
    return {
        "pack_units": 5 + number % 4 * 5,
        "packs_available": 1 + number % 40,
        "price_per_pack_ore": 9000 + number % 500 * 10,
        "valid_from": today,
        "valid_until": today + dt.timedelta(30),
        "pickup_lat": lat,
        "pickup_lon": lon,
        "pickup_address": address,
        "note": note,
    }


def _offer_record(offer_id: uuid.UUID, producer_id: uuid.UUID, values: dict[str, Any]) -> Record:
    return (offer_id, producer_id, *(values[column] for column in OFFER_COLUMNS[1:]))


async def bulk_ingest(world: World, database_url: str, rows: int) -> IngestRow:
    """Batches of MAX_ROWS: a CSV upload through the API, and the same rows by COPY,
    alternately, one stream each."""
    names = list(world.products)
    conn = await connect(load_settings({"DATABASE_URL": database_url}))
    api_times: list[float] = []
    copy_times: list[float] = []
    sizes: list[int] = []
    try:
        producer = await tokens_db.select_token_actor(conn, hash_token(world.producer))
        assert producer is not None
        async with SamlastClient(world.base, world.producer, timeout=600) as producer_api:
            for first in range(0, rows, MAX_ROWS):
                count = min(MAX_ROWS, rows - first)
                batch = [_bulk_row(first + n, world, names) for n in range(count)]
                begun = time.perf_counter()
                await _copy(conn, batch, producer["organisation_id"], world)
                copy_times.append(time.perf_counter() - begun)
                body = _csv(batch)
                begun = time.perf_counter()
                await producer_api.upload_offers_csv(body)
                api_times.append(time.perf_counter() - begun)
                sizes.append(count)
    finally:
        await conn.close()
    api_rates = [size / spent for size, spent in zip(sizes, api_times, strict=True)]
    copy_rates = [size / spent for size, spent in zip(sizes, copy_times, strict=True)]
    return IngestRow(
        rows=sum(sizes),
        uploads=len(sizes),
        api_rows_per_s=sum(sizes) / sum(api_times),
        copy_rows_per_s=sum(sizes) / sum(copy_times),
        api_spread=(min(api_rates), max(api_rates)),
        copy_spread=(min(copy_rates), max(copy_rates)),
    )


async def list_these(world: World) -> None:
    """The offers co-ops list under load: LISTED_OFFERS of the seller's, one upload."""
    names = list(world.products)
    batch = [_bulk_row(n, world, names) for n in range(LISTED_OFFERS)]
    async with SamlastClient(world.base, world.seller, timeout=600) as seller:
        await seller.upload_offers_csv(_csv(batch))


def _bulk_row(number: int, world: World, products: list[str]) -> dict[str, Any]:
    """A CSV row as a producer's spreadsheet has it: the product by name, times as HH:MM."""
    return {
        **_offer(number, f"bulk offer {number}"),
        "network_id": world.network_id,
        "product": products[number % len(products)],
        "pickup_opens": WINDOW[0].strftime("%H:%M"),
        "pickup_closes": WINDOW[1].strftime("%H:%M"),
    }


def _csv(batch: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=sorted(CSV_COLUMNS))
    writer.writeheader()
    writer.writerows(batch)
    return out.getvalue().encode()


async def _copy(
    conn: Conn, batch: list[dict[str, Any]], producer_id: uuid.UUID, world: World
) -> None:
    """The rows an upload stores: offers, their listings and pickup windows, one transaction."""
    network_id = uuid.UUID(world.network_id)
    ids = [uuid.uuid4() for _ in batch]
    async with conn.transaction():
        await offers_db.insert_offers(
            conn,
            [
                _offer_record(offer_id, producer_id, row)
                for offer_id, row in zip(ids, batch, strict=True)
            ],
        )
        await offers_db.insert_listings(
            conn,
            [
                (offer_id, network_id, uuid.UUID(world.products[row["product"]]))
                for offer_id, row in zip(ids, batch, strict=True)
            ],
        )
        await offers_db.insert_windows(conn, [(offer_id, *WINDOW) for offer_id in ids])


async def build_world(base: str, admin_token: str) -> World:
    """Through the API as a client would: network, coordinator, a producer, co-ops with
    a demand round of DEMAND_LINES lines each, products, an open cycle."""
    async with SamlastClient(base, admin_token, timeout=60) as admin:

        async def member(
            kind: str, name: str, issuer: SamlastClient, place: tuple[float, float]
        ) -> tuple[str, SamlastClient]:
            body = {
                "kind": kind,
                "name": name,
                "network_ids": [network_id],
                "location": {"lat": place[0], "lon": place[1], "address": name},
            }
            organisation = await issuer.create_organisation(body)
            token = await issuer.issue_token(
                organisation["id"], user_name=f"{name} bench", label="bench"
            )
            return str(organisation["id"]), issuer.as_(token)

        network = await admin.create_network(
            {
                "name": f"Bench {secrets.token_hex(3)}",
                "region": "Uppsala",
                "hub": {"lat": 59.8586, "lon": 17.6389, "address": "Boländerna"},
            }
        )
        network_id = str(network["id"])
        _, coordinator = await member("coordinator", "Samordning", admin, (59.8586, 17.6389))
        producer_id, producer = await member("producer", "Ekeby Gård", coordinator, PICKUP[:2])
        _, seller = await member("producer", "Lugnets Gård", coordinator, (59.93, 17.60))
        coops = await asyncio.gather(
            *(
                member("coop", f"Matkassen {n}", coordinator, (59.85 + n / 1000, 17.63))
                for n in range(COOPS)
            )
        )
        created = await asyncio.gather(
            *(
                coordinator.create_product(
                    network_id,
                    {
                        "name": f"Vara {n:03d}",
                        "unit": "kg",
                        "grams_per_unit": 1000,
                        "ml_per_unit": 1500,
                    },
                )
                for n in range(DEMAND_LINES)
            )
        )
        products = {str(item["name"]): str(item["id"]) for item in created}
        now = dt.datetime.now(dt.UTC)
        cycle = await coordinator.open_cycle(
            network_id,
            {
                "opens_at": (now - dt.timedelta(hours=1)).isoformat(),
                "closes_at": (now + dt.timedelta(days=2)).isoformat(),
                "delivery_date": (now + dt.timedelta(days=4)).date().isoformat(),
            },
        )
        lines = [{"product_id": pid, "firm_quantity": 10} for pid in products.values()]
        rounds = [await coop.submit_demand(cycle["id"], lines) for _, coop in coops]
    return World(
        base=base,
        network_id=network_id,
        producer=producer.token,
        producer_id=producer_id,
        seller=seller.token,
        products=products,
        coops=[(coop.token, str(rnd["id"])) for (_, coop), rnd in zip(coops, rounds, strict=True)],
    )


async def _prepare(database_url: str) -> tuple[str, str]:
    """Migrate the scratch database; a deployment admin's token and the server version."""
    from services.api.tokens.service import create_admin

    conn = await connect(load_settings({"DATABASE_URL": database_url}))
    try:
        await migrate(conn)
        token = await create_admin(conn, "Bench Admin", "bench@example.org", "bench")
        version = str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()
    return token, version


def run(work: Coroutine[Any, Any, T]) -> T:
    """On uvloop, as the API's uvicorn runs, so the direct reference is not handicapped."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(work)


def wrk_binary() -> str:
    """wrk from PATH; as root on Debian, installed with apt-get when missing."""
    found = shutil.which("wrk")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        install = subprocess.run(
            ["apt-get", "install", "-y", "-q", "wrk"], capture_output=True, text=True, check=False
        )
        found = shutil.which("wrk")
        if found is None:
            raise LoadBenchError(f"`apt-get install wrk` failed:\n{install.stderr[-1000:]}")
    if found is None:
        raise LoadBenchError(
            "the load benchmark needs wrk, the HTTP load generator: `apt-get install wrk` "
            "(Debian/Ubuntu), or put a wrk 4 binary on PATH"
        )
    return found


def _wrk_version(wrk: str) -> str:
    banner = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    words = (banner.stdout + banner.stderr).split()
    return " ".join(words[:2]) if words else "wrk"


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def render(report: LoadReport) -> str:
    plan, ceiling, ingest = report.plan, report.ceiling, report.ingest
    runs = f"{plan.runs} runs of {plan.seconds} s" if plan.runs > 1 else f"one {plan.seconds} s run"
    out = [
        "## API under load",
        "",
        f"Measured by `make bench{' ARGS=--quick' if report.quick else ''}` "
        f"(`bench/load.py`): `samlast api --workers {report.api_workers}` (uvicorn, one "
        f"process per core, as production serves it) on PostgreSQL {report.postgres} and "
        f"Redis; {report.wrk} on loopback, {WRK_THREADS} threads, {CONNECTIONS} "
        f"connections, {runs} per workload after a 1 s warm-up, the workloads taking turns. "
        "Requests/s is the median run (slowest-fastest run alongside); p50 and p99 are "
        "the median runs', p99 worst the worst run's. Errors are answers outside 2xx plus "
        "socket errors and timeouts (5 s). wrk, the API, PostgreSQL and Redis share this "
        f"machine's {os.cpu_count()} cores (1-minute load average {report.load_average:.1f} "
        "when the measurement started). The per-token rate limit is raised for the bench "
        f"(`SAMLAST_RATE_LIMIT_PER_MINUTE={RATE_LIMIT_PER_MINUTE}`; the default, 1,200, "
        "would answer 429 within the first second); every other setting is the default.",
        "",
        "- `POST /v1/offers`: one producer's token, every body a different valid offer.",
        "- `GET /v1/offers`: a co-op's token, the first page (50 offers) of the network's "
        f"offers: {LISTED_OFFERS:,}, another producer's, uploaded before the load (every "
        "run starts from the same database: the offers the load posted are deleted "
        "between runs).",
        f"- `PUT /v1/demand-rounds/{{id}}/lines` with `If-Match: *`: {COOPS} co-ops in turn "
        f"each replace their demand round of {DEMAND_LINES} lines; edits of one cycle "
        "serialise on its row (a close must not race them).",
        f"- Ceiling: the inserts the API makes for one offer (offer, listing, pickup window "
        f"and audit row, in one transaction) done by asyncpg directly: {CONNECTIONS} tasks "
        f"over a pool of {CONNECTIONS} connections, in this benchmark's process, on uvloop.",
        "",
        "| workload | connections | requests/s | slowest-fastest run | p50 ms | p99 ms "
        "| p99 worst ms | errors | requests |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in [*report.api_rows, ceiling]:
        out.append(
            f"| {row.name} | {row.connections} | {row.requests_per_s:,.0f} | "
            f"{row.spread[0]:,.0f}-{row.spread[1]:,.0f} | {row.p50_ms:.1f} | {row.p99_ms:.1f} | "
            f"{row.p99_worst_ms:.1f} | {row.errors:,} | {row.requests:,} |"
        )
    first_errors = [row for row in report.api_rows if row.first_error]
    if first_errors:
        out += ["", "First refused answer of each workload with errors:", ""]
        out += [f"- {row.name}: `{row.first_error[:200]}`" for row in first_errors]
    out += ["", f"Targets at {CONNECTIONS} connections:", "", *_targets(report), ""]
    out += [
        f"With {CONNECTIONS} connections always waiting on an answer, the mean latency is "
        f"{CONNECTIONS} ÷ requests/s (Little's law): a p99 of {TARGET_P99_MS:.0f} ms needs more "
        f"than {CONNECTIONS * 1000 / TARGET_P99_MS:,.0f} requests/s, "
        f"{CONNECTIONS * 1000 / TARGET_P99_MS / ceiling.requests_per_s:.0%} of the ceiling "
        f"measured here. The whole measurement took {report.seconds:.0f} s.",
        "",
    ]
    out += [
        "## Bulk ingest",
        "",
        f"{ingest.rows:,} offers in {ingest.uploads} CSV upload(s) of at most {MAX_ROWS:,} rows "
        "(the per-upload cap) to `POST /v1/offers/bulk`, one after another, each timed from "
        "sending to the answer; against the same rows written by asyncpg "
        "`copy_records_to_table` into the same tables (offer, listing, pickup window) in one "
        "transaction per batch, the two taking turns batch by batch in the same run.",
        "",
        "| rows | API rows/s | slowest-fastest upload | COPY rows/s | slowest-fastest "
        "batch | API ÷ COPY |",
        "|---|---|---|---|---|---|",
        f"| {ingest.rows:,} | {ingest.api_rows_per_s:,.0f} | {ingest.api_spread[0]:,.0f}-"
        f"{ingest.api_spread[1]:,.0f} | {ingest.copy_rows_per_s:,.0f} | "
        f"{ingest.copy_spread[0]:,.0f}-{ingest.copy_spread[1]:,.0f} | {ingest.ratio:.1%} |",
        "",
    ]
    return "\n".join(out)


def _targets(report: LoadReport) -> list[str]:
    share = report.share_of_ceiling
    p99_over = [row for row in report.api_rows if row.p99_ms > TARGET_P99_MS]
    errors = sum(row.errors for row in report.api_rows)
    p99s = ", ".join(f"{row.name} {row.p99_ms:.0f} ms" for row in report.api_rows)
    error_counts = ", ".join(f"{row.name} {row.errors:,}" for row in report.api_rows)
    return [
        f"- Posting offers at least {TARGET_SHARE:.0%} of the ceiling: "
        f"{report.post_offers.requests_per_s:,.0f} of {report.ceiling.requests_per_s:,.0f} "
        f"requests/s, {share:.0%}: **{_met(share >= TARGET_SHARE)}**.",
        f"- p99 at most {TARGET_P99_MS:.0f} ms: {p99s}: **{_met(not p99_over)}**"
        + (f" ({', '.join(row.name for row in p99_over)})." if p99_over else "."),
        f"- No errors: {error_counts}: **{_met(errors == 0)}**.",
    ]


def _met(ok: bool) -> str:
    return "met" if ok else "not met"


if __name__ == "__main__":
    print(render(measure("--quick" in sys.argv)))
