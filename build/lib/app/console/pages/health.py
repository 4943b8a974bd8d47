"""党支部健康: every branch of the town for a month (the last one by default), green, amber or
red with the signals behind it, for the town's organiser to see at a glance which branches
need a visit and why."""

from datetime import timedelta

from fastapi import Request
from fastapi.responses import Response

from app.china_time import china_today
from app.console.deps import ConsoleUser, console_router
from app.console.render import page, this_month_or
from app.deps import SessionDep
from app.models.warnings import SIGNAL_WORDS
from app.routers.common import FilterId
from app.services.warnings import health

router = console_router()


@router.get("/health")
async def health_map(
    request: Request,
    principal: ConsoleUser,
    session: SessionDep,
    town_id: FilterId = None,
    month: str | None = None,
) -> Response:
    last = (china_today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    shown = this_month_or(month) if month else last
    found = await health.report(session, principal=principal, town_id=town_id, period=shown)
    order = {"red": 0, "amber": 1, "green": 2}
    items = sorted(found["items"], key=lambda b: (order[b.grade], b.branch_id))
    return page(
        request,
        "health.html",
        {"active": "town", "items": items, "month": shown, "signals": SIGNAL_WORDS},
    )
