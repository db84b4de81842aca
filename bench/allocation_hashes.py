"""Fingerprints of the allocation's results, to show a speed-up changed no result.

    python -m bench.allocation_hashes before.json [--scales 1 4 16]
    (change the engine)
    python -m bench.allocation_hashes after.json [--scales 1 4 16]
    diff before.json after.json

(HiGHS prints its banner on stdout, hence a file.)

Each line is the sha256 (16 hex digits) of the msgspec-encoded ``AllocationResult`` of
one network: the quality networks of every size, shape and seeds 1-4, each also with
pins (every 37th allocation of its own result, one unit less), and ``--scales`` of the
speed networks (``allocation.SPEED_BASE``), with the CPU seconds each took on stderr.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import msgspec

from bench.allocation import QUALITY_SIZES, SPEED_BASE
from bench.networks import SHAPES, Shape, generate
from services.matcher.engine import AllocationProblem, Pin, PinError, allocate


def fingerprint(problem: AllocationProblem) -> str:
    try:
        result = allocate(problem)
    except PinError as exc:
        return f"PinError: {exc}"[:80]
    return hashlib.sha256(msgspec.json.encode(result)).hexdigest()[:16]


def quality_networks() -> dict[str, str]:
    out = {}
    for size, (producers, coops, offers, lines, products) in QUALITY_SIZES.items():
        for shape in ["", *SHAPES]:
            for seed in range(1, 5):
                problem = generate(
                    seed,
                    producers=producers,
                    coops=coops,
                    offers=offers,
                    lines=lines,
                    products=products,
                    shape=SHAPES[shape] if shape else Shape(),
                )
                out[f"{size}/{shape}/{seed}"] = fingerprint(problem)
                pins = [
                    Pin(offer_id=a.offer_id, line_id=a.line_id, units=max(1, a.units - 1))
                    for a in allocate(problem).allocations[::37][:25]
                ]
                pinned = msgspec.structs.replace(problem, pins=pins)
                out[f"{size}/{shape}/{seed}/pins"] = fingerprint(pinned)
    return out


def speed_networks(scales: list[int]) -> dict[str, str]:
    producers, coops, offers, lines, products = SPEED_BASE
    out = {}
    for scale in scales:
        root = round(scale**0.5)
        problem = generate(
            1,
            producers=producers * root,
            coops=coops * root,
            offers=offers * scale,
            lines=lines * scale,
            products=products,
        )
        started = time.process_time()
        out[f"speed/{scale}x"] = fingerprint(problem)
        print(f"{scale}x {time.process_time() - started:.2f} CPU s", file=sys.stderr)
    return out


def main(argv: list[str]) -> None:
    scales = [int(a) for a in argv[argv.index("--scales") + 1 :]] if "--scales" in argv else []
    fingerprints = {**quality_networks(), **speed_networks(scales)}
    Path(argv[0]).write_text(json.dumps(fingerprints, indent=0), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
