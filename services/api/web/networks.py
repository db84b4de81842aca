"""A deployment admin starts a network from the pages: its name, region and time zone,
and an invitation to the person who will coordinate it.

The form becomes the API's own ``NetworkIn`` and ``InvitationIn``, both checked before
anything is stored, so a mistake anywhere comes back beside its field with what was
typed. Accepting the invitation founds the network's coordinating organisation and
signs its person in; from there the coordinator sets the network up.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.response import Template

from services.api.accounts.schemas import InvitationIn
from services.api.auth.guards import ADMINS
from services.api.deps import Accounts, CurrentActor, Networks
from services.api.networks.schemas import TIMEZONES, NetworkIn
from services.api.web.pages import Db, back, language_of, page, same_site
from services.api.web.setup_forms import FormError, FormReader, form_field

Req = Request[Any, Any, Any]
FIELDS = ("name", "region", "timezone", "coordinator_name", "coordinator_email", "language")
MESSAGES = {
    "name": "write a name, at most 200 characters",
    "region": "at most 200 characters",
    "timezone": "a time zone like Europe/Stockholm",
    "coordinator_name": "write a name, at most 200 characters",
    "coordinator_email": "write a whole e-mail address, like name@example.se",
    "language": "choose Swedish or English",
}
# InvitationIn's fields as this form names them
INVITATION_FIELDS = {"organisation_name": "coordinator_name", "email": "coordinator_email"}


class NewNetworkPages(Controller):
    path = "/app/networks/new"
    guards = [ADMINS]
    include_in_schema = False

    @get()
    async def new_network(self, request: Req) -> Template:
        values = {"timezone": "Europe/Stockholm", "language": language_of(request)}
        return _form(request, values, {})

    @post(status_code=303)
    async def start_network(
        self, request: Req, actor: CurrentActor, networks: Networks, accounts: Accounts, conn: Db
    ) -> Response[Any]:
        same_site(request)
        form = await request.form()
        values = {name: str(form.get(name, ""))[:500] for name in FIELDS}
        try:
            network_in, invitation = _read(values)
        except FormError as exc:
            return _form(request, values, exc.errors)
        # one transaction: no network is left without its coordinator's invitation (the
        # invitation's mail is queued at once and, if it runs before the commit, swept)
        async with conn.transaction():
            network = await networks.create(actor, network_in)
            invited = msgspec.structs.replace(invitation, network_id=network.id)
            await accounts.invite(actor, invited)
        return back("/app/dashboard", done="network started; the coordinator has been invited")


def _read(values: dict[str, str]) -> tuple[NetworkIn, InvitationIn]:
    """The network and the coordinator's invitation the form asks for, or every mistake."""
    reader = FormReader(values)
    errors: dict[str, str] = {}
    if reader.text("timezone") not in TIMEZONES:
        errors["timezone"] = MESSAGES["timezone"]
    network_fields = {
        "name": reader.text("name"),
        "region": reader.text("region"),
        "timezone": reader.text("timezone"),
    }
    network = _convert(network_fields, NetworkIn, {}, errors)
    invitation_fields = {
        "email": reader.text("coordinator_email"),
        "organisation_name": reader.text("coordinator_name"),
        "organisation_kind": "coordinator",
        "language": reader.text("language"),
        "role": "admin",
    }
    for name in ("name", "coordinator_name", "coordinator_email"):
        if not reader.text(name):  # msgspec names only the first mistake; these all
            errors.setdefault(name, MESSAGES[name])
    invitation = _convert(invitation_fields, InvitationIn, INVITATION_FIELDS, errors)
    if errors or network is None or invitation is None:
        raise FormError(errors or {"name": MESSAGES["name"]})
    return network, invitation


def _convert(
    fields: dict[str, Any], target: type[Any], names: dict[str, str], errors: dict[str, str]
) -> Any:
    """``fields`` as ``target``; None, noting the field it names, when it can't be."""
    try:
        return msgspec.convert(fields, target)
    except (msgspec.ValidationError, ValueError) as exc:
        name = form_field(str(exc))
        name = names.get(name, name)
        errors.setdefault(name, MESSAGES.get(name, "check this field"))
        return None


def _form(request: Req, values: dict[str, str], errors: dict[str, str]) -> Template:
    return page(
        request,
        "network_new",
        values=values,
        errors=errors,
        timezones=sorted(zone for zone in TIMEZONES if zone.startswith("Europe/")),
        status_code=422 if errors else 200,
    )
