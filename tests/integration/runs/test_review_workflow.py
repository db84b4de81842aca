"""A coordinator reviews and publishes: state moves, history, comparison, exports, and
the signed webhooks a real worker delivers to a real local HTTP server."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from services.matcher.worker import build_worker
from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.http import Client, bearer, ok
from tests.support.world import World, add_coop, add_van, build_world, close_cycle, offer_body


@dataclass
class Receiver:
    """A webhook endpoint: answers 500 to the first ``failures`` posts, then 204."""

    url: str = ""
    failures: int = 0
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            state.received.append((dict(self.headers.items()), body))
            failing = len(state.received) <= state.failures
            self.send_response(500 if failing else 204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}/hooks/samlast"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


async def _drain(settings: Settings) -> None:
    worker = build_worker(settings, burst=True)
    try:
        await worker.main()
    finally:
        await worker.close()


async def _proposed(
    client: Client, world: World, settings: Settings
) -> tuple[dict[str, Any], str, str]:
    """A matched cycle: one offer, two co-ops' demand, a van. Its run, and the second
    co-op's id and token."""
    await add_van(client, world)
    await ok(
        await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)),
        201,
    )
    other_id, other_token = await add_coop(client, world)
    carrots = world.products["Morötter"]["id"]
    for token, units in ((world.coop, 14), (other_token, 6)):
        await ok(
            await client.post(
                f"/v1/cycles/{world.cycle['id']}/demand-rounds",
                json={"lines": [{"product_id": carrots, "firm_quantity": units}]},
                headers=bearer(token),
            ),
            201,
        )
    run = await close_cycle(client, world)
    await _drain(settings)
    return run, other_id, other_token


async def test_approve_compare_publish_and_the_parties_see_their_part(
    client: Client, admin_token: str, settings: Settings, pool: Pool, receiver: Receiver
) -> None:
    world = await build_world(client, admin_token)
    coordinator = bearer(world.coordinator)
    first, other_id, other_coop = await _proposed(client, world, settings)
    base = f"/v1/runs/{first['id']}"

    # before publishing, producers and co-ops see nothing of the run
    for token, document in ((world.producer, "pick-lists"), (world.coop, "delivery-notes")):
        hidden = await client.get(f"{base}/{document}", headers=bearer(token))
        assert hidden.status_code == 404, hidden.text

    # a re-run leaving the second co-op out, and what changed
    second = await ok(
        await client.post(
            f"/v1/cycles/{world.cycle['id']}/runs",
            json={"exclude_coops": [other_id]},
            headers=coordinator,
        ),
        201,
    )
    await _drain(settings)
    diff = await ok(
        await client.get(f"/v1/runs/{second['id']}/compare/{first['id']}", headers=coordinator)
    )
    before, after, change = diff["figures_before"], diff["figures_after"], diff["change"]
    # 14 alone buys one 10-unit pack: 4 more would need tolerance for the rest of a second
    assert (before["firm_units_filled"], after["firm_units_filled"]) == (20, 10)
    assert change["firm_units_filled"] == -10
    assert change["packs_bought"] == after["packs_bought"] - before["packs_bought"] < 0
    moved = {(line["units_before"], line["units_after"]) for line in diff["lines_moved"]}
    assert moved == {(6, 0), (14, 10)}  # the excluded co-op's line, and the other's
    assert diff["before"]["state"] == "superseded"

    # back to the first run's shape: match again with nobody left out, approve it
    third = await ok(
        await client.post(f"/v1/cycles/{world.cycle['id']}/runs", json={}, headers=coordinator),
        201,
    )
    await _drain(settings)
    base = f"/v1/runs/{third['id']}"
    publish_early = await client.post(base + "/publish", headers=coordinator)
    assert publish_early.status_code == 409, publish_early.text
    assert "the run is proposed" in publish_early.json()["detail"]
    approved = await ok(await client.post(base + "/approve", headers=coordinator))
    assert approved["state"] == "approved"
    again = await client.post(base + "/approve", json={"note": "twice"}, headers=coordinator)
    assert again.status_code == 409
    rerun = await client.post(f"/v1/cycles/{world.cycle['id']}/runs", json={}, headers=coordinator)
    assert rerun.status_code == 409, rerun.text  # reject the approved run first
    assert "reject it" in rerun.json()["detail"]

    # webhooks: the endpoint fails the first two posts, then answers
    secrets = {}
    parties = ((world.producer_id, world.producer), (world.coop_id, world.coop))
    for organisation_id, token in parties:
        created = await ok(
            await client.put(
                f"/v1/organisations/{organisation_id}/webhook",
                json={"url": receiver.url},
                headers=bearer(token),
            )
        )
        assert created["secret"].startswith("whsec_")
        secrets[organisation_id] = created["secret"]
    receiver.failures = 2

    published = await ok(
        await client.post(base + "/publish", json={"note": "ser bra ut"}, headers=coordinator)
    )
    assert published["state"] == "published"
    cycle = await ok(await client.get(f"/v1/cycles/{world.cycle['id']}", headers=coordinator))
    assert cycle["state"] == "published"
    history = await ok(await client.get(base + "/history", headers=coordinator))
    assert [(h["from_state"], h["to_state"]) for h in history] == [
        ("proposed", "approved"),
        ("approved", "published"),
    ]
    assert history[1]["note"] == "ser bra ut"
    assert history[1]["actor"] == "Samordnare"

    fast = settings.replace(**{"webhooks.allow_private": True, "webhooks.retry_base_s": 0.05})
    await _drain(fast)
    by_party: dict[str, list[tuple[dict[str, str], bytes]]] = {}
    for headers, body in receiver.received:
        payload = json.loads(body)
        organisation_id = payload["data"]["organisation_id"]
        # what a receiver does: verify with its secret and the reference library
        assert Webhook(secrets[organisation_id]).verify(body, headers) == payload
        by_party.setdefault(organisation_id, []).append((headers, body))
    assert set(by_party) == {world.producer_id, world.coop_id}
    attempts = sum(len(posts) for posts in by_party.values())
    assert attempts == 4  # two failures, then one delivery each
    for posts in by_party.values():
        assert len({headers["webhook-id"] for headers, _ in posts}) == 1  # same id on retries
    producer_event = json.loads(by_party[world.producer_id][-1][1])
    assert producer_event["type"] == "run.published"
    assert producer_event["data"]["documents"]["json"] == f"{base}/pick-lists"
    recorded = []
    for organisation_id, token in parties:
        hooks = await ok(
            await client.get(f"/v1/organisations/{organisation_id}/webhook", headers=bearer(token))
        )
        assert hooks["url"] == receiver.url
        recorded += [(d["state"], d["attempts"], d["last_status"]) for d in hooks["deliveries"]]
    assert sorted(state for state, _, _ in recorded) == ["delivered", "delivered"]
    assert sum(attempts for _, attempts, _ in recorded) == 4
    assert {status for _, _, status in recorded} == {204}

    # published: each producer and co-op sees its own part, and only that
    picks = await ok(await client.get(base + "/pick-lists", headers=bearer(world.producer)))
    assert {(pick["producer_id"], pick["units"]) for pick in picks} == {
        (world.producer_id, 14),
        (world.producer_id, 6),
    }
    notes = await ok(await client.get(base + "/delivery-notes", headers=bearer(world.coop)))
    assert [note["coop_id"] for note in notes] == [world.coop_id]
    everyone = await ok(await client.get(base + "/delivery-notes", headers=coordinator))
    assert len(everyone) == 2
    own_csv = await client.get(base + "/delivery-notes.csv", headers=bearer(other_coop))
    assert "Matkassen Luthagen" not in own_csv.text
    assert "Matkassen Svartbäcken" in own_csv.text

    # exports
    exported = await client.get(base + "/allocations.csv", headers=coordinator)
    allocations = list(csv.DictReader(io.StringIO(exported.text)))
    assert sum(int(row["units"]) for row in allocations) == 20
    shares = await ok(await client.get(base + "/cost-shares", headers=coordinator))
    plan = published["routing"]["proposed"]
    routes = await ok(
        await client.get(base + "/routes", params={"plan": plan}, headers=coordinator)
    )
    for route in routes["routes"]:
        paid = sum(s["share_ore"] for s in shares if s["route_id"] == route["id"])
        assert paid + route["unshared_ore"] == route["cost_ore"]
    shares_csv = (await client.get(base + "/cost-shares.csv", headers=coordinator)).text
    assert shares_csv.splitlines()[0].startswith("route_id,route_no,organisation_id")
    assert len(shares_csv.splitlines()) == 1 + len(shares)

    # a published run is final
    late = await client.post(base + "/reject", json={"reason": "för sent"}, headers=coordinator)
    assert late.status_code == 409


async def test_rejecting_releases_the_packs_and_the_cycle_can_be_matched_again(
    client: Client, admin_token: str, settings: Settings, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    coordinator = bearer(world.coordinator)
    run, _, _ = await _proposed(client, world, settings)
    base = f"/v1/runs/{run['id']}"
    async with pool.acquire() as conn:
        reserved = await conn.fetchval(
            "SELECT sum(packs_reserved) FROM offer WHERE producer_id = $1::uuid", world.producer_id
        )
    assert reserved == 2

    missing_reason = await client.post(base + "/reject", json={}, headers=coordinator)
    assert missing_reason.status_code == 400, missing_reason.text
    assert "reason" in missing_reason.text
    await ok(await client.post(base + "/approve", json={"note": "ok"}, headers=coordinator))
    rejected = await ok(
        await client.post(base + "/reject", json={"reason": "fel datum"}, headers=coordinator)
    )
    assert rejected["state"] == "rejected"
    async with pool.acquire() as conn:
        reserved = await conn.fetchval(
            "SELECT sum(packs_reserved) FROM offer WHERE producer_id = $1::uuid", world.producer_id
        )
        audited = await conn.fetch(
            "SELECT action, detail FROM audit_log WHERE object_id = $1 AND action LIKE 'run.%'"
            " ORDER BY id",
            run["id"],
        )
    assert reserved == 0
    assert [row["action"] for row in audited] == ["run.approved", "run.rejected"]
    assert audited[1]["detail"] == {"from": "approved", "note": "fel datum"}
    history = await ok(await client.get(base + "/history", headers=coordinator))
    assert history[-1]["note"] == "fel datum"
    again = await client.post(f"/v1/cycles/{world.cycle['id']}/runs", json={}, headers=coordinator)
    assert again.status_code == 201, again.text


async def test_a_webhook_to_a_private_address_is_refused_without_retries(
    client: Client, admin_token: str, settings: Settings, pool: Pool, receiver: Receiver
) -> None:
    world = await build_world(client, admin_token)
    coordinator = bearer(world.coordinator)
    run, _, _ = await _proposed(client, world, settings)
    await ok(
        await client.put(
            f"/v1/organisations/{world.coop_id}/webhook",
            json={"url": receiver.url},
            headers=bearer(world.coop),
        )
    )
    base = f"/v1/runs/{run['id']}"
    await ok(await client.post(base + "/approve", headers=coordinator))
    await ok(await client.post(base + "/publish", headers=coordinator))
    await _drain(settings)  # the default: loopback and private addresses refused
    assert receiver.received == []
    hooks = await ok(
        await client.get(f"/v1/organisations/{world.coop_id}/webhook", headers=bearer(world.coop))
    )
    (delivery,) = hooks["deliveries"]
    assert (delivery["state"], delivery["attempts"]) == ("failed", 1)
    assert "private address" in delivery["last_error"]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.org/hook", "http(s)"),
        ("https://user:pw@example.org/hook", "credentials"),
        ("https:///nohost", "host"),
        ("https://example.org:99999/", "not a URL"),
    ],
)
async def test_a_bad_webhook_url_is_refused_naming_the_problem(
    client: Client, admin_token: str, url: str, problem: str
) -> None:
    world = await build_world(client, admin_token)
    response = await client.put(
        f"/v1/organisations/{world.coop_id}/webhook", json={"url": url}, headers=bearer(world.coop)
    )
    assert response.status_code == 400, response.text
    assert problem in response.text


async def test_a_rerun_can_leave_a_vehicle_out_of_the_routes(
    client: Client, admin_token: str, settings: Settings
) -> None:
    world = await build_world(client, admin_token)
    coordinator = bearer(world.coordinator)
    first, _, _ = await _proposed(client, world, settings)
    assert first  # planned with the network's one van
    (van,) = await ok(
        await client.get(f"/v1/networks/{world.network['id']}/vehicles", headers=coordinator)
    )
    again = await ok(
        await client.post(
            f"/v1/cycles/{world.cycle['id']}/runs",
            json={"exclude_vehicles": [van["id"]]},
            headers=coordinator,
        ),
        201,
    )
    assert again["exclude_vehicles"] == [van["id"]]
    await _drain(settings)
    run = await ok(await client.get(f"/v1/runs/{again['id']}", headers=coordinator))
    assert run["summary"]["firm_units_filled"] == 20  # the allocation does not change
    assert run["routing"]["joint"]["routes"] == 0  # no van left to plan with
    assert run["routing"]["unserved"] == run["routing"]["shipments"] > 0
