"""The report's charts, drawn with matplotlib (headless) next to the Markdown."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no screen: draw straight to PNG

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from bench.allocation import SpeedRow
from bench.fleet import FleetReport
from bench.load import LoadReport
from bench.routing import SavingsRow

WIDTH, HEIGHT, DPI = 6.4, 3.6, 110


def allocation_time(speeds: list[SpeedRow], path: Path) -> None:
    """CPU seconds against demand lines, log-log, with the line linear growth would draw."""
    figure, axes = plt.subplots(figsize=(WIDTH, HEIGHT), dpi=DPI)
    lines = [row.lines for row in speeds]
    axes.errorbar(
        lines,
        [row.seconds for row in speeds],
        yerr=[
            [row.seconds - row.low for row in speeds],
            [row.high - row.seconds for row in speeds],
        ],
        marker="o",
        capsize=3,
        label="engine (median, fastest-slowest)",
    )
    first = speeds[0]
    axes.plot(
        lines,
        [first.seconds * n / first.lines for n in lines],
        linestyle="--",
        color="grey",
        label="linear from 1x",
    )
    for row in speeds:
        axes.annotate(
            f"{row.scale}x", (row.lines, row.seconds), textcoords="offset points", xytext=(6, -10)
        )
    axes.set(
        xscale="log",
        yscale="log",
        xlabel="demand lines",
        ylabel="CPU s",
        title="Allocation time against network size",
    )
    axes.legend()
    _save(figure, path)


def routing_time(routed: list[SavingsRow], path: Path) -> None:
    figure, axes = plt.subplots(figsize=(WIDTH, HEIGHT), dpi=DPI)
    axes.plot([r.shipments for r in routed], [r.seconds for r in routed], marker="o")
    axes.set(
        xlabel="shipments",
        ylabel="CPU s (both plans, baseline, shares)",
        title="Route planning time against shipments",
        ylim=(0, None),
    )
    _save(figure, path)


def api_load(report: LoadReport, path: Path) -> None:
    """Requests/s of each workload beside the asyncpg ceiling, and their p99."""
    rows = [*report.api_rows, report.ceiling]
    names = [row.name for row in rows]
    figure, (rate, latency) = plt.subplots(1, 2, figsize=(WIDTH * 1.4, HEIGHT), dpi=DPI)
    rate.barh(
        names,
        [row.requests_per_s for row in rows],
        xerr=[
            [row.requests_per_s - row.spread[0] for row in rows],
            [row.spread[1] - row.requests_per_s for row in rows],
        ],
        capsize=3,
    )
    rate.set(xlabel="requests/s (median, slowest-fastest run)", title="Throughput")
    latency.barh(names, [row.p99_ms for row in rows], color="tab:orange")
    latency.axvline(100, color="grey", linestyle="--", label="target 100 ms")
    latency.set(xlabel="p99 ms", title="p99 latency")
    latency.legend()
    latency.set_yticklabels([])
    _save(figure, path)


def fleet(report: FleetReport, path: Path) -> None:
    figure, axes = plt.subplots(figsize=(WIDTH, HEIGHT), dpi=DPI)
    positions = range(len(report.fleets))
    axes.bar(positions, [row.runs_per_minute for row in report.fleets])
    axes.set_xticks(list(positions), [str(row.workers) for row in report.fleets])
    axes.set(
        xlabel="worker processes",
        ylabel="runs per minute",
        title=f"{report.fleets[0].networks} networks closing at once",
    )
    _save(figure, path)


def _save(figure: Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
