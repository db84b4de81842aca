"""Swedish and English for the web pages: gettext catalogues in PO files, read by Babel.

Templates write English (``{{ _("Approve") }}``); ``locale/sv.po`` carries the Swedish.
Swedish is the default; ``Accept-Language`` or the page's language switch (a cookie)
chooses. Numbers, money and dates are formatted by Babel for the chosen locale.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po

from shared.formatting import kronor, number, when

__all__ = ["catalogue", "choose", "gettext_for", "kronor", "number", "when"]

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
