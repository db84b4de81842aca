"""Dates and times as a network's people type them, in its time zone, made into instants.

A coordinator types a day and a clock time (``<input type="date">``, ``type="time"``),
never a UTC offset; the network's IANA zone (``zoneinfo``) says which instant that is,
daylight saving time included:

- a time that does not exist on that day (the hour skipped when clocks go forward,
  02:30 on the last Sunday of March in Sweden) is refused with :class:`NoSuchTimeError`;
- a time that happens twice (the hour repeated when clocks go back, 02:30 on the last
  Sunday of October) is taken as the first of the two, still on summer time, and
  :func:`instant` says it was ambiguous so the page can tell.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

WEEK = dt.timedelta(days=7)


class NoSuchTimeError(ValueError):
    """The clock time is skipped on that day in that zone."""

    def __init__(self, day: dt.date, time: dt.time, zone: str) -> None:
        super().__init__(f"{time:%H:%M} does not exist on {day} in {zone}: the clocks skip it")
        self.day, self.time, self.zone = day, time, zone


def instant(day: dt.date, time: dt.time, zone: str) -> tuple[dt.datetime, bool]:
    """``day`` at ``time`` in ``zone`` as a UTC instant, and whether the clock time
    happens twice that day (then it is the first); :class:`NoSuchTimeError` if never."""
    tz = ZoneInfo(zone)
    local = dt.datetime.combine(day, time.replace(tzinfo=None, fold=0), tz)
    in_utc = local.astimezone(dt.UTC)
    if in_utc.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NoSuchTimeError(day, time, zone)
    twice = local.utcoffset() != local.replace(fold=1).utcoffset()
    return in_utc, twice


def local(moment: dt.datetime, zone: str) -> tuple[dt.date, dt.time]:
    """An instant as the day and clock time (to the minute) read in ``zone``."""
    seen = moment.astimezone(ZoneInfo(zone))
    return seen.date(), seen.time().replace(second=0, microsecond=0, fold=0)


def weeks_on(first_day: dt.date, today: dt.date) -> int:
    """How many whole weeks to move a cycle whose first day is ``first_day`` so that it
    falls in the coming week (today or within six days), and at least one."""
    behind = (today - first_day).days
    return max(1, -(-behind // 7))
