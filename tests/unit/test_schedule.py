"""A network's weekly schedule: the next cycles it opens, and the one due now, at the clock
times of the network's zone across Sweden's daylight saving changes (2027: summer time
starts Sunday 28 March, 02:00 → 03:00; ends Sunday 31 October, 03:00 → 02:00)."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.contracts.schedule import (
    WeeklySchedule,
    clock_instant,
    due_week,
    next_weeks,
    week_opening_on,
)

SWEDEN = "Europe/Stockholm"
MON, TUE, WED, THU, FRI, SAT, SUN = range(1, 8)
# Monday 08:00 to Thursday 20:00, delivery Saturday: a common co-op week.
USUAL = WeeklySchedule(
    opens_weekday=MON,
    opens_time=dt.time(8, 0),
    closes_weekday=THU,
    closes_time=dt.time(20, 0),
    delivery_weekday=SAT,
)
LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def utc(month: int, day: int, hour: int, minute: int = 0, year: int = 2027) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def test_the_opening_stays_at_eight_on_the_clocks_when_summer_time_starts() -> None:
    before, after = next_weeks(USUAL, SWEDEN, utc(3, 20, 12), 2)
    assert before.opens_on == dt.date(2027, 3, 22)
    assert before.opens_at == utc(3, 22, 7)  # 08:00 at +01:00
    assert before.closes_at == utc(3, 25, 19)  # Thursday 20:00 at +01:00
    assert before.delivery_date == dt.date(2027, 3, 27)
    assert after.opens_on == dt.date(2027, 3, 29)
    assert after.opens_at == utc(3, 29, 6)  # 08:00 at +02:00: an hour earlier in UTC
    assert after.closes_at == utc(4, 1, 18)
    assert after.delivery_date == dt.date(2027, 4, 3)


def test_and_when_it_ends() -> None:
    (week,) = next_weeks(USUAL, SWEDEN, utc(10, 30, 12), 1)
    assert week.opens_on == dt.date(2027, 11, 1)
    assert week.opens_at == utc(11, 1, 7)  # back on +01:00


def test_a_week_across_the_change_is_an_hour_shorter_or_longer() -> None:
    weekend = WeeklySchedule(
        opens_weekday=FRI,
        opens_time=dt.time(18, 0),
        closes_weekday=MON,
        closes_time=dt.time(8, 0),
        delivery_weekday=WED,
    )
    spring = week_opening_on(weekend, dt.date(2027, 3, 26), SWEDEN)
    assert spring.opens_at == utc(3, 26, 17)
    assert spring.closes_at == utc(3, 29, 6)
    assert spring.closes_at - spring.opens_at == dt.timedelta(hours=61)
    autumn = week_opening_on(weekend, dt.date(2027, 10, 29), SWEDEN)
    assert autumn.closes_at - autumn.opens_at == dt.timedelta(hours=63)
    assert autumn.delivery_date == dt.date(2027, 11, 3)


def test_a_time_the_clocks_skip_comes_after_the_jump_and_a_repeated_one_is_the_first() -> None:
    night = WeeklySchedule(
        opens_weekday=SUN,
        opens_time=dt.time(2, 30),
        closes_weekday=WED,
        closes_time=dt.time(12, 0),
        delivery_weekday=FRI,
    )
    skipped = week_opening_on(night, dt.date(2027, 3, 28), SWEDEN)
    assert skipped.opens_at == utc(3, 28, 1, 30)  # 03:30 summer time
    assert skipped.opens_at.astimezone(ZoneInfo(SWEDEN)).time() == dt.time(3, 30)
    repeated = week_opening_on(night, dt.date(2027, 10, 31), SWEDEN)
    assert repeated.opens_at == utc(10, 31, 0, 30)  # the first 02:30, still +02:00
    ordinary = week_opening_on(night, dt.date(2027, 4, 4), SWEDEN)
    assert ordinary.opens_at == utc(4, 4, 0, 30)


@pytest.mark.parametrize(
    ("closes_weekday", "closes_time", "delivery_weekday", "closes_on", "delivery"),
    [
        (MON, dt.time(20, 0), MON, dt.date(2027, 5, 3), dt.date(2027, 5, 3)),  # same day
        (MON, dt.time(8, 0), TUE, dt.date(2027, 5, 10), dt.date(2027, 5, 11)),  # a week on
        (MON, dt.time(7, 0), MON, dt.date(2027, 5, 10), dt.date(2027, 5, 10)),
        (SUN, dt.time(23, 59), THU, dt.date(2027, 5, 9), dt.date(2027, 5, 13)),
        (TUE, dt.time(0, 0), TUE, dt.date(2027, 5, 4), dt.date(2027, 5, 4)),
    ],
)
def test_closing_is_the_first_such_moment_after_opening_and_delivery_on_or_after_it(
    closes_weekday: int,
    closes_time: dt.time,
    delivery_weekday: int,
    closes_on: dt.date,
    delivery: dt.date,
) -> None:
    schedule = WeeklySchedule(
        opens_weekday=MON,
        opens_time=dt.time(8, 0),
        closes_weekday=closes_weekday,
        closes_time=closes_time,
        delivery_weekday=delivery_weekday,
    )
    week = week_opening_on(schedule, dt.date(2027, 5, 3), SWEDEN)
    assert week.closes_at == clock_instant(closes_on, closes_time, SWEDEN)
    assert week.delivery_date == delivery


def test_the_next_weeks_start_after_now_even_on_the_opening_day() -> None:
    monday_morning = utc(5, 3, 5)  # 07:00 in Sweden, before the opening
    assert [w.opens_on for w in next_weeks(USUAL, SWEDEN, monday_morning, 3)] == [
        dt.date(2027, 5, 3),
        dt.date(2027, 5, 10),
        dt.date(2027, 5, 17),
    ]
    monday_noon = utc(5, 3, 10)
    assert next_weeks(USUAL, SWEDEN, monday_noon, 1)[0].opens_on == dt.date(2027, 5, 10)


@pytest.mark.parametrize(
    ("now", "active_from", "due"),
    [
        (utc(5, 3, 5), LONG_AGO, None),  # Monday 07:00: not open yet (and last week closed)
        (utc(5, 3, 6), LONG_AGO, dt.date(2027, 5, 3)),  # 08:00 exactly
        (utc(5, 5, 12), LONG_AGO, dt.date(2027, 5, 3)),  # Wednesday: still due (a late job)
        (utc(5, 6, 18), LONG_AGO, None),  # Thursday 20:00: closed, too late to open
        (utc(5, 8, 12), LONG_AGO, None),  # Saturday
        (utc(5, 4, 12), utc(5, 4, 11), None),  # saved on Tuesday: this week is under way
        (utc(5, 10, 6), utc(5, 4, 11), dt.date(2027, 5, 10)),  # ... so the next one
    ],
)
def test_the_week_due_is_the_one_open_now_that_opened_after_the_schedule_was_saved(
    now: dt.datetime, active_from: dt.datetime, due: dt.date | None
) -> None:
    week = due_week(USUAL, SWEDEN, now, active_from)
    assert (week.opens_on if week else None) == due


def test_a_week_that_closes_a_week_later_is_due_until_the_next_opens() -> None:
    rolling = WeeklySchedule(
        opens_weekday=MON,
        opens_time=dt.time(8, 0),
        closes_weekday=MON,
        closes_time=dt.time(7, 0),
        delivery_weekday=WED,
    )
    week = due_week(rolling, SWEDEN, utc(5, 10, 4, 30), LONG_AGO)  # Monday 06:30
    assert week is not None
    assert week.opens_on == dt.date(2027, 5, 3)


schedules = st.builds(
    WeeklySchedule,
    opens_weekday=st.integers(1, 7),
    opens_time=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    closes_weekday=st.integers(1, 7),
    closes_time=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    delivery_weekday=st.integers(1, 7),
)
moments = st.datetimes(
    min_value=dt.datetime(2026, 1, 1),
    max_value=dt.datetime(2030, 12, 31),
    timezones=st.just(dt.UTC),
)


@given(schedules, moments)
def test_weeks_follow_the_schedule_on_the_clocks(
    schedule: WeeklySchedule, now: dt.datetime
) -> None:
    tz = ZoneInfo(SWEDEN)
    weeks = next_weeks(schedule, SWEDEN, now, 3)
    assert now < weeks[0].opens_at
    for week, following in itertools.pairwise(weeks):
        assert following.opens_on - week.opens_on == dt.timedelta(days=7)
    for week in weeks:
        opens, closes = week.opens_at.astimezone(tz), week.closes_at.astimezone(tz)
        assert week.opens_on.isoweekday() == schedule.opens_weekday
        assert (
            closes.isoweekday() == schedule.closes_weekday or closes.time() != schedule.closes_time
        )
        assert week.delivery_date.isoweekday() == schedule.delivery_weekday
        assert dt.timedelta(0) <= week.delivery_date - closes.date() < dt.timedelta(days=7)
        # the clocks show the schedule's times, but for an hour the clocks skip
        if opens.time() != schedule.opens_time:
            assert (
                opens.time()
                == (
                    dt.datetime.combine(week.opens_on, schedule.opens_time) + dt.timedelta(hours=1)
                ).time()
            )
        assert week.closes_at - week.opens_at <= dt.timedelta(days=7, hours=1)
    # the week due a moment after the first opening is that week, if it is not over
    due = due_week(schedule, SWEDEN, weeks[0].opens_at, LONG_AGO)
    if weeks[0].closes_at > weeks[0].opens_at:
        assert due == weeks[0]
