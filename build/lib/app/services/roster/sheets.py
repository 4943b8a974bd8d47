"""The 花名册 as a spreadsheet: the empty template, and the roster exported in the very same
columns, so that export → edit in Excel → import changes only what was edited."""

from dataclasses import asdict
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china, utcnow
from app.models.base import id_of
from app.models.roster import Branch, Grid, Household, Person, Village, VillagerGroup
from app.services import audit
from app.services.identity import Location, Principal, scope_clause
from app.services.kit import Column, Paper, Sheet, paper
from app.services.roster import member_columns
from app.services.roster.import_rows import COLUMNS
from app.services.roster.search import PeopleFilter, people_filters

_WIDTHS = [10, 14, 14, 10, 8, 10, 10, 20, 8, 10, 6, 10, 12, 12, 12, 8, 12, 12]
# 手机号 and 户号 as text, or Excel shows 1.38E+10 and drops leading zeros.
_TEXT = {"手机号", "户号"}
_COLUMNS = [Column(h, w, text=h in _TEXT) for h, w in zip(COLUMNS, _WIDTHS, strict=True)]


def _sheet(title: str, rows: list[list[Any]], *, signed: bool) -> Sheet:
    # Printed for the branch's files: A4 landscape, one page wide, the header on every page.
    return Sheet("花名册", title, _COLUMNS, rows, landscape=True, signed=signed)


def template() -> Paper:
    sheet = _sheet("花名册（每行一人；表头请勿改动）", [], signed=False)
    return paper.paper("花名册模板", "roster-template", [sheet])


async def export(session: AsyncSession, *, principal: Principal, wanted: PeopleFilter) -> Paper:
    """The roster with phone numbers, the same people the list shows for ``wanted``: personal
    data, so who took it and when (and which filter) is audited."""
    stmt: Any = select(Person).where(scope_clause(principal, Person), *people_filters(wanted))
    people = (await session.exec(stmt.order_by(col(Person.village_id), col(Person.id)))).all()

    async def named(model: Any, ids: set[int | None]) -> dict[int, Any]:
        """Only the rows these people point at, not every village's of the installation."""
        wanted = {i for i in ids if i is not None}
        if not wanted:
            return {}
        found = await session.exec(select(model).where(col(model.id).in_(wanted)))
        return {row.id: row for row in found.all()}

    villages = await named(Village, {p.village_id for p in people})
    grids = await named(Grid, {p.grid_id for p in people})
    branches = await named(Branch, {p.branch_id for p in people})
    households = await named(Household, {p.household_id for p in people})
    files = await member_columns.kept(session, [id_of(p) for p in people])
    groups = await named(VillagerGroup, {h.villager_group_id for h in households.values()})
    rows = []
    for person in people:
        home = households.get(person.household_id)
        rows.append(
            [
                person.name,
                person.phone or "",
                villages[person.village_id].name if person.village_id in villages else "",
                grids[person.grid_id].name if person.grid_id in grids else "",
                (home.number or "") if home else "",
                home.head_name if home else "",
                person.relation or "",
                branches[person.branch_id].name if person.branch_id in branches else "",
                "是" if person.is_party_member else "否",
                "是" if person.is_mobile_member else "否",
                person.sex or "",
                person.birth_month or "",
                *member_columns.cells(files.get(id_of(person))),
                groups[home.villager_group_id].name
                if home and home.villager_group_id in groups
                else "",
            ]
        )
    towns = {p.town_id for p in people}
    places = {p.village_id for p in people}
    # Listed where the people are, so the admins of that village or town see who took them.
    where = Location(
        town_id=next(iter(towns)) if len(towns) == 1 else None,
        village_id=next(iter(places)) if len(places) == 1 else None,
    )
    await audit.record(
        session,
        actor=principal,
        action="roster.export",
        target_type="person",
        target_id="export",
        where=where,
        after={"people": len(rows), **{k: v for k, v in asdict(wanted).items() if v is not None}},
    )
    place = (
        villages[next(iter(places))].name if len(places) == 1 and places <= villages.keys() else ""
    )
    today = to_china(utcnow()).date()
    title = f"{place}花名册（{today.year}年{today.month}月{today.day}日导出）"
    return paper.paper(f"{place}花名册", "roster", [_sheet(title, rows, signed=True)])
