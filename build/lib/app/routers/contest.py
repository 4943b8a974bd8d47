"""The strongest-branch contest: the town sets it up and its judges, judges score on site, the
ranking (also as a paper), and the close that publishes the winners."""

from typing import Any, Literal

from fastapi import APIRouter

from app.deps import AdminUser, CurrentUser, SessionDep, WechatDep
from app.models.contest import (
    Contest,
    ContestCreate,
    ContestPublic,
    JudgesSet,
    Ranking,
    SheetCreate,
)
from app.routers.common import XLSX, RowId, spreadsheet
from app.services.contest import contests, papers

router = APIRouter(prefix="/api/v1", tags=["最强党支部评比"])


def _public(contest: Contest) -> ContestPublic:
    return ContestPublic.model_validate(contest.model_dump())


@router.post(
    "/admin/contests",
    status_code=201,
    response_model=ContestPublic,
    summary="设立年度评比（指标权重之和为 100）",
)
async def create(body: ContestCreate, principal: AdminUser, session: SessionDep) -> ContestPublic:
    return _public(await contests.create(session, principal=principal, data=body))


@router.post(
    "/admin/contests/{contest_id}/judges", response_model=ContestPublic, summary="确定评委"
)
async def judges(
    contest_id: RowId, body: JudgesSet, principal: AdminUser, session: SessionDep
) -> ContestPublic:
    return _public(
        await contests.set_judges(session, principal=principal, contest_id=contest_id, data=body)
    )


@router.post(
    "/contests/{contest_id}/scores",
    status_code=201,
    summary="评委现场打分（每个党支部一张表，提交后不能再改）",
    response_model=dict[str, Any],
)
async def score(
    contest_id: RowId, body: SheetCreate, principal: CurrentUser, session: SessionDep
) -> dict[str, Any]:
    sheet = await contests.score(session, principal=principal, contest_id=contest_id, data=body)
    return {"id": sheet.id, "branch_id": sheet.branch_id, "scores": sheet.scores}


@router.get(
    "/admin/contests/{contest_id}/ranking",
    response_model=Ranking,
    summary="评比排名：各指标得分、加权总分、名次（?format=xlsx 导出）",
    responses={200: {"content": {XLSX: {}}}},
)
async def ranking(
    contest_id: RowId,
    principal: AdminUser,
    session: SessionDep,
    format: Literal["json", "xlsx"] = "json",
) -> Any:
    if format == "xlsx":
        return spreadsheet(
            await papers.ranking_paper(session, principal=principal, contest_id=contest_id)
        )
    return await contests.ranking(session, principal=principal, contest_id=contest_id)


@router.post(
    "/admin/contests/{contest_id}/close",
    response_model=ContestPublic,
    summary="结束评比：锁定排名，发布表彰，按分数分配奖金",
)
async def close(
    contest_id: RowId, principal: AdminUser, session: SessionDep, wechat: WechatDep
) -> ContestPublic:
    return _public(
        await contests.close(session, principal=principal, contest_id=contest_id, wechat=wechat)
    )
