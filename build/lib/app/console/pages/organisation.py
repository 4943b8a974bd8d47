"""组织: the strongest-branch contest with its live ranking and its closing, village decisions
(四议两公开) through their stages, the duty rota of the week, the branch-led cooperatives and
the honour roll."""

from datetime import timedelta

from fastapi import Request
from fastapi.responses import Response

from app.china_time import CHINA, china_today
from app.console.actions import china_moment, submitted, texts
from app.console.deps import CheckedForm, ConsoleUser, console_router, new_once, row_id, row_ids
from app.console.render import page
from app.deps import CacheDep, SessionDep, WechatDep
from app.models.contest import ContestCreate, JudgesSet, Metric
from app.models.cooperatives import HonourCreate
from app.models.duty import ShiftCreate
from app.models.labels import label
from app.models.proposals import ProposalCreate, StepCreate
from app.models.roster import LiaisonCreate, Role, Village, VillagerGroupCreate
from app.routers.common import FilterId, RowId
from app.services import roster
from app.services.contest import contests
from app.services.cooperatives import honours, registry
from app.services.duty import shifts
from app.services.identity import ScopeRequired
from app.services.proposals import proposals, views

router = console_router()

ORGANISATION = "/console/organisation"


@router.get("/organisation")
async def organisation(
    request: Request, principal: ConsoleUser, session: SessionDep, village_id: FilterId = None
) -> Response:
    """A town admin sees a village's rota and honours once they choose the village."""
    monday = china_today() - timedelta(days=china_today().weekday())
    villages = (
        await roster.list_in_scope(
            session, principal=principal, model=Village, limit=100, cursor=None
        )
    ).items
    try:
        rota = (
            await shifts.list_shifts(
                session,
                principal=principal,
                village_id=village_id,
                date_from=monday,
                limit=50,
                cursor=None,
            )
        ).items
        rota_note = None
    except ScopeRequired:  # a town admin covers several villages' rotas
        rota, rota_note = [], "镇里有多个村，请先在上面选村，再看该村的排班和光荣榜。"
    week_end = monday + timedelta(days=7)
    rota = [s for s in rota if s.starts_at.astimezone(CHINA).date() < week_end]
    try:
        roll = (
            await honours.roll(
                session,
                principal=principal,
                village_id=village_id,
                year=None,
                limit=30,
                cursor=None,
            )
        ).items
    except ScopeRequired:
        roll = []
    try:
        groups, liaisons = await roster.village_people(
            session, principal=principal, village_id=village_id
        )
    except ScopeRequired:
        groups, liaisons = [], set()
    found_proposals = await proposals.watched(
        session, principal=principal, stage=None, village_id=None, limit=30, cursor=None
    )
    coops = await registry.listing(
        session, principal=principal, town_id=None, limit=50, cursor=None
    )
    names = await roster.names_of(session, (s.person_id for s in rota))
    return page(
        request,
        "organisation.html",
        {
            "active": "organisation",
            "contests": (
                await contests.listing(session, principal=principal, limit=20, cursor=None)
            ).items,
            "proposals": await views.present(session, found_proposals.items),
            "rota": rota,
            "rota_note": rota_note,
            "names": names,
            "monday": monday,
            "cooperatives": await registry.present(session, coops.items),
            "honours": roll,
            "groups": groups,
            "liaisons": await roster.names_of(session, liaisons),
            "once": new_once,
            "villages": villages,
            "village_id": village_id,
            "this_year": china_today().year,
            "metrics": [(m.value, label("Metric", m.value)) for m in Metric],
            "runs_contests": principal.has_role((Role.superadmin, Role.town_admin)),
        },
    )


@router.get("/contests/{contest_id}")
async def contest(
    request: Request, contest_id: RowId, principal: ConsoleUser, session: SessionDep
) -> Response:
    ranking = await contests.ranking(session, principal=principal, contest_id=contest_id)
    managed = await contests.managed(
        session, principal=principal, contest_id=contest_id, lock=False
    )
    judges = await roster.names_of(session, managed.judge_person_ids)
    return page(
        request,
        "contest.html",
        {"active": "organisation", "r": ranking, "judges": judges, "once": new_once},
    )


@router.post("/contests/{contest_id}/close")
async def close_contest(
    contest_id: RowId,
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
    wechat: WechatDep,
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=f"/console/contests/{contest_id}",
        parse=lambda: None,
        write=lambda _: contests.close(
            session, principal=principal, contest_id=contest_id, wechat=wechat
        ),
        done="评比已结束，排名已锁定并发布表彰。",
    )


@router.get("/proposals/{proposal_id}")
async def proposal(
    request: Request, proposal_id: RowId, principal: ConsoleUser, session: SessionDep
) -> Response:
    found = await proposals.readable(session, principal=principal, proposal_id=proposal_id)
    [shown] = await views.present(session, [found])
    return page(
        request,
        "proposal.html",
        {"active": "organisation", "p": shown, "once": new_once},
    )


def _step_of(form: CheckedForm) -> StepCreate:
    text = texts(form)
    held = china_moment(text.get("held_at", ""), "请填写开会的日期和时间。")
    numbers = {k: row_id(text.get(k)) or 0 for k in ("expected", "present", "in_favour")}
    return StepCreate.model_validate(
        {
            "stage": text.get("stage", ""),
            "held_at": held,
            "body": text.get("body") or None,
            **numbers,
            "against": row_id(text.get("against")) or 0,
            "abstain": row_id(text.get("abstain")) or 0,
            "note": text.get("note") or None,
        }
    )


@router.post("/proposals/{proposal_id}/steps")
async def proposal_step(
    proposal_id: RowId,
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
        here=f"/console/proposals/{proposal_id}",
        parse=lambda: _step_of(form),
        write=lambda data: proposals.add_step(
            session, principal=principal, proposal_id=proposal_id, data=data
        ),
        done="会议已记录。",
    )


@router.post("/proposals")
async def new_proposal(
    principal: ConsoleUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    """A matter the branch proposed (the first of 四议), with its meeting."""
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=ORGANISATION,
        parse=lambda: _proposal_of(form),
        write=lambda data: proposals.create_proposal(session, principal=principal, data=data),
        done="议题已记下（党支部会提议）。",
    )


def _proposal_of(form: CheckedForm) -> ProposalCreate:
    text = texts(form)
    held = china_moment(text.get("held_at", ""), "请填写党支部会提议的日期和时间。")
    return ProposalCreate(
        title=text.get("title", ""),
        content=text.get("content", ""),
        held_at=held,
        present=row_id(text.get("present")) or 0,
        expected=row_id(text.get("expected")),
    )


@router.post("/duty-shifts")
async def new_shifts(
    principal: ConsoleUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    text = texts(form)
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=ORGANISATION,
        parse=lambda: ShiftCreate.model_validate(
            {
                "person_id": row_id(text.get("person_id")) or 0,
                "date": text.get("date", ""),
                "starts_at": text.get("starts", ""),
                "ends_at": text.get("ends", ""),
                "repeat_days": row_id(text.get("repeat_days")) or 1,
            }
        ),
        write=lambda data: shifts.create_shifts(session, principal=principal, data=data),
        done="已排班。",
    )


@router.post("/honours")
async def confer(
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
    wechat: WechatDep,
) -> Response:
    text = texts(form)
    kinds = ("person", "household", "branch", "grid", "villager_group", "village")
    whom = f"{text.get('kind')}_id" if text.get("kind") in kinds else "person_id"
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=ORGANISATION,
        parse=lambda: HonourCreate.model_validate(
            {
                "year": row_id(text.get("year")) or 0,
                "title": text.get("title", ""),
                "citation": text.get("citation", ""),
                whom: row_id(text.get("whom")),
            }
        ),
        write=lambda data: honours.confer(session, principal=principal, data=data, wechat=wechat),
        done="已表彰，并在宣传栏发布。",
    )


def _contest_of(form: CheckedForm) -> ContestCreate:
    text = texts(form)
    criteria: list[dict[str, object]] = []
    for metric in Metric:
        weight = row_id(text.get(f"weight_{metric.value}"))
        if weight:
            criteria.append(
                {
                    "code": metric.value,
                    "title": label("Metric", metric.value),
                    "weight": weight,
                    "source": "computed",
                    "metric": metric.value,
                }
            )
    for n in range(1, 4):
        title, weight = text.get(f"judged_title_{n}"), row_id(text.get(f"judged_weight_{n}"))
        if title and weight:
            criteria.append(
                {"code": f"judged_{n}", "title": title, "weight": weight, "source": "judged"}
            )
    prize = text.get("prize_yuan", "")
    return ContestCreate.model_validate(
        {
            "year": row_id(text.get("year")) or 0,
            "title": text.get("title", ""),
            "prize_fen": int(prize) * 100 if prize.isdigit() and len(prize) < 9 else None,
            "criteria": criteria,
        }
    )


@router.post("/contests")
async def new_contest(
    principal: ConsoleUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    """The year's strongest-branch contest, set by the town: criteria and their weights."""
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=ORGANISATION,
        parse=lambda: _contest_of(form),
        write=lambda data: contests.create(session, principal=principal, data=data),
        done="评比已设立。",
        then=lambda made: f"/console/contests/{made.id}",
    )


@router.post("/contests/{contest_id}/judges")
async def judges(
    contest_id: RowId,
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
) -> Response:
    ids = row_ids(str(form.get("person_ids") or ""))
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=f"/console/contests/{contest_id}",
        parse=lambda: JudgesSet(person_ids=ids),
        write=lambda data: contests.set_judges(
            session, principal=principal, contest_id=contest_id, data=data
        ),
        done=f"已确定 {len(ids)} 位评委。",
    )


@router.post("/villager-groups")
async def new_villager_group(
    principal: ConsoleUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    text = texts(form)
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=ORGANISATION,
        parse=lambda: VillagerGroupCreate(
            village_id=row_id(text.get("village_id")), name=text.get("name", "")
        ),
        write=lambda data: roster.create_group(session, principal=principal, data=data),
        done=lambda data: f"村民小组“{data.name}”已建好。",
    )


@router.post("/liaisons")
async def new_liaison(
    principal: ConsoleUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    text = texts(form)
    village = row_id(text.get("village_id"))
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=ORGANISATION,
        parse=lambda: LiaisonCreate(person_id=row_id(text.get("person_id")) or 0),
        write=lambda data: roster.assign_liaison(
            session, principal=principal, village_id=village or 0, data=data
        ),
        done="已指定包村干部：可排入该村值班、办理该村诉求。",
    )
