"""``allocate`` orders lines by id in numpy, by the ids' high halves where they differ
and by both halves where two high halves are equal: the order must be exactly
Python's order of the ids' ints, ties (equal ids) in index order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.matcher.engine.allocation.allocate import _id_order


def python_order(ids: list[int]) -> list[int]:
    return sorted(range(len(ids)), key=ids.__getitem__)  # sorted is stable


@given(st.lists(st.integers(0, 2**128 - 1), max_size=200))
def test_random_ids_order_as_their_ints(ids: list[int]) -> None:
    assert _id_order(ids).tolist() == python_order(ids)


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), max_size=200))
def test_equal_high_halves_and_equal_ids_order_as_their_ints(halves: list[tuple[int, int]]) -> None:
    top = 2**64 - 4  # near the ends of both halves' range
    ids = [(top + high) << 64 | (top + low) for high, low in halves]
    assert _id_order(ids).tolist() == python_order(ids)


def test_the_extremes() -> None:
    ids = [2**128 - 1, 0, 2**127, 5, 2**64, 2**64 - 1]
    assert _id_order(ids).tolist() == [1, 3, 5, 4, 2, 0]
