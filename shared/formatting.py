"""Numbers, money and moments as Swedish and English readers write them (Babel), for the
pages and the mail alike. A moment is shown in the network's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent


def number(value: float, language: str, decimals: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    rounded = round(value, decimals) + 0.0  # + 0.0: no "-0"
    return format_decimal(rounded if rounded else 0, format=pattern, locale=language)


def percent(value: float, language: str) -> str:
    """A share out of 100 as the language writes it: ``57 %`` (Swedish, a no-break
    space), ``57%`` (English)."""
    return format_percent(round(value) / 100, locale=language)


def kronor(ore: int, language: str) -> str:
    return number(ore / 100, language, 2 if ore % 100 else 0) + " kr"


def when(value: dt.datetime | None, language: str, zone: str | None = None) -> str:
    """A moment as the people of the network read it: in its time zone (``zone``),
    else in the one the value carries; Babel would otherwise show UTC."""
    if value is None:
        return "-"
    tz = ZoneInfo(zone) if zone else value.tzinfo or dt.UTC
    return format_datetime(value, "EEE d MMM HH:mm", tzinfo=tz, locale=language)


def moment(value: dt.datetime, language: str, zone: str) -> str:
    """A deadline written out in a mail: ``tisdag 1 december 08:41`` in ``zone``."""
    return format_datetime(value, "EEEE d MMMM HH:mm", tzinfo=ZoneInfo(zone), locale=language)


def short_day(value: dt.date, language: str) -> str:
    """A day on a page, as ``when`` writes a moment's: ``mån 7 dec.`` / ``Mon 7 Dec``."""
    return format_date(value, "EEE d MMM", locale=language)


def day(value: dt.date, language: str) -> str:
    """A delivery date written out: ``torsdag 3 december``."""
    return format_date(value, "EEEE d MMMM", locale=language)
