"""Tokens: shown once, listed without the secret, revoked at once, issued by whom may."""

from __future__ import annotations

from tests.conftest import Client
from tests.integration.world import bearer, build_world, ok


async def test_a_token_is_shown_once_used_listed_and_revoked(
    client: Client, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    tokens_path = f"/v1/organisations/{world.producer_id}/tokens"
    created = await ok(
        await client.post(
            tokens_path,
            json={"label": "packhouse tablet", "user_name": "Per"},
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
