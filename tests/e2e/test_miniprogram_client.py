"""The mini-program's JavaScript client (miniprogram_contract/) against the demo service run as
`make run` runs it: node's own test runner drives it through a `wx` made of fetch."""

import os
import shutil
import subprocess
from pathlib import Path

import httpx

from tests.helpers.media import photo
from tests.helpers.served import ROOT

NODE = shutil.which("node")


def test_the_client_against_the_demo_service(
    served: tuple[str, str],
    tmp_path: Path,
) -> None:
    base, _ = served
    admin = httpx.post(
        f"{base}/api/v1/auth/token",
        data={"username": "village1_admin", "password": "xiangzhi-demo"},
        timeout=30,  # a 2-core CI machine may be busy with the other suite's processes
    ).json()
    people = httpx.get(
        f"{base}/api/v1/admin/people",
        params={"limit": 100},
        headers={"Authorization": f"Bearer {admin['access_token']}"},
        timeout=30,
    ).json()["items"]
    phone = next(p["phone"] for p in people if p["is_party_member"] and p["household_id"])
    jpeg = tmp_path / "wx.jpg"
    jpeg.write_bytes(photo(seed=9))
    assert NODE is not None, "Node.js is needed (installed by .ci/run)"
    done = subprocess.run(
        [NODE, "--test", "miniprogram_contract/test/client.test.js"],
        cwd=ROOT,
        env={**os.environ, "XZ_BASE_URL": base, "XZ_PHONE": phone, "XZ_PHOTO": str(jpeg)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout and "# pass 7" in done.stdout
