"""`qof report`: the HTML is one self-contained page (structure, no external reference, renders
with charts in Chromium), the workbook reads back to the numbers of `qof score -f json`, PCAs
are split as the official reason fields say, and patient data appears only when asked for.

Rulesets and dates: qof-2025-26 (PPSD 2025-04-01, PPED 2026-03-31) on the bundled sample data and
on a hand-made extract; qof-2026-27 for the ruleset checksum."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import openpyxl
import polars as pl
import pytest
from report_render import chromium, render_png
from typer.testing import CliRunner

from qofcli import api
from qofcli.cli import app
from qofcli.reports import charts
from qofcli.reports.report import (
    AUTOMATIC,
    OTHER_PCA,
    _percentile_in_england,
    build_report,
    prevalence_distribution,
    ruleset_checksum,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
SHARED = ROOT.parent / "shared" / "reference"
RULESET = "qof-2025-26"
runner = CliRunner()


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def html_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("report") / "report.html"
    result = run("report", SAMPLE, "-r", RULESET, "-o", target)
    assert result.exit_code == 0, result.output
    return target


@pytest.fixture(scope="module")
def sample_patient_ids() -> list[str]:
    return pl.read_csv(SAMPLE / "patients.csv")["patient_id"].to_list()


class Collector(HTMLParser):
    """Every tag with its attributes, and the text of <style> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def parse(path: Path) -> Collector:
    collector = Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


def test_html_has_no_external_reference(html_report: Path) -> None:
    page = parse(html_report)
    names = {tag for tag, _ in page.tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed", "image", "base"}
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            if name.startswith("xmlns"):
                continue  # a namespace name, never fetched
            value = value or ""
            if name in ("href", "src", "xlink:href", "action", "srcset", "poster"):
                assert value.startswith("#"), (tag, name, value)
            assert "://" not in value, (tag, name, value)
            for target in re.findall(r"url\(([^)]*)\)", value):
                assert target.strip("'\" ").startswith("#"), (tag, name, value)
    css = "".join(page.styles)
    assert "@import" not in css and "@font-face" not in css and "url(" not in css
    text = html_report.read_text(encoding="utf-8")
    assert "<!DOCTYPE svg" not in text and "<?xml" not in text


def test_html_structure_and_stamp(html_report: Path) -> None:
    page = parse(html_report)
    text = html_report.read_text(encoding="utf-8")
    ruleset = api.load_ruleset(RULESET)
    checksum = ruleset_checksum(ruleset)
    footer = re.search(r"<footer>(.*?)</footer>", text, re.DOTALL)
    assert footer is not None
    for fact in (ruleset.id, ruleset.business_rules, "2026-03-31", checksum):
        assert fact in footer.group(1)
    assert "position: fixed" in text and "@page { size: A4" in text  # repeated on printed pages
    headings = re.findall(r"<h2>(.*?)</h2>", text)
    assert headings[:2] == ["Headline", "Practice comparison"]
    for code in pl.read_csv(SAMPLE / "practices.csv")["practice_code"]:
        assert any(h.startswith(code) for h in headings), code
    assert sum(tag == "svg" for tag, _ in page.tags) >= 2 + 2 * 10  # domains, indicators, ...
    assert "Prevalence against England" in text and "PCA auto" in text


def test_html_headline_matches_score(html_report: Path) -> None:
    score = json.loads(run("score", SAMPLE, "-r", RULESET, "-f", "json").stdout)
    totals = score["totals"]
    text = html_report.read_text(encoding="utf-8")
    assert f"{totals['points']:,.2f} of {totals['max_points']:,.0f}" in text
    assert f"£{totals['pounds']:,.2f} of £{totals['max_pounds']:,.2f}" in text


def test_no_patient_data_unless_asked(
    html_report: Path, sample_patient_ids: list[str], small: Path, tmp_path: Path
) -> None:
    assert not any(pid in html_report.read_text(encoding="utf-8") for pid in sample_patient_ids)
    ids = pl.read_csv(small / "patients.csv")["patient_id"].to_list()
    assert run("report", small, "-r", RULESET, "-o", tmp_path / "r.html").exit_code == 0
    assert not any(pid in (tmp_path / "r.html").read_text(encoding="utf-8") for pid in ids)
    for name in ("p.html", "p.xlsx"):
        result = run("report", small, "-r", RULESET, "-o", tmp_path / name, "--include-patients")
        assert result.exit_code == 0, result.output
    text = (tmp_path / "p.html").read_text(encoding="utf-8")
    assert all(pid in text for pid in ids)
    sheet = sheet_records(openpyxl.load_workbook(tmp_path / "p.xlsx"), "patients")
    dm020 = {r["patient_id"]: r["status"] for r in sheet if r["indicator"] == "DM020"}
    assert dm020 == {
        "SECRET-ACH": "achieved",
        "SECRET-DEC": "pca",
        "SECRET-NEWREG": "pca",
        "SECRET-NEWDIAG": "pca",
        "SECRET-MISS": "not_achieved",
    }


def test_in_year_shows_what_is_left(small: Path, tmp_path: Path) -> None:
    target = tmp_path / "in-year.html"
    assert run("report", small, "-r", RULESET, "--as-of", "2025-12-31", "-o", target).exit_code == 0
    text = target.read_text(encoding="utf-8")
    assert "Patients still needed" in text and "£ still available" in text
    assert "achievement date 2025-12-31" in text


def test_compare_shows_rule_changes_and_money(small: Path, tmp_path: Path) -> None:
    scheme = ROOT / "rulesets" / "examples" / "network-scheme"
    target = tmp_path / "compare.html"
    result = run("report", small, "-r", scheme, "--compare", RULESET, "-o", target)
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    diff = json.loads(run("diff", RULESET, scheme, "--extract", small, "-f", "json").stdout)
    change = diff["totals"]["pounds_change"]
    assert f"Compared with {RULESET}" in text
    assert f"{'+' if change >= 0 else '−'}£{abs(change):,.2f}" in text
    assert "DM012" in text and f"Rule changes ({len(diff['changes'])})" in text


def test_by_pcn_reports_network_units(small: Path, tmp_path: Path) -> None:
    target = tmp_path / "pcn.html"
    assert run("report", small, "-r", RULESET, "--by", "pcn", "-o", target).exit_code == 0
    assert "<h2>(no PCN)" in target.read_text(encoding="utf-8")


def test_not_computable_indicators_are_marked(small: Path) -> None:
    """Another part of qofcli flags indicators that public clusters cannot compute; the report
    shows the flag whenever the results carry it."""
    from qofcli.reports.html import report_html

    ruleset = api.load_ruleset(RULESET)
    report = build_report(api.score(api.open_extract(small, ruleset), ruleset))
    flagged = report.indicators.with_columns(computable=pl.col("indicator") != "DM020")
    totals = report.score.totals.with_columns(points_not_computable=pl.lit(17.0))
    score = replace(report.score, totals=totals)
    text = report_html(replace(report, score=score, indicators=flagged))
    assert "17.00 points are on indicators not computable from public clusters" in text
    assert text.count('<tr class="nc"><td class="t">DM020</td>') == 1
    assert "DM020: not computable from public clusters" in text
    assert '<tr class="nc"><td class="t">DM006</td>' not in text


# --- PCA split ---------------------------------------------------------------------------------


def _dm020_extract(folder: Path, ruleset) -> Path:
    """Five diabetics at one practice under qof-2025-26 DM020 (HbA1c <= 58 in the 12 months to
    PPED 2026-03-31), from the rule text and the official reason fields:
    - ACH: HbA1c 50 on 2025-09-01 and a DMPCADEC code on 2025-10-01: achieved (an achiever is
      never removed by a PCA);
    - DEC: DMPCADEC on 2025-10-01, no HbA1c: PCA DMPCADEC, chosen by the patient;
    - NEWREG: registered 2026-02-01 (within 9 months of PPED), no HbA1c: PCA REG1_DAT9, automatic;
    - NEWDIAG: diabetes first recorded 2026-02-15 (within 9 months of PPED): PCA DIAG1_DT9M,
      automatic (DM020 is an intermediate-outcome indicator: its new-patient windows are 9 months);
    - MISS: HbA1c 70 on 2025-09-01: in the denominator, not the numerator."""
    code = {c: ruleset.clusters[c].codes[0] for c in ("DM_COD", "IFCCHBAM_COD", "DMPCADEC_COD")}
    ids = [f"SECRET-{name}" for name in ("ACH", "DEC", "NEWREG", "NEWDIAG", "MISS")]
    pl.DataFrame(
        {
            "patient_id": ids,
            "practice_code": ["A81001"] * 5,
            "date_of_birth": ["1960-01-01"] * 5,
            "sex": ["F"] * 5,
            "registration_date": [
                "2000-01-01",
                "2000-01-01",
                "2026-02-01",
                "2000-01-01",
                "2000-01-01",
            ],
            "deregistration_date": [None] * 5,
            "death_date": [None] * 5,
        }
    ).write_csv(folder / "patients.csv")
    events = [
        ("ACH", "2010-01-01", code["DM_COD"], None),
        ("ACH", "2025-09-01", code["IFCCHBAM_COD"], 50.0),
        ("ACH", "2025-10-01", code["DMPCADEC_COD"], None),
        ("DEC", "2010-01-01", code["DM_COD"], None),
        ("DEC", "2025-10-01", code["DMPCADEC_COD"], None),
        ("NEWREG", "2010-01-01", code["DM_COD"], None),
        ("NEWDIAG", "2026-02-15", code["DM_COD"], None),
        ("MISS", "2010-01-01", code["DM_COD"], None),
        ("MISS", "2025-09-01", code["IFCCHBAM_COD"], 70.0),
    ]
    events = [(f"SECRET-{who}", *rest) for who, *rest in events]
    pl.DataFrame(events, schema=["patient_id", "date", "code", "value"], orient="row").write_csv(
        folder / "events.csv"
    )
    return folder


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _dm020_extract(tmp_path_factory.mktemp("small"), api.load_ruleset(RULESET))


def test_pca_split_automatic_from_patient_chosen(small: Path) -> None:
    ruleset = api.load_ruleset(RULESET)
    extract = api.open_extract(small, ruleset)
    report = build_report(api.score(extract, ruleset))
    dm020 = report.indicators.filter(pl.col("indicator") == "DM020").to_dicts()[0]
    assert (dm020["denominator"], dm020["numerator"], dm020["pca"]) == (2, 1, 3)
    assert (dm020["pca_automatic"], dm020["pca_other"]) == (2, 1)
    assert dm020["pca_rate"] == pytest.approx(3 / 5 * 100)
    assert dm020["pca_automatic_rate"] == pytest.approx(2 / 5 * 100)
    kinds = dict(
        report.reasons.filter(pl.col("indicator") == "DM020").select("reason", "kind").iter_rows()
    )
    assert kinds == {"REG1_DAT9": AUTOMATIC, "DIAG1_DT9M": AUTOMATIC, "DMPCADEC": OTHER_PCA}


# --- reference data ----------------------------------------------------------------------------


def test_percentile_places_a_practice_in_england() -> None:
    england = prevalence_distribution().filter(pl.col("group") == "DM").to_dicts()[0]
    registers = pl.DataFrame(
        {
            "england_group": ["DM", "DM", "DM", "DM", None],
            "prevalence": [england["p50"], england["p0"] - 1, england["p100"] + 1, 6.0, 6.0],
        }
    )
    placed = _percentile_in_england(registers).to_list()
    assert placed[:3] == [50.0, 0.0, 100.0]
    assert england["p40"] <= 6.0 <= england["p60"] or not 40 <= placed[3] <= 60
    assert placed[4] is None


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/reference (official files) not found")
def test_reference_tables_rebuild_from_official_files(tmp_path: Path, monkeypatch) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build_report_reference", ROOT / "scripts" / "build_report_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", tmp_path)
    monkeypatch.setattr("sys.argv", ["build", str(SHARED)])
    module.main()
    for name in ("prevalence_distribution_2024_25.csv", "automatic_pca.csv"):
        shipped = ROOT / "qofcli" / "data" / name
        assert (tmp_path / name).read_text() == shipped.read_text(), name
    national = pl.read_csv(SHARED / "nhsd-qof-2024-25" / "NATIONAL_PREVALENCE_2425.csv")
    ours = dict(prevalence_distribution().select("group", "national").iter_rows())
    for group, published in national.select("group", "prev_total_list_pct").iter_rows():
        assert ours[group] == pytest.approx(published, abs=0.001), group


def test_checksum_follows_the_ruleset_files(tmp_path: Path) -> None:
    ruleset = api.load_ruleset("qof-2026-27")
    copy = tmp_path / "copy"
    shutil.copytree(ruleset.path, copy)
    assert ruleset_checksum(api.load_ruleset(copy)) == ruleset_checksum(ruleset)
    cluster = next((copy / "clusters").glob("*.csv"))
    cluster.write_text(cluster.read_text() + "\n")
    assert ruleset_checksum(api.load_ruleset(copy)) != ruleset_checksum(ruleset)
    child = ruleset_checksum(api.load_ruleset("qof-2025-26"))
    assert child != ruleset_checksum(ruleset)


# --- workbook ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    target = tmp_path_factory.mktemp("book") / "report.xlsx"
    result = run("report", SAMPLE, "-r", RULESET, "-o", target)
    assert result.exit_code == 0, result.output
    return openpyxl.load_workbook(target)


def sheet_records(book: openpyxl.Workbook, name: str) -> list[dict[str, object]]:
    rows = list(book[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def same(cell: object, value: object) -> bool:
    if isinstance(value, float) and isinstance(cell, int | float):
        return round(float(cell), 4) == pytest.approx(value, abs=1e-9)
    return cell == value


def test_workbook_sheets_are_typed_frozen_and_filtered(workbook: openpyxl.Workbook) -> None:
    assert workbook.sheetnames == ["summary", "indicators", "registers", "reasons", "domains"]
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        tables = list(sheet.tables.values())
        assert tables and tables[0].autoFilter is not None, sheet.title
    indicators = workbook["indicators"]
    header = [c.value for c in indicators[1]]
    first = dict(zip(header, indicators[2], strict=True))
    assert first["pounds"].number_format.startswith("£") or first["pounds"].value is None
    assert first["max_points"].data_type == "n" and isinstance(first["denominator"].value, int)
    summary = workbook["summary"]
    header = [c.value for c in summary[1]]
    assert summary.cell(2, header.index("pounds") + 1).number_format.startswith("£")


def test_workbook_numbers_equal_score_json(workbook: openpyxl.Workbook) -> None:
    score = json.loads(run("score", SAMPLE, "-r", RULESET, "-f", "json").stdout)
    practices = {p["practice_code"]: p for p in score["practices"]}
    summary = {r["practice_code"]: r for r in sheet_records(workbook, "summary")}
    assert summary.keys() == practices.keys()
    for code, row in summary.items():
        for column in ("list_size", "points", "max_points", "pounds", "max_pounds"):
            assert same(row[column], practices[code][column]), (code, column)
    indicators = {
        (r["practice_code"], r["indicator"]): r for r in sheet_records(workbook, "indicators")
    }
    reasons = {
        (r["practice_code"], r["indicator"], r["reason"]): r["patients"]
        for r in sheet_records(workbook, "reasons")
    }
    checked = 0
    for code, practice in practices.items():
        for record in practice["indicators"]:
            row = indicators[(code, record["id"])]
            for column, value in record.items():
                if column in row and isinstance(value, int | float) and not isinstance(value, bool):
                    assert same(row[column], value), (code, record["id"], column)
                    checked += 1
            for reason, patients in record["reasons"].items():
                assert reasons[(code, record["id"], reason)] == patients
        registers = {
            r["register"]: r
            for r in sheet_records(workbook, "registers")
            if r["practice_code"] == code
        }
        for record in practice["registers"]:
            if record["id"] in registers:
                assert same(registers[record["id"]]["size"], record["size"])
                assert same(registers[record["id"]]["prevalence"], record["prevalence"])
    assert checked > 1000


# --- rendering -----------------------------------------------------------------------------------


def _near(pixels: np.ndarray, colour: str, tolerance: int = 6) -> int:
    target = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(pixels - target) <= tolerance).all(axis=-1).sum())


@pytest.mark.skipif(
    chromium() is None,
    reason="chromium not installed and not installable here (.ci/run installs Debian chromium)",
)
def test_html_renders_with_charts_in_chromium(html_report: Path, tmp_path: Path) -> None:
    from PIL import Image

    png = tmp_path / "report.png"
    render_png(html_report, png, 1000, 6000)  # down to the first practice's prevalence chart
    image = Image.open(png).convert("RGB")
    assert image.size == (1000, 6000)
    pixels = np.asarray(image, dtype=np.int16)
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 100  # not blank
    assert _near(pixels, charts.GREEN) > 100  # achieved points bars (the in-year sample earns few)
    assert _near(pixels, charts.MAXIMUM) > 3000  # available points bars
    assert _near(pixels, charts.BAND) > 3000  # England's middle 80% / threshold bands
    assert _near(pixels, charts.PRACTICE, 20) > 100  # the practice's prevalence dots
