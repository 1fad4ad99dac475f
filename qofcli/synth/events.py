"""Events as arrays: the rule templates' records (a `Sink`) and background noise, made chunk
by chunk and merged in patient-then-day order, so memory stays bounded at millions of patients.

Background items are BP readings (a systolic and a diastolic event on one day, sometimes with a
home-reading code), HbA1c screening and codes no rule reads; patients who carry a rule template
get only the unrelated codes, so their template alone decides every rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from qofcli.synth.base import DAYS_PER_YEAR, NOISE_ROLE, Calendar, CodeBook, Streams, choose
from qofcli.synth.population import NO_EXIT, Population
from qofcli.synth.realism import Realism

NOISE_CHUNK = 100_000  # patients per chunk, bounding temporary memory
BACKGROUND_KINDS = ("bp_reading", "coded_event", "hba1c_screen")


@dataclass(frozen=True)
class Block:
    """Events as aligned arrays: patient row, day number, code index, value (NaN for null)."""

    pid: np.ndarray
    day: np.ndarray
    code: np.ndarray
    value: np.ndarray

    @property
    def key(self) -> np.ndarray:
        """One sortable integer per event: patient first, then day."""
        return self.pid.astype(np.int64) * (1 << 21) + (self.day.astype(np.int64) + (1 << 20))

    def take(self, rows: np.ndarray | slice) -> Block:
        return Block(self.pid[rows], self.day[rows], self.code[rows], self.value[rows])


class Sink:
    """Collects the (small) scenario event blocks; background noise is made later, per chunk."""

    def __init__(self, book: CodeBook, streams: Streams, pop: Population, cal: Calendar) -> None:
        self.book = book
        self._streams = streams
        self._first_day = pop.dob
        self._last_day = np.where(pop.exit_kind != NO_EXIT, pop.exit_day, cal.as_of)
        self.parts: list[Block] = []
        self.size = 0

    def add(
        self, role: str, pid: np.ndarray, days: np.ndarray, values: np.ndarray | None = None
    ) -> None:
        """Add events with codes drawn from ``role``; silently nothing if the role is missing."""
        pool = self.book.pools.get(role)
        if pool is None or len(pid) == 0:
            return
        pid = np.asarray(pid, dtype=np.int64)
        days = np.broadcast_to(np.asarray(days, dtype=np.int64), pid.shape)
        codes = pool[self._streams("codes:" + role).integers(0, len(pool), len(pid))]
        vals = np.full(len(pid), np.nan) if values is None else np.asarray(values, dtype=float)
        # nothing is recorded before birth or after the patient left
        keep = (days >= self._first_day[pid]) & (days <= self._last_day[pid])
        block = Block(pid[keep], days[keep], codes[keep], vals[keep])
        self.parts.append(block)
        self.size += len(block.pid)

    def sorted_block(self) -> Block:
        """All scenario events by patient then day (stable, so same-day order is kept)."""
        if not self.parts:
            empty = np.zeros(0, dtype=np.int32)
            return Block(empty, empty, empty, np.zeros(0))
        block = Block(*(np.concatenate([getattr(p, f) for p in self.parts]) for f in FIELDS))
        block = block.take(np.lexsort((block.day, block.pid)))
        pid, day = block.pid.astype(np.int32), block.day.astype(np.int32)
        return Block(pid, day, block.code, block.value)


FIELDS = ("pid", "day", "code", "value")


def _noise_mix(book: CodeBook, background: dict[str, Any]) -> np.ndarray:
    available = {
        "bp_reading": book.has("systolic", "diastolic"),
        "coded_event": book.has(NOISE_ROLE),
        "hba1c_screen": book.has("hba1c"),
    }
    return np.array([background["mix"][kind] * available[kind] for kind in BACKGROUND_KINDS])


@dataclass(frozen=True)
class Noise:
    """Background items per patient and the days they may fall on; the events themselves are
    made chunk by chunk."""

    items: np.ndarray
    first: np.ndarray
    last: np.ndarray
    templated: np.ndarray  # patients with a rule template: unrelated codes only
    mix: np.ndarray
    home_bp: float


def plan_noise(
    streams: Streams,
    pop: Population,
    cal: Calendar,
    book: CodeBook,
    target: float,
    templated: np.ndarray,
    realism: Realism,
) -> Noise:
    """How many background items each patient gets (more for older, busier patients), so that
    all events together come near ``target``."""
    rng = streams("noise-plan")
    background = realism.background
    mix = _noise_mix(book, background)
    home_bp = float(background["home_bp"]) if book.has("home_bp") else 0.0
    last = pop.last_day(cal)
    first = np.maximum(pop.dob, cal.end - int(background["history_years"] * DAYS_PER_YEAR))
    if target <= 0 or mix.sum() == 0:
        return Noise(np.zeros(pop.size, dtype=np.int64), first, last, templated, mix, home_bp)
    mix = mix / mix.sum()
    events_per_item = mix[0] * (2 + home_bp) + mix[1] + mix[2]
    activity = (0.3 + pop.age_years(cal).clip(0) / 40) * rng.gamma(2.0, 0.5, pop.size)
    activity = np.where(last >= first, activity, 0.0)
    per_item = np.where(templated, 1.0, events_per_item)  # their items are single coded events
    items = rng.poisson(target / per_item * activity / activity.sum())
    return Noise(items, first, last, templated, mix, home_bp)


def _sorted_days(
    rng: np.random.Generator, counts: np.ndarray, first: np.ndarray, last: np.ndarray
) -> np.ndarray:
    """``counts[g]`` uniform days in [first[g], last[g]] per group, ascending within each group.

    Normalised cumulative exponential spacings are sorted uniforms, so no sort is needed.
    """
    groups = len(counts)
    spacing_sums = np.cumsum(rng.standard_exponential(int(counts.sum()) + groups))
    group_end = spacing_sums[np.cumsum(counts + 1) - 1]
    group_base = np.concatenate(([0.0], group_end[:-1]))
    group = np.repeat(np.arange(groups), counts)
    position = np.arange(len(group)) + group  # each group has one extra spacing
    uniform = (spacing_sums[position] - group_base[group]) / (group_end - group_base)[group]
    width = (last - first + 1)[group]
    return first[group] + np.minimum(np.floor(uniform * width).astype(np.int64), width - 1)


def noise_block(
    streams: Streams, book: CodeBook, noise: Noise, realism: Realism, lo: int, hi: int
) -> Block:
    """Background events of patients lo..hi-1, already in patient-then-day order."""
    rng = streams("noise")
    counts = noise.items[lo:hi]
    owner = lo + np.repeat(np.arange(hi - lo), counts)
    day = _sorted_days(rng, counts, noise.first[lo:hi], noise.last[lo:hi])
    n = len(owner)
    kind = choose(rng, n, noise.mix) if n else np.zeros(0, dtype=np.int64)
    # a templated patient's records are exactly what its template needs
    kind[(kind != 1) & noise.templated[owner]] = 1 if noise.mix[1] else -1
    bp = kind == 0
    home = bp & (rng.random(n) < noise.home_bp)
    width = np.where(bp, 2 + home, np.where(kind < 0, 0, 1))
    start = np.cumsum(width) - width
    block = Block(
        np.repeat(owner, width).astype(np.int32),
        np.repeat(day, width).astype(np.int32),
        np.zeros(int(width.sum()), dtype=np.int32),
        np.full(int(width.sum()), np.nan),
    )
    screen = kind == 2
    for role, rows, offset, cluster in (
        ("systolic", bp, 0, "SYSBP_COD"),
        ("diastolic", bp, 1, "DIABP_COD"),
        ("home_bp", home, 2, None),
        (NOISE_ROLE, kind == 1, 0, None),
        ("hba1c", screen, 0, "IFCCHBAM_COD"),
    ):
        model = realism.value_model(None, cluster) if cluster else None
        values = model.draw(rng, int(rows.sum())) if model else None
        _fill(streams, book, block, role, start[rows] + offset, values)
    return block


def _fill(
    streams: Streams,
    book: CodeBook,
    block: Block,
    role: str,
    at: np.ndarray,
    values: np.ndarray | None,
) -> None:
    if len(at) == 0:
        return
    pool = book.pools[role]
    block.code[at] = pool[streams("noise-codes:" + role).integers(0, len(pool), len(at))]
    if values is not None:
        block.value[at] = values


def merge(noise: Block, scenario: Block) -> Block:
    """Insert the scenario events into the noise block, keeping patient-then-day order."""
    at = np.searchsorted(noise.key, scenario.key, side="right")
    return Block(*(np.insert(getattr(noise, f), at, getattr(scenario, f)) for f in FIELDS))
