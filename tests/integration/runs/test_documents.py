"""The printable documents of a published run, through the API and the pages, against a
real PostgreSQL and a real worker: each PDF's text (read back by pypdf) and each HTML
page say the run's own figures (units, names, amounts to the öre, the transport share
against delivering alone), in Swedish or English; and each party gets only its own.
"""

from __future__ import annotations

import html as html_text
import io
import re
from typing import Any
from uuid import UUID

import pytest
from pypdf import PdfReader

from shared.db.pool import Pool
from shared.formatting import kronor
from shared.settings import Settings
from tests.support.http import Client, bearer, ok
from tests.support.people import session_cookies
from tests.support.runs import drain
from tests.support.world import World, add_coop, add_van, build_world, close_cycle, offer_body


def _pdf_text(body: bytes) -> str:
    pages = PdfReader(io.BytesIO(body)).pages
    return _flat("\n".join(page.extract_text() for page in pages))


def _html_text(body: str) -> str:
    body = re.sub(r"<style>.*?</style>", "", body, flags=re.S)
    return _flat(html_text.unescape(re.sub(r"<[^>]+>", " ", body)))


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


def _kr(ore: int, language: str = "sv") -> str:
    return _flat(kronor(ore, language))


async def _published(
    client: Client, settings: Settings, admin_token: str
) -> tuple[World, str, str, str]:
    """A network's run, published: one farm's carrots (packs of 10 at 125 kr) to two
    co-ops, 14 and 6 kg; Luthagen's milk too, which nobody offers. The run's id and
    the second co-op's id and token."""
    world = await build_world(client, admin_token)
    await add_van(client, world)
    await ok(
        await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)),
        201,
    )
    other_id, other_token = await add_coop(client, world)
    carrots, milk = world.products["Morötter"]["id"], world.products["Mjölk"]["id"]
    for token, lines in (
        (
            world.coop,
            [
                {"product_id": carrots, "firm_quantity": 14},
                {"product_id": milk, "firm_quantity": 6},
            ],
        ),
        (other_token, [{"product_id": carrots, "firm_quantity": 6}]),
    ):
        await ok(
            await client.post(
                f"/v1/cycles/{world.cycle['id']}/demand-rounds",
                json={"lines": lines},
                headers=bearer(token),
            ),
            201,
        )
    run = await close_cycle(client, world)
    await drain(settings)
    coordinator = bearer(world.coordinator)
    base = f"/v1/runs/{run['id']}"
    # before publishing, members see none of it
    hidden = await client.get(base + "/pick-lists.pdf", headers=bearer(world.producer))
    assert hidden.status_code == 404, hidden.text
    for step in ("approve", "publish"):
        await ok(await client.post(f"{base}/{step}", headers=coordinator))
    return world, str(run["id"]), other_id, other_token


@pytest.fixture
async def published(
    client: Client, settings: Settings, admin_token: str
) -> tuple[World, str, str, str]:
    return await _published(client, settings, admin_token)


async def test_the_producers_pick_list_says_how_each_pack_is_split(
    client: Client, published: tuple[World, str, str, str]
) -> None:
    world, run_id, _, _ = published
    base = f"/v1/runs/{run_id}"
    picks = await ok(await client.get(base + "/pick-lists", headers=bearer(world.producer)))
    units = {pick["coop"]: pick["units"] for pick in picks}
    assert units == {"Matkassen Luthagen": 14, "Matkassen Svartbäcken": 6}
    answer = await client.get(base + "/pick-lists.pdf", headers=bearer(world.producer))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    page = await client.get(base + "/pick-lists.html", headers=bearer(world.producer))
    assert page.headers["content-type"].startswith("text/html")
    for text in (_pdf_text(answer.content), _html_text(page.text)):
        assert "Plocklista · Ekeby Gård" in text
        assert (
            "Morötter: 2 förpackningar à 10 kg — Matkassen Luthagen 14 kg, "
            "Matkassen Svartbäcken 6 kg"
        ) in text
        assert "Matkassen Luthagen: hela förpackningen" in text
        assert "Matkassen Svartbäcken 6 kg, Matkassen Luthagen 4 kg" in text
        assert f"Värde: 2 × {_kr(12500)} = {_kr(25000)}" in text
        assert "dela varje förpackning" in text or "navet delar upp dem" in text
        assert "Kylbil" in text
    labels = _pdf_text(answer.content).count("Från Ekeby Gård")
    assert labels == len(picks) == 2  # a label per co-op and product

    english = await client.get(
        base + "/pick-lists.pdf", headers={**bearer(world.producer), "Accept-Language": "en"}
    )
    assert "Pick list · Ekeby Gård" in _pdf_text(english.content)
    assert "2 packs of 10 kg" in _pdf_text(english.content)


async def test_a_coops_delivery_note_has_the_runs_amounts_and_its_transport_share(
    client: Client, published: tuple[World, str, str, str]
) -> None:
    world, run_id, _, _ = published
    base = f"/v1/runs/{run_id}"
    (note,) = await ok(await client.get(base + "/delivery-notes", headers=bearer(world.coop)))
    shares = await ok(await client.get(base + "/cost-shares", headers=bearer(world.coordinator)))
    mine = [s for s in shares if s["organisation_id"] == world.coop_id]
    alone = sum(s["standalone_cost_ore"] for s in mine)
    assert sum(s["share_ore"] for s in mine) == note["transport_share_ore"] > 0
    answer = await client.get(base + "/delivery-notes.pdf", headers=bearer(world.coop))
    assert answer.status_code == 200, answer.text
    page = await client.get(base + "/delivery-notes.html", headers=bearer(world.coop))
    for text in (_pdf_text(answer.content), _html_text(page.text)):
        assert "Följesedel · Matkassen Luthagen" in text
        assert "Luthagsesplanaden 5" in text
        assert "Svartbäcken" not in text
        for line in note["lines"]:
            assert f"{line['units']} kg" in text
            assert _kr(line["amount_ore"]) in text
        assert "12,50 kr/kg" in text  # 125 kr for 10 kg
        assert _kr(note["goods_ore"]) in text
        assert "Beställt men inte levererat" in text
        assert "Mjölk 6 l 0 l 6 l ingen erbjuder varan" in text
        share = note["transport_share_ore"]
        assert f"Att köra till er ensam skulle kosta {_kr(alone)}" in text
        assert f"er del av den gemensamma rutten är {_kr(share)}" in text
        assert f"ni sparar {_kr(alone - share)}" in text
        assert f"Totalt {_kr(note['goods_ore'] + share)}" in text


async def test_the_route_sheet_has_each_stop_address_phone_and_goods_in_one_language(
    client: Client, published: tuple[World, str, str, str]
) -> None:
    world, run_id, _, _ = published
    coordinator = bearer(world.coordinator)
    base = f"/v1/runs/{run_id}"
    run = await ok(await client.get(base, headers=coordinator))
    plan = run["routing"]["proposed"]
    routes = await ok(await client.get(f"{base}/routes?plan={plan}", headers=coordinator))
    route = routes["routes"][0]
    sheet = f"{base}/routes/{route['id']}/sheet"
    answer = await client.get(sheet + ".pdf", headers=coordinator)
    assert answer.status_code == 200, answer.text
    page = await client.get(sheet + ".html", headers=coordinator)
    for text in (_pdf_text(answer.content), _html_text(page.text)):
        assert f"Körlista {route['route_no']} · Kylbil" in text
        assert "navet, Boländerna" in text  # the van starts at the hub
        assert "Hämta hos Ekeby Gård" in text or "Navet: lasta" in text
        assert "Ekeby 1, Uppsala" in text
        assert "Lämna hos Matkassen Luthagen" in text
        assert "Luthagsesplanaden 5" in text
        assert "Morötter 14 kg" in text
        assert not re.search(r"\b(pick up|drop|the hub|Arrive|Where)\b", text), text
    english = await client.get(sheet + ".pdf", headers={**coordinator, "Accept-Language": "en"})
    assert f"Route sheet {route['route_no']} · Kylbil" in _pdf_text(english.content)
    missing = await client.get(f"{base}/routes/{UUID(int=5)}/sheet.pdf", headers=coordinator)
    assert missing.status_code == 404

    # the plan via the hub (stored beside the proposal): its stops name no shipment, yet
    # each says what is loaded and unloaded, at the farm, the hub and the co-op
    hub = await ok(await client.get(f"{base}/routes?plan=hub", headers=coordinator))
    assert hub["routes"], "the network has a hub: its plan is stored too"
    texts = []
    for route in hub["routes"]:
        answer = await client.get(f"{base}/routes/{route['id']}/sheet.pdf", headers=coordinator)
        texts.append(_pdf_text(answer.content))
    every = " ".join(texts)
    assert "Hämta hos Ekeby Gård" in every
    assert "Navet: lasta av" in every
    assert "Navet: lasta" in every
    assert "Morötter 14 kg till Matkassen Luthagen" in every
    assert "Morötter 6 kg från Ekeby Gård till Matkassen Svartbäcken" in every  # at the hub
    assert "Morötter 14 kg från Ekeby Gård" in every
    assert "Lämna hos Matkassen Svartbäcken" in every


async def test_each_party_gets_only_its_own_document(
    client: Client,
    pool: Pool,
    settings: Settings,
    admin_token: str,
    published: tuple[World, str, str, str],
) -> None:
    world, run_id, other_id, other_token = published
    elsewhere = await build_world(client, admin_token)
    base = f"/v1/runs/{run_id}"

    async def status(token: str, path: str, **params: Any) -> int:
        return (await client.get(base + path, headers=bearer(token), params=params)).status_code

    # the other co-op's note is its own
    other = await client.get(base + "/delivery-notes.pdf", headers=bearer(other_token))
    text = _pdf_text(other.content)
    assert "Matkassen Svartbäcken" in text
    assert "Luthagen" not in text
    # a co-op asking for another's note gets its own, never the other's
    asked = await client.get(
        base + "/delivery-notes.html",
        headers=bearer(other_token),
        params={"coop_id": world.coop_id},
    )
    assert "Luthagsesplanaden" not in asked.text
    # coordinators print everyone's, or one's
    everyone = _pdf_text(
        (await client.get(base + "/delivery-notes.pdf", headers=bearer(world.coordinator))).content
    )
    assert "Följesedel · Matkassen Luthagen" in everyone
    assert "Följesedel · Matkassen Svartbäcken" in everyone
    one = await client.get(
        base + "/delivery-notes.pdf",
        headers=bearer(world.coordinator),
        params={"coop_id": other_id},
    )
    assert "Luthagen" not in _pdf_text(one.content)
    # the wrong role is refused; another network's parties find nothing
    assert await status(world.coop, "/pick-lists.pdf") == 403
    assert await status(world.producer, "/delivery-notes.pdf") == 403
    assert await status(world.producer, f"/routes/{UUID(int=1)}/sheet.pdf") == 403
    for token in (elsewhere.coordinator, elsewhere.producer):
        assert await status(token, "/pick-lists.pdf") == 404
        assert await status(token, "/pick-lists.html") == 404
    for token in (elsewhere.coordinator, elsewhere.coop):
        assert await status(token, "/delivery-notes.pdf") == 404
    assert await status(elsewhere.coordinator, f"/routes/{UUID(int=1)}/sheet.html") == 404
    assert (await client.get(base + "/pick-lists.pdf")).status_code == 401
    bad = await client.get("/v1/runs/not-a-run/pick-lists.pdf", headers=bearer(world.producer))
    assert 400 <= bad.status_code < 500
    bad = await client.get(
        base + "/pick-lists.pdf", headers=bearer(world.coordinator), params={"producer_id": "x"}
    )
    assert bad.status_code == 400

    # the pages: the same documents for a person signed in, in the page's language
    async def page(token: str, path: str, language: str = "sv") -> Any:
        client.cookies = await session_cookies(pool, token)
        client.cookies.set("samlast_lang", language)
        try:
            return await client.get(f"/app/runs/{run_id}{path}")
        finally:
            client.cookies.clear()

    mine = await page(world.producer, "/pick-list")
    assert mine.status_code == 200
    assert "Plocklista · Ekeby Gård" in _html_text(mine.text)
    assert f'href="/app/runs/{run_id}/pick-list.pdf"' in mine.text
    pdf = await page(world.coop, "/delivery-note.pdf", "en")
    assert pdf.headers["content-type"] == "application/pdf"
    assert "Delivery note · Matkassen Luthagen" in _pdf_text(pdf.content)
    assert (await page(world.coop, "/pick-list")).status_code == 403
    assert (await page(world.producer, "/delivery-note.pdf")).status_code == 403
    assert (await page(elsewhere.coordinator, "/pick-list.pdf")).status_code == 404
    assert (await page(elsewhere.coop, "/delivery-note")).status_code == 404
    assert (await page(world.coordinator, "/delivery-note")).status_code == 200
