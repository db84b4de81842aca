"""One offer as a DFC catalog shows it, for the export and for a peer's feed alike: the
VAT of its first day on sale from today, and the pickup place its reader may see."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast
from uuid import uuid4

import asyncpg

from services.api.federation.catalog_offers import catalog_offer, exact_pickup, offer_vat
from services.matcher.engine.federation.catalog import Place
from services.matcher.engine.settlement.vat import SWEDISH_RATES, VatRule

TODAY = dt.date(2026, 3, 20)


def _row(**changes: Any) -> asyncpg.Record:
    row = {
        "id": uuid4(),
        "product": "Morötter",
        "unit": "kg",
        "category": "grönsaker",
        "note": "",
        "pack_units": 10,
        "packs": 12,
        "price_per_pack_ore": 12_500,
        "currency": "SEK",
        "valid_from": TODAY,
        "valid_until": TODAY + dt.timedelta(days=30),
        "pickup_lat": 59.9126,
        "pickup_lon": 17.5203,
        "pickup_address": "Ekeby 1",
    }
    return cast(asyncpg.Record, row | changes)


def test_an_offer_on_sale_after_a_rate_change_has_the_new_rate() -> None:
    assert offer_vat(_row(), SWEDISH_RATES, TODAY) == 1200
    later = _row(valid_from=dt.date(2026, 4, 1))
    assert offer_vat(later, SWEDISH_RATES, TODAY) == 600
    earlier = _row(valid_from=dt.date(2026, 3, 1))  # on sale already: today's rate
    assert offer_vat(earlier, SWEDISH_RATES, TODAY) == 1200


def test_no_rate_for_its_class_leaves_the_rate_out() -> None:
    standard_only = (VatRule(vat_class="standard", effective_from=TODAY, rate_bp=2500),)
    assert offer_vat(_row(), standard_only, TODAY) is None


def test_the_offer_carries_the_row_and_the_place_given() -> None:
    row = _row()
    exact = catalog_offer(row, 1200, exact_pickup(row))
    assert (exact.offer_id, exact.packs, exact.price_per_pack_ore) == (row["id"], 12, 12_500)
    assert exact.pickup == Place(lat=59.9126, lon=17.5203, address="Ekeby 1")
    assert catalog_offer(row, 1200, None).pickup is None  # a place its reader may not see
