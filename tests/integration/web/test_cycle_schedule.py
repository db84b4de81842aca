"""The weekly schedule on real PostgreSQL: a coordinator sets it on the cycle pages in the
network's clock times and sees the next cycles it opens; the matcher's cron job opens the
week that is due once, even run twice at once, and the members are told by mail; nothing
while it is off, nor in a week the network has a cycle open already. Only the network's
coordinators see the page (another network's: 404; a co-op or producer: 403).

The coordinator's walk through it in Chromium is ``tests/browser/test_schedule_and_signal.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import re
from typing import Any, cast
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from services.matcher.jobs.context import WorkerContext
from services.matcher.jobs.schedules import open_scheduled_cycles
from shared.contracts.schedule import WeeklySchedule, week_opening_on
from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.http import Client, bearer, ok
from tests.support.mailbox import Mailbox, mail_to
from tests.support.notices import cycle_notices
from tests.support.people import person_for, session_cookies
from tests.support.workers import drain
from tests.support.world import World, build_world

SWEDEN = ZoneInfo("Europe/Stockholm")


@pytest.fixture
async def world(client: Client, admin_token: str) -> World:
    return await build_world(client, admin_token)


def schedule_path(world: World) -> str:
    return f"/app/networks/{world.network['id']}/cycles/schedule"


async def save(
    client: Client, pool: Pool, world: World, form: dict[str, str], *, token: str | None = None
) -> Any:
    client.cookies = await session_cookies(pool, token or world.coordinator)
    origin = {"Origin": str(client.base_url).rstrip("/")}
    return await client.post(
        schedule_path(world), data=form, headers=origin, follow_redirects=False
    )


def due_now() -> tuple[dict[str, str], dt.datetime, dt.datetime]:
    """A schedule whose week opened two minutes ago on the clocks and closes two days on;
    its opening and closing instants."""
    opens = (dt.datetime.now(SWEDEN) - dt.timedelta(minutes=2)).replace(second=0, microsecond=0)
    closes = opens + dt.timedelta(days=2)
    form = {
        "enabled": "on",
        "opens_weekday": str(opens.isoweekday()),
        "opens_time": f"{opens:%H:%M}",
        "closes_weekday": str(closes.isoweekday()),
        "closes_time": f"{closes:%H:%M}",
        "delivery_weekday": str((closes + dt.timedelta(days=1)).isoweekday()),
    }
    return form, opens.astimezone(dt.UTC), closes.astimezone(dt.UTC)


async def saved_last_week(pool: Pool, world: World) -> None:
    """As if the schedule had been saved a week ago: this week's opening comes after it."""
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE cycle_schedule SET active_from = now() - interval '7 days'"
            " WHERE network_id = $1::uuid",
            world.network["id"],
        )


async def run_job(pool: Pool, settings: Settings) -> int:
    ctx: dict[str, Any] = {"pool": pool, "settings": settings}
    return await open_scheduled_cycles(cast(WorkerContext, ctx))


async def cycles_of(pool: Pool, world: World) -> list[Any]:
    async with pool.acquire() as conn:
        return list(
            await conn.fetch(
                "SELECT c.id, c.opens_at, c.closes_at, c.delivery_date, c.state, s.opens_on"
                " FROM cycle c LEFT JOIN scheduled_cycle s ON s.cycle_id = c.id"
                " WHERE c.network_id = $1::uuid ORDER BY c.created_at",
                world.network["id"],
            )
        )


async def weeks_claimed(pool: Pool, world: World) -> list[Any]:
    async with pool.acquire() as conn:
        return list(
            await conn.fetch(
                "SELECT opens_on, cycle_id FROM scheduled_cycle WHERE network_id = $1::uuid",
                world.network["id"],
            )
        )


async def cancel_the_open_cycle(client: Client, world: World) -> None:
    path = f"/v1/cycles/{world.cycle['id']}/cancel"
    await ok(await client.post(path, headers=bearer(world.coordinator)))


async def test_the_page_saves_the_schedule_and_shows_the_next_openings_in_local_time(
    client: Client, pool: Pool, world: World
) -> None:
    form = {
        "enabled": "on",
        "opens_weekday": "1",
        "opens_time": "08:00",
        "closes_weekday": "4",
        "closes_time": "20:00",
        "delivery_weekday": "6",
    }
    saved = await save(client, pool, world, form)
    assert saved.status_code == 303
    client.cookies["samlast_lang"] = "en"
    shown = await client.get(schedule_path(world))
    weeks = [dt.date.fromisoformat(d) for d in re.findall(r'data-week="([\d-]+)"', shown.text)]
    assert len(weeks) == 4
    assert all(day.isoweekday() == 1 for day in weeks)
    assert [b - a for a, b in itertools.pairwise(weeks)] == [dt.timedelta(days=7)] * 3
    assert weeks[0] > dt.datetime.now(SWEDEN).date() - dt.timedelta(days=1)
    opening_cells = re.findall(r"<td>Mon [^<]* 08:00(?:<br>|</td>)", shown.text)
    assert len(opening_cells) == 4  # Monday 08:00 on the network's clocks
    assert shown.text.count("20:00</td>") == 4
    assert 'name="version" value="1"' in shown.text
    # a week the network has a cycle in already (build_world's, open for two days) is
    # shown as passed over
    cycle_opens = dt.datetime.fromisoformat(world.cycle["opens_at"])
    cycle_closes = dt.datetime.fromisoformat(world.cycle["closes_at"])
    usual = WeeklySchedule(
        opens_weekday=1,
        opens_time=dt.time(8),
        closes_weekday=4,
        closes_time=dt.time(20),
        delivery_weekday=6,
    )
    overlapping = {
        day
        for day in weeks
        if (week := week_opening_on(usual, day, "Europe/Stockholm")).opens_at < cycle_closes
        and week.closes_at > cycle_opens
    }
    passed = re.findall(r'data-week="([\d-]+)" data-passed-over', shown.text)
    assert {dt.date.fromisoformat(day) for day in passed} == overlapping

    # saving over a version someone else saved since: refused, what was typed kept
    stale = await save(client, pool, world, {**form, "opens_time": "09:15", "version": "0"})
    assert stale.status_code == 412
    assert 'value="09:15"' in stale.text
    # a weekday that is none, a time that is none: beside their fields
    wrong = await save(
        client, pool, world, {**form, "closes_weekday": "8", "opens_time": "25:00", "version": "1"}
    )
    assert wrong.status_code == 422
    assert 'id="e-closes_weekday"' in wrong.text
    assert 'id="e-opens_time"' in wrong.text
    off = await save(client, pool, world, {**form, "enabled": "", "version": "1"})
    assert off.status_code == 303
    assert "data-schedule-off" in (await client.get(schedule_path(world))).text
    async with pool.acquire() as conn:
        audited = await conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'cycle_schedule.save'"
            " AND network_id = $1::uuid",
            world.network["id"],
        )
    assert audited == 2


async def test_the_cron_opens_the_week_due_once_even_run_twice_at_once_and_members_hear(
    client: Client, pool: Pool, settings: Settings, world: World, mailbox: Mailbox
) -> None:
    _, coop_email = await person_for(pool, world.coop)
    await cancel_the_open_cycle(client, world)
    form, opens_at, closes_at = due_now()
    assert (await save(client, pool, world, form)).status_code == 303
    await saved_last_week(pool, world)

    await asyncio.gather(run_job(pool, settings), run_job(pool, settings))
    await run_job(pool, settings)  # and once more, later: a retry
    opened = [c for c in await cycles_of(pool, world) if c["state"] != "cancelled"]
    assert len(opened) == 1
    (cycle,) = opened
    assert (cycle["opens_at"], cycle["closes_at"]) == (opens_at, closes_at)
    assert cycle["delivery_date"] == (closes_at.astimezone(SWEDEN) + dt.timedelta(days=1)).date()
    assert cycle["opens_on"] == opens_at.astimezone(SWEDEN).date()
    assert [row["cycle_id"] for row in await weeks_claimed(pool, world)] == [cycle["id"]]
    answered = await ok(await client.get(f"/v1/cycles/{cycle['id']}", headers=bearer(world.coop)))
    assert answered["accepting_demand"] is True

    # the members are told by the cycle-opened notice, as for a cycle opened by hand
    await cycle_notices(pool, settings)
    await drain(settings)
    told = await mail_to(mailbox, coop_email, f"Beställningen är öppen i {world.network['name']}")
    assert "/app/coop" in told.text


async def test_nothing_opens_while_the_schedule_is_off(
    client: Client, pool: Pool, settings: Settings, world: World
) -> None:
    await cancel_the_open_cycle(client, world)
    form, _, _ = due_now()
    assert (await save(client, pool, world, {**form, "enabled": ""})).status_code == 303
    await saved_last_week(pool, world)
    await run_job(pool, settings)
    assert [c["state"] for c in await cycles_of(pool, world)] == ["cancelled"]
    assert await weeks_claimed(pool, world) == []


async def test_a_week_the_network_has_a_cycle_open_already_is_passed_over(
    client: Client, pool: Pool, settings: Settings, world: World
) -> None:
    form, opens_at, _ = due_now()  # build_world's cycle is open from an hour ago
    assert (await save(client, pool, world, form)).status_code == 303
    await saved_last_week(pool, world)
    await run_job(pool, settings)
    assert [c["id"] for c in await cycles_of(pool, world)] == [UUID(world.cycle["id"])]
    assert [(w["opens_on"], w["cycle_id"]) for w in await weeks_claimed(pool, world)] == [
        (opens_at.astimezone(SWEDEN).date(), None)
    ]


async def test_only_the_networks_coordinators_see_the_schedule(
    client: Client, pool: Pool, admin_token: str, world: World
) -> None:
    other = await build_world(client, admin_token)
    form, _, _ = due_now()
    found = {}
    for who, token in {
        "other coordinator": other.coordinator,
        "coop": world.coop,
        "producer": world.producer,
    }.items():
        client.cookies = await session_cookies(pool, token)
        shown = (await client.get(schedule_path(world))).status_code
        saved = (await save(client, pool, world, form, token=token)).status_code
        found[who] = (shown, saved)
    assert found == {
        "other coordinator": (404, 404),
        "coop": (403, 403),
        "producer": (403, 403),
    }
    assert await weeks_claimed(pool, world) == []
    async with pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM cycle_schedule WHERE network_id = $1::uuid",
                world.network["id"],
            )
            == 0
        )


async def test_the_api_sets_the_same_schedule_at_the_version_read(
    client: Client, world: World
) -> None:
    path = f"/v1/networks/{world.network['id']}/cycle-schedule"
    token = bearer(world.coordinator)
    unsaved = await client.get(path, headers=token)
    assert unsaved.headers["etag"] == '"0"'
    assert (await ok(unsaved))["enabled"] is False
    body = {
        "enabled": True,
        "opens_weekday": 1,
        "opens_time": "08:00:00",
        "closes_weekday": 4,
        "closes_time": "20:00:00",
        "delivery_weekday": 6,
    }
    assert (await client.put(path, json=body, headers=token)).status_code == 428
    saved = await ok(await client.put(path, json=body, headers={**token, "If-Match": '"0"'}))
    assert saved["version"] == 1
    assert len(saved["upcoming"]) == 4
    assert all(
        dt.date.fromisoformat(week["opens_on"]).isoweekday() == 1 for week in saved["upcoming"]
    )
    stale = await client.put(path, json=body, headers={**token, "If-Match": '"0"'})
    assert stale.status_code == 412
    again = await client.put(
        path, json={**body, "enabled": False}, headers={**token, "If-Match": "*"}
    )
    assert (await ok(again))["version"] == 2
    assert again.headers["etag"] == '"2"'
    wrong = await client.put(
        path, json={**body, "opens_weekday": 8}, headers={**token, "If-Match": '"2"'}
    )
    assert wrong.status_code == 400
    assert "opens_weekday" in wrong.text
    refused = await client.get(path, headers=bearer(world.producer))
    assert refused.status_code == 403
