"""Identification numbers on invoices, checked by their published rules with python-stdnum.

Each function returns the number in the form stored and printed, or raises
``ValueError`` naming the field, which the request struct turns into a 400 naming it.
Bankgiro and Plusgiro numbers carry a Luhn check digit over all their digits
(Bankgirot; PlusGirot), which stdnum's ``luhn`` checks.
"""

from __future__ import annotations

import re

from stdnum import bic, iban, luhn
from stdnum.exceptions import ValidationError
from stdnum.se import orgnr, personnummer, vat


def org_number(value: str) -> str:
    """A Swedish organisation number (a sole trader's is their personal identity number)."""
    if not value:
        return ""
    try:
        return str(orgnr.format(orgnr.validate(value)))
    except ValidationError:
        pass
    try:
        return str(personnummer.format(personnummer.validate(value)))
    except ValidationError:
        raise ValueError(f"`org_number` {value!r} is not a valid organisation number") from None


def vat_number(value: str) -> str:
    """A Swedish VAT number: SE, the organisation number, 01."""
    if not value:
        return ""
    try:
        return "SE" + str(vat.validate(value))
    except ValidationError:
        raise ValueError(f"`vat_number` {value!r} is not a valid Swedish VAT number") from None


def bankgiro(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value)
    if not digits:
        return ""
    if (
        not (digits.isascii() and digits.isdigit())
        or len(digits) not in (7, 8)
        or not luhn.is_valid(digits)
    ):
        raise ValueError(f"`bankgiro` {value!r} is not a valid Bankgiro number")
    return f"{digits[:-4]}-{digits[-4:]}"


def plusgiro(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value)
    if not digits:
        return ""
    if (
        not (digits.isascii() and digits.isdigit())
        or not 2 <= len(digits) <= 8
        or not luhn.is_valid(digits)
    ):
        raise ValueError(f"`plusgiro` {value!r} is not a valid Plusgiro number")
    return f"{digits[:-1]}-{digits[-1]}"


def iban_number(value: str) -> str:
    if not value:
        return ""
    try:
        return str(iban.validate(value))
    except ValidationError:
        raise ValueError(f"`iban` {value!r} is not a valid IBAN") from None


def bic_code(value: str) -> str:
    if not value:
        return ""
    try:
        return str(bic.validate(value))
    except ValidationError:
        raise ValueError(f"`bic` {value!r} is not a valid BIC") from None
