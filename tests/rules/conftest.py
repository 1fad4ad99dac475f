"""Patient-level rule tests for the diabetes indicators (QOF 2025/26, ruleset qof-2025-26).

The expectations in these modules come from the business rules (domain notes, NHS Digital
reason fields, the working spec), never from the engine's output.

How a module is written (the helpers below are importable as ``rulecases``):

    from rulecases import ACHIEVED, case, case_id, hba1c

    CASES = [
        case("dm020_hba1c_58", "DM020 r2: latest HbA1c in 12 m <= 58 -> numerator",
             {"DM020": ACHIEVED}, events=[hba1c(date(2025, 6, 1), 58)]),
        ...
    ]

    @pytest.mark.parametrize("c", CASES, ids=case_id)
    def test_rule(c, check):
        check(c, CASES)

All cases of one module (and one achievement date) go into ONE extract, run once, cached.
A case that needs a cluster the ruleset does not ship yet is skipped, naming the cluster.

Defaults: a patient is 65 at PPED, registered since 2000, diabetes diagnosed 2015-01-01
(``dx=``; ``dx=None`` for no diagnosis code), nothing else recorded.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest

# The test modules import these helpers as ``rulecases``: a plain ``from conftest import``
# would break as soon as another conftest.py (e.g. tests/conftest.py) is imported first.
sys.modules.setdefault("rulecases", sys.modules[__name__])

RULESET = "qof-2025-26"
PPSD = date(2025, 4, 1)
PPED = date(2026, 3, 31)
PRACTICE = "A00001"
DOB = date(1960, 6, 15)  # 65 at PPED
REG = date(2000, 1, 1)
DX = date(2015, 1, 1)

INDICATORS = ("DM020", "DM021", "DM006", "DM012", "DM014", "DM034", "DM035", "DM036")

# Expected outcomes: (status, reason). ``reason`` None means "no reason" (achieved/not).
Expect = tuple[str, str | None]
ACHIEVED: Expect = ("achieved", None)
NOT_ACHIEVED: Expect = ("not_achieved", None)
NO_ROW = None  # patient must have no row for that indicator


def pca(reason: str) -> Expect:
    return ("pca", reason)


def excluded(reason: str) -> Expect:
    return ("excluded", reason)


# ---- events -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ev:
    """One coded event. The code is chosen from ``cluster`` when the extract is built.

    ``cluster`` may list alternative names, ``"FHYP_COD|FHYPGEN_COD"``: the first shipped is used.
    ``also``: the code must also be a member of these clusters (e.g. a systolic code that is
    in BP_COD). Otherwise a code unique to ``cluster`` is preferred, so that an event meant
    for one cluster does not accidentally hit another; ``code`` forces a literal code.
    """

    cluster: str
    date: date
    value: float | None = None
    also: tuple[str, ...] = ()
    code: str | None = None
    prefer: tuple[str, ...] = ()  # codes to use first if they satisfy cluster and ``also``


def ev(cluster: str, when: date, value: float | None = None, **kw: Any) -> Ev:
    return Ev(cluster, when, value, **kw)


def hba1c(when: date, value: float) -> Ev:
    return Ev("IFCCHBAM_COD", when, value)


# Plain clinic measurement codes: "Systolic blood pressure" / "Diastolic blood pressure".
CLINIC_SYS = ("271649006", "72313002", "163030003")
CLINIC_DIA = ("271650006", "1091811000000102", "163031004")


def bp(
    when: date, systolic: float, diastolic: float, home: bool = False, ambulatory: bool = False
) -> list[Ev]:
    """A blood pressure reading: a systolic and a diastolic code (both in BP_COD) that day.

    Home readings use the systolic/diastolic codes that are also in HOMEBP_COD; ambulatory
    (ABPM) readings those also in HOMEAMBBP_COD (skipped until that cluster ships).
    """
    if ambulatory:
        extra: tuple[str, ...] = ("BP_COD", "HOMEAMBBP_COD")
    elif home:
        extra = ("BP_COD", "HOMEBP_COD")
    else:
        extra = ("BP_COD",)
    plain = not (home or ambulatory)
    return [
        Ev("SYSBP_COD", when, systolic, also=extra, prefer=CLINIC_SYS if plain else ()),
        Ev("DIABP_COD", when, diastolic, also=extra, prefer=CLINIC_DIA if plain else ()),
    ]


def invites(*dates: date) -> list[Ev]:
    return [Ev("DMINVITE_COD", d) for d in dates]


def days(n: int) -> timedelta:
    return timedelta(days=n)


# ---- cases ------------------------------------------------------------------------------


@dataclass
class Case:
    pid: str
    why: str  # the rule this case exercises, with the reasoning for the expectation
    expect: dict[str, Expect | None] = field(default_factory=dict)
    on_register: bool | None = None  # True: a row for every DM indicator; False: no rows
    dob: date = DOB
    reg: date = REG
    dereg: date | None = None
    death: date | None = None
    dx: date | None = DX
    events: tuple[Ev, ...] = ()
    as_of: date | None = None
    practice: str = PRACTICE
    sex: str = "M"


def _flatten(items: Iterable[Ev | Iterable[Ev]]) -> tuple[Ev, ...]:
    out: list[Ev] = []
    for item in items:
        if isinstance(item, Ev):
            out.append(item)
        else:
            out.extend(item)
    return tuple(out)


def case(
    pid: str,
    why: str,
    expect: dict[str, Expect | None] | None = None,
    *,
    events: Iterable[Ev | Iterable[Ev]] = (),
    **kw: Any,
) -> Case:
    return Case(pid=pid, why=why, expect=dict(expect or {}), events=_flatten(events), **kw)


def case_id(c: Case) -> str:
    return c.pid


# ---- building the extract and running the engine -----------------------------------------


class MissingCluster(Exception):
    pass


class CodePicker:
    def __init__(self, rs: Any):
        self.rs = rs
        self._sets: dict[str, frozenset[str]] = {}
        self._all: dict[str, frozenset[str]] | None = None

    def _raw(self, name: str) -> tuple[str, ...]:
        try:
            cluster = self.rs.clusters[name]
        except KeyError:
            return ()
        return tuple(str(c) for c in cluster.codes)

    def shipped(self, name: str) -> bool:
        """A cluster is shipped when the ruleset has it with at least one code."""
        return bool(self._raw(name))

    def codes(self, name: str) -> tuple[str, ...]:
        codes = self._raw(name)
        if not codes:
            raise MissingCluster(name)
        return codes

    def members(self, name: str) -> frozenset[str]:
        if name not in self._sets:
            self._sets[name] = frozenset(self._raw(name))
        return self._sets[name]

    def resolve(self, cluster: str) -> str:
        """``"A|B"``: the first of the alternative cluster names that the ruleset ships."""
        names = cluster.split("|")
        for name in names:
            if self.shipped(name):
                return name
        raise MissingCluster(" or ".join(names))

    def pick(self, e: Ev) -> str:
        if e.code is not None:
            return e.code
        cluster = self.resolve(e.cluster)
        codes = self.codes(cluster)
        for a in e.also:
            self.codes(a)  # a missing ``also`` cluster skips the case too
        wanted = [c for c in codes if all(c in self.members(a) for a in e.also)]
        for c in e.prefer:
            if c in wanted:
                return c
        if not wanted:
            raise MissingCluster(f"{cluster} with a code also in {'/'.join(e.also)}")
        own = {cluster, *e.also}
        others: set[str] = set()
        for name in self.rs.clusters:
            if name not in own:
                others |= self.members(name)
        exclusive = [c for c in wanted if c not in others]
        return (exclusive or wanted)[0]


@dataclass
class Results:
    rows: dict[tuple[str, str], dict[str, Any]]
    by_patient: dict[str, list[dict[str, Any]]]
    missing: dict[str, str]  # pid -> missing cluster
    columns: tuple[str, ...]
    frame: pl.DataFrame


def build_extract(cases: Iterable[Any], picker: CodePicker) -> tuple[Any, dict[str, str]]:
    """One extract for a module's cases (a case whose cluster has no codes is left out and
    reported in the second value, pid -> cluster)."""
    from qofcli.extract import extract_from_frames

    missing: dict[str, str] = {}
    patients: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for c in cases:
        evs = list(c.events)
        if getattr(c, "dx", None) is not None:
            evs.insert(0, Ev("DM_COD", c.dx))
        try:
            coded = [(e, picker.pick(e)) for e in evs]
        except MissingCluster as exc:
            missing[c.pid] = str(exc)
            continue
        patients.append(
            {
                "patient_id": c.pid,
                "practice_code": getattr(c, "practice", PRACTICE),
                "date_of_birth": c.dob,
                "sex": c.sex,
                "registration_date": c.reg,
                "deregistration_date": c.dereg,
                "death_date": c.death,
            }
        )
        for e, code in coded:
            value = None if e.value is None else float(e.value)
            events.append({"patient_id": c.pid, "date": e.date, "code": code, "value": value})
    patients_df = pl.DataFrame(
        patients,
        schema={
            "patient_id": pl.String,
            "practice_code": pl.String,
            "date_of_birth": pl.Date,
            "sex": pl.String,
            "registration_date": pl.Date,
            "deregistration_date": pl.Date,
            "death_date": pl.Date,
        },
    )
    events_df = pl.DataFrame(
        events,
        schema={"patient_id": pl.String, "date": pl.Date, "code": pl.String, "value": pl.Float64},
    )
    return extract_from_frames(patients_df, events_df), missing


class Runner:
    def __init__(self, ruleset_id: str = RULESET) -> None:
        from qofcli.api import load_ruleset

        self.rs = load_ruleset(ruleset_id)
        self.picker = CodePicker(self.rs)
        self._cache: dict[tuple[str, ...], Results] = {}

    def run(self, cases: Sequence[Case], as_of: date | None) -> Results:
        group = [c for c in cases if c.as_of == as_of]
        key = tuple(c.pid for c in group) + (str(as_of),)
        if key in self._cache:
            return self._cache[key]
        pids = [c.pid for c in group]
        assert len(pids) == len(set(pids)), "duplicate patient ids in one module"

        from qofcli.api import patient_outcomes

        extract, missing = build_extract(group, self.picker)
        out = patient_outcomes(extract, self.rs, as_of=as_of)
        if isinstance(out, pl.LazyFrame):
            out = out.collect()
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        by_patient: dict[str, list[dict[str, Any]]] = {}
        for row in out.iter_rows(named=True):
            k = (str(row["patient_id"]), str(row["indicator"]))
            assert k not in rows, f"two rows for {k}"
            rows[k] = row
            by_patient.setdefault(k[0], []).append(row)
        res = Results(rows, by_patient, missing, tuple(out.columns), out)
        self._cache[key] = res
        return res


def _describe(row: dict[str, Any] | None) -> str:
    if row is None:
        return "no row"
    keys = ("status", "reason", "reason_type", "rule", "description")
    return ", ".join(f"{k}={row.get(k)!r}" for k in keys)


def _norm_reason(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def assert_case(c: Case, res: Results, indicators: Sequence[str] = INDICATORS) -> None:
    if c.pid in res.missing:
        pytest.skip(f"cluster {res.missing[c.pid]} not shipped yet")
    problems: list[str] = []
    # Only the diabetes indicators speak to DM_REG membership (cohorts such as BP45_REG or
    # SMOK2_REG give most adults rows of other indicators).
    mine = [r for r in res.by_patient.get(c.pid, []) if r["indicator"] in indicators]
    if c.on_register is True:
        got = sorted(r["indicator"] for r in mine)
        if got != sorted(indicators):
            problems.append(f"expected on DM_REG (a row for each of {indicators}), got {got}")
    elif c.on_register is False and mine:
        problems.append(
            "expected not on DM_REG (no rows), got "
            + "; ".join(f"{r['indicator']}: {_describe(r)}" for r in mine)
        )
    for indicator, want in c.expect.items():
        row = res.rows.get((c.pid, indicator))
        if want is None:
            if row is not None:
                problems.append(f"{indicator}: expected no row, got {_describe(row)}")
            continue
        if row is None:
            problems.append(f"{indicator}: expected {want}, got no row")
            continue
        status, reason = want
        got_reason = _norm_reason(row.get("reason"))
        ok = row.get("status") == status and got_reason == reason
        want_type = {"pca": "pca", "excluded": "exclusion"}.get(status)
        if ok and _norm_reason(row.get("reason_type")) != want_type:
            ok = False
        if ok and row.get("practice_code") != c.practice:
            ok = False
        if not ok:
            problems.append(
                f"{indicator}: expected status={status!r} reason={reason!r}"
                f" (reason_type={want_type!r}, practice={c.practice!r}); got {_describe(row)}"
                f", practice_code={row.get('practice_code')!r}"
            )
    if problems:
        pytest.fail(f"{c.pid} [{c.why}]\n  " + "\n  ".join(problems), pytrace=False)


_RUNNERS: dict[str, Runner] = {}


@pytest.fixture(scope="module")
def runner(request: pytest.FixtureRequest) -> Runner:
    """The runner of the module's ruleset: ``RULESET = "qof-2026-27"`` in a test module picks
    another year (its dates are then the module's own to state)."""
    ruleset_id = getattr(request.module, "RULESET", RULESET)
    if ruleset_id not in _RUNNERS:
        _RUNNERS[ruleset_id] = Runner(ruleset_id)
    return _RUNNERS[ruleset_id]


@pytest.fixture
def check(runner: Runner, request: pytest.FixtureRequest) -> Callable[[Case, Sequence[Case]], None]:
    """``on_register=True`` expects a row for each of the module's ``REGISTER_INDICATORS``
    (default: the 2025/26 diabetes indicators)."""
    indicators = getattr(request.module, "REGISTER_INDICATORS", INDICATORS)

    def _check(c: Case, cases: Sequence[Case]) -> None:
        assert_case(c, runner.run(cases, c.as_of), indicators)

    return _check
