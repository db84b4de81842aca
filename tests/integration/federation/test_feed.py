"""Trading between deployments, the offers: B's producer shares with A, A's network
chooses B, A's poller mirrors B's offers (docs/federation.md).

A is the session's app and database; B a second app on a scratch database, reached in
process through its test client (as in test_peering.py): the poller's signed requests
meet exactly B's checks.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx

from services.matcher.jobs.feeds import poll_feeds
from services.matcher.matching.run import run_match
from shared.db.pool import Pool
from shared.settings import Settings
from tests.integration.federation.test_peering import (
    new_key_of_a,
    peer_a_on_b,
    public_of,
    refused,
    send,
    signed,
)
from tests.support.deployments import B_URL
from tests.support.http import Client, bearer, ok
from tests.support.people import session_cookies
from tests.support.world import World, add_van, as_coordinator, build_world, offer_body, order

ORIGIN = {"Origin": "http://testserver.local"}
FEED = "/federation/v1/catalog"


def a_json(answer: bytes) -> Any:
    return httpx.Response(200, content=answer).json()


def items(catalog: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The catalog's CatalogItems by sku."""
    return {
        node["dfc-b:sku"]: node
        for node in catalog["@graph"]
        if node.get("@type") == "dfc-b:CatalogItem"
    }


async def post_offer(client: Client, world: World, **changes: Any) -> dict[str, Any]:
    offer: dict[str, Any] = await ok(
        await client.post(
            "/v1/offers", json=offer_body(world, **changes), headers=bearer(world.producer)
        ),
        201,
    )
    return offer


async def mirrors(pool: Pool) -> dict[UUID, Any]:
    """A's mirror offers by their id at B, with their listings and producer."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """
            SELECT r.remote_offer_id, o.id, o.pack_units, o.packs_available,
                   o.price_per_pack_ore, o.pickup_lat, o.pickup_lon, o.pickup_address,
                   o.valid_from, o.valid_until, o.withdrawn_at, org.name AS producer,
                   org.id AS producer_id,
                   (SELECT array_agg(l.network_id::text || '/' || l.product_id::text)
                    FROM offer_listing l
                    WHERE l.offer_id = o.id AND l.withdrawn_at IS NULL) AS listings
            FROM remote_offer r JOIN offer o ON o.id = r.offer_id
            JOIN organisation org ON org.id = o.producer_id"""
        )
    return {row["remote_offer_id"]: row for row in rows}


async def as_person(client: Client, pool: Pool, token: str) -> None:
    """The client's page requests come from a person of ``token``'s organisation."""
    client.follow_redirects = False
    client.cookies.clear()
    for name, value in (await session_cookies(pool, token)).items():
        client.cookies.set(name, value)


class Seen:
    """The statuses of B's answers, and the If-None-Match the requests carried."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.statuses: list[int] = []
        self.conditional: list[str | None] = []
        client.event_hooks["request"].append(self.request)
        client.event_hooks["response"].append(self.response)

    async def request(self, request: httpx.Request) -> None:
        self.conditional.append(request.headers.get("if-none-match"))

    async def response(self, response: httpx.Response) -> None:
        self.statuses.append(response.status_code)


async def test_a_mirrors_what_b_shares_follows_its_changes_and_leaves_b_out_when_stopped(
    client: Client,
    pool: Pool,
    settings: Settings,
    admin_token: str,
    b_client: Client,
    b_pool: Pool,
    b_admin: str,
    b_world: World,
    b_settings: Settings,
) -> None:
    # -- peering both ways: B knows A's key, A knows B's ------------------------------
    a_key = await new_key_of_a(pool, settings)
    a_on_b = await peer_a_on_b(b_client, b_admin, pool, a_key, name="Samlast Uppsala")
    b_key = await new_key_of_a(b_pool, b_settings)
    # another module (test_holds) may have left a peer at B's address in A's database
    await pool.execute("DELETE FROM peer WHERE base_url = $1", B_URL)
    b_on_a = await ok(
        await client.post(
            "/v1/peers",
            json={
                "name": "Samlast Gävleborg",
                "base_url": B_URL,
                "keys": [{"key_id": b_key.key_id, "public_key": await public_of(b_pool, b_key)}],
            },
            headers=bearer(admin_token),
        ),
        201,
    )
    # -- B: its producer offers carrots, milk and potatoes, and shares them with A -------
    b_coordinator = b_world.coordinator
    potatoes = await ok(
        await b_client.post(
            f"/v1/networks/{b_world.network['id']}/products",
            json={"name": "Potatis", "unit": "kg", "grams_per_unit": 1000, "ml_per_unit": 1400},
            headers=bearer(b_coordinator),
        ),
        201,
    )
    b_world.products["Potatis"] = potatoes
    carrots = await post_offer(b_client, b_world)  # 10 kg packs, 12 of them, 125 kr
    milk = await post_offer(
        b_client,
        b_world,
        product="Mjölk",
        pack_units=6,
        packs_available=4,
        price_per_pack_ore=9000,
        pickup={"lat": 60.6749, "lon": 17.1413, "address": "Mejerivägen 2, Gävle"},
    )
    spuds = await post_offer(b_client, b_world, product="Potatis")
    later = await post_offer(b_client, b_world, packs_available=5)  # reserved at A, below
    await ok(
        await b_client.put(
            f"/v1/organisations/{b_world.producer_id}/peers/{a_on_b['id']}",
            headers=bearer(b_world.producer),
        )
    )
    # -- A: a network of its own chooses B -----------------------------------------------
    a_world = await build_world(client, admin_token, "Uppsala handel")
    a_net = a_world.network["id"]
    chosen = await ok(
        await client.put(
            f"/v1/networks/{a_net}/peers/{b_on_a['id']}", headers=bearer(a_world.coordinator)
        )
    )
    assert chosen["chosen"] is True
    assert chosen["reachable"] is False  # not read yet
    # -- the first poll mirrors B's offers -----------------------------------------------
    seen = Seen(b_client)
    assert await poll_feeds(pool, settings, b_client) == 1
    assert seen.statuses == [200]
    assert seen.conditional == [None]
    mirrored = await mirrors(pool)
    # potatoes: no such product at A
    assert set(mirrored) == {UUID(carrots["id"]), UUID(milk["id"]), UUID(later["id"])}
    carrot, milk_here = mirrored[UUID(carrots["id"])], mirrored[UUID(milk["id"])]
    assert (carrot["pack_units"], carrot["packs_available"], carrot["price_per_pack_ore"]) == (
        10,
        12,
        12500,
    )
    assert (carrot["pickup_lat"], carrot["pickup_lon"]) == (59.9126, 17.5203)
    assert carrot["listings"] == [f"{a_net}/{a_world.products['Morötter']['id']}"]
    assert carrot["producer"] == "Ekeby Gård"
    assert carrot["producer_id"] != UUID(a_world.producer_id)  # a mirror of B's, not A's
    assert (milk_here["pack_units"], milk_here["packs_available"]) == (6, 4)
    assert milk_here["price_per_pack_ore"] == 9000
    assert milk_here["pickup_address"] == "Mejerivägen 2, Gävle"
    assert milk_here["listings"] == [f"{a_net}/{a_world.products['Mjölk']['id']}"]
    assert str(carrot["valid_until"]) == carrots["valid_until"]
    async with pool.acquire() as conn:
        member = await conn.fetchval(
            "SELECT count(*) FROM membership WHERE network_id = $1::uuid AND organisation_id = $2",
            a_net,
            carrot["producer_id"],
        )
        people = await conn.fetchval(
            "SELECT count(*) FROM person_organisation WHERE organisation_id = $1",
            carrot["producer_id"],
        )
    assert (member, people) == (1, 0)
    state = await ok(
        await client.get(f"/v1/networks/{a_net}/peers", headers=bearer(a_world.coordinator))
    )
    (b_state,) = [p for p in state if p["peer_id"] == b_on_a["id"]]
    assert b_state["reachable"] is True
    assert b_state["error"] == ""
    assert b_state["listed"] == 3
    assert [(s["name"], s["reason"]) for s in b_state["skipped"]] == [
        ("Potatis", "no product named 'Potatis' in this network's catalogue")
    ]
    # -- a local producer can't change a mirror -------------------------------------------
    refused_edit = await client.patch(
        f"/v1/offers/{carrot['id']}",
        json={"packs_available": 99},
        headers={**bearer(a_world.producer), "If-Match": "*"},
    )
    assert refused_edit.status_code == 409, refused_edit.text
    assert "Samlast Gävleborg" in refused_edit.json()["detail"]
    refused_withdraw = await client.delete(
        f"/v1/offers/{carrot['id']}", headers={**bearer(a_world.producer), "If-Match": "*"}
    )
    assert refused_withdraw.status_code == 409, refused_withdraw.text
    # ... nor give the mirror producer a token (it would post offers in B's producer's name)
    no_token = await client.post(
        f"/v1/organisations/{carrot['producer_id']}/tokens",
        json={"label": "ett försök"},
        headers=bearer(a_world.coordinator),
    )
    assert no_token.status_code == 409, no_token.text
    assert "Samlast Gävleborg" in no_token.json()["detail"]
    # -- nothing changed at B: the next poll is conditional and gets 304 ------------------
    assert await poll_feeds(pool, settings, b_client, every_s=0) == 1
    assert seen.statuses[-1] == 304
    assert seen.conditional[-1] is not None
    assert seen.conditional[-1].startswith('"')
    # -- a change at B shows at A; a withdrawn offer at B is withdrawn at A ---------------
    await ok(
        await b_client.patch(
            f"/v1/offers/{carrots['id']}",
            json={"price_per_pack_ore": 13000, "packs_available": 7},
            headers={**bearer(b_world.producer), "If-Match": "*"},
        )
    )
    async with pool.acquire() as conn:  # a run here reserved 2 packs of the later offer
        await conn.execute(
            "UPDATE offer SET packs_reserved = 2 WHERE id = $1",
            mirrored[UUID(later["id"])]["id"],
        )
    for gone in (milk, later):
        withdrawn = await b_client.delete(
            f"/v1/offers/{gone['id']}", headers={**bearer(b_world.producer), "If-Match": "*"}
        )
        assert withdrawn.status_code == 204, withdrawn.text
    assert await poll_feeds(pool, settings, b_client, every_s=0) == 1
    assert seen.statuses[-1] == 200
    mirrored = await mirrors(pool)
    carrot = mirrored[UUID(carrots["id"])]
    assert (carrot["price_per_pack_ore"], carrot["packs_available"]) == (13000, 7)
    assert carrot["withdrawn_at"] is None
    assert mirrored[UUID(milk["id"])]["withdrawn_at"] is not None
    kept = mirrored[UUID(later["id"])]  # kept for the run that reserved it, nothing more
    assert kept["withdrawn_at"] is None
    assert kept["packs_available"] == 2
    state = await ok(
        await client.get(f"/v1/networks/{a_net}/peers", headers=bearer(a_world.coordinator))
    )
    (b_state,) = [p for p in state if p["peer_id"] == b_on_a["id"]]
    assert b_state["listed"] == 1
    assert any(
        s["item"] == later["id"] and "kept for the 2 pack(s)" in s["reason"]
        for s in b_state["skipped"]
    ), b_state["skipped"]
    # -- B stopped: A's next read fails, and A's run goes on without B's offers ------------
    await order(
        client,
        a_world.cycle["id"],
        a_world.coop,
        [{"product_id": a_world.products["Morötter"]["id"], "firm_quantity": 20}],
    )

    def stopped(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(stopped)) as down:
        assert await poll_feeds(pool, settings, down, every_s=0) == 1
    state = await ok(
        await client.get(f"/v1/networks/{a_net}/peers", headers=bearer(a_world.coordinator))
    )
    (b_state,) = [p for p in state if p["peer_id"] == b_on_a["id"]]
    assert b_state["reachable"] is False
    assert "ConnectError" in b_state["error"]
    coordinator = bearer(a_world.coordinator)
    await as_coordinator(client, a_world).close_cycle(a_world.cycle["id"])
    (run,) = await as_coordinator(client, a_world).runs(a_world.cycle["id"])
    await run_match(pool, settings, UUID(run["id"]))
    run = await ok(await client.get(f"/v1/runs/{run['id']}", headers=coordinator))
    assert run["state"] == "proposed", run
    (left_out,) = run["peers_left_out"]
    assert left_out["peer_id"] == b_on_a["id"]
    assert left_out["name"] == "Samlast Gävleborg"
    assert left_out["offers"] == 1
    assert "ConnectError" in left_out["error"]
    async with pool.acquire() as conn:
        bought = await conn.fetchval(
            "SELECT count(*) FROM run_purchase WHERE run_id = $1::uuid", run["id"]
        )
    assert bought == 0
    assert UUID(spuds["id"]) not in mirrored
    # -- the pages, in Swedish: the run says which peer it left out, the settings the feed
    await as_person(client, pool, a_world.coordinator)
    run_page = await client.get(f"/app/runs/{run['id']}")
    assert run_page.status_code == 200
    assert "Andra installationer som lämnades utanför" in run_page.text
    assert "Samlast Gävleborg" in run_page.text
    assert "senaste läsningen av dess erbjudanden misslyckades" in run_page.text
    assert "anropet misslyckades (ConnectError)" in run_page.text  # the worker's text, in Swedish
    settings_page = await client.get(f"/app/networks/{a_net}/settings")
    assert settings_page.status_code == 200
    assert f'name="peer" value="{b_on_a["id"]}" checked' in settings_page.text
    assert "Erbjudanden listade här: 1" in settings_page.text
    # the skip reasons and the feed's failure, stored by the worker, in the page's Swedish
    assert "Potatis: ingen produkt som heter &#39;Potatis&#39; i det här nätverkets katalog" in (
        settings_page.text
    )
    assert "behålls för de 2 förpackningar en körning här reserverat" in settings_page.text
    assert "anropet misslyckades (ConnectError)" in settings_page.text
    english = await client.get(f"/app/networks/{a_net}/settings", headers={"Accept-Language": "en"})
    assert "Potatis: no product named &#39;Potatis&#39; in this network" in english.text
    assert "inte nåbar" in settings_page.text


async def test_b_refuses_an_unsigned_feed_and_shows_a_peer_only_what_is_shared_with_it(
    pool: Pool, settings: Settings, b_client: Client, b_admin: str, b_world: World
) -> None:
    refused(await b_client.get(FEED), "not signed")
    sharing, other = await new_key_of_a(pool, settings), await new_key_of_a(pool, settings)
    shared_with = await peer_a_on_b(b_client, b_admin, pool, sharing, name="Den delade")
    await peer_a_on_b(b_client, b_admin, pool, other, name="Den andra")
    offer = await post_offer(b_client, b_world, packs_available=5)
    await ok(
        await b_client.put(
            f"/v1/organisations/{b_world.producer_id}/peers/{shared_with['id']}",
            headers=bearer(b_world.producer),
        )
    )
    nothing = await send(b_client, "GET", FEED, signed(other, "GET", FEED))
    assert nothing.status_code == 200, nothing.text
    assert items(nothing.json()) == {}
    answer = await send(b_client, "GET", FEED, signed(sharing, "GET", FEED))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/ld+json")
    item = items(answer.json())[offer["id"]]
    assert item["dfc-b:stockLimitation"] == 5
    etag = answer.headers["etag"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")
    again = await send(
        b_client, "GET", FEED, {**signed(sharing, "GET", FEED), "If-None-Match": etag}
    )
    assert again.status_code == 304
    assert again.headers["etag"] == etag
    assert again.content == b""
    # the feed follows the packs still free, so its ETag changes with them
    await ok(
        await b_client.patch(
            f"/v1/offers/{offer['id']}",
            json={"packs_available": 3},
            headers={**bearer(b_world.producer), "If-Match": "*"},
        )
    )
    changed = await send(
        b_client, "GET", FEED, {**signed(sharing, "GET", FEED), "If-None-Match": etag}
    )
    assert changed.status_code == 200
    assert items(changed.json())[offer["id"]]["dfc-b:stockLimitation"] == 3


async def test_only_the_networks_coordinators_choose_its_peers(
    client: Client, admin_token: str, pool: Pool
) -> None:
    world = await build_world(client, admin_token, "Eget nät")
    peer = await ok(await client.get("/v1/peers", headers=bearer(admin_token)))
    net = world.network["id"]
    for token in (world.producer, world.coop):
        answer = await client.get(f"/v1/networks/{net}/peers", headers=bearer(token))
        assert answer.status_code == 403, answer.text
    other = await build_world(client, admin_token, "Annat nät")
    answer = await client.get(f"/v1/networks/{net}/peers", headers=bearer(other.coordinator))
    assert answer.status_code == 404, answer.text
    if peer:
        answer = await client.put(
            f"/v1/networks/{net}/peers/{peer[0]['id']}", headers=bearer(other.coordinator)
        )
        assert answer.status_code == 404, answer.text
    missing = await client.put(
        f"/v1/networks/{net}/peers/{UUID(int=7)}", headers=bearer(world.coordinator)
    )
    assert missing.status_code == 404, missing.text
    # on the settings page: tick a peer, then untick it
    added = await ok(
        await client.post(
            "/v1/peers",
            json={
                "name": "Samlast Jämtland",
                "base_url": "https://samlast-jamtland.example.org",
                "keys": [{"key_id": "jamtland-1", "public_key": "A" * 43}],
            },
            headers=bearer(admin_token),
        ),
        201,
    )
    await as_person(client, pool, world.coordinator)
    shown = await client.get(f"/app/networks/{net}/settings")
    assert f'name="peer" value="{added["id"]}">' in shown.text  # not ticked
    saved = await client.post(
        f"/app/networks/{net}/peers", data={"peer": added["id"]}, headers=ORIGIN
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/app/networks/{net}/settings"
    shown = await client.get(f"/app/networks/{net}/settings")
    assert f'name="peer" value="{added["id"]}" checked' in shown.text
    assert "Inte läst utan fel ännu" in shown.text
    assert (
        await client.post(f"/app/networks/{net}/peers", data={}, headers=ORIGIN)
    ).status_code == 303
    shown = await client.get(f"/app/networks/{net}/settings")
    assert f'name="peer" value="{added["id"]}">' in shown.text


async def a_peers_with_b(
    client: Client, admin_token: str, b_pool: Pool, b_settings: Settings
) -> Any:
    """A's peer B (added, or given B's newest key when an earlier test added it)."""
    b_key = await new_key_of_a(b_pool, b_settings)
    body = {
        "name": "Samlast Gävleborg",
        "base_url": B_URL,
        "keys": [{"key_id": b_key.key_id, "public_key": await public_of(b_pool, b_key)}],
    }
    known = await ok(await client.get("/v1/peers", headers=bearer(admin_token)))
    for peer in known:
        if peer["base_url"] == B_URL:
            return await ok(
                await client.put(f"/v1/peers/{peer['id']}", json=body, headers=bearer(admin_token))
            )
    return await ok(await client.post("/v1/peers", json=body, headers=bearer(admin_token)), 201)


async def test_a_peering_that_names_a_hand_over_point_picks_b_goods_up_there(
    client: Client,
    pool: Pool,
    settings: Settings,
    admin_token: str,
    b_client: Client,
    b_pool: Pool,
    b_admin: str,
    b_world: World,
    b_settings: Settings,
) -> None:
    a_key = await new_key_of_a(pool, settings)
    a_on_b = await peer_a_on_b(b_client, b_admin, pool, a_key, name="Samlast Uppsala")
    b_on_a = await a_peers_with_b(client, admin_token, b_pool, b_settings)
    assert b_on_a["handover"] is None
    carrots = await post_offer(b_client, b_world)  # picked up at Ekeby 1 (59.9126, 17.5203)
    await ok(
        await b_client.put(
            f"/v1/organisations/{b_world.producer_id}/peers/{a_on_b['id']}",
            headers=bearer(b_world.producer),
        )
    )
    a_world = await build_world(client, admin_token, "Enköping handel")
    await ok(
        await client.put(
            f"/v1/networks/{a_world.network['id']}/peers/{b_on_a['id']}",
            headers=bearer(a_world.coordinator),
        )
    )
    seen = Seen(b_client)
    assert await poll_feeds(pool, settings, b_client, every_s=0) == 1
    carrot = (await mirrors(pool))[UUID(carrots["id"])]
    assert (carrot["pickup_lat"], carrot["pickup_lon"]) == (59.9126, 17.5203)  # its real place
    # -- the admin names a hand-over point; a bad one is refused naming the field ---------
    body = {
        "name": b_on_a["name"],
        "base_url": B_URL,
        "keys": [{"key_id": k["key_id"], "public_key": k["public_key"]} for k in b_on_a["keys"]],
    }
    bad = await client.put(
        f"/v1/peers/{b_on_a['id']}",
        json={**body, "handover": {"address": "Terminalen", "lat": 95, "lon": 17.1}},
        headers=bearer(admin_token),
    )
    assert bad.status_code == 400, bad.text
    assert "lat" in bad.text
    handover = {"address": "Terminalvägen 1, Gävle", "lat": 60.6745, "lon": 17.1417}
    named = await ok(
        await client.put(
            f"/v1/peers/{b_on_a['id']}",
            json={**body, "handover": handover},
            headers=bearer(admin_token),
        )
    )
    assert named["handover"] == handover
    # -- the poller reads the feed in full at once (no 304), and B's goods move there -----
    assert await poll_feeds(pool, settings, b_client) == 1
    assert seen.statuses[-1] == 200
    assert seen.conditional[-1] is None
    carrot = (await mirrors(pool))[UUID(carrots["id"])]
    assert (carrot["pickup_lat"], carrot["pickup_lon"]) == (60.6745, 17.1417)
    assert carrot["pickup_address"] == "Terminalvägen 1, Gävle"
    async with pool.acquire() as conn:
        place = await conn.fetchrow(
            "SELECT address, lat, lon FROM organisation WHERE id = $1", carrot["producer_id"]
        )
    assert place is not None
    assert tuple(place) == ("Terminalvägen 1, Gävle", 60.6745, 17.1417)
    # -- a run of A buying B's carrots picks them up there, and its page says so -----------
    await order(
        client,
        a_world.cycle["id"],
        a_world.coop,
        [{"product_id": a_world.products["Morötter"]["id"], "firm_quantity": 20}],
    )
    await add_van(client, a_world)  # so the run is routed: its route sheet is checked below
    await as_coordinator(client, a_world).close_cycle(a_world.cycle["id"])
    (run,) = await as_coordinator(client, a_world).runs(a_world.cycle["id"])
    await run_match(pool, settings, UUID(run["id"]))
    async with pool.acquire() as conn:  # B's offers (an earlier test's too), all there
        bought = await conn.fetch(
            """SELECT rp.packs, o.pickup_lat, o.pickup_lon FROM run_purchase rp
               JOIN remote_offer r ON r.offer_id = rp.offer_id JOIN offer o ON o.id = r.offer_id
               WHERE rp.run_id = $1::uuid""",
            run["id"],
        )
    assert [tuple(row) for row in bought] == [(2, 60.6745, 17.1417)]
    await as_person(client, pool, a_world.coordinator)
    run_page = await client.get(f"/app/runs/{run['id']}")
    assert run_page.status_code == 200
    assert "Överlämningsplats för Samlast Gävleborg: Terminalvägen 1, Gävle" in run_page.text
    # -- and so does the route sheet's stop there, in the reader's language ----------------
    async with pool.acquire() as conn:
        routes = await conn.fetch("SELECT id FROM route WHERE run_id = $1::uuid", run["id"])
    own = {**bearer(a_world.coordinator), "Accept-Language": "sv"}
    sheets = [
        (await client.get(f"/v1/runs/{run['id']}/routes/{r['id']}/sheet.html", headers=own)).text
        for r in routes
    ]
    assert any("Överlämningsplats för Samlast Gävleborg" in sheet for sheet in sheets), sheets
    # -- without it (PUT replaces), the goods go back to their real place ------------------
    client.cookies.clear()
    cleared = await ok(
        await client.put(f"/v1/peers/{b_on_a['id']}", json=body, headers=bearer(admin_token))
    )
    assert cleared["handover"] is None
    assert await poll_feeds(pool, settings, b_client) == 1
    carrot = (await mirrors(pool))[UUID(carrots["id"])]
    assert (carrot["pickup_lat"], carrot["pickup_lon"]) == (59.9126, 17.5203)
