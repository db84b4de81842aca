"""A match run between the API and the matcher: its states, its stored JSON, its job.

The API writes a run's overrides and reads back its summary and routing figures; the
matcher reads the overrides and writes the rest. Each is one struct here, so a field
added on one side is there on the other; where the engine has a twin of one (it may
import nothing of ``shared``), a test holds the two to the same fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

import msgspec


class RunState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    PROPOSED = "proposed"
    FAILED = "failed"
    APPROVED = "approved"
    PUBLISHED = "published"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"


# The states as the HTTP API names them (an inline enum in the OpenAPI
# document); tests/unit/test_contracts.py holds it to the enum.
RunStateName = Literal[
    "queued",
    "running",
    "proposed",
    "failed",
    "approved",
    "published",
    "rejected",
    "superseded",
    "cancelled",
]

# Where a run may go from each state, and nowhere else. The matcher moves queued and
# running runs; coordinators move proposed and approved ones; a re-run supersedes, a
# cancelled cycle cancels.
RUN_TRANSITIONS: Mapping[RunState, frozenset[RunState]] = {
    RunState.QUEUED: frozenset(
        {RunState.RUNNING, RunState.FAILED, RunState.SUPERSEDED, RunState.CANCELLED}
    ),
    RunState.RUNNING: frozenset(
        {
            RunState.RUNNING,  # taken up again after its worker died
            RunState.PROPOSED,
            RunState.FAILED,
            RunState.SUPERSEDED,
            RunState.CANCELLED,
        }
    ),
    RunState.PROPOSED: frozenset(
        {RunState.APPROVED, RunState.REJECTED, RunState.SUPERSEDED, RunState.CANCELLED}
    ),
    RunState.APPROVED: frozenset(
        {RunState.PUBLISHED, RunState.REJECTED, RunState.SUPERSEDED, RunState.CANCELLED}
    ),
    RunState.FAILED: frozenset(),
    RunState.PUBLISHED: frozenset(),
    RunState.REJECTED: frozenset(),
    RunState.SUPERSEDED: frozenset(),
    RunState.CANCELLED: frozenset(),
}

# Being computed: the matcher may still claim it.
COMPUTING = frozenset({RunState.QUEUED, RunState.RUNNING})
# Ended computing, one way or another.
FINISHED = frozenset(RunState) - COMPUTING

# What a computing run is doing (``match_run.stage``), in order, as the matcher writes
# it: empty while queued; ``route <part>`` as the routing stage plans each part (a second
# allocation pass at the routes' real rates is ``route repass``). The pages name each
# (``stage:<stage>`` in the catalogue) beside its percent.
STAGES = (
    "",
    "snapshot",
    "allocate",
    "route",
    "route joint",
    "route hub",
    "route repass",
    "route repass joint",
    "route repass hub",
    "route baseline",
    "route shares",
    "store",
    "done",
)
# Carries a stored result to show.
WITH_RESULT = frozenset(
    {
        RunState.PROPOSED,
        RunState.APPROVED,
        RunState.PUBLISHED,
        RunState.REJECTED,
        RunState.SUPERSEDED,
    }
)
# Have reserved packs that go back to the offers when they end.
HOLDING = frozenset({RunState.PROPOSED, RunState.APPROVED})
# Hold packs, or will: a re-run supersedes these, a cancelled cycle cancels them.
LIVE = COMPUTING | HOLDING
SUPERSEDABLE = COMPUTING | {RunState.PROPOSED}
DECIDED = frozenset({RunState.APPROVED, RunState.PUBLISHED})


def sources(to_state: RunState) -> list[RunState]:
    """The states a run may move to ``to_state`` from, in the table's order."""
    return [state for state, targets in RUN_TRANSITIONS.items() if to_state in targets]


class Pin(msgspec.Struct, frozen=True, kw_only=True):
    """A coordinator's fixed allocation: this demand line gets these units of this offer."""

    offer_id: UUID
    line_id: UUID
    units: int


class Overrides(msgspec.Struct, frozen=True, kw_only=True):
    """A run's overrides as stored in ``match_run.overrides``."""

    exclude_offers: list[UUID] = msgspec.field(default_factory=list)
    exclude_coops: list[UUID] = msgspec.field(default_factory=list)
    exclude_vehicles: list[UUID] = msgspec.field(default_factory=list)
    pins: list[Pin] = msgspec.field(default_factory=list)

    @classmethod
    def of(cls, stored: Mapping[str, Any] | None) -> Overrides:
        return msgspec.convert(stored or {}, cls)


class UnprovenGroup(msgspec.Struct, kw_only=True):
    """A product group whose fill is not proven the most possible, and why: the
    solver's node limit (work) or clock cap stopped it, the group was too large to
    try, or the solver failed. The engine's own fill stands for it."""

    product_id: UUID
    temperature: Literal["ambient", "chilled", "frozen"]
    why: Literal["node_limit", "clock", "size", "error"]


class RunSummary(msgspec.Struct, kw_only=True):
    """What a run's allocation came to, as stored in ``match_run.summary``."""

    firm_units_demanded: int
    firm_units_filled: int
    tolerance_units: int
    packs_bought: int
    goods_cost_ore: int
    transport_estimate_ore: int
    lines_filled: int
    lines_short: int
    # groups of one product and temperature class; the fill of every group not listed
    # in ``unproven_groups`` is proven the most whole packs can fill (rule 4)
    product_groups: int = 0
    unproven_groups: list[UnprovenGroup] = msgspec.field(default_factory=list)


class PlanTotals(msgspec.Struct, kw_only=True):
    routes: int
    distance_m: int
    duration_s: int
    cost_ore: int
    co2_grams: int


class PlanSavings(msgspec.Struct, kw_only=True):
    """What the joint plan saves against every producer delivering alone."""

    distance_m: int
    duration_s: int
    cost_ore: int
    co2_grams: int


PlanName = Literal["joint", "hub"]


class TransportCheck(msgspec.Struct, kw_only=True):
    """The transport estimate the allocation used beside what the proposed plan costs,
    over the shipments it carries (docs/matching.md, "The transport estimate"):
    ``estimate_ore`` is what the network's rates said, ``realised_ore`` the plan's route
    costs; the realised rates are that cost per kg and per tonne-km of those shipments,
    each measured farm to co-op as the estimate measures it (``None``: nothing carried)."""

    handling_ore_per_kg: int
    ore_per_tonne_km: int
    carried_grams: int
    carried_kg_km: int
    estimate_ore: int
    realised_ore: int
    realised_ore_per_kg: int | None
    realised_ore_per_tonne_km: int | None


class PassFigures(msgspec.Struct, kw_only=True):
    """One allocation pass once routed: firm units filled, shipments its proposed plan
    leaves unserved, the packs' price, the routes' realised cost, and their sum; and
    whether a search for its plans stopped at its time cap."""

    firm_units_filled: int
    unserved: int
    goods_ore: int
    realised_ore: int
    total_ore: int
    clock_capped: bool = False


class TransportRepass(msgspec.Struct, kw_only=True):
    """A second allocation pass at the realised transport rates, made because the first
    pass's routes cost more than the tolerance off its estimate (docs/matching.md, "The
    re-pass"): the rates it priced carriage at, both passes' figures, and which pass
    the run kept: the one that fills more, then leaves fewer shipments unserved, then
    costs less in all (``why``); on a tie the first."""

    handling_ore_per_kg: int
    ore_per_tonne_km: int
    first: PassFigures
    second: PassFigures
    kept: Literal["first", "second"]
    why: Literal["fills_more", "carries_more", "costs_less", "costs_no_less"]


class RunRouting(msgspec.Struct, kw_only=True):
    """A run's routing figures, as stored in ``match_run.routing``."""

    proposed: PlanName  # the plan whose routes and shares are proposed
    joint: PlanTotals  # farm to co-op
    hub: PlanTotals | None  # via the network's hub, when it has one
    baseline: PlanTotals  # every producer alone, over the shipments the proposal carries
    savings: PlanSavings
    shipments: int
    unserved: int
    # shipments the proposal carries that no van could carry from their farm alone:
    # the baseline lacks them, so its cost and the savings leave them out on one side
    baseline_unserved: int = 0
    # the network has a hub, closed all day on the delivery day (its opening hours): no
    # plan via it was made (False in runs stored before hub hours were kept)
    hub_closed: bool = False
    # a route search stopped at its time cap, not its iterations: the same network may
    # be planned otherwise on another machine (False in runs stored before it was kept)
    clock_capped: bool = False
    # the transport estimate beside the realised cost (None in runs stored before it was)
    transport: TransportCheck | None = None
    # the second allocation pass at the realised rates, when the run made one; the
    # figures above, the allocation and ``transport`` are the kept pass's
    repass: TransportRepass | None = None

    @classmethod
    def of(cls, stored: Mapping[str, Any] | None) -> RunRouting | None:
        return msgspec.convert(stored, cls) if stored else None


# The matcher's job that computes one run; its one argument is the run's id, as a
# string, and the job's id is the same (arq keeps one job per id).
MATCH_JOB = "match_cycle"
