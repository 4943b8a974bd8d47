"""What `make run` does, as separate processes (migrate, seed-demo, serve): the `served`
fixture for the tests that use a real server, and the command line they drive."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers.net import free_port

ROOT = Path(__file__).resolve().parents[2]


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XZ_")}
    env["XZ_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    assert "数据库已迁移" in cli(env, "migrate").stdout
    seeded = cli(env, "seed-demo").stdout
    assert "已创建" in cli(env, "create-admin", "county", "--password", "county-pass-1").stdout
    port = free_port()
    log = tmp_path / "serve.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        # A file, not a pipe nobody reads: a full pipe would stall the server's logging.
        stderr=log.open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # A busy 2-core machine can take many seconds to start it: wait, then say why not.
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.terminate()
                raise AssertionError(f"xiangzhi serve did not come up: {log.read_text()[-2000:]}")
        yield base, seeded
    finally:
        proc.terminate()
        proc.wait(timeout=10)
