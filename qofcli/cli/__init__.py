"""The `qof` command line: option parsing and wiring only; the work happens in qofcli.api."""

from __future__ import annotations

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


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
