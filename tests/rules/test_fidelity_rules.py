"""Rule fidelity fixes (issues #10 items 2 and 5, #14 items 1 and 2), QOF 2026/27, ruleset
qof-2026-27 (PPSD 2026-04-01, PPED = ACHV 2027-03-31). Expectations come from the rule texts,
not from engine output.

- SMOK002 (SMOK1_REG): aged 15 or over on the achievement date (NHS Digital patient list type
  15OV): 15 on 2027-03-31 -> a row; 15 on 2027-04-01 (14 on ACHV) -> no row.
- CHOL003: palliative care (code on or after 2008-04-01, no later no-longer-indicated code) is an
  exclusion applied before the statin check: a palliative patient on a statin is excluded, not
  achieved; a later "no longer indicated" code lifts it. Icosapent ethyl counts as an
  alternative drug (ICOSAPENT_COD has no public copy: that case skips).
- same_day_resolution: keeps on DM_REG, HF_REG, CKD_REG, COPD_REG (a resolved code on the day of
  the latest diagnosis leaves the patient on), removes on AST_REG (and AF, DEP, EP); a resolved
  code the day after always removes, the day before never does.
- RA_REG (16+): age on the achievement date (16 on 2027-03-31 -> on; 16 on 2027-04-01 -> off,
  even if diagnosed long before).
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from rulecases import case, ev

RULESET = "qof-2026-27"
REGISTER_INDICATORS = ("CHOL003",)


@pytest.mark.parametrize(
    ("dob", "on_register"),
    [(date(2011, 3, 31), True), (date(2011, 4, 1), False)],
    ids=["ra_16_on_achv", "ra_15_on_achv"],
)
def test_ra_age_on_achievement_date(runner, dob, on_register):
    """RA_REG 16+ is tested on the achievement date (2027-03-31), not at diagnosis: a child
    diagnosed at 10 joins the register on their 16th birthday."""
    from rulecases import build_extract

    from qofcli.engine.evaluate import evaluate

    patient = case(
        "ra", "RA at 10", {}, dx=None, dob=dob, events=[ev("RARTH_COD", date(2021, 6, 1))]
    )
    extract, missing = build_extract([patient], runner.picker)
    if missing:
        pytest.skip(f"cluster {missing['ra']} not shipped yet")
    patients = evaluate(extract, runner.rs).patients
    assert patients["reg:RA_REG"].to_list() == [on_register]


@pytest.mark.parametrize(
    ("register", "setting"),
    [
        ("AF_REG", "removes"),
        ("AST_REG", "removes"),
        ("DEP_REG", "removes"),
        ("EP_REG", "removes"),
        ("DM_REG", "keeps"),
        ("HYP_REG", "keeps"),
        ("HF_REG", "keeps"),
        ("CKD_REG", "keeps"),
        ("COPD_REG", "removes"),  # v51: evidence strictly after the resolved code (NCL v51 SQL)
        ("LD_REG", "keeps"),
        ("PC_REG", "keeps"),
    ],
)
def test_same_day_resolution_settings(runner, register, setting):
    """The chosen reading of each register (CHANGES.md, "Rule fidelity fixes")."""
    assert runner.rs.registers[register].same_day_resolution == setting


def test_2025_26_copd_keeps_a_same_day_resolution() -> None:
    """v50's COPD register read the resolved code literally (after the latest code)."""
    from qofcli.api import load_ruleset

    assert load_ruleset("qof-2025-26").registers["COPD_REG"].same_day_resolution == "keeps"


@pytest.mark.parametrize(("gap", "on_register"), [(0, False), (1, False), (-1, True)])
def test_dep_removes_same_day(runner, gap, on_register):
    """DEP_REG removes: a DEPRES on the day of (or after) the latest depression code takes the
    patient off; one the day before does not. DEP_REG has no indicator: read the register."""

    from rulecases import build_extract

    from qofcli.engine.evaluate import evaluate

    dx = date(2020, 5, 1)
    patient = case(
        "dep",
        "depression",
        {},
        dx=None,
        dob=date(1962, 1, 1),
        events=[ev("DEPR_COD", dx), ev("DEPRES_COD", dx + timedelta(days=gap))],
    )
    extract, missing = build_extract([patient], runner.picker)
    if missing:
        pytest.skip(f"cluster {missing['dep']} not shipped yet")
    assert evaluate(extract, runner.rs).patients["reg:DEP_REG"].to_list() == [on_register]


# ---- the setting itself, on a copy of the mini fixture (PPSD 2024-04-01, PPED 2025-03-31) --------

MINI = Path(__file__).parents[1] / "fixtures" / "rulesets" / "mini"
MINI_DM_RULE = "{not: {date: DMRES, after: DMLAT}}"


def _mini(tmp_path: Path, setting: str | None, rule: str = "{not: {date: DMRES, resolves: DMLAT}}"):
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    register = folder / "registers" / "DM_REG.yaml"
    text = register.read_text().replace(MINI_DM_RULE, rule)
    if setting is not None:
        text = text.replace("confidence: high", f"confidence: high\nsame_day_resolution: {setting}")
    register.write_text(text)
    return folder


@pytest.mark.parametrize(
    ("setting", "gap", "on_register"),
    [
        ("keeps", 0, True),
        ("removes", 0, False),
        ("keeps", 1, False),
        ("removes", 1, False),
        ("keeps", -1, True),
        ("removes", -1, True),
    ],
)
def test_same_day_resolution_both_settings(tmp_path, setting, gap, on_register):
    """A DMRES `gap` days after the latest DM_COD: same day follows the setting; the day after
    always resolves; the day before never does."""
    from rulecases import CodePicker, build_extract

    from qofcli.api import load_ruleset
    from qofcli.engine.evaluate import evaluate

    ruleset = load_ruleset(_mini(tmp_path, setting))
    dx = date(2020, 5, 1)
    patient = case(
        "dm",
        "diabetes",
        {},
        dx=dx,
        dob=date(1960, 1, 1),
        events=[ev("DMRES_COD", dx + timedelta(days=gap))],
    )
    extract, missing = build_extract([patient], CodePicker(ruleset))
    assert not missing
    assert evaluate(extract, ruleset).patients["reg:DM_REG"].to_list() == [on_register]


def test_resolves_needs_the_setting(tmp_path):
    from qofcli.api import load_ruleset
    from qofcli.errors import RulesetError

    with pytest.raises(RulesetError, match="same_day_resolution: keeps or removes"):
        load_ruleset(_mini(tmp_path, None))


def test_a_setting_no_rule_reads_is_an_error(tmp_path):
    from qofcli.api import load_ruleset
    from qofcli.errors import RulesetError

    with pytest.raises(RulesetError, match="no rule uses"):
        load_ruleset(_mini(tmp_path, "keeps", rule=MINI_DM_RULE))


def test_setting_value_is_checked(tmp_path):
    from qofcli.api import load_ruleset
    from qofcli.errors import RulesetError

    with pytest.raises(RulesetError, match="must be keeps or removes, got 'sometimes'"):
        load_ruleset(_mini(tmp_path, "sometimes"))


def test_resolves_outside_a_register_is_an_error(tmp_path):
    from qofcli.api import load_ruleset
    from qofcli.errors import RulesetError

    folder = _mini(tmp_path, "keeps")
    indicator = folder / "indicators" / "MINI001.yaml"
    text = indicator.read_text().replace(
        "when: {is: MOD_SEV_FRAIL}", "when: {date: DMRES, resolves: DMLAT}"
    )
    indicator.write_text(text)
    with pytest.raises(RulesetError, match="only a register's rules may use"):
        load_ruleset(folder)


def test_register_override_changes_the_setting(tmp_path):
    from qofcli.api import load_ruleset

    _mini(tmp_path, "keeps")
    child = tmp_path / "child"
    child.mkdir()
    (child / "ruleset.toml").write_text(
        'id = "child"\nextends = "mini"\n'
        '[register_overrides.DM_REG]\nsame_day_resolution = "removes"\n'
    )
    assert load_ruleset(child).registers["DM_REG"].same_day_resolution == "removes"
