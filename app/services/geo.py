"""Locations on the spot: phones send GCJ-02 (or WGS-84, converted first); distances between
GCJ-02 points are fine to compute directly at village scale."""

import math
from typing import Literal

from coordTransform import wgs84_to_gcj02

EARTH_RADIUS_M = 6_371_000.0


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
