"""Joining a network by its link, on a phone: one form (who, where, when), a mailed link
that confirms the address (its page's button confirms, so a mail scanner fetching it
confirms nothing), then the wait for the coordinators. Public pages; form posts are
refused from other sites, and asking is rate-limited (``JoiningService.ask``).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from services.api.accounts.service import LinkError
from services.api.auth.middleware import client_address
from services.api.deps import Joining
from services.api.joining.schemas import JoinIn
from services.api.web import i18n
from services.api.web.accounts import signed_in_response
from services.api.web.pages import LANG_COOKIE, PUBLIC, page, same_site
from services.api.web.place_form import (
    HOURS_FIELDS,
    PLACE_FIELDS,
    fresh_hours,
    read_hours,
    read_place,
    typed,
)
from shared.errors import SamlastError

WHO_FIELDS = ("kind", "organisation_name", "person_name", "email")
MESSAGES = {
    "kind": "say whether it is a producer or a co-op",
    "organisation_name": "name the organisation",
    "person_name": "write your name",
    "email": "write a whole e-mail address, like name@example.se",
}
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
            return page(request, "link_used", reason=exc.detail, status_code=410)
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
            return page(request, "link_used", reason=exc.detail, status_code=410)
        return signed_in_response(request, signed_in)

    @get("/{code:str}", opt=PUBLIC)
    async def join_page(self, request: Req, code: FromPath[str], joining: Joining) -> Template:
        try:
            network = await joining.network_of(code)
        except LinkError as exc:
            return page(request, "link_used", reason=exc.detail, joining=True, status_code=410)
        kind = request.query_params.get("kind", "coop")
        values = {**fresh_hours(), "kind": kind if kind in ("coop", "producer") else "coop"}
        return _form(request, network, code, values, {})

    @post("/{code:str}", opt=PUBLIC, status_code=303)
    async def ask(self, request: Req, code: FromPath[str], joining: Joining) -> Response[Any]:
        same_site(request)
        try:
            network = await joining.network_of(code)
        except LinkError as exc:
            return page(request, "link_used", reason=exc.detail, joining=True, status_code=410)
        form = await request.form()
        values = typed(form, (*WHO_FIELDS, *PLACE_FIELDS, *HOURS_FIELDS))
        location, errors = read_place(values)
        windows, hours_errors = read_hours(values)
        errors.update(hours_errors)
        data = None
        try:
            data = msgspec.convert(
                {
                    **{name: values.get(name, "").strip() for name in WHO_FIELDS},
                    "language": _language(request),
                    "location": msgspec.to_builtins(location) if location else None,
                    "windows": msgspec.to_builtins(windows),
                },
                JoinIn,
            )
        except (msgspec.ValidationError, ValueError) as exc:
            name = next((n for n in WHO_FIELDS if f"`$.{n}`" in str(exc)), None)
            if name is not None:
                errors[name] = MESSAGES[name]
            elif not errors:
                errors["hours"] = "the hours of a day overlap"
        if errors or data is None:
            return _form(request, network, code, values, errors, status_code=422)
        try:
            await joining.ask(code, data, client_address(request))
        except SamlastError as exc:
            shown = _form(
                request, network, code, values, {}, status_code=exc.status_code, error=exc.detail
            )
            if "retry_after" in exc.extra:
                shown.headers["Retry-After"] = str(exc.extra["retry_after"])
            return shown
        return page(request, "join_sent", email=data.email, network=network["network"])


def _form(
    request: Req,
    network: Any,
    code: str,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status_code: int = 200,
    error: str | None = None,
) -> Template:
    return page(
        request,
        "join",
        network=network["network"],
        code=code,
        values=values,
        errors=errors,
        status_code=status_code,
        **({"error": i18n.gettext_for(_language(request))(error)} if error else {}),
    )


def _language(request: Req) -> str:
    return i18n.choose(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))
