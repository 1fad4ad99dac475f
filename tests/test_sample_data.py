"""The bundled sample_data/: reproducible from its script and valid; and the generator behind it
rich enough that the real engine reaches every rule branch of every indicator of the script's
ruleset (except branches that need clusters no public source has, which are listed and checked
to stay unreached). The sample is taken part-way through the year, so branch coverage is
checked on the same generator's full-year extract (taken a quarter after the period ends)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from qofcli import api
from qofcli.engine.evaluate import evaluate
from qofcli.extract import load_extract, validate_extract
from qofcli.ruleset import model as m

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
SCRIPT = ROOT / "scripts" / "make_sample_data.sh"
SAMPLE_COMMAND = ("--patients", "3000", "--practices", "2", "--seed", "20250404")


def script_setting(name: str) -> str:
    """A NAME=value line of the script (RULESET, AS_OF)."""
    found = re.search(rf"^{name}=(\S+)$", SCRIPT.read_text(), flags=re.MULTILINE)
    assert found, f"{SCRIPT} must set {name}=<value> on a line of its own"
    return found.group(1)


def script_ruleset() -> str:
    """The ruleset the script generates sample_data/ for (its RULESET= line)."""
    return script_setting("RULESET")


# Spot checks of the computed unreachable branches (see `unreachable_branches`): these fire
# only on codes of clusters marked `missing` in the ruleset's clusters/SOURCES.csv (checked
# only while the script generates for qof-2025-26, whose missing clusters these are).
NEEDS_MISSING_CLUSTERS = {
    ("DM012", "denominator 1", "excluded"): "AMPL/AMPR/CONABL/CONABR_COD",
    ("DM012", "denominator 3", "pca"): "FEPU_COD",
    ("DM012", "denominator 4", "pca"): "FEDEC_COD",
    ("DM034", "denominator 6", "pca"): "CHOLMAX_COD",
    ("DM035", "denominator 7", "pca"): "LIPIDTHERDEC_COD",
    ("AF008", "numerator 1", "achieved"): "CHADVASC/CHAD_COD (AF_REG reachable, AF008 not)",
    ("COPD010", "numerator 1", "achieved"): "COPDEXACB_COD, MRC_COD",
    ("VI001", "numerator 1", "achieved"): "4IN1VAC/5IN1VAC/6IN1VAC_COD",
}

_BOTH, _FALSE = frozenset({True, False}), frozenset({False})


def _truths(can_be_true: bool, can_be_false: bool) -> frozenset[bool]:
    return frozenset(v for v, ok in ((True, can_be_true), (False, can_be_false)) if ok)


def unreachable_branches(ruleset: m.Ruleset) -> set[tuple[str, str, str]]:
    """(indicator, rule, status) of branches no extract can reach with the ruleset's codes."""
    return _reachability(ruleset)[0]


def empty_registers(ruleset: m.Ruleset) -> set[str]:
    """Registers no extract can fill with the ruleset's codes (e.g. every diagnosis cluster is
    `missing`): CAN_REG and EP_REG in qof-2025-26."""
    return {r for r in ruleset.registers if not _reachability(ruleset)[1](r)}


def _reachability(ruleset: m.Ruleset):  # noqa: ANN202 - (unreachable branches, selects)
    """Unreachable (indicator, rule, status) branches, and whether a register can select anyone.

    A field whose clusters all have no codes never has a record (a count field counts 0), so
    each condition has a set of possible truth values; a branch is reachable if its register can
    select someone, each earlier step can take "next" and its own step can take the branch (steps
    treated independently: correlations between steps are not modelled).
    """
    coded = {c.id for c in ruleset.clusters.values() if c.codes}

    def recordable(name: str) -> bool:
        if name in m.BUILTIN_DATE_FIELDS:
            return True
        f = ruleset.fields[name]
        refs = [b.ref.base for b in f.bounds if b.ref.base in ruleset.fields]
        return bool(set(f.clusters) & coded) and all(recordable(r) for r in refs)

    def possible(c: m.Condition) -> frozenset[bool]:
        match c:
            case m.AllOf(items):
                values = [possible(i) for i in items]
                return _truths(all(True in v for v in values), any(False in v for v in values))
            case m.AnyOf(items):
                values = [possible(i) for i in items]
                return _truths(any(True in v for v in values), all(False in v for v in values))
            case m.Not(item):
                return frozenset(not v for v in possible(item))
            case m.NamedCondition(name):
                return possible(ruleset.conditions[name].condition)
            case m.ValueCompare(f, op, number) if ruleset.fields[f].find == "count":
                zero = {"lt": 0 < number, "le": 0 <= number, "gt": 0 > number}.get(op)
                zero = {"ge": 0 >= number, "eq": 0 == number}.get(op, zero)
                return _BOTH if recordable(f) else frozenset({bool(zero)})
            case m.Has(f) | m.ValueCompare(f, _, _):
                return _BOTH if recordable(f) else _FALSE
            case m.ClusterIn(f, clusters):
                ok = recordable(f) and set(clusters) & coded & set(ruleset.fields[f].clusters)
                return _BOTH if ok else _FALSE
            case m.DateCompare(f, _, ref):
                ok = recordable(f) and (ref.base not in ruleset.fields or recordable(ref.base))
                return _BOTH if ok else _FALSE
            case m.OnRegister(register):
                return _BOTH if selects(register) else _FALSE
        return _BOTH

    def leaves(steps: tuple[m.Step, ...]) -> list[tuple[m.Step, m.Action, bool]]:
        out, open_ = [], True
        for step in steps:
            can = possible(step.when)
            for truth, action in ((True, step.if_true), (False, step.if_false)):
                if action.terminal:
                    out.append((step, action, open_ and truth in can))
            passing = [
                t for t, a in ((True, step.if_true), (False, step.if_false)) if not a.terminal
            ]
            if not passing:
                break
            open_ = open_ and any(t in can for t in passing)
        return out

    def selects(register: str) -> bool:
        return any(
            ok and a.kind == "select" for _, a, ok in leaves(ruleset.registers[register].rules)
        )

    out = set()
    for ind in ruleset.indicators.values():
        on = ind.register in ruleset.registers and selects(ind.register)
        denominator = leaves(ind.denominator)
        into = on and any(ok and a.kind == "select" for _, a, ok in denominator)
        for step, action, ok in denominator:
            if action.kind != "select" and not (on and ok):
                assert action.reason is not None
                status = "pca" if ruleset.reasons[action.reason].type == "pca" else "excluded"
                out.add((ind.id, f"denominator {step.number}", status))
        for step, action, ok in leaves(ind.numerator):
            if not (into and ok):
                status = "achieved" if action.kind == "select" else "not_achieved"
                out.add((ind.id, f"numerator {step.number}", status))
    return out, selects


@pytest.fixture(scope="module")
def ruleset():
    return api.load_ruleset(script_ruleset())


@pytest.fixture(scope="module")
def full_year(ruleset, tmp_path_factory) -> Path:
    """The sample's generator and settings, extracted a quarter after the period ends."""
    patients, practices, seed = (int(SAMPLE_COMMAND[i]) for i in (1, 3, 5))
    folder = tmp_path_factory.mktemp("full-year") / "extract"
    taken = ruleset.period_end + timedelta(days=90)
    api.synthesise(ruleset, folder, patients, practices, seed, "parquet", as_of=taken)
    return folder


@pytest.fixture(scope="module")
def reached(ruleset, full_year: Path) -> pl.DataFrame:
    """Every branch of the code book with the number of full-year patients it decided."""
    evaluation = evaluate(load_extract(full_year), ruleset)
    outcomes = api.outcomes_from(evaluation)
    counts = outcomes.group_by("indicator", "rule", "status").len()
    return evaluation.outcomes.join(
        counts, on=["indicator", "rule", "status"], how="left"
    ).with_columns(pl.col("len").fill_null(0))


def test_sample_data_is_what_the_script_makes(tmp_path: Path, ruleset) -> None:
    """sample_data/ must be regenerated (scripts/make_sample_data.sh) when the generator changes."""
    patients, practices, seed = (int(SAMPLE_COMMAND[i]) for i in (1, 3, 5))
    taken = date.fromisoformat(script_setting("AS_OF"))
    api.synthesise(ruleset, tmp_path / "fresh", patients, practices, seed, "csv", as_of=taken)
    for name in ("patients.csv", "events.csv", "practices.csv"):
        assert (tmp_path / "fresh" / name).read_bytes() == (SAMPLE / name).read_bytes(), name
    script = SCRIPT.read_text()
    assert '--ruleset "$RULESET" --as-of "$AS_OF"' in script
    assert " ".join(SAMPLE_COMMAND) in script


def test_sample_data_validates_clean(ruleset) -> None:
    """`qof validate sample_data && qof score sample_data` works: no error, no warning."""
    known = frozenset(code for c in ruleset.clusters.values() for code in c.codes)
    taken = date.fromisoformat(script_setting("AS_OF"))
    report = validate_extract(SAMPLE, known_codes=known, today=taken)
    assert report.errors == () and report.warnings == ()
    assert report.exit_code == 0


def test_unreachable_branches_are_computed(ruleset) -> None:
    unreachable = unreachable_branches(ruleset)
    if ruleset.id == "qof-2025-26":
        assert set(NEEDS_MISSING_CLUSTERS) <= unreachable
    assert ("HYP008", "numerator 1", "achieved") not in unreachable


def test_every_rule_branch_is_reached(reached: pl.DataFrame, ruleset) -> None:
    unreachable = [
        {"indicator": i, "rule": r, "status": s} for i, r, s in unreachable_branches(ruleset)
    ]
    expected_unreached = pl.struct("indicator", "rule", "status").is_in(unreachable)
    short = reached.filter(~expected_unreached & (pl.col("len") < 1))
    assert short.is_empty(), short.select("indicator", "rule", "status", "reason").to_dicts()


def test_unreachable_branches_stay_unreached(reached: pl.DataFrame, ruleset) -> None:
    """If one of these is reached, the unreachability analysis (or the engine) is wrong."""
    for indicator, rule, status in unreachable_branches(ruleset):
        row = reached.filter(
            (pl.col("indicator") == indicator)
            & (pl.col("rule") == rule)
            & (pl.col("status") == status)
        )
        assert row.height == 1 and row["len"][0] == 0, (indicator, rule, status)


def test_both_practices_score(ruleset) -> None:
    score = api.score(load_extract(SAMPLE), ruleset)
    assert score.practices.height == 2
    empty = empty_registers(ruleset)
    covered = sorted({i.register for i in ruleset.indicators.values()} - empty)
    sizes = score.registers.filter(pl.col("register").is_in(covered))["size"]
    assert sizes.len() == 2 * len(covered) and (sizes > 0).all()
    assert (
        score.indicators.group_by("practice_code").agg(pl.col("denominator").sum())["denominator"]
        > 0
    ).all()


def test_empty_registers_are_computed(ruleset) -> None:
    """CAN_COD, and EPILDRUG_COD for the epilepsy register, have no public codes in 2025/26."""
    if ruleset.id == "qof-2025-26":
        assert {"CAN_REG", "EP_REG"} <= empty_registers(ruleset)
    assert "HYP_REG" not in empty_registers(ruleset)


def test_every_disease_register_has_patients_in_every_practice(ruleset) -> None:
    evaluation = evaluate(load_extract(SAMPLE), ruleset)
    empty = empty_registers(ruleset)
    for register in ruleset.registers.values():
        if not register.prevalence:
            continue
        column = f"reg:{register.id}"
        per_practice = evaluation.patients.group_by("practice_code").agg(pl.col(column).sum())
        if register.id in empty:
            assert per_practice[column].sum() == 0, register.id
        else:
            assert per_practice.height == 2 and (per_practice[column] > 0).all(), register.id
