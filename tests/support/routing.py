"""Vans and shipments around Uppsala for the routing tests; the same farm or co-op is
always at the same place."""

from __future__ import annotations

import random
import uuid

from services.matcher.engine.routing.model import Place, Shipment, Vehicle, Window

UPPSALA = Place(lat=59.8586, lon=17.6389)
HOUR = 3600


def van(n: int, *, cold: bool = False, grams: int = 800_000, **extra: object) -> Vehicle:
    values: dict[str, object] = {
        "id": uuid.UUID(int=900 + n),
        "capacity_grams": grams,
        "capacity_ml": 2 * grams,
        "cold_capable": cold,
        "start": UPPSALA,
        "end": UPPSALA,
        "shift": Window(opens_s=6 * HOUR, closes_s=18 * HOUR),
        "fixed_cost_ore": 15_000,
        "cost_per_km_ore": 250,
        "cost_per_hour_ore": 30_000,
    }
    return Vehicle(**(values | extra))  # type: ignore[arg-type]


def shipment(rng: random.Random, farm: int, coop: int, **extra: object) -> Shipment:
    values: dict[str, object] = {
        "producer_id": uuid.UUID(int=1 + farm),
        "coop_id": uuid.UUID(int=100 + coop),
        "temperature": "ambient",
        "grams": rng.randint(2_000, 60_000),
        "ml": rng.randint(2_000, 60_000),
        "pickup": _near(rng, farm),
        "delivery": _near(rng, 1000 + coop),
        "pickup_window": Window(opens_s=7 * HOUR, closes_s=12 * HOUR),
        "delivery_window": Window(opens_s=9 * HOUR, closes_s=17 * HOUR),
    }
    return Shipment(**(values | extra))  # type: ignore[arg-type]


def _near(rng: random.Random, seed: int) -> Place:
    spot = random.Random(seed)  # the same farm or co-op is always at the same place
    del rng
    return Place(lat=59.6 + spot.random() * 0.6, lon=17.2 + spot.random() * 1.0)
