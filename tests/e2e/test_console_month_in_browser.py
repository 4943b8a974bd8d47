"""Part 2 of the console as its people use it, in Chromium on the demo town: the village
secretary makes a Party day from the calendar, prints its poster, downloads a paper and moves
an applicant one step; the shop keeper hands over a redemption by typing its code; the town's
organiser drills from the town into a village. No outside request, no CSP or script error."""

import io
from datetime import timedelta

import httpx
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from app.china_time import to_china, utcnow
from tests.helpers.browser import api_login, signed_in
from tests.helpers.browser import villager as phone_of


def test_a_month_of_a_village_secretary(served: tuple[str, str], browser: Browser) -> None:
    base, _ = served
    problems: list[str] = []
    page = signed_in(browser, base, "village1_admin", problems)

    # A Party day from the calendar: the day's ＋, the form, the event's page.
    page.click("nav >> text=三会一课")
    expect(page.locator("table.calendar")).to_be_visible()
    page.click("text=新建活动")
    later = (to_china(utcnow()) + timedelta(days=3)).date()
    page.fill("input[name=day]", later.isoformat())
    page.select_option("select[name=kind]", "party_day")
    page.fill("input[name=title]", "浏览器里建的主题党日")
    page.fill("input[name=venue_name]", "党群服务中心")
    page.fill("input[name=lat]", "40.9312")
    page.fill("input[name=lng]", "117.9632")
    page.fill("textarea[name=agenda]", "重温入党誓词\n清理河道")
    page.click("button:has-text('建好活动')")
    expect(page.locator("h1")).to_contain_text("浏览器里建的主题党日")
    expect(page.locator("main")).to_contain_text("重温入党誓词")
    expect(page.locator("#board")).to_contain_text("应到")
    poster_link = page.get_attribute("a:has-text('打印 A4 海报')", "href")
    poster = page.request.get(base + str(poster_link))
    assert poster.status == 200 and poster.body().startswith(b"%PDF")
    page.goto(f"{base}/console/events?month={later:%Y-%m}")
    expect(page.locator("table.calendar")).to_contain_text("主题党日")

    # A paper from the papers page, read back.
    page.click("nav >> text=报表")
    with page.expect_download() as waiting:
        page.locator("tr", has_text="三会一课落实情况统计表").locator("a").click()
    download = waiting.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    with open(download.path(), "rb") as saved:
        book = load_workbook(io.BytesIO(saved.read()))
    assert "三会一课" in str(book.worksheets[0]["A1"].value)

    # An applicant moved one step.
    api = api_login(base, "village1_admin")
    people = httpx.get(f"{base}/api/v1/admin/people?q=13800000008", headers=api).json()
    branches = httpx.get(f"{base}/api/v1/admin/branches", headers=api).json()["items"]
    applied = (to_china(utcnow()) - timedelta(days=10)).date().isoformat()
    case = httpx.post(
        f"{base}/api/v1/admin/development/cases",
        json={
            "person_id": people["items"][0]["id"],
            "branch_id": branches[0]["id"],
            "applied_at": applied,
        },
        headers=api,
    )
    assert case.status_code == 201, case.text
    page.click("nav >> text=发展党员")
    page.click(f"text={people['items'][0]['name']}")
    expect(page.locator("main")).to_contain_text("党组织派人谈话")
    page.fill("input[name=done_at]", applied)
    page.click("button:has-text('记录这一步')")
    expect(page.locator(".flash.ok")).to_contain_text("已记录“党组织派人谈话”")
    assert problems == [], problems


def test_the_counter_hands_over_a_typed_code(served: tuple[str, str], browser: Browser) -> None:
    base, _ = served
    villager = phone_of(base, "13800000005")
    shelf = httpx.get(f"{base}/api/v1/shop/goods", headers=villager).json()["items"]
    towel = next(g for g in shelf if g["name"] == "毛巾")
    made = httpx.post(
        f"{base}/api/v1/shop/redemptions",
        json={"goods_id": towel["id"], "quantity": 1},
        headers=villager,
    )
    assert made.status_code == 201, made.text
    code = made.json()["code"]
    problems: list[str] = []
    page = signed_in(browser, base, "village1_shop", problems)
    expect(page).to_have_url(f"{base}/console/counter")
    expect(page.locator("nav a")).to_have_count(1)  # the keeper's console is the counter
    page.fill("#code", code.lower())
    page.click("button:has-text('查找')")
    expect(page.locator("#found")).to_contain_text("毛巾")
    expect(page.locator("#found")).to_contain_text("陈建国")
    page.click("button:has-text('确认领取')")
    expect(page.locator(".flash.ok")).to_contain_text(f"兑换码 {code} 已领取")
    mine = httpx.get(f"{base}/api/v1/me/redemptions", headers=villager).json()["items"]
    assert next(r for r in mine if r["code"] == code)["status"] == "fulfilled"
    assert problems == [], problems


def test_the_town_drills_into_a_village(served: tuple[str, str], browser: Browser) -> None:
    base, _ = served
    problems: list[str] = []
    page = signed_in(browser, base, "town_admin", problems)
    page.click("nav >> text=全镇")
    expect(page.locator("#chart-heat[data-drawn]")).to_be_visible()
    page.click("table.town >> text=前进村")
    expect(page.locator("h1")).to_contain_text("前进村 · 工作台")
    expect(page.locator("table.matrix")).to_contain_text("前进村党支部")
    expect(page.locator("table.matrix")).not_to_contain_text("二十四份村党支部")
    assert problems == [], problems
