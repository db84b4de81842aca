"""The producer's offer form takes the pack's size in the product's kg, l or st, in the
page's number format, and converts it exactly to the catalogue units the API keeps
(issue 21: amounts as people order them)."""

from __future__ import annotations

import datetime as dt
import html
import re

from shared.db.pool import Pool
from tests.support.http import Client, bearer, ok
from tests.support.people import session_cookies
from tests.support.world import as_coordinator, build_world, offer_form


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


async def test_a_pack_size_in_kg_becomes_whole_units_and_a_size_between_them_is_refused(
    client: Client, pool: Pool, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    cheese = await as_coordinator(client, world).create_product(
        world.network["id"],
        {"name": "Ost", "unit": "kg", "grams_per_unit": 500, "ml_per_unit": 0},
    )
    client.cookies = await session_cookies(pool, world.producer)
    # the menu says the unit the size is typed in, and the size of the cheese's unit
    menu = (await client.get("/app/producer")).text
    assert ">Ost (kg, säljs i enheter om 500 g)</option>" in menu
    assert ">Morötter (kg)</option>" in menu
    client.cookies["samlast_lang"] = "en"
    menu = (await client.get("/app/producer")).text
    assert ">Ost (kg, sold in units of 500 g)</option>" in menu
    del client.cookies["samlast_lang"]
    origin = {"Origin": str(client.base_url).rstrip("/")}
    form = offer_form(
        world,
        product=f"{world.network['id']}:{cheese['id']}",
        pack_size="5,2",
        price_per_pack="400",
    )
    # 5,2 kg is no whole number of 500 g units: refused beside the field, as typed
    refused = await client.post("/app/offers", data=form, headers=origin, follow_redirects=False)
    assert refused.status_code == 422, refused.text
    field = refused.text[refused.text.index('<div class="field invalid">') :][:1200]
    assert 'value="5,2"' in field
    assert 'aria-invalid="true"' in field
    assert "Ost säljs i enheter om 500 g: 5 kg eller 5,5 kg" in _text(field), _text(field)
    assert 'value="400"' in refused.text  # nothing typed is lost
    mine = bearer(world.producer)
    assert (await ok(await client.get("/v1/offers", headers=mine)))["items"] == []

    # 5 kg is ten units of 500 g: the API keeps catalogue units
    posted = await client.post(
        "/app/offers", data={**form, "pack_size": "5"}, headers=origin, follow_redirects=False
    )
    assert posted.status_code == 303, posted.text
    (offer,) = (await ok(await client.get("/v1/offers", headers=mine)))["items"]
    assert offer["pack_units"] == 10
    # and the producer's page shows the pack in kg
    shown = _text((await client.get("/app/producer")).text)
    assert "förpackningar om 5 kg" in shown, shown


async def test_a_refused_offer_says_nothing_was_saved_and_links_each_mistake_to_its_field(
    client: Client, pool: Pool, admin_token: str
) -> None:
    """Whoever found the mistake (the form's readers, the API's struct or its service),
    the page comes back as typed: a summary on top saying nothing was saved, linking to
    the field, and the mistake beside that field, in the page's language."""
    world = await build_world(client, admin_token)
    client.cookies = await session_cookies(pool, world.producer)
    origin = {"Origin": str(client.base_url).rstrip("/")}
    today = dt.date.today()
    form = offer_form(world, price_per_pack="12,505", note="Tvättade")
    for typed, field, said in (
        ({}, "price_per_pack", "”Pris per förpackning, kr” har fler än två decimaler"),
        (  # refused by OfferIn's own rule, in msgspec's words
            {"price_per_pack": "120", "valid_until": (today - dt.timedelta(days=1)).isoformat()},
            "valid_from",
            "”Giltigt från” är efter ”Giltigt till”",
        ),
        ({"price_per_pack": "120", "lat": "north"}, "lat", "”Latitud” måste vara decimala grader"),
    ):
        sent = {**form, **typed}
        refused = await client.post("/app/offers", data=sent, headers=origin)
        assert refused.status_code == 422, refused.text
        page = refused.text
        summary = page[page.index("data-offer-errors") :][:800]
        assert "Inget sparades" in _text(summary)
        anchor = "f-lat" if field == "lat" else field
        link = re.search(r'<a href="#([\w-]+)">([^<]*)</a>', summary)
        assert link is not None, summary
        assert (link[1], said in html.unescape(link[2])) == (anchor, True), summary
        beside = page[page.index(f'id="{anchor}"') :][:600]
        assert 'aria-invalid="true"' in beside, beside
        assert said in _text(page[page.index(f'id="e-{field}"') :][:300])
        for value in sent.values():  # nothing typed is lost
            assert f'value="{html.escape(value)}"' in page, value
    mine = bearer(world.producer)
    assert (await ok(await client.get("/v1/offers", headers=mine)))["items"] == []
