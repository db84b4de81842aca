"""The place and hours form, read as people type it: degrees with a comma or a point,
the ticked days' hours, and each field that can't be read named."""

from __future__ import annotations

import datetime as dt

from services.api.core.types import Location
from services.api.web.place_form import fresh_hours, read_hours, read_place


def test_a_place_reads_degrees_as_swedes_and_machines_write_them() -> None:
    place, errors = read_place({"address": " Ekeby 1 ", "lat": "59,9126", "lon": "17.5203"})
    assert errors == {}
    assert place == Location(lat=59.9126, lon=17.5203, address="Ekeby 1")


def test_a_place_names_each_field_it_cannot_read() -> None:
    place, errors = read_place({"address": "x" * 501, "lat": "norr", "lon": "200"})
    assert place is None
    assert set(errors) == {"address", "lat", "lon"}


def test_only_the_ticked_days_count_and_each_must_open_before_it_closes() -> None:
    values = {
        **fresh_hours(),
        "day_1": "on",
        "day_3": "on",
        "opens_3": "18:00",
        "closes_3": "16:00",
        "day_6": "on",
        "opens_6": "09:30",
        "closes_6": "12:00",
    }
    windows, errors = read_hours(values)
    assert [(w.weekday, w.opens, w.closes) for w in windows] == [
        (1, dt.time(8), dt.time(17)),
        (6, dt.time(9, 30), dt.time(12)),
    ]
    assert set(errors) == {"opens_3"}


def test_a_week_with_no_day_ticked_says_so() -> None:
    windows, errors = read_hours(fresh_hours())
    assert windows == []
    assert set(errors) == {"hours"}
