"""Swedish and English for the web pages: gettext catalogues in PO files, read by Babel.

Templates write English (``{{ _("Approve") }}``); ``locale/sv.po`` carries the Swedish.
The same catalogue speaks for the printable documents and for the API's problem
details (a domain error's English message is its msgid). Swedish is the pages' and
the documents' default, English the API's; ``Accept-Language`` or the page's language
switch (a cookie) chooses. Numbers, money, dates and units are formatted by Babel for
the chosen locale (``shared/formatting.py``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from services.api.demand.amounts import Measure
from shared.errors import Phrase, Term
from shared.formatting import kronor, number, when

__all__ = [
    "catalogue",
    "choose",
    "gettext_for",
    "kronor",
    "measured",
    "negotiate",
    "number",
    "quantity",
    "thousandths",
    "translate",
    "unit",
    "when",
]

LANGUAGES = ("sv", "en")
DEFAULT = "sv"
LANG_COOKIE = "samlast_lang"  # the pages' language switch
_QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")
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


def choose(cookie: str | None, accept_language: str | None, default: str = DEFAULT) -> str:
    """The language: the switch's cookie, else the browser's preference, else ``default``."""
    if cookie in LANGUAGES:
        return str(cookie)
    return negotiate(accept_language, default)


def negotiate(accept_language: str | None, default: str) -> str:
    """The language of ours an ``Accept-Language`` header prefers, by its q-values (RFC
    9110 section 12.5.4: ``en;q=0.4, sv`` is Swedish), else ``default``; ``*`` or a
    header naming neither gives ``default``, and a malformed range is passed over."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "")[:1000].split(",")):
        tag, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                value = value.strip()
                quality = float(value) if _QVALUE.fullmatch(value) else 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.lower()))
    for _, _, tag in sorted(ranked):
        primary = tag.replace("_", "-").split("-")[0]
        if primary in LANGUAGES:
            return primary
        if tag == "*":
            return default
    return default


def gettext_for(language: str) -> Callable[..., str]:
    messages = catalogue(language)

    def gettext(text: str, **values: object) -> str:
        translated = messages.get(text, text)
        return translated.format(**values) if values else translated

    return gettext


def unit(unit: str, language: str) -> str:
    """A unit as quantities are written: ``kg``, ``l``, and pieces ``st`` / ``pcs``."""
    return catalogue(language).get("unit-short:" + unit, unit)


def quantity(units: int, measure: Measure | None, language: str) -> str:
    """Catalogue units of a product as people read them, its unit's size counted in:
    3 units of 500 g are ``1,5 kg`` (``1.5 kg`` in English), 2 of 500 ml ``1 l``, 20
    pieces ``20 st``; exact (to the gram), on one line. ``None``: a product no longer
    known, its bare number."""
    if not isinstance(measure, Measure | None):
        raise TypeError("quantity() takes a product's Measure, not a unit's name")
    if measure is None:
        return number(units, language)
    written = thousandths(measure.thousandths(units), language)
    return f"{written}\u00a0{unit(measure.unit, language)}"


def thousandths(value: int, language: str) -> str:
    """Thousandths as a number the language writes, exact: 1500 → ``1,5``, 1250000 →
    ``1\u00a0250``."""
    return format_decimal(Decimal(value) / 1000, format="#,##0.###", locale=language)


def measured(value: float, unit_name: str, language: str, decimals: int = 0) -> str:
    """A measured figure (``12,5 km``, ``2,1 h``, ``1\u00a0200 kg`` of a van's load or of
    CO₂): the number as the language writes it and its unit, on one line. Goods are
    counted by ``quantity``."""
    written = number(value, language, decimals)
    return f"{written}\u00a0{unit(unit_name, language)}" if unit_name else written


def _written(value: object, language: str) -> object:
    if isinstance(value, Phrase):
        return translate(language, value.message, value.values)
    if isinstance(value, Term):
        return catalogue(language).get(value, str(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return number(value, language)
    if isinstance(value, float):
        return format_decimal(value, format="#,##0.##", locale=language)
    if isinstance(value, dt.date):
        return format_date(value, "medium", locale=language)
    return value


def translate(language: str, message: str, values: Mapping[str, object] | None = None) -> str:
    """``message`` (an English msgid with ``{placeholders}``) in ``language``, filled in
    from ``values`` (whole numbers written as the language writes them: ``5 242 880``);
    the English when the catalogue has none or its entry does not fit the values (a
    mistranslated placeholder must never turn an error into a 500)."""
    values = {name: _written(value, language) for name, value in (values or {}).items()}
    english = message.format(**values) if values else message
    translated = catalogue(language).get(message)
    if translated is None:
        return english
    try:
        return translated.format(**values) if values else translated
    except (KeyError, IndexError, ValueError):
        return english
