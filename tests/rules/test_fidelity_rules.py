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
from rulecases import ACHIEVED, NOT_ACHIEVED, case, case_id, ev, excluded

RULESET = "qof-2026-27"
REGISTER_INDICATORS = ("CHOL003",)

DX = date(2015, 1, 1)
CHD = ev("CHD_COD", DX)
STATIN = ev("STAT_COD", date(2027, 1, 10))  # after PPED - 6 months (2026-09-30)
STATUS = ev("LSMOK_COD", date(2026, 6, 1))  # smoking status in the 12 months
AST_DRUG = ev("ASTTRT_COD", date(2026, 9, 1))


def p(pid, why, expect, *, events=(), **kw):
    """A patient of 65 on 2027-03-31 with no diabetes code unless ``events`` say so."""
    return case(pid, why, expect, events=events, dx=None, dob=date(1962, 1, 1), **kw)


SMOK = [
    case(
        "smok_15_on_achv",
        "SMOK1_REG: asthma, 15th birthday on ACHV 2027-03-31 -> SMOK002 row (status -> achieved)",
        {"SMOK002": ACHIEVED},
        dx=None,
        dob=date(2012, 3, 31),
        events=[ev("AST_COD", date(2020, 1, 1)), AST_DRUG, STATUS],
    ),
    case(
        "smok_14_on_achv",
        "SMOK1_REG: asthma, 15th birthday the day after ACHV (aged 14) -> no SMOK002 row",
        {"SMOK002": None},
        dx=None,
        dob=date(2012, 4, 1),
        events=[ev("AST_COD", date(2020, 1, 1)), AST_DRUG, STATUS],
    ),
]

CHOL = [
    p(
        "chol_statin",
        "CHOL003: CHD, statin in the last 6 months, no palliative care -> achieved",
        {"CHOL003": ACHIEVED},
        events=[CHD, STATIN],
    ),
    p(
        "chol_palliative_on_statin",
        "CHOL003: palliative care is an exclusion before the statin check -> excluded",
        {"CHOL003": excluded("PALCAREXCL")},
        events=[CHD, STATIN, ev("PALCARE_COD", date(2026, 5, 1))],
    ),
    p(
        "chol_palliative_no_statin",
        "CHOL003: palliative care, no statin -> excluded (not a PCA)",
        {"CHOL003": excluded("PALCAREXCL")},
        events=[CHD, ev("PALCARE_COD", date(2026, 5, 1))],
    ),
    p(
        "chol_palliative_since_2008",
        "CHOL003: palliative code on 2008-04-01 (on or after 1 April 2008) -> excluded",
        {"CHOL003": excluded("PALCAREXCL")},
        events=[CHD, STATIN, ev("PALCARE_COD", date(2008, 4, 1))],
    ),
    p(
        "chol_palliative_before_2008",
        "CHOL003: palliative code on 2008-03-31 only (before 1 April 2008) -> statin achieves",
        {"CHOL003": ACHIEVED},
        events=[CHD, STATIN, ev("PALCARE_COD", date(2008, 3, 31))],
    ),
    p(
        "chol_palliative_ended",
        "CHOL003: palliative care then no longer indicated -> not excluded, statin achieves",
        {"CHOL003": ACHIEVED},
        events=[
            CHD,
            STATIN,
            ev("PALCARE_COD", date(2025, 5, 1)),
            ev("PALCARENI_COD", date(2026, 1, 5)),
        ],
    ),
    p(
        "chol_icosapent",
        "CHOL003: statin intolerant and icosapent ethyl in the last 6 months -> achieved",
        {"CHOL003": ACHIEVED},
        events=[CHD, ev("STATINTOL_COD", date(2024, 1, 1)), ev("ICOSAPENT_COD", date(2027, 1, 10))],
    ),
    p(
        "chol_icosapent_old",
        "CHOL003: icosapent ethyl on 2026-09-30 (not after PPED - 6 months) -> not achieved",
        {"CHOL003": NOT_ACHIEVED},
        events=[CHD, ev("STATINTOL_COD", date(2024, 1, 1)), ev("ICOSAPENT_COD", date(2026, 9, 30))],
    ),
]

# same_day_resolution, observed through an indicator row of each register
SAME_DAY = [
    case(
        "dm_res_same_day",
        "DM_REG keeps: DMRES on the day of the latest DM_COD -> on the register (CHOL003 DMCVDEXC)",
        {"CHOL003": excluded("DMCVDEXC")},
        dob=date(1962, 1, 1),
        dx=DX,
        events=[CHD, ev("DMRES_COD", DX)],
    ),
    case(
        "dm_res_next_day",
        "DM_REG: DMRES the day after the latest DM_COD -> off (CHOL003 not excluded)",
        {"CHOL003": NOT_ACHIEVED},
        dob=date(1962, 1, 1),
        dx=DX,
        events=[CHD, ev("DMRES_COD", date(2015, 1, 2))],
    ),
    p(
        "ckd_res_same_day",
        "CKD_REG keeps: CKDRES on the day of the latest CKD 3-5 code -> on (a CHOL003 row)",
        {"CHOL003": NOT_ACHIEVED},
        events=[ev("CKD_COD", DX), ev("CKDRES_COD", DX)],
    ),
    p(
        "ckd_res_next_day",
        "CKD_REG: CKDRES the day after -> off CKD_REG, so off CHOL_REG (no CHOL003 row)",
        {"CHOL003": None},
        events=[ev("CKD_COD", DX), ev("CKDRES_COD", date(2015, 1, 2))],
    ),
    p(
        "ast_res_same_day",
        "AST_REG removes: ASTRES on the day of the latest AST_COD -> off (no SMOK002 row)",
        {"SMOK002": None},
        events=[ev("AST_COD", DX), ev("ASTRES_COD", DX), AST_DRUG],
    ),
    p(
        "ast_res_day_before",
        "AST_REG: ASTRES the day before the latest AST_COD -> on (SMOK002 row)",
        {"SMOK002": NOT_ACHIEVED},
        events=[ev("AST_COD", DX), ev("ASTRES_COD", date(2014, 12, 31)), AST_DRUG],
    ),
    p(
        "hf_res_same_day",
        "HF_REG keeps: HFRES on the day of the latest HF_COD -> on (an HF007 row)",
        {"HF007": NOT_ACHIEVED},
        events=[ev("HF_COD", DX), ev("HFRES_COD", DX)],
    ),
    p(
        "hf_res_next_day",
        "HF_REG: HFRES the day after -> off (no HF007 row)",
        {"HF007": None},
        events=[ev("HF_COD", DX), ev("HFRES_COD", date(2015, 1, 2))],
    ),
]

LDL_DAY, LATER = date(2026, 6, 1), date(2026, 9, 1)
VALUE_LESS = [
    p(
        "chol004_ldl_then_valueless",
        "CHOL004: LDL 1.8 in the year, then an LDL code with no value: a record without a "
        "result is not the latest LDL (with_value) -> achieved",
        {"CHOL004": ACHIEVED},
        events=[CHD, ev("LDLCCHOL_COD", LDL_DAY, 1.8), ev("LDLCCHOL_COD", LATER)],
    ),
    p(
        "chol004_ldl_then_high",
        "CHOL004: LDL 1.8, then a later LDL 2.5 (with a value): the later one decides -> not",
        {"CHOL004": NOT_ACHIEVED},
        events=[CHD, ev("LDLCCHOL_COD", LDL_DAY, 1.8), ev("LDLCCHOL_COD", LATER, 2.5)],
    ),
]

CASES = SMOK + CHOL + SAME_DAY + VALUE_LESS


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_rule(c, check):
    check(c, CASES)


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
