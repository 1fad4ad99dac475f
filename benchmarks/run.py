"""Benchmark qofcli at practice, PCN and ICB scale.

For each size it writes a synthetic extract with `qof synth` (Parquet, --events-per-patient
events of background activity per patient), then times in fresh processes:

- floor: Polars reads the events and keeps the latest date per (patient, code): the least work
  any rule engine must do;
- `qof score`, `qof patients` and, when available, `qof diff --extract` with the newest ruleset
  (the extract is generated for that ruleset's year);
- diff_scheme: `qof diff` of the example local scheme (rulesets/examples/network-scheme) and
  the national year it extends, against score_base, that year's score alone;
- duckdb: hand-written DuckDB SQL of six qof-2026-27 indicators (benchmarks/duckdb_six.py), the
  competitor `qof score` must beat (issue #13).

Wall time and peak resident memory of each process are reported as a Markdown table.

    python benchmarks/run.py --sizes 10000,100000,1000000 --out /tmp/qof-bench
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
import tomllib
from pathlib import Path

from qofcli.ruleset.catalogue import default_ruleset_id

RULESET = default_ruleset_id()  # the newest shipped ruleset

MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
wall = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"{done.returncode} {wall:.3f} {peak_kb}")
"""

FLOOR = """
import sys, polars as pl
events = pl.scan_parquet(sys.argv[1] + "/events.parquet")
latest = events.group_by("patient_id", "code").agg(pl.col("date").max())
latest.collect(engine="streaming")
"""


# The floor (#13): events joined to every cluster code of the ruleset, grouped by
# (patient, cluster) to first and last date and count, in the streaming engine.
CLUSTER_FLOOR = """
import sys, polars as pl
from qofcli.ruleset.loader import load_ruleset
ruleset = load_ruleset(sys.argv[2])
codes = pl.DataFrame(
    [(code, name) for name, c in ruleset.clusters.items() for code in c.codes],
    schema={"code": pl.String, "cluster": pl.String}, orient="row",
)
events = pl.scan_parquet(sys.argv[1] + "/events.parquet")
summary = events.join(codes.lazy(), on="code").group_by("patient_id", "cluster").agg(
    pl.col("date").min().alias("first"), pl.col("date").max().alias("last"), pl.len()
)
summary.collect(engine="streaming")
"""


# What `qof score` checks before scoring: the errors only (qofcli/extract/gate.py).
# It also writes its own seconds after Python start and imports (what it adds to a score) to
# the file named second.
GATE = """
import sys, time
from pathlib import Path
from qofcli.extract.gate import gate
start = time.perf_counter()
assert gate(Path(sys.argv[1])).passed
Path(sys.argv[2]).write_text(f"{time.perf_counter() - start:.3f}")
"""


def extra_timings(folder: Path, out: Path) -> dict[str, list[str]]:
    """The issue's cluster-join floor, `qof validate` alone, and two rulesets scored together
    (`qof diff` of the newest ruleset and the one before it, one event pass)."""
    year = int(RULESET[4:8])  # qof-2026-27 -> 2026
    previous = f"qof-{year - 1}-{str(year)[2:]}"
    return {
        "cluster_floor": [sys.executable, "-c", CLUSTER_FLOOR, str(folder), RULESET],
        "validate": qof("validate", str(folder), "--ruleset", RULESET),
        "gate": [sys.executable, "-c", GATE, str(folder), str(out / GATE_INSIDE)],
        "diff_years": qof("diff", previous, RULESET, "--extract", str(folder), *diff_csv(out)),
        # A local scheme against the national year it extends (same dates, same fields), and
        # that year's score alone: the "several rulesets, one event pass" case.
        "score_base": qof("score", str(folder), "--ruleset", SCHEME_BASE, *score_csv(out)),
        "diff_scheme": qof(
            "diff", SCHEME_BASE, str(SCHEME), "--extract", str(folder), *diff_csv(out)
        ),
    }


SCHEME = Path(__file__).resolve().parent.parent / "rulesets" / "examples" / "network-scheme"
SCHEME_BASE = tomllib.loads((SCHEME / "ruleset.toml").read_text())["extends"]


def score_csv(out: Path) -> tuple[str, ...]:
    return ("--format", "csv", "--output", str(out / "s.csv"))


def diff_csv(out: Path) -> tuple[str, ...]:
    """Write diff to a file, as score does: the console table of thousands of changed rows
    costs Rich more than scoring does."""
    return ("--format", "csv", "--table", "indicators", "--output", str(out / "d.csv"))


GATE_INSIDE = "gate_inside_s.txt"
OK_EXIT = {"validate": (0, 1)}  # `qof validate` exits 1 when there are warnings only


def measure(command: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB) of a command run in its own process."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, check=True
    ).stdout.split()
    code, wall, peak_kb = int(out[0]), float(out[1]), int(out[2])
    if code not in ok:
        raise SystemExit(f"benchmark command failed with exit {code}: {' '.join(command)}")
    return wall, peak_kb / 1e6


def qof(*args: str) -> list[str]:
    return [sys.executable, "-m", "qofcli", *args]


def duckdb_six(folder: Path, out: Path) -> list[str]:
    """The hand-written DuckDB SQL of DM020, DM021, DM036, HYP010, HYP011 and BP002 (all cores)."""
    script = Path(__file__).resolve().parent / "duckdb_six.py"
    return [sys.executable, str(script), str(folder), "--output", str(out / "duckdb.csv")]


def has_diff() -> bool:
    done = subprocess.run(qof("diff", "--help"), capture_output=True)
    return done.returncode == 0


def synth(folder: Path, patients: int, practices: int, seed: int, events: float) -> None:
    """`qof synth` of the benchmark ruleset into `folder` (Parquet)."""
    arguments = {
        "--ruleset": RULESET,
        "--out": str(folder),
        "--patients": str(patients),
        "--practices": str(practices),
        "--seed": str(seed),
        "--events-per-patient": str(events),
        "--format": "parquet",
    }
    subprocess.run(qof("synth", *(x for pair in arguments.items() for x in pair)), check=True)


def ensure_extract(folder: Path, patients: int, events_per_patient: float) -> float:
    if (folder / "events.parquet").exists():
        return 0.0
    start = time.perf_counter()
    synth(folder, patients, max(1, patients // 10_000), 1, events_per_patient)
    return time.perf_counter() - start


def run(sizes: list[int], out: Path, events_per_patient: float) -> list[dict[str, object]]:
    rows = []
    for size in sizes:
        folder = out / f"extract-{size}"
        synth_seconds = ensure_extract(folder, size, events_per_patient)
        row: dict[str, object] = {"patients": size, "synth_s": round(synth_seconds, 1)}
        timings = {
            "floor": [sys.executable, "-c", FLOOR, str(folder)],
            "score": qof(
                "score",
                str(folder),
                "--ruleset",
                RULESET,
                "--format",
                "csv",
                "--output",
                str(out / "s.csv"),
            ),
            "patients": qof(
                "patients",
                str(folder),
                "--ruleset",
                RULESET,
                "--format",
                "parquet",
                "--output",
                str(out / "p.parquet"),
            ),
        }
        timings["duckdb"] = duckdb_six(folder, out)
        if has_diff():
            timings["diff"] = qof(
                "diff", RULESET, RULESET, "--extract", str(folder), *diff_csv(out)
            )
        timings |= extra_timings(folder, out)
        for name, command in timings.items():
            wall, peak = measure(command, OK_EXIT.get(name, (0,)))
            row[f"{name}_s"], row[f"{name}_gb"] = round(wall, 1), round(peak, 2)
            print(f"{size:>9,} {name:<13} {wall:7.1f} s {peak:6.2f} GB", flush=True)
        row["gate_inside_s"] = round(float((out / GATE_INSIDE).read_text()), 2)
        row["score_vs_floor"] = round(float(row["score_s"]) / float(row["floor_s"]), 2)
        row["score_vs_duckdb"] = round(float(row["score_s"]) / float(row["duckdb_s"]), 2)
        row |= ratios(row)
        rows.append(row)
    return rows


def ratios(row: dict[str, object]) -> dict[str, object]:
    """The issue's targets as ratios: score vs the cluster-join floor (<= 3), validation vs
    score (<= 0.2: inside score only the errors are checked, `gate`; `qof validate` builds
    the full report), two rulesets vs one (<= 1.3)."""
    score = float(row["score_s"])  # type: ignore[arg-type]
    return {
        "score_vs_cluster_floor": round(score / float(row["cluster_floor_s"]), 2),  # type: ignore[arg-type]
        "validate_vs_score": round(float(row["validate_s"]) / score, 2),  # type: ignore[arg-type]
        "gate_vs_score": round(float(row["gate_s"]) / score, 2),  # type: ignore[arg-type]
        "gate_inside_vs_score": round(float(row["gate_inside_s"]) / score, 2),  # type: ignore[arg-type]
        "diff_years_vs_score": round(float(row["diff_years_s"]) / score, 2),  # type: ignore[arg-type]
        "diff_scheme_vs_score_base": round(
            float(row["diff_scheme_s"]) / float(row["score_base_s"]),  # type: ignore[arg-type]
            2,
        ),
    }


def markdown(rows: list[dict[str, object]]) -> str:
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in columns) + " |" for r in rows]
    machine = (
        f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
    )
    return "\n".join(lines) + f"\n\nMachine: {machine}.\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--events-per-patient", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=Path("bench_out"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = run([int(s) for s in args.sizes.split(",")], args.out, args.events_per_patient)
    table = markdown(rows)
    (args.out / "results.md").write_text(table)
    (args.out / "results.json").write_text(json.dumps(rows, indent=2))
    print(table)


if __name__ == "__main__":
    main()
