"""Static checks on a loaded ruleset: every name resolves, chains terminate, numbers make sense."""

from __future__ import annotations

from collections.abc import Iterator

from qofcli.errors import RulesetError
from qofcli.ruleset import model as m

NAMED_DATES_AT_RUN = ("ACHV",)


def check_ruleset(ruleset: m.Ruleset) -> None:
    """Raise RulesetError on the first problem, naming the file and the rule."""
    base = ruleset.path
    for field in ruleset.fields.values():
        _check_field(ruleset, field, field.origin or f"{base}: field {field.name}")
    field_stages(ruleset)  # raises on cycles
    for name, named in ruleset.conditions.items():
        _check_condition(ruleset, named.condition, named.origin or f"{base}: condition {name}")
    _check_named_condition_cycles(ruleset)
    for register in ruleset.registers.values():
        _check_chain(ruleset, register.rules, f"{register.origin}: rules", needs_reason=False)
        _check_same_day_resolution(ruleset, register)
    register_order(ruleset)  # raises on cycles
    for indicator in ruleset.indicators.values():
        _check_indicator(ruleset, indicator)
    _check_payment(ruleset)
    _check_value_ranges(ruleset)
    _check_day_fields_read(ruleset)


def _check_value_ranges(ruleset: m.Ruleset) -> None:
    for cluster, rng in ruleset.value_ranges.items():
        if cluster not in ruleset.clusters:
            raise RulesetError(f"{rng.origin or ruleset.path}: unknown cluster {cluster!r}")


def _check_day_fields_read(ruleset: m.Ruleset) -> None:
    """An `all_clusters` field is a day, not one record: it has no value or cluster to read."""
    day_fields = {f.name for f in ruleset.fields.values() if f.all_clusters}
    conditions = [(n.condition, n.origin) for n in ruleset.conditions.values()]
    conditions += [(s.when, r.origin) for r in ruleset.registers.values() for s in r.rules]
    conditions += [
        (s.when, i.origin)
        for i in ruleset.indicators.values()
        for s in (*i.denominator, *i.numerator)
    ]
    for condition, origin in conditions:
        for atom in iter_atoms(condition):
            if isinstance(atom, m.ValueCompare | m.ClusterIn) and atom.field in day_fields:
                raise RulesetError(
                    f"{origin or ruleset.path}: field {atom.field!r} uses all_clusters, so it "
                    "has a date only; read the value or cluster of a same_day field instead"
                )


def _check_payment(ruleset: m.Ruleset) -> None:
    """National prevalence may only be given for registers the ruleset defines."""
    for register in ruleset.payment.national_prevalence:
        if register not in ruleset.registers:
            raise RulesetError(
                f"{ruleset.path}/ruleset.toml: [payment.national_prevalence] names unknown "
                f"register {register!r}; use one of {', '.join(sorted(ruleset.registers))}"
            )


def _check_field(ruleset: m.Ruleset, field: m.Field, where: str) -> None:
    for cluster in field.clusters:
        if cluster not in ruleset.clusters:
            raise RulesetError(f"{where}: unknown cluster {cluster!r}")
    for bound in field.bounds:
        _check_date_ref(ruleset, bound.ref, where)
    if field.all_clusters:
        if field.find == "count" or len(set(field.clusters)) < 2:
            raise RulesetError(f"{where}: all_clusters needs latest or earliest of 2+ clusters")
        named = (*ruleset.dates, *NAMED_DATES_AT_RUN)
        if any(b.ref.base not in named for b in field.bounds):
            raise RulesetError(f"{where}: an all_clusters field's window may use named dates only")


def _check_date_ref(ruleset: m.Ruleset, ref: m.DateRef, where: str) -> None:
    known = ref.base in ruleset.dates or ref.base in NAMED_DATES_AT_RUN
    if not known and ref.base not in ruleset.fields and ref.base not in m.BUILTIN_DATE_FIELDS:
        raise RulesetError(f"{where}: unknown date or field {ref.base!r}")


def _check_indicator(ruleset: m.Ruleset, indicator: m.Indicator) -> None:
    where = indicator.origin or indicator.id
    chosen = indicator.prevalence_register
    if chosen is not None and not getattr(ruleset.registers.get(chosen), "prevalence", False):
        raise RulesetError(f"{where}: prevalence_register {chosen!r} is not a disease register")
    if indicator.points < 0:
        raise RulesetError(f"{where}: points must not be negative")
    _check_thresholds(indicator, where)
    if indicator.improvement is not None and indicator.payment != "achievement":
        raise RulesetError(f"{where}: an improvement route needs payment on achievement")
    if indicator.register is not None and indicator.register not in ruleset.registers:
        raise RulesetError(f"{where}: unknown register {indicator.register!r}")
    if not indicator.computed:
        return
    _check_chain(ruleset, indicator.denominator, f"{where}: denominator", needs_reason=True)
    _check_chain(ruleset, indicator.numerator, f"{where}: numerator", needs_reason=False)
    for step in (*indicator.denominator, *indicator.numerator):
        if uses_resolves(ruleset, step.when):
            raise RulesetError(
                f"{where}: rule {step.number} uses 'resolves', which only a register's rules "
                "may use (it follows the register's same_day_resolution)"
            )


def _check_same_day_resolution(ruleset: m.Ruleset, register: m.Register) -> None:
    """`resolves` needs the register's setting, and a setting nothing reads is a mistake."""
    used = any(uses_resolves(ruleset, step.when) for step in register.rules)
    if used and register.same_day_resolution is None:
        raise RulesetError(
            f"{register.origin}: its rules use 'resolves'; set same_day_resolution: keeps or "
            "removes on the register"
        )
    if not used and register.same_day_resolution is not None:
        raise RulesetError(
            f"{register.origin}: same_day_resolution is set but no rule uses "
            "{date: RESOLVED_FIELD, resolves: DIAGNOSIS_FIELD}"
        )


def uses_resolves(ruleset: m.Ruleset, condition: m.Condition) -> bool:
    """Whether a condition compares a resolution with a diagnosis, through named conditions."""
    for atom in iter_atoms(condition):
        if isinstance(atom, m.Resolves):
            return True
        if isinstance(atom, m.NamedCondition) and uses_resolves(
            ruleset, ruleset.conditions[atom.name].condition
        ):
            return True
    return False


def _check_thresholds(indicator: m.Indicator, where: str) -> None:
    """Achievement-paid indicators need 0 <= lower < upper <= 100; others may leave both out."""
    lower, upper = indicator.lower, indicator.upper
    if lower is None and upper is None and indicator.payment != "achievement":
        return
    if lower is None or upper is None or not 0 <= lower < upper <= 100:
        raise RulesetError(
            f"{where}: thresholds must satisfy 0 <= lower < upper <= 100 "
            f"(got {_number(lower)} and {_number(upper)})"
        )


def _number(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def _check_chain(
    ruleset: m.Ruleset, steps: tuple[m.Step, ...], where: str, needs_reason: bool
) -> None:
    for step in steps:
        at = f"{where} rule {step.number}"
        _check_condition(ruleset, step.when, at)
        for action in (step.if_true, step.if_false):
            _check_action(ruleset, action, at, needs_reason)
    last = steps[-1]
    if not (last.if_true.terminal and last.if_false.terminal):
        raise RulesetError(f"{where} rule {last.number}: the last rule must not say 'next'")


def _check_action(ruleset: m.Ruleset, action: m.Action, where: str, needs_reason: bool) -> None:
    if action.kind != "reject":
        return
    if needs_reason and action.reason is None:
        raise RulesetError(f"{where}: a denominator reject must name its reason")
    if action.reason is not None and action.reason not in ruleset.reasons:
        raise RulesetError(f"{where}: unknown reason {action.reason!r} (add it to reasons.yaml)")


def _check_condition(ruleset: m.Ruleset, condition: m.Condition, where: str) -> None:
    for atom in iter_atoms(condition):
        match atom:
            case m.Has(field):
                _require_field(ruleset, field, where)
            case m.ValueCompare(field, _, _):
                _require_field(ruleset, field, where, builtin_ok=False)
            case m.DateCompare(field, _, ref):
                _require_field(ruleset, field, where)
                _check_date_ref(ruleset, ref, where)
            case m.Resolves(field, diagnosis):
                _require_field(ruleset, field, where, builtin_ok=False)
                _require_field(ruleset, diagnosis, where, builtin_ok=False)
            case m.ClusterIn(field, clusters):
                _require_field(ruleset, field, where, builtin_ok=False)
                for cluster in clusters:
                    if cluster not in ruleset.fields[field].clusters:
                        raise RulesetError(f"{where}: field {field} never holds cluster {cluster}")
            case m.OnRegister(register) if register not in ruleset.registers:
                raise RulesetError(f"{where}: unknown register {register!r}")
            case m.NamedCondition(name) if name not in ruleset.conditions:
                raise RulesetError(f"{where}: unknown named condition {name!r}")
            case m.SexIn(sexes) if not set(sexes) <= {"F", "M", "I", "U"}:
                raise RulesetError(f"{where}: sex must be among F, M, I, U")


def _require_field(ruleset: m.Ruleset, name: str, where: str, builtin_ok: bool = True) -> None:
    if name in ruleset.fields or (builtin_ok and name in m.BUILTIN_DATE_FIELDS):
        return
    if name in m.BUILTIN_DATE_FIELDS:
        raise RulesetError(f"{where}: {name} is a date only; it has no value or cluster")
    raise RulesetError(f"{where}: unknown field {name!r}")


def iter_atoms(condition: m.Condition) -> Iterator[m.Condition]:
    """Every leaf of a condition tree (named conditions are not expanded)."""
    match condition:
        case m.AllOf(items) | m.AnyOf(items):
            for item in items:
                yield from iter_atoms(item)
        case m.Not(item):
            yield from iter_atoms(item)
        case _:
            yield condition


def _check_named_condition_cycles(ruleset: m.Ruleset) -> None:
    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in trail:
            where = ruleset.conditions[name].origin or ruleset.path
            raise RulesetError(f"{where}: named conditions loop: {' -> '.join((*trail, name))}")
        for atom in iter_atoms(ruleset.conditions[name].condition):
            if isinstance(atom, m.NamedCondition):
                visit(atom.name, (*trail, name))

    for name in ruleset.conditions:
        visit(name, ())


def field_stages(ruleset: m.Ruleset) -> list[list[m.Field]]:
    """Group fields so that each stage only depends on fields from earlier stages."""
    depth: dict[str, int] = {}

    def stage_of(name: str, trail: tuple[str, ...]) -> int:
        if name in trail:
            chain = " -> ".join((*trail, name))
            where = ruleset.fields[name].origin or ruleset.path
            raise RulesetError(f"{where}: fields depend on each other: {chain}")
        if name not in depth:
            deps = [d for d in ruleset.fields[name].referenced_fields() if d in ruleset.fields]
            depth[name] = 1 + max((stage_of(d, (*trail, name)) for d in deps), default=-1)
        return depth[name]

    for name in ruleset.fields:
        stage_of(name, ())
    stages: list[list[m.Field]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for name, level in depth.items():
        stages[level].append(ruleset.fields[name])
    return stages


def register_order(ruleset: m.Ruleset) -> list[str]:
    """Registers ordered so a register's rules only use registers computed before it."""
    order: list[str] = []

    def visit(register_id: str, trail: tuple[str, ...]) -> None:
        if register_id in order:
            return
        if register_id in trail:
            raise RulesetError(f"registers depend on each other: {' -> '.join(trail)}")
        for step in ruleset.registers[register_id].rules:
            for needed in registers_used(ruleset, step.when):
                visit(needed, (*trail, register_id))
        order.append(register_id)

    for register_id in ruleset.registers:
        visit(register_id, ())
    return order


def registers_used(ruleset: m.Ruleset, condition: m.Condition) -> set[str]:
    """Registers a condition refers to, looking through named conditions."""
    found: set[str] = set()
    for atom in iter_atoms(condition):
        if isinstance(atom, m.OnRegister):
            found.add(atom.register)
        elif isinstance(atom, m.NamedCondition):
            found |= registers_used(ruleset, ruleset.conditions[atom.name].condition)
    return found
