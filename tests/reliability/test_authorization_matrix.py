"""Every route by every role on own, neighbour's and foreign objects: who gets which answer.

``TABLE`` has one row per route of the app, keyed by (method, path template) as
Litestar spells them; a route added without a row fails ``test_every_route_has_a_row``,
and a guard that admits other roles than its row says fails
``test_guards_admit_the_roles_in_the_table``. For each row, every caller (no token, and
the admin, coordinator, producer and co-op tokens of the "own" network) meets three
targets, each built afresh where the request consumes it:

- own: the object the caller's own organisation has in the caller's network;
- neighbour: the same kind of object of another organisation in the same network;
- foreign: the same kind of object in another network, of other organisations.

What each cell must answer, from the route's guard (``requires(...).roles``) and row:

- no token → 401 with a challenge, audited as ``unauthenticated``;
- a role the guard does not admit → 403, audited as ``denied``;
- an admitted role on a foreign object → 404 (audited as ``denied``), never 403, never
  2xx; on a listing route (no object, only a filter) → 404 or 2xx; where the foreign
  id is in the body, not the URL (a ``body_reference`` row) → 422 naming the field,
  audited as ``denied``;
- an admitted role on a neighbour's object → 404 (audited) where the row confines the
  role to its own organisation, else as on its own object;
- an admitted role on its own object, and an admin on any object → 2xx, no refusal;
- no answer to a non-admin names a foreign id outside its ``instance`` URL, and no
  answer to a producer or co-op names a demand round of another organisation.

docs/authorization.md is this table in words.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import re
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from services.api.app import create_app
from services.api.auth.actor import Role
from services.matcher.matching.run import run_match
from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.catalogs import dfc_fixture
from tests.support.figures import Figures
from tests.support.http import Client, bearer, ok
from tests.support.money import details_body
from tests.support.world import World, build_world, offer_body, open_cycle

Key = tuple[str, str]  # (HTTP method, Litestar path template)
Caller = Role | None  # None: no token at all

OWN, NEIGHBOUR, FOREIGN = "own", "neighbour", "foreign"
TARGETS = (OWN, NEIGHBOUR, FOREIGN)
CALLERS: tuple[Caller, ...] = (None, Role.ADMIN, Role.COORDINATOR, Role.PRODUCER, Role.COOP)

ALLOWED = "2xx"
UNAUTHENTICATED = "401"
FORBIDDEN = "403"
NOT_FOUND = "404"
UNUSABLE = "422"
HIDDEN = "404 or 2xx"
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")

EVERYONE = frozenset(Role)
MANAGERS = frozenset({Role.ADMIN, Role.COORDINATOR})
DEMAND_READERS = frozenset({Role.ADMIN, Role.COORDINATOR, Role.COOP})
ONLY_ADMIN = frozenset({Role.ADMIN})
ONLY_PRODUCER = frozenset({Role.PRODUCER})
ONLY_COOP = frozenset({Role.COOP})
ORGANISATIONS = frozenset({Role.COORDINATOR, Role.PRODUCER, Role.COOP})
MEMBERS = frozenset({Role.PRODUCER, Role.COOP})
PICK_LIST_READERS = frozenset({Role.ADMIN, Role.COORDINATOR, Role.PRODUCER})

# Cells that break a rule today, each a production bug to fix; the route's test xfails
# while the cell still misbehaves and fails once it is fixed, so the entry goes too.
KNOWN_DEVIATIONS: dict[tuple[Key, Caller, str], str] = {}


# -- the two networks and the neighbours ------------------------------------------------


@dataclass(frozen=True)
class Tenant:
    """One target column: a network's organisations, their tokens and some objects."""

    label: str
    world: World
    coordinator_id: str
    offer_id: str  # the producer's offer, listed in the network
    round_id: str  # the co-op's demand round in the network's open cycle
    matched_cycle_id: str  # a second cycle, closed and matched
    run_id: str  # its match run, proposed
    ids: frozenset[str]  # every id above
    published_run_id: str = ""  # a third cycle's run, approved and published

    @property
    def network_id(self) -> str:
        return str(self.world.network["id"])

    @property
    def cycle_id(self) -> str:
        return str(self.world.cycle["id"])

    @property
    def product(self) -> dict[str, Any]:
        return self.world.products["Morötter"]

    def token(self, role: Caller) -> str:
        """The token of the organisation playing ``role`` here (the producer's for none)."""
        if role is Role.ADMIN:
            return self.world.admin
        if role is Role.COORDINATOR:
            return self.world.coordinator
        return self.world.coop if role is Role.COOP else self.world.producer

    def organisation(self, role: Caller) -> str:
        """The organisation ``role`` owns here; for admins and no token, the producer."""
        if role is Role.COORDINATOR:
            return self.coordinator_id
        return self.world.coop_id if role is Role.COOP else self.world.producer_id

    def owner_token(self, role: Caller) -> str:
        """A token of ``organisation(role)``."""
        return self.token(Role.PRODUCER if role in (None, Role.ADMIN) else role)


@dataclass(frozen=True)
class Tenants:
    own: Tenant
    neighbour: Tenant
    foreign: Tenant

    def __getitem__(self, target: str) -> Tenant:
        tenant: Tenant = getattr(self, target)
        return tenant

    def hidden_from(self, caller: Caller) -> set[str]:
        """Ids of the own network that ``caller`` must never see: other co-ops' rounds."""
        if caller is Role.PRODUCER:
            return {self.own.round_id, self.neighbour.round_id}
        return {self.neighbour.round_id} if caller is Role.COOP else set()


@pytest.fixture(scope="module")
async def tenants(settings: Settings, pool: Pool, admin_token: str) -> Tenants:
    """Two networks from build_world, and a second set of organisations in the first."""
    async with AsyncTestClient(app=create_app(settings)) as client:
        own_world = await build_world(client, admin_token, f"Matris {secrets.token_hex(3)}")
        foreign_world = await build_world(client, admin_token, f"Främmande {secrets.token_hex(3)}")
        own = await _tenant(client, OWN, own_world, await _coordinator_id(client, own_world))
        foreign = await _tenant(
            client, FOREIGN, foreign_world, await _coordinator_id(client, foreign_world)
        )
        neighbour_world, coordinator_id = await _neighbours(client, own_world)
        neighbour = await _tenant(client, NEIGHBOUR, neighbour_world, coordinator_id)
    MATCHER["pool"], MATCHER["settings"] = pool, settings
    async with AsyncTestClient(app=create_app(settings)) as client:
        for tenant in (own, foreign, neighbour):  # the matcher's part, as a worker would do it
            assert await run_match(pool, settings, UUID(tenant.run_id)) == "stored"
        own, foreign, neighbour = [
            await _with_published_run(client, tenant) for tenant in (own, foreign, neighbour)
        ]
    return Tenants(own=own, neighbour=neighbour, foreign=foreign)


# What the run builders need to play the matcher's part: set by the ``tenants`` fixture.
MATCHER: dict[str, Any] = {}


async def _matched_run(client: Client, world: World, product: str = "Morötter") -> tuple[str, str]:
    """A fresh cycle and its run, matched: proposed."""
    cycle_id, run_id = await _matched_cycle(client, world, product)
    assert await run_match(MATCHER["pool"], MATCHER["settings"], UUID(run_id)) == "stored"
    return cycle_id, run_id


async def _decided_run(client: Client, tenant: Tenant, *decisions: str) -> str:
    """A fresh run of milk nobody offers (it reserves no packs), taken through
    ``decisions`` (approve, publish) by the tenant's coordinator."""
    _, run_id = await _matched_run(client, tenant.world, "Mjölk")
    for decision in decisions:
        await ok(
            await client.post(
                f"/v1/runs/{run_id}/{decision}", headers=bearer(tenant.token(Role.COORDINATOR))
            )
        )
    return run_id


async def _with_published_run(client: Client, tenant: Tenant) -> Tenant:
    cycle_id, run_id = await _matched_run(client, tenant.world)
    for decision in ("approve", "publish"):
        path = f"/v1/runs/{run_id}/{decision}"
        await ok(await client.post(path, headers=bearer(tenant.token(Role.COORDINATOR))))
    ids = tenant.ids | {cycle_id, run_id}
    return dataclasses.replace(tenant, published_run_id=run_id, ids=ids)


async def _coordinator_id(client: Client, world: World) -> str:
    organisations = await ok(
        await client.get(
            "/v1/organisations",
            params={"kind": "coordinator", "network_id": world.network["id"]},
            headers=bearer(world.coordinator),
        )
    )
    name = f"{world.network['name']} samordning"  # as build_world names it
    (found,) = [item for item in organisations if item["name"] == name]
    return str(found["id"])


async def _neighbours(client: Client, world: World) -> tuple[World, str]:
    """Another coordinating body, producer and co-op in the network of ``world``."""
    network_id = world.network["id"]
    coordinator = await _organisation(
        client, world.admin, "coordinator", "Andra samordningen", network_id
    )
    producer = await _organisation(
        client, world.coordinator, "producer", "Västergården", network_id
    )
    coop = await _organisation(
        client, world.coordinator, "coop", "Matkassen Svartbäcken", network_id
    )
    neighbours = World(
        admin=world.admin,
        network=world.network,
        coordinator=await _issue(client, world.admin, coordinator, "Berit"),
        producer=await _issue(client, world.coordinator, producer, "Karin på Västergården"),
        producer_id=producer,
        coop=await _issue(client, world.coordinator, coop, "Olle i Svartbäcken"),
        coop_id=coop,
        products=world.products,
        cycle=world.cycle,
    )
    return neighbours, coordinator


async def _tenant(client: Client, label: str, world: World, coordinator_id: str) -> Tenant:
    offer = await ok(
        await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)),
        201,
    )
    demand = await ok(
        await client.post(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds",
            json={"lines": [{"product_id": world.products["Morötter"]["id"], "firm_quantity": 4}]},
            headers=bearer(world.coop),
        ),
        201,
    )
    await ok(  # a van, so the run plans routes
        await client.post(
            f"/v1/networks/{world.network['id']}/vehicles",
            json=_vehicle_body(),
            headers=bearer(world.coordinator),
        ),
        201,
    )
    matched_cycle, run_id = await _matched_cycle(client, world)
    ids = {
        matched_cycle,
        run_id,
        world.network["id"],
        coordinator_id,
        world.producer_id,
        world.coop_id,
        world.cycle["id"],
        offer["id"],
        demand["id"],
        *(product["id"] for product in world.products.values()),
    }
    return Tenant(
        label,
        world,
        coordinator_id,
        offer["id"],
        demand["id"],
        matched_cycle,
        run_id,
        frozenset(ids),
    )


async def _matched_cycle(
    client: Client, world: World, product: str = "Morötter"
) -> tuple[str, str]:
    """A cycle with a line of demand, closed by its coordinator: its first run is queued."""
    cycle = await open_cycle(client, world)
    await ok(
        await client.post(
            f"/v1/cycles/{cycle['id']}/demand-rounds",
            json={"lines": [{"product_id": world.products[product]["id"], "firm_quantity": 10}]},
            headers=bearer(world.coop),
        ),
        201,
    )
    path = f"/v1/cycles/{cycle['id']}"
    await ok(await client.post(path + "/close", headers=bearer(world.coordinator)))
    (run,) = await ok(await client.get(path + "/runs", headers=bearer(world.coordinator)))
    return str(cycle["id"]), str(run["id"])


async def _organisation(client: Client, issuer: str, kind: str, name: str, network: str) -> str:
    created = await ok(
        await client.post(
            "/v1/organisations",
            json={
                "kind": kind,
                "name": f"{name} {secrets.token_hex(3)}",
                "network_ids": [network],
                "location": {"lat": 59.8721, "lon": 17.6470},  # so its runs plan routes
            },
            headers=bearer(issuer),
        ),
        201,
    )
    return str(created["id"])


async def _issue(client: Client, issuer: str, organisation_id: str, user_name: str) -> str:
    created = await ok(
        await client.post(
            f"/v1/organisations/{organisation_id}/tokens",
            json={"label": f"matrix {user_name}"},
            headers=bearer(issuer),
        ),
        201,
    )
    return str(created["token"])


# -- fresh objects for the requests that use them up --------------------------------------


async def _etag(client: Client, path: str, token: str) -> str:
    response = await client.get(path, headers=bearer(token))
    await ok(response)
    return str(response.headers["etag"])


async def _vehicle(client: Client, tenant: Tenant) -> str:
    created = await ok(
        await client.post(
            f"/v1/networks/{tenant.network_id}/vehicles",
            json=_vehicle_body(),
            headers=bearer(tenant.token(Role.COORDINATOR)),
        ),
        201,
    )
    return str(created["id"])


async def _product(client: Client, tenant: Tenant) -> str:
    """A product of the tenant's own, so editing or retiring it spares the shared ones."""
    created = await ok(
        await client.post(
            f"/v1/networks/{tenant.network_id}/products",
            json=_product_body(),
            headers=bearer(tenant.token(Role.COORDINATOR)),
        ),
        201,
    )
    return str(created["id"])


async def _route(client: Client, tenant: Tenant) -> str:
    """The first route of the tenant's run, as its coordinator reads it."""
    plans = await ok(
        await client.get(
            f"/v1/runs/{tenant.run_id}/routes", headers=bearer(tenant.token(Role.COORDINATOR))
        )
    )
    assert plans["routes"], plans["run"]
    return str(plans["routes"][0]["id"])


async def _member(client: Client, tenant: Tenant) -> str:
    return await _organisation(
        client, tenant.token(Role.COORDINATOR), "coop", "Tillfälliga", tenant.network_id
    )


async def _token_id(client: Client, tenant: Tenant, role: Caller) -> str:
    created = await ok(
        await client.post(
            f"/v1/organisations/{tenant.organisation(role)}/tokens",
            json={"label": "to revoke"},
            headers=bearer(tenant.owner_token(role)),
        ),
        201,
    )
    return str(created["id"])


async def _person_id(client: Client, tenant: Tenant, role: Caller) -> str:
    added = await ok(
        await client.post(
            f"/v1/organisations/{tenant.organisation(role)}/people",
            json={"email": f"{secrets.token_hex(6)}@example.org", "name": "Tillfällig"},
            headers=bearer(tenant.owner_token(role)),
        ),
        201,
    )
    return str(added["id"])


async def _offer(client: Client, tenant: Tenant) -> tuple[str, str]:
    response = await client.post(
        "/v1/offers", json=offer_body(tenant.world), headers=bearer(tenant.token(Role.PRODUCER))
    )
    created = await ok(response, 201)
    return str(created["id"]), str(response.headers["etag"])


async def _cycle(client: Client, tenant: Tenant) -> str:
    created = await ok(
        await client.post(
            f"/v1/networks/{tenant.network_id}/cycles",
            json=_cycle_body(),
            headers=bearer(tenant.token(Role.COORDINATOR)),
        ),
        201,
    )
    return str(created["id"])


def _vehicle_body() -> dict[str, Any]:
    return {
        "name": f"Skåpbil {secrets.token_hex(3)}",
        "capacity_grams": 800_000,
        "capacity_ml": 4_000_000,
        "start": {"lat": 59.8586, "lon": 17.6389},
    }


def _product_body() -> dict[str, Any]:
    return {
        "name": f"Jordärtskocka {secrets.token_hex(3)}",
        "unit": "kg",
        "grams_per_unit": 1000,
        "ml_per_unit": 1400,
    }


def _cycle_body() -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    return {
        "opens_at": (now - dt.timedelta(hours=1)).isoformat(),
        "closes_at": (now + dt.timedelta(days=2)).isoformat(),
        "delivery_date": (now + dt.timedelta(days=4)).date().isoformat(),
    }


def _lines(tenant: Tenant, quantity: int) -> dict[str, Any]:
    return {"lines": [{"product_id": tenant.product["id"], "firm_quantity": quantity}]}


# -- the table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request to one route: path parameters, query, body, If-Match."""

    path: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    content_type: str | None = None
    if_match: str | None = None


# (client, target tenant, caller's role) → the request on the object that role owns there
Build = Callable[[Client, Tenant, Caller], Awaitable[Call]]


@dataclass(frozen=True)
class Row:
    roles: frozenset[Role]  # the roles the route's guard admits
    build: Build
    listing: bool  # no object, a filter at most: a foreign filter may answer 2xx
    own_organisation_only: frozenset[Role]  # on a neighbour's object these get 404
    body_reference: bool  # the foreign id is in the body: 422, not 404


TABLE: dict[Key, Row] = {}


def route(
    method: str,
    path: str,
    roles: frozenset[Role],
    *,
    listing: bool = False,
    own_organisation_only: frozenset[Role] = frozenset(),
    body_reference: bool = False,
) -> Callable[[Build], Build]:
    def register(build: Build) -> Build:
        assert (method, path) not in TABLE, f"two rows for {method} {path}"
        assert own_organisation_only <= roles - {Role.ADMIN}
        TABLE[(method, path)] = Row(roles, build, listing, own_organisation_only, body_reference)
        return build

    return register


# networks


@route("POST", "/v1/networks", ONLY_ADMIN, listing=True)
async def _create_network(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(json={"name": f"Nätverk {secrets.token_hex(3)}", "region": "Gävleborg"})


@route("GET", "/v1/networks", EVERYONE, listing=True)
async def _list_networks(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call()


@route("GET", "/v1/networks/{network_id:uuid}", EVERYONE)
async def _get_network(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"network_id": tenant.network_id})


@route("PATCH", "/v1/networks/{network_id:uuid}", MANAGERS)
async def _patch_network(client: Client, tenant: Tenant, role: Caller) -> Call:
    path = f"/v1/networks/{tenant.network_id}"
    etag = await _etag(client, path, tenant.token(Role.COORDINATOR))
    return Call(path={"network_id": tenant.network_id}, json={"region": "Uppland"}, if_match=etag)


@route("POST", "/v1/networks/{network_id:uuid}/vehicles", MANAGERS)
async def _add_vehicle(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"network_id": tenant.network_id}, json=_vehicle_body())


@route("GET", "/v1/networks/{network_id:uuid}/vehicles", MANAGERS)
async def _list_vehicles(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"network_id": tenant.network_id})


@route("DELETE", "/v1/networks/{network_id:uuid}/vehicles/{vehicle_id:uuid}", MANAGERS)
async def _retire_vehicle(client: Client, tenant: Tenant, role: Caller) -> Call:
    vehicle_id = await _vehicle(client, tenant)
    return Call(path={"network_id": tenant.network_id, "vehicle_id": vehicle_id})


@route("PUT", "/v1/networks/{network_id:uuid}/vehicles/{vehicle_id:uuid}", MANAGERS)
async def _update_vehicle(client: Client, tenant: Tenant, role: Caller) -> Call:
    vehicle_id = await _vehicle(client, tenant)
    return Call(
        path={"network_id": tenant.network_id, "vehicle_id": vehicle_id}, json=_vehicle_body()
    )


@route("POST", "/v1/networks/{network_id:uuid}/members", MANAGERS)
async def _add_member(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(
        path={"network_id": tenant.network_id},
        json={"organisation_id": tenant.world.producer_id},
    )


@route("DELETE", "/v1/networks/{network_id:uuid}/members/{organisation_id:uuid}", MANAGERS)
async def _remove_member(client: Client, tenant: Tenant, role: Caller) -> Call:
    member = await _member(client, tenant)
    return Call(path={"network_id": tenant.network_id, "organisation_id": member})


# organisations and their tokens


@route("GET", "/v1/organisations", EVERYONE, listing=True)
async def _list_organisations(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(query={"network_id": tenant.network_id})


@route("POST", "/v1/organisations", MANAGERS)
async def _create_organisation(client: Client, tenant: Tenant, role: Caller) -> Call:
    name = f"Nya kooperativet {secrets.token_hex(3)}"
    return Call(json={"kind": "coop", "name": name, "network_ids": [tenant.network_id]})


@route("GET", "/v1/organisations/{organisation_id:uuid}", EVERYONE)
async def _get_organisation(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"organisation_id": tenant.organisation(role)})


@route(
    "PATCH",
    "/v1/organisations/{organisation_id:uuid}",
    EVERYONE,
    own_organisation_only=ORGANISATIONS,
)
async def _patch_organisation(client: Client, tenant: Tenant, role: Caller) -> Call:
    organisation_id = tenant.organisation(role)
    path = f"/v1/organisations/{organisation_id}"
    etag = await _etag(client, path, tenant.owner_token(role))
    return Call(
        path={"organisation_id": organisation_id},
        json={"contact_phone": "+46 18 12 34 56"},
        if_match=etag,
    )


@route(
    "POST",
    "/v1/organisations/{organisation_id:uuid}/tokens",
    EVERYONE,
    own_organisation_only=ORGANISATIONS,
)
async def _issue_token(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"organisation_id": tenant.organisation(role)}, json={"label": "matrix"})


@route(
    "GET",
    "/v1/organisations/{organisation_id:uuid}/tokens",
    EVERYONE,
    own_organisation_only=ORGANISATIONS,
)
async def _list_tokens(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"organisation_id": tenant.organisation(role)})


@route("DELETE", "/v1/tokens/{token_id:uuid}", EVERYONE, own_organisation_only=ORGANISATIONS)
async def _revoke_token(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"token_id": await _token_id(client, tenant, role)})


# people of an organisation


@route(
    "GET",
    "/v1/organisations/{organisation_id:uuid}/people",
    EVERYONE,
    own_organisation_only=ORGANISATIONS,
)
async def _list_people(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"organisation_id": tenant.organisation(role)})


@route(
    "POST",
    "/v1/organisations/{organisation_id:uuid}/people",
    EVERYONE,
    own_organisation_only=ORGANISATIONS,
)
async def _add_person(client: Client, tenant: Tenant, role: Caller) -> Call:
    body = {"email": f"{secrets.token_hex(6)}@example.org", "name": "Ny person"}
    return Call(path={"organisation_id": tenant.organisation(role)}, json=body)


@route(
    "DELETE",
    "/v1/organisations/{organisation_id:uuid}/people/{person_id:uuid}",
    EVERYONE,
    own_organisation_only=ORGANISATIONS,
)
async def _remove_person(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(
        path={
            "organisation_id": tenant.organisation(role),
            "person_id": await _person_id(client, tenant, role),
        }
    )


# match runs


@route("GET", "/v1/cycles/{cycle_id:uuid}/runs", MANAGERS)
async def _list_runs(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"cycle_id": tenant.matched_cycle_id})


@route("POST", "/v1/cycles/{cycle_id:uuid}/runs", MANAGERS)
async def _rerun(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"cycle_id": tenant.matched_cycle_id}, json={"exclude_coops": []})


@route("GET", "/v1/runs/{run_id:uuid}", MANAGERS)
async def _get_run(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.run_id})


@route("GET", "/v1/runs/{run_id:uuid}/result", MANAGERS)
async def _get_run_result(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.run_id})


@route("GET", "/v1/runs/{run_id:uuid}/holds", MANAGERS)
async def _get_run_holds(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.run_id})


@route("GET", "/v1/runs/{run_id:uuid}/orders", MANAGERS)
async def _get_run_orders(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.run_id})


@route("GET", "/v1/runs/{run_id:uuid}/routes", MANAGERS)
async def _get_run_routes(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.run_id})


@route("GET", "/v1/runs/{run_id:uuid}/routes.geojson", MANAGERS)
async def _get_run_geojson(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.run_id})


@route("GET", "/v1/runs/{run_id:uuid}/pick-lists", PICK_LIST_READERS)
async def _pick_lists(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.published_run_id})


@route("GET", "/v1/runs/{run_id:uuid}/pick-lists.csv", PICK_LIST_READERS)
async def _pick_lists_csv(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.published_run_id})


@route("GET", "/v1/runs/{run_id:uuid}/pick-lists.html", PICK_LIST_READERS)
async def _pick_lists_html(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.published_run_id})


@route("GET", "/v1/runs/{run_id:uuid}/pick-lists.pdf", PICK_LIST_READERS)
async def _pick_lists_pdf(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.published_run_id})


# federation (DFC)

DFC_IMPORTERS = frozenset({Role.COORDINATOR, Role.PRODUCER})


@route("GET", "/v1/producers/{producer_id:uuid}/dfc/catalog", EVERYONE)
async def _dfc_catalog(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"producer_id": tenant.world.producer_id})


@route(
    "POST",
    "/v1/producers/{producer_id:uuid}/dfc/import",
    DFC_IMPORTERS,
    own_organisation_only=ONLY_PRODUCER,
)
async def _dfc_import(client: Client, tenant: Tenant, role: Caller) -> Call:
    today = dt.date.today()
    return Call(
        path={"producer_id": tenant.world.producer_id},
        json={
            "network_id": tenant.network_id,
            "valid_from": today.isoformat(),
            "valid_until": (today + dt.timedelta(days=7)).isoformat(),
            "catalog": dfc_fixture("ofn_enterprise_sek.json"),
        },
    )


@route("GET", "/v1/runs/{run_id:uuid}/dfc/orders", PICK_LIST_READERS)
async def _dfc_orders(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.published_run_id})


@route("GET", "/v1/runs/{run_id:uuid}/delivery-notes.html", DEMAND_READERS)
async def _delivery_notes_html(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.published_run_id})


@route("GET", "/v1/runs/{run_id:uuid}/delivery-notes.pdf", DEMAND_READERS)
async def _delivery_notes_pdf(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.published_run_id})


@route("GET", "/v1/runs/{run_id:uuid}/delivery-notes", DEMAND_READERS)
async def _delivery_notes(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.published_run_id})


@route("GET", "/v1/runs/{run_id:uuid}/delivery-notes.csv", DEMAND_READERS)
async def _delivery_notes_csv(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.published_run_id})


@route("GET", "/v1/runs/{run_id:uuid}/routes/{route_id:uuid}/sheet.html", MANAGERS)
async def _route_sheet(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.run_id, "route_id": await _route(client, tenant)})


@route("GET", "/v1/runs/{run_id:uuid}/routes/{route_id:uuid}/sheet.pdf", MANAGERS)
async def _route_sheet_pdf(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.run_id, "route_id": await _route(client, tenant)})


@route("GET", "/v1/runs/{run_id:uuid}/routes/{route_id:uuid}/sheet.csv", MANAGERS)
async def _route_sheet_csv(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.run_id, "route_id": await _route(client, tenant)})


@route("GET", "/v1/runs/{run_id:uuid}/events", MANAGERS)
async def _follow_run(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.run_id})


@route("GET", "/v1/runs/{run_id:uuid}/allocations.csv", MANAGERS)
async def _allocations_csv(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.run_id})


@route("GET", "/v1/runs/{run_id:uuid}/cost-shares", MANAGERS)
async def _cost_shares(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.run_id})


@route("GET", "/v1/runs/{run_id:uuid}/cost-shares.csv", MANAGERS)
async def _cost_shares_csv(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.run_id})


# review


@route("POST", "/v1/runs/{run_id:uuid}/approve", MANAGERS)
async def _approve(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": await _decided_run(client, tenant)}, json={"note": "ok"})


@route("POST", "/v1/runs/{run_id:uuid}/reject", MANAGERS)
async def _reject(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": await _decided_run(client, tenant)}, json={"reason": "nej"})


@route("POST", "/v1/runs/{run_id:uuid}/publish", MANAGERS)
async def _publish(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": await _decided_run(client, tenant, "approve")})


@route("GET", "/v1/runs/{run_id:uuid}/history", MANAGERS)
async def _history(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.published_run_id})


@route("GET", "/v1/runs/{run_id:uuid}/compare/{earlier_run_id:uuid}", MANAGERS)
async def _compare(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.run_id, "earlier_run_id": tenant.run_id})


# webhooks


@route(
    "GET",
    "/v1/organisations/{organisation_id:uuid}/webhook",
    EVERYONE,
    own_organisation_only=ORGANISATIONS,
)
async def _get_webhook(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"organisation_id": tenant.organisation(role)})


@route(
    "PUT",
    "/v1/organisations/{organisation_id:uuid}/webhook",
    EVERYONE,
    own_organisation_only=ORGANISATIONS,
)
async def _put_webhook(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(
        path={"organisation_id": tenant.organisation(role)},
        json={"url": "https://hooks.example.org/samlast"},
    )


@route(
    "DELETE",
    "/v1/organisations/{organisation_id:uuid}/webhook",
    EVERYONE,
    own_organisation_only=ORGANISATIONS,
)
async def _delete_webhook(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"organisation_id": tenant.organisation(role)})


# federation peers (the deployment admin's) and a producer's shares with them; the signed
# /federation/ routes admit no token at all: tests/integration/federation checks them

SHARERS = frozenset({Role.ADMIN, Role.PRODUCER})


def _peer_body() -> dict[str, Any]:
    host = f"peer-{secrets.token_hex(4)}.example.org"
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    return {
        "name": f"Samlast {host}",
        "base_url": f"https://{host}",
        "keys": [{"key_id": f"matrix-{secrets.token_hex(6)}", "public_key": key}],
    }


async def _peer(client: Client, tenant: Tenant) -> str:
    """A fresh peer, added by the deployment's admin."""
    peer = await ok(
        await client.post("/v1/peers", json=_peer_body(), headers=bearer(tenant.world.admin)), 201
    )
    return str(peer["id"])


@route("POST", "/v1/peers", ONLY_ADMIN, listing=True)
async def _add_peer(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(json=_peer_body())


@route("GET", "/v1/peers", ONLY_ADMIN, listing=True)
async def _list_peers(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call()


@route("GET", "/v1/peers/{peer_id:uuid}", ONLY_ADMIN)
async def _get_peer(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"peer_id": await _peer(client, tenant)})


@route("PUT", "/v1/peers/{peer_id:uuid}", ONLY_ADMIN)
async def _replace_peer(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"peer_id": await _peer(client, tenant)}, json=_peer_body())


@route("DELETE", "/v1/peers/{peer_id:uuid}", ONLY_ADMIN)
async def _remove_peer(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"peer_id": await _peer(client, tenant)})


@route(
    "GET",
    "/v1/organisations/{organisation_id:uuid}/peers",
    SHARERS,
    own_organisation_only=ONLY_PRODUCER,
)
async def _list_peer_choices(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"organisation_id": tenant.organisation(role)})


@route(
    "PUT",
    "/v1/organisations/{organisation_id:uuid}/peers/{peer_id:uuid}",
    SHARERS,
    own_organisation_only=ONLY_PRODUCER,
)
async def _share_with_peer(client: Client, tenant: Tenant, role: Caller) -> Call:
    peer_id = await _peer(client, tenant)
    return Call(path={"organisation_id": tenant.organisation(role), "peer_id": peer_id})


@route(
    "DELETE",
    "/v1/organisations/{organisation_id:uuid}/peers/{peer_id:uuid}",
    SHARERS,
    own_organisation_only=ONLY_PRODUCER,
)
async def _unshare_with_peer(client: Client, tenant: Tenant, role: Caller) -> Call:
    peer_id = await _peer(client, tenant)
    return Call(path={"organisation_id": tenant.organisation(role), "peer_id": peer_id})


# a network's chosen peers (its coordinators'): whose shared offers it lists


@route("GET", "/v1/networks/{network_id:uuid}/peers", MANAGERS)
async def _list_network_peers(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"network_id": tenant.network_id})


@route("PUT", "/v1/networks/{network_id:uuid}/peers/{peer_id:uuid}", MANAGERS)
async def _choose_network_peer(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"network_id": tenant.network_id, "peer_id": await _peer(client, tenant)})


@route("DELETE", "/v1/networks/{network_id:uuid}/peers/{peer_id:uuid}", MANAGERS)
async def _unchoose_network_peer(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"network_id": tenant.network_id, "peer_id": await _peer(client, tenant)})


# products


@route("POST", "/v1/networks/{network_id:uuid}/products", MANAGERS)
async def _create_product(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(
        path={"network_id": tenant.network_id},
        json={
            "name": f"Palsternacka {secrets.token_hex(3)}",
            "unit": "kg",
            "grams_per_unit": 1000,
            "ml_per_unit": 1400,
        },
    )


@route("PUT", "/v1/products/{product_id:uuid}", MANAGERS)
async def _update_product(client: Client, tenant: Tenant, role: Caller) -> Call:
    product_id = await _product(client, tenant)
    return Call(path={"product_id": product_id}, json=_product_body())


@route("DELETE", "/v1/products/{product_id:uuid}", MANAGERS)
async def _retire_product(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"product_id": await _product(client, tenant)})


@route("GET", "/v1/networks/{network_id:uuid}/products", EVERYONE)
async def _list_products(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"network_id": tenant.network_id})


@route("GET", "/v1/products/{product_id:uuid}", EVERYONE)
async def _get_product(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"product_id": tenant.product["id"]})


# offers


@route("POST", "/v1/offers", ONLY_PRODUCER, body_reference=True)
async def _create_offer(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(json=offer_body(tenant.world))


@route("POST", "/v1/offers/bulk", ONLY_PRODUCER, body_reference=True)
async def _create_offers(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(
        content=json.dumps([offer_body(tenant.world)]).encode(),
        content_type="application/json",
    )


@route("GET", "/v1/offers", EVERYONE, listing=True)
async def _list_offers(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(query={"network_id": tenant.network_id})


@route("GET", "/v1/offers/{offer_id:uuid}", EVERYONE)
async def _get_offer(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"offer_id": tenant.offer_id})


@route("PATCH", "/v1/offers/{offer_id:uuid}", ONLY_PRODUCER, own_organisation_only=ONLY_PRODUCER)
async def _patch_offer(client: Client, tenant: Tenant, role: Caller) -> Call:
    etag = await _etag(client, f"/v1/offers/{tenant.offer_id}", tenant.token(Role.PRODUCER))
    return Call(path={"offer_id": tenant.offer_id}, json={"note": "ekologiska"}, if_match=etag)


@route("DELETE", "/v1/offers/{offer_id:uuid}", ONLY_PRODUCER, own_organisation_only=ONLY_PRODUCER)
async def _withdraw_offer(client: Client, tenant: Tenant, role: Caller) -> Call:
    offer_id, etag = await _offer(client, tenant)
    return Call(path={"offer_id": offer_id}, if_match=etag)


# cycles


@route("POST", "/v1/networks/{network_id:uuid}/cycles", MANAGERS)
async def _create_cycle(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"network_id": tenant.network_id}, json=_cycle_body())


@route("GET", "/v1/networks/{network_id:uuid}/cycles", EVERYONE)
async def _list_cycles(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"network_id": tenant.network_id})


@route("GET", "/v1/networks/{network_id:uuid}/cycle-schedule", MANAGERS)
async def _get_schedule(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"network_id": tenant.network_id})


@route("PUT", "/v1/networks/{network_id:uuid}/cycle-schedule", MANAGERS)
async def _set_schedule(client: Client, tenant: Tenant, role: Caller) -> Call:
    path = f"/v1/networks/{tenant.network_id}/cycle-schedule"
    etag = await _etag(client, path, tenant.token(Role.COORDINATOR))
    body = {
        "enabled": False,
        "opens_weekday": 1,
        "opens_time": "08:00:00",
        "closes_weekday": 4,
        "closes_time": "20:00:00",
        "delivery_weekday": 6,
    }
    return Call(path={"network_id": tenant.network_id}, json=body, if_match=etag)


# the demand signal: producers and coordinators; a co-op knows its own order, so a sum
# over three co-ops would tell it the other two's


@route("GET", "/v1/networks/{network_id:uuid}/demand-signal", PICK_LIST_READERS)
async def _demand_signal(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"network_id": tenant.network_id})


@route("GET", "/v1/cycles/{cycle_id:uuid}", EVERYONE)
async def _get_cycle(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"cycle_id": tenant.cycle_id})


@route("POST", "/v1/cycles/{cycle_id:uuid}/close", MANAGERS)
async def _close_cycle(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"cycle_id": await _cycle(client, tenant)})


@route("POST", "/v1/cycles/{cycle_id:uuid}/cancel", MANAGERS)
async def _cancel_cycle(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"cycle_id": await _cycle(client, tenant)})


# demand


@route("POST", "/v1/cycles/{cycle_id:uuid}/demand-rounds", ONLY_COOP)
async def _create_round(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"cycle_id": await _cycle(client, tenant)}, json=_lines(tenant, 3))


@route("GET", "/v1/cycles/{cycle_id:uuid}/demand-rounds", DEMAND_READERS)
async def _list_rounds(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"cycle_id": tenant.cycle_id})


@route("GET", "/v1/demand-rounds/{round_id:uuid}", DEMAND_READERS, own_organisation_only=ONLY_COOP)
async def _get_round(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"round_id": tenant.round_id})


@route("PUT", "/v1/demand-rounds/{round_id:uuid}/lines", ONLY_COOP, own_organisation_only=ONLY_COOP)
async def _replace_lines(client: Client, tenant: Tenant, role: Caller) -> Call:
    etag = await _etag(client, f"/v1/demand-rounds/{tenant.round_id}", tenant.token(Role.COOP))
    return Call(path={"round_id": tenant.round_id}, json=_lines(tenant, 5), if_match=etag)


@route(
    "PUT",
    "/v1/demand-rounds/{round_id:uuid}/lines/upload",
    ONLY_COOP,
    own_organisation_only=ONLY_COOP,
)
async def _upload_lines(client: Client, tenant: Tenant, role: Caller) -> Call:
    etag = await _etag(client, f"/v1/demand-rounds/{tenant.round_id}", tenant.token(Role.COOP))
    return Call(
        path={"round_id": tenant.round_id},
        content=f"product,firm_quantity\n{tenant.product['name']},6\n".encode(),
        content_type="text/csv",
        if_match=etag,
    )


# money (issue 22): invoicing details, receipts, invoices, payments, books


async def _with_details(client: Client, tenant: Tenant, role: Caller) -> str:
    """``organisation(role)`` with invoicing details set by its own token; its id."""
    organisation_id = tenant.organisation(role)
    await ok(
        await client.put(
            f"/v1/organisations/{organisation_id}/invoicing",
            json=details_body(f"Matris {secrets.token_hex(2)}"),
            headers=bearer(tenant.owner_token(role)),
        )
    )
    return organisation_id


async def _invoiced(client: Client, tenant: Tenant) -> list[dict[str, Any]]:
    """The tenant's published run, delivered yesterday and invoiced: every party has
    details, the tenant's coordinating body invoices transport. Its invoices."""
    for role in (Role.COORDINATOR, Role.PRODUCER, Role.COOP):
        await _with_details(client, tenant, role)
    coordinator = bearer(tenant.token(Role.COORDINATOR))
    await ok(
        await client.put(
            f"/v1/networks/{tenant.network_id}/invoicing",
            json={"invoicing_organisation_id": tenant.coordinator_id},
            headers=coordinator,
        )
    )
    async with MATCHER["pool"].acquire() as conn:
        await conn.execute(
            """UPDATE cycle SET delivery_date = current_date - 1
               WHERE id = (SELECT cycle_id FROM match_run WHERE id = $1)""",
            UUID(tenant.published_run_id),
        )
        # the run may buy from the neighbours' producer too: every member can invoice
        await conn.execute(
            """INSERT INTO organisation_invoicing (organisation_id, legal_name, org_number,
                   billing_address)
               SELECT organisation_id, 'Medlem', '556016-0680', 'Storgatan 1, Uppsala'
               FROM membership WHERE network_id = $1
               ON CONFLICT (organisation_id) DO NOTHING""",
            UUID(tenant.network_id),
        )
    issued = await ok(
        await client.post(f"/v1/runs/{tenant.published_run_id}/invoices", headers=coordinator)
    )
    invoices: list[dict[str, Any]] = issued["invoices"]
    assert invoices, issued
    return invoices


# Each tenant's own sale, invoiced: its producer's offer of a product only it offers,
# bought by its co-op in a run of its own (in the shared runs either producer may sell:
# equal offers tie on their random ids). Made once per tenant.
SALES: dict[str, list[dict[str, Any]]] = {}


async def _own_sale(client: Client, tenant: Tenant) -> list[dict[str, Any]]:
    if tenant.label in SALES:
        return SALES[tenant.label]
    coordinator = bearer(tenant.token(Role.COORDINATOR))
    product_id = await _product(client, tenant)
    body = offer_body(tenant.world)
    body["listings"] = [{"network_id": tenant.network_id, "product_id": product_id}]
    await ok(
        await client.post("/v1/offers", json=body, headers=bearer(tenant.token(Role.PRODUCER))), 201
    )
    cycle = await open_cycle(client, tenant.world)
    await ok(
        await client.post(
            f"/v1/cycles/{cycle['id']}/demand-rounds",
            json={"lines": [{"product_id": product_id, "firm_quantity": 10}]},
            headers=bearer(tenant.token(Role.COOP)),
        ),
        201,
    )
    path = f"/v1/cycles/{cycle['id']}"
    await ok(await client.post(path + "/close", headers=coordinator))
    (run,) = await ok(await client.get(path + "/runs", headers=coordinator))
    assert await run_match(MATCHER["pool"], MATCHER["settings"], UUID(run["id"])) == "stored"
    for decision in ("approve", "publish"):
        await ok(await client.post(f"/v1/runs/{run['id']}/{decision}", headers=coordinator))
    await _invoiced(client, tenant)  # details and settings
    issued = await ok(await client.post(f"/v1/runs/{run['id']}/invoices", headers=coordinator))
    SALES[tenant.label] = issued["invoices"]
    return SALES[tenant.label]


async def _invoice_of(client: Client, tenant: Tenant, role: Caller) -> str:
    """An invoice of the tenant's own sale that ``organisation(role)`` is party to (for
    admins and no token: the producer's)."""
    invoices = await _own_sale(client, tenant)
    party = tenant.organisation(role)
    mine = [i for i in invoices if party in (i["issuer_id"], i["buyer_id"])]
    return str((mine or invoices)[0]["id"])


@route(
    "GET",
    "/v1/organisations/{organisation_id:uuid}/invoicing",
    EVERYONE,
    own_organisation_only=ORGANISATIONS,
)
async def _get_invoicing(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"organisation_id": await _with_details(client, tenant, role)})


@route(
    "PUT",
    "/v1/organisations/{organisation_id:uuid}/invoicing",
    EVERYONE,
    own_organisation_only=ORGANISATIONS,
)
async def _put_invoicing(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(
        path={"organisation_id": tenant.organisation(role)},
        json=details_body(f"Matris {secrets.token_hex(2)}"),
    )


@route("GET", "/v1/networks/{network_id:uuid}/invoicing", EVERYONE)
async def _get_network_invoicing(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"network_id": tenant.network_id})


@route("PUT", "/v1/networks/{network_id:uuid}/invoicing", MANAGERS)
async def _put_network_invoicing(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(
        path={"network_id": tenant.network_id},
        json={"invoicing_organisation_id": tenant.coordinator_id, "receiving_days": 5},
    )


@route("GET", "/v1/runs/{run_id:uuid}/receipts", DEMAND_READERS, own_organisation_only=ONLY_COOP)
async def _get_receipts(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"run_id": tenant.published_run_id})


@route("PUT", "/v1/runs/{run_id:uuid}/receipts", DEMAND_READERS, own_organisation_only=ONLY_COOP)
async def _put_receipts(client: Client, tenant: Tenant, role: Caller) -> Call:
    await _invoiced(client, tenant)  # delivered yesterday
    receipts = await ok(
        await client.get(
            f"/v1/runs/{tenant.published_run_id}/receipts",
            headers=bearer(tenant.token(Role.COOP)),
        )
    )
    line = receipts["lines"][0]
    body = {"offer_id": line["offer_id"], "demand_line_id": line["demand_line_id"]}
    return Call(
        path={"run_id": tenant.published_run_id},
        json={"lines": [{**body, "outcome": "as_planned"}]},
    )


@route("POST", "/v1/runs/{run_id:uuid}/invoices", MANAGERS)
async def _issue_invoices(client: Client, tenant: Tenant, role: Caller) -> Call:
    await _invoiced(client, tenant)
    return Call(path={"run_id": tenant.published_run_id})


@route("GET", "/v1/runs/{run_id:uuid}/invoices", EVERYONE)
async def _run_invoices(client: Client, tenant: Tenant, role: Caller) -> Call:
    await _invoiced(client, tenant)
    return Call(path={"run_id": tenant.published_run_id})


@route("POST", "/v1/runs/{run_id:uuid}/credit-notes", MANAGERS)
async def _credit_notes(client: Client, tenant: Tenant, role: Caller) -> Call:
    await _invoiced(client, tenant)
    return Call(path={"run_id": tenant.published_run_id})


@route("GET", "/v1/invoices", EVERYONE, listing=True)
async def _list_invoices(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call()


@route("GET", "/v1/invoices/{invoice_id:uuid}", EVERYONE, own_organisation_only=MEMBERS)
async def _get_invoice(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"invoice_id": await _invoice_of(client, tenant, role)})


@route(
    "GET", "/v1/invoices/{invoice_id:uuid}/invoice.html", EVERYONE, own_organisation_only=MEMBERS
)
async def _print_invoice(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"invoice_id": await _invoice_of(client, tenant, role)})


@route("GET", "/v1/invoices/{invoice_id:uuid}/invoice.pdf", EVERYONE, own_organisation_only=MEMBERS)
async def _invoice_pdf(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"invoice_id": await _invoice_of(client, tenant, role)})


@route("GET", "/v1/invoices.csv", EVERYONE, listing=True)
async def _invoices_csv(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call()


@route(
    "POST",
    "/v1/invoices/{invoice_id:uuid}/payments",
    PICK_LIST_READERS,
    own_organisation_only=ONLY_PRODUCER,
)
async def _pay_invoice(client: Client, tenant: Tenant, role: Caller) -> Call:
    invoices = await _own_sale(client, tenant)
    # the producer's own goods invoice (it is the payee); a coordinator may mark any
    (goods,) = [i for i in invoices if i["issuer_id"] == tenant.world.producer_id]
    return Call(
        path={"invoice_id": str(goods["id"])},
        json={"paid_on": dt.date.today().isoformat(), "amount_ore": 1},
    )


@route(
    "GET",
    "/v1/organisations/{organisation_id:uuid}/ledger",
    EVERYONE,
    own_organisation_only=ORGANISATIONS,
)
async def _ledger(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"organisation_id": tenant.organisation(role)})


@route(
    "GET",
    "/v1/organisations/{organisation_id:uuid}/ledger.csv",
    EVERYONE,
    own_organisation_only=ORGANISATIONS,
)
async def _ledger_csv(client: Client, tenant: Tenant, role: Caller) -> Call:
    return Call(path={"organisation_id": tenant.organisation(role)})


@route(
    "GET",
    "/v1/organisations/{organisation_id:uuid}/sie",
    EVERYONE,
    own_organisation_only=ORGANISATIONS,
)
async def _sie(client: Client, tenant: Tenant, role: Caller) -> Call:
    year = dt.date.today().year
    return Call(
        path={"organisation_id": await _with_details(client, tenant, role)},
        query={"from": f"{year}-01-01", "to": f"{year}-12-31"},
    )


@route("GET", "/v1/cycles/{cycle_id:uuid}/settlement", MANAGERS)
async def _settlement(client: Client, tenant: Tenant, role: Caller) -> Call:
    await _invoiced(client, tenant)
    run = await ok(
        await client.get(
            f"/v1/runs/{tenant.published_run_id}", headers=bearer(tenant.token(Role.COORDINATOR))
        )
    )
    return Call(path={"cycle_id": str(run["cycle_id"])})


# -- the app's routes and their guards ---------------------------------------------------


def app_routes(app: Litestar) -> dict[Key, frozenset[Role]]:
    """Every (method, path) that needs a token, with the roles all its guards admit."""
    docs = (app.openapi_config.path if app.openapi_config else None) or "/schema"
    routes: dict[Key, frozenset[Role]] = {}
    for app_route in app.routes:
        if app_route.path == docs or app_route.path.startswith(docs + "/"):
            continue
        if app_route.path == "/app" or app_route.path.startswith("/app/"):
            continue  # the pages call the services checked here; tests/browser checks them
        if app_route.path.startswith("/federation/"):
            continue  # peers sign instead of sending tokens: tests/integration/federation
        for handler in getattr(app_route, "route_handlers", []):
            methods = set(getattr(handler, "http_methods", ())) - {"OPTIONS"}
            if not methods or handler.opt.get("public"):
                continue
            admitted = EVERYONE
            for guard in handler.resolve_guards():
                roles = getattr(guard, "roles", None)
                assert roles is not None, f"{app_route.path}: a guard without .roles: {guard}"
                admitted &= roles
            for method in methods:
                routes[(method, app_route.path)] = admitted
    return routes


async def test_every_route_has_a_row(client: Client) -> None:
    routes = app_routes(client.app)
    missing = sorted(set(routes) - set(TABLE))
    stale = sorted(set(TABLE) - set(routes))
    assert not missing, f"routes without a row in the authorization matrix: {missing}"
    assert not stale, f"rows for routes the app no longer has: {stale}"


async def test_guards_admit_the_roles_in_the_table(client: Client) -> None:
    """Widening or narrowing a guard is a policy change: the table and the doc change too."""
    routes = app_routes(client.app)
    changed = {
        f"{method} {path}": {
            "guard": sorted(routes[(method, path)]),
            "table": sorted(TABLE[(method, path)].roles),
        }
        for method, path in set(routes) & set(TABLE)
        if routes[(method, path)] != TABLE[(method, path)].roles
    }
    assert not changed, f"guards that differ from the table and docs/authorization.md: {changed}"


# -- one route against every caller and target ------------------------------------------


def expectation(row: Row, admitted: frozenset[Role], caller: Caller, target: str) -> str:
    if caller is None:
        return UNAUTHENTICATED
    if caller not in admitted:
        return FORBIDDEN
    if caller is Role.ADMIN or target == OWN:
        return ALLOWED
    if target == NEIGHBOUR:
        return NOT_FOUND if caller in row.own_organisation_only else ALLOWED
    if row.body_reference:
        return UNUSABLE
    return HIDDEN if row.listing else NOT_FOUND


def path_format(template: str) -> str:
    """``/v1/x/{x_id:uuid}`` as the audit trail names it: ``/v1/x/{x_id}``."""
    return PARAM.sub(lambda match: "{" + match.group(1) + "}", template)


async def _send(client: Client, key: Key, call: Call, token: str | None) -> httpx.Response:
    method, template = key
    url = PARAM.sub(lambda match: call.path[match.group(1)], template)
    headers = bearer(token) if token else {}
    if call.if_match:
        headers["If-Match"] = call.if_match
    if call.content_type:
        headers["Content-Type"] = call.content_type
    return await client.request(
        method, url, params=dict(call.query), json=call.json, content=call.content, headers=headers
    )


WRITES = {"POST", "PUT", "PATCH", "DELETE"}
TALLY: Counter[str] = Counter()  # across the routes, for the figures


async def _last_audit_id(pool: Pool) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM audit_log"))


async def _audited_since(pool: Pool, after: int) -> list[tuple[str, str]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT outcome, action FROM audit_log WHERE id > $1 ORDER BY id", after
        )
    return [(row["outcome"], row["action"]) for row in rows]


def _named(response: httpx.Response, ids: set[str]) -> list[str]:
    """The ``ids`` the answer names outside its ``instance`` (the URL the caller sent)."""
    try:
        body = response.json()
    except ValueError:
        text = response.text
    else:
        if isinstance(body, dict):
            body.pop("instance", None)
        text = json.dumps(body)
    return sorted(id_ for id_ in ids if id_ in text)


def _meets(expected: str, status: int) -> bool:
    if expected == ALLOWED:
        return 200 <= status < 300
    if expected == HIDDEN:
        return status == 404 or 200 <= status < 300
    return status == int(expected)


async def _cell(
    client: Client, pool: Pool, tenants: Tenants, key: Key, caller: Caller, target: str
) -> list[str]:
    """Send one request; what is wrong with its answer, if anything."""
    tenant = tenants[target]
    call = await TABLE[key].build(client, tenant, caller)
    expected = expectation(TABLE[key], app_routes(client.app)[key], caller, target)
    mark = await _last_audit_id(pool)
    response = await _send(client, key, call, tenants.own.token(caller) if caller else None)
    audit = await _audited_since(pool, mark)
    refusals = [row for row in audit if row[0] != "ok"]
    writes = [row for row in audit if row[0] == "ok"]

    who = f"{caller.value if caller else 'no token'} on {target}"
    got = f"{response.status_code} {response.text[:300]}"
    problems = []
    if not _meets(expected, response.status_code):
        problems.append(f"{who}: expected {expected}, got {got}")
    hidden = tenants.hidden_from(caller)
    if target == FOREIGN and caller is not Role.ADMIN:
        hidden |= tenant.ids | set(call.path.values())
    if named := _named(response, hidden):
        problems.append(f"{who}: the answer names ids it must not show {named}: {got}")
    if response.status_code == 401 and "www-authenticate" not in response.headers:
        problems.append(f"{who}: 401 without a WWW-Authenticate challenge")
    audited: list[tuple[str, str]] = []
    refused = (401, 403, 422 if expected == UNUSABLE else 404)
    if expected != ALLOWED and response.status_code in refused:
        outcome = "unauthenticated" if response.status_code == 401 else "denied"
        audited = [(outcome, f"{key[0]} {path_format(key[1])}")]
    if refusals != audited:
        problems.append(f"{who}: refusals audited {refusals}, expected {audited}")
    a_write = key[0] in WRITES and 200 <= response.status_code < 300
    if len(writes) != int(a_write):
        problems.append(f"{who}: {len(writes)} audit rows for the write, expected {int(a_write)}")
    TALLY.update(requests=1, writes=int(a_write), refusals=len(audited))
    return problems


@pytest.mark.parametrize("key", sorted(TABLE), ids=[f"{m} {p}" for m, p in sorted(TABLE)])
async def test_route_answers_each_role_and_tenant(
    client: Client, pool: Pool, tenants: Tenants, key: Key, figures: Figures
) -> None:
    assert key in app_routes(client.app), f"{key} is in the table but not in the app"
    problems: list[str] = []
    known: list[str] = []
    for caller in CALLERS:
        for target in TARGETS:
            found = await _cell(client, pool, tenants, key, caller, target)
            reason = KNOWN_DEVIATIONS.get((key, caller, target))
            if reason is None:
                problems += found
            elif found:
                known.append(f"{reason} ({'; '.join(found)})")
            else:
                who = caller.value if caller else "no token"
                problems.append(f"{who} on {target} is fixed: drop its KNOWN_DEVIATIONS entry")
    assert not problems, f"{key[0]} {key[1]}:\n  " + "\n  ".join(problems)
    TALLY.update(routes=1)
    figures.record(
        "test_authorization_matrix.py",
        f"{TALLY['routes']} routes x {len(CALLERS)} callers x {len(TARGETS)} targets: "
        f"{TALLY['requests']} requests; {TALLY['writes']} writes, each with exactly one audit "
        f"row; {TALLY['refusals']} refusals, each with exactly one; wrong answers: 0",
    )
    if known:
        pytest.xfail("known production bug: " + " | ".join(known))
