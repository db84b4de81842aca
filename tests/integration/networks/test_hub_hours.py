"""The hub's opening hours through the API and the worker: kept and refused as the
organisations' hours are; a run keeps its hub stops inside them, and a hub closed on
the delivery day plans nothing via it and the review says why. The engine's rules are
tests/unit/routing/test_hub_hours.py; the settings page's field, the browser walk."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from services.api.web import i18n
from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.http import Client, bearer, ok
from tests.support.people import session_cookies
from tests.support.runs import drain
from tests.support.world import World, add_van, build_world, close_cycle, offer_body


async def _patch(client: Client, world: World, body: dict[str, Any]) -> Any:
    url = f"/v1/networks/{world.network['id']}"
    coordinator = bearer(world.coordinator)
    etag = (await client.get(url, headers=coordinator)).headers["etag"]
    return await client.patch(url, json=body, headers={**coordinator, "If-Match": etag})


async def test_the_hubs_hours_are_kept_and_bad_ones_refused_naming_the_field(
    client: Client, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    url = f"/v1/networks/{world.network['id']}"
    assert world.network["hub_hours"] == []
    hours: list[dict[str, Any]] = [
        {"weekday": 4, "opens": "13:00:00", "closes": "17:00:00"},
        {"weekday": 2, "opens": "08:00:00", "closes": "12:00:00"},
    ]
    saved = await ok(await _patch(client, world, {"hub_hours": hours}))
    assert saved["hub_hours"] == sorted(hours, key=lambda w: w["weekday"])
    # a patch that leaves them out keeps them
    renamed = await ok(await _patch(client, world, {"name": world.network["name"] + " N"}))
    assert renamed["hub_hours"] == saved["hub_hours"]
    shown = await ok(await client.get(url, headers=bearer(world.coop)))
    assert shown["hub_hours"] == saved["hub_hours"]

    for wrong in (
        [{"weekday": 2, "opens": "08:00:00", "closes": "12:00:00"}] * 2,  # overlapping
        [{"weekday": 2, "opens": "12:00:00", "closes": "08:00:00"}],
        [{"weekday": 8, "opens": "08:00:00", "closes": "12:00:00"}],
        [{"weekday": 2, "opens": "8 am", "closes": "12:00:00"}],
        [{"weekday": 2, "opens": "08:00:00"}],
        "weekdays",
    ):
        refused = await _patch(client, world, {"hub_hours": wrong})
        assert refused.status_code == 400, (wrong, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "hub_hours" in refused.text, refused.text
    assert (await ok(await client.get(url, headers=bearer(world.coordinator))))[
        "hub_hours"
    ] == saved["hub_hours"]

    # a network made with its hours; clearing them is an empty list
    admin = bearer(admin_token)
    made = await ok(
        await client.post(
            "/v1/networks",
            json={"name": "Navet " + world.network["name"], "hub_hours": hours[:1]},
            headers=admin,
        ),
        201,
    )
    assert made["hub_hours"] == hours[:1]
    cleared = await ok(await _patch(client, world, {"hub_hours": []}))
    assert cleared["hub_hours"] == []


async def _run(client: Client, world: World, settings: Settings) -> dict[str, Any]:
    """Carrots picked up at Ekeby 07–11 for Luthagen, a van at the hub; the run done."""
    await add_van(client, world)
    await ok(
        await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)),
        201,
    )
    carrots = world.products["Morötter"]["id"]
    await ok(
        await client.post(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds",
            json={"lines": [{"product_id": carrots, "firm_quantity": 20}]},
            headers=bearer(world.coop),
        ),
        201,
    )
    run = await close_cycle(client, world)
    await drain(settings)
    done = await ok(await client.get(f"/v1/runs/{run['id']}", headers=bearer(world.coordinator)))
    assert done["state"] == "proposed", done
    return dict(done)


def _delivery_weekday(world: World) -> int:
    return dt.date.fromisoformat(world.cycle["delivery_date"]).isoweekday()


async def test_a_run_meets_the_hub_while_it_is_open(
    client: Client, admin_token: str, settings: Settings
) -> None:
    world = await build_world(client, admin_token)
    day = _delivery_weekday(world)
    # open late morning that day only: the farm's goods (ready 07–11) wait for it
    opening = {"weekday": day, "opens": "10:00:00", "closes": "15:00:00"}
    await ok(await _patch(client, world, {"hub_hours": [opening]}))
    run = await _run(client, world, settings)
    assert run["routing"]["hub"] is not None
    assert run["routing"]["hub_closed"] is False
    routes = await ok(
        await client.get(f"/v1/runs/{run['id']}/routes?plan=hub", headers=bearer(world.coordinator))
    )
    zone = ZoneInfo(world.network["timezone"])
    arrived: list[dt.datetime] = []
    left: list[dt.datetime] = []
    for route in routes["routes"]:
        for stop in route["stops"]:
            if stop["organisation_id"] is None and stop["kind"] in ("pickup", "delivery"):
                handed = dt.datetime.fromisoformat(stop["departure_at"]).astimezone(zone)
                (arrived if stop["kind"] == "delivery" else left).append(handed)
    assert arrived
    assert left
    opens = dt.time(10, 0)
    closes = dt.time(15, 0)
    for handed in arrived + left:
        assert opens < handed.time() <= closes, handed
    # the goods are handled before anything leaves: half an hour, counted once
    assert min(left) >= max(arrived) + dt.timedelta(minutes=30)


async def test_a_hub_closed_on_the_delivery_day_plans_nothing_via_it(
    client: Client, pool: Pool, admin_token: str, settings: Settings
) -> None:
    world = await build_world(client, admin_token)
    day = _delivery_weekday(world)
    other_days = [
        {"weekday": d, "opens": "06:00:00", "closes": "20:00:00"} for d in range(1, 8) if d != day
    ]
    await ok(await _patch(client, world, {"hub_hours": other_days}))
    run = await _run(client, world, settings)
    assert run["routing"]["hub"] is None
    assert run["routing"]["hub_closed"] is True
    assert run["routing"]["proposed"] == "joint"
    assert run["routing"]["unserved"] == 0

    client.cookies = await session_cookies(pool, world.coordinator)
    for language in ("sv", "en"):
        client.cookies["samlast_lang"] = language
        page = (await client.get(f"/app/runs/{run['id']}")).text
        note = i18n.gettext_for(language)(
            "The hub is closed on the delivery day (its opening hours in the settings), "
            "so no runs via the hub were planned."
        )
        assert "data-hub-closed" in page
        assert note in page
    assert "Navet är stängt på leveransdagen" in i18n.gettext_for("sv")(
        "The hub is closed on the delivery day (its opening hours in the settings), "
        "so no runs via the hub were planned."
    )


async def test_the_settings_page_keeps_the_hubs_hours_and_says_what_is_wrong_beside_them(
    client: Client, pool: Pool, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    client.follow_redirects = False
    client.cookies = await session_cookies(pool, world.coordinator)
    path = f"/app/networks/{world.network['id']}/settings"
    origin = {"Origin": "http://testserver.local"}
    typed = {
        "version": str(world.network["version"]),
        "name": world.network["name"],
        "region": "Uppsala",
        "timezone": "Europe/Stockholm",
        "hub_address": "Boländerna",
        "hub_lat": "59,8586",
        "hub_lon": "17,6389",
        "producer_share_percent": "0",
        "handling_kr_per_kg": "1,25",
        "kr_per_tonne_km": "95",
        "deadline_reminder_hours": "24",
        "window_day": ["2", "2", ""],
        "window_opens": ["08:00", "11:00", ""],
        "window_closes": ["12:00", "15:00", ""],
    }
    for language, message in (
        ("sv", "rader samma dag får inte överlappa"),
        ("en", "rows of the same day may not overlap"),
    ):
        client.cookies["samlast_lang"] = language
        refused = await client.post(path, data=typed, headers=origin)
        assert refused.status_code == 422
        assert 'id="e-windows"' in refused.text
        assert message in refused.text
        assert 'value="11:00"' in refused.text  # what was typed stays
        assert (await _network(client, world))["hub_hours"] == []

    mended = {
        **typed,
        "window_day": ["2", "2", "5"],
        "window_opens": ["08:00", "12:00", "09:00"],
        "window_closes": ["12:00", "15:00", "10:00"],
    }
    saved = await client.post(path, data=mended, headers=origin)
    assert saved.status_code == 303, saved.text
    assert (await _network(client, world))["hub_hours"] == [
        {"weekday": 2, "opens": "08:00:00", "closes": "12:00:00"},
        {"weekday": 2, "opens": "12:00:00", "closes": "15:00:00"},
        {"weekday": 5, "opens": "09:00:00", "closes": "10:00:00"},
    ]
    client.cookies["samlast_lang"] = "en"
    shown = (await client.get(path)).text
    assert 'value="12:00"' in shown
    assert "The hub&#39;s opening hours" in shown or "The hub's opening hours" in shown
    assert 'value="1.25"' in shown  # the English decimal point


async def _network(client: Client, world: World) -> Any:
    url = f"/v1/networks/{world.network['id']}"
    return await ok(await client.get(url, headers=bearer(world.coordinator)))
