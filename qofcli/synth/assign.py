"""Which patients get which rule templates, and drawing a template's dates and values for them.

Two kinds of patient get templates, both solved from the ruleset (no rule is written here):

* targeted patients, a few per terminal branch of every indicator, with dates and values at and
  around every bound the rules use (enriched far above real life so a ~3,000-patient sample
  reaches every reachable branch);
* ordinary register members, as many as the register's real prevalence (qofcli/data/synth.yaml),
  chosen by age and a per-practice factor so practices differ as real ones do; most get care
  that achieves their indicators, with dates drawn away from the bounds."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qofcli.extract.schema import SEXES
from qofcli.ruleset import model as m
from qofcli.ruleset.model import Ruleset
from qofcli.synth.base import (
    CLUSTER_ROLE,
    DAYS_PER_YEAR,
    Calendar,
    Streams,
    shift_days,
    weighted_sample,
    years_before,
)
from qofcli.synth.events import Sink
from qofcli.synth.population import Population
from qofcli.synth.realism import Realism
from qofcli.synth.solver import (
    DOB,
    REG,
    Solver,
    Template,
    World,
    chain_leaves,
    value_range,
    value_step,
)

Path_ = list[tuple[m.Condition, bool]]


@dataclass(frozen=True)
class Mode:
    """How a group's templates are solved and drawn."""

    edge_share: float  # dates and values snapped onto the bound they are drawn against
    wrong_side_share: float  # a false test: a record on the wrong side, else no record
    register: str | None  # whose value distributions apply (None: rule ranges only)


def assign_templates(
    ruleset: Ruleset,
    streams: Streams,
    pop: Population,
    cal: Calendar,
    sink: Sink,
    realism: Realism,
) -> np.ndarray:
    """Give patients the records of the ruleset's templates; returns the mask of patients so
    used (their background is unrelated codes only, so their templates decide every rule)."""
    rng = streams("ruleset-plan")
    solver = Solver(ruleset, cal, random.Random(int(streams("ruleset-solver").integers(2**62))))
    settings = realism.targeted
    targeted = Mode(settings["edge_share"], settings["wrong_side_share"], None)
    solved = [
        (ind, _templates(solver, path, settings, targeted)) for ind, path in _targets(ruleset)
    ]
    targets = [(ind, found) for ind, found in solved if found]
    n = pop.size
    spread = int(settings["branch_share"] * n / max(len(targets), 1))
    per_branch = max(int(settings["patients_per_branch"]), spread)
    pool = rng.permutation(np.flatnonzero(pop.registered_after(cal.end)))
    used = np.zeros(n, dtype=bool)
    at = 0
    on_register: dict[str, int] = {}
    diagnoses = {r.id: _diagnosis_clusters(ruleset, r.id) for r in ruleset.registers.values()}
    for _ind, found in targets:
        take = pool[at : at + per_branch]
        at += len(take)
        placed = _realise_evenly(found, take, pop, cal, rng, sink, realism, targeted)
        _count_registers(placed, diagnoses, on_register)
        used[take] = True
    free = pool[at:]
    _assign_ordinary(
        ruleset, solver, pop, cal, rng, sink, realism, free, on_register, used, diagnoses
    )
    pop.settle_exits()
    return used


def _assign_ordinary(
    ruleset: Ruleset,
    solver: Solver,
    pop: Population,
    cal: Calendar,
    rng: np.random.Generator,
    sink: Sink,
    realism: Realism,
    free: np.ndarray,
    on_register: dict[str, int],
    used: np.ndarray,
    diagnoses: dict[str, tuple[set[str], set[str]]],
) -> None:
    """Fill each disease register up to its real prevalence, weighting patients by age and
    practice. Patients a register already has count: targeted ones, and the comorbidities of
    earlier registers' members (largest register first, so a diabetic's stroke history counts
    towards STIA_REG before it is filled)."""
    n, settings = pop.size, realism.targeted
    prevalence = {
        r.id: _prevalence(ruleset, realism, r.id)
        for r in ruleset.registers.values()
        if r.prevalence and not _union_of_registers(ruleset, r.id)
    }
    wanted = sum(max(round(p * n) - on_register.get(r, 0), 0) for r, p in prevalence.items())
    room = settings["max_used_share"] * (len(free) + int(used.sum())) - int(used.sum())
    scale = min(1.0, max(room, 0.0) / max(wanted, 1))
    available = np.ones(len(free), dtype=bool)
    age = pop.age_years(cal)[free]
    practice_rng = np.random.default_rng(rng.integers(2**62))
    for register in sorted(prevalence, key=lambda r: (-prevalence[r], r)):
        table = realism.register(register)
        factor = practice_rng.lognormal(0.0, table.spread, pop.n_practices)
        count = int(
            round(max(round(prevalence[register] * n) - on_register.get(register, 0), 0) * scale)
        )
        mode = Mode(realism.ordinary["edge_share"], realism.ordinary["wrong_side_share"], register)
        cared = _templates(solver, _ordinary_path(ruleset, register), settings, mode, True)
        bare = _templates(solver, [(m.OnRegister(register), True)], settings, mode)
        if not (cared or bare) or count == 0:
            continue
        candidates = np.flatnonzero(available)
        weights = table.weight_by_age(age[candidates]) * factor[pop.practice[free[candidates]]]
        chosen = candidates[weighted_sample(rng, weights, count)]
        available[chosen] = False
        members = rng.permutation(free[chosen])
        gets_care = rng.random(len(members)) < realism.ordinary["care"]
        for found, rows in ((cared or bare, gets_care), (bare or cared, ~gets_care)):
            placed = _realise_evenly(found, members[rows], pop, cal, rng, sink, realism, mode)
            _count_registers(placed, diagnoses, on_register)
        used[members] = True


def _union_of_registers(ruleset: Ruleset, register: str) -> bool:
    """A register read only from other registers (CD_REG: CHD_REG or STIA_REG) is filled by
    theirs, not given members of its own."""

    def only_registers(cond: m.Condition) -> bool:
        match cond:
            case m.AllOf(items) | m.AnyOf(items):
                return all(only_registers(i) for i in items)
            case m.Not(item):
                return only_registers(item)
            case m.NamedCondition(name):
                return only_registers(ruleset.conditions[name].condition)
            case m.OnRegister(_):
                return True
        return False

    return all(only_registers(step.when) for step in ruleset.registers[register].rules)


def _prevalence(ruleset: Ruleset, realism: Realism, register: str) -> float:
    """Share of the list on a register: qofcli/data/synth.yaml, else the ruleset's national
    prevalence (a register new to the year), else the data file's default."""
    if register in realism.registers:
        return realism.registers[register].prevalence
    national = ruleset.payment.national_prevalence.get(register)
    return national / 100 if national is not None else realism.default_register.prevalence


def _count_registers(
    placed: list[tuple[Template, np.ndarray]],
    diagnoses: dict[str, tuple[set[str], set[str]]],
    on_register: dict[str, int],
) -> None:
    for template, members in placed:
        for register in _registers_of(template, diagnoses):
            on_register[register] = on_register.get(register, 0) + len(members)


def _registers_of(template: Template, diagnoses: dict[str, tuple[set[str], set[str]]]) -> set[str]:
    """Registers a template (probably) puts its patients on: those its solution went through,
    and those whose diagnosis clusters it records (a cohort such as MH1_REG reads MH_REG's)."""
    recorded = set().union(*template.clusters.values()) if template.clusters else set()
    recorded_on = {
        r
        for r, (codes, resolved) in diagnoses.items()
        if codes & recorded and not resolved & recorded
    }
    return (set(template.registers) | recorded_on) - set(template.off)


def _diagnosis_clusters(
    ruleset: Ruleset, register: str, depth: int = 0
) -> tuple[set[str], set[str]]:
    """Clusters a register's selecting branches need a record of (read with positive polarity),
    and those they need none of (resolved codes)."""
    out: set[str] = set()
    against: set[str] = set()

    def walk(cond: m.Condition, truth: bool) -> None:
        match cond:
            case m.AllOf(items) | m.AnyOf(items):
                for item in items:
                    walk(item, truth)
            case m.Not(item):
                walk(item, not truth)
            case m.NamedCondition(name):
                walk(ruleset.conditions[name].condition, truth)
            case m.Has(f) | m.DateCompare(f, _, _) | m.Resolves(f, _):  # diagnoses, not values
                if f in ruleset.fields:
                    (out if truth else against).update(ruleset.fields[f].clusters)
            case m.OnRegister(other) if truth and other != register and depth < 4:
                out.update(_diagnosis_clusters(ruleset, other, depth + 1)[0])

    for path, _step, _truth, action in chain_leaves(ruleset.registers[register].rules):
        if action.kind == "select":
            for cond, truth in path:
                walk(cond, truth)
    return out, against - out


def _targets(ruleset: Ruleset) -> list[tuple[str, Path_]]:
    """(indicator, path) for every terminal branch of every indicator, the register's own
    selection first."""
    out = []
    for ind in ruleset.indicators.values():
        if ind.register is None:  # no patient-level rules (e.g. quality improvement)
            continue
        on_register: Path_ = [(m.OnRegister(ind.register), True)]
        denominator = chain_leaves(ind.denominator)
        selects = [leaf[0] for leaf in denominator if leaf[3].kind == "select"]
        achieves = _numerator_achieved(ind)
        for path, _step, _truth, action in denominator:
            if action.kind != "select":
                # a personalised care adjustment only decides patients who do not achieve
                pca = action.reason and ruleset.reasons[action.reason].type == "pca"
                fails = [(achieves, False)] if pca else []
                out.append((ind.id, on_register + path + fails))
        for path, _step, _truth, _action in chain_leaves(ind.numerator):
            for into in selects:
                out.append((ind.id, on_register + into + path))
    return out


def _ordinary_path(ruleset: Ruleset, register: str) -> Path_:
    """On the register and achieving each of its indicators (as far as they can be combined)."""
    path: Path_ = [(m.OnRegister(register), True)]
    for ind in ruleset.indicators.values():
        if ind.register == register:
            path.append((_achieved_condition(ind), True))
    return path


def _numerator_achieved(ind: m.Indicator) -> m.Condition:
    """A condition true for patients the numerator chain selects (any route)."""
    routes = [
        m.AllOf(tuple(c if t else m.Not(c) for c, t in path))
        for path, _step, _truth, action in chain_leaves(ind.numerator)
        if action.kind == "select"
    ]
    return m.AnyOf(tuple(routes))


def _achieved_condition(ind: m.Indicator) -> m.Condition:
    """A condition true for patients the indicator counts as achieved (any achieving route)."""
    routes = []
    for into in [leaf[0] for leaf in chain_leaves(ind.denominator) if leaf[3].kind == "select"]:
        for path, _step, _truth, action in chain_leaves(ind.numerator):
            if action.kind == "select":
                routes.append(m.AllOf(tuple(c if t else m.Not(c) for c, t in into + path)))
    return m.AnyOf(tuple(routes)) if routes else m.AllOf(())


def _templates(
    solver: Solver, path: Path_, settings: dict[str, float], mode: Mode, optional: bool = False
) -> list[Template]:
    """Up to ``variants`` different templates for ``path``; with ``optional``, conditions after
    the first are dropped when they cannot be combined with the ones before."""
    found: dict[str, Template] = {}
    solver.wrong_side_share = mode.wrong_side_share
    solver.plain = mode.register is not None
    attempts = int(settings["attempts"])
    for attempt in range(5 * attempts):  # hard paths get more tries until one is found
        if attempt >= attempts and found:
            break
        w = World()
        if optional:
            ok = solver.solve_path(w, path[:1])
            for cond, want in path[1:]:
                trial = w.copy()
                if solver.solve(trial, cond, want) and solver.finish(trial) is not None:
                    w = trial
        else:
            ok = solver.solve_path(w, path)
        template = solver.finish(w) if ok else None
        if template is not None:
            found.setdefault(template.key(), template)
        if len(found) >= settings["variants"]:
            break
    return list(found.values())


def _realise_evenly(
    found: Sequence[Template],
    members: np.ndarray,
    pop: Population,
    cal: Calendar,
    rng: np.random.Generator,
    sink: Sink,
    realism: Realism,
    mode: Mode,
) -> list[tuple[Template, np.ndarray]]:
    """Share ``members`` out over the templates; returns (template, its patients) pairs."""
    which = np.arange(len(members)) % max(len(found), 1)
    out = []
    for i, template in enumerate(found):
        rows = members[which == i]
        if len(rows):
            _realise(template, rows, pop, cal, rng, sink, realism, mode)
            out.append((template, rows))
    return out


def _realise(
    t: Template,
    pid: np.ndarray,
    pop: Population,
    cal: Calendar,
    rng: np.random.Generator,
    sink: Sink,
    realism: Realism,
    mode: Mode,
) -> None:
    """Draw one template's variables for its patients (vectorised) and add the records."""
    known = _draw_days(t, pid, pop, cal, rng, realism, mode)
    pop.dob[pid] = known[DOB]
    pop.registration[pid] = known[REG]
    own_sex = np.array(SEXES)[pop.sex[pid]]
    allowed = np.isin(own_sex, t.sexes)
    drawn = np.array([SEXES.index(s) for s in t.sexes])[rng.integers(0, len(t.sexes), len(pid))]
    pop.sex[pid] = np.where(allowed, pop.sex[pid], drawn).astype(np.int8)
    recorded = set().union(*t.clusters.values()) if t.clusters else set()
    for slot, clusters in t.clusters.items():
        choice = rng.integers(0, len(clusters), len(pid))
        for i, cluster in enumerate(clusters):
            rows = choice == i
            rules = t.values.get(slot, ())
            values = _draw_values(rules, int(rows.sum()), rng, realism, mode, cluster)
            sink.add(CLUSTER_ROLE + cluster, pid[rows], known[slot][rows], values)
            partner = realism.paired.get(cluster)
            if mode.register and partner and not _records_any(sink, recorded, partner):
                # an ordinary member's reading is whole: the other half on the same day
                extra = _draw_values((), int(rows.sum()), rng, realism, mode, partner)
                sink.add(CLUSTER_ROLE + partner, pid[rows], known[slot][rows], extra)


def _records_any(sink: Sink, recorded: set[str], cluster: str) -> bool:
    """Whether records of these clusters may already carry a code of ``cluster``."""
    if cluster in recorded:
        return True
    pools = sink.book.pools
    own = pools.get(CLUSTER_ROLE + cluster)
    if own is None:
        return True  # nothing to add
    full = set(own.tolist())
    return any(full & set(pools.get(CLUSTER_ROLE + c, np.zeros(0)).tolist()) for c in recorded)


def _draw_days(
    t: Template,
    pid: np.ndarray,
    pop: Population,
    cal: Calendar,
    rng: np.random.Generator,
    realism: Realism,
    mode: Mode,
) -> dict[str, np.ndarray]:
    """Each variable (birth, registration, record slots) in dependency order, inside the bounds
    the template sets against named dates and the variables drawn before it."""
    k = len(pid)
    oldest = years_before(cal.end, int(realism.population["oldest_age"]) - 1)
    adult = years_before(cal.end, 18)
    history = int(realism.targeted["history_years"] * DAYS_PER_YEAR)
    known: dict[str, np.ndarray] = {}
    paired: set[str] = set()  # slots already given their other half
    for var in t.order:
        lo, hi, lo_set, hi_set = _bounds_of(t, var, known, k, oldest, cal)
        if var == DOB:  # adults unless the rules need someone younger
            hi = np.where(lo <= adult, np.minimum(hi, adult), hi)
        else:
            lo = np.maximum(lo, known[DOB])
        if var not in (DOB, REG):
            lo = np.where(lo_set, lo, np.maximum(lo, hi - history))
        # nothing is dated after the period end (rules cannot read it), even if a template
        # inherited from another year asks for it
        lo, hi = np.minimum(lo, cal.latest), np.minimum(hi, cal.latest)
        hi = np.maximum(hi, lo)
        days = lo + (rng.random(k) * (hi - lo + 1)).astype(np.int64)
        snap = rng.random(k) < mode.edge_share
        to_lo = np.where(lo_set & hi_set, rng.random(k) < 0.5, lo_set)
        days = np.where(snap & (lo_set | hi_set), np.where(to_lo, lo, hi), days)
        if var in (DOB, REG):
            own = pop.dob[pid] if var == DOB else pop.registration[pid]
            keep = (own >= lo) & (own <= hi)  # ages and registrations stay realistic if they can
            days = np.where(keep, own, days)
        elif mode.register and (partner := _partner_slot(t, var, known, realism, paired)):
            same = known[partner]  # an ordinary member's two halves of a reading share a day
            days = np.where((same >= lo) & (same <= hi), same, days)
            paired.update((partner, var))
        known[var] = days
    return known


def _partner_slot(
    t: Template, slot: str, known: dict[str, np.ndarray], realism: Realism, paired: set[str]
) -> str | None:
    """A slot drawn before this one, not yet paired, whose records are the other half of this
    one's."""
    partners = {realism.paired[c] for c in t.clusters.get(slot, ()) if c in realism.paired}
    candidates = (s for s in known if s not in paired and partners & set(t.clusters.get(s, ())))
    return next(candidates, None)


def _bounds_of(
    t: Template, var: str, known: dict[str, np.ndarray], k: int, oldest: int, cal: Calendar
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    lo = np.full(k, oldest if var == DOB else -(10**7), dtype=np.int64)
    hi = np.full(k, cal.latest, dtype=np.int64)
    lo_set = np.zeros(k, dtype=bool)
    hi_set = np.zeros(k, dtype=bool)
    for v, op, ref, off, const in t.dates:
        if v == var:
            if const is not None:
                other = np.full(k, const, dtype=np.int64)
            elif ref in known:
                other = shift_days(known[ref], off)
            else:
                continue
            new_lo, new_hi = _bounds(op, other)
        elif ref == var and v in known:
            new_lo, new_hi = _inverse_bounds(op, known[v], off)
        else:
            continue
        if new_lo is not None:
            lo_set |= new_lo > lo
            lo = np.maximum(lo, new_lo)
        if new_hi is not None:
            hi_set |= new_hi < hi
            hi = np.minimum(hi, new_hi)
    return lo, hi, lo_set, hi_set


def _bounds(op: str, other: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Bounds on x from "x op other"."""
    return {
        "after": (other + 1, None),
        "on_or_after": (other, None),
        "before": (None, other - 1),
        "on_or_before": (None, other),
        "same_day": (other, other),
    }[op]


def _inverse_bounds(
    op: str, subject: np.ndarray, offset: m.Offset | None
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Bounds on x from "subject op x + offset" (month offsets invert approximately)."""
    back = subject if offset is None else shift_days(subject, m.Offset(-offset.amount, offset.unit))
    return {
        "after": (None, back - 1),
        "on_or_after": (None, back),
        "before": (back + 1, None),
        "on_or_before": (back, None),
        "same_day": (back, back),
    }[op]


def _draw_values(
    rules: Sequence[tuple[str, float]],
    k: int,
    rng: np.random.Generator,
    realism: Realism,
    mode: Mode,
    cluster: str,
) -> np.ndarray:
    """Values inside the rules' range and the ruleset's plausible range ("min"/"max"
    pseudo-rules). Targeted patients: uniform, often exactly on the range's edge, NaN when
    nothing is asked. Ordinary members: the cluster's value distribution, a draw
    outside the range redrawn uniformly inside it."""
    plausible = dict(r for r in rules if r[0] in ("min", "max"))
    rules = [r for r in rules if r[0] not in ("min", "max")]
    low, high = plausible.get("min", -np.inf), plausible.get("max", np.inf)
    model = realism.value_model(mode.register, cluster) if mode.register else None
    if not rules:
        return model.draw(rng, k).clip(low, high) if model else np.full(k, np.nan)
    step = value_step(rules)
    lo, hi = value_range(rules)
    if lo is None and hi is None:
        return np.full(k, np.nan)
    span = max(max(abs(x) for _, x in rules) * 0.3, 10 * step)
    if lo is None:
        assert hi is not None
        lo_val, hi_val = hi - span, hi
    else:
        lo_val, hi_val = lo, lo + span if hi is None else hi
    grid = np.round((hi_val - lo_val) / step)
    values = lo_val + np.floor(rng.random(k) * (grid + 1)) * step
    if model is not None:
        natural = model.draw(rng, k)
        inside = (natural >= lo_val) & (natural <= hi_val)
        return np.round(np.where(inside, natural, values), 1).clip(low, high)
    snap = rng.random(k) < mode.edge_share
    edges = [v for v, given in ((lo_val, lo is not None), (hi_val, hi is not None)) if given]
    if edges:
        values = np.where(snap, np.asarray(edges)[rng.integers(0, len(edges), k)], values)
    return np.round(values.clip(low, high), 1)
