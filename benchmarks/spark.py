"""Benchmark `qofcli.spark` against the local engine on one extract (Spark local mode).

For each core count it times, each in a fresh process:

- local: the local engine (`api.score` on the opened extract, no validation) with Polars limited
  to that many threads;
- spark: `qofcli.spark.score(...).to_local()` on `local[N]`, Polars limited to one thread per
  task; the Spark session's start-up is timed apart (a fixed cost per run, not per patient).

It prints a Markdown table with per-core throughput (patients per second per core).

    python benchmarks/spark.py /work/bench/extract-1000000 --cores 1,2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl

RULESET = "qof-2026-27"

LOCAL = """
import json, sys, time
from pathlib import Path
from qofcli import api
from qofcli.extract import load_extract
ruleset = api.load_ruleset(sys.argv[2])
start = time.perf_counter()
result = api.score(load_extract(Path(sys.argv[1])), ruleset)
print(json.dumps({"score": time.perf_counter() - start, "practices": result.practices.height}))
"""

SPARK = """
import json, sys, time
from pathlib import Path
from qofcli import api, spark
ruleset = api.load_ruleset(sys.argv[2])
start = time.perf_counter()
session = spark.start_session(sys.argv[3])
started = time.perf_counter()
tables = spark.read_extract(session, Path(sys.argv[1]))
scored = spark.score(tables.patients, tables.events, ruleset, spark_practices=tables.practices)
result = scored.to_local()
done = time.perf_counter()
print(json.dumps({"startup": started - start, "score": done - started,
                  "practices": result.practices.height}))
"""


def run(script: str, args: list[str], threads: int) -> dict[str, float]:
    env = os.environ | {"POLARS_MAX_THREADS": str(threads)}
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("extract", type=Path)
    parser.add_argument("--cores", default="1,2", help="comma-separated core counts")
    parser.add_argument("--ruleset", default=RULESET)
    args = parser.parse_args()
    patients = pl.scan_parquet(args.extract / "patients.parquet").select(pl.len()).collect()
    n = int(patients.item())
    rows = []
    for cores in (int(c) for c in args.cores.split(",")):
        local = run(LOCAL, [str(args.extract), args.ruleset], cores)
        on_spark = run(SPARK, [str(args.extract), args.ruleset, f"local[{cores}]"], 1)
        rows.append((cores, local, on_spark))
    print(f"{n:,} patients, {args.ruleset}\n")
    print(
        "| cores | local score s | local pts/s/core | Spark start s | Spark score s "
        "| Spark pts/s/core | Spark ÷ local |"
    )
    print("|---|---|---|---|---|---|---|")
    for cores, local, on_spark in rows:
        print(
            f"| {cores} | {local['score']:.1f} | {n / local['score'] / cores:,.0f} "
            f"| {on_spark['startup']:.1f} | {on_spark['score']:.1f} "
            f"| {n / on_spark['score'] / cores:,.0f} | {on_spark['score'] / local['score']:.2f} |"
        )


if __name__ == "__main__":
    main()
