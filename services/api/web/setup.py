"""The coordinators' network setup pages: settings, vehicles and the catalogue.

Forms become the API's own request structs (``NetworkPatch``, ``VehicleIn``,
``ProductIn``) and go to the services the API uses, so a form is checked exactly as a
JSON body is. A form with a mistake comes back with what was typed and an error beside
each field it can name; settings carry the version the page showed, as ``If-Match``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from services.api.auth.guards import MANAGERS
from services.api.core.bulk import BadUploadError
from services.api.core.types import WeeklyWindow
from services.api.deps import CurrentActor, Db, Networks, Organisations, Products
from services.api.federation.peering.networks import NetworkPeerOut
from services.api.networks.schemas import NetworkOut, NetworkPatch, VehicleOut
from services.api.networks.service import network_out
from services.api.products.schemas import ProductOut
from services.api.products.upload import read_products
from services.api.web import i18n
from services.api.web.hours import form_rows, read_windows, shown_rows, window_rows
from services.api.web.network_peers import peers_of
from services.api.web.pages import back, language_of, page, same_site
from services.api.web.places import (
    apply_pick,
    near_of,
    place_context,
    references,
    search_place,
    searched,
)
from services.api.web.setup_forms import (
    MESSAGES,
    PRODUCT_FIELDS,
    SETTINGS_FIELDS,
    VEHICLE_FIELDS,
    FormError,
    product_in,
    settings_patch,
    shown_settings,
    shown_vehicle,
    vehicle_in,
)
from shared.contracts.catalogue import CATEGORIES
from shared.errors import (
    ConflictError,
    NotFoundError,
    Phrase,
    PreconditionFailedError,
    SamlastError,
)
from shared.settings import Settings

MAX_UPLOAD_BYTES = 2_000_000
HUB = "hub_"  # the prefix of the hub's place fields
BLANK_ROWS = 2  # empty rows of the hub's hours, to add a day to
Req = Request[Any, Any, Any]


class SetupPages(Controller):
    path = "/app/networks/{network_id:uuid}"
    guards = [MANAGERS]
    include_in_schema = False

    # -- settings -----------------------------------------------------------------------

    @get("/settings")
    async def settings(
        self,
        request: Req,
        network_id: FromPath[UUID],
        actor: CurrentActor,
        networks: Networks,
        organisations: Organisations,
        settings: NamedDependency[Settings],
        conn: Db,
    ) -> Template:
        network = network_out(await networks.managed(actor, network_id))
        known = await references(actor, [network_id], networks, organisations)
        values = shown_settings(network, language_of(request))
        place = place_context(settings, known, values, HUB, None)
        rows = window_rows(network.hub_hours)
        # federation (fed-feed): the peers whose shared offers the network lists
        peers = await peers_of(conn, actor, network_id, settings.federation.stale_s)
        return _settings(request, network, values, rows, {}, place=place, peers=peers)

    @post("/settings", status_code=303)
    async def save_settings(
        self,
        request: Req,
        network_id: FromPath[UUID],
        actor: CurrentActor,
        networks: Networks,
        organisations: Organisations,
        settings: NamedDependency[Settings],
        state: State,
        conn: Db,
    ) -> Response[Any]:
        same_site(request)
        network = network_out(await networks.managed(actor, network_id))
        # federation (fed-feed): the peers' section stays on the page when it is shown again
        peers = await peers_of(conn, actor, network_id, settings.federation.stale_s)
        values = await _values(request, SETTINGS_FIELDS)
        form = await request.form()
        rows = form_rows(form)
        known = await references(actor, [network_id], networks, organisations)
        if searched(form) == HUB:
            found = await search_place(
                state.geocoder, values, HUB, language_of(request), near_of(known), actor
            )
            place = place_context(settings, known, values, HUB, found)
            return _settings(request, network, values, rows, {}, place=place, peers=peers)
        apply_pick(values, HUB)
        place = place_context(settings, known, values, HUB, None)
        try:
            patch = _settings_patch(values, rows)
            await networks.update(actor, network_id, patch, f'"{values.get("version", "")}"')
        except FormError as exc:
            return _settings(request, network, values, rows, exc.errors, place=place, peers=peers)
        except PreconditionFailedError:
            # what was typed stays; saving again saves it over the newer version
            stale = "someone saved the settings meanwhile; check them and save again"
            values["version"] = str(network.version)
            return _settings(
                request,
                network,
                values,
                rows,
                {},
                error=stale,
                status_code=412,
                place=place,
                peers=peers,
            )
        return back(f"/app/networks/{network_id}/settings", done="settings saved")

    # -- vehicles -----------------------------------------------------------------------

    @get("/vehicles")
    async def vehicles(
        self, request: Req, network_id: FromPath[UUID], actor: CurrentActor, networks: Networks
    ) -> Template:
        values = {"shift_start": "06:00", "shift_end": "18:00"}
        return await _vehicles(request, networks, actor, network_id, values, {})

    @post("/vehicles", status_code=303)
    async def add_vehicle(
        self, request: Req, network_id: FromPath[UUID], actor: CurrentActor, networks: Networks
    ) -> Response[Any]:
        same_site(request)
        values = await _values(request, VEHICLE_FIELDS)
        try:
            await networks.add_vehicle(actor, network_id, vehicle_in(values))
        except FormError as exc:
            return await _vehicles(request, networks, actor, network_id, values, exc.errors)
        except ConflictError:
            errors = {"name": "the network already has a vehicle by that name"}
            return await _vehicles(request, networks, actor, network_id, values, errors)
        return back(f"/app/networks/{network_id}/vehicles", done="vehicle added")

    @post("/vehicles/{vehicle_id:uuid}/retire", status_code=303)
    async def retire_vehicle(
        self,
        request: Req,
        network_id: FromPath[UUID],
        vehicle_id: FromPath[UUID],
        actor: CurrentActor,
        networks: Networks,
    ) -> Redirect:
        same_site(request)
        await networks.retire_vehicle(actor, network_id, vehicle_id)
        return back(f"/app/networks/{network_id}/vehicles", done="vehicle retired")

    @get("/vehicles/{vehicle_id:uuid}")
    async def vehicle(
        self,
        request: Req,
        network_id: FromPath[UUID],
        vehicle_id: FromPath[UUID],
        actor: CurrentActor,
        networks: Networks,
    ) -> Template:
        network, vehicle = await _vehicle_of(networks, actor, network_id, vehicle_id)
        return _edit(
            request,
            "network_vehicle",
            network,
            shown_vehicle(vehicle, language_of(request)),
            {},
            vehicle=vehicle,
        )

    @post("/vehicles/{vehicle_id:uuid}", status_code=303)
    async def save_vehicle(
        self,
        request: Req,
        network_id: FromPath[UUID],
        vehicle_id: FromPath[UUID],
        actor: CurrentActor,
        networks: Networks,
    ) -> Response[Any]:
        same_site(request)
        network, vehicle = await _vehicle_of(networks, actor, network_id, vehicle_id)
        values = await _values(request, VEHICLE_FIELDS)
        try:
            await networks.update_vehicle(actor, network_id, vehicle_id, vehicle_in(values))
        except FormError as exc:
            return _edit(request, "network_vehicle", network, values, exc.errors, vehicle=vehicle)
        except ConflictError:
            errors = {"name": "the network already has a vehicle by that name"}
            return _edit(request, "network_vehicle", network, values, errors, vehicle=vehicle)
        return back(f"/app/networks/{network_id}/vehicles", done="vehicle saved")

    # -- the catalogue ------------------------------------------------------------------

    @get("/products")
    async def products(
        self,
        request: Req,
        network_id: FromPath[UUID],
        actor: CurrentActor,
        networks: Networks,
        products: Products,
    ) -> Template:
        values = {"unit": "kg", "temperature": "ambient"}
        return await _catalogue(request, networks, products, actor, network_id, values, {})

    @post("/products", status_code=303)
    async def add_product(
        self,
        request: Req,
        network_id: FromPath[UUID],
        actor: CurrentActor,
        networks: Networks,
        products: Products,
    ) -> Response[Any]:
        same_site(request)
        values = await _values(request, PRODUCT_FIELDS)
        try:
            await products.create(actor, network_id, product_in(values))
        except FormError as exc:
            return await _catalogue(
                request, networks, products, actor, network_id, values, exc.errors
            )
        except ConflictError:
            errors = {"name": "the catalogue already has a product by that name"}
            return await _catalogue(request, networks, products, actor, network_id, values, errors)
        return back(f"/app/networks/{network_id}/products", done="product added")

    @get("/products/{product_id:uuid}")
    async def product(
        self,
        request: Req,
        network_id: FromPath[UUID],
        product_id: FromPath[UUID],
        actor: CurrentActor,
        networks: Networks,
        products: Products,
    ) -> Template:
        network, product = await _product_of(networks, products, actor, network_id, product_id)
        values = {name: str(getattr(product, name)) for name in PRODUCT_FIELDS}
        return _edit(
            request, "network_product", network, values, {}, product=product, categories=CATEGORIES
        )

    @post("/products/{product_id:uuid}", status_code=303)
    async def save_product(
        self,
        request: Req,
        network_id: FromPath[UUID],
        product_id: FromPath[UUID],
        actor: CurrentActor,
        networks: Networks,
        products: Products,
    ) -> Response[Any]:
        same_site(request)
        network, product = await _product_of(networks, products, actor, network_id, product_id)
        values = await _values(request, PRODUCT_FIELDS)
        context = {"product": product, "categories": CATEGORIES}
        try:
            await products.update(actor, product_id, product_in(values))
        except FormError as exc:
            return _edit(request, "network_product", network, values, exc.errors, **context)
        except ConflictError:
            errors = {"name": "the catalogue already has a product by that name"}
            return _edit(request, "network_product", network, values, errors, **context)
        return back(f"/app/networks/{network_id}/products", done="product saved")

    @post("/products/{product_id:uuid}/retire", status_code=303)
    async def retire_product(
        self,
        request: Req,
        network_id: FromPath[UUID],
        product_id: FromPath[UUID],
        actor: CurrentActor,
        networks: Networks,
        products: Products,
    ) -> Redirect:
        same_site(request)
        await _product_of(networks, products, actor, network_id, product_id)
        await products.retire(actor, product_id)
        return back(f"/app/networks/{network_id}/products", done="product retired")

    @post("/products/import", status_code=303)
    async def import_products(
        self,
        request: Req,
        network_id: FromPath[UUID],
        actor: CurrentActor,
        networks: Networks,
        products: Products,
    ) -> Response[Any]:
        """A spreadsheet of products: all rows or none; every bad row shown."""
        same_site(request)
        await networks.managed(actor, network_id)
        upload = (await request.form()).get("file")
        try:
            await _import(actor, network_id, products, upload)
        except ImportRefusedError as exc:
            return await _catalogue(
                request,
                networks,
                products,
                actor,
                network_id,
                {"unit": "kg", "temperature": "ambient"},
                {},
                import_error=i18n.translate(
                    language_of(request), exc.whole.message, exc.whole.values
                )
                if exc.whole
                else None,
                row_errors=exc.rows,
            )
        return back(f"/app/networks/{network_id}/products", done="products imported")


class ImportRefusedError(Exception):
    """Nothing imported: what was wrong with the file as a whole, or with each row."""

    def __init__(self, whole: Phrase | None, rows: list[dict[str, Any]]) -> None:
        super().__init__(whole or f"{len(rows)} rows")
        self.whole = whole
        self.rows = rows


async def _import(actor: Any, network_id: UUID, products: Any, upload: Any) -> int:
    body = await upload.read(MAX_UPLOAD_BYTES + 1) if isinstance(upload, UploadFile) else b""
    try:
        if not body:
            raise BadUploadError("choose a CSV file to import")
        if len(body) > MAX_UPLOAD_BYTES:
            raise BadUploadError("the file is larger than 2 MB")
        items, row_errors = read_products(body)
        if row_errors:
            rows = [
                {"row": e.row, "field": e.field, "message": MESSAGES.get(e.field, e.message)}
                for e in row_errors
            ]
            raise ImportRefusedError(None, rows)
        return len(await products.create_many(actor, network_id, items))
    except SamlastError as exc:
        clashes = exc.extra.get("rows", [])
        rows = [{"row": n, "field": "name", "message": exc.detail} for n in clashes]
        whole = None if rows else Phrase(exc.message, exc.values)
        raise ImportRefusedError(whole, rows) from None


# -- pages ----------------------------------------------------------------------------------


async def _values(request: Req, fields: tuple[str, ...]) -> dict[str, str]:
    form = await request.form()
    return {name: str(form.get(name, ""))[:500] for name in fields if name in form}


def _settings_patch(values: dict[str, str], rows: list[dict[str, str]]) -> NetworkPatch:
    """The settings form's patch, the hub's hours read as the profile reads its own;
    ``FormError`` names every field that is wrong, the hours' as ``windows``."""
    errors: dict[str, str] = {}
    hours: list[WeeklyWindow] = []
    try:
        hours = read_windows(rows, required=False)
    except FormError as exc:
        errors.update(exc.errors)
    try:
        patch = settings_patch(values, hours)
    except FormError as exc:
        errors.update(exc.errors)
    if errors:
        raise FormError(errors)
    return patch


def _settings(
    request: Req,
    network: NetworkOut,
    values: dict[str, str],
    rows: list[dict[str, str]],
    errors: dict[str, str],
    *,
    place: dict[str, Any],
    error: str | None = None,
    status_code: int | None = None,
    peers: list[NetworkPeerOut] | None = None,
) -> Template:
    return page(
        request,
        "network_settings",
        network=network,
        peers=peers,
        values=values,
        rows=shown_rows(rows, BLANK_ROWS),
        errors=errors,
        place=place,
        status_code=status_code or (422 if errors else 200),
        **({"error": error} if error else {}),
    )


def _edit(
    request: Req,
    name: str,
    network: NetworkOut,
    values: dict[str, str],
    errors: dict[str, str],
    **context: Any,
) -> Template:
    status_code = 422 if errors else 200
    return page(
        request,
        name,
        network=network,
        values=values,
        errors=errors,
        status_code=status_code,
        **context,
    )


async def _vehicle_of(
    networks: Any, actor: Any, network_id: UUID, vehicle_id: UUID
) -> tuple[NetworkOut, VehicleOut]:
    """The network and its active vehicle; 404 for another network's or a retired one."""
    network = network_out(await networks.managed(actor, network_id))
    for vehicle in await networks.vehicles(actor, network_id):
        if vehicle.id == vehicle_id:
            return network, vehicle
    raise NotFoundError("no such vehicle in this network")


async def _product_of(
    networks: Any, products: Any, actor: Any, network_id: UUID, product_id: UUID
) -> tuple[NetworkOut, ProductOut]:
    """The network and its current product; 404 for another network's or a retired one."""
    network = network_out(await networks.managed(actor, network_id))
    product: ProductOut = await products.get(actor, product_id)
    if product.network_id != network_id or product.retired_at is not None:
        raise NotFoundError("no such product")
    return network, product


async def _vehicles(
    request: Req,
    networks: Any,
    actor: Any,
    network_id: UUID,
    values: dict[str, str],
    errors: dict[str, str],
) -> Template:
    network = network_out(await networks.managed(actor, network_id))
    return page(
        request,
        "network_vehicles",
        network=network,
        vehicles=await networks.vehicles(actor, network_id),
        values=values,
        errors=errors,
        status_code=422 if errors else 200,
    )


async def _catalogue(
    request: Req,
    networks: Any,
    products: Any,
    actor: Any,
    network_id: UUID,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    import_error: str | None = None,
    row_errors: list[dict[str, Any]] | None = None,
) -> Template:
    network = network_out(await networks.managed(actor, network_id))
    return page(
        request,
        "network_products",
        network=network,
        products=await products.list_products(actor, network_id),
        categories=CATEGORIES,
        values=values,
        errors=errors,
        import_error=import_error,
        row_errors=row_errors or [],
        status_code=422 if errors or row_errors or import_error else 200,
    )
