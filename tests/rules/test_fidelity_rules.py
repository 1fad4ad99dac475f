"""Rule fidelity fixes (issues #10 items 2 and 5, #14 items 1 and 2): the registers'
same_day_resolution settings and their checks, ruleset qof-2026-27. Expectations come from the
rule texts, not from engine output.

same_day_resolution: keeps on DM_REG, HF_REG, CKD_REG, LD_REG, PC_REG (a resolved code on the day
of the latest diagnosis leaves the patient on), removes on AF_REG, AST_REG, DEP_REG, EP_REG and
(v51) COPD_REG; a resolved code the day after always removes, the day before never does. The
patient cases of these fixes (SMOK002 ages, CHOL003 palliative care, RA_REG age on ACHV,
DEP_REG same day) are in rulesets/qof-2026-27/cases/ (SMOK002, CHOL003, RA_REG, DEP_REG.yaml).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qofcli.api import load_ruleset
from qofcli.casetest import run_cases
from qofcli.ruleset.cases import load_cases

RULESET = "qof-2026-27"


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
def test_same_day_resolution_settings(register, setting):
    """The chosen reading of each register (CHANGES.md, "Rule fidelity fixes")."""
    assert load_ruleset(RULESET).registers[register].same_day_resolution == setting


def test_2025_26_copd_keeps_a_same_day_resolution() -> None:
    """v50's COPD register read the resolved code literally (after the latest code)."""
    from qofcli.api import load_ruleset

    assert load_ruleset("qof-2025-26").registers["COPD_REG"].same_day_resolution == "keeps"


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
    always resolves; the day before never does (a patient case run on the mini ruleset)."""
    folder = _mini(tmp_path, setting)
    (folder / "cases").mkdir()
    (folder / "cases" / "DM_REG.yaml").write_text(
        "cases:\n  - id: dm\n    why: diabetes, then a resolved code\n"
        "    dob: PPSD - 64 years - 3 months\n    registration: PPSD - 20 years\n"
        "    events:\n      - {cluster: DM_COD, date: PPSD - 4 years + 1 month}\n"
        f"      - {{cluster: DMRES_COD, date: PPSD - 4 years + 1 month {gap:+} days}}\n"
        f"    expect: {{DM_REG: {'on' if on_register else 'off'}}}\n"
    )
    run = run_cases(load_cases(load_ruleset(folder)))
    assert run.summary == "1 passed, 0 failed, 0 skipped", run.results[0].problems


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
