"""A producer's offers as a DFC catalog, in the shape Open Food Network serves.

Each offer is a ``dfc-b:SuppliedProduct`` (one pack: its name, the pack size as its
quantity, its product type where the category names one), the ``dfc-b:CatalogItem``
that references it (the offer's id as ``sku``, the packs still for sale as
``stockLimitation``) and the ``dfc-b:Offer`` through which it is offered (the price of a
pack before VAT, its currency and VAT rate). The pickup place and the days an offer can
be had are a ``dfc-b:SaleSession`` listing the offers (``beginDate``, ``endDate``) with a
``dfc-b:PickupOption`` picked up at a ``dfc-b:PhysicalPlace`` whose ``dfc-b:Address``
has the latitude and longitude: DFC has no property from an offer to a place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from services.matcher.engine.federation.units import CATALOGUE_UNITS, currency_iri, price

# a network's categories (shared/contracts/catalogue.py) → DFC product types
# (taxonomy productTypes.rdf); "övrigt" and "spannmål" name none
PRODUCT_TYPES = {
    "grönsaker": "dfc-pt:vegetable",
    "rotfrukter": "dfc-pt:vegetable",
    "frukt": "dfc-pt:fruit",
    "bär": "dfc-pt:berry",
    "mejeri": "dfc-pt:dairy-product",
    "ägg": "dfc-pt:egg",
    "kött": "dfc-pt:meat-product",
    "fisk": "dfc-pt:fishery-product",
    "bröd": "dfc-pt:bread",
    "skafferi": "dfc-pt:local-grocery-store",
    "dryck": "dfc-pt:drink",
}


class Place(msgspec.Struct, frozen=True, kw_only=True):
    lat: float
    lon: float
    address: str = ""


class CatalogOffer(msgspec.Struct, frozen=True, kw_only=True):
    offer_id: UUID
    product: str  # the catalogue product's name
    unit: str  # the catalogue's unit: kg, l or piece
    category: str = ""
    note: str = ""
    pack_units: int
    packs: int  # still for sale
    price_per_pack_ore: int
    vat_rate_bp: int | None = None  # 600 = 6 %
    currency: str = "SEK"  # ISO 4217: the listing network's
    valid_from: dt.date
    valid_until: dt.date
    pickup: Place | None  # None: not shown (the producer shows its municipality only)


class Seller(msgspec.Struct, frozen=True, kw_only=True):
    iri: str
    name: str


def catalog(
    seller: Seller,
    offers: Sequence[CatalogOffer],
    *,
    base: str,
    context: str,
) -> dict[str, Any]:
    """The catalog as compact JSON-LD (``@context`` the DFC context URL, one ``@graph``)."""
    graph: list[dict[str, Any]] = [
        {
            "@id": seller.iri,
            "@type": "dfc-b:Enterprise",
            "dfc-b:name": seller.name,
            "dfc-b:manages": [f"{base}#item-{o.offer_id}" for o in offers],
            "dfc-b:supplies": [f"{base}#product-{o.offer_id}" for o in offers],
        }
    ]
    for offer in offers:
        graph += _offer_nodes(seller, offer, base)
    graph += _sessions(offers, base)
    return {"@context": context, "@graph": graph}


def _offer_nodes(seller: Seller, offer: CatalogOffer, base: str) -> list[dict[str, Any]]:
    product_id = f"{base}#product-{offer.offer_id}"
    item_id = f"{base}#item-{offer.offer_id}"
    offer_id = f"{base}#offer-{offer.offer_id}"
    product: dict[str, Any] = {
        "@id": product_id,
        "@type": "dfc-b:SuppliedProduct",
        "dfc-b:name": offer.product,
        "dfc-b:description": offer.note,
        "dfc-b:hasQuantity": {
            "@type": "dfc-b:QuantitativeValue",
            "dfc-b:hasUnit": CATALOGUE_UNITS[offer.unit][2],
            "dfc-b:value": offer.pack_units,
        },
        "dfc-b:referencedBy": item_id,
    }
    if offer.category in PRODUCT_TYPES:
        product["dfc-b:hasType"] = PRODUCT_TYPES[offer.category]
    price_node: dict[str, Any] = {
        "@type": "dfc-b:Price",
        "dfc-b:value": price(offer.price_per_pack_ore),
        "dfc-b:hasUnit": currency_iri(offer.currency),
    }
    if offer.vat_rate_bp is not None:
        rate = Decimal(offer.vat_rate_bp) / 100
        price_node["dfc-b:VATrate"] = int(rate) if rate == int(rate) else float(rate)
    return [
        product,
        {
            "@id": item_id,
            "@type": "dfc-b:CatalogItem",
            "dfc-b:references": product_id,
            "dfc-b:sku": str(offer.offer_id),
            "dfc-b:stockLimitation": offer.packs,
            "dfc-b:offeredThrough": offer_id,
            "dfc-b:managedBy": seller.iri,
        },
        {
            "@id": offer_id,
            "@type": "dfc-b:Offer",
            "dfc-b:offeredItem": {"@id": product_id},  # not an @id term in the context
            "dfc-b:hasPrice": price_node,
            "dfc-b:stockLimitation": offer.packs,
        },
    ]


def _sessions(offers: Sequence[CatalogOffer], base: str) -> list[dict[str, Any]]:
    """One sale session per pickup place and validity, listing its offers."""
    groups: dict[tuple[Any, ...], list[CatalogOffer]] = {}
    for offer in offers:
        key = (offer.pickup, offer.valid_from, offer.valid_until)
        groups.setdefault(key, []).append(offer)
    nodes: list[dict[str, Any]] = []
    for number, ((pickup, valid_from, valid_until), members) in enumerate(groups.items(), 1):
        session: dict[str, Any] = {
            "@id": f"{base}#session-{number}",
            "@type": "dfc-b:SaleSession",
            "dfc-b:beginDate": valid_from.isoformat(),
            "dfc-b:endDate": valid_until.isoformat(),
            "dfc-b:lists": [f"{base}#offer-{o.offer_id}" for o in members],
        }
        nodes.append(session)
        if pickup is None:
            continue
        session["dfc-b:hasOption"] = f"{base}#pickup-{number}"
        nodes += [
            {
                "@id": f"{base}#pickup-{number}",
                "@type": "dfc-b:PickupOption",
                "dfc-b:pickedUpAt": f"{base}#place-{number}",
            },
            {
                "@id": f"{base}#place-{number}",
                "@type": "dfc-b:PhysicalPlace",
                "dfc-b:hasAddress": f"{base}#address-{number}",
            },
            {
                "@id": f"{base}#address-{number}",
                "@type": "dfc-b:Address",
                "dfc-b:hasStreet": pickup.address,
                "dfc-b:latitude": pickup.lat,
                "dfc-b:longitude": pickup.lon,
            },
        ]
    return nodes
