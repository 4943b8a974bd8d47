"""`xiangzhi worker` outlives a Redis restart: it reconnects by itself instead of dying."""

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.net import free_port

REDIS = shutil.which("redis-server")


def _redis(port: int) -> subprocess.Popen[bytes]:
    assert REDIS is not None, "redis-server is installed by .ci/run"
    server = subprocess.Popen(
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return server
        except redis.ConnectionError:
            time.sleep(0.05)
    raise AssertionError("redis-server did not start")


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


@pytest.fixture
def redis_port() -> Iterator[int]:
    yield free_port()


def test_the_worker_comes_back_after_redis_does(tmp_path: Path, redis_port: int) -> None:
    server = _redis(redis_port)
    env = {
        **os.environ,
        "XZ_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'worker.db'}",
        "XZ_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "worker.log", "wb"),  # noqa: SIM115 (closed with the process)
    )
    try:
        assert _wait_for(lambda: _other_clients(redis_port) >= 1, 30), "worker never connected"
        server.terminate()
        server.wait(timeout=10)
        time.sleep(12)  # longer than arq's own five retries a second apart
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        server = _redis(redis_port)
        assert _wait_for(lambda: _other_clients(redis_port) >= 1, 40), (
            tmp_path / "worker.log"
        ).read_text()
        assert worker.poll() is None
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
        server.terminate()
        server.wait(timeout=10)
