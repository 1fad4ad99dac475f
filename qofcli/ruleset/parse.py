"""Parse the YAML of a ruleset into the model: date references, fields, conditions, rule chains,
reasons, value ranges, registers and indicators.

Keys are strict (an unknown key is an error, never ignored) and every error is a RulesetError
naming the file and the item, e.g. `.../DM020.yaml: denominator rule 3: unknown field 'IFCHBA'`.
"""

from __future__ import annotations

import re
from typing import Any, Literal, cast

from qofcli.errors import RulesetError
from qofcli.ruleset import model as m

# `fields:` and `conditions:` blocks an indicator or register file may hold for itself.
LOCAL_KINDS = ("fields", "conditions")
REGISTER_KEYS = frozenset(
    {"id", "description", "rules", "indicator", "points", "prevalence", "age_rule"}
    | {"source", "confidence", "payment", "prevalence_adjusted", "same_day_resolution"}
    | set(LOCAL_KINDS)
)
INDICATOR_KEYS = frozenset(
    {"id", "description", "group", "register", "points", "thresholds", "aliases"}
    | {"denominator", "numerator", "source", "confidence", "prevalence_adjusted", "payment"}
    | {"prevalence_register", "improvement"}
    | set(LOCAL_KINDS)
)
IMPROVEMENT_KEYS = frozenset({"lower_above_baseline", "upper", "confidence", "source"})
REGISTER_PAYMENTS = ("achievement", "protected")
_FIELD_OPTIONS = ("value", "description", "with_value", "all_clusters", "prefer")
_SINGLE_KEY_CONDITIONS = ("all", "any", "not", "is", "has", "register", "sex", "age")
_DATE_REF = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:([+-])\s*(\d+)\s*(day|days|month|months|year|years))?\s*$"
)


# ---- small checks shared by the parsers ---------------------------------------------------


def reject_unknown(mapping: dict[Any, Any], known: frozenset[str], where: Any) -> None:
    unknown = set(mapping) - known
    if unknown:
        raise RulesetError(f"{where}: unknown keys {sorted(map(str, unknown))}")


def require(mapping: dict[str, Any], key: str, where: Any) -> Any:
    if key not in mapping:
        raise RulesetError(f"{where}: missing required key {key!r}")
    return mapping[key]


def flag(raw: dict[str, Any], key: str, default: bool, where: str) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise RulesetError(f"{where}: {key} must be true or false, got {value!r}")
    return value


def non_negative(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise RulesetError(f"{where} must be a number >= 0, got {value!r}")
    return float(value)


def payment_kind(raw: dict[str, Any], allowed: tuple[str, ...], where: str) -> str:
    value = raw.get("payment", "achievement")
    if value not in allowed:
        raise RulesetError(f"{where}: payment must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)


def same_day_resolution(raw: dict[str, Any], where: str) -> m.SameDayResolution | None:
    value = raw.get("same_day_resolution")
    if value is None or value in m.SAME_DAY_RESOLUTIONS:
        return value
    choices = " or ".join(m.SAME_DAY_RESOLUTIONS)
    raise RulesetError(f"{where}: same_day_resolution must be {choices}, got {value!r}")


def _as_names(raw: Any, where: str) -> tuple[str, ...]:
    names = (raw,) if isinstance(raw, str) else tuple(raw or ())
    if not names or not all(isinstance(n, str) for n in names):
        raise RulesetError(f"{where}: expected a name or a list of names, got {raw!r}")
    return names


# ---- fields, reasons, value ranges --------------------------------------------------------


def parse_date_ref(text: Any, where: str) -> m.DateRef:
    """Parse `NAME`, `NAME - 12 months`, `FIELD + 7 days`."""
    match = _DATE_REF.match(str(text))
    if not match:
        raise RulesetError(f"{where}: {text!r} is not a date reference like 'PPED - 12 months'")
    name, sign, amount, unit = match.groups()
    if sign is None:
        return m.DateRef(name)
    signed = int(amount) if sign == "+" else -int(amount)
    unit = unit if unit.endswith("s") else unit + "s"
    return m.DateRef(name, m.Offset(signed, unit))  # type: ignore[arg-type]


def parse_field(name: str, body: Any, where: str) -> m.Field:
    if not isinstance(body, dict):
        raise RulesetError(f"{where}: expected a mapping")
    finds = [k for k in ("latest", "earliest", "count") if k in body]
    if len(finds) != 1:
        raise RulesetError(f"{where}: a field needs exactly one of 'latest', 'earliest' or 'count'")
    find = finds[0]
    clusters = _as_names(body[find], where)
    bounds = tuple(
        m.Bound(op, parse_date_ref(body[op], where))  # type: ignore[arg-type]
        for op in m.DATE_OPS
        if op in body
    )
    reject_unknown(body, frozenset({find, *_FIELD_OPTIONS, *m.DATE_OPS}), where)
    value = body.get("value", "lowest")
    if value not in ("lowest", "highest"):
        raise RulesetError(f"{where}: value must be 'lowest' or 'highest'")
    description = str(body.get("description", ""))
    flags = {key: flag(body, key, False, where) for key in ("with_value", "all_clusters")}
    prefer = _as_names(body["prefer"], f"{where}: prefer") if "prefer" in body else ()
    if set(prefer) - set(clusters):
        raise RulesetError(f"{where}: prefer may only list the field's own clusters")
    kind = cast(Literal["latest", "earliest", "count"], find)
    return m.Field(name, kind, clusters, bounds, value, description, where, **flags, prefer=prefer)


def parse_value_range(cluster: str, body: Any, where: str) -> m.ValueRange:
    """`CLUSTER: {min: LOW, max: HIGH}`: the plausible values of the cluster's records."""
    if not isinstance(body, dict) or set(body) != {"min", "max"}:
        raise RulesetError(f"{where}: expected {{min: NUMBER, max: NUMBER}}")
    low, high = body["min"], body["max"]
    numbers = all(isinstance(x, int | float) and not isinstance(x, bool) for x in (low, high))
    if not numbers or not low < high:
        raise RulesetError(f"{where}: min and max must be numbers with min < max")
    return m.ValueRange(cluster, float(low), float(high), where)


def parse_reason(name: str, body: Any, where: str) -> m.Reason:
    if not isinstance(body, dict) or body.get("type") not in ("pca", "exclusion"):
        raise RulesetError(f"{where}: a reason needs type: pca or type: exclusion")
    if set(body) - {"type", "description"}:
        raise RulesetError(f"{where}: unknown keys {sorted(map(str, set(body)))}")
    return m.Reason(name, body["type"], str(body.get("description", "")))


# ---- conditions and rule chains -----------------------------------------------------------


def parse_named_condition(name: str, body: Any, where: str) -> m.Named:
    return m.Named(name, parse_condition(body, where), origin=where)


def parse_condition(raw: Any, where: str) -> m.Condition:
    """Parse one condition of the closed vocabulary (see rulesets/README.md).

    A mapping holds exactly one condition: extra keys are an error, never silently dropped.
    """
    if not isinstance(raw, dict) or not raw:
        raise RulesetError(f"{where}: a condition must be a mapping, got {raw!r}")
    keys = set(raw)
    if not all(isinstance(k, str) for k in keys):
        raise RulesetError(
            f"{where}: condition keys must be words; quote keys YAML reads as true/false "
            f"(e.g. 'on'), got {sorted(map(str, keys))}"
        )
    for key in _SINGLE_KEY_CONDITIONS:
        if key in keys and len(keys) != 1:
            raise RulesetError(
                f"{where}: '{key}' must stand alone in its mapping; combine conditions with "
                f"all/any (got keys {sorted(keys)})"
            )
    if "all" in raw or "any" in raw:
        key = "all" if "all" in raw else "any"
        items = raw[key]
        if not isinstance(items, list) or not items:
            raise RulesetError(f"{where}: '{key}' needs a non-empty list")
        parsed = tuple(parse_condition(item, where) for item in items)
        return m.AllOf(parsed) if key == "all" else m.AnyOf(parsed)
    if "not" in raw:
        return m.Not(parse_condition(raw["not"], where))
    if "is" in raw:
        return m.NamedCondition(str(raw["is"]))
    if "has" in raw:
        return m.Has(str(raw["has"]))
    if "register" in raw:
        return m.OnRegister(str(raw["register"]))
    if "sex" in raw:
        return m.SexIn(_as_names(raw["sex"], where))
    if "age" in raw:
        op, number = _single_op(raw["age"], m.VALUE_OPS, where)
        return m.AgeCompare(op, int(number))  # type: ignore[arg-type]
    if "date" in raw and "resolves" in raw:
        if keys != {"date", "resolves"}:
            raise RulesetError(f"{where}: a resolves condition has exactly 'date' and 'resolves'")
        return m.Resolves(str(raw["date"]), str(raw["resolves"]))
    if "date" in raw:
        op, ref = _single_op({k: v for k, v in raw.items() if k != "date"}, m.DATE_OPS, where)
        return m.DateCompare(str(raw["date"]), op, parse_date_ref(ref, where))  # type: ignore[arg-type]
    if "value" in raw:
        op, number = _single_op({k: v for k, v in raw.items() if k != "value"}, m.VALUE_OPS, where)
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise RulesetError(f"{where}: value comparison needs a number, got {number!r}")
        return m.ValueCompare(str(raw["value"]), op, float(number))  # type: ignore[arg-type]
    if "cluster" in raw:
        if keys != {"cluster", "in"}:
            raise RulesetError(f"{where}: a cluster condition has exactly 'cluster' and 'in'")
        return m.ClusterIn(str(raw["cluster"]), _as_names(raw.get("in"), where))
    raise RulesetError(f"{where}: unknown condition {raw!r}")


def _single_op(raw: Any, allowed: tuple[str, ...], where: str) -> tuple[str, Any]:
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in allowed:
        raise RulesetError(f"{where}: expected exactly one of {', '.join(allowed)} in {raw!r}")
    return next(iter(raw.items()))


def _parse_action(raw: Any, where: str) -> m.Action:
    if raw in ("select", "next", "reject"):
        return m.Action(raw)
    if isinstance(raw, dict) and set(raw) == {"reject"}:
        return m.Action("reject", str(raw["reject"]))
    raise RulesetError(f"{where}: action must be select, next, reject or {{reject: REASON}}")


def _parse_steps(raw: Any, where: str) -> tuple[m.Step, ...]:
    if not isinstance(raw, list) or not raw:
        raise RulesetError(f"{where}: expected a non-empty list of rules")
    steps = []
    for number, body in enumerate(raw, start=1):
        at = f"{where} rule {number}"
        if not isinstance(body, dict):
            raise RulesetError(f"{at}: expected a mapping")
        if "rule" in body and body["rule"] != number:
            raise RulesetError(f"{at}: numbered {body['rule']}, expected {number}")
        reject_unknown(body, frozenset({"rule", "description", "when", "if_true", "if_false"}), at)
        steps.append(
            m.Step(
                number=number,
                description=str(body.get("description", "")),
                when=parse_condition(require(body, "when", at), at),
                if_true=_parse_action(require(body, "if_true", at), at),
                if_false=_parse_action(require(body, "if_false", at), at),
            )
        )
    return tuple(steps)


# ---- registers and indicators -------------------------------------------------------------


def parse_register(raw: dict[str, Any], where: str) -> m.Register:
    reject_unknown(raw, REGISTER_KEYS, where)
    register_id = require(raw, "id", where)
    return m.Register(
        id=register_id,
        description=str(raw.get("description", "")),
        rules=_parse_steps(require(raw, "rules", where), f"{where}: rules"),
        indicator=raw.get("indicator"),
        points=non_negative(raw.get("points", 0), f"{where}: points"),
        prevalence=bool(raw.get("prevalence", True)),
        payment=payment_kind(raw, REGISTER_PAYMENTS, where),  # type: ignore[arg-type]
        prevalence_adjusted=flag(raw, "prevalence_adjusted", True, where),
        age_rule=str(raw.get("age_rule", "")),
        source=str(raw.get("source", "")),
        confidence=str(raw.get("confidence", "")),
        origin=where,
        same_day_resolution=same_day_resolution(raw, where),
    )


def parse_indicator(raw: dict[str, Any], where: str) -> m.Indicator:
    reject_unknown(raw, INDICATOR_KEYS, where)
    payment = payment_kind(raw, m.PAYMENTS, where)
    if payment == "manual":
        present = sorted({"register", "thresholds", "denominator", "numerator"} & set(raw))
        if present:
            raise RulesetError(f"{where}: a manual indicator has no {', '.join(present)}")
    try:
        points = float(require(raw, "points", where))
    except (TypeError, ValueError):
        raise RulesetError(f"{where}: points must be a number") from None
    lower, upper = _thresholds(raw, payment, where)
    return m.Indicator(
        id=require(raw, "id", where),
        description=str(raw.get("description", "")),
        register=None if payment == "manual" else require(raw, "register", where),
        points=points,
        lower=lower,
        upper=upper,
        denominator=_chain(raw, "denominator", payment, where),
        numerator=_chain(raw, "numerator", payment, where),
        group=str(raw.get("group", "")),
        confidence=str(raw.get("confidence", "")),
        source=str(raw.get("source", "")),
        aliases=tuple(raw.get("aliases", ())),
        prevalence_adjusted=flag(raw, "prevalence_adjusted", True, where),
        prevalence_register=raw.get("prevalence_register"),
        payment=payment,  # type: ignore[arg-type]
        improvement=_improvement(raw.get("improvement"), upper, f"{where}: improvement"),
        origin=where,
    )


def _improvement(raw: Any, upper: float | None, where: str) -> m.Improvement | None:
    """`improvement: {lower_above_baseline: 5, upper: 96}`; upper defaults to the threshold's."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise RulesetError(f"{where}: expected a mapping with lower_above_baseline and upper")
    reject_unknown(raw, IMPROVEMENT_KEYS, where)
    above = non_negative(require(raw, "lower_above_baseline", where), f"{where}: lower")
    top = raw.get("upper", upper)
    if isinstance(top, bool) or not isinstance(top, int | float) or not 0 < top <= 100:
        raise RulesetError(f"{where}: upper must be a percentage above 0 and at most 100")
    return m.Improvement(
        above, float(top), str(raw.get("confidence", "")), str(raw.get("source", ""))
    )


def _thresholds(raw: dict[str, Any], payment: str, where: str) -> tuple[float | None, float | None]:
    """Required for achievement-paid indicators; optional (unknown) for protected ones."""
    if "thresholds" not in raw and payment != "achievement":
        return None, None
    thresholds = require(raw, "thresholds", where)
    try:
        return float(thresholds["lower"]), float(thresholds["upper"])
    except (KeyError, TypeError, ValueError):
        raise RulesetError(f"{where}: thresholds lower/upper must be numbers") from None


def _chain(raw: dict[str, Any], key: str, payment: str, where: str) -> tuple[m.Step, ...]:
    """Manual indicators have no rules; a protected one may have none (its achievement is then
    not computed) but then has neither chain."""
    if payment == "manual":
        return ()
    if payment == "protected" and "denominator" not in raw and "numerator" not in raw:
        return ()
    return _parse_steps(require(raw, key, where), f"{where}: {key}")
