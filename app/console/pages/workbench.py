"""工作台: the month's figures in the admin's scope, a year of charts, the 三会一课 matrix and
every queue with its count."""

import json

from fastapi import Request
from fastapi.responses import Response

from app.console.deps import ConsoleUser, console_router
from app.console.queues import QUEUES
from app.console.render import page
from app.deps import SessionDep
from app.services import dashboard

router = console_router()


@router.get("/")
async def workbench(request: Request, principal: ConsoleUser, session: SessionDep) -> Response:
    figures = await dashboard.dashboard(session, principal=principal, period=None, village_id=None)
    trends = await dashboard.trends(session, principal=principal)
    chart = {
        "months": [m.period for m in trends.months],
        "attended": [m.attended for m in trends.months],
        "issued": [m.points_issued for m in trends.months],
        "spent": [m.points_spent for m in trends.months],
    }
    counts = figures.queues.model_dump()
    return page(
        request,
        "workbench.html",
        {
            "active": "workbench",
            "d": figures,
            "trends": trends,
            "chart_json": json.dumps(chart, ensure_ascii=False),
            "queues": [(q, counts[q.count_field]) for q in QUEUES.values()],
        },
    )
