"""miniprogram_contract/openapi.json is the app's schema, regenerated with `make openapi`."""

import json
from pathlib import Path

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
