"""The people pages: sign-in (e-mailed link or password), one's own page (profile,
password, notifications, sessions, which organisation to act for), an organisation's
people, invitations and API tokens.

A form with a mistake comes back with what was typed and the error beside its field;
everything that ends something (a session, a membership, an invitation, a token)
asks first. Form posts are refused from other sites (``web/pages.same_site``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from services.api.accounts.schemas import AcceptIn, InvitationIn, ProfileIn, SignedIn
from services.api.accounts.service import AccountService, LinkError
from services.api.auth.guards import ANYONE
from services.api.auth.middleware import client_address
from services.api.auth.sessions import COOKIE, session_cookie
from services.api.deps import Accounts, CurrentActor, Networks, Tokens
from services.api.tokens.schemas import TokenIn
from services.api.web.pages import PUBLIC, back, page, said, same_site, submit
from shared.contracts.notifications import NOTIFICATIONS
from shared.errors import SamlastError

SIGN_IN = "/app/sign-in"


class AccountPages(Controller):
    path = "/app"
    include_in_schema = False

    # -- signing in ------------------------------------------------------------------------

    @get("/sign-in", opt=PUBLIC)
    async def sign_in_form(self, request: Request[Any, Any, Any]) -> Template:
        return page(request, "sign_in", values={}, errors={})

    @post("/sign-in/email", opt=PUBLIC, status_code=303)
    async def ask_for_link(
        self, request: Request[Any, Any, Any], accounts: Accounts
    ) -> Response[Any]:
        same_site(request)
        form = await request.form()
        email = str(form.get("email", "")).strip()[:254]
        purpose = "reset" if form.get("purpose") == "reset" else "sign_in"
        if "@" not in email:
            return _again(
                request, "sign_in", {"email": email}, {"email": "write your e-mail address"}
            )
        try:
            await accounts.request_link(email, client_address(request), purpose)
        except SamlastError as exc:
            return _again(request, "sign_in", {"email": email}, {"email": said(request, exc)}, exc)
        return page(request, "link_sent", email=email, purpose=purpose)

    @post("/sign-in/password", opt=PUBLIC, status_code=303)
    async def password_sign_in(
        self, request: Request[Any, Any, Any], accounts: Accounts
    ) -> Response[Any]:
        same_site(request)
        form = await request.form()
        email = str(form.get("email", "")).strip()[:254]
        password = str(form.get("password", ""))[:200]
        try:
            signed_in = await accounts.password_sign_in(
                email, password, _agent(request), client_address(request)
            )
        except SamlastError as exc:
            field = "email" if exc.status_code == 429 else "password"
            values = {"email": email, "with_password": True}
            return _again(request, "sign_in", values, {field: said(request, exc)}, exc)
        return signed_in_response(request, signed_in)

    @get("/sign-in/link", opt=PUBLIC)
    async def link_page(
        self, request: Request[Any, Any, Any], accounts: Accounts, code: FromQuery[str] = ""
    ) -> Template:
        """The link in the mail opens this page; its button signs in. A mail scanner that
        fetches the link uses nothing up."""
        try:
            link = await accounts.link(code)
        except LinkError as exc:
            return page(request, "link_used", reason=said(request, exc), status_code=410)
        return page(
            request, "link", code=code, purpose=link["purpose"], person_name=link["name"], errors={}
        )

    @post("/sign-in/link", opt=PUBLIC, status_code=303)
    async def use_link(self, request: Request[Any, Any, Any], accounts: Accounts) -> Response[Any]:
        same_site(request)
        form = await request.form()
        code = str(form.get("code", ""))[:100]
        password = form.get("password")
        try:
            signed_in = await accounts.use_link(
                code,
                _agent(request),
                client_address(request),
                None if password is None else str(password)[:200],
            )
        except LinkError as exc:
            return page(request, "link_used", reason=said(request, exc), status_code=410)
        except SamlastError as exc:
            return _again(
                request,
                "link",
                {},
                {exc.extra.get("field", "password"): said(request, exc)},
                exc,
                code=code,
                purpose="reset",
                person_name="",
            )
        return signed_in_response(request, signed_in)

    @post("/sign-out", guards=[ANYONE], status_code=303)
    async def sign_out(
        self, request: Request[Any, Any, Any], actor: CurrentActor, accounts: Accounts
    ) -> Response[Any]:
        same_site(request)
        if actor.session_id is not None:
            await accounts.sign_out(actor)
        response: Response[Any] = Redirect(path=SIGN_IN, status_code=303)
        response.delete_cookie(COOKIE, path="/app")
        return response

    # -- invitations, accepted ---------------------------------------------------------------

    @get("/invitations/accept", opt=PUBLIC)
    async def invitation_page(
        self, request: Request[Any, Any, Any], accounts: Accounts, code: FromQuery[str] = ""
    ) -> Template:
        try:
            invitation = await accounts.invitation(code)
        except LinkError as exc:
            return page(request, "link_used", reason=said(request, exc), status_code=410)
        values = {"language": invitation.language}
        return page(request, "accept", invitation=invitation, code=code, values=values, errors={})

    @post("/invitations/accept", opt=PUBLIC, status_code=303)
    async def accept(self, request: Request[Any, Any, Any], accounts: Accounts) -> Response[Any]:
        same_site(request)
        form = await request.form()
        code = str(form.get("code", ""))[:100]
        values = {k: str(form.get(k, ""))[:200] for k in ("name", "language", "phone")}
        try:
            invitation = await accounts.invitation(code)
        except LinkError as exc:
            return page(request, "link_used", reason=said(request, exc), status_code=410)
        try:
            data = msgspec.convert(
                {**values, "password": str(form.get("password", ""))[:200]}, AcceptIn
            )
            signed_in = await accounts.accept(code, data, _agent(request), client_address(request))
        except msgspec.ValidationError as exc:
            field = _field_of(str(exc), ("name", "language", "phone", "password"))
            return _again(
                request,
                "accept",
                values,
                {field: _invalid(field)},
                invitation=invitation,
                code=code,
            )
        except LinkError as exc:
            return page(request, "link_used", reason=said(request, exc), status_code=410)
        except SamlastError as exc:
            field = exc.extra.get("field", "name")
            return _again(
                request,
                "accept",
                values,
                {field: said(request, exc)},
                exc,
                invitation=invitation,
                code=code,
            )
        return signed_in_response(request, signed_in)

    # -- one-click unsubscribe (RFC 8058) --------------------------------------------------

    @get("/unsubscribe", opt=PUBLIC)
    async def unsubscribe_page(
        self, request: Request[Any, Any, Any], accounts: Accounts, token: FromQuery[str] = ""
    ) -> Template:
        """The link in a notification's footer: a page whose button turns it off (a mail
        scanner fetching the link turns nothing off)."""
        try:
            _, kind = accounts.notification_of(token[:500])
        except LinkError:
            return page(request, "unsubscribe", kind=None, status_code=410)
        return page(request, "unsubscribe", kind=str(kind), token=token, unsubscribed=False)

    @post("/unsubscribe", opt=PUBLIC, status_code=200)
    async def unsubscribe(
        self, request: Request[Any, Any, Any], accounts: Accounts, token: FromQuery[str] = ""
    ) -> Template:
        """The button, or the mail provider's one-click POST (``List-Unsubscribe=One-Click``
        to the ``List-Unsubscribe`` address, token in the query): sent from another site
        by design, so no Origin check; all it can do is turn one kind of mail off."""
        form = await request.form()
        token = (token or str(form.get("token", "")))[:500]
        try:
            kind = await accounts.unsubscribe(token, client_address(request))
        except LinkError:
            return page(request, "unsubscribe", kind=None, status_code=410)
        return page(request, "unsubscribe", kind=str(kind), token="", unsubscribed=True)

    # -- one's own page --------------------------------------------------------------------------

    @get("/me", guards=[ANYONE])
    async def me(
        self, request: Request[Any, Any, Any], actor: CurrentActor, accounts: Accounts
    ) -> Template:
        return await _me(request, actor, accounts, values=None, errors={})

    @post("/me", guards=[ANYONE], status_code=303)
    async def save_profile(
        self, request: Request[Any, Any, Any], actor: CurrentActor, accounts: Accounts
    ) -> Response[Any]:
        same_site(request)
        form = await request.form()
        values: dict[str, Any] = {
            k: str(form.get(k, ""))[:200] for k in ("name", "language", "phone")
        }
        chosen = set(form.getall("notify", []))
        values["muted"] = [str(kind) for kind in NOTIFICATIONS if kind not in chosen]
        try:
            await accounts.update_profile(actor, msgspec.convert(values, ProfileIn))
        except msgspec.ValidationError as exc:
            field = _field_of(str(exc), ("name", "language", "phone"))
            return await _me(
                request, actor, accounts, values=values, errors={field: _invalid(field)}
            )
        response = back("/app/me", done="saved")
        response.set_cookie(
            key="samlast_lang", value=values["language"], path="/", max_age=365 * 86400
        )
        return response

    @post("/me/password", guards=[ANYONE], status_code=303)
    async def password(
        self, request: Request[Any, Any, Any], actor: CurrentActor, accounts: Accounts
    ) -> Response[Any]:
        same_site(request)
        form = await request.form()
        remove = form.get("remove") == "1"
        new = None if remove else str(form.get("password", ""))[:200]
        try:
            await accounts.set_password(actor, str(form.get("current", ""))[:200], new)
        except SamlastError as exc:
            field = exc.extra.get("field", "password")
            return await _me(
                request, actor, accounts, values=None, errors={field: said(request, exc)}
            )
        return back("/app/me", done="password removed" if remove else "password saved")

    @post("/me/organisation", guards=[ANYONE], status_code=303)
    async def switch(
        self, request: Request[Any, Any, Any], actor: CurrentActor, accounts: Accounts
    ) -> Redirect:
        same_site(request)
        chosen = str((await request.form()).get("organisation", ""))
        try:
            organisation_id = None if chosen == "admin" else UUID(chosen)
        except ValueError:
            return back("/app/me", error="choose an organisation")
        return await submit(
            "/app", "switched", lambda: accounts.switch(actor, organisation_id), request=request
        )

    @post("/me/sessions/{session_id:uuid}/end", guards=[ANYONE], status_code=303)
    async def end_session(
        self,
        request: Request[Any, Any, Any],
        session_id: FromPath[UUID],
        actor: CurrentActor,
        accounts: Accounts,
    ) -> Redirect:
        same_site(request)
        if session_id == actor.session_id:
            return back("/app/me", error="to end this session, sign out")
        return await submit(
            "/app/me",
            "session ended",
            lambda: accounts.revoke_session(actor, session_id),
            request=request,
        )

    @post("/me/sessions/end-all", guards=[ANYONE], status_code=303)
    async def sign_out_everywhere(
        self, request: Request[Any, Any, Any], actor: CurrentActor, accounts: Accounts
    ) -> Response[Any]:
        same_site(request)
        await accounts.sign_out_everywhere(actor)
        response: Response[Any] = Redirect(path=SIGN_IN, status_code=303)
        response.delete_cookie(COOKIE, path="/app")
        return response

    # -- an organisation's people, invitations and tokens -------------------------------

    @get("/people", guards=[ANYONE])
    async def people(
        self,
        request: Request[Any, Any, Any],
        actor: CurrentActor,
        accounts: Accounts,
        networks: Networks,
        tokens: Tokens,
    ) -> Template:
        return await _people(request, actor, accounts, networks, tokens, values={}, errors={})

    @post("/people/invite", guards=[ANYONE], status_code=303)
    async def invite(
        self,
        request: Request[Any, Any, Any],
        actor: CurrentActor,
        accounts: Accounts,
        networks: Networks,
        tokens: Tokens,
    ) -> Response[Any]:
        same_site(request)
        form = await request.form()
        names = (
            "email",
            "language",
            "role",
            "organisation_name",
            "organisation_kind",
            "network_id",
        )
        values = {k: str(form.get(k, "")).strip()[:254] for k in (*names, "form")}
        values["organisation_id"] = str(form.get("organisation_id", ""))[:40]
        keep: tuple[str, ...]
        if values["form"] == "member" and values["organisation_kind"] == "existing":
            values["role"] = "admin"  # someone of a producer or co-op already there
            keep = ("email", "language", "role", "organisation_id")
        elif values["form"] == "member":  # a producer or co-op, founded on accepting
            values["role"] = "admin"
            keep = names
        else:  # a colleague, into the organisation one acts for
            keep = ("email", "language", "role")
        body = {k: values[k] for k in keep if values[k]}
        try:
            await accounts.invite(actor, msgspec.convert(body, InvitationIn, strict=False))
        except msgspec.ValidationError as exc:
            field = _field_of(str(exc), names)
            return await _people(
                request,
                actor,
                accounts,
                networks,
                tokens,
                values=values,
                errors={field: _invalid(field)},
            )
        except SamlastError as exc:
            field = exc.extra.get("field", "email")
            return await _people(
                request,
                actor,
                accounts,
                networks,
                tokens,
                values=values,
                errors={field: said(request, exc)},
            )
        return back("/app/people", done="invitation sent")

    @post("/people/{person_id:uuid}/remove", guards=[ANYONE], status_code=303)
    async def remove(
        self,
        request: Request[Any, Any, Any],
        person_id: FromPath[UUID],
        actor: CurrentActor,
        accounts: Accounts,
    ) -> Redirect:
        same_site(request)
        return await submit(
            "/app/people",
            "removed",
            lambda: accounts.remove_colleague(actor, person_id),
            request=request,
        )

    @post("/invitations/{invitation_id:uuid}/resend", guards=[ANYONE], status_code=303)
    async def resend(
        self,
        request: Request[Any, Any, Any],
        invitation_id: FromPath[UUID],
        actor: CurrentActor,
        accounts: Accounts,
    ) -> Redirect:
        same_site(request)
        return await submit(
            "/app/people",
            "invitation sent again",
            lambda: accounts.resend(actor, invitation_id),
            request=request,
        )

    @post("/invitations/{invitation_id:uuid}/withdraw", guards=[ANYONE], status_code=303)
    async def withdraw(
        self,
        request: Request[Any, Any, Any],
        invitation_id: FromPath[UUID],
        actor: CurrentActor,
        accounts: Accounts,
    ) -> Redirect:
        same_site(request)
        return await submit(
            "/app/people",
            "invitation withdrawn",
            lambda: accounts.withdraw(actor, invitation_id),
            request=request,
        )

    @post("/tokens", guards=[ANYONE], status_code=200)
    async def create_token(
        self,
        request: Request[Any, Any, Any],
        actor: CurrentActor,
        accounts: Accounts,
        networks: Networks,
        tokens: Tokens,
    ) -> Response[Any]:
        same_site(request)
        form = await request.form()
        label = str(form.get("label", "")).strip()[:200]
        until = str(form.get("valid_until", "")).strip()[:10]
        values = {"label": label, "valid_until": until}
        if actor.organisation_id is None:
            return back("/app/people", error="act for an organisation to make its tokens")
        errors: dict[str, str] = {}
        expires_at = None
        if not label:
            errors["label"] = "say what the token is for"
        if until:
            try:  # the end of that day, so "valid until 31 Dec" includes the 31st
                day = dt.date.fromisoformat(until)
                expires_at = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC)
            except ValueError:
                errors["valid_until"] = "write a date, like 2027-06-30"
            else:
                if day < dt.datetime.now(dt.UTC).date():
                    errors["valid_until"] = "that day has passed"
        if not errors:
            try:
                data = TokenIn(label=label, expires_at=expires_at)
                created = await tokens.create(actor, actor.organisation_id, data)
            except SamlastError as exc:
                errors["label"] = said(request, exc)
        if errors:
            return await _people(
                request, actor, accounts, networks, tokens, values=values, errors=errors
            )
        # shown once, on this page only; no cache keeps it
        shown = await _people(
            request, actor, accounts, networks, tokens, values={}, errors={}, new_token=created
        )
        shown.headers["Cache-Control"] = "no-store"
        return shown

    @post("/tokens/{token_id:uuid}/revoke", guards=[ANYONE], status_code=303)
    async def revoke_token(
        self,
        request: Request[Any, Any, Any],
        token_id: FromPath[UUID],
        actor: CurrentActor,
        tokens: Tokens,
    ) -> Redirect:
        same_site(request)
        return await submit(
            "/app/people", "token revoked", lambda: tokens.revoke(actor, token_id), request=request
        )


async def _me(
    request: Request[Any, Any, Any],
    actor: Any,
    accounts: AccountService,
    *,
    values: dict[str, Any] | None,
    errors: dict[str, str],
) -> Template:
    person = await accounts.me(actor)
    shown = values or {
        "name": person.name,
        "language": person.language,
        "phone": person.phone,
        "muted": person.muted,
    }
    return page(
        request,
        "me",
        person=person,
        values=shown,
        errors=errors,
        notifications=NOTIFICATIONS,
        organisations=await accounts.organisations(actor),
        acting_for=actor.organisation_id,
        sessions=await accounts.sessions(actor),
        status_code=422 if errors else 200,
    )


async def _people(
    request: Request[Any, Any, Any],
    actor: Any,
    accounts: AccountService,
    networks: Any,
    tokens: Any,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    new_token: Any = None,
) -> Template:
    coordinated = [
        n
        for n in await networks.list_networks(actor)
        if actor.coordinates(n.id) and not actor.is_admin
    ]
    colleagues = await accounts.colleagues(actor) if actor.organisation_id else []
    own_tokens = (
        await tokens.list_tokens(actor, actor.organisation_id)
        if actor.organisation_id and actor.organisation_admin
        else []
    )
    return page(
        request,
        "people",
        colleagues=colleagues,
        invitations=await accounts.invitations(actor),
        members=await accounts.members_in_care(actor) if coordinated else [],
        mail=await accounts.mail_sent(actor) if coordinated else [],
        networks=coordinated,
        tokens=own_tokens,
        new_token=new_token,
        admin=actor.organisation_admin,
        me=actor.person_id,
        values=values,
        errors=errors,
        status_code=422 if errors else 200,
    )


def signed_in_response(request: Request[Any, Any, Any], signed_in: SignedIn) -> Response[Any]:
    response: Response[Any] = Redirect(path="/app", status_code=303)
    response.set_cookie(
        session_cookie(
            signed_in.cookie, secure=request.url.scheme == "https", max_age=signed_in.max_age_s
        )
    )
    return response


def _again(
    request: Request[Any, Any, Any],
    name: str,
    values: dict[str, Any],
    errors: dict[str, str],
    exc: SamlastError | None = None,
    **context: Any,
) -> Template:
    """The form again, with what was typed and the error beside its field."""
    status = exc.status_code if exc is not None else 422
    shown = page(request, name, values=values, errors=errors, status_code=status, **context)
    if exc is not None and "retry_after" in exc.extra:
        shown.headers["Retry-After"] = str(exc.extra["retry_after"])
    return shown


def _field_of(message: str, fields: tuple[str, ...]) -> str:
    """The form field msgspec's message names (``at `$.name```)."""
    for field in fields:
        if f"`$.{field}`" in message:
            return field
    return fields[0]


def _invalid(field: str) -> str:
    return {
        "email": "write a whole e-mail address, like name@example.se",
        "name": "write a name",
        "phone": "a phone number has digits, spaces, + ( ) and - only",
        "language": "choose Swedish or English",
        "role": "choose member or admin",
        "organisation_name": "name the organisation",
        "organisation_kind": "say whether it is a producer or a co-op",
        "network_id": "choose one of the networks you coordinate",
        "password": "at most 200 characters",
    }.get(field, "check this field")


def _agent(request: Request[Any, Any, Any]) -> str:
    return request.headers.get("user-agent", "")[:300]
