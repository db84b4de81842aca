"""Joining a network by its link, on a phone: one form (who, where, when), a mailed link
that confirms the address (its page's button confirms, so a mail scanner fetching it
confirms nothing), then the wait for the coordinators. Public pages; form posts are
refused from other sites, and asking is rate-limited (``JoiningService.ask``).

The place and hours are the profile's fields (``place_field``, ``hours_field``), read by
the same code. Its address search posts the form back, even with JavaScript: the
visitor is not signed in, so ``/app/places/search`` is not theirs, and each search is
counted under the join's limits (``JoiningService.may_search``) before the geocoder,
a shared service, is asked. The map shows no one else's place to an anonymous visitor.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from services.api.accounts.service import LinkError
from services.api.auth.middleware import client_address
from services.api.deps import Joining
from services.api.joining.schemas import JoinIn
from services.api.web import i18n
from services.api.web.accounts import signed_in_response
from services.api.web.hours import MESSAGE as WINDOWS
from services.api.web.hours import form_rows, read_windows, shown_rows
from services.api.web.pages import LANG_COOKIE, PUBLIC, page, said, same_site
from services.api.web.places import (
    PlaceSearch,
    apply_pick,
    field_names,
    place_context,
    read_place,
    search_place,
    searched,
)
from services.api.web.setup_forms import FormError
from shared.errors import SamlastError
from shared.settings import Settings

WHO_FIELDS = ("kind", "organisation_name", "person_name", "email")
FORM_FIELDS = (*WHO_FIELDS, *field_names(""))
MESSAGES = {
    "kind": "say whether it is a producer or a co-op",
    "organisation_name": "name the organisation",
    "person_name": "write your name",
    "email": "write a whole e-mail address, like name@example.se",
}
BLANK_ROWS = 3
Req = Request[Any, Any, Any]


class JoinPages(Controller):
    path = "/app/join"
    include_in_schema = False

    @get("/confirm", opt=PUBLIC)
    async def confirm_page(
        self, request: Req, joining: Joining, code: FromQuery[str] = ""
    ) -> Template:
        try:
            found = await joining.unconfirmed(code[:100])
        except LinkError as exc:
            return page(request, "link_used", reason=said(request, exc), status_code=410)
        return page(request, "join_confirm", join=found, code=code)

    @post("/confirm", opt=PUBLIC, status_code=303)
    async def confirm(self, request: Req, joining: Joining) -> Response[Any]:
        same_site(request)
        code = str((await request.form()).get("code", ""))[:100]
        try:
            signed_in = await joining.confirm(
                code, request.headers.get("user-agent", "")[:300], client_address(request)
            )
        except LinkError as exc:
            return page(request, "link_used", reason=said(request, exc), status_code=410)
        return signed_in_response(request, signed_in)

    @get("/{code:str}", opt=PUBLIC)
    async def join_page(
        self,
        request: Req,
        code: FromPath[str],
        joining: Joining,
        settings: NamedDependency[Settings],
    ) -> Template:
        try:
            network = await joining.network_of(code)
        except LinkError as exc:
            return page(
                request, "link_used", reason=said(request, exc), joining=True, status_code=410
            )
        kind = request.query_params.get("kind", "coop")
        values = {"kind": kind if kind in ("coop", "producer") else "coop"}
        return _form(request, settings, network, code, values, [], {})

    @post("/{code:str}", opt=PUBLIC, status_code=303)
    async def ask(
        self,
        request: Req,
        code: FromPath[str],
        joining: Joining,
        settings: NamedDependency[Settings],
        state: State,
    ) -> Response[Any]:
        same_site(request)
        try:
            network = await joining.network_of(code)
        except LinkError as exc:
            return page(
                request, "link_used", reason=said(request, exc), joining=True, status_code=410
            )
        form = await request.form()
        values = {name: str(form.get(name, ""))[:500] for name in FORM_FIELDS if name in form}
        rows = form_rows(form)
        if searched(form) == "":
            found = await _search(request, joining, code, state, values, _area(network))
            return _form(request, settings, network, code, values, rows, {}, search=found)
        apply_pick(values, "")
        try:
            data = join_in(values, rows, _language(request))
        except FormError as exc:
            return _form(
                request, settings, network, code, values, rows, exc.errors, status_code=422
            )
        try:
            await joining.ask(code, data, client_address(request))
        except SamlastError as exc:
            shown = _form(
                request, settings, network, code, values, rows, {},
                status_code=exc.status_code, error=said(request, exc),
            )  # fmt: skip
            if "retry_after" in exc.extra:
                shown.headers["Retry-After"] = str(exc.extra["retry_after"])
            return shown
        return page(request, "join_sent", email=data.email, network=network["network"])


def join_in(values: dict[str, str], rows: list[dict[str, str]], language: str) -> JoinIn:
    """The request the form makes, or ``FormError`` naming every field that is wrong."""
    errors: dict[str, str] = {}
    location = windows = None
    try:
        location = read_place(values, "", required=True)
    except FormError as exc:
        errors.update(exc.errors)
    try:
        windows = read_windows(rows, required=True)
    except FormError as exc:
        errors.update(exc.errors)
    try:
        data = msgspec.convert(
            {
                **{name: values.get(name, "").strip() for name in WHO_FIELDS},
                "language": language,
                "location": msgspec.to_builtins(location) if location else None,
                "windows": msgspec.to_builtins(windows or []),
            },
            JoinIn,
        )
    except (msgspec.ValidationError, ValueError) as exc:
        name = next((n for n in WHO_FIELDS if f"`$.{n}`" in str(exc)), None)
        if name is not None:
            errors[name] = MESSAGES[name]
        elif not errors:
            errors["windows"] = WINDOWS
    if errors:
        raise FormError(errors)
    return data


async def _search(
    request: Req,
    joining: Any,
    code: str,
    state: State,
    values: dict[str, str],
    near: tuple[float, float] | None,
) -> PlaceSearch:
    """The places the address may mean, once the join's limits allow another search."""
    try:
        await joining.may_search(code, client_address(request))
    except SamlastError as exc:
        return PlaceSearch(prefix="", error=said(request, exc))
    return await search_place(state.geocoder, values, "", _language(request), near, None)


def _area(network: Any) -> tuple[float, float] | None:
    """Where the network is, to a tenth of a degree (some km): the join page's map is
    framed there and its searches prefer it, without showing an anonymous visitor the
    hub itself."""
    if network["hub_lat"] is None or network["hub_lon"] is None:
        return None
    return round(network["hub_lat"], 1), round(network["hub_lon"], 1)


def _form(
    request: Req,
    settings: Settings,
    network: Any,
    code: str,
    values: dict[str, str],
    rows: list[dict[str, str]],
    errors: dict[str, str],
    *,
    search: PlaceSearch | None = None,
    status_code: int = 200,
    error: str | None = None,
) -> Template:
    return page(
        request,
        "join",
        network=network["network"],
        code=code,
        values=values,
        rows=shown_rows(rows, BLANK_ROWS),
        errors=errors,
        place=place_context(
            settings, [], values, "", search, live_search=False, around=_area(network)
        ),
        status_code=status_code,
        **({"error": i18n.gettext_for(_language(request))(error)} if error else {}),
    )


def _language(request: Req) -> str:
    return i18n.choose(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))
