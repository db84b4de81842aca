"""Many networks at once, and what one matcher process holds in memory.

Fleet: small, realistic networks are built through the HTTP API in-process (Litestar's
``AsyncTestClient``, as a client would build them); their coordinators then close every
cycle together through ``POST /v1/cycles/{id}/close``, the path that records each match
run and queues it, while one or two real ``samlast worker`` processes drain the queue.
Each closed cycle must then have exactly one run, proposed, its result stored once.

Memory: the peak resident set (``VmHWM``) of a fresh ``samlast worker`` process after the
largest allocation run (bench/allocation.py's 1x network) and after a routing run of a
couple of hundred shipments.

``scenario`` builds the networks, ``measure`` runs them, ``report`` writes the page.
"""

from bench.fleet.measure import measure
from bench.fleet.report import FleetReport, FleetRow, MemoryRow, render

__all__ = ["FleetReport", "FleetRow", "MemoryRow", "measure", "render"]
