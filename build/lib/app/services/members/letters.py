"""The introduction letter (介绍信) of a transfer, printed on A4 as the branch files it: who,
from which organisation to which, the reason, the letter number and the date."""

import asyncio
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china
from app.errors import ServiceUnavailable
from app.models.members import Transfer
from app.models.roster import Branch, Person
from app.services.identity import Principal
from app.services.kit import printing
from app.services.members.transfers import transfer_in_sight


class FontMissing(ServiceUnavailable):
    code = "transfer.font_missing"
    detail = "服务器缺少中文字体，暂时无法打印介绍信，请联系管理员。"


def letter_number(transfer: Transfer) -> str:
    """The number written on the letter: the one given for a transfer out of the system, else
    the town's running number for it."""
    if transfer.letter_no:
        return transfer.letter_no
    return f"党组转字〔{to_china(transfer.created_at).year}〕第 {transfer.id} 号"


def _draw(font: Path, lines: list[tuple[str, str]], title: str) -> bytes:
    page = printing.Page(font)
    width = printing.A4[0]
    page.text((width // 2, 160), title, 72, fill=printing.RED, anchor="mm")
    page.draw.line((120, 230, width - 120, 230), fill=printing.RED, width=4)
    y = 320
    for name, value in lines:
        page.text((140, y), f"{name}：", 38, fill=printing.GREY)
        page.text((360, y), value, 38, max_width=width - 500)
        y += 80
    page.text((width - 160, y + 120), "（盖章）", 38, anchor="ra")
    return printing.pdf([page])


async def letter(
    session: AsyncSession, *, principal: Principal, transfer_id: int, font: str | None
) -> bytes:
    transfer = await transfer_in_sight(session, principal=principal, transfer_id=transfer_id)
    font_path = printing.font_file(font)
    if font_path is None:
        raise FontMissing()
    person = await session.get(Person, transfer.person_id)
    sending = await session.get(Branch, transfer.branch_id)
    receiving = await session.get(Branch, transfer.to_branch_id) if transfer.to_branch_id else None
    lines = [
        ("编号", letter_number(transfer)),
        ("党员", person.name if person else ""),
        ("转出", sending.name if sending else ""),
        ("转往", receiving.name if receiving else (transfer.to_organisation or "")),
        ("事由", transfer.reason),
        ("开具日期", f"{to_china(transfer.created_at):%Y年%m月%d日}"),
        ("有效期", "三十天"),
    ]
    # Drawing an A4 page takes a few hundred milliseconds: not on the event loop.
    return await asyncio.to_thread(_draw, font_path, lines, "党员组织关系介绍信")
