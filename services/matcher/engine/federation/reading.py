"""A DFC catalog read back into offers of a network's catalogue, or told why not.

Input: the catalog's nodes by ``@id`` as ``shared.federation.jsonld.read`` gives them
(properties in the short form, ``dfc-b:name``; a reference ``{"@id": ...}``; a literal
as written). Each ``dfc-b:CatalogItem`` with its ``dfc-b:SuppliedProduct`` and
``dfc-b:Offer`` is one offer: the product matched to a catalogue product (by an explicit
mapping, else by name, else by the name of the product group it is a variant of), the
pack size from the product's quantity in whole catalogue units, the price of a pack in
whole öre, the stock in whole packs, and the pickup place and days where the catalog
gives them. Where a ``dfc-b:AsPlannedTransformation`` says a wholesale product holds
``n`` of a retail one, the wholesale product is the pack (``n`` pieces, or ``n`` times
the retail quantity) and the retail product is left out: its stock is the same goods.
Every item that can't be read exactly is a ``Problem`` naming it; nothing is rounded.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import msgspec

from services.matcher.engine.federation.catalog import Place
from services.matcher.engine.federation.units import (
    MAX_UNITS,
    NotExactError,
    catalogue_units,
    currency_of,
    decimal,
    ore,
    whole,
)

Nodes = Mapping[str, Mapping[str, list[Any]]]
ITEM = "dfc-b:CatalogItem"
PRODUCT = "dfc-b:SuppliedProduct"
OFFER = "dfc-b:Offer"
MAX_NOTE = 2000
MAX_ADDRESS = 500


class CatalogueProduct(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: str
    unit: str  # kg, l or piece


class ImportRules(msgspec.Struct, frozen=True, kw_only=True):
    catalogue: list[CatalogueProduct]
    # a DFC item's @id, its product's @id, its sku or its name → a catalogue product;
    # None leaves the item out
    products: dict[str, UUID | None] = msgspec.field(default_factory=dict)
    currency: str = "SEK"  # the network's; a price in another currency is refused
    packs_when_unlimited: int | None = None


class ImportedOffer(msgspec.Struct, frozen=True, kw_only=True):
    source: str  # the CatalogItem's @id
    offer_iri: str  # the dfc-b:Offer's @id ("" for a blank node: it names nothing)
    name: str
    product_id: UUID
    pack_units: int
    packs_available: int
    price_per_pack_ore: int
    note: str
    pickup: Place | None
    valid_from: dt.date | None
    valid_until: dt.date | None


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    item: str
    name: str
    message: str  # the English, filled in
    template: str  # the msgid it was filled from (pages translate it)
    values: dict[str, str] = msgspec.field(default_factory=dict)


class Skipped(msgspec.Struct, frozen=True, kw_only=True):
    item: str
    name: str
    reason: str  # the English, filled in
    template: str = ""  # the msgid it was filled from (pages translate it)
    values: dict[str, str] = msgspec.field(default_factory=dict)


class ImportPlan(msgspec.Struct, frozen=True, kw_only=True):
    offers: list[ImportedOffer]
    problems: list[Problem]
    skipped: list[Skipped]


class _RefusedError(Exception):
    """An item refused: ``template`` is the English msgid, ``values`` fill it."""

    def __init__(self, template: str, **values: str) -> None:
        self.template = template
        self.values = values
        super().__init__(template.format(**values))


def read_catalog(nodes: Nodes, rules: ImportRules) -> ImportPlan:
    graph = _Graph(nodes)
    offers: list[ImportedOffer] = []
    problems: list[Problem] = []
    skipped: list[Skipped] = []
    retail = graph.retail_of_sold_wholesale()
    for item_id, product_id in graph.sellable():
        name = _text(graph.literal(product_id, "dfc-b:name"), 200) or item_id[:200]
        if product_id in retail:
            template, values = (
                "a retail unit of {product!r}: it comes in that pack",
                {"product": retail[product_id]},
            )
            skipped.append(
                Skipped(
                    item=item_id,
                    name=name,
                    reason=template.format(**values),
                    template=template,
                    values=values,
                )
            )
            continue
        try:
            target = _catalogue_product(graph, item_id, product_id, name, rules)
            if target is None:
                reason = "left out by the request's `products`"
                skipped.append(Skipped(item=item_id, name=name, reason=reason, template=reason))
                continue
            offers.append(_offer(graph, item_id, product_id, name, target, rules))
        except (_RefusedError, NotExactError) as exc:
            problems.append(
                Problem(
                    item=item_id,
                    name=name,
                    message=str(exc),
                    template=exc.template,
                    values=exc.values,
                )
            )
    return ImportPlan(offers=offers, problems=problems, skipped=skipped)


def _offer(
    graph: _Graph,
    item_id: str,
    product_id: str,
    name: str,
    target: CatalogueProduct,
    rules: ImportRules,
) -> ImportedOffer:
    offer_id = graph.offer_of(item_id, product_id)
    if offer_id is None:
        raise _RefusedError("no dfc-b:Offer: the item has no price")
    session = graph.session_listing(offer_id)
    price_per_pack_ore = _price(graph, offer_id, rules.currency)
    return ImportedOffer(
        source=item_id,
        offer_iri="" if offer_id.startswith("_:") else offer_id,
        name=name,
        product_id=target.id,
        pack_units=graph.pack_units(product_id, target.unit),
        packs_available=_packs(graph, item_id, offer_id, rules.packs_when_unlimited),
        price_per_pack_ore=price_per_pack_ore,
        note=_text(graph.literal(product_id, "dfc-b:description"), MAX_NOTE, markup=True),
        pickup=graph.pickup(session, item_id),
        valid_from=_date(graph.literal(session, "dfc-b:beginDate")) if session else None,
        valid_until=_date(graph.literal(session, "dfc-b:endDate")) if session else None,
    )


def _catalogue_product(
    graph: _Graph, item_id: str, product_id: str, name: str, rules: ImportRules
) -> CatalogueProduct | None:
    by_id = {product.id: product for product in rules.catalogue}
    mapped = {key.casefold(): value for key, value in rules.products.items()}
    sku = _text(graph.literal(item_id, "dfc-b:sku"), 200)
    for key in (item_id, product_id, sku, name):
        if key and key.casefold() in mapped:
            chosen = mapped[key.casefold()]
            if chosen is None:
                return None
            if chosen not in by_id:
                raise _RefusedError(
                    "`products` maps {key!r} to {chosen}, not a product of the network",
                    key=key[:200],
                    chosen=str(chosen),
                )
            return by_id[chosen]
    by_name = {product.name.casefold(): product for product in rules.catalogue}
    names = [name, *graph.group_names(product_id)]
    for candidate in names:
        if candidate.casefold() in by_name:
            return by_name[candidate.casefold()]
    raise _RefusedError(
        "no product named {name!r} in the network's catalogue: map it in `products` "
        "(by its name, sku or @id) to a catalogue product, or to null to leave it out",
        name=name,
    )


def _price(graph: _Graph, offer_id: str, currency: str) -> int:
    value: Any = None
    unit: str | None = None
    for price in graph.values(offer_id, "dfc-b:hasPrice"):
        if isinstance(price, dict):
            value = graph.literal(price["@id"], "dfc-b:value")
            unit = graph.ref(price["@id"], "dfc-b:hasUnit")
        else:
            value = price
        break
    if value is None:
        raise _RefusedError("the offer has no price")
    code = currency_of(unit)
    if unit is not None and code != currency:
        named = code or unit.removeprefix("dfc-m:")[:80]
        raise _RefusedError(
            "the price is in {named}; this network trades in {currency}",
            named=named,
            currency=currency,
        )
    return ore(value)


def _packs(graph: _Graph, item_id: str, offer_id: str, unlimited: int | None) -> int:
    """The stock in whole packs: the least limit the item and its offer set; none, or a
    negative one (DFC's "on demand"), is unlimited and takes ``unlimited``."""
    limits = [
        whole(value, "the stock")
        for node in (item_id, offer_id)
        if (value := graph.literal(node, "dfc-b:stockLimitation")) is not None
    ]
    known = [limit for limit in limits if limit >= 0]
    if known:
        if min(known) > MAX_UNITS:
            raise _RefusedError(
                "the stock {stock} is above {most} packs",
                stock=str(min(known)),
                most=f"{MAX_UNITS:,}",
            )
        return min(known)
    if unlimited is None:
        raise _RefusedError(
            "the stock is unlimited (on demand): say how many packs to offer with "
            "`packs_when_unlimited`"
        )
    return unlimited


class _Graph:
    def __init__(self, nodes: Nodes) -> None:
        self.nodes = nodes
        self.by_type: dict[str, list[str]] = {}
        for node_id, node in nodes.items():
            for kind in node.get("@type", []):
                self.by_type.setdefault(kind, []).append(node_id)

    def values(self, node_id: str | None, prop: str) -> list[Any]:
        node = self.nodes.get(node_id or "")
        return list(node.get(prop, [])) if node else []

    def literal(self, node_id: str | None, prop: str) -> Any:
        return next((v for v in self.values(node_id, prop) if not isinstance(v, dict)), None)

    def refs(self, node_id: str | None, prop: str) -> list[str]:
        """References, also those written as plain strings where the context did not
        make the property an @id (``dfc-b:hasIncome`` in DFC 1.16)."""
        found = []
        for value in self.values(node_id, prop):
            if isinstance(value, dict):
                found.append(str(value["@id"]))
            elif isinstance(value, str):
                found.append(value)
        return found

    def ref(self, node_id: str | None, prop: str) -> str | None:
        return next(iter(self.refs(node_id, prop)), None)

    def typed(self, kind: str) -> list[str]:
        return self.by_type.get(kind, [])

    def is_a(self, node_id: str, kind: str) -> bool:
        return kind in self.nodes.get(node_id, {}).get("@type", [])

    def sellable(self) -> list[tuple[str, str]]:
        """(CatalogItem, SuppliedProduct) pairs, linked either way."""
        pairs: dict[str, str] = {}
        for item in self.typed(ITEM):
            for product in self.refs(item, "dfc-b:references"):
                if self.is_a(product, PRODUCT):
                    pairs.setdefault(item, product)
        for product in self.typed(PRODUCT):
            for item in self.refs(product, "dfc-b:referencedBy"):
                if self.is_a(item, ITEM):
                    pairs.setdefault(item, product)
        return sorted(pairs.items())

    def offer_of(self, item_id: str, product_id: str) -> str | None:
        for offer in self.refs(item_id, "dfc-b:offeredThrough"):
            if self.is_a(offer, OFFER):
                return offer
        for offer in self.typed(OFFER):
            if product_id in self.refs(offer, "dfc-b:offeredItem"):
                return offer
        return None

    def quantity(self, node_id: str) -> tuple[Any, str | None] | None:
        for value in self.values(node_id, "dfc-b:hasQuantity"):
            if isinstance(value, dict):
                qv = value["@id"]
                amount = self.literal(qv, "dfc-b:value")
                if amount is not None:
                    return amount, self.ref(qv, "dfc-b:hasUnit")
        amount = self.literal(node_id, "dfc-b:quantity")
        return (amount, None) if amount is not None else None

    def contains(self) -> dict[str, tuple[str, int]]:
        """Wholesale product → (retail product, how many), from planned transformations:
        the side whose flow has quantity 1 is the pack (DFC expects one side to be 1)."""
        found: dict[str, tuple[str, int]] = {}
        for transformation in self.typed("dfc-b:AsPlannedTransformation"):
            incomes = self.refs(transformation, "dfc-b:hasIncome")
            outcomes = self.refs(transformation, "dfc-b:hasOutcome")
            if len(incomes) != 1 or len(outcomes) != 1:
                continue
            consumed = self.ref(incomes[0], "dfc-b:consumes")
            produced = self.ref(outcomes[0], "dfc-b:produces")
            q_in, q_out = self._flow_count(incomes[0]), self._flow_count(outcomes[0])
            if consumed is None or produced is None or q_in is None or q_out is None:
                continue
            if q_out == 1 and q_in >= 1:
                found[produced] = (consumed, q_in)
            elif q_in == 1 and q_out > 1:
                found[consumed] = (produced, q_out)
        return found

    def _flow_count(self, flow: str) -> int | None:
        quantity = self.quantity(flow)
        if quantity is None:
            return None
        try:
            return whole(quantity[0], "a flow's quantity")
        except NotExactError:
            return None

    def retail_of_sold_wholesale(self) -> dict[str, str]:
        """Retail products whose wholesale pack is itself on sale → that pack's name."""
        sold = {product for _, product in self.sellable()}
        return {
            retail: _text(self.literal(wholesale, "dfc-b:name"), 200) or wholesale
            for wholesale, (retail, _) in self.contains().items()
            if wholesale in sold
        }

    def pack_units(self, product_id: str, unit: str) -> int:
        """The pack in whole catalogue units: its own quantity; else, for a wholesale
        pack of ``n`` retail units, ``n`` times theirs, or ``n`` pieces."""
        own = self.quantity(product_id)
        error: NotExactError | None = None
        if own is not None:
            try:
                return catalogue_units(own[0], own[1], unit)
            except NotExactError as exc:
                error = exc
        if product_id in (contained := self.contains()):
            retail, count = contained[product_id]
            inner = self.quantity(retail)
            if inner is not None:
                try:
                    return _bounded(count * catalogue_units(inner[0], inner[1], unit))
                except NotExactError:
                    pass
            if unit == "piece":
                return _bounded(count)
        raise error or NotExactError("the product has no quantity: its pack size is unknown")

    def group_names(self, product_id: str) -> list[str]:
        return [
            name
            for group in self.refs(product_id, "dfc-b:isVariantOf")
            if (name := _text(self.literal(group, "dfc-b:name"), 200))
        ]

    def session_listing(self, offer_id: str) -> str | None:
        for session in self.typed("dfc-b:SaleSession"):
            if offer_id in self.refs(session, "dfc-b:lists"):
                return session
        return None

    def pickup(self, session: str | None, item_id: str) -> Place | None:
        """Where the offer is picked up: its sale session's pickup option; else the
        address of the enterprise managing the item, or of the catalog's only one."""
        for option in self.refs(session, "dfc-b:hasOption"):
            for place in self.refs(option, "dfc-b:pickedUpAt"):
                if found := self.place(place):
                    return found
        for manager in self.refs(item_id, "dfc-b:managedBy"):
            if found := self.place(manager):
                return found
        enterprises = self.typed("dfc-b:Enterprise") + self.typed("dfc-b:Organization")
        places = {found for node in enterprises if (found := self.place(node))}
        return places.pop() if len(places) == 1 else None

    def place(self, node_id: str, depth: int = 0) -> Place | None:
        """An Address with latitude and longitude, or one a node has (hasAddress)."""
        if self.is_a(node_id, "dfc-b:Address"):
            return self._address(node_id)
        if depth < 2:
            for address in self.refs(node_id, "dfc-b:hasAddress"):
                if found := self.place(address, depth + 1):
                    return found
        return None

    def _address(self, node_id: str) -> Place | None:
        try:
            lat = float(decimal(self.literal(node_id, "dfc-b:latitude")))
            lon = float(decimal(self.literal(node_id, "dfc-b:longitude")))
        except NotExactError:
            return None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return None

        def first(*props: str) -> str:
            return next((t for p in props if (t := _text(self.literal(node_id, p), 200))), "")

        town = " ".join(
            part
            for part in (
                first("dfc-b:hasPostalCode", "dfc-b:postcode"),
                first("dfc-b:hasCity", "dfc-b:city"),
            )
            if part
        )
        street = first("dfc-b:hasStreet", "dfc-b:street")
        address = ", ".join(part for part in (street, town) if part)
        return Place(lat=lat, lon=lon, address=address[:MAX_ADDRESS])


def _bounded(units: int) -> int:
    if not 1 <= units <= MAX_UNITS:
        raise NotExactError(
            f"a pack of {{units}} units is outside 1 to {MAX_UNITS:,}", units=str(units)
        )
    return units


_TAG = re.compile(r"</?[A-Za-z!][^<>]*>")


def _text(value: Any, limit: int, *, markup: bool = False) -> str:
    """A literal as plain text: no NUL, whitespace collapsed, cut at ``limit``; with
    ``markup``, HTML tags dropped and entities read (DFC descriptions are often HTML)."""
    if value is None or isinstance(value, dict):
        return ""
    text = str(value).replace("\x00", "")
    if markup:
        text = html.unescape(_TAG.sub(" ", text))
    return " ".join(text.split())[:limit]


def _date(value: Any) -> dt.date | None:
    """An ISO date or date-time's day; anything else (OFN writes "Thu Aug 22 2024 …")
    is not read, and the request's days count."""
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value is not None else None
    except ValueError:
        return None
