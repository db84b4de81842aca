"""The pages trading between deployments touches, as a volunteer sees them on a phone, in
Swedish then English, with a realistic amount of it: three peers (one read well with
items it skipped, one failing, one not chosen), a run whose holds are held, refused and
given up, its orders accepted, received and refused, and a note saying it was matched
again without a peer; a producer with orders from two peers, one accepted. Screenshots:
build/screenshots/fed-walk-*.png."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast
from uuid import UUID

import httpx
import pytest
from playwright.async_api import Browser, expect

from services.client import SamlastClient
from shared.db import holds as holds_db
from shared.db import orders_federation as orders_db
from shared.db.pool import Pool
from tests.support.browser import PHONE, csp_violations, require_chromium, shoot, sign_in
from tests.support.http import Client, bearer, ok
from tests.support.world import World, add_van, build_world, offer_body, proposed_run

require_chromium()

FAILED = {"message": "the request failed ({kind})", "values": {"kind": "ConnectError"}}
SAID = "inte tillräckligt många förpackningar lediga"  # a Swedish peer's own words
# (hold state, reason code, msgid, values), as the worker writes them
HOLDS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("confirmed", "", "", {}),
    ("refused", "refused", "the other deployment refused: “{said}”", {"said": SAID}),
    ("unreachable", "given_up", "{error}; given up", {"error": FAILED}),
)


async def _proposed_run(client: Client, world: World) -> tuple[dict[str, Any], list[str]]:
    """A run of the world's cycle, proposed, and three offers of its products."""
    await add_van(client, world)
    offers = []
    for product in [*world.products, next(iter(world.products))]:  # the first one twice
        body = offer_body(world, product)
        created = await client.post("/v1/offers", json=body, headers=bearer(world.producer))
        offers.append((await ok(created, 201))["id"])
    lines = [{"product_id": p["id"], "firm_quantity": 10} for p in world.products.values()]
    await SamlastClient(client, world.coop).submit_demand(world.cycle["id"], lines)
    run = await proposed_run(client, world)
    return run, offers


async def _peers(pool: Pool, world: World, tag: str) -> list[UUID]:
    """Gävleborg (chosen, read well, two items skipped), Dalarna (chosen, failing for a
    day), Västernorrland (not chosen)."""
    network_id = UUID(world.network["id"])
    async with pool.acquire() as conn, conn.transaction():
        ids = [
            await conn.fetchval(
                "INSERT INTO peer (name, base_url) VALUES ($1, $2) RETURNING id",
                name,
                f"https://{name.split()[-1].lower()}-{tag}.samlast.example.org",
            )
            for name in ("Samlast Gävleborg", "Samlast Dalarna", "Samlast Västernorrland")
        ]
        skipped = [
            {
                "item": "https://gavle.example.org/items/7",
                "name": "Äpplen, lösvikt",
                "reason": "left out by the request's `products`",
                "message": "left out by the request's `products`",
                "values": {},
            },
            {
                "item": "https://gavle.example.org/items/9",
                "name": "Mjölk 1 l",
                "reason": "a retail unit of 'Mjölk 12 l': it comes in that pack",
                "message": "a retail unit of {product!r}: it comes in that pack",
                "values": {"product": "Mjölk 12 l"},
            },
        ]
        await conn.execute(
            "INSERT INTO network_peer (network_id, peer_id, listed, skipped) "
            "VALUES ($1, $2, 12, $3), ($1, $4, 3, '[]')",
            network_id,
            ids[0],
            skipped,
            ids[1],
        )
        await conn.execute(
            "INSERT INTO peer_feed (peer_id, fetched_at, ok_at) VALUES ($1, now(), now())", ids[0]
        )
        await conn.execute(
            "INSERT INTO peer_feed (peer_id, fetched_at, ok_at, error, error_values) "
            "VALUES ($1, now(), now() - interval '1 day', $2, $3)",
            ids[1],
            FAILED["message"],
            FAILED["values"],
        )
    return ids


async def _holds_and_orders(
    pool: Pool, run: dict[str, Any], offers: list[str], peers: list[UUID]
) -> None:
    """The run's holds at Gävleborg, its orders (accepted, received, refused: one per
    producer, standing in for producers there), and a note on its history."""
    run_id = UUID(run["id"])
    async with pool.acquire() as conn, conn.transaction():
        producers = [
            await conn.fetchval(
                "INSERT INTO organisation (kind, name) VALUES ('producer', $1) RETURNING id",
                name,
            )
            for name in (
                "Ljusdals Gårdsmejeri",
                "Hälsinge Grönsaksodling ekonomisk förening",
                "Orsa Bageri",
            )
        ]
        for offer, (state, code, message, values) in zip(offers, HOLDS, strict=False):
            await conn.execute(
                "INSERT INTO remote_offer (offer_id, peer_id, remote_offer_id) "
                "VALUES ($1::uuid, $2, gen_random_uuid())",
                offer,
                peers[0],
            )
            await conn.execute(
                "INSERT INTO run_remote_hold (run_id, offer_id, peer_id, packs, state, reason, "
                "reason_code, reason_values) VALUES ($1, $2::uuid, $3, 4, $4, $5, $6, $7)",
                run_id,
                offer,
                peers[0],
                state,
                message,
                code,
                values,
            )
        for producer, peer, state, code, message, values in (
            (producers[0], peers[0], "accepted", "", "", {}),
            (producers[1], peers[0], "received", "", "", {}),
            (
                producers[2],
                peers[1],
                "refused",
                "refused",
                "the other deployment refused: “{said}”",
                {"said": "the hold 3f2a… is released: only confirmed holds can be ordered"},
            ),
        ):
            await conn.execute(
                "INSERT INTO run_remote_order (run_id, peer_id, producer_id, state, reason, "
                "reason_code, reason_values) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                "ON CONFLICT (run_id, producer_id) DO NOTHING",
                run_id,
                peer,
                producer,
                state,
                message,
                code,
                values,
            )
        await conn.execute(
            "INSERT INTO run_transition (run_id, from_state, to_state, note, note_code, "
            "note_values) VALUES ($1, 'proposed', 'superseded', $2, 'hold_refused', $3)",
            run_id,
            "{peer} refused to hold packs ({reason}): matched again without them",
            {
                "peer": "Samlast Gävleborg",
                "reason": {"message": HOLDS[1][2], "values": HOLDS[1][3]},
            },
        )


async def _peer_orders(pool: Pool, world: World, peers: list[UUID]) -> None:
    """Orders for the world's producer from two peers; Gävleborg's accepted."""
    async with pool.acquire() as conn, conn.transaction():
        offer_ids = await conn.fetch(
            "SELECT id FROM offer WHERE producer_id = $1::uuid ORDER BY id", world.producer_id
        )
        for n, (peer, network) in enumerate(
            ((peers[0], "Gävle matnät"), (peers[1], "Falu REKO-ring och matkasseförening"))
        ):
            order_id = uuid.uuid4()
            lines = []
            for row in offer_ids:
                hold_id = uuid.uuid4()
                await conn.execute(
                    "UPDATE offer SET packs_reserved = packs_reserved + 2 WHERE id = $1",
                    row["id"],
                )
                await holds_db.insert_hold(conn, hold_id, peer, row["id"], 2, 3600)
                assert await holds_db.confirm_hold(conn, hold_id, peer) is not None
                lines.append((hold_id, row["id"], 2))
            await orders_db.insert_order(
                conn,
                order_id,
                peer,
                UUID(world.producer_id),
                network,
                dt.date.today() + dt.timedelta(days=3 + n),
                {"@type": "dfc-b:Order"},
                lines,
            )
            if n == 0:
                await orders_db.accept_order(conn, order_id, None)


@pytest.mark.timeout(400)
async def test_a_volunteer_walks_the_federation_pages_on_a_phone(
    site: str, browser: Browser, admin_token: str, pool: Pool
) -> None:
    async with httpx.AsyncClient(base_url=site, timeout=30) as http:
        client = cast(Client, http)
        world = await build_world(client, admin_token)
        run, offers = await _proposed_run(client, world)
    peers = await _peers(pool, world, run["id"][:8])
    try:
        await _holds_and_orders(pool, run, offers, peers)
        await _peer_orders(pool, world, peers)
        await _walk(site, browser, pool, world, run, peers)
    finally:  # the peers are the deployment's, not the world's: other tests list them
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM peer WHERE id = any($1::uuid[])", peers)


async def _walk(
    site: str, browser: Browser, pool: Pool, world: World, run: dict[str, Any], peers: list[UUID]
) -> None:
    violations: list[Any] = []
    for locale, language in (("sv-SE", "sv"), ("en-GB", "en")):
        context = await browser.new_context(locale=locale, viewport=PHONE)
        violations += await csp_violations(context)
        page = await context.new_page()
        await sign_in(page, site, pool, world.coordinator)
        await page.goto(f"{site}/app/networks/{world.network['id']}/settings#peers")
        for peer in peers:  # (other tests' peers of this deployment are listed too)
            await expect(page.locator(f"[data-peer='{peer}']")).to_have_count(1)
        await shoot(page, f"fed-walk-{language}-1-peers")
        await page.goto(f"{site}/app/runs/{run['id']}")
        await expect(page.locator("[data-remote-holds] tbody tr")).to_have_count(3)
        await expect(page.locator("[data-remote-orders] tbody tr")).to_have_count(3)
        await expect(page.locator("[data-note='hold_refused']")).to_contain_text(
            "Samlast Gävleborg"
        )
        await shoot(page, f"fed-walk-{language}-2-run")
        await context.close()
        context = await browser.new_context(locale=locale, viewport=PHONE)
        page = await context.new_page()
        await sign_in(page, site, pool, world.producer)
        await page.goto(f"{site}/app/producer/peer-orders")
        await expect(page.locator("[data-peer-order]")).to_have_count(2)
        await shoot(page, f"fed-walk-{language}-3-producer-orders")
        await context.close()
    assert violations == []
