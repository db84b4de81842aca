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


async def test_the_problem_under_a_page_speaks_the_pages_language_with_one_type(
    client: Client, pool: Pool, admin_token: str
) -> None:
    world: World = await build_world(client, admin_token)
    client.cookies = await session_cookies(pool, world.coordinator)
    path = f"/app/runs/{uuid.uuid4()}"
    client.cookies["samlast_lang"] = "sv"
    assert "körningen finns inte" in (await client.get(path)).text  # the page's detail
    swedish = await client.get(path, headers={"Accept": "application/json"})
    client.cookies["samlast_lang"] = "en"
    assert "no such run" in (await client.get(path)).text
    english = await client.get(path, headers={"Accept": "application/json"})
    assert (
        swedish.json()["type"]
        == english.json()["type"]
        == ("https://samlast.org/problems/not-found")
    )
    assert (swedish.json()["detail"], english.json()["detail"]) == (
        "körningen finns inte",
        "no such run",
    )
    assert (swedish.headers["content-language"], english.headers["content-language"]) == (
        "sv",
        "en",
    )


async def test_a_form_too_large_for_the_server_is_a_page_not_json(client: Client) -> None:
    """The body's bound answers before the app runs; a page's form (a spreadsheet of
    6 MB) still gets the error page in the page's language, with a way back."""
    huge = b"x" * (6 * 1024 * 1024)
    upload = f"/app/cycles/{uuid.uuid4()}/demand/upload"
    form_headers = {"Content-Type": "text/csv", "Accept": "text/html,*/*;q=0.8"}
    client.cookies["samlast_lang"] = "sv"
    page = await client.post(upload, content=huge, headers=form_headers)
    assert page.status_code == 413
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-language"] == "sv"
    assert "Det är för stort för att skicka" in page.text
    assert 'href="/app"' in page.text
    assert "problems/" not in page.text
    client.cookies["samlast_lang"] = "en"
    english = await client.post(upload, content=huge, headers=form_headers)
    assert "That is too large to send" in english.text
    wanted_json = await client.post(
        upload, content=huge, headers={**form_headers, "Accept": "application/json"}
    )
    assert wanted_json.headers["content-type"].startswith("application/problem+json")
    api = await client.post("/v1/offers/bulk", content=huge, headers=form_headers)
    assert api.headers["content-type"].startswith("application/problem+json")


async def test_an_address_no_page_has_is_a_page_too(client: Client) -> None:
    """The router's own 404 and 405 under /app are pages in the page's language."""
    client.cookies["samlast_lang"] = "sv"
    browser = {"Accept": "text/html,*/*;q=0.8"}
    missing = await client.get("/app/no-such-page", headers=browser)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "Här finns ingenting" in missing.text
    wrong_method = await client.put("/app/sign-in", headers=browser)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"].startswith("text/html")
    assert 'href="/app"' in wrong_method.text
