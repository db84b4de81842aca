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
