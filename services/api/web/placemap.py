"""The map a place is set on by clicking: drawn as SVG, so it works with no network.

Without a tile server it shows a graticule (every 0.1° to 1°, labelled) and the
network's known places as reference points: its hub and its members, each at the
precision the viewer may see; with one (``SAMLAST_MAP_TILE_URL``), the tiles under them
as the run map has them. The projection (Web Mercator, ``svgmap.mercator``) and its
placement are on the ``<svg>`` as data attributes; ``static/app.js`` turns a click into a
latitude and longitude with them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec

from services.api.web.svgmap import PAD, Tile, mercator, tiles_behind

WIDTH = 560.0  # narrower than the run map's: it sits in a form, its labels stay legible

# Sweden, when nothing of the network has a place yet
DEFAULT_BOX = (55.3, 10.9, 69.1, 24.2)  # south, west, north, east
MIN_SPAN = 0.4 / 360  # at least ~0.4° of longitude across: a few tens of km
MARGIN = 0.25  # room around the known places, a share of their span
MAX_REFERENCES = 80
LABEL_EM = 12.5  # map units a label's character takes, about (22px system-ui)
STEPS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)


class Reference(msgspec.Struct, frozen=True, kw_only=True):
    """A known place drawn for orientation: the hub, a member."""

    lat: float
    lon: float
    label: str
    kind: str  # hub, producer, coop, coordinator


class Mark(msgspec.Struct, kw_only=True):
    x: float
    y: float
    label: str
    kind: str
    left: bool  # near the right edge: the label goes left of the mark


class GridLine(msgspec.Struct, kw_only=True):
    x1: float
    y1: float
    x2: float
    y2: float
    label: str


class PlaceMap(msgspec.Struct, kw_only=True):
    width: float
    height: float
    # world coordinates of the map's top left corner, and map units per world unit
    left: float
    top: float
    scale: float
    marks: list[Mark]
    grid: list[GridLine]
    tiles: list[Tile]
    chosen: tuple[float, float] | None  # the place set now, in map units


def place_map(
    references: Sequence[Reference],
    chosen: tuple[float, float] | None = None,
    tile_url: str | None = None,
    around: tuple[float, float] | None = None,
) -> PlaceMap:
    """A map around ``references``, ``chosen`` and ``around`` (each lat, lon; ``around``
    frames the map without a mark), or around Sweden."""
    references = list(references)[:MAX_REFERENCES]
    points = [(r.lat, r.lon) for r in references] + [p for p in (chosen, around) if p]
    if points:
        world = [mercator(lat, lon) for lat, lon in points]
        xs, ys = [x for x, _ in world], [y for _, y in world]
        span = max(max(xs) - min(xs), max(ys) - min(ys), MIN_SPAN) * (1 + 2 * MARGIN)
        centre = ((max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2)
        box = (centre[0] - span / 2, centre[1] - span / 2, span, span)
    else:
        south, west, north, east = DEFAULT_BOX
        x1, y1 = mercator(north, west)
        x2, y2 = mercator(south, east)
        box = (x1, y1, x2 - x1, y2 - y1)
    left, top, width_w, height_w = box
    scale = (WIDTH - 2 * PAD) / width_w
    height = height_w * scale + 2 * PAD

    def xy(lat: float, lon: float) -> tuple[float, float]:
        x, y = mercator(lat, lon)
        return round(PAD + (x - left) * scale, 1), round(PAD + (y - top) * scale, 1)

    marks = []
    for reference in references:
        x, y = xy(reference.lat, reference.lon)
        # a label that would run off the right edge goes to the left of its mark
        too_long = x + 14 + LABEL_EM * len(reference.label) > WIDTH
        marks.append(Mark(x=x, y=y, label=reference.label, kind=reference.kind, left=too_long))
    origin_left, origin_top = left - PAD / scale, top - PAD / scale
    return PlaceMap(
        width=WIDTH,
        height=round(height, 1),
        left=origin_left,
        top=origin_top,
        scale=scale,
        marks=marks,
        grid=_graticule(origin_left, origin_top, scale, WIDTH, height),
        tiles=tiles_behind(tile_url, origin_left, origin_top, scale, WIDTH, height),
        chosen=xy(*chosen) if chosen else None,
    )


def _graticule(
    left: float, top: float, scale: float, width: float, height: float
) -> list[GridLine]:
    """Parallels and meridians every 0.05° to 2°, about four to eight across the map."""
    west, east = left * 360 - 180, (left + width / scale) * 360 - 180
    north, south = _latitude(top), _latitude(top + height / scale)
    step = next((s for s in STEPS if (east - west) / s <= 8), STEPS[-1])
    decimals = 2 if step < 0.1 else 1 if step < 1 else 0
    lines = []
    for n in range(math.ceil(west / step), math.floor(east / step) + 1):
        lon = n * step
        x = round((((lon + 180) / 360) - left) * scale, 1)
        lines.append(GridLine(x1=x, y1=0, x2=x, y2=round(height, 1), label=f"{lon:.{decimals}f}°"))
    for n in range(math.ceil(south / step), math.floor(north / step) + 1):
        lat = n * step
        y = round((mercator(lat, 0)[1] - top) * scale, 1)
        lines.append(GridLine(x1=0, y1=y, x2=width, y2=y, label=f"{lat:.{decimals}f}°"))
    return lines


def _latitude(world_y: float) -> float:
    """The latitude of a world y (the inverse of ``mercator``'s y)."""
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * world_y))))
