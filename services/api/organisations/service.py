"""Organisations: admins create any; coordinators onboard producers and co-ops."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from services.api.auth.actor import Actor
from services.api.core.audit import record
from services.api.core.conditional import expected_version
from services.api.core.types import Location
from services.api.organisations.schemas import (
    OrganisationIn,
    OrganisationOut,
    OrganisationPatch,
    WindowOut,
)
from services.api.places.precision import shown_location
from shared.db import mirror as mirror_db
from shared.db import networks as networks_db
from shared.db import organisations as organisations_db
from shared.db.pool import Conn
from shared.db.rows import as_struct
from shared.errors import (
    ConflictError,
    ForbiddenError,
    LocationRequiredError,
    NotFoundError,
    PreconditionFailedError,
    TenantDeniedError,
    Term,
    UnprocessableError,
)


class OrganisationService:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def create(self, actor: Actor, data: OrganisationIn) -> OrganisationOut:
        if not actor.is_admin:
            if data.kind == "coordinator":
                raise TenantDeniedError("only an admin creates coordinating organisations")
            if not all(actor.coordinates(network_id) for network_id in data.network_ids):
                raise TenantDeniedError("no such network")
        async with self.conn.transaction():
            organisation_id = await organisations_db.insert_organisation(self.conn, _columns(data))
            await organisations_db.replace_windows(self.conn, organisation_id, _windows(data))
            for network_id in data.network_ids:
                try:
                    await networks_db.insert_membership(self.conn, network_id, organisation_id)
                except asyncpg.ForeignKeyViolationError:
                    raise NotFoundError(
                        "no such network: {id}", values={"id": str(network_id)}
                    ) from None
            await record(self.conn, actor, "organisation.create", "organisation", organisation_id)
        return await self.get(actor, organisation_id)

    async def list_organisations(
        self, actor: Actor, network_id: UUID | None, kind: str | None
    ) -> list[OrganisationOut]:
        if network_id is not None and not actor.member_of(network_id):
            raise TenantDeniedError("no such network")
        scope = None if actor.is_admin else list(actor.network_ids)
        rows = await organisations_db.select_organisations(
            self.conn, scope, actor.organisation_id, network_id, kind
        )
        return [as_seen_by(actor, organisation_out(row)) for row in rows]

    async def get(self, actor: Actor, organisation_id: UUID) -> OrganisationOut:
        return as_seen_by(actor, organisation_out(await self._visible(actor, organisation_id)))

    async def update(
        self, actor: Actor, organisation_id: UUID, data: OrganisationPatch, if_match: str | None
    ) -> OrganisationOut:
        current = organisation_out(await self._visible(actor, organisation_id))
        if not (actor.is_admin or actor.organisation_id == organisation_id):
            raise TenantDeniedError("no such organisation")
        version = expected_version(if_match)
        merged = _patched(current, data)
        if (
            merged.location is None
            and current.location is not None
            and current.kind != "coordinator"
        ):
            raise UnprocessableError(
                "a producer or co-op keeps its location (deliveries need it): change it "
                "instead of removing it",
                field="location",
            )
        async with self.conn.transaction():
            if not await organisations_db.update_organisation(
                self.conn, organisation_id, version, _columns(merged)
            ):
                raise PreconditionFailedError(
                    "the organisation changed since you read it; re-read it"
                )
            if data.windows is not msgspec.UNSET:
                await organisations_db.replace_windows(self.conn, organisation_id, _windows(merged))
            await record(self.conn, actor, "organisation.update", "organisation", organisation_id)
        return await self.get(actor, organisation_id)

    async def _visible(self, actor: Actor, organisation_id: UUID) -> asyncpg.Record:
        row = await organisations_db.select_organisation(self.conn, organisation_id)
        if row is None:
            raise NotFoundError("no such organisation")
        shares_network = any(actor.member_of(n) for n in row["network_ids"])
        if not (actor.is_admin or actor.organisation_id == organisation_id or shares_network):
            raise TenantDeniedError("no such organisation")
        return row


def sees_exact_place(actor: Actor, organisation: OrganisationOut) -> bool:
    """The organisation itself, the deployment's admin and the coordinators of one of its
    networks see its exact place; other members see it at its chosen precision."""
    return (
        actor.is_admin
        or actor.organisation_id == organisation.id
        or any(actor.coordinates(network_id) for network_id in organisation.network_ids)
    )


def as_seen_by(actor: Actor, organisation: OrganisationOut) -> OrganisationOut:
    if sees_exact_place(actor, organisation):
        return organisation
    location = shown_location(
        organisation.location, organisation.place_precision, organisation.municipality
    )
    return msgspec.structs.replace(organisation, location=location)


def _patched(current: OrganisationOut, patch: OrganisationPatch) -> OrganisationOut:
    """The organisation as it will be once ``patch`` is applied."""
    changes = {
        name: value
        for name, value in msgspec.structs.asdict(patch).items()
        if value is not msgspec.UNSET
    }
    if isinstance(patch.windows, list):
        changes["windows"] = [
            WindowOut(weekday=w.weekday, opens=w.opens, closes=w.closes) for w in patch.windows
        ]
    return msgspec.structs.replace(current, **changes)


def _columns(data: OrganisationIn | OrganisationOut) -> dict[str, Any]:
    return {
        "kind": data.kind,
        "name": data.name,
        "contact_email": data.contact_email,
        "contact_phone": data.contact_phone,
        "address": data.location.address if data.location else "",
        "lat": data.location.lat if data.location else None,
        "lon": data.location.lon if data.location else None,
        "presentation": data.presentation,
        "place_precision": data.place_precision,
        "municipality": data.municipality,
    }


def _windows(data: OrganisationIn | OrganisationOut) -> list[tuple[int, dt.time, dt.time]]:
    return [(window.weekday, window.opens, window.closes) for window in data.windows]


def organisation_out(row: asyncpg.Record) -> OrganisationOut:
    location = None
    if row["lat"] is not None:
        location = Location(lat=row["lat"], lon=row["lon"], address=row["address"])
    return as_struct(
        row,
        OrganisationOut,
        location=location,
        windows=[msgspec.convert(w, WindowOut, strict=False) for w in row["windows"]],
        network_ids=list(row["network_ids"]),
    )


async def require_location(conn: Conn, actor: Actor, doing: str) -> None:
    """Refuse ``doing`` (ordering, offering) for an organisation with no location: its
    deliveries would be left unserved for want of a place (409, ``location-required``)."""
    if actor.organisation_id is None:
        return
    row = await organisations_db.select_organisation(conn, actor.organisation_id)
    if row is not None and row["lat"] is None:
        raise LocationRequiredError(
            "{name} has no location yet, so nothing can be delivered to or picked up "
            "from it: set its place (address and position) before {doing}",
            values={"name": row["name"], "doing": Term(doing)},
            field="location",
            organisation_id=str(actor.organisation_id),
        )


async def check_manages(conn: Conn, actor: Actor, organisation_id: UUID, what: str) -> None:
    """May ``actor`` manage the organisation's ``what`` (its tokens, its people)?

    Your own organisation (as its admin), any (the deployment's admin), or a producer or
    co-op wholly in your care: a coordinator manages one only when every network it
    belongs to is one they coordinate; an organisation shared with another network is
    managed by itself or the admin, and coordinating organisations only by themselves
    or the admin. Another tenant's organisation answers as a missing one. Nobody manages
    the people or tokens of a mirror of a peer's producer (docs/federation.md): it has none.
    """
    # --- federation mirrors: no people, no tokens ---
    peer = await mirror_db.select_organisation_peer(conn, organisation_id)
    if peer is not None and (actor.is_admin or actor.organisation_id != organisation_id):
        raise ConflictError(
            "this organisation stands here for a producer of the peer deployment {peer}: "
            "it has no people or tokens here",
            values={"peer": peer},
        )
    if actor.is_admin:
        return
    if actor.organisation_id == organisation_id:
        if actor.organisation_admin:
            return
        raise ForbiddenError(
            "only the organisation's admins manage its {what}", values={"what": Term(what)}
        )
    row = await organisations_db.select_organisation(conn, organisation_id)
    if row is None:
        raise NotFoundError("no such organisation")
    networks = row["network_ids"]
    in_care = (
        row["kind"] != "coordinator"
        and bool(networks)
        and all(actor.coordinates(network_id) for network_id in networks)
    )
    if not in_care:
        raise TenantDeniedError("no such organisation")
