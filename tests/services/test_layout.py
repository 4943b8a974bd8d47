"""The rooms of app/services/ and the doors between them, read from the code's own imports.

A domain package is named like its router and shows the others only its public face
(`__init__.__all__`); `kit/` knows no domain; `demo/` is for the command line alone.
"""

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.models.base import id_of
from app.models.roster import Town

APP = Path(__file__).resolve().parents[2] / "app"
SERVICES = APP / "services"
PACKAGES = sorted(p.name for p in SERVICES.iterdir() if (p / "__init__.py").exists())
MAX_LINES = 400


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) for every import in the file; `import x.y` gives names []."""
    found: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name, []) for a in node.names)
    return found


def _package_of(app: Path, path: Path) -> str | None:
    rel = path.relative_to(app).parts
    return rel[1] if len(rel) > 2 and rel[0] == "services" else None


def _service_imports(app: Path) -> list[tuple[str, str | None, str, str, list[str]]]:
    """Every import of `app.services…` under `app`: (where, own package, target, module, names)."""
    rows = []
    for path in sorted(app.rglob("*.py")):
        own = _package_of(app, path)
        for line, module, names in _imports(path):
            where = f"{path.relative_to(app)}:{line}"
            if module == "app.services":
                rows.extend((where, own, name, module, [name]) for name in names)
            elif module.startswith("app.services."):
                rows.append((where, own, module.split(".")[2], module, names))
    return rows


def kit_violations(app: Path) -> list[str]:
    return [
        f"{where} imports {module}"
        for where, own, target, module, _ in _service_imports(app)
        if own == "kit" and target != "kit"
    ]


# kit/ is adapters and helpers: the write and caching machinery (transactions of its own,
# group commit, caches, background work, idempotency) is app/db/ and app/idempotency/.
MACHINERY = ("app.db", "app.idempotency")


def kit_machinery_violations(app: Path) -> list[str]:
    bad = []
    for path in sorted((app / "services" / "kit").rglob("*.py")):
        for line, module, names in _imports(path):
            wanted = [module] if module != "app" else [f"app.{n}" for n in names]
            for target in wanted:
                if target.startswith(MACHINERY):
                    bad.append(f"{path.relative_to(app)}:{line} imports {target}")
    return bad


def demo_violations(app: Path) -> list[str]:
    return [
        where
        for where, own, target, _, _ in _service_imports(app)
        if target == "demo" and own != "demo" and not where.startswith("cli.py:")
    ]


def face_violations(app: Path, faces: dict[str, set[str]]) -> list[str]:
    bad = []
    for where, own, target, module, names in _service_imports(app):
        if own == target:
            continue  # a package's own modules import each other freely
        if module.count(".") > 2:
            bad.append(f"{where} reaches into {module}")
        elif module == "app.services":
            if target not in faces:
                bad.append(f"{where} imports app.services.{target}, which is no package")
        else:
            bad.extend(
                f"{where} takes {n}, not on {target}'s face"
                for n in names
                if n not in faces[target]
            )
    return bad


def _faces() -> dict[str, set[str]]:
    return {name: set(importlib.import_module(f"app.services.{name}").__all__) for name in PACKAGES}


def test_services_holds_packages_only() -> None:
    loose = [p.name for p in SERVICES.glob("*.py") if p.name != "__init__.py"]
    assert loose == [], f"modules outside a domain package: {loose}"
    assert {"kit", "demo"} <= set(PACKAGES)
    routers = {p.stem for p in (APP / "routers").glob("*.py")}
    domains = {
        "identity",
        "roster",
        "points",
        "events",
        "grid",
        "volunteer",
        "shop",
        "feed",
        "media",
    }
    assert domains <= set(PACKAGES)
    # a package that is not kit, demo or identity is named like the router that serves it
    assert set(PACKAGES) - {"kit", "demo", "identity"} <= routers


def test_kit_imports_no_domain() -> None:
    assert kit_violations(APP) == []


def test_kit_is_adapters_only() -> None:
    assert kit_machinery_violations(APP) == []


def test_only_the_command_line_imports_demo() -> None:
    assert demo_violations(APP) == []


def test_other_packages_are_reached_through_their_face() -> None:
    assert face_violations(APP, _faces()) == []


def test_the_face_names_only_what_exists() -> None:
    for name in PACKAGES:
        face = importlib.import_module(f"app.services.{name}")
        missing = [n for n in face.__all__ if not hasattr(face, n)]
        assert missing == [], f"{name}.__all__ names {missing}"


def test_no_service_module_is_a_god_file() -> None:
    lengths = {
        str(p.relative_to(APP)): len(p.read_text().splitlines()) for p in SERVICES.rglob("*.py")
    }
    assert {path: n for path, n in lengths.items() if n > MAX_LINES} == {}


# A domain has one name in its three rooms (models/<d>.py, services/<d>/, routers/<d>.py).
# What is not a domain, or lives under another's name, is written down here with why.
ROOM_EXCEPTIONS = {
    "base": "models shared by every domain (types, columns, the naming convention)",
    "labels": "the Chinese label of every enum, for the contract and the papers",
    "idempotency": "the Idempotency-Key table, kept by kit/ and the middleware",
    "roster_import": "the roster's import records: a table of the roster domain",
    "demo": "demo seeders, for the command line only",
    "kit": "adapters that know no domain",
    "identity": "who is asking; its tables are models/auth.py and its routes routers/auth.py",
    "auth": "the tables and routes of services/identity/ (logins, tokens)",
    "stars": "star levels, a room of points: services/points/stars.py",
    "party_life": "the records of meetings (minutes, groups, changes), a room of services/events/",
    "common": "what every router shares (ids, lists, downloads)",
    "health": "/healthz and /readyz: no domain",
    "flags": "the favouritism flags' tables, a room of services/warnings/ and routers/warnings.py",
    "privacy": "the notice and its consents, a room of services/identity/ (binding needs it)",
    "wechat_push": "WeChat's callback; its work is kit/wechat_push.py and notifications",
}


def room_violations(app: Path, exceptions: dict[str, str]) -> list[str]:
    """Names that stand in some of the three rooms but not all, and are not written down."""
    models = {p.stem for p in (app / "models").glob("*.py") if p.stem != "__init__"}
    services = {p.name for p in (app / "services").iterdir() if (p / "__init__.py").exists()}
    routers = {p.stem for p in (app / "routers").glob("*.py") if p.stem != "__init__"}
    rooms = {"models": models, "services": services, "routers": routers}
    bad = []
    for name in sorted((models | services | routers) - exceptions.keys()):
        missing = [room for room, names in rooms.items() if name not in names]
        if missing:
            bad.append(f"{name} has no {' or '.join(missing)} room of that name")
    return bad


def test_a_domain_has_one_name_in_its_three_rooms() -> None:
    assert room_violations(APP, ROOM_EXCEPTIONS) == []


def test_a_name_that_drifts_between_rooms_is_caught(tmp_path: Path) -> None:
    app = tmp_path / "app"
    for folder in ("models", "routers", "services/duty", "services/feed"):
        (app / folder).mkdir(parents=True)
    for module in ("models/service.py", "routers/duty.py", "models/feed.py", "routers/feed.py"):
        (app / module).write_text("")
    for package in ("services/duty", "services/feed"):
        (app / package / "__init__.py").write_text("")
    assert room_violations(app, {}) == [
        "duty has no models room of that name",
        "service has no services or routers room of that name",
    ]


def test_the_rules_see_each_kind_of_breach(tmp_path: Path) -> None:
    """The checks read real import statements: a tree that breaks each rule is caught."""
    app = tmp_path / "app"
    (app / "services" / "kit").mkdir(parents=True)
    (app / "routers").mkdir()
    (app / "services" / "kit" / "geo.py").write_text("from app.services import points\n")
    (app / "services" / "kit" / "qr.py").write_text("from app.services.demo import seed_demo\n")
    (app / "routers" / "grid.py").write_text(
        "from app.services.points.ledger import post\n"
        "from app.services.points import secret_helper, ledger\n"
        "from app.services import scopes\n"
    )
    (app / "cli.py").write_text("from app.services.demo import seed_demo\n")
    faces = {"points": {"ledger"}, "kit": set(), "demo": {"seed_demo"}}
    assert kit_violations(app) == [
        "services/kit/geo.py:1 imports app.services",
        "services/kit/qr.py:1 imports app.services.demo",
    ]
    assert demo_violations(app) == ["services/kit/qr.py:1"]
    (app / "services" / "kit" / "cache.py").write_text(
        "from app.db import row_cache\nfrom app import idempotency\n"
    )
    assert kit_machinery_violations(app) == [
        "services/kit/cache.py:1 imports app.db",
        "services/kit/cache.py:2 imports app.idempotency",
    ]
    assert face_violations(app, faces) == [
        "routers/grid.py:1 reaches into app.services.points.ledger",
        "routers/grid.py:2 takes secret_helper, not on points's face",
        "routers/grid.py:3 imports app.services.scopes, which is no package",
    ]


_IMPORT_EACH_FIRST = """
import importlib, sys
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m.startswith("app.services")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(f"app.services.{name}")
    except ImportError as error:
        print(f"{name}: {error}")
"""


def test_each_package_imports_first_without_a_cycle() -> None:
    """Whichever package a process happens to import first, the faces resolve (services are
    forgotten between packages; models stay, as their tables can be declared only once)."""
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH_FIRST, *PACKAGES],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == ""


def test_no_id_is_made_up_as_zero() -> None:
    """`row.id or 0` wrote 0 for an unsaved row, into foreign keys and the append-only audit log;
    `id_of` refuses instead."""
    made_up = [
        f"{path.relative_to(APP)}:{number}"
        for path in sorted(APP.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"\.id or 0\b", line)
    ]
    assert made_up == []
    with pytest.raises(RuntimeError, match="Town has no id yet"):
        id_of(Town(name="未保存的镇"))
    assert id_of(Town(id=7, name="已保存的镇")) == 7


TESTS = APP.parent / "tests"


def imports_between_tests(tests: Path) -> list[str]:
    """Imports of a test module (``test_*``) from any other file under ``tests``: what many
    tests share lives in tests/helpers/."""
    bad = []
    for path in sorted(tests.rglob("*.py")):
        for line, module, _ in _imports(path):
            if module.startswith("tests.") and module.rsplit(".", 1)[-1].startswith("test_"):
                bad.append(f"{path.relative_to(tests)}:{line} imports {module}")
    return bad


def test_no_test_imports_another_test_module(tmp_path: Path) -> None:
    assert imports_between_tests(TESTS) == []
    (tmp_path / "routers").mkdir()
    (tmp_path / "routers" / "test_a.py").write_text("from tests.routers.test_b import helper\n")
    (tmp_path / "routers" / "test_b.py").write_text("from tests.helpers.media import photo\n")
    assert imports_between_tests(tmp_path) == ["routers/test_a.py:1 imports tests.routers.test_b"]


def positional_principals(services: Path) -> list[str]:
    """Public functions of the domain packages that take ``principal`` positionally: one
    signature for every service (DESIGN.md: keyword-only). identity/ is the written-down
    exception: its predicates are about the principal (``covers(principal, where)``)."""
    bad = []
    for path in sorted(services.rglob("*.py")):
        if path.relative_to(services).parts[0] in ("identity", "kit", "demo"):
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if (
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                and not node.name.startswith("_")
                and "principal" in [a.arg for a in node.args.args]
            ):
                bad.append(f"{path.relative_to(services)}:{node.lineno} {node.name}")
    return bad


def test_one_service_signature() -> None:
    assert positional_principals(SERVICES) == []


def test_a_positional_principal_is_caught(tmp_path: Path) -> None:
    (tmp_path / "duty").mkdir()
    (tmp_path / "identity").mkdir()
    (tmp_path / "duty" / "shifts.py").write_text(
        "async def make(session, principal, data): ...\n"
        "async def fine(session, *, principal, data): ...\n"
        "def _private(session, principal): ...\n"
    )
    (tmp_path / "identity" / "scopes.py").write_text("def covers(principal, where): ...\n")
    assert positional_principals(tmp_path) == ["duty/shifts.py:1 make"]


def test_no_service_imports_the_web_framework() -> None:
    """Services hold the rules; the routers speak HTTP (DESIGN.md)."""
    web = [
        f"{path.relative_to(APP)}:{line} imports {module}"
        for path in sorted(SERVICES.rglob("*.py"))
        for line, module, _ in _imports(path)
        if module.split(".")[0] in ("fastapi", "starlette")
    ]
    assert web == []


def test_services_raise_named_errors() -> None:
    """An error's code lives on its class (which knows its status and Chinese detail), not in a
    `code="…"` typed again at each raise."""
    inline = [
        f"{path.relative_to(APP)}:{node.lineno}"
        for path in sorted(SERVICES.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and any(k.arg == "code" and isinstance(k.value, ast.Constant) for k in node.keywords)
    ]
    assert inline == []


def console_violations(app: Path) -> list[str]:
    """The console calls services and writes no SQL of its own (no query builder, no table
    read), and no service or router reaches up into the console."""
    found = []
    for path in sorted(app.rglob("*.py")):
        rel = path.relative_to(app)
        in_console = rel.parts[0] == "console"
        for line, module, _ in _imports(path):
            where = f"{rel}:{line}"
            if in_console and (
                module.split(".")[0] == "sqlalchemy"
                or (module.split(".")[0] == "sqlmodel" and module != "sqlmodel.ext.asyncio.session")
                or module.startswith("app.db")
            ):
                found.append(f"{where} queries through {module}")
            below = not in_console and rel.parts[0] in ("services", "routers", "models")
            if below and (module == "app.console" or module.startswith("app.console.")):
                found.append(f"{where} reaches up into {module}")
    return found


def test_the_console_writes_no_sql_and_nothing_below_it_knows_it() -> None:
    assert console_violations(APP) == []


def test_a_console_query_or_an_upward_import_is_caught(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "console" / "pages").mkdir(parents=True)
    (app / "services" / "feed").mkdir(parents=True)
    (app / "console" / "pages" / "people.py").write_text("from sqlmodel import select\n")
    (app / "console" / "render.py").write_text(
        "from sqlmodel.ext.asyncio.session import AsyncSession\n"
    )
    (app / "services" / "feed" / "posts.py").write_text("from app.console import render\n")
    assert console_violations(app) == [
        "console/pages/people.py:1 queries through sqlmodel",
        "services/feed/posts.py:1 reaches up into app.console",
    ]
