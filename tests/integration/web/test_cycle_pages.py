"""The cycle pages at the HTTP level: only the network's coordinators see them (a
coordinator of another network is told there is no such thing, a co-op is refused), a
mistake comes back beside its field with what was typed, and a reminder is audited.

The coordinator's walk through them in Chromium is ``tests/browser/test_cycles_pages.py``.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

import pytest

from shared.db.pool import Pool
from tests.support.http import Client, bearer, ok
from tests.support.people import person_for, session_cookies
from tests.support.world import World, build_world


@pytest.fixture
async def world(client: Client, admin_token: str) -> World:
    return await build_world(client, admin_token)


def pages_of(world: World) -> list[tuple[str, str]]:
    cycle, network = world.cycle["id"], world.network["id"]
    return [
        ("GET", f"/app/networks/{network}/cycles/new"),
        ("POST", f"/app/networks/{network}/cycles/new"),
        ("GET", f"/app/cycles/{cycle}"),
        ("GET", f"/app/cycles/{cycle}/close"),
        ("POST", f"/app/cycles/{cycle}/remind"),
        ("POST", f"/app/cycles/{cycle}/close"),
    ]


async def answers(client: Client, pool: Pool, token: str, world: World) -> list[int]:
    client.cookies = await session_cookies(pool, token)
    origin = {"Origin": str(client.base_url).rstrip("/")}
    found = []
    for method, path in pages_of(world):
        if method == "GET":
            answer = await client.get(path)
        else:
            answer = await client.post(
                path, headers=origin, data={"opens_date": "2027-01-01"}, follow_redirects=False
            )
        found.append(answer.status_code)
    return found


async def test_another_networks_coordinator_finds_nothing_and_a_coop_is_refused(
    client: Client, pool: Pool, admin_token: str, world: World
) -> None:
    other = await build_world(client, admin_token)
    assert await answers(client, pool, other.coordinator, world) == [404] * 6
    assert await answers(client, pool, world.coop, world) == [403] * 6
    cycle = await client.get(f"/v1/cycles/{world.cycle['id']}", headers=bearer(world.coop))
    assert (await ok(cycle))["state"] == "open"  # neither closed it


async def test_a_mistake_comes_back_beside_its_field_with_what_was_typed(
    client: Client, pool: Pool, world: World
) -> None:
    client.cookies = await session_cookies(pool, world.coordinator)
    client.cookies["samlast_lang"] = "en"
    form = {
        "opens_date": "2027-03-22",
        "opens_time": "08:00",
        "closes_date": "2027-03-28",
        "closes_time": "02:30",  # skipped: clocks go forward in Sweden that night
        "delivery_date": "2027-03-31",
    }
    origin = {"Origin": str(client.base_url).rstrip("/")}
    path = f"/app/networks/{world.network['id']}/cycles/new"
    refused = await client.post(path, data=form, headers=origin, follow_redirects=False)
    assert refused.status_code == 422
    assert 'id="e-closes_time"' in refused.text
    assert "that time does not exist that day" in refused.text
    for value in form.values():
        assert f'value="{value}"' in refused.text

    opened = await client.post(
        path, data={**form, "closes_time": "03:30"}, headers=origin, follow_redirects=False
    )
    assert opened.status_code == 303
    cycle_id = opened.headers["location"].removeprefix("/app/cycles/")
    cycle = await ok(await client.get(f"/v1/cycles/{cycle_id}", headers=bearer(world.coordinator)))
    closes_at = dt.datetime.fromisoformat(cycle["closes_at"])
    assert closes_at == dt.datetime(2027, 3, 28, 1, 30, tzinfo=dt.UTC)  # 03:30 summer time


async def test_a_reminder_reaches_each_person_once_is_audited_and_the_page_says_who_ordered(
    client: Client, pool: Pool, world: World
) -> None:
    await person_for(pool, world.coop)  # someone at the co-op with an address
    client.cookies = await session_cookies(pool, world.coordinator)
    origin = {"Origin": str(client.base_url).rstrip("/")}
    cycle_id = world.cycle["id"]
    shown = await client.get(f"/app/cycles/{cycle_id}")
    assert shown.status_code == 200
    assert 'data-participant="Matkassen Luthagen" data-taking-part="no"' in shown.text
    flashes = []
    for _ in range(2):
        reminded = await client.post(
            f"/app/cycles/{cycle_id}/remind", headers=origin, follow_redirects=False
        )
        assert reminded.status_code == 303
        assert reminded.headers["location"] == f"/app/cycles/{cycle_id}"
        flashes.append(unquote(reminded.cookies["samlast_flash"]))
    assert flashes == ["done:reminder sent", "done:" + NO_ONE_NEW]
    async with pool.acquire() as conn:
        audited = await conn.fetch(
            "SELECT detail FROM audit_log WHERE action = 'cycle.remind' AND object_id::text = $1"
            " ORDER BY id",
            cycle_id,
        )
    assert [row["detail"]["mails"] for row in audited] == [1, 0]


NO_ONE_NEW = "no one new to remind: reminded already, or no e-mail address"
