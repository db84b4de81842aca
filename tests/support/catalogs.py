"""A small local server of DFC catalogs, as an Open Food Network instance serves them.

``/catalog`` answers the document it was given (``application/ld+json``), ``/moved``
redirects to it, ``/huge`` answers more bytes than a catalog may have and ``/broken``
answers 500. It runs in its own thread; ``requests`` keeps the paths it was asked for.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dfc"
HUGE_BYTES = 64 * 1024


def dfc_fixture(name: str) -> Any:
    """A DFC catalog of ``tests/fixtures/dfc`` (its README says where each comes from)."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class CatalogServer:
    url: str
    document: bytes
    requests: list[str] = field(default_factory=list)
    # ``/slow`` calls this while the fetch waits on it, then answers the catalog
    during: Callable[[], None] = lambda: None


@contextlib.contextmanager
def catalog_server(document: Any) -> Iterator[CatalogServer]:
    body = json.dumps(document).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.requests.append(self.path)
            if self.path == "/catalog":
                self._answer(200, body)
            elif self.path == "/slow":
                served.during()
                self._answer(200, body)
            elif self.path == "/moved":
                self.send_response(302)
                self.send_header("Location", "/catalog")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path == "/huge":
                self._answer(200, b"[" + b" " * HUGE_BYTES + b"]")
            else:
                self._answer(500, b"{}")

        def _answer(self, status: int, content: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/ld+json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served = CatalogServer(url=f"http://127.0.0.1:{server.server_address[1]}", document=body)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
