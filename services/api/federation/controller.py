from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from services.api.auth.actor import Role
from services.api.auth.guards import ANYONE, PICK_LIST_READERS, requires
from services.api.core.openapi import StateDependentOperation
from services.api.deps import CurrentActor, Federation
from services.api.federation.schemas import JSON_LD, DfcImportIn, DfcImportOut, dfc_document
from services.api.federation.service import import_dfc
from shared.federation.jsonld import CONTEXT_URL, DFC_VERSION
from shared.settings import Settings

IMPORTERS = requires(Role.COORDINATOR, Role.PRODUCER)
VERSION_NOTE = (
    f"DFC {DFC_VERSION}: JSON-LD with `@context` {CONTEXT_URL} (docs/federation.md has the "
    "mapping)."
)


def json_ld(document: bytes) -> Response[bytes]:
    return Response(document, media_type=JSON_LD)


class FederationController(Controller):
    path = "/v1"
    tags = ["federation (DFC)"]

    @get(
        "/producers/{producer_id:uuid}/dfc/catalog",
        guards=[ANYONE],
        media_type=JSON_LD,
        responses=dfc_document("The catalog"),
        summary="A producer's offers as a Data Food Consortium catalog",
        description=(
            "The producer's offers on sale today or later, as DFC `CatalogItem`s, "
            "`SuppliedProduct`s (a pack: its size as the quantity) and `Offer`s (the price "
            "of a pack before VAT, in the network's currency, with the VAT rate), and their "
            "pickup places and days as `SaleSession`s. Whoever shares a network with the "
            "producer reads the offers listed there, places at the precision the producer "
            f"chose; the producer and the admin read all. {VERSION_NOTE}"
        ),
    )
    async def catalog(
        self,
        producer_id: FromPath[UUID],
        actor: CurrentActor,
        federation: Federation,
        network_id: Annotated[UUID | None, QueryParameter()] = None,
    ) -> Response[bytes]:
        return json_ld(await federation.catalog(actor, producer_id, network_id))

    @post(
        "/producers/{producer_id:uuid}/dfc/import",
        guards=[IMPORTERS],
        status_code=201,
        summary="Import a Data Food Consortium catalog as the producer's offers",
        description=(
            "Reads a DFC catalog (JSON-LD, any equivalent shape; DFC 1.16.0 or 2.0.0 "
            "contexts, shipped, never fetched), sent as `catalog` or fetched from `url` "
            "(public hosts only, bounded in time and size, no redirects), as offers listed "
            "in one of the producer's networks: each item's product matched to the "
            "network's catalogue by `products` or by name, the pack size from the DFC "
            "quantity in whole catalogue units (a wholesale pack of retail units from the "
            "transformation between them), the price in whole öre. All items or none: "
            "every item that can't be read exactly is listed (422). For the producer "
            "itself and the coordinators of the network imported into."
        ),
    )
    async def import_catalog(
        self,
        producer_id: FromPath[UUID],
        data: JSONBody[DfcImportIn],
        actor: CurrentActor,
        state: State,
        settings: NamedDependency[Settings],
    ) -> DfcImportOut:
        # no connection from the request: import_dfc holds none while it fetches
        return await import_dfc(
            state.pool, state.dfc_fetcher, settings.mail.public_url, actor, producer_id, data
        )

    @get(
        "/runs/{run_id:uuid}/dfc/orders",
        guards=[PICK_LIST_READERS],
        media_type=JSON_LD,
        responses=dfc_document("The orders, one a producer"),
        operation_class=StateDependentOperation,
        summary="A published run's purchases as Data Food Consortium orders",
        description=(
            "One DFC `Order` per producer, from the network, with an `OrderLine` per offer: "
            "the packs bought and the price of a pack before VAT. Coordinators read every "
            "producer's, a producer its own; 409 until the run is published. "
            f"{VERSION_NOTE}"
        ),
    )
    async def orders(
        self, run_id: FromPath[UUID], actor: CurrentActor, federation: Federation
    ) -> Response[bytes]:
        return json_ld(await federation.orders(actor, run_id))
