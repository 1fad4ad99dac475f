"""How each field of a ruleset is computed, decided before any event is read.

Most fields read the per (patient, cluster) summary (summaries.py) in a window fixed by named
dates; a field on the same day as another may read the same summary; `all_clusters` fields
are reduced per (patient, day); fields whose window depends on another field read the raw
records of their clusters in a later, narrower stage (facts.py). Cluster ids index
`Plan.clusters`, the cluster keys the ruleset reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from qofcli.engine.dates import RunDates
from qofcli.engine.events import VALUED, cluster_of
from qofcli.engine.summaries import Direction, KeySpec, Window, constant_window
from qofcli.ruleset import model as m
from qofcli.ruleset.checks import iter_atoms


@dataclass(frozen=True)
class Plan:
    """How each field is computed: from the per-cluster summary or from raw records."""

    clusters: list[str]
    cids: dict[str, int]
    windows: list[Window]
    keys: list[KeySpec]
    summary_fields: list[tuple[m.Field, int]]  # field, window index
    same_day_fields: list[m.Field]  # same day as an unbounded latest field covering its codes
    day_fields: list[m.Field]  # all_clusters: the latest/earliest day with every cluster
    day_dependent_fields: list[m.Field]  # same day as a day field, from its clusters
    record_fields: list[m.Field]  # windows relative to other fields: read raw records
    record_cids: list[int]
    needs_value: set[str]
    needs_cluster: set[str]
    window_cids: list[list[int]]  # per window: the clusters whose first/last date a field reads
    key_cids: dict[str, list[int]]  # per key column: the clusters whose key a field reads


def cluster_keys(field: m.Field) -> tuple[str, ...]:
    """The field's clusters as matched: `with_value` fields read valued records only."""
    return tuple(c + VALUED if field.with_value else c for c in field.clusters)


def read_keys(ruleset: m.Ruleset) -> list[str]:
    """The cluster keys whose records the ruleset's fields read, in cluster id order."""
    return sorted({c for f in ruleset.fields.values() for c in cluster_keys(f)})


def plan_fields(ruleset: m.Ruleset, dates: RunDates) -> Plan:
    clusters = read_keys(ruleset)
    cids = {c: i for i, c in enumerate(clusters)}
    needs_value, needs_cluster = fields_read_for(ruleset)
    windows = [Window()]
    summary_fields, same_day, record_fields, days, dependents = [], [], [], [], []
    for field in ruleset.fields.values():
        window = constant_window(field.bounds, dates)
        if field.all_clusters:
            days.append(field)
        elif _day_dependent(field, ruleset):
            dependents.append(field)
        elif field.find == "count":
            # Distinct record days across clusters need the records themselves.
            record_fields.append(field)
        elif window is not None:
            if window not in windows:
                windows.append(window)
            summary_fields.append((field, windows.index(window)))
        elif _reducible_same_day(field, ruleset):
            same_day.append(field)
        else:
            record_fields.append(field)
    # Same-day fields read their own latest record in the open window (facts.py).
    uses = [(f, w, direction(f)) for f, w in summary_fields]
    uses += [(f, 0, "latest") for f in same_day]
    window_cids = [
        sorted({cids[c] for f, w, _ in uses if w == i for c in cluster_keys(f)})
        for i in range(len(windows))
    ]
    key_cids: dict[str, set[int]] = {}
    for f, w, way in uses:
        if f.name in needs_value or f.name in needs_cluster:
            spec = KeySpec(w, way, f.value)
            key_cids.setdefault(spec.column, set()).update(cids[c] for c in cluster_keys(f))
    keys = {
        KeySpec(w, way, f.value)
        for f, w, way in uses
        if f.name in needs_value or f.name in needs_cluster
    }
    record_cids = sorted({cids[c] for f in record_fields for c in cluster_keys(f)})
    return Plan(
        clusters,
        cids,
        windows,
        sorted(keys, key=lambda k: k.column),
        summary_fields,
        same_day,
        days,
        dependents,
        record_fields,
        record_cids,
        needs_value,
        needs_cluster,
        window_cids,
        {column: sorted(found) for column, found in key_cids.items()},
    )


def _reducible_same_day(field: m.Field, ruleset: m.Ruleset) -> bool:
    """`same_day: F` where F is the latest record of clusters holding every code of this field:
    then no record of this field is later than F, so "on F's day" means "its own last record,
    if that is F's day", which the summary already holds."""
    if len(field.bounds) != 1 or field.bounds[0].op != "same_day" or field.bounds[0].ref.offset:
        return False
    anchor = ruleset.fields.get(field.bounds[0].ref.base)
    if anchor is None or anchor.find != "latest" or anchor.bounds or anchor.all_clusters:
        return False
    if anchor.with_value and not field.with_value:
        return False  # a later record without a value could be the field's own last one
    codes = {code for c in field.clusters for code in ruleset.clusters[c].codes}
    covered = {code for c in anchor.clusters for code in ruleset.clusters[c].codes}
    return codes <= covered


def _day_dependent(field: m.Field, ruleset: m.Ruleset) -> bool:
    """`same_day: D` where D is an `all_clusters` field over (at least) this field's clusters:
    D's per-day reduction already holds this field's lowest and highest value on D's day."""
    if len(field.bounds) != 1 or field.bounds[0].op != "same_day" or field.bounds[0].ref.offset:
        return False
    anchor = ruleset.fields.get(field.bounds[0].ref.base)
    if anchor is None or not anchor.all_clusters or field.find == "count":
        return False
    if field.with_value and not anchor.with_value:
        return False
    return set(field.clusters) <= set(anchor.clusters)


def preference(field: m.Field, cluster: str) -> tuple[int, int]:
    """Sort key of a cluster for same-day ties: `prefer` order first, then the listed order."""
    rank = field.prefer.index(cluster) if cluster in field.prefer else len(field.prefer)
    return rank, field.clusters.index(cluster)


def rank_expr(field: m.Field, plan: Plan) -> pl.Expr:
    """Each cluster id's place in the field's same-day preference (lower wins)."""
    keys = cluster_keys(field)
    ranks = {plan.cids[k]: preference(field, c) for k, c in zip(keys, field.clusters, strict=True)}
    ordered = sorted(ranks, key=ranks.__getitem__)
    return pl.col("cid").replace_strict(ordered, list(range(len(ordered))), return_dtype=pl.Int32)


def cluster_name(column: str, plan: Plan) -> pl.Expr:
    names = [cluster_of(key) for key in plan.clusters]
    return (
        pl.col(column)
        .replace_strict(list(range(len(names))), names, return_dtype=pl.String)
        .alias(column)
    )


def fields_read_for(ruleset: m.Ruleset) -> tuple[set[str], set[str]]:
    """Fields whose value, and whose cluster, some condition reads (the rest need only dates)."""
    conditions = [n.condition for n in ruleset.conditions.values()]
    conditions += [s.when for r in ruleset.registers.values() for s in r.rules]
    conditions += [
        s.when for i in ruleset.indicators.values() for s in (*i.denominator, *i.numerator)
    ]
    atoms = [a for c in conditions for a in iter_atoms(c)]
    values = {a.field for a in atoms if isinstance(a, m.ValueCompare)}
    kinds = {a.field for a in atoms if isinstance(a, m.ClusterIn)}
    return values, kinds


def direction(field: m.Field) -> Direction:
    """The summary column a field reads: a count reads the latest day, like a latest field."""
    return "earliest" if field.find == "earliest" else "latest"
