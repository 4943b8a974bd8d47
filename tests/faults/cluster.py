"""A whole deployment in miniature for the fault tests: its own PostgreSQL cluster (initdb on a
spare port), its own Redis and the service as a real process, each of which a test may stop,
kill or restart, and a client that retries the way the mini-program does."""

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.net import free_port

ROOT = Path(__file__).resolve().parents[2]

# The drills bring their own PostgreSQL cluster, Redis, store and server, whatever database the
# suite runs on, so CI's second run (the embedded default) would repeat its first exactly:
# .ci/run sets this for that run alone, and the drills run once. `make test` runs them always.
ran_already = pytest.mark.skipif(
    os.environ.get("XZ_CI_DRILLS_RAN") == "1",
    reason="CI ran the drills in its PostgreSQL run; they do not depend on the suite's database",
)
_PG_BINS = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def _wait(check: Any, seconds: float, what: str) -> float:
    """Seconds until ``check()`` is true; fails the test after ``seconds``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if check():
                return time.monotonic() - started
        except Exception:  # not up yet
            pass
        time.sleep(0.05)
    raise AssertionError(f"{what} not ready after {seconds} s")


class Postgres:
    def __init__(self, root: Path) -> None:
        assert _PG_BINS, "PostgreSQL's server binaries are installed by .ci/run"
        self.bin = Path(_PG_BINS[-1])
        self.port = free_port()
        self.data = root / "pg"
        self.log = root / "pg.log"
        # PostgreSQL refuses to run as root; CI runs as root, so the cluster belongs to postgres.
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.data.mkdir()
        if self.as_owner:
            shutil.chown(self.data, "postgres")
            self.log.touch()
            shutil.chown(self.log, "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        self.run_as_owner(str(self.bin / tool), *args)

    def run_as_owner(self, *command: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [*self.as_owner, *command],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self, *settings: str) -> None:
        """``settings`` are more ``name=value`` for the server (a later one wins)."""
        options = (
            f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        ) + "".join(f" -c {s}" for s in settings)
        try:
            self._run(
                "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"
            )
        except subprocess.CalledProcessError as failed:
            said = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise AssertionError(f"PostgreSQL did not start:\n{said}") from failed

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")


class Redis:
    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.root = root
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server")
        assert server is not None, "redis-server is installed by .ci/run"
        self.process = subprocess.Popen(
            [
                server,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],
            stdout=subprocess.DEVNULL,
        )
        import redis

        _wait(lambda: redis.Redis(port=self.port).ping(), 10, "redis")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)


class Service:
    """``xiangzhi serve`` as its own process, as production runs it."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def cli(self, *args: str, expect: int = 0) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == expect, done.stdout + done.stderr
        return done.stdout

    def start(self, **extra_env: str) -> None:
        self.starts += 1
        log = open(self.root / f"serve-{self.starts}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)],
            env={**self.env, **extra_env},
            cwd=ROOT,
            stdout=log,
            stderr=log,
        )
        log.close()

    def ready_within(self, seconds: float) -> float:
        return _wait(
            lambda: httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200,
            seconds,
            "/readyz",
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


@dataclass
class Seen:
    """Every answer any phone saw, retries included."""

    statuses: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, what: str) -> None:
        with self.lock:
            self.statuses[what] += 1


class Phone:
    """Retries like the mini-program: the same Idempotency-Key, on a lost connection, a 5xx and
    409 ``idempotency.in_flight``, until an answer comes or it gives up."""

    def __init__(self, base: str, token: str, seen: Seen) -> None:
        self.client = httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        self.seen = seen

    def post(
        self, path: str, body: dict[str, Any], key: str, patience: float = 120
    ) -> httpx.Response:
        deadline = time.monotonic() + patience
        while True:
            try:
                answer = self.client.post(path, json=body, headers={"Idempotency-Key": key})
            except httpx.TransportError:
                self.seen.add("no answer")
            else:
                in_flight = (
                    answer.status_code == 409
                    and answer.json().get("code") == "idempotency.in_flight"
                )
                self.seen.add("409 in_flight" if in_flight else str(answer.status_code))
                if answer.headers.get("idempotent-replayed") == "true":
                    self.seen.add("replayed")
                if answer.status_code < 500 and not in_flight:
                    return answer
            assert time.monotonic() < deadline, f"{path} never answered for key {key}"
            time.sleep(0.3)


def make_root() -> Path:
    """A folder that the postgres user may enter (pytest's own tmp folder is root's alone)."""
    root = Path(tempfile.mkdtemp(prefix="xz-faults-", dir="/tmp"))
    root.chmod(0o755)
    return root
