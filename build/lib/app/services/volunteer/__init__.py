"""Volunteer activities: the organiser's activity and codes, scanning in and out, records left
open, hand entries, and confirmation that posts minutes (and points by rule) exactly once."""

from app.services.volunteer import papers, view
from app.services.volunteer.activities import (
    create_activity,
    current_token,
    enrol,
    list_activities,
    organised,
)
from app.services.volunteer.common import SCAN_GRACE, ActivityNotFound
from app.services.volunteer.records import confirm, enter_by_hand, my_records, records, reject
from app.services.volunteer.scans import close_finished, scan

__all__ = [
    "SCAN_GRACE",
    "ActivityNotFound",
    "close_finished",
    "confirm",
    "create_activity",
    "current_token",
    "enrol",
    "enter_by_hand",
    "list_activities",
    "my_records",
    "organised",
    "papers",
    "records",
    "reject",
    "scan",
    "view",
]
