"""Places, the producer profile and the producer directory at the HTTP level.

The directory is the network's own: another network's members find no such thing, in
the page and in its spreadsheet. An approximate producer's exact point is sent nowhere
(not in the page, the spreadsheet, or the organisation as the API shows it to a co-op),
one shown by municipality sends no point at all. A producer's profile prefills the new
offer's form. The address search works without JavaScript (a form post that comes back
with the places found to choose from) and through the pages' script, and a geocoder
that fails is a message, never an error page. Walked in Chromium in
``tests/browser/test_places.py``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from services.api.app import create_app
from services.api.places.precision import approximate
from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.geocoders import Geocoder, geocoding
from tests.support.http import Client, bearer, ok
from tests.support.people import session_cookies
from tests.support.world import World, build_world, offer_body

EKEBY = (59.9126, 17.5203)  # the world's producer, exactly


@pytest.fixture
async def world(client: Client, admin_token: str) -> World:
    return await build_world(client, admin_token)


@pytest.fixture(scope="module")
def geocoder() -> Iterator[Geocoder]:
    with geocoding() as running:
        yield running


@pytest.fixture
async def searching(
    settings: Settings, pool: Pool, geocoder: Geocoder
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The app with the local geocoder as its address search."""
    app = create_app(settings.replace(**{"pages.geocoder_url": geocoder.nominatim}))
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


async def _as(client: Client, pool: Pool, token: str) -> dict[str, str]:
    """Signed in as a new person of the token's organisation; the Origin forms need."""
    client.cookies = await session_cookies(pool, token)
    return {"Origin": str(client.base_url).rstrip("/")}


async def _precision(client: Client, world: World, precision: str) -> None:
    me = await client.get(f"/v1/organisations/{world.producer_id}", headers=bearer(world.producer))
    await ok(
        await client.patch(
            f"/v1/organisations/{world.producer_id}",
            json={
                "place_precision": precision,
                "municipality": "Uppsala kommun",
                "presentation": "Morötter och mjölk från Ekeby sedan 1921.",
            },
            headers={**bearer(world.producer), "If-Match": me.headers["etag"]},
        )
    )


def _spellings(lat: float, lon: float) -> list[str]:
    return [
        f"{lat:.4f}",
        f"{lon:.4f}",
        f"{lat:.4f}".replace(".", ","),
        f"{lon:.4f}".replace(".", ","),
    ]


async def test_another_networks_members_find_no_directory(
    client: Client, pool: Pool, admin_token: str, world: World
) -> None:
    other = await build_world(client, admin_token)
    network = world.network["id"]
    paths = [f"/app/networks/{network}/producers", f"/app/networks/{network}/producers.csv"]
    for token in (other.coop, other.producer, other.coordinator):
        await _as(client, pool, token)
        assert [(await client.get(path)).status_code for path in paths] == [404, 404]
    for token in (world.coop, world.producer, world.coordinator):
        await _as(client, pool, token)
        assert [(await client.get(path)).status_code for path in paths] == [200, 200]
    # their producer, in both networks' pages under our name, is not in ours
    await _as(client, pool, world.coop)
    assert other.network["name"] not in (await client.get(paths[0])).text


async def test_an_approximate_producers_exact_place_is_sent_nowhere(
    client: Client, pool: Pool, world: World
) -> None:
    await _precision(client, world, "approximate")
    await ok(
        await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)), 201
    )
    await _as(client, pool, world.coop)
    network = world.network["id"]
    html = (await client.get(f"/app/networks/{network}/producers")).text
    sheet = await client.get(f"/app/networks/{network}/producers.csv")
    seen = await ok(
        await client.get(f"/v1/organisations/{world.producer_id}", headers=bearer(world.coop))
    )
    for text in (html, sheet.text, str(seen)):
        for spelled in _spellings(*EKEBY):
            assert spelled not in text
    near = approximate(*EKEBY)
    assert (seen["location"]["lat"], seen["location"]["lon"]) == near
    (offer,) = (await ok(await client.get("/v1/offers", headers=bearer(world.coop))))["items"]
    assert (offer["pickup"]["lat"], offer["pickup"]["lon"]) == near
    assert offer["pickup"]["address"] == "Uppsala kommun"
    (own,) = (await ok(await client.get("/v1/offers", headers=bearer(world.producer))))["items"]
    assert (own["pickup"]["lat"], own["pickup"]["lon"]) == EKEBY
    assert seen["location"]["address"] == "Uppsala kommun"  # never the street
    assert "Ekeby 1, Uppsala" not in html + sheet.text
    assert "Morötter och mjölk från Ekeby sedan 1921." in html
    assert 'data-offered="Morötter"' in html

    # the spreadsheet: UTF-8 with its mark, semicolons, decimal commas, Swedish headings
    assert sheet.content.startswith(b"\xef\xbb\xbf")
    assert sheet.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(sheet.content.decode("utf-8-sig")), delimiter=";"))
    assert [row["Namn"] for row in rows] == ["Ekeby Gård"]
    (ekeby,) = rows
    assert (ekeby["Latitud"], ekeby["Longitud"]) == tuple(
        f"{v:.4f}".replace(".", ",") for v in near
    )
    assert ekeby["Platsen visas"] == "ungefärlig plats (inom cirka 5 km)"
    assert ekeby["Upphämtningstider"] == "onsdag 07:00-11:00"
    assert ekeby["Erbjuder nu"] == (
        "Morötter: förpackningar om 10\u00a0kg, 125 kr per förpackning, 12 förpackningar kvar"
    )

    # the coordinator plans the routes: the exact place
    exact = await ok(
        await client.get(
            f"/v1/organisations/{world.producer_id}", headers=bearer(world.coordinator)
        )
    )
    assert (exact["location"]["lat"], exact["location"]["lon"]) == EKEBY


async def test_a_producer_shown_by_municipality_sends_no_point(
    client: Client, pool: Pool, world: World
) -> None:
    await _precision(client, world, "municipality")
    await _as(client, pool, world.coop)
    network = world.network["id"]
    html = (await client.get(f"/app/networks/{network}/producers")).text
    sheet = (await client.get(f"/app/networks/{network}/producers.csv")).content.decode("utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(sheet), delimiter=";")
    assert (row["Latitud"], row["Longitud"], row["Kommun"]) == ("", "", "Uppsala kommun")
    near = approximate(*EKEBY)
    for spelled in [*_spellings(*EKEBY), *_spellings(*near)]:
        assert spelled not in html + sheet
    seen = await ok(
        await client.get(f"/v1/organisations/{world.producer_id}", headers=bearer(world.coop))
    )
    assert seen["location"] is None
    await ok(
        await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)),
        201,
    )
    (offer,) = (await ok(await client.get("/v1/offers", headers=bearer(world.coop))))["items"]
    assert offer["pickup"] is None


async def test_the_profile_prefills_every_new_offer(
    client: Client, pool: Pool, world: World
) -> None:
    origin = await _as(client, pool, world.producer)
    form = await client.get("/app/profile")
    version = form.text.split('name="version" value="')[1].split('"')[0]
    saved = await client.post(
        "/app/profile",
        headers=origin,
        data={
            "version": version,
            "address": "Gårdsvägen 3, Knivsta",
            "lat": "59,7258",
            "lon": "17,7866",
            "window_day": ["2", "4", ""],
            "window_opens": ["08:00", "15:00", ""],
            "window_closes": ["10:00", "17:30", ""],
            "contact_email": "ekeby@example.se",
            "contact_phone": "+46 18 12 34 56",
            "presentation": "Ekologiskt sedan 1990.",
            "place_precision": "exact",
            "municipality": "Knivsta kommun",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    me = await ok(
        await client.get(f"/v1/organisations/{world.producer_id}", headers=bearer(world.producer))
    )
    assert me["location"] == {"lat": 59.7258, "lon": 17.7866, "address": "Gårdsvägen 3, Knivsta"}
    assert [(w["weekday"], w["opens"], w["closes"]) for w in me["windows"]] == [
        (2, "08:00:00", "10:00:00"),
        (4, "15:00:00", "17:30:00"),
    ]
    assert (me["presentation"], me["place_precision"]) == ("Ekologiskt sedan 1990.", "exact")

    page = (await client.get("/app/producer")).text
    offer_form = page.split("data-new-offer")[1]
    assert 'value="Gårdsvägen 3, Knivsta"' in offer_form
    assert 'name="lat" type="text" value="59.7258"' in offer_form
    assert 'name="opens" type="time" value="08:00"' in offer_form
    assert 'name="closes" type="time" value="17:30"' in offer_form

    # a mistake in the profile comes back beside its field, with what was typed
    wrong = await client.post(
        "/app/profile",
        headers=origin,
        data={
            "version": str(me["version"]),
            "address": "Gårdsvägen 3",
            "lat": "norr",
            "lon": "17,78",
            "place_precision": "exact",
            "window_day": "9",
            "window_opens": "10:00",
            "window_closes": "09:00",
        },
    )
    assert wrong.status_code == 422
    assert 'id="e-lat"' in wrong.text
    assert 'id="e-windows"' in wrong.text
    assert 'value="norr"' in wrong.text


async def test_the_address_search_without_and_with_javascript(
    searching: AsyncTestClient[Litestar], pool: Pool, admin_token: str
) -> None:
    world = await build_world(searching, admin_token)
    origin = await _as(searching, pool, world.coordinator)
    settings_page = f"/app/networks/{world.network['id']}/settings"
    version = (
        (await searching.get(settings_page)).text.split('name="version" value="')[1].split('"')[0]
    )
    typed = {
        "version": version,
        "name": world.network["name"],
        "timezone": "Europe/Stockholm",
        "producer_share_percent": "0",
        "handling_kr_per_kg": "1,25",
        "kr_per_tonne_km": "95",
        "deadline_reminder_hours": "24",
        "hub_address": "Knivsta torg",
        "hub_lat": "",
        "hub_lon": "",
    }
    found = await searching.post(
        settings_page, headers=origin, data={**typed, "place_search": "hub_"}
    )
    assert found.status_code == 200
    assert "Knivsta torg, Centralvägen 1, 741 40 Knivsta, Sverige" in found.text
    pick = found.text.split('name="hub_pick" value="')[1].split('"')[0]
    assert pick.startswith("59.7258;17.7866;")
    saved = await searching.post(
        settings_page, headers=origin, data={**typed, "hub_pick": pick}, follow_redirects=False
    )
    assert saved.status_code == 303
    network = await ok(
        await searching.get(
            f"/v1/networks/{world.network['id']}", headers=bearer(world.coordinator)
        )
    )
    assert network["hub"]["lat"] == 59.7258
    assert network["hub"]["address"].startswith("Knivsta torg")

    # nothing found: said beside the field, what was typed kept
    none = await searching.post(
        settings_page,
        headers=origin,
        data={**typed, "hub_address": "Atlantis", "place_search": "hub_"},
    )
    assert "Ingen plats hittades" in none.text
    assert 'value="Atlantis"' in none.text

    # the pages' script asks the same search as JSON
    answer = await ok(await searching.get("/app/places/search", params={"q": "Ekeby gård"}))
    assert answer["error"] is None
    assert answer["candidates"][0] == {
        "label": "Ekeby gård, Ekebyvägen 12, 755 91 Uppsala, Sverige",
        "lat": 59.9126,
        "lon": 17.5203,
        "municipality": "Uppsala kommun",
    }


async def test_a_failing_geocoder_is_a_message_not_an_error_page(
    settings: Settings, pool: Pool, admin_token: str, geocoder: Geocoder
) -> None:
    app = create_app(settings.replace(**{"pages.geocoder_url": geocoder.url + "/broken/search"}))
    async with AsyncTestClient(app=app) as broken:
        world = await build_world(broken, admin_token)
        origin = await _as(broken, pool, world.producer)
        answer = await ok(await broken.get("/app/places/search", params={"q": "Ekeby"}))
        assert answer == {"candidates": [], "error": "adressökningen avvisade frågan"}
        page = await broken.post(
            "/app/offers", headers=origin, data={"address": "Ekeby", "place_search": ""}
        )
        assert page.status_code == 200
        assert "adressökningen avvisade frågan" in page.text
        assert "10.0.0.7" not in page.text


async def test_without_a_geocoder_the_map_and_the_advanced_fields_remain(
    client: Client, pool: Pool, world: World
) -> None:
    await _as(client, pool, world.producer)
    page = (await client.get("/app/profile")).text
    assert "data-place-search" not in page  # no search button to press in vain
    assert "data-place-map" in page
    assert 'name="lat"' in page
    answer = await ok(await client.get("/app/places/search", params={"q": "Ekeby"}))
    assert answer["candidates"] == []
    assert "ingen adressökning" in answer["error"]


async def test_the_join_page_searches_by_posting_back_within_the_join_limits(
    settings: Settings, pool: Pool, admin_token: str, geocoder: Geocoder
) -> None:
    limited = settings.replace(
        **{
            "pages.geocoder_url": geocoder.nominatim,
            "sessions.joins_per_address_per_minute": 1000,
            "sessions.joins_per_network_per_minute": 2,
        }
    )
    async with AsyncTestClient(app=create_app(limited)) as client:
        world = await build_world(client, admin_token)
        origin = await _as(client, pool, world.coordinator)
        network_id = world.network["id"]
        made = await client.post(
            f"/app/networks/{network_id}/join-link", headers=origin, follow_redirects=False
        )
        assert made.status_code == 303
        members = (await client.get(f"/app/networks/{network_id}/members")).text
        path = "/app/join/" + members.split("data-join-link")[0].rsplit("/app/join/", 1)[1]
        path = path.split('"')[0]
        client.cookies.clear()  # an anonymous visitor from here on

        shown = await client.get(path)
        assert 'data-place-map=""' in shown.text
        assert 'name="window_day"' in shown.text
        # framed around the network, but no one's place is shown to a visitor
        assert "Boländerna" not in shown.text
        assert "<rect x=" not in shown.text.split("data-place-map")[1].split("</svg>")[0]
        # the script leaves the search button to post the form: /app/places/search is
        # for signed-in members only
        assert "data-place-search" not in shown.text
        refused = await client.get(
            "/app/places/search", params={"q": "Ekeby"}, follow_redirects=False
        )
        assert refused.status_code == 303
        assert refused.headers["location"].startswith("/app/sign-in")
        typed = {"kind": "producer", "organisation_name": "Ekeby", "address": "Ekeby gård"}
        found = await client.post(path, headers=origin, data={**typed, "place_search": ""})
        assert found.status_code == 200
        assert "Ekeby gård, Ekebyvägen 12, 755 91 Uppsala, Sverige" in found.text
        assert 'value="Ekeby"' in found.text  # what was typed comes back
        await client.post(path, headers=origin, data={**typed, "place_search": ""})
        third = await client.post(path, headers=origin, data={**typed, "place_search": ""})
        assert "för många adressökningar" in third.text
        assert "Ekebyvägen 12" not in third.text


async def test_each_signed_in_person_has_a_limit_of_address_searches(
    settings: Settings, pool: Pool, admin_token: str, geocoder: Geocoder
) -> None:
    """The geocoder is a shared service with its own usage policy: one person can't spend
    it for everyone, by the script's search or by the forms' search buttons."""
    limited = settings.replace(
        **{"pages.geocoder_url": geocoder.nominatim, "pages.geocoder_per_person_per_minute": 2}
    )
    async with AsyncTestClient(app=create_app(limited)) as client:
        world = await build_world(client, admin_token)
        await _as(client, pool, world.producer)
        for _ in range(2):
            answer = await ok(await client.get("/app/places/search", params={"q": "Ekeby gård"}))
            assert answer["error"] is None
            assert answer["candidates"]
        third = await ok(await client.get("/app/places/search", params={"q": "Ekeby gård"}))
        assert third == {
            "candidates": [],
            "error": "för många adressökningar; vänta en minut, eller klicka på kartan",
        }
        origin = await _as(client, pool, world.producer)  # another person: a limit of their own
        searched = await client.post(
            "/app/profile", headers=origin, data={"address": "Ekeby gård", "place_search": ""}
        )
        assert "Ekebyvägen 12" in searched.text
