"""Shared by the benchmarks: a scratch PostgreSQL database, migrated, and the environment
that points the service at it."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")


def psql(sql: str, database: str = "postgres") -> None:
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{database}"
    subprocess.run(["psql", url, "-qc", sql], check=True, capture_output=True)


@contextmanager
def scratch_database(name: str) -> Iterator[dict[str, str]]:
    """Creates, migrates and finally drops ``name``; yields the service's environment."""
    psql(f"DROP DATABASE IF EXISTS {name}")
    psql(f"CREATE DATABASE {name}")
    dsn = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    env = {
        **os.environ,
        "XZ_DATABASE_URL": dsn.replace("postgresql://", "postgresql+asyncpg://"),
        "XZ_REDIS_URL": REDIS_URL,
        "XZ_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "BENCH_PG_DSN": dsn,
    }
    try:
        subprocess.run(
            [sys.executable, "-m", "app.cli", "migrate"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        yield env
    finally:
        psql(f"DROP DATABASE IF EXISTS {name}")


def record(name: str, line: str) -> None:
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    with (results / f"{name}.jsonl").open("a", encoding="utf-8") as f:
        f.write(line + "\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def server(args: list[str], env: dict[str, str], probe: str) -> Iterator[subprocess.Popen[bytes]]:
    """The service, up; its log goes to ``$BENCH_SERVER_LOG`` when that names a file (to see
    which groups a burst wrote one by one, say), else nowhere."""
    log_path = os.environ.get("BENCH_SERVER_LOG")
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=log, stderr=log)
    try:
        wait_until_up(probe)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if not isinstance(log, int):
            log.close()


@contextmanager
def profiled(pid: int) -> Iterator[None]:
    """With ``$BENCH_PROFILE`` naming a file, py-spy samples the server (and its workers) for
    as long as the block runs, into that file in py-spy's raw format, for
    ``python -m bench.profile_summary``. py-spy is not a dependency: install it to use this."""
    out = os.environ.get("BENCH_PROFILE")
    if not out:
        yield
        return
    spy = subprocess.Popen(
        [
            *("py-spy", "record", "--pid", str(pid), "--subprocesses", "--rate", "250"),
            *("--format", "raw", "--output", out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)  # py-spy attaches before the load begins
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes what it sampled when interrupted
        spy.wait(timeout=30)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(c) for c in task.read_text().split()]
    return found


def cpu_seconds(root: int | None = None, user: str | None = None) -> float:
    """CPU time (user + system) used so far by a process and its children (a server and its
    workers), or by every process of a user (PostgreSQL's backends). Linux only."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids: list[int] = []
    if root is not None:
        pending = [root]
        while pending:
            pid = pending.pop()
            pids.append(pid)
            pending += _children(pid)
    if user is not None:
        uid = int(subprocess.run(["id", "-u", user], capture_output=True, text=True).stdout)
        pids += [
            int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _owned(p, uid)
        ]
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone between listing and reading
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def _owned(proc: Path, uid: int) -> bool:
    if not proc.name.isdigit():
        return False
    try:
        return proc.stat().st_uid == uid
    except OSError:
        return False


def load(url: str, token: str | None, concurrency: int, seconds: float) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.load",
        url,
        "--concurrency",
        str(concurrency),
        "--seconds",
        str(seconds),
    ]
    if token:
        cmd += ["--token", token]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr[-2000:]}")
    return dict(json.loads(done.stdout))


def console_login(url: str, username: str = "village1_admin") -> dict[str, Any]:
    """Logs a demo console account in; the token answer."""
    answer = httpx.post(
        f"{url}/api/v1/auth/token", data={"username": username, "password": "xiangzhi-demo"}
    )
    answer.raise_for_status()
    return dict(answer.json())


def baseline_load(
    module: str, env: dict[str, str], concurrency: int, seconds: float
) -> dict[str, Any]:
    """Starts a bare baseline app (``bench.<module>:app``) and drives it like the service."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        f"bench.{module}:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with server(command, env, url):
        return load(url, None, concurrency, seconds)


def record_comparison(
    name: str, title: str, service: dict[str, Any], baseline: dict[str, Any], **fields: Any
) -> None:
    """Prints and keeps one service-versus-baseline result as a JSON line."""
    result = {
        "bench": title,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        **fields,
        "service": service,
        "baseline": baseline,
        "rps_ratio": round(service["rps"] / baseline["rps"], 3),
    }
    line = json.dumps(result, ensure_ascii=False)
    print(line)
    record(name, line)
