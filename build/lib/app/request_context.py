"""The current request's id, readable from services and logs without passing it around."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()


@contextmanager
def acting_for(request_id: str | None) -> Iterator[None]:
    """Work done for a request outside it (a group commit's writer) is recorded as its."""
    token = request_id_var.set(request_id)
    try:
        yield
    finally:
        request_id_var.reset(token)
