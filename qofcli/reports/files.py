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
from qofcli.scoring.achievement import Score

JSON_FORMAT_VERSION = 1


def write_atomic(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write to a temporary file beside `path`, then rename it into place."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"--output {path}: folder {folder} does not exist")
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
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
        frame.write_csv(buffer)
    elif fmt == "parquet":
        frame.write_parquet(buffer)
    elif fmt == "json":
        buffer.write(json_text(frame.to_dicts()).encode())
    else:
        raise UsageError(f"unknown format {fmt!r}")
    return buffer.getvalue()


def json_text(document: Any) -> str:
    return json.dumps(_clean(document), indent=2, default=str) + "\n"


def _clean(value: Any) -> Any:
    """JSON has no NaN; round floats so outputs are stable across platforms."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def score_document(score: Score) -> dict[str, Any]:
    """The documented, stable JSON shape of `qof score --format json` (docs/output-format.md)."""
    ruleset = score.evaluation.ruleset
    registers = score.registers.partition_by("practice_code", as_dict=True)
    indicators = score.indicators.partition_by("practice_code", as_dict=True)
    reasons = score.reasons.partition_by("practice_code", "indicator", as_dict=True)
    practices = []
    for practice in score.practices.to_dicts():
        code = practice["practice_code"]
        practices.append(
            {
                **practice,
                "registers": _register_records(registers.get((code,))),
                "indicators": _indicator_records(indicators.get((code,)), reasons, code),
            }
        )
    return {
        "format_version": JSON_FORMAT_VERSION,
        "qofcli_version": __version__,
        "ruleset": {
            "id": ruleset.id,
            "title": ruleset.title,
            "qof_year": ruleset.qof_year,
            "business_rules": ruleset.business_rules,
        },
        "achievement_date": score.evaluation.achievement_date.isoformat(),
        "practices": practices,
    }


def _register_records(frame: pl.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None:
        return []
    return frame.select(
        pl.col("register").alias("id"), "indicator", "size", "list_size", "prevalence"
    ).to_dicts()


def _indicator_records(
    frame: pl.DataFrame | None, reasons: dict[Any, pl.DataFrame], practice: str
) -> list[dict[str, Any]]:
    if frame is None:
        return []
    records = []
    for row in frame.drop("practice_code").rename({"indicator": "id"}).to_dicts():
        found = reasons.get((practice, row["id"]))
        row["reasons"] = (
            {} if found is None else dict(zip(found["reason"], found["patients"], strict=True))
        )
        records.append(row)
    return records
