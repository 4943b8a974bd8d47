"""Bad input of every kind gets a 4xx problem+json with a Chinese detail, never a 500."""

import httpx
import pytest

from tests.helpers.factories import World

PROBLEM = "application/problem+json"


def _is_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert {"type", "title", "status", "detail", "code"} <= set(body)
    assert body["status"] == status
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body["detail"]
    return body


async def test_validation_errors_name_the_fields(client: httpx.AsyncClient, world: World) -> None:
    r = await client.post(
        "/api/v1/admin/people", json={"name": "", "phone": "123"}, headers=world.auth("superadmin")
    )
    body = _is_problem(r, 422)
    assert body["code"] == "request.validation"
    fields = {e["field"] for e in body["errors"]}
    assert {"name", "phone"} <= fields


async def test_validation_messages_say_what_is_wanted(
    client: httpx.AsyncClient, world: World
) -> None:
    rule = {"code": "环境卫生", "title": "环境卫生", "ledger": "household", "points": 200_000}
    r = await client.post(
        "/api/v1/admin/scoring-rules", json={**rule, "town_id": 1}, headers=world.auth("superadmin")
    )
    messages = {e["field"]: e["message"] for e in _is_problem(r, 422)["errors"]}
    assert messages["code"] == (
        "规则代码（code）只能用小写英文字母、数字、下划线、点和短横，"
        "以字母开头，如 sanitation_weekly"
    )
    assert messages["points"] == "分值（points）不能大于 100000"
    people = await client.post(
        "/api/v1/admin/people",
        json={"name": "", "phone": "12345", "is_party_member": "maybe"},
        headers=world.auth("superadmin"),
    )
    body = _is_problem(people, 422)
    messages = {e["field"]: e["message"] for e in body["errors"]}
    assert messages["phone"] == "手机号（phone）须为 11 位手机号，如 13812345678"
    assert messages["name"] == "名称（name）至少 1 个字"
    assert messages["is_party_member"].endswith("须为 true 或 false")
    assert body["detail"].startswith("请求内容有误：") and "手机号（phone）" in body["detail"]
    page = await client.get(
        "/api/v1/admin/people", params={"limit": 0}, headers=world.auth("superadmin")
    )
    assert _is_problem(page, 422)["errors"] == [
        {"field": "limit", "message": "每页条数（limit）不能小于 1"}
    ]


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/api/v1/admin/villages", {"content": b"{not json"}),
        ("POST", "/api/v1/admin/villages", {"content": b"\xff\xfe\x00garbage"}),
        ("POST", "/api/v1/admin/villages", {"json": [1, 2, 3]}),
        ("POST", "/api/v1/admin/villages", {"json": {"town_id": 10**30, "name": "x"}}),
        ("POST", "/api/v1/admin/villages", {"json": {"town_id": -1, "name": "x"}}),
        ("POST", "/api/v1/admin/villages", {"json": {"town_id": 1, "name": "a\x00b"}}),
        ("POST", "/api/v1/admin/villages", {"json": {"town_id": 1, "name": "长" * 5000}}),
        ("POST", "/api/v1/admin/villages", {"json": {"town_id": "一", "name": "x"}}),
        ("GET", "/api/v1/admin/people/99999999999999999999", {}),
        ("GET", "/api/v1/admin/people/abc", {}),
        ("GET", "/api/v1/admin/people", {"params": {"limit": 1000}}),
        ("GET", "/api/v1/admin/people", {"params": {"cursor": "!!!not-a-cursor"}}),
        ("GET", "/api/v1/admin/people", {"params": {"cursor": "WzEsMiwzXQ"}}),
        ("GET", "/api/v1/admin/people", {"params": {"village_id": "1e99"}}),
    ],
)
async def test_malformed_requests_are_4xx(
    client: httpx.AsyncClient, world: World, method: str, path: str, kwargs: dict
) -> None:
    headers = {**world.auth("superadmin"), "content-type": "application/json"}
    r = await client.request(method, path, headers=headers, **kwargs)
    assert 400 <= r.status_code < 500, r.text
    _is_problem(r, r.status_code)


async def test_unknown_path_and_method(client: httpx.AsyncClient) -> None:
    assert _is_problem(await client.get("/api/v1/nothing-here"), 404)["code"] == "not_found"
    _is_problem(await client.delete("/api/v1/me"), 405)


async def test_oversized_body_is_413(client: httpx.AsyncClient, world: World) -> None:
    r = await client.post(
        "/api/v1/admin/towns",
        content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={**world.auth("superadmin"), "content-type": "application/json"},
    )
    _is_problem(r, 413)


async def test_every_response_has_a_request_id(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz", headers={"X-Request-ID": "phone-req-12345"})
    assert r.headers["x-request-id"] == "phone-req-12345"
    r = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith junk"})
    assert r.headers["x-request-id"] != "bad id\twith junk"
    assert len(r.headers["x-request-id"]) == 32


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "cache": "ok"}


async def test_a_nul_byte_in_a_login_form_is_4xx(client: httpx.AsyncClient) -> None:
    # PostgreSQL refuses NUL in text with SQLSTATE 22021; that is the caller's input, not an
    # outage (found by the schemathesis run).
    r = await client.post("/api/v1/auth/token", data={"username": "a\x00b", "password": "x"})
    assert 400 <= r.status_code < 500, r.text


async def test_checks_across_fields_explain_themselves_in_chinese(
    client: httpx.AsyncClient, world: World
) -> None:
    body = {
        "title": "清扫村道",
        "village_id": world.ids["v1"],
        "starts_at": "2026-12-01T09:00:00+08:00",
        "ends_at": "2026-12-01T08:00:00+08:00",
    }
    r = await client.post("/api/v1/admin/activities", json=body, headers=world.auth("v1_admin"))
    assert r.status_code == 422
    assert r.json()["detail"] == "请求内容有误：结束时间 ends_at 须晚于开始时间 starts_at。"
    assert r.json()["errors"] == [
        {"field": "", "message": "结束时间 ends_at 须晚于开始时间 starts_at"}
    ]
    empty = await client.post("/api/v1/admin/activities", headers=world.auth("v1_admin"))
    assert empty.json()["errors"][0]["field"] == "请求体"
