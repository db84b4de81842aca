"""The engine against the reference planner (bench/reference.py) on networks of other
shapes (bench/shapes.py), with the same budget: routes, km, shipments left and km
saved against every producer alone, for both.

The engine is planned as a run plans it (``plan_routing``: farm to co-op and via the
hub, the better proposed, the vans' depot as the hub), with the budget a run gets
(``Budget.for_size``). The reference gets the same budget for its one plan: its seconds
for all three steps, its iterations for the PyVRP step. Each plan's saving is against
its own baseline, every producer alone over the shipments that plan carries (the
engine's rules, ``plan_baseline``), so a plan that leaves shipments is compared with
a baseline that leaves them too.

``python -m bench.reference_compare [SHAPE ...] [--seed N] [--no-clock]`` prints the
table; ``--no-clock``: both bounded by their work alone (iterations, rounds), no time
cap, so the result is about the search and not the machine's load.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from bench.reference import ReferenceBudget, Stage, plan_reference
from bench.shapes import SHAPES, Shape
from services.matcher.engine.routing.alone import alone_by_producer, own_van_like
from services.matcher.engine.routing.model import RoutePlan
from services.matcher.engine.routing.plans import plan_baseline, plan_routing
from services.matcher.engine.routing.solver import Budget
from services.matcher.engine.routing.travel import great_circle, places_of


@dataclass(frozen=True)
class Side:
    """One planner's plan on a shape, and its each-alone baseline."""

    routes: int
    km: float
    kr: float
    unserved: int
    no_room: int  # of ``unserved``: a van could carry it alone
    alone_km: float
    alone_kr: float
    cpu_s: float
    clock_capped: bool

    @property
    def km_saved(self) -> float:
        return 1 - self.km / self.alone_km if self.alone_km else 0.0


@dataclass(frozen=True)
class CompareRow:
    shape: str
    what: str
    shipments: int
    farms: int
    coops: int
    vans: int
    budget_s: float
    budget_iterations: int
    proposed: str  # the engine's: joint or hub
    engine: Side
    reference: Side
    stages: list[Stage]
    rounds: int


def compare(shape: Shape, seed: int = 1, seconds: float | None = None) -> CompareRow:
    problem = shape.problem
    rows = places_of(problem)
    matrix = great_circle(rows, road_factor=1.3, speed_kmh=60)
    own = own_van_like(problem.vehicles)
    budget = Budget.for_size(len(problem.shipments), seed=seed, seconds=seconds)
    started = time.process_time()
    result = plan_routing(problem, matrix, own_van=own, hub=shape.hub, budget=budget)
    engine_s = time.process_time() - started
    started = time.process_time()
    ref = plan_reference(
        problem, matrix, ReferenceBudget(budget.iterations, budget.seconds, seed=seed)
    )
    reference_s = time.process_time() - started
    if {x.shipment for x in ref.plan.unserved} == {x.shipment for x in result.chosen.unserved}:
        ref_alone = result.baseline
    else:
        by_producer = alone_by_producer(problem.shipments, ref.plan.unserved)
        ref_alone, _ = plan_baseline(problem, matrix, rows, own, budget, by_producer)
    return CompareRow(
        shape=shape.name,
        what=shape.what,
        shipments=len(problem.shipments),
        farms=len({s.producer_id for s in problem.shipments}),
        coops=len({s.coop_id for s in problem.shipments}),
        vans=len(problem.vehicles),
        budget_s=budget.seconds,
        budget_iterations=budget.iterations,
        proposed=result.proposed,
        engine=_side(result.chosen, result.baseline, engine_s, result.clock_capped),
        reference=_side(ref.plan, ref_alone, reference_s, ref.clock_capped),
        stages=ref.stages,
        rounds=ref.rounds,
    )


def _side(plan: RoutePlan, alone: RoutePlan, cpu_s: float, capped: bool) -> Side:
    return Side(
        routes=plan.totals.routes,
        km=plan.totals.distance_m / 1000,
        kr=plan.totals.cost_ore / 100,
        unserved=len(plan.unserved),
        no_room=sum(1 for left in plan.unserved if left.reason == "no_room"),
        alone_km=alone.totals.distance_m / 1000,
        alone_kr=alone.totals.cost_ore / 100,
        cpu_s=cpu_s,
        clock_capped=capped,
    )


def render(rows: list[CompareRow], seed: int) -> str:
    out = [
        "## Routing: the engine against a reference planner, networks of other shapes",
        "",
        "Issue 18, point 5. Seeded networks of shapes `bench/routing.py` does not make "
        "(`bench/shapes.py`), great-circle distance x 1.3 at 60 km/h, 5 minutes a stop and "
        "1 a shipment, the vans' depot doubling as the hub. The engine plans as a run does "
        "(`plan_routing`: farm to co-op and via the hub, the better one proposed; its "
        "figures shown) with a run's budget (`Budget.for_size`). The reference "
        "(`bench/reference.py`, no search code shared with the engine) gets the same "
        "budget for its one plan: greedy insertion of whole shipments, ruin and "
        "recreate (4 rounds a shipment, within half the seconds), then PyVRP "
        "warm-started from there for the rest of the seconds and the same iterations. "
        "Each saving is against every producer alone over the shipments that plan "
        "carries (the engine's baseline rules). Left: shipments not carried, of them "
        "`no_room` (a van could carry each alone). CPU s: the engine's covers both its "
        f"plans, its baseline and cost shares; the reference's its plan only. Seed {seed}.",
        "",
        "| shape | shipments | farms | co-ops | vans | budget | planner | routes | km "
        "| km alone | km saved | kr | left (no_room) | CPU s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        for name, side in ((f"engine ({r.proposed})", r.engine), ("reference", r.reference)):
            out.append(
                f"| {r.shape} | {r.shipments} | {r.farms} | {r.coops} | {r.vans} "
                f"| {r.budget_s:.0f} s, {r.budget_iterations:,} it | {name} | {side.routes} "
                f"| {side.km:,.0f} | {side.alone_km:,.0f} | {side.km_saved:.0%} "
                f"| {side.kr:,.0f} | {side.unserved} ({side.no_room}) | {side.cpu_s:.1f}"
                f"{' (clock)' if side.clock_capped else ''} |"
            )
    out += [
        "",
        "The shapes:",
        "",
        *(f"- `{r.shape}`: {r.what}." for r in rows),
        "",
        "The reference's steps (routes, km, left, wall seconds since it began):",
        "",
        "| shape | greedy insertion | ruin and recreate (rounds) | PyVRP from there |",
        "|---|---|---|---|",
    ]
    for r in rows:
        cells = [
            f"{s.routes} routes, {s.distance_m / 1000:,.0f} km, {s.left} left, {s.seconds:.1f} s"
            for s in r.stages
        ]
        if len(cells) > 1:
            cells[1] += f" ({r.rounds:,})"
        out.append(f"| {r.shape} | {' | '.join(cells)} |")
    out += [
        "",
        "(clock): a search stopped at its time cap, not its iterations or rounds: "
        "another machine, or this one under another load, may plan otherwise.",
        "",
    ]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    seed = 1
    seconds = None  # a run's budget; --no-clock: bounded by work alone
    if "--no-clock" in argv:
        argv = [a for a in argv if a != "--no-clock"]
        seconds = 1e6
    if "--seed" in argv:
        at = argv.index("--seed")
        seed = int(argv[at + 1])
        argv = argv[:at] + argv[at + 2 :]
    names = argv or list(SHAPES)
    rows = []
    for name in names:
        row = compare(SHAPES[name](seed), seed, seconds)
        print(
            f"{name}: engine {row.engine.routes} routes {row.engine.km:,.0f} km "
            f"left {row.engine.unserved}; reference {row.reference.routes} routes "
            f"{row.reference.km:,.0f} km left {row.reference.unserved}",
            file=sys.stderr,
            flush=True,
        )
        rows.append(row)
    print(render(rows, seed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
