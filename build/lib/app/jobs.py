"""Background jobs and their schedule, run by ``xiangzhi worker`` on Redis (arq) or, on the
embedded default, by the serve process itself.

A job is an ``async def job(ctx)`` where ``ctx["sessionmaker"]`` opens sessions. Each job owns
its transaction, as a request does.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.db import SessionMaker
from app.services import (
    development,
    dues,
    events,
    feed,
    grid,
    members,
    notifications,
    points,
    roster,
    shop,
    volunteer,
)
from app.services.identity import maintenance
from app.services.media import retention as media_retention
from app.services.notifications import retention as notification_retention
from app.services.warnings import concentration, health

log = logging.getLogger("xiangzhi.jobs")

Job = Callable[[dict[str, Any]], Awaitable[Any]]


T = TypeVar("T")


async def _in_one_transaction(
    ctx: dict[str, Any], work: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    """A job's transaction: the work commits as a whole or not at all, as a request's does."""
    sessionmaker: SessionMaker = ctx["sessionmaker"]
    async with sessionmaker() as session, session.begin():
        return await work(session)


def _told(count: int, message: str, key: str, level: int = logging.INFO) -> int:
    if count:
        log.log(level, message, extra={key: count})
    return count


async def purge_expired(ctx: dict[str, Any]) -> dict[str, int]:
    purged = await _in_one_transaction(
        ctx, lambda session: maintenance.purge_expired(session, now=utcnow())
    )
    counts = asdict(purged)
    log.info("purged expired records", extra={"purged": counts})
    return counts


async def flush_view_counts(ctx: dict[str, Any]) -> int:
    return await _in_one_transaction(
        ctx, lambda session: feed.flush_views(session, cache=ctx["cache"])
    )


async def close_finished_volunteering(ctx: dict[str, Any]) -> int:
    closed = await _in_one_transaction(ctx, volunteer.close_finished)
    return _told(closed, "closed volunteer records left signed in", "closed")


async def _expire_one(redemption_id: int, session: AsyncSession) -> int:
    return await shop.expire_one(session, redemption_id)


async def expire_reservations(ctx: dict[str, Any]) -> int:
    """Each reservation given back in its own transaction, so the job never holds two goods
    or two accounts at once against a till's group; one that fails waits for the next run."""
    due = await _in_one_transaction(ctx, lambda session: shop.due(session, now=utcnow()))
    expired = 0
    for redemption_id in due:
        try:
            expired += await _in_one_transaction(ctx, partial(_expire_one, redemption_id))
        except Exception:
            log.exception("expiring a reservation failed", extra={"redemption_id": redemption_id})
    return _told(expired, "expired shop reservations", "expired")


async def fail_interrupted_imports(ctx: dict[str, Any]) -> int:
    failed = await _in_one_transaction(
        ctx, lambda session: roster.imports.fail_stale(session, now=utcnow())
    )
    return _told(failed, "roster imports interrupted by a restart", "failed", logging.WARNING)


async def remind_events(ctx: dict[str, Any]) -> int:
    return await _in_one_transaction(
        ctx, lambda session: events.reminders.remind(session, now=utcnow())
    )


async def notify_overdue_tasks(ctx: dict[str, Any]) -> int:
    return await _in_one_transaction(
        ctx, lambda session: grid.overdue.notify_overdue(session, now=utcnow())
    )


async def warn_expiring_redemptions(ctx: dict[str, Any]) -> int:
    return await _in_one_transaction(ctx, lambda session: shop.warn_expiring(session, now=utcnow()))


async def remind_overdue_development(ctx: dict[str, Any]) -> int:
    return await _in_one_transaction(
        ctx, lambda session: development.reminders.remind_overdue(session, now=utcnow())
    )


async def political_birthdays(ctx: dict[str, Any]) -> int:
    return await _in_one_transaction(
        ctx, lambda session: members.anniversaries.remind(session, now=utcnow())
    )


async def remind_dues(ctx: dict[str, Any]) -> int:
    return await _in_one_transaction(
        ctx, lambda session: dues.reminders.remind(session, now=utcnow())
    )


async def settle_dues_orders(ctx: dict[str, Any]) -> int:
    pay = ctx.get("pay")
    if pay is None:
        return 0
    return await _in_one_transaction(
        ctx, lambda session: dues.orders.settle_waiting(session, pay=pay, now=utcnow())
    )


async def sign_ledgers(ctx: dict[str, Any]) -> int:
    settings = ctx["settings"]
    keys = points.roots.Keys(default=settings.ledger_signing_key, towns=settings.ledger_town_keys)
    return await _in_one_transaction(
        ctx,
        lambda session: points.nightly.sign_all(
            session, now=utcnow(), keys=keys, base_url=settings.public_base_url
        ),
    )


async def grade_branches(ctx: dict[str, Any]) -> int:
    return await _in_one_transaction(ctx, lambda session: health.grade_last_month(session))


async def enforce_retention(ctx: dict[str, Any]) -> dict[str, int]:
    """Personal data kept no longer than its setting says (the README lists each kind)."""
    settings = ctx["settings"]
    now = utcnow()
    inbox = await _in_one_transaction(
        ctx,
        lambda session: notification_retention.purge_old(
            session, before=now - timedelta(days=settings.retention_notification_days)
        ),
    )
    originals = await _in_one_transaction(
        ctx,
        lambda session: media_retention.drop_originals(
            session,
            storage=ctx["storage"],
            before=now - timedelta(days=settings.retention_original_photo_days),
        ),
    )
    done = {"notifications": inbox, "original_photos": originals}
    if inbox or originals:
        log.info("retention enforced", extra={"removed": done})
    return done


async def flag_concentration(ctx: dict[str, Any]) -> int:
    """Each town's month just closed, looked at once for points gathered on a few households."""
    return await _in_one_transaction(ctx, lambda session: concentration.scan_last_month(session))


async def deliver_notifications(ctx: dict[str, Any]) -> int:
    """WeChat messages of the inbox rows that are due (each job run claims its own rows)."""
    settings = ctx["settings"]
    outbox = notifications.Outbox(
        wechat=ctx["wechat"],
        templates=settings.wechat_templates,
        state=settings.miniprogram_state,
    )
    return await notifications.deliver_due(ctx["sessionmaker"], outbox, now=utcnow())


@dataclass(frozen=True, slots=True)
class Periodic:
    job: Job
    every_minutes: int


PERIODIC: tuple[Periodic, ...] = (
    Periodic(purge_expired, every_minutes=15),
    Periodic(flush_view_counts, every_minutes=1),
    Periodic(close_finished_volunteering, every_minutes=5),
    Periodic(expire_reservations, every_minutes=5),
    Periodic(fail_interrupted_imports, every_minutes=5),
    Periodic(remind_events, every_minutes=5),
    Periodic(notify_overdue_tasks, every_minutes=15),
    Periodic(warn_expiring_redemptions, every_minutes=15),
    Periodic(remind_overdue_development, every_minutes=60),
    Periodic(political_birthdays, every_minutes=60),
    Periodic(remind_dues, every_minutes=60),
    Periodic(settle_dues_orders, every_minutes=5),
    Periodic(sign_ledgers, every_minutes=10),
    Periodic(grade_branches, every_minutes=60),
    # Every minute: a flag is raised at most a minute after its cause (here, a month closing);
    # a month already looked at costs one indexed read.
    Periodic(flag_concentration, every_minutes=1),
    Periodic(enforce_retention, every_minutes=60),
)
# Sent every few seconds, not every minute: "your leave was approved" should not wait.
DELIVERY_SECONDS = 10


async def run_in_process(ctx: dict[str, Any], *, tick_seconds: float = 60.0) -> None:
    """The embedded default's scheduler: one process, so no locking is needed."""
    elapsed_minutes = 0
    while True:
        for periodic in PERIODIC:
            if elapsed_minutes % periodic.every_minutes == 0:
                try:
                    await periodic.job(ctx)
                except Exception:  # a failed run is retried on the next tick, not fatal
                    log.exception("periodic job failed", extra={"job": periodic.job.__name__})
        await asyncio.sleep(tick_seconds)
        elapsed_minutes += 1


async def deliver_in_process(ctx: dict[str, Any], *, every_seconds: float = 5.0) -> None:
    """The embedded default's delivery loop."""
    while True:
        try:
            await deliver_notifications(ctx)
        except Exception:
            log.exception("notification delivery failed")
        await asyncio.sleep(every_seconds)
