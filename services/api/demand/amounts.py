"""Amounts as people order them ("1,5 kg") and the whole catalogue units the engine counts.

A product's catalogue unit is a kilogram, a litre or a piece (``unit``); a kg product
may be sold in smaller units, its ``grams_per_unit`` (500: cheese in 500 g units), and a
litre product in its ``ml_per_unit`` (500: juice in 500 ml bottles). The pages and the
documents show and take kg, l and st in the reader's number format, and convert exactly:
an amount that is not a whole number of catalogue units is refused, saying which
amounts are possible. Everything is integers: amounts in thousandths (g, ml, 1/1000 st).
"""

from __future__ import annotations

import re
from typing import NamedTuple, Protocol

MAX_DIGITS = 9  # a million units of a kilogram product is 10⁹ g: the API's bound

# sv: a decimal comma (or point), spaces between thousands; en: a decimal point, commas
# between thousands (so "1,5" is not an English number: it is refused, not misread)
_SPACES = re.compile(r"[ \u00a0\u202f]")
_SV = re.compile(rf"(\d{{1,{MAX_DIGITS}}})(?:[.,](\d{{1,3}}))?")
_EN = re.compile(r"(\d{1,3}(?:,\d{3}){1,2}|\d{1,9})(?:\.(\d{1,3}))?")
MAX_TEXT = 40


class Measure(NamedTuple):
    """What one catalogue unit of a product is: ``per_unit`` thousandths of ``unit``
    (grams of a kg, millilitres of a litre, thousandths of a piece)."""

    unit: str  # "kg", "l" or "piece"
    per_unit: int

    @classmethod
    def of(cls, unit: str, grams_per_unit: int, ml_per_unit: int) -> Measure:
        """A kg product's unit weighs its ``grams_per_unit``, a litre product's holds its
        ``ml_per_unit``; a piece is one piece. (``shared/db/products.PER_UNIT_MILLI`` is
        the same rule in SQL.)"""
        size = grams_per_unit if unit == "kg" else ml_per_unit if unit == "l" else 0
        return cls(unit, size if size > 0 else 1000)

    @classmethod
    def of_product(cls, product: ProductSizes) -> Measure:
        return cls.of(product.unit, product.grams_per_unit, product.ml_per_unit)

    def thousandths(self, units: int) -> int:
        """Catalogue units as thousandths of the measure: 3 units of 500 g are 1500 g."""
        return units * self.per_unit

    def price_ore(self, ore_per_unit: int) -> int:
        """A price per catalogue unit as öre per kg, l or st (to the nearest öre)."""
        return price_per_measure_ore(ore_per_unit, self)


class ProductSizes(Protocol):
    """A product as the catalogue stores it (``ProductOut``, a row's struct)."""

    @property
    def unit(self) -> str: ...
    @property
    def grams_per_unit(self) -> int: ...
    @property
    def ml_per_unit(self) -> int: ...


class AmountError(ValueError):
    """The text is no amount of the product; ``message`` is a key of the pages'
    catalogue, ``values`` what it names."""

    def __init__(self, message: str, **values: str) -> None:
        super().__init__(message)
        self.message = message
        self.values = values


def read_thousandths(text: str, language: str) -> int:
    """``"1,5"`` (sv) or ``"1.5"`` (en) → 1500; at most three decimals."""
    cleaned = _SPACES.sub("", text.strip()) if len(text) <= MAX_TEXT else text
    match = (_EN if language == "en" else _SV).fullmatch(cleaned)
    if match is None:
        example = "1.5" if language == "en" else "1,5"
        raise AmountError("write an amount like {example}", example=example)
    whole, decimals = match.groups()
    return int(whole.replace(",", "")) * 1000 + int((decimals or "0").ljust(3, "0"))


def to_units(thousandths: int, measure: Measure, product: str, language: str) -> int:
    """Whole catalogue units of ``thousandths``; refused, naming the nearest possible
    amounts, when it is not a whole number of them."""
    units, rest = divmod(thousandths, measure.per_unit)
    if rest == 0:
        return units
    below = units * measure.per_unit
    choices = (
        [below, below + measure.per_unit] if below else [measure.per_unit, 2 * measure.per_unit]
    )
    shown = [shown_amount(amount, measure.unit, language) for amount in choices]
    if measure.unit == "piece":
        return _refuse("{product} is sold in whole pieces: {first} or {second}", product, shown)
    return _refuse(
        "{product} is sold in units of {size}: {first} or {second}",
        product,
        shown,
        size=unit_size(measure, language),
    )


def _refuse(message: str, product: str, shown: list[str], **values: str) -> int:
    raise AmountError(message, product=product, first=shown[0], second=shown[1], **values)


def read_units(text: str, measure: Measure, product: str, language: str) -> int:
    """An amount as typed → whole catalogue units."""
    return to_units(read_thousandths(text, language), measure, product, language)


def number_text(thousandths: int, language: str) -> str:
    """1500 → ``"1,5"`` (sv) or ``"1.5"`` (en): exact, no thousands separator (it is
    also what an input field holds)."""
    whole, rest = divmod(thousandths, 1000)
    if not rest:
        return str(whole)
    mark = "." if language == "en" else ","
    return f"{whole}{mark}{rest:03d}".rstrip("0")


UNIT_WORDS = {"sv": {"piece": "st"}, "en": {"piece": "pcs"}}


def unit_word(unit: str, language: str) -> str:
    return UNIT_WORDS.get(language, UNIT_WORDS["sv"]).get(unit, unit)


def shown_amount(thousandths: int, unit: str, language: str) -> str:
    """``"1,5 kg"``, ``"2 l"``, ``"3 st"``."""
    return f"{number_text(thousandths, language)} {unit_word(unit, language)}"


def unit_size(measure: Measure, language: str) -> str:
    """One catalogue unit as people say it: ``"500 g"``, ``"500 ml"``, ``"1 kg"``, ``"1 l"``."""
    if measure.unit == "kg" and measure.per_unit < 1000:
        return f"{measure.per_unit} g"
    if measure.unit == "l" and measure.per_unit < 1000:
        return f"{measure.per_unit} ml"
    return shown_amount(measure.per_unit, measure.unit, language)


def units_amount(units: int, measure: Measure) -> int:
    """Catalogue units → thousandths of the measure."""
    return measure.thousandths(units)


def price_per_measure_ore(price_per_unit_ore: int, measure: Measure) -> int:
    """A price per catalogue unit as öre per kg, l or st, rounded to the nearest öre."""
    return (price_per_unit_ore * 1000 * 2 + measure.per_unit) // (2 * measure.per_unit)


def pack_price_per_measure_ore(price_per_pack_ore: int, pack_units: int, measure: Measure) -> int:
    """A pack's price per kg, l or st, to the nearest öre."""
    whole = pack_units * measure.per_unit
    return (price_per_pack_ore * 1000 * 2 + whole) // (2 * whole)


def limit_per_unit_ore(ore_per_measure: int, measure: Measure) -> int:
    """A price limit typed per kg, l or st as öre per catalogue unit, rounded down: the
    line never pays more per kg than the limit says."""
    return ore_per_measure * measure.per_unit // 1000
