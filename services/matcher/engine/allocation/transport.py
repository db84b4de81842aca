"""Transport estimates for allocation: what carrying a kilogram from a farm to a co-op
roughly costs, before any route is planned. Great-circle distance times a road factor,
priced at a network's two rates (docs/matching.md, "The transport estimate")."""

from __future__ import annotations

import math
from collections.abc import Mapping
from uuid import UUID

import msgspec

from services.matcher.engine.allocation.model import TransportEstimate

EARTH_RADIUS_KM = 6371.0088
Place = tuple[float, float]  # latitude, longitude in degrees

# The defaults, calibrated on the realised cost of planned routes (docs/matching.md):
# a network may set its own. Integers: öre per kg, and öre per tonne-km (1 öre per
# tonne-km is a thousandth of an öre per kg-km).
HANDLING_ORE_PER_KG = 125
ORE_PER_TONNE_KM = 9_500


class TransportRates(msgspec.Struct, frozen=True, kw_only=True):
    """What a network estimates carriage at: handling (loading, the stops, the van's
    fixed cost) per kg, plus distance per tonne-km of road."""

    handling_ore_per_kg: int = HANDLING_ORE_PER_KG
    ore_per_tonne_km: int = ORE_PER_TONNE_KM

    def ore_per_kg(self, road_km: float) -> int:
        """öre per kg carried ``road_km`` km, rounded half to even."""
        return self.handling_ore_per_kg + round(road_km * self.ore_per_tonne_km / 1000)


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
    rates: TransportRates | None = None,
) -> list[TransportEstimate]:
    """öre per kg for every producer and co-op pair: handling plus distance.

    A co-op without a known location is charged handling only, so it is neither
    favoured nor penalised by a distance nobody knows.
    """
    rates = rates or TransportRates()
    estimates = []
    for producer_id, farm in sorted(producers.items()):
        for coop_id, coop in sorted(coops.items(), key=lambda item: item[0]):
            distance = road_km(farm, coop, road_factor) if coop is not None else 0.0
            estimates.append(
                TransportEstimate(
                    producer_id=producer_id,
                    coop_id=coop_id,
                    ore_per_kg=rates.ore_per_kg(distance),
                )
            )
    return estimates
