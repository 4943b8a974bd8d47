"""Pages drawn from the console's templates: Chinese labels, China time, and on every page
the admin's name, the CSRF token and the navigation."""

import json
import re
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import RedirectResponse, Response

from app.china_time import to_china, utcnow
from app.models.base import MONTH_PATTERN
from app.models.labels import label
from app.models.roster import ADMIN_ROLES, Role
from app.models.warnings import SIGNAL_WORDS

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")

# (key, address, words, who sees it: "admin" the admins, "town" the town's and above,
# "counter" the shop's keeper too)
NAV = (
    ("workbench", "/console/", "工作台", "admin"),
    ("town", "/console/town", "全镇", "town"),
    ("queues", "/console/queues", "待办", "admin"),
    ("events", "/console/events", "三会一课", "admin"),
    ("development", "/console/development", "发展党员", "admin"),
    ("members", "/console/members", "党员", "admin"),
    ("organisation", "/console/organisation", "组织", "admin"),
    ("grid", "/console/grid", "网格", "admin"),
    ("volunteer", "/console/volunteer", "志愿服务", "admin"),
    ("people", "/console/people", "花名册", "admin"),
    ("counter", "/console/counter", "积分超市", "counter"),
    ("dues", "/console/dues", "党费", "dues"),
    ("flags", "/console/flags", "监督预警", "flags"),
    ("rules", "/console/rules", "积分规则", "admin"),
    ("papers", "/console/papers", "报表", "admin"),
    ("notices", "/console/notices", "发通知", "admin"),
    ("audit", "/console/audit", "日志", "admin"),
)


def when(value: datetime | date | None, minutes: bool = True) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        shown = to_china(value)
        return shown.strftime("%Y-%m-%d %H:%M" if minutes else "%Y-%m-%d")
    return value.strftime("%Y-%m-%d")


def enum_label(value: Any, enum: str | None = None) -> str:
    if value is None:
        return "—"
    if isinstance(value, Enum):
        return label(enum or type(value).__name__, str(value.value))
    return label(enum, str(value)) if enum else str(value)


def _shown(value: Any) -> str:
    return "—" if value is None else json.dumps(value, ensure_ascii=False)[:200]


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Each field that changed, as "before → after" (a creation shows what was written): the
    reader sees what moved, not two pictures to compare."""
    before, after = before or {}, after or {}
    shown = []
    for key in list(dict.fromkeys([*before, *after])):
        old, new = before.get(key), after.get(key)
        if key in before and old == new:
            continue
        shown.append((key, _shown(new) if key not in before else f"{_shown(old)} → {_shown(new)}"))
    return shown


def clock(value: datetime | None) -> str:
    return "" if value is None else to_china(value).strftime("%H:%M")


TEMPLATES.env.filters["when"] = when
TEMPLATES.env.filters["clock"] = clock
TEMPLATES.env.filters["changes"] = lambda e: changes(e.before, e.after)
TEMPLATES.env.filters["label"] = enum_label
TEMPLATES.env.globals["NAV"] = NAV
TEMPLATES.env.globals["TOWN_ROLES"] = (Role.superadmin, Role.town_admin)
TEMPLATES.env.globals["DUES_ROLES"] = (*ADMIN_ROLES, Role.dues_keeper)
TEMPLATES.env.globals["COUNTER_ROLES"] = (*ADMIN_ROLES, Role.shop_keeper)
TEMPLATES.env.globals["FLAG_ROLES"] = (Role.superadmin, Role.town_admin, Role.supervisor)
TEMPLATES.env.globals["SIGNAL_WORDS"] = SIGNAL_WORDS


def page(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> Response:
    state = request.state
    context = {
        "principal": getattr(state, "console_principal", None),
        "csrf": getattr(state, "console_csrf", ""),
        # What the last post did, carried by Post/Redirect/Get; only shown as text, and short.
        "flash": (request.query_params.get("done") or "")[:200] or None,
        "error": (request.query_params.get("error") or "")[:300] or None,
        **(context or {}),
    }
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status)


def back(path: str, *, done: str | None = None, error: str | None = None) -> Response:
    """After a form's post, the page to show (Post/Redirect/Get: a reload never posts again),
    with what happened."""
    told = {k: v for k, v in (("done", done), ("error", error)) if v}
    joint = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{joint}{urlencode(told)}" if told else path, status_code=303)


def this_month_or(period: str | None) -> str:
    """The month a page was asked for, when it is one (``2026-11``), else this China month."""
    if period and re.fullmatch(MONTH_PATTERN, period):
        return period
    return to_china(utcnow()).strftime("%Y-%m")
