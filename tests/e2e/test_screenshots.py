"""`make screenshots` can be made: every console page is drawn with the demo town at the
county office's 1366 pixels, and none is a blank page."""

import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageStat

from tools.screenshots import PAGES

ROOT = Path(__file__).resolve().parents[2]


def test_every_console_page_is_drawn(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tools.screenshots", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for name, *_ in PAGES:
        with Image.open(tmp_path / f"{name}.png") as picture:
            assert picture.size[0] == 1366 and picture.size[1] >= 768, name
            spread = ImageStat.Stat(picture.convert("L")).stddev[0]
            assert spread > 10, f"{name}.png is nearly one colour"
