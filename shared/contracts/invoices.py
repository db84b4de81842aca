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
