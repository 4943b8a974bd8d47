"""Early warnings: the health of each branch month by month before the inspection (health), and
favouritism flags for the supervisors before the complaint (flags raised, concentration found by
the minute job, the queue they are decided on, the evidence as a person reads it).

Only ``flags`` is imported here: the ledger, the grid and the shop raise flags through it, and
the rest reads those services, so importing them eagerly would make a cycle; they load on first
use."""

import importlib
from types import ModuleType

from app.services.warnings import flags

_ON_FIRST_USE = ("concentration", "evidence", "health", "queue")


def __getattr__(name: str) -> ModuleType:
    if name in _ON_FIRST_USE:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(name)


__all__ = ["concentration", "evidence", "flags", "health", "queue"]
