"""The console's third-party scripts, vendored: each pinned to a version in ``VENDOR.json``
with its checksum and licence, served by the app itself (no CDN: a township office's network
may reach nothing but the server).

    python -m app.console.vendor            # checks the files against the manifest
    python -m app.console.vendor --refresh  # fetches the pinned versions from the npm registry

To move to a new version, change ``version`` in the manifest and run ``--refresh``: the tarball
is checked against the registry's own sha512 before anything is written.
"""

import argparse
import base64
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).parent / "static" / "vendor"
MANIFEST = HERE / "VENDOR.json"
REGISTRY = "https://registry.npmjs.org"


def manifest() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return entries


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mismatches() -> list[str]:
    """Every vendored file missing or not as pinned; empty when all are."""
    wrong = []
    for entry in manifest():
        for name, digest in (
            (entry["saved_as"], entry["sha256"]),
            (entry["licence_saved_as"], None),
        ):
            path = HERE / name
            if not path.is_file():
                wrong.append(f"{name}: 缺少")
            elif digest is not None and sha256_of(path) != digest:
                wrong.append(f"{name}: 校验和不符")
    return wrong


def _member(archive: tarfile.TarFile, name: str) -> bytes:
    extracted = archive.extractfile(f"package/{name}")
    if extracted is None:
        raise SystemExit(f"包里没有 {name}")
    return extracted.read()


def refresh(client: httpx.Client) -> None:
    entries = manifest()
    for entry in entries:
        meta = client.get(f"{REGISTRY}/{entry['package']}/{entry['version']}").raise_for_status()
        dist = meta.json()["dist"]
        tarball = client.get(dist["tarball"]).raise_for_status().content
        algorithm, _, expected = dist["integrity"].partition("-")
        if base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode() != expected:
            raise SystemExit(f"{entry['package']}: 下载的包与 npm 登记的校验和不符")
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            script = _member(archive, entry["file"])
            licence = _member(archive, entry["licence_file"])
        (HERE / entry["saved_as"]).write_bytes(script)
        (HERE / entry["licence_saved_as"]).write_bytes(licence)
        entry["sha256"] = hashlib.sha256(script).hexdigest()
        entry["licence"] = meta.json().get("license", entry.get("licence"))
        print(f"{entry['package']} {entry['version']}: {len(script):,} 字节", file=sys.stderr)
    MANIFEST.write_text(json.dumps(entries, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="管理后台的第三方脚本：核对或按版本重新下载")
    parser.add_argument("--refresh", action="store_true", help="从 npm 下载清单里固定的版本")
    args = parser.parse_args(argv)
    if args.refresh:
        with httpx.Client(timeout=60, follow_redirects=True) as client:
            refresh(client)
    wrong = mismatches()
    for line in wrong:
        print(line, file=sys.stderr)
    raise SystemExit(1 if wrong else 0)


if __name__ == "__main__":
    main()
