"""From allocations to shipments: what each producer sends each co-op, per temperature.

One shipment per (producer, co-op, temperature class), weighing what its allocated
units weigh. A producer whose offers name different pickup places or windows is
picked up where and when its heaviest part of the shipment is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from uuid import UUID

import msgspec

from services.matcher.engine.allocation.model import AllocationResult, Temperature
from services.matcher.engine.routing.model import WHOLE_DAY, Place, Shipment, Window


class OfferSite(msgspec.Struct, frozen=True, kw_only=True):
    """Where and when an offer's goods are picked up, and what a unit weighs."""

    producer_id: UUID
    temperature: Temperature
    grams_per_unit: int
    ml_per_unit: int
    place: Place
    window: Window = WHOLE_DAY


class Unplaced(msgspec.Struct, frozen=True, kw_only=True):
    """What a co-op with no known location was allocated: it can't be routed."""

    producer_id: UUID
    coop_id: UUID
    temperature: Temperature
    grams: int
    ml: int


class CoopSite(msgspec.Struct, frozen=True, kw_only=True):
    place: Place
    window: Window = WHOLE_DAY


def build_shipments(
    result: AllocationResult,
    offers: Mapping[UUID, OfferSite],
    coop_of_line: Mapping[UUID, UUID],
    coops: Mapping[UUID, CoopSite],
) -> tuple[list[Shipment], list[Unplaced]]:
    """The shipments of an allocation, ordered by producer, co-op and temperature, and
    apart from them what goes to co-ops without a known place (nobody can drive there)."""
    grams: dict[tuple[UUID, UUID, Temperature], int] = defaultdict(int)
    ml: dict[tuple[UUID, UUID, Temperature], int] = defaultdict(int)
    parts: dict[tuple[UUID, UUID, Temperature], dict[UUID, int]] = defaultdict(dict)
    for item in result.allocations:
        offer, coop_id = offers[item.offer_id], coop_of_line[item.line_id]
        key = (offer.producer_id, coop_id, offer.temperature)
        weight = item.units * offer.grams_per_unit
        grams[key] += weight
        ml[key] += item.units * offer.ml_per_unit
        parts[key][item.offer_id] = parts[key].get(item.offer_id, 0) + weight
    shipments, unplaced = [], []
    for key in sorted(grams):
        producer_id, coop_id, temperature = key
        if coop_id not in coops:
            unplaced.append(
                Unplaced(
                    producer_id=producer_id,
                    coop_id=coop_id,
                    temperature=temperature,
                    grams=grams[key],
                    ml=ml[key],
                )
            )
            continue
        site = _heaviest_part(parts[key], offers)
        shipments.append(
            Shipment(
                producer_id=producer_id,
                coop_id=coop_id,
                temperature=temperature,
                grams=grams[key],
                ml=ml[key],
                pickup=site.place,
                delivery=coops[coop_id].place,
                pickup_window=site.window,
                delivery_window=coops[coop_id].window,
            )
        )
    return shipments, unplaced


def _heaviest_part(weights: Mapping[UUID, int], offers: Mapping[UUID, OfferSite]) -> OfferSite:
    """Where the heaviest part of a shipment is picked up: ties by the earlier window,
    then the place, so the offers' ids decide only between offers alike in both."""
    return offers[min(weights, key=lambda i: (-weights[i], offers[i].window, offers[i].place, i))]
