"""A run's routing stage with other processes beside it (``matching.routing_processes``)
against the same stage alone, on a Mälardalen-shaped network (``bench.routing_stage``):
the speed-up on the cores this machine has, and whether the plans are the same (they
must be: every part searches by its iterations, so the clock decides nothing here).

    python -m bench.processes [SHIPMENTS] [ITERATIONS]
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import msgspec

from bench.routing_stage import network
from bench.shapes import VASTERAS
from services.matcher.engine.routing.plans import Routing, plan_routing
from services.matcher.engine.routing.solver import Budget
from services.matcher.engine.routing.travel import great_circle, places_with_hub


def measure(shipments: int = 300, iterations: int = 1_000) -> str:
    problem = network(shipments)
    rows = places_with_hub(problem, VASTERAS)
    matrix = great_circle(rows, road_factor=1.3, speed_kmh=60)
    budget = Budget(iterations=iterations, seconds=100_000)  # by work alone

    def planned(pool: ProcessPoolExecutor | None) -> tuple[Routing, float]:
        began = time.perf_counter()
        routing = plan_routing(
            problem,
            matrix,
            own_van=problem.vehicles[-1],
            rows=rows,
            hub=VASTERAS,
            budget=budget,
            pool=pool,
        )
        return routing, time.perf_counter() - began

    cores = len(os.sched_getaffinity(0))
    alone, alone_s = planned(None)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(1, cores - 1), mp_context=spawn) as pool:
        pool.submit(int).result()  # started: the processes' start is the worker's, once
        beside, beside_s = planned(pool)
    same = msgspec.json.encode(alone) == msgspec.json.encode(beside)
    load = os.getloadavg()[0]
    return "\n".join(
        [
            "| shipments | iterations | cores | processes beside | alone s | with them s "
            "| speed-up | same plans | load |",
            "|---|---|---|---|---|---|---|---|---|",
            f"| {shipments:,} | {iterations:,} | {cores} | {max(1, cores - 1)} | {alone_s:.1f} "
            f"| {beside_s:.1f} | {alone_s / beside_s:.2f}x | {'yes' if same else 'NO'} "
            f"| {load:.1f} |",
        ]
    )


def main() -> None:
    args = [int(arg) for arg in sys.argv[1:]]
    print(measure(*args), flush=True)


if __name__ == "__main__":
    main()
