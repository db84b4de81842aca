"""The routes drawn as SVG from their coordinates alone, so the map works offline.

Web Mercator, the projection of every web map: at a region's scale it keeps shapes
true, and when a tile server is configured (``SAMLAST_MAP_TILE_URL``) its tiles line
up under the routes as a background. Without one nothing is fetched from anywhere.
Every place is drawn once and numbered (the page lists the numbers under the map);
its name goes beside it only where it covers no other mark or name, so a town with
many co-ops stays readable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from services.api.runs.schemas import RouteOut

WIDTH = 600.0  # map units; the page shows it at most 40rem wide (app.css)
PAD = 30.0
TILE = 256
# Distinguishable for the common colour-vision deficiencies (Okabe & Ito).
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


class Line(msgspec.Struct, kw_only=True):
    route_no: int
    colour: str
    points: str  # "x,y x,y ..." for <polyline points>


class Marker(msgspec.Struct, kw_only=True):
    """A place on the map, numbered as the legend below the map lists it."""

    number: int
    x: float
    y: float
    kind: str  # depot, hub, depot_hub, farm, coop
    label: str  # the organisation met there; empty at a depot or the hub
    label_x: float | None  # where its label fits without covering another; None: no room
    label_y: float
    anchor: str  # text-anchor of the label: start, end or middle


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
    routes: Sequence[RouteOut],
    names: dict[object, str],
    tile_url: str | None = None,
    hub: tuple[float, float] | None = None,
) -> SvgMap | None:
    """The map of ``routes`` and the network's ``hub``; None when there is nothing to draw."""
    stops = [stop for route in routes for stop in route.stops]
    if not stops:
        return None
    world = [mercator(stop.lat, stop.lon) for stop in stops]
    if hub is not None:
        world.append(mercator(*hub))
    left, top = min(x for x, _ in world), min(y for _, y in world)
    span = max(max(x for x, _ in world) - left, max(y for _, y in world) - top, 1e-7)
    scale = (WIDTH - 2 * PAD) / span  # map pixels per world unit
    height = (max(y for _, y in world) - top) * scale + 2 * PAD

    def xy(lat: float, lon: float) -> tuple[float, float]:
        x, y = mercator(lat, lon)
        return round(PAD + (x - left) * scale, 1), round(PAD + (y - top) * scale, 1)

    lines = []
    places: dict[tuple[float, float], _Place] = {}
    if hub is not None:
        places[xy(*hub)] = _Place(kinds={"hub"})
    for number, route in enumerate(routes):
        points = [xy(stop.lat, stop.lon) for stop in route.stops]
        lines.append(
            Line(
                route_no=route.route_no,
                colour=COLOURS[number % len(COLOURS)],
                points=" ".join(f"{x},{y}" for x, y in points),
            )
        )
        for stop, point in zip(route.stops, points, strict=True):
            place = places.setdefault(point, _Place(kinds=set()))
            if stop.kind in ("start", "end"):
                place.kinds.add("depot")
            elif stop.organisation_id is None:
                place.kinds.add("hub")
            else:
                place.kinds.add("farm" if stop.kind == "pickup" else "coop")
                place.label = place.label or names.get(stop.organisation_id, "")
    markers = [
        Marker(
            number=n + 1,
            x=x,
            y=y,
            kind=_kind(place.kinds),
            label=place.label,
            label_x=None,
            label_y=y,
            anchor="start",
        )
        for n, ((x, y), place) in enumerate(places.items())
    ]
    _place_labels(markers, WIDTH, height)
    tiles = tiles_behind(tile_url, left - PAD / scale, top - PAD / scale, scale, WIDTH, height)
    return SvgMap(width=WIDTH, height=round(height, 1), lines=lines, markers=markers, tiles=tiles)


@dataclass
class _Place:
    """What meets at one point of the map: the kinds of stop, and who (a farm or co-op)."""

    kinds: set[str]
    label: str = ""


def _kind(kinds: set[str]) -> str:
    if {"depot", "hub"} <= kinds:
        return "depot_hub"
    for kind in ("depot", "hub", "farm", "coop"):
        if kind in kinds:
            return kind
    return "coop"


LABEL_PX = 20.0  # the labels' font size in map units (app.css)
CHAR_EM = 0.62  # a generous average width of a character of the system sans-serif
MARK = 14.0  # half a marker's side, with a margin


def _place_labels(markers: list[Marker], width: float, height: float) -> None:
    """Each label to the right, left, above or below its mark, the first of those that
    stays on the map and covers no mark and no label placed before it; a label with no
    such room is left off (the numbered legend names every place)."""
    taken = [(m.x - MARK, m.y - MARK, m.x + MARK, m.y + MARK) for m in markers]
    for m in markers:
        if not m.label:
            continue
        wide = len(m.label) * LABEL_PX * CHAR_EM
        for anchor, x, y, box in (
            (
                "start",
                m.x + MARK + 2,
                m.y + 7,
                (m.x + MARK, m.y - 12, m.x + MARK + 4 + wide, m.y + 12),
            ),
            (
                "end",
                m.x - MARK - 2,
                m.y + 7,
                (m.x - MARK - 4 - wide, m.y - 12, m.x - MARK, m.y + 12),
            ),
            (
                "middle",
                m.x,
                m.y - MARK - 6,
                (m.x - wide / 2, m.y - MARK - 28, m.x + wide / 2, m.y - MARK),
            ),
            (
                "middle",
                m.x,
                m.y + MARK + 22,
                (m.x - wide / 2, m.y + MARK, m.x + wide / 2, m.y + MARK + 28),
            ),
        ):
            inside = box[0] >= 0 and box[2] <= width and box[1] >= 0 and box[3] <= height
            if inside and not any(_overlap(box, other) for other in taken):
                m.label_x, m.label_y, m.anchor = round(x, 1), round(y, 1), anchor
                taken.append(box)
                break


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


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
