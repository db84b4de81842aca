"""Tokens: shown once, listed without the secret, revoked at once, issued by whom may."""

from __future__ import annotations

from uuid import UUID

import pytest
from asyncpg import Record

from services.api.auth.tokens import hash_token, new_token
from shared.db import tokens as tokens_db
from shared.db.pool import Conn, Pool
from tests.support.http import Client, bearer, ok
from tests.support.security import tables_holding
from tests.support.world import build_world


async def test_a_token_is_shown_once_used_listed_and_revoked(
    client: Client, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    tokens_path = f"/v1/organisations/{world.producer_id}/tokens"
    created = await ok(
        await client.post(
            tokens_path,
            json={"label": "packhouse tablet"},
            headers=bearer(world.coordinator),
        ),
        201,
    )
    token = created["token"]
    assert token.startswith("sl_")
    assert created["prefix"] in token
    assert created["prefix"] != token

    assert (await client.get("/v1/networks", headers=bearer(token))).status_code == 200
    listed = await ok(await client.get(tokens_path, headers=bearer(world.producer)))
    (mine,) = [item for item in listed if item["id"] == created["id"]]
    assert mine["label"] == "packhouse tablet"
    assert mine["last_used_at"] is not None
    assert token not in str(listed)  # only the prefix, never the secret again

    await ok(
        await client.delete(f"/v1/tokens/{created['id']}", headers=bearer(world.producer)), 204
    )
    refused = await client.get("/v1/networks", headers=bearer(token))
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]


async def test_a_coordinator_issues_tokens_only_for_organisations_wholly_in_its_care(
    client: Client, admin_token: str
) -> None:
    """Once a producer also belongs to another network, only it or the admin issues tokens."""
    uppsala = await build_world(client, admin_token)
    gavle = await build_world(client, admin_token)
    tokens_path = f"/v1/organisations/{uppsala.producer_id}/tokens"
    issued = await client.post(
        tokens_path, json={"label": "a"}, headers=bearer(uppsala.coordinator)
    )
    assert issued.status_code == 201

    await ok(
        await client.post(
            f"/v1/networks/{gavle.network['id']}/members",
            json={"organisation_id": uppsala.producer_id},
            headers=bearer(admin_token),
        ),
        204,
    )
    for coordinator in (uppsala.coordinator, gavle.coordinator):
        refused = await client.post(tokens_path, json={"label": "b"}, headers=bearer(coordinator))
        assert refused.status_code == 404, refused.text
        assert (await client.get(tokens_path, headers=bearer(coordinator))).status_code == 404
        revoke = await client.delete(
            f"/v1/tokens/{issued.json()['id']}", headers=bearer(coordinator)
        )
        assert revoke.status_code == 404
    by_itself = await client.post(
        tokens_path, json={"label": "c"}, headers=bearer(uppsala.producer)
    )
    by_admin = await client.post(tokens_path, json={"label": "d"}, headers=bearer(admin_token))
    assert by_itself.status_code == by_admin.status_code == 201


async def test_only_a_hash_of_a_token_is_stored_anywhere(
    client: Client, admin_token: str, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    created = await ok(
        await client.post(
            f"/v1/organisations/{world.producer_id}/tokens",
            json={"label": "kept secret"},
            headers=bearer(world.coordinator),
        ),
        201,
    )
    token = created["token"]
    await ok(await client.get("/v1/networks", headers=bearer(token)))
    secret = token[len(created["prefix"]) :]
    async with pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT secret_hash FROM api_token WHERE id = $1", UUID(created["id"])
        )
        found = await tables_holding(conn, secret)
    assert stored == hash_token(token)
    assert found == [], f"the token's secret is stored in {found}"


async def test_a_mistyped_token_is_refused_before_any_token_lookup(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checksum turns away typos and guesses without asking the database who they
    are; only a well-formed token costs a lookup (its refusal is still audited)."""
    lookups: list[bytes] = []
    real = tokens_db.select_token_actor

    async def counted(conn: Conn, secret_hash: bytes) -> Record | None:
        lookups.append(secret_hash)
        return await real(conn, secret_hash)

    monkeypatch.setattr(tokens_db, "select_token_actor", counted)
    token = new_token().token
    mistyped = token[:-1] + ("a" if token[-1] != "a" else "b")
    refused = await client.get("/v1/networks", headers=bearer(mistyped))
    assert refused.status_code == 401
    assert "malformed" in refused.json()["detail"]
    assert lookups == []

    unknown = await client.get("/v1/networks", headers=bearer(token))  # well formed
    assert unknown.status_code == 401
    assert lookups == [hash_token(token)]
