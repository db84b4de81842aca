"""Reusable input constraints: every request struct builds on these, so limits are uniform."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Annotated

import msgspec
from msgspec import Meta

MAX_LIST = 1000  # items in any list inside a JSON body (bulk endpoints have their own cap)

Name = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"\S")]
Text200 = Annotated[str, Meta(max_length=200)]
Text500 = Annotated[str, Meta(max_length=500)]
Text2000 = Annotated[str, Meta(max_length=2000)]
Email = Annotated[str, Meta(max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Phone = Annotated[str, Meta(max_length=40, pattern=r"^[0-9+()\- ]*$")]
Currency = Annotated[str, Meta(pattern=r"^[A-Z]{3}$")]
Latitude = Annotated[float, Meta(ge=-90, le=90)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]
Ore = Annotated[int, Meta(ge=0, le=10**12, description="money in öre (1/100 SEK)")]
Packs = Annotated[int, Meta(ge=0, le=10**6)]
Units = Annotated[int, Meta(ge=1, le=10**6)]
Tolerance = Annotated[int, Meta(ge=0, le=10**6)]
Grams = Annotated[int, Meta(ge=0, le=10**9)]
Permille = Annotated[int, Meta(ge=0, le=1000)]
Weekday = Annotated[int, Meta(ge=1, le=7, description="ISO weekday, 1 = Monday")]
LocalTime = Annotated[dt.time, Meta(tz=False, description="local time, HH:MM:SS")]
Label = Annotated[str, Meta(max_length=200)]


class Input(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of request bodies: unknown fields (``status``, ``organisation_id``…) are refused."""


class Location(Input):
    lat: Latitude
    lon: Longitude
    address: Text500 = ""


class TimeWindow(Input):
    opens: LocalTime
    closes: LocalTime

    def __post_init__(self) -> None:
        if self.opens >= self.closes:
            raise ValueError("`opens` must be before `closes`")


class WeeklyWindow(Input):
    weekday: Weekday
    opens: LocalTime
    closes: LocalTime

    def __post_init__(self) -> None:
        if self.opens >= self.closes:
            raise ValueError("`opens` must be before `closes`")


TimeWindows = Annotated[list[TimeWindow], Meta(max_length=14)]
WeeklyWindows = Annotated[list[WeeklyWindow], Meta(max_length=50)]


def no_overlaps(windows: list[TimeWindow] | list[WeeklyWindow]) -> bool:
    """True when no two windows (on the same weekday) overlap."""
    keyed = sorted(
        (getattr(window, "weekday", 0), window.opens, window.closes) for window in windows
    )
    return all(a[0] != b[0] or a[2] <= b[1] for a, b in itertools.pairwise(keyed))
