"""``xiangzhi``: migrate, create-admin, seed-demo, serve, worker, openapi."""

import argparse
import asyncio
import contextlib
import getpass
import json
import sys
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path

import uvicorn
from alembic.config import Config
from alembic.script import ScriptDirectory
from arq import run_worker
from pydantic import ValidationError
from redis.exceptions import RedisError
from sqlmodel import select

from alembic import command
from app.cache import create_cache
from app.checks import run_checks
from app.china_time import utcnow
from app.config import Settings, explain, get_settings
from app.contract.mock import create_mock_app
from app.db import SessionMaker, create_engine, create_sessionmaker
from app.db.archive import archive_state
from app.errors import AppError
from app.logging_setup import configure_logging
from app.main import create_app
from app.models.base import id_of
from app.models.roster import Town
from app.ops import backup_check, sqlite_backup
from app.services import points
from app.services.demo import (
    DEMO_TOWN,
    demo_logins,
    demo_phones,
    refresh_party_days,
    seed_demo,
)
from app.services.identity import command_line_operator
from app.services.kit import create_storage
from app.services.roster import create_superadmin, import_roster, present


def _project_root() -> Path:
    """Where alembic.ini lives: the working directory (Docker, a checkout) or the source tree."""
    for candidate in (Path.cwd(), Path(__file__).resolve().parent.parent):
        if (candidate / "alembic.ini").is_file():
            return candidate
    raise SystemExit("找不到 alembic.ini：请在项目目录中运行。")


def alembic_config(settings: Settings) -> Config:
    here = _project_root()
    config = Config(str(here / "alembic.ini"))
    config.set_main_option("script_location", str(here / "alembic"))
    config.attributes["database_url"] = settings.database_url
    return config


def migrate(settings: Settings) -> None:
    command.upgrade(alembic_config(settings), "head")
    print("数据库已迁移到最新版本。")


@contextlib.asynccontextmanager
async def _sessions(settings: Settings) -> AsyncIterator[SessionMaker]:
    """Sessions for a command run beside a serving deployment: with Redis, its commits bump
    the identity version too, so a grant made here is seen by the next request."""
    engine = create_engine(settings)
    cache = create_cache(settings.redis_url) if settings.redis_url else None
    try:
        yield create_sessionmaker(engine, cache)
    finally:
        if cache is not None:
            await cache.aclose()
        await engine.dispose()


async def _create_admin(settings: Settings, username: str, password: str) -> None:
    async with _sessions(settings) as sessions, sessions() as session, session.begin():
        created = await create_superadmin(session, username=username, password=password)
    print(f"超级管理员 {username} 已{'创建' if created else '更新密码'}。")


async def _seed_demo(settings: Settings, *, refresh: bool) -> None:
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            made = await seed_demo(
                session,
                storage=create_storage(settings),
                progress=lambda line: print(line, flush=True),
            )
            town = (await session.exec(select(Town).where(Town.name == DEMO_TOWN))).one()
            if not made:
                print("演示数据已存在，未重复创建。")
                if refresh:
                    moved = await refresh_party_days(session, town_id=id_of(town))
                    print(f"已把 {moved} 场主题党日挪到现在：签到已开放，两小时内有效。")
            logins = await demo_logins(session)
            phones = await demo_phones(session, town_id=id_of(town))
    finally:
        await engine.dispose()
    print("\n演示账号（管理后台 /console/ 登录；接口文档 /docs → Authorize 同样可用）：")
    for role, username, password in logins:
        print(f"  {role:<14} {username:<16} {password}")
    print(
        "\n小程序模拟登录：wechat-login 的 code 任填（如 abc），bind-phone 的 code 填下表的手机号："
    )
    for p in phones:
        print(f"  {p.phone}  {p.name:<4}  {p.part:<24}  {p.village}  {p.branch}  {p.household}")
    print("\n主题党日签到须在场地 300 米内：lat 40.9312, lng 117.9632（一村）/ 40.9412（二村）。")


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    if workers > 1 and settings.is_sqlite:
        print("SQLite 只支持单进程；多进程请使用 PostgreSQL 与 Redis。", file=sys.stderr)
        raise SystemExit(2)
    uvicorn.run(
        "app.asgi:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_config=None,
        server_header=False,  # no need to tell the internet which server answers
    )


def _worker(settings: Settings) -> None:
    if not settings.redis_url:
        print(
            "worker 需要 Redis（XZ_REDIS_URL）；嵌入式默认模式下任务在 serve 进程内运行。",
            file=sys.stderr,
        )
        raise SystemExit(2)
    from app.worker import WorkerSettings  # reads XZ_REDIS_URL when imported

    # A Redis blip ends arq's loop with an error: start it again, waiting longer each time, so
    # the jobs come back by themselves once Redis does (systemd's Restart= is the second net).
    delay = 1.0
    while True:
        started = time.monotonic()
        try:
            run_worker(WorkerSettings)  # type: ignore[arg-type]
            return
        except (RedisError, OSError) as exc:
            if time.monotonic() - started > 60:
                delay = 1.0  # it ran a while: this is a new outage, not the same one
            print(
                f"任务进程连不上 Redis（{exc!r}），{delay:.0f} 秒后重连。",
                file=sys.stderr,
                flush=True,
            )
            time.sleep(delay)
            delay = min(delay * 2, 30.0)


def _openapi(path: str) -> None:
    schema = create_app().openapi()
    Path(path).write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"已写入 {path}")


def _mock(path: str, host: str, port: int) -> None:
    contract = Path(path)
    document = (
        json.loads(contract.read_text(encoding="utf-8"))
        if contract.is_file()
        else create_app().openapi()
    )
    print(f"模拟服务（按 {path} 的示例作答，不存数据）：http://{host}:{port}")
    uvicorn.run(create_mock_app(document), host=host, port=port, log_level="warning")


async def _import_roster(
    settings: Settings, name: str, data: bytes, village_id: int | None, apply: bool
) -> None:
    operator = command_line_operator()

    async def progress(done: int, total: int) -> None:
        print(f"\r已检查 {done}/{total} 行", end="", file=sys.stderr, flush=True)

    async with _sessions(settings) as sessions, sessions() as session, session.begin():
        record = await import_roster(
            session,
            principal=operator,
            file_name=name,
            data=data,
            village_id=village_id,
            dry_run=not apply,
            progress=progress,
        )
        report = present(record)
    print(file=sys.stderr)
    for error in report.errors:
        print(f"第 {error.row} 行 {error.column}：{error.message}（{error.code}）")
    created, updated = report.created, report.updated
    print(
        f"{report.total_rows} 行：新建 {created.people} 人、{created.households} 户，"
        f"更新 {updated.people} 人、{updated.households} 户，{report.unchanged} 行无变化。"
    )
    if report.error_count > len(report.errors):
        print(f"……以上是前 {len(report.errors)} 处。")
    if report.errors:
        print(f"有 {report.error_count} 处问题，整份文件未写入。")
        raise SystemExit(1)
    print("已导入。" if apply else "只检查，未写入；确认无误后加 --apply 导入。")


async def _verify_ledger(settings: Settings, town_id: int) -> None:
    keys = points.roots.Keys(default=settings.ledger_signing_key, towns=settings.ledger_town_keys)
    async with _sessions(settings) as sessions, sessions() as session, session.begin():
        print(f"正在核验第 {town_id} 镇的积分账本……", file=sys.stderr, flush=True)
        found = await points.ledger_check.record(session, town_id=town_id, keys=keys)
    if found.ok:
        print(f"✓ {found.entries} 条记录、{found.heads} 个签名树根，全部相符。")
        return
    where = f"第一条不符的记录：{found.first_bad_entry_id}。" if found.first_bad_entry_id else ""
    print(f"✗ {found.problem}。{where}")
    raise SystemExit(1)


async def _backup_check(settings: Settings, args: argparse.Namespace) -> None:
    postgres = not settings.database_url.startswith("sqlite")
    backups = None
    try:
        if args.pgbackrest_info is not None:
            raw = sys.stdin.read() if args.pgbackrest_info == "-" else _read(args.pgbackrest_info)
            backups = backup_check.pgbackrest_backups(raw, stanza=args.stanza)
        elif args.backups is not None:
            backups = backup_check.sqlite_backups(Path(args.backups))
    except backup_check.BackupCheckError as exc:
        raise SystemExit(str(exc)) from exc
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            archive = await archive_state(connection)
    finally:
        await engine.dispose()
    lines = backup_check.report(
        postgres=postgres,
        archive=archive,
        backups=backups,
        now=utcnow(),
        max_age=timedelta(hours=args.max_age_hours),
        max_segments=settings.wal_archive_warn_segments,
    )
    for line in lines:
        print(f"{'✓' if line.ok else '✗'} {line.text}")
    if not all(line.ok for line in lines):
        raise SystemExit(1)


def _read(path: str) -> str:
    try:
        return Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"读不了 {path}：{exc}") from exc


def _check(settings: Settings) -> None:
    script = ScriptDirectory.from_config(alembic_config(settings))
    results = asyncio.run(run_checks(settings, script))
    for result in results:
        print(f"{'✓' if result.ok else '✗'} {result.name}：{result.detail}")
    if not all(r.ok for r in results):
        raise SystemExit(1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xiangzhi", description="乡治 后端命令行")
    parser.add_argument("--version", action="version", version=f"xiangzhi {version('xiangzhi')}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")

    def subcommand(name: str, text: str) -> argparse.ArgumentParser:
        # Each subcommand's --help says what it does and shows every default.
        return sub.add_parser(
            name,
            help=text,
            description=text,
            formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        )

    subcommand("migrate", "把数据库迁移到最新版本")
    admin = subcommand("create-admin", "创建超级管理员（已存在则重设密码）")
    admin.add_argument("username", help="登录名")
    admin.add_argument("--password", help="密码；不填则在终端提示输入（不回显）")
    demo = subcommand("seed-demo", "写入演示镇的数据，并列出演示账号和手机号")
    demo.add_argument(
        "--refresh", action="store_true", help="已有演示数据时，把主题党日挪到现在（签到开放）"
    )
    serve = subcommand("serve", "启动 HTTP 服务")
    serve.add_argument("--host", default="127.0.0.1", help="监听地址")
    serve.add_argument("--port", type=int, default=8000, help="端口")
    serve.add_argument("--workers", type=int, default=1, help="进程数（SQLite 只能 1）")
    serve.add_argument("--migrate", action="store_true", help="启动前先迁移数据库")
    subcommand("worker", "在 Redis 上运行后台任务（嵌入式模式下任务在 serve 进程内）")
    subcommand("check", "检查配置，并试连数据库、Redis 与微信（实时模式），每项一行")
    roster = subcommand("import-roster", "导入花名册（xlsx、xls、csv），默认只检查不写入")
    roster.add_argument("file", help="花名册文件")
    roster.add_argument("--village-id", type=int, default=None, help="表中没写村名的行属于哪个村")
    roster.add_argument("--apply", action="store_true", help="检查无误后写入")
    verify = subcommand(
        "verify-ledger", "核验一个镇的积分账本（哈希链、日志叶子、签名树根），指出第一处不符"
    )
    verify.add_argument("--town", type=int, required=True, help="镇的编号")
    saved = subcommand(
        "backup", "（内置 SQLite）在线备份数据库和照片到一个新文件夹，服务可以照常运行"
    )
    saved.add_argument("path", help="备份放到哪个文件夹（须为新的或空的）")
    back = subcommand(
        "restore", "（内置 SQLite）从 xiangzhi backup 的备份恢复数据库和照片；先停服务"
    )
    back.add_argument("path", help="备份所在的文件夹")
    checked = subcommand(
        "backup-check",
        "最近一次基础备份、最早可恢复的时刻、WAL 归档落后多少；有问题时退出码为 1（可放进 cron）",
    )
    checked.add_argument(
        "--pgbackrest-info",
        metavar="FILE",
        help="（PostgreSQL）`pgbackrest --stanza=… info --output=json` 的输出；- 为标准输入",
    )
    checked.add_argument("--stanza", default="xiangzhi", help="pgBackRest 的 stanza 名")
    checked.add_argument(
        "--backups", metavar="DIR", help="（内置 SQLite）xiangzhi backup 的备份都放在哪个文件夹下"
    )
    checked.add_argument(
        "--max-age-hours", type=int, default=48, help="最近一次基础备份超过这么多小时就算有问题"
    )
    openapi = subcommand("openapi", "导出 OpenAPI 文档")
    openapi.add_argument("--out", default="miniprogram_contract/openapi.json", help="写到哪个文件")
    mock = subcommand("mock", "只按接口文档作答的模拟服务（前端开发用）")
    mock.add_argument("--contract", default="miniprogram_contract/openapi.json", help="接口文档")
    mock.add_argument("--host", default="127.0.0.1", help="监听地址")
    mock.add_argument("--port", type=int, default=8001, help="端口")
    return parser


def _password(given: str | None) -> str:
    if given:
        return given
    first = getpass.getpass("新密码：")
    if first != getpass.getpass("再输入一次："):
        raise SystemExit("两次输入的密码不一致。")
    return first


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as exc:
        problems = explain(exc)
        print(f"配置错误（{len(problems)} 处）：", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        raise SystemExit(2) from exc
    configure_logging(settings.log_level)
    match args.command:
        case "migrate":
            migrate(settings)
        case "create-admin":
            asyncio.run(_create_admin(settings, args.username, _password(args.password)))
        case "seed-demo":
            asyncio.run(_seed_demo(settings, refresh=args.refresh))
        case "serve":
            if args.migrate:
                migrate(settings)
            _serve(settings, args.host, args.port, args.workers)
        case "worker":
            _worker(settings)
        case "check":
            _check(settings)
        case "backup" | "restore":
            try:
                if args.command == "backup":
                    sqlite_backup.backup(settings.database_url, settings.media_dir, Path(args.path))
                else:
                    sqlite_backup.restore(
                        Path(args.path), settings.database_url, settings.media_dir
                    )
            except sqlite_backup.BackupError as exc:
                raise SystemExit(str(exc)) from exc
        case "backup-check":
            asyncio.run(_backup_check(settings, args))
        case "import-roster":
            file = Path(args.file)
            if not file.is_file():
                raise SystemExit(f"找不到文件 {args.file}")
            data = file.read_bytes()
            try:
                asyncio.run(_import_roster(settings, file.name, data, args.village_id, args.apply))
            except AppError as refused:  # a file the reader refused: its words, not a trace
                raise SystemExit(f"{refused.detail}（{refused.code}）") from None
        case "verify-ledger":
            asyncio.run(_verify_ledger(settings, args.town))
        case "openapi":
            _openapi(args.out)
        case "mock":
            _mock(args.contract, args.host, args.port)


if __name__ == "__main__":
    main()
