"""Numbers typed by people (the pages' forms), read with bounded work.

Each reader checks the text's shape and length with an anchored pattern before any
conversion, so no value costs more than a few microseconds (Python's ``Decimal`` or
``int`` of a million-digit text would hold the event loop for seconds) and nothing
reaches arithmetic that is not a plain finite number (``Infinity``, ``NaN``, ``1e999``
are refused as text). JSON bodies, CSV cells and query strings go through msgspec,
which checks length and range the same way while it parses; these readers turn
people's spellings (``12,50`` kronor, a space between thousands) into what msgspec
then validates with the API's own bounds.
"""

from __future__ import annotations

import re

MAX_WHOLE_DIGITS = 12  # beyond any count or öre amount the API's bounds admit

_WHOLE = re.compile(rf"[+-]?\d{{1,{MAX_WHOLE_DIGITS}}}")
# kronor with at most two decimals, a comma or a point, spaces between thousands
_KRONOR = re.compile(rf"(\d{{1,{MAX_WHOLE_DIGITS - 2}}})(?:[.,](\d{{1,2}}))?")
_TENTHS = re.compile(r"(\d{1,4})(?:[.,](\d))?")  # a percentage to one decimal
_THOUSANDTHS = re.compile(rf"(\d{{1,{MAX_WHOLE_DIGITS - 3}}})(?:[.,](\d{{1,3}}))?")  # kg → g
_DEGREES = re.compile(r"[+-]?\d{1,3}(?:[.,]\d{1,15})?")
_SPACES = re.compile(r"[ \u00a0\u202f]")  # as Swedish spreadsheets and phones type them
MAX_TEXT = 40


class NumberError(ValueError):
    """The text is not such a number; the message says what is expected."""


def whole_number(text: str) -> int:
    """``"12"`` → 12; at most twelve digits."""
    cleaned = _clean(text)
    if not _WHOLE.fullmatch(cleaned):
        raise NumberError(_too_long(cleaned) or "must be a whole number")
    return int(cleaned)


def kronor_to_ore(text: str) -> int:
    """``"12,50"``, ``"12.5"`` or ``"1 234"`` kronor → whole öre."""
    cleaned = _clean(text)
    match = _KRONOR.fullmatch(cleaned)
    if match is None:
        if re.fullmatch(r"\d+[.,]\d{3,}", cleaned[:MAX_TEXT]):
            raise NumberError("has more than two decimals")
        raise NumberError(_too_long(cleaned) or "must be an amount in kronor")
    kronor, decimals = match.groups()
    return int(kronor) * 100 + int((decimals or "0").ljust(2, "0"))


def percent_to_permille(text: str) -> int:
    """``"12,5"`` or ``"12.5"`` per cent → 125 per mille; at most one decimal."""
    cleaned = _clean(text).removesuffix("%")
    match = _TENTHS.fullmatch(cleaned)
    if match is None:
        raise NumberError(_too_long(cleaned) or "must be a percentage with at most one decimal")
    whole, tenth = match.groups()
    return int(whole) * 10 + int(tenth or "0")


def thousandths(text: str) -> int:
    """``"1,5"`` kg (or litres) → 1500 g (or ml); at most three decimals."""
    cleaned = _clean(text)
    match = _THOUSANDTHS.fullmatch(cleaned)
    if match is None:
        raise NumberError(_too_long(cleaned) or "must be a number with at most three decimals")
    whole, decimals = match.groups()
    return int(whole) * 1000 + int((decimals or "0").ljust(3, "0"))


def degrees(text: str) -> float:
    """A latitude or longitude in decimal degrees, ``"59.86"`` or ``"59,86"``."""
    cleaned = _clean(text)
    if not _DEGREES.fullmatch(cleaned):
        raise NumberError(_too_long(cleaned) or "must be decimal degrees, like 59.86")
    return float(cleaned.replace(",", "."))


def _clean(text: str) -> str:
    return _SPACES.sub("", text.strip()) if len(text) <= MAX_TEXT else text


def _too_long(text: str) -> str | None:
    return "is too long to be such a number" if len(text) > MAX_TEXT else None
