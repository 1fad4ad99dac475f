"""Indicators a missing cluster decides for every patient are "not computable from public
clusters" (issue #10 item 6): found statically (qofcli/ruleset/computable.py), reported with
null achievement, points and £, left out of the totals, naming the clusters to import.

Fixture: a small ruleset extending tests/fixtures/rulesets/mini (PPSD 2024-04-01, PPED
2025-03-31) whose BLIND_COD and FEDEC_COD clusters are `missing`.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from qofcli.api import counts, load_ruleset, practices_of
from qofcli.extract import extract_from_frames
from qofcli.reports.files import score_document
from qofcli.ruleset.computable import not_computable
from qofcli.scoring.achievement import score

MINI = Path(__file__).parent / "fixtures" / "rulesets" / "mini"

PASS_ON = "if_true: {reject: DMPCADEC}\n    if_false: next"
SELECT_REST = "if_true: {reject: DMMAX}\n    if_false: select"


def _indicator(ident: str, denominator: str, numerator: str = "{is: HBA1C_LE_58}") -> str:
    return f"""id: {ident}
description: fixture {ident}
group: DM
register: DM_REG
points: 10
thresholds: {{lower: 40, upper: 90}}
confidence: high
source: test fixture
denominator:
{denominator}
numerator:
  - when: {numerator}
    if_true: select
    if_false: reject
"""


def _rule(when: str, actions: str) -> str:
    return f"  - when: {when}\n    {actions}\n"


INDICATORS = {
    # the whole denominator rejected at rule 1: a missing score is never >= 2 (like AF008)
    "BLINDDEN": _rule(
        "{not: {value: SCORE, ge: 2}}", "if_true: {reject: MDSEVFRAIL}\n    if_false: next"
    )
    + _rule("{age: {ge: 0}}", "if_true: select\n    if_false: select"),
    # nobody can achieve: the numerator reads only a missing cluster
    "BLINDNUM": _rule("{age: {ge: 0}}", "if_true: select\n    if_false: select"),
    # a PCA on a missing cluster (never fires) and a last rule whose PCA side never fires
    "PCAONLY": _rule("{has: FEDEC}", PASS_ON) + _rule("{has: BLIND}", SELECT_REST),
    # everyone selected at rule 1, skipping the exclusions after it
    "BLINDFILL": _rule("{not: {has: BLIND}}", "if_true: select\n    if_false: next")
    + _rule("{age: {ge: 0}}", "if_true: {reject: DMMAX}\n    if_false: select"),
    # a count of days from a missing cluster is 0 for everyone: "fewer than 3" is always true
    "BLINDCOUNT": _rule("{age: {ge: 0}}", "if_true: select\n    if_false: select"),
}
NUMERATORS = {"BLINDNUM": "{has: BLIND}", "BLINDCOUNT": "{value: BLINDDAYS, lt: 3}"}


def _fixture(folder: Path, import_blind: bool = False) -> Path:
    """A child of mini; with `import_blind`, BLIND_COD holds a real code (a DM_COD member)."""
    shutil.copytree(MINI, folder / "mini")
    child = folder / "blind"
    (child / "indicators").mkdir(parents=True)
    (child / "registers").mkdir()
    (child / "clusters").mkdir()
    (child / "ruleset.toml").write_text(
        'id = "blind"\nextends = "mini"\n[dates]\nPPSD = 2024-04-01\nPPED = 2025-03-31\n'
    )
    (child / "fields.yaml").write_text(
        "SCORE: {latest: BLIND_COD}\nBLIND: {latest: BLIND_COD}\n"
        "BLINDDAYS: {count: BLIND_COD}\nFEDEC: {latest: FEDEC_COD}\n"
    )
    for ident, denominator in INDICATORS.items():
        numerator = NUMERATORS.get(ident, "{is: HBA1C_LE_58}")
        (child / "indicators" / f"{ident}.yaml").write_text(
            _indicator(ident, denominator, numerator)
        )
    (child / "registers" / "BLIND_REG.yaml").write_text(
        "id: BLIND_REG\nprevalence: false\ndescription: diabetes and a missing drug\n"
        "rules:\n"
        "  - when: {has: DMLAT}\n    if_true: next\n    if_false: reject\n"
        "  - when: {has: BLIND}\n    if_true: select\n    if_false: reject\n"
    )
    (child / "indicators" / "ONBLIND.yaml").write_text(
        _indicator(
            "ONBLIND", _rule("{age: {ge: 0}}", "if_true: select\n    if_false: select")
        ).replace("register: DM_REG", "register: BLIND_REG")
    )
    header = "cluster,status,version,repo,path,commit,rows,note\n"
    if import_blind:
        code = (MINI / "clusters" / "DM_COD.csv").read_text().splitlines()[1]
        (child / "clusters" / "BLIND_COD.csv").write_text(f"code,term\n{code}\n")
        row = "BLIND_COD,published,test,,,,1,test: imported\n"
    else:
        row = "BLIND_COD,missing,,,,,0,test: no public copy\n"
    (child / "clusters" / "SOURCES.csv").write_text(header + row)
    return child


def test_af008_and_af006_need_the_cha2ds2_vasc_cluster():
    for ruleset_id in ("qof-2025-26", "qof-2026-27"):
        found = not_computable(load_ruleset(ruleset_id))
        assert found["AF008"].where == "denominator rule 1"
        assert "CHADVASC_COD" in found["AF008"].clusters
        assert found["AF006"].clusters == ("CHADVASC_COD",)
        assert "CHADVASC_COD" in found["AF008"].note


def test_pca_only_missing_clusters_stay_computable():
    """SMOK002's PCA clusters are missing but it stays computable; so do DM020 and CHOL003."""
    found = not_computable(load_ruleset("qof-2026-27"))
    for indicator in ("SMOK002", "DM020", "CHOL003", "HYP008"):
        assert indicator not in found


def test_fixture_detection(tmp_path: Path):
    found = not_computable(load_ruleset(_fixture(tmp_path)))
    assert found["BLINDDEN"].where == "denominator rule 1"
    assert found["BLINDNUM"].where == "numerator rule 1"
    assert found["BLINDFILL"].where == "denominator rule 1"
    assert found["BLINDCOUNT"].where == "numerator rule 1"
    assert found["ONBLIND"].where == "register BLIND_REG rule 2"
    assert {b.clusters for b in found.values()} == {("BLIND_COD",)}
    assert "PCAONLY" not in found
    assert "MINI001" not in found and "MINI002" not in found


def test_importing_the_cluster_makes_them_computable(tmp_path: Path):
    assert not_computable(load_ruleset(_fixture(tmp_path, import_blind=True))) == {}


def _extract():
    patients = pl.DataFrame(
        {
            "patient_id": ["p1", "p2"],
            "practice_code": ["A00001", "A00001"],
            "date_of_birth": [date(1960, 1, 1), date(1970, 1, 1)],
            "sex": ["F", "M"],
            "registration_date": [date(2000, 1, 1), date(2000, 1, 1)],
            "deregistration_date": [None, None],
            "death_date": [None, None],
        },
        schema_overrides={"deregistration_date": pl.Date, "death_date": pl.Date},
    )
    code = (MINI / "clusters" / "DM_COD.csv").read_text().splitlines()[1].split(",")[0]
    hba1c = (MINI / "clusters" / "IFCCHBAM_COD.csv").read_text().splitlines()[1].split(",")[0]
    events = pl.DataFrame(
        {
            "patient_id": ["p1", "p2", "p1"],
            "date": [date(2015, 1, 1), date(2015, 1, 1), date(2024, 6, 1)],
            "code": [code, code, hba1c],
            "value": [None, None, 50.0],
        },
        schema_overrides={"value": pl.Float64},
    )
    return extract_from_frames(patients, events)


def test_score_leaves_them_out_and_says_so(tmp_path: Path):
    ruleset = load_ruleset(_fixture(tmp_path))
    result = score(counts(_extract(), ruleset), practices_of(_extract()))
    rows = {r["indicator"]: r for r in result.indicators.to_dicts()}
    blocked = rows["BLINDDEN"]
    assert blocked["computable"] is False
    assert blocked["missing_clusters"] == "BLIND_COD"
    assert blocked["achievement"] is None and blocked["points"] is None
    assert blocked["pounds"] is None
    assert "import BLIND_COD" in blocked["points_note"]
    assert blocked["excluded"] == 2  # the counts stay: both diabetics were rejected at rule 1
    computable = rows["MINI001"]
    assert computable["computable"] is True and computable["missing_clusters"] is None
    # p1 HbA1c 50 (<= 58) achieves; p2 has no HbA1c and no PCA: not achieved -> 1 of 2
    assert computable["achievement"] == 50.0
    totals = result.totals.to_dicts()[0]
    blocked_points = 10.0 * 5  # BLINDDEN, BLINDNUM, BLINDFILL, BLINDCOUNT, ONBLIND
    assert totals["points_not_computable"] == blocked_points
    assert totals["points_not_computed"] == 0  # nothing protected or declared here
    document = json.loads(json.dumps(score_document(result), default=str))
    records = {r["id"]: r for r in document["practices"][0]["indicators"]}
    assert records["BLINDNUM"]["computable"] is False
    assert records["BLINDNUM"]["missing_clusters"] == "BLIND_COD"
    assert records["PCAONLY"]["computable"] is True


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_file_outputs_carry_the_columns(tmp_path: Path, fmt: str):
    from qofcli.reports.files import frame_bytes

    ruleset = load_ruleset(_fixture(tmp_path))
    result = score(counts(_extract(), ruleset), practices_of(_extract()))
    data = frame_bytes(result.indicators, fmt)
    path = tmp_path / f"out.{fmt}"
    path.write_bytes(data)
    frame = pl.read_csv(path) if fmt == "csv" else pl.read_parquet(path)
    blocked = frame.filter(pl.col("indicator") == "BLINDDEN").to_dicts()[0]
    assert blocked["computable"] in (False, "false")
    assert blocked["missing_clusters"] == "BLIND_COD"
    assert blocked["points"] is None
