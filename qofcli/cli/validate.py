"""`qof validate`: check an extract against the contract and report every problem at once."""

from __future__ import annotations

import typer

from qofcli import api
from qofcli.cli.app import app, stdout, user_errors
from qofcli.cli.common import warn_if_wrong_year
from qofcli.cli.options import ExtractArg, MapOpt, RulesetOpt
from qofcli.extract import load_extract, validate_extract
from qofcli.reports.console import render_validation
from qofcli.ruleset.catalogue import default_ruleset_id


@app.command()
@user_errors
def validate(extract: ExtractArg, ruleset: RulesetOpt = None, map_file: MapOpt = None) -> None:
    """Check an extract. Exit 0 when clean, 1 with warnings only, 2 with errors.

    Codes in no cluster of the ruleset are reported as a note, which leaves the exit code alone
    (real extracts carry many codes no QOF rule reads). Values that are NaN, infinite or outside
    their cluster's plausible range are warnings (the rules treat them as missing).

    \b
    Examples:
      qof validate sample_data && qof score sample_data
      qof validate EXPORT --map docs/mappings/events-with-bp-columns.toml
    """
    rules = api.load_ruleset(ruleset or default_ruleset_id())
    known = frozenset(code for c in rules.clusters.values() for code in c.codes)
    mapping = api.load_mapping(map_file) if map_file else None
    ranges = rules.code_value_ranges()
    report = validate_extract(extract, known_codes=known, mapping=mapping, value_ranges=ranges)
    render_validation(report, stdout)
    if not report.errors:
        warn_if_wrong_year(load_extract(extract, mapping), rules)
    raise typer.Exit(report.exit_code)
