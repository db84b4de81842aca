"""The worker's routing pool: sized by the setting, started once, put aside when one
of its processes dies (the stage then planned in the worker alone), and gone with a
worker that was killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Executor
from pathlib import Path

import pytest

from services.matcher.matching import processes
from shared.settings import load_settings

TWO = load_settings({"SAMLAST_ROUTING_PROCESSES": "1"})


@pytest.fixture(autouse=True)
def fresh_pool() -> Iterator[None]:
    processes.close_routing_pool()
    yield
    processes.close_routing_pool()


def test_none_when_the_setting_allows_none() -> None:
    settings = load_settings({"SAMLAST_ROUTING_PROCESSES": "0"})
    assert processes.routing_pool(settings) is None
    assert processes.with_pool(settings, lambda pool: pool) is None


def test_by_default_one_fewer_than_the_cores() -> None:
    assert processes.routing_processes(load_settings({})) == len(os.sched_getaffinity(0)) - 1


def test_one_pool_for_every_run_in_processes_of_its_own() -> None:
    pool = processes.routing_pool(TWO)
    assert pool is processes.routing_pool(TWO)
    assert processes.with_pool(TWO, lambda pool: pool) is pool
    assert pool is not None
    assert pool.submit(os.getpid).result() != os.getpid()


def _killing(pool: Executor | None) -> int:
    """A plan whose process dies under it (as the kernel's OOM killer would do)."""
    assert pool is not None
    pool.submit(os.kill, pool.submit(os.getpid).result(), signal.SIGKILL).result()
    return 1


def _alone(pool: Executor | None) -> int:
    return 2 if pool is None else _killing(pool)


def test_a_broken_pool_is_put_aside_and_the_stage_planned_without_it() -> None:
    first = processes.routing_pool(TWO)
    assert processes.with_pool(TWO, _alone) == 2  # planned again with no pool
    second = processes.routing_pool(TWO)
    assert second is not None
    assert second is not first  # the next run starts another, which works
    assert second.submit(os.getpid).result() != os.getpid()


WORKER_KILLED = """
import os, signal
from services.matcher.matching import processes
from shared.settings import load_settings

pool = processes.routing_pool(load_settings({"SAMLAST_ROUTING_PROCESSES": "1"}))
print(pool.submit(os.getpid).result(), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _running(pid: int) -> bool:
    """Is ``pid`` a process that has not ended (a zombie has: nobody reaped it yet)?"""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def test_a_killed_workers_processes_leave_with_it(tmp_path: Path) -> None:
    """SIGKILL (the OOM killer, a supervisor's last word) gives the worker no chance to
    stop its pool: its processes must see it gone and end, not live on as orphans."""
    errors = tmp_path / "stderr"  # the worker's, and its resource tracker's
    with errors.open("w") as stderr:
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER_KILLED], stdout=subprocess.PIPE, stderr=stderr
        )
    assert worker.stdout is not None
    with worker.stdout:  # the routing process holds it open while it lives: read a line
        line = worker.stdout.readline()
    assert line.strip().isdigit(), errors.read_text()
    routing_process = int(line)
    assert worker.wait(timeout=120) == -signal.SIGKILL
    deadline = time.monotonic() + 60  # a bound on waiting, not a measured speed
    while _running(routing_process) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        assert not _running(routing_process)
    finally:
        if _running(routing_process):
            os.kill(routing_process, signal.SIGKILL)
