"""Reports of `qof clusters import`: a Rich table for people and a JSON document for scripts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from qofcli import __version__
from qofcli.ruleset.importer import NOT_IN_RELEASE, ClusterChange, ImportPlan

JSON_FORMAT_VERSION = 1
NAMES_SHOWN = 40  # clusters listed by name in the "kept as they were" line


def import_document(plan: ImportPlan, out: Path | None) -> dict[str, Any]:
    """The JSON shape of `qof clusters import --format json`; `out` is None for --dry-run."""
    release = plan.release
    return {
        "format_version": JSON_FORMAT_VERSION,
        "qofcli_version": __version__,
        "ruleset": {"id": plan.ruleset.id, "folder": str(plan.folder)},
        "release": {
            "file": str(release.path),
            "name": release.name,
            "encoding": release.encoding,
            "rows": release.rows,
            "clusters": len(release.clusters.keys() | release.invalid.keys()),
        },
        "out": None if out is None else str(out),
        "written": out is not None,
        "totals": plan.totals(),
        "clusters": [_change_record(c) for c in plan.changes],
        "ignored_clusters": list(plan.ignored),
    }


def _change_record(change: ClusterChange) -> dict[str, Any]:
    return {
        "cluster": change.cluster,
        "outcome": change.outcome,
        "status_before": change.status_before,
        "status_after": change.status_after,
        "codes_before": change.codes_before,
        "codes_after": len(change.rows) if change.imported else change.codes_before,
        "added": list(change.added),
        "removed": list(change.removed),
        "unchanged": change.unchanged,
        "invalid": list(change.invalid),
    }


def render_import(plan: ImportPlan, out: Path | None, console: Console) -> None:
    """Clusters imported (status before → after, codes added/removed/unchanged), clusters kept,
    release clusters ignored, totals, and where the copy was written."""
    release = plan.release
    console.print(
        f"[bold]{plan.ruleset.id}[/bold] ({plan.folder}) from release {release.name!r} "
        f"({release.path.name}, {release.rows:,} rows, {release.encoding})",
        highlight=False,
    )
    shown = [c for c in plan.changes if c.outcome != NOT_IN_RELEASE]
    if shown:
        console.print(_change_table(shown))
    for line in _summary_lines(plan, out):
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def _change_table(changes: list[ClusterChange]) -> Table:
    table = Table(title="Clusters in the release", title_justify="left")
    for name in ("Cluster", "Status", "Outcome"):
        table.add_column(name, no_wrap=True)
    for name in ("Added", "Removed", "Unchanged", "Invalid"):
        table.add_column(name, justify="right")
    for c in changes:
        table.add_row(
            c.cluster,
            f"{c.status_before or '-'} → {c.status_after or '-'}",
            c.outcome.replace("_", " "),
            str(len(c.added)),
            str(len(c.removed)),
            str(c.unchanged),
            str(len(c.invalid)),
        )
    return table


def _summary_lines(plan: ImportPlan, out: Path | None) -> list[str]:
    totals = plan.totals()
    kept = [c.cluster for c in plan.changes if c.outcome == NOT_IN_RELEASE]
    lines = [
        f"Imported {totals['clusters_imported']} of {totals['clusters_in_ruleset']} clusters: "
        f"{totals['added']} added, {totals['changed']} changed, {totals['unchanged']} unchanged; "
        f"codes {totals['codes_added']} added, {totals['codes_removed']} removed, "
        f"{totals['codes_unchanged']} unchanged.",
    ]
    if kept:
        names = ", ".join(kept[:NAMES_SHOWN]) + (", ..." if len(kept) > NAMES_SHOWN else "")
        lines.append(f"Not in the release, kept as they were ({len(kept)}): {names}")
    lines += [
        f"Invalid codes not imported: {c.cluster}: {', '.join(c.invalid)}"
        for c in plan.changes
        if c.invalid
    ]
    if plan.ignored:
        lines.append(f"Release clusters the ruleset does not use, ignored: {len(plan.ignored)}")
    lines.append(f"Wrote {out}" if out is not None else "Dry run: nothing written.")
    return lines
