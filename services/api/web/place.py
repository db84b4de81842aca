"""A producer's or co-op's own place and hours: where vans pick up or deliver, and when.

Without a place an organisation can't order or offer (the API refuses with
``location-required``); its pages say so and link here. The form is the one the join
page uses (``_place_fields.html``); saving goes through ``OrganisationService.update``
with the version the page showed, as ``If-Match``.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.response import Template

from services.api.auth.actor import Actor, Role
from services.api.auth.guards import requires
from services.api.deps import CurrentActor, Organisations
from services.api.organisations.schemas import OrganisationOut, OrganisationPatch
from services.api.organisations.service import OrganisationService
from services.api.web.pages import back, page, same_site
from services.api.web.place_form import (
    HOURS_FIELDS,
    PLACE_FIELDS,
    read_hours,
    read_place,
    shown_place,
    typed,
)
from shared.errors import PreconditionFailedError, SamlastError

MEMBERS = requires(Role.PRODUCER, Role.COOP)
Req = Request[Any, Any, Any]


class PlacePages(Controller):
    path = "/app/place"
    include_in_schema = False
    guards = [MEMBERS]

    @get()
    async def place(
        self, request: Req, actor: CurrentActor, organisations: Organisations
    ) -> Template:
        organisation = await _own(actor, organisations)
        return _page(request, organisation, shown_place(organisation), {})

    @post(status_code=303)
    async def save(
        self, request: Req, actor: CurrentActor, organisations: Organisations
    ) -> Response[Any]:
        same_site(request)
        organisation = await _own(actor, organisations)
        form = await request.form()
        values = typed(form, ("version", *PLACE_FIELDS, *HOURS_FIELDS))
        location, errors = read_place(values)
        windows, hours_errors = read_hours(values)
        errors.update(hours_errors)
        if errors or location is None:
            return _page(request, organisation, values, errors)
        try:
            patch = msgspec.convert(
                {
                    "location": msgspec.to_builtins(location),
                    "windows": msgspec.to_builtins(windows),
                },
                OrganisationPatch,
            )
        except (msgspec.ValidationError, ValueError):
            return _page(request, organisation, values, {"hours": "the hours of a day overlap"})
        try:
            await organisations.update(
                actor, organisation.id, patch, f'"{values.get("version", "")}"'
            )
        except PreconditionFailedError:
            values["version"] = str(organisation.version)
            stale = "someone saved the place meanwhile; check it and save again"
            return _page(request, organisation, values, {}, error=stale, status_code=412)
        except SamlastError as exc:
            return _page(request, organisation, values, {}, error=exc.detail, status_code=422)
        to = "/app/coop" if organisation.kind == "coop" else "/app/producer"
        return back(to, done="place saved")


async def _own(actor: Actor, organisations: OrganisationService) -> OrganisationOut:
    assert actor.organisation_id is not None  # producers and co-ops act for one
    return await organisations.get(actor, actor.organisation_id)


def _page(
    request: Req,
    organisation: OrganisationOut,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    error: str | None = None,
    status_code: int | None = None,
) -> Template:
    return page(
        request,
        "place",
        organisation=organisation,
        values={"version": str(organisation.version), **values},
        errors=errors,
        status_code=status_code or (422 if errors else 200),
        **({"error": error} if error else {}),
    )
