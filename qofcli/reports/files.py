"""Machine-readable outputs (CSV, JSON, Parquet), written atomically: a failed run leaves no
half-written file, and an existing file is only replaced once the new one is complete."""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl

from qofcli import __version__
from qofcli.errors import UsageError
from qofcli.ruleset.diff import RulesetDiff
from qofcli.ruleset.model import Ruleset
from qofcli.scoring.achievement import Score
from qofcli.scoring.compare import Comparison

JSON_FORMAT_VERSION = 1


def check_output_path(path: Path) -> Path:
    """The folder an output goes to, or a UsageError saying why it cannot be written there."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UsageError(f"--output {path} is a folder; give a file name inside it")
    if not folder.is_dir():
        raise UsageError(f"--output {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"--output {path}: folder {folder} is not writable")
    return folder


def write_atomic(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write to a temporary file beside `path`, then rename it into place."""
    folder = check_output_path(path)
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UsageError(f"--output {path}: cannot write there ({exc.strerror})") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def frame_bytes(frame: pl.DataFrame, fmt: str) -> bytes:
    """A frame as CSV, JSON (list of records) or Parquet bytes."""
    buffer = io.BytesIO()
    if fmt == "csv":
        _flat(frame).write_csv(buffer)
    elif fmt == "parquet":
        frame.write_parquet(buffer)
    elif fmt == "json":
        buffer.write(json_text(frame.to_dicts()).encode())
    else:
        raise UsageError(f"unknown format {fmt!r}")
    return buffer.getvalue()


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV has no lists: list columns (e.g. a worklist's indicators) become `;`-joined text."""
    lists = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    return frame.with_columns(pl.col(c).list.join("; ") for c in lists)


def json_text(document: Any) -> str:
    return json.dumps(_clean(document), indent=2, default=str) + "\n"


def _clean(value: Any) -> Any:
    """JSON has no NaN; round floats so outputs are stable across platforms."""
    if isinstance(value, float):
        # JSON has no NaN or Infinity either: both are written as null.
        return round(value, 4) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def score_document(score: Score) -> dict[str, Any]:
    """The documented, stable JSON shape of `qof score --format json` (docs/output-format.md)."""
    key = score.key
    registers = score.registers.partition_by(key, as_dict=True)
    indicators = score.indicators.partition_by(key, as_dict=True)
    reasons = score.reasons.partition_by(key, "indicator", as_dict=True)
    domains = score.domains.partition_by(key, as_dict=True)
    units = []
    for unit in score.practices.to_dicts():
        code = unit[key]
        units.append(
            {
                **unit,
                "registers": _register_records(registers.get((code,))),
                "indicators": _indicator_records(indicators.get((code,)), reasons, code, key),
                "domains": _records(domains.get((code,)), drop=key),
            }
        )
    return {
        "format_version": JSON_FORMAT_VERSION,
        "qofcli_version": __version__,
        "ruleset": _ruleset_record(score.counts.ruleset),
        "achievement_date": score.counts.achievement_date.isoformat(),
        "by": score.by,
        "payment": _payment_record(score),
        "totals": score.totals.to_dicts()[0],
        "domains": score.domain_totals.to_dicts(),
        ("practices" if score.by == "practice" else "units"): units,
    }


def _ruleset_record(ruleset: Ruleset) -> dict[str, Any]:
    return {
        "id": ruleset.id,
        "title": ruleset.title,
        "qof_year": ruleset.qof_year,
        "business_rules": ruleset.business_rules,
    }


def _payment_record(score: Score) -> dict[str, Any]:
    """The figures £ was computed with, where they come from, and which options replaced them."""
    rates, payment = score.rates, score.counts.ruleset.payment
    return {
        "pound_per_point": rates.pound_per_point,
        "national_average_list_size": rates.national_average_list_size,
        "national_prevalence": rates.national_prevalence,
        "overridden_by": list(rates.overridden),
        "national_prevalence_year": payment.national_prevalence_year or None,
        "prevalence_basis": rates.prevalence_basis,
        "pounds_estimate": rates.pounds_estimate,
        "source": payment.source,
        "confidence": payment.confidence,
        "national_prevalence_source": payment.national_prevalence_source,
        "national_prevalence_confidence": payment.national_prevalence_confidence,
    }


def _records(frame: pl.DataFrame | None, drop: str) -> list[dict[str, Any]]:
    return [] if frame is None else frame.drop(drop).to_dicts()


def _register_records(frame: pl.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None:
        return []
    return frame.select(
        pl.col("register").alias("id"), "indicator", "size", "list_size", "prevalence"
    ).to_dicts()


def _indicator_records(
    frame: pl.DataFrame | None, reasons: dict[Any, pl.DataFrame], unit: str, key: str
) -> list[dict[str, Any]]:
    if frame is None:
        return []
    records = []
    for row in frame.drop(key).rename({"indicator": "id"}).to_dicts():
        found = reasons.get((unit, row["id"]))
        row["reasons"] = (
            {} if found is None else dict(zip(found["reason"], found["patients"], strict=True))
        )
        records.append(row)
    return records


def diff_document(structure: RulesetDiff, comparison: Comparison | None) -> dict[str, Any]:
    """The JSON shape of `qof diff --format json` (docs/output-format.md)."""
    document: dict[str, Any] = {
        "format_version": JSON_FORMAT_VERSION,
        "qofcli_version": __version__,
        "a": _ruleset_record(structure.a),
        "b": _ruleset_record(structure.b),
        "renamed": structure.renamed,
        "changes": structure.records(),
    }
    if comparison is not None:
        document["by"] = comparison.by
        document["indicators"] = comparison.indicators.to_dicts()
        document["units"] = comparison.units.to_dicts()
        document["totals"] = comparison.totals.to_dicts()[0]
        if comparison.patients is not None:
            document["patients"] = comparison.patients.to_dicts()
    return document
