"""Transport estimates for allocation: what carrying a kilogram from a farm to a co-op
roughly costs, before any route is planned. Great-circle distance times a road factor."""

from __future__ import annotations

import math
from collections.abc import Mapping
from uuid import UUID

from services.matcher.engine.allocation.model import TransportEstimate

EARTH_RADIUS_KM = 6371.0088
Place = tuple[float, float]  # latitude, longitude in degrees


def road_km(a: Place, b: Place, road_factor: float) -> float:
    """Haversine distance between two places, stretched by ``road_factor`` for roads."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h)) * road_factor


def estimate_transport(
    producers: Mapping[UUID, Place],
    coops: Mapping[UUID, Place | None],
    *,
    road_factor: float,
    ore_per_kg_km: float = 0.5,
    handling_ore_per_kg: int = 20,
) -> list[TransportEstimate]:
    """öre per kg for every producer and co-op pair: handling plus distance.

    A co-op without a known location is charged handling only, so it is neither
    favoured nor penalised by a distance nobody knows.
    """
    estimates = []
    for producer_id, farm in sorted(producers.items()):
        for coop_id, coop in sorted(coops.items(), key=lambda item: item[0]):
            distance = road_km(farm, coop, road_factor) if coop is not None else 0.0
            estimates.append(
                TransportEstimate(
                    producer_id=producer_id,
                    coop_id=coop_id,
                    ore_per_kg=handling_ore_per_kg + round(distance * ore_per_kg_km),
                )
            )
    return estimates
