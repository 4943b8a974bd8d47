"""Locations on the spot: phones send GCJ-02 (or WGS-84, converted first); distances between
GCJ-02 points are fine to compute directly at village scale."""

import math
from typing import Literal

from coordTransform import wgs84_to_gcj02

EARTH_RADIUS_M = 6_371_000.0
# A phone reporting a worse accuracy than this is not given that much slack at a venue.
MAX_TRUSTED_ACCURACY_M = 1000.0


def to_gcj02(lat: float, lng: float, coord_type: Literal["gcj02", "wgs84"]) -> tuple[float, float]:
    if coord_type == "wgs84":
        converted_lng, converted_lat = wgs84_to_gcj02(lng, lat)
        return float(converted_lat), float(converted_lng)
    return lat, lng


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def outside_venue(
    *,
    venue: tuple[float, float],
    radius_m: int,
    lat: float,
    lng: float,
    coord_type: Literal["gcj02", "wgs84"],
    accuracy: float | None,
) -> tuple[float, bool]:
    """The distance from the venue (GCJ-02) and whether it is beyond the radius plus the
    phone's own accuracy."""
    here = to_gcj02(lat, lng, coord_type)
    distance = distance_m(here[0], here[1], venue[0], venue[1])
    slack = min(accuracy or 0.0, MAX_TRUSTED_ACCURACY_M)
    return distance, distance > radius_m + slack
