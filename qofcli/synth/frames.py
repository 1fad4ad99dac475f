"""The generated arrays as typed frames (the extract contract of qofcli.extract.schema), and
writing them atomically."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from qofcli.extract.schema import EVENTS, PATIENTS, PRACTICES, SEXES
from qofcli.synth.base import Calendar, Streams
from qofcli.synth.events import NOISE_CHUNK, Block, Noise, Sink, merge, noise_block
from qofcli.synth.population import DEREGISTERED, DIED, Population
from qofcli.synth.realism import Realism

PRACTICE_PLACES = (
    "Ashby",
    "Brampton",
    "Castleford",
    "Dunmore",
    "Elmstead",
    "Fairley",
    "Greyfield",
    "Hollins",
    "Ivybridge",
    "Kingsmead",
    "Langley",
    "Millbrook",
    "Northgate",
    "Oakwood",
    "Parkside",
    "Queensway",
    "Riverside",
    "Southfields",
    "Thornbury",
    "Westcliffe",
)
PRACTICE_KINDS = ("Medical Centre", "Surgery", "Health Centre", "Family Practice", "Group Practice")
ODS_REGION_LETTERS = "ABCDEFGHJKLMNPY"
PRACTICES_PER_PCN = 6


@dataclass(frozen=True)
class SyntheticExtract:
    """The three tables of an extract, typed as in docs/extract-format.md."""

    patients: pl.DataFrame
    events: pl.DataFrame
    practices: pl.DataFrame

    def tables(self) -> dict[str, pl.DataFrame]:
        return {"patients": self.patients, "events": self.events, "practices": self.practices}


def write_extract(
    extract: SyntheticExtract,
    out_dir: Path,
    fmt: Literal["csv", "parquet"],
    overwrite: bool = False,
) -> None:
    """Write the extract folder atomically: build it beside ``out_dir``, then rename it in."""
    out_dir = Path(out_dir)
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown extract format {fmt!r} (use 'csv' or 'parquet')")
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"{out_dir} exists and is not a directory")
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise ValueError(f"{out_dir} is not empty (pass overwrite=True to replace it)")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it owner-only; the extract is ordinary data
        for name, frame in extract.tables().items():
            if fmt == "csv":
                frame.write_csv(staging / f"{name}.csv")
            else:
                frame.write_parquet(staging / f"{name}.parquet")
        _swap_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.rename(staging, out_dir)
        return
    retired = out_dir.with_name(f".{out_dir.name}.{uuid.uuid4().hex}.old")
    os.rename(out_dir, retired)
    try:
        os.rename(staging, out_dir)
    except BaseException:
        os.rename(retired, out_dir)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def patient_ids(n: int) -> pl.Series:
    width = max(7, len(str(n)))
    digits = pl.select(pl.int_range(1, n + 1).cast(pl.String).str.zfill(width)).to_series()
    return ("P" + digits).alias("patient_id")


def _date_series(name: str, days: np.ndarray, present: np.ndarray | None = None) -> pl.Series:
    series = pl.Series(name, days.astype(np.int32)).cast(pl.Date)
    if present is None:
        return series
    return pl.select(pl.when(pl.Series(present)).then(series)).to_series().alias(name)


def patients_frame(pop: Population, ids: pl.Series, practice_codes: pl.Series) -> pl.DataFrame:
    return pl.DataFrame(
        [
            ids,
            practice_codes.gather(pop.practice).alias("practice_code"),
            _date_series("date_of_birth", pop.dob),
            pl.Series("sex", SEXES).gather(pop.sex.astype(np.int64)),
            _date_series("registration_date", pop.registration),
            _date_series("deregistration_date", pop.exit_day, pop.exit_kind == DEREGISTERED),
            _date_series("death_date", pop.exit_day, pop.exit_kind == DIED),
        ],
        schema=PATIENTS.schema,
    )


def events_frame(
    sink: Sink, noise: Noise, streams: Streams, ids: pl.Series, realism: Realism
) -> pl.DataFrame:
    """Events by patient then day, built chunk by chunk so temporary memory stays bounded."""
    scenario = sink.sorted_block()
    codes = pl.Series("code", sink.book.codes, dtype=pl.String)
    frames = []
    for lo in range(0, len(ids), NOISE_CHUNK):
        hi = min(lo + NOISE_CHUNK, len(ids))
        rows = slice(*np.searchsorted(scenario.pid, [lo, hi]))
        block = merge(noise_block(streams, sink.book, noise, realism, lo, hi), scenario.take(rows))
        frames.append(_block_frame(block, ids, codes))
    return pl.concat(frames)


def _block_frame(block: Block, ids: pl.Series, codes: pl.Series) -> pl.DataFrame:
    return pl.DataFrame(
        [
            ids.gather(block.pid),
            _date_series("date", block.day),
            codes.gather(block.code),
            pl.Series("value", block.value).fill_nan(None),
        ],
        schema=EVENTS.schema,
    )


def _practice_identities(
    rng: np.random.Generator, n: int
) -> tuple[list[str], list[str], list[str]]:
    letters = rng.choice(list(ODS_REGION_LETTERS), n)
    numbers = rng.choice(100_000, n, replace=False)
    codes = [f"{letter}{number:05d}" for letter, number in zip(letters, numbers, strict=True)]
    places = rng.choice(PRACTICE_PLACES, n)
    kinds = rng.choice(PRACTICE_KINDS, n)
    names = [f"{place} {kind}" for place, kind in zip(places, kinds, strict=True)]
    n_pcns = -(-n // PRACTICES_PER_PCN)
    pcn_numbers = rng.choice(100_000, n_pcns, replace=False)
    pcns = [f"U{pcn_numbers[i // PRACTICES_PER_PCN]:05d}" for i in range(n)]
    return codes, names, pcns


def practices_frame(rng: np.random.Generator, pop: Population, cal: Calendar) -> pl.DataFrame:
    codes, names, pcns = _practice_identities(rng, pop.n_practices)
    registered = (pop.registration <= cal.latest) & pop.registered_after(cal.latest)
    counts = np.bincount(pop.practice[registered], minlength=pop.n_practices)
    list_size = [int(c) if c > 0 else None for c in counts]  # empty: nobody registered (yet)
    return pl.DataFrame(
        {"practice_code": codes, "practice_name": names, "pcn_code": pcns, "list_size": list_size},
        schema=PRACTICES.schema,
    )
