"""Where the allocation's time goes at each scale, and how each part grows.

    python -m bench.allocation_parts [--scales 1 4 16]

Runs ``allocate`` once on each of ``allocation_growth``'s networks with timers around
its parts (CPU seconds, ``time.process_time``; a part's time includes the parts it
calls), then prints each part's time per scale and its ratio to the smallest scale's.
A part whose ratio is well above the network's (16 at 16x) grows with something more
than the input. Then, as a yardstick, the same plain loops over the problem's lines in
their list order and in id order (the order ``allocate`` visits them).
"""

from __future__ import annotations

import functools
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.allocation_growth import network
from services.matcher.engine import AllocationProblem, allocate
from services.matcher.engine.allocation import allocate as allocate_module
from services.matcher.engine.allocation import packing

PARTS = [
    (allocate_module, "apply_pins"),
    (allocate_module, "index_group"),
    (allocate_module, "solve_group"),
    (allocate_module._Outcome, "result"),
    (packing, "plan_pass"),
    (packing, "complete_packs"),
    (packing, "shortfalls"),
    (packing, "_costed"),
]


def timed_parts() -> dict[str, float]:
    """Wraps ``PARTS`` in timers; the returned dict gathers their seconds."""
    seconds: dict[str, float] = {}

    def timer(name: str, work: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(work)
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return work(*args, **kwargs)
            finally:
                seconds[name] = seconds.get(name, 0.0) + time.process_time() - started

        return run

    for owner, name in PARTS:
        setattr(owner, name, timer(name, getattr(owner, name)))
    return seconds


def yardstick(problem: AllocationProblem) -> dict[str, float]:
    lines = problem.lines
    by_id = sorted(lines, key=lambda line: line.id.int)

    def median(work: Callable[[], object]) -> float:
        times = []
        for _ in range(5):
            started = time.process_time()
            work()
            times.append(time.process_time() - started)
        return statistics.median(times)

    return {
        "sum, list order": median(lambda: sum(line.firm_quantity for line in lines)),
        "sum, id order": median(lambda: sum(line.firm_quantity for line in by_id)),
    }


def main(argv: list[str]) -> None:
    scales = [int(a) for a in argv[argv.index("--scales") + 1 :]] if "--scales" in argv else []
    scales = scales or [1, 4, 16]
    seconds = timed_parts()
    rows: dict[int, dict[str, float]] = {}
    for scale in scales:
        problem = network(scale)
        allocate(problem)  # warm: the first call pays for imports and caches
        seconds.clear()
        started = time.process_time()
        allocate(problem)
        rows[scale] = {"total": time.process_time() - started, **seconds, **yardstick(problem)}
    small = rows[scales[0]]
    for name in small:
        times = "  ".join(f"{scale}x {rows[scale][name]:7.3f} s" for scale in scales)
        ratios = "  ".join(
            f"{scale}x/{scales[0]}x {rows[scale][name] / max(small[name], 1e-9):5.1f}"
            for scale in scales[1:]
        )
        print(f"{name:18} {times}  {ratios}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
