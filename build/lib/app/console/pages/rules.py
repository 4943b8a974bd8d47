"""积分规则: the town's rules and a village's own versions of them side by side, each changed
with its history kept (the ledger keeps the points of the day; the audit log the change)."""

from fastapi import Request
from fastapi.responses import Response

from app.console.actions import submitted
from app.console.deps import CheckedForm, ConsoleUser, console_router, new_once, row_id
from app.console.render import back, page
from app.deps import CacheDep, SessionDep
from app.models.points import ScoringRule, ScoringRuleUpdate
from app.models.roster import Village
from app.routers.common import FilterId, RowId
from app.services import roster
from app.services.points import scoring_rules

router = console_router()


def _side_by_side(
    rules: list[ScoringRule], village_id: int | None
) -> list[tuple[ScoringRule | None, ScoringRule | None]]:
    """(the town's rule, the village's own) per code, the town's order first."""
    town = {r.code: r for r in rules if r.village_id is None}
    own = {r.code: r for r in rules if village_id is not None and r.village_id == village_id}
    codes = list(town) + [c for c in own if c not in town]
    return [(town.get(c), own.get(c)) for c in codes]


@router.get("/rules")
async def rules(
    request: Request, principal: ConsoleUser, session: SessionDep, village_id: FilterId = None
) -> Response:
    villages = (
        await roster.list_in_scope(
            session, principal=principal, model=Village, limit=100, cursor=None
        )
    ).items
    chosen = village_id or (villages[0].id if len(villages) == 1 else None)
    found: list[ScoringRule] = []
    cursor: str | None = None
    while True:  # a town has tens of rules; read them all
        listed = await scoring_rules.list_rules(
            session, principal=principal, village_id=chosen, limit=100, cursor=cursor
        )
        found.extend(listed.items)
        cursor = listed.next_cursor
        if cursor is None or len(found) >= 1000:
            break
    return page(
        request,
        "rules.html",
        {
            "active": "rules",
            "pairs": _side_by_side(found, chosen),
            "villages": villages,
            "village_id": chosen,
            "once": new_once,
        },
    )


def _number(form: CheckedForm, name: str) -> int | None:
    text = str(form.get(name) or "").strip()
    if text.startswith("-") and text[1:].isdigit() and len(text) < 8:
        return -int(text[1:])
    return int(text) if text.isdigit() and len(text) < 8 else None


@router.post("/rules/{rule_id}")
async def change(
    rule_id: RowId,
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
) -> Response:
    here = f"/console/rules?village_id={row_id(str(form.get('village_id') or '')) or ''}"
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=here,
        parse=lambda: ScoringRuleUpdate(
            points=_number(form, "points"),
            daily_cap=_number(form, "daily_cap"),
            monthly_cap=_number(form, "monthly_cap"),
            yearly_cap=_number(form, "yearly_cap"),
            requires_approval=form.get("requires_approval") == "on",
            enabled=form.get("enabled") == "on",
        ),
        write=lambda data: scoring_rules.update_rule(
            session, principal=principal, rule_id=rule_id, data=data
        ),
        done="规则已修改，以前的记录仍按当时的分值。",
    )


@router.post("/rules")
async def village_version(
    principal: ConsoleUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    """The village's own version of a town rule: same code, the village's points."""
    village = row_id(str(form.get("village_id") or ""))
    town_rule = row_id(str(form.get("town_rule_id") or ""))
    here = f"/console/rules?village_id={village or ''}"
    if village is None or town_rule is None:
        return back(here, error="请先选村。")
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=here,
        parse=lambda: _number(form, "points"),
        write=lambda points: scoring_rules.village_version(
            session,
            principal=principal,
            town_rule_id=town_rule,
            village_id=village,
            points=points,
        ),
        done="已为本村另定分值。",
    )
