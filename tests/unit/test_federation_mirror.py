"""A peer's feed read as the mirror its networks list (engine/federation/mirror.py): one
offer per item, known by its sku and its producer's id, listed in each network that has
a product of its name; what a network can't list is skipped there, with the reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any
from uuid import uuid4

import pytest

from services.api.web import i18n
from services.matcher.engine.federation import units
from services.matcher.engine.federation.catalog import CatalogOffer, Place, Seller, catalog
from services.matcher.engine.federation.mirror import NetworkCatalogue, mirror_plan
from services.matcher.engine.federation.reading import CatalogueProduct
from shared.federation import jsonld

PRODUCER = uuid4()
SELLER = Seller(iri=f"https://b.example/v1/organisations/{PRODUCER}", name="Ekeby Gård")
BASE = f"https://b.example/federation/v1/catalog/{PRODUCER}"


def offer(**values: Any) -> CatalogOffer:
    fields: dict[str, Any] = {
        "offer_id": uuid4(),
        "product": "Morötter",
        "unit": "kg",
        "pack_units": 10,
        "packs": 12,
        "price_per_pack_ore": 12_500,
        "valid_from": dt.date(2026, 12, 7),
        "valid_until": dt.date(2026, 12, 20),
        "pickup": Place(lat=59.9126, lon=17.5203, address="Ekeby 1"),
    }
    return CatalogOffer(**(fields | values))


def nodes(*offers: CatalogOffer) -> Any:
    return jsonld.read(catalog(SELLER, list(offers), base=BASE, context=jsonld.CONTEXT_URL))


def network(*products: CatalogueProduct, currency: str = "SEK") -> NetworkCatalogue:
    return NetworkCatalogue(network_id=uuid4(), currency=currency, products=list(products))


def test_each_item_is_one_offer_listed_in_every_network_with_its_product() -> None:
    carrots, milk = offer(), offer(product="Mjölk", unit="l", pack_units=6, packs=4)
    here_carrots = CatalogueProduct(id=uuid4(), name="MORÖTTER", unit="kg")  # case aside
    there_carrots = CatalogueProduct(id=uuid4(), name="morötter", unit="kg")
    here = network(here_carrots, CatalogueProduct(id=uuid4(), name="Mjölk", unit="l"))
    there = network(there_carrots)
    plan = mirror_plan(nodes(carrots, milk), [here, there])
    by_id = {o.remote_offer_id: o for o in plan.offers}
    assert set(by_id) == {carrots.offer_id, milk.offer_id}
    mirrored = by_id[carrots.offer_id]
    assert mirrored.listings == {
        here.network_id: here_carrots.id,
        there.network_id: there_carrots.id,
    }
    assert (mirrored.pack_units, mirrored.packs_available, mirrored.price_per_pack_ore) == (
        10,
        12,
        12_500,
    )
    assert mirrored.pickup == Place(lat=59.9126, lon=17.5203, address="Ekeby 1")
    assert mirrored.remote_producer_id == PRODUCER
    assert plan.producers[PRODUCER].name == "Ekeby Gård"
    assert list(by_id[milk.offer_id].listings) == [here.network_id]
    assert [(s.name, s.reason) for s in plan.skipped[there.network_id]] == [
        ("Mjölk", "no product named 'Mjölk' in this network's catalogue")
    ]
    assert plan.skipped[here.network_id] == []


def test_an_item_priced_in_another_currency_is_skipped_in_that_network() -> None:
    item = offer()
    euro = network(CatalogueProduct(id=uuid4(), name="Morötter", unit="kg"), currency="EUR")
    plan = mirror_plan(nodes(item), [euro])
    assert plan.offers == []
    (skipped,) = plan.skipped[euro.network_id]
    assert "EUR" in skipped.reason


def test_no_network_no_offers() -> None:
    assert mirror_plan(nodes(offer()), []).offers == []


def test_an_item_whose_unit_does_not_fit_is_skipped_with_a_reason_pages_translate() -> None:
    """The unit checks' reasons carry their msgid: the network settings page says them in
    its language, Swedish first."""
    litres = network(CatalogueProduct(id=uuid4(), name="Morötter", unit="l"))
    plan = mirror_plan(nodes(offer()), [litres])
    (skipped,) = plan.skipped[litres.network_id]
    assert (
        skipped.reason == "a quantity in Kilogram can't be counted in litres, the catalogue's unit"
    )
    assert i18n.translate("sv", skipped.message, skipped.values) == (
        "en mängd i Kilogram kan inte räknas i liter, katalogens enhet"
    )
    assert i18n.translate("en", skipped.message, skipped.values) == skipped.reason


def test_every_unit_check_has_its_swedish() -> None:
    refusals: list[Callable[[], object]] = [
        partial(units.decimal, "tio"),
        partial(units.ore, "12.345"),
        partial(units.ore, 10**13),
        partial(units.whole, "2.5", "the stock"),
    ]
    for unit, (_, _, measure) in units.CATALOGUE_UNITS.items():
        refusals += [
            partial(units.catalogue_units, "1", None, unit),
            partial(units.catalogue_units, "1", "dfc-m:Euro", unit),
            partial(units.catalogue_units, "0.5", measure, unit),
        ]
    swedish = i18n.catalogue("sv")
    for refuse in refusals:
        with pytest.raises(units.NotExactError) as refused:
            refuse()
        assert refused.value.template in swedish, refused.value.template
        assert str(refused.value) == i18n.translate(
            "en", refused.value.template, refused.value.values
        )
