"""A network's producer directory: the page its members read (co-ops, producers,
coordinators), and its spreadsheet. Places at each producer's precision, from
``DirectoryService``: an exact point of a producer who chose otherwise is never sent."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from services.api.auth.actor import Role
from services.api.auth.guards import ANYONE
from services.api.deps import CurrentActor, Directories, Networks
from services.api.directory.schemas import Directory, ProducerEntry
from services.api.runs.documents import csv_response, to_csv
from services.api.web import i18n
from services.api.web.pages import language_of, page
from services.api.web.placemap import Reference, place_map
from shared.settings import Settings

# Where a producer or a co-op goes back to (its own page, by that page's title).
HOMES = {
    Role.PRODUCER: ("/app/producer", "My offers and pick lists"),
    Role.COOP: ("/app/coop", "My deliveries"),
}
HEADER = (
    "Name",
    "Municipality",
    "Latitude",
    "Longitude",
    "Place shown",
    "Presentation",
    "Contact e-mail",
    "Contact phone",
    "Pickup hours",
    "Offers now",
    "Usually offers",
)


class DirectoryRow(msgspec.Struct, kw_only=True):
    name: str
    municipality: str
    lat: str
    lon: str
    place_shown: str
    presentation: str
    contact_email: str
    contact_phone: str
    pickup_hours: str
    offers_now: str
    usually: str


class DirectoryPages(Controller):
    path = "/app/networks/{network_id:uuid}"
    guards = [ANYONE]
    include_in_schema = False

    @get("/producers")
    async def producers(
        self,
        request: Request[Any, Any, Any],
        network_id: FromPath[UUID],
        actor: CurrentActor,
        directories: Directories,
        networks: Networks,
        settings: NamedDependency[Settings],
    ) -> Template:
        directory = await directories.producers(actor, network_id, dt.date.today())
        network = await networks.get(actor, network_id)
        known = [
            Reference(lat=p.lat, lon=p.lon, label=p.name, kind="producer")
            for p in directory.producers
            if p.lat is not None and p.lon is not None
        ]
        if network.hub is not None:
            known.insert(
                0,
                Reference(
                    lat=network.hub.lat,
                    lon=network.hub.lon,
                    label=i18n.gettext_for(language_of(request))("Hub"),
                    kind="hub",
                ),
            )
        return page(
            request,
            "producers",
            directory=directory,
            network=network,
            map=place_map(known, None, settings.pages.map_tile_url) if known else None,
            attribution=settings.pages.map_tile_attribution,
            coordinates=actor.coordinates(network_id),
            home=HOMES.get(actor.role),
            zone=directory.timezone,
        )

    @get("/producers.csv")
    async def producers_csv(
        self,
        request: Request[Any, Any, Any],
        network_id: FromPath[UUID],
        actor: CurrentActor,
        directories: Directories,
    ) -> Response[str]:
        """The directory for a spreadsheet: semicolons, decimal commas in Swedish, and
        UTF-8 with its byte order mark, as Swedish Excel opens it."""
        language = language_of(request)
        directory = await directories.producers(actor, network_id, dt.date.today())
        _ = i18n.gettext_for(language)
        rows = [_row(entry, language, directory) for entry in directory.producers]
        text = to_csv(rows, delimiter=";", header=[_(name) for name in HEADER])
        if not rows:
            text = ";".join(_(name) for name in HEADER) + "\r\n"
        return csv_response(text, f"producers-{network_id}.csv", bom=True)


def _row(entry: ProducerEntry, language: str, directory: Directory) -> DirectoryRow:
    _ = i18n.gettext_for(language)

    def degrees(value: float | None) -> str:
        if value is None:
            return ""
        text = f"{value:.4f}"
        return text.replace(".", ",") if language == "sv" else text

    hours = ", ".join(
        f"{_('weekday:' + str(w.weekday))} {w.opens:%H:%M}-{w.closes:%H:%M}" for w in entry.windows
    )
    now = "; ".join(
        o.name
        + ": "
        + _("packs of {size}, {price} per pack, {left} packs left").format(
            size=i18n.quantity(o.pack_units, o.measure, language),
            price=i18n.kronor(o.price_per_pack_ore, language),
            left=o.packs_left,
        )
        for o in entry.offered_now
    )
    usually = ", ".join(f"{u.name} ({u.cycles}/{directory.recent_cycles})" for u in entry.usually)
    return DirectoryRow(
        name=entry.name,
        municipality=entry.municipality,
        lat=degrees(entry.lat),
        lon=degrees(entry.lon),
        place_shown=_("precision:" + entry.place_precision),
        presentation=entry.presentation,
        contact_email=entry.contact_email,
        contact_phone=entry.contact_phone,
        pickup_hours=hours,
        offers_now=now,
        usually=usually,
    )
