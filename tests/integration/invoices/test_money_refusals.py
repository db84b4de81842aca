"""Bad money input gets a 4xx naming what to fix, and nothing is stored; the receiving
deadline holds for co-ops, not for the coordinator's correction."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.http import Client, bearer, ok
from tests.support.money import details_body, invoiced_run
from tests.support.world import World, build_world


@pytest.fixture
async def world(client: Client, admin_token: str) -> World:
    return await build_world(client, admin_token)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"status": "paid"}, "status"),
        ({"org_number": "556016-0681"}, "org_number"),
        ({"vat_number": "SE556016068101"}, "vat_number"),
        ({"iban": "SE45 5000 0000 0583 9825 7467"}, "iban"),
        ({"plusgiro": "4890-9"}, "plusgiro"),
        ({"bic": "NOT A BIC"}, "bic"),
        ({"org_number": "", "vat_number": ""}, "org_number"),
        ({"vat_exempt": True}, "vat_exempt_statement"),
        ({"payment_terms_days": 500}, "payment_terms_days"),
        ({"legal_name": ""}, "legal_name"),
        ({"language": "de"}, "language"),
    ],
    ids=lambda value: next(iter(value)) if isinstance(value, dict) else None,
)
async def test_invoicing_details_that_would_print_a_wrong_invoice_are_refused(
    client: Client, world: World, change: dict[str, Any], words: str
) -> None:
    path = f"/v1/organisations/{world.producer_id}/invoicing"
    answer = await client.put(
        path, json={**details_body("Ekeby"), **change}, headers=bearer(world.producer)
    )
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert words in answer.text
    missing = await client.get(path, headers=bearer(world.producer))
    assert missing.status_code == 404  # nothing stored


async def test_an_exempt_seller_says_why_and_its_numbers_are_stored_normalised(
    client: Client, world: World
) -> None:
    body = details_body(
        "Ekeby",
        vat_exempt=True,
        vat_exempt_statement="Momsbefriad enligt 18 kap. mervärdesskattelagen (2023:200)",
        vat_number="se 5560160680 01",
        bankgiro="50501055",
        iban="se4550000000058398257466",
    )
    stored = await ok(
        await client.put(
            f"/v1/organisations/{world.producer_id}/invoicing",
            json=body,
            headers=bearer(world.producer),
        )
    )
    assert (stored["vat_number"], stored["bankgiro"], stored["iban"]) == (
        "SE556016068001",
        "5050-1055",
        "SE4550000000058398257466",
    )


async def test_a_network_names_only_its_own_coordinating_body_as_invoicer(
    client: Client, world: World
) -> None:
    answer = await client.put(
        f"/v1/networks/{world.network['id']}/invoicing",
        json={"invoicing_organisation_id": world.producer_id},
        headers=bearer(world.coordinator),
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "invoicing_organisation_id"
    twice = await client.put(
        f"/v1/networks/{world.network['id']}/invoicing",
        json={
            "vat_rules": [
                {"vat_class": "food", "effective_from": "2027-01-01", "rate_bp": 600},
                {"vat_class": "food", "effective_from": "2027-01-01", "rate_bp": 700},
            ]
        },
        headers=bearer(world.coordinator),
    )
    assert twice.status_code == 400, twice.text
    too_high = await client.put(
        f"/v1/networks/{world.network['id']}/invoicing",
        json={
            "vat_rules": [{"vat_class": "food", "effective_from": "2027-01-01", "rate_bp": 10001}]
        },
        headers=bearer(world.coordinator),
    )
    assert too_high.status_code == 400, too_high.text


async def test_after_the_deadline_only_the_coordinator_corrects_and_weighing_is_for_kg(
    client: Client, world: World, pool: Pool, settings: Settings
) -> None:
    run_id, _other_id, _other_token, _ = await invoiced_run(
        client, world, pool, settings, receiving_days=3
    )
    receipts = await ok(await client.get(f"/v1/runs/{run_id}/receipts", headers=bearer(world.coop)))
    (line,) = receipts["lines"]
    key = {"offer_id": line["offer_id"], "demand_line_id": line["demand_line_id"]}
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE cycle SET delivery_date = current_date - 4 WHERE id = $1",
            UUID(world.cycle["id"]),
        )
    weighed = {"lines": [{**key, "outcome": "weighed", "weighed_milli": 13_250}]}
    late = await client.put(f"/v1/runs/{run_id}/receipts", json=weighed, headers=bearer(world.coop))
    assert late.status_code == 409, late.text
    assert "deadline" in late.json()["detail"]

    wrong = {"lines": [{**key, "outcome": "short", "weighed_milli": 13_250}]}
    refused = await client.put(
        f"/v1/runs/{run_id}/receipts", json=wrong, headers=bearer(world.coordinator)
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "lines[0].outcome"

    corrected = await ok(
        await client.put(
            f"/v1/runs/{run_id}/receipts", json=weighed, headers=bearer(world.coordinator)
        )
    )
    mine = [item for item in corrected["lines"] if item["offer_id"] == line["offer_id"]]
    (mine_line,) = [item for item in mine if item["demand_line_id"] == line["demand_line_id"]]
    assert (mine_line["accepted_milli"], mine_line["by_coordinator"]) == (13_250, True)

    await ok(await client.post(f"/v1/runs/{run_id}/invoices", headers=bearer(world.coordinator)))
    credited = await ok(
        await client.post(f"/v1/runs/{run_id}/credit-notes", headers=bearer(world.coordinator))
    )
    (note,) = [i for i in credited["invoices"] if i["kind"] == "credit_note"]
    assert note["lines"][0]["quantity_milli"] == -750  # 14 kg planned, 13.25 kg weighed
