"""The ruleset loader: the shipped ruleset loads and is consistent; every broken ruleset fails
with a RulesetError naming the file and the rule; `extends` overlays a parent ruleset.

Broken rulesets are copies of tests/fixtures/rulesets/mini with one thing changed.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from qofcli.errors import RulesetError
from qofcli.ruleset import model as m
from qofcli.ruleset.catalogue import shipped_ruleset_ids, shipped_rulesets_dir
from qofcli.ruleset.checks import iter_atoms
from qofcli.ruleset.loader import load_ruleset

MINI = Path(__file__).parent / "fixtures" / "rulesets" / "mini"
SHIPPED = "qof-2025-26"
SHIPPED_INDICATORS = {"DM006", "DM012", "DM014", "DM020", "DM021", "DM034", "DM035", "DM036"}
CLUSTER_STATUSES = {"published", "proxy", "reconstructed", "missing"}


# ---- helpers ----------------------------------------------------------------------------


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A private copy of the mini ruleset, safe to break."""
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    """Replace exactly one occurrence of `old` in a file (fails loudly if it is not there)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n" + text + "\n")


def load_error(folder: Path | str) -> str:
    with pytest.raises(RulesetError) as info:
        load_ruleset(folder)
    return str(info.value)


def steps_of(ruleset: m.Ruleset) -> list[m.Step]:
    steps = [s for r in ruleset.registers.values() for s in r.rules]
    for indicator in ruleset.indicators.values():
        steps += [*indicator.denominator, *indicator.numerator]
    return steps


# ---- the shipped ruleset ----------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> m.Ruleset:
    return load_ruleset(SHIPPED)


def test_shipped_ruleset_identity(shipped: m.Ruleset) -> None:
    assert SHIPPED in shipped_ruleset_ids()
    assert (shipped.id, shipped.qof_year, shipped.business_rules) == (SHIPPED, "2025/26", "v50")
    assert str(shipped.period_start) == "2025-04-01"
    assert str(shipped.period_end) == "2026-03-31"
    assert shipped.extends == "qof-2026-27"


def test_shipped_ruleset_counts(shipped: m.Ruleset) -> None:
    assert SHIPPED_INDICATORS <= set(shipped.indicators)
    assert "DM_REG" in shipped.registers
    assert shipped.total_points == sum(i.points for i in shipped.indicators.values())
    assert len(shipped.fields) > 0 and len(shipped.reasons) > 0 and len(shipped.conditions) > 0


def test_shipped_every_indicator_register_exists(shipped: m.Ruleset) -> None:
    for indicator in shipped.indicators.values():
        assert indicator.register in shipped.registers, indicator.id


def test_shipped_every_reject_reason_exists(shipped: m.Ruleset) -> None:
    reasons = {
        action.reason
        for step in steps_of(shipped)
        for action in (step.if_true, step.if_false)
        if action.reason is not None
    }
    assert reasons, "the shipped rules name reasons"
    assert reasons <= set(shipped.reasons)


def test_shipped_every_denominator_reject_names_a_reason(shipped: m.Ruleset) -> None:
    for indicator in shipped.indicators.values():
        for step in indicator.denominator:
            for action in (step.if_true, step.if_false):
                if action.kind == "reject":
                    assert action.reason, f"{indicator.id} denominator rule {step.number}"


def test_shipped_every_field_cluster_and_condition_field_exists(shipped: m.Ruleset) -> None:
    for field in shipped.fields.values():
        assert set(field.clusters) <= set(shipped.clusters), field.name
    for step in steps_of(shipped):
        for atom in iter_atoms(step.when):
            name = getattr(atom, "field", None)
            if name is not None:
                assert name in shipped.fields or name in m.BUILTIN_DATE_FIELDS


def test_shipped_indicators_carry_confidence_and_source(shipped: m.Ruleset) -> None:
    for indicator in shipped.indicators.values():
        assert indicator.confidence in {"high", "medium", "low"}, indicator.id
        assert indicator.source.strip(), indicator.id


def test_shipped_clusters_match_sources_csv(shipped: m.Ruleset) -> None:
    # 2025/26 inherits the clusters of qof-2026-27 and adds those 2026/27 dropped (its own).
    sources: dict[str, dict[str, str]] = {}
    files: set[str] = set()
    for ruleset_id in ("qof-2026-27", "qof-2025-26"):
        folder = shipped_rulesets_dir() / ruleset_id / "clusters"
        with (folder / "SOURCES.csv").open(newline="", encoding="utf-8") as handle:
            sources.update({row["cluster"]: row for row in csv.DictReader(handle)})
        files |= {p.stem for p in folder.glob("*.csv") if p.name != "SOURCES.csv"}
    missing = {c for c, row in sources.items() if row["status"] == "missing"}
    assert set(shipped.clusters) == files | missing
    for cluster in shipped.clusters.values():
        assert cluster.status in CLUSTER_STATUSES, cluster.id
    for cluster_id in missing - files:
        assert shipped.clusters[cluster_id].codes == (), "a missing cluster matches nothing"
    for cluster_id in files:
        assert len(shipped.clusters[cluster_id].codes) == int(sources[cluster_id]["rows"])


# ---- the mini fixture -------------------------------------------------------------------


def test_mini_fixture_loads() -> None:
    ruleset = load_ruleset(MINI)
    assert ruleset.id == "mini"
    assert set(ruleset.indicators) == {"MINI001", "MINI002"}
    assert set(ruleset.registers) == {"DM_REG", "DM_ELDER_REG"}
    assert ruleset.dates["LEAP_REF"].isoformat() == "2024-03-31"
    assert ruleset.clusters["FEDEC_COD"].status == "missing"
    assert ruleset.clusters["FEDEC_COD"].codes == ()
    assert ruleset.total_points == 17 + 10 + 6  # two indicators and the DM_REG register
    assert ruleset.payment.pound_per_point == 200.0


# ---- error cases: one broken thing per test ---------------------------------------------

# (file, text to replace, replacement, substrings the error message must contain)
BROKEN = {
    "unknown cluster in a field": (
        "fields.yaml",
        "HBA1C: {latest: IFCCHBAM_COD,",
        "HBA1C: {latest: IFCCHBAM_CODE,",
        ["fields.yaml", "HBA1C", "unknown cluster 'IFCCHBAM_CODE'"],
    ),
    "unknown field in a rule condition": (
        "indicators/MINI001.yaml",
        "{date: DMPCADEC, after: PPED - 12 months}",
        "{date: DMPCADECX, after: PPED - 12 months}",
        ["MINI001.yaml", "denominator rule 3", "unknown field 'DMPCADECX'"],
    ),
    "unknown field in a named condition": (
        "conditions.yaml",
        "HBA1C_IN_YEAR: {date: HBA1C,",
        "HBA1C_IN_YEAR: {date: HBA1CX,",
        ["conditions.yaml", "HBA1C_IN_YEAR", "unknown field 'HBA1CX'"],
    ),
    "unknown named condition": (
        "indicators/MINI001.yaml",
        "when: {is: TWO_INVITES}",
        "when: {is: THREE_INVITES}",
        ["MINI001.yaml", "denominator rule 4", "THREE_INVITES"],
    ),
    "unknown register in a condition": (
        "registers/DM_ELDER_REG.yaml",
        "{register: DM_REG}",
        "{register: CHD_REG}",
        ["DM_ELDER_REG.yaml", "rules rule 1", "unknown register 'CHD_REG'"],
    ),
    "unknown register of an indicator": (
        "indicators/MINI002.yaml",
        "register: DM_ELDER_REG",
        "register: DM_OLD_REG",
        ["MINI002.yaml", "unknown register 'DM_OLD_REG'"],
    ),
    "unknown reason": (
        "indicators/MINI001.yaml",
        "{reject: DMPCADEC}",
        "{reject: DMPCADECX}",
        ["MINI001.yaml", "denominator rule 3", "unknown reason 'DMPCADECX'"],
    ),
    "denominator reject without a reason": (
        "indicators/MINI001.yaml",
        "if_true: {reject: DMINVITE}",
        "if_true: reject",
        ["MINI001.yaml", "denominator rule 4", "must name its reason"],
    ),
    "reason of an unknown type": (
        "reasons.yaml",
        "DMMAX: {type: pca,",
        "DMMAX: {type: exception,",
        ["reasons.yaml", "DMMAX", "type: pca or type: exclusion"],
    ),
    "lower threshold equal to upper": (
        "indicators/MINI001.yaml",
        "thresholds: {lower: 35, upper: 75}",
        "thresholds: {lower: 75, upper: 75}",
        ["MINI001.yaml", "thresholds", "lower < upper"],
    ),
    "lower threshold above upper": (
        "indicators/MINI001.yaml",
        "thresholds: {lower: 35, upper: 75}",
        "thresholds: {lower: 80, upper: 75}",
        ["MINI001.yaml", "thresholds"],
    ),
    "last denominator rule says next": (
        "indicators/MINI001.yaml",
        "if_false: select",
        "if_false: next",
        ["MINI001.yaml", "denominator rule 4", "must not say 'next'"],
    ),
    "last register rule says next": (
        "registers/DM_REG.yaml",
        "if_false: select",
        "if_false: next",
        ["DM_REG.yaml", "rules rule 2", "must not say 'next'"],
    ),
    "unknown date name in a field window": (
        "fields.yaml",
        "DMINVITE1: {earliest: DMINVITE_COD, on_or_after: PPSD}",
        "DMINVITE1: {earliest: DMINVITE_COD, on_or_after: PPSDX}",
        ["fields.yaml", "DMINVITE1", "unknown date or field 'PPSDX'"],
    ),
    "unknown date name in a rule": (
        "indicators/MINI002.yaml",
        "{date: DMMAX, after: PPED - 12 months}",
        "{date: DMMAX, after: PPEND - 12 months}",
        ["MINI002.yaml", "denominator rule 1", "unknown date or field 'PPEND'"],
    ),
    "malformed date reference": (
        "conditions.yaml",
        "after: PPED - 12 months}",
        "after: PPED minus 12 months}",
        ["conditions.yaml", "HBA1C_IN_YEAR", "is not a date reference"],
    ),
    "bad YAML": (
        "indicators/MINI001.yaml",
        "points: 17",
        "points: [17",
        ["MINI001.yaml", "not valid YAML"],
    ),
    "cluster CSV with a wrong header": (
        "clusters/DM_COD.csv",
        "code,term",
        "snomed_code,description",
        ["DM_COD.csv", "header 'code,term'"],
    ),
    "unknown key in a step": (
        "indicators/MINI001.yaml",
        "    if_true: {reject: MDSEVFRAIL}\n",
        "    if_true: {reject: MDSEVFRAIL}\n    reason: MDSEVFRAIL\n",
        ["MINI001.yaml", "denominator rule 1", "unknown keys ['reason']"],
    ),
    "misnumbered step": (
        "indicators/MINI002.yaml",
        "  - description: Reject patients on maximal",
        "  - rule: 2\n    description: Reject patients on maximal",
        ["MINI002.yaml", "denominator rule 1", "numbered 2"],
    ),
    "unknown key in a field": (
        "fields.yaml",
        "HBA1C_HIGH: {latest: IFCCHBAM_COD, value: highest}",
        "HBA1C_HIGH: {latest: IFCCHBAM_COD, pick: highest}",
        ["fields.yaml", "HBA1C_HIGH", "unknown keys ['pick']"],
    ),
    "field with both latest and earliest": (
        "fields.yaml",
        "HBA1C_FIRST: {earliest: IFCCHBAM_COD}",
        "HBA1C_FIRST: {earliest: IFCCHBAM_COD, latest: IFCCHBAM_COD}",
        ["fields.yaml", "HBA1C_FIRST", "exactly one of 'latest', 'earliest' or 'count'"],
    ),
    "cluster/in naming a cluster the field never holds": (
        "conditions.yaml",
        "in: [MODFRAIL_COD, SEVFRAIL_COD]",
        "in: [MODFRAIL_COD, DM_COD]",
        ["conditions.yaml", "MOD_SEV_FRAIL", "never holds cluster DM_COD"],
    ),
    "unknown payment key": (
        "ruleset.toml",
        "pound_per_point = 200.0",
        "pounds_per_point = 200.0",
        ["ruleset.toml", "[payment]", "pounds_per_point"],
    ),
    "date that is not a date": (
        "ruleset.toml",
        "LEAP_REF = 2024-03-31",
        'LEAP_REF = "31/03/2024"',
        ["ruleset.toml", "LEAP_REF", "YYYY-MM-DD"],
    ),
    "missing PPED": (
        "ruleset.toml",
        "PPED = 2025-03-31",
        "PPEND = 2025-03-31",
        ["ruleset.toml", "must define PPED"],
    ),
}


@pytest.mark.parametrize(("file", "old", "new", "expected"), BROKEN.values(), ids=BROKEN.keys())
def test_broken_ruleset_names_file_and_rule(
    mini: Path, file: str, old: str, new: str, expected: list[str]
) -> None:
    edit(mini / file, old, new)
    message = load_error(mini)
    for part in expected:
        assert part in message


def test_duplicate_indicator_id(mini: Path) -> None:
    (mini / "indicators" / "extra").mkdir()
    shutil.copy(mini / "indicators" / "MINI001.yaml", mini / "indicators" / "extra" / "copy.yaml")
    message = load_error(mini)
    assert "duplicate id 'MINI001'" in message
    assert "MINI001.yaml" in message or "copy.yaml" in message


def test_field_dependency_cycle(mini: Path) -> None:
    append(
        mini / "fields.yaml",
        "LOOP_A: {latest: DM_COD, after: LOOP_B}\nLOOP_B: {latest: DM_COD, after: LOOP_A}",
    )
    message = load_error(mini)
    assert "fields.yaml" in message
    assert "depend on each other" in message
    assert "LOOP_A -> LOOP_B -> LOOP_A" in message


def test_named_condition_cycle(mini: Path) -> None:
    append(mini / "conditions.yaml", "LOOP_A: {is: LOOP_B}\nLOOP_B: {not: {is: LOOP_A}}")
    message = load_error(mini)
    assert "conditions.yaml" in message and "LOOP_A -> LOOP_B -> LOOP_A" in message


def test_cluster_csv_listing_a_code_twice(mini: Path) -> None:
    append(mini / "clusters" / "DMRES_COD.csv", "315051004,Diabetes resolved")
    message = load_error(mini)
    assert "DMRES_COD.csv" in message and "code twice" in message


@pytest.mark.parametrize("mangled", ["1.23E+15", "31505100", " ", "0315051004"])
def test_cluster_codes_mangled_by_a_spreadsheet_are_refused(mini: Path, mangled: str) -> None:
    # 31505100: 315051004 with its check digit cut off; 0315051004: a leading zero added.
    append(mini / "clusters" / "DMRES_COD.csv", f"{mangled},Mangled")
    message = load_error(mini)
    assert "DMRES_COD.csv: 1 code(s) are not SNOMED CT concept ids (line " in message
    assert "1.23E+15" in message and "\n" not in message


# ---- the YAML boolean-key trap: `on:` reads as True ---------------------------------------


def test_on_key_in_a_field_window_is_an_error(mini: Path) -> None:
    # `on: PPSD` is read by YAML as {True: "PPSD"}: it must not be silently dropped.
    edit(mini / "fields.yaml", "on_or_after: PPSD}\nDMINVITELAST", "on: PPSD}\nDMINVITELAST")
    message = load_error(mini)
    assert "fields.yaml" in message and "DMINVITE1" in message and "unknown keys" in message


def test_on_key_in_a_date_condition_is_an_error(mini: Path) -> None:
    edit(mini / "indicators" / "MINI002.yaml", "after: PPED - 12 months}", "on: PPED}")
    message = load_error(mini)
    assert "MINI002.yaml" in message and "denominator rule 1" in message


def test_on_key_in_a_step_is_an_error(mini: Path) -> None:
    step = "    if_true: {reject: MDSEVFRAIL}\n"
    edit(mini / "indicators" / "MINI001.yaml", step, step + "    on: PPED\n")
    message = load_error(mini)
    assert "MINI001.yaml" in message and "denominator rule 1" in message


def test_on_key_and_another_unknown_key_in_a_step_is_an_error(mini: Path) -> None:
    # BUG (parse._parse_steps): `sorted(unknown)` compares True with 'note' and raises
    # TypeError instead of RulesetError.
    step = "    if_true: {reject: MDSEVFRAIL}\n"
    edit(mini / "indicators" / "MINI001.yaml", step, step + "    on: PPED\n    note: x\n")
    message = load_error(mini)
    assert "MINI001.yaml" in message and "denominator rule 1" in message


def test_on_key_beside_has_is_an_error(mini: Path) -> None:
    # BUG (parse.parse_condition): keys beside the condition keyword are ignored, so
    # `{has: DMMAX, on: PPED}` silently becomes `{has: DMMAX}`.
    edit(
        mini / "indicators" / "MINI002.yaml",
        "{date: DMMAX, after: PPED - 12 months}",
        "{has: DMMAX, on: PPED}",
    )
    message = load_error(mini)
    assert "MINI002.yaml" in message and "denominator rule 1" in message


@pytest.mark.parametrize(
    "condition",
    [
        "{has: DMMAX, after: PPED - 12 months}",  # a window on `has` is not part of `has`
        "{register: DM_REG, age: {ge: 80}}",  # two conditions in one mapping: use `all`
        "{sex: F, age: {ge: 80}}",
        "{not: {has: DMMAX}, is: HBA1C_IN_YEAR}",
    ],
)
def test_extra_keys_in_a_condition_are_an_error(mini: Path, condition: str) -> None:
    # BUG (parse.parse_condition): only the first recognised keyword is read; the rest of the
    # mapping is dropped without a word, which silently changes what the rule means.
    edit(mini / "indicators" / "MINI002.yaml", "{date: DMMAX, after: PPED - 12 months}", condition)
    message = load_error(mini)
    assert "MINI002.yaml" in message and "denominator rule 1" in message


# ---- the built-in REG_DAT field has a date only -----------------------------------------


@pytest.mark.parametrize(
    "condition", ["{value: REG_DAT, gt: 3}", "{cluster: REG_DAT, in: [DM_COD]}"]
)
def test_value_or_cluster_of_reg_dat_is_a_ruleset_error(mini: Path, condition: str) -> None:
    # BUG (checks._check_condition): REG_DAT passes `_require_field`; `value` then loads and
    # fails only at evaluation (no REG_DAT.value column) and `cluster` raises KeyError.
    append(mini / "conditions.yaml", f"REG_PROBE: {condition}")
    message = load_error(mini)
    assert "conditions.yaml" in message and "REG_PROBE" in message and "REG_DAT" in message


# ---- manifest and item keys ---------------------------------------------------------------


def test_unknown_manifest_key_is_an_error(mini: Path) -> None:
    # BUG (loader._overlay): top-level manifest keys are not checked, so a typo such as
    # `remove_indicator` is ignored and the indicator silently stays in the scheme.
    edit(
        mini / "ruleset.toml",
        "format_version = 1",
        'format_version = 1\nremove_indicator = ["MINI002"]',
    )
    message = load_error(mini)
    assert "ruleset.toml" in message and "remove_indicator" in message


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        ("registers/DM_ELDER_REG.yaml", "prevalence: false", "prevelance: false"),
        ("indicators/MINI001.yaml", "confidence: high", "confidance: high"),
    ],
)
def test_unknown_key_in_a_register_or_indicator_is_an_error(
    mini: Path, file: str, old: str, new: str
) -> None:
    # BUG (parse.parse_register/parse_indicator): unknown top-level keys are ignored, unlike
    # fields, steps, reasons and [payment]; a misspelt `prevalence` silently counts a cohort.
    edit(mini / file, old, new)
    message = load_error(mini)
    assert Path(file).name in message and new.split(":")[0] in message


def test_remove_unknown_indicator_is_an_error(mini: Path) -> None:
    edit(
        mini / "ruleset.toml",
        "format_version = 1",
        'format_version = 1\nremove_indicators = ["DM999"]',
    )
    message = load_error(mini)
    assert "ruleset.toml" in message and "DM999" in message


# ---- extends ----------------------------------------------------------------------------


def write_child(folder: Path, body: str) -> Path:
    folder.mkdir()
    (folder / "ruleset.toml").write_text(body, encoding="utf-8")
    return folder


CHILD = """\
id = "local-dm"
title = "Local diabetes scheme"
extends = "mini"
remove_indicators = ["MINI002"]

[indicator_overrides.MINI001]
points = 20
lower = 40
source = "local commissioner, 2024"
"""


def test_child_overrides_one_indicator_and_removes_another(mini: Path) -> None:
    child = write_child(mini.parent / "local", CHILD)
    ruleset = load_ruleset(child)
    assert ruleset.id == "local-dm" and ruleset.extends == "mini"
    assert set(ruleset.indicators) == {"MINI001"}
    mini001 = ruleset.indicators["MINI001"]
    assert (mini001.points, mini001.lower, mini001.upper) == (20, 40, 75)
    assert mini001.source == "local commissioner, 2024"
    assert mini001.denominator == load_ruleset(mini).indicators["MINI001"].denominator


def test_child_inherits_everything_else(mini: Path) -> None:
    child = write_child(mini.parent / "local", CHILD)
    parent, ruleset = load_ruleset(mini), load_ruleset(child)
    assert ruleset.dates == parent.dates
    assert ruleset.qof_year == parent.qof_year
    assert ruleset.payment == parent.payment
    assert ruleset.registers.keys() == parent.registers.keys()
    assert ruleset.fields == parent.fields and ruleset.clusters == parent.clusters
    assert ruleset.total_points == 20 + 6  # MINI001 re-weighted, MINI002 gone, DM_REG kept


def test_child_adds_its_own_date_and_overrides_a_field(mini: Path) -> None:
    child = write_child(
        mini.parent / "local",
        'id = "local"\nextends = "mini"\n[dates]\nAUDIT = 2024-10-01\n',
    )
    (child / "fields.yaml").write_text(
        "HBA1C: {latest: IFCCHBAM_COD, on_or_after: AUDIT}\n", encoding="utf-8"
    )
    ruleset = load_ruleset(child)
    assert ruleset.dates["AUDIT"].isoformat() == "2024-10-01"
    assert ruleset.dates["PPED"].isoformat() == "2025-03-31"
    assert [b.ref.base for b in ruleset.fields["HBA1C"].bounds] == ["AUDIT"]


def test_child_override_of_a_disallowed_key_is_an_error(mini: Path) -> None:
    child = write_child(
        mini.parent / "local",
        'id = "local"\nextends = "mini"\n'
        '[indicator_overrides.MINI001]\nregister = "DM_ELDER_REG"\n',
    )
    message = load_error(child)
    assert "ruleset.toml" in message and "MINI001" in message and "register" in message


def test_child_override_making_thresholds_invalid_is_an_error(mini: Path) -> None:
    child = write_child(
        mini.parent / "local",
        'id = "local"\nextends = "mini"\n[indicator_overrides.MINI001]\nlower = 80\n',
    )
    assert "thresholds" in load_error(child)


def test_extends_cycle(tmp_path: Path) -> None:
    write_child(tmp_path / "a", 'id = "a"\nextends = "b"\n[dates]\nPPSD = 2024-04-01\n')
    write_child(tmp_path / "b", 'id = "b"\nextends = "a"\n[dates]\nPPED = 2025-03-31\n')
    message = load_error(tmp_path / "a")
    assert "ruleset.toml" in message and "'extends' forms a cycle" in message


def test_unknown_ruleset_id_lists_the_shipped_ids() -> None:
    message = load_error("qof-1999-00")
    assert "unknown ruleset 'qof-1999-00'" in message and SHIPPED in message


def test_extends_unknown_ruleset_lists_the_shipped_ids(tmp_path: Path) -> None:
    child = write_child(tmp_path / "local", 'id = "local"\nextends = "qof-1999-00"\n')
    message = load_error(child)
    assert "qof-1999-00" in message and SHIPPED in message


README_SCHEME = """\
id = "my-icb-2025-26"
title = "My ICB diabetes scheme 2025/26"
extends = "qof-2025-26"
remove_indicators = ["DM012"]

[indicator_overrides.DM020]
points = 25
upper = 70
source = "My ICB local enhanced service specification, 2025"

[payment]
pound_per_point = 150.0
source = "local scheme value"
"""


def test_readme_local_scheme_over_the_shipped_ruleset(tmp_path: Path) -> None:
    # The example in rulesets/README.md: extend the national year, drop one indicator,
    # re-weight another, change the money.
    assert README_SCHEME in (shipped_rulesets_dir() / "README.md").read_text(encoding="utf-8")
    national = load_ruleset(SHIPPED)
    ruleset = load_ruleset(write_child(tmp_path / "my-icb-2025-26", README_SCHEME))
    assert set(ruleset.indicators) == set(national.indicators) - {"DM012"}
    dm020 = ruleset.indicators["DM020"]
    assert (dm020.points, dm020.lower, dm020.upper) == (25, 35, 70)
    assert ruleset.qof_year == "2025/26" and ruleset.period_end.isoformat() == "2026-03-31"
    assert ruleset.payment.pound_per_point == 150.0
    assert ruleset.payment.national_average_list_size == national.payment.national_average_list_size
