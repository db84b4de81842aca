"""The printable documents from values, without servers: how packs are split, and what the
HTML and the PDF say (the PDF's text as pypdf extracts it), in Swedish and English."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
from collections.abc import Callable
from typing import Any
from uuid import UUID

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from services.api.documents import html, pdf
from services.api.documents import stops as sheet_stops
from services.api.documents.model import (
    Goods,
    Heading,
    NoteDocument,
    Party,
    PickList,
    Portion,
    SheetDocument,
    SheetStop,
    ShortLine,
    Transport,
    split_packs,
)
from services.api.documents.service import _packed
from services.api.runs.documents import NoteLine, PickLine
from services.api.web import i18n

ZONE = "Europe/Stockholm"
AT = dt.datetime(2026, 12, 10, 6, 30, tzinfo=dt.UTC)  # 07:30 in Uppsala
HEADING = Heading(
    run_id=UUID(int=1),
    run_version=2,
    network="Uppsala län",
    delivery_date=dt.date(2026, 12, 10),
    zone=ZONE,
    plan="joint",
    hub_address="Boländerna 3",
)


def _text(document: bytes) -> str:
    reader = PdfReader(io.BytesIO(document))
    return "\n".join(page.extract_text() for page in reader.pages)


def _page(document: str) -> str:
    """What a reader sees of an HTML document: no style block, no tags."""
    return _flat(re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", document, flags=re.S)))


def _flat(text: str) -> str:
    """Whitespace as one space (PDF text breaks lines; Babel writes narrow spaces)."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


def test_whole_packs_go_whole_and_the_rest_fills_the_packs_left() -> None:
    portions = [
        Portion(coop="Eriksberg", units=7),
        Portion(coop="Flogsta", units=17),
        Portion(coop="Luthagen", units=26),
    ]
    groups = split_packs(25, portions)
    assert [(g.packs, [(p.coop, p.units) for p in g.portions]) for g in groups] == [
        (1, [("Luthagen", 25)]),
        (1, [("Flogsta", 17), ("Eriksberg", 7), ("Luthagen", 1)]),
    ]
    alike = split_packs(10, [Portion(coop="Flogsta", units=30)])
    assert [(g.packs, g.portions[0].units) for g in alike] == [(3, 10)]


@given(
    pack_units=st.integers(1, 40),
    packs=st.integers(1, 12),
    cuts=st.lists(st.integers(0, 480), max_size=6),
)
def test_every_pack_is_full_and_each_coop_gets_its_units(
    pack_units: int, packs: int, cuts: list[int]
) -> None:
    total = pack_units * packs
    points = sorted({min(c, total) for c in cuts} | {0, total})
    units = [b - a for a, b in itertools.pairwise(points) if b > a]
    portions = [Portion(coop=f"co-op {n}", units=u) for n, u in enumerate(units)]
    groups = split_packs(pack_units, portions)
    assert sum(g.packs for g in groups) == packs
    for group in groups:
        assert sum(p.units for p in group.portions) == pack_units
    got: dict[str, int] = {}
    for group in groups:
        for p in group.portions:
            got[p.coop] = got.get(p.coop, 0) + p.units * group.packs
    assert got == {p.coop: p.units for p in portions}


def _pick_list(split_by: str = "producer") -> PickList:
    rows = [
        {
            "offer_id": UUID(int=9),
            "coop": coop,
            "units": units,
            "product": "Potatis",
            "unit": "kg",
            "per_unit_milli": 1000,
            "pack_units": 25,
            "packs": 2,
            "price_per_pack_ore": 37550,
        }
        for coop, units in (("Eriksberg", 7), ("Flogsta", 17), ("Luthagen", 26))
    ]
    lines = [
        PickLine(
            producer_id=UUID(int=3),
            producer="Ekeby Gård",
            coop_id=UUID(int=10 + n),
            coop=coop,
            product="Potatis",
            unit="kg",
            temperature="ambient",
            units=units,
            pickup_at=AT,
            vehicle="Kylbil",
        )
        for n, (coop, units) in enumerate((("Eriksberg", 7), ("Flogsta", 17), ("Luthagen", 26)))
    ]
    return PickList(
        heading=HEADING,
        producer=Party(id=UUID(int=3), name="Ekeby Gård", address="Ekeby 1"),
        split_by="hub" if split_by == "hub" else "producer",
        offers=_packed(rows),  # type: ignore[arg-type]  # dicts read like records
        lines=lines,
        coops={},
    )


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_pick_list_says_how_each_pack_is_split_and_labels_each_crate(language: str) -> None:
    pick = _pick_list()
    text = _flat(_text(pdf.pick_lists([pick], language, ZONE)))
    page = _page(html.pick_lists([pick], language, ZONE, {}))
    for document in (text, page):
        if language == "sv":
            assert "Plocklista · Ekeby Gård" in document
            assert (
                "Potatis: 2 förpackningar à 25 kg — Luthagen 26 kg, Flogsta 17 kg, Eriksberg 7 kg"
                in document
            )
            assert "Luthagen: hela förpackningen" in document
            assert "Flogsta 17 kg, Eriksberg 7 kg, Luthagen 1 kg" in document
            assert "Värde: 2 × 375,50 kr = 751 kr" in document
            assert "Leverans torsdag 10 december 2026" in document
            assert "hämtas 07:30" in document
        else:
            assert "Pick list · Ekeby Gård" in document
            assert "Potatis: 2 packs of 25 kg" in document
            assert "Value: 2 × 375.50 kr = 751 kr" in document
    assert text.count("Från Ekeby Gård" if language == "sv" else "From Ekeby Gård") == 3


def test_who_splits_the_packs_follows_the_plan() -> None:
    direct = _flat(_text(pdf.pick_lists([_pick_list()], "sv", ZONE)))
    hub = _flat(_text(pdf.pick_lists([_pick_list("hub")], "sv", ZONE)))
    assert "dela varje förpackning" in direct
    assert "navet delar upp dem" in hub


def _note() -> NoteDocument:
    lines = [
        NoteLine(
            producer="Ekeby Gård",
            product="Mjölk",
            unit="l",
            units=4,
            amount_ore=4833,
            arrives_at=AT,
            vehicle="Kylbil",
            offer_id=UUID(int=5),
            demand_line_id=UUID(int=6),
            pack_units=6,
            price_per_pack_ore=7250,
        ),
        NoteLine(
            producer="Ekeby Gård",
            product="Ägg",
            unit="piece",
            units=30,
            amount_ore=9000,
            arrives_at=AT,
            vehicle="Kylbil",
            offer_id=UUID(int=7),
            demand_line_id=UUID(int=8),
            pack_units=30,
            price_per_pack_ore=9000,
        ),
    ]
    return NoteDocument(
        heading=HEADING,
        coop=Party(id=UUID(int=4), name="Matkassen Luthagen", address="Luthagsesplanaden 5"),
        lines=lines,
        short=[
            ShortLine(
                product="Ost",
                unit="kg",
                ordered=3,
                tolerance=1,
                delivered=0,
                short=3,
                reason="price_above_max",
                max_unit_price_ore=15000,
                cheapest_unit_price_ore=18900,
            ),
            ShortLine(
                product="Morötter",
                unit="kg",
                ordered=14,
                tolerance=0,
                delivered=10,
                short=4,
                reason="pack_not_completed",
                units_to_next_pack=6,
            ),
        ],
        transport=Transport(share_ore=12345, alone_ore=40000, routes=1),
        goods_ore=13833,
    )


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_delivery_note_has_prices_amounts_what_did_not_come_and_the_transport_share(
    language: str,
) -> None:
    note = _note()
    text = _flat(_text(pdf.delivery_notes([note], language, ZONE)))
    page = _page(html.delivery_notes([note], language, ZONE, {}))
    for document in (text, page):
        if language == "sv":
            assert "Följesedel · Matkassen Luthagen" in document
            assert "12,08 kr/l" in document  # 72,50 kr for 6 l
            assert "48,33 kr" in document
            assert "30 st" in document
            assert "Beställt men inte levererat" in document
            assert "billigaste erbjudandet var 189,00 kr/kg" in document
            assert "6 kg till" in document
            assert "Att köra till er ensam skulle kosta 400 kr" in document
            assert "er del av den gemensamma rutten är 123,45 kr" in document
            assert "ni sparar 276,55 kr" in document
            assert "261,78 kr" in document  # 138,33 + 123,45
        else:
            assert "12.08 kr/l" in document
            assert "30 pcs" in document
            assert "you save 276.55 kr" in document
            assert "Total" in document


def _sheet() -> SheetDocument:
    goods = [
        Goods(producer="Ekeby Gård", coop="Matkassen Luthagen", product="Mjölk", unit="l", units=12)
    ]
    stops = [
        SheetStop(
            seq=0,
            kind="start",
            role="start",
            arrival_at=AT,
            departure_at=AT,
            name="",
            address="",
            phone="",
            goods=[],
            load_grams=0,
        ),
        SheetStop(
            seq=1,
            kind="pickup",
            role="producer",
            arrival_at=AT,
            departure_at=AT + dt.timedelta(minutes=10),
            name="Ekeby Gård",
            address="Ekeby 1, Uppsala",
            phone="018-12 34 56",
            goods=goods,
            load_grams=12360,
        ),
        SheetStop(
            seq=2,
            kind="delivery",
            role="coop",
            arrival_at=AT + dt.timedelta(hours=1),
            departure_at=AT + dt.timedelta(hours=1, minutes=5),
            name="Matkassen Luthagen",
            address="Luthagsesplanaden 5",
            phone="",
            goods=goods,
            load_grams=0,
        ),
        SheetStop(
            seq=3,
            kind="end",
            role="end",
            arrival_at=AT + dt.timedelta(hours=2),
            departure_at=AT + dt.timedelta(hours=2),
            name="",
            address="",
            phone="",
            goods=[],
            load_grams=0,
        ),
    ]
    return SheetDocument(
        heading=HEADING,
        route_id=UUID(int=2),
        route_no=1,
        vehicle="Kylbil",
        producer="",
        start="59.85860, 17.63890",
        starts_at_hub=True,
        distance_m=43210,
        duration_s=7500,
        stops=stops,
    )


def test_a_route_sheet_lists_each_stop_with_address_phone_and_goods() -> None:
    sheet = _sheet()
    for document in (
        _flat(_text(pdf.route_sheet(sheet, "sv"))),
        _page(html.route_sheet(sheet, "sv", {})),
    ):
        assert "Körlista 1 · Kylbil" in document
        assert "torsdag 10 december 2026" in document
        assert "43,2 km" in document
        assert "navet, Boländerna 3" in document
        assert "Hämta hos Ekeby Gård" in document
        assert "018-12 34 56" in document
        assert "Mjölk 12 l till Matkassen Luthagen" in document
        assert "Lämna hos Matkassen Luthagen" in document
        assert "Mjölk 12 l från Ekeby Gård" in document
        assert "08:30–08:35" in document
        assert "12,4 kg" in document
        assert " the " not in document  # nothing left in English


def test_every_word_the_documents_write_has_its_swedish(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each document, in each of its branches, asks the catalogue only for messages that
    have a Swedish translation: nothing falls back to English."""
    missing: list[str] = []
    swedish = i18n.catalogue("sv")
    real = i18n.gettext_for

    def recording(language: str) -> Callable[..., str]:
        translate = real(language)

        def gettext(text: str, **values: object) -> str:
            if text not in swedish:
                missing.append(text)
            return translate(text, **values)

        return gettext

    monkeypatch.setattr(i18n, "gettext_for", recording)  # as Words looks it up
    note = _note()
    reasons = ["no_offer", "supply_short", "temperature", "validity", "excluded"]
    more_short = [
        msgspec.structs.replace(note.short[0], reason=reason, pro_rata_permille=500)
        for reason in reasons
    ]
    notes = [
        msgspec.structs.replace(note, short=[*note.short, *more_short]),
        msgspec.structs.replace(
            note,
            lines=[msgspec.structs.replace(note.lines[0], arrives_at=None, vehicle=None)],
            transport=Transport(share_ore=100, alone_ore=100, routes=1),
        ),
        msgspec.structs.replace(
            note,
            lines=[],
            short=[],
            transport=Transport(share_ore=0, alone_ore=0, routes=0),
            goods_ore=0,
        ),
    ]
    lists = [_pick_list(), _pick_list("hub"), msgspec.structs.replace(_pick_list(), offers=[])]
    sheet = _sheet()
    hub_stops = [
        msgspec.structs.replace(stop, role="hub", name="")
        for stop in sheet.stops
        if stop.kind in ("pickup", "delivery")
    ]
    sheets = [
        sheet,
        msgspec.structs.replace(
            sheet,
            vehicle="",
            producer="Ekeby Gård",
            starts_at_hub=False,
            stops=[*sheet.stops, *hub_stops],
        ),
    ]
    for language in ("sv",):
        pdf.pick_lists(lists, language, ZONE)
        pdf.pick_lists([], language, ZONE)
        html.pick_lists(lists, language, ZONE, {"back": "/", "pdf": "/", "csv": "/"})
        html.pick_lists([], language, ZONE, {})
        pdf.delivery_notes(notes, language, ZONE)
        pdf.delivery_notes([], language, ZONE)
        html.delivery_notes(notes, language, ZONE, {})
        html.delivery_notes([], language, ZONE, {})
        for each in sheets:
            pdf.route_sheet(each, language)
            html.route_sheet(each, language, {})
    assert sorted(set(missing)) == []


def _stop(seq: int, kind: str, role: str, name: str, goods: list[Goods], load: int) -> SheetStop:
    at = AT + dt.timedelta(minutes=10 * seq)
    return msgspec.convert(
        {
            "seq": seq,
            "kind": kind,
            "role": role,
            "arrival_at": at,
            "departure_at": at + dt.timedelta(minutes=5),
            "name": name,
            "address": f"{name} 1" if name else "Boländerna 3",
            "phone": "",
            "goods": goods,
            "load_grams": load,
        },
        SheetStop,
        from_attributes=True,
    )


def test_a_hub_route_stops_once_per_place_and_names_what_it_loads_and_unloads() -> None:
    """A collection run: two pickups at one farm (one per co-op's shipment) are one stop,
    and at the hub the van unloads what it collected; a delivery run loads at the hub
    what it then drops."""
    carrots = Goods(producer="Ekeby", coop="Luthagen", product="Morötter", unit="kg", units=14)
    milk = Goods(producer="Ekeby", coop="Flogsta", product="Mjölk", unit="l", units=6)
    collection = [
        _stop(0, "start", "start", "", [], 0),
        _stop(1, "pickup", "producer", "Ekeby", [carrots], 14000),
        _stop(2, "pickup", "producer", "Ekeby", [milk], 20180),
        _stop(3, "delivery", "hub", "", [], 0),
        _stop(4, "end", "end", "", [], 0),
    ]
    stops = sheet_stops.merged(collection)
    sheet_stops.fill_hub_goods(stops)
    assert [(s.kind, s.name) for s in stops] == [
        ("start", ""),
        ("pickup", "Ekeby"),
        ("delivery", ""),
        ("end", ""),
    ]
    assert stops[1].goods == [milk, carrots]
    assert stops[1].departure_at == collection[2].departure_at
    assert stops[2].goods == [milk, carrots]  # unloaded at the hub
    delivery = [
        _stop(0, "start", "start", "", [], 0),
        _stop(1, "pickup", "hub", "", [], 14000),
        _stop(2, "delivery", "coop", "Luthagen", [carrots], 0),
    ]
    sheet_stops.fill_hub_goods(delivery)
    assert delivery[1].goods == [carrots]


def test_a_hub_stop_names_the_goods_of_the_temperature_class_it_moved() -> None:
    """The hub plan's stops name no shipment: what a farm's pickup loads is told apart by
    its weight when the farm sends chilled and ambient goods on different vans."""
    farm, coop = UUID(int=1), UUID(int=2)
    line = {
        "producer_id": farm,
        "coop_id": coop,
        "producer": "Ekeby",
        "coop": "Luthagen",
        "per_unit_milli": 1000,
    }
    lines: list[Any] = [  # dicts read like records
        {**line, "temperature": "ambient", "product": "Morötter", "unit": "kg", "units": 14},
        {**line, "temperature": "chilled", "product": "Mjölk", "unit": "l", "units": 6},
    ]
    shipments: list[Any] = [
        {**line, "temperature": "ambient", "weight_grams": 14000, "unserved_reason": None},
        {**line, "temperature": "chilled", "weight_grams": 6180, "unserved_reason": None},
    ]
    goods = sheet_stops.GoodsIndex(lines, shipments)
    assert [g.product for g in goods.of_party(farm, 6180)] == ["Mjölk"]
    assert [g.product for g in goods.of_party(coop, 14000)] == ["Morötter"]
    assert sorted(g.product for g in goods.of_party(farm, 999)) == ["Mjölk", "Morötter"]


def test_hostile_names_print_as_text_and_long_ones_fit_their_label() -> None:
    """A member names itself as it likes: markup stays text in the HTML, characters the
    font lacks don't stop the PDF, and a long name is cut to its label with an ellipsis."""
    hostile = '<script>alert("x")</script> Gård 🥕 農場 ' + "Långnamn" * 40
    pick = _pick_list()
    pick = msgspec.structs.replace(
        pick,
        producer=msgspec.structs.replace(pick.producer, name=hostile),
        lines=[msgspec.structs.replace(line, coop=hostile) for line in pick.lines],
    )
    page = html.pick_lists([pick], "sv", ZONE, {})
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    text = _flat(_text(pdf.pick_lists([pick], "sv", ZONE)))
    assert '<script>alert("x")</script> Gård' in text
    assert text.count('<script>alert("x")</scri…') == 3  # each label's co-op, cut to fit
