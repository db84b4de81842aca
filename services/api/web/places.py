"""A place on the pages: an address searched with the geocoder, a click on the map, or
latitude and longitude typed under "Advanced".

Every form with a place has the same fields, named with a prefix (``hub_address``,
``hub_lat``, ``hub_lon``; ``address``, ``lat``, ``lon``), drawn by ``place_field`` in
``templates/web/_place.html``. Without JavaScript the search button posts the form,
which comes back with what was typed and the places found as choices
(``{prefix}pick``); the chosen one is the place when the form is saved. With it,
``static/app.js`` asks ``/app/places/search`` and fills the fields, and a click on the
map sets latitude and longitude.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import FromQuery

from services.api.auth.actor import Actor
from services.api.auth.guards import ANYONE
from services.api.core import numbers
from services.api.core.types import Location
from services.api.deps import CurrentActor, Networks, Organisations
from services.api.networks.service import NetworkService
from services.api.organisations.service import OrganisationService
from services.api.places.geocoder import Candidate, Geocoder, GeocoderError
from services.api.web import i18n
from services.api.web.pages import language_of
from services.api.web.placemap import PlaceMap, Reference, place_map
from services.api.web.setup_forms import FormError
from shared.settings import Settings

SEARCH = "place_search"  # the search button's name; its value is the field's prefix
MESSAGES = {
    "lat": "a latitude in decimal degrees, like 59.86",
    "lon": "a longitude in decimal degrees, like 17.64",
    "place": "search for the address, click the map, or give latitude and longitude",
    "address": "at most 500 characters",
}
NO_GEOCODER = "no address search is configured: click the map, or give latitude and longitude"


class PlaceSearch(msgspec.Struct, kw_only=True):
    """A search the page shows: for which field, what it found or why it found nothing."""

    prefix: str
    candidates: list[Candidate] | None = None
    error: str | None = None


def searched(form: Mapping[str, Any]) -> str | None:
    """The prefix of the place field whose search button sent the form, if one did."""
    value = form.get(SEARCH)
    return str(value)[:40] if value is not None else None


def apply_pick(values: dict[str, str], prefix: str) -> None:
    """A place chosen among the search's results becomes the place's fields."""
    pick = values.pop(prefix + "pick", "")
    parts = pick.split(";", 3)
    if len(parts) != 4:
        return
    lat, lon, municipality, label = parts
    values[prefix + "lat"], values[prefix + "lon"] = lat, lon
    values[prefix + "address"] = label[:500]
    if municipality and (prefix + "municipality") in values:
        values[prefix + "municipality"] = municipality[:200]


def field_names(prefix: str, *, municipality: bool = False) -> tuple[str, ...]:
    names = (prefix + "address", prefix + "lat", prefix + "lon", prefix + "pick")
    return names + ((prefix + "municipality",) if municipality else ())


def read_place(values: Mapping[str, str], prefix: str, *, required: bool) -> Location | None:
    """The place the fields give, or ``FormError`` naming each field that is wrong; no
    place at all is None (or an error, when one is ``required``)."""
    address = values.get(prefix + "address", "").strip()
    texts = {name: values.get(prefix + name, "").strip() for name in ("lat", "lon")}
    errors: dict[str, str] = {}
    if not any(texts.values()):
        if required or address:
            errors[prefix + "address"] = MESSAGES["place"]
            raise FormError(errors)
        return None
    degrees: dict[str, float] = {}
    for name, text in texts.items():
        try:
            degrees[name] = numbers.degrees(text)
        except numbers.NumberError:
            errors[prefix + name] = MESSAGES[name]
    if len(address) > 500:
        errors[prefix + "address"] = MESSAGES["address"]
    if errors:
        raise FormError(errors)
    try:
        return msgspec.convert({**degrees, "address": address}, Location)
    except msgspec.ValidationError as exc:
        wrong = "lat" if "lat" in str(exc) else "lon"
        raise FormError({prefix + wrong: MESSAGES[wrong]}) from None


def place_values(location: Location | None, prefix: str) -> dict[str, str]:
    """The fields as a form shows ``location``."""
    if location is None:
        return {prefix + "address": "", prefix + "lat": "", prefix + "lon": ""}
    return {
        prefix + "address": location.address,
        prefix + "lat": f"{location.lat:.6f}".rstrip("0").rstrip("."),
        prefix + "lon": f"{location.lon:.6f}".rstrip("0").rstrip("."),
    }


async def search_place(
    geocoder: Geocoder | None,
    values: Mapping[str, str],
    prefix: str,
    language: str,
    near: tuple[float, float] | None,
    searcher: Actor | None,
) -> PlaceSearch:
    """Search for what the field's address says, counted against the signed-in
    ``searcher``'s limit (None: the join page, which counts under its own); never raises."""
    if geocoder is None:
        return PlaceSearch(prefix=prefix, error=NO_GEOCODER)
    caller = None
    if searcher is not None:
        caller = f"person:{searcher.person_id or searcher.organisation_id}"
    try:
        found = await geocoder.search(
            values.get(prefix + "address", ""), language=language, near=near, caller=caller
        )
    except GeocoderError as exc:
        return PlaceSearch(prefix=prefix, error=str(exc))
    return PlaceSearch(prefix=prefix, candidates=found)


async def references(
    actor: Actor,
    network_ids: Iterable[UUID],
    networks: NetworkService,
    organisations: OrganisationService,
) -> list[Reference]:
    """The networks' hubs and members, where this viewer may see them, for orientation."""
    shown: dict[tuple[float, float], Reference] = {}
    for network_id in sorted(set(network_ids), key=str):
        network = await networks.get(actor, network_id)
        if network.hub is not None:
            key = (network.hub.lat, network.hub.lon)
            shown[key] = Reference(lat=key[0], lon=key[1], label=network.name, kind="hub")
        for member in await organisations.list_organisations(actor, network_id, None):
            if member.location is not None and member.id != actor.organisation_id:
                key = (member.location.lat, member.location.lon)
                shown.setdefault(
                    key, Reference(lat=key[0], lon=key[1], label=member.name, kind=member.kind)
                )
    return list(shown.values())


def near_of(places: Iterable[Reference]) -> tuple[float, float] | None:
    """Where searches should prefer results: the first hub, else the first place known."""
    known = list(places)
    hub = next((r for r in known if r.kind == "hub"), known[0] if known else None)
    return (hub.lat, hub.lon) if hub else None


def place_context(
    settings: Settings,
    known: list[Reference],
    values: Mapping[str, str],
    prefix: str,
    search: PlaceSearch | None,
    *,
    live_search: bool = True,
    around: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """What ``place_field`` needs to draw one place field. Without ``live_search`` the
    page's script leaves the search button alone: it posts the form (the join page,
    whose visitors are not signed in to ask ``/app/places/search``). ``around`` frames
    the map where no place is known to draw."""
    chosen: tuple[float, float] | None = None
    try:
        chosen = (
            numbers.degrees(values.get(prefix + "lat", "")),
            numbers.degrees(values.get(prefix + "lon", "")),
        )
        if abs(chosen[0]) > 85 or abs(chosen[1]) > 180:
            chosen = None
    except numbers.NumberError:
        chosen = None
    drawn: PlaceMap = place_map(known, chosen, settings.pages.map_tile_url, around)
    mine = search if search is not None and search.prefix == prefix else None
    return {
        "geocoder": settings.pages.geocoder_url is not None,
        "live_search": live_search,
        "candidates": mine.candidates if mine else None,
        "search_error": mine.error if mine else None,
        "map": drawn,
        "attribution": settings.pages.map_tile_attribution,
    }


class PlaceSearchPages(Controller):
    path = "/app/places"
    include_in_schema = False

    @get("/search", guards=[ANYONE])
    async def search(
        self,
        request: Request[Any, Any, Any],
        actor: CurrentActor,
        networks: Networks,
        organisations: Organisations,
        state: State,
        q: FromQuery[str] = "",
    ) -> dict[str, Any]:
        """The places an address may mean, for the pages' script: ``candidates``, or an
        ``error`` in the page's language."""
        language = language_of(request)
        hubs = [
            Reference(lat=n.hub.lat, lon=n.hub.lon, label=n.name, kind="hub")
            for n in await networks.list_networks(actor)
            if n.hub is not None and actor.member_of(n.id)
        ]
        found = await search_place(
            state.geocoder, {"address": q[:500]}, "", language, near_of(hubs), actor
        )
        message = i18n.gettext_for(language)(found.error) if found.error else None
        return {
            "candidates": [msgspec.to_builtins(c) for c in found.candidates or []],
            "error": message,
        }
