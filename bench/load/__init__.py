"""The API under load and bulk ingest, each against asyncpg doing the same writes directly.

``samlast api --workers <cores>`` (uvicorn, as production runs it) serves a scratch
database; wrk (Debian's package) drives it over loopback with the scripts in
``bench/wrk/``. The reference ceiling for posting offers is the same inserts the API
makes (offer, listing, pickup window, audit row, in one transaction), done by asyncpg
at the same concurrency in the same run; bulk ingest is compared with a plain
``copy_records_to_table`` of the same rows. ``python -m bench.load [--quick]``.

``scenario`` builds the network, ``measure`` drives the load, ``report`` writes the page.
"""

from bench.load.measure import measure
from bench.load.report import IngestRow, LoadReport, LoadRow, render

__all__ = ["IngestRow", "LoadReport", "LoadRow", "measure", "render"]
