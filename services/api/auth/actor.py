"""Who is calling: derived from the verified token only, never from a request body."""

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
    user_id: UUID
    token_id: UUID
    role: Role
    organisation_id: UUID | None
    network_ids: frozenset[UUID]

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def member_of(self, network_id: UUID) -> bool:
        """May see this network's shared data (products, cycles, listed offers)."""
        return self.is_admin or network_id in self.network_ids

    def coordinates(self, network_id: UUID) -> bool:
        """May manage this network (products, cycles, members, vehicles)."""
        return self.is_admin or (self.role is Role.COORDINATOR and network_id in self.network_ids)
