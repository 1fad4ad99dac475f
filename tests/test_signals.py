"""A `qof` process stopped with SIGTERM while writing leaves no temporary file behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_during_an_atomic_write_removes_the_temporary_file(tmp_path: Path) -> None:
    target, started = tmp_path / "out.csv", tmp_path / "started"
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "import qofcli.cli as cli\n"
        "from qofcli.cli.app import app, user_errors\n"
        "from qofcli.reports.files import write_atomic\n"
        "def body(stream):\n"
        "    stream.write(b'PATIENT-ID-1')\n"
        "    stream.flush()\n"
        f"    Path({str(started)!r}).touch()\n"
        "    time.sleep(60)\n"
        "@app.command('slow-write')\n"
        "@user_errors\n"
        "def slow_write() -> None:\n"
        f"    write_atomic(Path({str(target)!r}), body)\n"
        "sys.argv = ['qof', 'slow-write']\n"
        "cli.main()\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started.exists(), "the writer never started"
    os.kill(process.pid, signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["started"]
