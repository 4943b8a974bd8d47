"""Points: scoring rules, awards and deductions, approvals, appeals, my points, leaderboards."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from app.deps import (
    AdminUser,
    CurrentUser,
    Cursor,
    LedgerKeysDep,
    Limit,
    SessionDep,
    StorageDep,
    TownAdmin,
)
from app.models.common import ListPage
from app.models.points import (
    AppealCreate,
    AppealDecision,
    AppealPublic,
    AwardCreate,
    BulkDecision,
    CheckPublic,
    ConsistencyProof,
    Decision,
    EntryDecision,
    EntryPublic,
    HeadPublic,
    HeadRequest,
    InclusionProof,
    Leaderboard,
    Ledger,
    LedgerKeys,
    MyPoints,
    RuleForVillagers,
    ScoringRuleCreate,
    ScoringRulePublic,
    ScoringRuleUpdate,
    VerifyResult,
    VillageLedger,
)
from app.routers.common import (
    XLSX,
    FilterId,
    Month,
    RowId,
    created_or_found,
    page_answer,
    spreadsheet,
)
from app.services.points import appeals as appeals_service
from app.services.points import awards as points_service
from app.services.points import leaderboard as leaderboard_service
from app.services.points import ledger_check as ledger_check_service
from app.services.points import papers as points_papers
from app.services.points import roots as roots_service
from app.services.points import scoring_rules as rules_service
from app.services.points import village_ledger as ledger_report

router = APIRouter(prefix="/api/v1", tags=["积分"])


@router.post(
    "/admin/scoring-rules",
    status_code=201,
    response_model=ScoringRulePublic,
    summary="新建积分规则",
)
async def create_rule(body: ScoringRuleCreate, principal: AdminUser, session: SessionDep) -> Any:
    return await rules_service.create_rule(session, principal=principal, data=body)


@router.patch(
    "/admin/scoring-rules/{rule_id}",
    response_model=ScoringRulePublic,
    summary="修改或停用积分规则（历史记录保留当时的分值）",
)
async def update_rule(
    rule_id: RowId, body: ScoringRuleUpdate, principal: AdminUser, session: SessionDep
) -> Any:
    return await rules_service.update_rule(session, principal=principal, rule_id=rule_id, data=body)


@router.get(
    "/admin/scoring-rules", response_model=ListPage[ScoringRulePublic], summary="积分规则列表"
)
async def list_rules(
    principal: AdminUser,
    session: SessionDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    village_id: FilterId = None,
) -> dict[str, Any]:
    page = await rules_service.list_rules(
        session, principal=principal, village_id=village_id, limit=limit, cursor=cursor
    )
    return page_answer(page, ScoringRulePublic)


@router.get(
    "/scoring-rules",
    response_model=ListPage[RuleForVillagers],
    summary="本村现行的积分规则（村民可看：事项、分值、上限、是否要照片）",
)
async def village_rules(
    principal: CurrentUser, session: SessionDep, village_id: FilterId = None
) -> dict[str, Any]:
    rules = await rules_service.village_rules(session, principal=principal, village_id=village_id)
    return {"items": [RuleForVillagers.model_validate(r) for r in rules], "next_cursor": None}


@router.get(
    "/points/roots/latest",
    response_model=HeadPublic,
    summary="本镇积分账本最新的签名树根（RFC 9162）",
)
async def latest_root(
    session: SessionDep, town_id: Annotated[int, Query(ge=1, le=2**31 - 1)]
) -> Any:
    return await roots_service.latest_head(session, town_id=town_id)


@router.get(
    "/points/roots/consistency",
    response_model=ConsistencyProof,
    summary="两个签名树根之间的一致性证明（后一个只是在前一个之后追加）",
)
async def root_consistency(
    session: SessionDep,
    town_id: Annotated[int, Query(ge=1, le=2**31 - 1)],
    from_size: Annotated[int, Query(ge=1, le=2**31 - 1)],
    to_size: Annotated[int, Query(ge=1, le=2**31 - 1)],
) -> Any:
    return await roots_service.consistency(
        session, town_id=town_id, from_size=from_size, to_size=to_size
    )


@router.get(
    "/points/entries/{entry_id}/proof",
    response_model=InclusionProof,
    summary="一条积分记录在最新签名树根中的包含证明（本人或本户的记录；管理员可看辖区内的）",
)
async def entry_proof(entry_id: RowId, principal: CurrentUser, session: SessionDep) -> Any:
    return await roots_service.inclusion(session, principal=principal, entry_id=entry_id)


@router.post(
    "/admin/points/roots",
    response_model=HeadPublic,
    summary="立即为本镇签一个树根（与每日任务相同；没有新记录时返回原来的）",
)
async def sign_root(
    body: HeadRequest, principal: TownAdmin, session: SessionDep, keys: LedgerKeysDep
) -> Any:
    head, _ = await roots_service.sign_for(
        session, principal=principal, town_id=body.town_id, keys=keys
    )
    return head


@router.get(
    "/admin/points/roots/check",
    response_model=CheckPublic,
    summary="最近一次账本核验的结果（村务监督委员会可看）",
)
async def ledger_check(
    principal: CurrentUser, session: SessionDep, town_id: Annotated[int, Query(ge=1, le=2**31 - 1)]
) -> Any:
    return await ledger_check_service.latest_check(session, principal=principal, town_id=town_id)


@router.post(
    "/admin/points/entries", status_code=201, response_model=EntryPublic, summary="管理员加分或扣分"
)
async def award(body: AwardCreate, principal: AdminUser, session: SessionDep) -> Any:
    return await points_service.award(session, principal=principal, data=body)


@router.get("/admin/points/pending", response_model=ListPage[EntryPublic], summary="待审核积分")
async def pending(
    principal: AdminUser, session: SessionDep, limit: Limit = 20, cursor: Cursor = None
) -> dict[str, Any]:
    page = await points_service.pending(session, principal=principal, limit=limit, cursor=cursor)
    return page_answer(page, EntryPublic)


@router.post(
    "/admin/points/entries/{entry_id}/decision", response_model=EntryPublic, summary="审核一条积分"
)
async def decide(
    entry_id: RowId, body: EntryDecision, principal: AdminUser, session: SessionDep
) -> Any:
    [entry] = await points_service.decide(
        session,
        principal=principal,
        entry_ids=[entry_id],
        approve=body.decision is Decision.approve,
        note=body.note,
    )
    return entry


@router.post(
    "/admin/points/decisions",
    response_model=list[EntryPublic],
    summary="批量审核积分（全部成功或全部不变）",
)
async def decide_bulk(body: BulkDecision, principal: AdminUser, session: SessionDep) -> Any:
    return await points_service.decide(
        session,
        principal=principal,
        entry_ids=body.entry_ids,
        approve=body.decision is Decision.approve,
        note=body.note,
    )


@router.get("/me/points", response_model=MyPoints, summary="我的积分与明细")
async def my_points(
    principal: CurrentUser,
    session: SessionDep,
    storage: StorageDep,
    ledger: Ledger = Ledger.household,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> MyPoints:
    return await points_service.my_points(
        session,
        principal=principal,
        book=ledger,
        limit=limit,
        cursor=cursor,
        storage=storage,
    )


@router.get(
    "/points/leaderboard",
    response_model=Leaderboard,
    summary="积分排行榜（管理员可 ?format=xlsx 导出排名表）",
    responses={200: {"content": {XLSX: {}}}},
)
async def leaderboard(
    principal: CurrentUser,
    session: SessionDep,
    ledger: Ledger = Ledger.household,
    village_id: FilterId = None,
    town_id: FilterId = None,
    period: leaderboard_service.Period = "year",
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    format: Literal["json", "xlsx"] = "json",
) -> Any:
    if format == "xlsx":
        return spreadsheet(
            await points_papers.ranking_paper(
                session,
                principal=principal,
                book=ledger,
                period=period,
                village_id=village_id,
                town_id=town_id,
                limit=limit,
            )
        )
    return await leaderboard_service.leaderboard(
        session,
        principal=principal,
        book=ledger,
        period=period,
        village_id=village_id,
        town_id=town_id,
        limit=limit,
    )


@router.get(
    "/admin/points/ledger",
    response_model=VillageLedger,
    summary="一个村一个月的积分台账：每户期初、获得、扣减、期末（?format=xlsx 含逐笔明细）",
    responses={200: {"content": {XLSX: {}}}},
)
async def village_ledger(
    principal: AdminUser,
    session: SessionDep,
    period: Month,
    village_id: FilterId = None,
    ledger: Ledger = Ledger.household,
    format: Literal["json", "xlsx"] = "json",
) -> Any:
    if format == "xlsx":
        return spreadsheet(
            await ledger_report.village_ledger_paper(
                session, principal=principal, period=period, village_id=village_id, book=ledger
            )
        )
    return await ledger_report.village_ledger(
        session, principal=principal, period=period, village_id=village_id, book=ledger
    )


@router.get(
    "/points/accounts/{account_id}/verify",
    response_model=VerifyResult,
    summary="重新计算账户的哈希链",
)
async def verify(account_id: RowId, principal: CurrentUser, session: SessionDep) -> VerifyResult:
    return await points_service.verify_account(session, principal=principal, account_id=account_id)


@router.post(
    "/points/entries/{entry_id}/appeals",
    status_code=201,
    response_model=AppealPublic,
    summary="对一条积分提出申诉",
    responses={200: {"model": AppealPublic, "description": "已申诉过，返回原申诉"}},
)
async def file_appeal(
    entry_id: RowId,
    body: AppealCreate,
    principal: CurrentUser,
    session: SessionDep,
    response: Response,
) -> Any:
    return created_or_found(
        response,
        await appeals_service.file(session, principal=principal, entry_id=entry_id, data=body),
    )


@router.get("/admin/appeals", response_model=ListPage[AppealPublic], summary="申诉列表")
async def list_appeals(
    principal: AdminUser,
    session: SessionDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    status: Annotated[str | None, Query(pattern="^(open|upheld|rejected)$")] = None,
) -> dict[str, Any]:
    page = await appeals_service.list_appeals(
        session, principal=principal, status=status, limit=limit, cursor=cursor
    )
    return page_answer(page, AppealPublic)


@router.post(
    "/admin/appeals/{appeal_id}/decision",
    response_model=AppealPublic,
    summary="处理申诉（成立则冲正）",
)
async def decide_appeal(
    appeal_id: RowId, body: AppealDecision, principal: AdminUser, session: SessionDep
) -> Any:
    return await appeals_service.decide(
        session, principal=principal, appeal_id=appeal_id, data=body
    )


# The published keys sit at a well-known path beside the API, where an auditor looks first.
keys_router = APIRouter(tags=["积分"])


@keys_router.get(
    "/.well-known/xiangzhi/ledger-keys",
    response_model=LedgerKeys,
    summary="各镇签署积分账本树根的公钥（Ed25519，原始 32 字节的 base64）",
)
async def ledger_keys(session: SessionDep, keys: LedgerKeysDep) -> Any:
    return {"keys": await roots_service.published_keys(session, keys=keys)}
