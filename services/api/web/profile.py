"""An organisation's own profile: its place, its pickup (or receiving) hours, its
contact, and for a producer the presentation the network's members read in the producer
directory and how precisely its place is shown to them.

The form becomes the API's own ``OrganisationPatch`` and goes to the service the API
uses, carrying the version the page showed (as ``If-Match``). A producer's place and
hours prefill every new offer (``members.py``).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from services.api.auth.actor import Actor, Role
from services.api.auth.guards import requires
from services.api.deps import CurrentActor, Networks, Organisations
from services.api.organisations.schemas import OrganisationOut, OrganisationPatch
from services.api.web.hours import MESSAGE as WINDOWS
from services.api.web.hours import form_rows, read_windows, shown_rows, window_rows
from services.api.web.pages import back, language_of, page, same_site
from services.api.web.places import (
    apply_pick,
    near_of,
    place_context,
    place_values,
    read_place,
    references,
    search_place,
    searched,
)
from services.api.web.setup_forms import FormError, form_field
from shared.errors import PreconditionFailedError
from shared.settings import Settings

PROFILE = "/app/profile"
MEMBERS = requires(Role.PRODUCER, Role.COOP)
PRECISIONS = ("exact", "approximate", "municipality")
FIELDS = (
    "version",
    "contact_email",
    "contact_phone",
    "presentation",
    "place_precision",
    "municipality",
    "address",
    "lat",
    "lon",
    "pick",
)
MESSAGES = {
    "contact_email": "an e-mail address like ekeby@example.se",
    "contact_phone": "digits, spaces, + ( ) and - only, at most 40",
    "presentation": "at most 1 000 characters",
    "place_precision": "choose how your place is shown",
    "municipality": "at most 200 characters",
    "windows": WINDOWS,
}
BLANK_ROWS = 2
Req = Request[Any, Any, Any]


class ProfilePages(Controller):
    path = PROFILE
    guards = [MEMBERS]
    include_in_schema = False

    @get()
    async def profile(
        self,
        request: Req,
        actor: CurrentActor,
        networks: Networks,
        organisations: Organisations,
        settings: NamedDependency[Settings],
    ) -> Template:
        me = await _me(organisations, actor)
        values = shown_profile(me)
        rows = window_rows(me.windows)
        known = await references(actor, me.network_ids, networks, organisations)
        return _page(
            request, me, values, rows, {}, place_context(settings, known, values, "", None)
        )

    @post(status_code=303)
    async def save(
        self,
        request: Req,
        actor: CurrentActor,
        networks: Networks,
        organisations: Organisations,
        settings: NamedDependency[Settings],
        state: State,
    ) -> Response[Any]:
        same_site(request)
        me = await _me(organisations, actor)
        form = await request.form()
        values = {name: str(form.get(name, ""))[:2000] for name in FIELDS if name in form}
        rows = form_rows(form)
        known = await references(actor, me.network_ids, networks, organisations)
        if searched(form) == "":
            found = await search_place(
                state.geocoder, values, "", language_of(request), near_of(known), actor
            )
            context = place_context(settings, known, values, "", found)
            return _page(request, me, values, rows, {}, context)
        apply_pick(values, "")
        context = place_context(settings, known, values, "", None)
        try:
            patch = profile_patch(values, rows, producer=me.kind == "producer")
            await organisations.update(actor, me.id, patch, f'"{values.get("version", "")}"')
        except FormError as exc:
            return _page(request, me, values, rows, exc.errors, context)
        except PreconditionFailedError:
            values["version"] = str(me.version)
            stale = "someone saved the profile meanwhile; check it and save again"
            return _page(request, me, values, rows, {}, context, error=stale, status_code=412)
        return back(PROFILE, done="profile saved")


def shown_profile(me: OrganisationOut) -> dict[str, str]:
    return {
        "version": str(me.version),
        "contact_email": me.contact_email,
        "contact_phone": me.contact_phone,
        "presentation": me.presentation,
        "place_precision": me.place_precision,
        "municipality": me.municipality,
        **place_values(me.location, ""),
    }


def profile_patch(
    values: dict[str, str], rows: list[dict[str, str]], *, producer: bool
) -> OrganisationPatch:
    """The patch the form asks for, or ``FormError`` naming every field that is wrong."""
    errors: dict[str, str] = {}
    location = None
    try:
        location = read_place(values, "", required=False)
    except FormError as exc:
        errors.update(exc.errors)
    windows = []
    try:
        windows = read_windows(rows, required=False)
    except FormError as exc:
        errors.update(exc.errors)
    fields: dict[str, Any] = {
        "contact_email": values.get("contact_email", "").strip(),
        "contact_phone": values.get("contact_phone", "").strip(),
        "location": location,
        "windows": msgspec.to_builtins(windows),
    }
    if producer:
        fields |= {
            "presentation": values.get("presentation", "").strip(),
            "place_precision": values.get("place_precision", ""),
            "municipality": values.get("municipality", "").strip(),
        }
        if fields["place_precision"] not in PRECISIONS:
            errors["place_precision"] = MESSAGES["place_precision"]
    if errors:
        raise FormError(errors)
    try:
        return msgspec.convert(fields, OrganisationPatch)
    except (msgspec.ValidationError, ValueError) as exc:
        name = form_field(str(exc))
        name = "windows" if name.startswith(("windows", "opens", "closes")) else name
        raise FormError({name: MESSAGES.get(name, "check this field")}) from None


@get("/app/place", guards=[MEMBERS], include_in_schema=False, status_code=303)
async def old_place() -> Redirect:
    """Where a producer's or co-op's place and hours were set before the profile had them."""
    return Redirect(PROFILE, status_code=303)


async def _me(organisations: Any, actor: Actor) -> OrganisationOut:
    assert actor.organisation_id is not None  # producers and co-ops act for one
    me: OrganisationOut = await organisations.get(actor, actor.organisation_id)
    return me


def _page(
    request: Req,
    me: OrganisationOut,
    values: dict[str, str],
    rows: list[dict[str, str]],
    errors: dict[str, str],
    place: dict[str, Any],
    *,
    error: str | None = None,
    status_code: int | None = None,
) -> Template:
    return page(
        request,
        "profile",
        me=me,
        values=values,
        rows=shown_rows(rows, BLANK_ROWS),
        errors=errors,
        place=place,
        precisions=PRECISIONS,
        status_code=status_code or (422 if errors else 200),
        **({"error": error} if error else {}),
    )
