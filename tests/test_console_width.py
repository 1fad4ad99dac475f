"""Human output stays whole: no id or number is truncated at 80 columns or when redirected."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from qofcli import api
from qofcli.cli import app

RULESET = "qof-2025-26"
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
runner = CliRunner()


@pytest.mark.parametrize("columns", ["80", "60"])
@pytest.mark.parametrize("as_of", [None, "2025-12-31"])
def test_score_table_truncates_nothing(columns: str, as_of: str | None) -> None:
    args = ["score", str(SAMPLE), "-r", RULESET] + (["--as-of", as_of] if as_of else [])
    result = runner.invoke(app, args, env={"COLUMNS": columns})
    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout
    assert all(len(line) <= int(columns) for line in result.stdout.splitlines())
    for indicator in api.load_ruleset(RULESET).indicators:
        assert f" {indicator}" in result.stdout


def test_redirected_output_has_a_stable_width() -> None:
    # CliRunner is not a terminal: without COLUMNS the width is the fixed redirected width.
    result = runner.invoke(app, ["score", str(SAMPLE), "-r", RULESET], env={"COLUMNS": ""})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 120
    assert "…" not in result.stdout
