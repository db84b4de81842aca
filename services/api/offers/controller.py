from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter

from services.api.auth.guards import ANYONE, PRODUCERS
from services.api.core.bulk import BulkResult
from services.api.core.conditional import CREATED_HEADERS, ETAG_HEADER, IfMatch, created, with_etag
from services.api.deps import CurrentActor, Offers
from services.api.offers.schemas import OfferIn, OfferOut, OfferPage, OfferPatch
from services.api.offers.service import OfferFilters
from services.api.offers.upload import OfferUploadOperation

MaybeId = Annotated[UUID | None, QueryParameter()]


class OfferController(Controller):
    path = "/v1/offers"
    tags = ["offers"]

    @post(guards=[PRODUCERS], summary="Post an offer", response_headers=CREATED_HEADERS)
    async def create(
        self, data: JSONBody[OfferIn], actor: CurrentActor, offers: Offers
    ) -> Response[OfferOut]:
        offer = await offers.create(actor, data)
        return created(offer, f"/v1/offers/{offer.id}", offer.version)

    @post(
        "/bulk",
        guards=[PRODUCERS],
        operation_class=OfferUploadOperation,
        summary="Upload offers as CSV or a JSON array, all or none",
    )
    async def create_many(
        self, request: Request[Any, Any, Any], actor: CurrentActor, offers: Offers
    ) -> BulkResult:
        content_type = request.headers.get("content-type", "")
        ids = await offers.create_from_upload(actor, await request.body(), content_type)
        return BulkResult(created=len(ids), ids=ids)

    @get(guards=[ANYONE], summary="Offers you can see, oldest first, a page at a time")
    async def list_offers(
        self,
        actor: CurrentActor,
        offers: Offers,
        network_id: MaybeId = None,
        product_id: MaybeId = None,
        producer_id: MaybeId = None,
        valid_on: Annotated[dt.date | None, QueryParameter()] = None,
        include_withdrawn: Annotated[bool, QueryParameter()] = False,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> OfferPage:
        filters = OfferFilters(
            network_id=network_id,
            product_id=product_id,
            producer_id=producer_id,
            valid_on=valid_on,
            include_withdrawn=include_withdrawn,
        )
        return await offers.list_offers(actor, filters, cursor, limit)

    @get("/{offer_id:uuid}", guards=[ANYONE], summary="One offer", response_headers=ETAG_HEADER)
    async def get_offer(
        self, offer_id: FromPath[UUID], actor: CurrentActor, offers: Offers
    ) -> Response[OfferOut]:
        offer = await offers.get(actor, offer_id)
        return with_etag(offer, offer.version)

    @patch(
        "/{offer_id:uuid}",
        guards=[PRODUCERS],
        response_headers=ETAG_HEADER,
        summary="Edit your offer (needs If-Match)",
    )
    async def update(
        self,
        offer_id: FromPath[UUID],
        data: JSONBody[OfferPatch],
        if_match: IfMatch,
        actor: CurrentActor,
        offers: Offers,
    ) -> Response[OfferOut]:
        offer = await offers.update(actor, offer_id, data, if_match)
        return with_etag(offer, offer.version)

    @delete("/{offer_id:uuid}", guards=[PRODUCERS], summary="Withdraw your offer (needs If-Match)")
    async def withdraw(
        self, offer_id: FromPath[UUID], if_match: IfMatch, actor: CurrentActor, offers: Offers
    ) -> None:
        await offers.withdraw(actor, offer_id, if_match)
