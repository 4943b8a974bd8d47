"""The supervisors' queue in Chromium on the demo town: village one's supervision committee
signs in and lands on its flags (the demo's grid worker scored their own household), reads the
rows behind the flag, and turns it into an objection; the village's secretary then finds the
objection waiting to be answered. Village two's supervisor sees nothing of village one, and the
secretary has no flags page. No outside request, no CSP or script error."""

import httpx
from playwright.sync_api import Browser, expect

from tests.helpers.browser import api_login, signed_in


def test_a_supervisor_turns_a_flag_into_an_objection(
    served: tuple[str, str], browser: Browser
) -> None:
    base, _ = served
    problems: list[str] = []
    page = signed_in(browser, base, "village1_supervisor", problems)
    expect(page).to_have_url(f"{base}/console/flags")
    flag = page.locator("section.flag").first
    expect(flag).to_contain_text("给本人或本户记分、审批")
    expect(flag).to_contain_text("现场打分")
    expect(flag.locator(".evidence")).to_contain_text("积分记录")
    expect(flag.locator(".evidence")).to_contain_text("农户：户主")
    expect(page.locator("nav")).not_to_contain_text("积分超市")
    flag.locator("input[name=note]").fill("请村委会说明打分依据")
    flag.locator("button:has-text('转为监督意见')").click()
    expect(page.locator(".flash.ok")).to_contain_text("已转为监督意见")
    expect(page.locator("main")).to_contain_text("没有待处理的预警")

    other = signed_in(browser, base, "village2_supervisor", problems)
    other.goto(f"{base}/console/flags?status=escalated")
    expect(other.locator("main")).to_contain_text("没有已转为监督意见的预警")

    # Its own list: the browser reports the refused page as a failed load, as it should.
    refused: list[str] = []
    secretary = signed_in(browser, base, "village1_admin", refused)
    mine = secretary.goto(f"{base}/console/flags")
    assert mine is not None and mine.status == 403
    expect(secretary.locator("main")).to_contain_text("不属于您的职责范围")
    waiting = httpx.get(
        f"{base}/api/v1/admin/objections", headers=api_login(base, "village1_admin")
    ).json()["items"]
    assert any("请村委会说明打分依据" in o["reason"] for o in waiting)
    assert problems == [], problems
