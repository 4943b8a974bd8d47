"""个人信息副本 (PIPL art. 45): everything the system holds about a villager and their household,
as a zip of JSON files and the photos they uploaded, at most once a day. Each copy is in the
audit log (which also keeps the day's quota: no second table to lose)."""

import io
import json
import zipfile
from datetime import timedelta
from typing import Any

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china, utcnow
from app.errors import TooManyRequests
from app.models.audit import AuditEntry
from app.models.base import id_of
from app.models.duty import ServiceRequest
from app.models.events import Attendance, PartyEvent
from app.models.media import Media
from app.models.notifications import Notification
from app.models.points import LedgerEntry, OwnerType, PointsAccount
from app.models.roster import Household, Village
from app.models.shop import ShopRedemption
from app.services import audit
from app.services.identity import Principal, bound_person, location_of
from app.services.kit import Storage

QUOTA = timedelta(days=1)
ACTION = "person.data_export"
# Photos in one copy: a phone downloads it on a weak network.
MAX_PHOTOS = 200


class ExportTooSoon(TooManyRequests):
    code = "me.export_too_soon"
    detail = "每天只能导出一次个人信息副本，请明天再试。"


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return to_china(value).isoformat() if hasattr(value, "tzinfo") else value.isoformat()
    return value


def _rows(rows: Any, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{f: _plain(getattr(r, f)) for f in fields} for r in rows]


async def export(session: AsyncSession, *, principal: Principal, storage: Storage) -> bytes:
    person = await bound_person(session, principal)
    last = (
        await session.exec(
            select(AuditEntry.created_at)
            .where(col(AuditEntry.action) == ACTION, col(AuditEntry.target_id) == str(person.id))
            .order_by(col(AuditEntry.id).desc())
        )
    ).first()
    now = utcnow()
    if last is not None and now - last < QUOTA:
        raise ExportTooSoon(retry_after=int((last + QUOTA - now).total_seconds()))
    household = await session.get(Household, person.household_id) if person.household_id else None
    village = await session.get(Village, person.village_id) if person.village_id else None
    owners = [(OwnerType.person, person.id)]
    if household is not None:
        owners.append((OwnerType.household, household.id))
    accounts = (
        await session.exec(
            select(PointsAccount).where(
                or_(
                    *(
                        (col(PointsAccount.owner_type) == t) & (col(PointsAccount.owner_id) == i)
                        for t, i in owners
                    )
                )
            )
        )
    ).all()
    entries = (
        await session.exec(
            select(LedgerEntry)
            .where(col(LedgerEntry.account_id).in_([a.id for a in accounts]))
            .order_by(col(LedgerEntry.id))
        )
    ).all()
    attended = (
        await session.exec(
            select(Attendance, PartyEvent.title)
            .join(PartyEvent, col(PartyEvent.id) == col(Attendance.event_id))
            .where(col(Attendance.person_id) == person.id)
            .order_by(col(Attendance.id))
        )
    ).all()
    requests = (
        await session.exec(
            select(ServiceRequest).where(col(ServiceRequest.requester_person_id) == person.id)
        )
    ).all()
    redemptions = (
        await session.exec(
            select(ShopRedemption).where(
                col(ShopRedemption.household_id) == (household.id if household else -1)
            )
        )
    ).all()
    inbox = (
        await session.exec(select(Notification).where(col(Notification.person_id) == person.id))
    ).all()
    photos = (
        await session.exec(
            select(Media)
            .where(col(Media.uploader_person_id) == person.id)
            .order_by(col(Media.id))
            .limit(MAX_PHOTOS)
        )
    ).all()
    files: dict[str, Any] = {
        "profile.json": {
            "name": person.name,
            "phone": person.phone,
            "sex": person.sex,
            "birth_month": person.birth_month,
            "relation": person.relation,
            "is_party_member": person.is_party_member,
            "village": village.name if village else None,
            "household": {"head_name": household.head_name, "address": household.address}
            if household
            else None,
            "exported_at": _plain(now),
        },
        "points.json": {
            "accounts": _rows(accounts, ("id", "ledger", "owner_type", "balance")),
            "entries": _rows(
                entries,
                (
                    "id",
                    "account_id",
                    "status",
                    "points",
                    "rule_code",
                    "title",
                    "source_type",
                    "note",
                    "created_at",
                    "posted_at",
                ),
            ),
        },
        "attendance.json": [
            {"event": title, **_rows([a], ("event_id", "status", "scanned_at", "points"))[0]}
            for a, title in attended
        ],
        "requests.json": _rows(
            requests, ("id", "kind", "title", "description", "status", "created_at", "done_at")
        ),
        "redemptions.json": _rows(
            redemptions, ("id", "goods_id", "quantity", "points", "status", "created_at")
        ),
        "notifications.json": _rows(inbox, ("kind", "title", "body", "created_at", "read_at")),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, json.dumps(content, ensure_ascii=False, indent=2))
        for media in photos:
            data = await storage.get(media.display_key)
            if data is not None:
                archive.writestr(f"photos/{media.id}.jpg", data)
    await audit.record(
        session,
        actor=principal,
        action=ACTION,
        target_type="person",
        target_id=id_of(person),
        where=location_of(person),
        after={"photos": len(photos), "entries": len(entries)},
    )
    return out.getvalue()
