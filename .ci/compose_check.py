"""deploy/compose.yaml parses (docker-compose's own validation) and runs the image CI built.

Usage: python .ci/compose_check.py deploy/compose.yaml IMAGE. The public images of the other
services cannot be pulled here, so they are checked only as configuration.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

APP_SERVICES = ("migrate", "app1", "app2", "worker")


def main(compose: Path, image: str) -> None:
    env_file = compose.parent / "xiangzhi.env"
    made_env = not env_file.exists()
    if made_env:
        shutil.copy(compose.parent / "xiangzhi.env.example", env_file)
    try:
        resolved = subprocess.run(
            ["docker-compose", "-f", str(compose), "config"],
            env={
                **os.environ,
                "XZ_IMAGE": image,
                "POSTGRES_PASSWORD": "ci",
                "S3_ACCESS_KEY": "ci",
                "S3_SECRET_KEY": "ci-secret",
            },
            capture_output=True,
            text=True,
        )
    finally:
        if made_env:
            env_file.unlink()
    assert resolved.returncode == 0, resolved.stderr
    services = yaml.safe_load(resolved.stdout)["services"]
    for name in APP_SERVICES:
        assert services[name]["image"] == image, f"{name} runs {services[name]['image']}"
        assert services[name]["environment"]["XZ_ENV"] == "production", name
    for name in ("postgres", "backup", "redis", "s3", "s3-init", "s3-tls", "nginx"):
        assert name in services, f"compose.yaml lacks {name}"
    subprocess.run(["/usr/bin/docker", "image", "inspect", image], capture_output=True, check=True)
    print(f"compose.yaml: {len(services)} services, {', '.join(APP_SERVICES)} run {image}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
