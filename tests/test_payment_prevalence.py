"""National prevalence shipped as ruleset data, list-only indicators, and the label saying
which year's prevalence £ rests on.

Expected figures come from NHS England's 2024-25 QOF practice file (../shared/reference) and
from hand arithmetic, never from the engine's own output.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import polars as pl
import pytest
from mini_extract import MINI, Patients, build, practices, write_csv
from typer.testing import CliRunner

from qofcli.cli import app
from qofcli.errors import RulesetError
from qofcli.ruleset.catalogue import shipped_ruleset_ids
from qofcli.ruleset.loader import load_ruleset
from qofcli.scoring.payment import Rates, price, rates_for

ROOT = Path(__file__).resolve().parents[1]
OFFICIAL_FILE = ROOT.parent / "shared" / "reference" / "nhsd-qof-2024-25" / "PREVALENCE_2425.csv"
NATIONAL = [i for i in shipped_ruleset_ids() if i.startswith("qof-")]
# Payment cohorts with no published national count: estimates, not recomputed from the file.
ESTIMATED = {"CHOL_REG", "SMOK1_REG", "CD_REG"}
# qof-catalogue.md §2: paid on list size (CPI) only. 2025/26 on: VI001-VI004, CS005, CS006,
# BP002, SMOK004; 2024/25 also the QI modules and PC001 (the PC register indicator).
LIST_ONLY = ("VI001", "VI002", "VI003", "VI004", "CS005", "CS006", "BP002", "SMOK004")
LIST_ONLY_2024_25 = ("QI013", "QI014", "QI016", "QI017", "QI018", "QI019", "PC001")

runner = CliRunner()


def _script():
    path = ROOT / "scripts" / "national_prevalence.py"
    spec = importlib.util.spec_from_file_location("national_prevalence", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- the script ----------------------------------------------------------------------------


def test_script_pools_registers_over_whole_lists(tmp_path: Path) -> None:
    """Two practices: whole lists 1,000 and 3,000 (the TOTAL rows); DM is published on the 17+
    list but pooled on the whole list: (50 + 150) ÷ 4,000 = 5%, not (50 + 150) ÷ 3,200."""
    path = tmp_path / "PREVALENCE_2526.csv"
    path.write_text(
        "PRACTICE_CODE,GROUP_CODE,REGISTER_SIZE,PATIENT_LIST_TYPE,PRACTICE_LIST_SIZE\n"
        "A1,AF,10,TOTAL,1000\nA1,DM,50,17OV,800\n"
        "B2,AF,20,TOTAL,3000\nB2,DM,150,17OV,2400\n"
    )
    # AF: 30 ÷ 4,000 = 0.75%
    assert _script().national_prevalence(path) == {"AF_REG": 0.75, "DM_REG": 5.0}


@pytest.mark.skipif(not OFFICIAL_FILE.is_file(), reason="../shared/reference not present")
@pytest.mark.parametrize("ruleset_id", NATIONAL)
def test_shipped_figures_are_the_official_2024_25_pooled_prevalence(ruleset_id: str) -> None:
    computed = _script().national_prevalence(OFFICIAL_FILE)
    assert len(computed) == 21
    assert computed["DM_REG"] == 6.444 and computed["HYP_REG"] == 15.230  # A1 of the file
    shipped = load_ruleset(ruleset_id).payment.national_prevalence
    assert {r: p for r, p in shipped.items() if r not in ESTIMATED} == computed


@pytest.mark.parametrize("ruleset_id", NATIONAL)
def test_estimated_cohorts_sit_inside_the_bounds_of_the_published_registers(
    ruleset_id: str,
) -> None:
    """A union of registers is at least its largest member and at most their sum (2024-25:
    CHOL = CHD 2.979 + STIA 1.889 + PAD 0.555 + CKD 3.729; SMOK1 adds HYP, DM, COPD, AST, MH)."""
    ruleset = load_ruleset(ruleset_id)
    shipped = ruleset.payment.national_prevalence
    chol = ("CHD_REG", "STIA_REG", "PAD_REG", "CKD_REG")
    smok = chol[:3] + ("CKD_REG", "HYP_REG", "DM_REG", "COPD_REG", "AST_REG", "MH_REG")
    for cohort, members in (("CHOL_REG", chol), ("SMOK1_REG", smok)):
        figures = [shipped[m] for m in members]
        assert max(figures) <= shipped[cohort] <= sum(figures)
    if "CD_REG" in shipped:  # CHD or STIA: the sum, the upper bound (qof-2026-27 source)
        assert shipped["CD_REG"] == pytest.approx(shipped["CHD_REG"] + shipped["STIA_REG"])
    assert "low" in ruleset.payment.national_prevalence_confidence


# ---- list-only indicators ------------------------------------------------------------------


def _list_only_ids(ruleset_id: str) -> list[str]:
    wanted = LIST_ONLY + (LIST_ONLY_2024_25 if ruleset_id == "qof-2024-25" else ())
    ruleset = load_ruleset(ruleset_id)
    items = {i.id: i.prevalence_adjusted for i in ruleset.indicators.values()}
    items |= {r.indicator: r.prevalence_adjusted for r in ruleset.registers.values() if r.points}
    present = [i for i in wanted if i in items]
    assert all(items[i] is False for i in present), {i: items[i] for i in present}
    return present


@pytest.mark.parametrize("ruleset_id", NATIONAL)
def test_list_only_indicators_are_priced_on_list_size_alone(ruleset_id: str) -> None:
    present = _list_only_ids(ruleset_id)
    assert "BP002" in present and "SMOK004" in present
    # No national prevalence at all: 10 points × £200 × CPI (5,000 ÷ 10,000 = 0.5) = £1,000
    # for every list-only row, whatever its register's size.
    table = pl.DataFrame(
        {
            "indicator": present,
            "register": ["ANY_REG"] * len(present),
            "prevalence_adjusted": [False] * len(present),
            "points": [10.0] * len(present),
            "max_points": [10.0] * len(present),
            "list_size": [5_000] * len(present),
            "register_size": [123] * len(present),
        }
    )
    priced = price(table, Rates(200.0, 10_000.0, {}))
    assert priced["pounds"].to_list() == [1_000.0] * len(present)
    assert priced["pounds_note"].null_count() == len(present)


# ---- which year's prevalence: the estimate label -------------------------------------------


def test_the_current_year_is_priced_as_an_estimate_on_2024_25_prevalence() -> None:
    rates = rates_for(load_ruleset("qof-2026-27"))
    assert rates.pounds_estimate is True
    assert "2024/25" in rates.prevalence_basis and "2026/27" in rates.prevalence_basis


def test_2024_25_is_priced_on_its_own_published_prevalence() -> None:
    rates = rates_for(load_ruleset("qof-2024-25"))
    assert rates.pounds_estimate is False
    assert "payment year's own" in rates.prevalence_basis


def test_the_label_names_registers_given_on_the_command_line() -> None:
    rates = rates_for(load_ruleset("qof-2026-27"), national_prevalence={"DM_REG": 7.0})
    assert rates.national_prevalence["DM_REG"] == 7.0
    assert rates.national_prevalence["HYP_REG"] == 15.230  # the rest stay the ruleset's
    assert rates.prevalence_basis.endswith("DM_REG from --national-prevalence")


def test_json_and_table_say_which_prevalence_year_the_money_uses(tmp_path: Path) -> None:
    extract = build([Patients("A", 5, hba1c=50)], practices([("A", None, 1_000)]))
    folder = write_csv(extract, tmp_path)
    scheme = tmp_path / "scheme"
    scheme.mkdir()
    (scheme / "ruleset.toml").write_text(
        f'id = "scheme"\nextends = "{MINI}"\nqof_year = "2030/31"\n'
        '[payment]\nnational_prevalence_year = "2028/29"\n'
        "[payment.national_prevalence]\nDM_REG = 4.0\n"
    )
    result = runner.invoke(app, ["score", str(folder), "-r", str(scheme), "-f", "json"])
    assert result.exit_code == 0, result.output
    payment = json.loads(result.stdout)["payment"]
    assert payment["pounds_estimate"] is True
    assert payment["national_prevalence_year"] == "2028/29"
    assert "2028/29" in payment["prevalence_basis"] and "2030/31" in payment["prevalence_basis"]
    table = runner.invoke(app, ["score", str(folder), "-r", str(scheme)])
    assert table.exit_code == 0, table.output
    assert "£ is an estimate: national prevalence of 2028/29" in table.stdout


def test_a_prevalence_for_a_register_absent_from_the_ruleset_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "ruleset.toml").write_text(
        'id = "scheme"\nextends = "qof-2026-27"\n[payment.national_prevalence]\nXX_REG = 4\n'
    )
    with pytest.raises(RulesetError, match="names unknown register 'XX_REG'"):
        load_ruleset(tmp_path)
