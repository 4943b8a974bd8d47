"""Files a transaction means to remove, removed only once it has committed: a photo moved to a
private key leaves its public copy until the row that points at the private one has landed, so
a rollback never leaves a row pointing at nothing. A rollback forgets them (the public copy
stays, as the row still names it)."""

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.util import await_only

log = logging.getLogger("xiangzhi.storage")

_PENDING = "files_to_remove_after_commit"

Remove = Callable[[str], Awaitable[None]]


def remove_after_commit(session: Any, remove: Remove, keys: Iterable[str]) -> None:
    """``session``: an ORM session or an async one (both carry the same ``info``)."""
    session.info.setdefault(_PENDING, []).extend((remove, key) for key in keys)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    for remove, key in session.info.pop(_PENDING, ()):
        try:
            await_only(remove(key))
        except Exception:  # the commit stands; a file left behind is only a file left behind
            log.warning("could not remove %s after commit", key, exc_info=True)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)
