"""`xiangzhi worker` outlives a Redis restart: it reconnects by itself instead of dying."""

import os
import subprocess
import sys
import time
from pathlib import Path

import redis

from tests.faults.cluster import Redis, ran_already

pytestmark = ran_already


def _other_clients(port: int) -> int:
    """Connections to this Redis besides the one asking."""
    with redis.Redis(port=port) as client:
        return len(client.client_list()) - 1


def _wait_for(check: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def test_the_worker_comes_back_after_redis_does(tmp_path: Path) -> None:
    server = Redis(tmp_path)
    server.start()
    env = {
        **os.environ,
        "XZ_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'worker.db'}",
        "XZ_REDIS_URL": server.url,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "worker.log", "wb"),  # noqa: SIM115 (closed with the process)
    )
    try:
        assert _wait_for(lambda: _other_clients(server.port) >= 1, 30), "worker never connected"
        server.kill()
        time.sleep(12)  # longer than arq's own five retries a second apart
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        server.start()
        assert _wait_for(lambda: _other_clients(server.port) >= 1, 40), (
            tmp_path / "worker.log"
        ).read_text()
        assert worker.poll() is None
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
        if server.process is not None:
            server.process.kill()
