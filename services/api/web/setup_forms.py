"""The setup pages' forms: people's spellings read into the API's own structs.

Money in kronor, shares in per cent, weights in kg become the öre, per mille and grams
of ``NetworkPatch``, ``VehicleIn`` and ``ProductIn``; each field that can't be read is
named with a message of the pages' catalogue, so it is shown in the page's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec

from services.api.core import numbers
from services.api.core.types import WeeklyWindow
from services.api.networks.schemas import (
    TIMEZONES,
    NetworkOut,
    NetworkPatch,
    VehicleIn,
    VehicleOut,
)
from services.api.products.schemas import ProductIn
from shared.contracts.catalogue import CATEGORIES

# What each field's error says (a key of the pages' catalogue: shown in the page's language).
MESSAGES = {
    "name": "write a name, at most 200 characters",
    "region": "at most 200 characters",
    "timezone": "a time zone like Europe/Stockholm",
    "hub_address": "at most 500 characters",
    "hub_lat": "a latitude in decimal degrees, like 59.86",
    "hub_lon": "a longitude in decimal degrees, like 17.64",
    "producer_share_percent": "a percentage from 0 to 100, at most one decimal",
    "handling_kr_per_kg": "an amount in kronor per kg, like 0,50",
    "kr_per_tonne_km": "an amount in kronor per tonne-km, at most 1 000",
    "deadline_reminder_hours": "a whole number of hours from 0 to 720",
    "transport_warning_percent": "a percentage from 0 to 1000, at most one decimal",
    "capacity_kg": "a number of kg, like 1200",
    "capacity_l": "a number of litres, like 8000",
    "start_lat": "a latitude in decimal degrees, like 59.86",
    "start_lon": "a longitude in decimal degrees, like 17.64",
    "shift_start": "the shift must start before it ends",
    "shift_end": "a time like 18:00",
    "cost_per_km": "an amount in kronor, like 4,50",
    "cost_per_hour": "an amount in kronor, like 350",
    "fixed_cost": "an amount in kronor, like 200",
    "unit": "choose a unit",
    "grams_per_unit": "a whole number of grams",
    "ml_per_unit": "a whole number of millilitres",
    "kg_per_unit": "a number of kg like 1,5",
    "l_per_unit": "a number of litres like 1,5",
    "temperature": "choose a temperature class",
    "category": "choose a category from the list",
    "windows": (
        "each row needs a day, and a time it opens before the time it closes; "
        "rows of the same day may not overlap"
    ),
}
# The structs' fields (as msgspec's messages name them) -> the forms' fields.
FORM_FIELD = {
    "hub.lat": "hub_lat",
    "hub.lon": "hub_lon",
    "hub.address": "hub_address",
    "hub": "hub_lat",
    "hub_hours": "windows",
    "producer_share_permille": "producer_share_percent",
    "transport_handling_ore_per_kg": "handling_kr_per_kg",
    "transport_ore_per_tonne_km": "kr_per_tonne_km",
    "transport_warning_permille": "transport_warning_percent",
    "capacity_grams": "capacity_kg",
    "capacity_ml": "capacity_l",
    "start.lat": "start_lat",
    "start.lon": "start_lon",
    "start": "start_lat",
    "cost_per_km_ore": "cost_per_km",
    "cost_per_hour_ore": "cost_per_hour",
    "fixed_cost_ore": "fixed_cost",
}
SETTINGS_FIELDS = (
    "version",
    "name",
    "region",
    "timezone",
    "hub_address",
    "hub_lat",
    "hub_lon",
    "hub_pick",
    "producer_share_percent",
    "handling_kr_per_kg",
    "kr_per_tonne_km",
    "deadline_reminder_hours",
    "transport_warning_percent",
)
VEHICLE_FIELDS = (
    "name",
    "capacity_kg",
    "capacity_l",
    "cold_capable",
    "start_lat",
    "start_lon",
    "shift_start",
    "shift_end",
    "cost_per_km",
    "cost_per_hour",
    "fixed_cost",
)
PRODUCT_FIELDS = ("name", "unit", "grams_per_unit", "ml_per_unit", "temperature", "category")


class FormError(Exception):
    """The form's mistakes, field by field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


class FormReader:
    """Reads people's spellings of the form's numbers, noting each field it can't read."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.errors: dict[str, str] = {}

    def text(self, name: str) -> str:
        return self.values.get(name, "").strip()

    def number(self, name: str, reader: Callable[[str], Any], *, required: bool = True) -> Any:
        text = self.text(name)
        if not text:
            if required:
                self.errors[name] = MESSAGES[name]
            return None
        try:
            return reader(text)
        except numbers.NumberError:
            self.errors[name] = MESSAGES[name]
            return None

    def convert(self, fields: dict[str, Any], target: type[Any]) -> Any:
        """The struct, or every mistake found: ours first, then the struct's own."""
        if self.errors:
            raise FormError(self.errors)
        try:
            return msgspec.convert(fields, target)
        except (msgspec.ValidationError, ValueError) as exc:
            name = form_field(str(exc))
            raise FormError({name: MESSAGES.get(name, "check this field")}) from None


def form_field(message: str) -> str:
    """The form field a msgspec message names (``at `$.hub.lat``` or `` `timezone` ``)."""
    found = re.search(r"`\$\.([\w.]+)`", message) or re.search(r"`(\w+)`", message)
    name = found.group(1) if found else "name"
    return FORM_FIELD.get(name, name)


def shown_settings(network: NetworkOut, language: str = "sv") -> dict[str, str]:
    """The settings as the form shows them: money in kronor, the share in per cent, with
    the decimal sign of the page's ``language`` (the readers take either)."""
    point = _decimal_sign(language)
    return {
        "version": str(network.version),
        "name": network.name,
        "region": network.region,
        "timezone": network.timezone,
        "hub_address": network.hub.address if network.hub else "",
        "hub_lat": str(network.hub.lat) if network.hub else "",
        "hub_lon": str(network.hub.lon) if network.hub else "",
        "producer_share_percent": _tenths(network.producer_share_permille, point),
        "handling_kr_per_kg": _kronor(network.transport_handling_ore_per_kg, point),
        "kr_per_tonne_km": _kronor(network.transport_ore_per_tonne_km, point),
        "deadline_reminder_hours": str(network.deadline_reminder_hours),
        "transport_warning_percent": _tenths(network.transport_warning_permille, point),
    }


def shown_vehicle(vehicle: VehicleOut, language: str = "sv") -> dict[str, str]:
    """The vehicle as the form shows it: kg, litres and kronor, with the decimal sign of
    the page's ``language``."""
    point = _decimal_sign(language)
    return {
        "name": vehicle.name,
        "capacity_kg": _thousandths(vehicle.capacity_grams, point),
        "capacity_l": _thousandths(vehicle.capacity_ml, point),
        "cold_capable": "on" if vehicle.cold_capable else "",
        "start_lat": str(vehicle.start.lat),
        "start_lon": str(vehicle.start.lon),
        "shift_start": vehicle.shift_start.strftime("%H:%M"),
        "shift_end": vehicle.shift_end.strftime("%H:%M"),
        "cost_per_km": _kronor(vehicle.cost_per_km_ore, point),
        "cost_per_hour": _kronor(vehicle.cost_per_hour_ore, point),
        "fixed_cost": _kronor(vehicle.fixed_cost_ore, point),
    }


def settings_patch(
    values: dict[str, str], hub_hours: list[WeeklyWindow] | None = None
) -> NetworkPatch:
    """The patch the settings form asks for; ``hub_hours`` as ``hours.read_windows``
    read them (overlaps are the struct's to refuse, named ``windows``), None to keep."""
    form = FormReader(values)
    lat = form.number("hub_lat", numbers.degrees, required=False)
    lon = form.number("hub_lon", numbers.degrees, required=False)
    hub: dict[str, Any] | None = None
    if lat is not None or lon is not None or form.text("hub_address"):
        for name, value in (("hub_lat", lat), ("hub_lon", lon)):
            if value is None:
                form.errors.setdefault(name, MESSAGES[name])
        hub = {"lat": lat, "lon": lon, "address": form.text("hub_address")}
    fields = {
        "name": form.text("name"),
        "region": form.text("region"),
        "timezone": form.text("timezone"),
        "hub": hub,
        "producer_share_permille": form.number(
            "producer_share_percent", numbers.percent_to_permille
        ),
        "transport_handling_ore_per_kg": form.number("handling_kr_per_kg", numbers.kronor_to_ore),
        "transport_ore_per_tonne_km": form.number("kr_per_tonne_km", numbers.kronor_to_ore),
        "deadline_reminder_hours": form.number("deadline_reminder_hours", numbers.whole_number),
        "transport_warning_permille": form.number(
            "transport_warning_percent", numbers.percent_to_permille, required=False
        ),
    }
    if hub_hours is not None:
        fields["hub_hours"] = msgspec.to_builtins(hub_hours)
    if fields["transport_warning_permille"] is None:  # a form from before the field
        del fields["transport_warning_permille"]
    if fields["timezone"] not in TIMEZONES:
        form.errors["timezone"] = MESSAGES["timezone"]
    patch: NetworkPatch = form.convert(fields, NetworkPatch)
    return patch


def vehicle_in(values: dict[str, str]) -> VehicleIn:
    form = FormReader(values)
    fields = {
        "name": form.text("name"),
        "capacity_grams": form.number("capacity_kg", numbers.thousandths),
        "capacity_ml": form.number("capacity_l", numbers.thousandths),
        "cold_capable": values.get("cold_capable") == "on",
        "start": {
            "lat": form.number("start_lat", numbers.degrees),
            "lon": form.number("start_lon", numbers.degrees),
        },
        "shift_start": _time(form, "shift_start"),
        "shift_end": _time(form, "shift_end"),
        "cost_per_km_ore": form.number("cost_per_km", numbers.kronor_to_ore, required=False) or 0,
        "cost_per_hour_ore": form.number("cost_per_hour", numbers.kronor_to_ore, required=False)
        or 0,
        "fixed_cost_ore": form.number("fixed_cost", numbers.kronor_to_ore, required=False) or 0,
    }
    vehicle: VehicleIn = form.convert(fields, VehicleIn)
    return vehicle


def product_in(values: dict[str, str]) -> ProductIn:
    form = FormReader(values)
    fields = {
        "name": form.text("name"),
        "unit": form.text("unit"),
        "grams_per_unit": form.number("grams_per_unit", numbers.whole_number),
        "ml_per_unit": form.number("ml_per_unit", numbers.whole_number),
        "temperature": form.text("temperature") or "ambient",
        "category": form.text("category"),
    }
    if fields["category"] and fields["category"] not in CATEGORIES:
        form.errors["category"] = MESSAGES["category"]
    product: ProductIn = form.convert(fields, ProductIn)
    return product


def _time(form: FormReader, name: str) -> str:
    """A time input's ``HH:MM`` as the API's ``HH:MM:SS``."""
    text = form.text(name)
    if not re.fullmatch(r"\d\d:\d\d(:\d\d)?", text):
        form.errors[name] = MESSAGES["shift_end"]
    return text + ":00" if len(text) == 5 else text


def _decimal_sign(language: str) -> str:
    return "." if language == "en" else ","


def _kronor(ore: int, point: str = ",") -> str:
    return f"{ore // 100}{point}{ore % 100:02d}"


def _thousandths(amount: int, point: str = ",") -> str:
    whole, rest = divmod(amount, 1000)
    return str(whole) if not rest else f"{whole}{point}{rest:03d}".rstrip("0")


def _tenths(permille: int, point: str = ",") -> str:
    return str(permille // 10) if permille % 10 == 0 else f"{permille // 10}{point}{permille % 10}"
