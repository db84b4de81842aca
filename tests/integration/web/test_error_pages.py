"""Errors on the pages are pages in the reader's language with a way back; the API
(and a page's caller asking for JSON) keeps its problem documents."""

from __future__ import annotations

import uuid

from shared.db.pool import Pool
from tests.support.http import Client, bearer
from tests.support.people import session_cookies
from tests.support.world import World, build_world


async def test_a_missing_thing_on_the_pages_is_a_page_in_swedish_with_a_way_back(
    client: Client, pool: Pool, admin_token: str
) -> None:
    world: World = await build_world(client, admin_token)
    client.cookies = await session_cookies(pool, world.coordinator)
    origin = str(client.base_url).rstrip("/")
    missing = await client.get(
        f"/app/runs/{uuid.uuid4()}", headers={"Referer": f"{origin}/app/dashboard"}
    )
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "Här finns ingenting" in missing.text
    assert 'href="/app/dashboard"' in missing.text
    refused = await client.get("/app/coop")  # a coordinator is not a co-op
    assert refused.status_code == 403
    assert "Du får inte göra det här" in refused.text
    client.cookies["samlast_lang"] = "en"
    english = await client.get(f"/app/runs/{uuid.uuid4()}")
    assert "There is nothing here" in english.text
    assert 'href="/app"' in english.text  # no referer: back to the start
    wanted_json = await client.get(
        f"/app/runs/{uuid.uuid4()}", headers={"Accept": "application/json"}
    )
    assert wanted_json.headers["content-type"].startswith("application/problem+json")
    api = await client.get(f"/v1/runs/{uuid.uuid4()}", headers=bearer(world.coordinator))
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")
