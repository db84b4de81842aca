"""The fleet's figures and their page in docs/benchmarks.md."""

from __future__ import annotations

import os
from dataclasses import dataclass

from bench.fleet.scenario import FLEET_SHAPE, Built


@dataclass(frozen=True)
class FleetRow:
    workers: int
    networks: int
    offers: int  # over all networks
    lines: int
    shipments: int  # over all runs
    build_s: float  # building the networks through the API; not part of the throughput
    closing_s: float  # the first close to the moment all were committed
    drain_s: float  # that moment to the last run proposed, on PostgreSQL's clock
    run_s: float  # the median run, claimed to proposed
    worker_cpu_s: float  # CPU the worker processes spent in drain_s
    runs: int
    proposed: int
    retried: int  # runs a worker started more than once
    problems: tuple[str, ...]  # every lost, duplicated or doubly stored result found
    alone: tuple[float, float] | None = None  # one run before, alone: CPU s, claimed to proposed

    @property
    def runs_per_minute(self) -> float:
        return 60 * self.proposed / self.drain_s if self.drain_s > 0 else 0.0


@dataclass(frozen=True)
class MemoryRow:
    case: str
    built: Built
    shipments: int
    state: str
    run_s: float  # claimed to proposed
    idle_mib: float  # VmHWM of the worker once started, before the run
    peak_mib: float  # VmHWM after the run


@dataclass(frozen=True)
class FleetReport:
    quick: bool
    fleets: tuple[FleetRow, ...]
    memory: tuple[MemoryRow, ...]
    routing_seconds: float  # the route search's cap per plan in the routing memory case
    load_average: float  # of the machine's last minute when the bench started
    seconds: float


def render(report: FleetReport) -> str:
    """The report's section on many networks at once and on memory, in Markdown."""
    one, two = report.fleets[0], report.fleets[-1]
    shape, per = FLEET_SHAPE, max(one.networks, 1)
    out = [
        "## Many networks at once",
        "",
        f"Written by `make bench{' ARGS=--quick' if report.quick else ''}` "
        f"(`python -m bench.fleet` alone) in {report.seconds:.0f} s, on {os.cpu_count()} cores "
        f"shared with other work (load average {report.load_average:.1f} at the start). "
        f"{one.networks} networks are built through the HTTP API in-process, as a client "
        f"would: each has {shape.farms} farms (one a dairy) within about 50 km of Uppsala, "
        f"{shape.coops} co-ops in town, {shape.products} products, about {one.offers // per} "
        f"offers, {one.lines // per} demand lines ({shape.lines_per_coop} a co-op) and "
        f"{shape.vans} vans (one refrigerated), no hub; a run has about "
        f"{one.shipments // per} shipments to route. Then every coordinator closes its cycle "
        "at once (`POST /v1/cycles/{id}/close`: the run recorded in the same transaction, "
        "then queued in Redis) while real `samlast worker` processes, with default settings "
        "(4 runs at once each, route search budget by size), take runs from the one queue. "
        "Runs per minute count from the moment every close is committed to the last run "
        "proposed, both on PostgreSQL's clock. Each measurement has its own database and "
        f"queue; building its networks took {one.build_s:.0f} s and {two.build_s:.0f} s "
        "(not counted).",
        "",
        "| workers | networks | closing s | to the last run proposed s | runs/min "
        "| median run s | worker CPU s | CPU s a run | cores busy | runs started twice |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report.fleets:
        out.append(
            f"| {row.workers} | {row.networks} | {row.closing_s:.2f} | {row.drain_s:.1f} | "
            f"{row.runs_per_minute:.1f} | {row.run_s:.1f} | {row.worker_cpu_s:.1f} | "
            f"{row.worker_cpu_s / max(row.proposed, 1):.2f} | "
            f"{row.worker_cpu_s / row.drain_s if row.drain_s else 0:.2f} | {row.retried} |"
        )
    ratio = two.runs_per_minute / one.runs_per_minute if one.runs_per_minute else 0.0
    out += ["", f"Two workers against one: **{ratio:.2f}x** the runs per minute."]
    out.append(
        "The route search stops at its iteration count or at the routing stage's "
        "wall-clock cap (30 s plus 1 s per 2 shipments), whichever comes first; a worker "
        "runs 4 runs at once in threads, and searches routes in one more process per "
        "core beyond the first (worker CPU s counts them). When those get less CPU than "
        "they need, searches end at the limit "
        "with fewer iterations: a run costs less CPU and may plan a little worse, and runs "
        "per minute follow the runs in flight (4 a worker) over that limit more than the "
        "cores; compare CPU s a run and cores busy."
        + (
            f" One run with the worker to itself took {one.alone[1]:.1f} s and "
            f"{one.alone[0]:.2f} CPU s."
            if one.alone
            else ""
        )
    )
    problems = [problem for row in report.fleets for problem in row.problems]
    out += [
        "",
        f"No run lost or duplicated: **{'met' if not problems else 'not met'}**. Checked "
        f"for the {sum(row.networks for row in report.fleets)} closed cycles: each has exactly one "
        "match run, every run reached `proposed` (the state a finished run waits for review "
        "in) and its cycle `matched`; each run's stored rows agree with the summary stored "
        "with them (packs bought, units allocated, lines short, shipments, joint routes); no "
        "allocation row appears twice for a run, offer and line; no line got more than its "
        "firm quantity plus tolerance; every offer's reserved packs equal what the proposed "
        "runs bought from it.",
    ]
    out += [f"- {problem}" for problem in problems[:20]]
    out += ["", *SPREAD, "", *_render_memory(report), ""]
    return "\n".join(out)


SPREAD = [
    "### Past one machine",
    "",
    "- **API replicas behind a load balancer.** The API keeps no state of its own: each "
    "request's token is checked in PostgreSQL, rate limits and refused-login counts are in "
    "Redis, the web pages keep only the token in a cookie. Any replica can serve any "
    "request; no sticky sessions.",
    "- **Workers on many hosts, one Redis queue.** A run's job id is the run's id, so it is "
    "queued once however often it is enqueued; a worker claims the run in PostgreSQL and "
    "stores its result in one transaction that first checks, under the run's row lock, "
    "that nobody stored it yet. The 5-second sweeps run in every worker, but arq queues "
    "each tick's job once and closing due cycles is a single UPDATE. The two worker "
    "processes above talk to each other only through Redis and PostgreSQL, as two hosts "
    "would.",
    "- **One Redis.** It holds queues, rate limits and health keys only; a lost job is "
    "queued again from PostgreSQL by the sweep.",
    "- **PostgreSQL by network.** The matching path splits cleanly: `product`, `vehicle`, "
    "`membership`, `offer_listing`, `cycle`, `demand_round`, `demand_line` and `match_run` "
    "carry `network_id`, and a run's results (`run_purchase`, `allocation`, "
    "`unfilled_demand`, `shipment`, `route`, `route_stop`, `cost_share`, `run_transition`) "
    "hang off its `match_run`. Not every table does: an organisation may belong to several "
    "networks (and with it its users, tokens, opening hours and webhook deliveries), and an "
    "offer may be listed in several, its reserved packs counted across them "
    "(`offer.packs_reserved`); idempotency keys hang off tokens, and audit entries name a "
    "network only when they concern one. Those stay "
    "shared (reference) tables, and storing a run updates one shared offer row per offer "
    "it buys from.",
]


def _render_memory(report: FleetReport) -> list[str]:
    out = [
        "## Memory of a worker",
        "",
        "Peak resident memory (`VmHWM` in `/proc/<pid>/status`) of a real `samlast worker` "
        "process, a fresh one for each case: once it has started (idle), and after it "
        "finished the case's run, with the routing processes it started (one per core beyond "
        "the first), added up: the engine runs in their threads and processes, so this is "
        "all of it. The allocation case is bench/allocation.py's network of that size written "
        "to the database with `shared/db` functions, without vans: its shipments are stored "
        "as unserved and no route is searched (a search over that many shipments, and the "
        "300 producers' own round trips planned for the baseline, would take far longer "
        "than this bench can spend). The "
        "routing case is built through the API; its route search is capped "
        f"(`SAMLAST_ROUTING_SECONDS={report.routing_seconds:g}`), which bounds the time, not "
        "the size of what the solver holds.",
        "",
        "| case | producers | co-ops | offers | demand lines | shipments | run s | state "
        "| idle MiB | peak MiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report.memory:
        net = row.built
        out.append(
            f"| {row.case} | {net.farms:,} | {net.coops:,} | {net.offers:,} | {net.lines:,} | "
            f"{row.shipments:,} | {row.run_s:.1f} | {row.state} | {row.idle_mib:.0f} | "
            f"{row.peak_mib:.0f} |"
        )
    return out
