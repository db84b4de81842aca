"""Allocation benchmarks: quality against the exact optimum, pooling against ordering
alone, and how the engine's time grows with the network."""

from __future__ import annotations

import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar
from uuid import UUID

from bench.baseline import order_alone
from bench.networks import SHAPES, Shape, generate
from bench.optimum import exact_optimum
from services.matcher.engine import AllocationProblem, AllocationResult, allocate

T = TypeVar("T")

# name → (producers, co-ops, offers, lines, products)
QUALITY_SIZES = {
    "small": (20, 10, 200, 1_000, 20),
    "medium": (40, 20, 400, 2_500, 25),
    "large": (60, 30, 600, 4_000, 20),
}
SPEED_BASE = (300, 100, 3_000, 30_000, 60)


@dataclass(frozen=True)
class QualityRow:
    size: str
    seed: int
    lines: int
    firm_demanded: int
    fill_engine: int
    fill_optimum: int
    cost_engine: int
    cost_optimum: int
    cost_at_shares: int  # the optimum with every line's firm units fixed at the engine's
    proven: bool
    fill_alone: int
    coops_pooled: int
    coops_alone: int
    coops: int
    engine_s: float
    milp_s: float

    @property
    def fill_gap(self) -> float:
        return (self.fill_optimum - self.fill_engine) / max(self.fill_optimum, 1)

    @property
    def cost_gap(self) -> float:
        """Against the cheapest plan at the optimum's fill, which may share short
        supply unfairly (rule 5 ranks above rule 6)."""
        return (self.cost_engine - self.cost_optimum) / max(self.cost_optimum, 1)

    @property
    def shares_cost_gap(self) -> float:
        """Against the cheapest plan giving every line what the engine gave it: rule 6
        alone."""
        return (self.cost_engine - self.cost_at_shares) / max(self.cost_at_shares, 1)


@dataclass(frozen=True)
class SpeedRow:
    scale: int
    offers: int
    lines: int
    seconds: float  # the median run's
    low: float  # the fastest run's
    high: float  # the slowest run's
    runs: int
    reference_units: float  # seconds / the reference workload's seconds


def quality(size: str, seed: int, milp_time_limit_s: float, shape: str = "") -> QualityRow:
    """``shape``: one of ``networks.SHAPES``, or the default networks."""
    producers, coops, offers, lines, products = QUALITY_SIZES[size]
    problem = generate(
        seed,
        producers=producers,
        coops=coops,
        offers=offers,
        lines=lines,
        products=products,
        shape=SHAPES[shape] if shape else Shape(),
    )
    engine_s, result = _timed(lambda: allocate(problem))
    milp_s, optimum = _timed(lambda: exact_optimum(problem, milp_time_limit_s))
    shares: dict[UUID, int] = defaultdict(int)
    for allocation in result.allocations:
        shares[allocation.line_id] += allocation.units - allocation.tolerance_units
    shares_s, at_shares = _timed(lambda: exact_optimum(problem, milp_time_limit_s, shares))
    alone = order_alone(problem)
    summary = result.summary
    return QualityRow(
        size=f"{size} {shape}" if shape else size,
        seed=seed,
        lines=len(problem.lines),
        firm_demanded=summary.firm_units_demanded,
        fill_engine=summary.firm_units_filled,
        fill_optimum=optimum.firm_units_filled,
        cost_engine=summary.goods_cost_ore + summary.transport_estimate_ore,
        cost_optimum=optimum.landed_cost_ore,
        cost_at_shares=at_shares.landed_cost_ore,
        proven=optimum.proven and at_shares.proven,
        fill_alone=alone.firm_units_filled,
        coops_pooled=len(_coops_served(problem, result)),
        coops_alone=alone.coops_served,
        coops=coops,
        engine_s=engine_s,
        milp_s=milp_s + shares_s,
    )


def speed(scales: dict[int, int], reference_s: float) -> list[SpeedRow]:
    """``scales`` maps each scale to how often to run it. Offers and lines grow with the
    scale; producers and co-ops with its square root."""
    rows = []
    producers, coops, offers, lines, products = SPEED_BASE
    for scale, runs in scales.items():
        root = round(scale**0.5)
        problem = generate(
            1,
            producers=producers * root,
            coops=coops * root,
            offers=offers * scale,
            lines=lines * scale,
            products=products,
        )
        times = sorted(_timed(partial(allocate, problem))[0] for _ in range(runs))
        median = statistics.median(times)
        rows.append(
            SpeedRow(
                scale,
                offers * scale,
                lines * scale,
                median,
                times[0],
                times[-1],
                runs,
                median / reference_s,
            )
        )
    return rows


def reference_seconds() -> float:
    """A fixed CPU workload to divide by, so numbers compare across machines: the
    median of five sorts of a million seeded floats."""
    rng = random.Random(0)
    values = [rng.random() for _ in range(1_000_000)]
    return statistics.median(_timed(lambda: sorted(values))[0] for _ in range(5))


def _coops_served(problem: AllocationProblem, result: AllocationResult) -> set[UUID]:
    coop_of = {line.id: line.coop_id for line in problem.lines}
    return {coop_of[a.line_id] for a in result.allocations}


def _timed(work: Callable[[], T]) -> tuple[float, T]:
    start = time.process_time()
    value = work()
    return time.process_time() - start, value
