"""What the benches run against: a scratch database and queue of their own on the
servers, and real ``samlast worker`` processes with their logs, CPU and peak memory."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

from infra.devservers import scratch_database
from infra.processes import samlast_process
from services.api.tokens.service import create_admin_token
from shared.db.migrate import migrate
from shared.db.pool import connect
from shared.settings import load_settings

Worker = subprocess.Popen[bytes]


@contextlib.contextmanager
def scratch_env(server_url: str, redis_url: str, name: str) -> Iterator[dict[str, str]]:
    """A database and a queue of its own: the environment one measurement runs in."""
    with scratch_database(server_url, f"samlast_{name}") as database_url:
        yield {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SAMLAST_QUEUE_NAME": f"samlast-{name}-{secrets.token_hex(4)}",
            "SAMLAST_LOG_LEVEL": "INFO",
        }


@contextlib.contextmanager
def start_workers(count: int, env: dict[str, str], logs: Path) -> Iterator[list[Worker]]:
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(samlast_process(["worker"], env, worker_log(logs, worker)))
            for worker in range(count)
        ]


def worker_log(logs: Path, worker: int) -> Path:
    return logs / f"worker-{worker}.log"


async def wait_ready(workers: list[Worker], logs: Path, timeout_s: float = 60) -> None:
    """Each worker has run its start-up cron jobs, so it is taking jobs from the queue."""
    deadline = time.monotonic() + timeout_s
    for number, worker in enumerate(workers):
        log = worker_log(logs, number)
        while "← cron:" not in log.read_text(errors="replace"):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"`samlast worker` did not start:\n{log.read_text()[-2000:]}")
            await asyncio.sleep(0.1)


def cpu_seconds(workers: list[Worker]) -> float:
    """The workers' CPU seconds, their routing processes' included."""
    return sum(_cpu(psutil.Process(w.pid)) for w in workers)


def _cpu(process: psutil.Process) -> float:
    """User and system seconds of ``process`` and of its children, each read once."""
    return sum(sum(p.cpu_times()[:2]) for p in [process, *process.children(recursive=True)])


def peak_mib(worker: Worker) -> float:
    """The peak resident set so far (VmHWM), in MiB, of the worker and of each of its
    routing processes, added up."""
    processes = [worker.pid, *(c.pid for c in psutil.Process(worker.pid).children(recursive=True))]
    return sum(_hwm_mib(pid) for pid in processes)


def _hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc: this measurement needs Linux")


async def prepare_database(database_url: str) -> tuple[str, str]:
    """Migrate the scratch database; a deployment admin's token and the server version."""

    conn = await connect(load_settings({"DATABASE_URL": database_url}))
    try:
        await migrate(conn)
        token = await create_admin_token(conn, "bench")
        version = str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()
    return token, version
