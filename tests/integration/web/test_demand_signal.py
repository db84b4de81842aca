"""The demand signal on real PostgreSQL, through the API and the page: the sums of the open
cycle and of the last published run, no figure of a product fewer than three co-ops
ordered (nor any that subtracts down to one or two), and who may read it: the network's
producers and coordinators; a co-op is refused, another network's producer finds nothing.

A producer's walk to it in Chromium is ``tests/browser/test_schedule_and_signal.py``.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest

from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.demand import Demanding, demanding_network, publish_the_cycle
from tests.support.http import Client, bearer, ok
from tests.support.people import session_cookies
from tests.support.world import build_world

MILK_UNITS = (7, 9)  # the two co-ops' orders of milk: never to be told


@pytest.fixture
async def demanding(client: Client, admin_token: str) -> Demanding:
    return await demanding_network(client, admin_token)


def by_product(products: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {p["product"]: p for p in products}


async def signal_of(client: Client, token: str, network_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await ok(
        await client.get(f"/v1/networks/{network_id}/demand-signal", headers=bearer(token))
    )
    return found


async def test_the_open_cycle_shows_demand_and_cover_of_products_three_coops_ordered(
    client: Client, demanding: Demanding
) -> None:
    world = demanding.world
    found = await signal_of(client, world.producer, world.network["id"])
    assert found["minimum_coops"] == 3
    assert found["published_cycle"] is None
    opened = found["open_cycle"]
    assert opened["cycle_id"] == world.cycle["id"]
    products = by_product(opened["products"])
    assert products["Morötter"] | {"product_id": None} == {
        "product_id": None,
        "product": "Morötter",
        "unit": "kg",
        "per_unit_milli": 1000,
        "disclosed": True,
        "coops": 6,
        "firm_units": 45,
        "offered_packs": 12,
        "offered_units": 120,
        "covered_units": 45,
        "uncovered_units": 0,
    }
    assert products["Potatis"]["coops"] == 4
    assert products["Potatis"]["firm_units"] == 25
    milk = products["Mjölk"]
    assert milk["disclosed"] is False
    product = ("product_id", "product", "unit", "per_unit_milli")  # the catalogue's
    assert {k: v for k, v in milk.items() if k not in product} == {
        "disclosed": False,
        "coops": None,
        "firm_units": None,
        "offered_packs": None,
        "offered_units": None,
        "covered_units": None,
        "uncovered_units": None,
    }


async def test_the_last_published_cycle_says_what_was_not_filled_without_telling_anyone(
    client: Client, pool: Pool, settings: Settings, demanding: Demanding
) -> None:
    world = demanding.world
    await publish_the_cycle(client, pool, settings, demanding)
    found = await signal_of(client, world.producer, world.network["id"])
    assert found["open_cycle"] is None  # the cycle closed; none open now
    published = found["published_cycle"]
    assert published["cycle_id"] == world.cycle["id"]
    products = by_product(published["products"])
    # carrots: six co-ops, three priced out whole; the other three still add up to three
    carrots = products["Morötter"]
    assert (carrots["coops"], carrots["firm_units"]) == (6, 45)
    assert carrots["shortfalls"] == [
        {"reason": "price_above_max", "disclosed": True, "coops": 3, "units_short": 15}
    ]
    # potatoes: four co-ops, three priced out whole: 25 less 15 would be the fourth's order
    potatoes = products["Potatis"]
    assert (potatoes["coops"], potatoes["firm_units"]) == (4, 25)
    assert potatoes["shortfalls"] == [
        {"reason": "price_above_max", "disclosed": False, "coops": None, "units_short": None}
    ]
    # milk: two co-ops, nobody offers it: nothing but that there were too few to tell
    assert products["Mjölk"] == {
        "product_id": products["Mjölk"]["product_id"],
        "product": "Mjölk",
        "unit": "l",
        "per_unit_milli": 1000,
        "disclosed": False,
        "coops": None,
        "firm_units": None,
        "shortfalls": [],
    }


@pytest.mark.parametrize("published", [False, True])
async def test_no_number_of_fewer_than_three_coops_appears_anywhere_in_the_answer_or_page(
    client: Client, pool: Pool, settings: Settings, demanding: Demanding, published: bool
) -> None:
    """Milk's two orders (7 and 9 l), their sum, and potatoes' lone fourth co-op (10 kg)
    against its three priced out (15 kg): none of them in the JSON or on the page."""
    world = demanding.world
    if published:
        await publish_the_cycle(client, pool, settings, demanding)
    answer = await client.get(
        f"/v1/networks/{world.network['id']}/demand-signal", headers=bearer(world.producer)
    )
    decoded = msgspec.json.decode(answer.content)
    figures = _numbers(decoded)
    assert not figures & {*MILK_UNITS, sum(MILK_UNITS), 2}
    if published:
        assert 10 not in figures  # potatoes: 25 - 15 = the fourth co-op's 10 kg
        assert 15 in figures  # carrots' priced-out three: shown
    client.cookies = await session_cookies(pool, world.producer)
    page = await client.get(f"/app/networks/{world.network['id']}/demand-signal")
    assert page.status_code == 200
    milk_row = re.search(r'<tr data-product="Mjölk">(.*?)</tr>', page.text, re.S)
    assert milk_row is not None
    assert "data-too-few" in milk_row.group(1)
    assert not re.search(r"\d", re.sub(r"<[^>]*>", "", milk_row.group(1)))


def _numbers(value: Any) -> set[int]:
    """Every integer in a decoded JSON answer."""
    if isinstance(value, bool):
        return set()
    if isinstance(value, int):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_numbers(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_numbers(v) for v in value)) if value else set()
    return set()


async def test_producers_and_coordinators_read_it_a_coop_is_refused_and_others_find_nothing(
    client: Client, pool: Pool, admin_token: str, demanding: Demanding
) -> None:
    world = demanding.world
    other = await build_world(client, admin_token)
    path = f"/v1/networks/{world.network['id']}/demand-signal"
    page = f"/app/networks/{world.network['id']}/demand-signal"
    answers = {}
    for who, token in {
        "producer": world.producer,
        "coordinator": world.coordinator,
        "admin": admin_token,
        "coop": world.coop,
        "other producer": other.producer,
        "other coordinator": other.coordinator,
    }.items():
        api = (await client.get(path, headers=bearer(token))).status_code
        shown = None
        if who != "admin":  # an admin token has no person in the pages here
            client.cookies = await session_cookies(pool, token)
            shown = (await client.get(page)).status_code
            client.cookies.clear()
        answers[who] = (api, shown)
    assert answers == {
        "producer": (200, 200),
        "coordinator": (200, 200),
        "admin": (200, None),
        "coop": (403, 403),
        "other producer": (404, 404),
        "other coordinator": (404, 404),
    }


async def test_a_producer_of_one_network_is_taken_to_its_signal_from_the_producer_page(
    client: Client, pool: Pool, demanding: Demanding
) -> None:
    world = demanding.world
    client.cookies = await session_cookies(pool, world.producer)
    producer_page = await client.get("/app/producer")
    assert 'href="/app/demand-signal"' in producer_page.text
    chosen = await client.get("/app/demand-signal", follow_redirects=False)
    assert chosen.status_code == 303
    assert chosen.headers["location"] == f"/app/networks/{world.network['id']}/demand-signal"


async def test_in_english_the_page_says_why_in_words(
    client: Client, pool: Pool, settings: Settings, demanding: Demanding
) -> None:
    world = demanding.world
    await publish_the_cycle(client, pool, settings, demanding)
    client.cookies = await session_cookies(pool, world.producer)
    client.cookies["samlast_lang"] = "en"
    page = await client.get(f"/app/networks/{world.network['id']}/demand-signal")
    carrots = re.search(r'<tr data-product="Morötter">(.*?)</tr>', page.text, re.S)
    assert carrots is not None
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", carrots.group(1))).replace("&nbsp;", " ")
    assert "45 kg" in text
    assert "15 kg: price above the co-ops&#39; limits (3 co-ops)" in text
    assert "No cycle is open for ordering now." in page.text
