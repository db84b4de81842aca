"""The producers' and co-ops' pages: offers, demand, and their part of published runs.

Forms become the API's own request structs (``OfferIn``, ``OfferPatch``; the co-op's
order: ``coop_page.py``), so a form is validated exactly as a JSON body is, and refused with
the same words. Edits carry the version the page showed, as ``If-Match`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict, State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Redirect, Template

from services.api.auth.actor import Actor
from services.api.auth.guards import COOPS, PRODUCERS
from services.api.core import numbers
from services.api.demand import amounts
from services.api.demand.amounts import Measure
from services.api.deps import (
    CurrentActor,
    Cycles,
    Demand,
    Directories,
    Joining,
    Networks,
    Offers,
    Organisations,
    Products,
    Runs,
)
from services.api.joining.service import JoiningService
from services.api.networks.service import NetworkService
from services.api.offers.schemas import OfferIn, OfferPatch
from services.api.offers.service import OfferFilters, OfferService
from services.api.organisations.schemas import OrganisationOut
from services.api.organisations.service import OrganisationService
from services.api.places.geocoder import Geocoder
from services.api.products.schemas import ProductOut
from services.api.products.service import ProductService
from services.api.runs.documents import csv_response, note_rows, to_csv
from services.api.runs.service import RunService
from services.api.web import i18n, offer_form
from services.api.web.coop_page import CoopPage
from services.api.web.pages import Db, back, language_of, page, same_site, submit
from services.api.web.places import (
    apply_pick,
    near_of,
    place_context,
    place_values,
    references,
    search_place,
    searched,
)
from shared.db import runs as runs_db
from shared.db.pool import Conn
from shared.errors import Phrase, SamlastError, rule
from shared.settings import Settings

PRODUCER_PAGE = "/app/producer"
OFFER_FIELDS = (
    "product",
    "pack_size",
    "packs_available",
    "price_per_pack",
    "valid_from",
    "valid_until",
    "address",
    "lat",
    "lon",
    "pick",
    "note",
)


T = TypeVar("T")


def provide_coop_page(
    actor: CurrentActor,
    cycles: Cycles,
    demand: Demand,
    networks: Networks,
    products: Products,
    runs: Runs,
    organisations: Organisations,
    joining: Joining,
    offers: Offers,
    directories: Directories,
    conn: Db,
) -> CoopPage:
    return CoopPage(
        actor,
        cycles,
        demand,
        networks,
        products,
        runs,
        organisations,
        joining,
        offers,
        directories,
        conn,
    )


CoopPages = NamedDependency[CoopPage]


class MemberPages(Controller):
    path = "/app"
    include_in_schema = False
    dependencies = {"coop_page": Provide(provide_coop_page, sync_to_thread=False)}

    @get("/producer", guards=[PRODUCERS])
    async def producer(
        self,
        request: Request[Any, Any, Any],
        actor: CurrentActor,
        offers: Offers,
        organisations: Organisations,
        networks: Networks,
        products: Products,
        runs: Runs,
        joining: Joining,
        conn: Db,
        settings: NamedDependency[Settings],
    ) -> Template:
        services = (offers, organisations, networks, products, runs)
        return await _producer_page(request, actor, services, conn, settings, None, None, joining)

    @post("/offers", guards=[PRODUCERS], status_code=303)
    async def post_offer(
        self,
        request: Request[Any, Any, Any],
        actor: CurrentActor,
        offers: Offers,
        organisations: Organisations,
        networks: Networks,
        products: Products,
        runs: Runs,
        conn: Db,
        settings: NamedDependency[Settings],
        state: State,
        joining: Joining,
    ) -> Response[Any]:
        same_site(request)
        form = await request.form()
        values = {name: str(form.get(name, ""))[:2000] for name in OFFER_FIELDS if name in form}
        windows = _windows(form)
        if searched(form) == "":
            services = (offers, organisations, networks, products, runs)
            return await _producer_page(
                request, actor, services, conn, settings, (values, windows), state.geocoder, joining
            )
        apply_pick(values, "")
        errors = _pack_units(values, await _products(products, actor), language_of(request))
        if errors:  # the page again, as typed, the mistake beside its field
            services = (offers, organisations, networks, products, runs)
            return await _producer_page(
                request, actor, services, conn, settings, (values, windows), None, joining, errors
            )

        async def post() -> None:
            network_id, product_id = values.get("product", "").split(":")
            offer = msgspec.convert(
                {
                    "listings": [{"network_id": network_id, "product_id": product_id}],
                    "pack_units": _int(values, "pack_units"),
                    "packs_available": _int(values, "packs_available"),
                    "price_per_pack_ore": _ore(values, "price_per_pack"),
                    "valid_from": values.get("valid_from"),
                    "valid_until": values.get("valid_until"),
                    "pickup": {
                        "lat": _degrees(values, "lat"),
                        "lon": _degrees(values, "lon"),
                        "address": values.get("address", ""),
                    },
                    "pickup_windows": [
                        {"opens": _time(opens), "closes": _time(closes)}
                        for opens, closes in windows
                        if opens or closes
                    ],
                    "note": values.get("note", ""),
                },
                OfferIn,
            )
            await offers.create(actor, offer)

        try:
            await post()
        except (ValueError, msgspec.ValidationError, SamlastError) as exc:
            # the page again, as typed, the mistake beside its field and above the page
            errors = offer_form.offer_errors(exc, language_of(request))
            services = (offers, organisations, networks, products, runs)
            return await _producer_page(
                request, actor, services, conn, settings, (values, windows), None, joining, errors
            )
        return back(PRODUCER_PAGE, done="offer posted")

    @post("/offers/{offer_id:uuid}", guards=[PRODUCERS], status_code=303)
    async def edit_offer(
        self,
        request: Request[Any, Any, Any],
        offer_id: FromPath[UUID],
        actor: CurrentActor,
        offers: Offers,
    ) -> Redirect:
        same_site(request)
        form = await request.form()
        version = f'"{form.get("version", "")}"'
        if form.get("action") == "withdraw":
            return await submit(
                PRODUCER_PAGE,
                "offer withdrawn",
                lambda: offers.withdraw(actor, offer_id, version),
                request=request,
            )

        async def save() -> None:
            patch = msgspec.convert(
                {
                    "packs_available": _int(form, "packs_available"),
                    "price_per_pack_ore": _ore(form, "price_per_pack"),
                },
                OfferPatch,
            )
            await offers.update(actor, offer_id, patch, version)

        return await submit(PRODUCER_PAGE, "offer saved", save, request=request)

    @get("/coop", guards=[COOPS])
    async def coop(self, request: Request[Any, Any, Any], coop_page: CoopPages) -> Template:
        return await coop_page.render(request)

    @post("/cycles/{cycle_id:uuid}/demand", guards=[COOPS], status_code=303)
    async def save_demand(
        self,
        request: Request[Any, Any, Any],
        cycle_id: FromPath[UUID],
        coop_page: CoopPages,
    ) -> Response[Any]:
        """The whole round from the form: a row per line, empty rows left out; on a
        mistake the page again, as typed, the mistakes beside their fields."""
        same_site(request)
        return await coop_page.save(request, cycle_id, await request.form())

    @post("/cycles/{cycle_id:uuid}/demand/upload", guards=[COOPS], status_code=303)
    async def upload_demand(
        self,
        request: Request[Any, Any, Any],
        cycle_id: FromPath[UUID],
        coop_page: CoopPages,
    ) -> Response[Any]:
        """Replace the round from a spreadsheet, as ``PUT .../lines/upload`` does; every
        bad row is listed on the page."""
        same_site(request)
        return await coop_page.upload(request, cycle_id, await request.form())

    @get("/cycles/{cycle_id:uuid}/demand/template.csv", guards=[COOPS])
    async def demand_template(
        self, request: Request[Any, Any, Any], cycle_id: FromPath[UUID], coop_page: CoopPages
    ) -> Response[str]:
        """A spreadsheet to fill in: a row per product of the cycle's network."""
        return await coop_page.template(request, cycle_id)

    @get("/runs/{run_id:uuid}/pick-list.csv", guards=[PRODUCERS])
    async def pick_list_csv(
        self, run_id: FromPath[UUID], actor: CurrentActor, runs: Runs
    ) -> Response[str]:
        lines = await runs.own_pick_lists(actor, run_id)
        return csv_response(to_csv(lines), f"pick-list-{run_id}.csv")

    @get("/runs/{run_id:uuid}/delivery-note.csv", guards=[COOPS])
    async def delivery_note_csv(
        self, run_id: FromPath[UUID], actor: CurrentActor, runs: Runs
    ) -> Response[str]:
        notes = await runs.own_delivery_notes(actor, run_id)
        return csv_response(to_csv(note_rows(notes)), f"delivery-note-{run_id}.csv")


async def _products(products: ProductService, actor: Actor) -> list[dict[str, Any]]:
    """Each product of each of the producer's networks: the current ones to offer, the
    retired ones too for naming offers already made."""
    choices = []
    for network_id in sorted(actor.network_ids, key=str):
        for product in await products.list_products(actor, network_id, retired=True):
            choices.append({"value": f"{network_id}:{product.id}", "product": product})
    return choices


# The form's own mistakes, as request structs' rules: the page says them in its language
REQUIRED = rule("`{field}` is required")
NOT_A_NUMBER = rule("`{field}` is not a number")
NOT_READ = {  # what ``numbers`` says of the text, said with the field it was typed in
    "must be a whole number": rule("`{field}` must be a whole number"),
    "must be an amount in kronor": rule("`{field}` must be an amount in kronor"),
    "has more than two decimals": rule("`{field}` has more than two decimals"),
    "must be decimal degrees, like 59.86": rule("`{field}` must be decimal degrees, like 59.86"),
    "is too long to be such a number": rule("`{field}` is too long to be such a number"),
}


def _pack_units(
    values: dict[str, str], choices: list[dict[str, Any]], language: str
) -> dict[str, str]:
    """The pack's size as the producer types it, in the product's kg, l or st in their
    number format ("5" kg of a 500 g product), as whole catalogue units in
    ``values["pack_units"]`` (what the API takes); else the field's error, saying which
    sizes are possible."""
    say = i18n.gettext_for(language)
    chosen = next((c["product"] for c in choices if c["value"] == values.get("product")), None)
    if chosen is None:
        return {}  # the API names an unknown product
    text = values.get("pack_size", "")
    if not text.strip():
        return {"pack_size": say("Write the pack's size.")}
    try:
        units = amounts.read_units(text, Measure.of_product(chosen), chosen.name, language)
    except amounts.AmountError as exc:
        return {"pack_size": say(exc.message, **exc.values)}
    if units < 1:
        return {"pack_size": say("Write the pack's size.")}
    values["pack_units"] = str(units)
    return {}


def _int(form: Mapping[str, Any], name: str, default: int | None = None) -> int | None:
    text = str(form.get(name, "")).strip()
    if not text:
        if default is None and name.startswith(("firm", "pack")):
            raise ValueError(Phrase(REQUIRED, {"field": name.split(":")[0]}))
        return default
    return _read(numbers.whole_number, name, text)


def _ore(form: Mapping[str, Any], name: str, default: int | None = 0) -> int | None:
    """Kronor as typed (``12,50`` or ``12.50``) into whole öre."""
    text = str(form.get(name, "")).strip()
    if not text:
        if name == "price_per_pack":
            raise ValueError("`price_per_pack` is required")
        return default
    return _read(numbers.kronor_to_ore, name, text)


def _degrees(form: Mapping[str, Any], name: str) -> float:
    return _read(numbers.degrees, name, str(form.get(name, "")))


def _read(reader: Callable[[str], T], name: str, text: str) -> T:
    try:
        return reader(text)
    except numbers.NumberError as exc:
        message = NOT_READ.get(str(exc), NOT_A_NUMBER)
        raise ValueError(Phrase(message, {"field": name.split(":")[0]})) from None


def _time(text: str) -> str:
    """A time input's ``HH:MM`` as the API's ``HH:MM:SS``."""
    text = text.strip()
    return text + ":00" if len(text) == 5 else text


def _windows(form: FormMultiDict) -> list[tuple[str, str]]:
    """The offer's pickup windows as typed: (opens, closes) per row."""
    opens = [str(value)[:8] for value in form.getall("opens", [])]
    closes = [str(value)[:8] for value in form.getall("closes", [])]
    return list(zip(opens, closes, strict=False))[:14]


def profile_windows(me: OrganisationOut) -> list[tuple[str, str]]:
    """The producer's pickup hours as an offer's windows: each distinct time of day of
    its weekly hours, overlapping ones joined (an offer's windows may not overlap)."""
    joined: list[list[dt.time]] = []
    for opens, closes in sorted({(w.opens, w.closes) for w in me.windows}):
        if joined and opens <= joined[-1][1]:
            joined[-1][1] = max(joined[-1][1], closes)
        else:
            joined.append([opens, closes])
    return [(o.strftime("%H:%M"), c.strftime("%H:%M")) for o, c in joined] or [("07:00", "11:00")]


async def _producer_page(
    request: Request[Any, Any, Any],
    actor: Actor,
    services: tuple[OfferService, OrganisationService, NetworkService, ProductService, RunService],
    conn: Conn,
    settings: Settings,
    typed: tuple[dict[str, str], list[tuple[str, str]]] | None,
    geocoder: Geocoder | None,
    joining: JoiningService,
    errors: dict[str, str] | None = None,
) -> Template:
    """The producer's page; the new offer's form prefilled from the profile, or as
    ``typed`` with the address searched (``geocoder``) when its search button sent it."""
    offers, organisations, networks, products, runs = services
    own = await offers.list_offers(
        actor, OfferFilters(producer_id=actor.organisation_id), None, 200
    )
    documents = []
    for published in await runs_db.select_published_runs(conn, list(actor.network_ids)):
        lines = await runs.own_pick_lists(actor, published["id"])
        documents.append({"run": published, "lines": lines})
    assert actor.organisation_id is not None
    me = await organisations.get(actor, actor.organisation_id)
    today = dt.date.today()
    values, windows = typed or (
        {"valid_from": today.isoformat(), **place_values(me.location, "")},
        profile_windows(me),
    )
    known = await references(actor, actor.network_ids, networks, organisations)
    found = None
    if typed is not None and not errors:
        found = await search_place(
            geocoder, values, "", language_of(request), near_of(known), actor
        )
    choices = await _products(products, actor)
    return page(
        request,
        "producer",
        status_code=422 if errors else 200,
        offers=own.items,
        documents=documents,
        choices=choices,
        measures={c["product"].id: Measure.of_product(c["product"]) for c in choices},
        labels={c["value"]: _choice_label(c["product"], language_of(request)) for c in choices},
        me=me,
        values=values,
        windows=[*windows, ("", "")],
        errors=errors or {},
        error_links={name: offer_form.anchor(name) for name in errors or {}},
        place=place_context(settings, known, values, "", found),
        directories=await _directories(networks, actor),
        today=today,
        place_missing=me.location is None,
        waiting=await joining.waiting_of(me.id),
    )


def _choice_label(product: ProductOut, language: str) -> str:
    """A product in the offer form's menu: its unit, the pack's size is typed in, and
    the size of its catalogue unit when that is not a whole one (500 g of a kg product),
    in the words the co-ops' order page uses."""
    unit = i18n.unit(product.unit, language)
    measure = Measure.of_product(product)
    if measure.per_unit == 1000:
        return f"{product.name} ({unit})"
    size = amounts.unit_size(measure, language)
    return i18n.translate(
        language,
        "{product} ({unit}, sold in units of {size})",
        {"product": product.name, "unit": unit, "size": size},
    )


async def _directories(networks: NetworkService, actor: Actor) -> list[tuple[UUID, str]]:
    """The networks whose producer directory the member may open: (id, name)."""
    shown = [await networks.get(actor, network_id) for network_id in actor.network_ids]
    return sorted(((n.id, n.name) for n in shown), key=lambda item: item[1])
