"""A place from a form's fields, a place chosen among the search's results, and a
place as other members see it."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.api.core.types import Location
from services.api.places.precision import CELL_KM, approximate, shown_location
from services.api.web.places import MESSAGES, apply_pick, place_values, read_place
from services.api.web.setup_forms import FormError


def test_a_place_is_read_in_either_decimal_spelling() -> None:
    values = {"hub_address": " Boländerna ", "hub_lat": "59,8586", "hub_lon": " 17.6389"}
    assert read_place(values, "hub_", required=True) == Location(
        lat=59.8586, lon=17.6389, address="Boländerna"
    )


def test_no_place_at_all_is_none_unless_one_is_needed() -> None:
    assert read_place({}, "", required=False) is None
    with pytest.raises(FormError) as needed:
        read_place({"lat": " ", "lon": ""}, "", required=True)
    assert needed.value.errors == {"address": MESSAGES["place"]}


def test_an_address_with_no_position_asks_for_one() -> None:
    with pytest.raises(FormError) as caught:
        read_place({"address": "Ekeby 1"}, "", required=False)
    assert caught.value.errors == {"address": MESSAGES["place"]}


@pytest.mark.parametrize(
    ("lat", "lon", "wrong"),
    [
        ("norr", "17.6", {"lat"}),
        ("59.8", "", {"lon"}),
        ("91", "17.6", {"lat"}),
        ("59.8", "-180.5", {"lon"}),
        ("1e400", "nan", {"lat", "lon"}),
    ],
)
def test_each_wrong_coordinate_is_named(lat: str, lon: str, wrong: set[str]) -> None:
    with pytest.raises(FormError) as caught:
        read_place({"lat": lat, "lon": lon}, "", required=True)
    assert set(caught.value.errors) == wrong


def test_a_chosen_result_becomes_the_place() -> None:
    values = {
        "address": "Ekeby",
        "lat": "",
        "lon": "",
        "municipality": "",
        "pick": "59.9126;17.5203;Uppsala kommun;Ekeby gård; Ekebyvägen 12",
    }
    apply_pick(values, "")
    assert values == {
        "address": "Ekeby gård; Ekebyvägen 12",
        "lat": "59.9126",
        "lon": "17.5203",
        "municipality": "Uppsala kommun",
    }
    assert read_place(values, "", required=True) == Location(
        lat=59.9126, lon=17.5203, address="Ekeby gård; Ekebyvägen 12"
    )


def test_a_malformed_choice_changes_nothing_and_is_then_refused() -> None:
    values = {"lat": "59.1", "lon": "17.1", "pick": "x;y"}
    apply_pick(values, "")
    assert values == {"lat": "59.1", "lon": "17.1"}
    values = {"lat": "", "lon": "", "pick": "evil;1;;x"}
    apply_pick(values, "")
    with pytest.raises(FormError):
        read_place(values, "", required=True)


def test_a_place_is_shown_in_the_form_as_typed_back() -> None:
    shown = place_values(Location(lat=59.9, lon=17.52, address="Ekeby"), "hub_")
    assert shown == {"hub_address": "Ekeby", "hub_lat": "59.9", "hub_lon": "17.52"}
    assert read_place(shown, "hub_", required=True) == Location(
        lat=59.9, lon=17.52, address="Ekeby"
    )


EKEBY = Location(lat=59.9126, lon=17.5203, address="Ekeby 1, Uppsala")


def test_other_members_see_the_place_at_its_precision() -> None:
    assert shown_location(EKEBY, "exact", "Uppsala kommun") == EKEBY
    assert shown_location(EKEBY, "municipality", "Uppsala kommun") is None
    near = shown_location(EKEBY, "approximate", "Uppsala kommun")
    assert near is not None
    assert near.address == "Uppsala kommun"  # never the street
    assert (near.lat, near.lon) != (EKEBY.lat, EKEBY.lon)


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[0] + b[0]) / 2)
    return math.hypot((a[0] - b[0]) * 111.2, (a[1] - b[1]) * 111.2 * math.cos(lat))


@given(
    st.floats(min_value=-70, max_value=70),
    st.floats(min_value=-179.9, max_value=179.9),
)
def test_an_approximate_place_is_a_few_km_off_and_the_same_for_its_neighbours(
    lat: float, lon: float
) -> None:
    near = approximate(lat, lon)
    assert _km((lat, lon), near) <= CELL_KM * 0.75  # within its ~5 km cell
    assert approximate(*near) == near  # the cell's centre is in the cell: looks agree
