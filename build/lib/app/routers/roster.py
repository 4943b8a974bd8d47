"""Admin roster: towns, villages, branches, grids, households, people, role grants."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from pydantic import BaseModel

from app.deps import (
    AdminUser,
    BackgroundDep,
    Cursor,
    Limit,
    SessionDep,
    SettingsDep,
    SuperAdmin,
    TownAdmin,
    VillageAdmin,
)
from app.models.base import MAX_DB_INT
from app.models.common import ListPage
from app.models.roster import (
    Branch,
    BranchCreate,
    BranchPublic,
    ConsoleLoginCreate,
    ConsoleLoginPublic,
    Grid,
    GridCreate,
    GridPublic,
    Household,
    HouseholdCreate,
    HouseholdPublic,
    LiaisonCreate,
    LiaisonPublic,
    Person,
    PersonCreate,
    PersonErase,
    PersonPublic,
    PersonUpdate,
    RoleGrant,
    RoleGrantCreate,
    RoleGrantPublic,
    Town,
    TownCreate,
    TownPublic,
    TownUpdate,
    Village,
    VillageCreate,
    VillagePublic,
    VillagerGroupCreate,
    VillagerGroupPublic,
    VillageUpdate,
)
from app.models.roster_import import ImportPublic, ImportStatus
from app.routers.common import (
    XLSX,
    FilterId,
    RowId,
    created_or_found,
    page_answer,
    printable,
    spreadsheet,
)
from app.services import roster as roster_service
from app.services.roster import erasure

router = APIRouter(prefix="/api/v1/admin", tags=["管理端·花名册与角色"])
Search = Annotated[
    str | None,
    Query(
        max_length=50,
        description="姓名或手机号的一部分（农户：户主姓名或地址的一部分）",
        examples=["王", "1380000"],
    ),
]


def _add_reads(
    path: str, model: type[Any], schema: type[BaseModel], label: str, *, listed: bool = True
) -> None:
    """The scoped list and detail of one roster table; filters apply where the column exists.
    ``listed=False`` where the table has a list of its own (people, households: search)."""

    async def list_rows(
        principal: AdminUser,
        session: SessionDep,
        limit: Limit = 20,
        cursor: Cursor = None,
        town_id: FilterId = None,
        village_id: FilterId = None,
        branch_id: FilterId = None,
        grid_id: FilterId = None,
        household_id: FilterId = None,
        person_id: FilterId = None,
    ) -> dict[str, Any]:
        wanted = {
            "town_id": town_id,
            "village_id": village_id,
            "branch_id": branch_id,
            "grid_id": grid_id,
            "household_id": household_id,
            "person_id": person_id,
        }
        filters = [
            getattr(model, name) == value
            for name, value in wanted.items()
            if value is not None and hasattr(model, name)
        ]
        page = await roster_service.list_in_scope(
            session, principal=principal, model=model, limit=limit, cursor=cursor, filters=filters
        )
        return page_answer(page, schema)

    async def get_row(row_id: RowId, principal: AdminUser, session: SessionDep) -> Any:
        return await roster_service.get_in_scope(
            session, principal=principal, model=model, row_id=row_id
        )

    if listed:
        router.add_api_route(
            path,
            list_rows,
            methods=["GET"],
            response_model=ListPage[schema],  # type: ignore[valid-type]
            summary=f"{label}列表",
            name=f"list_{model.__tablename__}",
        )
    router.add_api_route(
        f"{path}/{{row_id}}",
        get_row,
        methods=["GET"],
        response_model=schema,
        summary=f"{label}详情",
        name=f"get_{model.__tablename__}",
    )


@router.post("/towns", status_code=201, response_model=TownPublic, summary="新建镇")
async def create_town(body: TownCreate, principal: SuperAdmin, session: SessionDep) -> Town:
    return await roster_service.create_town(session, principal=principal, data=body)


@router.patch(
    "/towns/{row_id}", response_model=TownPublic, summary="修改镇的设置（排行榜、申诉期、星级门槛）"
)
async def update_town(
    row_id: RowId, body: TownUpdate, principal: TownAdmin, session: SessionDep
) -> Town:
    return await roster_service.update_town(session, principal=principal, town_id=row_id, data=body)


@router.post("/villages", status_code=201, response_model=VillagePublic, summary="新建村")
async def create_village(body: VillageCreate, principal: TownAdmin, session: SessionDep) -> Village:
    return await roster_service.create_village(session, principal=principal, data=body)


@router.patch(
    "/villages/{row_id}", response_model=VillagePublic, summary="修改村名或村委会值班电话"
)
async def update_village(
    row_id: RowId, body: VillageUpdate, principal: AdminUser, session: SessionDep
) -> Village:
    return await roster_service.update_village(
        session, principal=principal, village_id=row_id, data=body
    )


@router.post(
    "/villages/{row_id}/liaisons",
    status_code=201,
    response_model=LiaisonPublic,
    summary="指定包村的镇干部（可排入该村值班、办理该村诉求）",
)
async def assign_liaison(
    row_id: RowId, body: LiaisonCreate, principal: TownAdmin, session: SessionDep
) -> Any:
    return await roster_service.assign_liaison(
        session, principal=principal, village_id=row_id, data=body
    )


@router.post(
    "/villager-groups", status_code=201, response_model=VillagerGroupPublic, summary="新建村民小组"
)
async def create_villager_group(
    body: VillagerGroupCreate, principal: VillageAdmin, session: SessionDep
) -> Any:
    return await roster_service.create_group(session, principal=principal, data=body)


@router.get(
    "/villager-groups", response_model=ListPage[VillagerGroupPublic], summary="村民小组列表"
)
async def villager_groups(
    principal: AdminUser, session: SessionDep, village_id: FilterId = None
) -> dict[str, Any]:
    groups = await roster_service.groups_of(session, principal=principal, village_id=village_id)
    return {"items": groups, "next_cursor": None}


@router.post("/branches", status_code=201, response_model=BranchPublic, summary="新建党支部")
async def create_branch(body: BranchCreate, principal: VillageAdmin, session: SessionDep) -> Branch:
    return await roster_service.create_branch(session, principal=principal, data=body)


@router.post("/grids", status_code=201, response_model=GridPublic, summary="新建网格")
async def create_grid(body: GridCreate, principal: VillageAdmin, session: SessionDep) -> Grid:
    return await roster_service.create_grid(session, principal=principal, data=body)


@router.post("/households", status_code=201, response_model=HouseholdPublic, summary="新建农户")
async def create_household(
    body: HouseholdCreate, principal: VillageAdmin, session: SessionDep
) -> Household:
    return await roster_service.create_household(session, principal=principal, data=body)


@router.post("/people", status_code=201, response_model=PersonPublic, summary="登记人员")
async def create_person(body: PersonCreate, principal: AdminUser, session: SessionDep) -> Person:
    return await roster_service.create_person(session, principal=principal, data=body)


@router.patch("/people/{row_id}", response_model=PersonPublic, summary="修改人员")
async def update_person(
    row_id: RowId, body: PersonUpdate, principal: AdminUser, session: SessionDep
) -> Person:
    return await roster_service.update_person(
        session, principal=principal, person_id=row_id, data=body
    )


@router.post(
    "/people/{row_id}/erase",
    response_model=PersonPublic,
    summary="删除某人的个人信息（迁出、已故或本人申请）",
    description="姓名改为“已注销-编号”，手机号、微信绑定、后台账号、角色和消息删除，所有登录失效；"
    "其积分记录保留（账本链与签名树根仍可核验），上传的照片保留但不再关联到本人。"
    "村管理员及以上可操作，理由记入日志（不含被删除的信息）。",
)
async def erase_person(
    row_id: RowId, body: PersonErase, principal: AdminUser, session: SessionDep
) -> Person:
    return await erasure.erase(session, principal=principal, person_id=row_id, data=body)


@router.post(
    "/people/{row_id}/password", response_model=ConsoleLoginPublic, summary="设置后台登录账号"
)
async def set_password(
    row_id: RowId, body: ConsoleLoginCreate, principal: AdminUser, session: SessionDep
) -> ConsoleLoginPublic:
    account = await roster_service.set_console_login(
        session, principal=principal, person_id=row_id, data=body
    )
    return ConsoleLoginPublic(person_id=row_id, username=account.username or body.username)


@router.post(
    "/role-grants",
    status_code=201,
    response_model=RoleGrantPublic,
    summary="授予角色",
    responses={200: {"model": RoleGrantPublic, "description": "已有相同授权"}},
)
async def grant_role(
    body: RoleGrantCreate, principal: AdminUser, session: SessionDep, response: Response
) -> RoleGrant:
    return created_or_found(
        response, await roster_service.grant_role(session, principal=principal, data=body)
    )


@router.post(
    "/role-grants/{row_id}/revoke", response_model=RoleGrantPublic, summary="撤销授权（即时生效）"
)
async def revoke_role(row_id: RowId, principal: AdminUser, session: SessionDep) -> RoleGrant:
    return await roster_service.revoke_role(session, principal=principal, grant_id=row_id)


_add_reads("/towns", Town, TownPublic, "镇")
_add_reads("/villages", Village, VillagePublic, "村")
_add_reads("/branches", Branch, BranchPublic, "党支部")
_add_reads("/grids", Grid, GridPublic, "网格")


@router.get(
    "/people",
    response_model=ListPage[PersonPublic],
    summary="人员列表与查找；format=xlsx 按导入模板的列导出花名册",
    responses={200: {"content": {XLSX: {}}}},
)
async def list_people(
    principal: AdminUser,
    session: SessionDep,
    q: Search = None,
    village_id: FilterId = None,
    branch_id: FilterId = None,
    grid_id: FilterId = None,
    household_id: FilterId = None,
    is_party_member: bool | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
    format: Literal["json", "xlsx"] = "json",
) -> Any:
    wanted = roster_service.PeopleFilter(
        q, village_id, branch_id, grid_id, household_id, is_party_member
    )
    if format == "xlsx":
        return spreadsheet(
            await roster_service.sheets.export(session, principal=principal, wanted=wanted)
        )
    page = await roster_service.find_people(
        session, principal=principal, wanted=wanted, limit=limit, cursor=cursor
    )
    return page_answer(page, PersonPublic)


@router.get(
    "/door-plates",
    summary="门牌码：每户一个二维码，A4 每页 8 户（pdf 自第 page 页起至多 25 页；png 一页）",
    description=(
        "网格员扫门牌码即打开该户的现场打分。码是随机的，单看码看不出是哪一户。"
        "农户多的村分批打印：page=1 为第 1–25 页，page=26 为第 26–50 页，以此类推。"
    ),
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/png": {}}}},
)
async def door_plates(
    principal: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    village_id: FilterId = None,
    grid_id: FilterId = None,
    format: Literal["pdf", "png"] = "pdf",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    data = await roster_service.plates.door_plates(
        session,
        principal=principal,
        village_id=village_id,
        grid_id=grid_id,
        font=settings.cjk_font,
        as_pdf=format == "pdf",
        page_number=page,
    )
    return printable(data, pdf=format == "pdf", name="门牌码", ascii_name="door-plates")


@router.get("/households", response_model=ListPage[HouseholdPublic], summary="农户列表与查找")
async def list_households(
    principal: AdminUser,
    session: SessionDep,
    q: Search = None,
    village_id: FilterId = None,
    grid_id: FilterId = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    wanted = roster_service.HouseholdFilter(q, village_id, grid_id)
    page = await roster_service.find_households(
        session, principal=principal, wanted=wanted, limit=limit, cursor=cursor
    )
    return page_answer(page, HouseholdPublic)


@router.get(
    "/roster/template",
    summary="花名册导入模板（xlsx）",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
async def roster_template(principal: AdminUser) -> Response:
    return spreadsheet(roster_service.sheets.template())


DryRun = Annotated[bool, Form(description="true：只检查，报告将新建、更新的条数与问题")]
ImportVillage = Annotated[
    int | None, Form(ge=1, le=MAX_DB_INT, description="表中没写村名的行属于哪个村")
]


@router.post(
    "/roster/imports",
    status_code=201,
    response_model=ImportPublic,
    summary="导入花名册（默认只检查不写入；有任何一行出错则整份不写入）",
    description=(
        "人数多于 XZ_ROSTER_BACKGROUND_ROWS（默认 1000）的文件在后台处理：先答 202、status 为 "
        "running，再用 GET /admin/roster/imports/{id} 查看 done_rows / total_rows 直到完成。"
    ),
    responses={202: {"model": ImportPublic, "description": "文件较大，已在后台处理"}},
)
async def import_roster(
    principal: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundDep,
    response: Response,
    file: Annotated[UploadFile, File(description="xlsx、xls，或 UTF-8 / GBK 的 csv")],
    dry_run: DryRun = True,
    village_id: ImportVillage = None,
) -> ImportPublic:
    record = await roster_service.import_roster(
        session,
        principal=principal,
        file_name=file.filename or "roster.xlsx",
        data=await file.read(),
        village_id=village_id,
        dry_run=dry_run,
        background=background,
        background_rows=settings.roster_background_rows,
    )
    if record.status is ImportStatus.running:
        response.status_code = 202
    return roster_service.present(record)


@router.get("/roster/imports/{import_id}", response_model=ImportPublic, summary="查看一次导入")
async def get_import(import_id: RowId, principal: AdminUser, session: SessionDep) -> ImportPublic:
    record = await roster_service.get_import(session, principal=principal, import_id=import_id)
    return roster_service.present(record)


_add_reads("/households", Household, HouseholdPublic, "农户", listed=False)
_add_reads("/people", Person, PersonPublic, "人员", listed=False)
_add_reads("/role-grants", RoleGrant, RoleGrantPublic, "授权")
