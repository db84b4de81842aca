"""The processes a run's routing stage searches in beside the worker's own thread
(``matching.routing_processes``; ``engine.routing.plans``: the plan via the hub beside
the joint plan, producers' baselines side by side).

One pool per worker process, started on its first run and shared by the runs it takes
at once, so the processes never outnumber the setting. They are spawned, not forked:
the worker's event loop, threads and connections are not copied into them. A plan is
the same with the pool or without it (each part searches by its own iterations), so a
pool that broke (a process killed, say for memory) is put aside and the run's stage
goes on in the worker's thread alone. A worker that is killed outright (SIGKILL, the
OOM killer) can't stop its pool, so each process watches for its worker and leaves
when it is gone: a restarted worker never finds the last one's processes still there.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from shared.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def routing_processes(settings: Settings) -> int:
    """The processes besides the worker's own: the setting, or one fewer than the
    cores this process may run on."""
    configured = settings.matching.routing_processes
    if configured is not None:
        return configured
    return len(os.sched_getaffinity(0)) - 1 if hasattr(os, "sched_getaffinity") else 0


def routing_pool(settings: Settings) -> Executor | None:
    """The worker's pool, started on first use; None when the setting allows none."""
    global _pool
    processes = routing_processes(settings)
    if processes < 1:
        return None
    with _lock:
        if _pool is None:
            context = multiprocessing.get_context("spawn")
            _pool = ProcessPoolExecutor(
                max_workers=processes, mp_context=context, initializer=_leave_with_worker
            )
            log.info("routing searches in %d more process(es)", processes)
        return _pool


def _leave_with_worker() -> None:
    """In each of the pool's processes: a thread that ends the process once the worker
    that started it has ended (its sentinel, a pipe, reads as closed), whatever the
    process was doing; nothing it did is wanted any more."""
    worker = multiprocessing.parent_process()
    if worker is None:  # not started by multiprocessing: nothing to watch
        return

    def watch() -> None:
        multiprocessing.connection.wait([worker.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="leave-with-worker", daemon=True).start()


def with_pool(settings: Settings, plan: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``plan(*args, **kwargs, pool=...)`` with the worker's pool; if the pool broke on
    the way, put aside and planned again without it (the same plan, later)."""
    pool = routing_pool(settings)
    try:
        return plan(*args, **kwargs, pool=pool)
    except BrokenProcessPool:
        if pool is None:
            raise
        log.warning("a routing process died; this stage goes on without the pool")
        put_aside(pool)
        return plan(*args, **kwargs, pool=None)


def put_aside(broken: Executor) -> None:
    """Forget ``broken`` (a pool whose process died): the next run starts another."""
    global _pool
    with _lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def close_routing_pool() -> None:
    """Stop the pool's processes (the worker is stopping)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
