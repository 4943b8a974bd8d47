"""The restore drill: the town's database is lost and brought back to a moment from its backups.

Its own PostgreSQL cluster archives every WAL segment with pgBackRest, configured as deploy/
does, into an S3-compatible store over TLS (MinIO in deploy/, here moto's server behind
stunnel). Phones write points and redemptions under load; a full backup is taken while they go
on; at a moment T the writes pause, then more follow; the cluster is "lost" (stopped hard, its
folder emptied) and restored to T from the backup and the archive. Afterwards
every write acknowledged before T is there and none after it, every chain and every signed root
verifies, balances equal their entries, and the service serves again. The restore's duration is
reported (printed, and kept as a test property). `xiangzhi backup-check` names the backup and,
once the store is gone, the failing archive."""

import asyncio
import contextlib
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import boto3
import httpx
import pytest
from botocore.exceptions import BotoCoreError, ClientError

from tests.faults.cluster import Postgres, Service, make_root, ran_already
from tests.helpers.net import free_port

pytestmark = ran_already

STANZA = "xiangzhi"
DEPLOYED = Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "pgbackrest.conf"
RULE = "drill_award"


class BackupStore:
    """The S3-compatible store the repository lives in, as deploy/ keeps it in MinIO: moto's
    server behind stunnel, because pgBackRest speaks to S3 only over TLS and moto's own TLS
    ends connections without a close_notify, which OpenSSL 3 refuses."""

    BUCKET = "xiangzhi-pgbackrest"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.cert = root / "s3.crt"
        self.processes: list[subprocess.Popen[bytes]] = []

    def _spawn(self, *command: str) -> None:
        with (self.root / "s3.log").open("ab") as log:
            self.processes.append(subprocess.Popen(command, stdout=log, stderr=log))

    def start(self) -> None:
        inner = free_port()
        self._spawn(
            str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(inner)
        )
        cert, key = self.root / "s3.crt", self.root / "s3.key"
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
        )
        tunnel = self.root / "stunnel.conf"
        tunnel.write_text(
            f"foreground = yes\npid =\n[s3]\naccept = 127.0.0.1:{self.port}\n"
            f"connect = 127.0.0.1:{inner}\ncert = {cert}\nkey = {key}\n",
            encoding="utf-8",
        )
        self._spawn("stunnel", str(tunnel))
        s3 = boto3.client(
            "s3",
            endpoint_url=f"https://127.0.0.1:{self.port}",
            region_name="us-east-1",
            aws_access_key_id="drill",
            aws_secret_access_key="drill-secret",
            verify=False,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                s3.create_bucket(Bucket=self.BUCKET)
                return
            except (BotoCoreError, ClientError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        for process in self.processes:
            process.kill()
            process.wait()
        self.processes.clear()


def _pgbackrest_config(root: Path, pg: Postgres, store: BackupStore) -> Path:
    """deploy/'s own pgBackRest configuration (S3 over TLS, the certificate checked, bundles,
    compression), with only what differs on this host replaced: where the store, the cluster
    and the logs are, the keys, a shorter retry."""
    logs = root / "pgbackrest-log"
    logs.mkdir()
    if pg.as_owner:
        shutil.chown(logs, "postgres")
    here = {
        "repo1-s3-endpoint": "127.0.0.1",
        "repo1-storage-port": str(store.port),
        "repo1-storage-ca-file": str(store.cert),
        "repo1-retention-full": "2",
        "log-path": str(logs),
        "log-level-console": "warn",
        "pg1-path": str(pg.data),
        "pg1-port": str(pg.port),
        "pg1-socket-path": str(pg.data),
        "pg1-user": "postgres",
        "pg1-database": "postgres",
    }
    lines = []
    for line in DEPLOYED.read_text("utf-8").splitlines():
        key = line.split("=", 1)[0]
        lines.append(f"{key}={here.pop(key)}" if key in here else line)
        if line == "[global]":
            # The keys come from the environment in compose; pgBackRest gives up on an
            # unreachable store after a few io-timeouts, and the drill waits for that.
            lines += ["repo1-s3-key=drill", "repo1-s3-key-secret=drill-secret"]
            lines += [f"lock-path={logs}", "io-timeout=2"]
    assert lines[-1] != "" and any(line == f"[{STANZA}]" for line in lines)
    lines += [f"{key}={value}" for key, value in here.items()]  # the stanza's section is last
    config = root / "pgbackrest.conf"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config.chmod(0o644)
    return config


def _backrest(pg: Postgres, config: Path, *args: str) -> str:
    try:
        done = pg.run_as_owner("pgbackrest", f"--config={config}", f"--stanza={STANZA}", *args)
    except subprocess.CalledProcessError as failed:
        said = (failed.stdout or b"").decode() + (failed.stderr or b"").decode()
        raise AssertionError(f"pgbackrest {' '.join(args)}: {said}") from failed
    return done.stdout.decode()


class Phones:
    """The village admin awarding points and villagers redeeming, each write acknowledged or not;
    what was acknowledged is kept by phase."""

    def __init__(self, base: str, admin: str, villagers: list[str], goods_id: int) -> None:
        self.base, self.admin, self.villagers, self.goods_id = base, admin, villagers, goods_id
        self.entries: dict[str, set[int]] = {}
        self.redemptions: dict[str, set[int]] = {}

    def _award(self, household_id: int) -> int | None:
        r = httpx.post(
            f"{self.base}/api/v1/admin/points/entries",
            json={"rule_code": RULE, "account_owner": {"household_id": household_id}},
            headers={"Authorization": f"Bearer {self.admin}"},
            timeout=30,
        )
        return int(r.json()["id"]) if r.status_code == 201 else None

    def _redeem(self, token: str) -> int | None:
        r = httpx.post(
            f"{self.base}/api/v1/shop/redemptions",
            json={"goods_id": self.goods_id, "quantity": 1},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        return int(r.json()["id"]) if r.status_code == 201 else None

    def write(self, phase: str, households: list[int], rounds: int) -> None:
        """``rounds`` of an award to every household and a redemption by every villager, eight
        phones at a time."""
        jobs: list[tuple[str, Callable[[], int | None]]] = []
        for _ in range(rounds):
            jobs += [("entry", lambda h=h: self._award(h)) for h in households]
            jobs += [("redemption", lambda t=t: self._redeem(t)) for t in self.villagers]
        with ThreadPoolExecutor(max_workers=8) as pool:
            done = list(pool.map(lambda job: (job[0], job[1]()), jobs))
        self.entries[phase] = {i for kind, i in done if kind == "entry" and i is not None}
        self.redemptions[phase] = {i for kind, i in done if kind == "redemption" and i is not None}
        assert self.entries[phase] and self.redemptions[phase], phase


def _town(service: Service) -> tuple[Phones, list[int], str]:
    base = service.base

    def token(username: str) -> str:
        r = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": username, "password": "xiangzhi-demo"}
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    admin = token("village1_admin")
    auth = {"Authorization": f"Bearer {admin}"}
    people = httpx.get(f"{base}/api/v1/admin/people", params={"limit": 100}, headers=auth).json()
    village_id = people["items"][0]["village_id"]
    homes: dict[int, str] = {}
    for person in people["items"]:
        if person["household_id"] and person["phone"] and person["village_id"] == village_id:
            homes.setdefault(person["household_id"], person["phone"])
    for path, body in (
        (
            "/api/v1/admin/scoring-rules",
            {
                "code": RULE,
                "title": "演练奖励",
                "ledger": "household",
                "points": 50,
                "unit": "once",
                "village_id": village_id,
            },
        ),
        (
            "/api/v1/admin/shop/goods",
            {"village_id": village_id, "name": "演练香皂", "points": 5, "stock": 10_000},
        ),
    ):
        made = httpx.post(f"{base}{path}", json=body, headers=auth)
        assert made.status_code == 201, made.text
    goods_id = int(made.json()["id"])
    version = httpx.get(f"{base}/api/v1/privacy").json()["version"]
    villagers = []
    for n, phone in enumerate(list(homes.values())[:4]):
        login = httpx.post(f"{base}/api/v1/auth/wechat-login", json={"code": f"drill-{n}"})
        phone_auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        httpx.post(
            f"{base}/api/v1/me/privacy-consent", json={"version": version}, headers=phone_auth
        )
        bound = httpx.post(
            f"{base}/api/v1/auth/bind-phone", json={"code": phone}, headers=phone_auth
        )
        assert bound.status_code == 200, bound.text
        villagers.append(str(login.json()["access_token"]))
    return Phones(base, admin, villagers, goods_id), sorted(homes), token("town_admin")


async def _one(url: str, query: str, *args: Any) -> Any:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


def test_a_lost_cluster_restored_to_a_moment(record_property: Callable[[str, Any], None]) -> None:
    root = make_root()
    pg = Postgres(root)
    store = BackupStore(root)
    store.start()
    config = _pgbackrest_config(root, pg, store)
    archive = f"pgbackrest --config={config} --stanza={STANZA} archive-push %p"
    archiving = ("wal_level=replica", "archive_mode=on", f"archive_command='{archive}'")
    pg.start(*archiving)
    service = Service(
        root,
        {
            "PATH": "/usr/bin:/bin",
            "XZ_DATABASE_URL": pg.url,
            "XZ_MEDIA_DIR": str(root / "media"),
        },
    )
    try:
        _backrest(pg, config, "stanza-create")
        service.cli("migrate")
        service.cli("seed-demo")
        service.start()
        service.ready_within(60)
        phones, households, town_admin = _town(service)

        phones.write("before the backup", households, rounds=3)
        _backrest(pg, config, "--type=full", "backup")
        phones.write("during the day", households, rounds=3)
        info = root / "pgbackrest-info.json"
        info.write_text(_backrest(pg, config, "info", "--output=json"), encoding="utf-8")
        [label] = [b["label"] for b in json.loads(info.read_text("utf-8"))[0]["backup"]]
        checked = service.cli("backup-check", "--pgbackrest-info", str(info))
        assert f"✓ 最近一次基础备份：{label}（全量）" in checked, checked
        assert "✓ 最早可恢复到：" in checked and "✓ WAL 归档：最近归档 0000" in checked, checked
        signed = httpx.post(
            f"{service.base}/api/v1/admin/points/roots",
            json={"town_id": 1},
            headers={"Authorization": f"Bearer {town_admin}"},
        )
        assert signed.status_code == 200, signed.text
        # T: after every write above was answered, before any below is sent.
        [moment] = asyncio.run(_one(pg.url, "SELECT clock_timestamp() AS t"))
        target = moment["t"]
        time.sleep(1.5)
        phones.write("after T", households, rounds=2)
        _backrest(pg, config, "check")  # switches the WAL and waits until it is archived

        # The cluster is lost.
        service.stop()
        pg.stop("immediate")
        shutil.rmtree(pg.data)
        pg.data.mkdir()
        if pg.as_owner:
            shutil.chown(pg.data, "postgres")

        started = time.monotonic()
        _backrest(
            pg,
            config,
            "--type=time",
            f"--target={target.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]}+00",
            "--target-action=promote",
            "restore",
        )
        # This cluster keeps its socket in its data folder, so the backup carried the lost
        # server's socket lock; a new process with that old pid would make it look alive.
        for lock in pg.data.glob(".s.PGSQL.*"):
            lock.unlink()
        pg.start(*archiving)
        asyncio.run(_wait_promoted(pg.url))
        took = time.monotonic() - started
        print(f"\nrestore drill: restored to {target.isoformat()} in {took:.1f} s")
        record_property("restore_seconds", round(took, 1))

        before = phones.entries["before the backup"] | phones.entries["during the day"]
        after = phones.entries["after T"]
        found = {r["id"] for r in asyncio.run(_one(pg.url, "SELECT id FROM ledger_entries"))}
        assert before <= found, sorted(before - found)[:10]
        assert not after & found, sorted(after & found)[:10]
        kept = phones.redemptions["before the backup"] | phones.redemptions["during the day"]
        lost = phones.redemptions["after T"]
        redeemed = {r["id"] for r in asyncio.run(_one(pg.url, "SELECT id FROM shop_redemptions"))}
        assert kept <= redeemed and not lost & redeemed
        wrong = asyncio.run(
            _one(
                pg.url,
                "SELECT a.id FROM points_accounts a LEFT JOIN ledger_entries e "
                "ON e.account_id = a.id AND e.seq IS NOT NULL GROUP BY a.id "
                "HAVING a.balance <> COALESCE(SUM(e.points), 0) OR a.entry_count <> COUNT(e.id)",
            )
        )
        assert wrong == [], wrong

        service.start()
        service.ready_within(60)
        verified = service.cli("verify-ledger", "--town", "1")
        assert "全部相符" in verified, verified
        again = httpx.post(
            f"{service.base}/api/v1/admin/points/entries",
            json={"rule_code": RULE, "account_owner": {"household_id": households[0]}},
            headers={"Authorization": f"Bearer {phones.admin}"},
        )
        assert again.status_code == 201, again.text
        ready = httpx.get(f"{service.base}/readyz").json()
        assert ready["warnings"] == [], ready

        # The archive stops working: /readyz says so, and stays ready.
        store.stop()  # the backup store is gone: archive-push cannot write
        asyncio.run(_break_archiving(pg.url))
        ready = httpx.get(f"{service.base}/readyz")
        assert ready.status_code == 200
        assert [w["check"] for w in ready.json()["warnings"]] == ["wal_archive"], ready.text
        failing = service.cli("backup-check", "--pgbackrest-info", str(info), expect=1)
        assert "✗ WAL 归档失败" in failing, failing
    finally:
        service.stop()
        with contextlib.suppress(Exception):  # already down: it failed while lost
            pg.stop("immediate")
        store.stop()
        shutil.rmtree(root, ignore_errors=True)


async def _break_archiving(url: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute("CREATE TABLE drill_noise AS SELECT 1 AS n")
        await conn.execute("SELECT pg_switch_wal()")
        # pgBackRest retries an unreachable store for a few io-timeouts before it gives up.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            failed = await conn.fetchval(
                "SELECT last_failed_time > coalesce(last_archived_time, '-infinity') "
                "FROM pg_stat_archiver"
            )
            if failed:
                return
            await asyncio.sleep(0.2)
        pytest.fail("archiving never failed")
    finally:
        await conn.close()


async def _wait_promoted(url: str) -> None:
    """Recovery replays the archive, then promotes: until then the server is read-only."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            [row] = await _one(url, "SELECT pg_is_in_recovery() AS r")
            if not row["r"]:
                return
        except (OSError, asyncpg.PostgresError):
            pass
        await asyncio.sleep(0.2)
    pytest.fail("the restored cluster did not finish recovery in 120 s")
