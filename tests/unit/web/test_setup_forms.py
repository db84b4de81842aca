"""The setup pages' forms and the catalogue import read people's spellings into the
API's own structs, and name each field (or row) they can't read."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec
import pytest

from services.api.core.bulk import BadUploadError
from services.api.core.types import Location, WeeklyWindow
from services.api.networks.schemas import NetworkOut
from services.api.products.upload import read_products
from services.api.web.setup_forms import (
    FormError,
    product_in,
    settings_patch,
    shown_settings,
    vehicle_in,
)

SETTINGS = {
    "name": "Uppsala län",
    "region": "Uppsala",
    "timezone": "Europe/Stockholm",
    "hub_address": "Boländerna",
    "hub_lat": "59,8586",
    "hub_lon": "17.6389",
    "producer_share_percent": "12,5",
    "handling_kr_per_kg": "0,50",
    "kr_per_tonne_km": "1,50",
    "deadline_reminder_hours": "24",
}


def test_settings_in_kronor_and_per_cent_become_the_networks_patch_in_ore_and_per_mille() -> None:
    patch = settings_patch(SETTINGS)
    assert patch.producer_share_permille == 125
    assert patch.transport_handling_ore_per_kg == 50
    assert patch.transport_ore_per_tonne_km == 150
    assert isinstance(patch.hub, Location)
    assert patch.hub.lat == pytest.approx(59.8586)


def test_every_unreadable_setting_is_named_at_once() -> None:
    with pytest.raises(FormError) as refused:
        settings_patch(
            {**SETTINGS, "hub_lat": "north", "producer_share_percent": "12,55", "timezone": "Mars"}
        )
    assert set(refused.value.errors) == {"hub_lat", "producer_share_percent", "timezone"}


def test_a_setting_out_of_the_apis_bounds_is_named_by_its_form_field() -> None:
    with pytest.raises(FormError) as refused:
        settings_patch({**SETTINGS, "producer_share_percent": "101"})
    assert set(refused.value.errors) == {"producer_share_percent"}


def test_a_vehicle_in_kg_litres_and_kronor() -> None:
    vehicle = vehicle_in(
        {
            "name": "Skåpbil",
            "capacity_kg": "1200",
            "capacity_l": "8000",
            "cold_capable": "on",
            "start_lat": "59,86",
            "start_lon": "17,64",
            "shift_start": "07:00",
            "shift_end": "16:30",
            "cost_per_km": "4,50",
        }
    )
    assert (vehicle.capacity_grams, vehicle.capacity_ml) == (1_200_000, 8_000_000)
    assert vehicle.cost_per_km_ore == 450
    assert vehicle.cold_capable


def test_a_shift_that_ends_before_it_starts_is_refused_beside_its_start() -> None:
    with pytest.raises(FormError) as refused:
        vehicle_in(
            {
                "name": "Skåpbil",
                "capacity_kg": "1200",
                "capacity_l": "8000",
                "start_lat": "59.86",
                "start_lon": "17.64",
                "shift_start": "18:00",
                "shift_end": "07:00",
            }
        )
    assert set(refused.value.errors) == {"shift_start"}


def test_a_product_outside_the_category_list_is_refused() -> None:
    values = {"name": "Morötter", "unit": "kg", "grams_per_unit": "1000", "ml_per_unit": "1500"}
    assert product_in({**values, "category": "rotfrukter"}).category == "rotfrukter"
    with pytest.raises(FormError) as refused:
        product_in({**values, "category": "godis", "grams_per_unit": "ett kilo"})
    assert set(refused.value.errors) == {"category", "grams_per_unit"}


def test_a_swedish_spreadsheet_in_windows_1252_with_semicolons_and_decimal_commas() -> None:
    body = (
        "Namn;Enhet;kg per enhet;l per enhet;Temperatur;Kategori\r\n"
        "Mjölk 3 %;l;1,03;1;kyld;mejeri\r\n"
        "Ägg;st;0,062;0,07;kyld;ägg\r\n"
    ).encode("cp1252")
    items, errors = read_products(body)
    assert errors == []
    assert [(p.name, p.unit, p.grams_per_unit, p.temperature) for p in items] == [
        ("Mjölk 3 %", "l", 1030, "chilled"),
        ("Ägg", "piece", 62, "chilled"),
    ]


def test_utf8_with_a_bom_and_commas() -> None:
    body = "\ufeffname,unit,grams_per_unit,ml_per_unit\nPotatis,kg,1000,1400\n".encode()
    items, errors = read_products(body)
    assert errors == []
    assert items[0].name == "Potatis"


def test_every_bad_row_is_reported_with_its_field() -> None:
    body = (
        "namn;enhet;gram_per_enhet;ml_per_enhet;kategori\n"
        "Morötter;kg;1000;1500;rotfrukter\n"
        "Lök;säck;1000;1500;\n"
        "Kål;kg;mycket;1500;\n"
        "Godis;kg;1000;1500;godis\n"
    ).encode()
    _, errors = read_products(body)
    assert [(e.row, e.field) for e in errors] == [
        (2, "unit"),
        (3, "grams_per_unit"),
        (4, "category"),
    ]


def test_a_file_with_unknown_columns_is_refused_whole() -> None:
    with pytest.raises(BadUploadError):
        read_products(b"namn;pris\nMor\xc3\xb6tter;12\n")


def test_the_transport_warning_is_read_in_per_cent_and_kept_when_left_empty() -> None:
    assert (
        settings_patch({**SETTINGS, "transport_warning_percent": "25"}).transport_warning_permille
        == 250
    )
    assert (
        settings_patch({**SETTINGS, "transport_warning_percent": "12,5"}).transport_warning_permille
        == 125
    )
    assert settings_patch(SETTINGS).transport_warning_permille is msgspec.UNSET
    for wrong in ("lots", "10001", "-1"):
        with pytest.raises(FormError) as refused:
            settings_patch({**SETTINGS, "transport_warning_percent": wrong})
        assert set(refused.value.errors) == {"transport_warning_percent"}, wrong


def test_the_hubs_hours_go_into_the_patch_and_overlapping_ones_are_named_as_the_hours() -> None:
    monday = WeeklyWindow(weekday=1, opens=dt.time(8), closes=dt.time(12))
    patch = settings_patch(SETTINGS, [monday])
    assert patch.hub_hours == [monday]
    assert settings_patch(SETTINGS).hub_hours is msgspec.UNSET  # a form from before them
    with pytest.raises(FormError) as refused:
        settings_patch(
            SETTINGS, [monday, WeeklyWindow(weekday=1, opens=dt.time(11), closes=dt.time(13))]
        )
    assert list(refused.value.errors) == ["windows"]


@pytest.mark.parametrize(("language", "shown"), [("sv", "0,50"), ("en", "0.50")])
def test_the_settings_are_shown_with_the_decimal_sign_of_the_pages_language(
    language: str, shown: str
) -> None:
    network = NetworkOut(
        id=uuid.uuid4(),
        name="Uppsala",
        region="",
        timezone="Europe/Stockholm",
        currency="SEK",
        hub=None,
        producer_share_permille=125,
        transport_handling_ore_per_kg=50,
        transport_ore_per_tonne_km=150,
        deadline_reminder_hours=24,
        transport_warning_permille=300,
        hub_hours=[],
        version=1,
        created_at=dt.datetime.now(dt.UTC),
        updated_at=dt.datetime.now(dt.UTC),
    )
    values = shown_settings(network, language)
    assert values["handling_kr_per_kg"] == shown
    assert values["producer_share_percent"] == "12" + shown[1] + "5"
    assert settings_patch({**SETTINGS, **values}).transport_handling_ore_per_kg == 50
