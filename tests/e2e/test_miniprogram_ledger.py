"""The phone's verification (miniprogram_contract/lib/ledger.js, run by Node) of proofs the
server made: an entry in the town's signed head holds, the same entry with its points changed
does not, and the consistency of two signed heads holds."""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.helpers.events import auth, member
from tests.helpers.factories import Login, World
from tests.helpers.points import make_rule
from tests.helpers.served import ROOT

NODE = shutil.which("node")


def _phone(tmp_path: Path, given: dict[str, Any]) -> dict[str, bool]:
    assert NODE is not None, "Node.js is needed (installed by .ci/run)"
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(given, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        [NODE, "miniprogram_contract/test/verify-proof.js", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


async def test_the_phone_verifies_the_servers_proofs(
    client: httpx.AsyncClient, world: World, login: Login, tmp_path: Path
) -> None:
    await make_rule(client, world, code="study", title="学习党章", ledger="member", points=3)
    alice = await member(client, world, login, "党员甲")
    sign = {"json": {"town_id": world.ids["town_a"]}, "headers": world.auth("town_a_admin")}
    ids = []
    for _ in range(3):
        r = await client.post(
            "/api/v1/admin/points/entries",
            json={"rule_code": "study", "account_owner": {"person_id": alice["person_id"]}},
            headers=world.auth("v1_admin"),
        )
        ids.append(r.json()["id"])
    first = (await client.post("/api/v1/admin/points/roots", **sign)).json()  # type: ignore[arg-type]
    await client.post(
        "/api/v1/admin/points/entries",
        json={"rule_code": "study", "account_owner": {"person_id": alice["person_id"]}},
        headers=world.auth("v1_admin"),
    )
    second = (await client.post("/api/v1/admin/points/roots", **sign)).json()  # type: ignore[arg-type]
    keys = (await client.get("/.well-known/xiangzhi/ledger-keys")).json()["keys"]
    [key] = [k["public_key"] for k in keys if k["town_id"] == world.ids["town_a"]]
    proof = (await client.get(f"/api/v1/points/entries/{ids[1]}/proof", headers=auth(alice))).json()
    consistency = (
        await client.get(
            "/api/v1/points/roots/consistency",
            params={
                "town_id": world.ids["town_a"],
                "from_size": first["tree_size"],
                "to_size": second["tree_size"],
            },
        )
    ).json()
    given = {
        "entry": proof["entry"],
        "proof": proof,
        "head": proof["head"],
        "publicKey": key,
        "fromHead": first,
        "toHead": second,
        "consistency": consistency,
    }
    assert _phone(tmp_path, given) == {"entry": True, "consistency": True}
    changed = {**given, "entry": {**proof["entry"], "points": proof["entry"]["points"] + 100}}
    assert _phone(tmp_path, changed)["entry"] is False
    swapped = {**given, "fromHead": second, "toHead": first}
    assert _phone(tmp_path, swapped)["consistency"] is False
