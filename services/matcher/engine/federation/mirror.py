"""A peer's offer feed read as the mirror its networks list (docs/federation.md).

The feed is a DFC catalog (``catalog.py``'s shape, one ``dfc-b:Enterprise`` per
producer): each item is read as ``reading.py`` reads an import, once per network that
chose the peer, against that network's catalogue (a product of the same name, case
aside) and currency. An item becomes one mirror offer, known by its ``sku`` (the offer's
id at the peer) and its producer by the enterprise that manages it (the id ending its
IRI); it is listed in every network where it was read, with the same pack size as in the
first. What can't be listed in a network is skipped there, with the reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from uuid import UUID

import msgspec

from services.matcher.engine.federation.catalog import Place
from services.matcher.engine.federation.reading import (
    CatalogueProduct,
    ImportRules,
    Nodes,
    read_catalog,
)

MAX_SKIPPED = 200  # per network: enough to act on, bounded in the row that keeps them


class NetworkCatalogue(msgspec.Struct, frozen=True, kw_only=True):
    network_id: UUID
    currency: str
    products: list[CatalogueProduct]


class MirrorProducer(msgspec.Struct, frozen=True, kw_only=True):
    remote_id: UUID
    name: str
    place: Place  # where its first offer is picked up


class MirrorOffer(msgspec.Struct, frozen=True, kw_only=True):
    remote_offer_id: UUID
    remote_producer_id: UUID
    name: str
    pack_units: int
    packs_available: int  # free at the peer
    price_per_pack_ore: int
    valid_from: dt.date
    valid_until: dt.date
    pickup: Place
    note: str
    listings: dict[UUID, UUID]  # network → its product


class SkippedItem(msgspec.Struct, frozen=True, kw_only=True):
    item: str
    name: str
    reason: str  # the English, filled in (the API's)
    message: str = ""  # its msgid, which ``values`` fill: pages show it in their language
    values: dict[str, str] = msgspec.field(default_factory=dict)


def skipped_item(item: str, name: str, message: str, /, **values: str) -> SkippedItem:
    """An item left out, the reason as a msgid and its values (and the English filled)."""
    return SkippedItem(
        item=item, name=name, reason=message.format(**values), message=message, values=values
    )


class MirrorPlan(msgspec.Struct, frozen=True, kw_only=True):
    producers: dict[UUID, MirrorProducer]
    offers: list[MirrorOffer]
    skipped: dict[UUID, list[SkippedItem]]  # by network


def mirror_plan(nodes: Nodes, networks: Sequence[NetworkCatalogue]) -> MirrorPlan:
    producers: dict[UUID, MirrorProducer] = {}
    offers: dict[UUID, MirrorOffer] = {}
    skipped: dict[UUID, list[SkippedItem]] = {n.network_id: [] for n in networks}
    for network in networks:
        plan = read_catalog(
            nodes, ImportRules(catalogue=network.products, currency=network.currency)
        )
        lost = skipped[network.network_id]
        lost += [
            skipped_item(s.item, s.name, s.template or s.reason, **s.values) for s in plan.skipped
        ]
        for problem in plan.problems:
            if problem.message.startswith("no product named"):
                lost.append(
                    skipped_item(
                        problem.item,
                        problem.name,
                        "no product named {name!r} in this network's catalogue",
                        name=problem.name,
                    )
                )
            else:
                lost.append(
                    skipped_item(problem.item, problem.name, problem.template, **problem.values)
                )
        for read in plan.offers:
            sku = _uuid(_literal(nodes, read.source, "dfc-b:sku"))
            seller = _seller(nodes, read.source)
            why = (
                "the item has no `sku` naming the peer's offer"
                if sku is None
                else "the item names no producer (`dfc-b:managedBy`)"
                if seller is None
                else "the item gives no pickup place"
                if read.pickup is None
                else "the item gives no days"
                if read.valid_from is None or read.valid_until is None
                else None
            )
            if why is not None:
                lost.append(skipped_item(read.source, read.name, why))
                continue
            assert sku is not None
            assert seller is not None
            assert read.pickup is not None
            assert read.valid_from is not None
            assert read.valid_until is not None
            remote_id, seller_name = seller
            earlier = offers.get(sku)
            if earlier is not None:
                if earlier.pack_units != read.pack_units:
                    lost.append(
                        skipped_item(
                            read.source,
                            read.name,
                            "its pack here would be {units} units, in another network "
                            "{other}: one offer has one pack size",
                            units=str(read.pack_units),
                            other=str(earlier.pack_units),
                        )
                    )
                    continue
                earlier.listings[network.network_id] = read.product_id
                continue
            producers.setdefault(
                remote_id, MirrorProducer(remote_id=remote_id, name=seller_name, place=read.pickup)
            )
            offers[sku] = MirrorOffer(
                remote_offer_id=sku,
                remote_producer_id=remote_id,
                name=read.name,
                pack_units=read.pack_units,
                packs_available=read.packs_available,
                price_per_pack_ore=read.price_per_pack_ore,
                valid_from=read.valid_from,
                valid_until=read.valid_until,
                pickup=read.pickup,
                note=read.note,
                listings={network.network_id: read.product_id},
            )
    return MirrorPlan(
        producers=producers,
        offers=list(offers.values()),
        skipped={network: items[:MAX_SKIPPED] for network, items in skipped.items()},
    )


def _literal(nodes: Nodes, node_id: str, prop: str) -> object:
    node = nodes.get(node_id) or {}
    return next((v for v in node.get(prop, []) if not isinstance(v, dict)), None)


def _uuid(value: object) -> UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return UUID(value.rstrip("/").rsplit("/", 1)[-1][:36])
    except ValueError:
        return None


def _seller(nodes: Nodes, item_id: str) -> tuple[UUID, str] | None:
    """The producer managing the item: its id at the peer (ending its IRI), its name."""
    node = nodes.get(item_id) or {}
    for ref in node.get("dfc-b:managedBy", []):
        iri = ref.get("@id") if isinstance(ref, dict) else ref
        remote_id = _uuid(iri)
        if remote_id is None:
            continue
        name = _literal(nodes, str(iri), "dfc-b:name")
        return remote_id, (name if isinstance(name, str) and name else "?")[:200]
    return None
