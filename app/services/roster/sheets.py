"""The 花名册 as a spreadsheet: the empty template, and the roster exported in the very same
columns, so that export → edit in Excel → import changes only what was edited."""

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.roster import Branch, Grid, Household, Person, Village
from app.services import audit
from app.services.identity import Location, Principal, scope_clause
from app.services.roster.import_rows import COLUMNS

_WIDTHS = [10, 14, 14, 10, 8, 10, 10, 20, 8, 10, 6, 10]


def _book(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "花名册"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    sheet.freeze_panes = "A2"
    # Printed for the branch's files: A4 landscape, one page wide, the header on every page.
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    for row in rows:
        sheet.append(row)
    # Phone numbers and 户号 as text, or Excel shows 1.38E+10 and drops leading zeros.
    for row_cells in sheet.iter_rows(min_row=2):
        for index in (1, 4):
            row_cells[index].number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template() -> bytes:
    return _book([])


async def export(session: AsyncSession, principal: Principal, *, village_id: int | None) -> bytes:
    """The roster with phone numbers: personal data, so who took it and when is audited."""
    stmt: Any = select(Person).where(scope_clause(principal, Person))
    if village_id is not None:
        stmt = stmt.where(col(Person.village_id) == village_id)
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
        after={"people": len(rows), "village_id": village_id},
    )
    return _book(rows)
