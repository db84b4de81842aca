"""The run map: every stop inside the picture, and map tiles exactly under the stops."""

from __future__ import annotations

import math
import re
import uuid
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.api.runs.schemas import RouteOut
from services.api.web.svgmap import GAP, KIND_WORDS, MARK, REACH, _crosses, draw, label_width

OSM = "https://tile.example.org/{z}/{x}/{y}.png"


def _route(places: list[tuple[float, float]]) -> RouteOut:
    now = "2026-12-01T08:00:00Z"
    stops: list[dict[str, Any]] = [
        {
            "seq": n,
            "kind": "start" if n == 0 else "end" if n == len(places) - 1 else "delivery",
            "organisation_id": None if n in (0, len(places) - 1) else str(uuid.uuid4()),
            "shipment_id": None,
            "arrival_at": now,
            "departure_at": now,
            "load_grams": 0,
            "load_ml": 0,
            "lat": lat,
            "lon": lon,
        }
        for n, (lat, lon) in enumerate(places)
    ]
    return msgspec.convert(
        {
            "id": str(uuid.uuid4()),
            "plan": "joint",
            "route_no": 1,
            "vehicle_id": None,
            "producer_id": None,
            "distance_m": 0,
            "duration_s": 0,
            "cost_ore": 0,
            "co2_grams": 0,
            "unshared_ore": 0,
            "stops": stops,
            "cost_shares": [],
        },
        RouteOut,
    )


def _slippy(lat: float, lon: float, zoom: int) -> tuple[int, int]:
    """The tile holding a point, by the OpenStreetMap wiki's formula."""
    n = 2**zoom
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


places = st.lists(
    st.tuples(st.floats(55.3, 69.0), st.floats(11.0, 24.0)), min_size=2, max_size=12
)  # Sweden


@given(places)
def test_every_stop_is_drawn_inside_the_picture(points: list[tuple[float, float]]) -> None:
    drawn = draw([_route(points)], {})
    assert drawn is not None
    for marker in drawn.markers:
        assert 0 <= marker.x <= drawn.width
        assert 0 <= marker.y <= drawn.height
    assert drawn.tiles == []  # no tile server: nothing to fetch


@given(places)
def test_tiles_lie_exactly_under_the_stops(points: list[tuple[float, float]]) -> None:
    route = _route(points)
    drawn = draw([route], {}, OSM)
    assert drawn is not None
    zooms = {int(re.search(r"/(\d+)/", tile.href).group(1)) for tile in drawn.tiles}  # type: ignore[union-attr]
    (zoom,) = zooms
    placed = {
        tuple(int(v) for v in re.findall(r"/(\d+)", tile.href)[1:3]): tile for tile in drawn.tiles
    }
    xs = [float(p.split(",")[0]) for p in drawn.lines[0].points.split()]
    ys = [float(p.split(",")[1]) for p in drawn.lines[0].points.split()]
    for stop, x, y in zip(route.stops, xs, ys, strict=True):
        tile = placed[_slippy(stop.lat, stop.lon, zoom)]
        assert tile.x - 0.2 <= x <= tile.x + tile.size + 0.2
        assert tile.y - 0.2 <= y <= tile.y + tile.size + 0.2


def _town(count: int) -> tuple[list[RouteOut], dict[object, str]]:
    """``count`` co-ops within a few km of each other in Uppsala, one more 20 km out."""
    route = _route(
        [(59.80, 17.40)]  # the depot, by the farm's road
        + [(59.8560 + (n % 6) * 0.004, 17.6300 + (n // 6) * 0.006) for n in range(count)]
        + [(59.7350, 17.3050), (59.80, 17.40)]
    )
    names: dict[object, str] = {
        stop.organisation_id: f"Matlaget nummer {n}" for n, stop in enumerate(route.stops)
    }
    return [route], names


def _label_box(marker: Any) -> tuple[float, float, float, float]:
    """The box the label's text takes, from where the page writes it."""
    wide = label_width(marker.label or KIND_WORDS[marker.kind])
    left = {"start": 0, "end": wide, "middle": wide / 2}[marker.anchor]
    left = marker.label_x - left - {"start": GAP, "end": -GAP, "middle": 0}[marker.anchor]
    return (left, marker.label_y - 20, left + wide, marker.label_y + 4)


def _apart(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[2] <= b[0] + 0.2 or b[2] <= a[0] + 0.2 or a[3] <= b[1] + 0.2 or b[3] <= a[1] + 0.2


def test_a_crowded_town_keeps_every_label_apart_near_its_mark_or_off() -> None:
    routes, names = _town(30)
    drawn = draw(routes, names, hub=(59.86, 17.64))
    assert drawn is not None
    markers = drawn.markers
    assert [m.number for m in markers] == list(range(1, 33 + 1))  # the legend's numbers
    labelled = [m for m in markers if m.label_x is not None]
    boxes = [_label_box(m) for m in labelled]
    for m, box in zip(labelled, boxes, strict=True):
        assert m.box is not None
        assert max(abs(a - b) for a, b in zip(box, m.box, strict=True)) < 0.2, (m, box)
        assert box[0] >= 0
        assert box[1] >= 0
        assert box[2] <= drawn.width
        assert box[3] <= drawn.height
        nearest = math.hypot(max(box[0] - m.x, 0, m.x - box[2]), max(box[1] - m.y, 0, m.y - box[3]))
        assert nearest <= MARK + GAP + REACH, (m.number, nearest)
        if nearest > (MARK + GAP) * 1.5:  # set apart: a leader from the mark to its label
            assert m.leader is not None
            assert math.hypot(m.leader[2] - m.x, m.leader[3] - m.y) == pytest.approx(
                nearest, abs=0.2
            )
        for other in markers:  # covers no mark, its own neither
            mark = (other.x - MARK, other.y - MARK, other.x + MARK, other.y + MARK)
            assert _apart(box, mark), (m.number, other.number)
            core = (other.x - 10, other.y - 10, other.x + 10, other.y + 10)
            if m.leader is not None and m.kind == "coop" and other is not m:
                assert not _crosses(m.leader, core), (m.number, other.number)
    for n, a in enumerate(boxes):
        for b in boxes[n + 1 :]:
            assert _apart(a, b), (a, b)
    assert {"depot", "hub"} <= {m.kind for m in labelled}  # the depot and hub always
    assert "Matlaget nummer 31" in {m.label for m in labelled}  # and the place out of town
    assert len(labelled) >= 8, len(labelled)  # co-ops named around the town, some set apart
    assert any(m.leader is not None for m in labelled)
    assert any(m.label_x is None for m in markers)  # no room for all 30: the legend has them


def test_labels_are_placed_the_same_every_time() -> None:
    routes, names = _town(30)
    first, again = draw(routes, names), draw(routes, names)
    assert first is not None
    assert again is not None
    assert [(m.label_x, m.label_y, m.leader) for m in first.markers] == [
        (m.label_x, m.label_y, m.leader) for m in again.markers
    ]
