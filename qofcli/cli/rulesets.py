"""`qof rulesets`: list the shipped rulesets."""

from __future__ import annotations

from qofcli import api
from qofcli.cli.app import app, stdout, user_errors
from qofcli.reports.console import render_rulesets
from qofcli.ruleset.catalogue import default_ruleset_id, shipped_ruleset_ids


@app.command()
@user_errors
def rulesets() -> None:
    """List shipped rulesets with QOF year, business-rules version, indicators and points."""
    loaded = [api.load_ruleset(ruleset_id) for ruleset_id in shipped_ruleset_ids()]
    render_rulesets(loaded, default_ruleset_id(), stdout)
