"""The routes drawn as SVG from their coordinates alone, so the map works offline.

Web Mercator, the projection of every web map: at a region's scale it keeps shapes
true, and when a tile server is configured (``SAMLAST_MAP_TILE_URL``) its tiles line
up under the routes as a background. Without one nothing is fetched from anywhere.
Every place is drawn once and numbered (the page lists the numbers under the map);
its name goes beside it, or a little apart with a leader line, only where it covers no
other mark, name or leader, so a town with many co-ops stays readable; the depot and
hub are named first.
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
    box: tuple[float, float, float, float] | None = None  # the label's: left, top, right, bottom
    leader: tuple[float, float, float, float] | None = None  # x1, y1, x2, y2 when set apart


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
LABEL_HIGH = 24.0  # a label's box: its baseline 20 below the top, 4 above the bottom
GAP = 2.0  # between a mark and a label beside it
CLEAR = 12.0  # between a label and another place's mark
CORE = 4.0  # a leader may pass a mark's margin: its box less this on each side
TRIES = 12_000  # places tried for all labels of a map: the page's work stays bounded
REACH = 110.0  # the farthest a label's box may stand from its mark (a leader joins them)
# Words sized for the depot's and hub's labels; the page writes them in its language,
# never longer than the English ("Depå och nav", "Nav").
KIND_WORDS = {"depot": "Depot", "hub": "Hub", "depot_hub": "Depot and hub"}
# From the mark outwards: beside it first (right, left, above, below, then the corners
# and between), then the same directions ever farther, held to the mark by a leader.
DIRECTIONS = tuple(
    (round(math.cos(math.radians(a)), 3), round(-math.sin(math.radians(a)), 3))
    for a in (0, 180, 90, 270, 30, -30, 150, 210, 60, -60, 120, 240)
)
STEPS = (0.0, 10.0, 22.0, 36.0, 52.0, 70.0, 90.0, REACH)

Box = tuple[float, float, float, float]


def label_width(text: str) -> float:
    return len(text) * LABEL_PX * CHAR_EM


def _place_labels(markers: list[Marker], width: float, height: float) -> None:
    """Greedy and deterministic: the depot and hub first, then farms, then co-ops (the
    loneliest of each first: they have room to spare), each label at the first place
    around its mark (``DIRECTIONS`` at each of ``STEPS``) that stays on the map and
    covers no mark, no label and no leader placed before it, its own leader crossing
    no label and no other place's mark (else it seems to come from the neighbour; only
    the depot's and hub's may, when nothing else is left, as they are always named); a
    label with no such place within ``REACH``, or once ``TRIES`` are spent, is left off
    (the numbered legend names every place)."""
    marks = [(m.x - MARK, m.y - MARK, m.x + MARK, m.y + MARK) for m in markers]
    boxes: list[Box] = []
    leaders: list[Box] = []
    rank = {"depot_hub": 0, "depot": 0, "hub": 0, "farm": 1, "coop": 2}
    budget = TRIES
    crowd = {  # the places within a few marks of each: the loneliest are named first
        m.number: sum(abs(m.x - o.x) < 4 * MARK and abs(m.y - o.y) < 4 * MARK for o in markers)
        for m in markers
    }
    for m in sorted(markers, key=lambda m: (rank.get(m.kind, 3), crowd[m.number], m.number)):
        text = m.label or KIND_WORDS.get(m.kind, "")
        if not text:
            continue
        wide = label_width(text)
        # only what is within reach can be in the way (a crowd costs no more than that)
        far = MARK + GAP + REACH + CLEAR + wide
        region = (m.x - far, m.y - far, m.x + far, m.y + far)
        here = (m.x - MARK, m.y - MARK, m.x + MARK, m.y + MARK)
        others = [mark for mark in marks if mark != here and _overlap(mark, region)]
        cores = [(x0 + CORE, y0 + CORE, x1 - CORE, y1 - CORE) for x0, y0, x1, y1 in others]
        nearby = [box for box in boxes if _overlap(box, region)]
        lines = [line for line in leaders if _overlap(_span(line), region)]
        raw = (
            (avoid, _box(m, ux, uy, step, wide), step)
            for avoid in ((cores, []) if rank.get(m.kind) == 0 else (cores,))
            for step in STEPS
            for ux, uy in DIRECTIONS
        )
        found = None
        for avoid, box, step in raw:
            if budget <= 0:
                break
            budget -= 1
            leader = _leader(m, box) if step else None
            if _free(box, leader, (width, height), here, others, nearby, lines) and (
                leader is None or not any(_crosses(leader, core) for core in avoid)
            ):
                found = box, leader
                break
        if found is not None:
            box, leader = found
            _label(m, box)
            boxes.append(box)
            if leader is not None:
                leaders.append(leader)
                m.leader = leader


def _box(m: Marker, ux: float, uy: float, step: float, wide: float) -> Box:
    """The box of a label ``wide`` across in direction (ux, uy) from ``m``, ``step`` out:
    its point nearest the mark on that ray, just clear of the mark."""
    near = MARK + GAP + step
    if abs(ux) > 0.4 and abs(uy) > 0.4:  # a corner: clear of the mark on both axes
        near = (MARK + GAP) / max(abs(ux), abs(uy)) + step
    px, py = m.x + ux * near, m.y + uy * near
    left = px if ux > 0.4 else px - wide if ux < -0.4 else px - wide / 2
    top = py if uy > 0.4 else py - LABEL_HIGH if uy < -0.4 else py - LABEL_HIGH / 2
    return (left, top, left + wide, top + LABEL_HIGH)


def _label(m: Marker, box: Box) -> None:
    """The text's position and anchor in ``box``: the end nearest the mark."""
    left, top, right, _ = box
    if left >= m.x:
        m.label_x, m.anchor = left + GAP, "start"
    elif right <= m.x:
        m.label_x, m.anchor = right - GAP, "end"
    else:
        m.label_x, m.anchor = (left + right) / 2, "middle"
    m.label_x, m.label_y = round(m.label_x, 1), round(top + 20, 1)
    m.box = tuple(round(v, 1) for v in box)  # type: ignore[assignment]


def _leader(m: Marker, box: Box) -> Box:
    """A line from the edge of the mark to the nearest point of the label's box."""
    nx, ny = min(max(m.x, box[0]), box[2]), min(max(m.y, box[1]), box[3])
    length = math.hypot(nx - m.x, ny - m.y) or 1.0
    start = MARK - 2
    return (
        round(m.x + (nx - m.x) * start / length, 1),
        round(m.y + (ny - m.y) * start / length, 1),
        round(nx, 1),
        round(ny, 1),
    )


def _free(
    box: Box,
    leader: Box | None,
    size: tuple[float, float],
    here: Box,
    others: list[Box],
    boxes: list[Box],
    leaders: list[Box],
) -> bool:
    """Whether ``box`` stays on the map, off its own mark ``here``, clear of the
    ``others`` marks by ``CLEAR`` (so no label seems to name a neighbour), of the labels
    and the leaders placed before it, and its ``leader`` crosses no label."""
    if box[0] < 0 or box[1] < 0 or box[2] > size[0] or box[3] > size[1]:
        return False
    if _overlap(box, here) or any(_overlap(box, other) for other in boxes):
        return False
    if any(_crosses(line, box) for line in leaders):
        return False
    if leader is not None and any(_crosses(leader, other) for other in boxes):
        return False
    wider = (box[0] - CLEAR, box[1] - CLEAR, box[2] + CLEAR, box[3] + CLEAR)
    return not any(_overlap(wider, other) for other in others)


def _span(line: Box) -> Box:
    """The box a segment (x1, y1, x2, y2) lies in, widened by a hair."""
    x1, y1, x2, y2 = line
    return (min(x1, x2) - 1, min(y1, y2) - 1, max(x1, x2) + 1, max(y1, y2) + 1)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _crosses(line: Box, box: Box) -> bool:
    """Whether the segment ``line`` (x1, y1, x2, y2) passes through ``box`` (clipping)."""
    x1, y1, x2, y2 = line
    low, high = 0.0, 1.0
    for p, q in (
        (x1 - x2, x1 - box[0]),
        (x2 - x1, box[2] - x1),
        (y1 - y2, y1 - box[1]),
        (y2 - y1, box[3] - y1),
    ):
        if p == 0:
            if q <= 0:
                return False
            continue
        t = q / p
        if p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low >= high:
            return False
    return True


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
