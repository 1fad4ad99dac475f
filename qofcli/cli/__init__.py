"""The `qof` command line: option parsing and wiring only; the work happens in qofcli.api."""

from __future__ import annotations

import signal
from types import FrameType

from qofcli.cli import (  # noqa: F401 - registers commands
    clusters,
    diff,
    patients,
    report,
    rulesets,
    score,
    synth,
    validate,
)
from qofcli.cli.app import app


def _terminate(signum: int, frame: FrameType | None) -> None:
    # SIGTERM (a scheduler stopping the job) unwinds like Ctrl-C, so atomic writes remove
    # their temporary file, which may hold patient data.
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point."""
    signal.signal(signal.SIGTERM, _terminate)
    app()


__all__ = ["app", "main"]
