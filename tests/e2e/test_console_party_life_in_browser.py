"""Party life records in Chromium on the demo town: the village secretary writes a meeting's
minutes on its page after it ends; the town's organiser finds them in the review list and sends
them back with a reason, which the secretary then sees. No outside request, no CSP error."""

import time
from datetime import timedelta

import httpx
from playwright.sync_api import Browser, expect

from app.china_time import utcnow
from tests.helpers.browser import api_login, signed_in, villager


def _a_meeting_that_just_ended(base: str) -> int:
    api = api_login(base, "village1_admin")
    people = httpx.get(f"{base}/api/v1/admin/people", params={"limit": 100}, headers=api).json()
    member = next(p for p in people["items"] if p["is_party_member"] and p["household_id"])
    [branch, *_] = httpx.get(f"{base}/api/v1/admin/branches", headers=api).json()["items"]
    now = utcnow()
    ends = now + timedelta(seconds=3)
    made = httpx.post(
        f"{base}/api/v1/admin/events",
        json={
            "branch_id": branch["id"],
            "kind": "branch_committee",
            "title": "浏览器里记录的支委会",
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": ends.isoformat(),
            "checkin_opens_at": (now - timedelta(hours=1)).isoformat(),
            "checkin_closes_at": ends.isoformat(),
        },
        headers=api,
    )
    assert made.status_code == 201, made.text
    event_id = int(made.json()["id"])
    qr = httpx.get(f"{base}/api/v1/events/{event_id}/qr", headers=api).json()
    came = httpx.post(
        f"{base}/api/v1/events/{event_id}/checkins",
        json={"token": qr["token"]},
        headers=villager(base, member["phone"]),
    )
    assert came.status_code == 201, came.text
    time.sleep(max(0.0, (ends - utcnow()).total_seconds()) + 0.5)
    return event_id


def test_minutes_written_then_sent_back_by_the_town(
    served: tuple[str, str], browser: Browser
) -> None:
    base, _ = served
    event_id = _a_meeting_that_just_ended(base)
    problems: list[str] = []
    page = signed_in(browser, base, "village1_admin", problems)
    page.goto(f"{base}/console/events/{event_id}")
    expect(page.locator("#minutes")).to_contain_text("还没有会议记录")
    page.fill("textarea[name=topics]", "研究秋季征兵宣传\n安排党员联系户走访")
    page.fill("textarea[name=content]", "支委会研究了两项工作，明确了分工。")
    page.click("button:has-text('提交会议记录')")
    expect(page.locator(".flash.ok")).to_contain_text("会议记录已提交")
    expect(page.locator("#minutes")).to_contain_text("第 1 版")
    expect(page.locator("#minutes")).to_contain_text("安排党员联系户走访")

    town = signed_in(browser, base, "town_admin", problems)
    town.goto(f"{base}/console/minutes")
    town.click("text=浏览器里记录的支委会")
    town.click("summary:has-text('退回会议记录')")
    town.fill("input[name=reason]", "请补充会议照片")
    town.click("button:has-text('退回')")
    expect(town.locator(".flash.ok")).to_contain_text("会议记录已退回")

    page.reload()
    expect(page.locator("#minutes")).to_contain_text("请补充会议照片")
    assert problems == [], problems
