"""The contracts between the API and the matcher: one shape on both sides.

The engine may import nothing of ``shared``, so where it has a twin of a stored
contract (its summary, its plan totals and savings, its pins), these tests hold the
two to the same fields; and the states the HTTP API names are exactly the enums'.
"""

from __future__ import annotations

from typing import get_args
from uuid import uuid4

import msgspec
import pytest

from services.matcher.engine import Pin as EnginePin
from services.matcher.engine import Summary
from services.matcher.engine.allocation.model import UnprovenGroup
from services.matcher.engine.routing.model import Totals
from services.matcher.engine.routing.plans import Savings
from services.matcher.engine.routing.realised import PassFigures, Repass, TransportCheck
from shared.contracts import cycles, notifications, runs


def _fields(struct: type[msgspec.Struct]) -> dict[str, object]:
    """Field names and types; a nested struct counts by its name (its twin is checked
    on its own line below)."""
    return {field.name: _named(field.type) for field in msgspec.structs.fields(struct)}


def _named(kind: object) -> object:
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        return kind.__name__
    args = get_args(kind)
    if args and all(isinstance(a, type) and issubclass(a, msgspec.Struct) for a in args):
        return (getattr(kind, "__origin__", kind), tuple(a.__name__ for a in args))
    return kind


@pytest.mark.parametrize(
    ("engine", "contract"),
    [
        (Summary, runs.RunSummary),
        (UnprovenGroup, runs.UnprovenGroup),
        (Totals, runs.PlanTotals),
        (Savings, runs.PlanSavings),
        (EnginePin, runs.Pin),
        (TransportCheck, runs.TransportCheck),
        (PassFigures, runs.PassFigures),
        (Repass, runs.TransportRepass),
    ],
)
def test_the_engine_and_the_stored_contract_have_the_same_fields(
    engine: type[msgspec.Struct], contract: type[msgspec.Struct]
) -> None:
    assert _fields(engine) == _fields(contract)


def test_the_api_names_exactly_the_states_of_the_machines() -> None:
    assert set(get_args(runs.RunStateName)) == set(runs.RunState)
    assert set(get_args(cycles.CycleStateName)) == set(cycles.CycleState)
    assert set(get_args(notifications.NotificationName)) == set(notifications.NotificationKind)


def test_every_state_has_a_row_and_finished_runs_go_nowhere() -> None:
    assert set(runs.RUN_TRANSITIONS) == set(runs.RunState)
    assert set(cycles.CYCLE_TRANSITIONS) == set(cycles.CycleState)
    for state in runs.FINISHED - runs.HOLDING:
        assert runs.RUN_TRANSITIONS[state] == frozenset(), state
    assert runs.sources(runs.RunState.REJECTED) == [runs.RunState.PROPOSED, runs.RunState.APPROVED]
    assert cycles.sources(cycles.CycleState.CANCELLED) == [
        cycles.CycleState.OPEN,
        cycles.CycleState.CLOSED,
    ]


def test_stored_json_reads_back_as_written() -> None:
    overrides = runs.Overrides(
        exclude_coops=[uuid4()], pins=[runs.Pin(offer_id=uuid4(), line_id=uuid4(), units=3)]
    )
    assert runs.Overrides.of(msgspec.to_builtins(overrides)) == overrides
    assert runs.Overrides.of(None) == runs.Overrides()
    assert runs.RunRouting.of(None) is None


def test_a_run_s_routing_says_whether_the_clock_cut_a_search_short() -> None:
    """Runs stored before the flag was kept read back as not cut short."""
    totals = runs.PlanTotals(routes=1, distance_m=2, duration_s=3, cost_ore=4, co2_grams=5)
    routing = runs.RunRouting(
        proposed="joint",
        joint=totals,
        hub=None,
        baseline=totals,
        savings=runs.PlanSavings(distance_m=0, duration_s=0, cost_ore=0, co2_grams=0),
        shipments=2,
        unserved=0,
        clock_capped=True,
    )
    stored = msgspec.to_builtins(routing)
    assert runs.RunRouting.of(stored) == routing
    del stored["clock_capped"]
    older = runs.RunRouting.of(stored)
    assert older is not None
    assert older.clock_capped is False
