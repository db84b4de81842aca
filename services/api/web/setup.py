"""The coordinators' network setup pages: settings, vehicles and the catalogue.

Forms become the API's own request structs (``NetworkPatch``, ``VehicleIn``,
``ProductIn``) and go to the services the API uses, so a form is checked exactly as a
JSON body is. A form with a mistake comes back with what was typed and an error beside
each field it can name; settings carry the version the page showed, as ``If-Match``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template

from services.api.auth.guards import MANAGERS
from services.api.core import numbers
from services.api.core.bulk import BadUploadError
from services.api.deps import CurrentActor, Networks, Products
from services.api.networks.schemas import (
    TIMEZONES,
    NetworkOut,
    NetworkPatch,
    VehicleIn,
    VehicleOut,
)
from services.api.networks.service import network_out
from services.api.products.schemas import ProductIn, ProductOut
from services.api.products.upload import read_products
from services.api.web.pages import back, page, same_site
from shared.contracts.catalogue import CATEGORIES
from shared.errors import ConflictError, NotFoundError, PreconditionFailedError, SamlastError

MAX_UPLOAD_BYTES = 2_000_000

# What each field's error says (a key of the pages' catalogue: shown in the page's language).
MESSAGES = {
    "name": "write a name, at most 200 characters",
    "region": "at most 200 characters",
    "timezone": "a time zone like Europe/Stockholm",
    "hub_address": "at most 500 characters",
    "hub_lat": "a latitude in decimal degrees, like 59.86",
    "hub_lon": "a longitude in decimal degrees, like 17.64",
    "producer_share_percent": "a percentage from 0 to 100, at most one decimal",
    "handling_kr_per_kg": "an amount in kronor per kg, like 0,50",
    "kr_per_tonne_km": "an amount in kronor per tonne-km, at most 1 000",
    "deadline_reminder_hours": "a whole number of hours from 0 to 720",
    "capacity_kg": "a number of kg, like 1200",
    "capacity_l": "a number of litres, like 8000",
    "start_lat": "a latitude in decimal degrees, like 59.86",
    "start_lon": "a longitude in decimal degrees, like 17.64",
    "shift_start": "the shift must start before it ends",
    "shift_end": "a time like 18:00",
    "cost_per_km": "an amount in kronor, like 4,50",
    "cost_per_hour": "an amount in kronor, like 350",
    "fixed_cost": "an amount in kronor, like 200",
    "unit": "choose a unit",
    "grams_per_unit": "a whole number of grams",
    "ml_per_unit": "a whole number of millilitres",
    "kg_per_unit": "a number of kg like 1,5",
    "l_per_unit": "a number of litres like 1,5",
    "temperature": "choose a temperature class",
    "category": "choose a category from the list",
}
# The structs' fields (as msgspec's messages name them) -> the forms' fields.
FORM_FIELD = {
    "hub.lat": "hub_lat",
    "hub.lon": "hub_lon",
    "hub.address": "hub_address",
    "hub": "hub_lat",
    "producer_share_permille": "producer_share_percent",
    "transport_handling_ore_per_kg": "handling_kr_per_kg",
    "transport_ore_per_tonne_km": "kr_per_tonne_km",
    "capacity_grams": "capacity_kg",
    "capacity_ml": "capacity_l",
    "start.lat": "start_lat",
    "start.lon": "start_lon",
    "start": "start_lat",
    "cost_per_km_ore": "cost_per_km",
    "cost_per_hour_ore": "cost_per_hour",
    "fixed_cost_ore": "fixed_cost",
}
SETTINGS_FIELDS = (
    "version",
    "name",
    "region",
    "timezone",
    "hub_address",
    "hub_lat",
    "hub_lon",
    "producer_share_percent",
    "handling_kr_per_kg",
    "kr_per_tonne_km",
    "deadline_reminder_hours",
)
VEHICLE_FIELDS = (
    "name",
    "capacity_kg",
    "capacity_l",
    "cold_capable",
    "start_lat",
    "start_lon",
    "shift_start",
    "shift_end",
    "cost_per_km",
    "cost_per_hour",
    "fixed_cost",
)
PRODUCT_FIELDS = ("name", "unit", "grams_per_unit", "ml_per_unit", "temperature", "category")
Req = Request[Any, Any, Any]


class FormError(Exception):
    """The form's mistakes, field by field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


class FormReader:
    """Reads people's spellings of the form's numbers, noting each field it can't read."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.errors: dict[str, str] = {}

    def text(self, name: str) -> str:
        return self.values.get(name, "").strip()

    def number(self, name: str, reader: Callable[[str], Any], *, required: bool = True) -> Any:
        text = self.text(name)
        if not text:
            if required:
                self.errors[name] = MESSAGES[name]
            return None
        try:
            return reader(text)
        except numbers.NumberError:
            self.errors[name] = MESSAGES[name]
            return None

    def convert(self, fields: dict[str, Any], target: type[Any]) -> Any:
        """The struct, or every mistake found: ours first, then the struct's own."""
        if self.errors:
            raise FormError(self.errors)
        try:
            return msgspec.convert(fields, target)
        except (msgspec.ValidationError, ValueError) as exc:
            name = form_field(str(exc))
            raise FormError({name: MESSAGES.get(name, "check this field")}) from None


def form_field(message: str) -> str:
    """The form field a msgspec message names (``at `$.hub.lat``` or `` `timezone` ``)."""
    found = re.search(r"`\$\.([\w.]+)`", message) or re.search(r"`(\w+)`", message)
    name = found.group(1) if found else "name"
    return FORM_FIELD.get(name, name)


class SetupPages(Controller):
    path = "/app/networks/{network_id:uuid}"
    guards = [MANAGERS]
    include_in_schema = False

    # -- settings -----------------------------------------------------------------------

    @get("/settings")
    async def settings(
        self, request: Req, network_id: FromPath[UUID], actor: CurrentActor, networks: Networks
    ) -> Template:
        network = network_out(await networks.managed(actor, network_id))
        return _settings(request, network, shown_settings(network), {})

    @post("/settings", status_code=303)
    async def save_settings(
        self, request: Req, network_id: FromPath[UUID], actor: CurrentActor, networks: Networks
    ) -> Response[Any]:
        same_site(request)
        network = network_out(await networks.managed(actor, network_id))
        values = await _values(request, SETTINGS_FIELDS)
        try:
            patch = settings_patch(values)
            await networks.update(actor, network_id, patch, f'"{values["version"]}"')
        except FormError as exc:
            return _settings(request, network, values, exc.errors)
        except PreconditionFailedError:
            # what was typed stays; saving again saves it over the newer version
            stale = "someone saved the settings meanwhile; check them and save again"
            values["version"] = str(network.version)
            return _settings(request, network, values, {}, error=stale, status_code=412)
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
            request, "network_vehicle", network, shown_vehicle(vehicle), {}, vehicle=vehicle
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
                import_error=exc.whole,
                row_errors=exc.rows,
            )
        return back(f"/app/networks/{network_id}/products", done="products imported")


class ImportRefusedError(Exception):
    """Nothing imported: what was wrong with the file as a whole, or with each row."""

    def __init__(self, whole: str | None, rows: list[dict[str, Any]]) -> None:
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
        raise ImportRefusedError(None if rows else exc.detail, rows) from None


# -- forms into the API's structs ---------------------------------------------------------


def shown_settings(network: NetworkOut) -> dict[str, str]:
    """The settings as the form shows them: money in kronor, the share in per cent."""
    return {
        "version": str(network.version),
        "name": network.name,
        "region": network.region,
        "timezone": network.timezone,
        "hub_address": network.hub.address if network.hub else "",
        "hub_lat": str(network.hub.lat) if network.hub else "",
        "hub_lon": str(network.hub.lon) if network.hub else "",
        "producer_share_percent": _tenths(network.producer_share_permille),
        "handling_kr_per_kg": _kronor(network.transport_handling_ore_per_kg),
        "kr_per_tonne_km": _kronor(network.transport_ore_per_tonne_km),
        "deadline_reminder_hours": str(network.deadline_reminder_hours),
    }


def shown_vehicle(vehicle: VehicleOut) -> dict[str, str]:
    """The vehicle as the form shows it: kg, litres and kronor."""
    return {
        "name": vehicle.name,
        "capacity_kg": _thousandths(vehicle.capacity_grams),
        "capacity_l": _thousandths(vehicle.capacity_ml),
        "cold_capable": "on" if vehicle.cold_capable else "",
        "start_lat": str(vehicle.start.lat),
        "start_lon": str(vehicle.start.lon),
        "shift_start": vehicle.shift_start.strftime("%H:%M"),
        "shift_end": vehicle.shift_end.strftime("%H:%M"),
        "cost_per_km": _kronor(vehicle.cost_per_km_ore),
        "cost_per_hour": _kronor(vehicle.cost_per_hour_ore),
        "fixed_cost": _kronor(vehicle.fixed_cost_ore),
    }


def settings_patch(values: dict[str, str]) -> NetworkPatch:
    form = FormReader(values)
    lat = form.number("hub_lat", numbers.degrees, required=False)
    lon = form.number("hub_lon", numbers.degrees, required=False)
    hub: dict[str, Any] | None = None
    if lat is not None or lon is not None or form.text("hub_address"):
        for name, value in (("hub_lat", lat), ("hub_lon", lon)):
            if value is None:
                form.errors.setdefault(name, MESSAGES[name])
        hub = {"lat": lat, "lon": lon, "address": form.text("hub_address")}
    fields = {
        "name": form.text("name"),
        "region": form.text("region"),
        "timezone": form.text("timezone"),
        "hub": hub,
        "producer_share_permille": form.number(
            "producer_share_percent", numbers.percent_to_permille
        ),
        "transport_handling_ore_per_kg": form.number("handling_kr_per_kg", numbers.kronor_to_ore),
        "transport_ore_per_tonne_km": form.number("kr_per_tonne_km", numbers.kronor_to_ore),
        "deadline_reminder_hours": form.number("deadline_reminder_hours", numbers.whole_number),
    }
    if fields["timezone"] not in TIMEZONES:
        form.errors["timezone"] = MESSAGES["timezone"]
    patch: NetworkPatch = form.convert(fields, NetworkPatch)
    return patch


def vehicle_in(values: dict[str, str]) -> VehicleIn:
    form = FormReader(values)
    fields = {
        "name": form.text("name"),
        "capacity_grams": form.number("capacity_kg", numbers.thousandths),
        "capacity_ml": form.number("capacity_l", numbers.thousandths),
        "cold_capable": values.get("cold_capable") == "on",
        "start": {
            "lat": form.number("start_lat", numbers.degrees),
            "lon": form.number("start_lon", numbers.degrees),
        },
        "shift_start": _time(form, "shift_start"),
        "shift_end": _time(form, "shift_end"),
        "cost_per_km_ore": form.number("cost_per_km", numbers.kronor_to_ore, required=False) or 0,
        "cost_per_hour_ore": form.number("cost_per_hour", numbers.kronor_to_ore, required=False)
        or 0,
        "fixed_cost_ore": form.number("fixed_cost", numbers.kronor_to_ore, required=False) or 0,
    }
    vehicle: VehicleIn = form.convert(fields, VehicleIn)
    return vehicle


def product_in(values: dict[str, str]) -> ProductIn:
    form = FormReader(values)
    fields = {
        "name": form.text("name"),
        "unit": form.text("unit"),
        "grams_per_unit": form.number("grams_per_unit", numbers.whole_number),
        "ml_per_unit": form.number("ml_per_unit", numbers.whole_number),
        "temperature": form.text("temperature") or "ambient",
        "category": form.text("category"),
    }
    if fields["category"] and fields["category"] not in CATEGORIES:
        form.errors["category"] = MESSAGES["category"]
    product: ProductIn = form.convert(fields, ProductIn)
    return product


def _time(form: FormReader, name: str) -> str:
    """A time input's ``HH:MM`` as the API's ``HH:MM:SS``."""
    text = form.text(name)
    if not re.fullmatch(r"\d\d:\d\d(:\d\d)?", text):
        form.errors[name] = MESSAGES["shift_end"]
    return text + ":00" if len(text) == 5 else text


def _kronor(ore: int) -> str:
    return f"{ore // 100},{ore % 100:02d}"


def _thousandths(amount: int) -> str:
    whole, rest = divmod(amount, 1000)
    return str(whole) if not rest else f"{whole},{rest:03d}".rstrip("0")


def _tenths(permille: int) -> str:
    return str(permille // 10) if permille % 10 == 0 else f"{permille // 10},{permille % 10}"


# -- pages ----------------------------------------------------------------------------------


async def _values(request: Req, fields: tuple[str, ...]) -> dict[str, str]:
    form = await request.form()
    return {name: str(form.get(name, ""))[:500] for name in fields if name in form}


def _settings(
    request: Req,
    network: NetworkOut,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    error: str | None = None,
    status_code: int | None = None,
) -> Template:
    return page(
        request,
        "network_settings",
        network=network,
        values=values,
        errors=errors,
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
