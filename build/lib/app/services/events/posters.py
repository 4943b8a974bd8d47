"""The printed poster of a Party day: an A4 page with the title, time, venue and branch and the
fixed poster code, for the notice board and the meeting-room door. The rotating code stays on
screens; the fixed one still needs the member at the venue (the check-in measures the
distance), so a photo of the poster sent to the group chat does not check anyone in."""

from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china
from app.errors import ServiceUnavailable
from app.models.events import PartyEvent
from app.models.labels import label
from app.models.roster import Branch
from app.services.events import events
from app.services.identity import Principal
from app.services.kit import QrSettings, WechatGateway, printing

POSTER_PAGE = "pages/checkin/index"
_WEEKDAYS = "一二三四五六日"


class PosterFontMissing(ServiceUnavailable):
    code = "events.font_missing"
    detail = "服务器缺少中文字体，暂时无法生成海报，请联系管理员。"


async def poster_code(
    session: AsyncSession,
    *,
    principal: Principal,
    event_id: int,
    qr: QrSettings,
    wechat: WechatGateway,
) -> bytes:
    """The fixed code alone (a mini-program code in live mode, a QR code in mock mode)."""
    event = await events.event_for_host(session, principal=principal, event_id=event_id)
    return await _code(event, qr=qr, wechat=wechat)


async def _code(event: PartyEvent, *, qr: QrSettings, wechat: WechatGateway) -> bytes:
    scene = events.poster_token(event, qr=qr)
    if wechat.is_mock:
        return printing.qr_png(scene)
    return await wechat.mini_program_code(scene=scene, page=POSTER_PAGE)


def _when(event: PartyEvent) -> str:
    start, end = to_china(event.starts_at), to_china(event.ends_at)
    day = f"{start.year}年{start.month}月{start.day}日（星期{_WEEKDAYS[start.weekday()]}）"
    return f"{day} {start:%H:%M}–{end:%H:%M}"


async def poster(
    session: AsyncSession,
    *,
    principal: Principal,
    event_id: int,
    qr: QrSettings,
    wechat: WechatGateway,
    font: str | None,
    as_pdf: bool,
) -> bytes:
    event = await events.event_for_host(session, principal=principal, event_id=event_id)
    font_path = printing.font_file(font)
    if font_path is None:
        raise PosterFontMissing()
    branch = await session.get(Branch, event.branch_id)
    code = await _code(event, qr=qr, wechat=wechat)
    page = printing.Page(font_path)
    width = printing.A4[0]
    page.draw.rectangle((0, 0, width, 230), fill=printing.RED)
    page.text(
        (width // 2, 115), label("EventKind", event.kind), 88, fill=(255, 255, 255), anchor="mm"
    )
    page.text((width // 2, 330), event.title, 64, anchor="mm", max_width=width - 160)
    venue = event.venue_name or "见通知"
    rows = [("时间", _when(event)), ("地点", venue), ("主办", branch.name if branch else "")]
    if event.theme:
        rows.insert(0, ("主题", event.theme))
    y = 440
    for name, value in rows:
        page.text((140, y), f"{name}：", 40, fill=printing.GREY)
        page.text((260, y), value, 40, max_width=width - 400)
        y += 72
    page.picture(code, (270, 760, 970, 1460))
    page.text((width // 2, 1530), "微信扫一扫 · 签到", 56, fill=printing.RED, anchor="mm")
    if event.venue_radius_m:
        hint = f"签到时请打开手机定位，须在会场 {event.venue_radius_m} 米以内"
    else:
        hint = "请在活动现场扫码签到"
    page.text((width // 2, 1610), hint, 34, fill=printing.GREY, anchor="mm")
    opens, closes = to_china(event.checkin_opens_at), to_china(event.checkin_closes_at)
    window = f"签到时间 {opens:%m月%d日 %H:%M} 至 {closes:%m月%d日 %H:%M}"
    page.text((width // 2, 1670), window, 30, fill=printing.GREY, anchor="mm")
    return printing.pdf([page]) if as_pdf else printing.png(page)
