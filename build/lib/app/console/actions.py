"""How a console write runs: once per rendered form, inside the request's transaction, and
with any refusal turned into the service's own Chinese sentence for the page to show."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import FormData
from starlette.responses import Response

from app.cache import Cache
from app.china_time import CHINA
from app.console.deps import AlreadyPosted, claim_once, release_once
from app.console.render import back
from app.errors import AppError
from app.services.identity import Principal
from app.validation import describe

T = TypeVar("T")
D = TypeVar("D")


def texts(form: FormData) -> dict[str, str]:
    """A posted form's text fields, trimmed (file fields left out)."""
    return {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}


def said(error: ValidationError) -> str:
    """A form's validation errors as the Chinese sentences the API would give."""
    return "；".join(describe(dict(e))[1] for e in error.errors())


class Unfit(ValueError):
    """A form value the page itself cannot read (a date, a number), with what to fix."""


def china_moment(text: str, missing: str) -> datetime:
    """A time typed in China time (``2026-12-07T09:00``, as a date and clock field give it), or
    ``Unfit`` with ``missing`` when it is not one."""
    try:
        return datetime.fromisoformat(text).replace(tzinfo=CHINA)
    except ValueError as exc:
        raise Unfit(missing) from exc


def span(text: dict[str, str]) -> tuple[datetime, datetime]:
    """The ``day``, ``starts`` and ``ends`` fields of a form as two China times."""
    missing = "请填写日期和开始、结束时间。"
    day = text.get("day", "")
    return (
        china_moment(f"{day}T{text.get('starts', '')}", missing),
        china_moment(f"{day}T{text.get('ends', '')}", missing),
    )


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


async def submitted(
    session: AsyncSession,
    cache: Cache,
    principal: Principal,
    form: FormData,
    *,
    here: str,
    parse: Callable[[], D],
    write: Callable[[D], Awaitable[T]],
    done: str | Callable[[D], str],
    then: Callable[[T], str] | None = None,
) -> Response:
    """A form's whole round: read it (``parse``; a validation error or an ``Unfit`` value is
    told on ``here``), write it once (``act``; a refusal is told on ``here``), then show
    ``then(result)`` or ``here`` with what was done (Post/Redirect/Get)."""
    try:
        data = parse()
    except ValidationError as error:
        return back(here, error=said(error))
    except Unfit as unfit:
        return back(here, error=str(unfit))
    try:
        result = await act(session, cache, principal, form, lambda: write(data))
    except Refused as refused:
        return back(here, error=refused.detail)
    told = done if isinstance(done, str) else done(data)
    return back(then(result) if then is not None else here, done=told)
