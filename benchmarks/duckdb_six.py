"""Hand-written DuckDB SQL of six QOF 2026/27 indicators, independent of qofcli's engine.

benchmarks/sql/six_indicators.sql computes, per practice, the denominators, numerators, PCAs and
exclusions of DM020, DM021, DM036, HYP010, HYP011 and BP002 straight from an extract folder
(docs/extract-format.md: CSV, Parquet or a folder of Parquet per table). This module only
creates the views the SQL reads: the extract's tables with the contract's types, and the
ruleset's code clusters and plausible value ranges, so no code or date is typed into the SQL.

It is what a competent analyst would write instead of qofcli, so benchmarks/run.py times it
beside `qof score`, and tests/test_duckdb_crosscheck.py checks both agree.

    python benchmarks/duckdb_six.py EXTRACT [--as-of 2026-11-30] [--output counts.csv]
"""

from __future__ import annotations

import argparse
import os
import re
import tomllib
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import yaml

HERE = Path(__file__).resolve().parent
SQL = HERE / "sql" / "six_indicators.sql"
RULESET = HERE.parent / "rulesets" / "qof-2026-27"

# Contract columns: (name, DuckDB type, required).
PATIENT_COLUMNS = [
    ("patient_id", "VARCHAR", True),
    ("practice_code", "VARCHAR", True),
    ("date_of_birth", "DATE", True),
    ("registration_date", "DATE", True),
    ("deregistration_date", "DATE", False),
    ("death_date", "DATE", False),
]
EVENT_COLUMNS = [
    ("patient_id", "VARCHAR", True),
    ("date", "DATE", True),
    ("code", "VARCHAR", True),
    ("value", "DOUBLE", False),
]


def table_source(extract: Path, name: str) -> tuple[str, bool]:
    """The DuckDB table function reading one extract table, and whether it is CSV."""
    if (extract / f"{name}.csv").exists():
        return f"read_csv('{extract / name}.csv', all_varchar = true, header = true)", True
    if (extract / f"{name}.parquet").exists():
        return f"read_parquet('{extract / name}.parquet')", False
    if (extract / name).is_dir():
        return f"read_parquet('{extract / name}/**/*.parquet', union_by_name = true)", False
    raise SystemExit(f"error: {extract}: no {name} table (.csv, .parquet or folder)")


def create_table_view(
    con: duckdb.DuckDBPyConnection,
    extract: Path,
    name: str,
    columns: list[tuple[str, str, bool]],
) -> None:
    """A view of one table with the contract's types; unparseable or absent values are null."""
    source, is_csv = table_source(extract, name)
    present = {row[0] for row in con.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    selected = []
    for column, kind, required in columns:
        if column not in present:
            if required:
                raise SystemExit(f"error: {extract}: table {name} has no column {column!r}")
            selected.append(f"NULL::{kind} AS {column}")
        elif is_csv:  # text as written, apart from surrounding spaces
            selected.append(f"TRY_CAST(nullif(trim({column}), '') AS {kind}) AS {column}")
        else:
            selected.append(f"TRY_CAST({column} AS {kind}) AS {column}")
    con.sql(f"CREATE OR REPLACE VIEW {name} AS SELECT {', '.join(selected)} FROM {source}")


def create_ruleset_tables(
    con: duckdb.DuckDBPyConnection, ruleset: Path, sql: str
) -> tuple[date, date]:
    """The clusters the SQL names (a cluster the ruleset lists as missing has no CSV and so no
    codes) and the plausible value ranges as tables; the ruleset's payment period dates."""
    named = set(re.findall(r"'([A-Z0-9_]+_COD)'", sql))
    folder = ruleset / "clusters"
    sources = (folder / "SOURCES.csv").read_text().splitlines()
    missing = {line.split(",")[0] for line in sources if line.split(",")[1:2] == ["missing"]}
    unknown = sorted(c for c in named if not (folder / f"{c}.csv").exists() and c not in missing)
    if unknown:
        raise SystemExit(f"error: {SQL.name} names clusters not in {ruleset.name}: {unknown}")
    files = sorted(str(folder / f"{c}.csv") for c in named if c not in missing)
    con.execute(
        "CREATE OR REPLACE TABLE clusters AS "
        "SELECT DISTINCT regexp_extract(filename, '([^/\\\\]+)\\.csv$', 1) AS cluster, code "
        "FROM read_csv($files, all_varchar = true, header = true, filename = true, "
        "union_by_name = true)",
        {"files": files},
    )
    ranges = yaml.safe_load((ruleset / "value_ranges.yaml").read_text()) or {}
    con.execute("CREATE OR REPLACE TABLE value_ranges (cluster VARCHAR, lo DOUBLE, hi DOUBLE)")
    con.executemany(
        "INSERT INTO value_ranges VALUES (?, ?, ?)",
        [(cluster, r.get("min"), r.get("max")) for cluster, r in ranges.items()],
    )
    dates = tomllib.loads((ruleset / "ruleset.toml").read_text())["dates"]
    return dates["PPSD"], dates["PPED"]


def six_indicators(
    extract: Path,
    as_of: date | None = None,
    ruleset: Path = RULESET,
    threads: int | None = None,
) -> pa.Table:
    """Per practice and indicator: register_size, denominator, numerator, pca, excluded."""
    con = duckdb.connect()
    con.execute(f"SET threads = {threads or os.cpu_count() or 1}")
    con.execute("SET preserve_insertion_order = false")
    create_table_view(con, extract, "patients", PATIENT_COLUMNS)
    create_table_view(con, extract, "events", EVENT_COLUMNS)
    sql = SQL.read_text()
    ppsd, pped = create_ruleset_tables(con, ruleset, sql)
    achv = as_of or pped
    if not ppsd <= achv <= pped:
        raise SystemExit(f"error: --as-of {achv} is outside the payment period {ppsd}..{pped}")
    params = {"ppsd": ppsd, "pped": pped, "achv": achv}
    return con.sql(sql, params=params).to_arrow_table()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("extract", type=Path)
    parser.add_argument("--as-of", type=date.fromisoformat, default=None)
    parser.add_argument("--ruleset", type=Path, default=RULESET, help="ruleset folder")
    parser.add_argument("--threads", type=int, default=None, help="default: all cores")
    parser.add_argument("--output", type=Path, default=None, help="CSV; default: print")
    args = parser.parse_args()
    counts = six_indicators(args.extract, args.as_of, args.ruleset, args.threads)
    if args.output is None:
        import polars as pl  # only to print

        with pl.Config(tbl_rows=-1):
            print(pl.from_arrow(counts))
    else:
        tmp = args.output.with_name(args.output.name + ".tmp")
        pacsv.write_csv(counts, tmp)
        tmp.replace(args.output)


if __name__ == "__main__":
    main()
