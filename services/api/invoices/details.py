"""Invoicing details of organisations and networks: what invoices say, and how a
network sells (direct or through it), its VAT rules and its account map."""

from __future__ import annotations

from uuid import UUID

import msgspec

from services.api.auth.actor import Actor
from services.api.core.audit import record
from services.api.invoices import access
from services.api.invoices.schemas import (
    InvoicingIn,
    InvoicingOut,
    NetworkInvoicingIn,
    NetworkInvoicingOut,
    VatRuleOut,
)
from services.matcher.engine.settlement.vat import SWEDISH_RATES
from shared.contracts.invoices import AccountMap
from shared.db import invoices as invoices_db
from shared.db.pool import Conn
from shared.db.rows import as_struct
from shared.errors import ForeignReferenceError, NotFoundError, TenantDeniedError


class InvoicingDetailsService:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def organisation(self, actor: Actor, organisation_id: UUID) -> InvoicingOut:
        await access.organisation(self.conn, actor, organisation_id)
        found = await invoices_db.select_details(self.conn, [organisation_id])
        if organisation_id not in found:
            raise NotFoundError("the organisation has no invoicing details yet")
        return as_struct(found[organisation_id], InvoicingOut)

    async def set_organisation(
        self, actor: Actor, organisation_id: UUID, data: InvoicingIn
    ) -> InvoicingOut:
        """Set what the organisation's invoices say; issued invoices keep what they said."""
        await access.own_organisation(self.conn, actor, organisation_id)
        async with self.conn.transaction():
            row = await invoices_db.upsert_details(
                self.conn, organisation_id, msgspec.structs.asdict(data)
            )
            await record(self.conn, actor, "invoicing.set", "organisation", organisation_id)
        return as_struct(row, InvoicingOut)

    async def network(self, actor: Actor, network_id: UUID) -> NetworkInvoicingOut:
        if not actor.member_of(network_id):
            raise TenantDeniedError("no such network")
        row = await invoices_db.select_network(self.conn, network_id)
        if row is None:
            raise NotFoundError("no such network")
        rules = [
            VatRuleOut(
                vat_class=rule.vat_class,
                effective_from=rule.effective_from,
                rate_bp=rule.rate_bp,
                source="default",
            )
            for rule in SWEDISH_RATES
        ] + [
            as_struct(rule, VatRuleOut, source="network")
            for rule in await invoices_db.select_vat_rates(self.conn, network_id)
        ]
        return NetworkInvoicingOut(
            network_id=network_id,
            sales_mode=row["sales_mode"],
            invoicing_organisation_id=row["invoicing_organisation_id"],
            receiving_days=row["receiving_days"],
            clearing=row["clearing"],
            vat_rules=rules,
            accounts=msgspec.convert(row["accounts"], AccountMap, strict=False),
        )

    async def set_network(
        self, actor: Actor, network_id: UUID, data: NetworkInvoicingIn
    ) -> NetworkInvoicingOut:
        if not actor.coordinates(network_id):
            raise TenantDeniedError("no such network")
        if data.invoicing_organisation_id is not None:
            org = await invoices_db.select_organisation(self.conn, data.invoicing_organisation_id)
            if (
                org is None
                or org["kind"] != "coordinator"
                or network_id not in (org["network_ids"] or [])
            ):
                raise ForeignReferenceError(
                    "`invoicing_organisation_id` names no coordinating organisation of "
                    "this network",
                    field="invoicing_organisation_id",
                )
        accounts = msgspec.to_builtins(
            msgspec.convert(msgspec.to_builtins(data.accounts), AccountMap)
        )
        rules = [
            invoices_db.VatRateRow(network_id, r.vat_class, r.effective_from, r.rate_bp)
            for r in data.vat_rules
        ]
        async with self.conn.transaction():
            await invoices_db.upsert_network(
                self.conn,
                network_id,
                [
                    data.sales_mode.value,
                    data.invoicing_organisation_id,
                    data.receiving_days,
                    data.clearing,
                    accounts,
                ],
            )
            await invoices_db.replace_vat_rates(self.conn, network_id, rules)
            await record(
                self.conn, actor, "invoicing.network", "network", network_id, network_id=network_id
            )
        return await self.network(actor, network_id)
