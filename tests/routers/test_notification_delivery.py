"""WeChat subscribe messages against the fake WeChat server on loopback: what is sent, to whom,
how often; quota from the phone and from WeChat's pushes; quiet hours; never twice."""

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col, select

from app.china_time import CHINA, to_china, utcnow
from app.config import SubscribeTemplate
from app.models.auth import UserAccount
from app.models.notifications import Notification, NotificationKind, WechatState
from app.services import notifications
from app.services.kit import WechatGateway, create_wechat_http
from tests.conftest import make_settings
from tests.helpers.factories import World
from tests.helpers.fake_wechat import APPID, SECRET, FakeWechat

TEMPLATES = {
    "notice": SubscribeTemplate(
        template_id="TPL-NOTICE",
        title="通知公告",
        fields={"thing1": "title", "thing2": "body", "time3": "time"},
    ),
    "leave_decided": SubscribeTemplate(
        template_id="TPL-LEAVE",
        title="请假审批结果",
        fields={"thing1": "name", "phrase2": "status"},
    ),
    "event_reminder": SubscribeTemplate(
        template_id="TPL-EVENT", title="活动提醒", long_term=True, fields={"thing1": "name"}
    ),
}
DAYTIME = datetime(2026, 11, 30, 10, 0, tzinfo=CHINA)
PUSH_TOKEN = "push-token"


@pytest.fixture(autouse=True)
def configured(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.state.settings, "wechat_templates", TEMPLATES)
    monkeypatch.setattr(app.state.settings, "wechat_push_token", PUSH_TOKEN)


@pytest.fixture
async def gateway(app: FastAPI, fake_wechat: FakeWechat) -> AsyncIterator[WechatGateway]:
    fake_wechat.send_script.clear()
    live = make_settings(
        wechat_mode="live",
        wechat_appid=APPID,
        wechat_secret=SECRET,
        wechat_api_base=fake_wechat.base_url,
        wechat_timeout_seconds=1.0,
    )
    http = create_wechat_http(live)
    yield WechatGateway(settings=live, cache=app.state.cache, http=http)
    await http.aclose()


async def _deliver(app: FastAPI, gateway: WechatGateway, now: datetime | None = None) -> int:
    """One run of the delivery job; by default now, or this morning's 07:00 when now is in the
    quiet hours (where CI's clock happens to be)."""
    outbox = notifications.Outbox(wechat=gateway, templates=TEMPLATES, state="trial")
    moment = now or notifications.inbox.after_quiet(utcnow())
    return await notifications.deliver_due(app.state.sessionmaker, outbox, now=moment)


async def _bind(app: FastAPI, world: World, *names: str) -> dict[str, str]:
    """Gives these people a WeChat openid, as a login would."""
    openids = {}
    async with app.state.sessionmaker() as session, session.begin():
        for name in names:
            openid = f"openid-{name}"
            await session.execute(
                update(UserAccount)
                .where(col(UserAccount.person_id) == world.ids[name])
                .values(openid=openid)
            )
            openids[name] = openid
    return openids


async def _grant(client: httpx.AsyncClient, world: World, who: str, **results: str) -> Any:
    r = await client.post(
        "/api/v1/me/notification-grants",
        json={"results": {TEMPLATES[kind].template_id: v for kind, v in results.items()}},
        headers=world.auth(who),
    )
    assert r.status_code == 200, r.text
    return {q["kind"]: q for q in r.json()["items"]}


async def _notice(client: httpx.AsyncClient, world: World, title: str = "明早停水") -> Any:
    r = await client.post(
        "/api/v1/admin/notices",
        json={"title": title, "body": "明早 8 点至 12 点停水检修，请提前储水。"},
        headers=world.auth("v1_admin"),
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _rows(app: FastAPI, world: World, who: str) -> list[Notification]:
    async with app.state.sessionmaker() as session:
        found = await session.exec(
            select(Notification)
            .where(col(Notification.person_id) == world.ids[who])
            .order_by(col(Notification.id))
        )
        return list(found.all())


def _sends(fake: FakeWechat) -> list[dict[str, Any]]:
    return [body for path, body in fake.calls if path == "/cgi-bin/message/subscribe/send"]


async def test_a_message_with_quota_carries_template_page_and_fields(
    app: FastAPI,
    client: httpx.AsyncClient,
    world: World,
    gateway: WechatGateway,
    fake_wechat: FakeWechat,
) -> None:
    openids = await _bind(app, world, "v1_villager", "v1_admin")
    quota = await _grant(client, world, "v1_villager", notice="accept")
    assert quota["notice"]["remaining"] == 1
    notice = await _notice(
        client, world, title="关于冬季防火和燃气安全检查的重要通知（请全体村民务必阅读）"
    )
    assert await _deliver(app, gateway) >= 1
    [send] = _sends(fake_wechat)
    assert send["touser"] == openids["v1_villager"] and send["template_id"] == "TPL-NOTICE"
    assert send["page"] == f"pages/notice/detail?id={notice['id']}"
    assert send["miniprogram_state"] == "trial"
    thing = send["data"]["thing1"]["value"]
    assert len(thing) == 20 and thing.endswith("…")  # WeChat's limit for a thing field
    assert send["data"]["time3"]["value"].count(":") == 1
    [row] = await _rows(app, world, "v1_villager")
    assert row.wechat is WechatState.sent and row.msgid
    # The admin was bound but granted nothing: inbox only; people never bound: skipped.
    [admin_row] = await _rows(app, world, "v1_admin")
    assert admin_row.wechat is WechatState.no_quota
    quota = await _grant(client, world, "v1_villager")
    assert quota["notice"]["remaining"] == 0  # the one grant was used
    read = await client.get(f"/api/v1/admin/notices/{notice['id']}", headers=world.auth("v1_admin"))
    reach = read.json()["reach"]
    assert (reach["sent"], reach["no_quota"]) == (1, 1) and reach["inbox"] == notice["recipients"]
    assert reach["skipped"] == reach["inbox"] - 2
    assert await _deliver(app, gateway) == 0 and len(_sends(fake_wechat)) == 1


async def test_refusals_retries_and_a_stale_token(
    app: FastAPI,
    client: httpx.AsyncClient,
    world: World,
    gateway: WechatGateway,
    fake_wechat: FakeWechat,
) -> None:
    openids = await _bind(app, world, "v1_villager", "v1_admin", "b1_admin", "g1_worker")
    for who in openids:
        await _grant(client, world, who, notice="accept")
    fake_wechat.send_script = {
        openids["v1_villager"]: [43101],  # no subscription left after all
        openids["v1_admin"]: [47003],  # bad template data: failed, not retried
        openids["b1_admin"]: [-1, -1],  # busy twice, then sent
        openids["g1_worker"]: [-1, -1, -1],  # busy three times: failed
    }
    await _notice(client, world)
    await _deliver(app, gateway)
    state = {who: (await _rows(app, world, who))[0] for who in openids}
    assert state["v1_villager"].wechat is WechatState.no_quota
    assert state["v1_admin"].wechat is WechatState.failed
    assert state["v1_admin"].wechat_detail and "47003" in state["v1_admin"].wechat_detail
    assert state["b1_admin"].wechat is WechatState.sent
    assert state["g1_worker"].wechat is WechatState.failed
    tries = [s["touser"] for s in _sends(fake_wechat)]
    assert tries.count(openids["v1_admin"]) == 1 and tries.count(openids["v1_villager"]) == 1
    assert tries.count(openids["b1_admin"]) == 3 and tries.count(openids["g1_worker"]) == 3
    quota = await _grant(client, world, "v1_villager")
    assert quota["notice"]["remaining"] == 0  # WeChat said none left: so do we

    # A stale access token: refreshed once, then the message goes.
    await _grant(client, world, "v1_villager", notice="accept")
    fake_wechat.stale_tokens.add(str(await gateway.access_token()))
    issued = fake_wechat.tokens_issued
    await _notice(client, world, title="第二条通知")
    await _deliver(app, gateway)
    assert (await _rows(app, world, "v1_villager"))[-1].wechat is WechatState.sent
    assert fake_wechat.tokens_issued == issued + 1


async def test_quiet_hours_hold_until_seven(
    app: FastAPI,
    client: httpx.AsyncClient,
    world: World,
    gateway: WechatGateway,
    fake_wechat: FakeWechat,
) -> None:
    await _bind(app, world, "v1_villager")
    await _grant(client, world, "v1_villager", notice="accept")
    await _notice(client, world)
    day = to_china(notifications.inbox.after_quiet(utcnow())).date()
    night = datetime.combine(day, time(23, 30), tzinfo=CHINA)
    assert await _deliver(app, gateway, now=night) == 0
    assert await _deliver(app, gateway, now=night + timedelta(hours=7)) == 0  # 06:30
    assert _sends(fake_wechat) == []
    assert (await _rows(app, world, "v1_villager"))[0].wechat is WechatState.pending
    await _deliver(app, gateway, now=night + timedelta(hours=7, minutes=31))  # 07:01
    assert len(_sends(fake_wechat)) == 1


async def test_held_in_the_evening_a_row_waits_for_morning(app: FastAPI, world: World) -> None:
    late = datetime(2026, 11, 30, 22, 15, tzinfo=CHINA)
    early = datetime(2026, 12, 1, 6, 59, tzinfo=CHINA)
    assert notifications.inbox.after_quiet(late) == datetime(2026, 12, 1, 7, 0, tzinfo=CHINA)
    assert notifications.inbox.after_quiet(early) == datetime(2026, 12, 1, 7, 0, tzinfo=CHINA)
    assert notifications.inbox.after_quiet(DAYTIME) == DAYTIME


async def test_never_twice_even_with_two_workers_and_two_triggers(
    app: FastAPI,
    client: httpx.AsyncClient,
    world: World,
    gateway: WechatGateway,
    fake_wechat: FakeWechat,
) -> None:
    await _bind(app, world, "v1_villager")
    await _grant(client, world, "v1_villager", event_reminder="accept")  # long-term
    async with app.state.sessionmaker() as session, session.begin():
        for occasion in ("eve", "hour", "eve"):  # the evening job ran twice, then the hour's
            await notifications.notify(
                session,
                people=[world.ids["v1_villager"]],
                kind=NotificationKind.event_reminder,
                target=("event", 7),
                occasion=occasion,
                title="明天主题党日",
                body="明天 9:00 开始",
                values={"name": "十二月主题党日"},
            )
    # Two workers deliver at the same moment.
    await asyncio.gather(_deliver(app, gateway), _deliver(app, gateway))
    rows = await _rows(app, world, "v1_villager")
    assert len(rows) == 2  # one inbox row per occasion
    assert sorted(r.wechat for r in rows) == [WechatState.sent, WechatState.skipped]
    assert len(_sends(fake_wechat)) == 1


def _signed(body: dict[str, Any], timestamp: str = "1764470000") -> dict[str, str]:
    nonce = "42"
    signature = hashlib.sha1("".join(sorted([PUSH_TOKEN, timestamp, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce}


async def _push(client: httpx.AsyncClient, data: dict[str, Any]) -> None:
    r = await client.post(
        "/api/v1/wechat/push", params=_signed(data), content=json.dumps(data).encode()
    )
    assert r.status_code == 200 and r.text == "success", r.text


async def test_pushed_choices_count_once_and_win_over_the_phone(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    openids = await _bind(app, world, "v1_villager")

    def popup(status: str, created: str) -> dict[str, Any]:
        return {
            "ToUserName": "gh_test",
            "FromUserName": openids["v1_villager"],
            "CreateTime": created,
            "MsgType": "event",
            "Event": "subscribe_msg_popup_event",
            "List": [
                {"TemplateId": "TPL-NOTICE", "SubscribeStatusString": status, "PopupScene": "0"}
            ],
        }

    # The phone and the push report the same tap: one message allowed, not two.
    await _grant(client, world, "v1_villager", notice="accept")
    await _push(client, popup("accept", "1"))
    await _push(client, popup("accept", "1"))  # WeChat's retry of the same push
    assert (await _grant(client, world, "v1_villager"))["notice"]["remaining"] == 1
    # A push first, then the phone's report of it.
    await _push(client, popup("accept", "2"))
    assert (await _grant(client, world, "v1_villager", notice="accept"))["notice"]["remaining"] == 2
    # They disagree: the phone says accept, WeChat says the user rejected. WeChat wins.
    await _grant(client, world, "v1_villager", notice="accept")
    await _push(client, popup("reject", "3"))
    assert (await _grant(client, world, "v1_villager"))["notice"]["remaining"] == 2
    # A push nobody on the phone reported still counts.
    await _push(client, popup("accept", "4"))
    assert (await _grant(client, world, "v1_villager"))["notice"]["remaining"] == 3
    # Later, in WeChat's settings, the user turns the messages off.
    change = {**popup("reject", "5"), "Event": "subscribe_msg_change_event"}
    await _push(client, change)
    assert (await _grant(client, world, "v1_villager"))["notice"]["remaining"] == 0
    # Long-term templates: accepted means unlimited until withdrawn.
    quota = await _grant(client, world, "v1_villager", event_reminder="accept")
    assert quota["event_reminder"]["long_term"] is True


async def test_a_sent_event_that_failed_marks_the_row(
    app: FastAPI, client: httpx.AsyncClient, world: World, gateway: WechatGateway
) -> None:
    openids = await _bind(app, world, "v1_villager")
    await _grant(client, world, "v1_villager", notice="accept")
    await _notice(client, world)
    await _deliver(app, gateway)
    [row] = await _rows(app, world, "v1_villager")
    assert row.wechat is WechatState.sent
    await _push(
        client,
        {
            "FromUserName": openids["v1_villager"],
            "CreateTime": "9",
            "Event": "subscribe_msg_sent_event",
            "List": {
                "TemplateId": "TPL-NOTICE",
                "MsgID": row.msgid,
                "ErrorCode": 20001,
                "ErrorStatus": "system fail",
            },
        },
    )
    [row] = await _rows(app, world, "v1_villager")
    assert row.wechat is WechatState.failed and "system fail" in (row.wechat_detail or "")


async def test_preferences_turn_wechat_off_but_keep_the_inbox(
    app: FastAPI,
    client: httpx.AsyncClient,
    world: World,
    gateway: WechatGateway,
    fake_wechat: FakeWechat,
) -> None:
    await _bind(app, world, "v1_villager")
    await _grant(client, world, "v1_villager", notice="accept")
    changed = await client.patch(
        "/api/v1/me/notification-settings",
        json={"notice": False},
        headers=world.auth("v1_villager"),
    )
    assert changed.status_code == 200 and changed.json()["notice"] is False
    assert changed.json()["leave_decided"] is True
    await _notice(client, world)
    await _deliver(app, gateway)
    [row] = await _rows(app, world, "v1_villager")
    assert row.wechat is WechatState.skipped and _sends(fake_wechat) == []
    assert (await _grant(client, world, "v1_villager"))["notice"]["remaining"] == 1  # kept
    bad = await client.patch(
        "/api/v1/me/notification-settings",
        json={"nonsense": True},
        headers=world.auth("v1_villager"),
    )
    assert bad.status_code == 422


async def test_mock_mode_records_instead_of_sending(
    app: FastAPI, client: httpx.AsyncClient, world: World, fake_wechat: FakeWechat
) -> None:
    await _bind(app, world, "v1_villager")
    await _grant(client, world, "v1_villager", notice="accept")
    await _notice(client, world)
    await _deliver(app, app.state.wechat)  # the test app runs in mock mode
    [row] = await _rows(app, world, "v1_villager")
    assert row.wechat is WechatState.sent and (row.msgid or "").startswith("mock-")
    assert _sends(fake_wechat) == []
    templates = await client.get(
        "/api/v1/notification-templates", headers=world.auth("v1_villager")
    )
    assert {t["kind"]: t["template_id"] for t in templates.json()["items"]} == {
        "event_reminder": "TPL-EVENT",
        "leave_decided": "TPL-LEAVE",
        "notice": "TPL-NOTICE",
    }
