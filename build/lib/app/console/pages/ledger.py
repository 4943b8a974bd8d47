"""账本签名与核验: each town's latest signed head of its points log (what phones check their
entries against), the town admin's "sign now", and the night's check of every chain and head."""

from fastapi import Request
from fastapi.responses import Response

from app.console.actions import submitted
from app.console.deps import CheckedForm, ConsoleUser, console_router, new_once, row_id
from app.console.render import page
from app.deps import CacheDep, LedgerKeysDep, SessionDep
from app.errors import NotFound
from app.models.roster import Town
from app.services import roster
from app.services.points import ledger_check, roots

router = console_router()


@router.get("/ledger")
async def ledger_page(request: Request, principal: ConsoleUser, session: SessionDep) -> Response:
    towns = (
        await roster.list_in_scope(session, principal=principal, model=Town, limit=50, cursor=None)
    ).items
    if not towns:  # a village's admin: their own town
        home = {g.town_id for g in principal.grants if g.town_id is not None}
        towns = [t for t in [await session.get(Town, i) for i in sorted(home)] if t is not None]
    shown = []
    for town in towns:
        assert town.id is not None
        try:
            check = await ledger_check.latest_check(session, principal=principal, town_id=town.id)
        except NotFound:
            check = None
        shown.append({"town": town, "head": await roots.latest(session, town.id), "check": check})
    return page(request, "ledger.html", {"active": "rules", "towns": shown, "once": new_once})


@router.post("/ledger/sign")
async def sign_now(
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
    keys: LedgerKeysDep,
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here="/console/ledger",
        parse=lambda: row_id(form.get("town_id")),
        write=lambda town_id: roots.sign_for(
            session, principal=principal, town_id=town_id, keys=keys
        ),
        done=lambda _: "已签名：树根已更新（没有新记录时仍是原来的树根）。",
    )
