"""A published run's purchases as DFC orders: one ``dfc-b:Order`` per producer.

The network buys whole packs of each producer's offers for its co-ops, so what a
producer is sold is an order from the network: one ``dfc-b:OrderLine`` per offer,
``dfc-b:concerns`` the offer (as the producer's catalog names it), ``dfc-b:quantity``
the packs (whole), ``dfc-b:hasPrice`` the price of one pack before VAT. How the packs
are shared between the co-ops is Samlast's own business (the delivery notes); it is
not an order to the producer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from services.matcher.engine.federation.units import currency_iri, price


class Purchase(msgspec.Struct, frozen=True, kw_only=True):
    offer_iri: str
    product: str
    unit: str
    pack_units: int
    packs: int
    price_per_pack_ore: int
    vat_rate_bp: int | None = None


class SupplierOrder(msgspec.Struct, frozen=True, kw_only=True):
    producer_id: UUID
    producer_iri: str
    producer_name: str
    purchases: list[Purchase]


class Buyer(msgspec.Struct, frozen=True, kw_only=True):
    iri: str
    name: str


def orders(
    buyer: Buyer,
    supplier_orders: Sequence[SupplierOrder],
    *,
    base: str,
    ordered_on: dt.date,
    currency: str,
    context: str,
) -> dict[str, Any]:
    graph: list[dict[str, Any]] = [
        {"@id": buyer.iri, "@type": "dfc-b:Enterprise", "dfc-b:name": buyer.name}
    ]
    for number, order in enumerate(supplier_orders, 1):
        order_id = f"{base}#order-{order.producer_id}"
        lines = [f"{order_id}-line-{n}" for n in range(1, len(order.purchases) + 1)]
        graph += [
            {
                "@id": order.producer_iri,
                "@type": "dfc-b:Enterprise",
                "dfc-b:name": order.producer_name,
            },
            {
                "@id": order_id,
                "@type": "dfc-b:Order",
                "dfc-b:orderNumber": str(number),
                "dfc-b:date": ordered_on.isoformat(),
                "dfc-b:orderedBy": buyer.iri,
                "dfc-b:soldBy": order.producer_iri,
                "dfc-b:hasOrderStatus": "dfc-v:Complete",
                "dfc-b:hasPart": lines,
            },
        ]
        for line_id, purchase in zip(lines, order.purchases, strict=True):
            graph.append(_line(line_id, order_id, purchase, currency))
    return {"@context": context, "@graph": graph}


def _line(line_id: str, order_id: str, purchase: Purchase, currency: str) -> dict[str, Any]:
    price_node: dict[str, Any] = {
        "@type": "dfc-b:Price",
        "dfc-b:value": price(purchase.price_per_pack_ore),
        "dfc-b:hasUnit": currency_iri(currency),
    }
    if purchase.vat_rate_bp is not None:
        rate = Decimal(purchase.vat_rate_bp) / 100
        price_node["dfc-b:VATrate"] = int(rate) if rate == int(rate) else float(rate)
    unit = {"kg": "kg", "l": "l", "piece": "st"}.get(purchase.unit, purchase.unit)
    return {
        "@id": line_id,
        "@type": "dfc-b:OrderLine",
        "dfc-b:partOf": order_id,
        "dfc-b:concerns": purchase.offer_iri,
        "dfc-b:description": (
            f"{purchase.packs} × {purchase.pack_units} {unit} {purchase.product}"
        ),
        "dfc-b:quantity": purchase.packs,
        "dfc-b:hasPrice": price_node,
    }
