"""Request and response structs of money: invoicing details, receipts, invoices, payments."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from services.api.core.types import MAX_LIST, Input, Name, Ore, Text200, Text500
from services.api.invoices import identifiers
from services.matcher.engine.settlement.invoices import SalesMode
from shared.contracts.invoices import (
    AccountMap,
    InvoiceKind,
    InvoiceStatus,
    PaymentKind,
    ReceiptOutcome,
)

Language = Literal["sv", "en"]
VatClass = Literal["food", "transport", "standard"]
RateBp = Annotated[int, Meta(ge=0, le=10_000, description="VAT rate in basis points: 2500 = 25 %")]
TermsDays = Annotated[int, Meta(ge=0, le=120, description="days from the invoice date to pay")]
Address = Annotated[str, Meta(min_length=1, max_length=500, pattern=r"\S")]
Identifier = Annotated[str, Meta(max_length=40)]
MilliUnits = Annotated[
    int, Meta(ge=0, le=10**12, description="thousandths of a unit: grams of a kg product")
]
Account = Annotated[str, Meta(pattern=r"^[0-9]{4}$", description="a BAS account number")]


class InvoicingIn(Input):
    """What an organisation's invoices say about it; numbers are checked and normalised."""

    legal_name: Name
    billing_address: Address
    org_number: Identifier = ""
    vat_number: Identifier = ""
    vat_exempt: bool = False
    vat_exempt_statement: Annotated[str, Meta(max_length=300)] = ""
    bankgiro: Identifier = ""
    plusgiro: Identifier = ""
    iban: Identifier = ""
    bic: Identifier = ""
    payment_terms_days: TermsDays = 30
    language: Language = "sv"

    def __post_init__(self) -> None:
        self.org_number = identifiers.org_number(self.org_number)
        self.vat_number = identifiers.vat_number(self.vat_number)
        self.bankgiro = identifiers.bankgiro(self.bankgiro)
        self.plusgiro = identifiers.plusgiro(self.plusgiro)
        self.iban = identifiers.iban_number(self.iban)
        self.bic = identifiers.bic_code(self.bic)
        if not (self.org_number or self.vat_number):
            raise ValueError("`org_number` or `vat_number` is required on an invoice")
        if self.vat_exempt and not self.vat_exempt_statement.strip():
            raise ValueError(
                "`vat_exempt_statement` is required when `vat_exempt`: the invoice must "
                "say why it carries no VAT"
            )


class InvoicingOut(msgspec.Struct, kw_only=True):
    organisation_id: UUID
    legal_name: str
    org_number: str
    vat_number: str
    vat_exempt: bool
    vat_exempt_statement: str
    billing_address: str
    bankgiro: str
    plusgiro: str
    iban: str
    bic: str
    payment_terms_days: int
    language: str
    version: int


class VatRuleIn(Input):
    vat_class: VatClass
    effective_from: dt.date
    rate_bp: RateBp


class AccountMapIn(Input):
    receivables: Account | None = None
    payables: Account | None = None
    bank: Account | None = None
    input_vat: Account | None = None
    goods_purchases: Account | None = None
    transport_purchases: Account | None = None
    customer_losses: Account | None = None
    other_income: Account | None = None
    sales_by_rate: Annotated[dict[RateBp, Account], Meta(max_length=20)] = msgspec.field(
        default_factory=dict
    )
    output_vat_by_rate: Annotated[dict[RateBp, Account], Meta(max_length=20)] = msgspec.field(
        default_factory=dict
    )


class NetworkInvoicingIn(Input):
    sales_mode: SalesMode = SalesMode.DIRECT
    invoicing_organisation_id: UUID | None = None
    receiving_days: Annotated[int, Meta(ge=0, le=60)] = 3
    clearing: bool = False
    vat_rules: Annotated[list[VatRuleIn], Meta(max_length=50)] = msgspec.field(default_factory=list)
    accounts: AccountMapIn = msgspec.field(default_factory=AccountMapIn)

    def __post_init__(self) -> None:
        keys = [(rule.vat_class, rule.effective_from) for rule in self.vat_rules]
        if len(set(keys)) != len(keys):
            raise ValueError("`vat_rules` names a class and date twice")


class VatRuleOut(msgspec.Struct, kw_only=True):
    vat_class: str
    effective_from: dt.date
    rate_bp: int
    source: Literal["default", "network"]


class NetworkInvoicingOut(msgspec.Struct, kw_only=True):
    network_id: UUID
    sales_mode: str
    invoicing_organisation_id: UUID | None
    receiving_days: int
    clearing: bool
    vat_rules: list[VatRuleOut]
    accounts: AccountMap


class ReceiptLineIn(Input):
    offer_id: UUID
    demand_line_id: UUID
    outcome: ReceiptOutcome
    received_units: Annotated[int, Meta(ge=0, le=10**6)] | None = None  # short
    damaged_units: Annotated[int, Meta(ge=0, le=10**6)] | None = None  # damaged
    weighed_milli: MilliUnits | None = None  # weighed: grams of a kg product, ml of an l
    note: Text500 = ""


class ReceiptIn(Input):
    lines: Annotated[list[ReceiptLineIn], Meta(min_length=1, max_length=MAX_LIST)]

    def __post_init__(self) -> None:
        keys = [(line.offer_id, line.demand_line_id) for line in self.lines]
        if len(set(keys)) != len(keys):
            raise ValueError("`lines` names a delivered line twice")


class ReceiptLineOut(msgspec.Struct, kw_only=True):
    offer_id: UUID
    demand_line_id: UUID
    coop_id: UUID
    producer: str
    product: str
    unit: str
    planned_units: int  # catalogue units
    # one catalogue unit in thousandths of ``unit`` (500: a 500 g unit of a kg product)
    per_unit_milli: int
    outcome: str
    accepted_milli: int  # thousandths of ``unit``
    note: str
    confirmed: bool  # false: nothing recorded, counts as planned
    by_coordinator: bool


class Receipts(msgspec.Struct, kw_only=True):
    run_id: UUID
    delivery_date: dt.date
    deadline: dt.date  # the last day a co-op may confirm; after it, planned counts
    lines: list[ReceiptLineOut]


class InvoiceLineOut(msgspec.Struct, kw_only=True):
    line_no: int
    description: str
    unit: str
    quantity_milli: int
    unit_price_ore: int
    net_ore: int
    vat_rate_bp: int
    offer_id: UUID | None
    demand_line_id: UUID | None


class VatTotalOut(msgspec.Struct, kw_only=True):
    rate_bp: int
    taxable_ore: int
    vat_ore: int


class InvoiceOut(msgspec.Struct, kw_only=True):
    id: UUID
    network_id: UUID
    cycle_id: UUID
    run_id: UUID
    kind: InvoiceKind
    purpose: str
    number: int
    corrects_id: UUID | None
    issuer_id: UUID
    buyer_id: UUID
    issuer: dict[str, object]
    buyer: dict[str, object]
    issued_on: dt.date
    delivery_date: dt.date
    due_on: dt.date
    currency: str
    net_ore: int
    vat_ore: int
    total_ore: int
    ocr_reference: str
    language: str
    status: InvoiceStatus
    paid_ore: int
    written_off_ore: int
    credited_ore: int
    open_ore: int
    vat: list[VatTotalOut] = msgspec.field(default_factory=list)
    lines: list[InvoiceLineOut] = msgspec.field(default_factory=list)


class Issued(msgspec.Struct, kw_only=True):
    run_id: UUID
    created: int  # 0 when the run was invoiced before (or nothing was due)
    invoices: list[InvoiceOut]


class PaymentIn(Input):
    paid_on: dt.date
    kind: PaymentKind = PaymentKind.PAYMENT
    amount_ore: Annotated[int, Meta(ge=1, le=10**12)] | None = None  # default: all still open
    note: Text200 = ""


class PaymentOut(msgspec.Struct, kw_only=True):
    id: UUID
    invoice_id: UUID
    kind: str
    amount_ore: int
    paid_on: dt.date
    note: str


class LedgerRow(msgspec.Struct, kw_only=True):
    """One event on an organisation's ledger: an invoice, a credit note or a payment."""

    day: dt.date
    event: str  # invoice, credit_note, payment, write_off
    invoice_id: UUID
    number: int
    issuer: str
    buyer: str
    counterparty_id: UUID
    receivable_ore: int  # what others owe the organisation moves by this
    payable_ore: int  # what the organisation owes moves by this
    balance_ore: int  # receivable less payable, after this row


class TransferOut(msgspec.Struct, kw_only=True):
    payer_id: UUID
    payer: str
    payee_id: UUID
    payee: str
    amount_ore: Ore


class SettlementOut(msgspec.Struct, kw_only=True):
    cycle_id: UUID
    cleared_by: UUID | None  # the network's organisation when it clears
    balances: dict[UUID, int]
    transfers: list[TransferOut]
