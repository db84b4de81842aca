"""The routes drawn as SVG from their coordinates alone, so the map works offline.

Web Mercator, the projection of every web map: at a region's scale it keeps shapes
true, and when a tile server is configured (``SAMLAST_MAP_TILE_URL``) its tiles line
up under the routes as a background. Without one nothing is fetched from anywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec

from services.api.runs.schemas import RouteOut

WIDTH = 1000.0
PAD = 40.0
TILE = 256
# Distinguishable for the common colour-vision deficiencies (Okabe & Ito).
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


class Line(msgspec.Struct, kw_only=True):
    route_no: int
    colour: str
    points: str  # "x,y x,y ..." for <polyline points>


class Marker(msgspec.Struct, kw_only=True):
    x: float
    y: float
    kind: str  # start, pickup, delivery, end
    label: str  # the organisation met there; empty at a depot or the hub
    left: bool  # near the right edge: the label goes to the left of the mark


class Tile(msgspec.Struct, kw_only=True):
    href: str
    x: float
    y: float
    size: float


class SvgMap(msgspec.Struct, kw_only=True):
    width: float
    height: float
    lines: list[Line]
    markers: list[Marker]
    tiles: list[Tile]


def mercator(lat: float, lon: float) -> tuple[float, float]:
    """World coordinates in [0, 1) x [0, 1): x east from 180° W, y south from 85° N."""
    sin = math.sin(math.radians(max(min(lat, 85.0511), -85.0511)))
    return (lon + 180) / 360, 0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)


def draw(
    routes: Sequence[RouteOut], names: dict[object, str], tile_url: str | None = None
) -> SvgMap | None:
    """The map of ``routes``; None when they have no stops to draw."""
    stops = [stop for route in routes for stop in route.stops]
    if not stops:
        return None
    world = [mercator(stop.lat, stop.lon) for stop in stops]
    left, top = min(x for x, _ in world), min(y for _, y in world)
    span = max(max(x for x, _ in world) - left, max(y for _, y in world) - top, 1e-7)
    scale = (WIDTH - 2 * PAD) / span  # map pixels per world unit
    height = (max(y for _, y in world) - top) * scale + 2 * PAD

    def xy(lat: float, lon: float) -> tuple[float, float]:
        x, y = mercator(lat, lon)
        return round(PAD + (x - left) * scale, 1), round(PAD + (y - top) * scale, 1)

    lines, markers, seen = [], [], set()
    for number, route in enumerate(routes):
        points = [xy(stop.lat, stop.lon) for stop in route.stops]
        lines.append(
            Line(
                route_no=route.route_no,
                colour=COLOURS[number % len(COLOURS)],
                points=" ".join(f"{x},{y}" for x, y in points),
            )
        )
        for stop, (x, y) in zip(route.stops, points, strict=True):
            key = (x, y, stop.kind in ("start", "end"))
            if key in seen:
                continue
            seen.add(key)
            label = names.get(stop.organisation_id, "") if stop.organisation_id else ""
            markers.append(Marker(x=x, y=y, kind=stop.kind, label=label, left=x > WIDTH * 0.6))
    tiles = tiles_behind(tile_url, left - PAD / scale, top - PAD / scale, scale, WIDTH, height)
    return SvgMap(width=WIDTH, height=round(height, 1), lines=lines, markers=markers, tiles=tiles)


def tiles_behind(
    url: str | None, left: float, top: float, scale: float, width: float, height: float
) -> list[Tile]:
    """The tiles behind the map: the zoom whose tiles are closest to their own size."""
    if not url:
        return []
    zoom = max(0, min(19, round(math.log2(scale / TILE))))
    count = 2**zoom
    size = scale / count  # a tile's side on the map
    first_x, first_y = math.floor(left * count), math.floor(top * count)
    last_x = math.floor((left + width / scale) * count)
    last_y = math.floor((top + height / scale) * count)
    return [
        Tile(
            href=url.format(z=zoom, x=tx, y=ty),
            x=round((tx / count - left) * scale, 1),
            y=round((ty / count - top) * scale, 1),
            size=round(size, 1),
        )
        for ty in range(max(first_y, 0), min(last_y, count - 1) + 1)
        for tx in range(max(first_x, 0), min(last_x, count - 1) + 1)
    ]
