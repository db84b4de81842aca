"""What every page shares: the language, the helpers templates use, form safety."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import msgspec
from litestar import Request
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.response import Redirect, Template

from services.api.core import problems
from services.api.web import i18n
from shared.db.pool import Conn
from shared.errors import SamlastError
from shared.formatting import moment, percent, short_day

Db = NamedDependency[Conn]
LANG_COOKIE = i18n.LANG_COOKIE
FLASH_COOKIE = "samlast_flash"
TYPED_COOKIE = "samlast_typed"  # a refused form's text, put back on its page
MAX_TYPED = 1000  # characters: base64 of their UTF-8 stays within a cookie's 4 kB
PUBLIC = {"public": True}
WEEK_S = 7 * 24 * 3600


def language_of(request: Request[Any, Any, Any]) -> str:
    """The language the request's pages are in (the switch, the browser, else Swedish)."""
    return i18n.choose(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def page(
    request: Request[Any, Any, Any], name: str, *, status_code: int = 200, **context: Any
) -> Template:
    """A page in the request's language, with the helpers every template uses."""
    language = language_of(request)
    return Template(
        template_name=f"web/{name}.html",
        context={
            "lang": language,
            "_": i18n.gettext_for(language),
            # a text the worker stored as a msgid and its values, in the page's language
            "said": lambda message, values=None: i18n.translate(language, message, values),
            "kr": lambda ore: i18n.kronor(ore, language),
            "num": lambda value, decimals=0: i18n.number(value, language, decimals),
            "qty": lambda units, measure: i18n.quantity(units, measure, language),
            "milli": lambda value: i18n.thousandths(value, language),
            "measured": lambda value, unit, decimals=0: i18n.measured(
                value, unit, language, decimals
            ),
            "unit": lambda unit: i18n.unit(unit, language),
            "pct": lambda value: percent(value, language),
            "day": lambda value: short_day(value, language),
            "when": lambda value, zone=None: i18n.when(
                value, language, zone or context.get("zone")
            ),
            "moment": lambda value, zone=None: moment(value, language, zone or context["zone"]),
            "path": request.url.path,
            "signed_in_as": request.scope.get("user"),
            **_flash(request),
            **context,
        },
        media_type="text/html; charset=utf-8",
        status_code=status_code,
        # shown once: a reload or a bookmark doesn't repeat it
        cookies=_shown_once(request),
    )


def _shown_once(request: Request[Any, Any, Any]) -> list[Cookie] | None:
    cookies = []
    if FLASH_COOKIE in request.cookies:
        cookies.append(Cookie(key=FLASH_COOKIE, value="", path="/app", max_age=0))
    if TYPED_COOKIE in request.cookies:
        cookies.append(Cookie(key=TYPED_COOKIE, value="", path=request.url.path, max_age=0))
    return cookies or None


def typed_of(request: Request[Any, Any, Any]) -> tuple[str, str]:
    """What a refused form had typed (its action and its text), from a cookie ``back``
    set for the form's own page: the page puts it back so nothing typed is lost."""
    try:
        text = base64.urlsafe_b64decode(request.cookies.get(TYPED_COOKIE, "")).decode()
    except (ValueError, UnicodeDecodeError):
        return "", ""
    action, _, typed = text.partition("\n")
    return action[:40], typed[:MAX_TYPED]


def _flash(request: Request[Any, Any, Any]) -> dict[str, str | None]:
    """What the last form did, from a cookie ``back`` set: never from the URL, so a
    link can't put words on our page."""
    kind, _, text = request.cookies.get(FLASH_COOKIE, "").partition(":")
    return {
        "error": unquote(text) if kind == "error" else None,
        "done": unquote(text) if kind == "done" else None,
    }


def progress_words(language: str) -> Callable[[Any], dict[str, str]]:
    """A run's state, stage and percent as the page shows them, for its live updates."""
    gettext = i18n.gettext_for(language)

    def words(run: Any) -> dict[str, str]:
        return {
            "state_text": gettext(str(run.state)),
            "stage_text": gettext("stage:" + run.stage),
            "percent_text": percent(run.percent, language),
        }

    return words


def same_site(request: Request[Any, Any, Any]) -> None:
    """Refuse a form post sent from another site (CSRF), by Origin or else Referer."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is None or urlsplit(origin).netloc != request.url.netloc:
        raise PermissionDeniedException("this form must be sent from Samlast's own pages")


def back(
    to: str,
    *,
    error: str | None = None,
    done: str | None = None,
    typed: tuple[str, str] | None = None,
) -> Redirect:
    """To ``to``, where the page says once what went wrong or what was done; after an
    error, ``typed`` (the form's action and its text) is kept for the page to put back."""
    flash = f"error:{quote(error)}" if error else f"done:{quote(done)}" if done else ""
    cookies = []
    if flash:
        cookies.append(
            Cookie(
                key=FLASH_COOKIE,
                value=flash,
                path="/app",
                max_age=60,
                httponly=True,
                samesite="strict",
            )
        )
    if error and typed and typed[1]:
        kept = f"{typed[0]}\n{typed[1][:MAX_TYPED]}".encode()
        cookies.append(
            Cookie(
                key=TYPED_COOKIE,
                value=base64.urlsafe_b64encode(kept).decode(),
                path=urlsplit(to).path,
                max_age=300,
                httponly=True,
                samesite="strict",
            )
        )
    return Redirect(path=to, status_code=303, cookies=cookies or None)


async def submit(
    to: str,
    done: str,
    action: Callable[[], Awaitable[object]],
    request: Request[Any, Any, Any] | None = None,
    typed: tuple[str, str] | None = None,
) -> Redirect:
    """Do what a form asks; back to ``to`` saying it was done, or what was wrong with
    it in the API's words (in the page's language when ``request`` is given)."""
    try:
        await action()
    except (ValueError, msgspec.ValidationError) as exc:
        words = _words(exc, language_of(request) if request is not None else "en")
        return back(to, error=words, typed=typed)
    except SamlastError as exc:
        words = said(request, exc) if request is not None else exc.detail
        return back(to, error=words, typed=typed)
    return back(to, done=done)


def said(request: Request[Any, Any, Any], exc: SamlastError) -> str:
    """A domain error as the page's reader reads it: its message in their language."""
    return i18n.translate(language_of(request), exc.message, exc.values)


def _words(exc: Exception, language: str) -> str:
    """msgspec's message (or a request struct's rule) in ``language``, with its JSON
    path turned into the form's field name."""
    text, _, path = str(exc).partition(" - at `$")
    words = problems.said(language, text)
    field = path.rstrip("`").lstrip(".")
    return f"{words} ({field})" if field else words
