"""A product sold in small units is shown in kg wherever a run shows it: Västerbottensost
in 500 g units, three of them ordered, reads "1,5 kg" (not "3 kg") on the run page, the
pick list, the delivery note and the route sheet, as HTML and in the PDFs' text, in
Swedish and in English."""

from __future__ import annotations

import re
from typing import Any

import pytest

from services.api.demand.amounts import Measure
from shared.db.pool import Pool
from shared.db.products import PER_UNIT_MILLI
from shared.settings import Settings
from tests.support.http import Client, bearer, ok
from tests.support.people import session_cookies
from tests.support.runs import drain
from tests.support.texts import html_text, pdf_text
from tests.support.world import (
    World,
    add_coop,
    add_van,
    as_coordinator,
    build_world,
    close_cycle,
    offer_body,
)

CHEESE = "Västerbottensost"
# catalogue units shown as if they were kg: "3 kg" for three 500 g units (not "0,3 kg")
AS_KG = re.compile(r"(?<![\d,.])[31] kg")


async def _cheese_run(
    client: Client, settings: Settings, admin_token: str
) -> tuple[World, str, str]:
    """One pack of four 500 g units (2 kg for 160 kr): Luthagen orders three units
    (1,5 kg), Svartbäcken one (0,5 kg). The run's id and Svartbäcken's token."""
    world = await build_world(client, admin_token)
    await add_van(client, world)
    cheese = await as_coordinator(client, world).create_product(
        world.network["id"],
        {
            "name": CHEESE,
            "unit": "kg",
            "grams_per_unit": 500,
            "ml_per_unit": 600,
            "temperature": "chilled",
        },
    )
    offer = offer_body(world, "Morötter", pack_units=4, packs_available=3, price_per_pack_ore=16000)
    offer["listings"][0]["product_id"] = cheese["id"]
    await ok(await client.post("/v1/offers", json=offer, headers=bearer(world.producer)), 201)
    _, other = await add_coop(client, world)
    for token, units in ((world.coop, 3), (other, 1)):
        await ok(
            await client.post(
                f"/v1/cycles/{world.cycle['id']}/demand-rounds",
                json={"lines": [{"product_id": cheese["id"], "firm_quantity": units}]},
                headers=bearer(token),
            ),
            201,
        )
    run = await close_cycle(client, world)
    await drain(settings)
    return world, str(run["id"]), other


async def _page(client: Client, pool: Pool, token: str, path: str, language: str) -> Any:
    client.cookies = await session_cookies(pool, token)
    client.cookies.set("samlast_lang", language)
    try:
        answer = await client.get(path)
    finally:
        client.cookies.clear()
    assert answer.status_code == 200, answer.text
    return answer


@pytest.fixture
async def cheese_run(
    client: Client, settings: Settings, admin_token: str
) -> tuple[World, str, str]:
    return await _cheese_run(client, settings, admin_token)


@pytest.mark.parametrize(("language", "mark"), [("sv", ","), ("en", ".")])
async def test_the_run_page_shows_small_units_as_kg(
    client: Client, pool: Pool, cheese_run: tuple[World, str, str], language: str, mark: str
) -> None:
    world, run_id, _ = cheese_run
    one_and_half, half = f"1{mark}5 kg", f"0{mark}5 kg"
    page = await _page(client, pool, world.coordinator, f"/app/runs/{run_id}", language)
    article = re.search(rf'<article[^>]*data-product="{CHEESE}".*?</article>', page.text, re.S)
    assert article is not None
    product = html_text(article.group(0))
    assert f"Matkassen Luthagen {one_and_half}" in product  # the pack's split
    assert f"Matkassen Svartbäcken {half}" in product
    assert "2 kg" in product  # filled of ordered, and the pack's size
    assert not AS_KG.search(product), product
    figures = re.search(r'data-figure="demanded">(.*?)</dd>', page.text, re.S)
    assert figures is not None
    assert html_text(figures.group(1)).strip() == "2 kg"  # 4 units of 500 g
    routes = re.search(r'<section[^>]*aria-labelledby="routes".*?</section>', page.text, re.S)
    assert routes is not None
    assert f"{CHEESE} {one_and_half}" in html_text(routes.group(0))  # unloaded at Luthagen


@pytest.mark.parametrize(("language", "mark"), [("sv", ","), ("en", ".")])
async def test_the_documents_show_small_units_as_kg_in_html_and_pdf(
    client: Client, pool: Pool, cheese_run: tuple[World, str, str], language: str, mark: str
) -> None:
    world, run_id, other = cheese_run
    one_and_half, half = f"1{mark}5 kg", f"0{mark}5 kg"
    coordinator = bearer(world.coordinator)
    base = f"/v1/runs/{run_id}"
    for step in ("approve", "publish"):
        await ok(await client.post(f"{base}/{step}", headers=coordinator))
    as_read = {"Accept-Language": language}
    run = await ok(await client.get(base, headers=coordinator))
    plan = run["routing"]["proposed"]
    routes = await ok(await client.get(f"{base}/routes?plan={plan}", headers=coordinator))
    documents = {
        "pick list": (f"{base}/pick-lists", bearer(world.producer)),
        "delivery note": (f"{base}/delivery-notes", bearer(world.coop)),
        "route sheet": (f"{base}/routes/{routes['routes'][0]['id']}/sheet", coordinator),
    }
    for name, (path, who) in documents.items():
        html = await client.get(path + ".html", headers={**who, **as_read})
        pdf = await client.get(path + ".pdf", headers={**who, **as_read})
        assert html.status_code == pdf.status_code == 200, (name, html.text)
        for text in (html_text(html.text), pdf_text(pdf.content)):
            assert one_and_half in text, (name, text)
            assert not AS_KG.search(text.replace("2 kg", "")), (name, text)
            if name == "pick list":
                assert f"Matkassen Svartbäcken {half}" in text
            if name == "delivery note":  # 160 kr for 2 kg
                assert f"80{mark}00 kr/kg" in text
                assert "Svartbäcken" not in text

    # the co-ops' own pages list their delivery at the product's size too
    mine = await _page(client, pool, world.coop, "/app/coop", language)
    assert one_and_half in html_text(mine.text)
    theirs = await _page(client, pool, other, "/app/coop", language)
    assert half in html_text(theirs.text)


@pytest.mark.parametrize(
    ("unit", "grams", "ml"),
    [
        ("kg", 500, 600),
        ("kg", 1000, 1500),
        ("kg", 0, 0),
        ("l", 520, 500),
        ("l", 1030, 1000),
        ("l", 1030, 0),
        ("piece", 62, 80),
    ],
)
async def test_the_queries_size_a_unit_by_the_rule_the_pages_use(
    pool: Pool, unit: str, grams: int, ml: int
) -> None:
    """``PER_UNIT_MILLI`` (the documents', invoices' and signal's queries) and
    ``Measure.of`` (the pages) agree on every kind of product."""
    query = f"""SELECT {PER_UNIT_MILLI} FROM (VALUES ($1::text, $2::int, $3::int))
                AS p(unit, grams_per_unit, ml_per_unit)"""
    async with pool.acquire() as conn:
        size = await conn.fetchval(query, unit, grams, ml)
    assert size == Measure.of(unit, grams, ml).per_unit
