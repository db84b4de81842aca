"""An organisation's place and hours as the pages' forms spell them.

One small form, in ``templates/web/_place_fields.html``, on the join page and on an
organisation's own place page: an address, the position as latitude and longitude
(decimal degrees, comma or point), and the week's hours, a row per weekday. It reads
into the API's ``Location`` and ``WeeklyWindow``; each field that can't be read is
named with a message of the pages' catalogue. A geocoder or a map that fills the
position can come later, writing into the same fields.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from services.api.core import numbers
from services.api.core.types import Location, WeeklyWindow
from services.api.organisations.schemas import OrganisationOut

WEEKDAYS = range(1, 8)
DEFAULT_OPENS, DEFAULT_CLOSES = "08:00", "17:00"
PLACE_FIELDS = ("address", "lat", "lon")
HOURS_FIELDS = tuple(f"{part}_{day}" for day in WEEKDAYS for part in ("day", "opens", "closes"))
MESSAGES = {
    "address": "write the street address, at most 500 characters",
    "lat": "a latitude in decimal degrees, like 59.86",
    "lon": "a longitude in decimal degrees, like 17.64",
    "hours": "tick at least one day, with its hours",
    "opens": "a time like 08:00, before the closing time",
}
TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?")


def read_place(values: dict[str, str]) -> tuple[Location | None, dict[str, str]]:
    """The place typed, or the errors of the fields that say it."""
    errors: dict[str, str] = {}
    address = values.get("address", "").strip()
    if len(address) > 500:
        errors["address"] = MESSAGES["address"]
    position = {}
    for name, bound in (("lat", 90), ("lon", 180)):
        try:
            position[name] = numbers.degrees(values.get(name, "").strip())
        except numbers.NumberError:
            errors[name] = MESSAGES[name]
        else:
            if not -bound <= position[name] <= bound:
                errors[name] = MESSAGES[name]
    if errors:
        return None, errors
    return Location(lat=position["lat"], lon=position["lon"], address=address), {}


def read_hours(values: dict[str, str]) -> tuple[list[WeeklyWindow], dict[str, str]]:
    """The ticked days' hours, or the errors of the days that can't be read."""
    windows: list[WeeklyWindow] = []
    errors: dict[str, str] = {}
    for day in WEEKDAYS:
        if values.get(f"day_{day}") != "on":
            continue
        opens, closes = (values.get(f"{part}_{day}", "").strip() for part in ("opens", "closes"))
        if not (TIME.fullmatch(opens) and TIME.fullmatch(closes)) or opens[:5] >= closes[:5]:
            errors[f"opens_{day}"] = MESSAGES["opens"]
            continue
        windows.append(
            WeeklyWindow(
                weekday=day,
                opens=dt.time.fromisoformat(opens),
                closes=dt.time.fromisoformat(closes),
            )
        )
    if not windows and not errors:
        errors["hours"] = MESSAGES["hours"]
    return windows, errors


def fresh_hours() -> dict[str, str]:
    """An empty week: no day ticked, the usual hours ready to tick."""
    return {
        **{f"opens_{day}": DEFAULT_OPENS for day in WEEKDAYS},
        **{f"closes_{day}": DEFAULT_CLOSES for day in WEEKDAYS},
    }


def shown_place(organisation: OrganisationOut) -> dict[str, str]:
    """The organisation's place and hours as the form shows them (a day's first window)."""
    values = fresh_hours()
    if organisation.location is not None:
        values.update(
            address=organisation.location.address,
            lat=str(organisation.location.lat),
            lon=str(organisation.location.lon),
        )
    for window in reversed(organisation.windows):
        values[f"day_{window.weekday}"] = "on"
        values[f"opens_{window.weekday}"] = window.opens.strftime("%H:%M")
        values[f"closes_{window.weekday}"] = window.closes.strftime("%H:%M")
    return values


def typed(form: Any, names: tuple[str, ...]) -> dict[str, str]:
    """What the form sent for ``names``, bounded."""
    return {name: str(form.get(name, ""))[:500] for name in names if name in form}
