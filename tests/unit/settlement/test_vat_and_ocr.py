"""VAT rates by date and the one rounding rule; OCR references as Bankgirot checks them."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from services.matcher.engine.settlement.ocr import ocr_is_valid, ocr_reference
from services.matcher.engine.settlement.vat import (
    FOOD,
    STANDARD,
    SWEDISH_RATES,
    TRANSPORT,
    NoRateError,
    VatRule,
    merged,
    rate_on,
    vat_class_of,
    vat_of,
)
from shared.contracts.catalogue import CATEGORIES, CATEGORY_VAT_CLASS


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        (dt.date(2026, 3, 31), 1200),
        (dt.date(2026, 4, 1), 600),  # the temporary reduction starts
        (dt.date(2027, 12, 31), 600),
        (dt.date(2028, 1, 1), 1200),  # and ends
    ],
)
def test_food_is_taxed_at_six_percent_from_april_2026_to_the_end_of_2027(
    day: dt.date, rate: int
) -> None:
    assert rate_on(SWEDISH_RATES, FOOD, day) == rate


def test_transport_and_the_standard_class_are_taxed_at_25_percent() -> None:
    day = dt.date(2026, 12, 6)
    assert rate_on(SWEDISH_RATES, TRANSPORT, day) == 2500
    assert rate_on(SWEDISH_RATES, STANDARD, day) == 2500


def test_a_network_rule_replaces_the_default_of_the_same_date_and_adds_new_ones() -> None:
    rules = merged(
        SWEDISH_RATES,
        [
            VatRule(vat_class=FOOD, effective_from=dt.date(2026, 4, 1), rate_bp=700),
            VatRule(vat_class=FOOD, effective_from=dt.date(2027, 7, 1), rate_bp=1200),
        ],
    )
    assert rate_on(rules, FOOD, dt.date(2026, 5, 1)) == 700
    assert rate_on(rules, FOOD, dt.date(2027, 7, 1)) == 1200
    with pytest.raises(NoRateError):
        rate_on(rules, FOOD, dt.date(1990, 1, 1))


def test_every_catalogue_category_has_a_vat_class_and_only_ovrigt_is_not_food() -> None:
    assert set(CATEGORY_VAT_CLASS) == set(CATEGORIES)
    assert {c for c in CATEGORIES if vat_class_of(c, CATEGORY_VAT_CLASS) != FOOD} == {"övrigt"}
    assert vat_class_of("", CATEGORY_VAT_CLASS) == FOOD


@pytest.mark.parametrize(
    ("taxable", "rate", "vat"),
    [
        (72979, 600, 4379),  # 4378.74 → 4379
        (25, 1200, 3),  # 3.0
        (50, 100, 1),  # 0.5 → 1: half rounds away from zero
        (-50, 100, -1),  # symmetric for credit notes
        (12345, 2500, 3086),  # 3086.25 → 3086
        (0, 2500, 0),
    ],
)
def test_vat_is_rounded_half_away_from_zero_to_whole_ore(taxable: int, rate: int, vat: int) -> None:
    assert vat_of(taxable, rate) == vat


@given(st.integers(-(10**12), 10**12), st.sampled_from([0, 600, 1200, 2500]))
def test_vat_is_the_nearest_ore_and_a_credit_returns_exactly_what_was_charged(
    taxable: int, rate: int
) -> None:
    vat = vat_of(taxable, rate)
    assert abs(vat * 10_000 - taxable * rate) <= 5_000
    assert vat_of(-taxable, rate) == -vat


def test_an_ocr_reference_carries_its_length_and_luhn_check_digit() -> None:
    reference = ocr_reference(12345)
    assert reference == "1234574"  # 5 digits, length 7, check digit (7·2→5 +5 +4·2 +3 +2·2 +1)
    assert luhn.is_valid(reference)
    assert ocr_is_valid(reference)
    assert not ocr_is_valid("1234564")  # wrong length digit
    assert not ocr_is_valid("1234579")  # wrong check digit
    assert ocr_reference(12345, length_digit=False) == "123455"


@given(st.integers(0, 10**22), st.booleans())
def test_every_ocr_reference_verifies_and_a_changed_digit_does_not(
    number: int, length_digit: bool
) -> None:
    reference = ocr_reference(number, length_digit=length_digit)
    assert ocr_is_valid(reference, length_digit=length_digit)
    assert reference.startswith(str(number))
    flipped = str((int(reference[0]) + 1) % 10) + reference[1:]
    assert not ocr_is_valid(flipped, length_digit=length_digit)
