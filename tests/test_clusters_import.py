"""`qof clusters import`: rebuild a ruleset's clusters from a PCD refset release file.

The release fixture (tests/fixtures/pcd/README.md) holds real codes from the shipped clusters in
artificial cluster assignments: DM_COD loses 11530004 and gains 111303009, DMRES_COD is the
same, FEDEC_COD (missing in the ruleset) gets one code, CARER_COD is not used by the ruleset.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qofcli import api
from qofcli.cli import app
from qofcli.ruleset import importer
from qofcli.ruleset.importer import plan_import, read_release

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "tests" / "fixtures" / "pcd" / "pcd_refset_content_by_output.txt"
SHIPPED = ROOT / "rulesets" / "qof-2026-27"  # the full ruleset: it holds the clusters
MINI = ROOT / "tests" / "fixtures" / "rulesets" / "mini"
SAMPLE = ROOT / "sample_data"
CHANGED_FILES = {"clusters/DM_COD.csv", "clusters/FEDEC_COD.csv", "clusters/SOURCES.csv"}
NOTE = "imported from the official PCD refset release"

runner = CliRunner()


def run(*args: object):
    return runner.invoke(app, ["clusters", "import", *map(str, args)])


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def sources(folder: Path) -> dict[str, dict[str, str]]:
    with (folder / "clusters" / "SOURCES.csv").open(newline="", encoding="utf-8") as handle:
        return {row["cluster"]: row for row in csv.DictReader(handle)}


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def release_text() -> str:
    return RELEASE.read_text(encoding="utf-8")


def write_release(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """qof-2026-27 with the fixture release imported, written once by the command."""
    out = tmp_path_factory.mktemp("import") / "qof-2026-27-pcd"
    result = run(RELEASE, "--ruleset", "qof-2026-27", "--out", out)
    assert result.exit_code == 0, result.output
    return out


# ---- the plan and the report ---------------------------------------------------------------


def test_plan_counts_added_removed_changed() -> None:
    plan = plan_import("qof-2026-27", read_release(RELEASE))
    change = {c.cluster: c for c in plan.changes}
    dm = change["DM_COD"]
    assert (dm.outcome, dm.added, dm.removed, dm.unchanged) == (
        "changed",
        ("111303009",),
        ("11530004",),
        85,
    )
    assert dm.invalid == ("1.12991E+14",)
    assert [code for code, _ in dm.rows] == sorted(code for code, _ in dm.rows)
    assert change["DMRES_COD"].outcome == "unchanged"
    fedec = change["FEDEC_COD"]
    assert (fedec.outcome, fedec.status_before, fedec.status_after) == (
        "added",
        "missing",
        "published",
    )
    assert plan.ignored == ("CARER_COD",)
    totals = plan.totals()
    assert totals["clusters_imported"] == 3
    assert (totals["added"], totals["changed"], totals["unchanged"]) == (1, 1, 1)
    assert (totals["codes_added"], totals["codes_removed"], totals["codes_unchanged"]) == (2, 1, 86)
    assert totals["not_in_release"] == totals["clusters_in_ruleset"] - 3
    assert totals["invalid_codes"] == 1 and totals["release_clusters_ignored"] == 1


def test_rows_repeated_per_output_are_deduplicated() -> None:
    release = read_release(RELEASE)
    dm_rows = [line for line in release_text().splitlines() if "\tDM_COD\t" in line]
    assert len(dm_rows) > len(release.clusters["DM_COD"]) + 1  # repeats (and one invalid code)
    assert len(release.clusters["DM_COD"]) == 86
    assert release.name == "pcd_refset_content_by_output"


def test_table_report(tmp_path: Path) -> None:
    result = run(RELEASE, "--dry-run")
    assert result.exit_code == 0, result.output
    for text in ("DM_COD", "FEDEC_COD", "missing → published", "1.12991E+14", "Dry run"):
        assert text in result.stdout
    assert "Not in the release, kept as they were" in result.stdout


def test_json_report_and_dry_run_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(RELEASE, "--out", out, "--dry-run", "--format", "json")
    assert result.exit_code == 0, result.output
    assert not out.exists() and leftovers(tmp_path) == []
    document = json.loads(result.stdout)
    assert document["written"] is False and document["out"] is None
    assert document["release"]["encoding"] == "utf-8"
    clusters = {c["cluster"]: c for c in document["clusters"]}
    assert clusters["DM_COD"]["added"] == ["111303009"]
    assert clusters["DM_COD"]["removed"] == ["11530004"]
    assert clusters["DM_COD"]["codes_after"] == 86
    assert clusters["FEDEC_COD"]["status_before"] == "missing"
    assert clusters["AST_COD"]["outcome"] == "not_in_release"
    assert document["ignored_clusters"] == ["CARER_COD"]
    assert document["totals"]["codes_added"] == 2


# ---- the written copy ---------------------------------------------------------------------


def test_untouched_files_are_identical(imported: Path) -> None:
    before, after = files(SHIPPED), files(imported)
    assert set(after) == set(before) | {"clusters/FEDEC_COD.csv"}
    different = {name for name in after if before.get(name) != after[name]}
    assert different == CHANGED_FILES


def test_imported_cluster_files(imported: Path) -> None:
    lines = (imported / "clusters" / "DM_COD.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "code,term"
    codes = [line.split(",")[0] for line in lines[1:]]
    assert codes == sorted(codes) and len(codes) == 86
    assert "111303009,Sjögren-Larsson syndrome" in lines and "11530004" not in codes
    fedec = (imported / "clusters" / "FEDEC_COD.csv").read_text(encoding="utf-8")
    assert fedec == "code,term\n306591000000103,Diabetes structured education programme declined\n"


def test_sources_rows(imported: Path) -> None:
    rows, shipped = sources(imported), sources(SHIPPED)
    for cluster, count in (("DM_COD", "86"), ("DMRES_COD", "1"), ("FEDEC_COD", "1")):
        assert rows[cluster] == {
            "cluster": cluster,
            "status": "published",
            "version": "pcd_refset_content_by_output",
            "repo": "",
            "path": "pcd_refset_content_by_output.txt",
            "commit": "",
            "rows": count,
            "note": NOTE,
        }
    assert list(rows) == list(shipped)  # same clusters, same order
    assert {k: v for k, v in rows.items() if k not in ("DM_COD", "DMRES_COD", "FEDEC_COD")} == {
        k: v for k, v in shipped.items() if k not in ("DM_COD", "DMRES_COD", "FEDEC_COD")
    }
    assert "CARER_COD" not in rows


def test_imported_ruleset_loads_and_scores(imported: Path) -> None:
    ruleset = api.load_ruleset(imported)
    assert "111303009" in ruleset.clusters["DM_COD"].codes
    assert ruleset.clusters["FEDEC_COD"].codes == ("306591000000103",)
    assert ruleset.clusters["FEDEC_COD"].status == "published"
    result = runner.invoke(app, ["score", str(SAMPLE), "--ruleset", str(imported), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ruleset"]["id"] == "qof-2026-27"


def test_release_name_option(tmp_path: Path) -> None:
    out = tmp_path / "mini-pcd"
    result = run(RELEASE, "-r", MINI, "--out", out, "--release", "PCD 2025-09-12")
    assert result.exit_code == 0, result.output
    assert sources(out)["DM_COD"]["version"] == "PCD 2025-09-12"
    assert sources(out)["DM_COD"]["path"] == RELEASE.name


# ---- encodings and column names -------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "prefix"), [("utf-8", "\ufeff"), ("cp1252", ""), ("utf-16", "")]
)
def test_bom_and_cp1252(tmp_path: Path, encoding: str, prefix: str) -> None:
    path = write_release(tmp_path / "release.txt", prefix + release_text(), encoding)
    release = read_release(path)
    assert release.encoding == encoding
    assert release.clusters["DM_COD"]["111303009"] == "Sjögren-Larsson syndrome"
    assert len(release.clusters["DM_COD"]) == 86


def fixture_rows() -> list[tuple[str, str, str]]:
    rows = list(csv.reader(release_text().splitlines(), delimiter="\t"))
    at = [rows[0].index(name) for name in ("Cluster_ID", "SNOMED_code", "SNOMED_code_description")]
    return [(row[at[0]], row[at[1]], row[at[2]]) for row in rows[1:]]


@pytest.mark.parametrize(
    "header",
    [
        {"Cluster ID": "cluster", "Code": "code", "Description": "term"},
        {"cluster_id": "cluster", "ConceptId": "code", "Term": "term"},
        {
            "CLUSTER_ID": "cluster",
            "Cluster_Description": "extra",
            "SNOMED_CODE": "code",
            "SNOMED_CODE_DESCRIPTION": "term",
        },
        {
            "Refset_ID": "extra",
            "Cluster_ID": "cluster",
            "Cluster_description": "extra",
            "Code": "code",
            "Description": "term",
            "Output_ID": "extra",
        },
    ],
    ids=lambda header: ",".join(header),
)
def test_header_spellings(tmp_path: Path, header: dict[str, str]) -> None:
    lines = ["\t".join(header)]
    for cluster, code, term in fixture_rows():
        cell = {"cluster": cluster, "code": code, "term": term, "extra": "other"}
        lines.append("\t".join(cell[role] for role in header.values()))
    release = read_release(write_release(tmp_path / "r.tsv", "\n".join(lines) + "\n"))
    assert release.clusters["DM_COD"]["111303009"] == "Sjögren-Larsson syndrome"
    assert release.clusters["FEDEC_COD"] == {
        "306591000000103": "Diabetes structured education programme declined"
    }


def test_comma_separated_and_quoted_cells(tmp_path: Path) -> None:
    text = (
        '"Cluster_ID"\t"SNOMED_code"\t"SNOMED_code_description"\n'
        '"DMRES_COD"\t"315051004"\t"Diabetes resolved"\n'
    )
    release = read_release(write_release(tmp_path / "q.txt", text))
    assert release.clusters == {"DMRES_COD": {"315051004": "Diabetes resolved"}}
    term = "Type 1 diabetes mellitus, central and peripheral neurodegeneration syndrome"
    text = f'Cluster_ID,SNOMED_code,SNOMED_code_description\nDM_COD,1255271005,"{term}"\n'
    release = read_release(write_release(tmp_path / "c.csv", text))
    assert release.clusters == {"DM_COD": {"1255271005": term}}


def test_missing_columns_is_one_line_naming_the_columns(tmp_path: Path) -> None:
    path = write_release(tmp_path / "r.txt", "Cluster_ID\tName\tValue\nDM_COD\tx\t1\n")
    result = run(path, "--dry-run")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert str(path) in lines[0] and "no code column" in lines[0]
    assert "'Cluster_ID', 'Name', 'Value'" in lines[0]


def test_missing_file_and_missing_out(tmp_path: Path) -> None:
    result = run(tmp_path / "nope.txt", "--dry-run")
    assert result.exit_code == 2 and "no such file" in result.stderr
    result = run(RELEASE, "-r", MINI)
    assert result.exit_code == 2 and "--out" in result.stderr


def test_cluster_with_only_invalid_codes_is_kept(tmp_path: Path) -> None:
    text = "Cluster_ID\tSNOMED_code\tSNOMED_code_description\nDMRES_COD\t315051005\tTypo\n"
    plan = plan_import(MINI, read_release(write_release(tmp_path / "r.txt", text)))
    change = next(c for c in plan.changes if c.cluster == "DMRES_COD")
    assert (change.outcome, change.status_after, change.invalid) == (
        "no_valid_codes",
        "published",
        ("315051005",),
    )
    assert plan.totals()["clusters_imported"] == 0


# ---- --out, --overwrite, atomicity -----------------------------------------------------------


def test_existing_out_needs_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(RELEASE, "-r", MINI, "--out", out).exit_code == 0
    (out / "clusters" / "DM_COD.csv").write_text("code,term\n111552007,x\n", encoding="utf-8")
    result = run(RELEASE, "-r", MINI, "--out", out)
    assert result.exit_code == 2 and "--overwrite" in result.stderr
    assert "111552007,x" in (out / "clusters" / "DM_COD.csv").read_text(encoding="utf-8")
    result = run(RELEASE, "-r", MINI, "--out", out, "--overwrite")
    assert result.exit_code == 0, result.output
    assert "111303009" in (out / "clusters" / "DM_COD.csv").read_text(encoding="utf-8")
    assert leftovers(tmp_path) == []


def test_overwrite_only_replaces_a_ruleset_folder(tmp_path: Path) -> None:
    out = tmp_path / "notes"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    result = run(RELEASE, "-r", MINI, "--out", out, "--overwrite")
    assert result.exit_code == 2 and "ruleset.toml" in result.stderr
    assert (out / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_out_inside_the_ruleset_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "mini"
    shutil.copytree(MINI, source)
    result = run(RELEASE, "-r", source, "--out", source / "imported")
    assert result.exit_code == 2 and "inside the ruleset folder" in result.stderr


def test_failure_midway_leaves_no_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def failing_write(path: Path, text: str) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        path.write_text(text, encoding="utf-8", newline="")

    monkeypatch.setattr(importer, "_write_text", failing_write)
    out = tmp_path / "out"
    result = run(RELEASE, "-r", MINI, "--out", out)
    assert result.exit_code == 2 and "No space left" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists() and leftovers(tmp_path) == []


def test_failure_midway_keeps_the_previous_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    shutil.copytree(MINI, out)
    before = files(out)

    def broken_check(temp: Path, folder: Path, where: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(importer, "_check_copy_loads", broken_check)
    result = run(RELEASE, "-r", MINI, "--out", out, "--overwrite")
    assert result.exit_code == 130
    assert files(out) == before and leftovers(tmp_path) == []


# ---- rulesets that extend another ------------------------------------------------------------


def test_child_ruleset_gets_its_parents_clusters(tmp_path: Path) -> None:
    child = tmp_path / "child"
    child.mkdir()
    (child / "ruleset.toml").write_text('id = "child"\nextends = "qof-2026-27"\n', encoding="utf-8")
    out = tmp_path / "child-pcd"
    result = run(RELEASE, "-r", child, "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / "ruleset.toml").read_bytes() == (child / "ruleset.toml").read_bytes()
    assert sorted(p.name for p in (out / "clusters").iterdir()) == [
        "DMRES_COD.csv",
        "DM_COD.csv",
        "FEDEC_COD.csv",
        "SOURCES.csv",
    ]
    assert set(sources(out)) == {"DM_COD", "DMRES_COD", "FEDEC_COD"}
    ruleset = api.load_ruleset(out)  # the child's clusters override the parent's by id
    assert "111303009" in ruleset.clusters["DM_COD"].codes
    assert "11530004" not in ruleset.clusters["DM_COD"].codes
    assert ruleset.clusters["FEDEC_COD"].status == "published"
    assert ruleset.clusters["AST_COD"] == api.load_ruleset("qof-2026-27").clusters["AST_COD"]


def test_relative_extends_that_would_break_is_refused(tmp_path: Path) -> None:
    shutil.copytree(MINI, tmp_path / "src" / "mini")
    child = tmp_path / "src" / "child"
    child.mkdir()
    (child / "ruleset.toml").write_text('id = "child"\nextends = "mini"\n', encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    out = tmp_path / "elsewhere" / "child-pcd"
    result = run(RELEASE, "-r", child, "--out", out)
    assert result.exit_code == 2 and "extends = 'mini'" in result.stderr
    assert not out.exists() and leftovers(tmp_path / "elsewhere") == []
    beside = tmp_path / "src" / "child-pcd"
    assert run(RELEASE, "-r", child, "--out", beside).exit_code == 0
    assert "111303009" in api.load_ruleset(beside).clusters["DM_COD"].codes
