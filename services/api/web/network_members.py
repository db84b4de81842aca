"""A network's members, for its coordinators: who is in, whether their people accepted,
whether each has a place and hours and takes part in the open cycle; inviting by
e-mail; the join link (share, rotate, turn off); requests to join (approve, or refuse
after a confirmation); and removing a member after a page that lists exactly what the
removal withdraws. Another network's coordinator gets 404, as the API answers.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from services.api.accounts.schemas import InvitationIn
from services.api.accounts.service import AccountService
from services.api.auth.actor import Actor
from services.api.auth.guards import MANAGERS
from services.api.deps import Accounts, CurrentActor, Joining, Members, Networks
from services.api.joining.service import JoiningService
from services.api.networks.members import MemberService
from services.api.networks.service import network_out
from services.api.web.pages import back, language_of, page, said, same_site, submit
from shared.errors import SamlastError

INVITE_FIELDS = ("email", "organisation_name", "organisation_kind", "language")
MESSAGES = {
    "email": "write a whole e-mail address, like name@example.se",
    "organisation_name": "name the organisation",
    "organisation_kind": "say whether it is a producer or a co-op",
    "language": "choose Swedish or English",
}
Req = Request[Any, Any, Any]


class NetworkMemberPages(Controller):
    path = "/app/networks/{network_id:uuid}"
    guards = [MANAGERS]
    include_in_schema = False

    @get("/members")
    async def members(
        self,
        request: Req,
        network_id: FromPath[UUID],
        actor: CurrentActor,
        accounts: Accounts,
        joining: Joining,
        members: Members,
    ) -> Template:
        values = {"organisation_kind": "coop", "language": language_of(request)}
        return await _members(request, actor, network_id, (accounts, joining, members), values, {})

    @post("/members/invite", status_code=303)
    async def invite(
        self,
        request: Req,
        network_id: FromPath[UUID],
        actor: CurrentActor,
        accounts: Accounts,
        joining: Joining,
        members: Members,
    ) -> Response[Any]:
        """A new producer or co-op by e-mail: founded when its person accepts, no approval."""
        same_site(request)
        await members.networks.managed(actor, network_id)
        form = await request.form()
        values = {name: str(form.get(name, "")).strip()[:254] for name in INVITE_FIELDS}
        body = {
            **{k: v for k, v in values.items() if v},
            "network_id": str(network_id),
            "role": "admin",
        }
        errors: dict[str, str] = {}
        try:
            await accounts.invite(actor, msgspec.convert(body, InvitationIn, strict=False))
        except msgspec.ValidationError as exc:
            name = next((n for n in INVITE_FIELDS if f"`$.{n}`" in str(exc)), "email")
            errors[name] = MESSAGES[name]
        except SamlastError as exc:  # a domain refusal, said beside its field
            errors[exc.extra.get("field", "email")] = said(request, exc)
        if errors:
            services = (accounts, joining, members)
            return await _members(request, actor, network_id, services, values, errors)
        return back(_page(network_id), done="invitation sent")

    @post("/join-link", status_code=303)
    async def join_link(
        self,
        request: Req,
        network_id: FromPath[UUID],
        actor: CurrentActor,
        joining: Joining,
        networks: Networks,
    ) -> Redirect:
        same_site(request)
        await networks.managed(actor, network_id)  # another network's: 404, as the API
        if (await request.form()).get("action") == "off":
            return await submit(
                _page(network_id),
                "join link turned off",
                lambda: joining.turn_off(actor, network_id),
                request=request,
            )
        return await submit(
            _page(network_id),
            "new join link made",
            lambda: joining.new_link(actor, network_id),
            request=request,
        )

    @post("/joins/{request_id:uuid}/approve", status_code=303)
    async def approve(
        self,
        request: Req,
        network_id: FromPath[UUID],
        request_id: FromPath[UUID],
        actor: CurrentActor,
        joining: Joining,
    ) -> Redirect:
        same_site(request)
        await joining.waiting_one(actor, network_id, request_id)  # another's: 404
        return await submit(
            _page(network_id),
            "join request approved",
            lambda: joining.approve(actor, network_id, request_id),
            request=request,
        )

    @get("/joins/{request_id:uuid}/refuse")
    async def confirm_refusal(
        self,
        request: Req,
        network_id: FromPath[UUID],
        request_id: FromPath[UUID],
        actor: CurrentActor,
        joining: Joining,
        networks: Networks,
    ) -> Template:
        found = await joining.waiting_one(actor, network_id, request_id)
        network = network_out(await networks.managed(actor, network_id))
        return page(request, "join_refuse", network=network, join=found)

    @post("/joins/{request_id:uuid}/refuse", status_code=303)
    async def refuse(
        self,
        request: Req,
        network_id: FromPath[UUID],
        request_id: FromPath[UUID],
        actor: CurrentActor,
        joining: Joining,
    ) -> Redirect:
        same_site(request)
        await joining.waiting_one(actor, network_id, request_id)
        return await submit(
            _page(network_id),
            "join request refused",
            lambda: joining.refuse(actor, network_id, request_id),
            request=request,
        )

    @get("/members/{organisation_id:uuid}/remove")
    async def confirm_removal(
        self,
        request: Req,
        network_id: FromPath[UUID],
        organisation_id: FromPath[UUID],
        actor: CurrentActor,
        members: Members,
        networks: Networks,
    ) -> Template:
        """Before a removal: exactly the offers it withdraws and the orders it drops."""
        removal = await members.removal(actor, network_id, organisation_id)
        network = network_out(await networks.managed(actor, network_id))
        return page(
            request, "member_remove", network=network, removal=removal, zone=network.timezone
        )

    @post("/members/{organisation_id:uuid}/remove", status_code=303)
    async def remove(
        self,
        request: Req,
        network_id: FromPath[UUID],
        organisation_id: FromPath[UUID],
        actor: CurrentActor,
        networks: Networks,
    ) -> Redirect:
        same_site(request)
        await networks.managed(actor, network_id)
        return await submit(
            _page(network_id),
            "member removed",
            lambda: networks.remove_member(actor, network_id, organisation_id),
            request=request,
        )


def _page(network_id: UUID) -> str:
    return f"/app/networks/{network_id}/members"


async def _members(
    request: Req,
    actor: Actor,
    network_id: UUID,
    services: tuple[AccountService, JoiningService, MemberService],
    values: dict[str, str],
    errors: dict[str, str],
) -> Template:
    accounts, joining, members = services
    network = network_out(await members.networks.managed(actor, network_id))
    listed = await members.members(actor, network_id)
    invited = [
        invitation
        for invitation in await accounts.invitations(actor)
        if invitation.network_id == network_id
        and invitation.organisation_id is None
        and invitation.state != "accepted"
    ]
    return page(
        request,
        "network_members",
        network=network,
        zone=network.timezone,
        coops=[m for m in listed if m.kind == "coop"],
        producers=[m for m in listed if m.kind == "producer"],
        cycle=await members.open_cycle(actor, network_id),
        waiting=await joining.waiting(actor, network_id),
        invited=invited,
        join_link=await joining.link(actor, network_id),
        values=values,
        errors=errors,
        status_code=422 if errors else 200,
    )
