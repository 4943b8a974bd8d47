"""What `make run` does, as separate processes: migrate, seed-demo, serve, then use it."""

import os
from pathlib import Path

import httpx

from tests.helpers.served import cli


def test_demo_service_end_to_end(served: tuple[str, str]) -> None:
    base, seeded = served
    assert "village1_admin" in seeded and "xiangzhi-demo" in seeded
    # Which demo phone plays which part, so a visitor knows whom to be on the phone.
    assert "13800000001" in seeded and "网格员" in seeded and "群众" in seeded
    assert httpx.get(f"{base}/readyz").json()["status"] == "ok"
    token = httpx.post(
        f"{base}/api/v1/auth/token",
        data={"username": "village1_admin", "password": "xiangzhi-demo"},
    )
    assert token.status_code == 200
    assert "server" not in token.headers  # the server does not name itself
    assert token.headers["cache-control"] == "no-store"
    assert token.headers["x-content-type-options"] == "nosniff"
    auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
    people = httpx.get(f"{base}/api/v1/admin/people", params={"limit": 100}, headers=auth).json()
    phone = next(p["phone"] for p in people["items"] if p["is_party_member"] and p["household_id"])
    # A villager opens the mini-program (mock WeChat) and binds their phone.
    login = httpx.post(f"{base}/api/v1/auth/wechat-login", json={"code": "e2e"}).json()
    villager = {"Authorization": f"Bearer {login['access_token']}"}
    notice = httpx.get(f"{base}/api/v1/privacy").json()
    assert "隐私保护指引" in notice["text"]
    agreed = httpx.post(
        f"{base}/api/v1/me/privacy-consent", json={"version": notice["version"]}, headers=villager
    )
    assert agreed.status_code == 200, agreed.text
    bound = httpx.post(f"{base}/api/v1/auth/bind-phone", json={"code": phone}, headers=villager)
    assert bound.status_code == 200
    me = httpx.get(f"{base}/api/v1/me", headers=villager).json()
    assert me["is_bound"] and me["village"]["name"] == "二十四份村"
    # Today's demo Party day: the member scans the screen's code and earns the rule's points.
    events = httpx.get(f"{base}/api/v1/events", headers=villager).json()["items"]
    assert len(events) == 1
    qr = httpx.get(f"{base}/api/v1/events/{events[0]['id']}/qr", headers=auth).json()
    checkin = httpx.post(
        f"{base}/api/v1/events/{events[0]['id']}/checkins",
        # At the village's 党群服务中心, as wx.getLocation reports it there.
        json={"token": qr["token"], "lat": 40.9313, "lng": 117.9631, "accuracy": 20},
        headers=villager,
    )
    assert checkin.status_code == 201 and checkin.json()["points"] == 5
    assert httpx.get(f"{base}/docs").status_code == 200
    county = httpx.post(
        f"{base}/api/v1/auth/token", data={"username": "county", "password": "county-pass-1"}
    ).json()
    assert [r["role"] for r in county["user"]["roles"]] == ["superadmin"]


def test_a_second_seed_prints_the_logins_again_and_can_refresh(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XZ_")}
    env["XZ_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    cli(env, "migrate")
    cli(env, "seed-demo")
    again = cli(env, "seed-demo", "--refresh").stdout
    assert "已存在" in again and "village1_admin" in again and "13800000001" in again
    assert "已把 2 场主题党日挪到现在" in again
