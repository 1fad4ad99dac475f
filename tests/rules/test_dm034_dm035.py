"""DM034 (primary prevention lipid therapy) and DM035 (secondary prevention), new in 2025/26.

CVD = CHD_COD, STRK_COD, TIA_COD, PAD_COD or familial hypercholesterolaemia ever (<= ACHV), or
unresolved CKD 3-5 (latest CKD_COD not followed by CKD1AND2_COD / CKDRES_COD).
DM034:  1 age <= 39 -> excluded PAT_AGEU39      2 CVD -> excluded CVDHIST
        3 latest frailty mod/sev -> excluded MDSEVFRAIL
        4 latest diabetes type code is type 2 and latest CVD risk score, dated in the 3 years
          to ACHV (after ACHV - 3 years), is under 10 -> excluded DMTYPE2
DM035:  1 no CVD -> excluded CVDNOHIST           2 HSTRK_COD ever -> excluded HSTRK
Both then: statin (STAT_COD) issued in 6 m -> achieved; or (statin intolerant ever / declined
12 m / persisting CI ever / expiring CI 12 m) and another lipid-lowering drug in 6 m ->
achieved; then PCAs CHOLMAX 12 m, LLTADV ever, LLTCONNIND 12 m, LLTDEC12M 12 m, DMPCAPU,
DMPCADEC, DMINVITE, DIAG1_DAT (3 m), REG1_DAT3; else not_achieved.
Cluster names for FH, non-statin drugs and LLT PCAs follow the ruleset's fields.yaml; cases
skip until those clusters ship.
"""

from __future__ import annotations

from datetime import date

import pytest
from rulecases import ACHIEVED, NOT_ACHIEVED, case, case_id, ev, excluded, invites, pca

OLD = date(2010, 1, 1)
Y = date(2025, 6, 1)
STATIN = ev("STAT_COD", date(2025, 11, 1))  # issued in the last 6 months
CHD = ev("CHD_COD", OLD)
NO_CVD = excluded("CVDNOHIST")
CVD = excluded("CVDHIST")
TYPE2 = ev("DMTYPE2_COD", date(2015, 1, 1))
FH = "FHYP_COD|FHYPGEN_COD"


def risk(when: date, value: float):
    """A QRISK score (code in both CVDASS2_COD and QRISKSCORE_COD)."""
    return ev("CVDASS2_COD", when, value, also=("QRISKSCORE_COD",))


def primary(pid, why, expect, **kw):
    """A patient without CVD: DM034 as given, DM035 excluded CVDNOHIST."""
    return case(pid, why, {"DM034": expect, "DM035": NO_CVD}, **kw)


def secondary(pid, why, expect, events=(), **kw):
    """A patient with CHD since 2010: DM034 excluded CVDHIST, DM035 as given."""
    return case(pid, why, {"DM034": CVD, "DM035": expect}, events=[CHD, *events], **kw)


CASES = [
    # ---- numerator: statin in the last 6 months ----------------------------------------
    primary(
        "p_statin_in",
        "statin issued 2025-11-01 (in 6 m) -> DM034 achieved",
        ACHIEVED,
        events=[STATIN],
    ),
    primary(
        "p_statin_2025_10_01",
        "statin issued 2025-10-01 (after PPED - 6 months) -> achieved",
        ACHIEVED,
        events=[ev("STAT_COD", date(2025, 10, 1))],
    ),
    primary(
        "p_statin_2025_09_30",
        "statin issued 2025-09-30 -> not in 6 m -> not achieved",
        NOT_ACHIEVED,
        events=[ev("STAT_COD", date(2025, 9, 30))],
    ),
    primary(
        "p_statin_after_achv",
        "statin issued after ACHV is ignored -> not achieved",
        NOT_ACHIEVED,
        events=[ev("STAT_COD", date(2026, 4, 1))],
    ),
    primary("p_none", "no statin, no PCA -> not achieved", NOT_ACHIEVED),
    # ---- DM034 rule 1: age 40+ ---------------------------------------------------------
    primary(
        "p_age_40",
        "DM034 r1: born 1986-03-31, 40 on PPED -> in; statin -> achieved",
        ACHIEVED,
        dob=date(1986, 3, 31),
        events=[STATIN],
    ),
    primary(
        "p_age_39",
        "DM034 r1: born 1986-04-01, 39 on PPED -> PAT_AGEU39",
        excluded("PAT_AGEU39"),
        dob=date(1986, 4, 1),
        events=[STATIN],
    ),
    case(
        "age_30_with_chd",
        "DM034 r1 before r2: aged 30 with CHD -> PAT_AGEU39; DM035 has"
        " no age limit -> statin -> achieved",
        {"DM034": excluded("PAT_AGEU39"), "DM035": ACHIEVED},
        dob=date(1995, 6, 1),
        dx=date(2020, 1, 1),
        events=[CHD, STATIN],
    ),
    # ---- CVD definition (DM034 r2 / DM035 r1) --------------------------------------------
    secondary(
        "s_chd_statin",
        "CHD: DM034 CVDHIST; DM035 statin in 6 m -> achieved",
        ACHIEVED,
        events=[STATIN],
    ),
    secondary("s_chd_no_statin", "CHD, no statin -> DM035 not achieved", NOT_ACHIEVED),
    case(
        "cvd_stroke",
        "STRK_COD (non-haemorrhagic) is CVD",
        {"DM034": CVD, "DM035": NOT_ACHIEVED},
        events=[ev("STRK_COD", OLD)],
    ),
    case(
        "cvd_tia",
        "TIA_COD is CVD",
        {"DM034": CVD, "DM035": NOT_ACHIEVED},
        events=[ev("TIA_COD", OLD)],
    ),
    case(
        "cvd_pad",
        "PAD_COD is CVD",
        {"DM034": CVD, "DM035": NOT_ACHIEVED},
        events=[ev("PAD_COD", OLD)],
    ),
    case(
        "cvd_fh",
        "familial hypercholesterolaemia is CVD history for DM034/DM035",
        {"DM034": CVD, "DM035": ACHIEVED},
        events=[ev(FH, OLD), STATIN],
    ),
    case(
        "cvd_ckd",
        "unresolved CKD 3-5 (CKD_COD 2020) is CVD",
        {"DM034": CVD, "DM035": ACHIEVED},
        events=[ev("CKD_COD", date(2020, 1, 1)), STATIN],
    ),
    primary(
        "ckd_downstaged",
        "CKD_COD 2020 then CKD1AND2_COD 2021 -> resolved -> no CVD",
        ACHIEVED,
        events=[ev("CKD_COD", date(2020, 1, 1)), ev("CKD1AND2_COD", date(2021, 1, 1)), STATIN],
    ),
    primary(
        "ckd_resolved",
        "CKD_COD 2020 then CKDRES_COD 2022 -> no CVD",
        NOT_ACHIEVED,
        events=[ev("CKD_COD", date(2020, 1, 1)), ev("CKDRES_COD", date(2022, 1, 1))],
    ),
    case(
        "ckd_restaged",
        "CKD1AND2 2019 then CKD_COD 2021 -> unresolved CKD 3-5 -> CVD",
        {"DM034": CVD, "DM035": NOT_ACHIEVED},
        events=[ev("CKD1AND2_COD", date(2019, 1, 1)), ev("CKD_COD", date(2021, 1, 1))],
    ),
    primary(
        "chd_after_achv",
        "CHD_COD dated after ACHV is ignored -> no CVD",
        ACHIEVED,
        events=[ev("CHD_COD", date(2026, 4, 1)), STATIN],
    ),
    # ---- DM035 rule 2: haemorrhagic stroke ----------------------------------------------
    secondary(
        "s_hstrk",
        "DM035 r2: CHD and a haemorrhagic stroke (2018) -> HSTRK, even with a statin",
        excluded("HSTRK"),
        events=[ev("HSTRK_COD", date(2018, 1, 1), also=("STRK_COD",)), STATIN],
    ),
    case(
        "hstrk_only",
        "DM035 r1/r2: haemorrhagic stroke only (a STRK_COD too) -> HSTRK",
        {"DM035": excluded("HSTRK")},
        events=[ev("HSTRK_COD", date(2018, 1, 1), also=("STRK_COD",))],
    ),
    secondary(
        "s_hstrk_after_achv",
        "DM035 r2: HSTRK_COD after ACHV is ignored",
        NOT_ACHIEVED,
        events=[ev("HSTRK_COD", date(2026, 4, 1), also=("STRK_COD",))],
    ),
    # ---- DM034 rule 3: frailty (DM035 has no frailty gate) --------------------------------
    primary(
        "p_mod_frail",
        "DM034 r3: latest frailty moderate -> MDSEVFRAIL",
        excluded("MDSEVFRAIL"),
        events=[ev("MODFRAIL_COD", date(2024, 1, 1)), STATIN],
    ),
    primary(
        "p_sev_then_mild",
        "DM034 r3: severe 2023 then mild 2024 -> not frail -> statin -> achieved",
        ACHIEVED,
        events=[
            ev("SEVFRAIL_COD", date(2023, 1, 1)),
            ev("MILDFRAIL_COD", date(2024, 1, 1)),
            STATIN,
        ],
    ),
    secondary(
        "s_sev_frail",
        "DM035: no frailty exclusion: severe frailty + statin -> achieved",
        ACHIEVED,
        events=[ev("SEVFRAIL_COD", date(2024, 1, 1)), STATIN],
    ),
    # ---- DM034 rule 4: type 2 with low CVD risk ------------------------------------------
    primary(
        "t2_risk_8",
        "DM034 r4: type 2, QRISK 8 on 2024-05-01 -> DMTYPE2",
        excluded("DMTYPE2"),
        events=[TYPE2, risk(date(2024, 5, 1), 8)],
    ),
    primary(
        "t2_risk_8_statin",
        "DM034 r4 precedes the numerator: type 2, QRISK 8, statin -> still DMTYPE2",
        excluded("DMTYPE2"),
        events=[TYPE2, risk(date(2024, 5, 1), 8), STATIN],
    ),
    primary(
        "t2_risk_10",
        "DM034 r4: QRISK exactly 10 is not under 10 -> not excluded",
        NOT_ACHIEVED,
        events=[TYPE2, risk(date(2024, 5, 1), 10)],
    ),
    primary(
        "t2_risk_9_9",
        "DM034 r4: QRISK 9.9 -> DMTYPE2",
        excluded("DMTYPE2"),
        events=[TYPE2, risk(date(2024, 5, 1), 9.9)],
    ),
    primary(
        "t2_risk_3y_in",
        "DM034 r4: QRISK 8 on 2023-04-01 (after ACHV - 3 years) -> DMTYPE2",
        excluded("DMTYPE2"),
        events=[TYPE2, risk(date(2023, 4, 1), 8)],
    ),
    primary(
        "t2_risk_3y_out",
        "DM034 r4: QRISK 8 on 2023-03-31 (not in 3 years) -> not excluded",
        NOT_ACHIEVED,
        events=[TYPE2, risk(date(2023, 3, 31), 8)],
    ),
    primary(
        "t2_risk_low_then_high",
        "DM034 r4: QRISK 8 then 12 (latest 12) -> not excluded",
        NOT_ACHIEVED,
        events=[TYPE2, risk(date(2024, 1, 1), 8), risk(date(2025, 1, 1), 12)],
    ),
    primary(
        "t2_risk_high_then_low",
        "DM034 r4: QRISK 12 then 8 (latest 8) -> DMTYPE2",
        excluded("DMTYPE2"),
        events=[TYPE2, risk(date(2024, 1, 1), 12), risk(date(2025, 1, 1), 8)],
    ),
    primary(
        "t2_risk_after_achv",
        "DM034 r4: QRISK 8 dated after ACHV is ignored",
        NOT_ACHIEVED,
        events=[TYPE2, risk(date(2026, 4, 1), 8)],
    ),
    primary(
        "t1_latest_risk_8",
        "DM034 r4: type 2 (2015) then type 1 (2020): latest type is 1 -> not excluded",
        NOT_ACHIEVED,
        events=[TYPE2, ev("DMTYPE1_COD", date(2020, 1, 1)), risk(date(2024, 5, 1), 8)],
    ),
    primary(
        "t2_latest_risk_8",
        "DM034 r4: type 1 (2015) then type 2 (2020) -> DMTYPE2",
        excluded("DMTYPE2"),
        events=[
            ev("DMTYPE1_COD", date(2015, 1, 1)),
            ev("DMTYPE2_COD", date(2020, 1, 1)),
            risk(date(2024, 5, 1), 8),
        ],
    ),
    primary(
        "t2_risk_3y_achv_anchor",
        "DM034 r4 in-year: the 3 years lead up to the ACHIEVEMENT date (NHS Digital DMTYPE2):"
        " as_of 2025-12-31, QRISK 8 on 2023-01-15 (after as_of - 3 years) -> DMTYPE2",
        excluded("DMTYPE2"),
        events=[TYPE2, risk(date(2023, 1, 15), 8)],
        as_of=date(2025, 12, 31),
    ),
    primary(
        "t2_risk_3y_achv_anchor_out",
        "DM034 r4 in-year: as_of 2025-12-31, QRISK 8 on 2022-12-31 (not after as_of - 3"
        " years) -> not excluded",
        NOT_ACHIEVED,
        events=[TYPE2, risk(date(2022, 12, 31), 8)],
        as_of=date(2025, 12, 31),
    ),
    primary(
        "no_type_risk_8",
        "DM034 r4: no diabetes type code, QRISK 8 -> not excluded",
        NOT_ACHIEVED,
        events=[risk(date(2024, 5, 1), 8)],
    ),
    primary(
        "t2_no_risk",
        "DM034 r4: type 2 without any risk score -> not excluded",
        NOT_ACHIEVED,
        events=[TYPE2],
    ),
    # ---- numerator: statin unsuitable + alternative lipid-lowering drug ----------------
    primary(
        "alt_intol_ezetimibe",
        "numerator: statin intolerant (ever) + ezetimibe in 6 m -> achieved",
        ACHIEVED,
        events=[ev("STATINTOL_COD", OLD), ev("EZETIMIBE_COD", date(2025, 12, 1))],
    ),
    primary(
        "alt_dec_ezetimibe",
        "numerator: statin declined in 12 m + ezetimibe in 6 m -> achieved",
        ACHIEVED,
        events=[ev("STATINDEC_COD", Y), ev("EZETIMIBE_COD", date(2025, 12, 1))],
    ),
    primary(
        "alt_xstat_inclisiran",
        "numerator: persisting statin CI (ever) + inclisiran in 6 m -> achieved",
        ACHIEVED,
        events=[ev("XSTAT_COD", OLD), ev("INCLISIRAN_COD", date(2026, 1, 1))],
    ),
    primary(
        "alt_txstat_bempedoic",
        "numerator: expiring statin CI in 12 m + bempedoic acid in 6 m -> achieved",
        ACHIEVED,
        events=[ev("TXSTAT_COD", Y), ev("BEMPACID_COD", date(2026, 1, 1))],
    ),
    primary(
        "alt_intol_pcsk9",
        "numerator: statin intolerant + PCSK9 inhibitor in 6 m -> achieved",
        ACHIEVED,
        events=[ev("STATINTOL_COD", OLD), ev("PCSK9I_COD", date(2026, 1, 1))],
    ),
    primary(
        "alt_ezetimibe_only",
        "numerator: ezetimibe without any statin intolerance/decline/CI -> not achieved",
        NOT_ACHIEVED,
        events=[ev("EZETIMIBE_COD", date(2025, 12, 1))],
    ),
    primary(
        "alt_dec_old_ezetimibe",
        "numerator: statin declined 2025-03-31 (not in 12 m) + ezetimibe -> not achieved",
        NOT_ACHIEVED,
        events=[ev("STATINDEC_COD", date(2025, 3, 31)), ev("EZETIMIBE_COD", date(2025, 12, 1))],
    ),
    primary(
        "alt_txstat_old_ezetimibe",
        "numerator: expiring statin CI 2025-03-31 (expired) + ezetimibe -> not achieved",
        NOT_ACHIEVED,
        events=[ev("TXSTAT_COD", date(2025, 3, 31)), ev("EZETIMIBE_COD", date(2025, 12, 1))],
    ),
    primary(
        "alt_intol_ezetimibe_old",
        "numerator: statin intolerant + ezetimibe 2025-09-30 (not in 6 m) -> not achieved",
        NOT_ACHIEVED,
        events=[ev("STATINTOL_COD", OLD), ev("EZETIMIBE_COD", date(2025, 9, 30))],
    ),
    secondary(
        "s_alt_intol_ezetimibe",
        "DM035 numerator: statin intolerant + ezetimibe -> achieved",
        ACHIEVED,
        events=[ev("STATINTOL_COD", OLD), ev("EZETIMIBE_COD", date(2025, 12, 1))],
    ),
    # ---- PCAs ----------------------------------------------------------------------------
    primary(
        "pca_cholmax",
        "CHOLMAX_COD in 12 m -> pca CHOLMAX",
        pca("CHOLMAX"),
        events=[ev("CHOLMAX_COD", date(2025, 4, 1))],
    ),
    primary(
        "pca_cholmax_out",
        "CHOLMAX_COD 2025-03-31 -> not achieved",
        NOT_ACHIEVED,
        events=[ev("CHOLMAX_COD", date(2025, 3, 31))],
    ),
    primary(
        "pca_lltadv_ever",
        "lipid-lowering therapy adverse reaction in 2012 (ever) -> pca LLTADV",
        pca("LLTADV"),
        events=[ev("LIPIDTHERADV_COD", date(2012, 1, 1))],
    ),
    primary(
        "pca_lltadv_after_achv",
        "LLT adverse reaction after ACHV is ignored",
        NOT_ACHIEVED,
        events=[ev("LIPIDTHERADV_COD", date(2026, 4, 1))],
    ),
    primary(
        "achiever_with_lltadv",
        "statin in 6 m + LLT adverse reaction -> achieved",
        ACHIEVED,
        events=[ev("LIPIDTHERADV_COD", date(2012, 1, 1)), STATIN],
    ),
    primary(
        "pca_lltcon",
        "LLT contraindicated in 12 m -> pca LLTCONNIND",
        pca("LLTCONNIND"),
        events=[ev("LIPIDTHERCON_COD", date(2025, 4, 1))],
    ),
    primary(
        "pca_lltcon_out",
        "LLT contraindicated 2025-03-31 -> not achieved",
        NOT_ACHIEVED,
        events=[ev("LIPIDTHERCON_COD", date(2025, 3, 31))],
    ),
    primary(
        "pca_lltnind",
        "LLT not indicated in 12 m -> pca LLTCONNIND",
        pca("LLTCONNIND"),
        events=[ev("LIPIDTHERNIND_COD", Y)],
    ),
    primary(
        "pca_lltdec",
        "LLT declined in 12 m -> pca LLTDEC12M",
        pca("LLTDEC12M"),
        events=[ev("LIPIDTHERDEC_COD", Y)],
    ),
    primary(
        "pca_lltdec_out",
        "LLT declined 2025-03-31 -> not achieved",
        NOT_ACHIEVED,
        events=[ev("LIPIDTHERDEC_COD", date(2025, 3, 31))],
    ),
    primary(
        "pca_dmpcapu",
        "DMPCAPU in 12 m -> pca DMPCAPU",
        pca("DMPCAPU"),
        events=[ev("DMPCAPU_COD", Y)],
    ),
    primary(
        "pca_dmpcadec",
        "DMPCADEC in 12 m -> pca DMPCADEC",
        pca("DMPCADEC"),
        events=[ev("DMPCADEC_COD", Y)],
    ),
    primary(
        "pca_dmpcadec_out",
        "DMPCADEC 2025-03-31 -> not achieved",
        NOT_ACHIEVED,
        events=[ev("DMPCADEC_COD", date(2025, 3, 31))],
    ),
    primary(
        "achiever_with_dmpcadec",
        "statin + DMPCADEC -> achieved",
        ACHIEVED,
        events=[ev("DMPCADEC_COD", Y), STATIN],
    ),
    primary(
        "pca_invites",
        "two invites 7 days apart -> pca DMINVITE",
        pca("DMINVITE"),
        events=[invites(date(2025, 4, 1), date(2025, 4, 8))],
    ),
    primary(
        "pca_invites_6",
        "invites 6 days apart -> not achieved",
        NOT_ACHIEVED,
        events=[invites(date(2025, 4, 1), date(2025, 4, 7))],
    ),
    primary(
        "pca_newdx",
        "diagnosed 2026-01-01 (3 m) -> pca DIAG1_DAT",
        pca("DIAG1_DAT"),
        dx=date(2026, 1, 1),
    ),
    primary(
        "pca_newdx_out", "diagnosed 2025-12-31 -> not achieved", NOT_ACHIEVED, dx=date(2025, 12, 31)
    ),
    primary(
        "pca_newreg",
        "registered 2026-01-01 -> pca REG1_DAT3",
        pca("REG1_DAT3"),
        reg=date(2026, 1, 1),
    ),
    primary(
        "pca_newreg_out",
        "registered 2025-12-31 -> not achieved",
        NOT_ACHIEVED,
        reg=date(2025, 12, 31),
    ),
    primary(
        "order_dmpcapu_dmpcadec",
        "DMPCAPU before DMPCADEC",
        pca("DMPCAPU"),
        events=[ev("DMPCADEC_COD", Y), ev("DMPCAPU_COD", Y)],
    ),
    primary(
        "order_dmpcadec_invites",
        "DMPCADEC before invites",
        pca("DMPCADEC"),
        events=[ev("DMPCADEC_COD", Y), invites(date(2025, 4, 1), date(2025, 4, 8))],
    ),
    secondary(
        "s_pca_dmpcadec",
        "DM035: DMPCADEC in 12 m -> pca DMPCADEC",
        pca("DMPCADEC"),
        events=[ev("DMPCADEC_COD", Y)],
    ),
    secondary(
        "s_pca_lltadv",
        "DM035: LLT adverse reaction ever -> pca LLTADV",
        pca("LLTADV"),
        events=[ev("LIPIDTHERADV_COD", date(2012, 1, 1))],
    ),
    secondary(
        "s_pca_newreg",
        "DM035: registered 2026-02-01 -> REG1_DAT3",
        pca("REG1_DAT3"),
        reg=date(2026, 2, 1),
    ),
    secondary(
        "s_pca_invites",
        "DM035: two invites -> DMINVITE",
        pca("DMINVITE"),
        events=[invites(date(2025, 9, 1), date(2025, 9, 8))],
    ),
]


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_dm034_dm035(c, check):
    check(c, CASES)
