"""How each field of a ruleset is computed, decided before any event is read.

Most fields reduce their clusters' records in a window fixed by named dates (summaries.py);
a field on the same day as an unbounded latest field covering its codes is its own latest
record, kept if on that day; `all_clusters` fields find the last day every cluster shares, and
fields on their day read those clusters' values that day; fields whose window depends on
another field are computed stage by stage after it (facts.py). Cluster ids index
`Plan.clusters`, the cluster keys the ruleset reads.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from qofcli.engine.dates import RunDates
from qofcli.engine.events import VALUED, cluster_of
from qofcli.engine.summaries import Window, constant_window
from qofcli.ruleset import model as m
from qofcli.ruleset.checks import iter_atoms


@dataclass(frozen=True)
class Plan:
    """How each field is computed, and which clusters' records and values are read."""

    clusters: list[str]
    cids: dict[str, int]
    summary_fields: list[tuple[m.Field, Window]]  # windows fixed by named dates
    same_day_fields: list[m.Field]  # same day as an unbounded latest field covering its codes
    day_fields: list[m.Field]  # all_clusters: the latest/earliest day with every cluster
    day_dependent_fields: list[m.Field]  # same day as a day field, from its clusters
    record_fields: list[m.Field]  # windows relative to other fields, stage by stage
    valued_cids: set[int]  # clusters whose values some field reads (or ranks by)
    needs_value: set[str]
    needs_cluster: set[str]
    day_keys: dict[str, tuple[str, ...]]  # day-dependent fields: the anchor's keys they read

    def fields(self) -> list[m.Field]:
        return [
            *(f for f, _ in self.summary_fields),
            *self.day_fields,
            *self.day_dependent_fields,
            *self.same_day_fields,
            *self.record_fields,
        ]

    def readers(self) -> Counter[int]:
        """Per cluster id, the number of fields reading its records."""
        return Counter(c for f in self.fields() for c in self.read_cids(f))

    def read_cids(self, field: m.Field) -> list[int]:
        """The cluster ids whose records the field reads (a field on the day of an
        `all_clusters` field reads that field's records of its clusters)."""
        keys = self.day_keys.get(field.name) or cluster_keys(field)
        return [self.cids[k] for k in keys]


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
            summary_fields.append((field, window))
        elif _reducible_same_day(field, ruleset):
            same_day.append(field)
        else:
            record_fields.append(field)
    valued = [f for f in ruleset.fields.values() if f.name in needs_value | needs_cluster]
    return Plan(
        clusters,
        cids,
        summary_fields,
        same_day,
        days,
        dependents,
        record_fields,
        {cids[c] for f in [*valued, *days] for c in cluster_keys(f)},
        needs_value,
        needs_cluster,
        {f.name: _anchor_keys(f, ruleset.fields[f.bounds[0].ref.base]) for f in dependents},
    )


def _anchor_keys(field: m.Field, anchor: m.Field) -> tuple[str, ...]:
    """The field's clusters as its `all_clusters` anchor matched them."""
    return tuple(c + VALUED if anchor.with_value else c for c in field.clusters)


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


def ranked_cids(field: m.Field, plan: Plan) -> list[int]:
    """The field's cluster ids in same-day preference order (the winner of a tie first)."""
    pairs = zip(cluster_keys(field), field.clusters, strict=True)
    return [plan.cids[key] for key, c in sorted(pairs, key=lambda p: preference(field, p[1]))]


def cluster_names(plan: Plan) -> list[str]:
    """Cluster names by cluster id."""
    return [cluster_of(key) for key in plan.clusters]


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
