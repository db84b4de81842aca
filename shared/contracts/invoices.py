"""What the money tables store as words and JSON, one definition for every reader."""

from __future__ import annotations

from enum import StrEnum

import msgspec


class ReceiptOutcome(StrEnum):
    AS_PLANNED = "as_planned"
    SHORT = "short"  # fewer arrived
    DAMAGED = "damaged"  # arrived, but some could not be used
    WEIGHED = "weighed"  # a kg or l product, its weighed quantity


class InvoiceKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class PaymentKind(StrEnum):
    PAYMENT = "payment"
    WRITE_OFF = "write_off"


class InvoiceStatus(StrEnum):
    """Derived from an invoice's payments and credit notes, never stored."""

    UNPAID = "unpaid"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    WRITTEN_OFF = "written_off"
    CREDITED = "credited"  # credit notes took off the whole amount
    CREDIT_NOTE = "credit_note"


class Balance(msgspec.Struct, frozen=True, kw_only=True):
    """An invoice's figures that its status follows (the sums of its credit notes,
    payments and write-offs are read with it)."""

    kind: InvoiceKind
    total_ore: int
    credited_ore: int  # the credit notes' totals: zero or negative
    paid_ore: int
    written_off_ore: int

    @property
    def open_ore(self) -> int:
        """What is still owed: the total less credit notes, payments and write-offs."""
        return self.total_ore + self.credited_ore - self.paid_ore - self.written_off_ore

    @property
    def status(self) -> InvoiceStatus:
        if self.kind is InvoiceKind.CREDIT_NOTE:
            return InvoiceStatus.CREDIT_NOTE
        if self.total_ore > 0 and self.total_ore + self.credited_ore <= 0:
            return InvoiceStatus.CREDITED
        if self.open_ore <= 0:
            return InvoiceStatus.WRITTEN_OFF if self.written_off_ore else InvoiceStatus.PAID
        return InvoiceStatus.PARTLY_PAID if self.paid_ore else InvoiceStatus.UNPAID


class AccountMap(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The BAS accounts a network maps to other numbers (``network_invoicing.accounts``);
    anything left out keeps the BAS default (engine/settlement/ledger.py)."""

    receivables: str | None = None
    payables: str | None = None
    bank: str | None = None
    input_vat: str | None = None
    goods_purchases: str | None = None
    transport_purchases: str | None = None
    customer_losses: str | None = None
    other_income: str | None = None
    sales_by_rate: dict[int, str] = msgspec.field(default_factory=dict)
    output_vat_by_rate: dict[int, str] = msgspec.field(default_factory=dict)
