"""The one read of the events: records of every cluster some ruleset reads, kept in memory.

Scoring several rulesets (`qof diff --extract`, a year-on-year comparison) must not read 60
million events once per ruleset. `read_events` reads them once for all the rulesets given:
it keeps the records up to the latest achievement date whose code is in a cluster any of
them reads, keyed by the patient's row in the patients table and a cluster id shared by the
rulesets (a cluster that two rulesets define with different codes gets two ids). Each ruleset
then takes its own records from that frame with `matched_for`: its achievement date, its
population, its clusters, its plausible value ranges. Both steps are plain vectorised
filters, gathers and hash joins; noise codes fall out in the first filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from qofcli.engine.dates import RunDates
from qofcli.extract import Extract
from qofcli.ruleset import model as m

PID = "pid"
ROW = "row"  # the patient's row in the patients table
GID = "gid"  # the shared cluster id
VALUED = "|valued"  # suffix of the cluster keys of `with_value` fields: their records have a value


def cluster_of(key: str) -> str:
    return key.removesuffix(VALUED)


@dataclass(frozen=True)
class ClusterKey:
    """A cluster as one ruleset defines it: its key (name, `|valued`) and its codes."""

    key: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class EventRows:
    """Matched records of all the rulesets read together: ROW, date, value, GID."""

    rows: pl.DataFrame
    keys: tuple[ClusterKey, ...]  # indexed by GID


def cluster_key(ruleset: m.Ruleset, key: str) -> ClusterKey:
    return ClusterKey(key, tuple(sorted(ruleset.clusters[cluster_of(key)].codes)))


def read_events(
    extract: Extract, wanted: Sequence[tuple[m.Ruleset, Sequence[str]]], up_to: date
) -> EventRows:
    """One streaming pass: records up to `up_to` of the cluster keys each ruleset reads."""
    keys = tuple(dict.fromkeys(cluster_key(r, k) for r, ks in wanted for k in ks))
    code_map = pl.DataFrame(
        [(code, gid) for gid, key in enumerate(keys) for code in key.codes],
        schema={"code": pl.String, GID: pl.UInt32},
        orient="row",
    )
    read = code_map["code"].unique().implode()
    patients = extract.patients.select("patient_id").with_row_index(ROW)
    # Keep the few events the rulesets read before any join (a cheap set lookup per event),
    # and join them to the patients (the smaller side first) before the code map, which
    # expands a code into its clusters.
    read_rows = extract.events.filter(
        (pl.col("date") <= pl.lit(up_to, dtype=pl.Date)) & pl.col("code").is_in(read)
    )
    rows = (
        patients.join(read_rows, on="patient_id", how="inner")
        .join(code_map.lazy(), on="code", how="inner")
        .select(ROW, "date", "value", GID)
        .collect(engine="streaming")
    )
    return EventRows(rows, keys)


def matched_for(
    events: EventRows,
    ruleset: m.Ruleset,
    dates: RunDates,
    pids: pl.Series,
    clusters: list[str],
) -> pl.LazyFrame:
    """The ruleset's records up to its ACHV, of its population (`pids`: each patient row's
    PID, null outside the population), keyed by its cluster ids (the index in `clusters`; a
    code in several clusters gives several rows). Values that are NaN, infinite or outside
    their cluster's plausible range become missing; records of `with_value` cluster keys
    without a value are dropped."""
    position = {key: gid for gid, key in enumerate(events.keys)}
    local: list[int | None] = [None] * len(events.keys)
    for index, key in enumerate(clusters):
        local[position[cluster_key(ruleset, key)]] = index
    cid_of_gid = pl.Series(local, dtype=pl.UInt16)
    # Range bounds indexed by cluster id (open for clusters without a range): a gather per row
    # is cheaper than carrying them through a join.
    bounds = [_range_of(ruleset, key) for key in clusters]
    low = pl.Series([b[0] for b in bounds], dtype=pl.Float64).fill_null(float("-inf"))
    high = pl.Series([b[1] for b in bounds], dtype=pl.Float64).fill_null(float("inf"))
    cid, value = pl.col("cid"), pl.col("value")
    plausible = value.is_finite() & value.is_between(
        pl.lit(low).gather(cid), pl.lit(high).gather(cid)
    )
    valued = [index for index, key in enumerate(clusters) if key.endswith(VALUED)]
    return (
        events.rows.lazy()
        .filter(pl.col("date") <= pl.lit(dates.achievement, dtype=pl.Date))
        .with_columns(
            pl.lit(cid_of_gid).gather(pl.col(GID)).alias("cid"),
            pl.lit(pids).gather(pl.col(ROW)).alias(PID),
        )
        .filter(cid.is_not_null() & pl.col(PID).is_not_null())
        .with_columns(pl.when(plausible).then(value).alias("value"))
        .filter(~cid.is_in(valued) | value.is_not_null())
        .select(PID, "date", "value", "cid")
    )


def _range_of(ruleset: m.Ruleset, key: str) -> tuple[float | None, float | None]:
    found = ruleset.value_ranges.get(cluster_of(key))
    return (found.low, found.high) if found else (None, None)
