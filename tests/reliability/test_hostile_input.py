"""Hostile and careless input: every answer a 4xx naming the problem, nothing stored.

Long lists, JSON nested beyond reason, bodies declared as something they are not,
bytes that are not UTF-8, spreadsheets too big to take, and spreadsheet cells that a
spreadsheet would run as formulas: those are kept as the text they are, and written
back out escaped so that opening an export runs nothing.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.http import Client, bearer, ok
from tests.support.runs import drain
from tests.support.uploads import OFFER_HEADER, as_csv, offer_rows
from tests.support.world import World, build_world, close_cycle, offer_body, offers_of

FORMULA = "=cmd|' /C calc'!A0"


@pytest.fixture
async def world(client: Client, admin_token: str) -> World:
    return await build_world(client, admin_token)


def _problem(response: Any, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, f"{response.status_code}: {response.text[:500]}"
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    said = (problem.get("detail", "") + str(problem.get("errors", ""))).lower()
    for word in words:
        assert word.lower() in said, problem
    return problem


async def test_a_list_longer_than_the_limit_is_refused_naming_it(
    client: Client, world: World, pool: Pool
) -> None:
    body = offer_body(world)
    body["listings"] = body["listings"] * 10_000
    answer = await client.post("/v1/offers", json=body, headers=bearer(world.producer))
    _problem(answer, 400, "listings", "length <= 20")
    assert await offers_of(pool, world.producer_id) == 0


@pytest.mark.parametrize("depth", [64, 100_000])
async def test_json_nested_beyond_reason_is_refused(
    client: Client, world: World, pool: Pool, depth: int
) -> None:
    nested = b'{"pack_units": ' + b"[" * depth + b"]" * depth + b"}"
    headers = {**bearer(world.producer), "Content-Type": "application/json"}
    answer = await client.post("/v1/offers", content=nested, headers=headers)
    assert 400 <= answer.status_code < 500, answer.text[:500]
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert await offers_of(pool, world.producer_id) == 0


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "application/xml"],
)
async def test_a_body_declared_as_something_else_is_415(
    client: Client, world: World, pool: Pool, content_type: str
) -> None:
    headers = {**bearer(world.producer), "Content-Type": content_type}
    answer = await client.post(
        "/v1/offers", content=json.dumps(offer_body(world)).encode(), headers=headers
    )
    _problem(answer, 415, "application/json")
    assert await offers_of(pool, world.producer_id) == 0


async def test_bytes_that_are_not_utf8_are_refused(
    client: Client, world: World, pool: Pool
) -> None:
    headers = {**bearer(world.producer), "Content-Type": "application/json"}
    body = b'{"note": "Sm\xf6r \xff\xfe"}'
    _problem(await client.post("/v1/offers", content=body, headers=headers), 400, "utf-8")
    csv_headers = {**bearer(world.producer), "Content-Type": "text/csv"}
    rows = b"network_id,product,note\n" + world.network["id"].encode() + b",Mor\xc3,\xff\n"
    _problem(await client.post("/v1/offers/bulk", content=rows, headers=csv_headers), 400, "UTF-8")
    assert await offers_of(pool, world.producer_id) == 0


async def test_a_spreadsheet_too_big_to_take_is_413(
    client: Client, world: World, pool: Pool
) -> None:
    headers = {**bearer(world.producer), "Content-Type": "text/csv"}
    row = offer_rows(world, 1)[0]
    huge = as_csv(OFFER_HEADER, [row] * 200_000)  # about 24 MB
    _problem(await client.post("/v1/offers/bulk", content=huge, headers=headers), 413)
    one_cell = as_csv(OFFER_HEADER, [[*row[:-1], "x" * 900_000]])  # the note column
    _problem(
        await client.post("/v1/offers/bulk", content=one_cell, headers=headers), 400, "field limit"
    )
    assert await offers_of(pool, world.producer_id) == 0


async def test_formula_cells_are_stored_as_text_and_exported_escaped(
    client: Client, world: World, settings: Settings
) -> None:
    """A producer's upload and a co-op's upload full of formulas: the text is kept as
    typed, the API gives it back as typed, and every CSV export escapes it."""
    formula_product = await ok(
        await client.post(
            f"/v1/networks/{world.network['id']}/products",
            json={"name": FORMULA, "unit": "kg", "grams_per_unit": 1000, "ml_per_unit": 1200},
            headers=bearer(world.coordinator),
        ),
        201,
    )
    cells = dict(zip(OFFER_HEADER, offer_rows(world, 1)[0], strict=True))
    cells |= {
        "product": FORMULA,
        "pickup_address": "+SUM(A1:A9)",
        "note": '@HYPERLINK("http://evil.example")',
    }
    created = await ok(
        await client.post(
            "/v1/offers/bulk",
            content=as_csv(OFFER_HEADER, [list(cells.values())]),
            headers={**bearer(world.producer), "Content-Type": "text/csv"},
        ),
        201,
    )
    (offer_id,) = created["ids"]
    offer = await ok(await client.get(f"/v1/offers/{offer_id}", headers=bearer(world.producer)))
    assert offer["pickup"]["address"] == "+SUM(A1:A9)"
    assert offer["note"] == '@HYPERLINK("http://evil.example")'

    round_ = await ok(
        await client.post(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds",
            json={"lines": [{"product_id": formula_product["id"], "firm_quantity": 1}]},
            headers=bearer(world.coop),
        ),
        201,
    )
    quoted = FORMULA.replace('"', '""')
    lines = f'product,firm_quantity\n"{quoted}",20\n'
    await ok(
        await client.put(
            f"/v1/demand-rounds/{round_['id']}/lines/upload",
            content=lines.encode(),
            headers={
                **bearer(world.coop),
                "Content-Type": "text/csv",
                "If-Match": f'"{round_["version"]}"',
            },
        )
    )
    run = await close_cycle(client, world)
    await drain(settings)
    for document in ("pick-lists.csv", "delivery-notes.csv", "allocations.csv"):
        answer = await client.get(
            f"/v1/runs/{run['id']}/{document}", headers=bearer(world.coordinator)
        )
        assert answer.status_code == 200, answer.text
        exported = [cell for row in csv.reader(io.StringIO(answer.text)) for cell in row]
        assert FORMULA not in exported, document
        risky = [cell for cell in exported if cell[:1] in ("=", "+", "-", "@")]
        assert risky == [], (document, risky)
        if document != "allocations.csv":
            assert "'" + FORMULA in exported, (document, exported)
