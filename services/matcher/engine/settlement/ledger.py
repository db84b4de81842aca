"""One organisation's invoices, credit notes and payments as bookkeeping verifications.

On BAS accounts (``AccountPlan``; the network may map its own numbers): the seller
debits receivables and credits sales and output VAT per rate; the buyer debits
purchases (goods or transport) and input VAT and credits payables. A payment moves
receivables or payables against the bank; a write-off takes what is left of a
receivable to customer losses (the buyer, released from the debt, to other income).
Credit notes carry negative amounts, so the same entries reverse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from uuid import UUID

import msgspec

from services.matcher.engine.settlement.invoices import VatTotal
from services.matcher.engine.settlement.sie import SieTransaction, SieVerification


class AccountPlan(msgspec.Struct, frozen=True, kw_only=True):
    receivables: str = "1510"
    payables: str = "2440"
    bank: str = "1930"
    sales_by_rate: Mapping[int, str] = msgspec.field(
        default_factory=lambda: {2500: "3001", 1200: "3002", 600: "3003", 0: "3004"}
    )
    output_vat_by_rate: Mapping[int, str] = msgspec.field(
        default_factory=lambda: {2500: "2611", 1200: "2621", 600: "2631"}
    )
    input_vat: str = "2641"
    goods_purchases: str = "4000"
    transport_purchases: str = "5700"
    customer_losses: str = "6351"
    other_income: str = "3990"


BAS_NAMES: dict[str, str] = {
    "1510": "Kundfordringar",
    "1930": "Företagskonto",
    "2440": "Leverantörsskulder",
    "2611": "Utgående moms på försäljning inom Sverige, 25 %",
    "2621": "Utgående moms på försäljning inom Sverige, 12 %",
    "2631": "Utgående moms på försäljning inom Sverige, 6 %",
    "2641": "Debiterad ingående moms",
    "3001": "Försäljning inom Sverige, 25 % moms",
    "3002": "Försäljning inom Sverige, 12 % moms",
    "3003": "Försäljning inom Sverige, 6 % moms",
    "3004": "Försäljning inom Sverige, momsfri",
    "3990": "Övriga ersättningar och intäkter",
    "4000": "Inköp av varor från Sverige",
    "5700": "Frakter och transporter",
    "6351": "Konstaterade förluster på kundfordringar",
}


class UnmappedRateError(ValueError):
    """A VAT rate the account plan names no sales or VAT account for."""

    def __init__(self, rate_bp: int) -> None:
        super().__init__(f"no account for VAT rate {rate_bp / 100:g} %")
        self.rate_bp = rate_bp


class LedgerDocument(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    number: int
    credit_note: bool
    purpose: str  # goods or transport
    issuer_id: UUID
    buyer_id: UUID
    issued_on: dt.date
    vat: tuple[VatTotal, ...]
    total_ore: int
    text: str


class LedgerPayment(msgspec.Struct, frozen=True, kw_only=True):
    invoice_number: int
    issuer_id: UUID
    buyer_id: UUID
    paid_on: dt.date
    amount_ore: int
    written_off: bool = False


def verifications(
    organisation_id: UUID,
    documents: Iterable[LedgerDocument],
    payments: Iterable[LedgerPayment],
    plan: AccountPlan,
) -> list[SieVerification]:
    """The organisation's side of each document and payment, numbered by date."""
    entries: list[tuple[dt.date, str, tuple[SieTransaction, ...]]] = []
    for doc in documents:
        if doc.issuer_id == organisation_id:
            entries.append((doc.issued_on, doc.text, _sale(doc, plan)))
        elif doc.buyer_id == organisation_id:
            entries.append((doc.issued_on, doc.text, _purchase(doc, plan)))
    for payment in payments:
        entries.append(_payment(organisation_id, payment, plan))
    entries = sorted((entry for entry in entries if entry[2]), key=lambda e: (e[0], e[1]))
    return [
        SieVerification(series="A", number=n, day=day, text=text, transactions=rows)
        for n, (day, text, rows) in enumerate(entries, start=1)
    ]


def _sale(doc: LedgerDocument, plan: AccountPlan) -> tuple[SieTransaction, ...]:
    rows = [SieTransaction(account=plan.receivables, amount_ore=doc.total_ore)]
    for total in doc.vat:
        sales = plan.sales_by_rate.get(total.rate_bp)
        output = plan.output_vat_by_rate.get(total.rate_bp)
        if sales is None or (output is None and total.vat_ore):
            raise UnmappedRateError(total.rate_bp)
        rows.append(SieTransaction(account=sales, amount_ore=-total.taxable_ore))
        if total.vat_ore and output is not None:
            rows.append(SieTransaction(account=output, amount_ore=-total.vat_ore))
    return tuple(row for row in rows if row.amount_ore)


def _purchase(doc: LedgerDocument, plan: AccountPlan) -> tuple[SieTransaction, ...]:
    cost = plan.transport_purchases if doc.purpose == "transport" else plan.goods_purchases
    taxable = sum(total.taxable_ore for total in doc.vat)
    vat = sum(total.vat_ore for total in doc.vat)
    rows = (
        SieTransaction(account=cost, amount_ore=taxable),
        SieTransaction(account=plan.input_vat, amount_ore=vat),
        SieTransaction(account=plan.payables, amount_ore=-doc.total_ore),
    )
    return tuple(row for row in rows if row.amount_ore)


def _payment(
    organisation_id: UUID, payment: LedgerPayment, plan: AccountPlan
) -> tuple[dt.date, str, tuple[SieTransaction, ...]]:
    amount = payment.amount_ore
    what = "Avskrivning" if payment.written_off else "Betalning"
    text = f"{what} faktura {payment.invoice_number}"
    rows: tuple[SieTransaction, ...] = ()
    if payment.issuer_id == organisation_id:
        other = plan.customer_losses if payment.written_off else plan.bank
        rows = (
            SieTransaction(account=other, amount_ore=amount),
            SieTransaction(account=plan.receivables, amount_ore=-amount),
        )
    elif payment.buyer_id == organisation_id:
        other = plan.other_income if payment.written_off else plan.bank
        rows = (
            SieTransaction(account=plan.payables, amount_ore=amount),
            SieTransaction(account=other, amount_ore=-amount),
        )
    return payment.paid_on, text, rows


def account_names(
    verifications_: Iterable[SieVerification], names: Mapping[str, str]
) -> dict[str, str]:
    """The accounts the verifications use, with their names (the number where unnamed)."""
    used = {t.account for ver in verifications_ for t in ver.transactions}
    return {number: names.get(number, number) for number in sorted(used)}
