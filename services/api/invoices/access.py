"""Who sees which money: one place for the tenancy rules every money service applies.

An organisation sees its own invoicing details, invoices (as issuer or buyer), ledger
and books; a coordinator those of the networks it coordinates; an admin all. Anything
else answers 404, as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg

from services.api.auth.actor import Actor
from shared.db import invoices as invoices_db
from shared.db.pool import Conn
from shared.errors import NotFoundError, TenantDeniedError


async def organisation(conn: Conn, actor: Actor, organisation_id: UUID) -> asyncpg.Record:
    """An organisation whose money ``actor`` may see: its own, or a producer's or
    co-op's of a network it coordinates (another coordinating body keeps its books)."""
    row = await invoices_db.select_organisation(conn, organisation_id)
    if row is None:
        raise NotFoundError("no such organisation")
    networks = row["network_ids"] or []
    coordinated = row["kind"] != "coordinator" and any(
        actor.coordinates(network_id) for network_id in networks
    )
    if not (actor.is_admin or actor.organisation_id == organisation_id or coordinated):
        raise TenantDeniedError("no such organisation")
    return row


async def own_organisation(conn: Conn, actor: Actor, organisation_id: UUID) -> asyncpg.Record:
    """An organisation whose invoicing details ``actor`` may change: its own (an admin:
    any). A coordinator reads its members' details but never sets where they are paid."""
    row = await organisation(conn, actor, organisation_id)
    if not (actor.is_admin or actor.organisation_id == organisation_id):
        raise TenantDeniedError("only the organisation itself sets its invoicing details")
    return row


def in_view(
    actor: Actor, organisation_id: UUID, rows: list[asyncpg.Record]
) -> list[asyncpg.Record]:
    """Of an organisation's invoices or payments, those ``actor`` may see: all of them
    for the organisation itself (or an admin), else those of the networks it coordinates
    (a producer in two networks keeps the other network's money from this one's
    coordinators)."""
    if actor.is_admin or actor.organisation_id == organisation_id:
        return rows
    return [row for row in rows if actor.coordinates(row["network_id"])]


def invoice(actor: Actor, row: asyncpg.Record | None) -> asyncpg.Record:
    """An invoice ``actor`` may see: as its issuer or buyer, or coordinating its network."""
    if row is None:
        raise NotFoundError("no such invoice")
    if not (
        actor.coordinates(row["network_id"])
        or actor.organisation_id in (row["issuer_id"], row["buyer_id"])
    ):
        raise TenantDeniedError("no such invoice")
    return row


async def run(conn: Conn, actor: Actor, run_id: UUID) -> asyncpg.Record:
    """A published run of a network ``actor`` is in (its parts are the members')."""
    row = await invoices_db.select_run(conn, run_id)
    if row is None:
        raise NotFoundError("no such run")
    if not actor.member_of(row["network_id"]):
        raise TenantDeniedError("no such run")
    if row["state"] != "published" and not actor.coordinates(row["network_id"]):
        raise TenantDeniedError("no such run")  # unpublished runs are the coordinators'
    return row


def today(timezone: str) -> dt.date:
    """The date in the network's time zone: what an invoice is dated, what a deadline
    is measured against."""
    return dt.datetime.now(ZoneInfo(timezone)).date()


def default_today() -> dt.date:
    """The date in the networks' default zone (``documents.controller.DEFAULT_ZONE``,
    which can't be imported here without a cycle), where no one network is asked for:
    not the server's clock, whose date differs around midnight UTC (a payment made
    today was refused on the money pages, an invoice issued today fell after the
    ledger's period)."""
    return today("Europe/Stockholm")
