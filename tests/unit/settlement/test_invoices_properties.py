"""A run's invoices, credit notes, settlement and SIE file, on random runs and receipts.

The properties of issue 22: every invoice's lines sum to its totals, VAT per rate is
``vat_of`` of the taxable sum, a cycle's invoices to co-ops add up to goods plus
transport less credits (and with VAT to that plus VAT per rate), settlement nets to
zero, and the SIE file reads back balanced with the invoices' figures.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from uuid import UUID

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matcher.engine.settlement.invoices import (
    Draft,
    IssuedInvoice,
    IssuedLine,
    Purchase,
    Purpose,
    SalesMode,
    Terms,
    TransportCharge,
    credit_notes,
    line_amounts,
    run_invoices,
)
from services.matcher.engine.settlement.ledger import (
    BAS_NAMES,
    AccountPlan,
    LedgerDocument,
    LedgerPayment,
    account_names,
    verifications,
)
from services.matcher.engine.settlement.netting import Claim, settle
from services.matcher.engine.settlement.sie import (
    SieFile,
    SieTransaction,
    SieVerification,
    UnbalancedError,
    read_sie,
    write_sie,
)
from services.matcher.engine.settlement.vat import SWEDISH_RATES, vat_of

PRODUCERS = [uuid.UUID(int=100 + n) for n in range(3)]
COOPS = [uuid.UUID(int=200 + n) for n in range(3)]
NETWORK = uuid.UUID(int=1)
DAYS = [dt.date(2026, 3, 30), dt.date(2026, 4, 2), dt.date(2028, 1, 3)]


@st.composite
def runs(draw: st.DrawFn) -> tuple[list[Purchase], list[TransportCharge], Terms]:
    purchases = []
    for offer_no in range(draw(st.integers(1, 4))):
        offer_id = uuid.UUID(int=1000 + offer_no)
        producer = draw(st.sampled_from(PRODUCERS))
        pack_units = draw(st.integers(1, 12))
        price = draw(st.integers(0, 90_000))
        vat_class = draw(st.sampled_from(["food", "food", "standard"]))
        coops = draw(st.lists(st.sampled_from(COOPS), min_size=1, max_size=3, unique=True))
        units = [draw(st.integers(1, 30)) for _ in coops]
        packs = -(-sum(units) // pack_units)
        units[0] += packs * pack_units - sum(units)  # packs are fully distributed
        unit = draw(st.sampled_from(["kg", "piece"]))
        per_unit = draw(st.sampled_from([1000, 500, 100])) if unit == "kg" else 1000
        for line_no, (coop, unit_count) in enumerate(zip(coops, units, strict=True)):
            purchases.append(
                Purchase(
                    offer_id=offer_id,
                    demand_line_id=uuid.UUID(int=5000 + offer_no * 10 + line_no),
                    producer_id=producer,
                    producer=f"Gård {producer.int}",
                    coop_id=coop,
                    coop=f"Coop {coop.int}",
                    product=f"Vara {offer_no}",
                    unit=unit,
                    vat_class=vat_class,
                    units=unit_count,
                    packs=packs,
                    pack_units=pack_units,
                    price_per_pack_ore=price,
                    per_unit_milli=per_unit,
                )
            )
    payers = draw(st.lists(st.sampled_from(COOPS + PRODUCERS), unique=True, max_size=4))
    transport = [
        TransportCharge(payer_id=payer, amount_ore=draw(st.integers(0, 200_000)))
        for payer in payers
    ]
    terms = Terms(
        sales_mode=draw(st.sampled_from(list(SalesMode))),
        network_org_id=NETWORK,
        delivery_date=draw(st.sampled_from(DAYS)),
        rules=SWEDISH_RATES,
        vat_exempt=frozenset(draw(st.lists(st.sampled_from(PRODUCERS), max_size=1))),
    )
    return purchases, transport, terms


def receipts(purchases: list[Purchase]) -> st.SearchStrategy[dict[tuple[UUID, UUID], int]]:
    keys = [(p.offer_id, p.demand_line_id, p.units * p.per_unit_milli) for p in purchases]
    return st.fixed_dictionaries(
        {},
        optional={(o, d): st.integers(0, planned + 500) for o, d, planned in keys},
    )


def issued(drafts: list[Draft]) -> list[IssuedInvoice]:
    return [
        IssuedInvoice(
            id=uuid.UUID(int=9000 + n),
            issuer_id=d.issuer_id,
            buyer_id=d.buyer_id,
            lines=tuple(
                IssuedLine(
                    offer_id=line.offer_id,
                    demand_line_id=line.demand_line_id,
                    description=line.description,
                    unit=line.unit,
                    quantity_milli=line.quantity_milli,
                    unit_price_ore=line.unit_price_ore,
                    net_ore=line.net_ore,
                    vat_rate_bp=line.vat_rate_bp,
                )
                for line in d.lines
                if line.offer_id is not None and line.demand_line_id is not None
            ),
        )
        for n, d in enumerate(drafts)
        if d.purpose is Purpose.GOODS
    ]


def assert_adds_up(document: Draft) -> None:
    assert document.net_ore == sum(line.net_ore for line in document.lines)
    taxable: dict[int, int] = defaultdict(int)
    for line in document.lines:
        taxable[line.vat_rate_bp] += line.net_ore
    assert {t.rate_bp: t.taxable_ore for t in document.vat} == dict(taxable)
    for total in document.vat:
        assert total.vat_ore == vat_of(total.taxable_ore, total.rate_bp)
    assert document.vat_ore == sum(t.vat_ore for t in document.vat)
    assert document.total_ore == document.net_ore + document.vat_ore


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_invoices_and_credit_notes_add_up_to_goods_plus_transport_less_credits(
    data: st.DataObject,
) -> None:
    purchases, transport, terms = data.draw(runs())
    accepted = data.draw(receipts(purchases))
    invoices = run_invoices(purchases, transport, terms)
    notes = credit_notes(issued(invoices), accepted)
    for document in invoices + notes:
        assert_adds_up(document)
    assert all(line.net_ore <= 0 for note in notes for line in note.lines)

    goods = sum(p.packs * p.price_per_pack_ore for p in {p.offer_id: p for p in purchases}.values())
    assert sum(line_amounts(purchases).values()) == goods
    coop_transport = sum(c.amount_ore for c in transport if c.payer_id in COOPS)
    to_coops = [d for d in invoices if d.buyer_id in COOPS]
    credits_to_coops = [n for n in notes if n.buyer_id in COOPS]
    credited = -sum(n.net_ore for n in credits_to_coops)
    assert sum(d.net_ore for d in to_coops) + sum(n.net_ore for n in credits_to_coops) == (
        goods + coop_transport - credited
    )
    assert sum(d.net_ore for d in to_coops) == goods + coop_transport
    vat_per_rate: dict[int, int] = defaultdict(int)
    for document in to_coops + credits_to_coops:
        for total in document.vat:
            vat_per_rate[total.rate_bp] += total.vat_ore
    assert sum(d.total_ore for d in to_coops + credits_to_coops) == (
        goods + coop_transport - credited + sum(vat_per_rate.values())
    )
    # a credit never exceeds the line it corrects
    by_line = {
        (line.offer_id, line.demand_line_id, d.issuer_id): line.net_ore
        for d in invoices
        for line in d.lines
    }
    for note in notes:
        for line in note.lines:
            assert -line.net_ore <= by_line[(line.offer_id, line.demand_line_id, note.issuer_id)]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_crediting_again_with_what_was_credited_finds_nothing_more(data: st.DataObject) -> None:
    purchases, transport, terms = data.draw(runs())
    accepted = data.draw(receipts(purchases))
    invoices = issued(run_invoices(purchases, transport, terms))
    notes = {note.corrects: note for note in credit_notes(invoices, accepted)}
    credited = [
        IssuedInvoice(
            id=invoice.id,
            issuer_id=invoice.issuer_id,
            buyer_id=invoice.buyer_id,
            lines=invoice.lines,
            credited_ore={
                (line.offer_id, line.demand_line_id): -line.net_ore  # type: ignore[misc]
                for line in (notes[invoice.id].lines if invoice.id in notes else ())
            },
        )
        for invoice in invoices
    ]
    assert credit_notes(credited, accepted) == []


def test_a_damaged_crate_is_credited_in_proportion_with_its_vat() -> None:
    offer, line = uuid.UUID(int=1), uuid.UUID(int=2)
    purchase = Purchase(
        offer_id=offer,
        demand_line_id=line,
        producer_id=PRODUCERS[0],
        producer="Ekgården",
        coop_id=COOPS[0],
        coop="Matkassen",
        product="Morötter",
        unit="kg",
        vat_class="food",
        units=30,
        packs=3,
        pack_units=10,
        price_per_pack_ore=24_900,
    )
    terms = Terms(
        sales_mode=SalesMode.DIRECT,
        network_org_id=NETWORK,
        delivery_date=dt.date(2026, 12, 10),
        rules=SWEDISH_RATES,
    )
    (invoice,) = run_invoices([purchase], [], terms)
    assert (invoice.net_ore, invoice.vat_ore, invoice.total_ore) == (74_700, 4_482, 79_182)
    assert invoice.lines[0].unit_price_ore == 2_490
    (note,) = credit_notes(issued([invoice]), {(offer, line): 20_000})  # a crate of 10 kg
    assert (note.net_ore, note.vat_ore, note.total_ore) == (-24_900, -1_494, -26_394)
    assert note.lines[0].quantity_milli == -10_000
    assert note.corrects == uuid.UUID(int=9000)


def test_small_units_are_invoiced_per_kilogram() -> None:
    """Cheese sold in 500 g units: 3 units are 1,5 kg at the price per kg, and a crate
    weighed short is credited by its grams."""
    offer, line = uuid.UUID(int=1), uuid.UUID(int=2)
    cheese = Purchase(
        offer_id=offer,
        demand_line_id=line,
        producer_id=PRODUCERS[0],
        producer="Ekgården",
        coop_id=COOPS[0],
        coop="Matkassen",
        product="Västerbottensost",
        unit="kg",
        vat_class="food",
        units=10,
        packs=1,
        pack_units=10,  # a 5 kg pack of ten 500 g units
        price_per_pack_ore=109_950,
        per_unit_milli=500,
    )
    terms = Terms(
        sales_mode=SalesMode.DIRECT,
        network_org_id=NETWORK,
        delivery_date=dt.date(2026, 12, 10),
        rules=SWEDISH_RATES,
    )
    (invoice,) = run_invoices([cheese], [], terms)
    (goods,) = invoice.lines
    assert (goods.quantity_milli, goods.unit_price_ore, goods.net_ore) == (5_000, 21_990, 109_950)
    (note,) = credit_notes(issued([invoice]), {(offer, line): 4_500})  # weighed: 4,5 kg
    assert note.lines[0].quantity_milli == -500
    assert note.net_ore == -10_995


@given(
    st.lists(
        st.builds(
            Claim,
            creditor_id=st.sampled_from([*PRODUCERS, NETWORK]),
            debtor_id=st.sampled_from([*COOPS, NETWORK]),
            amount_ore=st.integers(-50_000, 500_000),
        ),
        max_size=12,
    ),
    st.booleans(),
)
def test_settlement_nets_to_zero_and_its_transfers_settle_every_balance(
    claims: list[Claim], through_network: bool
) -> None:
    claims = [c for c in claims if c.creditor_id != c.debtor_id]
    result = settle(claims, NETWORK if through_network else None)
    assert sum(result.balances.values()) == 0
    moved: dict[UUID, int] = defaultdict(int)
    for transfer in result.transfers:
        assert transfer.amount_ore > 0
        moved[transfer.payee_id] += transfer.amount_ore
        moved[transfer.payer_id] -= transfer.amount_ore
    assert {k: v for k, v in moved.items() if v} == {k: v for k, v in result.balances.items() if v}
    if through_network:
        assert all(NETWORK in (t.payer_id, t.payee_id) for t in result.transfers)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_the_sie_file_reads_back_balanced_with_each_invoices_figures(data: st.DataObject) -> None:
    purchases, transport, terms = data.draw(runs())
    accepted = data.draw(receipts(purchases))
    drafts = run_invoices(purchases, transport, terms)
    notes = credit_notes(issued(drafts), accepted)
    documents = [
        LedgerDocument(
            id=uuid.UUID(int=n),
            number=n,
            credit_note=d.corrects is not None,
            purpose=d.purpose.value,
            issuer_id=d.issuer_id,
            buyer_id=d.buyer_id,
            issued_on=terms.delivery_date,
            vat=d.vat,
            total_ore=d.total_ore,
            text=f'Faktura {n} "Gård Ärlig" Å é',
        )
        for n, d in enumerate(drafts + notes, start=1)
    ]
    payments = [
        LedgerPayment(
            invoice_number=doc.number,
            issuer_id=doc.issuer_id,
            buyer_id=doc.buyer_id,
            paid_on=terms.delivery_date,
            amount_ore=doc.total_ore // 2,
            written_off=doc.number % 2 == 0,
        )
        for doc in documents
        if doc.total_ore > 1
    ]
    for organisation in [NETWORK, *PRODUCERS, *COOPS]:
        vers = verifications(organisation, documents, payments, AccountPlan())
        sie = SieFile(
            company="Gård Ärlig",
            org_number="556016-0680",
            generated_on=dt.date(2026, 12, 6),
            year_start=dt.date(2026, 1, 1),
            year_end=dt.date(2026, 12, 31),
            accounts=account_names(vers, BAS_NAMES),
            verifications=tuple(vers),
        )
        back = read_sie(write_sie(sie))
        assert back == sie
        for ver in back.verifications:
            assert sum(t.amount_ore for t in ver.transactions) == 0
        receivable = sum(
            t.amount_ore for v in back.verifications for t in v.transactions if t.account == "1510"
        )
        sold = sum(d.total_ore for d in documents if d.issuer_id == organisation)
        paid = sum(p.amount_ore for p in payments if p.issuer_id == organisation)
        assert receivable == sold - paid


def test_the_sie_file_is_code_page_437_with_crlf_and_a_verification_per_document() -> None:
    ver = SieVerification(
        series="A",
        number=1,
        day=dt.date(2026, 12, 10),
        text="Faktura 7 — Ärtgården",
        transactions=(
            SieTransaction(account="1510", amount_ore=79_182),
            SieTransaction(account="3003", amount_ore=-74_700),
            SieTransaction(account="2631", amount_ore=-4_482),
        ),
    )
    sie = SieFile(
        company="Ärtgården",
        org_number="556016-0680",
        generated_on=dt.date(2026, 12, 11),
        year_start=dt.date(2026, 1, 1),
        year_end=dt.date(2026, 12, 31),
        accounts=account_names([ver], BAS_NAMES),
        verifications=(ver,),
    )
    data = write_sie(sie)
    assert b"\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert "Ärtgården".encode("cp437") in data
    assert b'#VER A 1 20261210 "Faktura 7 ? \x8ertg\x86rden"\r\n{\r\n' in data
    assert b"   #TRANS 1510 {} 791.82\r\n" in data
    assert b"   #TRANS 3003 {} -747.00\r\n" in data
    assert b"#SIETYP 4\r\n" in data
    assert b"#FORMAT PC8\r\n" in data
    with pytest.raises(UnbalancedError):
        write_sie(
            msgspec.structs.replace(
                sie,
                verifications=(msgspec.structs.replace(ver, transactions=ver.transactions[:2]),),
            )
        )
