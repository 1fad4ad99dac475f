"""HYP_REG (HYP001), HYP008 (aged <= 79, BP <= 140/90) and HYP009 (aged >= 80, BP <= 150/90).

Register: a HYP_COD on or before ACHV whose latest one is not followed by a later HYPRES_COD
(same day keeps the patient); all ages. On the register = a row for HYP008 and HYP009.

Chain (v46 HYP003/HYP007 shape; reason fields per NHS Digital 2023/24 HYP008/HYP009):
  1 HYP008: age > 79 on ACHV -> excluded PAT_AGEO79; HYP009: age < 80 -> excluded PAT_AGEU80
  2 latest BP date after PPED - 12 months (>= 2025-04-01), lowest systolic and diastolic that
    day within target -> achieved. HYP008 clinic <= 140/90, home <= 135/85; HYP009 clinic
    <= 150/90, home <= 145/85
  3 HTMAX_COD in 12 m -> HTMAX     4 HYPPCAPU_COD 12 m -> HYPPCAPU
  5 BPDEC / HOMEBPDEC / ABPMDEC 12 m -> BPORHBPDEC     6 HYPPCADEC_COD 12 m -> HYPPCADEC
  7 two HYPINVITE_COD on/after PPSD >= 7 days apart, and no BP in 12 m; or the latest in-year
    BP above target and both invitations after it -> HYPBPINV
  8 earliest HYP_COD after PPED - 9 months (>= 2025-07-01) -> DIAG1_DT9M
  9 registered after PPED - 9 months (>= 2025-07-01) -> REG1_DAT9; else not achieved
Default patient: 65 on ACHV, registered 2000, hypertension diagnosed 2015, no diabetes.
"""

from __future__ import annotations

from datetime import date

import pytest
from rulecases import ACHIEVED, NOT_ACHIEVED, bp, case, case_id, ev, excluded, pca

DX = date(2015, 1, 1)
Y = date(2025, 6, 1)  # a day inside the payment year
AGE79 = date(1946, 4, 1)  # 79 on 2026-03-31
AGE80 = date(1946, 3, 31)  # 80 on 2026-03-31
AGE85 = date(1940, 6, 15)
U80 = excluded("PAT_AGEU80")
O79 = excluded("PAT_AGEO79")
HIGH = bp(Y, 150, 95)  # above both targets


def hyp(pid, why, expect, *, hyp_dx=DX, events=(), **kw):
    evs = ([ev("HYP_COD", hyp_dx)] if hyp_dx else []) + list(events)
    return case(pid, why, expect, dx=None, events=evs, **kw)


def h8(pid, why, expect, **kw):
    """A HYP008 case (default age 65, so HYP009 is excluded PAT_AGEU80)."""
    return hyp(pid, why, {"HYP008": expect, "HYP009": U80}, **kw)


def h9(pid, why, expect, **kw):
    """A HYP009 case for an 85-year-old (HYP008 excluded PAT_AGEO79)."""
    kw.setdefault("dob", AGE85)
    return hyp(pid, why, {"HYP009": expect, "HYP008": O79}, **kw)


def inv(*dates):
    return [ev("HYPINVITE_COD", d) for d in dates]


OFF = {"HYP008": None, "HYP009": None}

CASES = [
    # ---- register -----------------------------------------------------------------------
    hyp("reg_dx", "reg: HYP_COD 2015, never resolved -> on register", {"HYP008": NOT_ACHIEVED}),
    hyp("reg_none", "reg: no HYP_COD -> no rows", OFF, hyp_dx=None),
    hyp(
        "reg_dx_on_achv",
        "reg: HYP_COD dated on ACHV counts -> on (and newly diagnosed for HYP008)",
        {"HYP008": pca("DIAG1_DT9M")},
        hyp_dx=date(2026, 3, 31),
    ),
    hyp(
        "reg_dx_after_achv", "reg: HYP_COD after ACHV ignored -> off", OFF, hyp_dx=date(2026, 4, 1)
    ),
    hyp(
        "reg_resolved",
        "reg: HYPRES_COD after the latest HYP_COD -> off",
        OFF,
        events=[ev("HYPRES_COD", date(2020, 5, 1))],
    ),
    hyp(
        "reg_resolved_same_day",
        "reg: HYPRES_COD on the day of the latest HYP_COD does not follow it -> on",
        {"HYP008": NOT_ACHIEVED},
        events=[ev("HYPRES_COD", DX)],
    ),
    hyp(
        "reg_rediagnosed",
        "reg: dx 2015, resolved 2020, dx again 2022 -> latest dx unresolved -> on",
        {"HYP008": NOT_ACHIEVED},
        events=[ev("HYPRES_COD", date(2020, 5, 1)), ev("HYP_COD", date(2022, 2, 1))],
    ),
    hyp(
        "reg_resolved_after_achv",
        "reg: HYPRES_COD after ACHV does not exist -> on",
        {"HYP008": NOT_ACHIEVED},
        events=[ev("HYPRES_COD", date(2026, 4, 1))],
    ),
    hyp(
        "reg_child",
        "reg: all ages -> a 10-year-old with hypertension is on (HYP008 applies)",
        {"HYP008": ACHIEVED, "HYP009": U80},
        dob=date(2015, 6, 1),
        events=[bp(Y, 110, 70)],
    ),
    hyp("reg_dead", "population: died before ACHV -> no rows", OFF, death=date(2025, 12, 1)),
    hyp(
        "reg_dereg_on_achv",
        "population: deregistered on ACHV -> no rows",
        OFF,
        dereg=date(2026, 3, 31),
    ),
    hyp(
        "reg_dereg_after_achv",
        "population: deregistered after ACHV -> still counted",
        {"HYP008": NOT_ACHIEVED},
        dereg=date(2026, 4, 1),
    ),
    # ---- rule 1: age bands on ACHV ------------------------------------------------------
    hyp(
        "age_79",
        "r1: 79 on ACHV -> HYP008 applies (achieved), HYP009 excluded PAT_AGEU80",
        {"HYP008": ACHIEVED, "HYP009": U80},
        dob=AGE79,
        events=[bp(Y, 120, 80)],
    ),
    hyp(
        "age_80",
        "r1: 80 on ACHV (birthday on PPED) -> HYP008 excluded PAT_AGEO79, HYP009 applies",
        {"HYP008": O79, "HYP009": ACHIEVED},
        dob=AGE80,
        events=[bp(Y, 120, 80)],
    ),
    # ---- rule 2: HYP008 thresholds ------------------------------------------------------
    h8("h8_140_90", "r2: clinic 140/90 -> achieved", ACHIEVED, events=[bp(Y, 140, 90)]),
    h8("h8_141_90", "r2: clinic 141/90 -> not achieved", NOT_ACHIEVED, events=[bp(Y, 141, 90)]),
    h8("h8_140_91", "r2: clinic 140/91 -> not achieved", NOT_ACHIEVED, events=[bp(Y, 140, 91)]),
    h8("h8_no_bp", "r2: no BP, nothing else -> not achieved", NOT_ACHIEVED),
    h8(
        "h8_home_135_85",
        "r2: home 135/85 -> achieved",
        ACHIEVED,
        events=[bp(Y, 135, 85, home=True)],
    ),
    h8(
        "h8_home_136_85",
        "r2: home 136/85 -> above the home target -> not achieved",
        NOT_ACHIEVED,
        events=[bp(Y, 136, 85, home=True)],
    ),
    h8(
        "h8_home_135_86",
        "r2: home 135/86 -> above the home target -> not achieved",
        NOT_ACHIEVED,
        events=[bp(Y, 135, 86, home=True)],
    ),
    h8(
        "h8_abpm_135_85",
        "r2: ambulatory 135/85 -> achieved (HOMEAMBBP_COD)",
        ACHIEVED,
        events=[bp(Y, 135, 85, ambulatory=True)],
    ),
    # ---- rule 2: window and latest reading ----------------------------------------------
    h8(
        "h8_bp_on_ppsd",
        "r2: BP on 2025-04-01 is in the 12 m -> achieved",
        ACHIEVED,
        events=[bp(date(2025, 4, 1), 120, 80)],
    ),
    h8(
        "h8_bp_before_ppsd",
        "r2: BP on 2025-03-31 is not after PPED - 12 months -> not achieved",
        NOT_ACHIEVED,
        events=[bp(date(2025, 3, 31), 120, 80)],
    ),
    h8(
        "h8_bp_on_pped",
        "r2: BP on PPED -> achieved",
        ACHIEVED,
        events=[bp(date(2026, 3, 31), 120, 80)],
    ),
    h8(
        "h8_bp_after_achv",
        "r2: a good BP after ACHV does not exist; the latest is the high one -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, bp(date(2026, 4, 1), 120, 80)],
    ),
    h8(
        "h8_latest_high",
        "r2: good BP in May, high BP in September -> latest decides -> not achieved",
        NOT_ACHIEVED,
        events=[bp(date(2025, 5, 1), 120, 80), bp(date(2025, 9, 1), 150, 95)],
    ),
    h8(
        "h8_latest_good",
        "r2: high BP in May, good BP in September -> achieved",
        ACHIEVED,
        events=[bp(date(2025, 5, 1), 150, 95), bp(date(2025, 9, 1), 120, 80)],
    ),
    h8(
        "h8_same_day_lowest",
        "r2: two readings on the latest day (150/95, 130/85) -> lowest of each -> achieved",
        ACHIEVED,
        events=[bp(Y, 150, 95), bp(Y, 130, 85)],
    ),
    # ---- achievers keep their status despite PCA codes ----------------------------------
    h8(
        "h8_achiever_with_pcas",
        "r2 before r3-r6: good BP plus HTMAX, HYPPCAPU, BPDEC and HYPPCADEC in year -> achieved",
        ACHIEVED,
        events=[
            bp(Y, 120, 80),
            ev("HTMAX_COD", Y),
            ev("HYPPCAPU_COD", Y),
            ev("BPDEC_COD", Y),
            ev("HYPPCADEC_COD", Y),
        ],
    ),
    # ---- rules 3-6: PCAs in the 12 months ---------------------------------------------
    h8(
        "h8_htmax",
        "r3: HTMAX on 2025-04-01 -> pca HTMAX",
        pca("HTMAX"),
        events=[HIGH, ev("HTMAX_COD", date(2025, 4, 1))],
    ),
    h8(
        "h8_htmax_old",
        "r3: HTMAX on 2025-03-31 is out of the window -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, ev("HTMAX_COD", date(2025, 3, 31))],
    ),
    h8(
        "h8_pcapu",
        "r4: HYPPCAPU on PPED -> pca HYPPCAPU",
        pca("HYPPCAPU"),
        events=[HIGH, ev("HYPPCAPU_COD", date(2026, 3, 31))],
    ),
    h8(
        "h8_pcapu_old",
        "r4: HYPPCAPU on 2025-03-31 -> out of window -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, ev("HYPPCAPU_COD", date(2025, 3, 31))],
    ),
    h8(
        "h8_bpdec",
        "r5: BPDEC in year -> pca BPORHBPDEC",
        pca("BPORHBPDEC"),
        events=[ev("BPDEC_COD", Y)],
    ),
    h8(
        "h8_bpdec_old",
        "r5: BPDEC on 2025-03-31 -> out of window -> not achieved",
        NOT_ACHIEVED,
        events=[ev("BPDEC_COD", date(2025, 3, 31))],
    ),
    h8(
        "h8_homebpdec",
        "r5: home BP monitoring declined in year -> pca BPORHBPDEC",
        pca("BPORHBPDEC"),
        events=[ev("HOMEBPDEC_COD", Y)],
    ),
    h8(
        "h8_abpmdec",
        "r5: ambulatory BP monitoring declined in year -> pca BPORHBPDEC",
        pca("BPORHBPDEC"),
        events=[ev("ABPMDEC_COD", Y)],
    ),
    h8(
        "h8_pcadec",
        "r6: HYPPCADEC in year -> pca HYPPCADEC",
        pca("HYPPCADEC"),
        events=[HIGH, ev("HYPPCADEC_COD", Y)],
    ),
    h8(
        "h8_pcadec_old",
        "r6: HYPPCADEC on 2025-03-31 -> out of window -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, ev("HYPPCADEC_COD", date(2025, 3, 31))],
    ),
    # ---- order of rules 3-7 -------------------------------------------------------------
    h8(
        "h8_order_htmax_pcapu",
        "r3 before r4: HTMAX and HYPPCAPU -> HTMAX",
        pca("HTMAX"),
        events=[HIGH, ev("HTMAX_COD", Y), ev("HYPPCAPU_COD", Y)],
    ),
    h8(
        "h8_order_pcapu_bpdec",
        "r4 before r5: HYPPCAPU and BPDEC -> HYPPCAPU",
        pca("HYPPCAPU"),
        events=[ev("HYPPCAPU_COD", Y), ev("BPDEC_COD", Y)],
    ),
    h8(
        "h8_order_bpdec_pcadec",
        "r5 before r6: BPDEC and HYPPCADEC -> BPORHBPDEC",
        pca("BPORHBPDEC"),
        events=[ev("BPDEC_COD", Y), ev("HYPPCADEC_COD", Y)],
    ),
    h8(
        "h8_order_pcadec_invite",
        "r6 before r7: HYPPCADEC and two invitations, no BP -> HYPPCADEC",
        pca("HYPPCADEC"),
        events=[ev("HYPPCADEC_COD", Y), inv(date(2025, 5, 1), date(2025, 5, 8))],
    ),
    h8(
        "h8_order_invite_newdx",
        "r7 before r8: invited twice, no BP, diagnosed 2025-08-01 -> HYPBPINV",
        pca("HYPBPINV"),
        hyp_dx=date(2025, 8, 1),
        events=[inv(date(2025, 9, 1), date(2025, 9, 8))],
    ),
    # ---- rule 7: invitations --------------------------------------------------------------
    h8(
        "h8_inv_7_days",
        "r7: no BP, invitations 2025-05-01 and 2025-05-08 (7 days) -> HYPBPINV",
        pca("HYPBPINV"),
        events=[inv(date(2025, 5, 1), date(2025, 5, 8))],
    ),
    h8(
        "h8_inv_6_days",
        "r7: no BP, invitations 6 days apart -> not achieved",
        NOT_ACHIEVED,
        events=[inv(date(2025, 5, 1), date(2025, 5, 7))],
    ),
    h8(
        "h8_inv_one",
        "r7: a single invitation -> not achieved",
        NOT_ACHIEVED,
        events=[inv(date(2025, 5, 1))],
    ),
    h8(
        "h8_inv_first_before_ppsd",
        "r7: invitations 2025-03-31 (before PPSD) and 2025-04-07 -> one in year -> not achieved",
        NOT_ACHIEVED,
        events=[inv(date(2025, 3, 31), date(2025, 4, 7))],
    ),
    h8(
        "h8_inv_on_ppsd",
        "r7: invitations on 2025-04-01 and 2025-04-08 -> HYPBPINV",
        pca("HYPBPINV"),
        events=[inv(date(2025, 4, 1), date(2025, 4, 8))],
    ),
    h8(
        "h8_inv_bp_last_year",
        "r7: only BP is from 2025-03-01 (not in 12 m), two invitations -> HYPBPINV",
        pca("HYPBPINV"),
        events=[bp(date(2025, 3, 1), 120, 80), inv(date(2025, 5, 1), date(2025, 5, 8))],
    ),
    h8(
        "h8_inv_after_high",
        "r7: high BP 2025-06-01 followed by invitations 06-10 and 06-17 -> HYPBPINV",
        pca("HYPBPINV"),
        events=[HIGH, inv(date(2025, 6, 10), date(2025, 6, 17))],
    ),
    h8(
        "h8_inv_before_high",
        "r7: invitations in May, then high BP 2025-06-01 -> not followed -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, inv(date(2025, 5, 1), date(2025, 5, 8))],
    ),
    h8(
        "h8_inv_straddle_high",
        "r7: one invitation before the high BP, one after -> not two after -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, inv(date(2025, 5, 25), date(2025, 6, 10))],
    ),
    h8(
        "h8_inv_same_day_as_high",
        "r7: invitation on the day of the high BP does not follow it; one later -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, inv(date(2025, 6, 1), date(2025, 6, 8))],
    ),
    h8(
        "h8_inv_after_high_6_days",
        "r7: high BP then invitations 6 days apart -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, inv(date(2025, 6, 10), date(2025, 6, 16))],
    ),
    # ---- rule 8: newly diagnosed (9 months) ---------------------------------------------
    h8(
        "h8_dx_9m_in",
        "r8: first HYP_COD 2025-07-01 -> DIAG1_DT9M",
        pca("DIAG1_DT9M"),
        hyp_dx=date(2025, 7, 1),
    ),
    h8(
        "h8_dx_9m_out",
        "r8: first HYP_COD 2025-06-30 -> not achieved",
        NOT_ACHIEVED,
        hyp_dx=date(2025, 6, 30),
    ),
    h8(
        "h8_dx_earliest",
        "r8: HYP_COD in 2015 and again 2025-08-01 -> earliest is 2015 -> not achieved",
        NOT_ACHIEVED,
        events=[ev("HYP_COD", date(2025, 8, 1))],
    ),
    h8(
        "h8_dx_new_achiever",
        "r2 before r8: newly diagnosed with a good BP -> achieved",
        ACHIEVED,
        hyp_dx=date(2025, 10, 1),
        events=[bp(date(2025, 11, 1), 120, 80)],
    ),
    # ---- rule 9: newly registered (9 months) --------------------------------------------
    h8(
        "h8_reg_9m_in",
        "r9: registered 2025-07-01 -> REG1_DAT9",
        pca("REG1_DAT9"),
        reg=date(2025, 7, 1),
    ),
    h8(
        "h8_reg_9m_out",
        "r9: registered 2025-06-30 -> not achieved",
        NOT_ACHIEVED,
        reg=date(2025, 6, 30),
    ),
    h8(
        "h8_reg_new_achiever",
        "r2 before r9: registered 2025-10-01 with a good BP -> achieved",
        ACHIEVED,
        reg=date(2025, 10, 1),
        events=[bp(date(2025, 11, 1), 120, 80)],
    ),
    # ---- HYP009 (aged 80 or over) -----------------------------------------------------
    h9("h9_150_90", "HYP009 r2: clinic 150/90 -> achieved", ACHIEVED, events=[bp(Y, 150, 90)]),
    h9(
        "h9_151_90",
        "HYP009 r2: clinic 151/90 -> not achieved",
        NOT_ACHIEVED,
        events=[bp(Y, 151, 90)],
    ),
    h9(
        "h9_150_91",
        "HYP009 r2: clinic 150/91 -> not achieved",
        NOT_ACHIEVED,
        events=[bp(Y, 150, 91)],
    ),
    h9(
        "h9_home_145_85",
        "HYP009 r2: home 145/85 -> achieved",
        ACHIEVED,
        events=[bp(Y, 145, 85, home=True)],
    ),
    h9(
        "h9_home_146_85",
        "HYP009 r2: home 146/85 -> not achieved",
        NOT_ACHIEVED,
        events=[bp(Y, 146, 85, home=True)],
    ),
    h9(
        "h9_home_145_86",
        "HYP009 r2: home 145/86 -> not achieved",
        NOT_ACHIEVED,
        events=[bp(Y, 145, 86, home=True)],
    ),
    h9(
        "h9_bp_before_ppsd",
        "HYP009 r2: BP on 2025-03-31 -> out of window -> not achieved",
        NOT_ACHIEVED,
        events=[bp(date(2025, 3, 31), 120, 80)],
    ),
    h9(
        "h9_between_targets_invited",
        "HYP009 r2/r7: 145/88 is within 150/90 -> achieved despite later invitations",
        ACHIEVED,
        events=[bp(Y, 145, 88), inv(date(2025, 6, 10), date(2025, 6, 17))],
    ),
    h9(
        "h9_high_invited",
        "HYP009 r7: 155/85 followed by two invitations 7 days apart -> HYPBPINV",
        pca("HYPBPINV"),
        events=[bp(Y, 155, 85), inv(date(2025, 6, 10), date(2025, 6, 17))],
    ),
    h9(
        "h9_htmax",
        "HYP009 r3: HTMAX in year, BP above 150/90 -> HTMAX",
        pca("HTMAX"),
        events=[bp(Y, 160, 95), ev("HTMAX_COD", Y)],
    ),
    h9(
        "h9_pcapu",
        "HYP009 r4: HYPPCAPU in year -> HYPPCAPU",
        pca("HYPPCAPU"),
        events=[ev("HYPPCAPU_COD", Y)],
    ),
    h9(
        "h9_bpdec",
        "HYP009 r5: BPDEC in year -> BPORHBPDEC",
        pca("BPORHBPDEC"),
        events=[ev("BPDEC_COD", Y)],
    ),
    h9(
        "h9_pcadec",
        "HYP009 r6: HYPPCADEC in year -> HYPPCADEC",
        pca("HYPPCADEC"),
        events=[ev("HYPPCADEC_COD", Y)],
    ),
    h9(
        "h9_dx_9m",
        "HYP009 r8: first HYP_COD 2025-07-01 -> DIAG1_DT9M",
        pca("DIAG1_DT9M"),
        hyp_dx=date(2025, 7, 1),
    ),
    h9(
        "h9_reg_9m",
        "HYP009 r9: registered 2025-07-01 -> REG1_DAT9",
        pca("REG1_DAT9"),
        reg=date(2025, 7, 1),
    ),
    h9(
        "h9_reg_9m_out",
        "HYP009 r9: registered 2025-06-30 -> not achieved",
        NOT_ACHIEVED,
        reg=date(2025, 6, 30),
    ),
]


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_hyp(c, check):
    check(c, CASES)
