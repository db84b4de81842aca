"""A re-plan after caps change is replayed from the pass before (``passes``): it must
give exactly what planning the whole group again gives, on any network and any caps."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from uuid import UUID

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.networks import SHAPES, Shape, generate
from services.matcher.engine import AllocationProblem, allocate
from services.matcher.engine.allocation import passes
from services.matcher.engine.allocation.group import GroupIndex, Ranks, index_group
from services.matcher.engine.allocation.landed import Rates
from services.matcher.engine.allocation.passes import Demand, Pass, plan_pass
from tests.unit.engine.test_allocate_properties import problems


def groups(problem: AllocationProblem) -> Iterator[GroupIndex]:
    """The problem's product groups, indexed as ``allocate`` indexes them (no pins)."""
    rates = Rates(problem.transport)
    offers = sorted(problem.offers, key=lambda o: o.id.int)
    lines = sorted(problem.lines, key=lambda line: line.id.int)
    offer_rank = {offer.id.int: rank for rank, offer in enumerate(offers)}
    by_group: dict[tuple[int, str], list[int]] = defaultdict(list)
    for rank, line in enumerate(lines):
        by_group[(line.product_id.int, line.temperature)].append(rank)
    for (product, temperature), ranks in sorted(by_group.items()):
        yield index_group(
            [lines[rank] for rank in ranks],
            [offer for offer in offers if offer.product_id.int == product],
            temperature,  # type: ignore[arg-type]
            problem.delivery_date,
            rates,
            Ranks(offer_rank, ranks, len(lines)),
        )


def replays_match(group: GroupIndex, rng: random.Random, steps: int) -> None:
    """From the full caps, cap random offers at random units below what they had, a
    few at a time as step 4 does, or give one back all its units (the replay must
    handle more left as well as less): each replayed pass equals the whole pass,
    trace included."""
    demand = Demand(group)
    caps = dict(group.full_caps)
    replayed: Pass = plan_pass(demand, caps)
    assert replayed == _whole(demand, caps)
    for _ in range(steps):
        if not group.offers:
            return
        caps = dict(caps)
        for offer_id in rng.sample(group.offer_ids, rng.randint(1, min(3, len(group.offers)))):
            if rng.random() < 0.2:
                caps[offer_id] = group.full_caps[offer_id]
            else:
                used = replayed.firm_amounts[offer_id]
                caps[offer_id] = rng.randint(max(0, used - 2 * max(1, used // 3)), used)
        replayed = plan_pass(demand, caps, replayed)
        assert replayed == _whole(demand, caps)


def _whole(demand: Demand, caps: dict[UUID, int]) -> Pass:
    """The pass done whole, with nothing to replay from."""
    return plan_pass(demand, caps)


@settings(max_examples=400, deadline=None)
@given(problems(), st.randoms(use_true_random=False))
def test_a_replayed_pass_equals_the_whole_pass_on_random_networks(
    problem: AllocationProblem, rng: random.Random
) -> None:
    for group in groups(problem):
        replays_match(group, rng, steps=4)


@pytest.mark.parametrize("shape", ["", *SHAPES])
@pytest.mark.parametrize("seed", [1, 2])
def test_a_replayed_pass_equals_the_whole_pass_on_seeded_networks(shape: str, seed: int) -> None:
    """Networks of the bench's shapes: many price classes and co-ops per group, so the
    replay reuses most classes and redoes a few, pair by pair."""
    problem = generate(
        seed,
        producers=20,
        coops=10,
        offers=200,
        lines=1_000,
        products=10,
        shape=SHAPES[shape] if shape else Shape(),
    )
    rng = random.Random(seed)
    for group in groups(problem):
        replays_match(group, rng, steps=6)


@pytest.mark.parametrize("shape", ["", *SHAPES])
def test_allocate_gives_the_same_result_replayed_or_not(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    problem = generate(
        3,
        producers=40,
        coops=20,
        offers=400,
        lines=2_500,
        products=25,
        shape=SHAPES[shape] if shape else Shape(),
    )
    replayed = msgspec.json.encode(allocate(problem))
    monkeypatch.setattr(passes, "REPLAY", False)
    assert msgspec.json.encode(allocate(problem)) == replayed
