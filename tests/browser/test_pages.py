"""The web pages in a real headless Chromium (Debian's), against the real API and worker.

A coordinator signs in, closes the cycle and watches the run finish live, reads the
figures and the map, re-runs leaving a co-op out, compares, approves and publishes;
then the producer sees its pick list and each co-op its delivery note. Every page is
screenshotted, at desktop and phone width, into ``build/screenshots/``, and nothing on
any page breaks its Content-Security-Policy (Chromium reports each violation).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, cast

import httpx
import pytest
from playwright.async_api import (
    Browser,
    Dialog,
    FilePayload,
    Page,
    expect,
)

from services.api.auth.sessions import COOKIE
from services.api.web import i18n
from services.client import SamlastClient
from shared.db.pool import Pool
from tests.support.browser import (
    DESKTOP,
    PHONE,
    csp_violations,
    require_chromium,
    shoot,
    sign_in,
)
from tests.support.http import Client, bearer, ok
from tests.support.people import PASSWORD, person_for, session_cookies
from tests.support.world import World, add_coop, add_van, build_world, offer_body

require_chromium()


async def _network(
    site: str, admin_token: str, *, demand: bool = True
) -> tuple[World, dict[str, str]]:
    """A network with a van, an offer and two co-ops; their demand in the open cycle
    unless the test enters it through the pages."""
    async with httpx.AsyncClient(base_url=site) as http:
        client = cast(Client, http)
        world = await build_world(client, admin_token)
        await add_van(client, world)
        await ok(
            await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)),
            201,
        )
        second_id, second_token = await add_coop(client, world)
        carrots = world.products["Morötter"]["id"]
        for who, units in ((world.coop, 14), (second_token, 6)) if demand else ():
            await ok(
                await client.post(
                    f"/v1/cycles/{world.cycle['id']}/demand-rounds",
                    json={"lines": [{"product_id": carrots, "firm_quantity": units}]},
                    headers=bearer(who),
                ),
                201,
            )
    return world, {"id": second_id, "token": second_token}


async def _api(site: str, token: str, path: str) -> Any:
    async with httpx.AsyncClient(base_url=site) as http:
        return await ok(await http.get(path, headers=bearer(token)))


@pytest.mark.timeout(300)  # the whole walk, through four roles and three runs
async def test_a_coordinator_reviews_and_publishes_and_each_party_sees_its_part(
    site: str, browser: Browser, admin_token: str, pool: Pool
) -> None:
    world, second = await _network(site, admin_token, demand=False)
    context = await browser.new_context(locale="sv-SE", viewport=DESKTOP)
    violations = await csp_violations(context)
    page = await context.new_page()
    asked: list[str] = []

    async def answer(dialog: Dialog) -> None:  # "match again?", "approve?", "publish?": yes
        asked.append(dialog.message)
        await dialog.accept()

    page.on("dialog", answer)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await shoot_sign_in(page, site)

    # the co-ops order: one in the form, the other by uploading a CSV file
    await sign_in(page, site, pool, world.coop)
    await expect(page).to_have_url(re.compile(r"/app/coop$"))
    await page.get_by_label("Hur mycket, kg (Morötter").first.fill("14")
    await page.get_by_role("button", name="Spara beställningen").click()
    await expect(page.get_by_role("status")).to_contain_text("beställningen är sparad")
    await expect(page.get_by_label("Hur mycket, kg (Morötter").first).to_have_value("14")
    await shoot(page, "1-coop-order")
    await page.get_by_role("button", name="Logga ut").click()
    await sign_in(page, site, pool, second["token"])
    order = FilePayload(
        name="order.csv", mimeType="text/csv", buffer="product,firm_quantity\nMorötter,6\n".encode()
    )
    await page.locator("input[type=file]").set_input_files(files=[order])
    await page.get_by_role("button", name="Ladda upp").click()
    await expect(page.get_by_role("status")).to_contain_text("beställningen är sparad")
    await expect(page.get_by_label("Hur mycket, kg (Morötter").first).to_have_value("6")
    await page.get_by_role("button", name="Logga ut").click()

    # the producer lowers the packs of its offer and posts another
    await sign_in(page, site, pool, world.producer)
    offer = page.locator("form[data-offer]").first
    await offer.get_by_label("Tillgängliga förpackningar").fill("11")
    await offer.get_by_role("button", name="Spara").click()
    await expect(page.get_by_role("status")).to_contain_text("erbjudandet är sparat")
    await page.get_by_label("Vara").select_option(label="Mjölk (l)")
    await page.get_by_label("Enheter per förpackning").fill("6")
    await page.get_by_label("Tillgängliga förpackningar", exact=True).last.fill("4")
    await page.get_by_label("Pris per förpackning, kr").last.fill("72,50")
    await page.get_by_label("Giltigt till").fill("2099-12-31")
    await page.get_by_role("button", name="Lägg ut erbjudandet").click()
    await expect(page.get_by_role("status")).to_contain_text("erbjudandet är utlagt")
    await expect(page.locator("form[data-offer]")).to_have_count(2)
    await shoot(page, "2-producer-offers")
    await page.get_by_role("button", name="Logga ut").click()
    offers = await _api(site, world.producer, "/v1/offers")
    assert sorted((o["packs_available"], o["price_per_pack_ore"]) for o in offers["items"]) == [
        (4, 7250),
        (11, 12500),
    ]

    # the coordinator: the dashboard lists the open cycle; close it, watch the run finish
    await sign_in(page, site, pool, world.coordinator)
    await expect(page).to_have_url(re.compile(r"/app/dashboard$"))
    await expect(page.get_by_role("heading", name=world.network["name"])).to_be_visible()
    await page.get_by_role("link", name="Stäng i förtid").click()
    await expect(page.locator("[data-summary]")).to_contain_text("2 av 2 matkooperativ")
    await page.get_by_role("button", name="Stäng och matcha nu").click()
    await expect(page.get_by_text("föreslagen").first).to_be_visible(timeout=60_000)
    await shoot(page, "3-dashboard")

    # the run: figures as the API has them (kg apart), the savings, the map, the products
    await page.get_by_role("link", name="Körning 1").click()
    runs = await _api(site, world.coordinator, f"/v1/cycles/{world.cycle['id']}/runs")
    first = runs[0]
    summary = first["summary"]
    await expect(page.locator("[data-figure=filled]")).to_contain_text(
        f"{summary['firm_units_filled']} kg"
    )
    await expect(page.locator("[data-figure=demanded]")).to_have_text(
        f"{summary['firm_units_demanded']} kg"
    )
    await expect(page.locator("[data-figure=packs]")).to_have_text(str(summary["packs_bought"]))
    routes = first["routing"]["joint"]["routes"]
    assert await page.locator("svg[data-map] polyline").count() == routes >= 1
    await expect(page.get_by_role("img", name=re.compile("Karta"))).to_be_visible()
    await expect(page.get_by_role("img", name=re.compile("Körsträcka, kostnad"))).to_be_visible()
    await expect(page.get_by_role("heading", name="Morötter", exact=True)).to_be_visible()
    await expect(page.locator("[data-split]")).to_contain_text("Matkassen Luthagen")
    await expect(page.locator("[data-places]")).to_contain_text("Depå")
    await expect(page.locator("[data-places]")).to_contain_text("Ekeby Gård")
    transport = first["routing"]["transport"]
    await expect(page.locator("[data-run-notes]")).to_contain_text(
        "Producenterna valdes med transporten uppskattad till"
    )
    assert transport["estimate_ore"] > 0
    assert transport["realised_ore"] > 0
    # a route's button shows it over the others; its stops are rows by place, with goods
    key = page.locator("[data-route-key='1']")
    await key.click()
    await expect(key).to_have_attribute("aria-pressed", "true")
    await expect(page.locator("svg[data-map]")).to_have_attribute("data-highlight", "1")
    await page.locator("details[data-route-no='1'] summary").click()
    await expect(page.locator("[data-visits]").first).to_contain_text(
        "Morötter 14 kg till Matkassen Luthagen"
    )
    await expect(page.locator("details[data-route-no='1'] summary")).to_contain_text("Kylbil")
    await shoot(page, "4-run-review")

    # re-run leaving the second co-op out; the new run finishes live; compare
    await page.get_by_label("Matkassen Svartbäcken", exact=True).check()
    await page.get_by_role("button", name="Matcha igen", exact=True).click()
    await expect(page.get_by_role("heading", name=re.compile("Körning 2"))).to_be_visible()
    await expect(page.get_by_role("heading", name=re.compile("föreslagen"))).to_be_visible(
        timeout=60_000
    )
    await expect(page.locator("[data-left-out]")).to_contain_text("Matkassen Svartbäcken")
    await page.get_by_role("link", name="Körning 1").click()
    await expect(page.get_by_role("heading", name="Ändringar sedan körning 1")).to_be_visible()
    await expect(page.locator("[data-comparison]")).to_contain_text("Fyllt, kg")
    await expect(
        page.get_by_role("cell", name="Matkassen Svartbäcken", exact=True).first
    ).to_be_visible()
    await shoot(page, "5-compare")

    # approve with a note (asked first), then publish; the note is in the history
    await page.get_by_label("Anteckning (valfri)").fill("Svartbäcken hämtar nästa gång")
    await page.get_by_role("button", name="Godkänn").click()
    await expect(page.get_by_role("status")).to_contain_text("godkänd")
    await expect(page.locator("[data-history]")).to_contain_text("Svartbäcken hämtar nästa gång")
    await page.get_by_role("button", name="Publicera").click()
    await expect(page.get_by_role("heading", name=re.compile("publicerad"))).to_be_visible()
    await shoot(page, "6-published")
    await page.get_by_role("button", name="Logga ut").click()
    await expect(page).to_have_url(re.compile(r"/app/sign-in$"))

    # the producer's pick list, in English this time
    await page.goto(site + "/app/language/en?next=/app")
    await sign_in(page, site, pool, world.producer)
    await expect(page).to_have_url(re.compile(r"/app/producer$"))
    await expect(page.get_by_role("heading", name="Pick lists", exact=True)).to_be_visible()
    pick_rows = page.locator("table[data-pick-list] tbody tr")
    await expect(pick_rows).to_have_count(1)  # only the first co-op is served now
    await expect(pick_rows.first).to_contain_text("Matkassen Luthagen")
    await shoot(page, "7-producer-pick-list")
    await page.get_by_role("button", name="Sign out").click()

    # the co-ops: the served one's delivery note with its share; the other has none
    await sign_in(page, site, pool, world.coop)
    await expect(page).to_have_url(re.compile(r"/app/coop$"))
    published = await _api(site, world.coordinator, f"/v1/cycles/{world.cycle['id']}/runs")
    run_id = next(run["id"] for run in published if run["state"] == "published")
    (note,) = await _api(site, world.coop, f"/v1/runs/{run_id}/delivery-notes")
    goods = page.locator("[data-figure=goods]")
    await expect(goods).to_have_text(i18n.kronor(note["goods_ore"], "en"))
    await expect(page.locator("[data-delivery-note]")).to_have_count(1)
    await shoot(page, "8-coop-delivery-note")
    await page.get_by_role("button", name="Sign out").click()
    await sign_in(page, site, pool, second["token"])
    await expect(page.get_by_text("nothing for you in this delivery.")).to_be_visible()
    # the route sheet a driver prints, from the published run
    await page.get_by_role("button", name="Sign out").click()
    await sign_in(page, site, pool, world.coordinator)
    await page.goto(f"{site}/app/runs/{run_id}")
    sheet = await page.locator("a[href$='/sheet']").first.get_attribute("href")
    await page.goto(f"{site}{sheet}")
    # in the language the person chose earlier (English), all of it
    await expect(page.get_by_role("heading", name=re.compile("Route sheet 1"))).to_be_visible()
    await shoot(page, "9-route-sheet")
    assert errors == []
    assert violations == []
    assert [message.split("?")[0] for message in asked] == [
        "Matcha igen",
        "Godkänna körningen",
        "Publicera körningen",
    ]
    await context.close()


async def test_a_violation_of_the_pages_policy_is_caught(site: str, browser: Browser) -> None:
    """The watch above can fail: script and style slipped into a page are blocked, and seen."""
    context = await browser.new_context(viewport=DESKTOP)
    violations = await csp_violations(context)
    page = await context.new_page()
    await page.goto(site + "/app/sign-in")
    ran = await page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.append(script);
            document.querySelector("h1").setAttribute("style", "color: red");
            return window.injected === true;
        }"""
    )
    for _ in range(100):  # the reports arrive from the page asynchronously
        if len(violations) >= 2:
            break
        await asyncio.sleep(0.05)
    assert ran is False
    assert any("script-src" in violation for violation in violations), violations
    assert any("style-src" in violation for violation in violations), violations
    await context.close()


async def shoot_sign_in(page: Page, site: str) -> None:
    await page.goto(site + "/app/sign-in")
    await expect(page.get_by_role("heading", name="Logga in")).to_be_visible()
    await shoot(page, "0-sign-in")


async def test_pages_refuse_forms_from_other_sites_and_strangers(
    site: str, browser: Browser, admin_token: str, pool: Pool
) -> None:
    world, _ = await _network(site, admin_token, demand=False)
    _, email = await person_for(pool, world.coop, password=PASSWORD)
    async with httpx.AsyncClient(base_url=site, follow_redirects=False) as http:
        anonymous = await http.get("/app/dashboard")
        assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/app/sign-in")
        answer = {"email": email, "password": PASSWORD}
        forged = await http.post(
            "/app/sign-in/password", data=answer, headers={"Origin": "https://evil.example"}
        )
        assert forged.status_code == 403
        wrong = await http.post(
            "/app/sign-in/password",
            data={**answer, "password": "nonsense"},
            headers={"Origin": site},
        )
        assert wrong.status_code == 422  # the form again, the address kept, no session
        assert email in wrong.text
        assert COOKIE not in wrong.headers.get("set-cookie", "")
        # an API token is no way into the pages any more, in a cookie or a header
        for headers in ({"Cookie": f"{COOKIE}={world.coop}"}, bearer(world.coop)):
            refused = await http.get("/app/coop", headers=headers)
            assert (refused.status_code, refused.headers["location"]) == (303, "/app/sign-in")


async def test_pages_answer_only_their_roles_and_networks(
    site: str, admin_token: str, pool: Pool
) -> None:
    """The pages use the API's services, so the API's tenancy holds: a producer gets no
    coordinator page, a coordinator of another network none of this network's runs."""
    world, _ = await _network(site, admin_token)
    elsewhere, _ = await _network(site, admin_token)
    async with httpx.AsyncClient(base_url=site) as http:
        await ok(
            await http.post(
                f"/v1/cycles/{world.cycle['id']}/close", headers=bearer(world.coordinator)
            )
        )
        (run,) = await ok(
            await http.get(
                f"/v1/cycles/{world.cycle['id']}/runs", headers=bearer(world.coordinator)
            )
        )

    async def page_as(token: str, path: str) -> int:
        cookies = await session_cookies(pool, token)
        async with httpx.AsyncClient(base_url=site, cookies=cookies) as http:
            return (await http.get(path)).status_code

    assert await page_as(world.coordinator, f"/app/runs/{run['id']}") == 200
    assert await page_as(elsewhere.coordinator, f"/app/runs/{run['id']}") == 404
    assert await page_as(world.producer, "/app/dashboard") == 403
    assert await page_as(world.producer, f"/app/runs/{run['id']}") == 403
    assert await page_as(world.coop, "/app/producer") == 403
    assert await page_as(world.producer, "/app/coop") == 403
    # the cookie is honoured on pages only: the API wants the header
    assert await page_as(world.coordinator, f"/v1/runs/{run['id']}") == 401


# Eight co-ops within a kilometre or two of each other in Uppsala, two farms.
TOWN = [
    ("Matlaget Fålhagen", 59.8560, 17.6600),
    ("Kooperativet Kvarngärdet", 59.8710, 17.6520),
    ("Matkassen Eriksberg", 59.8480, 17.6050),
    ("Flogsta matlag", 59.8500, 17.5900),
    ("Gottsunda mat", 59.8100, 17.6200),
    ("Sävja kooperativ", 59.8250, 17.7000),
    ("Årsta matlag", 59.8650, 17.6750),
]


@pytest.mark.timeout(300)
async def test_a_busy_run_reads_on_a_phone(
    site: str, browser: Browser, admin_token: str, pool: Pool
) -> None:
    """Many co-ops in one town and eggs by the tray: the map numbers every place and
    keeps its labels apart, packs short of full say what would complete them, and the
    co-ops whose transport outweighs their goods are warned."""
    async with httpx.AsyncClient(base_url=site) as http:
        client = cast(Client, http)
        world = await build_world(client, admin_token)
        coordinator = SamlastClient(client, world.coordinator)
        await add_van(client, world)
        eggs = await coordinator.create_product(
            world.network["id"],
            {"name": "Ägg", "unit": "piece", "grams_per_unit": 60, "ml_per_unit": 80},
        )
        farm = await coordinator.create_organisation(
            {
                "kind": "producer",
                "name": "Örsundsbro Ägg",
                "network_ids": [world.network["id"]],
                "location": {"lat": 59.7350, "lon": 17.3050, "address": "Örsundsbro"},
            }
        )
        farmer = await coordinator.issue_token(farm["id"], label="Karin")
        tray = {
            **offer_body(world),
            "listings": [{"network_id": world.network["id"], "product_id": eggs["id"]}],
            "pack_units": 180,
            "packs_available": 3,
            "price_per_pack_ore": 43200,
            "pickup": {"lat": 59.7350, "lon": 17.3050, "address": "Örsundsbro"},
        }
        await ok(await client.post("/v1/offers", json=tray, headers=bearer(farmer)), 201)
        await ok(
            await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)),
            201,
        )
        carrots = world.products["Morötter"]["id"]
        tokens = [world.coop]
        for name, lat, lon in TOWN:
            coop = await coordinator.create_organisation(
                {
                    "kind": "coop",
                    "name": name,
                    "network_ids": [world.network["id"]],
                    "location": {"lat": lat, "lon": lon, "address": name},
                }
            )
            tokens.append(await coordinator.issue_token(coop["id"], label=name))
        for n, token in enumerate(tokens):
            lines = [{"product_id": eggs["id"], "firm_quantity": 30 + 7 * n}]
            if n % 2 == 0:
                lines.append({"product_id": carrots, "firm_quantity": 3 + n})
            await SamlastClient(client, token).submit_demand(world.cycle["id"], lines)
        await coordinator.close_cycle(world.cycle["id"])
        for _ in range(240):
            (run,) = await coordinator.runs(world.cycle["id"])
            if run["state"] != "queued" and run["state"] != "running":
                break
            await asyncio.sleep(0.5)
        assert run["state"] == "proposed", run
        result = await ok(
            await client.get(f"/v1/runs/{run['id']}/result", headers=bearer(world.coordinator))
        )
    context = await browser.new_context(locale="sv-SE", viewport=PHONE)
    violations = await csp_violations(context)
    page = await context.new_page()
    await sign_in(page, site, pool, world.coordinator)
    await page.goto(f"{site}/app/runs/{run['id']}")
    places = page.locator("[data-places] li")
    await expect(places).to_have_count(len(TOWN) + 1 + 2 + 1)  # co-ops, farms, depot and hub
    short = [u for u in result["unfilled"] if u["reason"] == "pack_not_completed"]
    if short:
        await expect(page.locator("[data-completion]").first).to_contain_text("till skulle fylla")
    await expect(page.locator("[data-product='Ägg'] [data-split] tbody tr")).to_have_count(
        len({a["coop_id"] for a in result["allocations"] if a["product_id"] == eggs["id"]})
    )
    await page.locator("[data-route-key]").first.click()
    await expect(page.locator("svg[data-map]")).to_have_attribute(
        "data-highlight", re.compile(r"\d")
    )
    await shoot(page, "4b-busy-run-review")
    assert violations == []
    await context.close()
