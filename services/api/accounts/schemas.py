"""What the account pages take and show: people, their sessions, invitations."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from services.api.core.types import Input, Name, Phone
from shared.contracts.notifications import NotificationName

Language = Literal["sv", "en"]
Email = Annotated[
    str, msgspec.Meta(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
]
# Notifications a person can turn off (docs/notifications.md says who gets which).
Notification = NotificationName


class ProfileIn(Input):
    name: Name
    language: Language
    phone: Phone = ""
    muted: list[Notification] = msgspec.field(default_factory=list)


class PersonIn(Input):
    """A person of the organisation: found by e-mail address, or new. They sign in by
    asking the sign-in page for a link; no mail is sent now."""

    email: Email
    name: Name
    language: Language = "sv"
    phone: Phone = ""
    role: Literal["member", "admin"] = "member"


class InvitationIn(Input):
    """A colleague into your organisation; or (coordinators) a producer or co-op into a
    network: a new one (``organisation_name``, ``organisation_kind``, ``network_id``) or
    someone of one already there (``organisation_id``). Only a deployment admin founds a
    network's coordinating organisation (kind ``coordinator``)."""

    email: Email
    language: Language = "sv"
    role: Literal["member", "admin"] = "admin"
    organisation_name: Name | None = None
    organisation_kind: Literal["producer", "coop", "coordinator"] | None = None
    network_id: UUID | None = None
    organisation_id: UUID | None = None


class AcceptIn(Input):
    name: Name
    language: Language = "sv"
    phone: Phone = ""
    password: Annotated[str, msgspec.Meta(max_length=200)] = ""


class PersonOut(msgspec.Struct, kw_only=True):
    id: UUID
    email: str | None
    name: str
    language: str
    phone: str
    is_admin: bool
    muted: list[str]
    has_password: bool
    created_at: dt.datetime


class MembershipOut(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    kind: str
    role: str
    network_ids: list[UUID]


class SessionOut(msgspec.Struct, kw_only=True):
    id: UUID
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    user_agent: str
    address: str
    current: bool = False

    @property
    def device(self) -> str:
        """The browser and system, as a person recognises them ("Firefox · Android")."""
        agent = self.user_agent
        browsers = (
            ("Edg", "Edge"),
            ("Firefox", "Firefox"),
            ("Chrome", "Chrome"),
            (
                "Safari",
                "Safari",
            ),
        )
        systems = (
            ("Android", "Android"),
            ("iPhone", "iPhone"),
            ("iPad", "iPad"),
            (
                "Windows",
                "Windows",
            ),
            ("Mac OS", "Mac"),
            ("Linux", "Linux"),
        )
        browser = next((name for key, name in browsers if key in agent), "")
        system = next((name for key, name in systems if key in agent), "")
        return " · ".join(part for part in (browser, system) if part) or agent[:40] or "?"


class ColleagueOut(msgspec.Struct, kw_only=True):
    id: UUID
    email: str | None
    name: str
    language: str
    role: str
    joined_at: dt.datetime
    last_seen_at: dt.datetime | None


class InvitationOut(msgspec.Struct, kw_only=True):
    id: UUID
    email: str
    language: str
    role: str
    organisation_id: UUID | None
    organisation_name: str
    organisation_kind: str
    network_id: UUID | None
    network_name: str | None
    invited_by_name: str | None
    created_at: dt.datetime
    sent_at: dt.datetime
    times_sent: int
    expires_at: dt.datetime
    accepted_at: dt.datetime | None
    withdrawn_at: dt.datetime | None

    @property
    def state(self) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.expires_at <= dt.datetime.now(dt.UTC):
            return "expired"
        return "pending"


class SignedIn(msgspec.Struct, kw_only=True):
    """A new session: the cookie's value (shown to the browser once) and its lifetime."""

    cookie: str
    max_age_s: int
    person_id: UUID
