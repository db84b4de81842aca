"""Road distances and times from an OSRM-compatible ``/table`` service.

Used instead of great-circle estimates when ``SAMLAST_OSRM_URL`` is set. Large
matrices are asked for in blocks (OSRM refuses tables over its ``max-table-size``,
100 places by default). A pair the router can't connect is an error: a route
planned across it would be fiction.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import msgspec

from services.matcher.engine.routing.model import Place
from services.matcher.engine.routing.travel import TravelMatrix

BLOCK = 50  # sources and destinations per request: at most 100 coordinates


class OsrmError(Exception):
    """The routing service answered with something other than a full table."""


class _Table(msgspec.Struct):
    code: str
    durations: list[list[float | None]] | None = None
    distances: list[list[float | None]] | None = None
    message: str = ""


async def osrm_table(
    base_url: str, places: Sequence[Place], *, timeout_s: float = 30.0, profile: str = "driving"
) -> TravelMatrix:
    size = len(places)
    metres = [[0] * size for _ in range(size)]
    seconds = [[0] * size for _ in range(size)]
    async with httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout_s) as client:
        for row in range(0, size, BLOCK):
            for col in range(0, size, BLOCK):
                rows = list(range(row, min(row + BLOCK, size)))
                cols = list(range(col, min(col + BLOCK, size)))
                table = await _block(client, profile, places, rows, cols)
                for i, source in enumerate(rows):
                    for j, target in enumerate(cols):
                        where = (places[source], places[target])
                        metres[source][target] = _cell(table.distances, i, j, where)
                        seconds[source][target] = _cell(table.durations, i, j, where)
    return TravelMatrix(metres=metres, seconds=seconds)


async def _block(
    client: httpx.AsyncClient,
    profile: str,
    places: Sequence[Place],
    rows: list[int],
    cols: list[int],
) -> _Table:
    chosen = sorted(set(rows) | set(cols))
    at = {place: position for position, place in enumerate(chosen)}
    coordinates = ";".join(f"{places[i].lon:.6f},{places[i].lat:.6f}" for i in chosen)
    try:
        response = await client.get(
            f"/table/v1/{profile}/{coordinates}",
            params={
                "sources": ";".join(str(at[i]) for i in rows),
                "destinations": ";".join(str(at[i]) for i in cols),
                "annotations": "duration,distance",
            },
        )
    except httpx.HTTPError as exc:
        raise OsrmError(f"the routing service can't be reached: {exc}") from exc
    try:
        table = msgspec.json.decode(response.content, type=_Table)
    except msgspec.DecodeError as exc:
        raise OsrmError(f"the routing service answered {response.status_code}: {exc}") from exc
    if table.code != "Ok" or table.distances is None or table.durations is None:
        raise OsrmError(f"the routing service answered {table.code}: {table.message}".strip())
    return table


def _cell(
    table: list[list[float | None]] | None, i: int, j: int, where: tuple[Place, Place]
) -> int:
    value = table[i][j] if table is not None else None
    if value is None:
        raise OsrmError(f"no road from {where[0]} to {where[1]}")
    return round(value)
