"""A network's producers as its members see them: who they are, where (at the precision
each chose, computed here so an exact point never leaves the server), what they offer
in the open cycle and usually offer, and their pickup hours. Only the network's own
members (and its coordinators, and the admin) may read it; to anyone else the network
does not exist."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from uuid import UUID

from services.api.auth.actor import Actor
from services.api.directory.schemas import Directory, OfferedProduct, ProducerEntry, UsualProduct
from services.api.organisations.service import organisation_out
from services.api.places.precision import shown_location
from shared.db import directory as directory_db
from shared.db import networks as networks_db
from shared.db import organisations as organisations_db
from shared.db.pool import Conn
from shared.errors import TenantDeniedError

RECENT = 6  # cycles "usually" looks back over


class DirectoryService:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def producers(self, actor: Actor, network_id: UUID, today: dt.date) -> Directory:
        if not actor.member_of(network_id):
            raise TenantDeniedError("no such network")
        network = await networks_db.select_network(self.conn, network_id)
        if network is None:
            raise TenantDeniedError("no such network")
        cycle = await directory_db.select_open_cycle(self.conn, network_id)
        day = cycle["delivery_date"] if cycle else today
        offered: dict[UUID, list[OfferedProduct]] = defaultdict(list)
        for row in await directory_db.select_offered(self.conn, network_id, day):
            offered[row["producer_id"]].append(
                OfferedProduct(
                    name=row["name"],
                    unit=row["unit"],
                    per_unit_milli=row["per_unit_milli"],
                    pack_units=row["pack_units"],
                    price_per_pack_ore=row["price_per_pack_ore"],
                    packs_left=row["packs_left"],
                )
            )
        usually: dict[UUID, list[UsualProduct]] = defaultdict(list)
        recent = 0
        for row in await directory_db.select_usually(self.conn, network_id, RECENT):
            usually[row["producer_id"]].append(UsualProduct(name=row["name"], cycles=row["cycles"]))
            recent = row["of_cycles"]
        rows = await organisations_db.select_organisations(
            self.conn, None, None, network_id, "producer"
        )
        entries = []
        for row in rows:
            producer = organisation_out(row)
            place = shown_location(
                producer.location, producer.place_precision, producer.municipality
            )
            entries.append(
                ProducerEntry(
                    id=producer.id,
                    name=producer.name,
                    presentation=producer.presentation,
                    contact_email=producer.contact_email,
                    contact_phone=producer.contact_phone,
                    place_precision=producer.place_precision,
                    municipality=producer.municipality,
                    lat=place.lat if place else None,
                    lon=place.lon if place else None,
                    windows=producer.windows,
                    offered_now=offered.get(producer.id, []),
                    usually=usually.get(producer.id, []),
                )
            )
        return Directory(
            network_id=network_id,
            network_name=network["name"],
            timezone=network["timezone"],
            offered_on=day,
            open_cycle=cycle is not None,
            recent_cycles=recent,
            producers=entries,
        )
