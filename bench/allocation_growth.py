"""How the allocation's time grows with the network, as a ratio measured in one process.

    python -m bench.allocation_growth [--rounds 3] [--scales 1 16]

Generates ``allocation.speed``'s networks (``SPEED_BASE``, seed 1) once, then runs
``allocate`` on each scale in turn, ``--rounds`` times, and prints each round's CPU
(``time.process_time``) and wall seconds and the ratio of the largest scale's time to
the smallest's, then the medians. On a shared machine the seconds move with the load;
the ratio within a round, both measured minutes apart in the same process, moves less.
"""

from __future__ import annotations

import statistics
import sys
import time

from bench.allocation import SPEED_BASE
from bench.networks import generate
from services.matcher.engine import AllocationProblem, allocate


def network(scale: int) -> AllocationProblem:
    producers, coops, offers, lines, products = SPEED_BASE
    root = round(scale**0.5)
    return generate(
        1,
        producers=producers * root,
        coops=coops * root,
        offers=offers * scale,
        lines=lines * scale,
        products=products,
    )


def main(argv: list[str]) -> None:
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 3
    scales = [1, 16]
    if "--scales" in argv:
        scales = [int(a) for a in argv[argv.index("--scales") + 1 :] if a.isdigit()]
    problems = {scale: network(scale) for scale in scales}
    small, large = scales[0], scales[-1]
    cpu_ratios, wall_ratios = [], []
    for number in range(1, rounds + 1):
        cpu, wall = {}, {}
        for scale in scales:
            started_cpu, started_wall = time.process_time(), time.perf_counter()
            allocate(problems[scale])
            cpu[scale] = time.process_time() - started_cpu
            wall[scale] = time.perf_counter() - started_wall
        cpu_ratios.append(cpu[large] / cpu[small])
        wall_ratios.append(wall[large] / wall[small])
        times = ", ".join(f"{s}x {cpu[s]:.2f} CPU s / {wall[s]:.2f} wall s" for s in scales)
        print(
            f"round {number}: {times}; {large}x over {small}x: "
            f"{cpu_ratios[-1]:.1f} CPU, {wall_ratios[-1]:.1f} wall",
            flush=True,
        )
    print(
        f"median {large}x over {small}x: {statistics.median(cpu_ratios):.1f} CPU, "
        f"{statistics.median(wall_ratios):.1f} wall"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
