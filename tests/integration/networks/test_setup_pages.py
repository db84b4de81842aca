"""The coordinators' setup pages at the HTTP level: only a network's own coordinators
reach them (another network's get 404, as the API answers; a producer 403), a form's
mistake comes back beside its field, and a catalogue import shows every bad row and
stores nothing. The flows are walked in Chromium in tests/browser/test_network_setup.py.
"""

from __future__ import annotations

import re

from shared.db.pool import Pool
from tests.support.http import Client, bearer, ok
from tests.support.people import session_cookies
from tests.support.world import World, build_world

ORIGIN = {"Origin": "http://testserver.local"}


async def _as(client: Client, pool: Pool, token: str) -> None:
    """The pages as a new person of the token's organisation; a form's 303 is the answer."""
    client.follow_redirects = False
    client.cookies.clear()
    for name, value in (await session_cookies(pool, token)).items():
        client.cookies.set(name, value)


def _pages(network_id: str) -> list[tuple[str, str]]:
    vehicles = f"/app/networks/{network_id}/vehicles"
    products = f"/app/networks/{network_id}/products"
    return [
        ("GET", f"/app/networks/{network_id}/settings"),
        ("POST", f"/app/networks/{network_id}/settings"),
        ("GET", vehicles),
        ("POST", vehicles),
        ("GET", products),
        ("POST", products),
        ("POST", products + "/import"),
    ]


async def test_only_the_networks_own_coordinators_reach_its_setup_pages(
    client: Client, admin_token: str, pool: Pool
) -> None:
    ours = await build_world(client, admin_token)
    theirs = await build_world(client, admin_token)
    product_id = ours.products["Morötter"]["id"]
    vehicle = await ok(
        await client.post(
            f"/v1/networks/{ours.network['id']}/vehicles",
            json={
                "name": "Skåpbil",
                "capacity_grams": 800_000,
                "capacity_ml": 4_000_000,
                "start": {"lat": 59.86, "lon": 17.64},
            },
            headers=bearer(ours.coordinator),
        ),
        201,
    )
    objects = [
        ("GET", f"/app/networks/{ours.network['id']}/vehicles/{vehicle['id']}"),
        ("POST", f"/app/networks/{ours.network['id']}/vehicles/{vehicle['id']}/retire"),
        ("GET", f"/app/networks/{ours.network['id']}/products/{product_id}"),
        ("POST", f"/app/networks/{ours.network['id']}/products/{product_id}/retire"),
        # our product under their network's address is no product of theirs
        ("GET", f"/app/networks/{theirs.network['id']}/products/{product_id}"),
    ]

    await _as(client, pool, theirs.coordinator)
    for method, path in [*_pages(ours.network["id"]), *objects[:4]]:
        answer = await client.request(method, path, headers=ORIGIN, data={"name": "x"})
        assert answer.status_code == 404, (method, path, answer.status_code)
    wrong_network = await client.get(objects[4][1])
    assert wrong_network.status_code == 404

    await _as(client, pool, ours.producer)
    for method, path in [*_pages(ours.network["id"]), *objects]:
        answer = await client.request(method, path, headers=ORIGIN, data={"name": "x"})
        assert answer.status_code == 403, (method, path, answer.status_code)

    # nothing was changed on the way: the van and the carrots are still there
    vans = await ok(
        await client.get(
            f"/v1/networks/{ours.network['id']}/vehicles", headers=bearer(ours.coordinator)
        )
    )
    assert [van["name"] for van in vans] == ["Skåpbil"]
    carrots = await ok(
        await client.get(f"/v1/products/{product_id}", headers=bearer(ours.producer))
    )
    assert carrots["retired_at"] is None

    await _as(client, pool, ours.coordinator)
    for path in [path for method, path in _pages(ours.network["id"]) if method == "GET"]:
        assert (await client.get(path)).status_code == 200, path


async def test_a_settings_mistake_comes_back_beside_its_field_with_what_was_typed(
    client: Client, admin_token: str, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    await _as(client, pool, world.coordinator)
    path = f"/app/networks/{world.network['id']}/settings"
    typed = {
        "version": str(world.network["version"]),
        "name": "Uppland",
        "region": "Uppsala",
        "timezone": "Europe/Stockholm",
        "producer_share_percent": "tolv",
        "handling_kr_per_kg": "1,25",
        "kr_per_tonne_km": "95",
        "deadline_reminder_hours": "48",
    }
    refused = await client.post(path, data=typed, headers=ORIGIN)
    assert refused.status_code == 422
    assert 'id="e-producer_share_percent"' in refused.text
    assert 'value="Uppland"' in refused.text
    assert (await _network(client, world))["name"] == world.network["name"]

    mended = {**typed, "producer_share_percent": "12,5"}
    saved = await client.post(path, data=mended, headers=ORIGIN)
    assert saved.status_code == 303
    network = await _network(client, world)
    assert (network["name"], network["producer_share_permille"]) == ("Uppland", 125)
    assert network["deadline_reminder_hours"] == 48

    # the version the page showed is stale now: nothing is saved over the newer one
    stale = await client.post(path, data={**mended, "name": "Gamla"}, headers=ORIGIN)
    assert stale.status_code == 412
    assert 'value="Gamla"' in stale.text
    assert (await _network(client, world))["name"] == "Uppland"
    # the page now carries the newer version: saving again is a decision, and it holds
    shown = re.search(r'name="version" value="(\d+)"', stale.text)
    assert shown is not None
    again = await client.post(
        path, data={**mended, "name": "Gamla", "version": shown.group(1)}, headers=ORIGIN
    )
    assert again.status_code == 303
    assert (await _network(client, world))["name"] == "Gamla"


async def test_an_import_shows_every_bad_row_and_stores_none(
    client: Client, admin_token: str, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    await _as(client, pool, world.coordinator)
    before = await _catalogue(client, world)
    sheet = (
        "Namn;Enhet;kg per enhet;l per enhet;Temperatur;Kategori\r\n"
        "Palsternacka;kg;1;1,4;;rotfrukter\r\n"
        "Grönkål;påse;0,3;1;;grönsaker\r\n"
        "Filmjölk;l;ett;1;kyld;mejeri\r\n"
        "Morötter;kg;1;1,5;;rotfrukter\r\n"
        "Lakrits;kg;1;1;;godis\r\n"
    ).encode("cp1252")
    path = f"/app/networks/{world.network['id']}/products/import"
    refused = await client.post(
        path, files={"file": ("sortiment.csv", sheet, "text/csv")}, headers=ORIGIN
    )
    assert refused.status_code == 422
    for row in (2, 3, 5):
        assert f'data-row="{row}"' in refused.text, row
    assert 'data-row="1"' not in refused.text
    assert await _catalogue(client, world) == before

    clash = sheet.replace(b"p\xe5se", b"kg").replace(b"ett", b"1,02").replace(b"godis", b"")
    named = await client.post(
        path, files={"file": ("sortiment.csv", clash, "text/csv")}, headers=ORIGIN
    )
    assert named.status_code == 422
    assert 'data-row="4"' in named.text  # Morötter: the catalogue has it
    assert await _catalogue(client, world) == before

    good = clash.replace(b"Mor\xf6tter", b"Rotselleri")
    imported = await client.post(
        path, files={"file": ("sortiment.csv", good, "text/csv")}, headers=ORIGIN
    )
    assert imported.status_code == 303
    after = await _catalogue(client, world)
    assert after - before == {"Palsternacka", "Grönkål", "Filmjölk", "Rotselleri", "Lakrits"}


async def _network(client: Client, world: World) -> dict[str, object]:
    network: dict[str, object] = await ok(
        await client.get(f"/v1/networks/{world.network['id']}", headers=bearer(world.coordinator))
    )
    return network


async def _catalogue(client: Client, world: World) -> set[str]:
    products = await ok(
        await client.get(
            f"/v1/networks/{world.network['id']}/products", headers=bearer(world.coordinator)
        )
    )
    return {product["name"] for product in products}


async def test_a_retired_product_leaves_the_catalogue_but_not_what_names_it(
    client: Client, admin_token: str, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    milk = world.products["Mjölk"]
    await ok(
        await client.post(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds",
            json={"lines": [{"product_id": milk["id"], "firm_quantity": 6}]},
            headers=bearer(world.coop),
        ),
        201,
    )
    await _as(client, pool, world.coordinator)
    products = f"/app/networks/{world.network['id']}/products"
    retired = await client.post(f"{products}/{milk['id']}/retire", headers=ORIGIN)
    assert retired.status_code == 303

    assert await _catalogue(client, world) == {"Morötter"}
    kept = await ok(await client.get(f"/v1/products/{milk['id']}", headers=bearer(world.coop)))
    assert kept["retired_at"] is not None
    edit = await client.put(
        f"/v1/products/{milk['id']}",
        json={"name": "Mjölk", "unit": "l", "grams_per_unit": 1030, "ml_per_unit": 1000},
        headers=bearer(world.coordinator),
    )
    assert edit.status_code == 404
    assert (await client.get(f"{products}/{milk['id']}")).status_code == 404

    # the co-op's round still has its milk, on its page too
    await _as(client, pool, world.coop)
    assert "Mjölk" in (await client.get("/app/coop")).text

    # and the name is free for a new product
    await _as(client, pool, world.coordinator)
    again = await client.post(
        products,
        data={
            "name": "Mjölk",
            "unit": "l",
            "grams_per_unit": "1030",
            "ml_per_unit": "1000",
            "temperature": "chilled",
            "category": "mejeri",
        },
        headers=ORIGIN,
    )
    assert again.status_code == 303
    assert await _catalogue(client, world) == {"Morötter", "Mjölk"}
