"""The producer's offer form refused: each mistake beside the field the producer typed it
in, in the page's language, whether the form's own readers, the API's struct or its
service found it (they name the API's fields: ``price_per_pack_ore`` is typed in
``price_per_pack``)."""

from __future__ import annotations

import re

import msgspec

from services.api.core import problems
from services.api.web import i18n
from shared.errors import Phrase, SamlastError

# the API's field (or a reader's) → the form's field it is typed in
FORM_FIELDS = {
    "product": "product",
    "listings": "product",
    "network_id": "product",
    "product_id": "product",
    "pack_size": "pack_size",
    "pack_units": "pack_size",
    "packs_available": "packs_available",
    "price_per_pack": "price_per_pack",
    "price_per_pack_ore": "price_per_pack",
    "valid_from": "valid_from",
    "valid_until": "valid_until",
    "pickup": "address",
    "address": "address",
    "lat": "lat",
    "lon": "lon",
    "pickup_windows": "opens",
    "opens": "opens",
    "closes": "opens",
    "note": "note",
}
# a form's field → its label on the page (msgids of the template's)
LABELS = {
    "product": "Product",
    "pack_size": "Pack size",
    "packs_available": "Packs available",
    "price_per_pack": "Price per pack, kr",
    "valid_from": "Valid from",
    "valid_until": "Valid until",
    "address": "Address",
    "lat": "Latitude",
    "lon": "Longitude",
    "opens": "Pickup hours",
    "note": "Note (optional)",
}
# a form's field → the id of the input the summary's link leads to
ANCHORS = {"address": "f-address", "lat": "f-lat", "lon": "f-lon", "opens": "opens-1"}
WHOLE_FORM = "form"  # a mistake of no one field: said in the summary only
_NAMED = re.compile(r"`\$?\.?([\w.\[\]]+)`")


def offer_errors(exc: Exception, language: str) -> dict[str, str]:
    """The form's field → what is wrong with it, in ``language``."""
    if isinstance(exc, SamlastError):
        words = i18n.translate(language, exc.message, exc.values)
        named = str(exc.extra.get("field", "")) or _first_named(exc.message)
    else:
        text, _, path = str(exc).partition(" - at `$")
        words = problems.said(language, text)
        field = exc.args[0].values.get("field") if _is_phrase(exc) else None
        named = str(field or path.rstrip("`") or _first_named(text))
    return {_form_field(named): _labelled(words, language)}


def _labelled(words: str, language: str) -> str:
    """The API's field names (`price_per_pack_ore`) in the words as the page labels the
    fields: “Price per pack, kr”."""

    def label(found: re.Match[str]) -> str:
        field = _form_field(found[1])
        if field == WHOLE_FORM:
            return found[0]
        name = i18n.translate(language, LABELS[field])
        return i18n.translate(language, "“{label}”", {"label": name})

    return _NAMED.sub(label, words)


def _is_phrase(exc: Exception) -> bool:
    return (
        not isinstance(exc, msgspec.ValidationError)
        and bool(exc.args)
        and isinstance(exc.args[0], Phrase)
    )


def _first_named(message: str) -> str:
    """The first field a message names in backquotes (`valid_from` is after ...)."""
    found = _NAMED.search(message)
    return found[1] if found else ""


def _form_field(named: str) -> str:
    """The form's field for a name or a JSON path (``pickup_windows[0].opens``): its
    last part the form knows."""
    for part in reversed(re.split(r"[.\[\]]+", named)):
        if part in FORM_FIELDS:
            return FORM_FIELDS[part]
    return WHOLE_FORM


def anchor(field: str) -> str:
    """The id of the input the field's mistake is fixed in."""
    return ANCHORS.get(field, field)
