"""An organisation's books: its ledger (JSON and CSV), its SIE 4 file, and who owes
whom for a cycle."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from uuid import UUID

import asyncpg
import msgspec

from services.api.auth.actor import Actor
from services.api.invoices import access
from services.api.invoices.schemas import LedgerRow, SettlementOut, TransferOut
from services.matcher.engine.settlement.invoices import VatTotal
from services.matcher.engine.settlement.ledger import (
    BAS_NAMES,
    AccountPlan,
    LedgerDocument,
    LedgerPayment,
    UnmappedRateError,
    account_names,
    verifications,
)
from services.matcher.engine.settlement.netting import Claim, settle
from services.matcher.engine.settlement.sie import SieFile, write_sie
from shared.contracts.invoices import AccountMap, Balance, InvoiceKind
from shared.db import cycles as cycles_db
from shared.db import invoices as invoices_db
from shared.db.pool import Conn
from shared.db.rows import as_struct
from shared.errors import ConflictError, InvalidParameterError, NotFoundError, TenantDeniedError

MAX_PERIOD_DAYS = 366


class BooksService:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def ledger(
        self, actor: Actor, organisation_id: UUID, since: dt.date | None, until: dt.date | None
    ) -> list[LedgerRow]:
        """Invoices, credit notes and payments that move what the organisation is owed
        or owes, in date order, with the running balance: of one period of at most a
        year (``ledger_period``), so no request reads an organisation's whole history."""
        # today where the networks are, as invoices are dated (``access.today``): on the
        # server's clock, around midnight, an invoice issued today fell after the period
        since, until = ledger_period(since, until, access.default_today())
        await access.organisation(self.conn, actor, organisation_id)
        invoices = access.in_view(
            actor,
            organisation_id,
            await invoices_db.select_invoices(
                self.conn, organisation_id=organisation_id, since=since, until=until
            ),
        )
        payments = access.in_view(
            actor,
            organisation_id,
            await invoices_db.select_payments(self.conn, organisation_id, since, until),
        )
        events: list[tuple[dt.date, int, LedgerRow]] = []
        for row in invoices:
            entry = _entry(organisation_id, row, row["kind"], row["total_ore"])
            events.append((row["issued_on"], 0, entry))
        for payment in payments:
            entry = _entry(organisation_id, payment, payment["kind"], -payment["amount_ore"])
            events.append((payment["paid_on"], 1, entry))
        balance = 0
        ledger = []
        for _, _, entry in sorted(events, key=lambda e: (e[0], e[1], e[2].number)):
            balance += entry.receivable_ore - entry.payable_ore
            ledger.append(msgspec.structs.replace(entry, balance_ore=balance))
        return ledger

    async def sie(
        self, actor: Actor, organisation_id: UUID, since: dt.date, until: dt.date
    ) -> tuple[bytes, str]:
        """The organisation's verifications of the period as a SIE 4 file, and its name."""
        org = await access.organisation(self.conn, actor, organisation_id)
        if until < since or until.year != since.year:
            raise InvalidParameterError(
                "`from` and `to` must lie in one calendar year (the file's financial year)",
                field="to",
            )
        details = (await invoices_db.select_details(self.conn, [organisation_id])).get(
            organisation_id
        )
        if details is None:
            raise ConflictError("the organisation has no invoicing details yet")
        invoices = access.in_view(
            actor,
            organisation_id,
            await invoices_db.select_invoices(
                self.conn, organisation_id=organisation_id, since=since, until=until
            ),
        )
        vat_rows = await invoices_db.select_vat(self.conn, [row["id"] for row in invoices])
        payments = access.in_view(
            actor,
            organisation_id,
            await invoices_db.select_payments(self.conn, organisation_id, since, until),
        )
        plan = await self._plan(org)
        try:
            entries = verifications(
                organisation_id, _documents(invoices, vat_rows), _payments(payments), plan
            )
        except UnmappedRateError as error:
            raise ConflictError(
                "no account for VAT rate {rate} %: map it in the network's accounts",
                values={"rate": error.rate_bp / 100},
            ) from None
        sie = SieFile(
            company=details["legal_name"],
            org_number=details["org_number"],
            generated_on=access.default_today(),
            year_start=dt.date(since.year, 1, 1),
            year_end=dt.date(since.year, 12, 31),
            accounts=account_names(entries, BAS_NAMES),
            verifications=tuple(entries),
        )
        return write_sie(sie), f"samlast-{since.isoformat()}-{until.isoformat()}.se"

    async def settlement(self, actor: Actor, cycle_id: UUID) -> SettlementOut:
        """Who owes whom for the cycle's invoices still open; cleared through the
        network's organisation when the network clears."""
        cycle = await cycles_db.select_cycle(self.conn, cycle_id)
        if cycle is None:
            raise NotFoundError("no such cycle")
        if not actor.coordinates(cycle["network_id"]):
            raise TenantDeniedError("no such cycle")
        network = await invoices_db.select_network(self.conn, cycle["network_id"])
        assert network is not None
        rows = [
            row
            for row in await invoices_db.select_invoices(
                self.conn, network_ids=[cycle["network_id"]], cycle_id=cycle_id
            )
            if row["kind"] == InvoiceKind.INVOICE
        ]
        claims = [
            Claim(
                creditor_id=row["issuer_id"],
                debtor_id=row["buyer_id"],
                amount_ore=as_struct(row, Balance).open_ore,
            )
            for row in rows
        ]
        clearing = network["invoicing_organisation_id"] if network["clearing"] else None
        result = settle(claims, clearing)
        names: dict[UUID, str] = {}
        for row in rows:
            names[row["issuer_id"]] = str(row["issuer"]["legal_name"])
            names[row["buyer_id"]] = str(row["buyer"]["legal_name"])
        return SettlementOut(
            cycle_id=cycle_id,
            cleared_by=clearing,
            balances=result.balances,
            transfers=[
                TransferOut(
                    payer_id=t.payer_id,
                    payer=names.get(t.payer_id, ""),
                    payee_id=t.payee_id,
                    payee=names.get(t.payee_id, ""),
                    amount_ore=t.amount_ore,
                )
                for t in result.transfers
            ],
        )

    async def _plan(self, org: asyncpg.Record) -> AccountPlan:
        """The BAS plan, with the account map of the organisation's network where it
        belongs to exactly one (several networks' maps could disagree)."""
        networks = org["network_ids"] or []
        if len(networks) != 1:
            return AccountPlan()
        row = await invoices_db.select_network(self.conn, networks[0])
        mapped = msgspec.convert(row["accounts"] if row else {}, AccountMap, strict=False)
        defaults = AccountPlan()
        changes = {
            name: value
            for name, value in msgspec.structs.asdict(mapped).items()
            if value is not None and not isinstance(value, dict)
        }
        return msgspec.structs.replace(
            defaults,
            **changes,
            sales_by_rate={**defaults.sales_by_rate, **mapped.sales_by_rate},
            output_vat_by_rate={**defaults.output_vat_by_rate, **mapped.output_vat_by_rate},
        )


def ledger_period(
    since: dt.date | None, until: dt.date | None, today: dt.date
) -> tuple[dt.date, dt.date]:
    """The ledger's period: what was asked, the last year up to ``today`` when nothing
    was, a year from ``from`` or to ``to`` when one end was; longer is refused."""
    year = dt.timedelta(days=MAX_PERIOD_DAYS - 1)
    if since is None and until is None:
        until = today
    if since is None:
        assert until is not None
        since = until - year
    if until is None:
        until = since + year
    if until < since:
        raise InvalidParameterError("`to` is before `from`", field="to")
    if (until - since).days >= MAX_PERIOD_DAYS:
        raise InvalidParameterError(
            "the period is longer than {days} days: ask for a year at a time",
            values={"days": MAX_PERIOD_DAYS},
            field="from",
        )
    return since, until


def _entry(organisation_id: UUID, row: asyncpg.Record, event: str, amount: int) -> LedgerRow:
    """A ledger row of an invoice or a payment (``row`` has the invoice's ids and names)."""
    sold = row["issuer_id"] == organisation_id
    is_payment = event in ("payment", "write_off")
    return LedgerRow(
        day=row["paid_on"] if is_payment else row["issued_on"],
        event=event,
        invoice_id=row["invoice_id"] if is_payment else row["id"],
        number=row["invoice_number"] if is_payment else row["number"],
        issuer=row["issuer_name"] if is_payment else row["issuer"]["legal_name"],
        buyer=row["buyer_name"] if is_payment else row["buyer"]["legal_name"],
        counterparty_id=row["buyer_id"] if sold else row["issuer_id"],
        receivable_ore=amount if sold else 0,
        payable_ore=0 if sold else amount,
        balance_ore=0,
    )


def _documents(
    rows: Iterable[asyncpg.Record], vat_rows: Iterable[asyncpg.Record]
) -> list[LedgerDocument]:
    vat: dict[UUID, list[VatTotal]] = {}
    for total in vat_rows:
        vat.setdefault(total["invoice_id"], []).append(
            VatTotal(
                rate_bp=total["rate_bp"], taxable_ore=total["taxable_ore"], vat_ore=total["vat_ore"]
            )
        )
    return [
        LedgerDocument(
            id=row["id"],
            number=row["number"],
            credit_note=row["kind"] == InvoiceKind.CREDIT_NOTE,
            purpose=row["purpose"],
            issuer_id=row["issuer_id"],
            buyer_id=row["buyer_id"],
            issued_on=row["issued_on"],
            vat=tuple(vat.get(row["id"], ())),
            total_ore=row["total_ore"],
            text=f"{'Kreditfaktura' if row['kind'] == InvoiceKind.CREDIT_NOTE else 'Faktura'} "
            f"{row['number']} {row['issuer']['legal_name']}",
        )
        for row in rows
    ]


def _payments(rows: Iterable[asyncpg.Record]) -> list[LedgerPayment]:
    return [
        LedgerPayment(
            invoice_number=row["invoice_number"],
            issuer_id=row["issuer_id"],
            buyer_id=row["buyer_id"],
            paid_on=row["paid_on"],
            amount_ore=row["amount_ore"],
            written_off=row["kind"] == "write_off",
        )
        for row in rows
    ]
