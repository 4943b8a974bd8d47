"""openapi.json against the last released contract: within a major version nothing a phone
relies on may disappear."""

import copy
import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from app.contract.compat import breaking_changes

RELEASED = Path(__file__).resolve().parent.parent / "miniprogram_contract" / "released"


def _last_release() -> dict[str, Any]:
    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(p) for p in path.stem.removeprefix("openapi-").split("."))

    newest = max(RELEASED.glob("openapi-*.json"), key=version)
    return dict(json.loads(newest.read_text(encoding="utf-8")))


def test_nothing_released_was_removed(app: FastAPI) -> None:
    assert breaking_changes(_last_release(), app.openapi()) == []


def test_a_removed_field_an_operation_and_an_enum_value_are_caught(app: FastAPI) -> None:
    current = copy.deepcopy(app.openapi())
    del current["components"]["schemas"]["RedemptionPublic"]["properties"]["code"]
    del current["paths"]["/api/v1/me"]["get"]
    current["components"]["schemas"]["Ledger"]["enum"].remove("volunteer")
    found = breaking_changes(_last_release(), current)
    assert "removed field code from POST /api/v1/shop/redemptions 201" in found
    assert "removed field items.[].code from GET /api/v1/me/redemptions 200" in found
    assert "removed operation GET /api/v1/me" in found
    assert "removed value volunteer of enum Ledger" in found


def test_a_major_version_may_remove(app: FastAPI) -> None:
    current = copy.deepcopy(app.openapi())
    del current["paths"]["/api/v1/me"]["get"]
    current["info"]["version"] = "2.0.0"
    assert breaking_changes(_last_release(), current) == []
