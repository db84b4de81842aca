"""Offer spreadsheets as a producer exports them, for the upload tests."""

from __future__ import annotations

import csv
import datetime as dt
import io

from tests.support.world import World

OFFER_HEADER = [
    "network_id",
    "product",
    "pack_units",
    "packs_available",
    "price_per_pack_ore",
    "valid_from",
    "valid_until",
    "pickup_lat",
    "pickup_lon",
    "pickup_address",
    "pickup_opens",
    "pickup_closes",
    "note",
]


def offer_rows(world: World, count: int) -> list[list[str]]:
    """``count`` rows of the world's producer's offers, under OFFER_HEADER."""
    today = dt.date.today()
    return [
        [
            world.network["id"],
            "morötter" if n % 2 else "Mjölk",
            "10",
            str(5 + n % 7),
            str(9000 + n),
            today.isoformat(),
            (today + dt.timedelta(days=20)).isoformat(),
            "59.9126",
            "17.5203",
            "Ekeby 1",
            "07:00",
            "11:00",
            f"parti {n}",
        ]
        for n in range(count)
    ]


def as_csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()
