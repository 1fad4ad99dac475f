"""The registered population: practices, ages, sexes, registrations, exits (no clinical data).

Dates are drawn in life order, so date_of_birth <= registration_date <= deregistration or death
holds by construction; rule templates later move births and registrations only of patients who
are still registered after the period end, and `settle_exits` restores the order if needed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from qofcli.extract.schema import SEXES
from qofcli.synth.base import DAYS_PER_YEAR, Calendar, Streams, allocate, choose, uniform_days

NO_EXIT, DEREGISTERED, DIED = 0, 1, 2


@dataclass
class Population:
    """Patient attributes as arrays of day numbers; ``exit_kind`` is NO_EXIT, DEREGISTERED or
    DIED, and ``exit_day`` only means something when it is not NO_EXIT."""

    practice: np.ndarray
    dob: np.ndarray
    sex: np.ndarray  # index into SEXES
    registration: np.ndarray
    exit_day: np.ndarray
    exit_kind: np.ndarray
    n_practices: int

    @property
    def size(self) -> int:
        return len(self.dob)

    def age_years(self, cal: Calendar) -> np.ndarray:
        return (cal.end - self.dob) / DAYS_PER_YEAR

    def last_day(self, cal: Calendar) -> np.ndarray:
        """Last day events can carry: the exit day, else the period end."""
        return np.where(self.exit_kind != NO_EXIT, self.exit_day, cal.latest)

    def registered_after(self, day: int) -> np.ndarray:
        """Still registered (and alive) after ``day``."""
        return (self.exit_kind == NO_EXIT) | (self.exit_day > day)

    def settle_exits(self) -> None:
        """Nobody leaves before registering (templates may move a registration later)."""
        leaving = self.exit_kind != NO_EXIT
        self.exit_day = np.where(leaving, np.maximum(self.exit_day, self.registration), 0)


def draw_population(
    streams: Streams, n: int, n_practices: int, cal: Calendar, table: dict[str, Any]
) -> Population:
    rng = streams("population")
    sizes = rng.lognormal(0.0, table["practice_size_spread"], n_practices)
    practice = np.sort(allocate(rng, n, sizes))
    dob, sex = _ages_and_sexes(rng, n, cal, table)
    dob = _snap_to_bounds(rng, dob, cal, table["born_on_boundary"], latest=cal.latest)
    registration = _registrations(rng, dob, cal, table)
    registration = np.maximum(
        _snap_to_bounds(rng, registration, cal, table["registered_on_boundary"], cal.latest), dob
    )
    exit_day, exit_kind = _exits(rng, dob, registration, cal, table)
    return Population(practice, dob, sex, registration, exit_day, exit_kind, n_practices)


def _ages_and_sexes(
    rng: np.random.Generator, n: int, cal: Calendar, table: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    bands = table["age_bands"]
    lowers = np.array([b[0] for b in bands] + [table["oldest_age"]], dtype=float)
    band = choose(rng, n, [b[1] for b in bands])
    age = lowers[band] + rng.random(n) * (lowers[band + 1] - lowers[band])
    dob = cal.end - np.floor(age * DAYS_PER_YEAR).astype(np.int64)
    dob = np.where(dob > cal.latest, dob - (cal.end - cal.latest), dob)  # not born yet: older
    female = rng.random(n) < np.array([b[2] for b in bands])[band]
    sex = np.where(female, SEXES.index("F"), SEXES.index("M")).astype(np.int8)
    other = rng.random(n)
    indeterminate, unknown = table["sex_indeterminate"], table["sex_unknown"]
    sex[other < indeterminate] = SEXES.index("I")
    sex[(other >= indeterminate) & (other < indeterminate + unknown)] = SEXES.index("U")
    return dob, sex


def _registrations(
    rng: np.random.Generator, dob: np.ndarray, cal: Calendar, table: dict[str, Any]
) -> np.ndarray:
    n = len(dob)
    recent = rng.random(n) < table["registered_last_year"]
    last_year = cal.end - rng.integers(0, 365, n)
    mean_days = table["mean_years_registered"] * DAYS_PER_YEAR
    earlier = cal.end - 365 - rng.exponential(mean_days, n).astype(np.int64)
    first, last = table["registration_after_birth_days"]
    after_birth = dob + rng.integers(first, last, n)
    drawn = np.maximum(np.where(recent, last_year, earlier), after_birth)
    registration = np.minimum(drawn, cal.latest)
    return np.maximum(registration, dob)  # born on the period end: registered that day


def _exits(
    rng: np.random.Generator,
    dob: np.ndarray,
    registration: np.ndarray,
    cal: Calendar,
    table: dict[str, Any],
) -> tuple[np.ndarray, np.ndarray]:
    n = len(dob)
    age = (cal.end - dob) / DAYS_PER_YEAR
    mortality = np.exp(table["mortality_per_year_of_age"] * age)
    death_p = np.minimum(table["died"] * n * mortality / mortality.sum(), 0.5)
    died = rng.random(n) < death_p
    deregistered = ~died & (rng.random(n) < table["deregistered"])
    kind = np.where(died, DIED, np.where(deregistered, DEREGISTERED, NO_EXIT)).astype(np.int8)
    after = rng.random(n) < table["exit_after_end"]
    later = uniform_days(rng, n, cal.end + 1, cal.end + table["exit_after_end_days"])
    days = np.where(after, later, uniform_days(rng, n, cal.start, cal.end))
    days = _snap_to_bounds(rng, days, cal, table["exit_on_boundary"], latest=cal.end + 1)
    days = np.maximum(days, registration)
    kind[days > cal.as_of] = NO_EXIT  # leaving after the extract was taken: not known yet
    return days, kind


def _snap_to_bounds(
    rng: np.random.Generator, days: np.ndarray, cal: Calendar, share: float, latest: int
) -> np.ndarray:
    """Move ``share`` of the days onto a period bound or the day either side of it (no later
    than ``latest``), so every extract has lives that start and end on the edges."""
    bounds = np.array([cal.start - 1, cal.start, cal.start + 1, cal.end - 1, cal.end, cal.end + 1])
    bounds = bounds[bounds <= latest]
    snap = rng.random(len(days)) < share
    return np.where(snap, bounds[rng.integers(0, len(bounds), len(days))], days)
