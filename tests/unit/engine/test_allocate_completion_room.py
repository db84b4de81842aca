"""Pack completion reads only the group's tolerant lines (``GroupIndex.tolerant``) each
pass: the room it starts from must be what adding up every line gives, on any network
and after any caps."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.networks import SHAPES, Shape, generate
from services.matcher.engine import AllocationProblem
from services.matcher.engine.allocation.completion import _Completion
from services.matcher.engine.allocation.group import GroupIndex
from services.matcher.engine.allocation.passes import Demand, Pass, plan_pass
from tests.unit.engine.test_allocate_properties import problems
from tests.unit.engine.test_allocate_replay import groups


def _every_line(group: GroupIndex, current: Pass) -> tuple[list[int], list[int], int]:
    """The room as worked out over every line of the group (the code before)."""
    room = [
        line.tolerance if current.firm_targets.get(index, 0) == line.firm_quantity else 0
        for index, line in enumerate(group.lines)
    ]
    by_prefix = [0] * (len(group.offers) + 1)
    for index, units in enumerate(room):
        by_prefix[group.line_prefix[index]] += units
    return room, by_prefix, sum(by_prefix[1:])


def rooms_match(group: GroupIndex, rng: random.Random, steps: int) -> None:
    demand = Demand(group)
    caps = dict(group.full_caps)
    current = plan_pass(demand, caps)
    for step in range(steps + 1):
        completion = _Completion(demand, current)
        room, by_prefix, reachable = _every_line(group, current)
        # prefix 0: lines no offer may serve; no offer reads their room
        for index, k in enumerate(group.line_prefix):
            assert completion.room[index] == (room[index] if k > 0 else 0)
        assert completion.room_by_prefix[1:] == by_prefix[1:]
        assert completion.reachable == reachable
        if step == steps or not group.offers:
            return
        caps = dict(caps)
        for offer_id in rng.sample(group.offer_ids, rng.randint(1, min(3, len(group.offers)))):
            used = current.firm_amounts[offer_id]
            caps[offer_id] = rng.randint(max(0, used - 2 * max(1, used // 3)), used)
        current = plan_pass(demand, caps, current)


@settings(max_examples=300, deadline=None)
@given(problems(), st.randoms(use_true_random=False))
def test_the_room_equals_every_lines_on_random_networks(
    problem: AllocationProblem, rng: random.Random
) -> None:
    for group in groups(problem):
        rooms_match(group, rng, steps=3)


@pytest.mark.parametrize("shape", ["", *SHAPES])
def test_the_room_equals_every_lines_on_seeded_networks(shape: str) -> None:
    problem = generate(
        1,
        producers=20,
        coops=10,
        offers=200,
        lines=1_000,
        products=20,
        shape=SHAPES[shape] if shape else Shape(),
    )
    rng = random.Random(7)
    for group in groups(problem):
        rooms_match(group, rng, steps=3)
