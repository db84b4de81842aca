"""Who is calling: derived from the verified token or session only, never from a body.

A token acts for its organisation (or, an admin token, for the deployment); a session
for the person signed in, as the organisation they chose to act for. Either way the
organisation's kind is the role: what a person may do is what their organisation may.
"""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

import msgspec


class Role(StrEnum):
    ADMIN = "admin"  # runs the deployment
    COORDINATOR = "coordinator"  # coordinates the networks its organisation belongs to
    PRODUCER = "producer"
    COOP = "coop"


ORGANISATION_ROLES = {
    "coordinator": Role.COORDINATOR,
    "producer": Role.PRODUCER,
    "coop": Role.COOP,
}


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    # the person acting: signed in, or who created the token (None once they are gone)
    person_id: UUID | None
    token_id: UUID | None = None  # set for API tokens
    session_id: UUID | None = None  # set for the pages' sessions
    role: Role
    organisation_id: UUID | None
    network_ids: frozenset[UUID]
    # may manage the organisation's people and tokens: its admins, and every token
    organisation_admin: bool = True
    # what the pages show of who is signed in, and for whom (sessions only)
    person_name: str = ""
    organisation_name: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def member_of(self, network_id: UUID) -> bool:
        """May see this network's shared data (products, cycles, listed offers)."""
        return self.is_admin or network_id in self.network_ids

    def coordinates(self, network_id: UUID) -> bool:
        """May manage this network (products, cycles, members, vehicles)."""
        return self.is_admin or (self.role is Role.COORDINATOR and network_id in self.network_ids)
