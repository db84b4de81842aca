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

from shared.errors import rule

NOT_ORG_NUMBER = rule("`org_number` {value} is not a valid organisation number")
NOT_VAT_NUMBER = rule("`vat_number` {value} is not a valid Swedish VAT number")
NOT_BANKGIRO = rule("`bankgiro` {value} is not a valid Bankgiro number")
NOT_PLUSGIRO = rule("`plusgiro` {value} is not a valid Plusgiro number")
NOT_IBAN = rule("`iban` {value} is not a valid IBAN")
NOT_BIC = rule("`bic` {value} is not a valid BIC")


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
        raise ValueError(NOT_ORG_NUMBER.format(value=repr(value))) from None


def vat_number(value: str) -> str:
    """A Swedish VAT number: SE, the organisation number, 01."""
    if not value:
        return ""
    try:
        return "SE" + str(vat.validate(value))
    except ValidationError:
        raise ValueError(NOT_VAT_NUMBER.format(value=repr(value))) from None


def bankgiro(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value)
    if not digits:
        return ""
    if (
        not (digits.isascii() and digits.isdigit())
        or len(digits) not in (7, 8)
        or not luhn.is_valid(digits)
    ):
        raise ValueError(NOT_BANKGIRO.format(value=repr(value)))
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
        raise ValueError(NOT_PLUSGIRO.format(value=repr(value)))
    return f"{digits[:-1]}-{digits[-1]}"


def iban_number(value: str) -> str:
    if not value:
        return ""
    try:
        return str(iban.validate(value))
    except ValidationError:
        raise ValueError(NOT_IBAN.format(value=repr(value))) from None


def bic_code(value: str) -> str:
    if not value:
        return ""
    try:
        return str(bic.validate(value))
    except ValidationError:
        raise ValueError(NOT_BIC.format(value=repr(value))) from None
