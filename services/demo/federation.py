"""The demo's second deployment: one purchase across two deployments (docs/federation.md).

Deployment B (its own database on the same PostgreSQL, its own API and worker) has a
network in Gävleborg whose producer sells sea-buckthorn juice and shares it with A. The
admins peer A and B both ways with each other's published keys (``GET /federation/v1/
keys``), A's peering naming A's hub as the hand-over point; A's demo network chooses B;
A's worker mirrors B's offer; A's coordinator opens a second cycle in which one co-op
orders the juice; A's run buys it from B's producer. Everything over the HTTP APIs, as
the walk does; waits are bounded and say what they waited for.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from services.client import SamlastClient
from services.demo.network import HUB

PRODUCT = {
    "name": "Havtornsjuice",
    "category": "",
    "unit": "l",
    "grams_per_unit": 1050,
    "ml_per_unit": 1100,
    "temperature": "chilled",
}
PRODUCER = {"name": "Hamrånge havtorn", "lat": 60.9420, "lon": 17.0390, "address": "Hamrånge 8"}
PACK_LITRES = 6
PACKS_ORDERED = 2
MIRROR_WAIT_S = 60.0  # A's poller reads a newly chosen peer within its 10 s tick
HOLD_WAIT_S = 20.0


class FederationDemoError(RuntimeError):
    """A step of the cross-deployment purchase did not happen in time, or went wrong."""


@dataclass
class Trade:
    """What the cross-deployment step did, for the demo to print."""

    peer_b: str = ""  # B's name at A
    cycle_id: str = ""
    run_id: str = ""
    product: str = str(PRODUCT["name"])
    producer: str = str(PRODUCER["name"])
    packs: int = 0
    pack_units: int = 0
    holds: list[str] = field(default_factory=list)  # "state (packs)" of run_remote_hold rows


async def trade_across(
    a: SamlastClient,
    a_coordinator: str,
    a_coop: str,
    a_network_id: str,
    b: SamlastClient,
    a_database_url: str,
) -> Trade:
    """Peer A (``a``: its admin) and B (``b``: its admin), and buy B's juice in a cycle of
    A's network. Raises FederationDemoError saying which step did not happen."""
    trade = Trade()
    a_base, b_base = str(a.http.base_url).rstrip("/"), str(b.http.base_url).rstrip("/")
    # -- B: a network, its coordinator, the product and a producer offering it ------------
    stamp = uuid.uuid4().hex[:4]
    network = await b.create_network(
        {
            "name": f"Gävleborg {stamp}",
            "region": "Gävleborg",
            "hub": {"lat": 60.6749, "lon": 17.1413, "address": "Stora torget, Gävle"},
        }
    )
    coordinator_org = await b.create_organisation(
        {"kind": "coordinator", "name": "Gävleborg samordning", "network_ids": [network["id"]]}
    )
    b_coordinator = b.as_(await b.issue_token(coordinator_org["id"], label="demo"))
    product = await b_coordinator.create_product(network["id"], PRODUCT)
    producer_org = await b_coordinator.create_organisation(
        {
            "kind": "producer",
            "name": PRODUCER["name"],
            "network_ids": [network["id"]],
            "location": {k: PRODUCER[k] for k in ("lat", "lon", "address")},
            "windows": [{"weekday": 4, "opens": "07:00:00", "closes": "17:00:00"}],
        }
    )
    producer = b.as_(await b_coordinator.issue_token(producer_org["id"], label="demo"))
    today = dt.date.today()
    await producer.post_offer(
        {
            "listings": [{"network_id": network["id"], "product_id": product["id"]}],
            "pack_units": PACK_LITRES,
            "packs_available": 20,
            "price_per_pack_ore": 15_000,
            "valid_from": today.isoformat(),
            "valid_until": (today + dt.timedelta(days=30)).isoformat(),
            "pickup": {k: PRODUCER[k] for k in ("lat", "lon", "address")},
            "pickup_windows": [{"opens": "07:00:00", "closes": "12:00:00"}],
        }
    )
    # -- peering both ways, with each other's published keys -----------------------------
    a_on_b = await b.call(
        "POST",
        "/v1/peers",
        json={"name": "Samlast Uppsala (A)", "base_url": a_base, "keys": await _keys(a)},
    )
    await producer.send("PUT", f"/v1/organisations/{producer_org['id']}/peers/{a_on_b['id']}")
    trade.peer_b = "Samlast Gävleborg (B)"
    b_on_a = await a.call(
        "POST",
        "/v1/peers",
        json={
            "name": trade.peer_b,
            "base_url": b_base,
            "keys": await _keys(b),
            "handover": HUB,  # B's goods are handed over at A's hub
        },
    )
    # -- A: the network lists the juice and chooses B; A's worker mirrors B's offer -------
    coordinator = a.as_(a_coordinator)
    a_product = await coordinator.create_product(a_network_id, PRODUCT)
    await coordinator.send("PUT", f"/v1/networks/{a_network_id}/peers/{b_on_a['id']}")
    await _wait_for_mirror(coordinator, a_network_id, b_on_a["id"])
    # -- a second cycle: one co-op orders the juice; the run buys it from B --------------
    now = dt.datetime.now(dt.UTC)
    cycle = await coordinator.open_cycle(
        a_network_id,
        {
            "opens_at": (now - dt.timedelta(minutes=5)).isoformat(),
            "closes_at": (now + dt.timedelta(days=2)).isoformat(),
            "delivery_date": (now + dt.timedelta(days=5)).date().isoformat(),
        },
    )
    trade.cycle_id = cycle["id"]
    coop = a.as_(a_coop)
    litres = PACKS_ORDERED * PACK_LITRES
    await coop.submit_demand(
        trade.cycle_id, [{"product_id": a_product["id"], "firm_quantity": litres, "tolerance": 0}]
    )
    await coordinator.close_cycle(trade.cycle_id)
    (run,) = await coordinator.runs(trade.cycle_id)
    trade.run_id = run["id"]
    async for _ in coordinator.run_events(trade.run_id, timeout=120):
        pass
    result = await coordinator.run_result(trade.run_id)
    if result["run"]["state"] != "proposed":
        raise FederationDemoError(
            f"A's run of the cross-deployment cycle ended {result['run']['state']}: "
            f"{result['run'].get('error')}"
        )
    mirrors = await _mirror_offers(a_database_url, b_on_a["id"])
    bought = [p for p in result["purchases"] if p["offer_id"] in mirrors]
    if not bought:
        left_out = result["run"].get("peers_left_out") or []
        raise FederationDemoError(
            f"A's run {trade.run_id} bought nothing from deployment B"
            + (f" (left out: {left_out})" if left_out else "")
        )
    trade.packs = sum(p["packs"] for p in bought)
    trade.pack_units = bought[0]["pack_units"]
    trade.holds = await _holds(a_database_url, trade.run_id)
    return trade


async def _keys(deployment: SamlastClient) -> list[dict[str, str]]:
    """The deployment's published signing keys, as a peer enters them."""
    published = await deployment.call("GET", "/federation/v1/keys")
    return [{"key_id": key["kid"], "public_key": key["x"]} for key in published["keys"]]


async def _wait_for_mirror(coordinator: SamlastClient, network_id: str, peer_id: str) -> None:
    deadline = time.monotonic() + MIRROR_WAIT_S
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        peers = await coordinator.call("GET", f"/v1/networks/{network_id}/peers")
        state = next((p for p in peers if p["peer_id"] == peer_id), {})
        if state.get("listed", 0) > 0 and state.get("reachable"):
            return
        await asyncio.sleep(1)
    raise FederationDemoError(
        f"A's worker did not list deployment B's offer within {MIRROR_WAIT_S:.0f} s "
        f"(feed state: error {state.get('error')!r}, skipped {state.get('skipped')!r}); "
        "see the worker's log"
    )


async def _mirror_offers(database_url: str, peer_id: str) -> set[str]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT offer_id::text FROM remote_offer WHERE peer_id = $1::uuid", peer_id
        )
    finally:
        await conn.close()
    return {row[0] for row in rows}


async def _holds(database_url: str, run_id: str) -> list[str]:
    """The run's holds at B, where this deployment asks for them (run_remote_hold): each
    one's state once it has left ``pending`` (or as it is after a bounded wait)."""
    conn = await asyncpg.connect(database_url)
    try:
        if await conn.fetchval("SELECT to_regclass('run_remote_hold') IS NULL"):
            return []
        deadline = time.monotonic() + HOLD_WAIT_S
        while True:
            rows = await conn.fetch(
                "SELECT state, packs FROM run_remote_hold WHERE run_id = $1::uuid ORDER BY hold_id",
                run_id,
            )
            settled = rows and all(row["state"] != "pending" for row in rows)
            if not rows or settled or time.monotonic() > deadline:
                return [f"{row['state']} ({row['packs']} packs)" for row in rows]
            await asyncio.sleep(0.5)
    finally:
        await conn.close()
