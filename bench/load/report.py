"""The load bench's figures and their page in docs/benchmarks.md."""

from __future__ import annotations

import os
from dataclasses import dataclass

from bench.load.scenario import (
    CONNECTIONS,
    COOPS,
    DEMAND_LINES,
    LISTED_OFFERS,
    RATE_LIMIT_PER_MINUTE,
    WRK_THREADS,
)
from services.api.core.bulk import MAX_ROWS

TARGET_SHARE = 0.35
TARGET_P99_MS = 100.0


@dataclass(frozen=True)
class Plan:
    seconds: int  # per run
    runs: int
    bulk_rows: int


QUICK = Plan(seconds=2, runs=1, bulk_rows=10_000)
FULL = Plan(seconds=10, runs=3, bulk_rows=100_000)


@dataclass(frozen=True)
class Sample:
    """One run of one workload."""

    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


@dataclass(frozen=True)
class LoadRow:
    name: str
    connections: int
    requests_per_s: float  # median of the runs
    spread: tuple[float, float]  # slowest and fastest run, requests/s
    p50_ms: float  # median of the runs
    p99_ms: float  # median of the runs
    p99_worst_ms: float
    errors: int  # answers outside 2xx and socket errors, all runs
    requests: int  # all runs
    first_error: str = ""

    @property
    def error_rate(self) -> float:
        return self.errors / max(self.requests, 1)


@dataclass(frozen=True)
class IngestRow:
    rows: int
    uploads: int
    api_rows_per_s: float
    copy_rows_per_s: float
    api_spread: tuple[float, float]  # slowest and fastest upload, rows/s
    copy_spread: tuple[float, float]

    @property
    def ratio(self) -> float:
        return self.api_rows_per_s / self.copy_rows_per_s


@dataclass(frozen=True)
class LoadReport:
    quick: bool
    plan: Plan
    api_workers: int
    postgres: str
    wrk: str
    post_offers: LoadRow
    list_offers: LoadRow
    replace_demand: LoadRow
    ceiling: LoadRow
    ingest: IngestRow
    load_average: float  # 1-minute, when the measurement started
    seconds: float

    @property
    def api_rows(self) -> list[LoadRow]:
        return [self.post_offers, self.list_offers, self.replace_demand]

    @property
    def share_of_ceiling(self) -> float:
        return self.post_offers.requests_per_s / self.ceiling.requests_per_s


def render(report: LoadReport) -> str:
    plan, ceiling, ingest = report.plan, report.ceiling, report.ingest
    runs = f"{plan.runs} runs of {plan.seconds} s" if plan.runs > 1 else f"one {plan.seconds} s run"
    out = [
        "## API under load",
        "",
        f"Measured by `make bench{' ARGS=--quick' if report.quick else ''}` "
        f"(`bench/load/`): `samlast api --workers {report.api_workers}` (uvicorn, one "
        f"process per core, as production serves it) on PostgreSQL {report.postgres} and "
        f"Redis; {report.wrk} on loopback, {WRK_THREADS} threads, {CONNECTIONS} "
        f"connections, {runs} per workload after a 1 s warm-up, the workloads taking turns. "
        "Requests/s is the median run (slowest-fastest run alongside); p50 and p99 are "
        "the median runs', p99 worst the worst run's. Errors are answers outside 2xx plus "
        "socket errors and timeouts (5 s). wrk, the API, PostgreSQL and Redis share this "
        f"machine's {os.cpu_count()} cores (1-minute load average {report.load_average:.1f} "
        "when the measurement started). The per-token rate limit is raised for the bench "
        f"(`SAMLAST_RATE_LIMIT_PER_MINUTE={RATE_LIMIT_PER_MINUTE}`; the default, 1,200, "
        "would answer 429 within the first second); every other setting is the default.",
        "",
        "- `POST /v1/offers`: one producer's token, every body a different valid offer.",
        "- `GET /v1/offers`: a co-op's token, the first page (50 offers) of the network's "
        f"offers: {LISTED_OFFERS:,}, another producer's, uploaded before the load (every "
        "run starts from the same database: the offers the load posted are deleted "
        "between runs).",
        f"- `PUT /v1/demand-rounds/{{id}}/lines` with `If-Match: *`: {COOPS} co-ops in turn "
        f"each replace their demand round of {DEMAND_LINES} lines; edits of one cycle "
        "serialise on its row (a close must not race them).",
        f"- Ceiling: the inserts the API makes for one offer (offer, listing, pickup window "
        f"and audit row, in one transaction) done by asyncpg directly: {CONNECTIONS} tasks "
        f"over a pool of {CONNECTIONS} connections, in this benchmark's process, on uvloop.",
        "",
        "| workload | connections | requests/s | slowest-fastest run | p50 ms | p99 ms "
        "| p99 worst ms | errors | requests |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in [*report.api_rows, ceiling]:
        out.append(
            f"| {row.name} | {row.connections} | {row.requests_per_s:,.0f} | "
            f"{row.spread[0]:,.0f}-{row.spread[1]:,.0f} | {row.p50_ms:.1f} | {row.p99_ms:.1f} | "
            f"{row.p99_worst_ms:.1f} | {row.errors:,} | {row.requests:,} |"
        )
    first_errors = [row for row in report.api_rows if row.first_error]
    if first_errors:
        out += ["", "First refused answer of each workload with errors:", ""]
        out += [f"- {row.name}: `{row.first_error[:200]}`" for row in first_errors]
    out += ["", f"Targets at {CONNECTIONS} connections:", "", *_targets(report), ""]
    out += [
        f"With {CONNECTIONS} connections always waiting on an answer, the mean latency is "
        f"{CONNECTIONS} ÷ requests/s (Little's law): a p99 of {TARGET_P99_MS:.0f} ms needs more "
        f"than {CONNECTIONS * 1000 / TARGET_P99_MS:,.0f} requests/s, "
        f"{CONNECTIONS * 1000 / TARGET_P99_MS / ceiling.requests_per_s:.0%} of the ceiling "
        f"measured here. The whole measurement took {report.seconds:.0f} s.",
        "",
    ]
    out += [
        "## Bulk ingest",
        "",
        f"{ingest.rows:,} offers in {ingest.uploads} CSV upload(s) of at most {MAX_ROWS:,} rows "
        "(the per-upload cap) to `POST /v1/offers/bulk`, one after another, each timed from "
        "sending to the answer; against the same rows written by asyncpg "
        "`copy_records_to_table` into the same tables (offer, listing, pickup window) in one "
        "transaction per batch, the two taking turns batch by batch in the same run.",
        "",
        "| rows | API rows/s | slowest-fastest upload | COPY rows/s | slowest-fastest "
        "batch | API ÷ COPY |",
        "|---|---|---|---|---|---|",
        f"| {ingest.rows:,} | {ingest.api_rows_per_s:,.0f} | {ingest.api_spread[0]:,.0f}-"
        f"{ingest.api_spread[1]:,.0f} | {ingest.copy_rows_per_s:,.0f} | "
        f"{ingest.copy_spread[0]:,.0f}-{ingest.copy_spread[1]:,.0f} | {ingest.ratio:.1%} |",
        "",
    ]
    return "\n".join(out)


def _targets(report: LoadReport) -> list[str]:
    share = report.share_of_ceiling
    p99_over = [row for row in report.api_rows if row.p99_ms > TARGET_P99_MS]
    errors = sum(row.errors for row in report.api_rows)
    p99s = ", ".join(f"{row.name} {row.p99_ms:.0f} ms" for row in report.api_rows)
    error_counts = ", ".join(f"{row.name} {row.errors:,}" for row in report.api_rows)
    return [
        f"- Posting offers at least {TARGET_SHARE:.0%} of the ceiling: "
        f"{report.post_offers.requests_per_s:,.0f} of {report.ceiling.requests_per_s:,.0f} "
        f"requests/s, {share:.0%}: **{_met(share >= TARGET_SHARE)}**.",
        f"- p99 at most {TARGET_P99_MS:.0f} ms: {p99s}: **{_met(not p99_over)}**"
        + (f" ({', '.join(row.name for row in p99_over)})." if p99_over else "."),
        f"- No errors: {error_counts}: **{_met(errors == 0)}**.",
    ]


def _met(ok: bool) -> str:
    return "met" if ok else "not met"
