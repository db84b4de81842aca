"""A network's weekly schedule, between the pages that set it and the matcher that opens
its cycles: which weeks it opens, and when each opens, closes and delivers.

A week's dates follow its opening day, a day of ``opens_weekday`` in the network's time
zone: ordering closes on the first ``closes_weekday`` at ``closes_time`` after it opens
(the same day if that is later on the clock, else up to seven days on) and delivery is on
the first ``delivery_weekday`` on or after the closing day. Clock times stay what the
network's clocks show across daylight saving time (``zoneinfo``): a time the clocks skip
when summer time starts is taken as the same time after the jump (02:30 is 03:30 that
night), one they repeat when it ends as the first of the two (still on summer time).
Pure: no clock, no I/O; the caller says what "now" is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import msgspec

WEEK_DAYS = 7


class WeeklySchedule(msgspec.Struct, frozen=True, kw_only=True):
    """ISO weekdays, 1 (Monday) to 7 (Sunday), as ``date.isoweekday``, as an organisation's
    windows name them; times as the network's clocks show them."""

    opens_weekday: int
    opens_time: dt.time
    closes_weekday: int
    closes_time: dt.time
    delivery_weekday: int


class Week(msgspec.Struct, frozen=True, kw_only=True):
    """One cycle a schedule opens: its opening day (the week's key) and its instants."""

    opens_on: dt.date
    opens_at: dt.datetime
    closes_at: dt.datetime
    delivery_date: dt.date


def week_opening_on(schedule: WeeklySchedule, opens_on: dt.date, zone: str) -> Week:
    """The week whose opening day is ``opens_on`` (a day of ``opens_weekday``)."""
    closes_on = opens_on + dt.timedelta(days=(schedule.closes_weekday - opens_on.isoweekday()) % 7)
    if closes_on == opens_on and schedule.closes_time <= schedule.opens_time:
        closes_on += dt.timedelta(days=WEEK_DAYS)
    delivery_on = closes_on + dt.timedelta(
        days=(schedule.delivery_weekday - closes_on.isoweekday()) % 7
    )
    return Week(
        opens_on=opens_on,
        opens_at=clock_instant(opens_on, schedule.opens_time, zone),
        closes_at=clock_instant(closes_on, schedule.closes_time, zone),
        delivery_date=delivery_on,
    )


def clock_instant(day: dt.date, time: dt.time, zone: str) -> dt.datetime:
    """``day`` at ``time`` on the clocks of ``zone``, in UTC. A skipped time is read with
    the offset before the jump (so it lands as far after the jump as it was after the
    hour the clocks left), a repeated one as its first occurrence (``fold=0``)."""
    local = dt.datetime.combine(day, time.replace(tzinfo=None, fold=0), ZoneInfo(zone))
    return local.astimezone(dt.UTC)


def _opening_days(schedule: WeeklySchedule, first: dt.date) -> Iterator[dt.date]:
    """Days of ``opens_weekday`` from ``first`` on."""
    day = first + dt.timedelta(days=(schedule.opens_weekday - first.isoweekday()) % 7)
    while True:
        yield day
        day += dt.timedelta(days=WEEK_DAYS)


def next_weeks(schedule: WeeklySchedule, zone: str, after: dt.datetime, count: int) -> list[Week]:
    """The next ``count`` weeks whose opening is after ``after``: what the page shows."""
    if count <= 0:
        return []
    start = after.astimezone(ZoneInfo(zone)).date()
    weeks: list[Week] = []
    for opens_on in _opening_days(schedule, start):
        week = week_opening_on(schedule, opens_on, zone)
        if week.opens_at > after:
            weeks.append(week)
        if len(weeks) == count:
            return weeks
    raise AssertionError("unreachable: _opening_days never ends")


def due_week(
    schedule: WeeklySchedule, zone: str, now: dt.datetime, active_from: dt.datetime
) -> Week | None:
    """The week to open at ``now``, if any: the latest one that has opened and is still
    open for ordering, provided it opened after the schedule was saved (``active_from``)."""
    today = now.astimezone(ZoneInfo(zone)).date()
    latest = today - dt.timedelta(days=(today.isoweekday() - schedule.opens_weekday) % 7)
    for opens_on in (latest, latest - dt.timedelta(days=WEEK_DAYS)):
        week = week_opening_on(schedule, opens_on, zone)
        if week.opens_at <= now:
            if week.closes_at <= now or week.opens_at < active_from:
                return None
            if week.closes_at <= week.opens_at:  # both in the hour a clock change moves
                return None
            return week
    return None
