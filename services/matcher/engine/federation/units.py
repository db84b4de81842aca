"""Exact conversions between DFC's decimal values and Samlast's integers.

A DFC value is an ``xsd:float`` written as a JSON number or a string; it is read as the
decimal it was written as (``19.99``, ``"0.04"``), never through binary arithmetic, and
a value that is not a whole number of öre, or of the catalogue's unit, is refused
(``NotExactError``) rather than rounded.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

MAX_ORE = 10**12
MAX_UNITS = 10**6

# grams, millilitres or pieces per unit of each DFC measure (taxonomy measures.rdf;
# the short aliases are the ones the DFC connectors' vocabulary files carry)
GRAMS = {
    "dfc-m:Kilogram": Decimal(1000),
    "dfc-m:KiloGM": Decimal(1000),
    "dfc-m:Gram": Decimal(1),
    "dfc-m:GM": Decimal(1),
    "dfc-m:Milligram": Decimal("0.001"),
    "dfc-m:MilliGM": Decimal("0.001"),
    "dfc-m:Tonne": Decimal(1_000_000),
    "dfc-m:TONNE": Decimal(1_000_000),
}
MILLILITRES = {
    "dfc-m:Litre": Decimal(1000),
    "dfc-m:L": Decimal(1000),
    "dfc-m:Decilitre": Decimal(100),
    "dfc-m:DeciL": Decimal(100),
    "dfc-m:Centilitre": Decimal(10),
    "dfc-m:CentiL": Decimal(10),
    "dfc-m:Millilitre": Decimal(1),
    "dfc-m:MilliL": Decimal(1),
}
PIECES = {
    "dfc-m:Piece": Decimal(1),
    "dfc-m:Unit": Decimal(1),
    "dfc-m:Pair": Decimal(2),
    "dfc-m:4Pack": Decimal(4),
    "dfc-m:6Pack": Decimal(6),
    "dfc-m:HalfDozen": Decimal(6),
    "dfc-m:Dozen": Decimal(12),
}
# what one catalogue unit is in the base of its dimension, and the DFC measure written
CATALOGUE_UNITS = {
    "kg": (GRAMS, Decimal(1000), "dfc-m:Kilogram"),
    "l": (MILLILITRES, Decimal(1000), "dfc-m:Litre"),
    "piece": (PIECES, Decimal(1), "dfc-m:Piece"),
}
UNIT_WORDS = {"kg": "kg", "l": "litres", "piece": "pieces"}

# ISO 4217 codes of the currencies the DFC measures name; any currency by the EU
# Publications Office's authority table (as DFC names countries), which Samlast writes
CURRENCY_MEASURES = {
    "dfc-m:Euro": "EUR",
    "dfc-m:PoundSterling": "GBP",
    "dfc-m:USDollar": "USD",
    "dfc-m:AustralianDollar": "AUD",
    "dfc-m:CanadianDollar": "CAD",
}
CURRENCY_AUTHORITY = "http://publications.europa.eu/resource/authority/currency/"


class NotExactError(ValueError):
    """A value Samlast can't hold exactly: ``template`` (an English msgid, which pages
    translate) filled from ``values``; ``str()`` is the English."""

    def __init__(self, template: str, **values: str) -> None:
        self.template = template
        self.values = values
        super().__init__(template.format(**values))


def decimal(value: Any) -> Decimal:
    """The decimal a DFC literal was written as; NotExactError for anything else."""
    not_a_number = NotExactError("{value} is not a number", value=repr(str(value)[:40]))
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise not_a_number
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise not_a_number from None
    if not number.is_finite():
        raise not_a_number
    return number


def ore(value: Any) -> int:
    """A price in the currency's main unit as whole öre (cents): ``"30.20"`` is 3020."""
    number = decimal(value) * 100
    if number != number.to_integral_value():
        raise NotExactError("the price {value} is not a whole number of öre", value=repr(value))
    if not 0 <= number <= MAX_ORE:
        raise NotExactError("the price {value} is out of range", value=repr(value))
    return int(number)


def price(ore_amount: int) -> float:
    """Öre as the decimal number DFC writes (``1999`` → ``19.99``, exact in JSON)."""
    return float(Decimal(ore_amount) / 100)


def currency_of(unit: str | None) -> str | None:
    """The ISO 4217 code a DFC price's unit names, or None when it names none we know."""
    if unit is None:
        return None
    if unit.startswith(CURRENCY_AUTHORITY):
        return unit.removeprefix(CURRENCY_AUTHORITY).upper()[:3] or None
    if unit in CURRENCY_MEASURES:
        return CURRENCY_MEASURES[unit]
    name = unit.removeprefix("dfc-m:")
    return name if len(name) == 3 and name.isalpha() and name.isupper() else None


def currency_iri(code: str) -> str:
    return CURRENCY_AUTHORITY + code


def catalogue_units(value: Any, measure: str | None, unit: str) -> int:
    """A DFC quantity in whole units of the catalogue's ``unit`` (kg, l or piece)."""
    scale, per_unit, _ = CATALOGUE_UNITS[unit]
    words = UNIT_WORDS[unit]  # in the msgid: a page translates the sentence whole
    if measure is None:
        raise NotExactError(
            f"a quantity in no unit can't be counted in {words}, the catalogue's unit"
        )
    if measure not in scale:
        raise NotExactError(
            f"a quantity in {{measure}} can't be counted in {words}, the catalogue's unit",
            measure=measure.removeprefix("dfc-m:"),
        )
    units = decimal(value) * scale[measure] / per_unit
    if units != units.to_integral_value() or not 1 <= units <= MAX_UNITS:
        raise NotExactError(
            f"{{value}} {{measure}} is not a whole number of {words} (the catalogue's unit) "
            f"from 1 to {MAX_UNITS:,}",
            value=str(value),
            measure=measure.removeprefix("dfc-m:"),
        )
    return int(units)


def whole(value: Any, what: str) -> int:
    """A whole number; ``what`` names it, in the msgid of the error."""
    number = decimal(value)
    if number != number.to_integral_value():
        raise NotExactError(f"{what} {{value}} is not a whole number", value=repr(value))
    return int(number)
