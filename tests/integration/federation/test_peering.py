"""Two deployments peered with each other, each with its own database: A signs, B verifies.

A is the session's app and database; B is a second app on a scratch database of the
same server, whose public URL is ``B_URL``. Requests go to B in process; what B checks
(key, signature, digest, clock, nonce) is exactly what a request over the network meets.
"""

from __future__ import annotations

import datetime as dt
import secrets
import subprocess
import time
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from infra.processes import samlast_argv
from services.api.app import create_app
from services.api.core.secrets_at_rest import seal_secrets
from services.matcher.adapters.federation import signed_client
from services.matcher.jobs.housekeeping import forget_spent_nonces
from shared.db import peers as peers_db
from shared.db.pool import Pool
from shared.security import federation_keys
from shared.security.federation_keys import SigningKey
from shared.security.http_signatures import b64url, sign_request
from shared.security.sealing import Sealer, new_key, sealer_of
from shared.settings import Settings
from tests.support.deployments import B_URL
from tests.support.http import Client, bearer, ok
from tests.support.world import World

HELLO = "/federation/v1/hello"
PING = "/federation/v1/ping"


async def new_key_of_a(pool: Pool, settings: Settings) -> SigningKey:
    """A fresh signing key of deployment A (the newest, so A signs with it)."""
    sealer = sealer_of(settings.secret_keys)
    async with pool.acquire() as conn:
        await federation_keys.make_key(conn, sealer, dt.date.today())
        key = await federation_keys.signing_key(conn, sealer)
    assert key is not None
    return key


async def public_of(pool: Pool, key: SigningKey) -> str:
    async with pool.acquire() as conn:
        keys = await federation_keys.published_keys(conn, with_retired=True)
    return next(b64url(k.public_key) for k in keys if k.key_id == key.key_id)


async def peer_a_on_b(
    b_client: Client, b_admin: str, pool: Pool, *keys: SigningKey, name: str = "Samlast Uppsala"
) -> dict[str, Any]:
    """B's admin peers with A, given A's public keys as A's /federation/v1/keys shows them."""
    body = {
        "name": name,
        "base_url": f"http://127.0.0.1:{secrets.randbelow(20000) + 10000}/",
        "keys": [{"key_id": key.key_id, "public_key": await public_of(pool, key)} for key in keys],
    }
    peer: dict[str, Any] = await ok(
        await b_client.post("/v1/peers", json=body, headers=bearer(b_admin)), 201
    )
    return peer


def signed(
    key: SigningKey,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    now: int | None = None,
    nonce: str | None = None,
    lifetime_s: int = 60,
) -> dict[str, str]:
    headers = sign_request(
        method=method,
        url=B_URL + path,
        body=body,
        key_id=key.key_id,
        private_key=key.private_key,
        now=int(time.time()) if now is None else now,
        nonce=nonce,
        lifetime_s=lifetime_s,
    )
    if body:
        headers["Content-Type"] = "application/json"
    return headers


async def send(
    client: Client, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> httpx.Response:
    return await client.request(method, path, headers=headers, content=body)


def refused(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Signature")
    assert reason in response.json()["detail"], response.json()["detail"]


# -- keys and the happy path --------------------------------------------------------------


async def test_a_publishes_its_public_keys_without_a_token(
    client: Client, pool: Pool, settings: Settings
) -> None:
    key = await new_key_of_a(pool, settings)
    published = await ok(await client.get("/federation/v1/keys"))
    assert published["algorithm"] == "ed25519"
    jwk = next(k for k in published["keys"] if k["kid"] == key.key_id)
    assert jwk == {
        "kty": "OKP",
        "crv": "Ed25519",
        "kid": key.key_id,
        "alg": "EdDSA",
        "x": await public_of(pool, key),
        "use": "sig",
    }
    assert b64url(key.private_key) not in str(published)


async def test_the_worker_signs_and_b_answers_who_a_is_and_what_b_shares(
    client: Client, b_client: Client, b_admin: str, b_world: World, pool: Pool, settings: Settings
) -> None:
    key = await new_key_of_a(pool, settings)
    peer = await peer_a_on_b(b_client, b_admin, pool, key)
    shared = await ok(
        await b_client.put(
            f"/v1/organisations/{b_world.producer_id}/peers/{peer['id']}",
            headers=bearer(b_world.producer),
        )
    )
    assert shared["shared"] is True
    # the worker's client, speaking to B through the test client's transport (B's app runs
    # on the test client's own event loop)
    fed = await signed_client(pool, settings, b_client)
    assert fed is not None
    assert fed.key.key_id == key.key_id
    hello = await fed.request("GET", B_URL, HELLO)
    ping = await fed.request("POST", B_URL, PING, json={"message": "hej från Uppsala"})
    assert hello.status == 200, hello.body
    answer = httpx.Response(200, content=hello.body).json()
    assert answer["peer_id"] == peer["id"]
    assert answer["key_id"] == key.key_id
    assert answer["shared_producers"] == [{"id": b_world.producer_id, "name": "Ekeby Gård"}]
    assert ping.status == 200, ping.body
    assert httpx.Response(200, content=ping.body).json() == {
        "peer_id": peer["id"],
        "message": "hej från Uppsala",
    }
    choices = await ok(
        await b_client.get(
            f"/v1/organisations/{b_world.producer_id}/peers", headers=bearer(b_world.producer)
        )
    )
    assert [c["shared"] for c in choices if c["peer_id"] == peer["id"]] == [True]


# -- refusals -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def peered_key(
    b_settings: Settings, b_pool: Pool, b_admin: str, pool: Pool, settings: Settings
) -> SigningKey:
    """A key of A that B knows as its peer's."""
    key = await new_key_of_a(pool, settings)
    async with AsyncTestClient(app=create_app(b_settings)) as b_client:
        await peer_a_on_b(b_client, b_admin, pool, key)
    return key


async def test_unsigned_requests_are_refused_and_audited(
    b_client: Client, b_pool: Pool, b_admin: str
) -> None:
    refused(await b_client.get(HELLO), "not signed")
    refused(await b_client.post(PING, json={"message": "hej"}), "not signed")
    refused(await b_client.get(HELLO, headers=bearer(b_admin)), "not signed")  # no token here
    async with b_pool.acquire() as conn:
        outcome = await conn.fetchval(
            "SELECT outcome FROM audit_log WHERE action = 'GET /federation/v1/hello' "
            "ORDER BY id DESC LIMIT 1"
        )
    assert outcome == "unauthenticated"


async def test_a_tampered_body_path_or_method_is_refused(
    b_client: Client, peered_key: SigningKey
) -> None:
    body = '{"message":"10 lådor"}'.encode()
    headers = signed(peered_key, "POST", PING, body)
    refused(
        await send(b_client, "POST", PING, headers, '{"message":"99 lådor"}'.encode()), "Digest"
    )
    headers = signed(peered_key, "POST", PING, body)
    refused(await send(b_client, "POST", PING + "?copy=1", headers, body), "does not verify")
    headers = signed(peered_key, "POST", HELLO)  # signed for another method than it arrives with
    refused(await send(b_client, "GET", HELLO, headers), "does not verify")
    headers = signed(peered_key, "POST", PING, body)
    headers["Content-Digest"] = signed(peered_key, "POST", PING, b"{}")["Content-Digest"]
    refused(await send(b_client, "POST", PING, headers, b"{}"), "does not verify")
    ok_headers = signed(peered_key, "POST", PING, body)
    assert (await send(b_client, "POST", PING, ok_headers, body)).status_code == 200


async def test_a_replayed_request_is_refused(b_client: Client, peered_key: SigningKey) -> None:
    headers = signed(peered_key, "GET", HELLO)
    assert (await send(b_client, "GET", HELLO, headers)).status_code == 200
    refused(await send(b_client, "GET", HELLO, headers), "replayed")
    nonce = headers["Signature-Input"].split('nonce="')[1].split('"')[0]
    again = signed(peered_key, "GET", HELLO, nonce=nonce)  # a fresh signature, the same nonce
    refused(await send(b_client, "GET", HELLO, again), "replayed")


async def test_replays_stay_refused_and_federation_works_while_redis_is_down(
    b_settings: Settings, b_client: Client, peered_key: SigningKey
) -> None:
    seen = signed(peered_key, "GET", HELLO)
    assert (await send(b_client, "GET", HELLO, seen)).status_code == 200
    no_redis = b_settings.replace(**{"redis.url": "redis://127.0.0.1:1/0"})
    async with AsyncTestClient(app=create_app(no_redis)) as cut_off:
        refused(await send(cut_off, "GET", HELLO, seen), "replayed")
        fresh = signed(peered_key, "GET", HELLO)
        assert (await send(cut_off, "GET", HELLO, fresh)).status_code == 200
        refused(await send(cut_off, "GET", HELLO, fresh), "replayed")
        refused(await cut_off.get(HELLO), "not signed")


async def test_stale_and_expired_signatures_are_refused(
    b_client: Client, peered_key: SigningKey
) -> None:
    now = int(time.time())
    old = signed(peered_key, "GET", HELLO, now=now - 120, lifetime_s=300)
    refused(await send(b_client, "GET", HELLO, old), "not created within 60 s")
    ahead = signed(peered_key, "GET", HELLO, now=now + 120)
    refused(await send(b_client, "GET", HELLO, ahead), "not created within 60 s")
    expired = signed(peered_key, "GET", HELLO, now=now - 20, lifetime_s=5)
    refused(await send(b_client, "GET", HELLO, expired), "expired")


async def test_an_unknown_key_is_refused(b_client: Client, pool: Pool, settings: Settings) -> None:
    stranger = await new_key_of_a(pool, settings)  # never given to B
    refused(
        await send(b_client, "GET", HELLO, signed(stranger, "GET", HELLO)), "not a key of any peer"
    )


async def test_a_removed_peer_is_refused(
    b_client: Client, b_admin: str, pool: Pool, settings: Settings
) -> None:
    key = await new_key_of_a(pool, settings)
    peer = await peer_a_on_b(b_client, b_admin, pool, key, name="Snart borta")
    assert (await send(b_client, "GET", HELLO, signed(key, "GET", HELLO))).status_code == 200
    await ok(await b_client.delete(f"/v1/peers/{peer['id']}", headers=bearer(b_admin)), 204)
    refused(await send(b_client, "GET", HELLO, signed(key, "GET", HELLO)), "not a key of any peer")


async def test_keys_rotate_without_downtime(
    client: Client, b_client: Client, b_admin: str, pool: Pool, settings: Settings
) -> None:
    old = await new_key_of_a(pool, settings)
    peer = await peer_a_on_b(b_client, b_admin, pool, old, name="Roterar")
    new = await new_key_of_a(pool, settings)  # A: a new key, published beside the old
    kids = {k["kid"] for k in (await ok(await client.get("/federation/v1/keys")))["keys"]}
    assert {old.key_id, new.key_id} <= kids
    refused(await send(b_client, "GET", HELLO, signed(new, "GET", HELLO)), "not a key")
    both = {
        "name": "Roterar",
        "base_url": peer["base_url"],
        "keys": [{"key_id": k.key_id, "public_key": await public_of(pool, k)} for k in (old, new)],
    }
    await ok(await b_client.put(f"/v1/peers/{peer['id']}", json=both, headers=bearer(b_admin)))
    for key in (new, old):  # the overlap: both verify
        hello = await ok(await send(b_client, "GET", HELLO, signed(key, "GET", HELLO)))
        assert hello["peer_id"] == peer["id"]
        assert hello["key_id"] == key.key_id
    async with pool.acquire() as conn:  # A retires the old key; B drops it
        assert await federation_keys.retire_key(conn, old.key_id)
    kids = {k["kid"] for k in (await ok(await client.get("/federation/v1/keys")))["keys"]}
    assert old.key_id not in kids
    assert new.key_id in kids
    only_new = {**both, "keys": both["keys"][1:]}
    await ok(await b_client.put(f"/v1/peers/{peer['id']}", json=only_new, headers=bearer(b_admin)))
    refused(await send(b_client, "GET", HELLO, signed(old, "GET", HELLO)), "not a key")
    assert (await send(b_client, "GET", HELLO, signed(new, "GET", HELLO))).status_code == 200


async def test_a_peer_sees_only_what_is_shared_with_it(
    b_client: Client, b_admin: str, b_world: World, pool: Pool, settings: Settings
) -> None:
    one, other = await new_key_of_a(pool, settings), await new_key_of_a(pool, settings)
    first = await peer_a_on_b(b_client, b_admin, pool, one, name="Den ena")
    second = await peer_a_on_b(b_client, b_admin, pool, other, name="Den andra")
    await ok(
        await b_client.put(
            f"/v1/organisations/{b_world.producer_id}/peers/{first['id']}",
            headers=bearer(b_world.producer),
        )
    )
    as_second = await ok(await send(b_client, "GET", HELLO, signed(other, "GET", HELLO)))
    assert as_second["peer_id"] == second["id"]
    assert as_second["shared_producers"] == []
    as_first = await ok(await send(b_client, "GET", HELLO, signed(one, "GET", HELLO)))
    assert as_first["peer_id"] == first["id"]
    assert [p["id"] for p in as_first["shared_producers"]] == [b_world.producer_id]


async def test_a_peer_reaches_no_api_route(b_client: Client, peered_key: SigningKey) -> None:
    for method, path in (("GET", "/v1/peers"), ("GET", "/v1/networks")):
        response = await send(b_client, method, path, signed(peered_key, method, path))
        assert response.status_code == 401, response.text


# -- managing peers -------------------------------------------------------------------------


async def test_only_the_admin_manages_peers_and_only_a_producer_shares_its_own(
    b_client: Client, b_admin: str, b_world: World, pool: Pool, settings: Settings
) -> None:
    key = await new_key_of_a(pool, settings)
    body = {
        "name": "Grannen",
        "base_url": "https://samlast.example.org",
        "keys": [{"key_id": key.key_id, "public_key": await public_of(pool, key)}],
    }
    for token in (b_world.coordinator, b_world.producer, b_world.coop):
        assert (
            await b_client.post("/v1/peers", json=body, headers=bearer(token))
        ).status_code == 403
        assert (await b_client.get("/v1/peers", headers=bearer(token))).status_code == 403
    peer = await ok(await b_client.post("/v1/peers", json=body, headers=bearer(b_admin)), 201)
    duplicate = await b_client.post("/v1/peers", json=body, headers=bearer(b_admin))
    same_key = await b_client.post(
        "/v1/peers",
        json={**body, "base_url": "https://annan.example.org"},
        headers=bearer(b_admin),
    )
    assert same_key.status_code == 409
    assert same_key.json()["field"] == "keys"
    assert duplicate.status_code == 409
    assert duplicate.json()["field"] == "base_url"
    share = f"/v1/organisations/{{}}/peers/{peer['id']}"
    coop = await b_client.put(share.format(b_world.coop_id), headers=bearer(b_world.coop))
    assert coop.status_code == 403
    other = await b_client.put(share.format(b_world.coop_id), headers=bearer(b_world.producer))
    assert other.status_code == 404
    not_producer = await b_client.put(share.format(b_world.coop_id), headers=bearer(b_admin))
    assert not_producer.status_code == 404
    assert not_producer.json()["field"] == "organisation_id"
    await ok(
        await b_client.delete(share.format(b_world.producer_id), headers=bearer(b_world.producer)),
        204,
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"base_url": "http://samlast.example.org"}, "base_url"),
        ({"base_url": "ftp://samlast.example.org"}, "base_url"),
        ({"base_url": "https://user:pw@samlast.example.org"}, "base_url"),
        ({"keys": []}, "keys"),
        ({"keys": [{"key_id": "k 1", "public_key": "A" * 43}]}, "keys[0].key_id"),
        ({"keys": [{"key_id": "k1", "public_key": "A" * 40 + "!!!"}]}, "keys[0]"),
        ({"name": ""}, "name"),
        ({"organisation_id": "00000000-0000-0000-0000-000000000000"}, "organisation_id"),
    ],
)
async def test_a_bad_peer_is_refused_naming_the_field(
    b_client: Client, b_admin: str, change: dict[str, Any], field: str
) -> None:
    body = {
        "name": "Fel",
        "base_url": "https://fel.example.org",
        "keys": [{"key_id": "fel-1", "public_key": b64url(b"\x01" * 32)}],
        **change,
    }
    response = await b_client.post("/v1/peers", json=body, headers=bearer(b_admin))
    assert response.status_code in (400, 422), response.text
    assert field in response.text, response.text


# -- housekeeping and sealing ---------------------------------------------------------------


async def test_spent_nonces_are_forgotten_by_the_housekeeping_cron(
    b_pool: Pool, b_settings: Settings
) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    future = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    async with b_pool.acquire() as conn:
        assert await peers_db.take_nonce(conn, "spent-key", "s" * 20, past)
        assert await peers_db.take_nonce(conn, "spent-key", "f" * 20, future)
    await forget_spent_nonces({"pool": b_pool, "settings": b_settings})  # type: ignore[typeddict-item]
    async with b_pool.acquire() as conn:
        left = await conn.fetch("SELECT nonce FROM federation_nonce WHERE key_id = 'spent-key'")
    assert [row["nonce"] for row in left] == ["f" * 20]


async def test_the_private_key_is_kept_sealed_and_rotate_secrets_reseals_it(
    pool: Pool, settings: Settings
) -> None:
    key = await new_key_of_a(pool, settings)
    async with pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT private_key_sealed FROM federation_key WHERE key_id = $1", key.key_id
        )
        assert key.private_key not in stored
        assert b64url(key.private_key).encode() not in stored
        newer = f"{new_key()},{settings.secret_keys}"
        await seal_secrets(conn, Sealer(newer), rotate=True)
        try:
            again = await federation_keys.signing_key(conn, Sealer(newer.split(",")[0]))
        finally:  # the session's other tests keep the session's key
            await seal_secrets(conn, Sealer(f"{settings.secret_keys},{newer}"), rotate=True)
    assert again == key


def _samlast(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        samlast_argv(*args), env=env, capture_output=True, text=True, timeout=120, check=False
    )


async def test_the_operator_makes_lists_and_retires_keys_with_the_cli(
    client: Client, settings_env: dict[str, str]
) -> None:
    made = _samlast(settings_env, "federation-key", "new")
    assert made.returncode == 0, made.stderr
    key_id, public = made.stdout.splitlines()[-1].split()
    published = (await ok(await client.get("/federation/v1/keys")))["keys"]
    assert {"kid": key_id, "x": public} in [{"kid": k["kid"], "x": k["x"]} for k in published]
    assert f"{key_id} {public} published" in _samlast(settings_env, "federation-key", "list").stdout
    retired = _samlast(settings_env, "federation-key", "retire", key_id)
    assert retired.returncode == 0, retired.stderr
    assert f"{key_id} {public} retired" in _samlast(settings_env, "federation-key", "list").stdout
    again = _samlast(settings_env, "federation-key", "retire", key_id)
    assert again.returncode == 1
    assert "no key" in again.stderr
    published = (await ok(await client.get("/federation/v1/keys")))["keys"]
    assert key_id not in [k["kid"] for k in published]
