"""Validation failures in words a village secretary can act on: which field (in Chinese, with
its name in brackets) and what is wanted, not only that something is wrong."""

import re
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

# What each pattern the models use asks for, keyed by the pattern itself.
PATTERN_HINTS = {
    r"^[a-z][a-z0-9_.-]*$": (
        "只能用小写英文字母、数字、下划线、点和短横，以字母开头，如 sanitation_weekly"
    ),
    r"^[A-Za-z0-9_.@-]+$": "只能用英文字母、数字和 _ . @ -，如 dongfeng_admin",
    r"^\d{8}$": "须为 8 位数字，如 40271586",
    r"^1[3-9][0-9]{9}$": "须为 11 位手机号，如 13812345678",
    r"^20\d{2}-(0[1-9]|1[0-2])$": "须为年月，如 2026-11",
    r"^[\x21-\x7e]+$": "只能用英文字母、数字和符号，不能有空格或中文",
    "^(approve|reject)$": "只能是 approve（通过）或 reject（驳回）",
}

# Names used across many models, for fields whose own title or description says nothing.
FIELD_LABELS = {
    "name": "名称",
    "title": "标题",
    "body": "正文",
    "phone": "手机号",
    "points": "分值",
    "quantity": "数量",
    "note": "备注",
    "reason": "理由",
    "password": "密码",
    "username": "用户名",
    "town_id": "所属镇",
    "village_id": "所属村",
    "branch_id": "所属支部",
    "grid_id": "所属网格",
    "household_id": "户",
    "person_id": "人员",
    "head_name": "户主姓名",
    "address": "地址",
    "starts_at": "开始时间",
    "ends_at": "结束时间",
    "stock": "库存",
    "lat": "纬度",
    "lng": "经度",
    "accuracy": "定位精度",
    "media_ids": "照片",
    "category": "类别",
    "decision": "决定",
    "token": "二维码",
    "ledger": "积分账本",
    "unit": "计分方式",
    "daily_cap": "每日上限",
    "monthly_cap": "每月上限",
    "yearly_cap": "每年上限",
    "rule_code": "积分规则代码",
    "goods_id": "商品",
    "limit": "每页条数",
    "cursor": "翻页参数",
    "year": "年份",
    "kind": "类型",
    "role": "角色",
    "scope_type": "范围类型",
    "scope_id": "范围",
}
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _chinese(text: str | None) -> str | None:
    """The first clause of a Chinese title or description ("兑换码（8 位数字）" → "兑换码")."""
    if not text or not _CJK.search(text):
        return None
    return re.split(r"[（(，,。；;：:]", text, maxsplit=1)[0].strip() or None


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    if isinstance(annotation, types.UnionType):
        return None
    return None


def _field_info(model: type[BaseModel] | None, loc: Sequence[Any]) -> FieldInfo | None:
    info = None
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        info = model.model_fields.get(str(part))
        if info is None:
            return None
        model = _model_of(info.annotation)
    return info


def field_label(name: str, info: FieldInfo | None) -> str:
    """``规则代码（code）``; the bare name when nothing Chinese is known about it."""
    label = None
    if info is not None:
        label = _chinese(info.title) or _chinese(info.description)
    label = label or FIELD_LABELS.get(name)
    return f"{label}（{name}）" if label else name


def wanted(kind: str, ctx: dict[str, Any]) -> str:
    """What the value should have been, for one pydantic error type."""
    match kind:
        case "missing":
            return "必须填写"
        case "string_too_short":
            return f"至少 {ctx.get('min_length')} 个字"
        case "string_too_long":
            return f"最多 {ctx.get('max_length')} 个字"
        case "too_short":
            return f"至少 {ctx.get('min_length')} 项"
        case "too_long":
            return f"最多 {ctx.get('max_length')} 项"
        case "greater_than_equal":
            return f"不能小于 {ctx.get('ge')}"
        case "less_than_equal":
            return f"不能大于 {ctx.get('le')}"
        case "greater_than":
            return f"须大于 {ctx.get('gt')}"
        case "less_than":
            return f"须小于 {ctx.get('lt')}"
        case "string_pattern_mismatch":
            return PATTERN_HINTS.get(str(ctx.get("pattern")), "格式不对")
        case "enum" | "literal_error":
            expected = str(ctx.get("expected", "")).replace(" or ", "、").replace("'", "")
            return f"只能是 {expected} 之一"
        case "int_parsing" | "int_type" | "int_from_float":
            return "须为整数"
        case "float_parsing" | "float_type":
            return "须为数字"
        case "bool_parsing" | "bool_type":
            return "须为 true 或 false"
        case "datetime_parsing" | "datetime_from_date_parsing" | "datetime_type":
            return "须为带时区的时间，如 2026-07-01T09:00:00+08:00"
        case "date_parsing" | "date_from_datetime_parsing":
            return "须为日期，如 2026-07-01"
        case "json_invalid":
            return "不是有效的 JSON"
        case "extra_forbidden":
            return "是不认识的字段，请去掉"
        case "dict_type" | "model_attributes_type" | "model_type":
            return "须为对象（{…}）"
        case "list_type":
            return "须为列表（[…]）"
        case "string_type":
            return "须为文字"
    return "格式不对"


def describe(err: dict[str, Any], body_model: Any = None) -> tuple[str, str]:
    """(field, message) for one error of a request's validation."""
    loc = tuple(err.get("loc", ()))
    kind = str(err.get("type", ""))
    if kind == "value_error":
        # Our validators raise ValueError with a Chinese sentence meant for the user.
        message = str((err.get("ctx") or {}).get("error") or "格式不对")
    else:
        message = wanted(kind, err.get("ctx") or {})
    parts = [p for p in loc if p not in ("body", "query", "path", "header", "form")]
    field = ".".join(str(p) for p in parts)
    if not parts:
        return ("" if kind == "value_error" else "请求体", message)
    named = [p for p in parts if not isinstance(p, int)]
    info = _field_info(_model_of(body_model), parts) if loc and loc[0] == "body" else None
    label = field_label(str(named[-1]), info) if named else field
    return field, f"{label}{message}"
