"""A producer sets its place in a real Chromium: by searching its address (a local
geocoder speaking Nominatim's JSON), by clicking the map, and without JavaScript by
choosing among the places the search found; it fills in its profile and finds the new
offer's form prefilled. A co-op reads the network's producer directory on a phone, in
Swedish. Every page checked with axe and screenshotted at desktop and phone width.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.async_api import Browser, expect

from infra.processes import api_and_workers
from services.api.places.precision import approximate
from shared.db.pool import Pool
from tests.support.browser import (
    DESKTOP,
    PHONE,
    SHOTS,
    csp_violations,
    require_chromium,
    shoot,
    sign_in,
)
from tests.support.geocoders import Geocoder, geocoding
from tests.support.http import bearer
from tests.support.world import World, build_world

require_chromium()


@pytest.fixture(scope="module")
def geocoder() -> Iterator[Geocoder]:
    with geocoding() as running:
        yield running


@pytest.fixture(scope="module")
def site(
    settings_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory, geocoder: Geocoder
) -> Iterator[str]:
    """The API and a matcher, with the local geocoder as the pages' address search."""
    env = {**settings_env, "SAMLAST_GEOCODER_URL": geocoder.nominatim}
    with api_and_workers(env, tmp_path_factory.mktemp("places")) as url:
        yield url


async def _world(site: str, admin_token: str) -> World:
    async with httpx.AsyncClient(base_url=site) as http:
        return await build_world(http, admin_token)  # type: ignore[arg-type]


async def _me(site: str, world: World) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=site) as http:
        answer = await http.get(
            f"/v1/organisations/{world.producer_id}", headers=bearer(world.producer)
        )
        return dict(answer.json())


async def test_a_producer_sets_its_place_fills_its_profile_and_offers_from_it(
    site: str, browser: Browser, admin_token: str, pool: Pool
) -> None:
    world = await _world(site, admin_token)
    context = await browser.new_context(locale="sv-SE", viewport=DESKTOP)
    violations = await csp_violations(context)
    page = await context.new_page()
    await sign_in(page, site, pool, world.producer)
    await (
        page.get_by_role("navigation", name="Vårt nätverk")
        .get_by_role("link", name="Vår profil")
        .click()
    )
    await expect(page.get_by_role("heading", name=re.compile("Vår profil"))).to_be_visible()

    # the address, searched on the page
    place = page.get_by_role("group", name="Upphämtningsplats")
    await place.get_by_label("Adress").fill("Knivsta torg")
    await place.get_by_role("button", name="Sök adressen").click()
    await place.get_by_role("button", name=re.compile("^Knivsta torg, Centralvägen 1")).click()
    await expect(place.get_by_label("Adress")).to_have_value(re.compile("^Knivsta torg"))
    await expect(place.get_by_label("Kommun")).to_have_value("Knivsta kommun")
    await place.get_by_text("Avancerat: latitud och longitud").click()
    await expect(place.get_by_label("Latitud")).to_have_value("59.72580")
    await expect(place.get_by_label("Longitud")).to_have_value("17.78660")
    await shoot(page, "places-0-searched")

    # then a click on the map, a little north-east of the reference points' middle
    the_map = place.locator("svg[data-place-map]")
    box = await the_map.bounding_box()
    assert box is not None
    await the_map.click(position={"x": box["width"] * 0.6, "y": box["height"] * 0.4})
    lat = float(await place.get_by_label("Latitud").input_value())
    lon = float(await place.get_by_label("Longitud").input_value())
    assert (lat, lon) != (59.7258, 17.7866)
    assert 59.0 < lat < 61.0
    assert 16.5 < lon < 19.0
    await expect(place.locator("[data-place-said]")).to_contain_text("Platsen satt till")

    # the rest of the profile
    hours = page.get_by_role("group", name="Upphämtningstider")
    first = hours.locator("[data-window='1']")
    await expect(first.get_by_label("Dag")).to_have_value("3")  # the world's Wednesday
    second = hours.locator("[data-window='2']")
    await second.get_by_label("Dag").select_option(label="fredag")
    await second.get_by_label("Från").fill("14:00")
    await second.get_by_label("Till").fill("16:30")
    await page.get_by_label("Presentation").fill("Morötter och mjölk från Ekeby sedan 1921.")
    await page.get_by_label("bara kommunen").check()
    await page.get_by_role("button", name="Spara profilen").click()
    await expect(page.get_by_role("status")).to_contain_text("profilen sparad")
    await shoot(page, "places-1-profile")
    me = await _me(site, world)
    location = me["location"]
    assert isinstance(location, dict)
    assert (round(location["lat"], 5), round(location["lon"], 5)) == (round(lat, 5), round(lon, 5))
    assert me["place_precision"] == "municipality"
    assert me["municipality"] == "Knivsta kommun"

    # the new offer's form, prefilled from the profile
    await page.get_by_role("link", name="Mina erbjudanden och plocklistor").click()
    offer = page.locator("form[data-new-offer]")
    await expect(offer.get_by_label("Adress")).to_have_value(re.compile("^Knivsta torg"))
    await expect(offer.get_by_label("Latitud")).to_have_value(f"{lat:.5f}".rstrip("0"))
    windows = offer.get_by_role("group", name="Upphämtningstider")
    await expect(windows.locator("[data-window='1'] input[name=opens]")).to_have_value("07:00")
    await expect(windows.locator("[data-window='2'] input[name=opens]")).to_have_value("14:00")
    await expect(windows.locator("[data-window='2'] input[name=closes]")).to_have_value("16:30")
    await shoot(page, "places-2-offer-prefilled")
    assert violations == []
    await context.close()


async def test_without_javascript_the_search_shows_places_to_choose_from(
    site: str, browser: Browser, admin_token: str, pool: Pool
) -> None:
    world = await _world(site, admin_token)
    context = await browser.new_context(locale="en-GB", viewport=DESKTOP, java_script_enabled=False)
    page = await context.new_page()
    await sign_in(page, site, pool, world.producer)
    await page.goto(site + "/app/profile")
    place = page.get_by_role("group", name="Pickup place")
    await place.get_by_label("Address").fill("Ekeby")
    await place.get_by_role("button", name="Search for the address").click()
    choices = page.get_by_role("group", name=re.compile("Choose the place you meant"))
    await expect(choices.get_by_role("radio")).to_have_count(2)
    await choices.get_by_role("radio", name=re.compile("Ekeby by")).check()
    # axe needs scripts; this page is the one checked above, with the choices added
    await page.screenshot(path=SHOTS / "places-3-no-script-choices.png", full_page=True)
    await page.get_by_role("button", name="Save the profile").click()
    await expect(page.get_by_role("status")).to_contain_text("profile saved")
    me = await _me(site, world)
    assert me["location"] == {
        "lat": 59.9201,
        "lon": 17.5102,
        "address": "Ekeby by, Ekebyvägen 40, 755 92 Uppsala, Sverige",
    }
    await context.close()


async def test_a_coop_reads_the_producer_directory_on_a_phone(
    site: str, browser: Browser, admin_token: str, pool: Pool
) -> None:
    world = await _world(site, admin_token)
    async with httpx.AsyncClient(base_url=site) as http:
        me = await http.get(
            f"/v1/organisations/{world.producer_id}", headers=bearer(world.producer)
        )
        await http.patch(
            f"/v1/organisations/{world.producer_id}",
            json={
                "presentation": "Morötter och mjölk från Ekeby sedan 1921.",
                "municipality": "Uppsala kommun",
                "place_precision": "approximate",
            },
            headers={**bearer(world.producer), "If-Match": me.headers["etag"]},
        )
    context = await browser.new_context(locale="sv-SE", viewport=PHONE)
    violations = await csp_violations(context)
    page = await context.new_page()
    await sign_in(page, site, pool, world.coop)
    network = world.network["name"]
    await page.get_by_role("link", name=f"Producenter i {network}").click()
    await expect(page.get_by_role("heading", name=f"Producenter i {network}")).to_be_visible()
    ekeby = page.locator("[data-producer='Ekeby Gård']")
    await expect(ekeby).to_contain_text("Morötter och mjölk från Ekeby sedan 1921.")
    await expect(ekeby).to_contain_text("ungefärlig plats")
    await expect(ekeby).to_contain_text("onsdag 07:00\u201311:00")
    html = await page.content()
    assert "59.9126" not in html
    assert "17.5203" not in html
    assert page.get_by_role("img", name="Karta över nätverkets producenter") is not None
    near = approximate(59.9126, 17.5203)
    assert f"{near[0]}" not in html  # the map draws points, it does not print them
    await shoot(page, "places-4-directory")
    assert violations == []
    await context.close()
