"""Outbound webhook delivery, attacked through real receivers and a real worker.

A receiver's name that rebinds to loopback after the lookup, loopback hidden in IPv6
forms, receivers that drip or flood their answers or try to read them back through
``last_error``, eight of them against another network's matching, and the signing
secret, which is stored only sealed and survives key rotation. Each test asserts what
the victim (the deployment's own network, the other network, the receiver) observes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import subprocess
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from standardwebhooks.webhooks import Webhook

from infra.devservers import ServerUrls, scratch_database
from infra.processes import samlast_argv, samlast_process
from services.api.app import create_app
from services.api.webhooks.service import new_secret
from services.matcher import worker as worker_module
from services.matcher.adapters.outbound import new_client
from shared.db.migrate import load_migrations, migrate
from shared.db.pool import Conn, Pool
from shared.queue import connect_queue, enqueue_message, outbox_queue_name
from shared.security.sealing import Sealer, SealingError, new_key
from shared.settings import Settings, load_settings
from tests.support.figures import Figures
from tests.support.http import Client, bearer, ok
from tests.support.receivers import (
    Receiver,
    dripping,
    eventually,
    free_port_on,
    huge,
    receiving,
    tls_for,
)
from tests.support.security import tables_holding
from tests.support.workers import drain, serving
from tests.support.world import (
    World,
    add_coop,
    add_van,
    build_world,
    close_cycle,
    offer_body,
    order,
)

PRIVATE = "refused: the host resolves to a private address"
MB = 1024 * 1024


# -- the pieces every test uses ----------------------------------------------------------


class Resolver:
    """Made-up names (under ``.test``) answer what a test says, lookup by lookup (the last
    answer repeats), for our code and for any HTTP client that would look again."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.lookups: Counter[str] = Counter()

    def answer(self, name: str, *lookups: list[str]) -> None:
        self.answers[name] = list(lookups)

    def addresses(self, name: str) -> list[str]:
        self.lookups[name] += 1
        rounds = self.answers[name]
        return rounds[min(self.lookups[name], len(rounds)) - 1]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Resolver:
    resolver = Resolver()
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in resolver.answers:
            return real(host, port, *args, **kwargs)
        return [
            info
            for address in resolver.addresses(name)
            for info in real(address, port, *args, **kwargs)
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return resolver


@pytest.fixture
async def own_queue(settings: Settings, pool: Pool) -> AsyncIterator[tuple[Settings, Client]]:
    """Settings and an API client on a queue of the test's own: a retry deferred for an
    hour, left by this test or any other, keeps every burst worker on its queue waiting."""
    own = settings.replace(
        **{"redis.queue_name": f"{settings.redis.queue_name}-{secrets.token_hex(3)}"}
    )
    async with AsyncTestClient(app=create_app(own)) as client:
        yield own, client
    queue = await connect_queue(own)
    try:
        await queue.delete(own.redis.queue_name, outbox_queue_name(own.redis.queue_name))
    finally:
        await queue.aclose()


@dataclass
class Party:
    organisation_id: str
    token: str


async def _closed_run(
    client: Client, admin_token: str, coops: int
) -> tuple[World, dict[str, Any], list[Party]]:
    """A network whose closed cycle's run will owe a webhook to its producer and each of
    ``coops`` co-ops (10 carrots each); the run is matched by whichever worker runs."""
    world, parties = await _network(client, admin_token, coops)
    return world, await close_cycle(client, world), parties


async def _network(client: Client, admin_token: str, coops: int) -> tuple[World, list[Party]]:
    """A network with an open cycle: a producer's offer and ``coops`` co-ops' demand."""
    world = await build_world(client, admin_token)
    await add_van(client, world)
    await ok(
        await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)),
        201,
    )
    parties = [Party(world.producer_id, world.producer), Party(world.coop_id, world.coop)]
    for _ in range(coops - 1):
        parties.append(Party(*await add_coop(client, world)))
    carrots = world.products["Morötter"]["id"]
    for coop in parties[1:]:
        await order(
            client, world.cycle["id"], coop.token, [{"product_id": carrots, "firm_quantity": 10}]
        )
    return world, parties


async def _set_webhook(client: Client, party: Party, url: str) -> str:
    answer = await client.put(
        f"/v1/organisations/{party.organisation_id}/webhook",
        json={"url": url},
        headers=bearer(party.token),
    )
    assert "no-store" in answer.headers.get("cache-control", "")  # no cache keeps the secret
    secret: str = (await ok(answer))["secret"]
    return secret


async def _approve_and_publish(client: Client, world: World, run: dict[str, Any]) -> None:
    coordinator = bearer(world.coordinator)
    await ok(await client.post(f"/v1/runs/{run['id']}/approve", headers=coordinator))
    await ok(await client.post(f"/v1/runs/{run['id']}/publish", headers=coordinator))


async def _delivery(client: Client, party: Party) -> dict[str, Any]:
    """The party's one delivery, as the party itself reads it through the API."""
    hooks = await ok(
        await client.get(
            f"/v1/organisations/{party.organisation_id}/webhook", headers=bearer(party.token)
        )
    )
    (delivery,) = hooks["deliveries"]
    return dict(delivery)


async def _attempted(pool: Pool, run_id: str) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return await conn.fetch(
            "SELECT organisation_id, state, attempts, claimed_until FROM outbox_message"
            " WHERE run_id = $1::uuid",
            run_id,
        )


async def _all_attempted(pool: Pool, run_id: str, count: int) -> bool:
    rows = await _attempted(pool, run_id)
    return len(rows) == count and all(row["attempts"] >= 1 for row in rows)


# -- class 4: outbound calls can't be turned against us ----------------------------------


async def test_a_name_rebound_to_loopback_after_the_lookup_reaches_only_the_address_looked_up(
    admin_token: str, own_queue: tuple[Settings, Client], dns: Resolver, figures: Figures
) -> None:
    """The receiver's name answers 127.0.0.2 on the first lookup and 127.0.0.1 (the
    deployment's own services) on every later one. The delivery goes to the first
    answer: nothing looks the name up again. Private addresses are allowed here so the
    first answer passes the check; the next test shows the check itself."""
    settings, client = own_queue
    port = free_port_on("127.0.0.2", "127.0.0.1")
    world, run, (producer, *_) = await _closed_run(client, admin_token, coops=1)
    await drain(settings)
    with (
        receiving(host="127.0.0.2", port=port) as receiver,
        receiving(host="127.0.0.1", port=port) as victim,
    ):
        dns.answer("hooks.rebind.test", ["127.0.0.2"], ["127.0.0.1"])
        await _set_webhook(client, producer, receiver.url("hooks.rebind.test"))
        await _approve_and_publish(client, world, run)
        await drain(settings.replace(**{"webhooks.allow_private": True}))
    assert victim.received == []
    ((headers, _),) = receiver.received
    assert headers["host"] == f"hooks.rebind.test:{port}"  # sent as the name, to the address
    assert dns.lookups["hooks.rebind.test"] == 1
    assert (await _delivery(client, producer))["state"] == "delivered"
    figures.record(
        "security: outbound class 4 (rebinding)",
        "a name answering 127.0.0.2, then 127.0.0.1 on every later lookup: looked up once, "
        "delivered to 127.0.0.2 with its Host name; 0 requests reached 127.0.0.1",
    )


LOOPBACK_FORMS = [
    ("literal", None, "::ffff:127.0.0.1"),  # in the URL itself: no DNS needed
    ("mapped.test", ["::ffff:127.0.0.1"], None),
    ("nat64.test", ["64:ff9b::7f00:1"], None),
    ("compatible.test", ["::127.0.0.1"], None),
    ("sixtofour.test", ["2002:7f00:1::1"], None),
    ("plain.test", ["127.0.0.1"], None),
    ("metadata.test", ["169.254.169.254"], None),
    ("mixed.test", ["93.184.215.14", "127.0.0.1"], None),  # one public answer excuses none
]


async def test_loopback_in_any_form_is_refused_before_anything_is_sent(
    admin_token: str, own_queue: tuple[Settings, Client], dns: Resolver, figures: Figures
) -> None:
    settings, client = own_queue
    world, run, parties = await _closed_run(client, admin_token, coops=len(LOOPBACK_FORMS) - 1)
    await drain(settings)
    with receiving(host="127.0.0.1") as victim:
        for party, (name, answers, literal) in zip(parties, LOOPBACK_FORMS, strict=True):
            if answers is not None:
                dns.answer(name, answers)
            await _set_webhook(client, party, victim.url(literal or name))
        await _approve_and_publish(client, world, run)
        await drain(settings)  # the default: only public addresses
    assert victim.received == []
    deliveries = [await _delivery(client, party) for party in parties]
    for delivery in deliveries:
        assert (delivery["state"], delivery["attempts"]) == ("failed", 1)  # not retried
        assert delivery["last_error"] == PRIVATE
    figures.record(
        "security: outbound class 4 (addresses)",
        f"{len(LOOPBACK_FORMS)} URLs reaching loopback or metadata (::ffff: literal and by "
        "name, 64:ff9b::, ::a.b.c.d, 2002::, 127.0.0.1, 169.254.169.254, public+loopback): "
        "all refused at the first attempt, 0 requests reached the loopback receiver",
    )


async def test_https_is_verified_for_the_name_while_connecting_to_the_checked_address(
    admin_token: str,
    own_queue: tuple[Settings, Client],
    pool: Pool,
    dns: Resolver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Connecting to the address, not the name, must not weaken TLS: the certificate is
    checked for the name in the URL, so a certificate for another name is refused."""
    settings, client = own_queue
    server_tls, client_tls = tls_for("hooks.tls.test", tmp_path)

    monkeypatch.setattr(worker_module, "new_client", lambda: new_client(verify=client_tls))
    world, run, (producer, coop) = await _closed_run(client, admin_token, coops=1)
    await drain(settings)
    with receiving(host="127.0.0.2", tls=server_tls) as receiver:
        dns.answer("hooks.tls.test", ["127.0.0.2"])
        dns.answer("other.tls.test", ["127.0.0.2"])
        await _set_webhook(client, producer, receiver.url("hooks.tls.test"))
        await _set_webhook(client, coop, receiver.url("other.tls.test"))
        await _approve_and_publish(client, world, run)
        allow = settings.replace(**{"webhooks.allow_private": True, "webhooks.retry_base_s": 3600})
        async with serving(allow):
            await eventually(lambda: _all_attempted(pool, run["id"], 2), "both attempts")
    ((headers, _),) = receiver.received
    assert headers["host"] == f"hooks.tls.test:{receiver.port}"
    assert (await _delivery(client, producer))["state"] == "delivered"
    refused = await _delivery(client, coop)
    assert refused["state"] == "pending"
    assert refused["last_error"].startswith("could not connect: TLS failed")


async def test_eight_dripping_receivers_do_not_delay_another_networks_run(
    admin_token: str,
    own_queue: tuple[Settings, Client],
    settings_env: dict[str, str],
    pool: Pool,
    tmp_path: Path,
    figures: Figures,
) -> None:
    """One network's eight receivers drip their answers a byte at a time; meanwhile
    another network closes its cycle. Its run is matched while all eight deliveries
    are still hanging: they hold outbox slots only (and no database transaction)."""
    settings, client = own_queue
    env = {
        **settings_env,
        "SAMLAST_QUEUE_NAME": settings.redis.queue_name,
        "SAMLAST_WEBHOOK_ALLOW_PRIVATE": "true",
        "SAMLAST_WEBHOOK_TIMEOUT_S": "300",  # the drips outlast the other run by far
    }
    dripping_world, dripping_run, parties = await _closed_run(client, admin_token, coops=7)
    other_world, _ = await _network(client, admin_token, coops=1)
    with (
        receiving(dripping) as receiver,
        samlast_process(["worker"], env, tmp_path / "worker.log"),
    ):
        await eventually(
            lambda: _run_state(client, dripping_world, dripping_run["id"], "proposed"),
            "the dripping network's run",
        )
        for party in parties:
            await _set_webhook(client, party, receiver.url())
        await _approve_and_publish(client, dripping_world, dripping_run)
        await eventually(lambda: receiver.answering == 8, "eight hanging deliveries")

        other_run = await close_cycle(client, other_world)
        await eventually(
            lambda: _run_state(client, other_world, other_run["id"], "proposed"),
            "the other network's run",
        )
        hanging = receiver.answering
        held = await _attempted(pool, dripping_run["id"])
        async with pool.acquire() as conn:
            open_transactions = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name ="
                " 'samlast-matcher' AND state LIKE 'idle in transaction%'"
            )
        receiver.release.set()
        await eventually(
            lambda: _all_attempted(pool, dripping_run["id"], 8), "the released deliveries"
        )
    assert hanging == 8
    assert receiver.hung_up == 0
    assert [(row["attempts"], row["claimed_until"] is not None) for row in held] == [(0, True)] * 8
    assert open_transactions == 0
    done = await _attempted(pool, dripping_run["id"])
    assert {(row["state"], row["attempts"]) for row in done} == {("delivered", 1)}
    figures.record(
        "security: outbound class 4 (slots)",
        "8 receivers dripping their answers, 8 of 8 outbox slots held, 0 matcher "
        "transactions open: another network's run was proposed meanwhile; the 8 were "
        "then delivered, 1 attempt each",
    )


async def _run_state(client: Client, world: World, run_id: str, state: str) -> bool:
    run = await ok(await client.get(f"/v1/runs/{run_id}", headers=bearer(world.coordinator)))
    assert run["state"] in ("queued", "running", state), run
    return bool(run["state"] == state)


# -- class 3: at most a few KB of the receiver's answer ---------------------------------


async def test_a_dripping_or_flooding_receiver_is_cut_off(
    admin_token: str, own_queue: tuple[Settings, Client], pool: Pool, figures: Figures
) -> None:
    settings, client = own_queue
    world, run, (producer, coop) = await _closed_run(client, admin_token, coops=1)
    await drain(settings)
    flood = huge(200, "OK", 50 * MB, b"0123456789")
    with receiving(dripping) as drip, receiving(flood) as flooding:
        await _set_webhook(client, producer, drip.url())
        await _set_webhook(client, coop, flooding.url())
        await _approve_and_publish(client, world, run)
        short = settings.replace(
            **{
                "webhooks.allow_private": True,
                "webhooks.timeout_s": 1.0,
                "webhooks.retry_base_s": 3600,
            }
        )
        async with serving(short):
            await eventually(lambda: _all_attempted(pool, run["id"], 2), "both attempts")
            await eventually(lambda: drip.hung_up == flooding.hung_up == 1, "both hung up on")
        dripped_until_released = not drip.release.is_set()
    assert dripped_until_released  # cut off by the deadline, not by the receiver
    cut = await _delivery(client, producer)
    assert (cut["state"], cut["attempts"], cut["last_status"]) == ("pending", 1, None)
    assert cut["last_error"] == "no answer within 1 s"
    flooded = await _delivery(client, coop)
    assert (flooded["state"], flooded["last_status"]) == ("delivered", 200)
    assert flooding.bytes_sent < 50 * MB // 4  # what the socket buffers held, not the answer
    figures.record(
        "security: outbound class 3 (answers read)",
        f"a receiver dripping its headers: cut off at the 1 s deadline, retried later; "
        f"a 50 MB answer: delivered on its status, the receiver hung up on after "
        f"{flooding.bytes_sent / MB:.1f} MB left its side (socket buffers; 4 KiB read)",
    )


# -- class 11: last_error holds a status and our words ----------------------------------


async def test_last_error_shows_no_body_reason_phrase_or_address(
    admin_token: str,
    own_queue: tuple[Settings, Client],
    pool: Pool,
    dns: Resolver,
    figures: Figures,
) -> None:
    """What an organisation could use to read an internal service through its webhook:
    the body, the reason phrase and the address it reached. None of it comes back."""
    settings, client = own_queue
    leak = huge(500, "root:x:0:0 SECRET-REASON", 100_000, b"SECRET-BODY 10.0.0.7 ")
    world, run, (producer, coop) = await _closed_run(client, admin_token, coops=1)
    await drain(settings)
    with receiving(leak, host="127.0.0.1") as internal:
        closed_port = free_port_on("127.0.0.3")
        dns.answer("hooks.gone.test", ["127.0.0.3"])
        await _set_webhook(client, producer, internal.url())
        await _set_webhook(client, coop, f"http://hooks.gone.test:{closed_port}/hook")
        await _approve_and_publish(client, world, run)
        allow = settings.replace(**{"webhooks.allow_private": True, "webhooks.retry_base_s": 3600})
        async with serving(allow):
            await eventually(lambda: _all_attempted(pool, run["id"], 2), "both attempts")
    answered, unreachable = await _delivery(client, producer), await _delivery(client, coop)
    assert (answered["last_status"], answered["last_error"]) == (
        500,
        "answered 500 (Internal Server Error)",
    )
    assert (unreachable["last_status"], unreachable["last_error"]) == (None, "could not connect")
    async with pool.acquire() as conn:
        stored = await conn.fetch(
            "SELECT last_error FROM outbox_message WHERE run_id = $1::uuid", run["id"]
        )
    leaks = ("SECRET", "root:", "10.0.0.7", "127.0.0", str(closed_port))
    for text in [row["last_error"] for row in stored]:
        for leaked in leaks:
            assert leaked not in text
    figures.record(
        "security: outbound class 11 (last_error)",
        "a 500 whose body and reason phrase carry secrets, and a refused connection: "
        'last_error is "answered 500 (Internal Server Error)" and "could not connect"; '
        f"{len(leaks)} leak markers (body, reason phrase, addresses, port) found: 0",
    )


# -- class 7: the signing secret is sealed at rest and rotates ---------------------------


async def test_the_signing_secret_is_stored_nowhere_in_plain_text(
    client: Client, admin_token: str, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    coop = Party(world.coop_id, world.coop)
    secret = await _set_webhook(client, coop, "https://hooks.example.org/samlast")
    async with pool.acquire() as conn:
        found = await tables_holding(conn, secret, base64.b64decode(secret.removeprefix("whsec_")))
        sealed = await conn.fetchrow(
            "SELECT webhook_secret, webhook_secret_sealed FROM organisation WHERE id = $1",
            UUID(coop.organisation_id),
        )
    assert found == [], f"the signing secret is stored in {found}"
    assert sealed is not None
    assert sealed["webhook_secret"] is None
    assert len(sealed["webhook_secret_sealed"]) > len(secret)


@pytest.fixture
def upgraded_database(servers: ServerUrls) -> Iterator[str]:
    with scratch_database(servers.database_url, "samlast_rotation") as url:
        yield url


async def test_migrate_seals_old_secrets_and_rotation_keeps_deliveries_verifiable(
    upgraded_database: str, settings_env: dict[str, str], figures: Figures
) -> None:
    """A deployment upgraded from plain-text secrets: `samlast migrate` seals them, a new
    key goes first and `samlast rotate-secrets` re-seals; with the old key gone, the
    receiver still verifies the delivery with the secret it was shown."""
    old_key, new = new_key(), new_key()
    env = {
        **settings_env,
        "DATABASE_URL": upgraded_database,
        "SAMLAST_QUEUE_NAME": settings_env["SAMLAST_QUEUE_NAME"] + "-rotation",
    }
    secret = new_secret()
    link_secret = "plain-join-secret-" + secrets.token_urlsafe(12)
    with receiving() as receiver:
        organisation_id = await _org_from_before_sealing(upgraded_database, receiver, secret)
        network_id = await _join_link_from_before_sealing(upgraded_database, link_secret)
        migrated = _samlast(env | {"SAMLAST_SECRET_KEYS": old_key}, "migrate")
        conn = await asyncpg.connect(upgraded_database)
        try:
            found = await tables_holding(
                conn, secret, base64.b64decode(secret.removeprefix("whsec_"))
            )
            link_found = await tables_holding(conn, link_secret)
            sealed_before = await _sealed(conn, organisation_id)
            rotated = _samlast(env | {"SAMLAST_SECRET_KEYS": f"{new},{old_key}"}, "rotate-secrets")
            sealed_after = await _sealed(conn, organisation_id)
            link = await conn.fetchrow(
                "SELECT secret, secret_hash, secret_sealed FROM join_link WHERE network_id = $1",
                network_id,
            )
            delivery_id = await conn.fetchval(
                "INSERT INTO outbox_message (kind, organisation_id, event, payload)"
                " VALUES ('webhook', $1, 'run.published', $2::jsonb) RETURNING id",
                organisation_id,
                json.dumps({"type": "run.published", "data": {"id": str(organisation_id)}}),
            )
        finally:
            await conn.close()
        only_new = load_settings(
            env | {"SAMLAST_SECRET_KEYS": new, "SAMLAST_WEBHOOK_ALLOW_PRIVATE": "true"}
        )
        queue = await connect_queue(only_new)
        try:
            await enqueue_message(queue, delivery_id, 0)
        finally:
            await queue.aclose()
        await drain(only_new)
    assert "sealed 2 secret(s)" in migrated
    assert found == [], f"the signing secret is stored in {found}"
    assert link_found == [], f"the join link's secret is stored in {link_found}"
    assert "re-sealed 2 secret(s)" in rotated
    assert link is not None
    assert link["secret"] is None
    assert link["secret_hash"] == hashlib.sha256(link_secret.encode()).digest()
    assert Sealer(new).unseal(link["secret_sealed"]) == link_secret
    assert sealed_after != sealed_before
    assert Sealer(new).unseal(sealed_after) == secret
    with pytest.raises(SealingError):
        Sealer(old_key).unseal(sealed_after)  # the old key can go
    ((headers, body),) = receiver.received
    assert Webhook(secret).verify(body, headers)["type"] == "run.published"
    figures.record(
        "security: outbound class 7 (secrets)",
        "the signing secret found in 0 tables (text and bytea columns); a plain-text "
        "secret from before: sealed by `samlast migrate`; after `samlast rotate-secrets` "
        "and dropping the old key, the receiver verified the delivery with standardwebhooks",
    )


async def _org_from_before_sealing(database_url: str, receiver: Receiver, secret: str) -> UUID:
    """The schema before 0007 with an organisation whose secret is in plain text."""
    conn = await asyncpg.connect(database_url)
    try:
        await migrate(conn, [m for m in load_migrations() if m.version < 7])
        organisation_id: UUID = await conn.fetchval(
            "INSERT INTO organisation (kind, name, webhook_url, webhook_secret)"
            " VALUES ('coop', 'Matkassen från förr', $1, $2) RETURNING id",
            receiver.url(),
            secret,
        )
    finally:
        await conn.close()
    return organisation_id


async def _join_link_from_before_sealing(database_url: str, link_secret: str) -> UUID:
    """The schema before 0025 with a network whose join link's secret is in plain text."""
    conn = await asyncpg.connect(database_url)
    try:
        await migrate(conn, [m for m in load_migrations() if m.version < 25])
        network_id: UUID = await conn.fetchval(
            "INSERT INTO network (name) VALUES ('Nätverket från förr') RETURNING id"
        )
        await conn.execute(
            "INSERT INTO join_link (network_id, lookup, secret) VALUES ($1, $2, $3)",
            network_id,
            "0123456789ab",
            link_secret,
        )
    finally:
        await conn.close()
    return network_id


async def _sealed(conn: Conn, organisation_id: UUID) -> bytes:
    row = await conn.fetchrow(
        "SELECT webhook_secret, webhook_secret_sealed FROM organisation WHERE id = $1",
        organisation_id,
    )
    assert row is not None
    assert row["webhook_secret"] is None
    sealed: bytes = row["webhook_secret_sealed"]
    return sealed


def _samlast(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        samlast_argv(*args), env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
