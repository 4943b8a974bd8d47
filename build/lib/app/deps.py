"""Named dependencies that routes state in their signatures."""

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from app import idempotency
from app.cache import Cache
from app.config import Settings
from app.db.background import Background
from app.db.group_commit import GroupCommit, Writers
from app.errors import AppError, Forbidden, Unauthorized
from app.models.roster import ADMIN_ROLES, Role
from app.services.identity import Principal, decode_access_token, load_principal, principal_cache
from app.services.kit import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    PayGateway,
    QrSettings,
    Storage,
    WechatGateway,
)
from app.services.points import roots

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


W = TypeVar("W", bound=GroupCommit[Any, Any])


def started(kind: type[W]) -> Callable[[Request], Coroutine[Any, Any, W]]:
    """The app's group-commit writer of ``kind``, started on first use. A route names the writer
    its domain declares: ``Annotated[CheckinWriter, Depends(started(CheckinWriter))]``."""

    # async, not def: FastAPI runs a plain def dependency in its thread pool, a thread hop on
    # every check-in and redemption (~0.2 ms of CPU each, measured in bench/).
    async def get(request: Request) -> W:
        writers: Writers = request.app.state.writers
        return writers.get(kind)

    return get


async def get_pending(request: Request) -> idempotency.Pending | None:
    """The request's claimed Idempotency-Key, for a write made outside its session."""
    pending: idempotency.Pending | None = getattr(request.state, "idempotency", None)
    return pending


async def get_cache(request: Request) -> Cache:
    cache: Cache = request.app.state.cache
    return cache


async def get_background(request: Request) -> Background:
    background: Background = request.app.state.background
    return background


async def get_storage(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


async def get_wechat(request: Request) -> WechatGateway:
    gateway: WechatGateway = request.app.state.wechat
    return gateway


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's one transaction: committed when the route returns, rolled back on error.

    Reads (GET) run without BEGIN/COMMIT where the database allows it: two round trips fewer
    on the calls phones make most, and nothing to commit. A write under an ``Idempotency-Key``
    is not committed here: the session goes to the idempotency middleware, which stores the
    answer in this same transaction and commits both together.
    """
    state = request.app.state
    maker = state.read_sessionmaker if request.method in _SAFE_METHODS else state.sessionmaker
    pending: idempotency.Pending | None = getattr(request.state, "idempotency", None)
    session = maker()
    handed_over = False

    async def finish() -> None:
        nonlocal handed_over
        if pending is None:
            if session.in_transaction():  # a kept answer (/me, the feed) never began one
                await session.commit()
        else:
            pending.session, handed_over = session, True

    try:
        yield session
    except AppError as error:
        if error.keeps_changes:
            await finish()
        else:
            await session.rollback()
        raise
    except BaseException:
        await session.rollback()
        raise
    else:
        await finish()
    finally:
        if not handed_over:
            await session.close()


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_pay(request: Request) -> PayGateway:
    pay: PayGateway = request.app.state.pay
    return pay


async def get_ledger_keys(request: Request) -> roots.Keys:
    settings: Settings = request.app.state.settings
    return roots.Keys(default=settings.ledger_signing_key, towns=settings.ledger_town_keys)


async def get_qr_settings(request: Request) -> QrSettings:
    # async: a plain def would be run in a worker thread, a thread hop on every check-in; and
    # no sub-dependency: each costs FastAPI's resolution on every scan of a burst.
    settings: Settings = request.app.state.settings
    return QrSettings(secret=settings.qr_secret, rotate_seconds=settings.qr_rotate_seconds)


QrSettingsDep = Annotated[QrSettings, Depends(get_qr_settings)]
PendingDep = Annotated[idempotency.Pending | None, Depends(get_pending)]
CacheDep = Annotated[Cache, Depends(get_cache)]
WechatDep = Annotated[WechatGateway, Depends(get_wechat)]
PayDep = Annotated[PayGateway, Depends(get_pay)]
LedgerKeysDep = Annotated[roots.Keys, Depends(get_ledger_keys)]
StorageDep = Annotated[Storage, Depends(get_storage)]
BackgroundDep = Annotated[Background, Depends(get_background)]
# scope="function": commit before the response is sent, so a 201 is never for a lost write.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def principal_of(request: Request, *, account_id: int, session_id: str) -> Principal | None:
    """The principal of a login's session, cached (one Redis read) or read in a short session
    of its own: a call answered from a kept answer then opens no session at all. None for an
    account that no longer exists; SessionRevoked after a logout."""
    remembered_in: Cache | None = request.app.state.principal_cache
    principal, version = None, ""
    if remembered_in is not None:
        principal, version = await principal_cache.read(remembered_in, account_id, session_id)
    if principal is None:
        async with request.app.state.read_sessionmaker() as session:
            principal = await load_principal(session, account_id=account_id, session_id=session_id)
        if principal is not None and remembered_in is not None:
            await principal_cache.write(remembered_in, principal, version)
    return principal


async def get_principal(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Principal:
    """The caller of an API call, from the bearer token."""
    if not token:
        raise Unauthorized()
    claims = decode_access_token(request.app.state.settings, token)
    principal = await principal_of(
        request, account_id=claims.account_id, session_id=claims.session_id
    )
    if principal is None:
        raise Unauthorized("账号不存在，请重新登录。", code="auth.invalid_token")
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    async def dependency(principal: CurrentUser) -> Principal:
        if not principal.has_role(roles):
            raise Forbidden()
        return principal

    return dependency


AdminUser = Annotated[Principal, Depends(require_roles(*ADMIN_ROLES))]
TownAdmin = Annotated[Principal, Depends(require_roles(Role.superadmin, Role.town_admin))]
VillageAdmin = Annotated[
    Principal, Depends(require_roles(Role.superadmin, Role.town_admin, Role.village_admin))
]
SuperAdmin = Annotated[Principal, Depends(require_roles(Role.superadmin))]
GridUser = Annotated[Principal, Depends(require_roles(*ADMIN_ROLES, Role.grid_worker))]

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="每页条数")]
Cursor = Annotated[str | None, Query(max_length=512, description="上一页返回的 next_cursor")]
DEFAULT_PAGE = DEFAULT_LIMIT
