"""``samlast demo``: bring the whole stack up, show it working through the API.

Starts (or uses) PostgreSQL and Redis, applies the migrations, runs the API and the
matcher as the real ``samlast`` processes, checks them through ``GET /health/ready``,
``GET /health`` (its details, as an admin) and a job round trip through the queue,
walks a network through its first cycle over the HTTP API (``walkthrough``), starts a
second deployment B (its own database on the same PostgreSQL, its own API and worker)
and shows one purchase across the two (``federation``), and prints where to look: the
pages, where the coordinator signs in by an e-mailed link that arrives in the local mail
server's folder, and the API with its tokens.
Ctrl-C stops it all; ``--once`` stops after the walk.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from infra.devservers import (
    DevServerError,
    ServerUrls,
    free_port,
    scratch_database,
    servers_from_env,
)
from infra.processes import samlast_argv, samlast_process, wait_for_health
from services.client import ApiError, SamlastClient
from services.demo.federation import FederationDemoError, Trade, trade_across
from services.demo.walkthrough import MatchRunError, Walkthrough, walk_a_cycle
from shared.queue import connect_queue
from shared.settings import load_settings

LOG_DIR = Path(".samlast") / "logs"
MAIL_DIR = Path(".samlast") / "mail"  # what the local mail server received, one .eml each


def run(*, once: bool) -> int:
    signal.signal(signal.SIGTERM, _raise_interrupt)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    try:
        with servers_from_env(mail_dir=MAIL_DIR) as urls:
            port = free_port()
            env = {
                "SAMLAST_PUBLIC_URL": f"http://127.0.0.1:{port}",
                **os.environ,
                **urls.as_env(),
                "SAMLAST_API_PORT": str(port),
            }
            _say("servers", f"PostgreSQL {urls.database_url}  Redis {urls.redis_url}")
            if urls.mail_dir:
                _say("mail", f"SMTP {urls.smtp_url} keeps every mail sent in {urls.mail_dir}/")
            subprocess.run(samlast_argv("migrate"), env=env, check=True)  # noqa: S603
            with (
                samlast_process(["worker"], env, LOG_DIR / "worker.log") as worker,
                samlast_process(["api"], env, LOG_DIR / "api.log") as api,
                contextlib.ExitStack() as second,
            ):
                base = f"http://127.0.0.1:{port}"
                admin_token = _admin_token(env)
                _show_stack_working(base, {"api": api, "worker": worker}, env, admin_token)
                # left running, the demo leaves the proposal for its coordinator to publish
                walk = _show_a_cycle(base, admin_token, publish=once)
                processes = {"api": api, "worker": worker}
                processes |= _show_a_second_deployment(second, urls, env, base, admin_token, walk)
                _say("look", f"API {base}  docs {base}/schema  health {base}/health/ready")
                _say("logs", str(LOG_DIR.resolve()))
                if urls.mail_dir:
                    _say(
                        "mail",
                        f"{urls.mail_dir}/*.eml (open with any mail client; the "
                        "newest is the last in `ls -tr`)",
                    )
                if once:
                    _say("done", "demo ran through once; stopping everything")
                    return 0
                _say("running", "Ctrl-C stops both deployments' APIs and workers and the servers")
                _wait_while_alive(processes)
                return 1
    except KeyboardInterrupt:
        _say("stopped", "API, worker and servers are shut down")
        return 0
    except (
        DevServerError,
        subprocess.CalledProcessError,
        ApiError,
        MatchRunError,
        FederationDemoError,
    ) as exc:
        print(f"samlast demo: {exc}", file=sys.stderr)
        return 1


def _show_stack_working(
    base: str,
    processes: dict[str, subprocess.Popen[bytes]],
    env: dict[str, str],
    admin_token: str,
) -> None:
    wait_for_health(base, processes, LOG_DIR)
    # the details are for admins; anyone else reads only the status word
    health, openapi = asyncio.run(_health_and_openapi(base, admin_token))
    postgres, redis, worker = health["postgres"], health["redis"], health["worker"]
    _say(
        "health",
        f"{health['status']}: PostgreSQL {postgres['version']}, "
        f"Redis {redis['version']}, matcher heartbeat: {worker['heartbeat']}",
    )
    _say("api", f"OpenAPI document lists {len(openapi['paths'])} paths")
    result = asyncio.run(_queue_round_trip(env))
    _say(
        "queue",
        f"job ran on matcher {result['worker']} against PostgreSQL "
        f"{result['postgres']}, schema v{result['schema_version']}",
    )


async def _health_and_openapi(base: str, admin_token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    async with SamlastClient(base, admin_token, timeout=5) as admin:
        return await admin.health(), await admin.openapi()


def _admin_token(env: dict[str, str]) -> str:
    return subprocess.run(  # noqa: S603
        samlast_argv("admin-token", "--label", "samlast demo"),
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def _show_a_cycle(base: str, admin_token: str, *, publish: bool) -> Walkthrough:
    walk = asyncio.run(walk_a_cycle(base, admin_token, publish=publish))
    _say(
        "cycle",
        f"{walk.producers} farms posted {walk.offers} offers; {walk.coops} co-ops ordered "
        f"{walk.demand_lines} lines in cycle {walk.cycle_id}",
    )
    _say("matcher", " → ".join(walk.progress))
    summary = walk.summary
    filled, wanted = summary["firm_units_filled"], summary["firm_units_demanded"]
    _say(
        "proposal",
        f"{summary['packs_bought']} whole packs for {summary['goods_cost_ore'] / 100:,.0f} kr; "
        f"{filled:,} of {wanted:,} firm units filled ({filled / wanted:.0%}), "
        f"{summary['tolerance_units']} units of tolerance; "
        f"{walk.coops_served} of {walk.coops} co-ops served",
    )
    if walk.shortfalls:
        reasons = ", ".join(f"{reason} {count}" for reason, count in walk.shortfalls.most_common())
        _say("short", f"{summary['lines_short']} lines not wholly filled: {reasons}")
    if walk.routing:
        alone, saved = walk.routing["baseline"], walk.routing["savings"]
        for name in ("joint", "hub"):
            plan = walk.routing[name]
            if plan:
                chosen = " (proposed)" if walk.routing["proposed"] == name else ""
                _say(
                    name,
                    f"{plan['routes']} runs, {plan['distance_m'] / 1000:,.0f} km, "
                    f"{plan['cost_ore'] / 100:,.0f} kr{chosen}",
                )
        _say(
            "alone",
            f"each farm alone: {alone['routes']} trips, {alone['distance_m'] / 1000:,.0f} km, "
            f"{alone['cost_ore'] / 100:,.0f} kr",
        )
        _say(
            "saved",
            f"{saved['distance_m'] / 1000:,.0f} km, {saved['duration_s'] / 3600:,.1f} h, "
            f"{saved['cost_ore'] / 100:,.0f} kr and {saved['co2_grams'] / 1000:,.0f} kg CO2 "
            f"({walk.routing['unserved']} of {walk.routing['shipments']} shipments unserved)",
        )
        if check := walk.routing.get("transport"):
            _say(
                "carriage",
                f"estimated {check['estimate_ore'] / 100:,.0f} kr "
                f"({check['handling_ore_per_kg']} öre/kg + {check['ore_per_tonne_km']} öre/t-km), "
                f"routes cost {check['realised_ore'] / 100:,.0f} kr for "
                f"{check['carried_grams'] / 1000:,.0f} kg, {check['carried_kg_km']:,} kg-km: "
                f"{check['realised_ore_per_kg']} öre/kg, "
                f"{check['realised_ore_per_tonne_km']} öre/t-km",
            )
    for line in walk.published:
        _say("published", line)
    if not walk.published:
        _say(
            "decide",
            f"the proposal waits for its coordinator: {base}/app/runs/{walk.run_id} "
            "(approve, then publish; each farm and co-op is mailed its part)",
        )
    _say("review", f"{base}/v1/runs/{walk.run_id}/result (with the coordinator's API token)")
    _say("map", f"{base}/v1/runs/{walk.run_id}/routes.geojson")
    _say(
        "tokens",
        f"API tokens for integrations: admin {admin_token}  coordinator {walk.coordinator_token}",
    )
    coordinator = walk.people[0]
    _say(
        "sign in",
        f"open {base}/app/sign-in and ask for a link for {coordinator[0]} "
        f"({coordinator[1]}, the coordinator); the link arrives in the mail below",
    )
    others = ", ".join(email for email, _, _ in walk.people[1:4])
    _say("people", f"each farm and co-op has a person too, e.g. {others}")
    return walk


def _show_a_second_deployment(
    stack: contextlib.ExitStack,
    urls: ServerUrls,
    env: dict[str, str],
    base: str,
    admin_token: str,
    walk: Walkthrough,
) -> dict[str, subprocess.Popen[bytes]]:
    """Deployment B beside A (its database, API and worker; ``stack`` stops them), both
    with federation keys, peered, and one purchase of A's run from B's producer."""
    started = time.monotonic()
    database = stack.enter_context(scratch_database(urls.database_url, "samlast_demo_b"))
    port = free_port()
    b_base = f"http://127.0.0.1:{port}"
    b_env = {
        **env,
        "DATABASE_URL": database,
        "REDIS_URL": _another_redis_database(urls.redis_url),
        "SAMLAST_API_PORT": str(port),
        "SAMLAST_PUBLIC_URL": b_base,
    }
    subprocess.run(samlast_argv("migrate"), env=b_env, check=True, capture_output=True)  # noqa: S603
    for deployment in (env, b_env):  # each signs its federation requests with a key of its own
        subprocess.run(  # noqa: S603
            samlast_argv("federation-key", "new"), env=deployment, check=True, capture_output=True
        )
    processes = {
        "worker-b": stack.enter_context(
            samlast_process(["worker"], b_env, LOG_DIR / "worker-b.log")
        ),
        "api-b": stack.enter_context(samlast_process(["api"], b_env, LOG_DIR / "api-b.log")),
    }
    wait_for_health(b_base, processes, LOG_DIR)
    _say("deploy B", f"a second deployment: API {b_base}, database {urlsplit(database).path[1:]}")
    trade = asyncio.run(_trade(base, admin_token, walk, b_base, _admin_token(b_env), env))
    _say(
        "peered",
        "A and B peered both ways with each other's keys; A's network chose B, whose goods "
        "are handed over at A's hub; A's worker mirrored B's offer",
    )
    _say(
        "across",
        f"bought {trade.packs} packs of {trade.product} ({trade.pack_units} l each) from "
        f"{trade.producer} at deployment B, in A's run {trade.run_id} "
        f"({time.monotonic() - started:.0f} s)",
    )
    for hold in trade.holds:
        _say("hold", f"B holds the packs for A's run: {hold}")
    _say(
        "see",
        f"{base}/app/runs/{trade.run_id} (the purchase, B's hand-over point); "
        f"B's pages {b_base}/app, its feed {b_base}/federation/v1/catalog (signed only)",
    )
    return processes


async def _trade(
    base: str, admin_token: str, walk: Walkthrough, b_base: str, b_admin: str, env: dict[str, str]
) -> Trade:
    async with (
        SamlastClient(base, admin_token, idempotency_keys=True) as a,
        SamlastClient(b_base, b_admin, idempotency_keys=True) as b,
    ):
        return await trade_across(
            a, walk.coordinator_token, walk.coop_token, walk.network_id, b, env["DATABASE_URL"]
        )


def _another_redis_database(redis_url: str) -> str:
    """The same Redis, another of its databases: B's worker has its own queue and cron."""
    parts = urlsplit(redis_url)
    number = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(number + 1) % 16}"))


async def _queue_round_trip(env: dict[str, str]) -> dict[str, Any]:
    settings = load_settings(env)
    queue = await connect_queue(settings)
    try:
        job = await queue.enqueue_job("self_check")
        assert job is not None
        result: dict[str, Any] = await job.result(timeout=30)
        return result
    finally:
        await queue.aclose()


def _wait_while_alive(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    while True:
        for name, process in processes.items():
            if process.poll() is not None:
                print(
                    f"samlast demo: `samlast {name}` exited with {process.returncode}; "
                    f"see {LOG_DIR / name}.log",
                    file=sys.stderr,
                )
                return
        time.sleep(0.5)


def _raise_interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _say(label: str, message: str) -> None:
    print(f"[demo] {label:>8}  {message}", flush=True)
