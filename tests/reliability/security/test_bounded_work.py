"""Classes 2 and 3 of issue 16: every input value costs bounded CPU, every request
bounded memory, against a real API process.

CPU: the pages' forms, JSON bodies, CSV cells and query strings with numbers of a
million digits, ``Infinity``, ``NaN`` and JSON nested thousands deep; each answer is a
4xx naming the problem (the pages: the form again with the error), and the API
process spends on them no more CPU than on as many ordinary typos (a ratio in one
run, not a time). Memory: three 50 MB bodies streamed at once, with and without
``Idempotency-Key``; the process's peak memory barely moves.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from shared.db.pool import Pool
from tests.support.figures import Figures
from tests.support.http import Client, bearer
from tests.support.people import session_cookies
from tests.support.security import SlowClient, api_server
from tests.support.world import World, build_world, offer_form

pytestmark = pytest.mark.integration
HUGE = "1e999990"
HOSTILE_NUMBERS = [HUGE, "9" * 5000, "Infinity", "-Infinity", "NaN", "1e309", "0x1p99"]


@pytest.fixture
async def world(client: Client, admin_token: str) -> World:
    return await build_world(client, admin_token)


def cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def peak_rss(process: psutil.Process) -> int:
    """VmHWM: the most memory the process has ever held."""
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


async def post_forms(http: httpx.AsyncClient, forms: list[dict[str, str]]) -> list[Any]:
    return [await http.post("/app/offers", data=form) for form in forms]


async def test_numbers_cost_bounded_cpu_everywhere(
    settings_env: dict[str, str], world: World, tmp_path: Path, figures: Figures, pool: Pool
) -> None:
    with api_server(settings_env, tmp_path) as (url, server):
        process = psutil.Process(server.pid)
        page = {"Origin": url}
        cookies = await session_cookies(pool, world.producer)
        async with httpx.AsyncClient(base_url=url, headers=page, cookies=cookies) as http:
            typos = [offer_form(world, price_per_pack=f"abc{n}") for n in range(14)]
            before = cpu_s(process)
            ordinary = await post_forms(http, typos)
            reference = cpu_s(process) - before
            hostile_forms = [
                offer_form(world, **{field: value})
                for value in HOSTILE_NUMBERS
                for field in ("price_per_pack", "lat")
            ]
            before = cpu_s(process)
            hostile = await post_forms(http, hostile_forms)
            spent = cpu_s(process) - before
        api = await _api_answers(url, world)
    # the offer form again, as typed, the mistake beside its field and on top
    assert all(answer.status_code == 422 for answer in ordinary + hostile)
    assert all("data-offer-errors" in answer.text for answer in hostile)
    assert spent <= 5 * max(reference, 0.2), (spent, reference)
    assert all(400 <= status < 500 for status in api.values()), api
    figures.record(
        "security: bounded CPU per value",
        f"{len(hostile_forms)} hostile form posts: {spent:.2f} CPU s against {reference:.2f} "
        f"for {len(typos)} typos; {len(api)} hostile API values all 4xx",
    )


async def _api_answers(url: str, world: World) -> dict[str, int]:
    """Hostile numbers and nesting through JSON, CSV and query strings."""
    auth = bearer(world.producer)
    network, product = world.network["id"], world.products["Morötter"]["id"]
    header = "network_id,product,pack_units,packs_available,price_per_pack_ore,valid_from,"
    header += "valid_until,pickup_lat,pickup_lon\n"
    today = dt.date.today()
    statuses: dict[str, int] = {}
    async with httpx.AsyncClient(base_url=url, headers=auth, timeout=60) as http:
        for value in HOSTILE_NUMBERS:
            row = f"{network},{product},{value},1,100,{today},{today},59.9,{value}\n"
            answer = await http.post(
                "/v1/offers/bulk", content=header + row, headers={"Content-Type": "text/csv"}
            )
            statuses[f"csv {value[:12]}"] = answer.status_code
            answer = await http.get("/v1/offers", params={"limit": value})
            statuses[f"query {value[:12]}"] = answer.status_code
            body = '{"pack_units": ' + value + "}"  # not even JSON, for most of them
            answer = await http.post(
                "/v1/offers", content=body, headers={"Content-Type": "application/json"}
            )
            statuses[f"json {value[:12]}"] = answer.status_code
        deep = "[" * 5000 + "]" * 5000
        for path in ("/v1/offers/bulk", "/v1/offers"):
            answer = await http.post(
                path, content=deep, headers={"Content-Type": "application/json"}
            )
            statuses[f"nested 5000 {path}"] = answer.status_code
        nul_deep = '[{"note": ' + "[" * 900 + '"\\u0000"' + "]" * 900 + "}]"
        answer = await http.post(
            "/v1/offers/bulk", content=nul_deep, headers={"Content-Type": "application/json"}
        )
        statuses["nested 900 with a NUL"] = answer.status_code
    return statuses


async def test_bodies_are_bounded_before_anything_buffers_them(
    settings_env: dict[str, str], world: World, tmp_path: Path, figures: Figures
) -> None:
    headers = {"Authorization": f"Bearer {world.producer}", "Content-Type": "application/json"}
    with api_server(settings_env, tmp_path) as (url, server):
        process = psutil.Process(server.pid)
        before = peak_rss(process)
        clients = [
            SlowClient(url, "POST", "/v1/offers", {**headers, "Idempotency-Key": f"big-{n}"})
            for n in range(3)
        ] + [SlowClient(url, "POST", "/v1/offers/bulk", headers) for _ in range(3)]

        streamed = await asyncio.gather(
            *(client.stream(b"1" * 262144, 50 * 1024 * 1024) for client in clients)
        )
        sent = [amount for amount, _ in streamed]
        async with httpx.AsyncClient(base_url=url) as http:
            still_serving = await http.get("/v1/networks", headers=bearer(world.coordinator))
        growth = peak_rss(process) - before
    assert still_serving.status_code == 200
    assert all(amount < 50 * 1024 * 1024 for amount in sent)
    assert growth < 40 * 1024 * 1024, f"peak memory grew {growth / 2**20:.0f} MiB"
    figures.record(
        "security: bounded memory per request",
        f"6 bodies of 50 MB streamed at once (3 with Idempotency-Key): peak memory of the "
        f"API process +{growth / 2**20:.1f} MiB; each cut off after at most "
        f"{max(sent) / 2**20:.1f} MiB sent",
    )
