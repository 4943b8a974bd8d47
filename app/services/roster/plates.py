"""Door plates (门牌码): one code per household, printed eight to an A4 sheet per village (or
grid) and fixed by the door. A grid worker scans it and the on-site score opens with the
household filled in. The code is random: read alone, it names no one; only a grid worker of
that household's grid (or of its whole village) can turn it into the household."""

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


async def household_by_plate(session: AsyncSession, principal: Principal, code: str) -> Household:
    """The household behind a scanned door plate, for the grid workers who serve it. Everyone
    else, and a code that does not exist, get the same 404."""
    found = (
        await session.exec(select(Household).where(col(Household.plate_code) == code.upper()))
    ).first()
    if found is None or not covers(principal, location_of(found), [Role.grid_worker]):
        raise PlateNotFound()
    return found


def _plate(page: printing.Page, slot: int, home: Household, place: str) -> None:
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
    page.code(home.plate_code, (*corner, corner[0] + side, corner[1] + side))
    x = left + 3 * margin + side
    room = width - (x - left) - 2 * margin
    page.text((x, top + 2 * margin + 10), place, 26, fill=printing.GREY, max_width=room)
    number = f"{home.number} 号" if home.number else ""
    page.text((x, top + 2 * margin + 70), number, 44, fill=printing.RED, max_width=room)
    page.text((x, top + 2 * margin + 150), f"户主：{home.head_name}", 32, max_width=room)
    page.text((x, top + height - 3 * margin - 10), home.plate_code, 24, fill=printing.GREY)


async def door_plates(
    session: AsyncSession,
    principal: Principal,
    *,
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
    if not as_pdf and not 1 <= page_number <= count:
        raise NoSuchSheet(f"门牌码共 {count} 页，没有第 {page_number} 页。")
    # A PNG is one page: only that page's codes are drawn.
    wanted_pages = range(count) if as_pdf else [page_number - 1]
    pages = []
    for index in wanted_pages:
        page = printing.Page(font_path)
        for slot, home in enumerate(homes[index * PER_PAGE : (index + 1) * PER_PAGE]):
            place = f"{village.name} {grids.get(home.grid_id, '')}".strip()
            _plate(page, slot, home, place)
        if not homes:
            page.text((printing.A4[0] // 2, 400), "本村（网格）还没有农户", 48, anchor="mm")
        pages.append(page)
    await audit.record(
        session,
        actor=principal,
        action="roster.door_plates",
        target_type="village",
        target_id=id_of(village),
        where=location_of(village),
        after={"households": len(homes), "grid_id": grid_id, "pages": len(pages)},
    )
    return printing.pdf(pages) if as_pdf else printing.png(pages[0])
