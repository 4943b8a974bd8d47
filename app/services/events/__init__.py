"""Party days and meetings (三会一课): events and their codes, check-in, leave, attendance
and the compliance report."""

from app.services.events import (
    attendance,
    checkins,
    events,
    leave,
    papers,
    posters,
    queues,
    reminders,
    scans,
)
from app.services.events.scans import CheckinWriter

__all__ = [
    "CheckinWriter",
    "attendance",
    "checkins",
    "events",
    "leave",
    "papers",
    "posters",
    "queues",
    "reminders",
    "scans",
]
