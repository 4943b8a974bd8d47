"""Tables and schemas; importing this package registers every table on the metadata."""

from app.models import (
    audit,
    auth,
    contact,
    cooperatives,
    events,
    feed,
    grid,
    idempotency,
    media,
    notifications,
    points,
    proposals,
    roster,
    roster_import,
    service,
    shop,
    volunteer,
)
from app.models.base import metadata

__all__ = [
    "audit",
    "auth",
    "contact",
    "cooperatives",
    "events",
    "feed",
    "grid",
    "idempotency",
    "media",
    "metadata",
    "notifications",
    "points",
    "proposals",
    "roster",
    "roster_import",
    "service",
    "shop",
    "volunteer",
]
