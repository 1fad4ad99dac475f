"""The realism tables of `qof synth` (qofcli/data/synth.yaml), read once into typed records."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

DATA_FILE = Path(__file__).resolve().parents[1] / "data" / "synth.yaml"


@dataclass(frozen=True)
class RegisterRealism:
    """How common a register is, how much practices differ, and who is on it by age."""

    prevalence: float
    spread: float
    ages: np.ndarray  # knots: (age in years, relative chance)

    def weight_by_age(self, age_years: np.ndarray) -> np.ndarray:
        return np.interp(age_years, self.ages[:, 0], self.ages[:, 1])


@dataclass(frozen=True)
class ValueModel:
    """A value distribution for one cluster's records."""

    kind: str  # "normal" or "lognormal"
    centre: float
    spread: float
    low: float
    high: float

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.kind == "lognormal":
            raw = self.centre * np.exp(rng.normal(0.0, self.spread, n))
        else:
            raw = rng.normal(self.centre, self.spread, n)
        return np.round(raw).clip(self.low, self.high)


@dataclass(frozen=True)
class Realism:
    """Every probability and distribution the generator uses (see qofcli/data/synth.yaml)."""

    population: dict[str, Any]
    registers: dict[str, RegisterRealism]
    default_register: RegisterRealism
    ordinary: dict[str, float]
    targeted: dict[str, float]
    values: dict[str, dict[str, ValueModel]]
    background: dict[str, Any]
    paired: dict[str, str]  # a record of one cluster comes with one of the other, same day

    def register(self, register_id: str) -> RegisterRealism:
        return self.registers.get(register_id, self.default_register)

    def value_model(self, register_id: str | None, cluster: str) -> ValueModel | None:
        own = self.values.get(register_id or "", {})
        return own.get(cluster) or self.values.get("default", {}).get(cluster)


def _register(raw: dict[str, Any], curves: dict[str, Any]) -> RegisterRealism:
    knots = np.asarray(curves[raw["ages"]], dtype=float)
    return RegisterRealism(float(raw["prevalence"]), float(raw["spread"]), knots)


def _value_model(raw: dict[str, Any]) -> ValueModel:
    kind = "lognormal" if "lognormal" in raw else "normal"
    centre, spread = raw[kind]
    return ValueModel(kind, float(centre), float(spread), float(raw["min"]), float(raw["max"]))


@cache
def load_realism(path: Path = DATA_FILE) -> Realism:
    """The realism tables shipped with the package."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    curves = raw["age_curves"]
    return Realism(
        population=raw["population"],
        registers={k: _register(v, curves) for k, v in raw["registers"].items()},
        default_register=_register(raw["default_register"], curves),
        ordinary=raw["ordinary"],
        targeted=raw["targeted"],
        values={
            group: {cluster: _value_model(v) for cluster, v in models.items()}
            for group, models in raw["values"].items()
        },
        background=raw["background"],
        paired=dict(raw["paired"]) | {b: a for a, b in raw["paired"]},
    )
