"""The money pages at the HTTP level, in Swedish: a co-op confirms a damaged crate (a
mistake comes back beside its line with what was typed), an organisation's invoicing
details refuse a bad Bankgiro beside the field, the coordinator issues invoices and
credit notes after a page that asks, records a partial payment in kronor with a decimal
comma after a confirmation, and the ledger, its CSV and the SIE file are there. Who may
open what is as the API says: a co-op is refused the coordinator's pages.

The walk through them in Chromium is ``tests/browser/test_money.py``.
"""

from __future__ import annotations

import re
from urllib.parse import unquote
from uuid import UUID

from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.http import Client, bearer, ok
from tests.support.money import invoiced_run
from tests.support.people import session_cookies
from tests.support.world import build_world


async def test_from_a_damaged_crate_to_a_recorded_payment(
    client: Client, admin_token: str, pool: Pool, settings: Settings
) -> None:
    world = await build_world(client, admin_token)
    run_id, _other_id, _other_token, _ = await invoiced_run(client, world, pool, settings)
    origin = {"Origin": str(client.base_url).rstrip("/")}

    # the co-op: before the delivery date the page says when, with no form to send
    client.cookies = await session_cookies(pool, world.coop)
    early = await client.get(f"/app/runs/{run_id}/receiving")
    assert early.status_code == 200
    assert "Varorna kommer" in early.text
    assert "Bekräfta vad som kom</button>" not in early.text
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE cycle SET delivery_date = current_date WHERE id = $1", UUID(world.cycle["id"])
        )
    form_page = await client.get(f"/app/runs/{run_id}/receiving")
    (key,) = set(re.findall(r'name="outcome:([0-9a-f-]+:[0-9a-f-]+)"', form_page.text))
    typed = {f"outcome:{key}": "damaged", f"damaged:{key}": "15", f"note:{key}": "en back krossad"}
    path = f"/app/runs/{run_id}/receiving"
    refused = await client.post(path, data=typed, headers=origin, follow_redirects=False)
    assert refused.status_code == 422
    assert f'id="e-damaged-{key}"' in refused.text
    assert "högst det planerade" in refused.text
    assert 'value="en back krossad"' in refused.text  # nothing typed is lost
    assert 'value="15"' in refused.text
    typed[f"damaged:{key}"] = "4"
    saved = await client.post(path, data=typed, headers=origin, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    receipts = await ok(await client.get(f"/v1/runs/{run_id}/receipts", headers=bearer(world.coop)))
    (line,) = receipts["lines"]
    assert (line["outcome"], line["accepted_milli"]) == ("damaged", 10_000)
    # the coordinator's pages are not the co-op's
    assert (await client.get(f"/app/runs/{run_id}/money")).status_code == 403

    # the producer's invoicing details: a Bankgiro that fails its check digit
    client.cookies = await session_cookies(pool, world.producer)
    details = (await client.get("/app/invoicing")).text
    assert "Juridiskt namn" in details
    form = {
        "legal_name": "Ekeby Gård AB",
        "billing_address": "Ekeby 1, 755 91 Uppsala",
        "org_number": "556036-0793",
        "vat_number": "",
        "bankgiro": "5050-1056",
        "plusgiro": "",
        "iban": "",
        "bic": "",
        "payment_terms_days": "20",
        "language": "sv",
    }
    refused = await client.post("/app/invoicing", data=form, headers=origin)
    assert refused.status_code == 422
    assert 'id="e-bankgiro"' in refused.text
    assert "inget giltigt bankgironummer" in refused.text
    assert 'value="Ekeby Gård AB"' in refused.text
    form["bankgiro"] = "5050-1055"
    saved = await client.post("/app/invoicing", data=form, headers=origin, follow_redirects=False)
    assert saved.status_code == 303, saved.text

    # the coordinator: issuing asks first, then issues; the credit note for the crate
    client.cookies = await session_cookies(pool, world.coordinator)
    money = await client.get(f"/app/runs/{run_id}/money")
    assert "Utfärda fakturorna" in money.text
    asked = await client.get(f"/app/runs/{run_id}/money/invoices")
    assert "Det går inte att ångra" in asked.text
    for what in ("invoices", "credit-notes"):
        issued = await client.post(
            f"/app/runs/{run_id}/money/{what}", headers=origin, follow_redirects=False
        )
        assert issued.status_code == 303
        assert "done:" in unquote(issued.cookies.get("samlast_flash") or "")
    invoices = await ok(
        await client.get(f"/v1/runs/{run_id}/invoices", headers=bearer(world.coordinator))
    )
    assert any(i["kind"] == "credit_note" for i in invoices)
    (goods,) = [
        i
        for i in invoices
        if i["buyer_id"] == world.coop_id and i["purpose"] == "goods" and i["kind"] == "invoice"
    ]
    assert goods["issuer"]["legal_name"] == "Ekeby Gård AB"
    money = await client.get(f"/app/runs/{run_id}/money")
    assert "Avräkning för omgången" in money.text

    # a partial payment of 100,50 kr: checked, confirmed, recorded
    pay = f"/app/invoices/{goods['id']}/payment"
    bad = {"kind": "partly", "amount": "100,505", "paid_on": "2026-01-01", "back": "/app/invoices"}
    refused = await client.post(pay, data=bad, headers=origin)
    assert refused.status_code == 422
    assert 'id="e-amount"' in refused.text
    good = {**bad, "amount": "100,50", "step": "check"}
    asked = await client.post(pay, data=good, headers=origin)
    assert asked.status_code == 200
    assert "Ja, registrera betalningen" in asked.text
    assert "100,50 kr betalt 2026-01-01" in asked.text
    unpaid = await ok(await client.get(f"/v1/invoices/{goods['id']}", headers=bearer(world.coop)))
    assert unpaid["paid_ore"] == 0  # asking records nothing
    confirmed = re.search(r'name="open_ore" value="(\d+)"', asked.text)
    assert confirmed is not None
    recorded = await client.post(
        pay,
        data={**good, "step": "record", "open_ore": confirmed.group(1)},
        headers=origin,
        follow_redirects=False,
    )
    assert recorded.status_code == 303
    # the same confirmation sent again (a second click) records nothing more
    again = await client.post(
        pay,
        data={**good, "step": "record", "open_ore": confirmed.group(1)},
        headers=origin,
        follow_redirects=False,
    )
    assert again.status_code == 303
    assert "fakturan har ändrats" in (await client.get(again.headers["location"])).text
    paid = await ok(await client.get(f"/v1/invoices/{goods['id']}", headers=bearer(world.coop)))
    assert (paid["status"], paid["paid_ore"]) == ("partly_paid", 10_050)

    # the co-op reads its invoices, prints one, takes its PDF; may not record its own payment
    client.cookies = await session_cookies(pool, world.coop)
    listed = await client.get("/app/invoices")
    assert "delbetald" in listed.text
    assert f"/app/invoices/{goods['id']}/invoice.pdf" in listed.text
    assert (await client.get(f"/app/invoices/{goods['id']}")).status_code == 200
    document = await client.get(f"/app/invoices/{goods['id']}/invoice.pdf")
    assert document.content.startswith(b"%PDF")
    assert (await client.get(pay)).status_code == 404
    sheet = await client.get("/app/invoices.csv")
    assert sheet.text.startswith("\ufeffNummer;Typ;Avser")
    client.cookies["samlast_lang"] = "en"  # the language switch: the same pages in English
    english = await client.get("/app/invoices")
    assert "Our invoices" in english.text
    assert "partly paid" in english.text
    assert "Confirm what arrived" in (await client.get(f"/app/runs/{run_id}/receiving")).text
    assert (await client.get("/app/invoices.csv")).text.startswith("\ufeffNumber;Kind;Purpose")

    # the producer: its ledger, the CSV of it, and the SIE file of the year
    client.cookies = await session_cookies(pool, world.producer)
    ledger = await client.get("/app/ledger")
    assert "Betalning" in ledger.text
    assert (await client.get("/app/ledger.csv")).text.startswith("\ufeffday;event")
    refused = await client.get("/app/ledger", params={"from": "2020-01-01", "to": "2022-01-01"})
    assert refused.status_code == 422
    assert 'id="e-period"' in refused.text
    year = paid["issued_on"][:4]
    sie = await client.get("/app/sie", params={"from": f"{year}-01-01", "to": f"{year}-12-31"})
    assert sie.status_code == 200
    assert sie.content.startswith(b"#FLAGGA")
    across = await client.get(
        "/app/sie", params={"from": "2025-12-01", "to": "2026-01-31"}, follow_redirects=False
    )
    assert across.status_code == 303  # back to the ledger page, saying why
