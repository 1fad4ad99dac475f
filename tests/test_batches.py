"""Scoring in batches of whole practices gives exactly the unbatched result (qofcli/batches.py).

QOF is computed per practice (national figures come from the ruleset), so cutting an extract
between practices must change nothing: every table of `qof score` (by practice, PCN and all),
every patient outcome and the worklist are compared with the unbatched run on a synthetic
extract of qof-2026-27 with several practices, at the payment period end and in year.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from qofcli import api
from qofcli.batches import Batch, plan_batches
from qofcli.cli.app import app
from qofcli.errors import UsageError
from qofcli.extract import Extract, extract_from_frames, load_extract, validate_extract
from qofcli.extract.load import ExtractLayoutError
from qofcli.ruleset.model import Ruleset
from qofcli.scoring.achievement import Score
from qofcli.scoring.compare import PATIENT_SIDE, Comparison

RULESET = "qof-2026-27"
PATIENTS, PRACTICES = 3000, 7
BATCH = 1000  # several batches of whole practices for this extract
IN_YEAR = date(2026, 12, 31)  # inside qof-2026-27's payment period (2026-04-01 to 2027-03-31)
TABLES = ("practices", "registers", "indicators", "reasons", "domains", "totals", "domain_totals")


@pytest.fixture(scope="module")
def ruleset() -> Ruleset:
    return api.load_ruleset(RULESET)


@pytest.fixture(scope="module")
def folder(ruleset: Ruleset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("batches") / "extract"
    api.synthesise(ruleset, out, PATIENTS, PRACTICES, seed=5, events_per_patient=6)
    return out


@pytest.fixture(scope="module")
def extract(folder: Path) -> Extract:
    return load_extract(folder)


def practice_sizes(extract: Extract) -> dict[str, int]:
    sizes = extract.patients.group_by("practice_code").len().collect()
    return dict(sizes.iter_rows())


def assert_same_score(batched: Score, whole: Score) -> None:
    for name in TABLES:
        # Sums of £ may differ in the last bits with the order of addition, never more.
        assert_frame_equal(
            getattr(batched, name), getattr(whole, name), rel_tol=1e-12, abs_tol=1e-9
        )


def test_batches_keep_practices_whole_in_code_order(extract: Extract) -> None:
    sizes = practice_sizes(extract)
    batches = plan_batches(extract, BATCH)
    assert len(batches) >= 3
    members = [code for b in batches for code in b.practices]
    assert members == sorted(sizes)  # each practice once, in code order
    for batch in batches:
        assert batch.patients == sum(sizes[c] for c in batch.practices)
        assert batch.patients <= BATCH or len(batch.practices) == 1


def test_a_practice_bigger_than_the_budget_is_a_batch_alone(extract: Extract) -> None:
    sizes = practice_sizes(extract)
    batches = plan_batches(extract, min(sizes.values()) - 1)
    assert [b.practices for b in batches] == [(code,) for code in sorted(sizes)]


def test_one_batch_when_the_extract_fits(extract: Extract) -> None:
    assert [b.patients for b in plan_batches(extract, PATIENTS)] == [PATIENTS]


def test_practices_without_patients_never_make_a_batch_alone() -> None:
    sizes = {"B00001": 3, "C00001": 5, "D00001": 1}
    codes = [code for code, n in sizes.items() for _ in range(n)]
    patients = pl.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(len(codes))],
            "practice_code": codes,
            "date_of_birth": ["1960-01-01"] * len(codes),
            "sex": ["F"] * len(codes),
            "registration_date": ["2000-01-01"] * len(codes),
        }
    )
    events = pl.DataFrame(schema={"patient_id": pl.String, "date": pl.Date, "code": pl.String})
    listed = pl.DataFrame({"practice_code": ["A00001", *sizes, "E00001"]})
    extract = extract_from_frames(patients, events, listed)
    batches = plan_batches(extract, 4)
    # A00001 (no patients) rides with B00001; C00001 (5 > 4) is alone; E00001 rides with D00001.
    assert [(b.practices, b.patients) for b in batches] == [
        (("A00001", "B00001"), 3),
        (("C00001",), 5),
        (("D00001", "E00001"), 1),
    ]


def test_listed_practice_without_patients_joins_a_batch(tmp_path: Path, folder: Path) -> None:
    practices = pl.read_parquet(folder / "practices.parquet")
    empty = practices.head(1).with_columns(pl.lit("Z99999").alias("practice_code"))
    for name in ("patients", "events"):
        (tmp_path / f"{name}.parquet").symlink_to(folder / f"{name}.parquet")
    pl.concat([practices, empty]).write_parquet(tmp_path / "practices.parquet")
    extract = load_extract(tmp_path)
    batches = plan_batches(extract, BATCH)
    assert batches[-1].practices[-1] == "Z99999"
    assert sum(b.patients for b in batches) == PATIENTS
    whole = api.score(extract, api.load_ruleset(RULESET))
    batched = api.score(extract, api.load_ruleset(RULESET), batch_patients=BATCH)
    assert_same_score(batched, whole)
    assert "Z99999" in batched.practices["practice_code"].to_list()


@pytest.mark.parametrize("as_of", [None, IN_YEAR], ids=["period-end", "in-year"])
@pytest.mark.parametrize("by", ["practice", "pcn", "all"])
def test_batched_score_equals_unbatched(
    extract: Extract, ruleset: Ruleset, as_of: date | None, by: str
) -> None:
    seen: list[tuple[int, int]] = []
    batched = api.score(
        extract, ruleset, as_of, by=by, batch_patients=BATCH, on_batch=_record(seen)
    )
    whole = api.score(extract, ruleset, as_of, by=by)
    assert len(seen) >= 3 and seen == [(i, len(seen)) for i in range(1, len(seen) + 1)]
    assert_same_score(batched, whole)
    assert batched.totals["list_size"].item() > 0


def _record(seen: list[tuple[int, int]]):
    def on_batch(batch: Batch, total: int) -> None:
        seen.append((batch.number, total))

    return on_batch


def test_batched_protected_points_of_practices_in_different_batches(
    extract: Extract, tmp_path: Path
) -> None:
    # qof-2024-25 pays AST008 (6 points) on points the practice gives (--protected-points).
    earlier = api.load_ruleset("qof-2024-25")
    batches = plan_batches(extract, BATCH)
    first, last = batches[0].practices[0], batches[-1].practices[-1]
    protected = tmp_path / "protected.csv"
    protected.write_text(f"practice_code,indicator,points\n{first},AST008,4.5\n{last},AST008,6\n")
    claims = api.read_claims(earlier, protected)
    batched = api.score(extract, earlier, claims=claims, batch_patients=BATCH)
    assert_same_score(batched, api.score(extract, earlier, claims=claims))
    ast008 = batched.indicators.filter(pl.col("indicator") == "AST008")
    points = dict(ast008.select("practice_code", "points").iter_rows())
    assert points[first] == 4.5 and points[last] == 6.0
    assert sum(p is None for p in points.values()) == len(points) - 2  # no file row: unknown


def test_batched_claims_still_refuse_unknown_practices(
    extract: Extract, ruleset: Ruleset, tmp_path: Path
) -> None:
    earlier = api.load_ruleset("qof-2024-25")
    protected = tmp_path / "protected.csv"
    protected.write_text("practice_code,indicator,points\nNOPE01,AST008,4\n")
    claims = api.read_claims(earlier, protected)
    with pytest.raises(UsageError, match="practice NOPE01 is not in the extract"):
        api.score(extract, earlier, claims=claims, batch_patients=BATCH)


@pytest.mark.parametrize("as_of", [None, IN_YEAR], ids=["period-end", "in-year"])
def test_batched_patient_outcomes_equal_unbatched(
    extract: Extract, ruleset: Ruleset, as_of: date | None
) -> None:
    batched = api.patient_outcomes(extract, ruleset, as_of, batch_patients=BATCH)
    whole = api.patient_outcomes(extract, ruleset, as_of)
    assert whole.height > PATIENTS  # patients on several registers each
    assert_frame_equal(batched, whole)


def test_batched_filters_and_worklist_equal_unbatched(extract: Extract, ruleset: Ruleset) -> None:
    chosen = {"indicators": ["DM020", "HYP010"], "statuses": ["not_achieved", "pca"]}
    assert_frame_equal(
        api.patient_outcomes(extract, ruleset, IN_YEAR, batch_patients=BATCH, **chosen),
        api.patient_outcomes(extract, ruleset, IN_YEAR, **chosen),
    )
    assert_frame_equal(
        api.worklist(extract, ruleset, IN_YEAR, batch_patients=BATCH),
        api.worklist(extract, ruleset, IN_YEAR),
        rel_tol=1e-12,
    )


def test_cli_batches_show_progress_without_patient_data(folder: Path) -> None:
    runner = CliRunner()
    base = ["score", str(folder), "-r", RULESET, "-f", "csv", "--table", "indicators"]
    whole = runner.invoke(app, base)
    batched = runner.invoke(app, [*base, "--batch-patients", str(BATCH)])
    assert whole.exit_code == 0 and batched.exit_code == 0
    assert batched.stdout == whole.stdout
    progress = [line for line in batched.stderr.splitlines() if line.startswith("batch ")]
    assert len(progress) >= 3 and progress[0].startswith(f"batch 1/{len(progress)}: ")
    ids = pl.read_parquet(folder / "patients.parquet")["patient_id"]
    assert not any(pid in batched.stderr for pid in ids.head(50))
    refused = runner.invoke(app, [*base, "--batch-patients", "0"])
    assert refused.exit_code == 2


# Partitioned Parquet tables (a folder of parts, plain or in hive key=value folders).


def write_partitioned(folder: Path, out: Path) -> None:
    """patients hive-partitioned by practice (the key only in the folder names), events in
    several plain parts, practices as one file."""
    out.mkdir()
    patients = pl.read_parquet(folder / "patients.parquet")
    for (code,), part in patients.group_by("practice_code"):
        where = out / "patients" / f"practice_code={code}"
        where.mkdir(parents=True)
        part.drop("practice_code").write_parquet(where / "part-0.parquet")
    events = pl.read_parquet(folder / "events.parquet")
    (out / "events").mkdir()
    for i, part in enumerate(events.iter_slices(events.height // 4 + 1)):
        part.write_parquet(out / "events" / f"part-{i:02d}.parquet")
    (out / "practices.parquet").symlink_to(folder / "practices.parquet")


def test_partitioned_folders_read_and_score_like_single_files(
    folder: Path, extract: Extract, ruleset: Ruleset, tmp_path: Path
) -> None:
    out = tmp_path / "parts"
    write_partitioned(folder, out)
    assert len(list((out / "events").glob("*.parquet"))) == 4
    report = validate_extract(out, today=date(2027, 7, 1))
    assert report.errors == ()
    parted = load_extract(out)
    key = ["patient_id"]
    assert_frame_equal(parted.patients.collect().sort(key), extract.patients.collect().sort(key))
    assert_same_score(api.score(parted, ruleset), api.score(extract, ruleset))
    assert_same_score(api.score(parted, ruleset, batch_patients=BATCH), api.score(extract, ruleset))


def test_hive_partition_values_keep_leading_zeros(tmp_path: Path, folder: Path) -> None:
    out = tmp_path / "x"
    out.mkdir()
    patients = pl.read_parquet(folder / "patients.parquet").head(2)
    where = out / "patients" / "practice_code=012345"
    where.mkdir(parents=True)
    patients.drop("practice_code").write_parquet(where / "p.parquet")
    pl.read_parquet(folder / "events.parquet").head(1).write_parquet(out / "events.parquet")
    codes = load_extract(out).patients.select("practice_code").collect().to_series()
    assert codes.to_list() == ["012345", "012345"]


def one_line_layout_error(path: Path) -> str:
    with pytest.raises(ExtractLayoutError) as caught:
        load_extract(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.fixture()
def parted(folder: Path, tmp_path: Path) -> Path:
    out = tmp_path / "parts"
    write_partitioned(folder, out)
    return out


def test_csv_among_parquet_parts_is_refused(parted: Path) -> None:
    (parted / "events" / "extra.csv").write_text("patient_id,date,code\n")
    message = one_line_layout_error(parted)
    assert message.startswith(f"{parted / 'events'}/: folder mixes CSV files")


def test_parts_in_differently_keyed_folders_are_refused(parted: Path) -> None:
    stray = parted / "patients" / "region=north"
    stray.mkdir()
    first = next((parted / "patients").glob("practice_code=*/part-0.parquet"))
    first.rename(stray / "part-0.parquet")
    message = one_line_layout_error(parted)
    assert message.startswith(f"{parted / 'patients'}/: parts sit in differently named")


def test_parts_with_different_columns_are_refused(parted: Path) -> None:
    last = sorted((parted / "events").glob("*.parquet"))[-1]
    pl.read_parquet(last).drop("value").write_parquet(last)
    message = one_line_layout_error(parted)
    assert message.startswith(f"{parted / 'events'}/: part {last.name} has no column 'value'")


def test_a_column_only_later_parts_hold_is_not_silently_lost(parted: Path) -> None:
    first = sorted((parted / "events").glob("*.parquet"))[0]
    pl.read_parquet(first).drop("value").write_parquet(first)
    message = one_line_layout_error(parted)
    assert message.startswith(f"{parted / 'events'}/: part {first.name} has no column 'value'")


def test_cli_names_the_bad_partition_folder(parted: Path) -> None:
    (parted / "events" / "extra.csv").write_text("patient_id,date,code\n")
    result = CliRunner().invoke(app, ["score", str(parted), "-r", RULESET])
    assert result.exit_code == 2
    first, *rest = result.stderr.strip().splitlines()
    assert first.startswith(f"error: {parted / 'events'}/: folder mixes CSV files")
    assert len(rest) == 1 and "run `qof validate`" in rest[0]  # the usual summary line
    assert "Traceback" not in result.output


@pytest.mark.parametrize("by", ["practice", "pcn"])
def test_batched_year_comparison_equals_unbatched(
    extract: Extract, ruleset: Ruleset, by: str
) -> None:
    earlier = api.load_ruleset("qof-2025-26")
    batched = api.compare(extract, earlier, ruleset, by=by, patients=True, batch_patients=BATCH)
    whole = api.compare(extract, earlier, ruleset, by=by, patients=True)
    for name in whole.__dataclass_fields__:
        mine, theirs = getattr(batched, name), getattr(whole, name)
        if isinstance(theirs, pl.DataFrame):
            assert_frame_equal(mine, theirs, rel_tol=1e-12, abs_tol=1e-9)
    assert whole.patients is not None and whole.patients.height > 0


# Year comparison (qof diff) and report: one evaluation per ruleset, batched like score.

EARLIER = "qof-2025-26"  # renames, removes and adds indicators against qof-2026-27


def changes_from_patient_tables(extract: Extract, a: Ruleset, b: Ruleset) -> pl.DataFrame:
    """Status changes by definition: rows of the two `qof patients` tables (a's indicators under
    their ids in b) whose status differs, a missing row being a null status."""
    keys = ["practice_code", "patient_id", "indicator"]
    renamed = api.diff_rulesets(a, b).renamed
    sides = []
    for side, ruleset in (("a", a), ("b", b)):
        table = api.patient_outcomes(extract, ruleset).with_columns(
            pl.col("indicator").replace(renamed if side == "a" else {})
        )
        sides.append(table.select(*keys, *(pl.col(c).alias(f"{c}_{side}") for c in PATIENT_SIDE)))
    joined = sides[0].join(sides[1], on=keys, how="full", coalesce=True)
    return (
        joined.filter(pl.col("status_a").ne_missing(pl.col("status_b")))
        .select(*keys, *(f"{c}_{s}" for s in ("a", "b") for c in PATIENT_SIDE))
        .sort(keys)
    )


def test_status_changes_are_the_rows_where_the_patient_tables_differ(
    extract: Extract, ruleset: Ruleset
) -> None:
    earlier = api.load_ruleset(EARLIER)
    got = api.compare(extract, earlier, ruleset, patients=True).patients
    assert got is not None
    assert_frame_equal(got, changes_from_patient_tables(extract, earlier, ruleset))
    structure = api.diff_rulesets(earlier, ruleset)
    by_indicator = set(got["indicator"])
    # renamed (AST012 -> AST014), removed (DM012) and added (DM037) indicators all take part
    assert {"AST014", "DM012", "DM037"} <= by_indicator
    assert structure.renamed["AST012"] == "AST014"
    # patients registered on one achievement date only (2026-03-31 vs 2027-03-31) are kept
    both = set(structure.renamed.values()) | (set(earlier.indicators) & set(ruleset.indicators))
    one_sided = got.filter(
        pl.col("indicator").is_in(sorted(both))
        & (pl.col("status_a").is_null() | pl.col("status_b").is_null())
    )
    assert one_sided.height > 0


@pytest.mark.parametrize("by", ["practice", "pcn"])
def test_report_is_score_comparison_and_patients_of_one_evaluation(
    extract: Extract, ruleset: Ruleset, by: str
) -> None:
    earlier = api.load_ruleset(EARLIER)
    whole = api.report(extract, ruleset, by=by, other=earlier, patients=True)
    assert_same_score(whole.score, api.score(extract, ruleset, by=by))
    assert whole.comparison is not None and whole.patients is not None
    assert_same_comparison(whole.comparison, api.compare(extract, earlier, ruleset, by=by))
    assert_frame_equal(whole.patients, api.patient_outcomes(extract, ruleset))
    seen: list[tuple[int, int]] = []
    batched = api.report(
        extract,
        ruleset,
        by=by,
        other=earlier,
        patients=True,
        batch_patients=BATCH,
        on_batch=_record(seen),
    )
    assert len(seen) >= 3
    assert_same_score(batched.score, whole.score)
    assert batched.comparison is not None and batched.patients is not None
    assert_same_comparison(batched.comparison, whole.comparison)
    assert_frame_equal(batched.patients, whole.patients)


def test_report_without_comparison_or_patients(extract: Extract, ruleset: Ruleset) -> None:
    shown = api.report(extract, ruleset, batch_patients=BATCH)
    assert shown.comparison is None and shown.patients is None
    assert_same_score(shown.score, api.score(extract, ruleset))


def assert_same_comparison(mine: Comparison, theirs: Comparison) -> None:
    for name in ("indicators", "units", "totals", "patients"):
        if getattr(theirs, name) is None:
            assert getattr(mine, name) is None
            continue
        assert_frame_equal(getattr(mine, name), getattr(theirs, name), rel_tol=1e-12, abs_tol=1e-9)


def batch_progress(stderr: str, folder: Path) -> list[str]:
    """The progress lines of a batched run, checked to hold no patient id."""
    ids = pl.read_parquet(folder / "patients.parquet")["patient_id"]
    assert not any(pid in stderr for pid in ids.head(50))
    return [line for line in stderr.splitlines() if line.startswith("batch ")]


@pytest.mark.parametrize("extra", [[], ["--patients"]], ids=["indicators", "patients"])
def test_cli_diff_batches_show_progress_and_change_nothing(folder: Path, extra: list[str]) -> None:
    runner = CliRunner()
    base = ["diff", EARLIER, RULESET, "--extract", str(folder), "-f", "csv", *extra]
    whole = runner.invoke(app, base)
    batched = runner.invoke(app, [*base, "--batch-patients", str(BATCH)])
    assert whole.exit_code == 0 and batched.exit_code == 0, batched.output
    assert batched.stdout == whole.stdout and whole.stdout.count("\n") > 10
    progress = batch_progress(batched.stderr, folder)
    assert len(progress) >= 3 and progress[0].startswith(f"batch 1/{len(progress)}: ")
    assert not batch_progress(whole.stderr, folder)
    assert runner.invoke(app, [*base, "--batch-patients", "0"]).exit_code == 2


def test_cli_report_batches_show_progress_and_change_no_number(
    folder: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    books = {}
    for name, extra in (("whole", []), ("batched", ["--batch-patients", str(BATCH)])):
        target = tmp_path / f"{name}.xlsx"
        args = ["report", str(folder), "-r", RULESET, "--compare", EARLIER, "-o", str(target)]
        result = runner.invoke(app, [*args, "--include-patients", *extra])
        assert result.exit_code == 0, result.output
        books[name] = openpyxl.load_workbook(target)
        progress = batch_progress(result.stderr, folder)
        assert len(progress) == (0 if name == "whole" else len(plan_batches_of(folder)))
    assert books["batched"].sheetnames == books["whole"].sheetnames
    assert "patients" in books["whole"].sheetnames
    for sheet in books["whole"].sheetnames:
        mine = list(books["batched"][sheet].iter_rows(values_only=True))
        theirs = list(books["whole"][sheet].iter_rows(values_only=True))
        assert len(mine) == len(theirs) and len(theirs) > 1, sheet
        for got, want in zip(mine, theirs, strict=True):
            assert [same_cell(g, w) for g, w in zip(got, want, strict=True)] == [True] * len(want)


def plan_batches_of(folder: Path) -> list[Batch]:
    return plan_batches(load_extract(folder), BATCH)


def same_cell(got: object, want: object) -> bool:
    """Equal, numbers up to the last bits a different order of addition changes."""
    if isinstance(want, float) and isinstance(got, int | float):
        return got == pytest.approx(want, rel=1e-12, abs=1e-9)
    return got == want
