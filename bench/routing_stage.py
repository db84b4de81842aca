"""A run's whole routing stage on large Mälardalen-shaped networks (issue 18, point 4):
about 1,600 and 6,000 shipments, planned as a run plans them (``plan_routing`` with the
run's default budget, ``Budget.for_size``), timed part by part from its progress
reports, against the stage's documented cap.

    python -m bench.routing_stage [SHIPMENTS ...]

Wall time is what a coordinator waits, counted as a run counts the stage's budget: from
before the travel matrix. CPU time is this process's; CPU / wall says how much of a core
it got (the machine may be shared): wall over budget is the figure to compare across
runs, and each part's CPU seconds (the second figure of each part) what it worked. The
progress reports are listed as the run would store them (``route part`` and the percent
of the stage's time gone).
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass, field

from bench.shapes import MOSTLY_AMBIENT, TOWNS, VASTERAS, _around, _problem, _vans, _window
from services.matcher.engine.allocation.model import Temperature
from services.matcher.engine.routing.model import Place, RoutingProblem, Window
from services.matcher.engine.routing.plans import plan_routing
from services.matcher.engine.routing.solver import Budget
from services.matcher.engine.routing.travel import great_circle, places_with_hub

HOUR = 3600
SIZES = (1_600, 6_000)
SHIPMENTS_PER_VAN = 14
PARTS = ("joint", "hub", "baseline", "shares")  # as ``plan_routing`` reports them


def network(shipments: int, seed: int = 1) -> RoutingProblem:
    """Farms anywhere between Örebro and Norrtälje, each shipping to 10-40 co-ops in
    Mälardalen's towns, until there are ``shipments``; a van (a third of them cold) per
    ``SHIPMENTS_PER_VAN`` shipments, all from Västerås."""
    rng = random.Random(seed)
    coops = [_around(rng, town, 0.05, 0.09) for town in TOWNS for _ in range(shipments // 60)]
    farms: list[Place] = []
    pairs: list[tuple[int, int, Temperature]] = []
    while len(pairs) < shipments:
        farms.append(
            Place(lat=round(rng.uniform(58.9, 60.1), 5), lon=round(rng.uniform(15.3, 18.6), 5))
        )
        wanted = min(rng.randint(10, 40), shipments - len(pairs))
        for c in sorted(rng.sample(range(len(coops)), wanted)):
            pairs.append((len(farms) - 1, c, rng.choice(MOSTLY_AMBIENT)))
    vans = max(2, shipments // SHIPMENTS_PER_VAN)
    return _problem(
        rng,
        farms,
        coops,
        pairs,
        farm_window=lambda: Window(opens_s=6 * HOUR, closes_s=14 * HOUR),
        coop_window=lambda: _window(rng, 8, 19, hours=rng.choice([5, 6, 8])),
        vans=_vans(VASTERAS, vans, cold=vans // 3, kg=1200),
        kg=(5, 40),
    )


@dataclass
class StageRow:
    shipments: int
    farms: int
    coops: int
    vans: int
    budget_s: float
    wall_s: float = 0.0
    cpu_s: float = 0.0
    matrix_s: float = 0.0
    matrix_cpu_s: float = 0.0
    # each part as it began: its name, the percent reported, wall and CPU s since the start
    parts: list[tuple[str, int, float, float]] = field(default_factory=list)
    unserved: int = 0
    clock_capped: bool = False
    proposed: str = ""
    routes: int = 0
    km: float = 0.0

    @property
    def over_s(self) -> float:
        return self.wall_s - self.budget_s


def measure(shipments: int, seed: int = 1) -> StageRow:
    problem = network(shipments, seed)
    budget = Budget.for_size(len(problem.shipments))
    row = StageRow(
        shipments=len(problem.shipments),
        farms=len({s.producer_id for s in problem.shipments}),
        coops=len({s.coop_id for s in problem.shipments}),
        vans=len(problem.vehicles),
        budget_s=budget.seconds,
    )
    started, cpu = time.perf_counter(), time.process_time()
    budget = budget.until(started + budget.seconds)  # as a run: the matrix counts
    rows = places_with_hub(problem, VASTERAS)
    matrix = great_circle(rows, road_factor=1.3, speed_kmh=60)
    row.matrix_s = time.perf_counter() - started
    row.matrix_cpu_s = time.process_time() - cpu

    def progress(part: str, percent: int) -> None:
        row.parts.append((part, percent, time.perf_counter() - started, time.process_time() - cpu))
        print(f"  route {part} {percent}% at {time.perf_counter() - started:.1f} s", flush=True)

    own = problem.vehicles[-1]
    routing = plan_routing(
        problem, matrix, own_van=own, rows=rows, hub=VASTERAS, budget=budget, progress=progress
    )
    row.wall_s = time.perf_counter() - started
    row.cpu_s = time.process_time() - cpu
    row.unserved = len(routing.chosen.unserved)
    row.proposed = routing.proposed
    row.routes = routing.chosen.totals.routes
    row.km = routing.chosen.totals.distance_m / 1000
    row.clock_capped = routing.clock_capped
    return row


def report(rows: list[StageRow]) -> str:
    lines = [
        "| shipments | farms | co-ops | vans | budget s | wall s | wall / budget | CPU s | "
        "CPU / wall | matrix s | joint s (CPU) | hub s (CPU) | baseline s (CPU) | "
        "shares s (CPU) | percents | "
        "proposed | routes | km | served | unserved | clock capped |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        at = {part: (wall, cpu) for part, _, wall, cpu in row.parts}
        marks = [(row.matrix_s, row.matrix_cpu_s), *(at.get(p) for p in PARTS[1:])]
        percents = ", ".join(str(percent) for _, percent, _, _ in row.parts)
        ends = [*marks[1:], (row.wall_s, row.cpu_s)]
        spans = [
            "-"
            if start is None or end is None
            else f"{end[0] - start[0]:.1f} ({end[1] - start[1]:.1f})"
            for start, end in zip(marks, ends, strict=True)
        ]
        lines.append(
            f"| {row.shipments:,} | {row.farms} | {row.coops} | {row.vans} | {row.budget_s:.0f} "
            f"| {row.wall_s:.1f} | {row.wall_s / row.budget_s:.2f} | {row.cpu_s:.1f} | "
            f"{row.cpu_s / row.wall_s:.2f} | {row.matrix_s:.1f} | "
            + " | ".join(spans)
            + f" | {percents} | {row.proposed} | {row.routes} | {row.km:,.0f} "
            f"| {row.shipments - row.unserved:,} | {row.unserved:,} "
            f"| {'yes' if row.clock_capped else 'no'} |"
        )
    return "\n".join(lines)


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or list(SIZES)
    rows = []
    for shipments in sizes:
        print(f"{shipments} shipments", flush=True)
        rows.append(measure(shipments))
        print(report(rows[-1:]), flush=True)
    print(report(rows))


if __name__ == "__main__":
    main()
