"""The photo pipeline: a 12-megapixel phone JPEG through ``images.process`` beside libvips's
``vipsthumbnail`` making the same two sizes, and the service's peak memory under 4 concurrent
uploads of that photo.

    python -m bench.media [--runs 9] [--rounds 3]

Needs ``vipsthumbnail`` (Debian's libvips-tools). Prints one JSON line and appends it to
``bench/results/media.jsonl``. The upload part runs the service on the embedded default
(SQLite, local folder) in a scratch directory: memory is the pipeline's, not the database's.
"""

import argparse
import asyncio
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from app.services.kit import images
from bench.harness import ROOT, console_login, free_port, record, server

SIZE = (4000, 3000)  # 12 MP, as a mid-range phone takes it


def phone_jpeg() -> bytes:
    """Detail everywhere (noise over gradients), EXIF orientation 6 and GPS, quality 92: a JPEG
    that costs as much to decode as a real photo (9.8 MB) rather than a flat test card."""
    gradient = Image.linear_gradient("L").resize(SIZE)
    noise = Image.effect_noise(SIZE, 64)
    image = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.ROTATE_180)))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8825).update({1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (114.0, 20.0, 0.0)})
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92, exif=exif.tobytes())
    return buffer.getvalue()


def time_pipeline(data: bytes, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        images.process(data, max_pixels=40_000_000)
        times.append(time.perf_counter() - started)
    return times


def time_vips(path: Path, out: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        for size, name in ((images.DISPLAY_EDGE, "display.jpg"), (images.THUMB_EDGE, "thumb.jpg")):
            subprocess.run(
                ["vipsthumbnail", str(path), "-s", str(size), "-o", f"{out / name}[Q=82,strip]"],
                check=True,
            )
        times.append(time.perf_counter() - started)
    return times


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


async def concurrent_uploads(url: str, token: str, data: bytes, rounds: int) -> list[int]:
    async with httpx.AsyncClient(timeout=120) as client:

        async def one() -> int:
            response = await client.post(
                f"{url}/api/v1/media",
                files={"file": ("wx.jpg", data, "image/jpeg")},
                data={"purpose": "evidence"},
                headers={"Authorization": f"Bearer {token}"},
            )
            return response.status_code

        statuses: list[int] = []
        for _ in range(rounds):
            statuses += await asyncio.gather(*[one() for _ in range(4)])
        return statuses


def upload_memory(data: bytes, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            **os.environ,
            "XZ_DATABASE_URL": f"sqlite+aiosqlite:///{scratch}/bench.db",
            "XZ_MEDIA_DIR": f"{scratch}/media",
            "XZ_LOG_LEVEL": "WARNING",
        }
        env.pop("XZ_REDIS_URL", None)
        xiangzhi = [sys.executable, "-m", "app.cli"]
        for step in (["migrate"], ["seed-demo"]):
            subprocess.run([*xiangzhi, *step], env=env, cwd=ROOT, check=True, capture_output=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with server([*xiangzhi, "serve", "--port", str(port)], env, f"{url}/healthz") as proc:
            token = console_login(url)["access_token"]
            idle = peak_rss_mb(proc.pid)
            started = time.perf_counter()
            statuses = asyncio.run(concurrent_uploads(url, token, data, rounds))
            wall = time.perf_counter() - started
            peak = peak_rss_mb(proc.pid)
    return {
        "uploads": len(statuses),
        "created": statuses.count(201),
        "idle_peak_mb": round(idle, 1),
        "peak_mb": round(peak, 1),
        "seconds": round(wall, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("vipsthumbnail") is None:
        sys.exit("vipsthumbnail not found: apt-get install libvips-tools")
    data = phone_jpeg()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "phone.jpg"
        path.write_bytes(data)
        time_pipeline(data, 1)  # warm up imports and caches
        pipeline = time_pipeline(data, args.runs)
        vips = time_vips(path, Path(scratch), args.runs)
    ours, theirs = statistics.median(pipeline), statistics.median(vips)
    result = {
        "bench": "media pipeline",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "photo": {"pixels": SIZE[0] * SIZE[1], "bytes": len(data)},
        "pipeline_median_ms": round(ours * 1000, 1),
        "vipsthumbnail_median_ms": round(theirs * 1000, 1),
        "ratio": round(ours / theirs, 2),
        "upload_memory": upload_memory(data, args.rounds),
    }
    line = json.dumps(result, ensure_ascii=False)
    print(line)
    record("media", line)


if __name__ == "__main__":
    main()
