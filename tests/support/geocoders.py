"""A small local geocoder that speaks Nominatim's and Photon's JSON, for the address
search of the pages.

``/search`` answers as Nominatim does (a JSON array, ``lat``/``lon`` as strings),
``/api`` as Photon does (a GeoJSON FeatureCollection). A query is matched against a
gazetteer of a few places around Uppsala by a word of its name. Paths under ``/slow/``
answer late, ``/huge/`` answer a body too big to read, ``/broken/`` answer 500,
``/moved/`` redirect to another host and ``/garbled/`` answer HTML. It runs in its own
thread; ``requests`` keeps what it was asked.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SLOW_S = 3.0


@dataclass(frozen=True)
class Place:
    name: str
    street: str
    housenumber: str
    postcode: str
    city: str
    municipality: str
    lat: float
    lon: float


GAZETTEER = (
    Place(
        "Ekeby gård", "Ekebyvägen", "12", "755 91", "Uppsala", "Uppsala kommun", 59.9126, 17.5203
    ),
    Place(
        "Knivsta torg", "Centralvägen", "1", "741 40", "Knivsta", "Knivsta kommun", 59.7258, 17.7866
    ),
    Place(
        "Boländerna", "Bolandsgatan", "15", "753 23", "Uppsala", "Uppsala kommun", 59.8516, 17.6610
    ),
    Place("Ekeby by", "Ekebyvägen", "40", "755 92", "Uppsala", "Uppsala kommun", 59.9201, 17.5102),
)


@dataclass
class Geocoder:
    url: str
    requests: list[tuple[str, dict[str, list[str]], dict[str, str]]] = field(default_factory=list)

    @property
    def nominatim(self) -> str:
        return self.url + "/search"

    @property
    def photon(self) -> str:
        return self.url + "/api"


def _matches(query: str) -> list[Place]:
    words = {word.strip(",").lower() for word in query.split()}
    return [p for p in GAZETTEER if words & {w.lower() for w in p.name.split()}]


def nominatim_json(places: list[Place]) -> list[dict[str, Any]]:
    return [
        {
            "place_id": n,
            "lat": str(p.lat),
            "lon": str(p.lon),
            "display_name": f"{p.name}, {p.street} {p.housenumber}, {p.postcode} {p.city}, Sverige",
            "address": {
                "road": p.street,
                "house_number": p.housenumber,
                "postcode": p.postcode,
                "city": p.city,
                "municipality": p.municipality,
                "country": "Sverige",
            },
        }
        for n, p in enumerate(places)
    ]


def photon_json(places: list[Place]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                "properties": {
                    "name": p.name,
                    "street": p.street,
                    "housenumber": p.housenumber,
                    "postcode": p.postcode,
                    "city": p.city,
                    "county": "Uppsala län",
                    "country": "Sverige",
                },
            }
            for p in places
        ],
    }


@contextlib.contextmanager
def geocoding() -> Iterator[Geocoder]:
    """The geocoder on a free port of 127.0.0.1, until the block ends."""
    state: Geocoder

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            state.requests.append((url.path, query, dict(self.headers.items())))
            text = query.get("q", [""])[0]
            path = url.path
            if path.startswith("/slow/"):
                time.sleep(SLOW_S)
            if path.startswith("/broken/"):
                return self._answer(500, b'{"error": "database on fire at 10.0.0.7"}')
            if path.startswith("/moved/"):
                self.send_response(302)
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if path.startswith("/garbled/"):
                return self._answer(200, b"<html>Service Unavailable</html>")
            if path.startswith("/huge/"):
                return self._answer(200, b"[" + b" " * (2 * 1024 * 1024) + b"]")
            found = _matches(text)
            body = photon_json(found) if path.endswith("/api") else nominatim_json(found)
            return self._answer(200, json.dumps(body).encode())

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a client that gave up on a slow answer is a test's point, not noise

    server = Server(("127.0.0.1", 0), Handler)
    state = Geocoder(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
