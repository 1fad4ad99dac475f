"""Target (issue #9): on the bundled sample, every shipped ruleset prices every indicator that
has a denominator. Checked as a property over the rulesets and whatever the sample holds, so it
stays true when the sample is regenerated for another year. Exempt, as documented
(rulesets/README.md, "Payment"): protected and manual rows whose points need a user file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qofcli.cli import app
from qofcli.ruleset.catalogue import shipped_ruleset_ids

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
NATIONAL = [i for i in shipped_ruleset_ids() if i.startswith("qof-")]

runner = CliRunner()


@pytest.mark.parametrize("ruleset_id", NATIONAL)
def test_every_indicator_with_a_denominator_has_pounds(ruleset_id: str) -> None:
    result = runner.invoke(app, ["score", str(SAMPLE), "-f", "json", "-r", ruleset_id])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    rows = [i for p in document["practices"] for i in p["indicators"]]
    counted = [i for i in rows if (i["denominator"] or 0) > 0]
    assert counted, "the sample gives no indicator a denominator"
    user_supplied = [i for i in counted if i["payment"] != "achievement"]
    assert all(i["points"] is None and i["points_note"] for i in user_supplied)
    # indicators not computable from public clusters have no £ by design, and say why
    blocked = [i for i in counted if not i["computable"]]
    assert all(i["pounds"] is None and "import" in i["pounds_note"] for i in blocked)
    unpriced = {
        (i["id"], i["pounds_note"])
        for i in counted
        if i["pounds"] is None and i["payment"] == "achievement" and i["computable"]
    }
    assert not unpriced
    assert document["payment"]["prevalence_basis"]
