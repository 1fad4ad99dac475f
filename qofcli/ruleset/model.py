"""The ruleset model: frozen dataclasses for everything a QOF year (or local scheme) defines.

The engine understands only the closed vocabulary below. Everything year-specific (dates,
clusters, fields, registers, indicators, money) is data loaded from `rulesets/`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

DateOp = Literal["after", "on_or_after", "before", "on_or_before", "same_day"]
ValueOp = Literal["lt", "le", "gt", "ge", "eq"]
DATE_OPS: tuple[str, ...] = ("after", "on_or_after", "before", "on_or_before", "same_day")
VALUE_OPS: tuple[str, ...] = ("lt", "le", "gt", "ge", "eq")

# How an indicator's points are found (rulesets/README.md, "Payment"): from this year's
# achievement; fixed at an earlier year's points supplied by the user (income protection); or
# declared by the practice (no rules: quality-improvement modules).
PAYMENTS: tuple[str, ...] = ("achievement", "protected", "manual")
PaymentKind = Literal["achievement", "protected", "manual"]

# How a register reads a resolved code dated the same day as the latest diagnosis
# (`same_day_resolution`, rulesets/README.md "Registers"): the literal field syntax
# RES_DAT > LAT_DAT keeps the patient; `removes` counts it as resolving the diagnosis.
SAME_DAY_RESOLUTIONS: tuple[str, ...] = ("keeps", "removes")
SameDayResolution = Literal["keeps", "removes"]

# Fields every ruleset may use without declaring them.
BUILTIN_DATE_FIELDS = ("REG_DAT", "DOB")


@dataclass(frozen=True)
class Offset:
    """A signed calendar offset such as -12 months or +7 days."""

    amount: int
    unit: Literal["days", "months", "years"]

    def __str__(self) -> str:
        sign = "+" if self.amount >= 0 else "-"
        return f"{sign} {abs(self.amount)} {self.unit}"


@dataclass(frozen=True)
class DateRef:
    """A named date (PPED, ACHV...) or a field's date, optionally shifted: `PPED - 12 months`."""

    base: str
    offset: Offset | None = None

    def __str__(self) -> str:
        return self.base if self.offset is None else f"{self.base} {self.offset}"


@dataclass(frozen=True)
class Bound:
    """One side of a date window: `op` compares an event date with `ref`."""

    op: DateOp
    ref: DateRef


@dataclass(frozen=True)
class Field:
    """A per-patient fact from events: the latest or earliest record of some clusters, or the
    number of days with a record (`count`).

    Yields the record's date, its value (lowest or highest on that date) and its cluster; a
    count yields the latest record's date and, as its value, the number of distinct record days.
    """

    name: str
    find: Literal["latest", "earliest", "count"]
    clusters: tuple[str, ...]
    bounds: tuple[Bound, ...] = ()
    value: Literal["lowest", "highest"] = "lowest"
    description: str = ""
    origin: str = ""
    # Records without a (plausible) value are ignored (`with_value: true`).
    with_value: bool = False
    # A day counts only when every cluster has a record on it (`all_clusters: true`).
    all_clusters: bool = False
    # Same-day records of different clusters: the first cluster listed here wins (`prefer:`).
    prefer: tuple[str, ...] = ()

    def referenced_fields(self) -> tuple[str, ...]:
        return tuple(b.ref.base for b in self.bounds)


# ---- conditions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Has:
    field: str


@dataclass(frozen=True)
class DateCompare:
    field: str
    op: DateOp
    ref: DateRef


@dataclass(frozen=True)
class Resolves:
    """`{date: RES, resolves: LAT}`: the resolved record RES comes after the diagnosis LAT,
    or on its day too when the register's `same_day_resolution` is `removes`."""

    field: str
    diagnosis: str


@dataclass(frozen=True)
class ValueCompare:
    field: str
    op: ValueOp
    number: float


@dataclass(frozen=True)
class ClusterIn:
    field: str
    clusters: tuple[str, ...]


@dataclass(frozen=True)
class AgeCompare:
    op: ValueOp
    years: int


@dataclass(frozen=True)
class SexIn:
    sexes: tuple[str, ...]


@dataclass(frozen=True)
class OnRegister:
    register: str


@dataclass(frozen=True)
class NamedCondition:
    name: str


@dataclass(frozen=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = (
    Has
    | DateCompare
    | Resolves
    | ValueCompare
    | ClusterIn
    | AgeCompare
    | SexIn
    | OnRegister
    | NamedCondition
    | AllOf
    | AnyOf
    | Not
)


@dataclass(frozen=True)
class Named:
    """A named condition from conditions.yaml (or conditions/*.yaml)."""

    name: str
    condition: Condition
    origin: str = ""


# ---- rule chains ------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """What a rule does with the patients on one side of its condition."""

    kind: Literal["select", "reject", "next"]
    reason: str | None = None

    @property
    def terminal(self) -> bool:
        return self.kind != "next"


@dataclass(frozen=True)
class Step:
    """One numbered business rule: condition, then the action if true and if false."""

    number: int
    description: str
    when: Condition
    if_true: Action
    if_false: Action


@dataclass(frozen=True)
class Reason:
    """An official reason field (e.g. DMPCADEC) and whether it is a PCA or an exclusion."""

    name: str
    type: Literal["pca", "exclusion"]
    description: str = ""


@dataclass(frozen=True)
class Register:
    """A disease register or population cohort (e.g. DM_REG), defined by a rule chain."""

    id: str
    description: str
    rules: tuple[Step, ...]
    indicator: str | None = None  # the register indicator id, e.g. DM017
    points: float = 0.0
    prevalence: bool = True  # False for cohorts that are not disease registers
    payment: PaymentKind = "achievement"  # register points: full if non-empty, or protected
    prevalence_adjusted: bool = True  # False: register points paid on list size only
    age_rule: str = ""
    source: str = ""
    confidence: str = ""
    origin: str = ""  # the file it was loaded from, for error messages
    # Read by `{date: RES, resolves: LAT}` in this register's rules; None when they have none.
    same_day_resolution: SameDayResolution | None = None


@dataclass(frozen=True)
class Improvement:
    """An improvement route (VI001-VI003 from 2026/27): points are the better of the threshold
    points and a linear scale from the practice's baseline + `lower_above_baseline` percentage
    points (0 points) to `upper` % (all points); the baseline comes from the user."""

    lower_above_baseline: float
    upper: float
    confidence: str = ""
    source: str = ""


@dataclass(frozen=True)
class Indicator:
    """A paid indicator: register, points, thresholds and ordered rule chains.

    A `manual` indicator has no register, thresholds or rules; a `protected` one may lack
    thresholds (its points come from the user, not from its achievement).
    """

    id: str
    description: str
    register: str | None
    points: float
    lower: float | None
    upper: float | None
    denominator: tuple[Step, ...]
    numerator: tuple[Step, ...]
    group: str = ""
    confidence: str = ""
    source: str = ""
    aliases: tuple[str, ...] = ()
    prevalence_adjusted: bool = True  # False: paid on list size (CPI) only, no APDF
    # The disease register whose prevalence adjusts payment, when the indicator's own register
    # is a narrower cohort (e.g. MH indicators on MH1_REG are adjusted by MH_REG).
    prevalence_register: str | None = None
    payment: PaymentKind = "achievement"
    improvement: Improvement | None = None
    origin: str = ""

    @property
    def computed(self) -> bool:
        """Whether the engine evaluates it: manual indicators, and protected ones whose rules
        are not known, have no rule chains."""
        return bool(self.denominator)


@dataclass(frozen=True)
class ValueRange:
    """The physiologically possible values of a cluster's records (inclusive): values outside
    it, and NaN or infinite ones, are treated as missing and reported by `qof validate`."""

    cluster: str
    low: float
    high: float
    origin: str = ""

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class Cluster:
    """A code cluster (SNOMED CT / dm+d) with its provenance."""

    id: str
    codes: tuple[str, ...]
    terms: tuple[str, ...]
    status: str = ""
    source: str = ""


@dataclass(frozen=True)
class Payment:
    """Money parameters of a QOF year."""

    pound_per_point: float | None = None
    national_average_list_size: float | None = None
    national_prevalence: dict[str, float] = field(default_factory=dict)  # register -> % of list
    source: str = ""
    confidence: str = ""
    national_prevalence_source: str = ""
    national_prevalence_confidence: str = ""
    national_prevalence_year: str = ""  # the QOF year the figures were published for


@dataclass(frozen=True)
class Ruleset:
    """Everything one QOF year or local scheme defines, fully resolved (extends applied)."""

    id: str
    title: str
    qof_year: str
    business_rules: str
    dates: dict[str, date]
    payment: Payment
    fields: dict[str, Field]
    conditions: dict[str, Named]
    reasons: dict[str, Reason]
    registers: dict[str, Register]
    indicators: dict[str, Indicator]
    clusters: dict[str, Cluster]
    path: str = ""
    extends: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    value_ranges: dict[str, ValueRange] = field(default_factory=dict)  # by cluster id

    def code_value_ranges(self) -> list[tuple[str, float, float]]:
        """(code, low, high) per code whose clusters have ranges; a code in several such
        clusters gets the narrowest range they share."""
        bounds: dict[str, tuple[float, float]] = {}
        for cluster_id, rng in self.value_ranges.items():
            for code in self.clusters[cluster_id].codes:
                low, high = bounds.get(code, (rng.low, rng.high))
                bounds[code] = (max(low, rng.low), min(high, rng.high))
        return [(code, low, high) for code, (low, high) in sorted(bounds.items())]

    @property
    def total_points(self) -> float:
        indicator_points = sum(i.points for i in self.indicators.values())
        return indicator_points + sum(r.points for r in self.registers.values())

    @property
    def period_start(self) -> date:
        return self.dates["PPSD"]

    @property
    def period_end(self) -> date:
        return self.dates["PPED"]
