"""The OSRM /table client against a real HTTP server speaking OSRM's table API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from services.matcher.engine.routing.model import Place
from services.matcher.engine.routing.travel import great_circle
from services.matcher.matching.osrm import OsrmError, osrm_table

UNREACHABLE = (0.0, 0.0)  # a place this router has no road to


class Router(BaseHTTPRequestHandler):
    """Answers /table/v1/driving/{lon,lat;...} like OSRM: 1.4 x great circle, 50 km/h."""

    requests: list[str] = []

    def do_GET(self) -> None:
        Router.requests.append(self.path)
        if self.path.startswith("/broken/"):
            return self._answer(400, {"code": "InvalidQuery", "message": "Query string malformed"})
        if self.path.startswith("/proxy/"):
            return self._answer(502, "<html>Bad gateway</html>")
        url = urlsplit(self.path)  # not urlparse: it cuts ";..." off the path
        coordinates = url.path.rsplit("/", 1)[1].split(";")
        places = [
            Place(lat=float(c.split(",")[1]), lon=float(c.split(",")[0])) for c in coordinates
        ]
        query = parse_qs(url.query)
        sources = [int(i) for i in query["sources"][0].split(";")]
        targets = [int(i) for i in query["destinations"][0].split(";")]
        if len(places) > 100:
            return self._answer(400, {"code": "TooBig", "message": "Too many table coordinates"})
        matrix = great_circle(places, road_factor=1.4, speed_kmh=50)

        def cell(table: list[list[int]], i: int, j: int) -> float | None:
            cut = UNREACHABLE in {(places[i].lat, places[i].lon), (places[j].lat, places[j].lon)}
            return None if cut and i != j else table[i][j] + 0.4

        return self._answer(
            200,
            {
                "code": "Ok",
                "durations": [[cell(matrix.seconds, i, j) for j in targets] for i in sources],
                "distances": [[cell(matrix.metres, i, j) for j in targets] for i in sources],
            },
        )

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def router_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Router)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _places(count: int) -> list[Place]:
    return [Place(lat=59.5 + (n % 17) / 40, lon=17.0 + n / 150) for n in range(count)]


async def test_a_table_comes_back_as_whole_metres_and_seconds(router_url: str) -> None:
    places = _places(7)
    matrix = await osrm_table(router_url, places)
    expected = great_circle(places, road_factor=1.4, speed_kmh=50)
    assert matrix.metres == [[round(m + 0.4) for m in row] for row in expected.metres]
    assert matrix.seconds == [[round(s + 0.4) for s in row] for row in expected.seconds]


async def test_a_large_table_is_asked_for_in_blocks_the_router_accepts(router_url: str) -> None:
    places = _places(130)
    Router.requests.clear()
    matrix = await osrm_table(router_url, places)
    assert len(Router.requests) == 9  # 3 x 3 blocks of at most 50 x 50
    expected = great_circle(places, road_factor=1.4, speed_kmh=50)
    assert matrix.metres[129][3] == round(expected.metres[129][3] + 0.4)


async def test_a_place_without_roads_is_an_error_not_a_guess(router_url: str) -> None:
    with pytest.raises(OsrmError, match="no road"):
        await osrm_table(router_url, [*_places(3), Place(lat=0.0, lon=0.0)])


async def test_a_refusal_is_reported_with_the_router_s_words(router_url: str) -> None:
    with pytest.raises(OsrmError, match="InvalidQuery: Query string malformed"):
        await osrm_table(router_url + "/broken", _places(2))
    with pytest.raises(OsrmError, match="answered 502"):
        await osrm_table(router_url + "/proxy", _places(2))


async def test_a_router_that_is_down_is_reported() -> None:
    with pytest.raises(OsrmError, match="can't be reached"):
        await osrm_table("http://127.0.0.1:9", _places(2), timeout_s=2)
