"""Demand uploads as Swedish spreadsheets save them, and every row's error."""

from __future__ import annotations

from uuid import UUID

import pytest

from services.api.core.bulk import BadUploadError
from services.api.demand.amounts import Measure
from services.api.demand.upload import Catalogue, Product, read_lines, template
from shared.errors import UnprocessableError

CARROTS = UUID(int=1)
CHEESE = UUID(int=2)
EGGS = UUID(int=3)
CATALOGUE = Catalogue(
    products={
        CARROTS: Product("Morötter", Measure.of("kg", 1000, 1500)),
        CHEESE: Product("Västerbottensost", Measure.of("kg", 500, 600)),
        EGGS: Product("Ägg", Measure.of("piece", 62, 80)),
    },
    names={"morötter": CARROTS, "västerbottensost": CHEESE, "ägg": EGGS},
)
SWEDISH = "produkt;mängd;extra_vi_tar_emot;maxpris;leverans_från;leverans_till\r\n" + (
    "Morötter;10;2;12,50;08:00;12:00\r\nVästerbottensost;1,5;;219,90;;\r\nÄgg;30;;;;\r\n"
)
ENGLISH = "product,quantity,extra,max_price\nmorötter,10,2,12.50\nVästerbottensost,1.5,,219.90\n"


def _read(body: bytes) -> list[tuple[UUID, int, int, int | None]]:
    lines = read_lines(body, "text/csv", CATALOGUE)
    return [(x.product_id, x.firm_quantity, x.tolerance, x.max_unit_price_ore) for x in lines]


@pytest.mark.parametrize(
    "body",
    [
        SWEDISH.encode("utf-8"),
        SWEDISH.encode("utf-8-sig"),
        SWEDISH.encode("cp1252"),
    ],
    ids=["utf-8", "utf-8 with BOM", "windows-1252"],
)
def test_a_swedish_sheet_in_any_encoding_excel_saves(body: bytes) -> None:
    assert _read(body) == [
        (CARROTS, 10, 2, 1250),
        (CHEESE, 3, 0, 10995),  # 1,5 kg in 500 g units; 219,90 kr/kg is 109,95 kr per unit
        (EGGS, 30, 0, None),
    ]
    (first, *_) = read_lines(body, "text/csv", CATALOGUE)
    assert first.delivery_window is not None
    assert str(first.delivery_window.opens) == "08:00:00"


def test_an_english_comma_separated_sheet_with_a_decimal_point() -> None:
    assert _read(ENGLISH.encode()) == [(CARROTS, 10, 2, 1250), (CHEESE, 3, 0, 10995)]


def test_the_apis_own_columns_still_count_catalogue_units_and_ore() -> None:
    body = b"product,firm_quantity,tolerance,max_unit_price_ore\nMor\xc3\xb6tter,4,1,1500\n"
    assert _read(body) == [(CARROTS, 4, 1, 1500)]


def test_several_lines_of_one_product() -> None:
    body = "produkt;mängd;maxpris\nMorötter;10;\nMorötter;5;20\n".encode()
    assert _read(body) == [(CARROTS, 10, 0, None), (CARROTS, 5, 0, 2000)]


def test_every_bad_row_is_named_with_its_field_and_the_rest_read() -> None:
    body = (
        "produkt;mängd;maxpris\n"
        "Morötter;10;\n"
        "Okänd vara;1;\n"
        "Västerbottensost;1,2;\n"
        "Ägg;tre;\n"
        "Morötter;2;gratis\n"
        "Morötter;;\n"  # a row naming only a product orders nothing, as the template's
        "Morötter;-3;\n"
    ).encode()
    with pytest.raises(UnprocessableError) as refused:
        read_lines(body, "text/csv", CATALOGUE)
    errors = refused.value.extra["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [
        (2, "product"),
        (3, "quantity"),
        (4, "quantity"),
        (5, "max_price"),
        (7, "quantity"),
    ]
    assert errors[1]["message"] == ("Västerbottensost is sold in units of 500 g: 1 kg or 1,5 kg")


@pytest.mark.parametrize("amount", ["1,000", "1.000", "12,500", "250.000"])
def test_an_amount_that_reads_a_thousand_times_apart_either_way_is_refused(amount: str) -> None:
    """English spreadsheets write a thousand as 1,000, Swedish ones one kg as 1,000."""
    body = f"produkt;mängd\nMorötter;{amount}\n".encode()
    with pytest.raises(UnprocessableError) as refused:
        read_lines(body, "text/csv", CATALOGUE)
    (error,) = refused.value.extra["errors"]
    assert (error["row"], error["field"]) == (1, "quantity")
    assert "without a thousands separator" in error["message"]


def test_three_decimals_after_a_zero_and_plain_thousands_still_read() -> None:
    body = "produkt;mängd\nVästerbottensost;0,500\nMorötter;1000\n".encode()
    assert _read(body) == [(CHEESE, 1, 0, None), (CARROTS, 1000, 0, None)]


def test_a_sheet_it_cannot_read_is_told_once() -> None:
    with pytest.raises(BadUploadError, match="unknown column"):
        read_lines(b"produkt;pris\nMor;1\n", "text/csv", CATALOGUE)
    with pytest.raises(BadUploadError, match="named twice"):
        read_lines(b"product;produkt\nx;y\n", "text/csv", CATALOGUE)
    with pytest.raises(BadUploadError, match="fill in the quantities"):
        read_lines(b"produkt;m\xc3\xa4ngd\nMor\xc3\xb6tter;\n", "text/csv", CATALOGUE)


def test_the_template_reads_back_as_an_empty_order_until_filled() -> None:
    sheet = template("sv", ["Morötter", "=cmd"])
    assert sheet.startswith("produkt;mängd;")
    assert "'=cmd" in sheet
    filled = sheet.replace("Morötter;;", "Morötter;7;", 1)
    assert _read(filled.encode("utf-8")) == [(CARROTS, 7, 0, None)]
    assert template("en", []).startswith("product;quantity;extra;max_price")
