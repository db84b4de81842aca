"""The load bench's measurements: wrk against ``samlast api`` for each workload, asyncpg
doing the same writes directly as the ceiling, and bulk ingest against ``COPY``."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import secrets
import shutil
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import uvloop

from bench.load.report import FULL, QUICK, IngestRow, LoadReport, LoadRow, Plan, Sample
from bench.load.scenario import (
    CONNECTIONS,
    DEMAND_LINES,
    RATE_LIMIT_PER_MINUTE,
    WINDOW,
    WRK_THREADS,
    World,
    build_world,
    bulk_row,
    list_these,
    offer_columns,
    offer_csv,
)
from bench.stack import prepare_database
from infra.devservers import free_port, scratch_database, servers_from_env
from infra.processes import samlast_process, wait_for_health
from services.api.auth.tokens import hash_token
from services.api.core.bulk import MAX_ROWS
from services.client import SamlastClient
from shared.db import offers as offers_db
from shared.db import tokens as tokens_db
from shared.db.audit import insert_audit
from shared.db.offers import OFFER_COLUMNS, ListingRow, OfferRow, WindowRow
from shared.db.pool import Conn, connect, create_pool
from shared.settings import load_settings

T = TypeVar("T")
Record = tuple[Any, ...]

WRK_DIR = Path(__file__).parent.parent / "wrk"
LOG_DIR = Path(".samlast") / "logs"
CHURNED_TABLES = ("offer", "offer_listing", "offer_pickup_window", "demand_round", "demand_line")
API_BUSY = """
SELECT count(*) FROM pg_stat_activity
WHERE application_name = 'samlast-api' AND state <> 'idle' AND datname = current_database()"""


class LoadBenchError(RuntimeError):
    """The load benchmark could not run (no wrk, the API did not answer as expected)."""


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
        admin, postgres = run(prepare_database(database_url))
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
                    values = offer_columns(sent, f"asyncpg task {task_no} offer {sent}")
                    await offers_db.insert_offers(
                        conn, [_offer_record(offer_id, actor["organisation_id"], values)]
                    )
                    await offers_db.insert_listings(
                        conn,
                        [
                            ListingRow(
                                offer_id=offer_id,
                                network_id=network_id,
                                product_id=product_ids[sent % len(product_ids)],
                            )
                        ],
                    )
                    await offers_db.insert_windows(conn, [_window(offer_id)])
                    await insert_audit(
                        conn,
                        action="offer.create",
                        outcome="ok",
                        user_id=actor["created_by"],
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


def _offer_record(offer_id: uuid.UUID, producer_id: uuid.UUID, values: dict[str, Any]) -> OfferRow:
    wanted = {column: values[column] for column in OFFER_COLUMNS[1:]}
    return OfferRow(id=offer_id, producer_id=producer_id, **wanted)


def _window(offer_id: uuid.UUID) -> WindowRow:
    opens, closes = WINDOW
    return WindowRow(offer_id=offer_id, opens_at=opens, closes_at=closes)


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
                batch = [bulk_row(first + n, world, names) for n in range(count)]
                begun = time.perf_counter()
                await _copy(conn, batch, producer["organisation_id"], world)
                copy_times.append(time.perf_counter() - begun)
                body = offer_csv(batch)
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
                ListingRow(
                    offer_id=offer_id,
                    network_id=network_id,
                    product_id=uuid.UUID(world.products[row["product"]]),
                )
                for offer_id, row in zip(ids, batch, strict=True)
            ],
        )
        await offers_db.insert_windows(conn, [_window(offer_id) for offer_id in ids])


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
