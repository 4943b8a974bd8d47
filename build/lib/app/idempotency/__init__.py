"""Idempotency-Key (CONTRACT.md "Idempotency"): a phone's retried write never counts twice.

One room for the whole mechanism:
- ``store``: a key's claim, its stored answer and its replay (the table is
  models/idempotency.py);
- ``writers``: the claims and answers of a rush written together (group commit);
- ``middleware``: the ASGI layer that claims the key, holds the route's answer until the write
  and the answer are committed together, and replays it.

Routes see only ``Pending`` (deps.PendingDep) and, for a write made by a group-commit writer,
hand it a ``Receipt``: the writer stores the answer in the write's own commit.
"""

from app.idempotency.store import (
    STALE_AFTER,
    Answer,
    Claimed,
    InFlight,
    KeyReused,
    Pending,
    Receipt,
    Replay,
    claim,
    complete_all,
    complete_in,
    complete_many,
    release,
)

__all__ = [
    "STALE_AFTER",
    "Answer",
    "Claimed",
    "InFlight",
    "KeyReused",
    "Pending",
    "Receipt",
    "Replay",
    "claim",
    "complete_all",
    "complete_in",
    "complete_many",
    "release",
]
