"""The map a place is set on: the known places inside it, a click turned back into the
place under it (what static/app.js computes), a graticule offline and tiles online."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.api.web.placemap import DEFAULT_BOX, Reference, place_map
from services.api.web.svgmap import PAD, mercator

OSM = "https://tile.example.org/{z}/{x}/{y}.png"
UPPSALA = [
    Reference(lat=59.8586, lon=17.6389, label="Uppsala", kind="hub"),
    Reference(lat=59.9126, lon=17.5203, label="Ekeby Gård", kind="producer"),
    Reference(lat=59.7258, lon=17.7866, label="Knivsta", kind="coop"),
]


def near(value: float) -> object:
    return pytest.approx(value, abs=1e-3)


def _place_at(
    drawn_left: float, drawn_top: float, scale: float, x: float, y: float
) -> tuple[float, float]:
    """The latitude and longitude under map point (x, y), as app.js computes them."""
    world_x, world_y = drawn_left + x / scale, drawn_top + y / scale
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * world_y))))
    return lat, world_x * 360 - 180


def test_the_known_places_are_on_the_map_and_a_click_finds_them_again() -> None:
    drawn = place_map(UPPSALA, chosen=(59.80, 17.70))
    for mark, reference in zip(drawn.marks, UPPSALA, strict=True):
        assert 0 < mark.x < drawn.width
        assert 0 < mark.y < drawn.height
        lat, lon = _place_at(drawn.left, drawn.top, drawn.scale, mark.x, mark.y)
        assert math.isclose(lat, reference.lat, abs_tol=1e-3)
        assert math.isclose(lon, reference.lon, abs_tol=1e-3)
    assert drawn.chosen is not None
    assert _place_at(drawn.left, drawn.top, drawn.scale, *drawn.chosen) == (
        near(59.80),
        near(17.70),
    )


def test_offline_a_labelled_graticule_and_online_the_tiles() -> None:
    offline = place_map(UPPSALA)
    assert offline.tiles == []
    labels = {line.label for line in offline.grid}
    assert {"17.6°", "59.9°"} <= labels
    online = place_map(UPPSALA, tile_url=OSM)
    assert online.tiles
    assert all(tile.href.startswith("https://tile.example.org/") for tile in online.tiles)


def test_with_no_place_known_the_map_shows_sweden() -> None:
    drawn = place_map([])
    _, west, north, _ = DEFAULT_BOX
    assert _place_at(drawn.left, drawn.top, drawn.scale, PAD, PAD) == (
        near(north),
        near(west),
    )
    assert drawn.marks == []
    assert drawn.chosen is None


@given(
    st.floats(min_value=55, max_value=69),
    st.floats(min_value=11, max_value=24),
)
def test_a_single_place_is_inside_a_map_a_few_tens_of_km_wide(lat: float, lon: float) -> None:
    drawn = place_map([Reference(lat=lat, lon=lon, label="x", kind="producer")])
    (mark,) = drawn.marks
    assert 0 < mark.x < drawn.width
    assert 0 < mark.y < drawn.height
    west = _place_at(drawn.left, drawn.top, drawn.scale, 0, 0)[1]
    east = _place_at(drawn.left, drawn.top, drawn.scale, drawn.width, 0)[1]
    assert 0.4 <= east - west <= 1.0
    assert mercator(lat, lon)[0] > drawn.left
