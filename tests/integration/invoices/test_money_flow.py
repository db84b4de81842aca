"""From a published run to paid, on real PostgreSQL: receive with a damaged crate,
issue invoices and a credit note, record a payment, read the SIE 4 file back; and
numbering that stays gap-free when runs are invoiced at once."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import re
from collections import defaultdict
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from services.matcher.engine.settlement.ocr import ocr_is_valid
from services.matcher.engine.settlement.sie import read_sie
from services.matcher.engine.settlement.vat import share_of, vat_of
from shared.db import invoices as invoices_db
from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.http import Client, bearer, ok
from tests.support.money import details_body, invoiced_run, published_run, set_invoicing
from tests.support.world import World, build_world


async def _deliver_yesterday(pool: Pool, world: World) -> None:
    """The cycle's goods arrived yesterday (the world plans them a few days ahead)."""
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE cycle SET delivery_date = current_date - 1 WHERE id = $1",
            UUID(world.cycle["id"]),
        )


async def _line_of(client: Client, run_id: str, token: str) -> dict[str, Any]:
    receipts = await ok(await client.get(f"/v1/runs/{run_id}/receipts", headers=bearer(token)))
    (line,) = receipts["lines"]
    return dict(line)


async def test_receive_invoice_credit_pay_and_read_the_books_back(
    client: Client, admin_token: str, pool: Pool, settings: Settings
) -> None:
    world = await build_world(client, admin_token)
    run_id, other_id, other_token = await published_run(client, world, pool, settings)
    coordinator = bearer(world.coordinator)

    # nothing is invoiced before every party says what its invoices say
    refused = await client.post(f"/v1/runs/{run_id}/invoices", headers=coordinator)
    assert refused.status_code == 409, refused.text
    bad = await client.put(
        f"/v1/organisations/{world.producer_id}/invoicing",
        json=details_body("Ekeby", bankgiro="5050-1056"),
        headers=bearer(world.producer),
    )
    assert bad.status_code == 400, bad.text
    assert "bankgiro" in bad.text
    invoicer = await set_invoicing(
        client,
        world,
        {world.producer_id: world.producer, world.coop_id: world.coop, other_id: other_token},
    )

    await ok(  # the other co-op reads its invoices in English
        await client.put(
            f"/v1/organisations/{other_id}/invoicing",
            json=details_body("Svartbäcken", "556677-8899", language="en"),
            headers=bearer(other_token),
        )
    )

    # receiving waits for the delivery date; then the co-op confirms a damaged crate
    line = await _line_of(client, run_id, world.coop)
    assert line["planned_units"] == 14
    damaged = {
        "lines": [
            {
                "offer_id": line["offer_id"],
                "demand_line_id": line["demand_line_id"],
                "outcome": "damaged",
                "damaged_units": 4,
                "note": "en back krossad",
            }
        ]
    }
    early = await client.put(
        f"/v1/runs/{run_id}/receipts", json=damaged, headers=bearer(world.coop)
    )
    assert early.status_code == 409, early.text
    await _deliver_yesterday(pool, world)
    foreign = await client.put(
        f"/v1/runs/{run_id}/receipts", json=damaged, headers=bearer(other_token)
    )
    assert foreign.status_code == 422, foreign.text  # another co-op's line
    too_many = {"lines": [{**damaged["lines"][0], "damaged_units": 15}]}
    refused = await client.put(
        f"/v1/runs/{run_id}/receipts", json=too_many, headers=bearer(world.coop)
    )
    assert refused.status_code == 422, refused.text
    assert "damaged_units" in refused.json()["detail"]
    received = await ok(
        await client.put(f"/v1/runs/{run_id}/receipts", json=damaged, headers=bearer(world.coop))
    )
    (mine,) = received["lines"]
    assert (mine["outcome"], mine["accepted_milli"], mine["confirmed"]) == ("damaged", 10_000, True)

    # invoices: the delivery notes' figures, once however often asked
    issued = await ok(await client.post(f"/v1/runs/{run_id}/invoices", headers=coordinator))
    again = await ok(await client.post(f"/v1/runs/{run_id}/invoices", headers=coordinator))
    assert issued["created"] == len(issued["invoices"]) > 0
    assert again["created"] == 0
    assert {i["id"] for i in again["invoices"]} == {i["id"] for i in issued["invoices"]}
    invoices = issued["invoices"]
    notes = await ok(await client.get(f"/v1/runs/{run_id}/delivery-notes", headers=coordinator))
    for note in notes:
        goods = [
            i for i in invoices if i["buyer_id"] == note["coop_id"] and i["purpose"] == "goods"
        ]
        transport = [
            i for i in invoices if i["buyer_id"] == note["coop_id"] and i["purpose"] == "transport"
        ]
        assert sum(i["net_ore"] for i in goods) == note["goods_ore"]
        assert sum(i["net_ore"] for i in transport) == note["transport_share_ore"]
        assert all(i["issuer_id"] == invoicer for i in transport)
    for invoice in invoices:
        assert invoice["net_ore"] == sum(line["net_ore"] for line in invoice["lines"])
        for total in invoice["vat"]:
            assert total["vat_ore"] == vat_of(total["taxable_ore"], total["rate_bp"])
        assert invoice["total_ore"] == invoice["net_ore"] + invoice["vat_ore"]
        assert ocr_is_valid(invoice["ocr_reference"])
        assert invoice["issuer"]["legal_name"]
        assert invoice["status"] == "unpaid"
        if invoice["purpose"] == "transport":
            assert [t["rate_bp"] for t in invoice["vat"]] == [2500]
    food = {t["rate_bp"] for i in invoices if i["purpose"] == "goods" for t in i["vat"]}
    assert food == {600 if dt.date.today() < dt.date(2028, 1, 1) else 1200}
    for issuer in {i["issuer_id"] for i in invoices}:
        numbers = sorted(i["number"] for i in invoices if i["issuer_id"] == issuer)
        assert numbers == list(range(1, len(numbers) + 1))

    # a co-op sees its own invoices, not the other co-op's; the other's is 404
    own = await ok(await client.get("/v1/invoices", headers=bearer(world.coop)))
    assert own
    assert all(world.coop_id in (i["issuer_id"], i["buyer_id"]) for i in own)
    others = [i for i in invoices if i["buyer_id"] == other_id]
    hidden = await client.get(f"/v1/invoices/{others[0]['id']}", headers=bearer(world.coop))
    assert hidden.status_code == 404, hidden.text

    # the damaged crate: a credit note correcting the producer's invoice, once
    (goods,) = [i for i in invoices if i["buyer_id"] == world.coop_id and i["purpose"] == "goods"]
    credited = await ok(await client.post(f"/v1/runs/{run_id}/credit-notes", headers=coordinator))
    assert credited["created"] == 1
    (note,) = [i for i in credited["invoices"] if i["kind"] == "credit_note"]
    expected = share_of(goods["lines"][0]["net_ore"], 4_000, 14_000)
    assert note["corrects_id"] == goods["id"]
    assert note["issuer_id"] == goods["issuer_id"] == world.producer_id
    assert note["net_ore"] == -expected
    assert note["lines"][0]["quantity_milli"] == -4_000
    assert (
        note["number"]
        == max(i["number"] for i in invoices if i["issuer_id"] == world.producer_id) + 1
    )
    more = await ok(await client.post(f"/v1/runs/{run_id}/credit-notes", headers=coordinator))
    assert more["created"] == 0

    # printable, in the buyer's language, its style admitted by the page policy
    page = await client.get(f"/v1/invoices/{goods['id']}/invoice.html", headers=bearer(world.coop))
    assert page.status_code == 200, page.text
    for words in ("Faktura", "Momssats", "OCR-nummer", goods["ocr_reference"], "6 %"):
        assert words in page.text
    style = re.search(r"<style>(.*?)</style>", page.text, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in page.headers["content-security-policy"]
    credit_page = await client.get(
        f"/v1/invoices/{note['id']}/invoice.html", headers=bearer(world.producer)
    )
    assert "Kreditfaktura" in credit_page.text
    assert f"Krediterar faktura {goods['number']}" in credit_page.text
    english = await client.get(
        f"/v1/invoices/{others[0]['id']}/invoice.html", headers=bearer(other_token)
    )
    assert "Payment reference (OCR)" in english.text
    assert f"Invoice {others[0]['number']}" in english.text
    assert "Faktura" not in english.text

    # a payment: by the payee, never by the buyer; never more than is open
    path = f"/v1/invoices/{goods['id']}"
    after_credit = await ok(await client.get(path, headers=bearer(world.producer)))
    assert after_credit["open_ore"] == goods["total_ore"] + note["total_ore"]
    today = dt.date.today().isoformat()
    by_buyer = await client.post(
        path + "/payments", json={"paid_on": today}, headers=bearer(world.coop)
    )
    assert by_buyer.status_code == 403, by_buyer.text
    over = await client.post(
        path + "/payments",
        json={"paid_on": today, "amount_ore": after_credit["open_ore"] + 1},
        headers=bearer(world.producer),
    )
    assert over.status_code == 422, over.text
    part = after_credit["open_ore"] // 2
    await ok(
        await client.post(
            path + "/payments",
            json={"paid_on": today, "amount_ore": part},
            headers=bearer(world.producer),
        ),
        201,
    )
    partly = await ok(await client.get(path, headers=bearer(world.coop)))
    assert (partly["status"], partly["open_ore"]) == (
        "partly_paid",
        after_credit["open_ore"] - part,
    )

    # the ledger: what the producer is owed moves by invoice, credit and payment
    ledger = await ok(
        await client.get(
            f"/v1/organisations/{world.producer_id}/ledger", headers=bearer(world.producer)
        )
    )
    sold = sum(i["total_ore"] for i in invoices if i["issuer_id"] == world.producer_id)
    assert ledger[-1]["balance_ore"] == sold + note["total_ore"] - part
    assert {row["event"] for row in ledger} == {"invoice", "credit_note", "payment"}
    csv_text = (
        await client.get(
            f"/v1/organisations/{world.producer_id}/ledger.csv", headers=bearer(world.producer)
        )
    ).text
    assert csv_text.startswith("day,event,invoice_id,number")

    # the SIE 4 file reads back balanced, with the producer's invoices and payment
    year = dt.date.today().year
    response = await client.get(
        f"/v1/organisations/{world.producer_id}/sie",
        params={"from": f"{year}-01-01", "to": f"{year}-12-31"},
        headers=bearer(world.producer),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; charset=cp437")
    sie = read_sie(response.content)
    details = await ok(
        await client.get(
            f"/v1/organisations/{world.producer_id}/invoicing", headers=bearer(world.producer)
        )
    )
    assert (sie.company, sie.org_number) == (details["legal_name"], details["org_number"])
    for ver in sie.verifications:
        assert sum(t.amount_ore for t in ver.transactions) == 0
    by_account: dict[str, int] = defaultdict(int)
    for ver in sie.verifications:
        for t in ver.transactions:
            by_account[t.account] += t.amount_ore
    producer_docs = [i for i in invoices if i["issuer_id"] == world.producer_id] + [note]
    assert by_account["1510"] == sold + note["total_ore"] - part
    assert by_account["1930"] == part
    assert by_account["3003"] == -sum(
        t["taxable_ore"] for d in producer_docs for t in d["vat"] if t["rate_bp"] == 600
    )
    assert by_account["2631"] == -sum(
        t["vat_ore"] for d in producer_docs for t in d["vat"] if t["rate_bp"] == 600
    )
    assert len(sie.verifications) == len(producer_docs) + 1
    across = await client.get(
        f"/v1/organisations/{world.producer_id}/sie",
        params={"from": f"{year}-12-01", "to": f"{year + 1}-01-31"},
        headers=bearer(world.producer),
    )
    assert across.status_code == 400, across.text

    # settlement: the cycle's open amounts net to zero, pairwise or through the network
    settlement = await ok(
        await client.get(f"/v1/cycles/{world.cycle['id']}/settlement", headers=coordinator)
    )
    assert sum(settlement["balances"].values()) == 0
    assert settlement["transfers"]


async def test_concurrent_issuing_keeps_each_issuers_numbers_unique_and_gap_free(
    client: Client, admin_token: str, pool: Pool, settings: Settings
) -> None:
    world = await build_world(client, admin_token)
    run_id, _other_id, _other_token, _ = await invoiced_run(client, world, pool, settings)
    path = f"/v1/runs/{run_id}/invoices"
    answers = await asyncio.gather(
        *(client.post(path, headers=bearer(world.coordinator)) for _ in range(4))
    )
    bodies = [await ok(answer) for answer in answers]
    assert sorted(body["created"] for body in bodies)[:-1] == [0, 0, 0]
    invoices = bodies[0]["invoices"]
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT issuer_id, number FROM invoice WHERE run_id = $1", UUID(run_id)
        )
    assert len(rows) == len(invoices)
    numbers: dict[UUID, list[int]] = defaultdict(list)
    for row in rows:
        numbers[row["issuer_id"]].append(row["number"])
    for issued_numbers in numbers.values():
        assert sorted(issued_numbers) == list(range(1, len(issued_numbers) + 1))

    # numbers taken by transactions that roll back come back: twelve at once, every
    # third rolled back, leave the numbers 1..8 and nothing else
    issuer = UUID(world.coop_id)  # a co-op never issues here: its counter is fresh

    async def take(n: int) -> int | None:
        async with pool.acquire() as conn:
            transaction = conn.transaction()
            await transaction.start()
            number = await invoices_db.next_number(conn, issuer)
            await asyncio.sleep(0.01)
            if n % 3 == 0:
                await transaction.rollback()
                return None
            await transaction.commit()
            return number

    taken = await asyncio.gather(*(take(n) for n in range(12)))
    assert sorted(n for n in taken if n is not None) == list(range(1, 9))


async def test_an_issued_invoice_is_never_changed(
    client: Client, admin_token: str, pool: Pool, settings: Settings
) -> None:
    world = await build_world(client, admin_token)
    run_id, _other_id, _other_token, _ = await invoiced_run(client, world, pool, settings)
    issued = await ok(
        await client.post(f"/v1/runs/{run_id}/invoices", headers=bearer(world.coordinator))
    )
    invoice_id = UUID(issued["invoices"][0]["id"])
    async with pool.acquire() as conn:
        for statement in (
            "UPDATE invoice SET net_ore = net_ore + 1 WHERE id = $1",
            "DELETE FROM invoice_line WHERE invoice_id = $1",
            "UPDATE invoice_vat SET vat_ore = 0 WHERE invoice_id = $1",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await conn.execute(statement, invoice_id)


async def test_through_the_network_the_network_buys_and_sells_and_clears(
    client: Client, admin_token: str, pool: Pool, settings: Settings
) -> None:
    world = await build_world(client, admin_token)
    run_id, other_id, _other_token, invoicer = await invoiced_run(
        client,
        world,
        pool,
        settings,
        sales_mode="through_network",
        clearing=True,
        accounts={"sales_by_rate": {"600": "3010"}, "bank": "1940"},
    )
    issued = await ok(
        await client.post(f"/v1/runs/{run_id}/invoices", headers=bearer(world.coordinator))
    )
    invoices = issued["invoices"]
    bought = [i for i in invoices if i["buyer_id"] == invoicer]
    sold = [i for i in invoices if i["issuer_id"] == invoicer and i["purpose"] == "goods"]
    assert {i["issuer_id"] for i in bought} == {world.producer_id}
    assert {i["buyer_id"] for i in sold} == {world.coop_id, other_id}
    # the network sells on what it bought, at the same price: goods net to nothing
    assert sum(i["net_ore"] for i in bought) == sum(i["net_ore"] for i in sold)
    assert all(i["issuer_id"] == invoicer for i in invoices if i["buyer_id"] != invoicer)

    # a co-op's own view: only what it was invoiced, all by the network
    own = await ok(await client.get(f"/v1/runs/{run_id}/invoices", headers=bearer(world.coop)))
    assert own
    assert {(i["issuer_id"], i["buyer_id"]) for i in own} <= {(invoicer, world.coop_id)}

    settlement = await ok(
        await client.get(
            f"/v1/cycles/{world.cycle['id']}/settlement", headers=bearer(world.coordinator)
        )
    )
    assert settlement["cleared_by"] == invoicer
    assert sum(settlement["balances"].values()) == 0
    moves = {(t["payer_id"], t["payee_id"]) for t in settlement["transfers"]}
    # each co-op pays the network once, the producer gets one payout from it
    assert moves == {(world.coop_id, invoicer), (other_id, invoicer), (invoicer, world.producer_id)}
    (payout,) = [t for t in settlement["transfers"] if t["payee_id"] == world.producer_id]
    assert payout["payer_id"] == invoicer
    assert payout["amount_ore"] == sum(i["total_ore"] for i in bought)

    # the network's settings as a member reads them: the Swedish defaults, and the mode
    network = await ok(
        await client.get(
            f"/v1/networks/{world.network['id']}/invoicing", headers=bearer(world.producer)
        )
    )
    assert network["sales_mode"] == "through_network"
    food = [r for r in network["vat_rules"] if r["vat_class"] == "food"]
    assert [(r["effective_from"], r["rate_bp"]) for r in food][-2:] == [
        ("2026-04-01", 600),
        ("2028-01-01", 1200),
    ]

    assert network["accounts"]["sales_by_rate"] == {"600": "3010"}

    # the network's books use the accounts it mapped
    year = dt.date.today().year
    response = await client.get(
        f"/v1/organisations/{invoicer}/sie",
        params={"from": f"{year}-01-01", "to": f"{year}-12-31"},
        headers=bearer(world.coordinator),
    )
    assert response.status_code == 200, response.text
    sie = read_sie(response.content)
    accounts = {t.account for ver in sie.verifications for t in ver.transactions}
    assert "3010" in accounts
    assert "3003" not in accounts
    assert sie.accounts["3010"] == "3010"  # an account BAS does not name keeps its number


async def test_the_producers_share_of_transport_is_invoiced_to_the_producers(
    client: Client, admin_token: str, pool: Pool, settings: Settings
) -> None:
    world = await build_world(client, admin_token)
    path = f"/v1/networks/{world.network['id']}"
    current = await client.get(path, headers=bearer(world.coordinator))
    await ok(
        await client.patch(
            path,
            json={"producer_share_permille": 300},
            headers={**bearer(world.coordinator), "If-Match": current.headers["etag"]},
        )
    )
    run_id, _other_id, _other_token, invoicer = await invoiced_run(client, world, pool, settings)
    shares = await ok(
        await client.get(f"/v1/runs/{run_id}/cost-shares", headers=bearer(world.coordinator))
    )
    owed: dict[str, int] = defaultdict(int)
    for share in shares:
        owed[share["organisation_id"]] += share["share_ore"]
    assert owed[world.producer_id] > 0
    issued = await ok(
        await client.post(f"/v1/runs/{run_id}/invoices", headers=bearer(world.coordinator))
    )
    transport = {
        i["buyer_id"]: i["net_ore"] for i in issued["invoices"] if i["purpose"] == "transport"
    }
    assert transport == {org: amount for org, amount in owed.items() if amount}
    assert all(
        i["issuer_id"] == invoicer for i in issued["invoices"] if i["purpose"] == "transport"
    )
