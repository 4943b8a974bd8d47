"""Door plates (门牌码): one code per household, printed eight to an A4 sheet per village (or
grid) and fixed by the door. A grid worker scans it and the on-site score opens with the
household filled in. The code is random: read alone, it names no one; only a grid worker of
that household's grid (or of its whole village) can turn it into the household."""

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import NotFound, ServiceUnavailable, Unprocessable
from app.models.base import id_of
from app.models.roster import Grid, Household, Role, Village
from app.services import audit
from app.services.identity import Principal, covers, location_of, own_village
from app.services.kit import printing
from app.services.roster.lookup import VillageNotFound

PER_PAGE = 8  # two across, four down: each plate about 10 × 7 cm
# Sheets in one PDF: 200 households, a few MB. A larger village prints in batches (page=26…):
# a request's cost is bounded whatever the village's size.
SHEETS_PER_PDF = 25
# Plates are drawn one request at a time per process: each page drawn holds ~6.5 MB.
_drawing = asyncio.Semaphore(1)
_CELL = (printing.A4[0] // 2, printing.A4[1] // 4)


class PlateNotFound(NotFound):
    code = "household.plate_not_found"
    detail = "这个门牌码不在您负责的网格里，或已失效。"


class PlatesFontMissing(ServiceUnavailable):
    code = "roster.font_missing"
    detail = "服务器缺少中文字体，暂时无法生成门牌码，请联系管理员。"


class NoSuchSheet(Unprocessable):
    code = "roster.no_such_page"
    detail = "没有这一页。"


async def household_by_plate(
    session: AsyncSession, *, principal: Principal, code: str
) -> Household:
    """The household behind a scanned door plate, for the grid workers who serve it. Everyone
    else, and a code that does not exist, get the same 404."""
    found = (
        await session.exec(select(Household).where(col(Household.plate_code) == code.upper()))
    ).first()
    if found is None or not covers(principal, location_of(found), [Role.grid_worker]):
        raise PlateNotFound()
    return found


@dataclass(frozen=True, slots=True)
class _Plate:
    """What one plate shows, read from the rows before drawing leaves the event loop."""

    code: str
    number: str | None
    head_name: str
    place: str


def _plate(page: printing.Page, slot: int, home: _Plate) -> None:
    width, height = _CELL
    left, top = (slot % 2) * width, (slot // 2) * height
    margin = 24
    page.draw.rectangle(
        (left + margin, top + margin, left + width - margin, top + height - margin),
        outline=printing.RED,
        width=4,
    )
    side = height - 4 * margin
    corner = (left + 2 * margin, top + 2 * margin)
    page.code(home.code, (*corner, corner[0] + side, corner[1] + side))
    x = left + 3 * margin + side
    room = width - (x - left) - 2 * margin
    page.text((x, top + 2 * margin + 10), home.place, 26, fill=printing.GREY, max_width=room)
    number = f"{home.number} 号" if home.number else ""
    page.text((x, top + 2 * margin + 70), number, 44, fill=printing.RED, max_width=room)
    page.text((x, top + 2 * margin + 150), f"户主：{home.head_name}", 32, max_width=room)
    page.text((x, top + height - 3 * margin - 10), home.code, 24, fill=printing.GREY)


def _sheets(font: Path, plates: Sequence[_Plate], sheets: range) -> Iterator[printing.Page]:
    for index in sheets:
        page = printing.Page(font)
        for slot, home in enumerate(plates[index * PER_PAGE : (index + 1) * PER_PAGE]):
            _plate(page, slot, home)
        if not plates:
            page.text((printing.A4[0] // 2, 400), "本村（网格）还没有农户", 48, anchor="mm")
        yield page


def _draw(font: Path, plates: Sequence[_Plate], sheets: range, as_pdf: bool) -> bytes:
    pages = _sheets(font, plates, sheets)
    return printing.pdf_of(pages) if as_pdf else printing.png(next(pages))


async def door_plates(
    session: AsyncSession,
    *,
    principal: Principal,
    village_id: int | None,
    grid_id: int | None,
    font: str | None,
    as_pdf: bool,
    page_number: int,
) -> bytes:
    wanted = village_id if village_id is not None else own_village(principal)
    village = await session.get(Village, wanted)
    if village is None or not covers(principal, location_of(village)):
        raise VillageNotFound()
    font_path = printing.font_file(font)
    if font_path is None:
        raise PlatesFontMissing()
    stmt: Any = select(Household).where(col(Household.village_id) == village.id)
    if grid_id is not None:
        stmt = stmt.where(col(Household.grid_id) == grid_id)
    order = (col(Household.grid_id), col(Household.number), col(Household.id))
    homes = (await session.exec(stmt.order_by(*order))).all()
    grids = {
        g.id: g.name
        for g in (await session.exec(select(Grid).where(col(Grid.village_id) == village.id))).all()
    }
    count = max(1, -(-len(homes) // PER_PAGE))
    if not 1 <= page_number <= count:
        raise NoSuchSheet(f"门牌码共 {count} 页，没有第 {page_number} 页。")
    # A PNG is one sheet; a PDF the sheets from page_number on, SHEETS_PER_PDF at the most.
    last = min(count, page_number - 1 + SHEETS_PER_PDF) if as_pdf else page_number
    sheets = range(page_number - 1, last)
    plates = [
        _Plate(
            code=home.plate_code,
            number=home.number,
            head_name=home.head_name,
            place=f"{village.name} {grids.get(home.grid_id, '')}".strip(),
        )
        for home in homes[sheets.start * PER_PAGE : sheets.stop * PER_PAGE]
    ]
    async with _drawing:
        data = await asyncio.to_thread(_draw, font_path, plates, range(len(sheets)), as_pdf)
    await audit.record(
        session,
        actor=principal,
        action="roster.door_plates",
        target_type="village",
        target_id=id_of(village),
        where=location_of(village),
        after={
            "households": len(homes),
            "grid_id": grid_id,
            "pages": len(sheets),
            "first_page": page_number,
        },
    )
    return data
