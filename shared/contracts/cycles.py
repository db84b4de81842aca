"""A network's ordering round between the API and the matcher: its state machine.

open → closed (the deadline, or a coordinator) → matched (the matcher stored a run) →
published (a coordinator published that run); open or closed → cancelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Literal


class CycleState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    MATCHED = "matched"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


# The states as the HTTP API names them (an inline enum in the OpenAPI
# document); tests/unit/test_contracts.py holds it to the enum.
CycleStateName = Literal["open", "closed", "matched", "published", "cancelled"]

CYCLE_TRANSITIONS: Mapping[CycleState, frozenset[CycleState]] = {
    CycleState.OPEN: frozenset({CycleState.CLOSED, CycleState.CANCELLED}),
    CycleState.CLOSED: frozenset({CycleState.MATCHED, CycleState.CANCELLED}),
    CycleState.MATCHED: frozenset({CycleState.PUBLISHED}),
    CycleState.PUBLISHED: frozenset(),
    CycleState.CANCELLED: frozenset(),
}

# A coordinator's actions on a cycle, and the state each leads to.
CYCLE_ACTIONS: Mapping[str, CycleState] = {
    "close": CycleState.CLOSED,
    "cancel": CycleState.CANCELLED,
}

# A cycle in these states can be matched again (a new run version).
MATCHABLE = frozenset({CycleState.CLOSED, CycleState.MATCHED})


def sources(to_state: CycleState) -> list[CycleState]:
    """The states a cycle may move to ``to_state`` from, in the table's order."""
    return [state for state, targets in CYCLE_TRANSITIONS.items() if to_state in targets]
