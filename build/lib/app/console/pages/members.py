"""党员管理: a member's file on their page, and one page for what a branch secretary is asked
about most: transfers in and out (with the introduction letter), mobile members and their
thought reports, re-education, and the town's rota of the mobile members' Party day."""

from datetime import date

from fastapi import Request
from fastapi.responses import Response

from app.china_time import china_today
from app.console.actions import Unfit, submitted, texts
from app.console.deps import CheckedForm, ConsoleUser, console_router, new_once, row_id
from app.console.render import page
from app.deps import CacheDep, SessionDep, SettingsDep
from app.models.members import (
    MemberFileUpdate,
    MobileMemberCreate,
    OutsideOrganisation,
    ReeducationClose,
    ReeducationCreate,
    RotationUpdate,
    TransferCreate,
    TransferDecline,
)
from app.models.roster import Branch, Role
from app.routers.common import RowId, printable
from app.services import roster
from app.services.members import files as member_files
from app.services.members import letters, mobile, reeducation, transfers

router = console_router()


def _day(text: str, what: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise Unfit(f"{what}请选一个日期。") from exc


def _file_of(form: CheckedForm) -> MemberFileUpdate:
    text = texts(form)
    asked = {
        "applied_at": _day(text.get("applied_at", ""), "申请入党日期"),
        "joined_at": _day(text.get("joined_at", ""), "入党日期"),
        "full_member_at": _day(text.get("full_member_at", ""), "转正日期"),
        "education": text.get("education") or None,
        "post": text.get("post") or None,
    }
    return MemberFileUpdate(**{k: v for k, v in asked.items() if v is not None})


@router.post("/members/{person_id}/file")
async def save_file(
    person_id: RowId,
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=f"/console/people/{person_id}",
        parse=lambda: _file_of(form),
        write=lambda data: member_files.update_file(
            session, principal=principal, person_id=person_id, data=data
        ),
        done="党员档案已保存。",
    )


@router.get("/members")
async def members_page(
    request: Request, principal: ConsoleUser, session: SessionDep, year: int | None = None
) -> Response:
    shown_year = year if year and 2000 <= year <= 2100 else china_today().year
    branches = (
        await roster.list_in_scope(
            session, principal=principal, model=Branch, limit=100, cursor=None
        )
    ).items
    moving = await transfers.listing(
        session, principal=principal, status="pending", limit=50, cursor=None
    )
    register = await mobile.register_list(
        session, principal=principal, branch_id=None, direction=None, limit=100, cursor=None
    )
    reports = await mobile.reports_to_accept(session, principal=principal, limit=50, cursor=None)
    courses = await reeducation.listing(
        session, principal=principal, year=None, limit=50, cursor=None
    )
    is_town = principal.has_role((Role.superadmin, Role.town_admin))
    rota = None
    if is_town:
        rota = await mobile.rotation(session, principal=principal, town_id=None, year=shown_year)
    people = {t.person_id for t in moving.items} | {r.person_id for r in reports.items}
    people |= {c.person_id for c in courses.items}
    names = await roster.names_of(session, people)
    return page(
        request,
        "members.html",
        {
            "active": "members",
            "branches": branches,
            "branch_names": {b.id: b.name for b in branches},
            "transfers": moving.items,
            "receiving": {
                t.id: t.to_branch_id is not None
                and transfers.covers_receiving(principal=principal, transfer=t)
                for t in moving.items
            },
            "register": register.items,
            "reports": reports.items,
            "courses": [reeducation.public(c) for c in courses.items],
            "names": names,
            "rota": rota,
            "year": shown_year,
            "once": new_once,
        },
    )


def _transfer_of(form: CheckedForm) -> TransferCreate:
    text = texts(form)
    person = row_id(text.get("person_id"))
    if person is None:
        raise Unfit("请填写党员的人员编号。")
    outside = None
    if text.get("organisation"):
        outside = OutsideOrganisation(
            organisation=text["organisation"], letter_no=text.get("letter_no", "")
        )
    return TransferCreate(
        person_id=person,
        to_branch_id=None if outside else row_id(text.get("to_branch_id")),
        to_outside=outside,
        reason=text.get("reason", ""),
    )


@router.post("/transfers")
async def start_transfer(
    principal: ConsoleUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here="/console/members",
        parse=lambda: _transfer_of(form),
        write=lambda data: transfers.start(session, principal=principal, data=data),
        done="组织关系转接已发起。",
    )


@router.post("/transfers/{transfer_id}/accept")
async def accept_transfer(
    transfer_id: RowId,
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here="/console/members",
        parse=lambda: transfer_id,
        write=lambda tid: transfers.accept(session, principal=principal, transfer_id=tid),
        done="已接收，该党员已转入本支部。",
    )


@router.post("/transfers/{transfer_id}/decline")
async def decline_transfer(
    transfer_id: RowId,
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here="/console/members",
        parse=lambda: TransferDecline(reason=texts(form).get("reason", "")),
        write=lambda data: transfers.decline(
            session, principal=principal, transfer_id=transfer_id, reason=data.reason
        ),
        done="已退回。",
    )


@router.get("/transfers/{transfer_id}/letter")
async def letter(
    transfer_id: RowId, principal: ConsoleUser, session: SessionDep, settings: SettingsDep
) -> Response:
    data = await letters.letter(
        session, principal=principal, transfer_id=transfer_id, font=settings.cjk_font
    )
    return printable(data, pdf=True, name="党员组织关系介绍信", ascii_name=f"letter-{transfer_id}")


def _mobile_of(form: CheckedForm) -> MobileMemberCreate:
    text = texts(form)
    since = _day(text.get("since", ""), "开始日期")
    if since is None:
        raise Unfit("请填写开始日期。")
    return MobileMemberCreate(
        direction="in" if text.get("direction") == "in" else "out",
        person_id=row_id(text.get("person_id")),
        name=text.get("name") or None,
        place=text.get("place") or None,
        employer=text.get("employer") or None,
        contact=text.get("contact") or None,
        home_organisation=text.get("home_organisation") or None,
        branch_id=row_id(text.get("branch_id")),
        since=since,
        expected_return=_day(text.get("expected_return", ""), "预计返回日期"),
    )


@router.post("/mobile-members")
async def register_mobile(
    principal: ConsoleUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here="/console/members",
        parse=lambda: _mobile_of(form),
        write=lambda data: mobile.register(session, principal=principal, data=data),
        done=lambda data: f"已登记{'流出' if data.direction == 'out' else '流入'}党员。",
    )


@router.post("/thought-reports/{report_id}/accept")
async def accept_report(
    report_id: RowId,
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here="/console/members",
        parse=lambda: report_id,
        write=lambda rid: mobile.accept_report(session, principal=principal, report_id=rid),
        done="思想汇报已接收，当月计为异地参加组织生活。",
    )


def _course_of(form: CheckedForm) -> ReeducationCreate:
    text = texts(form)
    person = row_id(text.get("person_id"))
    if person is None:
        raise Unfit("请填写党员的人员编号。")
    year = text.get("year", "")
    if not year.isdigit():
        raise Unfit("请填写年度。")
    plan = [line.strip() for line in text.get("plan", "").splitlines() if line.strip()]
    return ReeducationCreate(person_id=person, year=int(year), plan=plan)


@router.post("/reeducation")
async def enrol(
    principal: ConsoleUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here="/console/members",
        parse=lambda: _course_of(form),
        write=lambda data: reeducation.enrol(session, principal=principal, data=data),
        done="回炉教育计划已建立。",
    )


@router.post("/reeducation/{course_id}/items/{index}/done")
async def item_done(
    course_id: RowId,
    index: int,
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here="/console/members",
        parse=lambda: texts(form).get("note") or None,
        write=lambda note: reeducation.item_done(
            session, principal=principal, reeducation_id=course_id, index=index, note=note
        ),
        done="已记录完成。",
    )


@router.post("/reeducation/{course_id}/close")
async def close(
    course_id: RowId,
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here="/console/members",
        parse=lambda: ReeducationClose(conclusion=texts(form).get("conclusion", "")),
        write=lambda data: reeducation.close(
            session, principal=principal, reeducation_id=course_id, conclusion=data.conclusion
        ),
        done="回炉教育已结束。",
    )


def _rota_of(form: CheckedForm) -> RotationUpdate:
    text = texts(form)
    year = text.get("year", "")
    mobile_branch = row_id(text.get("mobile_branch_id"))
    if not year.isdigit() or mobile_branch is None:
        raise Unfit("请选择年度和流动党员党支部。")
    hosts = {
        str(month): branch
        for month in range(1, 13)
        if (branch := row_id(text.get(f"host_{month}"))) is not None
    }
    return RotationUpdate(year=int(year), mobile_branch_id=mobile_branch, hosts=hosts)


@router.post("/mobile-rotation")
async def plan_rotation(
    principal: ConsoleUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here="/console/members",
        parse=lambda: _rota_of(form),
        write=lambda data: mobile.plan_rotation(session, principal=principal, data=data),
        done="轮值表已保存。",
    )
