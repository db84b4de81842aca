from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter

from services.api.auth.guards import ANYONE, MANAGERS
from services.api.core.conditional import CREATED_HEADERS, ETAG_HEADER, IfMatch, created, with_etag
from services.api.deps import CurrentActor, Organisations
from services.api.organisations.schemas import (
    OrganisationIn,
    OrganisationKind,
    OrganisationOut,
    OrganisationPatch,
)


class OrganisationController(Controller):
    path = "/v1/organisations"
    tags = ["organisations"]

    @post(
        guards=[MANAGERS],
        summary="Create an organisation in your networks",
        response_headers=CREATED_HEADERS,
    )
    async def create(
        self, data: JSONBody[OrganisationIn], actor: CurrentActor, organisations: Organisations
    ) -> Response[OrganisationOut]:
        organisation = await organisations.create(actor, data)
        return created(organisation, f"/v1/organisations/{organisation.id}", organisation.version)

    @get(guards=[ANYONE], summary="Organisations you share a network with")
    async def list_organisations(
        self,
        actor: CurrentActor,
        organisations: Organisations,
        network_id: Annotated[UUID | None, QueryParameter(name="network_id")] = None,
        kind: Annotated[OrganisationKind | None, QueryParameter(name="kind")] = None,
    ) -> list[OrganisationOut]:
        return await organisations.list_organisations(actor, network_id, kind)

    @get(
        "/{organisation_id:uuid}",
        guards=[ANYONE],
        summary="One organisation",
        response_headers=ETAG_HEADER,
    )
    async def get_organisation(
        self, organisation_id: FromPath[UUID], actor: CurrentActor, organisations: Organisations
    ) -> Response[OrganisationOut]:
        organisation = await organisations.get(actor, organisation_id)
        return with_etag(organisation, organisation.version)

    @patch(
        "/{organisation_id:uuid}",
        guards=[ANYONE],
        response_headers=ETAG_HEADER,
        summary="Edit your organisation (needs If-Match)",
    )
    async def update(
        self,
        organisation_id: FromPath[UUID],
        data: JSONBody[OrganisationPatch],
        if_match: IfMatch,
        actor: CurrentActor,
        organisations: Organisations,
    ) -> Response[OrganisationOut]:
        organisation = await organisations.update(actor, organisation_id, data, if_match)
        return with_etag(organisation, organisation.version)
