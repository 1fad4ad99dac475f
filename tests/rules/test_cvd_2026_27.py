"""QOF 2026/27 (ruleset qof-2026-27, business rules v51): CD_REG, CD001, CD002, HYP010, HYP011.

Dates: PPSD 2026-04-01, PPED = ACHV 2027-03-31. "In the last 12 months" = after 2026-03-31;
"in the last 9 months" = after 2026-06-30. Ages are whole years on 2027-03-31: born 1947-04-01
is 79, born 1947-03-31 is 80.

CD_REG (new): on CHD_REG (any CHD_COD) or STIA_REG (any STRK_COD or TIA_COD, haemorrhagic
stroke included), all ages; on the register = a row for CD001 and CD002.

CD001 (aged <= 79, target 140/90, home/ambulatory 135/85) and CD002 (aged >= 80, 150/90,
home/ambulatory 145/85), the CHD015/STIA014 chain with the frailty exclusion:
  1 age gate -> excluded PAT_AGEO79 (CD001) / PAT_AGEU80 (CD002)
  2 latest frailty record moderate or severe -> excluded MDSEVFRAIL
  3 latest BP in 12 m within target -> achieved
  4 HTMAX   5 CHDPCAPU   6 STIAPCAPU   7 BPDEC / HOMEBPDEC / ABPMDEC -> BPORHBPDEC
  8 CHDPCADEC   9 STIAPCADEC (all in the last 12 months; codes of either register count)
 10 two CHDINVITE >= 7 days apart and no BP in 12 m, or after an above-target latest BP
    -> CHDBPINV   11 the same with STIAINVITE -> STBPINVITE (one register's pair)
 12 earliest CHD, stroke or TIA code in 9 m -> DIAG1_DT9M
 13 registered in 9 m -> REG1_DAT9; else not achieved
HYP010 / HYP011: HYP008 / HYP009 (tests/rules/test_hyp.py) with rule 2 (MDSEVFRAIL) added.
The CHD and stroke PCA and invitation clusters are not public yet: those cases skip, naming
the cluster, and run once the official release is imported.
Default patient: 66 on ACHV, registered 2000, no diabetes; diagnoses as each case says.
"""

from __future__ import annotations

from datetime import date

import pytest
from rulecases import ACHIEVED, NOT_ACHIEVED, bp, case, case_id, ev, excluded, pca

RULESET = "qof-2026-27"
REGISTER_INDICATORS = ("CD001", "CD002")

DX = date(2015, 1, 1)
Y = date(2026, 6, 1)  # a day inside the payment year
PPSD = date(2026, 4, 1)
BEFORE_PPSD = date(2026, 3, 31)  # PPED - 12 months exactly: outside "the last 12 months"
PPED = date(2027, 3, 31)
AFTER_ACHV = date(2027, 4, 1)
NEW_9M = date(2026, 7, 1)  # first day inside "the last 9 months"
OLD_9M = date(2026, 6, 30)  # PPED - 9 months: outside
AGE79 = date(1947, 4, 1)  # 79 on 2027-03-31
AGE80 = date(1947, 3, 31)  # 80 on 2027-03-31 (birthday on ACHV)
AGE85 = date(1941, 6, 15)
O79 = excluded("PAT_AGEO79")
U80 = excluded("PAT_AGEU80")
FRAIL = excluded("MDSEVFRAIL")
HIGH = bp(Y, 160, 95)  # above every target
GOOD = bp(Y, 120, 80)  # within every target


def chd(when=DX):
    return ev("CHD_COD", when)


def ischaemic(when=DX):
    return ev("OSTR_COD", when, also=("STRK_COD",))


def haemorrhagic(when=DX):
    return ev("HSTRK_COD", when, also=("STRK_COD",))


def tia(when=DX):
    return ev("TIA_COD", when)


def hyp(when=DX):
    return ev("HYP_COD", when)


def mild(when=date(2025, 1, 1)):
    return ev("MILDFRAIL_COD", when)


def moderate(when=date(2025, 1, 1)):
    return ev("MODFRAIL_COD", when)


def severe(when=date(2025, 1, 1)):
    return ev("SEVFRAIL_COD", when)


def chd_inv(*dates):
    return [ev("CHDINVITE_COD", d) for d in dates]


def stia_inv(*dates):
    return [ev("STIAINVITE_COD", d) for d in dates]


def hyp_inv(*dates):
    return [ev("HYPINVITE_COD", d) for d in dates]


def patient(pid, why, expect, *, events=(), **kw):
    """A patient with no diabetes; ``events`` carry the diagnoses."""
    return case(pid, why, expect, dx=None, events=events, **kw)


def c1(pid, why, expect, *, diagnoses=None, events=(), **kw):
    """A CD001 case: 66 on ACHV (CD002 excluded PAT_AGEU80), CHD since 2015 by default."""
    diagnoses = [chd()] if diagnoses is None else diagnoses
    return patient(pid, why, {"CD001": expect, "CD002": U80}, events=[*diagnoses, *events], **kw)


def c2(pid, why, expect, *, diagnoses=None, events=(), **kw):
    """A CD002 case: 85 on ACHV (CD001 excluded PAT_AGEO79), CHD since 2015 by default."""
    kw.setdefault("dob", AGE85)
    diagnoses = [chd()] if diagnoses is None else diagnoses
    return patient(pid, why, {"CD002": expect, "CD001": O79}, events=[*diagnoses, *events], **kw)


def h10(pid, why, expect, *, hyp_dx=DX, events=(), **kw):
    """A HYP010 case: 66 on ACHV (HYP011 excluded PAT_AGEU80), hypertension since 2015."""
    return patient(pid, why, {"HYP010": expect, "HYP011": U80}, events=[hyp(hyp_dx), *events], **kw)


def h11(pid, why, expect, *, hyp_dx=DX, events=(), **kw):
    """A HYP011 case: 85 on ACHV (HYP010 excluded PAT_AGEO79), hypertension since 2015."""
    kw.setdefault("dob", AGE85)
    return patient(pid, why, {"HYP011": expect, "HYP010": O79}, events=[hyp(hyp_dx), *events], **kw)


NO_CD = {"CD001": None, "CD002": None}
NO_HYP = {"HYP010": None, "HYP011": None}
RETIRED = dict.fromkeys(("CHD015", "CHD016", "STIA014", "STIA015", "HYP008", "HYP009"))

REGISTER_CASES = [
    patient(
        "reg_chd_only",
        "CD_REG: CHD_COD 2015, no stroke -> on (CHD_REG); 66 -> CD001 not achieved",
        {"CD001": NOT_ACHIEVED, "CD002": U80},
        on_register=True,
        events=[chd()],
    ),
    patient(
        "reg_stroke_only",
        "CD_REG: ischaemic stroke 2015, no CHD -> on (STIA_REG)",
        {"CD001": NOT_ACHIEVED},
        on_register=True,
        events=[ischaemic()],
    ),
    patient(
        "reg_tia_only",
        "CD_REG: TIA only -> on (STIA_REG counts TIA_COD)",
        {"CD001": NOT_ACHIEVED},
        on_register=True,
        events=[tia()],
    ),
    patient(
        "reg_haemorrhagic_only",
        "CD_REG: haemorrhagic stroke only -> on (STIA_REG includes it; it only matters for"
        " STIA007/CHOL exclusions); good BP -> CD001 achieved",
        {"CD001": ACHIEVED},
        on_register=True,
        events=[haemorrhagic(), GOOD],
    ),
    patient(
        "reg_both",
        "CD_REG: CHD and stroke -> on once (one row per indicator); good BP -> achieved",
        {"CD001": ACHIEVED, "CD002": U80},
        on_register=True,
        events=[chd(), ischaemic(date(2019, 5, 1)), GOOD],
    ),
    patient(
        "reg_neither",
        "CD_REG: no CHD, stroke or TIA code -> no CD rows",
        NO_CD,
        on_register=False,
    ),
    patient(
        "reg_pad_only",
        "CD_REG: peripheral arterial disease alone is not CHD or stroke -> no CD rows",
        NO_CD,
        on_register=False,
        events=[ev("PAD_COD", DX), GOOD],
    ),
    patient(
        "reg_hyp_only",
        "CD_REG: hypertension alone -> no CD rows, HYP010 applies",
        {**NO_CD, "HYP010": ACHIEVED},
        on_register=False,
        events=[hyp(), GOOD],
    ),
    patient(
        "reg_chd_after_achv",
        "CD_REG: CHD_COD dated after ACHV does not exist -> no CD rows",
        NO_CD,
        on_register=False,
        events=[chd(AFTER_ACHV)],
    ),
    patient(
        "reg_chd_on_achv",
        "CD_REG: CHD_COD on ACHV counts -> on; newly diagnosed -> CD001 DIAG1_DT9M",
        {"CD001": pca("DIAG1_DT9M")},
        on_register=True,
        events=[chd(PPED)],
    ),
    patient(
        "reg_child",
        "CD_REG: all ages -> a 12-year-old with CHD is on; good BP -> CD001 achieved",
        {"CD001": ACHIEVED, "CD002": U80},
        on_register=True,
        dob=date(2014, 9, 1),
        events=[chd(), GOOD],
    ),
    patient(
        "reg_dead",
        "population: died 2026-12-01, before ACHV -> no rows",
        {**NO_CD, **NO_HYP},
        on_register=False,
        death=date(2026, 12, 1),
        events=[chd(), hyp()],
    ),
    patient(
        "reg_dead_after_achv",
        "population: died 2027-04-01, after ACHV -> still counted",
        {"CD001": NOT_ACHIEVED, "HYP010": NOT_ACHIEVED},
        on_register=True,
        death=AFTER_ACHV,
        events=[chd(), hyp()],
    ),
    patient(
        "reg_dereg_on_achv",
        "population: deregistered on ACHV -> no rows",
        {**NO_CD, **NO_HYP},
        on_register=False,
        dereg=PPED,
        events=[ischaemic(), hyp()],
    ),
    patient(
        "reg_dereg_after_achv",
        "population: deregistered 2027-04-01 -> still counted",
        {"CD001": NOT_ACHIEVED},
        on_register=True,
        dereg=AFTER_ACHV,
        events=[ischaemic()],
    ),
    patient(
        "retired_ids",
        "2026/27 retired CHD015/016, STIA014/015, HYP008/009: no rows for them",
        {**RETIRED, "CD001": ACHIEVED, "HYP010": ACHIEVED},
        events=[chd(), ischaemic(), hyp(), GOOD],
    ),
    patient(
        "hyp_and_chd_frail",
        "HYP + CHD, moderate frailty: excluded MDSEVFRAIL from HYP010 and CD001 alike",
        {"CD001": FRAIL, "HYP010": FRAIL, "CD002": U80, "HYP011": U80},
        events=[chd(), hyp(), moderate(), GOOD],
    ),
]

CD001_CASES = [
    # ---- rule 1: age on ACHV --------------------------------------------------------------
    patient(
        "cd_age_79",
        "r1: 79 on 2027-03-31 -> CD001 applies (achieved), CD002 excluded PAT_AGEU80",
        {"CD001": ACHIEVED, "CD002": U80},
        dob=AGE79,
        events=[chd(), GOOD],
    ),
    patient(
        "cd_age_80",
        "r1: 80 on 2027-03-31 (birthday on ACHV) -> CD001 PAT_AGEO79, CD002 applies",
        {"CD001": O79, "CD002": ACHIEVED},
        dob=AGE80,
        events=[chd(), GOOD],
    ),
    # ---- rule 2: frailty --------------------------------------------------------------
    c1(
        "c1_frail_mild",
        "r2: mild frailty -> not excluded; good BP -> achieved",
        ACHIEVED,
        events=[mild(), GOOD],
    ),
    c1(
        "c1_frail_moderate",
        "r2: moderate frailty -> MDSEVFRAIL even with a good BP",
        FRAIL,
        events=[moderate(), GOOD],
    ),
    c1("c1_frail_severe", "r2: severe frailty -> MDSEVFRAIL", FRAIL, events=[severe(), HIGH]),
    c1(
        "c1_frail_severe_then_mild",
        "r2: severe 2024 then mild 2025 -> latest is mild -> achieved",
        ACHIEVED,
        events=[severe(date(2024, 1, 1)), mild(date(2025, 1, 1)), GOOD],
    ),
    c1(
        "c1_frail_mild_then_moderate",
        "r2: mild 2024 then moderate 2025 -> latest is moderate -> MDSEVFRAIL",
        FRAIL,
        events=[mild(date(2024, 1, 1)), moderate(date(2025, 1, 1)), GOOD],
    ),
    c1(
        "c1_frail_after_achv",
        "r2: severe frailty coded 2027-04-01 (after ACHV) does not exist -> achieved",
        ACHIEVED,
        events=[severe(AFTER_ACHV), GOOD],
    ),
    c1(
        "c1_frail_before_pca",
        "r2 before r4/r7: moderate frailty, HTMAX and BPDEC -> MDSEVFRAIL",
        FRAIL,
        events=[moderate(), HIGH, ev("HTMAX_COD", Y), ev("BPDEC_COD", Y)],
    ),
    c1(
        "c1_frail_stroke",
        "r2: stroke-only patient with severe frailty -> MDSEVFRAIL",
        FRAIL,
        diagnoses=[ischaemic()],
        events=[severe(), GOOD],
    ),
    # ---- rule 3: target 140/90, home/ambulatory 135/85 ----------------------------------
    c1("c1_140_90", "r3: clinic 140/90 -> achieved", ACHIEVED, events=[bp(Y, 140, 90)]),
    c1("c1_141_90", "r3: clinic 141/90 -> not achieved", NOT_ACHIEVED, events=[bp(Y, 141, 90)]),
    c1("c1_140_91", "r3: clinic 140/91 -> not achieved", NOT_ACHIEVED, events=[bp(Y, 140, 91)]),
    c1("c1_no_bp", "r3: no BP and nothing else -> not achieved", NOT_ACHIEVED),
    c1(
        "c1_home_135_85",
        "r3: home 135/85 -> achieved",
        ACHIEVED,
        events=[bp(Y, 135, 85, home=True)],
    ),
    c1(
        "c1_home_136_85",
        "r3: home 136/85 -> not achieved",
        NOT_ACHIEVED,
        events=[bp(Y, 136, 85, home=True)],
    ),
    c1(
        "c1_home_135_86",
        "r3: home 135/86 -> not achieved",
        NOT_ACHIEVED,
        events=[bp(Y, 135, 86, home=True)],
    ),
    c1(
        "c1_abpm_135_85",
        "r3: ambulatory 135/85 -> achieved",
        ACHIEVED,
        events=[bp(Y, 135, 85, ambulatory=True)],
    ),
    c1(
        "c1_bp_on_ppsd",
        "r3: BP on 2026-04-01 (one day after PPED - 12 months) -> achieved",
        ACHIEVED,
        events=[bp(PPSD, 120, 80)],
    ),
    c1(
        "c1_bp_12m_exactly",
        "r3: BP on 2026-03-31 = PPED - 12 months exactly -> outside -> not achieved",
        NOT_ACHIEVED,
        events=[bp(BEFORE_PPSD, 120, 80)],
    ),
    c1("c1_bp_on_pped", "r3: BP on PPED -> achieved", ACHIEVED, events=[bp(PPED, 120, 80)]),
    c1(
        "c1_bp_after_achv",
        "r3: a good BP after ACHV does not exist; the latest is the high one -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, bp(AFTER_ACHV, 120, 80)],
    ),
    c1(
        "c1_latest_high",
        "r3: good BP in May, high BP in September -> the latest decides -> not achieved",
        NOT_ACHIEVED,
        events=[bp(date(2026, 5, 1), 120, 80), bp(date(2026, 9, 1), 150, 95)],
    ),
    c1(
        "c1_latest_good",
        "r3: high BP in May, good BP in September -> achieved",
        ACHIEVED,
        events=[bp(date(2026, 5, 1), 150, 95), bp(date(2026, 9, 1), 120, 80)],
    ),
    c1(
        "c1_stroke_140_90",
        "r3: stroke-only patient, clinic 140/90 -> achieved",
        ACHIEVED,
        diagnoses=[ischaemic()],
        events=[bp(Y, 140, 90)],
    ),
    # ---- achievers keep their status ------------------------------------------------
    c1(
        "c1_achiever_htmax_bpdec",
        "r3 before r4/r7: good BP with HTMAX and BPDEC in year -> achieved",
        ACHIEVED,
        events=[GOOD, ev("HTMAX_COD", Y), ev("BPDEC_COD", Y)],
    ),
    c1(
        "c1_achiever_all_pcas",
        "r3 before r4-r11: good BP with every CHD and stroke PCA code -> achieved",
        ACHIEVED,
        diagnoses=[chd(), ischaemic()],
        events=[
            GOOD,
            ev("CHDPCAPU_COD", Y),
            ev("STIAPCAPU_COD", Y),
            ev("CHDPCADEC_COD", Y),
            ev("STIAPCADEC_COD", Y),
            chd_inv(date(2026, 6, 10), date(2026, 6, 17)),
        ],
    ),
    c1(
        "c1_achiever_new_dx",
        "r3 before r12: first CHD 2026-10-01 with a good BP 2026-11-01 -> achieved",
        ACHIEVED,
        diagnoses=[chd(date(2026, 10, 1))],
        events=[bp(date(2026, 11, 1), 120, 80)],
    ),
    c1(
        "c1_achiever_new_reg",
        "r3 before r13: registered 2026-10-01 with a good BP -> achieved",
        ACHIEVED,
        reg=date(2026, 10, 1),
        events=[bp(date(2026, 11, 1), 120, 80)],
    ),
    # ---- rules 4-9: PCAs in the last 12 months ----------------------------------------
    c1(
        "c1_htmax",
        "r4: HTMAX on 2026-04-01 -> HTMAX",
        pca("HTMAX"),
        events=[HIGH, ev("HTMAX_COD", PPSD)],
    ),
    c1(
        "c1_htmax_old",
        "r4: HTMAX on 2026-03-31 (PPED - 12 months) -> outside -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, ev("HTMAX_COD", BEFORE_PPSD)],
    ),
    c1(
        "c1_chdpcapu",
        "r5: CHDPCAPU in year -> CHDPCAPU",
        pca("CHDPCAPU"),
        events=[HIGH, ev("CHDPCAPU_COD", Y)],
    ),
    c1(
        "c1_chdpcapu_old",
        "r5: CHDPCAPU on 2026-03-31 -> outside -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, ev("CHDPCAPU_COD", BEFORE_PPSD)],
    ),
    c1(
        "c1_stiapcapu",
        "r6: stroke patient, STIAPCAPU in year -> STIAPCAPU",
        pca("STIAPCAPU"),
        diagnoses=[ischaemic()],
        events=[HIGH, ev("STIAPCAPU_COD", Y)],
    ),
    c1(
        "c1_stiapcapu_on_chd_patient",
        "r6 (choice: either register's PCA codes count): CHD-only patient with STIAPCAPU",
        pca("STIAPCAPU"),
        events=[HIGH, ev("STIAPCAPU_COD", Y)],
    ),
    c1(
        "c1_bpdec",
        "r7: BPDEC in year -> BPORHBPDEC",
        pca("BPORHBPDEC"),
        events=[ev("BPDEC_COD", Y)],
    ),
    c1(
        "c1_bpdec_old",
        "r7: BPDEC on 2026-03-31 -> outside -> not achieved",
        NOT_ACHIEVED,
        events=[ev("BPDEC_COD", BEFORE_PPSD)],
    ),
    c1(
        "c1_homebpdec",
        "r7: home BP monitoring declined -> BPORHBPDEC",
        pca("BPORHBPDEC"),
        events=[ev("HOMEBPDEC_COD", Y)],
    ),
    c1(
        "c1_abpmdec",
        "r7: ambulatory monitoring declined -> BPORHBPDEC",
        pca("BPORHBPDEC"),
        events=[ev("ABPMDEC_COD", Y)],
    ),
    c1(
        "c1_chdpcadec",
        "r8: CHDPCADEC in year -> CHDPCADEC",
        pca("CHDPCADEC"),
        events=[HIGH, ev("CHDPCADEC_COD", Y)],
    ),
    c1(
        "c1_stiapcadec",
        "r9: stroke patient, STIAPCADEC in year -> STIAPCADEC",
        pca("STIAPCADEC"),
        diagnoses=[tia()],
        events=[HIGH, ev("STIAPCADEC_COD", Y)],
    ),
    c1(
        "c1_stiapcadec_old",
        "r9: STIAPCADEC on 2026-03-31 -> outside -> not achieved",
        NOT_ACHIEVED,
        diagnoses=[tia()],
        events=[HIGH, ev("STIAPCADEC_COD", BEFORE_PPSD)],
    ),
    # ---- order of rules 4-13 ----------------------------------------------------------
    c1(
        "c1_order_htmax_bpdec",
        "r4 before r7: HTMAX and BPDEC -> HTMAX",
        pca("HTMAX"),
        events=[HIGH, ev("BPDEC_COD", Y), ev("HTMAX_COD", Y)],
    ),
    c1(
        "c1_order_htmax_chdpcapu",
        "r4 before r5: HTMAX and CHDPCAPU -> HTMAX",
        pca("HTMAX"),
        events=[HIGH, ev("CHDPCAPU_COD", Y), ev("HTMAX_COD", Y)],
    ),
    c1(
        "c1_order_chd_stia_pcapu",
        "r5 before r6: CHD and stroke, both unsuitable codes -> CHDPCAPU",
        pca("CHDPCAPU"),
        diagnoses=[chd(), ischaemic()],
        events=[HIGH, ev("STIAPCAPU_COD", Y), ev("CHDPCAPU_COD", Y)],
    ),
    c1(
        "c1_order_stiapcapu_bpdec",
        "r6 before r7: STIAPCAPU and BPDEC -> STIAPCAPU",
        pca("STIAPCAPU"),
        diagnoses=[ischaemic()],
        events=[ev("BPDEC_COD", Y), ev("STIAPCAPU_COD", Y)],
    ),
    c1(
        "c1_order_bpdec_chdpcadec",
        "r7 before r8: BPDEC and CHDPCADEC -> BPORHBPDEC",
        pca("BPORHBPDEC"),
        events=[ev("CHDPCADEC_COD", Y), ev("BPDEC_COD", Y)],
    ),
    c1(
        "c1_order_chd_stia_pcadec",
        "r8 before r9: both declined codes -> CHDPCADEC",
        pca("CHDPCADEC"),
        diagnoses=[chd(), ischaemic()],
        events=[HIGH, ev("STIAPCADEC_COD", Y), ev("CHDPCADEC_COD", Y)],
    ),
    c1(
        "c1_order_stiapcadec_invite",
        "r9 before r10: STIAPCADEC and two CHD invitations, no BP -> STIAPCADEC",
        pca("STIAPCADEC"),
        diagnoses=[chd(), ischaemic()],
        events=[ev("STIAPCADEC_COD", Y), chd_inv(date(2026, 5, 1), date(2026, 5, 8))],
    ),
    c1(
        "c1_order_bpdec_newdx",
        "r7 before r12: BPDEC and first CHD 2026-08-01 -> BPORHBPDEC",
        pca("BPORHBPDEC"),
        diagnoses=[chd(date(2026, 8, 1))],
        events=[ev("BPDEC_COD", date(2026, 9, 1))],
    ),
    c1(
        "c1_order_invite_newdx",
        "r10 before r12: first CHD 2026-08-01, invited twice, no BP -> CHDBPINV",
        pca("CHDBPINV"),
        diagnoses=[chd(date(2026, 8, 1))],
        events=[chd_inv(date(2026, 9, 1), date(2026, 9, 8))],
    ),
    # ---- rules 10-11: invitations -----------------------------------------------------
    c1(
        "c1_chd_inv_7_days",
        "r10: no BP, CHD invitations 2026-05-01 and 2026-05-08 (7 days) -> CHDBPINV",
        pca("CHDBPINV"),
        events=[chd_inv(date(2026, 5, 1), date(2026, 5, 8))],
    ),
    c1(
        "c1_chd_inv_6_days",
        "r10: no BP, CHD invitations 6 days apart -> not achieved",
        NOT_ACHIEVED,
        events=[chd_inv(date(2026, 5, 1), date(2026, 5, 7))],
    ),
    c1(
        "c1_chd_inv_before_ppsd",
        "r10: invitations 2026-03-31 (before PPSD) and 2026-04-07 -> one in year -> not achieved",
        NOT_ACHIEVED,
        events=[chd_inv(BEFORE_PPSD, date(2026, 4, 7))],
    ),
    c1(
        "c1_chd_inv_after_high",
        "r10: high BP 2026-06-01 then CHD invitations 06-10 and 06-17 -> CHDBPINV",
        pca("CHDBPINV"),
        events=[HIGH, chd_inv(date(2026, 6, 10), date(2026, 6, 17))],
    ),
    c1(
        "c1_chd_inv_before_high",
        "r10: CHD invitations in May, then high BP 2026-06-01 -> not followed -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, chd_inv(date(2026, 5, 1), date(2026, 5, 8))],
    ),
    c1(
        "c1_stia_inv_7_days",
        "r11: stroke patient, no BP, stroke invitations 7 days apart -> STBPINVITE",
        pca("STBPINVITE"),
        diagnoses=[ischaemic()],
        events=[stia_inv(date(2026, 5, 1), date(2026, 5, 8))],
    ),
    c1(
        "c1_stia_inv_6_days",
        "r11: stroke invitations 6 days apart -> not achieved",
        NOT_ACHIEVED,
        diagnoses=[ischaemic()],
        events=[stia_inv(date(2026, 5, 1), date(2026, 5, 7))],
    ),
    c1(
        "c1_stia_inv_after_high",
        "r11: high BP then stroke invitations 7 days apart -> STBPINVITE",
        pca("STBPINVITE"),
        diagnoses=[tia()],
        events=[HIGH, stia_inv(date(2026, 6, 10), date(2026, 6, 17))],
    ),
    c1(
        "c1_order_chd_stia_invites",
        "r10 before r11: two CHD and two stroke invitations, no BP -> CHDBPINV",
        pca("CHDBPINV"),
        diagnoses=[chd(), ischaemic()],
        events=[
            stia_inv(date(2026, 5, 1), date(2026, 5, 8)),
            chd_inv(date(2026, 5, 1), date(2026, 5, 8)),
        ],
    ),
    c1(
        "c1_mixed_invites",
        "r10/r11 (choice: a pair comes from one register): one CHD and one stroke invitation"
        " 7 days apart -> not achieved",
        NOT_ACHIEVED,
        diagnoses=[chd(), ischaemic()],
        events=[chd_inv(date(2026, 5, 1)), stia_inv(date(2026, 5, 8))],
    ),
    # ---- rule 12: newly diagnosed (earliest CHD, stroke or TIA in 9 months) -------------
    c1(
        "c1_new_chd_9m_in",
        "r12: first CHD 2026-07-01 -> DIAG1_DT9M",
        pca("DIAG1_DT9M"),
        diagnoses=[chd(NEW_9M)],
    ),
    c1(
        "c1_new_chd_9m_out",
        "r12: first CHD 2026-06-30 (PPED - 9 months) -> not achieved",
        NOT_ACHIEVED,
        diagnoses=[chd(OLD_9M)],
    ),
    c1(
        "c1_new_stroke_9m_in",
        "r12: first (ischaemic) stroke 2026-07-01, no CHD -> DIAG1_DT9M",
        pca("DIAG1_DT9M"),
        diagnoses=[ischaemic(NEW_9M)],
    ),
    c1(
        "c1_new_tia_9m_out",
        "r12: first TIA 2026-06-30 -> not achieved",
        NOT_ACHIEVED,
        diagnoses=[tia(OLD_9M)],
    ),
    c1(
        "c1_old_chd_new_stroke",
        "r12: CHD 2015 and a first stroke 2026-08-01 -> earliest CD diagnosis is 2015 ->"
        " not achieved",
        NOT_ACHIEVED,
        diagnoses=[chd(), ischaemic(date(2026, 8, 1))],
    ),
    c1(
        "c1_old_tia_new_chd",
        "r12: TIA 2015 and a first CHD 2026-08-01 -> not newly diagnosed -> not achieved",
        NOT_ACHIEVED,
        diagnoses=[tia(), chd(date(2026, 8, 1))],
    ),
    c1(
        "c1_chd_twice",
        "r12: CHD 2015 and again 2026-08-01 -> earliest is 2015 -> not achieved",
        NOT_ACHIEVED,
        diagnoses=[chd(), chd(date(2026, 8, 1))],
    ),
    # ---- rule 13: newly registered (9 months) -----------------------------------------
    c1("c1_reg_9m_in", "r13: registered 2026-07-01 -> REG1_DAT9", pca("REG1_DAT9"), reg=NEW_9M),
    c1("c1_reg_9m_out", "r13: registered 2026-06-30 -> not achieved", NOT_ACHIEVED, reg=OLD_9M),
    c1(
        "c1_order_newdx_newreg",
        "r12 before r13: diagnosed and registered 2026-10-01 -> DIAG1_DT9M",
        pca("DIAG1_DT9M"),
        diagnoses=[chd(date(2026, 10, 1))],
        reg=date(2026, 10, 1),
    ),
]

CD002_CASES = [
    c2("c2_150_90", "r3: clinic 150/90 -> achieved", ACHIEVED, events=[bp(Y, 150, 90)]),
    c2("c2_151_90", "r3: clinic 151/90 -> not achieved", NOT_ACHIEVED, events=[bp(Y, 151, 90)]),
    c2("c2_150_91", "r3: clinic 150/91 -> not achieved", NOT_ACHIEVED, events=[bp(Y, 150, 91)]),
    c2(
        "c2_between_targets",
        "r3: clinic 145/88 is above 140/90's systolic but within 150/90 -> achieved",
        ACHIEVED,
        events=[bp(Y, 145, 88)],
    ),
    c2(
        "c2_home_145_85",
        "r3: home 145/85 -> achieved",
        ACHIEVED,
        events=[bp(Y, 145, 85, home=True)],
    ),
    c2(
        "c2_home_146_85",
        "r3: home 146/85 -> not achieved",
        NOT_ACHIEVED,
        events=[bp(Y, 146, 85, home=True)],
    ),
    c2(
        "c2_home_145_86",
        "r3: home 145/86 -> not achieved",
        NOT_ACHIEVED,
        events=[bp(Y, 145, 86, home=True)],
    ),
    c2(
        "c2_bp_12m_exactly",
        "r3: BP on 2026-03-31 (PPED - 12 months) -> outside -> not achieved",
        NOT_ACHIEVED,
        events=[bp(BEFORE_PPSD, 120, 80)],
    ),
    c2("c2_bp_on_ppsd", "r3: BP on 2026-04-01 -> achieved", ACHIEVED, events=[bp(PPSD, 120, 80)]),
    c2("c2_frail_mild", "r2: mild frailty -> achieved", ACHIEVED, events=[mild(), GOOD]),
    c2(
        "c2_frail_moderate",
        "r2: moderate frailty -> MDSEVFRAIL despite a good BP",
        FRAIL,
        events=[moderate(), GOOD],
    ),
    c2("c2_frail_severe", "r2: severe frailty -> MDSEVFRAIL", FRAIL, events=[severe(), HIGH]),
    c2(
        "c2_frail_stroke",
        "r2: TIA-only patient aged 85 with moderate frailty -> MDSEVFRAIL",
        FRAIL,
        diagnoses=[tia()],
        events=[moderate()],
    ),
    c2(
        "c2_htmax",
        "r4: HTMAX in year, BP above target -> HTMAX",
        pca("HTMAX"),
        events=[bp(Y, 160, 95), ev("HTMAX_COD", Y)],
    ),
    c2(
        "c2_achiever_htmax",
        "r3 before r4: 150/90 with HTMAX -> achieved",
        ACHIEVED,
        events=[bp(Y, 150, 90), ev("HTMAX_COD", Y)],
    ),
    c2("c2_chdpcapu", "r5: CHDPCAPU -> CHDPCAPU", pca("CHDPCAPU"), events=[ev("CHDPCAPU_COD", Y)]),
    c2(
        "c2_stiapcapu",
        "r6: STIAPCAPU -> STIAPCAPU",
        pca("STIAPCAPU"),
        diagnoses=[ischaemic()],
        events=[ev("STIAPCAPU_COD", Y)],
    ),
    c2(
        "c2_bpdec",
        "r7: BPDEC in year -> BPORHBPDEC",
        pca("BPORHBPDEC"),
        events=[ev("BPDEC_COD", Y)],
    ),
    c2(
        "c2_chdpcadec",
        "r8: CHDPCADEC -> CHDPCADEC",
        pca("CHDPCADEC"),
        events=[ev("CHDPCADEC_COD", Y)],
    ),
    c2(
        "c2_stiapcadec",
        "r9: STIAPCADEC -> STIAPCADEC",
        pca("STIAPCADEC"),
        diagnoses=[ischaemic()],
        events=[ev("STIAPCADEC_COD", Y)],
    ),
    c2(
        "c2_chd_inv_after_high",
        "r10: 155/85 followed by two CHD invitations 7 days apart -> CHDBPINV",
        pca("CHDBPINV"),
        events=[bp(Y, 155, 85), chd_inv(date(2026, 6, 10), date(2026, 6, 17))],
    ),
    c2(
        "c2_within_target_invited",
        "r3 before r10: 148/88 (within 150/90) then two CHD invitations -> achieved",
        ACHIEVED,
        events=[bp(Y, 148, 88), chd_inv(date(2026, 6, 10), date(2026, 6, 17))],
    ),
    c2(
        "c2_stia_inv_6_days",
        "r11: stroke invitations 6 days apart, no BP -> not achieved",
        NOT_ACHIEVED,
        diagnoses=[ischaemic()],
        events=[stia_inv(date(2026, 5, 1), date(2026, 5, 7))],
    ),
    c2(
        "c2_stia_inv_7_days",
        "r11: stroke invitations 7 days apart, no BP -> STBPINVITE",
        pca("STBPINVITE"),
        diagnoses=[ischaemic()],
        events=[stia_inv(date(2026, 5, 1), date(2026, 5, 8))],
    ),
    c2(
        "c2_new_dx",
        "r12: first TIA 2026-07-01 -> DIAG1_DT9M",
        pca("DIAG1_DT9M"),
        diagnoses=[tia(NEW_9M)],
    ),
    c2(
        "c2_new_dx_out",
        "r12: first TIA 2026-06-30 -> not achieved",
        NOT_ACHIEVED,
        diagnoses=[tia(OLD_9M)],
    ),
    c2("c2_reg_9m_in", "r13: registered 2026-07-01 -> REG1_DAT9", pca("REG1_DAT9"), reg=NEW_9M),
    c2("c2_reg_9m_out", "r13: registered 2026-06-30 -> not achieved", NOT_ACHIEVED, reg=OLD_9M),
]

HYP010_CASES = [
    h10("h10_140_90", "r3: clinic 140/90 -> achieved", ACHIEVED, events=[bp(Y, 140, 90)]),
    h10("h10_141_90", "r3: clinic 141/90 -> not achieved", NOT_ACHIEVED, events=[bp(Y, 141, 90)]),
    h10("h10_140_91", "r3: clinic 140/91 -> not achieved", NOT_ACHIEVED, events=[bp(Y, 140, 91)]),
    h10(
        "h10_home_135_85",
        "r3: home 135/85 -> achieved",
        ACHIEVED,
        events=[bp(Y, 135, 85, home=True)],
    ),
    h10(
        "h10_home_136_85",
        "r3: home 136/85 -> not achieved",
        NOT_ACHIEVED,
        events=[bp(Y, 136, 85, home=True)],
    ),
    h10(
        "h10_home_135_86",
        "r3: home 135/86 -> not achieved",
        NOT_ACHIEVED,
        events=[bp(Y, 135, 86, home=True)],
    ),
    h10("h10_bp_on_ppsd", "r3: BP on 2026-04-01 -> achieved", ACHIEVED, events=[bp(PPSD, 120, 80)]),
    h10(
        "h10_bp_12m_exactly",
        "r3: BP on 2026-03-31 (PPED - 12 months) -> outside -> not achieved",
        NOT_ACHIEVED,
        events=[bp(BEFORE_PPSD, 120, 80)],
    ),
    h10("h10_bp_on_pped", "r3: BP on PPED -> achieved", ACHIEVED, events=[bp(PPED, 120, 80)]),
    patient(
        "h10_age_79",
        "r1: 79 on 2027-03-31 -> HYP010 achieved, HYP011 PAT_AGEU80",
        {"HYP010": ACHIEVED, "HYP011": U80},
        dob=AGE79,
        events=[hyp(), GOOD],
    ),
    patient(
        "h10_age_80",
        "r1: 80 on 2027-03-31 -> HYP010 PAT_AGEO79, HYP011 achieved",
        {"HYP010": O79, "HYP011": ACHIEVED},
        dob=AGE80,
        events=[hyp(), GOOD],
    ),
    patient(
        "h10_age_before_frailty",
        "r1 before r2: 85 and severely frail -> HYP010 PAT_AGEO79, HYP011 MDSEVFRAIL",
        {"HYP010": O79, "HYP011": FRAIL},
        dob=AGE85,
        events=[hyp(), severe()],
    ),
    # ---- rule 2: frailty (new in 2026/27) -----------------------------------------------
    h10("h10_frail_mild", "r2: mild frailty -> achieved", ACHIEVED, events=[mild(), GOOD]),
    h10(
        "h10_frail_moderate",
        "r2: moderate frailty -> MDSEVFRAIL despite a good BP",
        FRAIL,
        events=[moderate(), GOOD],
    ),
    h10("h10_frail_severe", "r2: severe frailty -> MDSEVFRAIL", FRAIL, events=[severe()]),
    h10(
        "h10_frail_moderate_then_mild",
        "r2: moderate 2024 then mild 2025 -> latest is mild -> not excluded -> not achieved",
        NOT_ACHIEVED,
        events=[moderate(date(2024, 1, 1)), mild(date(2025, 1, 1)), HIGH],
    ),
    h10(
        "h10_frail_after_achv",
        "r2: moderate frailty coded after ACHV does not exist -> achieved",
        ACHIEVED,
        events=[moderate(AFTER_ACHV), GOOD],
    ),
    h10(
        "h10_frail_before_pca",
        "r2 before r4: moderate frailty and HTMAX -> MDSEVFRAIL",
        FRAIL,
        events=[moderate(), HIGH, ev("HTMAX_COD", Y)],
    ),
    # ---- rules 4-7: PCAs and their order ------------------------------------------------
    h10(
        "h10_achiever_with_pcas",
        "r3 before r4-r7: good BP plus HTMAX, HYPPCAPU, BPDEC, HYPPCADEC -> achieved",
        ACHIEVED,
        events=[
            GOOD,
            ev("HTMAX_COD", Y),
            ev("HYPPCAPU_COD", Y),
            ev("BPDEC_COD", Y),
            ev("HYPPCADEC_COD", Y),
        ],
    ),
    h10(
        "h10_htmax",
        "r4: HTMAX on 2026-04-01 -> HTMAX",
        pca("HTMAX"),
        events=[HIGH, ev("HTMAX_COD", PPSD)],
    ),
    h10(
        "h10_htmax_old",
        "r4: HTMAX on 2026-03-31 -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, ev("HTMAX_COD", BEFORE_PPSD)],
    ),
    h10(
        "h10_pcapu",
        "r5: HYPPCAPU on PPED -> HYPPCAPU",
        pca("HYPPCAPU"),
        events=[HIGH, ev("HYPPCAPU_COD", PPED)],
    ),
    h10(
        "h10_pcapu_old",
        "r5: HYPPCAPU on 2026-03-31 -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, ev("HYPPCAPU_COD", BEFORE_PPSD)],
    ),
    h10(
        "h10_bpdec",
        "r6: BPDEC in year -> BPORHBPDEC",
        pca("BPORHBPDEC"),
        events=[ev("BPDEC_COD", Y)],
    ),
    h10(
        "h10_bpdec_old",
        "r6: BPDEC on 2026-03-31 -> not achieved",
        NOT_ACHIEVED,
        events=[ev("BPDEC_COD", BEFORE_PPSD)],
    ),
    h10(
        "h10_pcadec",
        "r7: HYPPCADEC in year -> HYPPCADEC",
        pca("HYPPCADEC"),
        events=[HIGH, ev("HYPPCADEC_COD", Y)],
    ),
    h10(
        "h10_pcadec_old",
        "r7: HYPPCADEC on 2026-03-31 -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, ev("HYPPCADEC_COD", BEFORE_PPSD)],
    ),
    h10(
        "h10_order_htmax_pcapu",
        "r4 before r5: HTMAX and HYPPCAPU -> HTMAX",
        pca("HTMAX"),
        events=[HIGH, ev("HYPPCAPU_COD", Y), ev("HTMAX_COD", Y)],
    ),
    h10(
        "h10_order_pcapu_bpdec",
        "r5 before r6: HYPPCAPU and BPDEC -> HYPPCAPU",
        pca("HYPPCAPU"),
        events=[ev("BPDEC_COD", Y), ev("HYPPCAPU_COD", Y)],
    ),
    h10(
        "h10_order_bpdec_pcadec",
        "r6 before r7: BPDEC and HYPPCADEC -> BPORHBPDEC",
        pca("BPORHBPDEC"),
        events=[ev("HYPPCADEC_COD", Y), ev("BPDEC_COD", Y)],
    ),
    h10(
        "h10_order_pcadec_invite",
        "r7 before r8: HYPPCADEC and two invitations, no BP -> HYPPCADEC",
        pca("HYPPCADEC"),
        events=[ev("HYPPCADEC_COD", Y), hyp_inv(date(2026, 5, 1), date(2026, 5, 8))],
    ),
    # ---- rule 8: invitations ----------------------------------------------------------
    h10(
        "h10_inv_7_days",
        "r8: no BP, invitations 2026-05-01 and 2026-05-08 (7 days) -> HYPBPINV",
        pca("HYPBPINV"),
        events=[hyp_inv(date(2026, 5, 1), date(2026, 5, 8))],
    ),
    h10(
        "h10_inv_6_days",
        "r8: no BP, invitations 6 days apart -> not achieved",
        NOT_ACHIEVED,
        events=[hyp_inv(date(2026, 5, 1), date(2026, 5, 7))],
    ),
    h10(
        "h10_inv_one",
        "r8: a single invitation -> not achieved",
        NOT_ACHIEVED,
        events=[hyp_inv(date(2026, 5, 1))],
    ),
    h10(
        "h10_inv_first_before_ppsd",
        "r8: invitations 2026-03-31 and 2026-04-07 -> one in year -> not achieved",
        NOT_ACHIEVED,
        events=[hyp_inv(BEFORE_PPSD, date(2026, 4, 7))],
    ),
    h10(
        "h10_inv_on_ppsd",
        "r8: invitations 2026-04-01 and 2026-04-08 -> HYPBPINV",
        pca("HYPBPINV"),
        events=[hyp_inv(PPSD, date(2026, 4, 8))],
    ),
    h10(
        "h10_inv_bp_last_year",
        "r8: only BP 2026-03-01 (not in 12 m) and two invitations -> HYPBPINV",
        pca("HYPBPINV"),
        events=[bp(date(2026, 3, 1), 120, 80), hyp_inv(date(2026, 5, 1), date(2026, 5, 8))],
    ),
    h10(
        "h10_inv_after_high",
        "r8: high BP 2026-06-01 then invitations 06-10 and 06-17 -> HYPBPINV",
        pca("HYPBPINV"),
        events=[HIGH, hyp_inv(date(2026, 6, 10), date(2026, 6, 17))],
    ),
    h10(
        "h10_inv_before_high",
        "r8: invitations in May, then high BP 2026-06-01 -> not followed -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, hyp_inv(date(2026, 5, 1), date(2026, 5, 8))],
    ),
    h10(
        "h10_inv_same_day_as_high",
        "r8: an invitation on the day of the high BP does not follow it -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, hyp_inv(Y, date(2026, 6, 8))],
    ),
    h10(
        "h10_inv_after_high_6_days",
        "r8: high BP then invitations 6 days apart -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, hyp_inv(date(2026, 6, 10), date(2026, 6, 16))],
    ),
    h10(
        "h10_inv_achiever",
        "r3 before r8: good BP then two invitations -> achieved",
        ACHIEVED,
        events=[GOOD, hyp_inv(date(2026, 6, 10), date(2026, 6, 17))],
    ),
    # ---- rules 9-10: new diagnosis / registration -----------------------------------
    h10(
        "h10_dx_9m_in",
        "r9: first HYP_COD 2026-07-01 -> DIAG1_DT9M",
        pca("DIAG1_DT9M"),
        hyp_dx=NEW_9M,
    ),
    h10(
        "h10_dx_9m_out", "r9: first HYP_COD 2026-06-30 -> not achieved", NOT_ACHIEVED, hyp_dx=OLD_9M
    ),
    h10(
        "h10_dx_new_achiever",
        "r3 before r9: diagnosed 2026-10-01 with a good BP -> achieved",
        ACHIEVED,
        hyp_dx=date(2026, 10, 1),
        events=[bp(date(2026, 11, 1), 120, 80)],
    ),
    h10("h10_reg_9m_in", "r10: registered 2026-07-01 -> REG1_DAT9", pca("REG1_DAT9"), reg=NEW_9M),
    h10("h10_reg_9m_out", "r10: registered 2026-06-30 -> not achieved", NOT_ACHIEVED, reg=OLD_9M),
    h10(
        "h10_order_newdx_newreg",
        "r9 before r10: diagnosed and registered 2026-10-01 -> DIAG1_DT9M",
        pca("DIAG1_DT9M"),
        hyp_dx=date(2026, 10, 1),
        reg=date(2026, 10, 1),
    ),
]

HYP011_CASES = [
    h11("h11_150_90", "r3: clinic 150/90 -> achieved", ACHIEVED, events=[bp(Y, 150, 90)]),
    h11("h11_151_90", "r3: clinic 151/90 -> not achieved", NOT_ACHIEVED, events=[bp(Y, 151, 90)]),
    h11("h11_150_91", "r3: clinic 150/91 -> not achieved", NOT_ACHIEVED, events=[bp(Y, 150, 91)]),
    h11(
        "h11_home_145_85",
        "r3: home 145/85 -> achieved",
        ACHIEVED,
        events=[bp(Y, 145, 85, home=True)],
    ),
    h11(
        "h11_home_146_85",
        "r3: home 146/85 -> not achieved",
        NOT_ACHIEVED,
        events=[bp(Y, 146, 85, home=True)],
    ),
    h11(
        "h11_home_145_86",
        "r3: home 145/86 -> not achieved",
        NOT_ACHIEVED,
        events=[bp(Y, 145, 86, home=True)],
    ),
    h11(
        "h11_bp_12m_exactly",
        "r3: BP on 2026-03-31 (PPED - 12 months) -> not achieved",
        NOT_ACHIEVED,
        events=[bp(BEFORE_PPSD, 120, 80)],
    ),
    h11("h11_frail_mild", "r2: mild frailty -> achieved", ACHIEVED, events=[mild(), GOOD]),
    h11(
        "h11_frail_moderate",
        "r2: moderate frailty -> MDSEVFRAIL despite a good BP",
        FRAIL,
        events=[moderate(), GOOD],
    ),
    h11("h11_frail_severe", "r2: severe frailty -> MDSEVFRAIL", FRAIL, events=[severe(), HIGH]),
    h11(
        "h11_htmax",
        "r4: HTMAX in year, BP above 150/90 -> HTMAX",
        pca("HTMAX"),
        events=[bp(Y, 160, 95), ev("HTMAX_COD", Y)],
    ),
    h11(
        "h11_pcapu",
        "r5: HYPPCAPU in year -> HYPPCAPU",
        pca("HYPPCAPU"),
        events=[ev("HYPPCAPU_COD", Y)],
    ),
    h11(
        "h11_bpdec",
        "r6: BPDEC in year -> BPORHBPDEC",
        pca("BPORHBPDEC"),
        events=[ev("BPDEC_COD", Y)],
    ),
    h11(
        "h11_pcadec",
        "r7: HYPPCADEC in year -> HYPPCADEC",
        pca("HYPPCADEC"),
        events=[ev("HYPPCADEC_COD", Y)],
    ),
    h11(
        "h11_within_target_invited",
        "r3 before r8: 145/88 (within 150/90) then two invitations -> achieved",
        ACHIEVED,
        events=[bp(Y, 145, 88), hyp_inv(date(2026, 6, 10), date(2026, 6, 17))],
    ),
    h11(
        "h11_high_invited",
        "r8: 155/85 then two invitations 7 days apart -> HYPBPINV",
        pca("HYPBPINV"),
        events=[bp(Y, 155, 85), hyp_inv(date(2026, 6, 10), date(2026, 6, 17))],
    ),
    h11(
        "h11_inv_6_days",
        "r8: no BP, invitations 6 days apart -> not achieved",
        NOT_ACHIEVED,
        events=[hyp_inv(date(2026, 5, 1), date(2026, 5, 7))],
    ),
    h11(
        "h11_dx_9m", "r9: first HYP_COD 2026-07-01 -> DIAG1_DT9M", pca("DIAG1_DT9M"), hyp_dx=NEW_9M
    ),
    h11("h11_reg_9m", "r10: registered 2026-07-01 -> REG1_DAT9", pca("REG1_DAT9"), reg=NEW_9M),
    h11("h11_reg_9m_out", "r10: registered 2026-06-30 -> not achieved", NOT_ACHIEVED, reg=OLD_9M),
]

CASES = REGISTER_CASES + CD001_CASES + CD002_CASES + HYP010_CASES + HYP011_CASES


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_cvd_2026_27(c, check):
    check(c, CASES)
