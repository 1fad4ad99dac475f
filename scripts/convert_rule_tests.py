"""One-off: convert the Python rule tests (tests/rules/test_*.py CASES) into case files.

Kept as a record of how rulesets/*/cases/ came about (issue #8). It ran once, while tests/rules/
still held the modules and their conftest.py (both deleted after the conversion), so it no longer
runs on this tree. It imported each module through conftest.py, read its cases, wrote every date
from the ruleset's named dates (checked to resolve back to the same day) and wrote one YAML file
per indicator or register. A 2025/26 case whose expected indicators and registers 2026/27 did not
change went to qof-2026-27 (the parent), which the child inherits re-dated.

Edited by hand afterwards: DM014 dsepdec/dsepsu_279/280 (the event written as the DM_COD date +
N days, so that the day count holds in every year), three HF008 transfer-in and palliative cases
(dates that keep their order in 2024/25), the MH_REG lithium cases and the RA_REG/DEP_REG cases
of test_fidelity_rules.

    python scripts/convert_rule_tests.py --out rulesets --counts tests/rules/case_counts.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "tests" / "rules"
sys.path.insert(0, str(RULES))
sys.path.insert(0, str(ROOT))

from qofcli.ruleset.cases import changed_items, parse_date_expr, shift  # noqa: E402
from qofcli.ruleset.dependencies import indicator_uses, register_uses  # noqa: E402
from qofcli.ruleset.diff import condition_text  # noqa: E402
from qofcli.ruleset.loader import load_ruleset  # noqa: E402

PARENT, CHILD = "qof-2026-27", "qof-2025-26"
PERIOD = ("PPSD", "PPED")


# ---- reading the modules ---------------------------------------------------------------


def load_module(path: Path) -> Any:
    import conftest  # noqa: F401  (registers itself as ``rulecases``)

    spec = importlib.util.spec_from_file_location(f"rules_{path.stem}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def module_cases(module: Any, rc: Any) -> list[dict[str, Any]]:
    """Every case of the module as a plain dict (the fields of conftest's Case)."""
    found = []
    for c in getattr(module, "CASES", []):
        found.append(
            {
                "pid": c.pid,
                "why": c.why,
                "expect": {k: _expect(v) for k, v in c.expect.items()},
                "on_register": getattr(c, "on_register", None),
                "dob": c.dob,
                "reg": c.reg,
                "dereg": c.dereg,
                "death": c.death,
                "dx": getattr(c, "dx", None),
                "events": list(c.events),
                "as_of": getattr(c, "as_of", None),
                "practice": getattr(c, "practice", rc.PRACTICE),
                "sex": c.sex,
            }
        )
    for pid, (events, dob, death, on) in getattr(module, "PAD_CASES", {}).items():
        found.append(
            {
                "pid": pid,
                "why": "PAD_REG (PAD001): any PAD_COD on or before ACHV, all ages; the dead are"
                " not counted",
                "expect": {"PAD_REG": "on" if on else "off"},
                "on_register": None,
                "dob": dob,
                "reg": date(2000, 1, 1),
                "dereg": None,
                "death": death,
                "dx": None,
                "events": list(events),
                "as_of": None,
                "practice": rc.PRACTICE,
                "sex": "F",
            }
        )
    return found


def _expect(value: Any) -> str:
    if value is None:
        return "no_row"
    if isinstance(value, bool):
        return "on" if value else "off"
    status, reason = value
    return f"{status} {reason}" if reason else status


# ---- dates -----------------------------------------------------------------------------


def relative(day: date, named: dict[str, date], role: str, fixed: set[str] = frozenset()) -> str:
    """The shortest expression of `day` from the named dates that resolves back to it.

    Ages read from ACHV; a young child's registration and events from DOB (the vaccination
    rules count days of age); dates near a fixed named date the case's rules read (APR2023
    for HF008) from that date, so that they keep their meaning in another year."""
    candidates = []
    bases = ["ACHV", *PERIOD] if role == "dob" else [*PERIOD, "ACHV"]
    child = "DOB" in named and named["ACHV"] < shift(named["DOB"], 6, "years")
    if role in ("event", "registration") and child:
        bases = ["DOB", *bases]
    near = [
        n
        for n in sorted(fixed)
        if abs((day - named[n]).days) <= 366 and day < shift(named["PPSD"], -1, "years")
    ]
    if role == "event" and near:
        bases = [*near, *bases]
    if role == "as_of":
        bases = list(PERIOD)
    for priority, base in enumerate(bases):
        origin = named[base]
        k0 = (day.year - origin.year) * 12 + day.month - origin.month
        for k in (k0 - 1, k0, k0 + 1):
            days = (day - shift(origin, k, "months")).days
            distance = abs((day - origin).days)  # the nearest named date reads best
            first = role == "dob" or base in ("DOB", *near)
            if first:
                rank = (priority, days != 0, _terms(k, days), abs(days))
            else:
                rank = (9, _terms(k, days), distance, priority * 10_000 + abs(days))
            candidates.append((*rank, base, k, days))
        if base == "DOB" and role == "registration":  # registered at N days of age
            candidates.append((priority, True, 1, 0, base, 0, (day - origin).days))
    for *_, base, k, days in sorted(candidates):
        text = _format(base, k, days)
        if parse_date_expr(text, "convert").resolve(named) == day:
            return text
    return day.isoformat()


def _terms(months: int, days: int) -> int:
    return (abs(months) >= 12) + (abs(months) % 12 != 0) + (days != 0)


def _format(base: str, months: int, days: int) -> str:
    sign = "-" if months < 0 else "+"
    years, rest = divmod(abs(months), 12)
    parts = [base]
    if years:
        parts.append(f"{sign} {years} year{'s' * (years != 1)}")
    if rest:
        parts.append(f"{sign} {rest} month{'s' * (rest != 1)}")
    if days:
        parts.append(f"{'-' if days < 0 else '+'} {abs(days)} day{'s' * (abs(days) != 1)}")
    return " ".join(parts)


# ---- writing ---------------------------------------------------------------------------


def scalar(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000, allow_unicode=True)
    return text.removesuffix("\n").removesuffix("\n...")


def flow(mapping: dict[str, Any]) -> str:
    """A one-line mapping; on/off stay plain (the case reader takes YAML's booleans as them)."""
    text = [f"{k}: {v if v in ('on', 'off') else scalar(v)}" for k, v in mapping.items()]
    return "{" + ", ".join(text) + "}"


def event_dict(e: Any, named: dict[str, date], fixed: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"cluster": e.cluster, "date": relative(e.date, named, "event", fixed)}
    if e.value is not None:
        out["value"] = int(e.value) if float(e.value).is_integer() else float(e.value)
    for key in ("also", "prefer"):
        if getattr(e, key):
            out[key] = list(getattr(e, key))
    if e.code is not None:
        out["code"] = e.code
    return out


def fixed_dates_read(ruleset: Any, items: set[str]) -> set[str]:
    """The fixed named dates (APR2023...) the rules of these indicators/registers read."""
    texts: list[str] = []
    for item in items:
        if item in ruleset.indicators:
            indicator = ruleset.indicators[item]
            uses = indicator_uses(ruleset, indicator)
            steps = [*indicator.denominator, *indicator.numerator]
        elif item in ruleset.registers:
            uses, steps = register_uses(ruleset, item), []
        else:
            continue
        for kind, name in uses:
            if kind == "field":
                texts += [str(b.ref) for b in ruleset.fields[name].bounds]
            elif kind == "condition":
                texts.append(condition_text(ruleset.conditions[name].condition))
            elif kind == "register":
                steps += list(ruleset.registers[name].rules)
        texts += [condition_text(step.when) for step in steps]
    fixed = {n for n in ruleset.dates if n not in PERIOD}
    return {n for n in fixed if any(n in text for text in texts)}


def case_record(c: dict[str, Any], ruleset: Any) -> dict[str, Any]:
    """The case with every date written from the named dates."""
    named = dict(ruleset.dates)
    named["ACHV"] = c["as_of"] or ruleset.period_end
    named["DOB"] = c["dob"]
    fixed = fixed_dates_read(ruleset, set(c["expect"]))
    events = ([] if c["dx"] is None else [_dx_event(c["dx"], named)]) + [
        event_dict(e, named, fixed) for e in c["events"]
    ]
    out = {
        "id": c["pid"],
        "why": c["why"],
        "dob": relative(c["dob"], named, "dob"),
        "registration": relative(c["reg"], named, "registration"),
        "sex": c["sex"],
        "practice": c["practice"],
        "deregistration": c["dereg"] and relative(c["dereg"], named, "dereg"),
        "death": c["death"] and relative(c["death"], named, "death"),
        "as_of": c["as_of"] and relative(c["as_of"], named, "as_of"),
        "events": events,
        "expect": c["expect"],
        "on_register": c["on_register"],
    }
    return out


def _home_file(expect: dict[str, str], ruleset: Any) -> str:
    """The first indicator or register the case decides (not a retired id's no_row)."""
    known = [i for i in expect if i in ruleset.indicators or i in ruleset.registers]
    decided = [i for i in known if expect[i] != "no_row"]
    return (decided or known or list(expect))[0]


def _dx_event(day: date, named: dict[str, date]) -> dict[str, Any]:
    return {"cluster": "DM_COD", "date": relative(day, named, "event")}


def write_file(path: Path, title: str, records: list[dict[str, Any]], reg_ind: tuple) -> None:
    defaults: dict[str, Any] = {}
    for key in ("dob", "registration"):
        defaults[key] = Counter(r[key] for r in records).most_common(1)[0][0]
    for key, default in (("sex", "M"), ("practice", "A00001")):
        common = Counter(r[key] for r in records).most_common(1)[0][0]
        if common != default:
            defaults[key] = common
    first_events = [json.dumps(r["events"][:1]) for r in records]
    shared_dx = (
        len(set(first_events)) == 1
        and records[0]["events"]
        and records[0]["events"][0]["cluster"] == "DM_COD"
    )
    if shared_dx:
        defaults["events"] = records[0]["events"][:1]
    lines = [f"# {title}", "# Format: rulesets/README.md (Patient cases)."]
    if reg_ind:
        lines.append(f"register_indicators: [{', '.join(reg_ind)}]")
    lines.append("patient:")
    for key, value in defaults.items():
        if key == "events":
            lines.append("  events:")
            lines += [f"    - {flow(e)}" for e in value]
        else:
            lines.append(f"  {key}: {scalar(value)}")
    lines.append("cases:")
    for r in records:
        lines.append(f"  - id: {scalar(r['id'])}")
        lines.append(f"    why: {scalar(r['why'])}")
        for key in ("dob", "registration", "sex", "practice"):
            if r[key] != defaults.get(key, {"sex": "M", "practice": "A00001"}.get(key)):
                lines.append(f"    {key}: {scalar(r[key])}")
        for key in ("deregistration", "death", "as_of"):
            if r[key]:
                lines.append(f"    {key}: {scalar(r[key])}")
        events = r["events"][1:] if shared_dx else r["events"]
        if events:
            lines.append("    events:")
            lines += [f"      - {flow(e)}" for e in events]
        if r["on_register"] is not None:
            lines.append(f"    on_register: {scalar(r['on_register'])}")
        if r["expect"]:
            lines.append(f"    expect: {flow(r['expect'])}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---- the conversion --------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "rulesets")
    parser.add_argument("--counts", type=Path, default=RULES / "case_counts.json")
    parser.add_argument("--keep-in-child", type=Path, help="file of case ids kept in the child")
    parser.add_argument("--modules", nargs="*", help="module stems (default: all)")
    args = parser.parse_args()
    import conftest as rc

    keep = set()
    if args.keep_in_child and args.keep_in_child.exists():
        keep = {line.split("#")[0].strip() for line in args.keep_in_child.read_text().splitlines()}
        keep.discard("")
    parent = load_ruleset(PARENT)
    changed = changed_items(parent, load_ruleset(CHILD))
    files: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    register_indicators: dict[tuple[str, str], tuple] = {}
    counts: dict[str, Counter] = defaultdict(Counter)
    seen: set[str] = set()  # ids unique over parent and child: no accidental override
    paths = sorted(RULES.glob("test_*.py"))
    if args.modules:
        paths = [p for p in paths if p.stem in args.modules]
    for path in paths:
        module = load_module(path)
        ruleset_id = getattr(module, "RULESET", rc.RULESET)
        ruleset = load_ruleset(ruleset_id)
        reg_ind = tuple(getattr(module, "REGISTER_INDICATORS", rc.INDICATORS))
        for c in module_cases(module, rc):
            items = set(c["expect"]) | (set(reg_ind) if c["on_register"] is not None else set())
            counts[ruleset_id].update(items)
            counts[ruleset_id]["(all)"] += 1
            home = ruleset_id
            movable = all(i in parent.indicators or i in parent.registers for i in items)
            clusters = {
                n for e in c["events"] if e.code is None for n in (*e.cluster.split("|"), *e.also)
            }
            movable = movable and clusters <= parent.clusters.keys()
            if ruleset_id == CHILD and movable and not items & changed.keys():
                if c["pid"] not in keep:
                    home = PARENT
            if c["pid"] in seen:
                c["pid"] = f"{path.stem.removeprefix('test_')}_{c['pid']}"
            assert c["pid"] not in seen, c["pid"]
            seen.add(c["pid"])
            record = case_record(c, ruleset)
            if c["on_register"] is not None:
                name = ruleset.indicators[reg_ind[0]].register
                key = (home, name)
                assert register_indicators.get(key, reg_ind) == reg_ind, (key, reg_ind)
                register_indicators[key] = reg_ind
            else:
                name = _home_file(c["expect"], ruleset)
            files[(home, name)].append(record)
    for (home, name), records in sorted(files.items()):
        title = f"{name}: patient cases ({home}; dates from its named dates)"
        write_file(
            args.out / home / "cases" / f"{name}.yaml",
            title,
            records,
            register_indicators.get((home, name), ()),
        )
    summary = {k: dict(sorted(v.items())) for k, v in sorted(counts.items())}
    args.counts.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    totals = {k: v["(all)"] for k, v in counts.items()}
    print(f"wrote {len(files)} files; cases per ruleset:", totals)


if __name__ == "__main__":
    main()
