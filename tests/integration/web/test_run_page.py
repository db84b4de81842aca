"""The run review page at the HTTP level, against the API's own figures: fill per unit
(kg apart from pieces), the pack split, what would complete another pack, the transport
warning, the routes by place with their goods, the savings; the decision's note in the
history; a re-run keeping an allocation and leaving a co-op out, and the comparison.

The coordinator's walk through it in Chromium is ``tests/browser/test_pages.py``.
"""

from __future__ import annotations

import html
import re

from services.api.web import i18n
from shared.db import runs as runs_db
from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.http import Client, bearer, ok
from tests.support.people import session_cookies
from tests.support.runs import drain
from tests.support.world import (
    World,
    add_coop,
    add_van,
    as_coordinator,
    build_world,
    close_cycle,
    offer_body,
)


async def _matched(client: Client, admin_token: str, settings: Settings) -> tuple[World, str, str]:
    """Carrots in 10 kg sacks for two co-ops (14 + 6 kg: two sacks) and eggs in trays of
    30 (20 ordered: not one tray); the run proposed. The world, its run, the 2nd co-op."""
    world = await build_world(client, admin_token)
    coordinator = as_coordinator(client, world)
    eggs = await coordinator.create_product(
        world.network["id"],
        {"name": "Ägg", "unit": "piece", "grams_per_unit": 60, "ml_per_unit": 80},
    )
    await add_van(client, world)
    for body in (
        offer_body(world),
        {
            **offer_body(world),
            "listings": [{"network_id": world.network["id"], "product_id": eggs["id"]}],
            "pack_units": 30,
            "price_per_pack_ore": 9000,
        },
    ):
        await ok(await client.post("/v1/offers", json=body, headers=bearer(world.producer)), 201)
    other_id, other_token = await add_coop(client, world)
    carrots = world.products["Morötter"]["id"]
    for token, lines in (
        (world.coop, [{"product_id": carrots, "firm_quantity": 14}]),
        (
            other_token,
            [
                {"product_id": carrots, "firm_quantity": 6},
                {"product_id": eggs["id"], "firm_quantity": 20},
            ],
        ),
    ):
        await ok(
            await client.post(
                f"/v1/cycles/{world.cycle['id']}/demand-rounds",
                json={"lines": lines},
                headers=bearer(token),
            ),
            201,
        )
    run = await close_cycle(client, world)
    await drain(settings)
    return world, str(run["id"]), other_id


def _text(page: str) -> str:
    """The page's words, tags out and entities read, spaces as one."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _section(page: str, marker: str) -> str:
    start = page.index(marker)
    return page[start : page.index("</table>", start)]


async def test_the_review_shows_the_apis_figures_like_with_like(
    client: Client, pool: Pool, admin_token: str, settings: Settings
) -> None:
    world, run_id, other_id = await _matched(client, admin_token, settings)
    coordinator = bearer(world.coordinator)
    run = await ok(await client.get(f"/v1/runs/{run_id}", headers=coordinator))
    result = await ok(await client.get(f"/v1/runs/{run_id}/result", headers=coordinator))
    network = await ok(await client.get(f"/v1/networks/{world.network['id']}", headers=coordinator))
    assert network["transport_warning_permille"] == 300  # the default
    client.cookies = await session_cookies(pool, world.coordinator)
    client.cookies["samlast_lang"] = "sv"
    answer = await client.get(f"/app/runs/{run_id}")
    assert answer.status_code == 200, answer.text
    page = answer.text
    words = _text(page)

    # headline: kg and pieces apart, never one sum of both; the goods in kronor
    assert run["summary"]["firm_units_demanded"] == 40  # 14 + 6 kg + 20 eggs, as the API adds
    demanded = _text(re.search(r'data-figure="demanded">(.*?)</dd>', page, re.S).group(1))  # type: ignore[union-attr]
    assert demanded.strip() == "20 kg · 20 st"
    filled = _text(re.search(r'data-figure="filled">(.*?)</dd>', page, re.S).group(1))  # type: ignore[union-attr]
    assert "20 kg (100 %)" in filled
    assert "0 st (0 %)" in filled
    assert i18n.kronor(run["summary"]["goods_cost_ore"], "sv") in words

    # per product: the split matrix, the unfilled eggs with what would complete a tray
    assert {a["units"] for a in result["allocations"]} == {14, 6}
    split = _text(_section(page, 'data-product="Morötter"'))
    assert "Matkassen Luthagen 14 kg" in split
    assert "Matkassen Svartbäcken 6 kg" in split
    (short,) = result["unfilled"]
    assert (short["reason"], short["units_to_next_pack"]) == ("pack_not_completed", 10)
    eggs = _text(page[page.index('data-product="Ägg"') :])
    assert "10 st till skulle fylla ännu en förpackning." in eggs
    assert "Inte fyllt: 20 st, rader: 1" in eggs
    assert "Matkassen Svartbäcken 20 st förpackningen blev inte full" in eggs

    # transport against the goods: the 6 kg co-op pays more than 30 % of its 75 kr
    shares = await ok(await client.get(f"/v1/runs/{run_id}/cost-shares", headers=coordinator))
    paid = {row["organisation"]: row["share_ore"] for row in shares}
    assert paid["Matkassen Svartbäcken"] * 1000 > 300 * 7500
    warnings = page[page.index("data-transport-warnings") :]
    assert 'data-warning="Matkassen Svartbäcken"' in warnings
    assert i18n.kronor(paid["Matkassen Svartbäcken"], "sv") in _text(warnings)
    more = -(-paid["Matkassen Svartbäcken"] * 1000 // 300) - 7500
    assert i18n.kronor(more, "sv") in _text(warnings)

    # the network's threshold decides: at 1000 % nobody is warned; beyond the bounds, refused
    url = f"/v1/networks/{world.network['id']}"
    etag = {**coordinator, "If-Match": (await client.get(url, headers=coordinator)).headers["etag"]}
    too_high = await client.patch(url, json={"transport_warning_permille": 10_001}, headers=etag)
    assert too_high.status_code == 400
    assert "transport_warning_permille" in too_high.text
    await ok(await client.patch(url, json={"transport_warning_permille": 10_000}, headers=etag))
    relaxed = (await client.get(f"/app/runs/{run_id}")).text
    assert "data-transport-warnings" not in relaxed
    assert "Nätverket varnar över 1 000 %" in _text(relaxed)  # its no-break space read as one

    # the savings as a chart and a table with the plans' totals
    routing = run["routing"]
    table = _text(_section(page, "data-savings"))
    for plan in ("baseline", "joint"):
        assert i18n.number(routing[plan]["distance_m"] / 1000, "sv", 1) + " km" in table
        assert i18n.kronor(routing[plan]["cost_ore"], "sv") in table
    assert page.count('class="bar bar-') == 4 * (3 if routing["hub"] else 2)

    # routes: the vehicle by name, each place once in a row with its goods
    routes = await ok(
        await client.get(
            f"/v1/runs/{run_id}/routes?plan={routing['proposed']}", headers=coordinator
        )
    )
    visits = _text(_section(page, "data-visits"))
    assert "Kylbil" in _text(page[page.index('data-route-no="1"') :][:600])
    stops = routes["routes"][0]["stops"]
    assert visits.count("Ekeby Gård") <= 1 + sum(1 for s in stops if s["kind"] == "delivery")
    assert "Morötter 14 kg till Matkassen Luthagen" in visits or routing["proposed"] == "hub"
    assert "Morötter 6 kg från Ekeby Gård" in visits or routing["proposed"] == "hub"

    # the map numbers every place in its legend, the depot among them
    legend = _text(page[page.index("data-places") :][:2000])
    assert "Ekeby Gård" in legend
    assert "Depå" in legend

    # a decision's note is in the history
    origin = {"Origin": str(client.base_url).rstrip("/")}
    approved = await client.post(
        f"/app/runs/{run_id}/decision",
        data={"action": "approve", "note": "Äggen får vänta"},
        headers=origin,
        follow_redirects=False,
    )
    assert approved.status_code == 303
    history = (await client.get(f"/app/runs/{run_id}")).text
    assert "Äggen får vänta" in _text(history[history.index("data-history") :])
    assert other_id

    # a decision refused (approved already) loses nothing typed: the note is put back once
    again = await client.post(
        f"/app/runs/{run_id}/decision",
        data={"action": "approve", "note": "Hämtas på tisdag, åtta lådor"},
        headers=origin,
        follow_redirects=False,
    )
    assert again.status_code == 303
    refused = (await client.get(f"/app/runs/{run_id}")).text
    assert 'role="alert"' in refused
    assert (
        'id="publish-note" name="note" maxlength="2000" value="Hämtas på tisdag, åtta lådor"'
        in (refused)
    )
    assert 'id="reason" name="note" maxlength="2000" required value=""' in refused
    assert "Hämtas på tisdag" not in (await client.get(f"/app/runs/{run_id}")).text


async def test_a_rerun_keeps_what_is_pinned_shows_what_it_left_out_and_compares(
    client: Client, pool: Pool, admin_token: str, settings: Settings
) -> None:
    world, run_id, other_id = await _matched(client, admin_token, settings)
    coordinator = bearer(world.coordinator)
    result = await ok(await client.get(f"/v1/runs/{run_id}/result", headers=coordinator))
    kept = next(a for a in result["allocations"] if a["units"] == 14)
    client.cookies = await session_cookies(pool, world.coordinator)
    client.cookies["samlast_lang"] = "en"
    page = (await client.get(f"/app/runs/{run_id}")).text
    pin = f"{kept['offer_id']}:{kept['demand_line_id']}:14"
    assert f'value="{pin}"' in page
    rerun_form = page[page.index("data-rerun") :][:400]
    assert 'data-confirm="Match again? This run is replaced' in rerun_form  # asked first
    origin = {"Origin": str(client.base_url).rstrip("/")}

    # a forged pin is refused with a message, not an error page
    for forged in ("nonsense", f"{kept['offer_id']}:{kept['demand_line_id']}:0"):
        refused = await client.post(
            f"/app/runs/{run_id}/rerun",
            data={"pin": forged},
            headers=origin,
            follow_redirects=False,
        )
        assert refused.status_code == 303
        assert refused.headers["location"] == f"/app/runs/{run_id}"

    # leaving the second co-op out: the comparison in totals and percentages per unit
    rerun = await client.post(
        f"/app/runs/{run_id}/rerun",
        data={"exclude_coop": other_id, "reason": "för lite"},
        headers=origin,
        follow_redirects=False,
    )
    assert rerun.status_code == 303, rerun.text
    second_id = rerun.headers["location"].removeprefix("/app/runs/")
    await drain(settings)
    shown = await client.get(f"/app/runs/{second_id}?compare={run_id}")
    assert shown.status_code == 200
    left_out = _text(shown.text[shown.text.index("data-left-out") :][:1500])
    assert "Co-ops: Matkassen Svartbäcken" in left_out
    comparison = _text(_section(shown.text, "data-comparison"))
    # 14 kg alone buys one 10 kg sack
    assert "Filled, kg 20 10 -10 (-50 %)" in comparison, comparison
    assert "Filled, % of ordered kg 100%" in comparison, comparison
    assert "Ordered, kg 20" in comparison, comparison

    # keeping the first run's 14 kg and leaving the van out: nothing can be carried
    third = await client.post(
        f"/app/runs/{second_id}/rerun",
        data={"pin": pin, "exclude_vehicle": await _van_id(client, world)},
        headers=origin,
        follow_redirects=False,
    )
    assert third.status_code == 303, third.text
    third_id = third.headers["location"].removeprefix("/app/runs/")
    await drain(settings)
    after = await ok(await client.get(f"/v1/runs/{third_id}", headers=coordinator))
    assert [(p["demand_line_id"], p["units"]) for p in after["pins"]] == [
        (kept["demand_line_id"], 14)
    ]
    page = (await client.get(f"/app/runs/{third_id}")).text
    left_out = _text(page[page.index("data-left-out") :][:1500])
    assert "Vehicles: Kylbil" in left_out
    assert "Allocations kept from the run before: 1" in left_out
    unserved = _text(page[page.index("data-unserved") :][:2000])
    assert "Ekeby Gård → Matkassen Luthagen" in unserved
    assert "the network has no vehicle" in unserved


async def _van_id(client: Client, world: World) -> str:
    vans = await ok(
        await client.get(
            f"/v1/networks/{world.network['id']}/vehicles", headers=bearer(world.coordinator)
        )
    )
    return str(vans[0]["id"])


async def test_a_computing_run_names_its_stage_and_percent_in_the_pages_language(
    client: Client, pool: Pool, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    run = await close_cycle(client, world)  # queued: no worker runs in this test
    client.cookies = await session_cookies(pool, world.coordinator)
    client.cookies["samlast_lang"] = "sv"
    queued = _text((await client.get(f"/app/runs/{run['id']}")).text)
    assert "Väntar på att matchningen ska börja · 0 %" in queued
    async with pool.acquire() as conn:  # as the matcher leaves it halfway through routing
        await conn.execute(
            "UPDATE match_run SET state = 'running', stage = 'route joint', percent = 57"
            " WHERE id = $1",
            run["id"],
        )
    running = (await client.get(f"/app/runs/{run['id']}")).text
    assert "Planerar samkörningar · 57 %" in _text(running)
    assert re.search(r"data-run-percent>57\N{NO-BREAK SPACE}%<", running), running
    dashboard = (await client.get("/app/dashboard")).text
    assert "Planerar samkörningar" in dashboard
    client.cookies["samlast_lang"] = "en"
    english = (await client.get(f"/app/runs/{run['id']}")).text
    assert "Planning joint runs" in english
    assert "data-run-percent>57%<" in english


async def test_a_failed_run_says_so_in_the_pages_language_and_keeps_the_cause(
    client: Client, pool: Pool, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    run = await close_cycle(client, world)  # queued: no worker drains it here
    async with pool.acquire() as conn:
        assert await runs_db.fail_run(conn, run["id"], "RuntimeError: the solver gave up")
    client.cookies = await session_cookies(pool, world.coordinator)
    page = (await client.get(f"/app/runs/{run['id']}")).text
    failed = _text(page[page.index("data-run-failed") :][:600])
    assert "Matchningen misslyckades: fråga den som driver Samlast." in failed
    assert "RuntimeError: the solver gave up" in failed
