"""Importing a 5,000-row 花名册 (xlsx) into one village: the dry run, then the apply, on the
embedded default (SQLite) and on PostgreSQL. Aim: the whole file under 30 s on PostgreSQL.

    python -m bench.roster_import [--rows 5000] [--only sqlite|postgresql]
"""

import argparse
import asyncio
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.models.roster import Branch, Grid, Town, Village
from app.services.identity import command_line_operator
from app.services.roster import import_roster
from app.services.roster.import_rows import COLUMNS
from bench.harness import ROOT, record, scratch_database


def roster(rows: int) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(COLUMNS)
    for i in range(rows):
        head = i % 4 == 0
        sheet.append(
            [
                f"村民{i:05d}",
                str(13500000000 + i),
                "基准村",
                f"{i % 10 + 1}网格",
                f"H{i // 4:05d}",
                f"村民{i - i % 4:05d}",
                "户主" if head else "家人",
                "基准村党支部" if head else "",
                "是" if head else "否",
                "否",
                "男" if i % 2 else "女",
                f"19{50 + i % 50}-0{1 + i % 9}",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def run(database_url: str, data: bytes) -> dict[str, float]:
    engine = create_engine(Settings(database_url=database_url))
    maker = create_sessionmaker(engine)
    async with maker() as session, session.begin():
        town = Town(name="基准镇")
        session.add(town)
        await session.flush()
        village = Village(town_id=town.id, name="基准村")  # type: ignore[arg-type]
        session.add(village)
        await session.flush()
        session.add(Branch(town_id=town.id, village_id=village.id, name="基准村党支部"))  # type: ignore[arg-type]
        for g in range(10):
            session.add(Grid(town_id=town.id, village_id=village.id, name=f"{g + 1}网格"))  # type: ignore[arg-type]
    timings = {}
    for label, dry_run in (("dry_run_s", True), ("apply_s", False)):
        started = time.perf_counter()
        async with maker() as session, session.begin():
            done = await import_roster(
                session,
                principal=command_line_operator(),
                file_name="bench.xlsx",
                data=data,
                village_id=None,
                dry_run=dry_run,
            )
            assert not done.report["errors"], done.report["errors"][:3]
        timings[label] = round(time.perf_counter() - started, 2)
    await engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    data = roster(args.rows)
    results = {}
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            subprocess.run(
                [sys.executable, "-m", "app.cli", "migrate"],
                env={"XZ_DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            results["sqlite"] = asyncio.run(run(url, data))
    if args.only != "sqlite":
        with scratch_database("xz_bench_roster") as env:
            results["postgresql"] = asyncio.run(run(env["XZ_DATABASE_URL"], data))
    for backend, timing in results.items():
        total = timing["dry_run_s"] + timing["apply_s"]
        line = {
            "rows": args.rows,
            "backend": backend,
            **timing,
            "rows_per_s": round(args.rows / total),
        }
        print(json.dumps(line, ensure_ascii=False))
        record("roster_import", json.dumps(line, ensure_ascii=False))


if __name__ == "__main__":
    main()
