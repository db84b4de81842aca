"""A problem's ``type`` is what a program relies on: the same whatever language the
client asks for, while its title and detail are in that language (Swedish when asked,
English otherwise), said in ``Content-Language``."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.support.http import Client, bearer
from tests.support.money import details_body
from tests.support.uploads import OFFER_HEADER, as_csv, offer_rows
from tests.support.world import build_world

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


async def _both(
    send: Callable[[dict[str, str]], Awaitable[httpx.Response]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same refused request asked in English and in Swedish: one type, two languages."""
    english, swedish = await send({"Accept-Language": "en"}), await send(SWEDISH)
    assert english.status_code == swedish.status_code, (english.text, swedish.text)
    _assert_problem_headers(swedish, "sv")
    en, sv = english.json(), swedish.json()
    assert en["type"] == sv["type"]
    assert en["detail"] != sv["detail"], "the Swedish detail came back in English"
    return en, sv


async def test_a_bad_iban_is_refused_in_the_asked_language(
    client: Client, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    body = details_body("Ekeby", iban="SE45 5000 0000 0583 9825 7467")
    en, sv = await _both(
        lambda language: client.put(
            f"/v1/organisations/{world.producer_id}/invoicing",
            json=body,
            headers={**bearer(world.producer), **language},
        )
    )
    assert en["type"] == BASE + "invalid-request"
    assert en["errors"][0]["field"] == sv["errors"][0]["field"] == "iban"
    assert en["errors"][0]["message"] == (
        "`iban` 'SE45 5000 0000 0583 9825 7467' is not a valid IBAN"
    )
    assert sv["errors"][0]["message"] == (
        "`iban` 'SE45 5000 0000 0583 9825 7467' är inget giltigt IBAN"
    )
    assert sv["detail"].startswith("`iban` 'SE45 5000 0000 0583 9825 7467' är inget giltigt IBAN")


async def test_an_unreadable_upload_is_refused_in_the_asked_language(
    client: Client, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    csv = as_csv([*OFFER_HEADER, "colour"], [[*row, "red"] for row in offer_rows(world, 2)])
    en, sv = await _both(
        lambda language: client.post(
            "/v1/offers/bulk",
            content=csv,
            headers={**bearer(world.producer), "Content-Type": "text/csv", **language},
        )
    )
    assert en["type"] == BASE + "bad-upload"
    assert en["detail"].startswith("unknown column(s) 'colour'; the columns are: ")
    assert sv["detail"].startswith("okända kolumner 'colour'; kolumnerna är: ")


async def test_an_uploads_bad_rows_are_named_in_the_asked_language(
    client: Client, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    rows = offer_rows(world, 1_200)
    rows[17][3] = "many"  # packs_available not a number
    rows[1_100][1] = "Rabarber"  # no such product in the network
    csv = as_csv(OFFER_HEADER, rows)
    en, sv = await _both(
        lambda language: client.post(
            "/v1/offers/bulk",
            content=csv,
            headers={**bearer(world.producer), "Content-Type": "text/csv", **language},
        )
    )
    assert en["type"] == BASE + "unprocessable-content"
    assert [(e["row"], e["field"]) for e in sv["errors"]] == [
        (18, "packs_available"),
        (1_101, "product"),
    ]
    assert [e["message"] for e in en["errors"]] == [
        "Expected `int`, got `str`",
        "no product named 'Rabarber' in that network",
    ]
    assert [e["message"] for e in sv["errors"]] == [
        "Väntade `int`, fick `str`",
        "ingen produkt som heter 'Rabarber' i det nätverket",
    ]


async def test_a_count_in_a_detail_is_written_as_the_reader_writes_numbers(
    client: Client, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    csv = as_csv(OFFER_HEADER, offer_rows(world, 10_001))
    en, sv = await _both(
        lambda language: client.post(
            "/v1/offers/bulk",
            content=csv,
            headers={**bearer(world.producer), "Content-Type": "text/csv", **language},
        )
    )
    assert en["detail"] == "at most 10,000 rows per upload; this one has 10,001"
    assert sv["detail"] == "högst 10\u00a0000 rader per uppladdning; den här har 10\u00a0001"


async def test_a_role_refused_is_said_in_the_asked_language(
    client: Client, admin_token: str
) -> None:
    world = await build_world(client, admin_token)
    en, sv = await _both(
        lambda language: client.post(
            "/v1/networks", json={"name": "N"}, headers={**bearer(world.coop), **language}
        )
    )
    assert en["type"] == BASE + "forbidden"
    assert en["detail"].startswith("this needs the role: ")
    assert sv["detail"].startswith("detta kräver rollen: ")
