"""DFC export and import through the API on a real PostgreSQL: a catalog exported by one
network's producer imports into another's as the same offers; an Open Food Network
catalog imports by URL from a local server; who may do what; and every bad catalog,
context, URL or body is a 4xx that says why (docs/federation.md)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from services.api.app import create_app
from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.catalogs import HUGE_BYTES, catalog_server, dfc_fixture
from tests.support.http import Client, bearer, ok
from tests.support.runs import drain
from tests.support.world import World, add_van, build_world, close_cycle, offer_body

JSON_LD = "application/ld+json"


@pytest.fixture
async def fetching(settings: Settings, pool: Pool) -> AsyncIterator[Client]:
    """A client of an app that may fetch catalogs from this machine's local server, and
    reads at most ``HUGE_BYTES`` of one."""
    local = settings.replace(
        **{"federation.allow_private": True, "federation.max_catalog_bytes": HUGE_BYTES}
    )
    async with AsyncTestClient(app=create_app(local)) as test_client:
        yield test_client


async def _catalog(client: Client, world: World, token: str, **params: Any) -> dict[str, Any]:
    response = await client.get(
        f"/v1/producers/{world.producer_id}/dfc/catalog", headers=bearer(token), params=params
    )
    body = await ok(response)
    assert response.headers["content-type"].startswith(JSON_LD)
    assert body["@context"] == "https://w3id.org/dfc/ontology/context/context_1.16.0.json"
    return dict(body)


async def _import(client: Client, world: World, token: str, **body: Any) -> Any:
    return await client.post(
        f"/v1/producers/{world.producer_id}/dfc/import", json=body, headers=bearer(token)
    )


async def _offers(client: Client, world: World) -> list[dict[str, Any]]:
    page = await ok(
        await client.get(
            "/v1/offers", params={"producer_id": world.producer_id}, headers=bearer(world.producer)
        )
    )
    return sorted(page["items"], key=lambda offer: offer["pack_units"])


def _kept(offer: dict[str, Any]) -> tuple[Any, ...]:
    return (
        offer["pack_units"],
        offer["packs_available"],
        offer["price_per_pack_ore"],
        offer["pickup"],
        offer["valid_from"],
        offer["valid_until"],
        offer["note"],
    )


async def test_a_catalog_exported_by_one_network_imports_into_another_as_the_same_offers(
    client: Client, admin_token: str
) -> None:
    here = await build_world(client, admin_token)
    there = await build_world(client, admin_token)
    today = dt.date.today()
    sent = [
        offer_body(here, note="tvättade"),
        offer_body(
            here,
            "Mjölk",
            pack_units=6,
            packs_available=20,
            price_per_pack_ore=10_795,
            valid_until=(today + dt.timedelta(days=9)).isoformat(),
            pickup={"lat": 59.8601, "lon": 17.6402, "address": "Mjölkbordet, Ekeby"},
        ),
    ]
    for body in sent:
        await ok(await client.post("/v1/offers", json=body, headers=bearer(here.producer)), 201)
    document = await _catalog(client, here, here.producer)

    imported = await ok(
        await _import(
            client, there, there.producer, network_id=there.network["id"], catalog=document
        ),
        201,
    )
    assert imported["created"] == 2
    assert imported["skipped"] == []
    assert imported["dfc_version"] == "1.16.0"
    originals, copies = await _offers(client, here), await _offers(client, there)
    assert [_kept(o) for o in copies] == [_kept(o) for o in originals]
    products = {p["id"]: name for name, p in there.products.items()}
    assert [products[o["listings"][0]["product_id"]] for o in copies] == ["Mjölk", "Morötter"]


async def test_members_read_a_catalog_at_the_places_precision_and_others_not_at_all(
    client: Client, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    elsewhere = await build_world(client, admin_token)
    await ok(
        await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)), 201
    )

    def street(document: dict[str, Any]) -> list[Any]:
        return [
            (n.get("dfc-b:latitude"), n.get("dfc-b:longitude"))
            for n in document["@graph"]
            if n["@type"] == "dfc-b:Address"
        ]

    exact = street(await _catalog(client, world, world.coordinator))
    assert exact == [(59.9126, 17.5203)]
    shown = street(await _catalog(client, world, world.coop))
    assert shown
    assert shown != exact  # the farm shows an approximate place to other members
    for token in (elsewhere.producer, elsewhere.coop, elsewhere.coordinator):
        response = await client.get(
            f"/v1/producers/{world.producer_id}/dfc/catalog", headers=bearer(token)
        )
        assert response.status_code == 404, response.text
    missing = await client.get(
        f"/v1/producers/{world.coop_id}/dfc/catalog", headers=bearer(world.coordinator)
    )
    assert missing.status_code == 404  # a co-op has no catalog


async def test_an_open_food_network_catalog_imports_by_url_into_an_open_cycle(
    fetching: Client, admin_token: str
) -> None:
    world = await build_world(fetching, admin_token)
    with catalog_server(dfc_fixture("ofn_enterprise_sek.json")) as served:
        imported = await ok(
            await _import(
                fetching,
                world,
                world.coordinator,  # a coordinator of the network imports for its producer
                cycle_id=world.cycle["id"],
                url=served.url + "/catalog",
            ),
            201,
        )
    assert served.requests == ["/catalog"]
    assert imported["created"] == 2
    offers = await _offers(fetching, world)
    day = world.cycle["delivery_date"]
    assert [
        (o["pack_units"], o["packs_available"], o["price_per_pack_ore"], o["valid_from"])
        for o in offers
    ] == [(2, 30, 3950, day), (10, 12, 18_000, day)]
    assert offers[1]["pickup"] == {
        "lat": 59.8301,
        "lon": 17.5512,
        "address": "Ekbacka 1, 755 91 Uppsala",
    }
    assert offers[1]["note"] == "Tvättade, ekologiska"


async def test_no_database_connection_waits_on_a_slow_catalog_server(
    fetching: Client, admin_token: str
) -> None:
    """The fetch holds none of the pool's connections: a slow server (or many imports
    pointed at one) can't keep the database from everyone else."""
    world = await build_world(fetching, admin_token)
    pool = fetching.app.state.pool
    held: list[int] = []
    with catalog_server(dfc_fixture("ofn_enterprise_sek.json")) as served:
        # asked by the server's thread while the import waits on its answer
        served.during = lambda: held.append(pool.get_size() - pool.get_idle_size())
        imported = await ok(
            await _import(
                fetching,
                world,
                world.coordinator,
                cycle_id=world.cycle["id"],
                url=served.url + "/slow",
            ),
            201,
        )
    assert held == [0]
    assert imported["created"] == 2


async def test_urls_that_may_not_or_can_not_be_read_are_refused(
    client: Client, fetching: Client, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    network = world.network["id"]
    with catalog_server(dfc_fixture("ofn_enterprise_sek.json")) as served:
        private = await _import(
            client, world, world.producer, network_id=network, url=served.url + "/catalog"
        )
        assert private.status_code == 422, private.text
        assert private.json()["field"] == "url"
        assert "private address" in private.json()["detail"]
        assert served.requests == []  # refused before any connection
        for path, reason in (
            ("/moved", "answered 302"),
            ("/huge", f"larger than {HUGE_BYTES:,} bytes"),
            ("/broken", "answered 500"),
        ):
            response = await _import(
                fetching, world, world.producer, network_id=network, url=served.url + path
            )
            assert response.status_code == 422, response.text
            assert reason in response.json()["detail"]
        assert "/catalog" not in served.requests  # the redirect was not followed
    assert await _offers(client, world) == []


async def test_bad_catalogs_and_bodies_are_refused_saying_why(
    client: Client, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    network = world.network["id"]
    good = dfc_fixture("ofn_enterprise_sek.json")

    unknown = await _import(
        client,
        world,
        world.producer,
        network_id=network,
        catalog={**good, "@context": "https://evil.example/context.jsonld"},
    )
    assert unknown.status_code == 422, unknown.text
    assert "https://evil.example/context.jsonld" in unknown.json()["detail"]

    broken = await _import(
        client, world, world.producer, network_id=network, catalog={"@context": {"@version": 9}}
    )
    assert broken.status_code == 422, broken.text
    assert "not valid JSON-LD" in broken.json()["detail"]

    empty = await _import(client, world, world.producer, network_id=network, catalog={})
    assert empty.status_code == 422
    assert "no items" in empty.json()["detail"]

    strange = {**good, "@graph": [*good["@graph"]]}
    for node in strange["@graph"]:
        if node.get("dfc-b:name") == "Morötter - 10kg":
            node["dfc-b:name"] = "Palsternacka - 10kg"
        if node.get("dfc-b:name") == "Morötter":
            node["dfc-b:name"] = "Palsternacka"
        if node["@type"] == "dfc-b:Offer" and node["@id"].endswith("10002"):
            node["dfc-b:hasPrice"] = {"@type": "dfc-b:Price", "dfc-b:value": 39.555}
    rows = await _import(client, world, world.producer, network_id=network, catalog=strange)
    assert rows.status_code == 422, rows.text
    problems = {e["name"]: e["message"] for e in rows.json()["errors"]}
    assert "no product named 'Palsternacka - 10kg'" in problems["Palsternacka - 10kg"]
    assert "not a whole number of öre" in problems["Mjölk - 2000ml"]

    for body, field in (
        ({"network_id": network}, "catalog"),  # neither catalog nor url
        ({"network_id": network, "catalog": good, "url": "https://a.example/c"}, "catalog"),
        ({"network_id": network, "url": "file:///etc/passwd"}, "url"),
        ({"network_id": network, "catalog": good, "status": "x"}, "status"),
    ):
        response = await _import(client, world, world.producer, **body)
        assert response.status_code == 400, response.text
        assert field in [error["field"] for error in response.json()["errors"]]

    malformed = await client.post(
        f"/v1/producers/{world.producer_id}/dfc/import",
        content=b'{"network_id": "',
        headers={**bearer(world.producer), "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400
    oversized = await client.post(
        f"/v1/producers/{world.producer_id}/dfc/import",
        content=b'{"catalog": {"x": "' + b"a" * (6 * 1024 * 1024) + b'"}}',
        headers={**bearer(world.producer), "Content-Type": "application/json"},
    )
    assert oversized.status_code == 413
    assert await _offers(client, world) == []


async def test_who_may_import_for_a_producer(client: Client, admin_token: str) -> None:
    world = await build_world(client, admin_token)
    elsewhere = await build_world(client, admin_token)
    good = dfc_fixture("ofn_enterprise_sek.json")
    body = {
        "network_id": world.network["id"],
        "catalog": good,
        "valid_from": "2027-01-04",
        "valid_until": "2027-01-10",
    }
    for token, status in (
        (world.coop, 403),
        (world.admin, 403),
        (elsewhere.producer, 404),  # another producer's offers are not yours to post
        (elsewhere.coordinator, 404),  # nor another network's coordinator's
    ):
        response = await _import(client, world, token, **body)
        assert response.status_code == status, response.text
    foreign = await _import(
        client, world, world.producer, **{**body, "network_id": elsewhere.network["id"]}
    )
    assert foreign.status_code == 422
    assert foreign.json()["field"] == "network_id"
    assert await _offers(client, world) == []
    await ok(await _import(client, world, world.producer, **body), 201)
    assert len(await _offers(client, world)) == 2


async def test_a_closed_cycle_takes_no_imports(client: Client, admin_token: str) -> None:
    world = await build_world(client, admin_token)
    await close_cycle(client, world)
    response = await _import(
        client,
        world,
        world.producer,
        cycle_id=world.cycle["id"],
        catalog=dfc_fixture("ofn_enterprise_sek.json"),
    )
    assert response.status_code == 409, response.text
    assert response.json()["field"] == "cycle_id"


async def test_a_published_runs_purchases_are_orders_to_each_producer(
    client: Client, settings: Settings, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    await add_van(client, world)
    await ok(
        await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)), 201
    )
    carrots = world.products["Morötter"]["id"]
    await ok(
        await client.post(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds",
            json={"lines": [{"product_id": carrots, "firm_quantity": 20}]},
            headers=bearer(world.coop),
        ),
        201,
    )
    run = await close_cycle(client, world)
    await drain(settings)
    path = f"/v1/runs/{run['id']}/dfc/orders"
    early = await client.get(path, headers=bearer(world.coordinator))
    assert early.status_code == 409, early.text
    for step in ("approve", "publish"):
        await ok(
            await client.post(f"/v1/runs/{run['id']}/{step}", headers=bearer(world.coordinator))
        )

    for token in (world.coordinator, world.producer):
        response = await client.get(path, headers=bearer(token))
        document = await ok(response)
        assert response.headers["content-type"].startswith(JSON_LD)
        (order,) = [n for n in document["@graph"] if n["@type"] == "dfc-b:Order"]
        assert order["dfc-b:soldBy"].endswith(f"/v1/organisations/{world.producer_id}")
        (line,) = [n for n in document["@graph"] if n["@type"] == "dfc-b:OrderLine"]
        assert line["dfc-b:quantity"] == 2  # two packs of 10 kg for 20 kg
        assert line["dfc-b:hasPrice"]["dfc-b:value"] == 125.0
        assert line["dfc-b:concerns"].startswith(
            f"http://127.0.0.1:8000/v1/producers/{world.producer_id}/dfc/catalog#offer-"
        )
    refused = await client.get(path, headers=bearer(world.coop))
    assert refused.status_code == 403


async def test_importing_a_catalog_again_updates_its_offers_never_posts_them_twice(
    client: Client, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    document = dfc_fixture("ofn_enterprise_sek.json")
    body = {"cycle_id": world.cycle["id"], "catalog": document}
    first, second = await asyncio.gather(
        _import(client, world, world.producer, **body),
        _import(client, world, world.coordinator, **body),
    )
    counts = sorted(
        [((await ok(r, 201))["created"], (await ok(r, 201))["updated"]) for r in (first, second)]
    )
    assert counts == [(0, 2), (2, 0)]  # one waited for the other, then found its offers
    for node in document["@graph"]:
        if node["@type"] == "dfc-b:Offer" and node["@id"].endswith("10001"):
            node["dfc-b:hasPrice"]["dfc-b:value"] = 175.25
            node["dfc-b:stockLimitation"] = 7
    again = await ok(await _import(client, world, world.producer, **body), 201)
    assert (again["created"], again["updated"]) == (0, 2)
    offers = await _offers(client, world)
    assert [(o["pack_units"], o["packs_available"], o["price_per_pack_ore"]) for o in offers] == [
        (2, 30, 3950),
        (10, 7, 17_525),
    ]
    for node in document["@graph"]:
        if node.get("dfc-b:name") == "Morötter - 10kg":
            node["dfc-b:hasQuantity"]["dfc-b:value"] = 15
    resized = await _import(client, world, world.producer, **body)
    assert resized.status_code == 422, resized.text
    (error,) = resized.json()["errors"]
    assert "pack size changed from 10 to 15" in error["message"]
    later = {"network_id": world.network["id"], "catalog": document}
    later |= {"valid_from": "2030-01-01", "valid_until": "2030-01-07"}
    fresh = await ok(await _import(client, world, world.producer, **later), 201)
    assert (fresh["created"], fresh["updated"]) == (2, 0)  # other days: other offers


async def test_orders_name_an_imported_offer_as_its_own_platform_does(
    client: Client, settings: Settings, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    await add_van(client, world)
    body = {"cycle_id": world.cycle["id"], "catalog": dfc_fixture("ofn_enterprise_sek.json")}
    await ok(await _import(client, world, world.producer, **body), 201)
    await ok(
        await client.post(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds",
            json={"lines": [{"product_id": world.products["Morötter"]["id"], "firm_quantity": 20}]},
            headers=bearer(world.coop),
        ),
        201,
    )
    run = await close_cycle(client, world)
    await drain(settings)
    for step in ("approve", "publish"):
        await ok(
            await client.post(f"/v1/runs/{run['id']}/{step}", headers=bearer(world.coordinator))
        )
    document = await ok(
        await client.get(f"/v1/runs/{run['id']}/dfc/orders", headers=bearer(world.producer))
    )
    (line,) = [n for n in document["@graph"] if n["@type"] == "dfc-b:OrderLine"]
    assert line["dfc-b:concerns"] == "https://ofn.example.se/api/dfc/enterprises/10000/offers/10001"
    assert line["dfc-b:quantity"] == 2
    assert line["dfc-b:hasPrice"]["dfc-b:value"] == 180.0
