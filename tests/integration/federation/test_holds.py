"""Holds between two deployments: A (the session's app) asks B (a second app on its own
database) to hold packs of B's offers; B's own runs buy the same offers meanwhile.

The harness is test_peering.py's: B's app on a scratch database, A's worker client
signing requests that reach B's app in process.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import msgspec
import pytest
from arq.connections import ArqRedis
from litestar.testing import AsyncTestClient

from services.api.app import create_app
from services.matcher.adapters.federation import SignedClient, signed_client
from services.matcher.adapters.federation_holds import HoldSender
from services.matcher.adapters.federation_orders import OrderSender, OrderStateSender
from services.matcher.jobs.housekeeping import expire_federation_holds
from services.matcher.matching.run import run_match
from services.matcher.outbox.delivery import BACKOFF, Sender, deliver
from shared.contracts.messages import HoldMessage, MessageKind
from shared.db import peers as peers_db
from shared.db.pool import Pool, create_pool
from shared.db.reasons import reason_phrase
from shared.queue import connect_queue
from shared.security import federation_keys
from shared.security.federation_keys import SigningKey
from shared.settings import Settings
from tests.integration.federation.test_peering import (  # the two deployments' harness
    new_key_of_a,
    peer_a_on_b,
    refused,
    send,
    signed,
)
from tests.support.deployments import B_URL
from tests.support.federation import mirror_offer
from tests.support.http import Client, bearer, ok
from tests.support.people import session_cookies
from tests.support.texts import pdf_text
from tests.support.world import (
    World,
    add_van,
    build_world,
    close_cycle,
    offer_body,
    open_cycle,
)

HOLDS = "/federation/v1/holds"
ORDERS = "/federation/v1/orders"
A_KEY: dict[str, SigningKey] = {}


@pytest.fixture(scope="module")
async def b_world(b_settings: Settings, b_pool: Pool, b_admin: str) -> World:
    async with AsyncTestClient(app=create_app(b_settings)) as client:
        world = await build_world(client, b_admin, "Gävleborg")
        await add_van(client, world)
        return world


@pytest.fixture(scope="module")
async def a_key(
    b_settings: Settings, b_pool: Pool, b_admin: str, b_world: World, pool: Pool, settings: Settings
) -> tuple[SigningKey, str]:
    """A's key, which B knows as its peer's; B's producer shares with A. (key, peer id)"""
    key = await new_key_of_a(pool, settings)
    async with AsyncTestClient(app=create_app(b_settings)) as client:
        peer = await peer_a_on_b(client, b_admin, pool, key)
        await ok(
            await client.put(
                f"/v1/organisations/{b_world.producer_id}/peers/{peer['id']}",
                headers=bearer(b_world.producer),
            )
        )
    A_KEY["key"] = key
    return key, str(peer["id"])


async def b_offer(b_client: Client, b_world: World, packs: int = 12) -> str:
    created = await ok(
        await b_client.post(
            "/v1/offers",
            json=offer_body(b_world, packs_available=packs),
            headers=bearer(b_world.producer),
        ),
        201,
    )
    return str(created["id"])


async def packs_of(b_pool: Pool, offer_id: str) -> tuple[int, int]:
    """(packs_available, packs_reserved) of B's offer."""
    async with b_pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT packs_available, packs_reserved FROM offer WHERE id = $1::uuid", offer_id
        )
    assert row is not None
    return row["packs_available"], row["packs_reserved"]


async def fed_of(pool: Pool, settings: Settings, b_client: Client) -> SignedClient:
    """A's worker client, signing with the key B knows as A's (``a_key``: the test that
    adds a second peer makes a newer key, which the worker would sign with)."""
    fed = await signed_client(pool, settings, b_client)
    assert fed is not None
    key = A_KEY.get("key")
    return fed if key is None else SignedClient(b_client, key, timeout_s=fed.timeout_s)


def body(answer: Any) -> Any:
    return json.loads(answer.body)


def hold_body(
    offer_id: str, packs: int, hold_id: UUID | None = None, ttl_s: int = 3600
) -> dict[str, Any]:
    return {
        "id": str(hold_id or uuid.uuid4()),
        "offer_id": offer_id,
        "packs": packs,
        "ttl_s": ttl_s,
    }


# -- the origin's endpoints ------------------------------------------------------------------


async def test_a_hold_reserves_b_packs_idempotently_and_confirm_release_move_it(
    b_client: Client,
    b_pool: Pool,
    b_world: World,
    a_key: tuple[SigningKey, str],
    pool: Pool,
    settings: Settings,
) -> None:
    offer_id = await b_offer(b_client, b_world, packs=12)
    fed = await fed_of(pool, settings, b_client)
    asked = hold_body(offer_id, 5)
    first = await fed.request("POST", B_URL, HOLDS, json=asked)
    assert first.status == 201, first.body
    assert body(first)["state"] == "held"
    assert await packs_of(b_pool, offer_id) == (12, 5)
    again = await fed.request("POST", B_URL, HOLDS, json=asked)  # a retry: the same answer
    assert again.status == 201
    assert body(again) == body(first)
    assert await packs_of(b_pool, offer_id) == (12, 5)
    other = await fed.request("POST", B_URL, HOLDS, json={**asked, "packs": 6})
    assert other.status == 409, other.body
    too_many = await fed.request("POST", B_URL, HOLDS, json=hold_body(offer_id, 8))
    assert too_many.status == 409
    assert body(too_many)["state"] == "refused"
    assert await packs_of(b_pool, offer_id) == (12, 5)
    path = f"{HOLDS}/{asked['id']}"
    confirmed = await fed.request("POST", B_URL, path + "/confirm")
    assert confirmed.status == 200
    assert body(confirmed)["state"] == "confirmed"
    assert (await fed.request("POST", B_URL, path + "/confirm")).status == 200
    assert await packs_of(b_pool, offer_id) == (12, 5)
    released = await fed.request("POST", B_URL, path + "/release")
    assert released.status == 200
    assert body(released)["state"] == "released"
    assert (await fed.request("POST", B_URL, path + "/release")).status == 200
    assert await packs_of(b_pool, offer_id) == (12, 0)
    assert (await fed.request("POST", B_URL, path + "/confirm")).status == 409


async def test_an_offer_not_shared_or_withdrawn_is_not_found(
    b_client: Client,
    b_pool: Pool,
    b_world: World,
    b_admin: str,
    a_key: tuple[SigningKey, str],
    pool: Pool,
    settings: Settings,
) -> None:
    offer_id = await b_offer(b_client, b_world)
    fed = await fed_of(pool, settings, b_client)
    missing = await fed.request("POST", B_URL, HOLDS, json=hold_body(str(uuid.uuid4()), 1))
    assert missing.status == 404, missing.body
    async with b_pool.acquire() as conn:
        await conn.execute("UPDATE offer SET withdrawn_at = now() WHERE id = $1::uuid", offer_id)
    withdrawn = await fed.request("POST", B_URL, HOLDS, json=hold_body(offer_id, 1))
    assert withdrawn.status == 404, withdrawn.body
    assert await packs_of(b_pool, offer_id) == (12, 0)


async def test_an_expired_hold_frees_the_packs(
    b_client: Client,
    b_pool: Pool,
    b_world: World,
    b_settings: Settings,
    a_key: tuple[SigningKey, str],
    pool: Pool,
    settings: Settings,
) -> None:
    offer_id = await b_offer(b_client, b_world, packs=4)
    fed = await fed_of(pool, settings, b_client)
    asked = hold_body(offer_id, 4)
    assert (await fed.request("POST", B_URL, HOLDS, json=asked)).status == 201
    assert await packs_of(b_pool, offer_id) == (4, 4)
    async with b_pool.acquire() as conn:  # its time is up
        await conn.execute(
            "UPDATE federation_hold SET expires_at = now() - interval '1 second' WHERE id = $1",
            UUID(asked["id"]),
        )
    freed = await expire_federation_holds({"pool": b_pool, "settings": b_settings})  # type: ignore[typeddict-item]
    assert freed >= 4
    assert await packs_of(b_pool, offer_id) == (4, 0)
    async with b_pool.acquire() as conn:
        state = await conn.fetchval(
            "SELECT state FROM federation_hold WHERE id = $1", UUID(asked["id"])
        )
    assert state == "expired"
    late = await fed.request("POST", B_URL, f"{HOLDS}/{asked['id']}/confirm")
    assert late.status == 409, late.body


async def test_a_peer_cannot_touch_another_peers_hold(
    b_client: Client,
    b_pool: Pool,
    b_world: World,
    b_admin: str,
    a_key: tuple[SigningKey, str],
    pool: Pool,
    settings: Settings,
) -> None:
    offer_id = await b_offer(b_client, b_world)
    fed = await fed_of(pool, settings, b_client)
    asked = hold_body(offer_id, 2)
    assert (await fed.request("POST", B_URL, HOLDS, json=asked)).status == 201
    # a second peer of B (its key, the newest of A's database now, signs the same way)
    other_key = await new_key_of_a(pool, settings)
    await peer_a_on_b(b_client, b_admin, pool, other_key, name="Samlast Umeå")
    other = await signed_client(pool, settings, b_client)
    assert other is not None
    assert other.key.key_id == other_key.key_id
    for action in ("confirm", "release"):
        answer = await other.request("POST", B_URL, f"{HOLDS}/{asked['id']}/{action}")
        assert answer.status == 404, answer.body
    taken = await other.request("POST", B_URL, HOLDS, json=asked)  # its id, another peer
    assert taken.status in (404, 409), taken.body  # not shared with it: 404 before the id
    assert await packs_of(b_pool, offer_id) == (12, 2)
    async with pool.acquire() as conn:  # A's worker signs with the key B knows as A's again
        await peers_db.retire_own_key(conn, other_key.key_id)


async def test_unsigned_tampered_and_replayed_hold_requests_are_refused(
    b_client: Client, b_pool: Pool, b_world: World, a_key: tuple[SigningKey, str]
) -> None:
    key, _ = a_key
    offer_id = await b_offer(b_client, b_world, packs=3)
    raw = json.dumps(hold_body(offer_id, 3)).encode()
    refused(
        await send(b_client, "POST", HOLDS, {"Content-Type": "application/json"}, raw), "not signed"
    )
    headers = signed(key, "POST", HOLDS, raw)
    tampered = raw.replace(b'"packs": 3', b'"packs": 2')
    refused(await send(b_client, "POST", HOLDS, headers, tampered), "Digest")
    headers = signed(key, "POST", HOLDS, raw)
    assert (await send(b_client, "POST", HOLDS, headers, raw)).status_code == 201
    refused(await send(b_client, "POST", HOLDS, headers, raw), "replayed")
    assert await packs_of(b_pool, offer_id) == (3, 3)


# -- the oversell test -------------------------------------------------------------------------

# When A's holds are sent, by the stage B's run has reached: at its start, while it
# allocates, as it routes, as it stores (the reservations), after it.
STAGES = ("snapshot", "allocate", "route", "store", "done")


def b_worker_runs(b_settings: Settings, run_id: UUID) -> str:
    """B's worker computing and storing its run, on its own event loop and connections
    (B's app answers A's requests on the test client's loop: a hold waiting for the row
    lock B's run holds must not stop that run)."""

    async def work() -> str:
        pool = await create_pool(b_settings, as_app=False)
        try:
            return await run_match(pool, b_settings, run_id)
        finally:
            await pool.close()

    return asyncio.run(work())


async def stage_reached(b_pool: Pool, run_id: UUID, stage: str) -> None:
    for _ in range(3000):
        async with b_pool.acquire() as conn:
            now = await conn.fetchval("SELECT stage FROM match_run WHERE id = $1", run_id)
        # a stage passed already counts (the run was quicker than our look)
        passed = now in ("store", "done") and STAGES.index(stage) < STAGES.index(now)
        if now and (now.startswith(stage) or passed):
            return
        await asyncio.sleep(0.005)


async def test_b_own_run_and_a_holds_at_the_same_moment_never_oversell(
    b_client: Client,
    b_pool: Pool,
    b_world: World,
    b_settings: Settings,
    a_key: tuple[SigningKey, str],
    pool: Pool,
    settings: Settings,
) -> None:
    """B's network runs a cycle buying carrots while A asks holds on the same offer, at
    the same moment, again and again: whatever wins, the packs sold (B's run's purchases
    and the held packs) never exceed the packs available."""
    fed = await fed_of(pool, settings, b_client)
    carrots = b_world.products["Morötter"]["id"]
    outcomes = set()
    for rounds in range(len(STAGES) * 2):
        offer_id = await b_offer(b_client, b_world, packs=6)
        b_world.cycle = await open_cycle(b_client, b_world)
        await ok(
            await b_client.post(
                f"/v1/cycles/{b_world.cycle['id']}/demand-rounds",
                json={"lines": [{"product_id": carrots, "firm_quantity": 40}]},  # 4 packs
                headers=bearer(b_world.coop),
            ),
            201,
        )
        await ok(
            await b_client.post(
                f"/v1/cycles/{b_world.cycle['id']}/close", headers=bearer(b_world.coordinator)
            )
        )
        runs = await ok(
            await b_client.get(
                f"/v1/cycles/{b_world.cycle['id']}/runs", headers=bearer(b_world.coordinator)
            )
        )
        run_id = UUID(runs[0]["id"])
        asks = [hold_body(offer_id, 2) for _ in range(2)]  # 4 packs asked by A, 4 by B's run
        run = asyncio.create_task(asyncio.to_thread(b_worker_runs, b_settings, run_id))
        await stage_reached(b_pool, run_id, STAGES[rounds % len(STAGES)])
        answers = await asyncio.gather(
            *(fed.request("POST", B_URL, HOLDS, json=ask) for ask in asks)
        )
        stored = await run
        assert stored in ("stored", "failed")
        available, reserved = await packs_of(b_pool, offer_id)
        async with b_pool.acquire() as conn:
            bought = await conn.fetchval(
                "SELECT coalesce(sum(packs), 0) FROM run_purchase p JOIN match_run r "
                "ON r.id = p.run_id WHERE p.offer_id = $1::uuid AND r.state = 'proposed'",
                offer_id,
            )
            held = await conn.fetchval(
                "SELECT coalesce(sum(packs), 0) FROM federation_hold "
                "WHERE offer_id = $1::uuid AND state = 'held'",
                offer_id,
            )
        assert reserved <= available
        assert bought + held == reserved <= available == 6
        assert all(a.status in (201, 409) for a in answers), [a.body for a in answers]
        outcomes.add((bought, held))
        # the next cycle: this one's run is decided, its packs no longer matter
        await b_client.post(
            f"/v1/cycles/{b_world.cycle['id']}/cancel", headers=bearer(b_world.coordinator)
        )
    assert all(bought + held <= 6 for bought, held in outcomes), outcomes


# -- the buying side: A's runs that buy B's offers ---------------------------------------------


@pytest.fixture(scope="module")
async def a_world(settings: Settings, pool: Pool, admin_token: str) -> World:
    async with AsyncTestClient(app=create_app(settings)) as client:
        world = await build_world(client, admin_token, "Uppsala handlar i Gävleborg")
        await add_van(client, world)
        return world


@pytest.fixture(scope="module")
async def b_on_a(pool: Pool, a_key: tuple[SigningKey, str]) -> UUID:
    """B, as A's peer (A signs its requests with ``a_key``, which B knows)."""
    async with pool.acquire() as conn:
        peer_id: UUID = await conn.fetchval(
            "INSERT INTO peer (name, base_url) VALUES ('Samlast Gävleborg', $1) "
            "ON CONFLICT (base_url) DO UPDATE SET name = excluded.name RETURNING id",
            B_URL,
        )
    return peer_id


async def mirrored(
    pool: Pool,
    b_client: Client,
    b_world: World,
    a_world: World,
    peer_id: UUID,
    *,
    packs: int = 12,
    mirror_packs: int | None = None,
) -> tuple[str, UUID]:
    """An offer of B's producer, and its mirror on A: (B's offer id, A's mirror offer id).
    The mirrors of earlier tests are withdrawn: each test's run buys its own."""
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE offer SET withdrawn_at = now() WHERE id IN (SELECT offer_id FROM remote_offer)"
        )
    offer_id = await b_offer(b_client, b_world, packs=packs)
    mirror = await mirror_offer(
        pool,
        peer_id=peer_id,
        network_id=UUID(a_world.network["id"]),
        product_id=UUID(a_world.products["Morötter"]["id"]),
        remote_producer_id=UUID(b_world.producer_id),
        remote_offer_id=UUID(offer_id),
        packs_available=packs if mirror_packs is None else mirror_packs,
    )
    return offer_id, mirror.offer_id


async def a_run(client: Client, pool: Pool, settings: Settings, a_world: World, units: int) -> UUID:
    """A's cycle, a co-op's carrots, closed and matched by A's worker: the run's id."""
    a_world.cycle = await open_cycle(client, a_world)
    carrots = a_world.products["Morötter"]["id"]
    await ok(
        await client.post(
            f"/v1/cycles/{a_world.cycle['id']}/demand-rounds",
            json={"lines": [{"product_id": carrots, "firm_quantity": units}]},
            headers=bearer(a_world.coop),
        ),
        201,
    )
    run = await close_cycle(client, a_world)
    assert await run_match(pool, settings, UUID(run["id"])) == "stored"
    return UUID(run["id"])


@dataclass(frozen=True)
class Deployments:
    """A (the session's app, ``client``) and B, as the tests of A's runs use them."""

    client: Client
    pool: Pool
    settings: Settings
    a_world: World
    b_on_a: UUID
    b_client: Client
    b_pool: Pool
    b_settings: Settings
    b_world: World


@pytest.fixture
def ab(
    client: Client,
    pool: Pool,
    settings: Settings,
    a_world: World,
    b_on_a: UUID,
    b_client: Client,
    b_pool: Pool,
    b_settings: Settings,
    b_world: World,
) -> Deployments:
    return Deployments(
        client, pool, settings, a_world, b_on_a, b_client, b_pool, b_settings, b_world
    )


async def mirrored_run(
    ab: Deployments, units: int, *, packs: int = 12, mirror_packs: int | None = None
) -> tuple[str, UUID, UUID]:
    """A mirror of a new offer of B's and A's run buying ``units`` carrots, matched:
    (B's offer id, A's mirror offer id, the run's id)."""
    offer_id, mirror_id = await mirrored(
        ab.pool,
        ab.b_client,
        ab.b_world,
        ab.a_world,
        ab.b_on_a,
        packs=packs,
        mirror_packs=mirror_packs,
    )
    run_id = await a_run(ab.client, ab.pool, ab.settings, ab.a_world, units)
    return offer_id, mirror_id, run_id


async def deliver_pending(
    pool: Pool, settings: Settings, kind: MessageKind, sender_of: Callable[[ArqRedis], Sender]
) -> list[str]:
    """A deployment's outbox worker: one attempt at each pending message of ``kind``,
    oldest first, by the sender ``sender_of`` makes with the worker's queue."""
    queue = await connect_queue(settings)
    try:
        sender = sender_of(queue)
        async with pool.acquire() as conn:
            ids = await conn.fetch(
                "SELECT id FROM outbox_message WHERE kind = $1 AND state = 'pending' "
                "ORDER BY created_at, id",
                kind,
            )
        return [await deliver(pool, settings, queue, {kind: sender}, row["id"]) for row in ids]
    finally:
        await queue.aclose()


async def deliver_holds(
    ab: Deployments, *, settings: Settings | None = None, http: httpx.AsyncClient | None = None
) -> list[str]:
    """A's hold messages, to B (or to ``http``)."""
    settings = settings or ab.settings
    return await deliver_pending(
        ab.pool,
        settings,
        MessageKind.FEDERATION_HOLD,
        lambda queue: HoldSender(
            ab.pool, settings, queue, http or ab.b_client, retries=len(BACKOFF)
        ),
    )


async def deliver_orders(ab: Deployments) -> list[str]:
    """A's order messages, to B."""
    return await deliver_pending(
        ab.pool,
        ab.settings,
        MessageKind.FEDERATION_ORDER,
        lambda _: OrderSender(ab.pool, ab.settings, ab.b_client),
    )


async def deliver_states(ab: Deployments) -> list[str]:
    """B's order states, to A."""
    return await deliver_pending(
        ab.b_pool,
        ab.b_settings,
        MessageKind.FEDERATION_ORDER_STATE,
        lambda _: OrderStateSender(ab.b_pool, ab.b_settings, ab.client),
    )


async def holds_of(pool: Pool, run_id: UUID) -> list[tuple[str, int, str]]:
    """Each hold's state, packs and reason, the reason in English as the API says it."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT state, packs, reason, reason_values FROM run_remote_hold "
            "WHERE run_id = $1 ORDER BY hold_id",
            run_id,
        )
    return [
        (row["state"], row["packs"], str(reason_phrase(row["reason"], row["reason_values"])))
        for row in rows
    ]


async def hold_said(
    ab: Deployments, run_id: UUID, language: str, attribute: str = "data-hold-reason"
) -> str:
    """The hold's reason (or what ``attribute`` marks) as the run page says it in
    ``language``, after its code."""
    ab.client.cookies = await session_cookies(ab.pool, ab.a_world.coordinator)
    ab.client.cookies["samlast_lang"] = language
    page = await ab.client.get(f"/app/runs/{run_id}")
    ab.client.cookies.clear()
    assert page.status_code == 200, page.text
    found = re.search(rf'<span {attribute}="(\w*)">([^<]*)</span>', page.text)
    assert found is not None, page.text
    return f"{found[1]}: {html.unescape(found[2])}"


async def test_a_run_buying_from_b_holds_there_and_publishes_once_confirmed(
    ab: Deployments,
) -> None:
    offer_id, mirror_id, run_id = await mirrored_run(ab, 40)  # 4 packs of 10
    assert await holds_of(ab.pool, run_id) == [("pending", 4, "")]
    assert await packs_of(ab.b_pool, offer_id) == (12, 0)  # nothing asked inside the run
    await deliver_holds(ab)
    assert await holds_of(ab.pool, run_id) == [("held", 4, "")]
    assert await packs_of(ab.b_pool, offer_id) == (12, 4)
    assert await packs_of(ab.pool, str(mirror_id)) == (12, 4)  # reserved here as any offer
    ab.client.cookies = await session_cookies(ab.pool, ab.a_world.coordinator)
    for language, words in (
        ("sv", ["Förpackningar reserverade i andra Samlast-installationer", "reserverad"]),
        ("en", ["Packs held at other deployments", "Samlast Gävleborg", "held"]),
    ):
        ab.client.cookies["samlast_lang"] = language
        page = await ab.client.get(f"/app/runs/{run_id}")
        assert page.status_code == 200, page.text
        assert 'data-hold-state="held"' in page.text
        for word in words:
            assert word in page.text, (language, word)
    ab.client.cookies.clear()
    coordinator = bearer(ab.a_world.coordinator)
    await ok(await ab.client.post(f"/v1/runs/{run_id}/approve", json={}, headers=coordinator))
    early = await ab.client.post(f"/v1/runs/{run_id}/publish", json={}, headers=coordinator)
    assert early.status_code == 409, early.text
    assert early.json()["holds"][0]["state"] == "held"
    await deliver_holds(ab)  # the confirmation
    assert await holds_of(ab.pool, run_id) == [("confirmed", 4, "")]
    async with ab.b_pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT state FROM federation_hold WHERE offer_id = $1::uuid", offer_id
            )
            == "confirmed"
        )
    await ok(await ab.client.post(f"/v1/runs/{run_id}/publish", json={}, headers=coordinator))
    assert await packs_of(ab.b_pool, offer_id) == (12, 4)


async def test_rejecting_a_run_releases_its_holds_at_b(ab: Deployments) -> None:
    offer_id, _, run_id = await mirrored_run(ab, 30)
    await deliver_holds(ab)
    assert await packs_of(ab.b_pool, offer_id) == (12, 3)
    await ok(
        await ab.client.post(
            f"/v1/runs/{run_id}/reject",
            json={"reason": "för dyrt"},
            headers=bearer(ab.a_world.coordinator),
        )
    )
    assert await holds_of(ab.pool, run_id) == [("released", 3, "")]
    await deliver_holds(ab)
    assert await packs_of(ab.b_pool, offer_id) == (12, 0)
    async with ab.b_pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT state FROM federation_hold WHERE offer_id = $1::uuid", offer_id
            )
            == "released"
        )


async def test_a_refused_hold_matches_the_cycle_again_without_that_supply(ab: Deployments) -> None:
    """B has 2 packs free, A's mirror still says 12 (its feed is behind): B refuses the
    hold, and A's cycle is matched again without that offer."""
    offer_id, mirror_id, run_id = await mirrored_run(ab, 40, packs=2, mirror_packs=12)
    await deliver_holds(ab)
    ((state, packs, reason),) = await holds_of(ab.pool, run_id)
    assert (state, packs) == ("refused", 4)
    assert "not enough packs" in reason
    assert await packs_of(ab.b_pool, offer_id) == (2, 0)
    assert await packs_of(ab.pool, str(mirror_id)) == (12, 0)  # the superseded run's packs back
    async with ab.pool.acquire() as conn:
        runs = await conn.fetch(
            "SELECT id, state, overrides FROM match_run WHERE cycle_id = $1::uuid "
            "ORDER BY run_version",
            ab.a_world.cycle["id"],
        )
    assert [r["state"] for r in runs] == ["superseded", "queued"]
    assert runs[1]["overrides"]["exclude_offers"] == [str(mirror_id)]
    # the superseded run says why, naming the peer, in the page's language; a code for programs
    coordinator = bearer(ab.a_world.coordinator)
    history = await ok(await ab.client.get(f"/v1/runs/{run_id}/history", headers=coordinator))
    superseded = next(t for t in history if t["to_state"] == "superseded")
    assert superseded["note_code"] == "hold_refused"
    assert superseded["note"].startswith(
        "Samlast Gävleborg refused to hold packs (the other deployment refused: “not enough"
    )
    assert (await hold_said(ab, run_id, "sv", "data-note")).startswith(
        "hold_refused: Samlast Gävleborg nekade att reservera förpackningar (den andra "
        "installationen nekade: ”not enough"
    )
    assert await run_match(ab.pool, ab.settings, runs[1]["id"]) == "stored"
    assert await holds_of(ab.pool, runs[1]["id"]) == []
    result = await ok(
        await ab.client.get(
            f"/v1/runs/{runs[1]['id']}/result", headers=bearer(ab.a_world.coordinator)
        )
    )
    assert result["purchases"] == []
    assert [u["units_short"] for u in result["unfilled"]] == [40]


async def test_after_the_retries_a_refused_hold_leaves_its_lines_unfilled_with_the_reason(
    ab: Deployments,
) -> None:
    no_retries = ab.settings.replace(**{"federation.hold_retries": 0})
    offer_id, mirror_id, run_id = await mirrored_run(ab, 20, packs=1, mirror_packs=12)
    await deliver_holds(ab, settings=no_retries)
    result = await ok(
        await ab.client.get(f"/v1/runs/{run_id}/result", headers=bearer(ab.a_world.coordinator))
    )
    assert result["purchases"] == []
    ((line,),) = [result["unfilled"]]
    assert (line["units_short"], line["reason"]) == (20, "excluded")
    assert "not enough packs" in line["hold_refused"]
    assert await packs_of(ab.pool, str(mirror_id)) == (12, 0)
    assert await packs_of(ab.b_pool, offer_id) == (1, 0)
    coordinator = bearer(ab.a_world.coordinator)
    await ok(await ab.client.post(f"/v1/runs/{run_id}/approve", json={}, headers=coordinator))
    await ok(await ab.client.post(f"/v1/runs/{run_id}/publish", json={}, headers=coordinator))
    # the coordinator reads the run's holds: which of B's offers it left out, and why
    ((hold,),) = [await ok(await ab.client.get(f"/v1/runs/{run_id}/holds", headers=coordinator))]
    assert (hold["state"], hold["packs"], hold["bought"]) == ("refused", 2, False)
    assert (hold["offer_id"], hold["remote_offer_id"]) == (str(mirror_id), offer_id)
    assert hold["peer"] == "Samlast Gävleborg"
    # B's own words quoted in a sentence of ours, and a code for programs
    assert hold["reason_code"] == "refused"
    assert hold["reason"].startswith("the other deployment refused: “not enough packs")
    assert (await hold_said(ab, run_id, "sv")).startswith(
        "refused: den andra installationen nekade: ”not enough packs"
    )


async def test_a_run_s_holds_are_read_by_its_coordinators_only(
    ab: Deployments, admin_token: str
) -> None:
    _, mirror_id, run_id = await mirrored_run(ab, 10)
    path = f"/v1/runs/{run_id}/holds"
    (pending,) = await ok(await ab.client.get(path, headers=bearer(ab.a_world.coordinator)))
    assert (pending["offer_id"], pending["state"], pending["bought"]) == (
        str(mirror_id),
        "pending",
        True,
    )
    other = await build_world(ab.client, admin_token, "Västerås handlar också")
    elsewhere = await ab.client.get(path, headers=bearer(other.coordinator))
    assert elsewhere.status_code == 404, elsewhere.text  # another network's: as if none
    assert (await ab.client.get(path, headers=bearer(ab.a_world.coop))).status_code == 403
    unknown = await ab.client.get(
        f"/v1/runs/{uuid.uuid4()}/holds", headers=bearer(ab.a_world.coordinator)
    )
    assert unknown.status_code == 404
    assert (
        await ab.client.get("/v1/runs/not-a-run/holds", headers=bearer(admin_token))
    ).status_code == 404
    await ok(
        await ab.client.post(
            f"/v1/runs/{run_id}/reject",
            json={"reason": "bara en titt"},
            headers=bearer(ab.a_world.coordinator),
        )
    )
    assert await deliver_holds(ab) == ["delivered", "delivered"]  # nothing left for the next


async def test_a_peer_that_cannot_be_reached_leaves_the_hold_pending_then_unreachable(
    ab: Deployments,
) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    _, _, run_id = await mirrored_run(ab, 10)
    async with httpx.AsyncClient(transport=httpx.MockTransport(down)) as unreachable:
        assert await deliver_holds(ab, http=unreachable) == ["pending"]
        ((state, _, reason),) = await holds_of(ab.pool, run_id)
        assert state == "pending"
        assert "asking again later" in reason
        async with ab.pool.acquire() as conn:  # the outbox's retries spent but the last one
            await conn.execute(
                "UPDATE outbox_message SET attempts = $2, next_attempt_at = now() "
                "WHERE run_id = $1 AND kind = 'federation_hold'",
                run_id,
                len(BACKOFF),
            )
        assert await deliver_holds(ab, http=unreachable) == ["failed"]
    ((state, _, reason),) = await holds_of(ab.pool, run_id)
    assert state == "unreachable"
    assert reason == "the request failed (ConnectError); given up"
    assert await hold_said(ab, run_id, "sv") == (
        "given_up: anropet misslyckades (ConnectError); gav upp"
    )
    assert await hold_said(ab, run_id, "en") == (
        "given_up: the request failed (ConnectError); given up"
    )
    coordinator = bearer(ab.a_world.coordinator)
    await ok(await ab.client.post(f"/v1/runs/{run_id}/approve", json={}, headers=coordinator))
    refused_publish = await ab.client.post(
        f"/v1/runs/{run_id}/publish", json={}, headers=coordinator
    )
    assert refused_publish.status_code == 409
    assert refused_publish.json()["holds"][0]["state"] == "unreachable"
    assert refused_publish.json()["holds"][0]["reason_code"] == "given_up"


async def test_a_peer_not_answering_in_time_is_left_out_and_the_cycle_matched_again(
    ab: Deployments,
) -> None:
    """B stops after A's run asked it to hold: once the hold has waited
    ``federation.hold_reach_s``, A's cycle is matched again without B's offers (all of
    them, not only the one asked), and the superseded run says why."""

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    _, mirror_id, run_id = await mirrored_run(ab, 10)
    async with httpx.AsyncClient(transport=httpx.MockTransport(down)) as unreachable:
        assert await deliver_holds(ab, http=unreachable) == ["pending"]
        async with ab.pool.acquire() as conn:  # the bound has passed since the run asked
            await conn.execute(
                "UPDATE outbox_message SET created_at = now() - make_interval(secs => $2), "
                "next_attempt_at = now() WHERE run_id = $1 AND kind = 'federation_hold'",
                run_id,
                ab.settings.federation.hold_reach_s + 1,
            )
        assert await deliver_holds(ab, http=unreachable) == ["failed"]
    ((state, _, reason),) = await holds_of(ab.pool, run_id)
    assert state == "released"  # its run superseded: released, in case B held it unheard
    assert f"no answer for {ab.settings.federation.hold_reach_s} s" in reason
    async with ab.pool.acquire() as conn:
        runs = await conn.fetch(
            "SELECT id, state, overrides FROM match_run WHERE cycle_id = $1::uuid "
            "ORDER BY run_version",
            ab.a_world.cycle["id"],
        )
        why = await conn.fetchval(
            "SELECT note FROM run_transition WHERE run_id = $1 AND to_state = 'superseded'",
            run_id,
        )
        peer_offers = await conn.fetchval(
            "SELECT count(*) FROM remote_offer WHERE peer_id = $1", ab.b_on_a
        )
    assert [r["state"] for r in runs] == ["superseded", "queued"]
    assert str(mirror_id) in runs[1]["overrides"]["exclude_offers"]
    assert len(runs[1]["overrides"]["exclude_offers"]) == peer_offers  # B's offers, all
    assert "could not be reached" in why
    said = await hold_said(ab, run_id, "sv", "data-note")
    assert said.startswith("peer_unreachable: Samlast Gävleborg gick inte att nå"), said
    assert f"inget svar på {ab.settings.federation.hold_reach_s} s" in said
    assert await run_match(ab.pool, ab.settings, runs[1]["id"]) == "stored"
    assert await holds_of(ab.pool, runs[1]["id"]) == []
    # B back: the superseded run's release reaches it (it holds nothing: 404, done)
    assert await deliver_holds(ab) == ["delivered"]


async def test_a_hold_that_reaches_b_after_its_release_is_released_again(ab: Deployments) -> None:
    """The run is rejected while its hold is on its way: the release reaches B first (B
    knows no such hold), then the hold; A, told B holds the packs of a released hold,
    releases it once more, and B's packs are free again (not only at the hold's expiry)."""
    offer_id, _, run_id = await mirrored_run(ab, 20)
    async with ab.pool.acquire() as conn:
        hold_row = await conn.fetchrow(
            "SELECT payload FROM outbox_message WHERE run_id = $1 AND kind = 'federation_hold'",
            run_id,
        )
    assert hold_row is not None
    hold = msgspec.convert(hold_row["payload"], HoldMessage)
    await ok(
        await ab.client.post(
            f"/v1/runs/{run_id}/reject",
            json={"reason": "fel vecka"},
            headers=bearer(ab.a_world.coordinator),
        )
    )
    # the release goes out (B knows no such hold yet: 404, nothing to release)
    assert await deliver_holds(ab) == ["delivered", "delivered"]
    fed = await fed_of(ab.pool, ab.settings, ab.b_client)
    late = await fed.request(  # the hold that was on its way
        "POST",
        B_URL,
        HOLDS,
        json=hold_body(offer_id, hold.packs, hold.hold_id, ttl_s=hold.ttl_s),
    )
    assert late.status == 201
    assert await packs_of(ab.b_pool, offer_id) == (12, 2)
    queue = await connect_queue(ab.settings)
    try:
        sender = HoldSender(ab.pool, ab.settings, queue, ab.b_client, retries=len(BACKOFF))
        await sender._record(hold, late, last=False)  # what the sender records of it
    finally:
        await queue.aclose()
    await deliver_holds(ab)
    assert await packs_of(ab.b_pool, offer_id) == (12, 0)
    assert await holds_of(ab.pool, run_id) == [("released", 2, "")]


async def test_a_hold_expired_at_b_is_not_confirmed_and_the_run_is_not_published(
    ab: Deployments,
) -> None:
    offer_id, _, run_id = await mirrored_run(ab, 30)
    await deliver_holds(ab)
    assert await packs_of(ab.b_pool, offer_id) == (12, 3)
    async with ab.b_pool.acquire() as conn:  # A took longer than the hold's time to approve
        await conn.execute(
            "UPDATE federation_hold SET expires_at = now() - interval '1 second' "
            "WHERE offer_id = $1::uuid",
            offer_id,
        )
    await expire_federation_holds({"pool": ab.b_pool, "settings": ab.b_settings})  # type: ignore[typeddict-item]
    assert await packs_of(ab.b_pool, offer_id) == (12, 0)
    coordinator = bearer(ab.a_world.coordinator)
    await ok(await ab.client.post(f"/v1/runs/{run_id}/approve", json={}, headers=coordinator))
    await deliver_holds(ab)  # the confirmation, too late
    ((state, _, reason),) = await holds_of(ab.pool, run_id)
    assert state == "refused"
    assert "expired" in reason
    refused_publish = await ab.client.post(
        f"/v1/runs/{run_id}/publish", json={}, headers=coordinator
    )
    assert refused_publish.status_code == 409
    assert refused_publish.json()["holds"][0]["state"] == "refused"


# -- orders: publishing sends each remote producer's order to its deployment -------------------


async def b_published_run(
    b_client: Client, b_pool: Pool, b_settings: Settings, b_world: World
) -> str:
    """A run of B's own network for the same delivery day, buying from B's producer,
    published: the run whose pick list B's producer prints."""
    await b_offer(b_client, b_world, packs=5)
    b_world.cycle = await open_cycle(b_client, b_world)
    carrots = b_world.products["Morötter"]["id"]
    await ok(
        await b_client.post(
            f"/v1/cycles/{b_world.cycle['id']}/demand-rounds",
            json={"lines": [{"product_id": carrots, "firm_quantity": 10}]},
            headers=bearer(b_world.coop),
        ),
        201,
    )
    run = await close_cycle(b_client, b_world)
    assert await asyncio.to_thread(b_worker_runs, b_settings, UUID(run["id"])) == "stored"
    coordinator = bearer(b_world.coordinator)
    await ok(await b_client.post(f"/v1/runs/{run['id']}/approve", json={}, headers=coordinator))
    await ok(await b_client.post(f"/v1/runs/{run['id']}/publish", json={}, headers=coordinator))
    return str(run["id"])


async def test_publishing_sends_b_producer_its_order_which_its_pick_list_shows(
    ab: Deployments, b_admin: str
) -> None:
    offer_id, _, run_id = await mirrored_run(ab, 30)  # 3 packs of 10
    await deliver_holds(ab)
    coordinator = bearer(ab.a_world.coordinator)
    await ok(await ab.client.post(f"/v1/runs/{run_id}/approve", json={}, headers=coordinator))
    await deliver_holds(ab)  # the confirmation
    async with ab.pool.acquire() as conn:
        assert not await conn.fetchval(
            "SELECT count(*) FROM outbox_message WHERE kind = 'federation_order' AND run_id = $1",
            run_id,
        )  # no order before publishing
    await ok(await ab.client.post(f"/v1/runs/{run_id}/publish", json={}, headers=coordinator))
    async with ab.pool.acquire() as conn:
        order = await conn.fetchrow(
            "SELECT id, state FROM run_remote_order WHERE run_id = $1", run_id
        )
        message = await conn.fetchrow(
            "SELECT payload FROM outbox_message WHERE kind = 'federation_order' AND run_id = $1",
            run_id,
        )
    assert order is not None
    assert order["state"] == "pending"
    assert message is not None
    sent = message["payload"]["body"]
    assert sent["lines"][0]["offer_id"] == offer_id
    assert sent["lines"][0]["packs"] == 3
    types = {node["@type"] for node in sent["order"]["@graph"]}
    assert {"dfc-b:Order", "dfc-b:OrderLine"} <= types
    # (an earlier test's published run has its order waiting too)
    assert set(await deliver_orders(ab)) == {"delivered"}
    async with ab.pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT state FROM run_remote_order WHERE run_id = $1", run_id)
            == "received"
        )
    async with ab.b_pool.acquire() as conn:
        stored = await conn.fetchrow(
            "SELECT producer_id, state FROM federation_order WHERE id = $1", order["id"]
        )
    assert stored is not None
    assert str(stored["producer_id"]) == ab.b_world.producer_id
    # the state came back: the run page shows it
    ab.client.cookies = await session_cookies(ab.pool, ab.a_world.coordinator)
    for language, word in (("sv", "mottagen"), ("en", "Orders sent to other deployments")):
        ab.client.cookies["samlast_lang"] = language
        page = await ab.client.get(f"/app/runs/{run_id}")
        assert page.status_code == 200, page.text
        assert 'data-order-state="received"' in page.text
        assert word in page.text, (language, word)
    ab.client.cookies.clear()
    # B's producer prints it in its pick list of the same delivery day
    b_run = await b_published_run(ab.b_client, ab.b_pool, ab.b_settings, ab.b_world)
    async with ab.b_pool.acquire() as conn:
        ordered = await conn.fetchval(
            "SELECT count(*) FROM federation_order_line l JOIN federation_order f "
            "ON f.id = l.order_id WHERE f.producer_id = $1::uuid",
            ab.b_world.producer_id,
        )
    assert ordered >= 1
    for language, words in (
        ("sv", ["Beställningar från andra Samlast-installationer", "Samlast Uppsala"]),
        ("en", ["Orders from peer deployments", ab.a_world.network["name"]]),
    ):
        sheet = await ab.b_client.get(
            f"/v1/runs/{b_run}/pick-lists.html",
            headers={**bearer(ab.b_world.producer), "Accept-Language": language},
        )
        assert sheet.status_code == 200, sheet.text
        assert sheet.text.count("data-peer-order>") == ordered  # this order's, and earlier ones'
        for word in words:
            assert word in sheet.text, (language, word)
    # a resend (a lost answer) gets the same answer and stores nothing more
    fed = await fed_of(ab.pool, ab.settings, ab.b_client)
    again = await fed.request("POST", B_URL, ORDERS, json=sent)
    assert again.status == 201, again.body
    assert body(again)["id"] == str(order["id"])
    changed = {**sent, "lines": [{**sent["lines"][0], "packs": 2}]}
    assert (await fed.request("POST", B_URL, ORDERS, json=changed)).status == 409
    async with ab.b_pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM federation_order_line WHERE order_id = $1", order["id"]
            )
            == 1
        )
    # another peer can't order A's holds, even under a new order id
    other_key = await new_key_of_a(ab.pool, ab.settings)
    await peer_a_on_b(ab.b_client, b_admin, ab.pool, other_key, name="Samlast Luleå")
    other = await signed_client(ab.pool, ab.settings, ab.b_client)
    assert other is not None
    assert other.key.key_id == other_key.key_id
    stolen = await other.request("POST", B_URL, ORDERS, json={**sent, "id": str(uuid.uuid4())})
    assert stolen.status == 404, stolen.body
    async with ab.pool.acquire() as conn:
        await peers_db.retire_own_key(conn, other_key.key_id)
    # unsigned: 401
    raw = json.dumps({**sent, "id": str(uuid.uuid4())}).encode()
    refused(
        await send(ab.b_client, "POST", ORDERS, {"Content-Type": "application/json"}, raw),
        "not signed",
    )


async def test_an_order_b_refuses_is_said_on_the_run_page_with_a_code_in_the_api(
    ab: Deployments,
) -> None:
    """B lets the hold go before A's order arrives (its producer released it by hand):
    B refuses the order, and A's run page says so in its language, quoting B."""
    _, _, run_id = await mirrored_run(ab, 20)
    await deliver_holds(ab)
    coordinator = bearer(ab.a_world.coordinator)
    await ok(await ab.client.post(f"/v1/runs/{run_id}/approve", json={}, headers=coordinator))
    await deliver_holds(ab)  # the confirmation
    await ok(await ab.client.post(f"/v1/runs/{run_id}/publish", json={}, headers=coordinator))
    async with ab.pool.acquire() as conn:
        hold_ids = await conn.fetch("SELECT hold_id FROM run_remote_hold WHERE run_id = $1", run_id)
    async with ab.b_pool.acquire() as conn:
        await conn.execute(
            "UPDATE federation_hold SET state = 'released' WHERE id = any($1::uuid[])",
            [row["hold_id"] for row in hold_ids],
        )
    assert "failed" not in await deliver_orders(ab)
    (order,) = await ok(await ab.client.get(f"/v1/runs/{run_id}/orders", headers=coordinator))
    assert (order["state"], order["reason_code"]) == ("refused", "refused")
    assert order["peer"] == "Samlast Gävleborg"
    assert order["reason"].startswith("the other deployment refused: “the hold ")
    assert "only confirmed holds can be ordered" in order["reason"]
    said = await hold_said(ab, run_id, "sv", "data-order-reason")
    assert said.startswith("refused: den andra installationen nekade: ”the hold "), said
    coop = bearer(ab.a_world.coop)  # not a coordinator
    assert (await ab.client.get(f"/v1/runs/{run_id}/orders", headers=coop)).status_code == 403


async def test_an_order_of_holds_not_confirmed_is_refused(
    b_client: Client,
    b_pool: Pool,
    b_world: World,
    a_key: tuple[SigningKey, str],
    pool: Pool,
    settings: Settings,
) -> None:
    offer_id = await b_offer(b_client, b_world)
    fed = await fed_of(pool, settings, b_client)
    asked = hold_body(offer_id, 2)
    assert (await fed.request("POST", B_URL, HOLDS, json=asked)).status == 201
    order: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "network": "Uppsala",
        "delivery_date": "2026-12-10",
        "lines": [{"hold_id": asked["id"], "offer_id": offer_id, "packs": 2}],
        "order": {"@graph": []},
    }
    held = await fed.request("POST", B_URL, ORDERS, json=order)
    assert held.status == 409, held.body
    assert "only confirmed holds" in body(held)["detail"]
    assert (await fed.request("POST", B_URL, f"{HOLDS}/{asked['id']}/confirm")).status == 200
    wrong = {**order, "lines": [{**order["lines"][0], "packs": 1}]}
    assert (await fed.request("POST", B_URL, ORDERS, json=wrong)).status == 409
    assert (await fed.request("POST", B_URL, ORDERS, json=order)).status == 201
    async with b_pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM federation_order WHERE id = $1::uuid", order["id"]
            )
            == 1
        )
        # B's audit trail: the hold, its confirmation and the order, each with the peer
        audited = await conn.fetch(
            "SELECT action, detail->>'peer_id' AS peer FROM audit_log "
            "WHERE object_id = any($1::text[]) ORDER BY at, action",
            [asked["id"], order["id"]],
        )
    assert [row["action"] for row in audited] == [
        "federation.hold",
        "federation.hold.confirm",
        "federation.order",
    ]
    assert {row["peer"] for row in audited} == {a_key[1]}


# -- the producer's page of peers' orders: B accepts, A's run page shows it ------------------


async def b_speaks_to_a(
    pool: Pool, settings: Settings, b_pool: Pool, b_settings: Settings, b_on_a: UUID, a_peer: str
) -> None:
    """B signs its requests to A with a key of its own, which A knows as B's; B's peer
    row for A points at A's public URL (what A checks signatures against)."""
    key = await new_key_of_a(b_pool, b_settings)
    async with b_pool.acquire() as conn:
        public = next(
            k.public_key
            for k in await federation_keys.published_keys(conn, with_retired=True)
            if k.key_id == key.key_id
        )
        await conn.execute(
            "UPDATE peer SET base_url = $2 WHERE id = $1::uuid", a_peer, settings.mail.public_url
        )
    async with pool.acquire() as conn:
        await peers_db.replace_peer_keys(conn, b_on_a, [(key.key_id, public)])


async def test_b_producer_sees_a_peer_order_with_no_run_of_its_own_and_accepts_it(
    ab: Deployments, a_key: tuple[SigningKey, str], b_admin: str
) -> None:
    _, _, run_id = await mirrored_run(ab, 20)  # 2 packs of 10
    await deliver_holds(ab)
    coordinator = bearer(ab.a_world.coordinator)
    await ok(await ab.client.post(f"/v1/runs/{run_id}/approve", json={}, headers=coordinator))
    await deliver_holds(ab)
    await ok(await ab.client.post(f"/v1/runs/{run_id}/publish", json={}, headers=coordinator))
    assert "delivered" in await deliver_orders(ab)
    async with ab.pool.acquire() as conn:
        order_id = await conn.fetchval("SELECT id FROM run_remote_order WHERE run_id = $1", run_id)
    async with ab.b_pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT state FROM federation_order WHERE id = $1", order_id)
            == "received"
        )
    # B's producer's page lists it, with no run of B's for that day needed
    ab.b_client.cookies = await session_cookies(ab.b_pool, ab.b_world.producer)
    for language, words in (
        ("sv", ["Beställningar från andra Samlast", "Samlast Uppsala", "mottagen"]),
        ("en", ["Orders from other Samlast", ab.a_world.network["name"], "Accept the order"]),
    ):
        ab.b_client.cookies["samlast_lang"] = language
        listed = await ab.b_client.get("/app/producer/peer-orders")
        assert listed.status_code == 200, listed.text
        assert f'data-peer-order="{order_id}"' in listed.text
        for word in words:
            assert word in listed.text, (language, word)
        assert "data-confirm=" in listed.text  # asked before it is done
    home = await ab.b_client.get("/app/producer")
    assert 'href="/app/producer/peer-orders"' in home.text
    origin = {"Origin": str(ab.b_client.base_url).rstrip("/")}
    # another producer of B neither sees nor accepts it
    other = await build_world(ab.b_client, b_admin, "Hälsingland")
    ab.b_client.cookies = await session_cookies(ab.b_pool, other.producer)
    theirs = await ab.b_client.get("/app/producer/peer-orders")
    assert theirs.status_code == 200
    assert str(order_id) not in theirs.text
    stolen = await ab.b_client.post(
        f"/app/producer/peer-orders/{order_id}/accept", headers=origin, follow_redirects=False
    )
    assert stolen.status_code == 404, stolen.text
    async with ab.b_pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT state FROM federation_order WHERE id = $1", order_id)
            == "received"
        )
    # the producer accepts; the state goes back to A, whose run page shows it
    ab.b_client.cookies = await session_cookies(ab.b_pool, ab.b_world.producer)
    accepted = await ab.b_client.post(
        f"/app/producer/peer-orders/{order_id}/accept", headers=origin, follow_redirects=False
    )
    assert accepted.status_code == 303, accepted.text
    again = await ab.b_client.post(
        f"/app/producer/peer-orders/{order_id}/accept", headers=origin, follow_redirects=False
    )
    assert again.status_code == 303  # accepted already: nothing more
    ab.b_client.cookies.clear()
    async with ab.b_pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT state FROM federation_order WHERE id = $1", order_id)
            == "accepted"
        )
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM outbox_message WHERE kind = 'federation_order_state' "
                "AND payload->>'order_id' = $1",
                str(order_id),
            )
            == 1
        )
    await b_speaks_to_a(ab.pool, ab.settings, ab.b_pool, ab.b_settings, ab.b_on_a, a_key[1])
    assert await deliver_states(ab) == ["delivered"]
    async with ab.pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT state FROM run_remote_order WHERE id = $1", order_id)
            == "accepted"
        )
    ab.client.cookies = await session_cookies(ab.pool, ab.a_world.coordinator)
    ab.client.cookies["samlast_lang"] = "sv"
    page = await ab.client.get(f"/app/runs/{run_id}")
    ab.client.cookies.clear()
    assert 'data-order-state="accepted"' in page.text
    assert "accepterad" in page.text
    # only the peer the order went to may set its state at A
    fed = await signed_client(ab.b_pool, ab.b_settings, ab.client)
    assert fed is not None
    path = f"{ORDERS}/{uuid.uuid4()}/state"
    unknown = await fed.request(
        "POST", ab.settings.mail.public_url, path, json={"state": "accepted"}
    )
    assert unknown.status == 404, unknown.body


async def test_the_pick_list_pdf_has_the_orders_from_peers(
    b_client: Client, b_pool: Pool, b_world: World, b_settings: Settings
) -> None:
    async with b_pool.acquire() as conn:
        ordered = await conn.fetchval(
            "SELECT count(*) FROM federation_order WHERE producer_id = $1::uuid",
            b_world.producer_id,
        )
    if not ordered:
        pytest.skip("needs the orders of the tests above")
    b_run = await b_published_run(b_client, b_pool, b_settings, b_world)
    b_client.cookies = await session_cookies(b_pool, b_world.producer)
    for language, word in (("sv", "Beställningar från andra"), ("en", "Orders from peer")):
        b_client.cookies["samlast_lang"] = language
        pdf = await b_client.get(f"/app/runs/{b_run}/pick-list.pdf")
        assert pdf.status_code == 200, pdf.text
        text = pdf_text(pdf.content)
        assert word in text, (language, text[:500])
        assert "Samlast Uppsala" in text
    b_client.cookies.clear()
