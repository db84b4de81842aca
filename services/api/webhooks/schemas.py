from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from urllib.parse import urlsplit
from uuid import UUID

import msgspec

from services.api.core.types import Input
from shared.errors import rule

NOT_A_URL = rule("`url` is not a URL: {reason}")


class WebhookIn(Input):
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]

    def __post_init__(self) -> None:
        try:
            parts = urlsplit(self.url)
            parts.port  # noqa: B018 # raises on a port that is no number
        except ValueError as exc:
            raise ValueError(NOT_A_URL.format(reason=exc)) from exc
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("`url` must be an http(s) URL with a host")
        if parts.username or parts.password:
            raise ValueError("`url` must not carry credentials: verify the signature instead")


class WebhookCreated(msgspec.Struct, kw_only=True):
    url: str
    secret: str  # shown once: the receiver verifies signatures with it


class DeliveryOut(msgspec.Struct, kw_only=True):
    id: UUID
    event: str
    run_id: UUID | None
    state: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: dt.datetime
    created_at: dt.datetime
    delivered_at: dt.datetime | None


class WebhookOut(msgspec.Struct, kw_only=True):
    url: str | None
    deliveries: list[DeliveryOut]  # the latest first
