"""The DFC mapping: export → import keeps what an offer is, in any JSON-LD shape; the
catalogs Open Food Network serves and imports read as they should; what can't be held
exactly is refused by name (docs/federation.md)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyld import jsonld as pyld

from services.matcher.engine.federation.catalog import CatalogOffer, Place, Seller, catalog
from services.matcher.engine.federation.orders import Buyer, Purchase, SupplierOrder, orders
from services.matcher.engine.federation.reading import (
    CatalogueProduct,
    ImportPlan,
    ImportRules,
    read_catalog,
)
from services.matcher.engine.federation.units import NotExactError, catalogue_units, ore
from shared.federation import jsonld

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dfc"
BASE = "https://samlast.example/v1/producers/p/dfc/catalog"
SELLER = Seller(iri="https://samlast.example/v1/organisations/p", name="Ekeby Gård")
CARROTS = CatalogueProduct(id=uuid4(), name="Morötter", unit="kg")
MILK = CatalogueProduct(id=uuid4(), name="Mjölk", unit="l")
EGGS = CatalogueProduct(id=uuid4(), name="Ägg", unit="piece")
CATALOGUE = [CARROTS, MILK, EGGS]


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def offer(**values: Any) -> CatalogOffer:
    fields: dict[str, Any] = {
        "offer_id": uuid4(),
        "product": "Morötter",
        "unit": "kg",
        "category": "rotfrukter",
        "note": "tvättade",
        "pack_units": 25,
        "packs": 8,
        "price_per_pack_ore": 19_950,
        "vat_rate_bp": 600,
        "valid_from": dt.date(2026, 12, 7),
        "valid_until": dt.date(2026, 12, 20),
        "pickup": Place(lat=59.9126, lon=17.5203, address="Ekeby 1, Uppsala"),
    }
    return CatalogOffer(**(fields | values))


def exported(offers: list[CatalogOffer]) -> Any:
    """As it leaves the API: encoded, and read back as JSON."""
    document = catalog(SELLER, offers, base=BASE, context=jsonld.CONTEXT_URL)
    return json.loads(json.dumps(document))


def imported(document: Any, **rules: Any) -> ImportPlan:
    return read_catalog(jsonld.read(document), ImportRules(catalogue=CATALOGUE, **rules))


def assert_kept(offers: list[CatalogOffer], plan: ImportPlan) -> None:
    assert not plan.problems
    assert not plan.skipped
    by_sku = {o.source.rsplit("#item-", 1)[1]: o for o in plan.offers}
    assert len(by_sku) == len(offers)
    products = {p.name: p.id for p in CATALOGUE}
    for sent in offers:
        got = by_sku[str(sent.offer_id)]
        assert got.product_id == products[sent.product]
        assert got.pack_units == sent.pack_units
        assert got.packs_available == sent.packs
        assert got.price_per_pack_ore == sent.price_per_pack_ore
        assert got.pickup == sent.pickup
        assert (got.valid_from, got.valid_until) == (sent.valid_from, sent.valid_until)
        assert got.note == sent.note


def test_round_trip_keeps_products_pack_sizes_prices_and_pickup_places() -> None:
    offers = [
        offer(),
        offer(product="Mjölk", unit="l", category="mejeri", pack_units=6, price_per_pack_ore=99),
        offer(
            product="Ägg",
            unit="piece",
            category="ägg",
            pack_units=30,
            price_per_pack_ore=12_000,
            pickup=Place(lat=59.8, lon=17.6, address="Gården"),
            valid_until=dt.date(2027, 1, 31),
        ),
    ]
    assert_kept(offers, imported(exported(offers)))


words = st.text(alphabet="abcåäö ABC123,-", min_size=1, max_size=30).map(
    lambda text: " ".join(text.split())
)


@st.composite
def offers_strategy(draw: st.DrawFn) -> list[CatalogOffer]:
    drawn = []
    for _ in range(draw(st.integers(1, 4))):
        product = draw(st.sampled_from(CATALOGUE))
        first = draw(st.dates(dt.date(2026, 1, 1), dt.date(2030, 1, 1)))
        pickup = draw(
            st.none()
            | st.builds(
                Place,
                lat=st.floats(-90, 90, allow_nan=False),
                lon=st.floats(-180, 180, allow_nan=False),
                address=words,
            )
        )
        drawn.append(
            offer(
                product=product.name,
                unit=product.unit,
                note=draw(words),
                pack_units=draw(st.integers(1, 10**6)),
                packs=draw(st.integers(0, 10**6)),
                price_per_pack_ore=draw(st.integers(0, 10**12)),
                valid_from=first,
                valid_until=first + dt.timedelta(days=draw(st.integers(0, 400))),
                pickup=pickup,
            )
        )
    return drawn


@settings(max_examples=60, deadline=None)
@given(offers_strategy())
def test_any_offers_survive_the_round_trip(offers: list[CatalogOffer]) -> None:
    assert_kept(offers, imported(exported(offers)))


def test_any_equivalent_json_ld_shape_reads_the_same() -> None:
    offers = [offer(), offer(product="Mjölk", unit="l", pack_units=2)]
    document = exported(offers)
    options = {"documentLoader": jsonld._load_shipped}
    expanded = pyld.expand(document, options)  # full IRIs, no context
    nested = pyld.compact(document, jsonld.CONTEXT_URL, options)
    framed = pyld.frame(
        document, {"@context": jsonld.CONTEXT_URL, "@type": "dfc-b:SaleSession"}, options
    )
    v2_context = "https://w3id.org/dfc/ontology/context/context_2.0.0.json"
    as_v2 = pyld.compact(pyld.expand(document, options), v2_context, options)
    v2_iris = json.dumps(as_v2).replace(  # written in DFC 2.0.0's namespaces
        "https://github.com/datafoodconsortium/ontology/releases/latest/download/",
        "http://w3id.org/dfc/ontology/v2.0.0/src/",
    )
    for shape in (expanded, nested, framed, json.loads(v2_iris)):
        assert_kept(offers, imported(shape))


def test_the_catalog_says_its_version_and_shape() -> None:
    document = catalog(SELLER, [offer()], base=BASE, context=jsonld.CONTEXT_URL)
    assert document["@context"] == "https://w3id.org/dfc/ontology/context/context_1.16.0.json"
    types = [node["@type"] for node in document["@graph"]]
    for kind in ("dfc-b:Enterprise", "dfc-b:SuppliedProduct", "dfc-b:CatalogItem", "dfc-b:Offer"):
        assert kind in types
    (price,) = [n["dfc-b:hasPrice"] for n in document["@graph"] if n["@type"] == "dfc-b:Offer"]
    assert price == {
        "@type": "dfc-b:Price",
        "dfc-b:value": 199.5,
        "dfc-b:hasUnit": "http://publications.europa.eu/resource/authority/currency/SEK",
        "dfc-b:VATrate": 6,
    }


def test_an_open_food_network_catalog_reads_with_its_enterprise_place() -> None:
    """OFN's own shape (its swagger examples), a Swedish farm's values."""
    plan = imported(fixture("ofn_enterprise_sek.json"))
    assert not plan.problems
    by_product = {o.product_id: o for o in plan.offers}
    carrots, milk = by_product[CARROTS.id], by_product[MILK.id]
    assert (carrots.pack_units, carrots.packs_available, carrots.price_per_pack_ore) == (
        10,
        12,
        18_000,
    )
    assert (milk.pack_units, milk.packs_available, milk.price_per_pack_ore) == (2, 30, 3950)
    assert carrots.pickup == Place(lat=59.8301, lon=17.5512, address="Ekbacka 1, 755 91 Uppsala")
    assert carrots.note == "Tvättade, ekologiska"  # the HTML is not kept
    assert carrots.valid_from is None  # OFN gives no days: the request's count


def test_open_food_network_as_served_verbatim() -> None:
    """OFN's example, unchanged: an Apple of 1 g in Australian dollars, stock 0."""
    document = fixture("ofn_catalog_items.json")
    apple = CatalogueProduct(id=uuid4(), name="Apple", unit="kg")
    plan = read_catalog(jsonld.read(document), ImportRules(catalogue=[apple], currency="SEK"))
    (problem,) = plan.problems  # matched by its product group's name, "Apple"
    assert problem.name == "Apple - 1g"
    assert "AUD" in problem.message
    assert "SEK" in problem.message
    plan = read_catalog(jsonld.read(document), ImportRules(catalogue=[apple], currency="AUD"))
    (problem,) = plan.problems
    assert "1.0 Gram is not a whole number of kg" in problem.message
    pieces = CatalogueProduct(id=uuid4(), name="Apple", unit="piece")
    plan = read_catalog(jsonld.read(document), ImportRules(catalogue=[pieces], currency="AUD"))
    assert "can't be counted in pieces" in plan.problems[0].message
    for served in (document, fixture("ofn_catalog_items_v2.json")):
        grams = CatalogueProduct(id=uuid4(), name="Apple", unit="kg")
        rules = ImportRules(catalogue=[grams], currency="AUD", products={"AR": None})
        plan = read_catalog(jsonld.read(served), rules)
        assert [s.name for s in plan.skipped] == ["Apple - 1g"]  # left out by its sku


def test_the_wholesale_pack_of_a_food_data_collaboration_catalog() -> None:
    """FDC's catalog as OFN imports it: a case holds n retail units; the case is the pack."""
    pieces = CatalogueProduct(id=uuid4(), name="Skafferi", unit="piece")
    plan = read_catalog(
        jsonld.read(fixture("fdc_catalog.json")),
        ImportRules(
            catalogue=[pieces],
            currency="GBP",
            packs_when_unlimited=3,
            products={
                "Apple Balsamic Vinegar - Case, 6 x 40ml": pieces.id,
                "Baked British Beans - Case, 12 x 400g (can)": pieces.id,
                "Dulse Flakes - Case, 10 x 30g": pieces.id,
                "LIB/NABVI/BF": pieces.id,  # the retail bottle's sku: its case is sold
                "Chia Seed, Organic - Retail pack, 300g": None,
                "Chia Seed, Organic - Case, 8 x 300g": None,
            },
        ),
    )
    assert not plan.problems
    got = {o.name: (o.pack_units, o.packs_available, o.price_per_pack_ore) for o in plan.offers}
    assert got == {
        "Apple Balsamic Vinegar - Case, 6 x 40ml": (6, 5, 3020),
        "Baked British Beans - Case, 12 x 400g (can)": (12, 3, 1885),
        "Dulse Flakes - Case, 10 x 30g": (10, 2, 4500),
    }
    retail = {s.name for s in plan.skipped if s.reason.startswith("a retail unit")}
    assert retail == {
        "Apple Balsamic Vinegar - Retail bottle, 40ml",
        "Baked British Beans - Retail can, 400g (can)",
        "Dulse Flakes - Retail pouch, 30g",
    }


def test_a_wholesale_pack_by_weight_is_n_times_the_retail_unit() -> None:
    kilos = CatalogueProduct(id=uuid4(), name="Bönor", unit="kg")
    document = fixture("fdc_catalog.json")
    plan = read_catalog(
        jsonld.read(document),
        ImportRules(
            catalogue=[kilos],
            currency="GBP",
            products={"Baked British Beans - Case, 12 x 400g (can)": kilos.id},
        ),
    )
    beans = [p for p in plan.problems if p.name.startswith("Baked British Beans - Case")]
    # 12 × 0.4 kg = 4.8 kg: not whole kg, refused rather than rounded
    assert beans
    assert "not a whole number of kg" in beans[0].message


def test_unknown_products_are_named_back() -> None:
    document = exported([offer(product="Palsternacka")])
    plan = imported(document)
    (problem,) = plan.problems
    assert "no product named 'Palsternacka'" in problem.message
    assert "`products`" in problem.message


@pytest.mark.parametrize(
    ("value", "ore_amount"),
    [("30.20", 3020), (19.99, 1999), ("0", 0), (180.0, 18000), ("1e2", 10000)],
)
def test_prices_convert_exactly(value: Any, ore_amount: int) -> None:
    assert ore(value) == ore_amount


@pytest.mark.parametrize("value", ["19.999", 0.001, "-1", "NaN", "Infinity", True, "tio", None])
def test_prices_that_are_no_whole_ore_are_refused(value: Any) -> None:
    with pytest.raises(NotExactError):
        ore(value)


@pytest.mark.parametrize(
    ("value", "measure", "unit", "units"),
    [
        ("2500", "dfc-m:Gram", "kg", None),
        (5000, "dfc-m:Gram", "kg", 5),
        ("0.5", "dfc-m:Tonne", "kg", 500),
        (2000.0, "dfc-m:Millilitre", "l", 2),
        ("75", "dfc-m:Centilitre", "l", None),
        (1, "dfc-m:Dozen", "piece", 12),
        (6, "dfc-m:Piece", "piece", 6),
        (1, "dfc-m:Kilogram", "l", None),
        (1, "dfc-m:Bunch", "piece", None),
        (0, "dfc-m:Kilogram", "kg", None),
    ],
)
def test_pack_sizes_convert_exactly_or_are_refused(
    value: Any, measure: str, unit: str, units: int | None
) -> None:
    if units is None:
        with pytest.raises(NotExactError):
            catalogue_units(value, measure, unit)
    else:
        assert catalogue_units(value, measure, unit) == units


def test_unlimited_stock_needs_a_number_of_packs() -> None:
    document = exported([offer()])
    for node in document["@graph"]:
        if "dfc-b:stockLimitation" in node:
            node["dfc-b:stockLimitation"] = -1
    (problem,) = imported(document).problems
    assert "packs_when_unlimited" in problem.message
    (got,) = imported(document, packs_when_unlimited=4).offers
    assert got.packs_available == 4


def test_unknown_contexts_are_refused_by_name() -> None:
    document = exported([offer()])
    document["@context"] = "https://evil.example/context.jsonld"
    with pytest.raises(jsonld.JsonLdRefusedError, match=r"evil\.example/context\.jsonld"):
        jsonld.read(document)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(["@context", "@id", "@type", "@graph", "@value", "dfc-b:name", "x"])
                | st.text(max_size=8),
                inner,
                max_size=4,
            )
        ),
        max_leaves=12,
    )
)
def test_any_json_is_read_or_refused_never_crashes(document: Any) -> None:
    try:
        nodes = jsonld.read(document)
    except jsonld.JsonLdRefusedError:
        return
    read_catalog(nodes, ImportRules(catalogue=CATALOGUE))


def test_orders_name_each_producer_and_its_packs() -> None:
    producer = UUID(int=7)
    document = orders(
        Buyer(iri="https://samlast.example/v1/networks/n", name="Uppsala län"),
        [
            SupplierOrder(
                producer_id=producer,
                producer_iri="https://samlast.example/v1/organisations/7",
                producer_name="Ekeby Gård",
                purchases=[
                    Purchase(
                        offer_iri=f"{BASE}#offer-1",
                        product="Morötter",
                        unit="kg",
                        pack_units=25,
                        packs=3,
                        price_per_pack_ore=19_950,
                        vat_rate_bp=600,
                    )
                ],
            )
        ],
        base="https://samlast.example/v1/runs/r/dfc/orders",
        ordered_on=dt.date(2026, 12, 7),
        currency="SEK",
        context=jsonld.CONTEXT_URL,
    )
    nodes = jsonld.read(json.loads(json.dumps(document)))
    (order,) = [n for n in nodes.values() if "dfc-b:Order" in n["@type"]]
    assert order["dfc-b:soldBy"] == [{"@id": "https://samlast.example/v1/organisations/7"}]
    assert order["dfc-b:hasOrderStatus"] == [{"@id": "dfc-v:Complete"}]
    (line,) = [n for n in nodes.values() if "dfc-b:OrderLine" in n["@type"]]
    assert line["dfc-b:quantity"] == [3]
    assert line["dfc-b:concerns"] == [{"@id": f"{BASE}#offer-1"}]
    price = nodes[line["dfc-b:hasPrice"][0]["@id"]]
    assert price["dfc-b:value"] == [199.5]
    assert price["dfc-b:VATrate"] == [6]
