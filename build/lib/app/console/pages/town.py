"""The town's view (全镇): every village side by side for the month, the 三会一课 matrix of every
branch as a heat map, and a click into one village's workbench."""

import json

from fastapi import Request
from fastapi.responses import Response

from app.console.deps import ConsoleUser, console_router
from app.console.queues import with_counts
from app.console.render import page, this_month_or
from app.deps import SessionDep
from app.models.roster import Village
from app.services import dashboard, roster

router = console_router()


@router.get("/town")
async def town(
    request: Request, principal: ConsoleUser, session: SessionDep, month: str | None = None
) -> Response:
    period = this_month_or(month)
    villages = (
        await roster.list_in_scope(
            session, principal=principal, model=Village, limit=100, cursor=None
        )
    ).items
    columns = [
        (
            village,
            await dashboard.dashboard(
                session, principal=principal, period=period, village_id=village.id
            ),
        )
        for village in villages
    ]
    waiting = with_counts(await dashboard.queue_counts(session, principal=principal))
    trends = await dashboard.trends(session, principal=principal)
    heat = {
        "months": [c.period for c in trends.meetings[0].cells] if trends.meetings else [],
        "branches": [r.branch_name for r in trends.meetings],
        # [month index, branch index, share held in percent, held, required]
        "cells": [
            [m, b, round(100 * c.held / c.required) if c.required else 100, c.held, c.required]
            for b, row in enumerate(trends.meetings)
            for m, c in enumerate(row.cells)
        ],
    }
    return page(
        request,
        "town.html",
        {
            "active": "town",
            "period": period,
            "columns": columns,
            "waiting": waiting,
            "heat_json": json.dumps(heat, ensure_ascii=False),
            "branch_count": len(trends.meetings),
        },
    )
