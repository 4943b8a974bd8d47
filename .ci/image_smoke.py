"""Uses a running image as a phone and a village admin would: ready, log in, check a member in.

Usage: python .ci/image_smoke.py BASE_URL (the demo town must have been seeded).
"""

import sys
import time

import httpx


def main(base: str) -> None:
    for _ in range(150):
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    ready = httpx.get(f"{base}/readyz").json()
    assert ready["status"] == "ok", ready
    admin = httpx.post(
        f"{base}/api/v1/auth/token",
        data={"username": "village1_admin", "password": "xiangzhi-demo"},
    )
    assert admin.status_code == 200, admin.text
    auth = {"Authorization": f"Bearer {admin.json()['access_token']}"}
    people = httpx.get(f"{base}/api/v1/admin/people", params={"limit": 100}, headers=auth).json()
    phone = next(p["phone"] for p in people["items"] if p["household_id"] and p["is_party_member"])
    login = httpx.post(f"{base}/api/v1/auth/wechat-login", json={"code": "image-smoke"}).json()
    member = {"Authorization": f"Bearer {login['access_token']}"}
    # The notice ships inside the image (package data): the phone reads it and agrees first.
    notice = httpx.get(f"{base}/api/v1/privacy").json()
    assert "隐私保护指引" in notice["text"], notice
    agreed = httpx.post(
        f"{base}/api/v1/me/privacy-consent", json={"version": notice["version"]}, headers=member
    )
    assert agreed.status_code == 200, agreed.text
    bound = httpx.post(f"{base}/api/v1/auth/bind-phone", json={"code": phone}, headers=member)
    assert bound.status_code == 200, bound.text
    events = httpx.get(f"{base}/api/v1/events", headers=member).json()["items"]
    assert events, "the demo Party day is missing"
    event_id = events[0]["id"]
    qr = httpx.get(f"{base}/api/v1/events/{event_id}/qr", headers=auth).json()
    checkin = httpx.post(
        f"{base}/api/v1/events/{event_id}/checkins",
        json={"token": qr["token"], "lat": 40.9313, "lng": 117.9631, "accuracy": 20},
        headers={**member, "Idempotency-Key": "image-smoke-checkin"},
    )
    assert checkin.status_code == 201, checkin.text
    certificate = httpx.get(f"{base}/api/v1/me/volunteer/certificate", headers=member)
    assert certificate.status_code in (200, 404), certificate.text  # 503 would mean no font
    print(f"image answers: ready, admin login, member bound and checked in ({checkin.json()})")


if __name__ == "__main__":
    main(sys.argv[1])
