"""The offer form's mistakes land beside the field they were typed in, whoever found them,
with the API's field names said as the page labels the fields."""

from __future__ import annotations

import msgspec
import pytest

from services.api.offers.schemas import OfferIn
from services.api.web.offer_form import WHOLE_FORM, anchor, offer_errors
from shared.errors import TenantDeniedError, UnprocessableError


def test_the_apis_names_and_paths_become_the_forms_fields() -> None:
    with pytest.raises(msgspec.ValidationError) as raised:
        msgspec.convert({"packs_available": "many"}, OfferIn)
    assert offer_errors(raised.value, "sv") == {"packs_available": "Väntade `int`, fick `str`"}
    network = TenantDeniedError("no such network", field="network_id")
    assert list(offer_errors(network, "en")) == ["product"]
    dates = UnprocessableError("`valid_from` is after `valid_until`")
    assert offer_errors(dates, "en") == {"valid_from": "“Valid from” is after “Valid until”"}
    assert offer_errors(ValueError("something else"), "en") == {WHOLE_FORM: "something else"}
    assert (anchor("lat"), anchor("opens"), anchor("price_per_pack")) == (
        "f-lat",
        "opens-1",
        "price_per_pack",
    )
