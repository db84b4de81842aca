"""A problem's ``type`` is what a program relies on: the same whatever language the
client asks for, while its title and detail are in that language (Swedish when asked,
English otherwise), said in ``Content-Language``."""

from __future__ import annotations

import uuid

import httpx

from tests.support.http import Client, bearer

SWEDISH = {"Accept-Language": "sv-SE,sv;q=0.9,en;q=0.5"}
BASE = "https://samlast.org/problems/"


def _assert_problem_headers(response: httpx.Response, language: str) -> None:
    headers = response.headers
    assert headers["content-type"].startswith("application/problem+json")
    assert headers["content-language"] == language
    assert "accept-language" in headers["vary"].lower()


async def test_a_domain_error_has_one_type_and_the_words_of_the_asked_language(
    client: Client, admin_token: str
) -> None:
    path = f"/v1/networks/{uuid.uuid4()}"
    english = await client.get(path, headers=bearer(admin_token))
    swedish = await client.get(path, headers={**bearer(admin_token), **SWEDISH})
    assert english.status_code == swedish.status_code == 404
    _assert_problem_headers(english, "en")
    _assert_problem_headers(swedish, "sv")
    en, sv = english.json(), swedish.json()
    assert en["type"] == sv["type"] == BASE + "not-found"
    assert (en["title"], en["detail"]) == ("Not found", "no such network")
    assert (sv["title"], sv["detail"]) == ("Hittades inte", "nätverket finns inte")
    assert en["instance"] == sv["instance"] == path


async def test_a_refused_field_is_named_in_either_language(
    client: Client, admin_token: str
) -> None:
    body = {"name": 5}
    english = await client.post(
        "/v1/networks", json=body, headers={**bearer(admin_token), "Accept-Language": "en"}
    )
    swedish = await client.post(
        "/v1/networks", json=body, headers={**bearer(admin_token), **SWEDISH}
    )
    assert english.status_code == swedish.status_code == 400
    _assert_problem_headers(english, "en")
    _assert_problem_headers(swedish, "sv")
    en, sv = english.json(), swedish.json()
    assert en["type"] == sv["type"] == BASE + "invalid-request"
    assert en["title"] == "Invalid request"
    assert sv["title"] == "Ogiltig begäran"
    assert en["detail"] == "Expected `str`, got `int` at body field `name`"
    assert sv["detail"] == "Väntade `str`, fick `int` (fältet `name` i innehållet)"
    assert en["errors"][0]["field"] == sv["errors"][0]["field"] == "name"


async def test_answers_before_the_app_speak_the_language_too(
    client: Client, admin_token: str
) -> None:
    headers = {**bearer(admin_token), "Idempotency-Key": "x" * 300}
    english = await client.post("/v1/networks", json={"name": "N"}, headers=headers)
    swedish = await client.post("/v1/networks", json={"name": "N"}, headers={**headers, **SWEDISH})
    assert english.status_code == swedish.status_code == 400
    _assert_problem_headers(swedish, "sv")
    assert english.json()["type"] == swedish.json()["type"] == BASE + "invalid-request"
    assert swedish.json()["detail"] == "`Idempotency-Key` måste vara 1 till 255 skrivbara tecken"


async def test_a_missing_route_and_a_missing_token_keep_their_types(client: Client) -> None:
    for path, code in (("/v1/no-such-thing", "not-found"), ("/v1/networks", "unauthorized")):
        english = await client.get(path)
        swedish = await client.get(path, headers=SWEDISH)
        assert english.json()["type"] == swedish.json()["type"] == BASE + code
        assert english.json()["title"] != swedish.json()["title"]
        _assert_problem_headers(swedish, "sv")
