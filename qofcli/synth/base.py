"""Shared pieces of the generator: random streams, day numbers, calendar, quota draws, codes."""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from qofcli.engine.dates import shift, shift_expr
from qofcli.ruleset import model as m

EPOCH = date(1970, 1, 1)
DAYS_PER_YEAR = 365.2425
NOISE_ROLE = "noise"
CLUSTER_ROLE = "cluster:"  # code pools of whole clusters, for rule templates


class Streams:
    """One random stream per purpose, so adding a feature leaves the other streams unchanged."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._cache: dict[str, np.random.Generator] = {}

    def __call__(self, purpose: str) -> np.random.Generator:
        if purpose not in self._cache:
            key = [self._seed, zlib.crc32(purpose.encode())]
            self._cache[purpose] = np.random.default_rng(key)
        return self._cache[purpose]


def day_number(d: date) -> int:
    return (d - EPOCH).days


def shift_days(days: np.ndarray | int, offset: m.Offset | None) -> np.ndarray:
    """The engine's calendar arithmetic (qofcli.engine.dates) on an array of day numbers."""
    as_array = np.atleast_1d(np.asarray(days, dtype=np.int64))
    if offset is None:
        return as_array
    series = pl.Series(as_array.astype(np.int32)).cast(pl.Date)
    shifted = pl.select(shift_expr(pl.lit(series), offset)).to_series()
    return shifted.cast(pl.Int32).to_numpy().astype(np.int64)


def years_before(day: int, years: int) -> int:
    """``day`` minus whole calendar years (29 Feb clamps to 28 Feb), as the engine counts ages."""
    return day_number(shift(EPOCH + timedelta(days=day), m.Offset(-years, "years")))


@dataclass(frozen=True)
class Calendar:
    """The payment period and the day the extract is taken (``as_of``) as day numbers: nothing
    is dated after ``as_of``, and records of the year end on ``latest``."""

    start: int
    end: int
    as_of: int

    @classmethod
    def of(cls, start: date, end: date, as_of: date) -> Calendar:
        return cls(day_number(start), day_number(end), day_number(as_of))

    @property
    def latest(self) -> int:
        """The last day a birth, registration or rule record can fall on."""
        return min(self.end, self.as_of)


def allocate(rng: np.random.Generator, n: int, weights: Sequence[float] | np.ndarray) -> np.ndarray:
    """Category per item with counts fixed by the shares (largest remainder), shuffled.

    Quotas rather than independent draws, so even small samples get every category.
    """
    shares = np.asarray(weights, dtype=float)
    shares = shares / shares.sum()
    exact = shares * n
    counts = np.floor(exact).astype(np.int64)
    missing = n - int(counts.sum())
    if missing:
        counts[np.argsort(-(exact - counts), kind="stable")[:missing]] += 1
    return rng.permutation(np.repeat(np.arange(len(shares)), counts))


def choose(rng: np.random.Generator, n: int, weights: Sequence[float] | np.ndarray) -> np.ndarray:
    """Independent categorical draws."""
    cumulative = np.cumsum(np.asarray(weights, dtype=float))
    return np.searchsorted(cumulative / cumulative[-1], rng.random(n), side="right")


def uniform_days(
    rng: np.random.Generator,
    n: int,
    first: np.ndarray | int,
    last: np.ndarray | int,
    edge_share: float = 0.0,
) -> np.ndarray:
    """Uniform day in [first, last]; ``edge_share`` of them snapped onto first or last."""
    lo = np.broadcast_to(np.asarray(first, dtype=np.int64), (n,))
    hi = np.maximum(np.broadcast_to(np.asarray(last, dtype=np.int64), (n,)), lo)
    days = lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)
    snap = rng.random(n) < edge_share
    to_first = rng.random(n) < 0.5
    return np.where(snap, np.where(to_first, lo, hi), days)


def weighted_sample(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """Positions of ``k`` items drawn without replacement with chance proportional to weight
    (Efraimidis-Spirakis keys); zero-weight items are drawn only when nothing else is left."""
    k = min(k, len(weights))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    u = rng.random(len(weights))
    with np.errstate(divide="ignore"):
        keys = np.where(weights > 0, np.log(u) / weights, -np.inf)
    return np.sort(np.argpartition(-keys, k - 1)[:k])


@dataclass(frozen=True)
class CodeBook:
    """All codes used, and per role (a cluster, a background role, noise) the code indices."""

    codes: tuple[str, ...]
    pools: dict[str, np.ndarray]

    @classmethod
    def build(
        cls,
        clusters: Mapping[str, Sequence[str]],
        noise: Sequence[str],
        roles: Mapping[str, Mapping[str, Any]],
    ) -> CodeBook:
        sets = {name: {str(c) for c in codes} for name, codes in clusters.items()}
        in_rules = set().union(*sets.values()) if sets else set()
        role_codes = {role: _role_codes(spec, sets) for role, spec in roles.items()}
        role_codes[NOISE_ROLE] = {str(c) for c in noise} - in_rules
        for name in sets:
            role_codes[CLUSTER_ROLE + name] = _cluster_codes(name, sets)
        used = sorted(set().union(*role_codes.values()))
        position = {code: i for i, code in enumerate(used)}
        pools = {
            role: np.array([position[c] for c in sorted(codes)], dtype=np.int32)
            for role, codes in role_codes.items()
            if codes
        }
        return cls(tuple(used), pools)

    def has(self, *roles: str) -> bool:
        return all(role in self.pools for role in roles)


def _role_codes(spec: Mapping[str, Any], sets: dict[str, set[str]]) -> set[str]:
    """Codes of a background role's clusters in no other rule cluster (bar those it may share):
    a background BP reading must not count as, say, a diagnosis."""
    own = [c for c in spec["clusters"] if c in sets]
    if not own:
        return set()
    codes = set().union(*(sets[c] for c in own))
    keep = set(own) | set(spec.get("may_share", ()))
    for other, other_codes in sets.items():
        if other not in keep:
            codes -= other_codes
    preferred = [sets[c] for c in spec.get("prefer_within", ()) if c in sets]
    if preferred and codes & set().union(*preferred):
        codes &= set().union(*preferred)
    return codes


def _cluster_codes(name: str, sets: dict[str, set[str]]) -> set[str]:
    """Codes of one cluster for rule templates: those in no other cluster if any, else those in
    the fewest others (a record meant for one cluster should not count for another)."""
    others: dict[str, int] = {}
    for other, codes in sets.items():
        if other != name:
            for code in codes & sets[name]:
                others[code] = others.get(code, 0) + 1
    fewest = min((others.get(code, 0) for code in sets[name]), default=0)
    return {code for code in sets[name] if others.get(code, 0) == fewest}
