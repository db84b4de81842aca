"""The same network under other ids gets the same allocation (named by its ids)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from uuid import UUID

import msgspec
import pytest

from services.matcher.engine import AllocationProblem, AllocationResult, DemandLine, Offer, allocate
from services.matcher.engine.allocation.transport import estimate_transport
from services.matcher.matching.canonical import Labels

DAY = dt.date(2026, 12, 3)
Place = tuple[float, float]


def network(seed: int) -> tuple[AllocationProblem, dict[UUID, Place], dict[UUID, Place]]:
    """Few prices, pack sizes and quantities: ties everywhere the engine breaks them."""
    rng = random.Random(seed)
    products = [UUID(int=1), UUID(int=2)]
    farms = {UUID(int=100 + n): (59 + rng.random(), 17 + rng.random()) for n in range(4)}
    coops = {UUID(int=200 + n): (59 + rng.random(), 17 + rng.random()) for n in range(5)}
    offers = [
        Offer(
            id=UUID(int=1000 + n),
            producer_id=rng.choice(list(farms)),
            product_id=rng.choice(products),
            pack_units=rng.choice([5, 10]),
            packs_available=rng.randint(1, 3),
            price_per_pack_ore=rng.choice([10_000, 12_000]),
            valid_from=DAY,
            valid_until=DAY,
            grams_per_unit=rng.choice([0, 500]),
        )
        for n in range(8)
    ]
    lines = [
        DemandLine(
            id=UUID(int=2000 + n),
            coop_id=rng.choice(list(coops)),
            product_id=rng.choice(products),
            firm_quantity=rng.choice([3, 4, 6]),
            tolerance=rng.choice([0, 1, 2]),
        )
        for n in range(14)
    ]
    transport = estimate_transport(farms, coops, road_factor=1.3)
    problem = AllocationProblem(delivery_date=DAY, offers=offers, lines=lines, transport=transport)
    return problem, farms, coops


def renamed(problem: AllocationProblem, names: dict[UUID, UUID]) -> AllocationProblem:
    replace = msgspec.structs.replace
    return replace(
        problem,
        offers=[
            replace(o, id=names[o.id], producer_id=names[o.producer_id]) for o in problem.offers
        ],
        lines=[replace(x, id=names[x.id], coop_id=names[x.coop_id]) for x in problem.lines],
        transport=[
            replace(t, producer_id=names[t.producer_id], coop_id=names[t.coop_id])
            for t in problem.transport
        ],
    )


def allocated(
    problem: AllocationProblem, result: AllocationResult, places: dict[UUID, Place]
) -> list[tuple[object, ...]]:
    """What went where, by what things are: offers and lines alike in everything but
    their ids are interchangeable, so they can't be told apart by id."""
    offers = {o.id: o for o in problem.offers}
    lines = {x.id: x for x in problem.lines}

    def offer(o: Offer) -> tuple[object, ...]:
        return (
            places[o.producer_id],
            o.product_id,
            o.price_per_pack_ore,
            o.pack_units,
            o.packs_available,
            o.grams_per_unit,
        )

    def line(x: DemandLine) -> tuple[object, ...]:
        return (places[x.coop_id], x.product_id, x.firm_quantity, x.tolerance)

    return sorted(
        (offer(offers[a.offer_id]), line(lines[a.line_id]), a.units, a.tolerance_units)
        for a in result.allocations
    )


def fresh_names(problem: AllocationProblem, seed: int) -> dict[UUID, UUID]:
    rng = random.Random(seed)
    things = {o.id for o in problem.offers} | {o.producer_id for o in problem.offers}
    things |= {x.id for x in problem.lines} | {x.coop_id for x in problem.lines}
    things |= {t.producer_id for t in problem.transport} | {t.coop_id for t in problem.transport}
    return {thing: uuid.UUID(int=rng.getrandbits(128)) for thing in sorted(things)}


def canonically(
    problem: AllocationProblem, farms: dict[UUID, Place], coops: dict[UUID, Place]
) -> AllocationResult:
    labels = Labels.of(problem, farms, coops)
    return labels.result(allocate(labels.problem(problem)))


@pytest.mark.parametrize("seed", range(40))
def test_the_same_network_under_other_ids_is_allocated_alike(seed: int) -> None:
    problem, farms, coops = network(seed)
    names = fresh_names(problem, seed)
    other = renamed(problem, names)
    other_farms = {names[p]: place for p, place in farms.items()}
    other_coops = {names[c]: place for c, place in coops.items()}
    before = canonically(problem, farms, coops)
    after = canonically(other, other_farms, other_coops)
    assert allocated(other, after, other_farms | other_coops) == allocated(
        problem, before, farms | coops
    )
    assert after.summary == before.summary


def test_without_canonical_ids_some_of_those_networks_are_allocated_otherwise() -> None:
    """So the test above can fail: the engine alone breaks these ties by id."""
    differ = 0
    for seed in range(40):
        problem, farms, coops = network(seed)
        names = fresh_names(problem, seed)
        other = renamed(problem, names)
        places = {names[thing]: place for thing, place in (farms | coops).items()}
        ours = allocated(problem, allocate(problem), farms | coops)
        differ += allocated(other, allocate(other), places) != ours
    assert differ > 0
