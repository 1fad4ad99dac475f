"""Make docs/report-screenshot.png, the README's picture of `qof report`: the bundled sample data
under qof-2026-27 (the year it is dated for) as at its extract date, rendered by the test
tooling's headless Chromium (tests/report_render.py).
Usage: python scripts/make_report_screenshot.py"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from report_render import render_png  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        html = Path(folder) / "report.html"
        command = ["qof", "report", "sample_data", "-r", "qof-2026-27", "--as-of", "2026-11-30"]
        command += ["-o", str(html)]
        subprocess.run(command, cwd=ROOT, check=True)
        render_png(html, ROOT / "docs" / "report-screenshot.png", width=1000, height=2000)


if __name__ == "__main__":
    main()
