"""A published run's invoices, and the credit notes its receipts call for.

The goods lines are the delivery notes' lines: each offer's packs times price, split
over the demand lines it filled by units with ``largest_remainder`` (``line_amounts``;
the delivery notes use the same function), so an invoice is the legal form of the
same numbers. Prices are without VAT (trade between businesses); VAT is added per rate
by ``vat.vat_of``.

Who invoices whom (``SalesMode``):

- ``direct``: each producer invoices each co-op it supplied;
- ``through_network``: each producer invoices the network's invoicing organisation,
  which invoices each co-op the same lines.

Transport is invoiced by the network's organisation to each co-op (its cost share)
and, where the network set a producers' share, to each producer.

Receipts may find less than planned (short, damaged, weighed lighter): each issued
goods invoice line is then credited, in proportion, by a credit note that names the
invoice it corrects (``credit_notes``). An issued invoice is never changed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from uuid import UUID

import msgspec

from services.matcher.engine.common.fair import largest_remainder
from services.matcher.engine.settlement.vat import TRANSPORT, VatRule, rate_on, share_of, vat_of

MILLI = 1000  # quantities on invoices are in thousandths of a unit (grams of a kg product)


class SalesMode(StrEnum):
    DIRECT = "direct"
    THROUGH_NETWORK = "through_network"


class Purpose(StrEnum):
    GOODS = "goods"
    TRANSPORT = "transport"


class Bought(msgspec.Struct, frozen=True, kw_only=True):
    """Units of one offer on one demand line, and what the offer's packs cost: all that
    the split of the price over lines needs (the delivery notes use it too)."""

    offer_id: UUID
    demand_line_id: UUID
    units: int
    packs: int  # of the whole offer in the run
    price_per_pack_ore: int


class Purchase(Bought, frozen=True, kw_only=True):
    """One allocation of a run, as the delivery notes show it."""

    producer_id: UUID
    producer: str
    coop_id: UUID
    coop: str
    product: str
    unit: str  # kg, l or piece
    vat_class: str
    pack_units: int
    # one catalogue unit in thousandths of ``unit``: 1000, or 500 for 500 g units of a
    # kg product; invoices state quantities and unit prices per kg, l or piece
    per_unit_milli: int = 1000


class TransportCharge(msgspec.Struct, frozen=True, kw_only=True):
    """What one organisation pays of the run's transport (its cost shares summed)."""

    payer_id: UUID
    amount_ore: int


class Terms(msgspec.Struct, frozen=True, kw_only=True):
    sales_mode: SalesMode
    network_org_id: UUID | None  # who invoices transport (and goods, through the network)
    delivery_date: dt.date  # decides the VAT rate
    rules: tuple[VatRule, ...]
    vat_exempt: frozenset[UUID] = frozenset()  # issuers that charge no VAT


class DraftLine(msgspec.Struct, frozen=True, kw_only=True):
    description: str
    unit: str
    quantity_milli: int  # negative on a credit note
    unit_price_ore: int  # informative, rounded; net_ore is the exact amount
    net_ore: int
    vat_rate_bp: int
    offer_id: UUID | None = None
    demand_line_id: UUID | None = None


class VatTotal(msgspec.Struct, frozen=True, kw_only=True):
    rate_bp: int
    taxable_ore: int
    vat_ore: int


class Draft(msgspec.Struct, frozen=True, kw_only=True):
    """An invoice or credit note before it has a number."""

    issuer_id: UUID
    buyer_id: UUID
    purpose: Purpose
    lines: tuple[DraftLine, ...]
    vat: tuple[VatTotal, ...]
    net_ore: int
    vat_ore: int
    total_ore: int
    corrects: UUID | None = None  # the invoice a credit note corrects


class MissingInvoicerError(ValueError):
    """Transport or sales through the network, but the network names no organisation
    that invoices."""


def line_amounts(purchases: Iterable[Bought]) -> dict[tuple[UUID, UUID], int]:
    """Each offer's packs times price, split over its lines by units, adding up exactly
    (ties to the lower demand line id). The delivery notes' amounts are these."""
    by_offer: dict[UUID, list[Bought]] = defaultdict(list)
    for purchase in purchases:
        by_offer[purchase.offer_id].append(purchase)
    amounts: dict[tuple[UUID, UUID], int] = {}
    for offer_id, items in by_offer.items():
        paid = items[0].packs * items[0].price_per_pack_ore
        split = largest_remainder(paid, sorted((p.demand_line_id, p.units) for p in items))
        for line_id, ore in split.items():
            amounts[(offer_id, line_id)] = ore
    return amounts


def vat_totals(lines: Iterable[DraftLine]) -> tuple[VatTotal, ...]:
    """The taxable sum per rate and its VAT, rounded once per rate (``vat.vat_of``)."""
    taxable: dict[int, int] = defaultdict(int)
    for line in lines:
        taxable[line.vat_rate_bp] += line.net_ore
    return tuple(
        VatTotal(rate_bp=rate, taxable_ore=amount, vat_ore=vat_of(amount, rate))
        for rate, amount in sorted(taxable.items(), reverse=True)
    )


def draft(
    issuer_id: UUID,
    buyer_id: UUID,
    purpose: Purpose,
    lines: Sequence[DraftLine],
    corrects: UUID | None = None,
) -> Draft:
    vat = vat_totals(lines)
    net = sum(line.net_ore for line in lines)
    vat_ore = sum(total.vat_ore for total in vat)
    return Draft(
        issuer_id=issuer_id,
        buyer_id=buyer_id,
        purpose=purpose,
        lines=tuple(lines),
        vat=vat,
        net_ore=net,
        vat_ore=vat_ore,
        total_ore=net + vat_ore,
        corrects=corrects,
    )


def run_invoices(
    purchases: Sequence[Purchase], transport: Sequence[TransportCharge], terms: Terms
) -> list[Draft]:
    """Every invoice of a published run, in a stable order (issuer, buyer, purpose)."""
    network = terms.network_org_id
    if network is None and (
        terms.sales_mode is SalesMode.THROUGH_NETWORK
        or any(charge.amount_ore for charge in transport)
    ):
        raise MissingInvoicerError("the network names no organisation that invoices")
    amounts = line_amounts(purchases)
    lines: dict[tuple[UUID, UUID], list[DraftLine]] = defaultdict(list)
    for purchase in sorted(purchases, key=_purchase_order):
        amount = amounts[(purchase.offer_id, purchase.demand_line_id)]
        if terms.sales_mode is SalesMode.DIRECT:
            pairs = [(purchase.producer_id, purchase.coop_id, purchase.product)]
        else:
            assert network is not None
            pairs = [
                (purchase.producer_id, network, f"{purchase.product} → {purchase.coop}"),
                (network, purchase.coop_id, purchase.product),
            ]
        for issuer, buyer, description in pairs:
            rate = _rate(terms, issuer, purchase.vat_class)
            lines[(issuer, buyer)].append(_goods_line(purchase, description, amount, rate))
    drafts = [
        draft(issuer, buyer, Purpose.GOODS, items) for (issuer, buyer), items in lines.items()
    ]
    for charge in sorted(transport, key=lambda c: c.payer_id):
        if charge.amount_ore <= 0:
            continue
        assert network is not None
        rate = _rate(terms, network, TRANSPORT)
        line = DraftLine(
            description=f"Transport {terms.delivery_date.isoformat()}",
            unit="service",
            quantity_milli=MILLI,
            unit_price_ore=charge.amount_ore,
            net_ore=charge.amount_ore,
            vat_rate_bp=rate,
        )
        drafts.append(draft(network, charge.payer_id, Purpose.TRANSPORT, [line]))
    return sorted(drafts, key=lambda d: (str(d.issuer_id), str(d.buyer_id), d.purpose.value))


def _purchase_order(purchase: Purchase) -> tuple[str, str, str, str]:
    return (
        purchase.producer,
        purchase.product,
        str(purchase.offer_id),
        str(purchase.demand_line_id),
    )


def _rate(terms: Terms, issuer: UUID, vat_class: str) -> int:
    return 0 if issuer in terms.vat_exempt else rate_on(terms.rules, vat_class, terms.delivery_date)


def _goods_line(purchase: Purchase, description: str, amount: int, rate: int) -> DraftLine:
    return DraftLine(
        description=description,
        unit=purchase.unit,
        quantity_milli=purchase.units * purchase.per_unit_milli,
        # per kg, l or piece: the pack's price over the pack's thousandths, times 1000
        unit_price_ore=share_of(
            purchase.price_per_pack_ore, MILLI, purchase.pack_units * purchase.per_unit_milli
        ),
        net_ore=amount,
        vat_rate_bp=rate,
        offer_id=purchase.offer_id,
        demand_line_id=purchase.demand_line_id,
    )


# -- credit notes ---------------------------------------------------------------------


class IssuedLine(msgspec.Struct, frozen=True, kw_only=True):
    offer_id: UUID
    demand_line_id: UUID
    description: str
    unit: str
    quantity_milli: int
    unit_price_ore: int
    net_ore: int
    vat_rate_bp: int


class IssuedInvoice(msgspec.Struct, frozen=True, kw_only=True):
    """A goods invoice as issued, with what earlier credit notes took off each line."""

    id: UUID
    issuer_id: UUID
    buyer_id: UUID
    lines: tuple[IssuedLine, ...]
    credited_ore: Mapping[tuple[UUID, UUID], int] = msgspec.field(default_factory=dict)


def credit_due(line: IssuedLine, accepted_milli: int) -> int:
    """What a line is credited when ``accepted_milli`` of its quantity was accepted:
    its exact amount in proportion to what is missing (nothing for more than planned)."""
    missing = max(0, line.quantity_milli - max(0, accepted_milli))
    return share_of(line.net_ore, missing, line.quantity_milli)


def credit_notes(
    invoices: Sequence[IssuedInvoice], accepted_milli: Mapping[tuple[UUID, UUID], int]
) -> list[Draft]:
    """The credit notes still due: per goods invoice, each line's credit for what its
    receipt did not accept, less what earlier credit notes already took off. A line
    without a receipt counts as received as planned. Running it again once the notes
    are stored finds nothing more (a receipt raised after a credit note is not
    re-invoiced here)."""
    notes = []
    for invoice in invoices:
        lines = []
        for line in invoice.lines:
            key = (line.offer_id, line.demand_line_id)
            accepted = accepted_milli.get(key, line.quantity_milli)
            outstanding = credit_due(line, accepted) - invoice.credited_ore.get(key, 0)
            if outstanding <= 0:
                continue
            missing = line.quantity_milli - max(0, accepted)
            lines.append(
                DraftLine(
                    description=line.description,
                    unit=line.unit,
                    quantity_milli=-min(missing, line.quantity_milli),
                    unit_price_ore=line.unit_price_ore,
                    net_ore=-outstanding,
                    vat_rate_bp=line.vat_rate_bp,
                    offer_id=line.offer_id,
                    demand_line_id=line.demand_line_id,
                )
            )
        if lines:
            notes.append(
                draft(invoice.issuer_id, invoice.buyer_id, Purpose.GOODS, lines, invoice.id)
            )
    return notes
