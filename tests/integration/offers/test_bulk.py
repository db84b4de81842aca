"""Bulk uploads: 10,000 rows, every bad row reported, nothing half-applied."""

from __future__ import annotations

from shared.db.pool import Pool
from tests.support.http import Client, bearer, ok
from tests.support.uploads import OFFER_HEADER, as_csv, offer_rows
from tests.support.world import build_world, offers_of


async def test_ten_thousand_rows_with_three_bad_store_nothing(
    client: Client, admin_token: str, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    rows = offer_rows(world, 10_000)
    rows[17][3] = "many"  # packs_available not a number
    rows[4_242][1] = "Rabarber"  # no such product in the network
    rows[9_999][6] = "2000-01-01"  # valid_until before valid_from
    response = await client.post(
        "/v1/offers/bulk",
        content=as_csv(OFFER_HEADER, rows),
        headers={**bearer(world.producer), "Content-Type": "text/csv"},
    )
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [
        (18, "packs_available"),
        (4_243, "product"),
        (10_000, ""),
    ]
    assert "valid_from" in errors[2]["message"]
    assert await offers_of(pool, world.producer_id) == 0


async def test_ten_thousand_good_rows_are_stored(
    client: Client, admin_token: str, pool: Pool
) -> None:
    world = await build_world(client, admin_token)
    response = await client.post(
        "/v1/offers/bulk",
        content=as_csv(OFFER_HEADER, offer_rows(world, 10_000)),
        headers={**bearer(world.producer), "Content-Type": "text/csv"},
    )
    body = await ok(response, 201)
    assert body["created"] == 10_000
    assert await offers_of(pool, world.producer_id) == 10_000
    page = await ok(
        await client.get(
            "/v1/offers",
            params={"producer_id": world.producer_id, "limit": 200},
            headers=bearer(world.coop),
        )
    )
    assert len(page["items"]) == 200
    assert page["next_cursor"]
    assert page["items"][0]["pickup_windows"] == [{"opens": "07:00:00", "closes": "11:00:00"}]


async def test_more_than_ten_thousand_rows_are_refused(client: Client, admin_token: str) -> None:
    world = await build_world(client, admin_token)
    response = await client.post(
        "/v1/offers/bulk",
        content=as_csv(OFFER_HEADER, offer_rows(world, 10_001)),
        headers={**bearer(world.producer), "Content-Type": "text/csv"},
    )
    assert response.status_code == 400
    assert "10,000" in response.json()["detail"]


async def test_json_array_upload_and_its_errors(client: Client, admin_token: str) -> None:
    world = await build_world(client, admin_token)
    good = {
        "listings": [
            {"network_id": world.network["id"], "product_id": world.products["Mjölk"]["id"]}
        ],
        "pack_units": 6,
        "packs_available": 4,
        "price_per_pack_ore": 9000,
        "valid_from": "2026-12-01",
        "valid_until": "2026-12-20",
        "pickup": {"lat": 59.9, "lon": 17.5},
    }
    bad = {**good, "status": "approved"}  # mass assignment attempt
    refused = await client.post("/v1/offers/bulk", json=[good, bad], headers=bearer(world.producer))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["row"] == 2
    assert "status" in refused.json()["errors"][0]["message"]
    accepted = await ok(
        await client.post("/v1/offers/bulk", json=[good, good], headers=bearer(world.producer)), 201
    )
    assert accepted["created"] == 2


async def test_unreadable_csvs_are_refused_clearly(client: Client, admin_token: str) -> None:
    world = await build_world(client, admin_token)
    headers = {**bearer(world.producer), "Content-Type": "text/csv"}
    latin1 = "network_id,product\nx,Smör\n".encode("latin-1")
    not_utf8 = await client.post("/v1/offers/bulk", content=latin1, headers=headers)
    assert not_utf8.status_code == 400
    assert "UTF-8" in not_utf8.json()["detail"]
    empty = await client.post("/v1/offers/bulk", content=b"", headers=headers)
    assert empty.status_code == 400
    extra = await client.post(
        "/v1/offers/bulk",
        content=as_csv([*OFFER_HEADER, "owner"], [[*offer_rows(world, 1)[0], "someone else"]]),
        headers=headers,
    )
    assert extra.status_code == 400  # the whole file: told once, with the columns it takes
    assert extra.json()["detail"].startswith("unknown column(s) 'owner'; the columns are: ")
    assert "pickup_lat" in extra.json()["detail"]
    as_text = await client.post(
        "/v1/offers/bulk", content=b"a,b\n1,2\n", headers={**headers, "Content-Type": "text/plain"}
    )
    assert as_text.status_code == 415
    assert "text/csv" in as_text.json()["detail"]


async def test_coop_replaces_its_lines_from_a_spreadsheet(client: Client, admin_token: str) -> None:
    world = await build_world(client, admin_token)
    created = await client.post(
        f"/v1/cycles/{world.cycle['id']}/demand-rounds", json={}, headers=bearer(world.coop)
    )
    await ok(created, 201)
    url = f"/v1/demand-rounds/{created.json()['id']}/lines/upload"
    header = [
        "product",
        "firm_quantity",
        "tolerance",
        "max_unit_price_ore",
        "deliver_from",
        "deliver_until",
    ]
    sheet = as_csv(
        header,
        [
            ["Morötter", "4", "2", "1500", "08:00", "12:00"],
            ['=HYPERLINK("x")', "1", "", "", "", ""],
            ["Mjölk", "-3", "", "", "", ""],
        ],
    )
    headers = {
        **bearer(world.coop),
        "Content-Type": "text/csv",
        "If-Match": created.headers["etag"],
    }
    refused = await client.put(url, content=sheet, headers=headers)
    assert refused.status_code == 422
    assert [(e["row"], e["field"]) for e in refused.json()["errors"]] == [
        (2, "product"),
        (3, "firm_quantity"),
    ]
    good = as_csv(
        header, [["Morötter", "4", "2", "1500", "08:00", "12:00"], ["mjölk", "12", "", "", "", ""]]
    )
    replaced = await ok(await client.put(url, content=good, headers=headers))
    assert [(line["firm_quantity"], line["tolerance"]) for line in replaced["lines"]] == [
        (4, 2),
        (12, 0),
    ]
    assert replaced["lines"][0]["delivery_window"] == {"opens": "08:00:00", "closes": "12:00:00"}


async def test_product_names_match_whatever_their_case_in_any_alphabet(
    client: Client, admin_token: str
) -> None:
    """PostgreSQL in the C locale lowers only ASCII; "Ägg" must still match "ägg"."""
    world = await build_world(client, admin_token)
    await ok(
        await client.post(
            f"/v1/networks/{world.network['id']}/products",
            json={"name": "Ägg", "unit": "piece", "grams_per_unit": 62, "ml_per_unit": 70},
            headers=bearer(world.coordinator),
        ),
        201,
    )
    created = await ok(
        await client.post(
            f"/v1/cycles/{world.cycle['id']}/demand-rounds", json={}, headers=bearer(world.coop)
        ),
        201,
    )
    round_path = f"/v1/demand-rounds/{created['id']}"
    etag = (await client.get(round_path, headers=bearer(world.coop))).headers["etag"]
    uploaded = await client.put(
        round_path + "/lines/upload",
        content=as_csv(["product", "firm_quantity"], [["ägg", "30"], ["MORÖTTER", "4"]]),
        headers={**bearer(world.coop), "Content-Type": "text/csv", "If-Match": etag},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert len(uploaded.json()["lines"]) == 2
