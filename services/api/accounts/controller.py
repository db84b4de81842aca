"""People through the API: an integration (a co-op's member list, say) adds an
organisation's people, who then sign in to the pages by asking for a link. Signing in,
invitations and sessions are the pages' (``web/accounts.py``)."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, delete, get, post
from litestar.params import FromPath, JSONBody

from services.api.accounts.schemas import ColleagueOut, PersonIn
from services.api.auth.guards import ANYONE
from services.api.core.openapi import StateDependentOperation
from services.api.deps import Accounts, CurrentActor


class PeopleController(Controller):
    path = "/v1/organisations/{organisation_id:uuid}/people"
    tags = ["people"]

    @get(
        guards=[ANYONE],
        # 409 for an organisation standing here for a peer's producer: it has none
        operation_class=StateDependentOperation,
        summary="The organisation's people (its admins', or its coordinators')",
    )
    async def list_people(
        self, organisation_id: FromPath[UUID], actor: CurrentActor, accounts: Accounts
    ) -> list[ColleagueOut]:
        return await accounts.people(actor, organisation_id)

    @post(guards=[ANYONE], summary="Add a person to the organisation (new, or by e-mail address)")
    async def add_person(
        self,
        organisation_id: FromPath[UUID],
        data: JSONBody[PersonIn],
        actor: CurrentActor,
        accounts: Accounts,
    ) -> Response[ColleagueOut]:
        added = await accounts.add_person(actor, organisation_id, data)
        return Response(added, status_code=201)

    @delete("/{person_id:uuid}", guards=[ANYONE], summary="End a person's membership")
    async def remove_person(
        self,
        organisation_id: FromPath[UUID],
        person_id: FromPath[UUID],
        actor: CurrentActor,
        accounts: Accounts,
    ) -> None:
        await accounts.remove_person(actor, organisation_id, person_id)
