"""工作台: the month's figures in the admin's scope, a year of charts, the 三会一课 matrix and
every queue with its count."""

import json

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from app.console.deps import SignedIn, console_router
from app.console.queues import with_counts
from app.console.render import page
from app.deps import SessionDep
from app.models.roster import Role, Village
from app.routers.common import FilterId
from app.services import dashboard, roster

router = console_router()


@router.get("/")
async def workbench(
    request: Request, principal: SignedIn, session: SessionDep, village_id: FilterId = None
) -> Response:
    """The admin's scope, or (from the town's view) one village of it."""
    if not principal.is_admin:  # a keeper's console is the counter, a treasurer's the dues,
        # a supervisor's the flags
        where = (
            "dues"
            if principal.has_role((Role.dues_keeper,))
            else "flags"
            if principal.has_role((Role.supervisor,))
            else "counter"
        )
        return RedirectResponse(f"/console/{where}", status_code=303)
    figures = await dashboard.dashboard(
        session, principal=principal, period=None, village_id=village_id
    )
    trends = await dashboard.trends(session, principal=principal, village_id=village_id)
    village = (
        await roster.get_in_scope(session, principal=principal, model=Village, row_id=village_id)
        if village_id is not None
        else None
    )
    chart = {
        "months": [m.period for m in trends.months],
        "attended": [m.attended for m in trends.months],
        "issued": [m.points_issued for m in trends.months],
        "spent": [m.points_spent for m in trends.months],
    }
    counts = figures.queues
    return page(
        request,
        "workbench.html",
        {
            "active": "workbench",
            "village": village,
            "d": figures,
            "trends": trends,
            "chart_json": json.dumps(chart, ensure_ascii=False),
            "queues": with_counts(counts),
        },
    )
