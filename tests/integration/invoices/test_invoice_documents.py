"""An invoice as its reader takes it away: a PDF whose text (read back with pypdf) holds
the invoice's number, payment reference, totals, VAT per rate and the payee's accounts,
in the buyer's language; the organisation's invoices as a CSV for Swedish spreadsheets;
and a ledger that reads one bounded period at a time."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from pypdf import PdfReader
from stdnum import iban

from services.api.invoices.printable import Figures
from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.http import Client, bearer, ok
from tests.support.money import invoiced_run
from tests.support.world import build_world

SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})


def _pdf_text(body: bytes) -> str:
    assert body.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages).translate(SPACES)


def _money(ore: int, language: str) -> str:
    return Figures(language).money(ore).translate(SPACES)


def _holds_the_figures(text: str, invoice: dict[str, Any], language: str) -> None:
    assert str(invoice["number"]) in text
    for ore in (invoice["net_ore"], invoice["vat_ore"], invoice["total_ore"]):
        assert _money(ore, language) in text, (ore, text)
    for total in invoice["vat"]:
        assert Figures(language).rate(total["rate_bp"]).translate(SPACES) in text
        assert _money(total["taxable_ore"], language) in text
        assert _money(total["vat_ore"], language) in text
    for line in invoice["lines"]:
        assert line["description"][:20] in text


async def test_invoice_pdf_and_csv_carry_the_invoices_figures(
    client: Client, admin_token: str, pool: Pool, settings: Settings
) -> None:
    world = await build_world(client, admin_token)
    run_id, other_id, other_token, _ = await invoiced_run(client, world, pool, settings)
    english = await client.get(
        f"/v1/organisations/{other_id}/invoicing", headers=bearer(other_token)
    )
    body = {k: v for k, v in english.json().items() if k not in ("organisation_id", "version")}
    await ok(
        await client.put(
            f"/v1/organisations/{other_id}/invoicing",
            json={**body, "language": "en"},
            headers=bearer(other_token),
        )
    )
    issued = await ok(
        await client.post(f"/v1/runs/{run_id}/invoices", headers=bearer(world.coordinator))
    )
    (goods,) = [
        i for i in issued["invoices"] if i["buyer_id"] == world.coop_id and i["purpose"] == "goods"
    ]
    goods = await ok(await client.get(f"/v1/invoices/{goods['id']}", headers=bearer(world.coop)))

    # the buyer's PDF, in Swedish: every figure of the invoice, and where to pay
    answer = await client.get(f"/v1/invoices/{goods['id']}/invoice.pdf", headers=bearer(world.coop))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    text = _pdf_text(answer.content)
    assert f"Faktura {goods['number']}" in text
    _holds_the_figures(text, goods, "sv")
    assert goods["ocr_reference"] in text
    assert "OCR-nummer" in text
    assert goods["issuer"]["bankgiro"] in text
    assert iban.format(goods["issuer"]["iban"]) in text
    assert goods["issuer"]["legal_name"] in text
    assert goods["buyer"]["legal_name"] in text
    assert goods["due_on"] in text

    # the other co-op reads its invoice in English
    (theirs,) = [
        i for i in issued["invoices"] if i["buyer_id"] == other_id and i["purpose"] == "goods"
    ]
    theirs = await ok(await client.get(f"/v1/invoices/{theirs['id']}", headers=bearer(other_token)))
    answer = await client.get(
        f"/v1/invoices/{theirs['id']}/invoice.pdf", headers=bearer(other_token)
    )
    text = _pdf_text(answer.content)
    assert f"Invoice {theirs['number']}" in text
    assert "Payment reference (OCR)" in text
    _holds_the_figures(text, theirs, "en")
    # ... and nobody else's: another co-op's invoice is 404
    hidden = await client.get(
        f"/v1/invoices/{theirs['id']}/invoice.pdf", headers=bearer(world.coop)
    )
    assert hidden.status_code == 404, hidden.text

    # a credit note for a damaged crate: its PDF names the invoice it corrects
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE cycle SET delivery_date = current_date - 1 WHERE id = $1::uuid",
            world.cycle["id"],
        )
    line = goods["lines"][0]
    await ok(
        await client.put(
            f"/v1/runs/{run_id}/receipts",
            json={
                "lines": [
                    {
                        "offer_id": line["offer_id"],
                        "demand_line_id": line["demand_line_id"],
                        "outcome": "damaged",
                        "damaged_units": 4,
                    }
                ]
            },
            headers=bearer(world.coop),
        )
    )
    credited = await ok(
        await client.post(f"/v1/runs/{run_id}/credit-notes", headers=bearer(world.coordinator))
    )
    (note,) = [i for i in credited["invoices"] if i["kind"] == "credit_note"]
    answer = await client.get(f"/v1/invoices/{note['id']}/invoice.pdf", headers=bearer(world.coop))
    text = _pdf_text(answer.content)
    assert f"Kreditfaktura {note['number']}" in text
    assert f"Krediterar faktura {goods['number']}" in text
    _holds_the_figures(text, note, "sv")

    # the co-op's invoices as a spreadsheet: BOM, semicolons, decimal commas
    answer = await client.get("/v1/invoices.csv", headers=bearer(world.coop))
    assert answer.status_code == 200, answer.text
    assert answer.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff")), delimiter=";"))
    header, body_rows = rows[0], rows[1:]
    assert header[:3] == ["Nummer", "Typ", "Avser"]
    mine = [i for i in credited["invoices"] if world.coop_id in (i["buyer_id"], i["issuer_id"])]
    assert len(body_rows) == len(mine)
    by_number = {
        (row["Säljare"], row["Nummer"]): row
        for row in (dict(zip(header, cells, strict=True)) for cells in body_rows)
    }
    seller = goods["issuer"]["legal_name"]
    row = by_number[(seller, str(goods["number"]))]
    assert row["Typ"] == "Faktura"
    whole, cents = divmod(goods["total_ore"], 100)
    assert row["Totalt"] == f"{whole},{cents:02d}"
    assert row["OCR-nummer"] == goods["ocr_reference"]
    credit_row = by_number[(seller, str(note["number"]))]
    assert credit_row["Typ"] == "Kreditfaktura"
    whole, cents = divmod(-note["total_ore"], 100)
    assert credit_row["Totalt"] == f"-{whole},{cents:02d}"  # a number, not text
    english_csv = await client.get(
        "/v1/invoices.csv", headers={**bearer(other_token), "Accept-Language": "en"}
    )
    assert english_csv.text.lstrip("\ufeff").startswith("Number;Kind;Purpose")


async def test_the_ledger_reads_a_year_at_a_time(
    client: Client, admin_token: str, pool: Pool, settings: Settings
) -> None:
    world = await build_world(client, admin_token)
    run_id, _other_id, _other_token, _ = await invoiced_run(client, world, pool, settings)
    await ok(await client.post(f"/v1/runs/{run_id}/invoices", headers=bearer(world.coordinator)))
    path = f"/v1/organisations/{world.producer_id}/ledger"
    producer = bearer(world.producer)
    recent = await ok(await client.get(path, headers=producer))
    assert {row["event"] for row in recent} == {"invoice"}
    today = dt.date.today()
    earlier = await ok(
        await client.get(
            path, params={"to": (today - dt.timedelta(days=1)).isoformat()}, headers=producer
        )
    )
    assert earlier == []  # the year before yesterday holds none of today's invoices
    for params in (
        {"from": "2020-01-01", "to": "2021-06-30"},
        {"from": today.isoformat(), "to": (today - dt.timedelta(days=3)).isoformat()},
    ):
        refused = await client.get(path, params=params, headers=producer)
        assert refused.status_code == 400, refused.text
        refused = await client.get(path + ".csv", params=params, headers=producer)
        assert refused.status_code == 400, refused.text
