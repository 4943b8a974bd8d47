"""Member star levels, the re-education list, the reward report; my volunteer stars."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from app.china_time import to_china, utcnow
from app.deps import AdminUser, SessionDep
from app.models.stars import MemberStars, ReviewCreate, RewardReport, RewardRequest
from app.routers.common import XLSX, FilterId, spreadsheet
from app.services.points import papers as points_papers
from app.services.points import stars as stars_service

router = APIRouter(prefix="/api/v1/admin/stars", tags=["管理端·星级评定"])

Year = Annotated[int | None, Query(ge=2000, le=2100)]


def _year(year: int | None) -> int:
    return year if year is not None else to_china(utcnow()).year


@router.post("/reviews", response_model=MemberStars, summary="录入民主评议等次")
async def enter_review(
    body: ReviewCreate, principal: AdminUser, session: SessionDep
) -> MemberStars:
    review = await stars_service.enter_review(session, principal=principal, data=body)
    return await stars_service.member_stars(
        session, principal=principal, year=review.year, town_id=review.town_id
    )


class Board:
    """The query both star lists take."""

    def __init__(
        self,
        year: Year = None,
        town_id: FilterId = None,
        branch_id: FilterId = None,
        format: Literal["json", "xlsx"] = "json",
    ) -> None:
        self.year, self.town_id, self.branch_id, self.format = (
            _year(year),
            town_id,
            branch_id,
            format,
        )


async def _board(
    principal: AdminUser, session: SessionDep, query: Board, *, re_education: bool
) -> Any:
    if query.format == "xlsx":
        return spreadsheet(
            await points_papers.stars_paper(
                session,
                principal=principal,
                year=query.year,
                town_id=query.town_id,
                branch_id=query.branch_id,
                re_education=re_education,
            )
        )
    return await stars_service.member_stars(
        session,
        principal=principal,
        year=query.year,
        town_id=query.town_id,
        branch_id=query.branch_id,
        re_education=re_education,
    )


@router.get(
    "/members",
    response_model=MemberStars,
    summary="党员星级（?format=xlsx 导出星级评定表）",
    responses={200: {"content": {XLSX: {}}}},
)
async def member_stars(
    principal: AdminUser, session: SessionDep, query: Annotated[Board, Depends()]
) -> Any:
    return await _board(principal, session, query, re_education=False)


@router.get(
    "/re-education",
    response_model=MemberStars,
    summary="四星以下党员（回炉教育；?format=xlsx 导出名单）",
    responses={200: {"content": {XLSX: {}}}},
)
async def re_education(
    principal: AdminUser, session: SessionDep, query: Annotated[Board, Depends()]
) -> Any:
    return await _board(principal, session, query, re_education=True)


@router.post("/rewards", response_model=RewardReport, summary="党员奖励分配表")
async def rewards(body: RewardRequest, principal: AdminUser, session: SessionDep) -> RewardReport:
    return await stars_service.reward_report(session, principal=principal, data=body)


@router.get(
    "/rewards",
    response_model=RewardReport,
    summary="党员奖励分配表（与 POST 相同的计算；?format=xlsx 导出带签字栏的分配表）",
    responses={200: {"content": {XLSX: {}}}},
)
async def rewards_paper(
    principal: AdminUser,
    session: SessionDep,
    query: Annotated[RewardRequest, Query()],
    format: Literal["json", "xlsx"] = "json",
) -> Any:
    if format == "xlsx":
        return spreadsheet(
            await points_papers.reward_paper(session, principal=principal, data=query)
        )
    return await stars_service.reward_report(session, principal=principal, data=query)
