"""A domain error's extra members never replace a problem document's own (a 409 that
carried ``status=`` of an invoice once became a 500)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from services.api.core.problems import EXCEPTION_HANDLERS
from shared.errors import ConflictError, SamlastError


def test_an_extra_named_like_a_member_of_the_document_keeps_the_document() -> None:
    request: Any = SimpleNamespace(url=SimpleNamespace(path="/v1/invoices/x/payments"))
    error = ConflictError("nothing is open on this invoice", status="paid", invoice_status="paid")
    response = EXCEPTION_HANDLERS[SamlastError](request, error)
    assert response.status_code == 409
    assert response.content["status"] == 409
    assert response.content["invoice_status"] == "paid"
    assert response.content["detail"] == "nothing is open on this invoice"
