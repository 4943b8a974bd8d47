"""Party days and meetings (三会一课): events and their codes, changes and cancellation, check-in,
leave, attendance, minutes, Party groups and the compliance report."""

from app.services.events import (
    attendance,
    changes,
    checkins,
    compliance,
    events,
    groups,
    leave,
    minutes,
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
    "changes",
    "checkins",
    "compliance",
    "events",
    "groups",
    "leave",
    "minutes",
    "papers",
    "posters",
    "queues",
    "reminders",
    "scans",
]
