"""How the documents write quantities, prices, times and reasons in the reader's language:
the pages' catalogue (``web/locale``) and Babel, shared by the HTML and the PDF."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from services.api.demand.amounts import Measure, pack_price_per_measure_ore
from services.api.documents.model import ShortLine
from services.api.web import i18n
from shared.formatting import kronor, number


class Words:
    """Everything a document writes, in one language, times in the network's zone."""

    def __init__(self, language: str, zone: str) -> None:
        self.language = language
        self.zone = ZoneInfo(zone)
        self.gettext: Callable[..., str] = i18n.gettext_for(language)

    def __call__(self, text: str, **values: object) -> str:
        return self.gettext(text, **values)

    def unit(self, unit: str) -> str:
        """``kg``, ``l``, or pieces as ``st`` / ``pcs``."""
        return i18n.unit(unit, self.language)

    def qty(self, units: int, measure: Measure) -> str:
        """Catalogue units as kg, l or st, the unit's size counted in (``1,5 kg``)."""
        return i18n.quantity(units, measure, self.language)

    def kr(self, ore: int) -> str:
        return kronor(ore, self.language)

    def unit_price(self, price_per_pack_ore: int, pack_units: int, measure: Measure) -> str:
        """A pack's price per kg, l or st, to the öre as people read prices (``12,08 kr/l``)."""
        if not pack_units:
            return self.price_per(0, measure.unit)
        return self.price_per(
            pack_price_per_measure_ore(price_per_pack_ore, pack_units, measure), measure.unit
        )

    def price(self, ore_per_unit: int, measure: Measure) -> str:
        """A price per catalogue unit as a price per kg, l or st."""
        return self.price_per(measure.price_ore(ore_per_unit), measure.unit)

    def price_per(self, ore: int, unit: str) -> str:
        return f"{number(ore / 100, self.language, 2)} kr/{self.unit(unit)}"

    def day(self, value: dt.date) -> str:
        """``torsdag 3 december 2026``."""
        return format_date(value, "EEEE d MMMM y", locale=self.language)

    def time(self, value: dt.datetime | None) -> str:
        if value is None:
            return "–"
        return format_time(value, "HH:mm", tzinfo=self.zone, locale=self.language)

    def kg(self, grams: int) -> str:
        return i18n.measured(grams / 1000, "kg", self.language, 1)

    def km(self, metres: int) -> str:
        return i18n.measured(metres / 1000, "km", self.language, 1)

    def hours(self, seconds: int) -> str:
        """``2 h 05 min``, or ``44 min`` under an hour."""
        minutes = seconds % 3600 // 60
        return f"{seconds // 3600} h {minutes:02d} min" if seconds >= 3600 else f"{minutes} min"

    def reason(self, line: ShortLine) -> str:
        """Why a line was not filled, with the numbers that make it actionable."""
        if line.reason == "price_above_max" and line.cheapest_unit_price_ore is not None:
            return self.gettext(
                "the cheapest offer was {cheapest}, above your maximum price",
                cheapest=self.price(line.cheapest_unit_price_ore, line.measure),
            )
        if line.reason == "supply_short" and line.pro_rata_permille is not None:
            return self.gettext(
                "too little was offered: shared in proportion, you got {percent} % of "
                "what you ordered",
                percent=number(line.pro_rata_permille / 10, self.language),
            )
        if line.reason == "pack_not_completed" and line.units_to_next_pack is not None:
            return self.gettext(
                "a pack could not be filled: {more} more ordered in the network "
                "(or accepted as extra) would have completed one",
                more=self.qty(line.units_to_next_pack, line.measure),
            )
        return self.gettext("reason:" + line.reason)
