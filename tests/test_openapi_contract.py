"""miniprogram_contract/openapi.json is the app's schema, regenerated with `make openapi`."""

import json
import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

from fastapi import FastAPI

CONTRACT = Path(__file__).resolve().parent.parent / "miniprogram_contract" / "openapi.json"


def test_contract_file_is_fresh(app: FastAPI) -> None:
    stored = json.loads(CONTRACT.read_text(encoding="utf-8"))
    assert stored == app.openapi(), "openapi.json is stale: run `make openapi` and commit it"


def test_contract_names_the_fixed_paths(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    for fixed in [
        "/api/v1/auth/wechat-login",
        "/api/v1/auth/bind-phone",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/admin/towns",
        "/api/v1/admin/villages",
        "/api/v1/admin/branches",
        "/api/v1/admin/grids",
        "/api/v1/admin/households",
        "/api/v1/admin/people",
        "/api/v1/admin/role-grants",
        "/api/v1/admin/people/{row_id}/password",
        "/healthz",
        "/readyz",
    ]:
        assert fixed in paths, fixed


def _operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
    ]


def test_operation_ids_are_short_and_unique(app: FastAPI) -> None:
    ids = [op["operationId"] for _, _, op in _operations(app)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+_[a-z0-9_]+", i) and len(i) <= 40 for i in ids), ids
    assert {"points_award", "events_check_in", "shop_redeem"} <= set(ids)


def test_every_error_is_problem_json_with_its_codes(app: FastAPI) -> None:
    for method, path, operation in _operations(app):
        errors = {s: r for s, r in operation["responses"].items() if s[0] in "45"}
        assert "503" in errors, (method, path)
        for status, answer in errors.items():
            schema = answer["content"]["application/problem+json"]["schema"]["$ref"]
            assert schema.endswith("ValidationProblem" if status == "422" else "/Problem")
            assert answer["x-codes"], (method, path, status)
    components = app.openapi()["components"]["schemas"]
    assert "HTTPValidationError" not in components


def test_the_codes_come_from_the_services(app: FastAPI) -> None:
    redeem = app.openapi()["paths"]["/api/v1/shop/redemptions"]["post"]["responses"]
    assert {"shop.out_of_stock", "shop.insufficient_points"} <= set(redeem["409"]["x-codes"])
    check_in = app.openapi()["paths"]["/api/v1/events/{event_id}/checkins"]["post"]["responses"]
    codes = {c for answer in check_in.values() for c in answer.get("x-codes", [])}
    assert {"checkin.qr_expired", "auth.unauthorized", "service.database"} <= codes


def test_writes_declare_the_idempotency_key_and_every_operation_its_caller(
    app: FastAPI,
) -> None:
    for method, path, operation in _operations(app):
        assert "调用者：" in operation["description"], (method, path)
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        if method == "post" and operation.get("security"):
            assert "Idempotency-Key" in headers, path
    award = app.openapi()["paths"]["/api/v1/admin/points/entries"]["post"]
    assert "村管理员" in award["description"]


def test_the_contract_version_is_the_package_version(app: FastAPI) -> None:
    assert app.openapi()["info"]["version"] == version("xiangzhi")


def test_every_enum_value_has_a_chinese_label(app: FastAPI) -> None:
    components = app.openapi()["components"]["schemas"]
    enums = {name: c for name, c in components.items() if "enum" in c}
    assert len(enums) >= 20
    for name, component in enums.items():
        labels = component["x-enum-descriptions"]
        assert len(labels) == len(component["enum"]) and all(labels), name


def test_every_field_says_what_it_is(app: FastAPI) -> None:
    components = app.openapi()["components"]["schemas"]
    bare = [
        f"{name}.{field}"
        for name, component in components.items()
        for field, schema in component.get("properties", {}).items()
        if not schema.get("description")
    ]
    assert not bare, bare
    award = components["AwardCreate"]["properties"]["account_owner"]["description"]
    assert "household_id" in award
