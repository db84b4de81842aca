"""A run's routes as a GeoJSON FeatureCollection (RFC 7946): one LineString per route
through its stops, and one Point per stop, with what a map's legend needs."""

from __future__ import annotations

from typing import Any

from services.api.runs.schemas import RunRoutes


def feature_collection(routes: RunRoutes) -> dict[str, Any]:
    features: list[dict[str, Any]] = []
    for route in routes.routes:
        common = {"plan": route.plan, "route_no": route.route_no}
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[stop.lon, stop.lat] for stop in route.stops],
                },
                "properties": {
                    **common,
                    "route_id": str(route.id),
                    "vehicle_id": str(route.vehicle_id) if route.vehicle_id else None,
                    "producer_id": str(route.producer_id) if route.producer_id else None,
                    "distance_m": route.distance_m,
                    "duration_s": route.duration_s,
                    "cost_ore": route.cost_ore,
                    "co2_grams": route.co2_grams,
                },
            }
        )
        for stop in route.stops:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [stop.lon, stop.lat]},
                    "properties": {
                        **common,
                        "seq": stop.seq,
                        "kind": stop.kind,
                        "organisation_id": str(stop.organisation_id)
                        if stop.organisation_id
                        else None,
                        "arrival_at": stop.arrival_at.isoformat(),
                        "departure_at": stop.departure_at.isoformat(),
                        "load_grams": stop.load_grams,
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}
