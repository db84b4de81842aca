"""A form the API's structs refuse says why in the page's language, naming the field,
not in msgspec's English (the pages are Swedish first)."""

from __future__ import annotations

import msgspec
import pytest

from services.api.invoices.schemas import InvoicingIn
from services.api.web.pages import _words


class Offer(msgspec.Struct):
    packs: int


def _refusal(data: object, target: type) -> msgspec.ValidationError:
    with pytest.raises(msgspec.ValidationError) as raised:
        msgspec.convert(data, target)
    return raised.value


def test_msgspecs_words_are_said_in_the_pages_language_with_the_field() -> None:
    refused = _refusal({"packs": "many"}, Offer)
    assert _words(refused, "sv") == "Väntade `int`, fick `str` (packs)"
    assert _words(refused, "en") == "Expected `int`, got `str` (packs)"


def test_a_structs_own_rule_is_said_in_the_pages_language() -> None:
    refused = _refusal(
        {
            "legal_name": "Ekeby",
            "billing_address": "Ekeby 1",
            "org_number": "556016-0680",
            "bic": "NOPE",
        },
        InvoicingIn,
    )
    assert _words(refused, "sv") == "`bic` 'NOPE' är ingen giltig BIC"


@pytest.mark.parametrize(
    ("form", "swedish", "english"),
    [
        ({"pack_units": ""}, "`pack_units` krävs", "`pack_units` is required"),
        ({"pack_units": "två"}, "`pack_units` måste vara ett heltal", None),
        ({"price_per_pack": "12,505"}, "`price_per_pack` har fler än två decimaler", None),
        ({"lat": "north"}, "`lat` måste vara decimala grader, som 59,86", None),
        ({"lat": "1" * 50}, "`lat` är för långt för att vara ett sådant tal", None),
    ],
)
def test_the_offer_forms_own_mistakes_are_said_in_the_pages_language(
    form: dict[str, str], swedish: str, english: str | None
) -> None:
    """The producer's offer form reads its numbers itself: its mistakes are msgids too."""
    from services.api.web import members

    (name,) = form
    readers = {"pack_units": members._int, "price_per_pack": members._ore}
    read = readers.get(name, members._degrees)
    with pytest.raises(ValueError) as raised:
        read(form, name)
    assert _words(raised.value, "sv") == swedish
    assert _words(raised.value, "en") == (english or str(raised.value))
