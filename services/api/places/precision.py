"""A place as other members may see it, at the precision its organisation chose.

Done here, on the server, before anything is sent: an approximate place is the centre
of the grid cell (about 5 km a side) the place falls in, so every page and export shows
the same point and no number of looks narrows it down; a place shown by municipality
has no point at all. Coordinators see exact places (they plan the routes to them).
"""

from __future__ import annotations

import math

from services.api.core.types import Location

CELL_KM = 5.0
KM_PER_DEGREE = 111.2  # of latitude, and of longitude at the equator


def approximate(lat: float, lon: float) -> tuple[float, float]:
    """The centre of the ~5 km cell of the grid that (lat, lon) lies in."""
    lat_step = CELL_KM / KM_PER_DEGREE
    row = math.floor(lat / lat_step)
    centre_lat = (row + 0.5) * lat_step
    # cells as wide as they are tall, measured at the row's centre
    lon_step = min(CELL_KM / (KM_PER_DEGREE * max(math.cos(math.radians(centre_lat)), 0.05)), 90)
    centre_lon = (math.floor((lon + 180) / lon_step) + 0.5) * lon_step - 180
    return round(min(max(centre_lat, -90), 90), 4), round(min(max(centre_lon, -180), 180), 4)


def shown_location(location: Location | None, precision: str, municipality: str) -> Location | None:
    """``location`` as the other members see it: exact, approximate (its address
    replaced by the municipality) or none."""
    if location is None or precision == "municipality":
        return None
    if precision == "exact":
        return location
    lat, lon = approximate(location.lat, location.lon)
    return Location(lat=lat, lon=lon, address=municipality)
