"""Every command's --help shows at least one example and no type placeholders."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from qofcli.cli import app

COMMANDS = [
    ["score"],
    ["patients"],
    ["validate"],
    ["diff"],
    ["report"],
    ["synth"],
    ["rulesets"],
    ["rulesets", "show"],
    ["rulesets", "test"],
    ["clusters", "import"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_has_an_example_and_no_placeholders(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert "Example" in result.stdout
    assert f"qof {' '.join(command)}" in result.stdout.split("Example", 1)[1]
    assert "<bool>" not in result.stdout
    assert not any(f"{{{name}}}" in result.stdout for name in ("extract", "ruleset_a", "file"))
