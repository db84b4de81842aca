"""Joining a network by its link, at the HTTP level, against the API and a matcher as
production runs them and the session's real SMTP server: the link shared, rotated and
turned off; a co-op asks, confirms its address by mail, waits (never matched, can't
order) and is approved or refused; only the network's own coordinators reach any of it.
The walk in Chromium is tests/browser/test_joining.py.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import httpx
import pytest
from litestar.testing import AsyncTestClient

from infra.processes import api_and_workers
from services.api.app import create_app
from services.api.auth.sessions import COOKIE
from services.matcher.matching.snapshot import load_snapshot
from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.http import bearer, ok
from tests.support.mailbox import Mailbox, Received, mail_to
from tests.support.people import session_cookies
from tests.support.security import tables_holding
from tests.support.world import World, build_world, order


@pytest.fixture(scope="module")
def site(settings_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # every request here comes from 127.0.0.1: the limits are tested on their own below
    env = {**settings_env, "SAMLAST_JOIN_PER_ADDRESS_PER_MINUTE": "1000"}
    with api_and_workers(env, tmp_path_factory.mktemp("joining")) as url:
        yield url


@pytest.fixture
async def world(site: str, admin_token: str) -> World:
    async with httpx.AsyncClient(base_url=site) as http:
        return await build_world(http, admin_token)  # type: ignore[arg-type]


def pages(site: str, **cookies: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=site, headers={"Origin": site}, cookies=cookies, follow_redirects=False
    )


def code_of(received: Received, path: str) -> str:
    (link,) = [link for link in received.links() if urlsplit(link).path == path]
    return parse_qs(urlsplit(link).query)["code"][0]


async def join_link(site: str, pool: Pool, world: World) -> str:
    """The network's join link, made by its coordinator on the members page: its path."""
    async with pages(site, **await session_cookies(pool, world.coordinator)) as http:
        members = f"/app/networks/{world.network['id']}/members"
        made = await http.post(f"/app/networks/{world.network['id']}/join-link", data={})
        assert made.status_code == 303, made.text
        shown = (await http.get(members)).text
    found = re.search(
        r'data-join-link[^>]*value="([^"]+)"|value="([^"]+)"[^>]*data-join-link', shown
    )
    assert found is not None, "the members page shows no join link"
    return urlsplit(found.group(1) or found.group(2)).path


def join_form(email: str, name: str = "Matkassen Gottsunda", **changes: str) -> dict[str, str]:
    form = {
        "kind": "coop",
        "organisation_name": name,
        "person_name": "Lina",
        "email": email,
        "address": "Gottsunda allé 1, Uppsala",
        "lat": "59,8098",
        "lon": "17,6226",
        "window_day": "2",
        "window_opens": "16:00",
        "window_closes": "19:00",
    }
    form.update(changes)
    return form


async def ask_and_confirm(
    site: str, mailbox: Mailbox, path: str, email: str, name: str = "Matkassen Gottsunda"
) -> str:
    """Ask to join by the link and confirm by the mailed link; the session it signs in."""
    async with pages(site) as http:
        asked = await http.post(path, data=join_form(email, name))
        assert asked.status_code == 200, asked.text
        assert "data-join-sent" in asked.text
    confirm = await mail_to(mailbox, email, "Bekräfta din e-postadress")
    # nothing the asker typed is mailed to an address nobody has confirmed yet
    for typed in (name, "Lina"):
        assert typed not in confirm.text + confirm.subject + str(confirm.message["To"])
    code = code_of(confirm, "/app/join/confirm")
    async with pages(site) as http:
        for _ in range(2):  # a mail scanner fetching the link confirms nothing
            shown = await http.get("/app/join/confirm", params={"code": code})
            assert shown.status_code == 200
        confirmed = await http.post("/app/join/confirm", data={"code": code})
        again = await http.post("/app/join/confirm", data={"code": code})
    assert confirmed.status_code == 303, confirmed.text
    assert again.status_code == 410  # once
    return str(confirmed.cookies[COOKIE])


async def organisation_named(pool: Pool, name: str) -> UUID | None:
    async with pool.acquire() as conn:
        found: UUID | None = await conn.fetchval(
            "SELECT id FROM organisation WHERE name = $1", name
        )
    return found


async def test_a_coop_joins_by_the_link_is_approved_and_orders(
    site: str, world: World, pool: Pool, mailbox: Mailbox
) -> None:
    path = await join_link(site, pool, world)
    token = secrets.token_hex(4)
    email, name = f"gottsunda-{token}@example.org", f"Matkassen Gottsunda {token}"
    async with pages(site) as http:
        shown = await http.get(path)
        assert shown.status_code == 200
        assert world.network["name"] in shown.text
        assert ">tisdag<" in shown.text  # Swedish first
        english = await http.get(path, headers={"Accept-Language": "en-GB"})
        assert ">Tuesday<" in english.text
        # a mistake comes back beside its field, with what was typed
        wrong = await http.post(path, data=join_form(email, name, lat="norr"))
    assert wrong.status_code == 422
    assert 'id="e-lat"' in wrong.text
    assert 'value="Gottsunda allé 1, Uppsala"' in wrong.text
    assert mailbox.find(to=email) == []

    session = await ask_and_confirm(site, mailbox, path, email, name)
    joined = await organisation_named(pool, name)
    assert joined is not None
    async with pages(site, **{COOKIE: session}) as http:
        waiting = await http.get("/app/coop")
        assert "data-waiting" in waiting.text
        assert "data-demand" not in waiting.text  # no cycle to order in yet
        # pending: the network's open cycle is not its to order in
        refused = await http.post(
            f"/app/cycles/{world.cycle['id']}/demand",
            data={"row": "a", "product:a": world.products["Morötter"]["id"], "quantity:a": "4"},
        )
        assert refused.status_code == 404
    async with pool.acquire() as conn:
        rounds = await conn.fetchval("SELECT count(*) FROM demand_round WHERE coop_id = $1", joined)
    assert rounds == 0

    # the coordinators see it on the members page
    coordinator = await session_cookies(pool, world.coordinator)
    async with pages(site, **coordinator) as http:
        members = await http.get(f"/app/networks/{world.network['id']}/members")
        assert f'data-join-request="{name}"' in members.text
        (request_id,) = re.findall(r"/joins/([0-9a-f-]{36})/approve", members.text)
        approved = await http.post(
            f"/app/networks/{world.network['id']}/joins/{request_id}/approve"
        )
        assert approved.status_code == 303
        after = await http.get(f"/app/networks/{world.network['id']}/members")
    assert f'data-member="{name}"' in after.text
    assert "data-join-request" not in after.text

    welcome = await mail_to(mailbox, email, "är med i")
    code = code_of(welcome, "/app/sign-in/link")
    async with pages(site) as http:
        signed_in = await http.post("/app/sign-in/link", data={"code": code})
    assert signed_in.status_code == 303
    async with pages(site, **{COOKIE: signed_in.cookies[COOKIE]}) as http:
        coop_page = await http.get("/app/coop")
        assert "data-demand" in coop_page.text
        assert "data-waiting" not in coop_page.text
        carrots = world.products["Morötter"]["id"]
        saved = await http.post(
            f"/app/cycles/{world.cycle['id']}/demand",
            data={"row": "a", "product:a": carrots, "quantity:a": "4"},
        )
        assert saved.status_code == 303
    async with pool.acquire() as conn:
        rounds = await conn.fetchval("SELECT count(*) FROM demand_round WHERE coop_id = $1", joined)
        audited = await conn.fetch(
            "SELECT action FROM audit_log WHERE action LIKE 'join%' AND network_id = $1",
            UUID(world.network["id"]),
        )
    assert rounds == 1
    assert {"join.ask", "join.confirm", "join.approve"} <= {row["action"] for row in audited}


async def test_the_coordinators_are_mailed_and_a_refusal_deletes_what_was_given(
    site: str, world: World, pool: Pool, mailbox: Mailbox
) -> None:
    coordinator_person = await session_cookies(pool, world.coordinator)  # a person to tell
    path = await join_link(site, pool, world)
    email = f"vaksala-{secrets.token_hex(4)}@example.org"
    await ask_and_confirm(site, mailbox, path, email, "Vaksala Kooperativ")
    async with pool.acquire() as conn:
        coordinators = await conn.fetch(
            "SELECT p.email FROM person p JOIN person_organisation po ON po.person_id = p.id"
            " JOIN membership m ON m.organisation_id = po.organisation_id"
            " JOIN organisation o ON o.id = m.organisation_id"
            " WHERE m.network_id = $1 AND o.kind = 'coordinator'",
            UUID(world.network["id"]),
        )
    told = await mail_to(mailbox, coordinators[0]["email"], "Vaksala Kooperativ vill gå med")
    assert f"/app/networks/{world.network['id']}/members" in told.text
    assert told.header("List-Unsubscribe") is not None  # a notification: may be turned off

    joined = await organisation_named(pool, "Vaksala Kooperativ")
    async with pages(site, **coordinator_person) as http:
        members = await http.get(f"/app/networks/{world.network['id']}/members")
        (request_id,) = re.findall(r"/joins/([0-9a-f-]{36})/refuse", members.text)
        asked = await http.get(f"/app/networks/{world.network['id']}/joins/{request_id}/refuse")
        assert asked.status_code == 200
        assert "Vaksala Kooperativ" in asked.text
        assert await organisation_named(pool, "Vaksala Kooperativ") == joined  # asking is not doing
        refused = await http.post(f"/app/networks/{world.network['id']}/joins/{request_id}/refuse")
        assert refused.status_code == 303
        twice = await http.post(f"/app/networks/{world.network['id']}/joins/{request_id}/refuse")
        assert twice.status_code == 404  # decided already
    assert await organisation_named(pool, "Vaksala Kooperativ") is None
    await mail_to(mailbox, email, "Om Vaksala Kooperativ")


async def test_a_new_link_or_turning_it_off_kills_the_old_one(
    site: str, world: World, pool: Pool
) -> None:
    first = await join_link(site, pool, world)
    second = await join_link(site, pool, world)
    assert first != second
    async with pool.acquire() as conn:  # shown again to its coordinators, kept only sealed
        assert await tables_holding(conn, second.rsplit("/", 1)[1][12:]) == []
    async with pages(site) as http:
        assert (await http.get(first)).status_code == 410
        assert (await http.post(first, data=join_form("x@example.org"))).status_code == 410
        assert (await http.get(second)).status_code == 200
        # a guessed link, or one with the right id and a wrong secret, is no link
        assert (await http.get(second[:-3] + "abc")).status_code == 410
        assert (await http.get("/app/join/" + "0" * 40)).status_code == 410
    async with pages(site, **await session_cookies(pool, world.coordinator)) as http:
        off = await http.post(
            f"/app/networks/{world.network['id']}/join-link", data={"action": "off"}
        )
        assert off.status_code == 303
        page = await http.get(f"/app/networks/{world.network['id']}/members")
    assert "data-join-link" not in page.text
    async with pages(site) as http:
        assert (await http.get(second)).status_code == 410


async def test_only_the_networks_own_coordinators_reach_its_members_pages(
    site: str, world: World, admin_token: str, pool: Pool, mailbox: Mailbox
) -> None:
    async with httpx.AsyncClient(base_url=site) as http:
        theirs = await build_world(http, admin_token)  # type: ignore[arg-type]
    path = await join_link(site, pool, world)
    await ask_and_confirm(
        site, mailbox, path, f"luthagen-{secrets.token_hex(4)}@example.org", "Kassen i Kåbo"
    )
    async with pages(site, **await session_cookies(pool, world.coordinator)) as http:
        members = (await http.get(f"/app/networks/{world.network['id']}/members")).text
    (request_id,) = re.findall(r"/joins/([0-9a-f-]{36})/approve", members)
    network = world.network["id"]
    routes = [
        ("GET", f"/app/networks/{network}/members"),
        ("POST", f"/app/networks/{network}/members/invite"),
        ("POST", f"/app/networks/{network}/join-link"),
        ("POST", f"/app/networks/{network}/joins/{request_id}/approve"),
        ("GET", f"/app/networks/{network}/joins/{request_id}/refuse"),
        ("POST", f"/app/networks/{network}/joins/{request_id}/refuse"),
        ("GET", f"/app/networks/{network}/members/{world.coop_id}/remove"),
        ("POST", f"/app/networks/{network}/members/{world.coop_id}/remove"),
    ]
    form = {"email": "x@example.org", "organisation_name": "X", "organisation_kind": "coop"}
    async with pages(site, **await session_cookies(pool, theirs.coordinator)) as http:
        for method, route in routes:
            answer = await http.request(method, route, data=form)
            assert answer.status_code == 404, (method, route, answer.status_code)
        # their own request id under their own network's address is no request of theirs
        mixed = await http.get(f"/app/networks/{theirs.network['id']}/joins/{request_id}/refuse")
        assert mixed.status_code == 404
    for token in (world.producer, world.coop):
        async with pages(site, **await session_cookies(pool, token)) as http:
            for method, route in routes:
                answer = await http.request(method, route, data=form)
                assert answer.status_code == 403, (method, route, answer.status_code)
    # nothing was done on the way: the co-op is in, the request waits, the link works
    async with pages(site, **await session_cookies(pool, world.coordinator)) as http:
        after = (await http.get(f"/app/networks/{network}/members")).text
    assert 'data-member="Matkassen Luthagen"' in after
    assert 'data-join-request="Kassen i Kåbo"' in after
    async with pages(site) as http:
        assert (await http.get(path)).status_code == 200


async def test_a_waiting_organisation_is_never_in_the_matchers_snapshot(
    site: str, world: World, pool: Pool, mailbox: Mailbox, settings: Settings
) -> None:
    path = await join_link(site, pool, world)
    await ask_and_confirm(
        site, mailbox, path, f"eriksberg-{secrets.token_hex(4)}@example.org", "Eriksbergs kassa"
    )
    waiting = await organisation_named(pool, "Eriksbergs kassa")
    carrots = world.products["Morötter"]["id"]
    async with httpx.AsyncClient(base_url=site) as http:
        lines = [{"product_id": carrots, "firm_quantity": 5}]
        await order(http, world.cycle["id"], world.coop, lines)  # type: ignore[arg-type]
    # the worst case: a round of the waiting co-op written straight into the cycle
    async with pool.acquire() as conn, conn.transaction():
        round_id = await conn.fetchval(
            "INSERT INTO demand_round (cycle_id, network_id, coop_id) VALUES ($1, $2, $3)"
            " RETURNING id",
            UUID(world.cycle["id"]),
            UUID(world.network["id"]),
            waiting,
        )
        await conn.execute(
            "INSERT INTO demand_line (round_id, network_id, line_no, product_id, firm_quantity)"
            " VALUES ($1, $2, 1, $3, 7)",
            round_id,
            UUID(world.network["id"]),
            UUID(carrots),
        )
    run = {
        "cycle_id": UUID(world.cycle["id"]),
        "network_id": UUID(world.network["id"]),
        "overrides": {},
    }
    snapshot = await load_snapshot(pool, settings, run)  # type: ignore[arg-type]
    assert {line.coop_id for line in snapshot.problem.lines} == {UUID(world.coop_id)}
    assert sum(line.firm_quantity for line in snapshot.problem.lines) == 5


async def test_demand_and_offers_need_a_location(site: str, world: World) -> None:
    async with httpx.AsyncClient(base_url=site) as http:
        coop = await ok(
            await http.post(
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
            await http.post(
                f"/v1/organisations/{coop['id']}/tokens",
                json={"label": "tests"},
                headers=bearer(world.coordinator),
            ),
            201,
        )
        carrots = world.products["Morötter"]["id"]
        body = {"lines": [{"product_id": carrots, "firm_quantity": 3}]}
        refused = await http.post(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds",
            json=body,
            headers=bearer(token["token"]),
        )
        assert refused.status_code == 409
        problem = refused.json()
        assert problem["type"].endswith("/location-required")
        assert problem["field"] == "location"
        assert "Kassen utan plats has no location" in problem["detail"]
        # a place set, the same order goes in
        placed = await http.patch(
            f"/v1/organisations/{coop['id']}",
            json={"location": {"lat": 59.85, "lon": 17.63, "address": "Kungsgatan 1"}},
            headers={**bearer(token["token"]), "If-Match": '"1"'},
        )
        assert placed.status_code == 200, placed.text
        accepted = await http.post(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds",
            json=body,
            headers=bearer(token["token"]),
        )
        assert accepted.status_code == 201, accepted.text
        # and a producer or co-op can't take its place away again
        removed = await http.patch(
            f"/v1/organisations/{coop['id']}",
            json={"location": None},
            headers={**bearer(token["token"]), "If-Match": '"2"'},
        )
        assert removed.status_code == 422
        assert removed.json()["field"] == "location"


async def test_asking_to_join_is_limited_per_client_and_per_network(
    settings: Settings, pool: Pool, admin_token: str
) -> None:
    async def attempts(limits: dict[str, int], count: int) -> list[httpx.Response]:
        limited = settings.replace(**{f"sessions.{k}": v for k, v in limits.items()})
        async with AsyncTestClient(app=create_app(limited)) as client:
            world = await build_world(client, admin_token)
            client.follow_redirects = False
            for name, value in (await session_cookies(pool, world.coordinator)).items():
                client.cookies.set(name, value)
            origin = {"Origin": "http://testserver.local"}
            await client.post(f"/app/networks/{world.network['id']}/join-link", headers=origin)
            shown = (await client.get(f"/app/networks/{world.network['id']}/members")).text
            found = re.search(r'value="(http[^"]+/app/join/[^"]+)"', shown)
            assert found is not None
            path = urlsplit(found.group(1)).path
            client.cookies.clear()
            return [
                await client.post(
                    path,
                    data=join_form(f"n{n}-{secrets.token_hex(3)}@example.org", f"Kassa {n}"),
                    headers=origin,
                )
                for n in range(count)
            ]

    per_network = await attempts(
        {"joins_per_address_per_minute": 1000, "joins_per_network_per_minute": 2}, 3
    )
    assert [answer.status_code for answer in per_network] == [200, 200, 429]
    assert int(per_network[2].headers["retry-after"]) > 0
    assert "för många ansökningar" in per_network[2].text
    assert 'value="Kassa 2"' in per_network[2].text  # what was typed stays

    per_address = await attempts(
        {"joins_per_address_per_minute": 2, "joins_per_network_per_minute": 1000}, 4
    )
    statuses = [answer.status_code for answer in per_address]
    assert statuses[-1] == 429, statuses  # the address's earlier minute may count too
    assert set(statuses) <= {200, 429}
