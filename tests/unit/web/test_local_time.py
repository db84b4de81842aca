"""Days and times typed in a network's time zone become the instants the API takes:
daylight saving time's skipped hour refused, its repeated hour taken as the first, and
the form's other mistakes named beside their fields."""

from __future__ import annotations

import datetime as dt
from uuid import uuid4

import pytest

from services.api.cycles.schemas import CycleOut
from services.api.web.cycles import cycle_in, moved_to_coming_week
from services.api.web.local_time import NoSuchTimeError, instant, local, weeks_on

SWEDEN = "Europe/Stockholm"
NOW = dt.datetime(2027, 3, 20, 12, 0, tzinfo=dt.UTC)  # a Saturday, a week before summer time


def utc(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("day", "time", "expected"),
    [
        (dt.date(2027, 1, 12), dt.time(18, 0), utc(2027, 1, 12, 17, 0)),  # winter: +01:00
        (dt.date(2027, 7, 12), dt.time(18, 0), utc(2027, 7, 12, 16, 0)),  # summer: +02:00
        (dt.date(2027, 3, 28), dt.time(1, 59), utc(2027, 3, 28, 0, 59)),  # just before the gap
        (dt.date(2027, 3, 28), dt.time(3, 0), utc(2027, 3, 28, 1, 0)),  # just after it
    ],
)
def test_a_typed_time_is_the_instant_the_networks_clocks_show(
    day: dt.date, time: dt.time, expected: dt.datetime
) -> None:
    assert instant(day, time, SWEDEN) == (expected, False)


def test_a_time_the_clocks_skip_is_refused() -> None:
    with pytest.raises(NoSuchTimeError, match="02:30 does not exist on 2027-03-28"):
        instant(dt.date(2027, 3, 28), dt.time(2, 30), SWEDEN)


def test_a_time_that_happens_twice_is_the_first_and_says_so() -> None:
    # 31 October 2027: clocks go back from 03:00 summer time to 02:00 winter time
    assert instant(dt.date(2027, 10, 31), dt.time(2, 30), SWEDEN) == (
        utc(2027, 10, 31, 0, 30),  # 02:30 +02:00, not 02:30 +01:00 (01:30 UTC)
        True,
    )


def test_an_instant_reads_back_as_the_day_and_time_typed() -> None:
    moment, _ = instant(dt.date(2027, 7, 12), dt.time(18, 5), SWEDEN)
    assert local(moment, SWEDEN) == (dt.date(2027, 7, 12), dt.time(18, 5))


@pytest.mark.parametrize(
    ("first_day", "weeks"),
    [
        (dt.date(2027, 3, 13), 1),  # a week ago: the same weekday, today
        (dt.date(2027, 3, 14), 1),  # six days ago: tomorrow
        (dt.date(2027, 3, 1), 3),  # nearly three weeks ago
        (dt.date(2027, 3, 25), 1),  # still to come: a week after it
    ],
)
def test_a_copied_cycle_moves_into_the_coming_week(first_day: dt.date, weeks: int) -> None:
    moved = first_day + dt.timedelta(weeks=weeks_on(first_day, NOW.date()))
    assert weeks_on(first_day, NOW.date()) == weeks
    assert moved >= NOW.date()


def form(**changes: str) -> dict[str, str]:
    values = {
        "opens_date": "2027-03-22",
        "opens_time": "08:00",
        "closes_date": "2027-03-29",
        "closes_time": "18:00",
        "delivery_date": "2027-04-01",
    }
    return {**values, **changes}


def test_the_form_becomes_the_apis_cycle_across_a_change_to_summer_time() -> None:
    data, twice, errors = cycle_in(form(), SWEDEN, NOW)
    assert errors == {}
    assert not twice
    assert data is not None
    assert data.opens_at == utc(2027, 3, 22, 7, 0)  # winter time
    assert data.closes_at == utc(2027, 3, 29, 16, 0)  # summer time
    assert data.delivery_date == dt.date(2027, 4, 1)


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"closes_time": "02:30", "closes_date": "2027-03-28"}, {"closes_time": "the clocks"}),
        ({"opens_date": "", "closes_time": "kl 6"}, {"opens_date": "date", "closes_time": "time"}),
        ({"closes_date": "2027-03-21"}, {"closes_time": "after it opens"}),
        ({"closes_date": "2027-03-19"}, {"closes_time": "passed"}),
        ({"delivery_date": "2027-03-28"}, {"delivery_date": "before ordering closes"}),
    ],
)
def test_each_mistake_is_named_beside_its_field(
    changes: dict[str, str], errors: dict[str, str]
) -> None:
    data, _, found = cycle_in(form(**changes), SWEDEN, NOW)
    assert data is None
    assert sorted(found) == sorted(errors)
    for field, words in errors.items():
        assert words in found[field]


def test_an_ambiguous_closing_time_is_taken_as_the_first_and_reported() -> None:
    changes = {"closes_date": "2027-10-31", "closes_time": "02:30", "delivery_date": "2027-11-02"}
    data, twice, errors = cycle_in(form(**changes), SWEDEN, NOW)
    assert twice
    assert errors == {}
    assert data is not None
    assert data.closes_at == utc(2027, 10, 31, 0, 30)


def test_copying_keeps_the_clock_times_when_summer_time_starts_between() -> None:
    opens, _ = instant(dt.date(2027, 3, 15), dt.time(8, 0), SWEDEN)
    closes, _ = instant(dt.date(2027, 3, 21), dt.time(18, 0), SWEDEN)
    previous = CycleOut(
        id=uuid4(),
        network_id=uuid4(),
        opens_at=opens,
        closes_at=closes,
        delivery_date=dt.date(2027, 3, 24),
        state="closed",
        accepting_demand=False,
        version=1,
        created_at=NOW,
        updated_at=NOW,
    )
    assert moved_to_coming_week(previous, NOW, SWEDEN) == form(
        opens_date="2027-03-22", closes_date="2027-03-28", delivery_date="2027-03-31"
    )
    data, _, errors = cycle_in(moved_to_coming_week(previous, NOW, SWEDEN), SWEDEN, NOW)
    assert errors == {}
    assert data is not None
    assert data.closes_at - data.opens_at == closes - opens - dt.timedelta(hours=1)
