"""Drives load from its own process and prints JSON with rps and latency percentiles.

It uses ``wrk`` (Debian's package) when installed: a Python client tops out near 1,500
requests/s here and would cap the baseline, hiding the real ratio. Without wrk it falls back to
a closed loop of httpx clients, each sending its next request when the last one is answered.
"""

import argparse
import asyncio
import json
import re
import shutil
import statistics
import subprocess
import time

import httpx


async def _client(
    url: str, headers: dict[str, str], until: float, out: list[float], errors: list[int]
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        while time.perf_counter() < until:
            started = time.perf_counter()
            response = await client.get(url, headers=headers)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                errors.append(response.status_code)
            out.append(elapsed)


async def run(url: str, token: str | None, concurrency: int, seconds: float) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    latencies: list[float] = []
    errors: list[int] = []
    # Warm up connections and caches before measuring.
    await asyncio.gather(
        *[_client(url, headers, time.perf_counter() + 1, [], []) for _ in range(concurrency)]
    )
    started = time.perf_counter()
    await asyncio.gather(
        *[_client(url, headers, started + seconds, latencies, errors) for _ in range(concurrency)]
    )
    wall = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "tool": "httpx",
        "requests": len(latencies),
        "errors": len(errors),
        "rps": round(len(latencies) / wall, 1),
        "p50_ms": round(cuts[49] * 1000, 2),
        "p99_ms": round(cuts[98] * 1000, 2),
    }


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"unexpected wrk latency {text!r}")
    number, unit = match.groups()
    return round(float(number) * _UNITS[unit], 2)


def run_wrk(url: str, token: str | None, concurrency: int, seconds: float) -> dict[str, object]:
    header = ["-H", f"Authorization: Bearer {token}"] if token else []
    base = ["wrk", "-t2", f"-c{concurrency}", *header, url]
    subprocess.run([*base[:1], "-d1s", *base[1:]], check=True, capture_output=True)  # warm-up
    out = subprocess.run(
        [*base[:1], f"-d{int(seconds)}s", "--latency", *base[1:]],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: .*", out)
    return {
        "tool": "wrk",
        "requests": requests,
        "errors": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else "",
        "rps": round(rps, 1),
        "p50_ms": _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "p99_ms": _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--token")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    if shutil.which("wrk"):
        result = run_wrk(args.url, args.token, args.concurrency, args.seconds)
    else:
        result = asyncio.run(run(args.url, args.token, args.concurrency, args.seconds))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
