"""One exception hierarchy for domain errors; the API maps it to HTTP in one place."""

from __future__ import annotations

from typing import Any


class SamlastError(Exception):
    """Base of every error the API turns into a problem-details response."""

    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidParameterError(SamlastError):
    """A query or header parameter that does not parse (e.g. a cursor we never gave out)."""

    status_code = 400
    title = "Invalid request"


class NotFoundError(SamlastError):
    """The object does not exist, or belongs to another tenant (never say which)."""

    status_code = 404
    title = "Not found"


class ForbiddenError(SamlastError):
    """The caller is known and sees the object, but may not do this to it."""

    status_code = 403
    title = "Forbidden"


class ConflictError(SamlastError):
    """The request clashes with the object's current state (e.g. the cycle closed)."""

    status_code = 409
    title = "Conflict"


class PreconditionFailedError(SamlastError):
    """An ``If-Match`` named a version that is no longer current."""

    status_code = 412
    title = "Precondition failed"


class PreconditionRequiredError(SamlastError):
    """An edit came without ``If-Match``."""

    status_code = 428
    title = "Precondition required"


class UnprocessableError(SamlastError):
    """Well-formed input that breaks a domain rule."""

    status_code = 422
    title = "Unprocessable content"


class ServiceUnavailableError(SamlastError):
    """A backing server (PostgreSQL, Redis) cannot be reached."""

    status_code = 503
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

    title = "Location required"
