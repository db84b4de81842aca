"""One exception hierarchy for domain errors; the API maps it to HTTP in one place.

Each class has a stable ``code``: the last segment of the problem's ``type`` URI, which
programs rely on and which never changes with the language of the answer. The
``message`` is English and the translation catalogue's msgid (``services/api/web/locale``),
with ``{placeholders}`` filled from ``values``; ``detail`` is that English filled in, for
logs and for callers that show it as it is. The API's problems (``core/problems.py``)
and the pages translate the message and its ``title`` into the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


class Term(str):
    """A value of a message that is itself a word to translate (a state: ``closed``),
    unlike a name or a number, which stay as they are."""

    __slots__ = ()


class Phrase(str):
    """An English message filled in that keeps its msgid and values apart, so a message
    kept in a list (an upload's row errors) is said later in the reader's language."""

    message: str
    values: dict[str, object]

    def __new__(cls, message: str, values: Mapping[str, object] | None = None) -> Phrase:
        kept = dict(values or {})
        phrase = super().__new__(cls, message.format(**kept) if kept else message)
        phrase.message = message
        phrase.values = kept
        return phrase


_RULES: dict[str, re.Pattern[str]] = {}


def rule(message: str) -> str:
    """Register ``message`` (an English msgid with ``{placeholders}``) as one a request
    struct raises as ``ValueError``: msgspec keeps only its text, so the API's problems
    match the text back to the msgid and its values (``ruled``) to translate it."""
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(message))
    _RULES[message] = re.compile(pattern, re.DOTALL)
    return message


def ruled(text: str) -> tuple[str, dict[str, object]] | None:
    """The registered rule ``text`` was filled in from, and its values, if any."""
    for message, pattern in _RULES.items():
        if (match := pattern.fullmatch(text)) is not None:
            return message, dict(match.groupdict())
    return None


class SamlastError(Exception):
    """Base of every error the API turns into a problem-details response."""

    status_code = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(
        self, message: str, /, *, values: Mapping[str, object] | None = None, **extra: Any
    ) -> None:
        self.message = message
        self.values = dict(values or {})
        self.detail = message.format(**self.values) if self.values else message
        super().__init__(self.detail)
        self.extra = extra


class InvalidParameterError(SamlastError):
    """A query or header parameter that does not parse (e.g. a cursor we never gave out)."""

    status_code = 400
    code = "invalid-request"
    title = "Invalid request"


class NotFoundError(SamlastError):
    """The object does not exist, or belongs to another tenant (never say which)."""

    status_code = 404
    code = "not-found"
    title = "Not found"


class ForbiddenError(SamlastError):
    """The caller is known and sees the object, but may not do this to it."""

    status_code = 403
    code = "forbidden"
    title = "Forbidden"


class ConflictError(SamlastError):
    """The request clashes with the object's current state (e.g. the cycle closed)."""

    status_code = 409
    code = "conflict"
    title = "Conflict"


class PreconditionFailedError(SamlastError):
    """An ``If-Match`` named a version that is no longer current."""

    status_code = 412
    code = "precondition-failed"
    title = "Precondition failed"


class PreconditionRequiredError(SamlastError):
    """An edit came without ``If-Match``."""

    status_code = 428
    code = "precondition-required"
    title = "Precondition required"


class UnprocessableError(SamlastError):
    """Well-formed input that breaks a domain rule."""

    status_code = 422
    code = "unprocessable-content"
    title = "Unprocessable content"


class ServiceUnavailableError(SamlastError):
    """A backing server (PostgreSQL, Redis) cannot be reached."""

    status_code = 503
    code = "service-unavailable"
    title = "Service unavailable"


class TenantDeniedError(NotFoundError):
    """An object of another tenant: answered exactly like a missing one, but audited."""


class ForeignReferenceError(UnprocessableError):
    """A body names another tenant's object: answered like a missing one (422), audited.

    404 is for the URL's own resource; an id inside the body that the caller may not
    use is a problem with the content, named by its field.
    """


class LocationRequiredError(ConflictError):
    """A producer or co-op with no place yet may not offer or order: no van could reach
    it, and its goods would be left unserved. It sets its place first."""

    code = "location-required"
    title = "Location required"
