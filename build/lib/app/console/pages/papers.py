"""报表: every paper of a month (and of its year) on one page, one download each, so the
month's papers go upward in one sitting. Each is the API's own paper, exported and audited."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response
from sqlmodel.ext.asyncio.session import AsyncSession

from app.console.deps import ConsoleUser, console_router
from app.console.render import page, this_month_or
from app.deps import SessionDep
from app.errors import NotFound
from app.models.points import Ledger
from app.models.roster import Village
from app.routers.common import FilterId, spreadsheet
from app.services import duty, events, grid, points, roster, shop, volunteer
from app.services.identity import Principal
from app.services.kit import Paper

router = console_router()

Draw = Callable[[AsyncSession, Principal, str, int | None], Awaitable[Paper]]


@dataclass(frozen=True, slots=True)
class Kind:
    title: str
    scope: str  # "month" or "year": what the chosen month stands for
    draw: Draw
    needs_village: bool = False


def _year(month: str) -> int:
    return int(month[:4])


PAPERS: dict[str, Kind] = {
    "compliance": Kind(
        "三会一课落实情况统计表",
        "month",
        lambda s, p, m, v: events.papers.compliance_paper(s, principal=p, period=m),
    ),
    "household-ledger": Kind(
        "家庭积分台账",
        "month",
        lambda s, p, m, v: points.village_ledger.village_ledger_paper(
            s, principal=p, period=m, village_id=v, book=Ledger.household
        ),
        needs_village=True,
    ),
    "member-ledger": Kind(
        "党员积分台账",
        "month",
        lambda s, p, m, v: points.village_ledger.village_ledger_paper(
            s, principal=p, period=m, village_id=v, book=Ledger.member
        ),
        needs_village=True,
    ),
    "ranking": Kind(
        "家庭积分年度排行",
        "year",
        lambda s, p, m, v: points.papers.ranking_paper(
            s,
            principal=p,
            book=Ledger.household,
            period="year",
            village_id=v,
            town_id=None,
            limit=100,
        ),
        needs_village=True,
    ),
    "stars": Kind(
        "党员星级评定表",
        "year",
        lambda s, p, m, v: points.papers.stars_paper(
            s, principal=p, year=_year(m), town_id=None, branch_id=None, re_education=False
        ),
    ),
    "re-education": Kind(
        "“回炉”学习名单（四星以下）",
        "year",
        lambda s, p, m, v: points.papers.stars_paper(
            s, principal=p, year=_year(m), town_id=None, branch_id=None, re_education=True
        ),
    ),
    "grid": Kind(
        "网格工作月报",
        "month",
        lambda s, p, m, v: grid.reports.report_paper(
            s, principal=p, period=m, village_id=v, grid_id=None
        ),
    ),
    "volunteer": Kind(
        "志愿服务统计",
        "month",
        lambda s, p, m, v: volunteer.papers.month_paper(s, principal=p, period=m, village_id=v),
    ),
    "duty": Kind(
        "代办服务统计",
        "month",
        lambda s, p, m, v: duty.reports.report_paper(s, principal=p, period=m, village_id=v),
    ),
    "shop": Kind(
        "积分超市月报",
        "month",
        lambda s, p, m, v: shop.reports.report_paper(s, principal=p, period=m, village_id=v or 0),
        needs_village=True,
    ),
}


class PaperNotFound(NotFound):
    code = "console.paper_not_found"
    detail = "没有这种报表。"


@router.get("/papers")
async def papers(
    request: Request,
    principal: ConsoleUser,
    session: SessionDep,
    month: str | None = None,
    village_id: FilterId = None,
) -> Response:
    villages = (
        await roster.list_in_scope(
            session, principal=principal, model=Village, limit=100, cursor=None
        )
    ).items
    return page(
        request,
        "papers.html",
        {
            "active": "papers",
            "month": this_month_or(month),
            "village_id": village_id,
            "villages": villages,
            "papers": PAPERS,
        },
    )


@router.get("/papers/{name}.xlsx")
async def download(
    name: str,
    principal: ConsoleUser,
    session: SessionDep,
    month: str | None = None,
    village_id: FilterId = None,
) -> Response:
    kind = PAPERS.get(name)
    if kind is None:
        raise PaperNotFound()
    return spreadsheet(await kind.draw(session, principal, this_month_or(month), village_id))
