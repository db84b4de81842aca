"""Start ``samlast`` subcommands as child processes, and always stop them again.

Used by ``samlast demo`` and by the integration tests, so both run the same entry
points that docker compose runs. Children get their own session (Ctrl-C reaches the
parent, which stops them in order) and die with the parent if it is killed.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from infra.devservers import DevServerError, die_with_parent, free_port, stop_process


def samlast_argv(*args: str) -> list[str]:
    """The installed console script when present, else the module, in this interpreter."""
    script = Path(sys.executable).with_name("samlast")
    if script.exists():
        return [str(script), *args]
    found = shutil.which("samlast")
    return [found, *args] if found else [sys.executable, "-m", "services.cli", *args]


@contextlib.contextmanager
def samlast_process(
    args: list[str], env: Mapping[str, str], log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``samlast ARGS`` with output to ``log_path``; SIGTERM it (then harder) on exit."""
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(  # noqa: S603 - our own entry point
            samlast_argv(*args),
            env=dict(env),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    try:
        yield process
    finally:
        stop_process(process, signal.SIGTERM)


@contextlib.contextmanager
def api_and_workers(env: Mapping[str, str], logs: Path, *, workers: int = 1) -> Iterator[str]:
    """``samlast api`` on a free port and ``workers`` matchers, as production runs them;
    yields the API's URL once all are healthy, stops them all on exit."""
    port = free_port()
    env = {**env, "SAMLAST_API_PORT": str(port)}
    url = f"http://127.0.0.1:{port}"
    names = ["worker"] if workers == 1 else [f"worker{n}" for n in range(1, workers + 1)]
    with contextlib.ExitStack() as stack:
        processes = {
            name: stack.enter_context(samlast_process(["worker"], env, logs / f"{name}.log"))
            for name in names
        }
        processes["api"] = stack.enter_context(samlast_process(["api"], env, logs / "api.log"))
        wait_for_health(url, processes, logs)
        yield url


def wait_for_health(
    base_url: str,
    processes: Mapping[str, subprocess.Popen[bytes]],
    logs: Path,
    timeout_s: float = 60.0,
    need_worker: bool = True,
) -> dict[str, Any]:
    """Poll ``GET /health/ready`` until the API serves: ``ok`` (PostgreSQL, Redis and a
    worker up), or with ``need_worker=False`` any 200 (a worker-less API is ``degraded``)."""
    deadline = time.monotonic() + timeout_s
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                raise DevServerError(
                    f"`samlast {name}` exited with {process.returncode}; see {logs / name}.log"
                )
        with contextlib.suppress(httpx.HTTPError):
            response = httpx.get(f"{base_url}/health/ready", timeout=2.0)
            last = response.json()
            if response.status_code == 200 and (last.get("status") == "ok" or not need_worker):
                return last
        time.sleep(0.2)
    raise DevServerError(f"the stack did not become healthy in {timeout_s:.0f}s: {last}")
