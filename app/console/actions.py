"""How a console write runs: once per rendered form, inside the request's transaction, and
with any refusal turned into the service's own Chinese sentence for the page to show."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import FormData

from app.cache import Cache
from app.console.deps import AlreadyPosted, claim_once, release_once
from app.errors import AppError
from app.services.identity import Principal
from app.validation import describe

T = TypeVar("T")


def said(error: ValidationError) -> str:
    """A form's validation errors as the Chinese sentences the API would give."""
    return "；".join(describe(dict(e))[1] for e in error.errors())


class Unfit(ValueError):
    """A form value the page itself cannot read (a date, a number), with what to fix."""


class Refused(Exception):
    """A write the service refused, with the sentence to show beside the form."""

    def __init__(self, detail: str, status: int) -> None:
        super().__init__(detail)
        self.detail, self.status = detail, status


async def act(
    session: AsyncSession,
    cache: Cache,
    principal: Principal,
    form: FormData,
    write: Callable[[], Awaitable[T]],
) -> T:
    """Runs ``write`` once for this form. A refusal rolls back whatever the service had
    flushed (the session would otherwise commit it with the page) and frees the form's mark,
    so the corrected form can be sent again."""
    try:
        await claim_once(cache, principal, form)
    except AlreadyPosted as error:
        raise Refused(error.detail, error.status) from error
    try:
        return await write()
    except AppError as error:
        await session.rollback()
        await release_once(cache, principal, form)
        raise Refused(error.detail, error.status) from error
    except ValidationError as error:
        await session.rollback()
        await release_once(cache, principal, form)
        raise Refused(said(error), 422) from error
