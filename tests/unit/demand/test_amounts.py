"""Amounts as people type them, converted exactly into whole catalogue units."""

from __future__ import annotations

import pytest

from services.api.demand.amounts import (
    AmountError,
    Measure,
    limit_per_unit_ore,
    number_text,
    pack_price_per_measure_ore,
    read_thousandths,
    read_units,
    shown_amount,
)

CHEESE = Measure.of("kg", 500, 600)
CARROTS = Measure.of("kg", 1000, 1500)
MILK = Measure.of("l", 1030, 1000)  # a litre weighs 1030 g, but is sold by the litre
JUICE = Measure.of("l", 520, 500)  # in 500 ml bottles
EGGS = Measure.of("piece", 62, 80)


@pytest.mark.parametrize(
    ("text", "language", "thousandths"),
    [
        ("1,5", "sv", 1500),
        ("1.5", "sv", 1500),
        (" 2 ", "sv", 2000),
        ("1 250", "sv", 1_250_000),
        ("0,125", "sv", 125),
        ("1.5", "en", 1500),
        ("1,250", "en", 1_250_000),
        ("12", "en", 12000),
    ],
)
def test_amounts_are_read_in_the_persons_number_format(
    text: str, language: str, thousandths: int
) -> None:
    assert read_thousandths(text, language) == thousandths


@pytest.mark.parametrize(
    ("text", "language"),
    [("1,5", "en"), ("1,5.5", "sv"), ("-1", "sv"), ("1e3", "sv"), ("0,0001", "sv"), ("", "sv")],
)
def test_what_is_no_amount_is_refused_with_an_example(text: str, language: str) -> None:
    with pytest.raises(AmountError) as refused:
        read_thousandths(text, language)
    assert refused.value.values["example"] == ("1.5" if language == "en" else "1,5")


def test_cheese_in_500_g_units_takes_one_and_a_half_kilograms() -> None:
    assert read_units("1,5", CHEESE, "Ost", "sv") == 3
    assert read_units("1.5", CHEESE, "Cheese", "en") == 3
    assert read_units("2", CHEESE, "Ost", "sv") == 4


def test_an_amount_between_units_is_refused_naming_the_ones_around_it() -> None:
    with pytest.raises(AmountError) as refused:
        read_units("1,2", CHEESE, "Ost", "sv")
    message = refused.value.message.format(**refused.value.values)
    assert message == "Ost is sold in units of 500 g: 1 kg or 1,5 kg"
    with pytest.raises(AmountError) as under_one:
        read_units("0,2", CHEESE, "Ost", "sv")
    assert under_one.value.values["first"] == "0,5 kg"
    assert under_one.value.values["second"] == "1 kg"


def test_kilograms_litres_and_pieces_are_whole_by_default() -> None:
    assert read_units("4", CARROTS, "Morötter", "sv") == 4
    assert read_units("6", MILK, "Mjölk", "sv") == 6
    with pytest.raises(AmountError) as litres:
        read_units("1,5", MILK, "Mjölk", "sv")
    assert litres.value.values["size"] == "1 l"
    with pytest.raises(AmountError) as eggs:
        read_units("2.5", EGGS, "Eggs", "en")
    assert eggs.value.message.format(**eggs.value.values) == (
        "Eggs is sold in whole pieces: 2 pcs or 3 pcs"
    )


def test_amounts_are_written_back_exactly() -> None:
    assert number_text(1500, "sv") == "1,5"
    assert number_text(1500, "en") == "1.5"
    assert number_text(125, "sv") == "0,125"
    assert number_text(3000, "sv") == "3"
    assert shown_amount(3000, "piece", "sv") == "3 st"


def test_prices_per_kg_from_prices_per_unit_and_back() -> None:
    # a 10-unit pack of 500 g units at 100 kr is 20 kr/kg
    assert pack_price_per_measure_ore(10_000, 10, CHEESE) == 2000
    assert pack_price_per_measure_ore(12_500, 10, CARROTS) == 1250
    # a limit of 20 kr/kg is 10 kr per 500 g; 19,99 kr/kg rounds down, never up
    assert limit_per_unit_ore(2000, CHEESE) == 1000
    assert limit_per_unit_ore(1999, CHEESE) == 999


def test_a_litre_product_is_sold_in_its_millilitres_as_a_kg_product_in_its_grams() -> None:
    assert JUICE.per_unit == 500
    assert read_units("1,5", JUICE, "Äppelmust", "sv") == 3
    assert read_units("1.5", JUICE, "Äppelmust", "en") == 3
    with pytest.raises(AmountError) as refused:
        read_units("1,2", JUICE, "Äppelmust", "sv")
    assert refused.value.message == "{product} is sold in units of {size}: {first} or {second}"
    assert refused.value.values == {
        "product": "Äppelmust",
        "size": "500 ml",
        "first": "1 l",
        "second": "1,5 l",
    }
    # a size left 0 counts whole kg and litres; a piece is always one
    assert Measure.of("l", 1030, 0) == Measure("l", 1000)
    assert Measure.of("kg", 0, 1500) == Measure("kg", 1000)
    assert Measure.of("piece", 62, 500) == Measure("piece", 1000)
