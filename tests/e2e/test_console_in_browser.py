"""The console used as a village secretary uses it, in Debian's Chromium driven by Playwright,
on the demo town served by `xiangzhi serve` on the embedded default: sign in, clear a queue,
find a person by the last four digits of a phone, import a corrected roster, send a notice.
Nothing is fetched from another host, the page's CSP is never broken, no script fails, and
village 2's secretary opening village 1's pages finds nothing."""

import io
from urllib.parse import urlsplit

import httpx
from openpyxl import Workbook
from playwright.sync_api import Browser, Page, expect

from app.services.roster.import_rows import COLUMNS
from tests.helpers.browser import PASSWORD


def _roster(second_phone: object) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(COLUMNS)
    sheet.append(["孙一", 13700000001, "", "", "N01", "孙一", "户主", "", "否", "否", "男", ""])
    sheet.append(["孙二", second_phone, "", "", "N01", "孙一", "家人", "", "否", "否", "女", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class Watched:
    """A signed-in page, with every request that left for another host and every CSP or
    script error it met."""

    def __init__(self, browser: Browser, base: str) -> None:
        self.base, self.own = base, urlsplit(base).netloc
        self.outside: list[str] = []
        self.problems: list[str] = []
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        self.page: Page = context.new_page()
        self.page.on("request", self._request)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.on("response", self._response)

    def _request(self, request: object) -> None:
        url = getattr(request, "url", "")
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc != self.own:
            self.outside.append(url)

    def _response(self, response: object) -> None:
        if getattr(response, "status", 200) >= 400:
            self.problems.append(
                f"{getattr(response, 'status', '')} {getattr(response, 'url', '')}"
            )

    def _console(self, message: object) -> None:
        text = getattr(message, "text", "")
        # A failed load is reported with its address by _response.
        if "Failed to load resource" in text:
            return
        if "Content Security Policy" in text or getattr(message, "type", "") == "error":
            self.problems.append(text)

    def sign_in(self, username: str) -> None:
        page = self.page
        page.goto(f"{self.base}/console/")
        expect(page).to_have_url(f"{self.base}/console/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{self.base}/console/")

    def clean(self) -> None:
        assert self.outside == [], self.outside
        assert self.problems == [], self.problems


def _api(base: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_a_village_secretarys_morning(served: tuple[str, str], browser: Browser) -> None:
    base, _ = served
    api = _api(base, "village1_admin")
    pending_before = httpx.get(f"{base}/api/v1/admin/points/pending", headers=api).json()
    assert pending_before["items"], "the demo town has a point awaiting approval"
    me = Watched(browser, base)
    page = me.page
    me.sign_in("village1_admin")

    # 工作台: figures, both charts drawn, the queue's count one click from its list.
    expect(page.locator("#chart-attended[data-drawn]")).to_be_visible()
    expect(page.locator("#chart-points[data-drawn]")).to_be_visible()
    page.click("a.queue-tile[href='/console/queues/points']")
    expect(page.locator("h1")).to_have_text("待审核积分")

    # Approve the first pending point in its row, without leaving the page.
    first = page.locator("table.queue tbody tr").first
    entry_id = int(first.get_attribute("id").removeprefix("item-"))
    first.get_by_role("button", name="通过").click()
    expect(page.locator(f"#item-{entry_id}")).to_contain_text("已通过")
    pending = httpx.get(f"{base}/api/v1/admin/points/pending", headers=api).json()["items"]
    assert entry_id not in [e["id"] for e in pending]

    # 花名册: a person by the last four digits of their phone, then their page.
    page.click("nav >> text=花名册")
    page.fill("input[name=q]", "0005")
    expect(page.locator("#people-rows")).to_contain_text("陈建国")
    page.click("#people-rows >> text=陈建国")
    expect(page.locator("h1")).to_contain_text("陈建国")
    expect(page.locator("main")).to_contain_text("二十四份村党支部")
    person_path = urlsplit(page.url).path

    # Roster import: a file with a mistake, its report, the corrected file, applied.
    page.click("nav >> text=花名册")
    page.click("h1 >> text=导入花名册")
    page.set_input_files("input[type=file]", files=[_file("花名册.xlsx", _roster("1370"))])
    page.click("text=上传并检查")
    expect(page.locator("table.errors")).to_contain_text("手机号")
    page.click("text=改正后重新上传")
    page.set_input_files("input[type=file]", files=[_file("花名册.xlsx", _roster(13700000002))])
    page.click("text=上传并检查")
    expect(page.locator(".import-status")).to_contain_text("新建 2 人、1 户")
    page.click("text=确认导入")
    expect(page.locator(".import-status")).to_contain_text("已导入")
    found = httpx.get(f"{base}/api/v1/admin/people?q=孙二", headers=api).json()["items"]
    assert [p["name"] for p in found] == ["孙二"]

    # A notice: previewed, sent, and its reach shown.
    page.click("nav >> text=发通知")
    page.fill("input[name=title]", "秋收期间注意防火")
    page.fill("textarea[name=body]", "请各户清理房前屋后的柴草。")
    page.click("text=预览")
    expect(page.locator("#preview")).to_contain_text("秋收期间注意防火")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('发送')")
    expect(page.locator("main")).to_contain_text("送达情况")

    # The audit log holds what the morning did.
    page.click("nav >> text=日志")
    expect(page.locator("table.audit")).to_contain_text("notice.create")
    me.clean()

    # Village 2's secretary opens village 1's person: not found, and no name shown.
    other = Watched(browser, base)
    other.sign_in("village2_admin")
    other.page.goto(base + person_path)
    expect(other.page.locator("h1")).to_have_text("未找到")
    expect(other.page.locator("body")).not_to_contain_text("陈建国")
    other.page.goto(f"{base}/console/queues/points")
    expect(other.page.locator("main")).not_to_contain_text("二十四份村")


def test_the_town_organiser_sees_every_branch(served: tuple[str, str], browser: Browser) -> None:
    base, _ = served
    town = Watched(browser, base)
    town.sign_in("town_admin")
    matrix = town.page.locator("table.matrix")
    expect(matrix).to_contain_text("二十四份村党支部")
    expect(matrix).to_contain_text("前进村党支部")
    town.page.click("button:has-text('退出')")
    expect(town.page).to_have_url(f"{base}/console/login")
    town.page.goto(f"{base}/console/")
    expect(town.page).to_have_url(f"{base}/console/login")
    town.clean()


def _file(name: str, data: bytes) -> dict[str, object]:
    return {
        "name": name,
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "buffer": data,
    }
