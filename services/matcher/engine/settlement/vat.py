"""VAT rates per VAT class, the date each takes effect, and the one rounding rule.

Rates are integers in basis points (``2500`` is 25 %). A product's VAT class comes from
its category (``shared.contracts.catalogue.CATEGORY_VAT_CLASS``, passed in as plain
data); transport of goods is its own class.

Swedish defaults (``SWEDISH_RATES``), mervärdesskattelagen (2023:200):

- food: 12 %, temporarily 6 % from 2026-04-01 to 2027-12-31, back to 12 % on
  2028-01-01: the government bill prop. 2025/26:55 "Tillfälligt sänkt
  mervärdesskatt på livsmedel" (rkrattsbaser.gov.se), amending mervärdesskattelagen
  (2023:200) in force 2026-04-01 until 2027-12-31 (decided by the Riksdag; a network
  that finds the law changed again adds its own rule rather than waiting for a release);
- transport of goods, and everything else (the ``standard`` class): 25 %.

A network may add or replace rules (same class and date); the rule in force on a day
is the one of the class with the latest ``effective_from`` on or before that day. The
day that decides is the delivery date (the tax point of a supply of goods).

**Rounding, applied once.** Line amounts are exact öre without VAT (the delivery
notes' figures). VAT is computed per rate on the invoice's taxable sum at that rate,
``taxable * rate / 10000``, rounded half away from zero to whole öre: half-up for
invoices, and symmetric for credit notes, so crediting a whole invoice returns exactly
the VAT it charged. Never per line: per-line rounding drifts by up to half an öre per
line, and the law asks for the VAT amount per rate, which is what this is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import msgspec

FOOD = "food"
TRANSPORT = "transport"
STANDARD = "standard"
VAT_CLASSES: tuple[str, ...] = (FOOD, TRANSPORT, STANDARD)
BASIS_POINTS = 10_000  # 100 %


class VatRule(msgspec.Struct, frozen=True, kw_only=True):
    """From ``effective_from`` on, supplies of ``vat_class`` are taxed at ``rate_bp``."""

    vat_class: str
    effective_from: dt.date
    rate_bp: int


SWEDISH_RATES: tuple[VatRule, ...] = (
    VatRule(vat_class=FOOD, effective_from=dt.date(1996, 1, 1), rate_bp=1200),
    VatRule(vat_class=FOOD, effective_from=dt.date(2026, 4, 1), rate_bp=600),
    VatRule(vat_class=FOOD, effective_from=dt.date(2028, 1, 1), rate_bp=1200),
    VatRule(vat_class=TRANSPORT, effective_from=dt.date(1990, 1, 1), rate_bp=2500),
    VatRule(vat_class=STANDARD, effective_from=dt.date(1990, 1, 1), rate_bp=2500),
)


class NoRateError(ValueError):
    """No rule of the class is in force on the day."""

    def __init__(self, vat_class: str, day: dt.date) -> None:
        super().__init__(f"no VAT rate for {vat_class!r} on {day.isoformat()}")
        self.vat_class = vat_class
        self.day = day


def merged(defaults: Iterable[VatRule], overrides: Iterable[VatRule]) -> tuple[VatRule, ...]:
    """The defaults with a network's rules added; an override of the same class and
    date replaces the default."""
    rules = {(rule.vat_class, rule.effective_from): rule for rule in defaults}
    rules.update({(rule.vat_class, rule.effective_from): rule for rule in overrides})
    return tuple(sorted(rules.values(), key=lambda r: (r.vat_class, r.effective_from)))


def rate_on(rules: Iterable[VatRule], vat_class: str, day: dt.date) -> int:
    """The rate of ``vat_class`` in force on ``day``, in basis points."""
    in_force = [r for r in rules if r.vat_class == vat_class and r.effective_from <= day]
    if not in_force:
        raise NoRateError(vat_class, day)
    return max(in_force, key=lambda r: r.effective_from).rate_bp


def vat_class_of(category: str, category_classes: Mapping[str, str]) -> str:
    """A product category's VAT class; a category the map does not name is food
    (Samlast's networks trade food; the map names the exceptions)."""
    return category_classes.get(category, FOOD)


def vat_of(taxable_ore: int, rate_bp: int) -> int:
    """VAT on a taxable sum at one rate: rounded half away from zero to whole öre."""
    magnitude = (abs(taxable_ore) * rate_bp * 2 + BASIS_POINTS) // (2 * BASIS_POINTS)
    return magnitude if taxable_ore >= 0 else -magnitude


def share_of(amount_ore: int, part: int, whole: int) -> int:
    """``amount * part / whole`` rounded half away from zero: a part's share of an
    exact amount (a credited part of a line)."""
    if whole <= 0:
        raise ValueError("whole must be positive")
    magnitude = (abs(amount_ore) * part * 2 + whole) // (2 * whole)
    return magnitude if amount_ore >= 0 else -magnitude
