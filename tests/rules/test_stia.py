"""STIA_REG (STIA001), STIA007 (antiplatelet/anticoagulant), STIA014 and STIA015 (BP).

Register: any STRK_COD or TIA_COD on or before ACHV, all ages (haemorrhagic strokes included).

STIA007 chain (reason fields per NHS Digital 2023/24 STIA007; order reconstructed):
  1 no non-haemorrhagic stroke (OSTR_COD) and no TIA (TIA_COD) -> excluded OSTREXCL
  2 aspirin / other antiplatelet / oral anticoagulant after PPED - 12 months -> achieved
  3 salicylate, clopidogrel, dipyridamole AND oral anticoagulant all contraindicated (X* ever,
    TX* in 12 m) -> pca XSALCONTRA
  4 all four declined in 12 m -> pca SALDIPDEC
  5 each of the four contraindicated or declined -> pca XSALDIPDEC
  6 STIAPCAPU 12 m   7 STIAPCADEC 12 m   8 two STIAINVITE >= 7 days apart -> STIAINVITE
  9 earliest STRK_COD/TIA_COD after PPED - 3 months -> DIAG1_DAT
 10 registered after PPED - 3 months -> REG1_DAT3; else not achieved
STIA014 / STIA015: as HYP008 / HYP009 with STIAPCAPU, STIAPCADEC and STBPINVITE, and the
earliest stroke/TIA code for DIAG1_DT9M.
Most stroke PCA clusters are not public yet: those cases skip, naming the cluster.
Default patient: 65 on ACHV, registered 2000, ischaemic stroke (OSTR_COD, also in STRK_COD)
in 2015, no diabetes.
"""

from __future__ import annotations

from datetime import date

import pytest
from rulecases import ACHIEVED, NOT_ACHIEVED, bp, case, case_id, ev, excluded, pca

DX = date(2015, 1, 1)
Y = date(2025, 6, 1)
OLD = date(2010, 1, 1)
AGE79 = date(1946, 4, 1)
AGE80 = date(1946, 3, 31)
AGE85 = date(1940, 6, 15)
HIGH = bp(Y, 150, 95)


def ischaemic(when):
    return ev("OSTR_COD", when, also=("STRK_COD",))


def haemorrhagic(when):
    return ev("HSTRK_COD", when, also=("STRK_COD",))


def stia(pid, why, expect, *, stia_dx=DX, events=(), **kw):
    evs = ([ischaemic(stia_dx)] if stia_dx else []) + list(events)
    return case(pid, why, expect, dx=None, events=evs, **kw)


def s7(pid, why, expect, **kw):
    return stia(pid, why, {"STIA007": expect}, **kw)


def s14(pid, why, expect, **kw):
    return stia(pid, why, {"STIA014": expect, "STIA015": excluded("PAT_AGEU80")}, **kw)


def s15(pid, why, expect, **kw):
    kw.setdefault("dob", AGE85)
    return stia(pid, why, {"STIA015": expect, "STIA014": excluded("PAT_AGEO79")}, **kw)


def inv(*dates):
    return [ev("STIAINVITE_COD", d) for d in dates]


ASPIRIN = ev("ASPIRIN_COD", Y)
CI_ALL = [ev(c, OLD) for c in ("XSAL_COD", "XCLO_COD", "XDIPY_COD", "XORANTICOAG_COD")]
DEC_ALL = [ev(c, Y) for c in ("SALDEC_COD", "CLODEC_COD", "DIPYDEC_COD", "ORANTICOAGDEC_COD")]
OFF = {"STIA007": None, "STIA014": None, "STIA015": None}

CASES = [
    # ---- STIA_REG -----------------------------------------------------------------------
    stia("reg_stroke", "reg: ischaemic stroke 2015 -> on", {"STIA007": NOT_ACHIEVED}),
    stia(
        "reg_tia",
        "reg: TIA only -> on; STIA007 gate passed (TIA) -> not achieved",
        {"STIA007": NOT_ACHIEVED},
        stia_dx=None,
        events=[ev("TIA_COD", DX)],
    ),
    stia(
        "reg_stroke_nos",
        "reg: stroke code in STRK_COD only (not OSTR/HSTRK) -> on register; STIA007 OSTREXCL",
        {"STIA007": excluded("OSTREXCL"), "STIA014": NOT_ACHIEVED},
        stia_dx=None,
        events=[ev("STRK_COD", DX, code="230690007")],
    ),
    stia("reg_none", "reg: no stroke or TIA -> no rows", OFF, stia_dx=None),
    stia("reg_after_achv", "reg: stroke after ACHV -> off", OFF, stia_dx=date(2026, 4, 1)),
    stia(
        "reg_child",
        "reg: all ages -> an 8-year-old is on",
        {"STIA007": NOT_ACHIEVED},
        dob=date(2017, 9, 1),
    ),
    stia("reg_dead", "population: died before ACHV -> no rows", OFF, death=date(2025, 7, 1)),
    stia(
        "reg_dereg_after_achv",
        "population: deregistered after ACHV -> still counted",
        {"STIA007": NOT_ACHIEVED},
        dereg=date(2026, 4, 1),
    ),
    # ---- STIA007 rule 1: non-haemorrhagic stroke or TIA ---------------------------------
    stia(
        "s7_haem_only",
        "r1: haemorrhagic stroke only -> on register; STIA007 excluded OSTREXCL even on aspirin",
        {"STIA007": excluded("OSTREXCL"), "STIA014": ACHIEVED},
        stia_dx=None,
        events=[haemorrhagic(DX), ASPIRIN, bp(Y, 120, 80)],
    ),
    stia(
        "s7_haem_then_ischaemic",
        "r1: haemorrhagic 2015 and ischaemic stroke 2020 -> gate passed; aspirin -> achieved",
        {"STIA007": ACHIEVED},
        stia_dx=None,
        events=[haemorrhagic(DX), ischaemic(date(2020, 1, 1)), ASPIRIN],
    ),
    stia(
        "s7_haem_and_tia",
        "r1: haemorrhagic stroke and a TIA -> gate passed -> not achieved",
        {"STIA007": NOT_ACHIEVED},
        stia_dx=None,
        events=[haemorrhagic(DX), ev("TIA_COD", date(2019, 1, 1))],
    ),
    # ---- STIA007 rule 2: therapy in the 12 months ---------------------------------------
    s7("s7_aspirin", "r2: aspirin in year -> achieved", ACHIEVED, events=[ASPIRIN]),
    s7(
        "s7_aspirin_on_ppsd",
        "r2: aspirin on 2025-04-01 -> achieved",
        ACHIEVED,
        events=[ev("ASPIRIN_COD", date(2025, 4, 1))],
    ),
    s7(
        "s7_aspirin_before_ppsd",
        "r2: aspirin on 2025-03-31 -> not achieved",
        NOT_ACHIEVED,
        events=[ev("ASPIRIN_COD", date(2025, 3, 31))],
    ),
    s7(
        "s7_dipyridamole",
        "r2: dipyridamole (antiplatelet proxy) in year -> achieved",
        ACHIEVED,
        events=[ev("ANTIPLAT_COD", Y, prefer=("319758005",))],
    ),
    s7("s7_doac", "r2: DOAC in year -> achieved", ACHIEVED, events=[ev("DOAC_COD", Y)]),
    s7("s7_warfarin", "r2: warfarin in year -> achieved", ACHIEVED, events=[ev("WARFARIN_COD", Y)]),
    s7("s7_nothing", "r2: nothing -> not achieved", NOT_ACHIEVED),
    s7(
        "s7_achiever_with_pcas",
        "r2 before r3-r8: aspirin plus all contraindicated and stroke PCA codes -> achieved",
        ACHIEVED,
        events=[ASPIRIN, *CI_ALL, ev("STIAPCAPU_COD", Y), ev("STIAPCADEC_COD", Y)],
    ),
    # ---- STIA007 rules 3-5: contraindicated / declined ----------------------------------
    s7(
        "s7_ci_all",
        "r3: all four contraindicated (persisting) -> XSALCONTRA",
        pca("XSALCONTRA"),
        events=CI_ALL,
    ),
    s7(
        "s7_ci_expiring_in",
        "r3: TXDIPY on 2025-04-01 plus the other three persisting -> XSALCONTRA",
        pca("XSALCONTRA"),
        events=[*CI_ALL[:2], ev("TXDIPY_COD", date(2025, 4, 1)), CI_ALL[3]],
    ),
    s7(
        "s7_ci_expiring_out",
        "r3: TXDIPY on 2025-03-31 (expired) plus the other three -> not achieved",
        NOT_ACHIEVED,
        events=[*CI_ALL[:2], ev("TXDIPY_COD", date(2025, 3, 31)), CI_ALL[3]],
    ),
    s7(
        "s7_ci_three_of_four",
        "r3-r5: dipyridamole neither contraindicated nor declined -> not achieved",
        NOT_ACHIEVED,
        events=[CI_ALL[0], CI_ALL[1], CI_ALL[3]],
    ),
    s7(
        "s7_dec_all", "r4: all four declined in year -> SALDIPDEC", pca("SALDIPDEC"), events=DEC_ALL
    ),
    s7(
        "s7_order_ci_dec",
        "r3 before r4: all contraindicated and all declined -> XSALCONTRA",
        pca("XSALCONTRA"),
        events=[*CI_ALL, *DEC_ALL],
    ),
    s7(
        "s7_mixed",
        "r5: salicylate, clopidogrel CI; dipyridamole, anticoagulant declined -> XSALDIPDEC",
        pca("XSALDIPDEC"),
        events=[CI_ALL[0], CI_ALL[1], DEC_ALL[2], DEC_ALL[3]],
    ),
    s7(
        "s7_mixed_old_decline",
        "r5: as s7_mixed but dipyridamole declined 2025-03-31 (out) -> not achieved",
        NOT_ACHIEVED,
        events=[CI_ALL[0], CI_ALL[1], ev("DIPYDEC_COD", date(2025, 3, 31)), DEC_ALL[3]],
    ),
    # ---- STIA007 rules 6-8 --------------------------------------------------------------
    s7(
        "s7_pcapu",
        "r6: STIAPCAPU in year -> STIAPCAPU",
        pca("STIAPCAPU"),
        events=[ev("STIAPCAPU_COD", Y)],
    ),
    s7(
        "s7_pcapu_old",
        "r6: STIAPCAPU on 2025-03-31 -> not achieved",
        NOT_ACHIEVED,
        events=[ev("STIAPCAPU_COD", date(2025, 3, 31))],
    ),
    s7(
        "s7_pcadec",
        "r7: STIAPCADEC in year -> STIAPCADEC",
        pca("STIAPCADEC"),
        events=[ev("STIAPCADEC_COD", Y)],
    ),
    s7(
        "s7_inv_7",
        "r8: invitations 7 days apart -> STIAINVITE",
        pca("STIAINVITE"),
        events=[inv(date(2025, 5, 1), date(2025, 5, 8))],
    ),
    s7(
        "s7_inv_6",
        "r8: invitations 6 days apart -> not achieved",
        NOT_ACHIEVED,
        events=[inv(date(2025, 5, 1), date(2025, 5, 7))],
    ),
    # ---- STIA007 rules 9-10 -------------------------------------------------------------
    s7(
        "s7_dx_3m_in",
        "r9: first stroke 2026-01-01 -> DIAG1_DAT",
        pca("DIAG1_DAT"),
        stia_dx=date(2026, 1, 1),
    ),
    s7(
        "s7_dx_3m_out",
        "r9: first stroke 2025-12-31 -> not achieved",
        NOT_ACHIEVED,
        stia_dx=date(2025, 12, 31),
    ),
    s7(
        "s7_dx_tia_earlier",
        "r9: TIA 2018 then stroke 2026-01-15 -> earliest 2018 -> not achieved",
        NOT_ACHIEVED,
        stia_dx=date(2026, 1, 15),
        events=[ev("TIA_COD", date(2018, 1, 1))],
    ),
    s7(
        "s7_reg_3m_in",
        "r10: registered 2026-01-01 -> REG1_DAT3",
        pca("REG1_DAT3"),
        reg=date(2026, 1, 1),
    ),
    s7(
        "s7_reg_3m_out",
        "r10: registered 2025-12-31 -> not achieved",
        NOT_ACHIEVED,
        reg=date(2025, 12, 31),
    ),
    s7(
        "s7_reg_achiever",
        "r2 before r10: registered 2026-02-01 with aspirin -> achieved",
        ACHIEVED,
        reg=date(2026, 2, 1),
        events=[ev("ASPIRIN_COD", date(2026, 2, 5))],
    ),
    # ---- STIA014 (aged 79 or under) -----------------------------------------------------
    stia(
        "s14_age_79",
        "r1: 79 on ACHV -> STIA014 applies, STIA015 excluded PAT_AGEU80",
        {"STIA014": ACHIEVED, "STIA015": excluded("PAT_AGEU80")},
        dob=AGE79,
        events=[bp(Y, 120, 80)],
    ),
    stia(
        "s14_age_80",
        "r1: 80 on ACHV -> STIA014 excluded PAT_AGEO79, STIA015 applies",
        {"STIA014": excluded("PAT_AGEO79"), "STIA015": ACHIEVED},
        dob=AGE80,
        events=[bp(Y, 120, 80)],
    ),
    s14("s14_140_90", "r2: clinic 140/90 -> achieved", ACHIEVED, events=[bp(Y, 140, 90)]),
    s14("s14_141_90", "r2: clinic 141/90 -> not achieved", NOT_ACHIEVED, events=[bp(Y, 141, 90)]),
    s14("s14_140_91", "r2: clinic 140/91 -> not achieved", NOT_ACHIEVED, events=[bp(Y, 140, 91)]),
    s14(
        "s14_home_135_85",
        "r2: home 135/85 -> achieved",
        ACHIEVED,
        events=[bp(Y, 135, 85, home=True)],
    ),
    s14(
        "s14_home_135_86",
        "r2: home 135/86 -> not achieved",
        NOT_ACHIEVED,
        events=[bp(Y, 135, 86, home=True)],
    ),
    s14(
        "s14_bp_before_ppsd",
        "r2: BP on 2025-03-31 -> not achieved",
        NOT_ACHIEVED,
        events=[bp(date(2025, 3, 31), 120, 80)],
    ),
    s14(
        "s14_achiever_htmax",
        "r2 before r3: good BP and HTMAX -> achieved",
        ACHIEVED,
        events=[bp(Y, 120, 80), ev("HTMAX_COD", Y)],
    ),
    s14("s14_htmax", "r3: HTMAX in year -> HTMAX", pca("HTMAX"), events=[HIGH, ev("HTMAX_COD", Y)]),
    s14(
        "s14_htmax_old",
        "r3: HTMAX on 2025-03-31 -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, ev("HTMAX_COD", date(2025, 3, 31))],
    ),
    s14(
        "s14_pcapu",
        "r4: STIAPCAPU in year -> STIAPCAPU",
        pca("STIAPCAPU"),
        events=[ev("STIAPCAPU_COD", Y)],
    ),
    s14(
        "s14_bpdec",
        "r5: BPDEC in year -> BPORHBPDEC",
        pca("BPORHBPDEC"),
        events=[ev("BPDEC_COD", Y)],
    ),
    s14(
        "s14_bpdec_old",
        "r5: BPDEC on 2025-03-31 -> not achieved",
        NOT_ACHIEVED,
        events=[ev("BPDEC_COD", date(2025, 3, 31))],
    ),
    s14(
        "s14_pcadec",
        "r6: STIAPCADEC in year -> STIAPCADEC",
        pca("STIAPCADEC"),
        events=[ev("STIAPCADEC_COD", Y)],
    ),
    s14(
        "s14_inv_no_bp",
        "r7: no BP, invitations 7 days apart -> STBPINVITE",
        pca("STBPINVITE"),
        events=[inv(date(2025, 5, 1), date(2025, 5, 8))],
    ),
    s14(
        "s14_inv_6_days",
        "r7: invitations 6 days apart -> not achieved",
        NOT_ACHIEVED,
        events=[inv(date(2025, 5, 1), date(2025, 5, 7))],
    ),
    s14(
        "s14_inv_after_high",
        "r7: high BP then two invitations -> STBPINVITE",
        pca("STBPINVITE"),
        events=[HIGH, inv(date(2025, 6, 10), date(2025, 6, 17))],
    ),
    s14(
        "s14_dx_9m_in",
        "r8: first stroke 2025-07-01 -> DIAG1_DT9M",
        pca("DIAG1_DT9M"),
        stia_dx=date(2025, 7, 1),
    ),
    s14(
        "s14_dx_9m_out",
        "r8: first stroke 2025-06-30 -> not achieved",
        NOT_ACHIEVED,
        stia_dx=date(2025, 6, 30),
    ),
    s14(
        "s14_dx_tia",
        "r8: first event a TIA on 2025-08-01 -> DIAG1_DT9M",
        pca("DIAG1_DT9M"),
        stia_dx=None,
        events=[ev("TIA_COD", date(2025, 8, 1))],
    ),
    s14(
        "s14_reg_9m_in",
        "r9: registered 2025-07-01 -> REG1_DAT9",
        pca("REG1_DAT9"),
        reg=date(2025, 7, 1),
    ),
    s14(
        "s14_reg_9m_out",
        "r9: registered 2025-06-30 -> not achieved",
        NOT_ACHIEVED,
        reg=date(2025, 6, 30),
    ),
    # ---- STIA015 (aged 80 or over) ------------------------------------------------------
    s15("s15_150_90", "r2: clinic 150/90 -> achieved", ACHIEVED, events=[bp(Y, 150, 90)]),
    s15("s15_151_90", "r2: clinic 151/90 -> not achieved", NOT_ACHIEVED, events=[bp(Y, 151, 90)]),
    s15("s15_150_91", "r2: clinic 150/91 -> not achieved", NOT_ACHIEVED, events=[bp(Y, 150, 91)]),
    s15(
        "s15_home_145_85",
        "r2: home 145/85 -> achieved",
        ACHIEVED,
        events=[bp(Y, 145, 85, home=True)],
    ),
    s15(
        "s15_home_146_85",
        "r2: home 146/85 -> not achieved",
        NOT_ACHIEVED,
        events=[bp(Y, 146, 85, home=True)],
    ),
    s15(
        "s15_htmax",
        "r3: HTMAX, BP 160/95 -> HTMAX",
        pca("HTMAX"),
        events=[bp(Y, 160, 95), ev("HTMAX_COD", Y)],
    ),
    s15(
        "s15_bpdec",
        "r5: BPDEC in year -> BPORHBPDEC",
        pca("BPORHBPDEC"),
        events=[ev("BPDEC_COD", Y)],
    ),
    s15(
        "s15_inv_high",
        "r7: 155/85 followed by two invitations -> STBPINVITE",
        pca("STBPINVITE"),
        events=[bp(Y, 155, 85), inv(date(2025, 6, 10), date(2025, 6, 17))],
    ),
    s15(
        "s15_dx_9m",
        "r8: first stroke 2025-07-01 -> DIAG1_DT9M",
        pca("DIAG1_DT9M"),
        stia_dx=date(2025, 7, 1),
    ),
    s15(
        "s15_reg_9m",
        "r9: registered 2025-07-01 -> REG1_DAT9",
        pca("REG1_DAT9"),
        reg=date(2025, 7, 1),
    ),
    s15(
        "s15_reg_9m_out",
        "r9: registered 2025-06-30 -> not achieved",
        NOT_ACHIEVED,
        reg=date(2025, 6, 30),
    ),
]


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_stia(c, check):
    check(c, CASES)
