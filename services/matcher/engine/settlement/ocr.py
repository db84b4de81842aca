"""Bankgirot's OCR payment reference: digits, an optional length digit, a check digit.

The check digit is Luhn's (modulus 10 with weights 2, 1 from the right), over every
digit before it. With Bankgirot's "check digit and length" agreement, the digit before
the check digit is the reference's whole length, check and length digits included,
modulo 10. References are 2 to 25 digits. (Bankgirot, Bankgiro Inbetalningar, technical
manual: OCR verification, check digit and length.)
"""

from __future__ import annotations

from stdnum import luhn

MIN_DIGITS = 2
MAX_DIGITS = 25


def ocr_reference(base: int | str, *, length_digit: bool = True) -> str:
    """The payment reference for ``base`` (an invoice number's digits)."""
    digits = str(base)
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError("an OCR reference is made of digits")
    if length_digit:
        digits += str((len(digits) + 2) % 10)
    reference = digits + luhn.calc_check_digit(digits)
    if not MIN_DIGITS <= len(reference) <= MAX_DIGITS:
        raise ValueError(f"an OCR reference has {MIN_DIGITS} to {MAX_DIGITS} digits")
    return reference


def ocr_is_valid(reference: str, *, length_digit: bool = True) -> bool:
    """Whether ``reference`` carries a right check digit (and length digit)."""
    if (
        not (reference.isascii() and reference.isdigit())
        or not MIN_DIGITS <= len(reference) <= MAX_DIGITS
    ):
        return False
    if length_digit and int(reference[-2]) != len(reference) % 10:
        return False
    return luhn.is_valid(reference)
