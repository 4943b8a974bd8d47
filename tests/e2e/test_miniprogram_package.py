"""miniprogram_contract/ as the package a mini-program installs: its offline tests, its types
generated from openapi.json and checked by tsc, and an install from a packed tarball.

Node.js and the package's dev tools are installed by `make test` / `.ci/run`; their absence is a
failure here, not a skip."""

import json
import shutil
import subprocess
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "miniprogram_contract"
NODE, NPM = shutil.which("node"), shutil.which("npm")
TOOLS = PACKAGE / "node_modules" / ".bin"


def _run(*args: str, cwd: Path = PACKAGE, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    assert NODE and NPM, "Node.js and npm are needed (installed by .ci/run)"
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, (args, done.stdout[-3000:], done.stderr[-3000:])
    return done


def test_the_offline_tests_pass() -> None:
    done = _run(str(NODE), "--test", "test/offline.test.js")
    assert "# fail 0" in done.stdout and "# pass 11" in done.stdout, done.stdout[-2000:]


def test_the_ledger_checks_pass_the_rfcs_vectors() -> None:
    done = _run(str(NODE), "--test", "test/ledger.test.js")
    assert "# fail 0" in done.stdout and "# pass 4" in done.stdout, done.stdout[-2000:]


def test_the_generated_types_are_fresh(tmp_path: Path) -> None:
    assert (TOOLS / "openapi-typescript").exists(), "run `make test` (npm ci) first"
    fresh = tmp_path / "api.d.ts"
    _run(str(TOOLS / "openapi-typescript"), "openapi.json", "-o", str(fresh))
    stored = (PACKAGE / "lib" / "api.d.ts").read_text(encoding="utf-8")
    assert fresh.read_text(encoding="utf-8") == stored, "lib/api.d.ts is stale: `make openapi`"


def test_the_client_types_compile_against_the_contract() -> None:
    _run(str(TOOLS / "tsc"), "-p", "tsconfig.json")


def test_the_package_is_versioned_with_the_contract() -> None:
    package = json.loads((PACKAGE / "package.json").read_text(encoding="utf-8"))
    contract = json.loads((PACKAGE / "openapi.json").read_text(encoding="utf-8"))
    assert package["version"] == contract["info"]["version"]
    for field in ("main", "types"):
        assert (PACKAGE / package[field]).is_file(), field
    assert (PACKAGE / package["miniprogram"]).is_dir()
    assert f"## {package['version']}" in (PACKAGE / "CHANGELOG.md").read_text(encoding="utf-8")


def test_it_installs_into_a_mini_program_project(tmp_path: Path) -> None:
    packed = _run(str(NPM), "pack", "--pack-destination", str(tmp_path), "--silent")
    tarball = tmp_path / packed.stdout.strip().splitlines()[-1]
    project = tmp_path / "miniprogram"
    project.mkdir()
    (project / "package.json").write_text('{"name": "village-app", "version": "0.0.1"}')
    # The package now has dependencies (@noble, for the ledger proofs): npm ci put their
    # tarballs in the cache but not their registry documents, so a fresh machine fetches those.
    _run(
        str(NPM),
        "install",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        str(tarball),
        cwd=project,
    )
    installed = project / "node_modules" / "xiangzhi-miniprogram-client"
    assert (installed / "lib" / "api.d.ts").is_file()
    assert not (installed / "test").exists(), "tests are not shipped"
    script = "const c = require('xiangzhi-miniprogram-client'); console.log(typeof c.createClient)"
    assert _run(str(NODE), "-e", script, cwd=project).stdout.strip() == "function"


def test_it_installs_by_path_as_the_readme_says(tmp_path: Path) -> None:
    project = tmp_path / "miniprogram"
    project.mkdir()
    (project / "package.json").write_text('{"name": "village-app", "version": "0.0.1"}')
    _run(str(NPM), "install", "--offline", "--no-audit", "--no-fund", str(PACKAGE), cwd=project)
    script = "console.log(require('xiangzhi-miniprogram-client').MAX_RETRY_AFTER_MS)"
    assert _run(str(NODE), "-e", script, cwd=project).stdout.strip() == "30000"
