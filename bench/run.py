"""``make bench``: run the benchmarks and write bench/REPORT.md with the machine's facts.

``--quick`` runs a smaller set (for a check that the harness works, not for numbers).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from pathlib import Path

from bench.allocation import QualityRow, SpeedRow, quality, reference_seconds, speed

REPORT = Path(__file__).with_name("REPORT.md")


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    reference = reference_seconds()
    plan = (
        [("small", 1)]
        if quick
        else [("small", 1), ("small", 2), ("small", 3), ("medium", 1), ("large", 1)]
    )
    rows = []
    for size, seed in plan:
        row = quality(size, seed, milp_time_limit_s=30 if quick else 120)
        print(
            f"quality {size} seed {seed}: fill gap {row.fill_gap:.3%}, cost gap {row.cost_gap:.3%}",
            flush=True,
        )
        rows.append(row)
    scales = [1] if quick else [1, 4, 16]
    speeds = speed(scales, reference)
    for item in speeds:
        print(f"speed {item.scale}x: {item.seconds:.2f} s", flush=True)
    REPORT.write_text(render(rows, speeds, reference, quick))
    print(f"wrote {REPORT}")
    return 0


def render(rows: list[QualityRow], speeds: list[SpeedRow], reference: float, quick: bool) -> str:
    out = [
        "# Samlast benchmarks",
        "",
        f"Written by `make bench{' ARGS=--quick' if quick else ''}` on {dt.date.today()}. "
        "Times are CPU seconds of one process (`time.process_time`), and also in units of a "
        f"reference workload run in the same process (sorting a million floats: {reference:.3f} s "
        "here), so runs on different machines compare.",
        "",
        "## Machine",
        "",
        f"- {_cpu()}, {os.cpu_count()} cores visible, {_memory()}",
        f"- {platform.platform()}, Python {platform.python_version()}",
        "",
        "## Allocation quality (rules 1-4, and cost at that fill)",
        "",
        "Seeded synthetic networks (`bench/networks.py`): a 150 x 150 km region, 20-25 "
        "products in real pack sizes, some scarce, some plentiful, a third of lines with a "
        "max price. "
        "The optimum is the exact MILP of rules 1-4 solved by HiGHS (`bench/optimum.py`), "
        "then the lowest landed cost at that fill.",
        "",
        "| network | lines | firm demanded | filled: engine | filled: optimum | fill gap "
        "| landed cost gap | optimum proven | engine s | MILP s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r.size} #{r.seed} | {r.lines:,} | {r.firm_demanded:,} | {r.fill_engine:,} | "
            f"{r.fill_optimum:,} | {r.fill_gap:.3%} | {r.cost_gap:+.2%} | "
            f"{'yes' if r.proven else 'time limit'} | {r.engine_s:.2f} | {r.milp_s:.1f} |"
        )
    out += [
        "",
        "Targets (issue 4): fill within 0.5 % of the optimum, landed cost within 1 % at that fill.",
        "",
        "## Pooling against ordering alone",
        "",
        "Ordering alone is what Foodsoft-style tools do: each co-op buys whole packs for its own "
        "lines, first come first served (`bench/baseline.py`).",
        "",
        "| network | firm filled: pooled | firm filled: alone | gain "
        "| co-ops served: pooled | co-ops served: alone |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        gain = (r.fill_engine - r.fill_alone) / max(r.fill_alone, 1)
        out.append(
            f"| {r.size} #{r.seed} | {r.fill_engine:,} | {r.fill_alone:,} | {gain:+.1%} | "
            f"{r.coops_pooled} of {r.coops} | {r.coops_alone} of {r.coops} |"
        )
    base = speeds[0].seconds
    out += [
        "",
        "## Allocation speed",
        "",
        f"1x is {SIZE_NOTE}. Offers and lines grow with the scale, producers and co-ops with "
        "its square root (so transport pairs grow with the scale too).",
        "",
        "| scale | offers | demand lines | CPU s | x reference | x the 1x time |",
        "|---|---|---|---|---|---|",
    ]
    for s in speeds:
        out.append(
            f"| {s.scale}x | {s.offers:,} | {s.lines:,} | {s.seconds:.2f} | "
            f"{s.reference_units:.1f} | {s.seconds / base:.1f} |"
        )
    out += ["", "Target (issue 4): the 1x network in at most 5 s on one core.", ""]
    return "\n".join(out)


SIZE_NOTE = "300 producers, 100 co-ops, 3,000 offers and 30,000 demand lines over 60 products"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory() -> str:
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        return f"{kib / 1024**2:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        return "RAM unknown"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
