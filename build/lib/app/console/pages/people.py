"""花名册: find a person by part of a name or phone, their page (where they belong, roles,
balances, latest entries, the audit trail), edits and roles; households and door plates."""

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from app.console.actions import Unfit, said, submitted
from app.console.deps import CheckedForm, ConsoleUser, console_router, new_once, row_id
from app.console.render import page
from app.deps import CacheDep, SessionDep, SettingsDep
from app.models.members import EDUCATIONS
from app.models.roster import ROLE_SCOPES, PersonUpdate, Role, RoleGrantCreate, ScopeType, Village
from app.routers.common import FilterId, RowId, printable
from app.services import audit, members, points, roster

router = console_router()

_PAGE = 30


@router.get("/people")
async def people(
    request: Request,
    principal: ConsoleUser,
    session: SessionDep,
    q: str | None = None,
    cursor: str | None = None,
) -> Response:
    q = (q or "").strip()[:50] or None
    found = await roster.find_people(
        session,
        principal=principal,
        wanted=roster.PeopleFilter(q=q),
        limit=_PAGE,
        cursor=cursor,
    )
    template = "people_rows.html" if request.headers.get("HX-Request") == "true" else "people.html"
    return page(
        request,
        template,
        {"active": "people", "q": q or "", "people": found.items, "next_cursor": found.next_cursor},
    )


async def _person_page(
    request: Request,
    principal: ConsoleUser,
    session: SessionDep,
    person_id: int,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    card = await roster.person_card(session, principal=principal, person_id=person_id)
    held = await points.holdings.of_person(
        session, person_id=person_id, household_id=card.person.household_id
    )
    trail = await audit.list_entries(
        session,
        principal=principal,
        action=None,
        limit=20,
        cursor=None,
        target=("person", str(person_id)),
    )
    party_file = (
        await members.files.read_file(session, principal=principal, person_id=person_id)
        if card.person.is_party_member
        else None
    )
    grantable = [
        (role, scope)
        for role in Role
        for scope in ROLE_SCOPES[role]
        if scope is not ScopeType.global_
    ]
    return page(
        request,
        "person.html",
        {
            "active": "people",
            "card": card,
            "held": held,
            "trail": trail.items,
            "grantable": grantable,
            "party_file": party_file,
            "educations": EDUCATIONS,
            "once": new_once,
            "error": error or request.query_params.get("error"),
        },
        status=status,
    )


@router.get("/people/{person_id}")
async def person(
    request: Request, person_id: RowId, principal: ConsoleUser, session: SessionDep
) -> Response:
    return await _person_page(request, principal, session, person_id)


@router.post("/people/{person_id}")
async def edit_person(
    request: Request,
    person_id: RowId,
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
) -> Response:
    here = f"/console/people/{person_id}"
    try:
        data = PersonUpdate(
            name=str(form.get("name") or "").strip() or None,
            phone=str(form.get("phone") or "").strip() or None,
            is_party_member=form.get("is_party_member") == "on",
            is_mobile_member=form.get("is_mobile_member") == "on",
        )
    except ValidationError as error:
        return await _person_page(
            request, principal, session, person_id, error=said(error), status=422
        )
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=here,
        parse=lambda: data,
        write=lambda data: roster.update_person(
            session, principal=principal, person_id=person_id, data=data
        ),
        done="已保存。",
    )


@router.post("/people/{person_id}/grants")
async def grant(
    request: Request,
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
        parse=lambda: _grant_of(person_id, form),
        write=lambda data: roster.grant_role(session, principal=principal, data=data),
        done="已授权。",
    )


def _grant_of(person_id: int, form: CheckedForm) -> RoleGrantCreate:
    role_text, _, scope_text = str(form.get("role_scope") or "").partition(":")
    try:
        return RoleGrantCreate(
            person_id=person_id,
            role=Role(role_text),
            scope_type=ScopeType(scope_text),
            scope_id=row_id(form.get("scope_id")),
        )
    except (ValueError, ValidationError) as exc:
        raise Unfit("请选择角色和范围，并填写范围的编号。") from exc


@router.post("/grants/{grant_id}/revoke")
async def revoke(
    grant_id: RowId,
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
) -> Response:
    person_id = row_id(form.get("person_id")) or 0
    here = f"/console/people/{person_id}" if person_id else "/console/people"
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=here,
        parse=lambda: None,
        write=lambda _: roster.revoke_role(session, principal=principal, grant_id=grant_id),
        done="已撤销授权。",
    )


@router.get("/households")
async def households(
    request: Request,
    principal: ConsoleUser,
    session: SessionDep,
    q: str | None = None,
    cursor: str | None = None,
    grid_id: FilterId = None,
) -> Response:
    q = (q or "").strip()[:50] or None
    found = await roster.find_households(
        session,
        principal=principal,
        wanted=roster.HouseholdFilter(q=q, grid_id=grid_id),
        limit=_PAGE,
        cursor=cursor,
    )
    return page(
        request,
        "households.html",
        {
            "active": "people",
            "q": q or "",
            "households": found.items,
            "grid_id": grid_id,
            "villages": (
                await roster.list_in_scope(
                    session, principal=principal, model=Village, limit=100, cursor=None
                )
            ).items,
            "next_cursor": found.next_cursor,
        },
    )


@router.get("/door-plates")
async def door_plates(
    principal: ConsoleUser,
    session: SessionDep,
    settings: SettingsDep,
    village_id: FilterId = None,
    page_number: int = 1,
) -> Response:
    data = await roster.plates.door_plates(
        session,
        principal=principal,
        village_id=village_id,
        grid_id=None,
        font=settings.cjk_font,
        as_pdf=True,
        page_number=max(1, min(page_number, 10_000)),
    )
    return printable(data, pdf=True, name="门牌码", ascii_name="door-plates")
