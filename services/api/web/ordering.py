"""The co-op's order page: per product, the offers behind it and the co-op's lines.

Amounts are shown and typed in kg, l and st in the reader's number format and become
whole catalogue units (``demand/amounts.py``); price limits are typed per kg, l or st.
The form becomes the API's own ``DemandLineIn`` rows, a line keeping its id. What can't
be read is said beside its field, in the page's language and naming the product, and
the page comes back with everything as typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import msgspec

from services.api.auth.actor import Actor
from services.api.core import numbers
from services.api.cycles.schemas import CycleOut
from services.api.demand import amounts
from services.api.demand.amounts import Measure
from services.api.demand.schemas import DemandLineIn, DemandRoundOut
from services.api.directory.service import DirectoryService
from services.api.offers.service import OfferFilters, OfferService
from services.api.products.schemas import ProductOut

MAX_ROWS = 2000  # rows one form may send: a line per product and a new one each
MAX_OFFERS = 1000  # offers shown per cycle
Say = Callable[..., str]


@dataclass(frozen=True)
class OfferShown:
    producer: str
    price_ore: int  # per kg, l or st
    pack: str  # "10 kg"
    packs_free: int
    place: str


@dataclass
class LineShown:
    """A line as the form shows it: saved, as typed, or the empty one to add with."""

    key: str
    line_id: str = ""
    quantity: str = ""
    extra: str = ""
    max_price: str = ""


@dataclass
class ProductShown:
    id: UUID
    name: str
    measure: Measure
    size: str  # the catalogue unit: "500 g", "1 kg"
    offers: list[OfferShown]
    lines: list[LineShown] = field(default_factory=list)

    @property
    def prices(self) -> list[int]:
        return sorted({offer.price_ore for offer in self.offers})


@dataclass(frozen=True)
class TypedOrder:
    """A form sent back: its lines as typed, by product, and each field's error."""

    cycle_id: UUID
    lines: dict[UUID, list[LineShown]]
    errors: dict[str, str]
    problem: str | None = None
    version: str = ""  # the round's version the form was read at


def line_key(product_id: UUID, number: int) -> str:
    return f"{product_id}.{number}"


async def order_products(
    actor: Actor,
    cycle: CycleOut,
    catalogue: list[ProductOut],
    mine: DemandRoundOut | None,
    offers: OfferService,
    directories: DirectoryService,
    language: str,
) -> list[ProductShown]:
    """The cycle's products with their offers on its delivery day and the round's lines
    (a retired product only while the round still has it), each with an empty line."""
    saved: dict[UUID, list[Any]] = {}
    for line in mine.lines if mine else []:
        saved.setdefault(line.product_id, []).append(line)
    shown_offers = await _offers(actor, cycle, catalogue, offers, directories, language)
    products = []
    for product in catalogue:
        if product.retired_at is not None and product.id not in saved:
            continue
        measure = Measure.of_product(product)
        shown = ProductShown(
            id=product.id,
            name=product.name,
            measure=measure,
            size=amounts.unit_size(measure, language),
            offers=shown_offers.get(product.id, []),
        )
        for number, line in enumerate(saved.get(product.id, []), start=1):
            shown.lines.append(
                LineShown(
                    key=line_key(product.id, number),
                    line_id=str(line.id),
                    quantity=_amount(line.firm_quantity, measure, language),
                    extra=_amount(line.tolerance, measure, language) if line.tolerance else "",
                    max_price=_price(line.max_unit_price_ore, measure, language),
                )
            )
        shown.lines.append(LineShown(key=line_key(product.id, len(shown.lines) + 1)))
        products.append(shown)
    return products


def with_typed(products: list[ProductShown], typed: TypedOrder) -> None:
    """The lines as the person typed them, in place of the saved ones, and an empty row
    numbered past every typed one (a line emptied in between leaves a gap: counting the
    rows again would give the new row a key already shown)."""
    for product in products:
        lines = typed.lines.get(product.id, [])
        last = max((_number_of(line.key) for line in lines), default=0)
        product.lines = [*lines, LineShown(key=line_key(product.id, last + 1))]


def _number_of(key: str) -> int:
    number = key.rpartition(".")[2]
    return int(number) if number.isdigit() and len(number) < 6 else 0


async def _offers(
    actor: Actor,
    cycle: CycleOut,
    catalogue: list[ProductOut],
    offers: OfferService,
    directories: DirectoryService,
    language: str,
) -> dict[UUID, list[OfferShown]]:
    """The live offers listed in the network, valid on the delivery day, with packs free."""
    measures = {p.id: Measure.of_product(p) for p in catalogue}
    directory = await directories.producers(actor, cycle.network_id, cycle.delivery_date)
    producers = {entry.id: entry for entry in directory.producers}
    found: dict[UUID, list[OfferShown]] = {}
    cursor: str | None = None
    seen = 0
    while seen < MAX_OFFERS:
        page = await offers.list_offers(
            actor,
            OfferFilters(network_id=cycle.network_id, valid_on=cycle.delivery_date),
            cursor,
            200,
        )
        seen += len(page.items)
        for offer in page.items:
            free = offer.packs_available - offer.packs_reserved
            listing = next((x for x in offer.listings if x.network_id == cycle.network_id), None)
            if free <= 0 or listing is None or listing.product_id not in measures:
                continue
            measure = measures[listing.product_id]
            entry = producers.get(offer.producer_id)
            place = offer.pickup.address if offer.pickup else (entry.municipality if entry else "")
            found.setdefault(listing.product_id, []).append(
                OfferShown(
                    producer=entry.name if entry else "",
                    price_ore=amounts.pack_price_per_measure_ore(
                        offer.price_per_pack_ore, offer.pack_units, measure
                    ),
                    pack=amounts.shown_amount(
                        offer.pack_units * measure.per_unit, measure.unit, language
                    ),
                    packs_free=free,
                    place=place,
                )
            )
        cursor = page.next_cursor
        if cursor is None:
            break
    for shown in found.values():
        shown.sort(key=lambda offer: (offer.price_ore, offer.producer))
    return found


def _amount(units: int, measure: Measure, language: str) -> str:
    return amounts.number_text(amounts.units_amount(units, measure), language)


def _price(ore_per_unit: int | None, measure: Measure, language: str) -> str:
    if ore_per_unit is None:
        return ""
    ore = amounts.price_per_measure_ore(ore_per_unit, measure)
    mark = "." if language == "en" else ","
    return f"{ore // 100}{mark}{ore % 100:02d}" if ore % 100 else str(ore // 100)


def estimate_ore(products: list[ProductShown], language: str) -> tuple[int, int]:
    """What the lines would cost at the lowest price within each line's limit (before
    transport), and how many lines no offer prices."""
    total, unpriced = 0, 0
    for product in products:
        for line in product.lines:
            try:
                thousandths = amounts.read_thousandths(line.quantity, language)
            except amounts.AmountError:
                continue
            limit = None
            if line.max_price.strip():
                try:
                    limit = numbers.kronor_to_ore(line.max_price)
                except numbers.NumberError:
                    limit = None
            fitting = [p for p in product.prices if limit is None or p <= limit]
            if not fitting:
                unpriced += 1
                continue
            total += (thousandths * fitting[0] + 500) // 1000
    return total, unpriced


def read_order(
    form: Mapping[str, Any],
    rows: list[str],
    products: Mapping[UUID, ProductOut],
    language: str,
    say: Say,
) -> tuple[list[DemandLineIn], list[str], TypedOrder]:
    """The form's lines (a row whose quantity and extra are empty is left out), the
    form key of each, and the lines as typed with each field's error."""
    lines: list[DemandLineIn] = []
    keys: list[str] = []
    typed: dict[UUID, list[LineShown]] = {}
    errors: dict[str, str] = {}
    for key in rows[:MAX_ROWS]:
        product = products.get(_uuid(str(form.get(f"product:{key}", ""))) or UUID(int=0))
        if product is None:
            continue
        shown = LineShown(
            key=key,
            line_id=str(form.get(f"id:{key}", ""))[:36],
            quantity=str(form.get(f"quantity:{key}", ""))[:40],
            extra=str(form.get(f"extra:{key}", ""))[:40],
            max_price=str(form.get(f"max_price:{key}", ""))[:40],
        )
        if not shown.extra.strip() and shown.quantity.strip() in ("", "0"):
            continue  # an empty row, or a line emptied to remove it
        typed.setdefault(product.id, []).append(shown)
        line = _line(shown, product, language, say, errors)
        if line is not None:
            lines.append(line)
            keys.append(key)
    return lines, keys, TypedOrder(cycle_id=UUID(int=0), lines=typed, errors=errors)


def _line(
    shown: LineShown, product: ProductOut, language: str, say: Say, errors: dict[str, str]
) -> DemandLineIn | None:
    """The typed row as a line, or None with its errors noted by field."""
    measure = Measure.of_product(product)
    found: dict[str, Any] = {"product_id": str(product.id)}
    if shown.line_id:
        found["id"] = shown.line_id
    mistakes: dict[str, str] = {}
    found["firm_quantity"] = _units(shown.quantity, measure, product.name, language, say)
    if found["firm_quantity"] is None:
        mistakes["quantity"] = (
            _amount_error(shown.quantity, measure, product.name, language, say)
            if shown.quantity.strip()
            else say(
                "Write how much {product} you order, or empty the extra too.", product=product.name
            )
        )
    if shown.extra.strip():
        found["tolerance"] = _units(shown.extra, measure, product.name, language, say)
        if found["tolerance"] is None:
            mistakes["extra"] = _amount_error(shown.extra, measure, product.name, language, say)
    if shown.max_price.strip():
        try:
            per_measure = numbers.kronor_to_ore(shown.max_price)
            found["max_unit_price_ore"] = amounts.limit_per_unit_ore(per_measure, measure)
        except numbers.NumberError:
            mistakes["max_price"] = say(
                "{product}: write the highest price in kronor, like {example}, or leave it "
                "empty for any price.",
                product=product.name,
                example="12.50" if language == "en" else "12,50",
            )
    if not mistakes:
        try:
            return msgspec.convert(found, DemandLineIn)
        except (msgspec.ValidationError, ValueError) as exc:
            text = str(exc)
            name = (
                "extra" if "tolerance" in text else "max_price" if "price" in text else "quantity"
            )
            mistakes[name] = say(
                "{product}: that is more than one order can hold.", product=product.name
            )
    errors.update({f"{name}:{shown.key}": message for name, message in mistakes.items()})
    return None


def _units(text: str, measure: Measure, product: str, language: str, say: Say) -> int | None:
    """Whole catalogue units of a positive amount, else None."""
    if not text.strip():
        return None
    try:
        units = amounts.read_units(text, measure, product, language)
    except amounts.AmountError:
        return None
    return units or None


def _amount_error(text: str, measure: Measure, product: str, language: str, say: Say) -> str:
    """Why ``text`` is no amount of the product, in the page's language, naming it."""
    try:
        amounts.read_units(text, measure, product, language)
    except amounts.AmountError as exc:
        said = say(exc.message, **exc.values)
        if "product" in exc.values:
            return said
        return say("{product}: {problem}", product=product, problem=said)
    return say("Write how much {product} you order, or empty the extra too.", product=product)


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


def row_errors_by_key(
    errors: list[dict[str, Any]], keys: list[str], products: Mapping[str, str], say: Say
) -> dict[str, str]:
    """The API's row errors (``row`` numbers the lines sent) beside the rows' fields."""
    shown: dict[str, str] = {}
    for error in errors:
        row = int(error.get("row", 0))
        if not 1 <= row <= len(keys):
            continue
        key = keys[row - 1]
        name = products.get(key, "")
        field_name = {"id": "quantity", "product_id": "quantity", "tolerance": "extra"}.get(
            str(error.get("field", "")), "quantity"
        )
        shown[f"{field_name}:{key}"] = say(
            "{product}: {problem}", product=name, problem=say(str(error.get("message", "")))
        )
    return shown
