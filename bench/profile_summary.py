"""Where a server's CPU went, by layer, from a py-spy raw profile taken under load.

    py-spy record --pid <server pid> --rate 200 --duration 8 --format raw -o prof.txt
    python -m bench.profile_summary prof.txt

Each sample is charged to the innermost frame's package (SQLAlchemy, asyncpg, FastAPI and
Starlette, uvicorn, redis, jose, pydantic, our own code, the event loop); idle threads are
left out. Prints the shares, largest first.
"""

import argparse
import re
from collections import Counter

LAYERS = (
    ("sqlalchemy/", "SQLAlchemy"),
    ("sqlmodel/", "SQLAlchemy"),
    ("asyncpg/", "asyncpg"),
    ("fastapi/", "FastAPI + Starlette"),
    ("starlette/", "FastAPI + Starlette"),
    ("uvicorn/", "uvicorn + httptools"),
    ("httptools", "uvicorn + httptools"),
    ("redis/", "redis client"),
    ("jose/", "JWT (python-jose)"),
    ("pydantic", "pydantic"),
    ("/app/", "our code"),
    ("asyncio/", "event loop"),
    ("selectors.py", "event loop"),
)
_FILE = re.compile(r"\(([^:)]+)")


def layer(frame: str) -> str:
    found = _FILE.search(frame)
    path = "/" + found.group(1) if found else frame
    for marker, name in LAYERS:
        if marker in path:
            return name
    return "other (stdlib, greenlet, json)"


def summary(lines: list[str]) -> Counter[str]:
    shares: Counter[str] = Counter()
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or stack.startswith("Thread._bootstrap"):
            continue
        shares[layer(stack.split(";")[-1])] += int(count)
    return shares


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile")
    args = parser.parse_args()
    with open(args.profile, encoding="utf-8") as f:
        shares = summary(f.readlines())
    total = sum(shares.values()) or 1
    for name, count in shares.most_common():
        print(f"{100 * count / total:5.1f} %  {name}")


if __name__ == "__main__":
    main()
