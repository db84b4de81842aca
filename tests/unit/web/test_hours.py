"""A week of hours as the profile and the join form send it: rows of a day and two
times, empty rows dropped, several rows a day allowed, any row that can't be read
refused as a whole."""

from __future__ import annotations

import datetime as dt

import pytest

from services.api.web.hours import read_windows, shown_rows, window_rows
from services.api.web.setup_forms import FormError


def row(weekday: str, opens: str, closes: str) -> dict[str, str]:
    return {"weekday": weekday, "opens": opens, "closes": closes}


def test_the_filled_rows_are_the_week_and_a_day_may_have_two() -> None:
    rows = [row("1", "08:00", "12:00"), row("", "", ""), row("1", "13:00", "17:00")]
    windows = read_windows([*rows, row("6", "09:30", "12:00")], required=True)
    assert [(w.weekday, w.opens, w.closes) for w in windows] == [
        (1, dt.time(8), dt.time(12)),
        (1, dt.time(13), dt.time(17)),
        (6, dt.time(9, 30), dt.time(12)),
    ]
    assert window_rows(windows)[1] == row("1", "13:00", "17:00")


@pytest.mark.parametrize(
    "wrong",
    [row("", "08:00", "17:00"), row("8", "08:00", "17:00"), row("3", "18:00", "16:00")],
    ids=["no day", "no such day", "closes before it opens"],
)
def test_a_row_that_cannot_be_read_is_named(wrong: dict[str, str]) -> None:
    with pytest.raises(FormError) as refused:
        read_windows([row("1", "08:00", "17:00"), wrong], required=False)
    assert set(refused.value.errors) == {"windows"}


def test_no_hours_at_all_is_an_empty_week_unless_some_are_needed() -> None:
    assert read_windows([row("", "", "")], required=False) == []
    with pytest.raises(FormError) as refused:
        read_windows([row("", "", "")], required=True)
    assert refused.value.errors == {"windows": "give at least one day and its hours"}


def test_the_form_shows_the_rows_typed_then_blank_ones() -> None:
    shown = shown_rows([row("", "", ""), row("2", "07:00", "09:00")], blank=2)
    assert shown == [row("2", "07:00", "09:00"), row("", "", ""), row("", "", "")]
