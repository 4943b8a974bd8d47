"""The audit log: every admin write and every point movement, with before and after."""

from app.services.audit.trail import (
    Change,
    change,
    exported,
    list_entries,
    record,
    record_created,
    record_many,
    record_updated,
    record_values,
    snapshot,
    stage_of,
    values,
)

__all__ = [
    "Change",
    "change",
    "exported",
    "list_entries",
    "record",
    "record_created",
    "record_many",
    "record_updated",
    "record_values",
    "snapshot",
    "stage_of",
    "values",
]
