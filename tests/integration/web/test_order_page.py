"""The co-op's order page: offers shown per product, amounts in kg typed as people do,
mistakes beside their fields with nothing lost, several lines of one product, line ids
kept through the form, and a spreadsheet's bad rows listed."""

from __future__ import annotations

import re

from shared.db.pool import Pool
from tests.support.http import Client, bearer, ok
from tests.support.people import session_cookies
from tests.support.world import World, build_world, offer_body

ORIGIN = {"Origin": "http://testserver.local"}


async def _signed_in(client: Client, pool: Pool, world: World) -> None:
    client.follow_redirects = False
    client.cookies.clear()
    for name, value in (await session_cookies(pool, world.coop)).items():
        client.cookies.set(name, value)


async def _cheese(client: Client, world: World) -> str:
    """Västerbottensost in 500 g units, offered in 5 kg packs at 219,90 kr/kg."""
    cheese = await ok(
        await client.post(
            f"/v1/networks/{world.network['id']}/products",
            json={
                "name": "Västerbottensost",
                "unit": "kg",
                "grams_per_unit": 500,
                "ml_per_unit": 600,
                "temperature": "chilled",
            },
            headers=bearer(world.coordinator),
        ),
        201,
    )
    world.products["Västerbottensost"] = cheese
    await ok(
        await client.post(
            "/v1/offers",
            json=offer_body(world, "Västerbottensost", pack_units=10, price_per_pack_ore=109_950),
            headers=bearer(world.producer),
        ),
        201,
    )
    return str(cheese["id"])


def _value(page: str, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    assert found is not None, f"no field {name}"
    return found.group(1)


async def test_the_page_shows_offers_and_takes_kilograms_of_small_units(
    client: Client, admin_token: str, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    cheese = await _cheese(client, world)
    await _signed_in(client, pool, world)
    shown = await client.get("/app/coop", headers={"Accept-Language": "sv"})
    assert shown.status_code == 200
    assert "219,90 kr per kg, förpackningar om 5 kg, 12 förpackningar lediga" in shown.text
    assert "säljs i enheter om 500 g" in shown.text
    version = _value(shown.text, "version")
    form = {
        "version": version,
        "row": ["c1", "c2", "m1"],
        "product:c1": cheese,
        "quantity:c1": "1,5",
        "product:c2": cheese,
        "quantity:c2": "1",
        "max_price:c2": "200",
        "product:m1": world.products["Morötter"]["id"],
        "quantity:m1": "",
    }
    saved = await client.post(f"/app/cycles/{world.cycle['id']}/demand", data=form, headers=ORIGIN)
    assert saved.status_code == 303, saved.text
    (round_,) = await ok(
        await client.get(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds", headers=bearer(world.coop)
        )
    )
    assert [(x["firm_quantity"], x["max_unit_price_ore"]) for x in round_["lines"]] == [
        (3, None),  # 1,5 kg in 500 g units
        (2, 10_000),  # 200 kr/kg is 100 kr per 500 g
    ]
    again = await client.get("/app/coop", headers={"Accept-Language": "en"})
    keys = re.findall(r'name="row" value="([^"]+)"', again.text)
    cheese_keys = [k for k in keys if k.startswith(cheese)]
    assert len(cheese_keys) == 3  # two lines and an empty one to add with
    first, second, _empty = cheese_keys
    assert _value(again.text, f"quantity:{first}") == "1.5"
    assert _value(again.text, f"max_price:{second}") == "200"
    assert _value(again.text, f"id:{first}") == round_["lines"][0]["id"]

    # the second line goes (its amount emptied), the first changes and keeps its id
    edit = {
        "version": _value(again.text, "version"),
        "row": [first, second],
        f"product:{first}": cheese,
        f"id:{first}": round_["lines"][0]["id"],
        f"quantity:{first}": "2.5",
        f"product:{second}": cheese,
        f"id:{second}": round_["lines"][1]["id"],
        f"quantity:{second}": "",
    }
    edited = await client.post(
        f"/app/cycles/{world.cycle['id']}/demand",
        data=edit,
        headers={**ORIGIN, "Accept-Language": "en"},
    )
    assert edited.status_code == 303, edited.text
    (after,) = await ok(
        await client.get(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds", headers=bearer(world.coop)
        )
    )
    assert [(x["id"], x["firm_quantity"]) for x in after["lines"]] == [
        (round_["lines"][0]["id"], 5)
    ]


async def test_mistakes_stand_beside_their_fields_and_nothing_typed_is_lost(
    client: Client, admin_token: str, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    cheese = await _cheese(client, world)
    await _signed_in(client, pool, world)
    carrots = world.products["Morötter"]["id"]
    form = {
        "version": "",
        "row": ["c1", "m1", "m2"],
        "product:c1": cheese,
        "quantity:c1": "1,2",
        "product:m1": carrots,
        "quantity:m1": "4",
        "extra:m1": "2",
        "max_price:m1": "gratis",
        "product:m2": carrots,
        "quantity:m2": "",
        "extra:m2": "3",
    }
    refused = await client.post(
        f"/app/cycles/{world.cycle['id']}/demand",
        data=form,
        headers={**ORIGIN, "Accept-Language": "sv"},
    )
    assert refused.status_code == 422
    page = refused.text
    assert 'id="e-quantity-c1"' in page
    assert "Inget sparades" in page  # the summary on top, linking to the field
    assert '<a href="#quantity-c1">' in page
    assert "Västerbottensost säljs i enheter om 500 g: 1 kg eller 1,5 kg" in page
    assert 'id="e-max_price-m1"' in page
    assert "Morötter: skriv det högsta priset i kronor" in page
    assert 'id="e-quantity-m2"' in page
    assert _value(page, "quantity:c1") == "1,2"
    assert _value(page, "extra:m1") == "2"
    assert _value(page, "max_price:m1") == "gratis"
    rounds = await ok(
        await client.get(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds", headers=bearer(world.coop)
        )
    )
    assert rounds == []  # nothing was saved

    english = await client.post(
        f"/app/cycles/{world.cycle['id']}/demand",
        data={**form, "quantity:c1": "1,5"},
        headers={**ORIGIN, "Accept-Language": "en"},
    )
    assert english.status_code == 422
    assert "Västerbottensost: write an amount like 1.5" in english.text


async def test_a_spreadsheets_bad_rows_are_listed_and_its_template_reads_back(
    client: Client, admin_token: str, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    await _cheese(client, world)
    await _signed_in(client, pool, world)
    sheet = await client.get(
        f"/app/cycles/{world.cycle['id']}/demand/template.csv", headers={"Accept-Language": "sv"}
    )
    assert sheet.status_code == 200
    assert sheet.headers["content-type"].startswith("text/csv")
    text = sheet.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("produkt;mängd;extra_vi_tar_emot;maxpris")
    assert "Västerbottensost;" in text
    bad = "produkt;mängd\r\nVästerbottensost;1,2\r\nOkänd;2\r\nMorötter;4\r\n".encode("cp1252")
    refused = await client.post(
        f"/app/cycles/{world.cycle['id']}/demand/upload",
        files={"file": ("order.csv", bad, "text/csv")},
        data={"version": ""},
        headers=ORIGIN,
    )
    assert refused.status_code == 422
    assert refused.text.count("data-row-error") == 2
    assert "Rad 1, Hur mycket: Västerbottensost säljs i enheter om 500 g" in refused.text
    assert "Rad 2, Vara: ingen vara som heter &#39;Okänd&#39; i nätverket" in refused.text
    filled = text.replace("Västerbottensost;;", "Västerbottensost;1,5;", 1)
    saved = await client.post(
        f"/app/cycles/{world.cycle['id']}/demand/upload",
        files={"file": ("order.csv", filled.encode("utf-8-sig"), "text/csv")},
        data={"version": "1"},
        headers=ORIGIN,
    )
    assert saved.status_code == 303, saved.text
    (round_,) = await ok(
        await client.get(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds", headers=bearer(world.coop)
        )
    )
    assert [x["firm_quantity"] for x in round_["lines"]] == [3]


async def test_a_new_row_never_takes_the_key_of_a_row_shown(
    client: Client, admin_token: str, pool: Pool
) -> None:
    """Line 1 emptied, line 2 kept, row 3 typed wrong: the page comes back with a fresh
    empty row numbered past 3, so the next save can't read row 3 twice."""
    world = await build_world(client, admin_token)
    await _signed_in(client, pool, world)
    carrots = world.products["Morötter"]["id"]
    second, third = f"{carrots}.2", f"{carrots}.3"
    refused = await client.post(
        f"/app/cycles/{world.cycle['id']}/demand",
        data={
            "version": "",
            "row": [second, third, third],  # a key sent twice is one row
            f"product:{second}": carrots,
            f"quantity:{second}": "4",
            f"product:{third}": carrots,
            f"quantity:{third}": "fyra",
        },
        headers={**ORIGIN, "Accept-Language": "sv"},
    )
    assert refused.status_code == 422
    keys = re.findall(rf'name="row" value="({carrots}[^"]*)"', refused.text)
    assert sorted(keys) == sorted([second, third, f"{carrots}.4"])
    assert _value(refused.text, f"quantity:{third}") == "fyra"


async def test_litres_are_ordered_in_the_products_small_unit_on_the_page_and_in_uploads(
    client: Client, admin_token: str, pool: Pool
) -> None:
    """Äppelmust in 500 ml bottles: "1,5" l is three bottles, "1,2" l is refused saying
    which amounts are possible, on the form and in a spreadsheet alike."""
    world = await build_world(client, admin_token)
    juice = await ok(
        await client.post(
            f"/v1/networks/{world.network['id']}/products",
            json={"name": "Äppelmust", "unit": "l", "grams_per_unit": 520, "ml_per_unit": 500},
            headers=bearer(world.coordinator),
        ),
        201,
    )
    world.products["Äppelmust"] = juice
    await ok(
        await client.post(
            "/v1/offers",
            json=offer_body(world, "Äppelmust", pack_units=12, price_per_pack_ore=18_000),
            headers=bearer(world.producer),
        ),
        201,
    )
    await _signed_in(client, pool, world)
    shown = await client.get("/app/coop", headers={"Accept-Language": "sv"})
    assert "säljs i enheter om 500 ml" in shown.text
    assert "30 kr per l, förpackningar om 6 l" in shown.text  # 12 bottles for 180 kr
    demand = f"/app/cycles/{world.cycle['id']}/demand"
    form = {"version": "", "row": ["j1"], "product:j1": juice["id"], "quantity:j1": "1,2"}
    refused = await client.post(demand, data=form, headers={**ORIGIN, "Accept-Language": "sv"})
    assert refused.status_code == 422
    assert "Äppelmust säljs i enheter om 500 ml: 1 l eller 1,5 l" in refused.text
    assert _value(refused.text, "quantity:j1") == "1,2"  # nothing typed is lost
    saved = await client.post(
        demand, data={**form, "quantity:j1": "1,5"}, headers={**ORIGIN, "Accept-Language": "sv"}
    )
    assert saved.status_code == 303, saved.text
    rounds = f"/v1/cycles/{world.cycle['id']}/demand-rounds"
    (round_,) = await ok(await client.get(rounds, headers=bearer(world.coop)))
    assert [x["firm_quantity"] for x in round_["lines"]] == [3]  # 1,5 l in 500 ml bottles
    again = await client.get("/app/coop", headers={"Accept-Language": "en"})
    assert re.search(r'name="quantity:[^"]+" [^>]*value="1\.5"', again.text), "shown as 1.5 l"

    upload = f"/app/cycles/{world.cycle['id']}/demand/upload"
    sheet = "produkt;mängd\r\nÄppelmust;2,2\r\n".encode("cp1252")
    bad = await client.post(
        upload,
        files={"file": ("order.csv", sheet, "text/csv")},
        data={"version": ""},
        headers=ORIGIN,
    )
    assert bad.status_code == 422
    assert "Äppelmust säljs i enheter om 500 ml: 2 l eller 2,5 l" in bad.text
    sheet = "produkt;mängd\r\nÄppelmust;2,5\r\n".encode("cp1252")
    good = await client.post(
        upload,
        files={"file": ("order.csv", sheet, "text/csv")},
        data={"version": _value(again.text, "version")},
        headers=ORIGIN,
    )
    assert good.status_code == 303, good.text
    (round_,) = await ok(await client.get(rounds, headers=bearer(world.coop)))
    assert [x["firm_quantity"] for x in round_["lines"]] == [5]
