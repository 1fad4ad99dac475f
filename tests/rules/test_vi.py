"""VI001-VI004: childhood vaccinations and shingles (QOF 2025/26, list-size only).

Expectations come from the business-rule content (PCIT VI001-VI004 v49, the official 2023/24 reason
fields and PCA descriptions, the official VI004 register text), not from engine output.
PPSD 2025-04-01, PPED = ACHV 2026-03-31 unless a case says otherwise. Day ages use the rules'
31-day months: "before 8 months" = dose at most 247 days old; "up to 18 months" = at most 558 days.

  VI8M_REG:  8-month birthday from PPSD to ACHV: DOB 2024-08-01 .. 2025-07-31.
  VI001:     >= 3 DTaP doses (distinct days) before 248 days old -> achieved; DTPCON before 248 days
             -> pca DTPCON; registered at >= 248 days, or >= 217/186/155 days with <= 2/1/0 doses
             dated before the registration date -> pca PCADTP; else not achieved.
  VI18M_REG: 18-month birthday in the year: DOB 2023-10-01 .. 2024-09-30.
  VI002:     MMR from the first birthday to 558 days old -> achieved; MMRCON up to 558 days -> pca
             MMRCON; registered after 558 days, or after 527 days with no MMR before registering
             -> pca PCAMMR1.
  VI5Y_REG:  fifth birthday in the year: DOB 2020-04-01 .. 2021-03-31.
  VI003:     2 MMR (distinct days) aged 1-4 and a DTaP/IPV booster before 5 -> achieved;
             contraindication combinations before 5 -> pca MMRDTAPCON; registered from 57/58/59
             months with 3/2/1 doses outstanding -> pca PCAMMRDTAP.
  VI80_REG:  turned 80 in the year (DOB 1945-04-01 .. 1946-03-31), or turned 81 (DOB 1944-04-01 ..
             1945-03-31) with a first Shingrix dose on or before 2025-03-31 and no second by then.
  VI004:     single-dose vaccine aged 70-79, or both Shingrix doses aged 70-80 -> achieved; 81 and
             not awaiting a completing dose -> excluded SHV2AGE; SHCON; decline aged 70-79 with no
             vaccination -> SHDECU80; decline after a first dose given aged 70-79 -> SHDECV2;
             turned 80 with a first dose and no second -> SHNOV2O80.
Cases needing a cluster the ruleset does not ship (the DTaP, MMR and booster vaccine and
contraindication clusters) are skipped, naming the cluster.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from rulecases import ACHIEVED, NOT_ACHIEVED, case, case_id, ev, excluded, pca

NO_ROW = None
DTAP = "6IN1VAC_COD"
MMR = "MMRVAC1_COD"
MMR2 = "MMRVAC2_COD"
BOOST = "DTAPIPVVACBOOST_COD"


def d(n: int) -> timedelta:
    return timedelta(days=n)


def months(dob: date, n: int) -> date:
    """dob + n calendar months (the test dates chosen never need month-end clamping)."""
    y, m = divmod(dob.month - 1 + n, 12)
    return dob.replace(year=dob.year + y, month=m + 1)


def years(dob: date, n: int) -> date:
    return dob.replace(year=dob.year + n)


def kid(pid, why, expect, dob, reg=None, **kw):
    """A child registered from birth unless ``reg`` says otherwise."""
    return case(pid, why, expect, dob=dob, reg=reg or dob, dx=None, **kw)


def old(pid, why, expect, dob, **kw):
    return case(pid, why, expect, dob=dob, dx=None, **kw)


# ---- VI001 ------------------------------------------------------------------------------------
B1 = date(2025, 1, 10)  # 8 months on 2025-09-10; 248 days old on 2025-09-15


def doses(cluster: str, dob: date, *ages: int):
    return [ev(cluster, dob + d(a)) for a in ages]


VI001_CASES = [
    kid(
        "vi1_dob_first",
        "VI8M_REG: 8 months on PPSD (DOB 2024-08-01) -> on, no doses -> not achieved",
        {"VI001": NOT_ACHIEVED},
        date(2024, 8, 1),
    ),
    kid(
        "vi1_dob_too_old",
        "VI8M_REG: 8 months on 2025-03-31, the day before PPSD -> no row",
        {"VI001": NO_ROW},
        date(2024, 7, 31),
    ),
    kid(
        "vi1_dob_last",
        "VI8M_REG: 8 months on PPED (DOB 2025-07-31) -> on",
        {"VI001": NOT_ACHIEVED},
        date(2025, 7, 31),
    ),
    kid(
        "vi1_dob_too_young",
        "VI8M_REG: 8 months on 2026-04-01, the day after PPED -> no row",
        {"VI001": NO_ROW},
        date(2025, 8, 1),
    ),
    kid(
        "vi1_in_year_not_yet_8m",
        "VI8M_REG at ACHV 2025-09-30: 8 months on 2025-10-01 -> no row",
        {"VI001": NO_ROW},
        date(2025, 2, 1),
        as_of=date(2025, 9, 30),
    ),
    kid(
        "vi1_in_year_8m_on_achv",
        "VI8M_REG at ACHV 2025-09-30: 8 months on ACHV -> on",
        {"VI001": NOT_ACHIEVED},
        date(2025, 1, 30),
        as_of=date(2025, 9, 30),
    ),
    kid(
        "vi1_three_doses",
        "VI001: three doses, the third at 247 days -> achieved",
        {"VI001": ACHIEVED},
        B1,
        events=doses(DTAP, B1, 60, 90, 247),
    ),
    kid(
        "vi1_third_at_248",
        "VI001: third dose at 248 days (8 months by the 31-day rule) -> not",
        {"VI001": NOT_ACHIEVED},
        B1,
        events=doses(DTAP, B1, 60, 90, 248),
    ),
    kid(
        "vi1_two_doses",
        "VI001: two doses only -> not achieved",
        {"VI001": NOT_ACHIEVED},
        B1,
        events=doses(DTAP, B1, 60, 90),
    ),
    kid(
        "vi1_same_day_twice",
        "VI001: doses on days 60, 90, 90 count as two -> not achieved",
        {"VI001": NOT_ACHIEVED},
        B1,
        events=doses(DTAP, B1, 60, 90, 90),
    ),
    kid(
        "vi1_four_doses",
        "VI001: four doses -> achieved",
        {"VI001": ACHIEVED},
        B1,
        events=doses(DTAP, B1, 60, 90, 120, 150),
    ),
    kid(
        "vi1_mixed_formulations",
        "VI001: 6-in-1, 5-in-1 and 4-in-1 doses all count -> achieved",
        {"VI001": ACHIEVED},
        B1,
        events=[
            ev("6IN1VAC_COD", B1 + d(60)),
            ev("5IN1VAC_COD", B1 + d(90)),
            ev("4IN1VAC_COD", B1 + d(120)),
        ],
    ),
    kid(
        "vi1_con_247",
        "VI001: DTPCON at 247 days -> pca DTPCON",
        {"VI001": pca("DTPCON")},
        B1,
        events=[ev("DTPCON_COD", B1 + d(247))],
    ),
    kid(
        "vi1_con_248",
        "VI001: DTPCON at 248 days is not before 8 months -> not achieved",
        {"VI001": NOT_ACHIEVED},
        B1,
        events=[ev("DTPCON_COD", B1 + d(248))],
    ),
    kid(
        "vi1_achiever_with_con",
        "VI001: achievement is selected before the DTPCON PCA",
        {"VI001": ACHIEVED},
        B1,
        events=[*doses(DTAP, B1, 60, 90, 120), ev("DTPCON_COD", B1 + d(100))],
    ),
    kid(
        "vi1_reg_154",
        "VI001: registered at 154 days, no doses -> not achieved",
        {"VI001": NOT_ACHIEVED},
        B1,
        reg=B1 + d(154),
    ),
    kid(
        "vi1_reg_155",
        "VI001: registered at 155 days with no dose before -> pca PCADTP",
        {"VI001": pca("PCADTP")},
        B1,
        reg=B1 + d(155),
    ),
    kid(
        "vi1_reg_248",
        "VI001: registered at 248 days (8 months), no doses -> pca PCADTP",
        {"VI001": pca("PCADTP")},
        B1,
        reg=B1 + d(248),
    ),
    kid(
        "vi1_reg_160_dose_that_day",
        "VI001: a dose on the registration day is not before it "
        "-> 0 prior doses at 160 days -> pca PCADTP",
        {"VI001": pca("PCADTP")},
        B1,
        reg=B1 + d(160),
        events=doses(DTAP, B1, 160),
    ),
    kid(
        "vi1_reg_160_one_prior",
        "VI001: registered at 160 days with one prior dose -> not achieved",
        {"VI001": NOT_ACHIEVED},
        B1,
        reg=B1 + d(160),
        events=doses(DTAP, B1, 60),
    ),
    kid(
        "vi1_reg_185_one_prior",
        "VI001: registered at 185 days with one prior dose -> not achieved",
        {"VI001": NOT_ACHIEVED},
        B1,
        reg=B1 + d(185),
        events=doses(DTAP, B1, 60),
    ),
    kid(
        "vi1_reg_186_one_prior",
        "VI001: registered at 186 days with one prior dose -> pca PCADTP",
        {"VI001": pca("PCADTP")},
        B1,
        reg=B1 + d(186),
        events=doses(DTAP, B1, 60),
    ),
    kid(
        "vi1_reg_190_same_day_prior",
        "VI001: two records on one day before registering at 190 days are one dose -> pca PCADTP",
        {"VI001": pca("PCADTP")},
        B1,
        reg=B1 + d(190),
        events=doses(DTAP, B1, 60, 60),
    ),
    kid(
        "vi1_reg_216_two_prior",
        "VI001: registered at 216 days with two prior doses -> not achieved",
        {"VI001": NOT_ACHIEVED},
        B1,
        reg=B1 + d(216),
        events=doses(DTAP, B1, 60, 90),
    ),
    kid(
        "vi1_reg_217_two_prior",
        "VI001: registered at 217 days with two prior doses -> pca PCADTP",
        {"VI001": pca("PCADTP")},
        B1,
        reg=B1 + d(217),
        events=doses(DTAP, B1, 60, 90),
    ),
    kid(
        "vi1_reg_300_three_prior_late",
        "VI001: registered at 300 days with three prior doses, the "
        "third at 250 days -> not achieved, pca PCADTP (registered after 8 months)",
        {"VI001": pca("PCADTP")},
        B1,
        reg=B1 + d(300),
        events=doses(DTAP, B1, 60, 90, 250),
    ),
    kid(
        "vi1_reg_late_achiever",
        "VI001: registered at 300 days with three doses before 8 months "
        "-> achieved (selected before the PCA)",
        {"VI001": ACHIEVED},
        B1,
        reg=B1 + d(300),
        events=doses(DTAP, B1, 60, 90, 120),
    ),
]

# ---- VI002 ------------------------------------------------------------------------------------
B2 = date(2024, 1, 20)  # first birthday 2025-01-20; 558 days old on 2025-07-31

VI002_CASES = [
    kid(
        "vi2_dob_first",
        "VI18M_REG: 18 months on PPSD (DOB 2023-10-01) -> on",
        {"VI002": NOT_ACHIEVED},
        date(2023, 10, 1),
    ),
    kid(
        "vi2_dob_too_old",
        "VI18M_REG: 18 months on 2025-03-31 -> no row",
        {"VI002": NO_ROW},
        date(2023, 9, 30),
    ),
    kid(
        "vi2_dob_last",
        "VI18M_REG: 18 months on PPED (DOB 2024-09-30) -> on",
        {"VI002": NOT_ACHIEVED},
        date(2024, 9, 30),
    ),
    kid(
        "vi2_dob_too_young",
        "VI18M_REG: 18 months on 2026-04-01 -> no row",
        {"VI002": NO_ROW},
        date(2024, 10, 1),
    ),
    kid(
        "vi2_mmr_first_birthday",
        "VI002: MMR on the first birthday -> achieved",
        {"VI002": ACHIEVED},
        B2,
        events=[ev(MMR, years(B2, 1))],
    ),
    kid(
        "vi2_mmr_day_before_1",
        "VI002: MMR the day before the first birthday -> not achieved",
        {"VI002": NOT_ACHIEVED},
        B2,
        events=[ev(MMR, years(B2, 1) - d(1))],
    ),
    kid(
        "vi2_mmr_558",
        "VI002: MMR at 558 days old (upper limit, inclusive) -> achieved",
        {"VI002": ACHIEVED},
        B2,
        events=[ev(MMR, B2 + d(558))],
    ),
    kid(
        "vi2_mmr_559",
        "VI002: MMR at 559 days old -> not achieved",
        {"VI002": NOT_ACHIEVED},
        B2,
        events=[ev(MMR, B2 + d(559))],
    ),
    kid(
        "vi2_mmr_second_code",
        "VI002: a dose coded as second MMR also counts -> achieved",
        {"VI002": ACHIEVED},
        B2,
        events=[ev(MMR2, B2 + d(400))],
    ),
    kid(
        "vi2_con_558",
        "VI002: MMRCON at 558 days -> pca MMRCON",
        {"VI002": pca("MMRCON")},
        B2,
        events=[ev("MMRCON_COD", B2 + d(558))],
    ),
    kid(
        "vi2_con_559",
        "VI002: MMRCON at 559 days -> not achieved",
        {"VI002": NOT_ACHIEVED},
        B2,
        events=[ev("MMRCON_COD", B2 + d(559))],
    ),
    kid(
        "vi2_con_achiever",
        "VI002: MMR in the window and MMRCON -> achieved",
        {"VI002": ACHIEVED},
        B2,
        events=[ev(MMR, B2 + d(400)), ev("MMRCON_COD", B2 + d(300))],
    ),
    kid(
        "vi2_reg_527",
        "VI002: registered at 527 days, no MMR -> not achieved",
        {"VI002": NOT_ACHIEVED},
        B2,
        reg=B2 + d(527),
    ),
    kid(
        "vi2_reg_528",
        "VI002: registered at 528 days (after 17 months) with no MMR -> pca PCAMMR1",
        {"VI002": pca("PCAMMR1")},
        B2,
        reg=B2 + d(528),
    ),
    kid(
        "vi2_reg_558",
        "VI002: registered at 558 days with no MMR -> pca PCAMMR1 (527 rule)",
        {"VI002": pca("PCAMMR1")},
        B2,
        reg=B2 + d(558),
    ),
    kid(
        "vi2_reg_540_prior_mmr",
        "VI002: registered at 540 days with an (early) MMR before "
        "registering -> not rejected, not achieved",
        {"VI002": NOT_ACHIEVED},
        B2,
        reg=B2 + d(540),
        events=[ev(MMR, B2 + d(300))],
    ),
    kid(
        "vi2_reg_559_prior_mmr",
        "VI002: registered at 559 days (after 18 months) even with a prior MMR -> pca PCAMMR1",
        {"VI002": pca("PCAMMR1")},
        B2,
        reg=B2 + d(559),
        events=[ev(MMR, B2 + d(300))],
    ),
    kid(
        "vi2_reg_late_achiever",
        "VI002: registered at 600 days, MMR at 400 days -> achieved",
        {"VI002": ACHIEVED},
        B2,
        reg=B2 + d(600),
        events=[ev(MMR, B2 + d(400))],
    ),
]

# ---- VI003 ------------------------------------------------------------------------------------
B3 = date(2020, 6, 15)  # fifth birthday 2025-06-15; 57 months on 2025-03-15
ONE, FIVE = years(B3, 1), years(B3, 5)
OK_MMR = [ev(MMR, ONE + d(10)), ev(MMR2, years(B3, 3))]
OK_BOOST = ev(BOOST, years(B3, 3) + d(30))

VI003_CASES = [
    kid(
        "vi3_dob_first",
        "VI5Y_REG: fifth birthday on PPSD (DOB 2020-04-01) -> on",
        {"VI003": NOT_ACHIEVED},
        date(2020, 4, 1),
    ),
    kid(
        "vi3_dob_too_old",
        "VI5Y_REG: fifth birthday on 2025-03-31 -> no row",
        {"VI003": NO_ROW},
        date(2020, 3, 31),
    ),
    kid(
        "vi3_dob_last",
        "VI5Y_REG: fifth birthday on PPED (DOB 2021-03-31) -> on",
        {"VI003": NOT_ACHIEVED},
        date(2021, 3, 31),
    ),
    kid(
        "vi3_dob_too_young",
        "VI5Y_REG: fifth birthday on 2026-04-01 -> no row",
        {"VI003": NO_ROW},
        date(2021, 4, 1),
    ),
    kid(
        "vi3_full",
        "VI003: two MMR aged 1-4 and a booster -> achieved",
        {"VI003": ACHIEVED},
        B3,
        events=[*OK_MMR, OK_BOOST],
    ),
    kid(
        "vi3_mmr_on_first_birthday",
        "VI003: first MMR on the first birthday counts -> achieved",
        {"VI003": ACHIEVED},
        B3,
        events=[ev(MMR, ONE), ev(MMR2, years(B3, 3)), OK_BOOST],
    ),
    kid(
        "vi3_mmr_before_1",
        "VI003: an MMR the day before the first birthday does not count -> not achieved",
        {"VI003": NOT_ACHIEVED},
        B3,
        events=[ev(MMR, ONE - d(1)), ev(MMR2, years(B3, 3)), OK_BOOST],
    ),
    kid(
        "vi3_mmr_on_5th",
        "VI003: an MMR on the fifth birthday does not count -> not achieved",
        {"VI003": NOT_ACHIEVED},
        B3,
        events=[ev(MMR, ONE + d(10)), ev(MMR2, FIVE), OK_BOOST],
    ),
    kid(
        "vi3_mmr_same_day",
        "VI003: two MMR records on one day are one dose -> not achieved",
        {"VI003": NOT_ACHIEVED},
        B3,
        events=[ev(MMR, ONE + d(10)), ev(MMR2, ONE + d(10)), OK_BOOST],
    ),
    kid(
        "vi3_boost_day_before_5",
        "VI003: booster the day before the fifth birthday -> achieved",
        {"VI003": ACHIEVED},
        B3,
        events=[*OK_MMR, ev(BOOST, FIVE - d(1))],
    ),
    kid(
        "vi3_boost_on_5",
        "VI003: booster on the fifth birthday -> not achieved",
        {"VI003": NOT_ACHIEVED},
        B3,
        events=[*OK_MMR, ev(BOOST, FIVE)],
    ),
    kid(
        "vi3_no_boost",
        "VI003: two MMR, no booster -> not achieved",
        {"VI003": NOT_ACHIEVED},
        B3,
        events=OK_MMR,
    ),
    kid(
        "vi3_con_both",
        "VI003: MMR and DTaP/IPV both contraindicated before 5 -> pca MMRDTAPCON",
        {"VI003": pca("MMRDTAPCON")},
        B3,
        events=[ev("MMRCON_COD", years(B3, 2)), ev("DTAPIPVCON_COD", years(B3, 3))],
    ),
    kid(
        "vi3_con_dtap_with_2mmr",
        "VI003: two MMR and DTaP/IPV contraindicated -> pca MMRDTAPCON",
        {"VI003": pca("MMRDTAPCON")},
        B3,
        events=[*OK_MMR, ev("DTAPIPVCON_COD", years(B3, 3))],
    ),
    kid(
        "vi3_con_mmr_with_boost",
        "VI003: booster and MMR contraindicated -> pca MMRDTAPCON",
        {"VI003": pca("MMRDTAPCON")},
        B3,
        events=[OK_BOOST, ev("MMRCON_COD", years(B3, 2))],
    ),
    kid(
        "vi3_con_mmr_only",
        "VI003: MMR contraindicated, no booster -> not achieved",
        {"VI003": NOT_ACHIEVED},
        B3,
        events=[ev("MMRCON_COD", years(B3, 2))],
    ),
    kid(
        "vi3_con_on_5th",
        "VI003: contraindications on the fifth birthday are too late -> not achieved",
        {"VI003": NOT_ACHIEVED},
        B3,
        events=[ev("MMRCON_COD", FIVE), ev("DTAPIPVCON_COD", FIVE)],
    ),
    kid(
        "vi3_reg_57m_minus_1",
        "VI003: registered the day before 57 months, no doses -> not achieved",
        {"VI003": NOT_ACHIEVED},
        B3,
        reg=months(B3, 57) - d(1),
    ),
    kid(
        "vi3_reg_57m",
        "VI003: registered at 57 months with no doses -> pca PCAMMRDTAP",
        {"VI003": pca("PCAMMRDTAP")},
        B3,
        reg=months(B3, 57),
    ),
    kid(
        "vi3_reg_after_5",
        "VI003: registered after the fifth birthday, no doses -> pca PCAMMRDTAP",
        {"VI003": pca("PCAMMRDTAP")},
        B3,
        reg=FIVE + d(20),
    ),
    kid(
        "vi3_reg_57m_one_mmr",
        "VI003: registered at 57 months with one prior MMR -> not achieved",
        {"VI003": NOT_ACHIEVED},
        B3,
        reg=months(B3, 57),
        events=[ev(MMR, ONE + d(10))],
    ),
    kid(
        "vi3_reg_58m_one_mmr",
        "VI003: registered at 58 months with one prior MMR -> pca PCAMMRDTAP",
        {"VI003": pca("PCAMMRDTAP")},
        B3,
        reg=months(B3, 58),
        events=[ev(MMR, ONE + d(10))],
    ),
    kid(
        "vi3_reg_58m_boost_only",
        "VI003: registered at 58 months with only a prior booster -> pca PCAMMRDTAP",
        {"VI003": pca("PCAMMRDTAP")},
        B3,
        reg=months(B3, 58),
        events=[OK_BOOST],
    ),
    kid(
        "vi3_reg_58m_two_mmr",
        "VI003: registered at 58 months with two prior MMR -> not achieved",
        {"VI003": NOT_ACHIEVED},
        B3,
        reg=months(B3, 58),
        events=OK_MMR,
    ),
    kid(
        "vi3_reg_59m_two_mmr",
        "VI003: registered at 59 months with two prior MMR, no booster -> pca PCAMMRDTAP",
        {"VI003": pca("PCAMMRDTAP")},
        B3,
        reg=months(B3, 59),
        events=OK_MMR,
    ),
    kid(
        "vi3_reg_59m_one_mmr_boost",
        "VI003: registered at 59 months with one MMR and the booster -> pca PCAMMRDTAP",
        {"VI003": pca("PCAMMRDTAP")},
        B3,
        reg=months(B3, 59),
        events=[ev(MMR, ONE + d(10)), OK_BOOST],
    ),
    kid(
        "vi3_reg_late_achiever",
        "VI003: registered after 5 with all doses -> achieved",
        {"VI003": ACHIEVED},
        B3,
        reg=FIVE + d(20),
        events=[*OK_MMR, OK_BOOST],
    ),
]

# ---- VI004 ------------------------------------------------------------------------------------
B80 = date(1945, 9, 15)  # 80 on 2025-09-15
B81 = date(1944, 6, 15)  # 81 on 2025-06-15
SH1, SH2 = "SHVACGP1_COD", "SHVACGP2_COD"
FIRST_AT_79 = ev(SH1, date(2024, 1, 10))  # B81 aged 79; B80 aged 78

VI004_CASES = [
    old(
        "vi4_dob_first",
        "VI80_REG: 80th birthday on PPSD (DOB 1945-04-01) -> on",
        {"VI004": NOT_ACHIEVED},
        date(1945, 4, 1),
    ),
    old(
        "vi4_dob_too_old",
        "VI80_REG: 80 on 2025-03-31 (81 on PPED) with no first dose -> no row",
        {"VI004": NO_ROW},
        date(1945, 3, 31),
    ),
    old(
        "vi4_dob_last",
        "VI80_REG: 80th birthday on PPED (DOB 1946-03-31) -> on",
        {"VI004": NOT_ACHIEVED},
        date(1946, 3, 31),
    ),
    old(
        "vi4_dob_too_young",
        "VI80_REG: 80th birthday on 2026-04-01 -> no row",
        {"VI004": NO_ROW},
        date(1946, 4, 1),
    ),
    old(
        "vi4_in_year_not_yet_80",
        "VI80_REG at ACHV 2025-09-14: 80 the next day -> no row",
        {"VI004": NO_ROW},
        B80,
        as_of=date(2025, 9, 14),
    ),
    old(
        "vi4_in_year_80_on_achv",
        "VI80_REG at ACHV 2025-09-15: 80 that day -> on",
        {"VI004": NOT_ACHIEVED},
        B80,
        as_of=date(2025, 9, 15),
    ),
    old(
        "vi4_single_at_70",
        "VI004: single-dose vaccine on the 70th birthday -> achieved",
        {"VI004": ACHIEVED},
        B80,
        events=[ev("SHVACGP_COD", years(B80, 70))],
    ),
    old(
        "vi4_single_before_70",
        "VI004: single-dose vaccine the day before 70 -> not achieved",
        {"VI004": NOT_ACHIEVED},
        B80,
        events=[ev("SHVACGP_COD", years(B80, 70) - d(1))],
    ),
    old(
        "vi4_single_day_before_80",
        "VI004: single-dose vaccine the day before 80 -> achieved",
        {"VI004": ACHIEVED},
        B80,
        events=[ev("SHVACGP_COD", years(B80, 80) - d(1))],
    ),
    old(
        "vi4_single_on_80",
        "VI004: single-dose vaccine on the 80th birthday -> not achieved",
        {"VI004": NOT_ACHIEVED},
        B80,
        events=[ev("SHVACGP_COD", years(B80, 80))],
    ),
    old(
        "vi4_single_other_provider",
        "VI004: single dose by another provider aged 75 -> achieved",
        {"VI004": ACHIEVED},
        B80,
        events=[ev("SHVACOHP_COD", years(B80, 75))],
    ),
    old(
        "vi4_two_dose_80",
        "VI004: Shingrix at 78 and at 80 (in year) -> achieved",
        {"VI004": ACHIEVED},
        B80,
        events=[FIRST_AT_79, ev(SH2, date(2025, 10, 1))],
    ),
    old(
        "vi4_two_dose_same_cluster",
        "VI004: two first-dose records only -> no second dose -> pca SHNOV2O80",
        {"VI004": pca("SHNOV2O80")},
        B80,
        events=[FIRST_AT_79, ev(SH1, date(2024, 3, 10))],
    ),
    old(
        "vi4_first_only_80",
        "VI004: turned 80 with a first dose and no second -> pca SHNOV2O80",
        {"VI004": pca("SHNOV2O80")},
        B80,
        events=[FIRST_AT_79],
    ),
    old(
        "vi4_81_no_first_dose",
        "VI80_REG: turned 81 with no first dose -> no row",
        {"VI004": NO_ROW},
        B81,
    ),
    old(
        "vi4_81_awaiting",
        "VI80_REG: turned 81, first dose at 79 before the year, none since -> on, not achieved",
        {"VI004": NOT_ACHIEVED},
        B81,
        events=[FIRST_AT_79],
    ),
    old(
        "vi4_81_first_on_ppsd_minus_1",
        "VI80_REG: turned 81, first dose on 2025-03-31 "
        "(= PPED - 12 months) -> on; given aged 80 -> excluded SHV2AGE",
        {"VI004": excluded("SHV2AGE")},
        B81,
        events=[ev(SH1, date(2025, 3, 31))],
    ),
    old(
        "vi4_81_first_in_year",
        "VI80_REG: turned 81, first dose on 2025-04-01 -> no row",
        {"VI004": NO_ROW},
        B81,
        events=[ev(SH1, date(2025, 4, 1))],
    ),
    old(
        "vi4_81_both_before_year",
        "VI80_REG: turned 81, both doses before the year -> no row",
        {"VI004": NO_ROW},
        B81,
        events=[FIRST_AT_79, ev(SH2, date(2024, 6, 1))],
    ),
    old(
        "vi4_81_second_day_before_81",
        "VI004: turned 81, second dose the day before 81 -> achieved",
        {"VI004": ACHIEVED},
        B81,
        events=[FIRST_AT_79, ev(SH2, years(B81, 81) - d(1))],
    ),
    old(
        "vi4_81_second_on_81",
        "VI004: turned 81, second dose on the 81st birthday -> not achieved; "
        "no longer awaiting -> excluded SHV2AGE",
        {"VI004": excluded("SHV2AGE")},
        B81,
        events=[FIRST_AT_79, ev(SH2, years(B81, 81))],
    ),
    old(
        "vi4_con",
        "VI004: shingles vaccine contraindicated -> pca SHCON",
        {"VI004": pca("SHCON")},
        B80,
        events=[ev("SHCON_COD", date(2020, 1, 1))],
    ),
    old(
        "vi4_con_achiever",
        "VI004: vaccinated aged 75 and contraindicated later -> achieved",
        {"VI004": ACHIEVED},
        B80,
        events=[ev("SHVACGP_COD", years(B80, 75)), ev("SHCON_COD", date(2025, 1, 1))],
    ),
    old(
        "vi4_dec_at_75",
        "VI004: declined aged 75, never vaccinated -> pca SHDECU80",
        {"VI004": pca("SHDECU80")},
        B80,
        events=[ev("SHDEC_COD", years(B80, 75))],
    ),
    old(
        "vi4_dec_day_before_70",
        "VI004: declined the day before 70 -> not achieved",
        {"VI004": NOT_ACHIEVED},
        B80,
        events=[ev("SHDEC_COD", years(B80, 70) - d(1))],
    ),
    old(
        "vi4_dec_on_80",
        "VI004: declined on the 80th birthday -> not achieved",
        {"VI004": NOT_ACHIEVED},
        B80,
        events=[ev("SHDEC_COD", years(B80, 80))],
    ),
    old(
        "vi4_dec_after_first",
        "VI004: first dose at 78 then declined -> pca SHDECV2",
        {"VI004": pca("SHDECV2")},
        B80,
        events=[FIRST_AT_79, ev("SHDEC_COD", date(2024, 6, 1))],
    ),
    old(
        "vi4_dec_same_day_as_first",
        "VI004: declined on the day of the first dose (not after it) -> pca SHNOV2O80",
        {"VI004": pca("SHNOV2O80")},
        B80,
        events=[FIRST_AT_79, ev("SHDEC_COD", date(2024, 1, 10))],
    ),
    old(
        "vi4_81_dec_after_first",
        "VI004: turned 81, first dose at 79 then declined -> pca SHDECV2",
        {"VI004": pca("SHDECV2")},
        B81,
        events=[FIRST_AT_79, ev("SHDEC_COD", date(2025, 5, 1))],
    ),
]

CASES = VI001_CASES + VI002_CASES + VI003_CASES + VI004_CASES


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_rule(c, check):
    check(c, CASES)
