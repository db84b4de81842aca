"""The coordinators' members page and a member's own place page, at the HTTP level: who
is in and how far each has come, inviting from the page, removing after a page that
lists exactly what the removal withdraws, and an organisation without a place told so
and setting it. Tenancy of these pages is checked in test_joining.py.
"""

from __future__ import annotations

import re

from shared.db.pool import Pool
from tests.support.http import Client, bearer, ok
from tests.support.people import session_cookies
from tests.support.world import build_world, offer_body, order

ORIGIN = {"Origin": "http://testserver.local"}


async def _as(client: Client, pool: Pool, token: str) -> None:
    client.follow_redirects = False
    client.cookies.clear()
    for name, value in (await session_cookies(pool, token)).items():
        client.cookies.set(name, value)


def _row(page: str, name: str) -> str:
    found = re.search(rf'<tr data-member="{re.escape(name)}">(.*?)</tr>', page, re.S)
    assert found is not None, f"no row for {name}"
    return found.group(1)


async def test_the_members_page_says_how_far_each_member_has_come(
    client: Client, admin_token: str, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    carrots = world.products["Morötter"]["id"]
    await order(
        client, world.cycle["id"], world.coop, [{"product_id": carrots, "firm_quantity": 3}]
    )
    placeless = await ok(
        await client.post(
            "/v1/organisations",
            json={
                "kind": "coop",
                "name": "Kassen utan plats",
                "network_ids": [world.network["id"]],
            },
            headers=bearer(world.coordinator),
        ),
        201,
    )
    await session_cookies(pool, world.coop)  # one person of the co-op signs up
    await _as(client, pool, world.coordinator)
    path = f"/app/networks/{world.network['id']}/members"
    shown = await client.get(path)
    assert shown.status_code == 200
    ordered = _row(shown.text, "Matkassen Luthagen")
    assert "har beställt" in ordered
    assert "1 anslutna" in ordered
    producer = _row(shown.text, "Ekeby Gård")
    assert "inte än" in producer  # no offer for the delivery day yet
    assert "Ekeby 1, Uppsala" in producer
    missing = _row(shown.text, "Kassen utan plats")
    assert missing.count("saknas") == 2  # no place, no hours
    assert "ingen än" in missing
    assert f"/members/{placeless['id']}/remove" in missing

    # an invitation from the page: a mistake comes back beside its field
    wrong = await client.post(
        path + "/invite",
        data={
            "email": "inte en adress",
            "organisation_name": "Gränby kassa",
            "organisation_kind": "coop",
        },
        headers=ORIGIN,
    )
    assert wrong.status_code == 422
    assert 'id="e-email"' in wrong.text
    assert 'value="Gränby kassa"' in wrong.text
    sent = await client.post(
        path + "/invite",
        data={
            "email": "granby@example.org",
            "organisation_name": "Gränby kassa",
            "organisation_kind": "coop",
            "language": "sv",
        },
        headers=ORIGIN,
    )
    assert sent.status_code == 303
    listed = await client.get(path)
    assert 'data-invited="granby@example.org"' in listed.text
    assert 'data-state="pending"' in listed.text


async def test_removing_a_member_shows_what_it_withdraws_first(
    client: Client, admin_token: str, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    carrots = world.products["Morötter"]["id"]
    await ok(
        await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)), 201
    )
    await order(
        client,
        world.cycle["id"],
        world.coop,
        [{"product_id": carrots, "firm_quantity": 3, "tolerance": 1}],
    )
    await _as(client, pool, world.coordinator)
    base = f"/app/networks/{world.network['id']}/members"

    farm = await client.get(f"{base}/{world.producer_id}/remove")
    assert farm.status_code == 200
    assert farm.text.count("data-listing") == 1
    assert "12 \N{MULTIPLICATION SIGN} 10\N{NO-BREAK SPACE}kg" in farm.text
    assert "125 kr" in farm.text
    coop = await client.get(f"{base}/{world.coop_id}/remove")
    assert coop.status_code == 200
    assert coop.text.count("data-line") == 1
    assert "Morötter: 3\N{NO-BREAK SPACE}kg (+1\N{NO-BREAK SPACE}kg)" in coop.text
    # looking is not removing
    members = await ok(
        await client.get(
            "/v1/organisations",
            params={"network_id": world.network["id"]},
            headers=bearer(world.coordinator),
        )
    )
    assert {"Ekeby Gård", "Matkassen Luthagen"} <= {m["name"] for m in members}

    removed = await client.post(f"{base}/{world.coop_id}/remove", headers=ORIGIN)
    assert removed.status_code == 303
    after = await client.get(base)
    assert 'data-member="Matkassen Luthagen"' not in after.text
    async with pool.acquire() as conn:
        rounds = await conn.fetchval(
            "SELECT count(*) FROM demand_round WHERE coop_id = $1::uuid", world.coop_id
        )
    assert rounds == 0
    gone = await client.get(f"{base}/{world.coop_id}/remove")
    assert gone.status_code == 404


async def test_an_organisation_without_a_place_is_told_and_sets_it(
    client: Client, admin_token: str, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    coop = await ok(
        await client.post(
            "/v1/organisations",
            json={
                "kind": "coop",
                "name": "Kassen utan plats",
                "network_ids": [world.network["id"]],
            },
            headers=bearer(world.coordinator),
        ),
        201,
    )
    token = await ok(
        await client.post(
            f"/v1/organisations/{coop['id']}/tokens",
            json={"label": "t"},
            headers=bearer(world.coordinator),
        ),
        201,
    )
    await _as(client, pool, token["token"])
    own = await client.get("/app/coop")
    assert "data-place-missing" in own.text
    assert "data-order-refused" in own.text  # said beside the order form
    carrots = world.products["Morötter"]["id"]
    refused = await client.post(
        f"/app/cycles/{world.cycle['id']}/demand",
        data={"row": "a", "product:a": carrots, "quantity:a": "2"},
        headers=ORIGIN,
    )
    assert refused.status_code == 422  # the page again, the order as typed, saying why
    # the API's refusal, in the page's Swedish
    assert "Kassen utan plats har ingen plats än" in refused.text
    assert "innan ni beställer" in refused.text
    assert 'name="quantity:a" inputmode="decimal" autocomplete="off" value="2"' in refused.text

    # the old place page leads to the profile, where the place and hours are set
    moved = await client.get("/app/place", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (303, "/app/profile")
    form = await client.get("/app/profile")
    assert form.status_code == 200
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert version is not None
    typed = {
        "version": version.group(1),
        "address": "Kungsgatan 1, Uppsala",
        "lat": "59,85",
        "lon": "öst",
        "window_day": "5",
        "window_opens": "16:00",
        "window_closes": "18:00",
    }
    wrong = await client.post("/app/profile", data=typed, headers=ORIGIN)
    assert wrong.status_code == 422
    assert 'id="e-lon"' in wrong.text
    assert 'value="Kungsgatan 1, Uppsala"' in wrong.text
    no_day = await client.post(
        "/app/profile", data={**typed, "lon": "17,64", "window_day": ""}, headers=ORIGIN
    )
    assert no_day.status_code == 422
    assert 'id="e-windows"' in no_day.text
    saved = await client.post("/app/profile", data={**typed, "lon": "17,64"}, headers=ORIGIN)
    assert saved.status_code == 303
    found = await ok(
        await client.get(f"/v1/organisations/{coop['id']}", headers=bearer(token["token"]))
    )
    assert found["location"] == {"lat": 59.85, "lon": 17.64, "address": "Kungsgatan 1, Uppsala"}
    assert found["windows"] == [{"weekday": 5, "opens": "16:00:00", "closes": "18:00:00"}]
    assert "data-place-missing" not in (await client.get("/app/coop")).text
    ordered = await client.post(
        f"/app/cycles/{world.cycle['id']}/demand",
        data={"row": "a", "product:a": carrots, "quantity:a": "2"},
        headers=ORIGIN,
    )
    assert ordered.status_code == 303
    async with pool.acquire() as conn:
        rounds = await conn.fetchval(
            "SELECT count(*) FROM demand_round WHERE coop_id = $1::uuid", coop["id"]
        )
    assert rounds == 1
    # producers and co-ops only: a coordinator has no place of its own to set
    await _as(client, pool, world.coordinator)
    assert (await client.get("/app/profile")).status_code == 403
    assert (await client.get("/app/place")).status_code == 403
