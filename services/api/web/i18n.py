"""Swedish and English for the web pages: gettext catalogues in PO files, read by Babel.

Templates write English (``{{ _("Approve") }}``); ``locale/sv.po`` carries the Swedish.
Swedish is the default; ``Accept-Language`` or the page's language switch (a cookie)
chooses. Numbers, money and dates are formatted by Babel for the chosen locale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LANGUAGES = ("sv", "en")
DEFAULT = "sv"
LOCALE_DIR = Path(__file__).with_name("locale")


@cache
def catalogue(language: str) -> dict[str, str]:
    """msgid → msgstr for ``language``; English is the msgids themselves."""
    path = LOCALE_DIR / f"{language}.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        messages = read_po(handle, locale=language)
    return {str(m.id): str(m.string) for m in messages if m.id and m.string}


def choose(cookie: str | None, accept_language: str | None) -> str:
    """The page language: the switch's cookie, else the browser's preference, else sv."""
    if cookie in LANGUAGES:
        return str(cookie)
    if accept_language:
        ranges = (part.split(";")[0].strip() for part in accept_language.split(","))
        wanted = [item.replace("-", "_") for item in ranges if item and item != "*"]
        found = Locale.negotiate(wanted, list(LANGUAGES))
        if found is not None:
            return found.language
    return DEFAULT


def gettext_for(language: str) -> Callable[[str], str]:
    messages = catalogue(language)

    def gettext(text: str, **values: object) -> str:
        translated = messages.get(text, text)
        return translated.format(**values) if values else translated

    return gettext


def number(value: float, language: str, decimals: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    rounded = round(value, decimals) + 0.0  # + 0.0: no "-0"
    return format_decimal(rounded if rounded else 0, format=pattern, locale=language)


def kronor(ore: int, language: str) -> str:
    return number(ore / 100, language, 2 if ore % 100 else 0) + " kr"


def when(value: dt.datetime | None, language: str, zone: str | None = None) -> str:
    """A moment as the people of the network read it: in its time zone (``zone``),
    else in the one the value carries; Babel would otherwise show UTC."""
    if value is None:
        return "-"
    tz = ZoneInfo(zone) if zone else value.tzinfo or dt.UTC
    return format_datetime(value, "EEE d MMM HH:mm", tzinfo=tz, locale=language)
