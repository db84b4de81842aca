"""What a revoked credential still sees: an open ``/events`` stream ends with it.

The API runs as in production (a ``samlast api`` process) with no worker, so the runs
streamed stay queued and their streams would stay open for five minutes. A stream
re-verifies its credential every few seconds (``RECHECK_S``): revoking the token
through the API, or removing its organisation from the network, ends it. The test
reads each stream until the server closes it; its timeout is the only clock.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from services.api.auth.sessions import COOKIE
from shared.db.pool import Pool
from tests.support.figures import Figures
from tests.support.http import Client, bearer, ok
from tests.support.live import client_of, stack
from tests.support.people import session_for
from tests.support.world import World, build_world, close_cycle

POOL = 3  # the API's database connections: fewer than the streams held open below
STREAMS = 8
ENDED: dict[str, str] = {}  # how each stream was made to end: what happened after


@pytest.fixture(scope="module")
def api_url(
    settings_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    env = {**settings_env, "SAMLAST_DB_POOL_MAX": str(POOL), "SAMLAST_DB_POOL_MIN": "1"}
    with stack(env, tmp_path_factory.mktemp("revoked-streams"), workers=0) as url:
        yield url


@pytest.mark.timeout(90)
@pytest.mark.parametrize("route", ["api", "page"])
async def test_a_stream_ends_once_its_token_or_session_is_revoked(
    api_url: str, admin_token: str, route: str, figures: Figures, pool: Pool
) -> None:
    """The API's stream ends when its token is revoked; the page's when its session ends
    ("sign out everywhere")."""
    async with client_of(api_url) as client:
        world = await build_world(client, admin_token)
        run = await close_cycle(client, world)
        issued = await ok(
            await client.post(
                f"/v1/organisations/{await _coordinating(client, world)}/tokens",
                json={"label": "a dashboard left open"},
                headers=bearer(world.coordinator),
            ),
            201,
        )
        credential = issued["token"] if route == "api" else await session_for(pool, issued["token"])
        path, headers = _stream(route, run["id"], credential)
        async with client.stream("GET", path, headers=headers) as response:
            assert response.status_code == 200, await response.aread()
            events = _events(response)
            first = await anext(events)
            assert (first["event"], first["data"]["state"]) == ("progress", "queued")
            if route == "api":
                revoked = await client.delete(
                    f"/v1/tokens/{issued['id']}", headers=bearer(world.coordinator)
                )
                await ok(revoked, 204)
            else:
                signed_out = await client.post(
                    "/app/me/sessions/end-all", headers={**headers, "Origin": api_url}
                )
                assert signed_out.status_code == 303, signed_out.text
            after = [event async for event in events]  # until the server closes it
        again = await client.get(path, headers=headers)
        still = await ok(
            await client.get(f"/v1/runs/{run['id']}", headers=bearer(world.coordinator))
        )
    assert still["state"] == "queued"  # the stream ended for its token, not for its run
    if route == "api":
        assert again.status_code == 401, again.text
    else:  # the dashboard sends a revoked sign-in back to the sign-in page
        assert (again.status_code, again.headers["location"]) == (303, "/app/sign-in")
    ENDED[f"{'token' if route == 'api' else 'session'} revoked ({route} route)"] = (
        f"{len(after)} event(s) after revoking, then closed"
    )
    _record(figures)


@pytest.mark.timeout(90)
async def test_a_stream_ends_once_its_organisation_leaves_the_network(
    api_url: str, admin_token: str, figures: Figures
) -> None:
    async with client_of(api_url) as client:
        world = await build_world(client, admin_token)
        run = await close_cycle(client, world)
        organisation_id = await _coordinating(client, world)
        path, headers = _stream("api", run["id"], world.coordinator)
        async with client.stream("GET", path, headers=headers) as response:
            assert response.status_code == 200, await response.aread()
            events = _events(response)
            await anext(events)
            await ok(
                await client.delete(
                    f"/v1/networks/{world.network['id']}/members/{organisation_id}",
                    headers=bearer(admin_token),
                ),
                204,
            )
            after = [event async for event in events]
        again = await client.get(f"/v1/runs/{run['id']}", headers=headers)
    assert again.status_code == 404, again.text
    ENDED["coordinator's organisation removed"] = (
        f"{len(after)} event(s) after the removal, then closed"
    )
    _record(figures)


@pytest.mark.timeout(90)
async def test_open_streams_hold_no_database_connection(
    api_url: str, admin_token: str, figures: Figures
) -> None:
    """More streams open than the API has connections, and requests are still served."""
    async with client_of(api_url) as client:
        world = await build_world(client, admin_token)
        run = await close_cycle(client, world)
        path, headers = _stream("api", run["id"], world.coordinator)
        async with contextlib.AsyncExitStack() as streams:
            for _ in range(STREAMS):
                response = await streams.enter_async_context(
                    client.stream("GET", path, headers=headers)
                )
                assert response.status_code == 200, await response.aread()
                await anext(_events(response))
            answer = await client.get(f"/v1/runs/{run['id']}", headers=headers)
            assert answer.status_code == 200, answer.text
    ENDED[f"{STREAMS} streams on {POOL} connections"] = "a request alongside answered 200"
    _record(figures)


def _stream(route: str, run_id: str, credential: str) -> tuple[str, dict[str, str]]:
    """The run's events as a client of the API (a bearer token) or the dashboard (a
    session cookie) asks."""
    if route == "api":
        return f"/v1/runs/{run_id}/events", bearer(credential)
    return f"/app/runs/{run_id}/events", {"Cookie": f"{COOKIE}={credential}"}


async def _events(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """The server-sent events of ``response``, each as its event name and JSON data."""
    event: dict[str, Any] = {}
    async for line in response.aiter_lines():
        if not line:
            if event:
                yield event
            event = {}
        elif line.startswith("event:"):
            event["event"] = line.partition(":")[2].strip()
        elif line.startswith("data:"):
            event["data"] = json.loads(line.partition(":")[2])


async def _coordinating(client: Client, world: World) -> str:
    """The id of the world's coordinating organisation."""
    organisations = await ok(
        await client.get(
            "/v1/organisations",
            params={"network_id": world.network["id"]},
            headers=bearer(world.coordinator),
        )
    )
    (coordinating,) = [o for o in organisations if o["kind"] == "coordinator"]
    return str(coordinating["id"])


def _record(figures: Figures) -> None:
    figures.record(
        "security: revoked streams",
        "open /events streams of a queued run (no worker: they would stay open 5 min): "
        + "; ".join(f"{how}: {what}" for how, what in sorted(ENDED.items())),
    )
