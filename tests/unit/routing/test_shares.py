"""Cost shares: they add up exactly, follow stand-alone costs, and never exceed them."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from services.matcher.engine.routing.shares import share_route_cost

IDS = [uuid.UUID(int=n) for n in range(1, 9)]


def standalones() -> st.SearchStrategy[dict[uuid.UUID, int]]:
    return st.dictionaries(st.sampled_from(IDS), st.integers(0, 10**7), min_size=1)


@settings(max_examples=1000, deadline=None)
@given(
    cost=st.integers(0, 3 * 10**7),
    standalone=standalones(),
    grams=st.dictionaries(st.sampled_from(IDS), st.integers(0, 10**6)),
    permille=st.integers(0, 1000),
)
def test_shares_add_up_and_stay_within_stand_alone_costs(
    cost: int, standalone: dict[uuid.UUID, int], grams: dict[uuid.UUID, int], permille: int
) -> None:
    shares = share_route_cost(cost, standalone, grams, permille)
    assert sum(shares.coops.values()) + sum(shares.producers.values()) + shares.unshared_ore == cost
    assert all(0 <= shares.coops[coop] <= standalone[coop] for coop in standalone)
    assert set(shares.coops) == set(standalone)
    assert shares.unshared_ore >= 0
    if shares.unshared_ore:  # only when the co-ops already pay all they would alone
        assert shares.coops == standalone


@settings(max_examples=1000, deadline=None)
@given(cost=st.integers(0, 10**7), standalone=standalones())
def test_co_ops_pay_in_proportion_to_their_stand_alone_costs(
    cost: int, standalone: dict[uuid.UUID, int]
) -> None:
    shares = share_route_cost(cost, standalone, {})
    paid = sum(shares.coops.values())
    total = sum(standalone.values())
    for coop, alone in standalone.items():
        exact = paid * alone / total if total else 0
        assert abs(shares.coops[coop] - exact) < 1


def test_a_worked_example() -> None:
    a, b, farm = IDS[:3]
    shares = share_route_cost(1000, {a: 900, b: 300}, {farm: 5000}, producer_share_permille=100)
    assert shares.producers == {farm: 100}
    assert shares.coops == {a: 675, b: 225}  # 900 öre split 3:1
    assert shares.unshared_ore == 0
    poor = share_route_cost(1500, {a: 900, b: 300}, {})
    assert (poor.coops, poor.unshared_ore) == ({a: 900, b: 300}, 300)
