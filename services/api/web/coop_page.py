"""The co-op's page: its order in each open cycle and its part of published runs.

Saving the order or uploading a spreadsheet either goes back to the page saying it was
done, or shows the page again (422) with everything as typed and each mistake beside
its field (a spreadsheet's: each bad row listed).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Request, Response
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.response import Template

from services.api.auth.actor import Actor
from services.api.cycles.schemas import CycleOut
from services.api.cycles.service import CycleService
from services.api.demand.schemas import DemandLineIn, DemandRoundOut
from services.api.demand.service import DemandService
from services.api.demand.upload import Say, plain, template
from services.api.directory.service import DirectoryService
from services.api.joining.service import JoiningService
from services.api.networks.service import NetworkService
from services.api.offers.service import OfferService
from services.api.organisations.service import OrganisationService
from services.api.products.schemas import ProductOut
from services.api.products.service import ProductService
from services.api.runs.documents import csv_response
from services.api.runs.service import RunService
from services.api.web import i18n
from services.api.web.ordering import (
    TypedOrder,
    estimate_ore,
    order_products,
    read_order,
    row_errors_by_key,
    with_typed,
)
from services.api.web.pages import back, language_of, page, said
from shared.db import runs as runs_db
from shared.db.pool import Conn
from shared.errors import SamlastError, UnprocessableError

COOP_PAGE = "/app/coop"
# an upload's columns as the page names them (its row errors name the field)
FIELD_LABELS = {
    "product": "Product",
    "product_id": "Product",
    "quantity": "How much",
    "firm_quantity": "How much",
    "extra": "Extra we accept",
    "tolerance": "Extra we accept",
    "max_price": "Highest price",
    "max_unit_price_ore": "Highest price",
}


@dataclass(frozen=True)
class Upload:
    """A spreadsheet refused: its cycle, and why (the whole file, or row by row)."""

    cycle_id: UUID
    problem: str
    rows: list[dict[str, Any]]
    row_count: int


@dataclass(frozen=True)
class CoopPage:
    actor: Actor
    cycles: CycleService
    demand: DemandService
    networks: NetworkService
    products: ProductService
    runs: RunService
    organisations: OrganisationService
    joining: JoiningService
    offers: OfferService
    directories: DirectoryService
    conn: Conn

    async def render(
        self,
        request: Request[Any, Any, Any],
        typed: TypedOrder | None = None,
        upload: Upload | None = None,
    ) -> Template:
        actor = self.actor
        assert actor.organisation_id is not None
        language = language_of(request)
        me = await self.organisations.get(actor, actor.organisation_id)
        documents = []
        for published in await runs_db.select_published_runs(self.conn, list(actor.network_ids)):
            notes = await self.runs.own_delivery_notes(actor, published["id"])
            documents.append({"run": published, "notes": notes})
        rounds = []
        for network_id in sorted(actor.network_ids, key=str):
            zone = (await self.networks.get(actor, network_id)).timezone
            catalogue = await self.products.list_products(actor, network_id, retired=True)
            for cycle in await self.cycles.list_cycles(actor, network_id):
                if cycle.accepting_demand:
                    rounds.append(await self._round(cycle, catalogue, zone, language, typed))
        failed = typed is not None or upload is not None
        return page(
            request,
            "coop",
            status_code=422 if failed else 200,
            documents=documents,
            rounds=rounds,
            typed=typed,
            upload=upload,
            directories=await self._directories(),
            place_missing=me.location is None,
            waiting=await self.joining.waiting_of(me.id),
            amount_example="1.5" if language == "en" else "1,5",
            field_labels=FIELD_LABELS,
        )

    async def _round(
        self,
        cycle: CycleOut,
        catalogue: list[ProductOut],
        zone: str,
        language: str,
        typed: TypedOrder | None,
    ) -> dict[str, Any]:
        mine = await self.demand.list_rounds(self.actor, cycle.id)
        current = mine[0] if mine else None
        products = await order_products(
            self.actor, cycle, catalogue, current, self.offers, self.directories, language
        )
        mine_typed = typed if typed is not None and typed.cycle_id == cycle.id else None
        if mine_typed is not None:
            with_typed(products, mine_typed)
        total, unpriced = estimate_ore(products, language)
        return {
            "cycle": cycle,
            "round": current,
            "version": mine_typed.version if mine_typed else (current.version if current else ""),
            "products": products,
            "errors": mine_typed.errors if mine_typed else {},
            "problem": mine_typed.problem if mine_typed else None,
            "total_ore": total,
            "unpriced": unpriced,
            "zone": zone,
        }

    async def save(
        self, request: Request[Any, Any, Any], cycle_id: UUID, form: FormMultiDict
    ) -> Response[Any]:
        language = language_of(request)
        say = i18n.gettext_for(language)
        cycle = await self.cycles.get(self.actor, cycle_id)
        catalogue = {
            p.id: p
            for p in await self.products.list_products(self.actor, cycle.network_id, retired=True)
        }
        # a key named twice is one row (its fields are read once)
        rows = list(dict.fromkeys(str(key)[:80] for key in form.getall("row", [])))
        lines, keys, typed = read_order(form, rows, catalogue, language, say)
        version = str(form.get("version", ""))[:12]
        typed = dataclasses.replace(typed, cycle_id=cycle_id, version=version)
        if typed.errors:
            return await self.render(request, typed=typed)
        try:
            await self._replace(cycle_id, version, lines=lines)
        except UnprocessableError as exc:
            names = {
                key: catalogue[line.product_id].name for key, line in zip(keys, lines, strict=True)
            }
            errors = row_errors_by_key(exc.extra.get("errors", []), keys, names, say)
            problem = None if errors else said(request, exc)
            return await self.render(
                request, typed=dataclasses.replace(typed, errors=errors, problem=problem)
            )
        except SamlastError as exc:
            fresh = await self.demand.list_rounds(self.actor, cycle_id)
            again = str(fresh[0].version) if fresh else ""
            return await self.render(
                request,
                typed=dataclasses.replace(typed, problem=said(request, exc), version=again),
            )
        return back(COOP_PAGE, done="demand saved")

    async def upload(
        self, request: Request[Any, Any, Any], cycle_id: UUID, form: FormMultiDict
    ) -> Response[Any]:
        sheet = form.get("file")
        if not isinstance(sheet, UploadFile):
            return back(COOP_PAGE, error="choose a CSV file to upload")
        body = await sheet.read()
        say = i18n.gettext_for(language_of(request))
        try:
            await self._replace(cycle_id, str(form.get("version", ""))[:12], csv=body, say=say)
        except UnprocessableError as exc:
            refused = Upload(
                cycle_id,
                said(request, exc),
                list(exc.extra.get("errors", [])),
                int(exc.extra.get("error_count", 0)),
            )
            return await self.render(request, upload=refused)
        except SamlastError as exc:
            return await self.render(request, upload=Upload(cycle_id, said(request, exc), [], 0))
        return back(COOP_PAGE, done="demand saved")

    async def template(self, request: Request[Any, Any, Any], cycle_id: UUID) -> Response[str]:
        cycle = await self.cycles.get(self.actor, cycle_id)
        catalogue = await self.products.list_products(self.actor, cycle.network_id)
        sheet = template(language_of(request), [p.name for p in catalogue])
        return csv_response(sheet, f"order-{cycle.delivery_date}.csv", bom=True)

    async def _replace(
        self,
        cycle_id: UUID,
        version: str,
        *,
        lines: list[DemandLineIn] | None = None,
        csv: bytes | None = None,
        say: Say = plain,
    ) -> None:
        """Create the co-op's round in the cycle, or replace its lines at ``version``."""
        demand, actor = self.demand, self.actor
        mine: list[DemandRoundOut] = await demand.list_rounds(actor, cycle_id)
        if not mine:
            created = await demand.create(actor, cycle_id, lines or [])
            if csv is None:
                return
            mine, version = [created], str(created.version)
        if csv is not None:
            await demand.upload_lines(actor, mine[0].id, csv, "text/csv", f'"{version}"', say)
        else:
            await demand.replace_lines(actor, mine[0].id, lines or [], f'"{version}"')

    async def _directories(self) -> list[tuple[UUID, str]]:
        """The networks whose producer directory the member may open: (id, name)."""
        shown = [await self.networks.get(self.actor, n) for n in self.actor.network_ids]
        return sorted(((n.id, n.name) for n in shown), key=lambda item: item[1])
