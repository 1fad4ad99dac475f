"""CHD_REG (CHD001), PAD_REG (PAD001), CHD005 (antiplatelet/anticoagulant), CHD015 and CHD016.

Registers: any CHD_COD (resp. PAD_COD) on or before ACHV, all ages, no resolved code.

CHD005 chain (reason fields per NHS Digital 2023/24 CHD005; order reconstructed as DM006):
  1 aspirin / other antiplatelet / oral anticoagulant after PPED - 12 months -> achieved
  2 salicylate, clopidogrel AND oral anticoagulant all contraindicated (X* ever, TX* in 12 m)
    -> pca XCLO_CODC
  3 all three declined in 12 m -> pca SALDEC
  4 each of the three contraindicated or declined -> pca XSAL
  5 CHDPCAPU 12 m   6 CHDPCADEC 12 m   7 two CHDINVITE >= 7 days apart on/after PPSD -> CHDINVITE
  8 earliest CHD_COD after PPED - 3 months (>= 2026-01-01) -> DIAG1_DAT
  9 registered after PPED - 3 months -> REG1_DAT3; else not achieved
CHD015 / CHD016: as HYP008 / HYP009 (tests/rules/test_hyp.py) with CHDPCAPU, CHDPCADEC and
CHDBPINV, and the earliest CHD_COD for DIAG1_DT9M.
Most CHD PCA clusters are not public yet: those cases skip, naming the cluster.
Default patient: 65 on ACHV, registered 2000, CHD diagnosed 2015, no diabetes.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from rulecases import ACHIEVED, NOT_ACHIEVED, Ev, bp, case, case_id, ev, excluded, pca

DX = date(2015, 1, 1)
Y = date(2025, 6, 1)
OLD = date(2010, 1, 1)  # persisting contraindications count whenever recorded
AGE79 = date(1946, 4, 1)
AGE80 = date(1946, 3, 31)
AGE85 = date(1940, 6, 15)
HIGH = bp(Y, 150, 95)
CLOPIDOGREL = ("319799004",)  # Clopidogrel 75mg tablets (in the antiplatelet proxy)


def chd(pid, why, expect, *, chd_dx=DX, events=(), **kw):
    evs = ([ev("CHD_COD", chd_dx)] if chd_dx else []) + list(events)
    return case(pid, why, expect, dx=None, events=evs, **kw)


def c5(pid, why, expect, **kw):
    return chd(pid, why, {"CHD005": expect}, **kw)


def c15(pid, why, expect, **kw):
    return chd(pid, why, {"CHD015": expect, "CHD016": excluded("PAT_AGEU80")}, **kw)


def c16(pid, why, expect, **kw):
    kw.setdefault("dob", AGE85)
    return chd(pid, why, {"CHD016": expect, "CHD015": excluded("PAT_AGEO79")}, **kw)


def inv(*dates):
    return [ev("CHDINVITE_COD", d) for d in dates]


ASPIRIN = ev("ASPIRIN_COD", Y)
CI_ALL = [ev("XSAL_COD", OLD), ev("XCLO_COD", OLD), ev("XORANTICOAG_COD", OLD)]
DEC_ALL = [ev("SALDEC_COD", Y), ev("CLODEC_COD", Y), ev("ORANTICOAGDEC_COD", Y)]
OFF = {"CHD005": None, "CHD015": None, "CHD016": None}

CASES = [
    # ---- CHD_REG ------------------------------------------------------------------------
    chd(
        "reg_dx", "reg: CHD_COD 2015 -> on (rows for the CHD indicators)", {"CHD005": NOT_ACHIEVED}
    ),
    chd("reg_none", "reg: no CHD_COD -> no rows", OFF, chd_dx=None),
    chd("reg_after_achv", "reg: CHD_COD after ACHV -> off", OFF, chd_dx=date(2026, 4, 1)),
    chd(
        "reg_on_achv",
        "reg: CHD_COD on ACHV -> on (and newly diagnosed for CHD005)",
        {"CHD005": pca("DIAG1_DAT")},
        chd_dx=date(2026, 3, 31),
    ),
    chd(
        "reg_child",
        "reg: all ages -> a 12-year-old with CHD is on",
        {"CHD005": NOT_ACHIEVED},
        dob=date(2013, 5, 1),
    ),
    chd("reg_dead", "population: died before ACHV -> no rows", OFF, death=date(2025, 9, 1)),
    # ---- CHD005 rule 1: therapy in the 12 months ----------------------------------------
    c5("c5_aspirin", "r1: aspirin issued in year -> achieved", ACHIEVED, events=[ASPIRIN]),
    c5(
        "c5_aspirin_on_ppsd",
        "r1: aspirin on 2025-04-01 -> achieved",
        ACHIEVED,
        events=[ev("ASPIRIN_COD", date(2025, 4, 1))],
    ),
    c5(
        "c5_aspirin_before_ppsd",
        "r1: aspirin on 2025-03-31 -> not after PPED - 12 months -> not achieved",
        NOT_ACHIEVED,
        events=[ev("ASPIRIN_COD", date(2025, 3, 31))],
    ),
    c5(
        "c5_aspirin_after_achv",
        "r1: aspirin after ACHV does not exist -> not achieved",
        NOT_ACHIEVED,
        events=[ev("ASPIRIN_COD", date(2026, 4, 1))],
    ),
    c5(
        "c5_clopidogrel",
        "r1: clopidogrel (other antiplatelet) in year -> achieved",
        ACHIEVED,
        events=[ev("ANTIPLAT_COD", Y, prefer=CLOPIDOGREL)],
    ),
    c5("c5_doac", "r1: DOAC in year -> achieved", ACHIEVED, events=[ev("DOAC_COD", Y)]),
    c5("c5_warfarin", "r1: warfarin in year -> achieved", ACHIEVED, events=[ev("WARFARIN_COD", Y)]),
    c5("c5_nothing", "r1: no therapy, nothing else -> not achieved", NOT_ACHIEVED),
    c5(
        "c5_achiever_with_pcas",
        "r1 before r2-r7: aspirin in year plus all contraindicated and CHD PCA codes -> achieved",
        ACHIEVED,
        events=[ASPIRIN, *CI_ALL, ev("CHDPCAPU_COD", Y), ev("CHDPCADEC_COD", Y)],
    ),
    # ---- CHD005 rule 2: all contraindicated ------------------------------------------
    c5(
        "c5_ci_all_persisting",
        "r2: X* codes for all three, ever -> XCLO_CODC",
        pca("XCLO_CODC"),
        events=CI_ALL,
    ),
    c5(
        "c5_ci_expiring_in",
        "r2: TXSAL on 2025-04-01 with XCLO and XORANTICOAG -> XCLO_CODC",
        pca("XCLO_CODC"),
        events=[ev("TXSAL_COD", date(2025, 4, 1)), ev("XCLO_COD", OLD), ev("XORANTICOAG_COD", OLD)],
    ),
    c5(
        "c5_ci_expiring_out",
        "r2: TXSAL on 2025-03-31 (expired) with XCLO and XORANTICOAG -> not achieved",
        NOT_ACHIEVED,
        events=[
            ev("TXSAL_COD", date(2025, 3, 31)),
            ev("XCLO_COD", OLD),
            ev("XORANTICOAG_COD", OLD),
        ],
    ),
    c5(
        "c5_ci_two_of_three",
        "r2-r4: salicylate and clopidogrel contraindicated, anticoagulant not -> not achieved",
        NOT_ACHIEVED,
        events=[ev("XSAL_COD", OLD), ev("XCLO_COD", OLD)],
    ),
    # ---- CHD005 rule 3: all declined --------------------------------------------------
    c5("c5_dec_all", "r3: all three declined in year -> SALDEC", pca("SALDEC"), events=DEC_ALL),
    c5(
        "c5_dec_one_old",
        "r3/r4: salicylate declined 2025-03-31 (out of window) -> not achieved",
        NOT_ACHIEVED,
        events=[
            ev("SALDEC_COD", date(2025, 3, 31)),
            ev("CLODEC_COD", Y),
            ev("ORANTICOAGDEC_COD", Y),
        ],
    ),
    c5(
        "c5_order_ci_dec",
        "r2 before r3: all contraindicated and all declined -> XCLO_CODC",
        pca("XCLO_CODC"),
        events=[*CI_ALL, *DEC_ALL],
    ),
    # ---- CHD005 rule 4: mixture ---------------------------------------------------------
    c5(
        "c5_mixed",
        "r4: salicylate contraindicated, clopidogrel and anticoagulant declined -> XSAL",
        pca("XSAL"),
        events=[ev("XSAL_COD", OLD), ev("CLODEC_COD", Y), ev("ORANTICOAGDEC_COD", Y)],
    ),
    c5(
        "c5_mixed_gap",
        "r4: salicylate CI, clopidogrel declined, anticoagulant neither -> not achieved",
        NOT_ACHIEVED,
        events=[ev("XSAL_COD", OLD), ev("CLODEC_COD", Y)],
    ),
    # ---- CHD005 rules 5-7 ---------------------------------------------------------------
    c5(
        "c5_pcapu",
        "r5: CHDPCAPU in year -> CHDPCAPU",
        pca("CHDPCAPU"),
        events=[ev("CHDPCAPU_COD", Y)],
    ),
    c5(
        "c5_pcapu_old",
        "r5: CHDPCAPU on 2025-03-31 -> not achieved",
        NOT_ACHIEVED,
        events=[ev("CHDPCAPU_COD", date(2025, 3, 31))],
    ),
    c5(
        "c5_pcadec",
        "r6: CHDPCADEC in year -> CHDPCADEC",
        pca("CHDPCADEC"),
        events=[ev("CHDPCADEC_COD", Y)],
    ),
    c5(
        "c5_order_pcapu_pcadec",
        "r5 before r6: both -> CHDPCAPU",
        pca("CHDPCAPU"),
        events=[ev("CHDPCAPU_COD", Y), ev("CHDPCADEC_COD", Y)],
    ),
    c5(
        "c5_inv_7",
        "r7: invitations 7 days apart -> CHDINVITE",
        pca("CHDINVITE"),
        events=[inv(date(2025, 5, 1), date(2025, 5, 8))],
    ),
    c5(
        "c5_inv_6",
        "r7: invitations 6 days apart -> not achieved",
        NOT_ACHIEVED,
        events=[inv(date(2025, 5, 1), date(2025, 5, 7))],
    ),
    # ---- CHD005 rules 8-9: new diagnosis / registration (3 months) ---------------------
    c5(
        "c5_dx_3m_in",
        "r8: first CHD_COD 2026-01-01 -> DIAG1_DAT",
        pca("DIAG1_DAT"),
        chd_dx=date(2026, 1, 1),
    ),
    c5(
        "c5_dx_3m_out",
        "r8: first CHD_COD 2025-12-31 -> not achieved",
        NOT_ACHIEVED,
        chd_dx=date(2025, 12, 31),
    ),
    c5(
        "c5_dx_earliest",
        "r8: CHD_COD 2015 and 2026-02-01 -> earliest 2015 -> not achieved",
        NOT_ACHIEVED,
        events=[ev("CHD_COD", date(2026, 2, 1))],
    ),
    c5(
        "c5_reg_3m_in",
        "r9: registered 2026-01-01 -> REG1_DAT3",
        pca("REG1_DAT3"),
        reg=date(2026, 1, 1),
    ),
    c5(
        "c5_reg_3m_out",
        "r9: registered 2025-12-31 -> not achieved",
        NOT_ACHIEVED,
        reg=date(2025, 12, 31),
    ),
    c5(
        "c5_reg_achiever",
        "r1 before r9: registered 2026-02-01 with aspirin -> achieved",
        ACHIEVED,
        reg=date(2026, 2, 1),
        events=[ev("ASPIRIN_COD", date(2026, 2, 5))],
    ),
    # ---- CHD015 (aged 79 or under) ------------------------------------------------------
    chd(
        "c15_age_79",
        "r1: 79 on ACHV -> CHD015 applies, CHD016 excluded PAT_AGEU80",
        {"CHD015": ACHIEVED, "CHD016": excluded("PAT_AGEU80")},
        dob=AGE79,
        events=[bp(Y, 120, 80)],
    ),
    chd(
        "c15_age_80",
        "r1: 80 on ACHV -> CHD015 excluded PAT_AGEO79, CHD016 applies",
        {"CHD015": excluded("PAT_AGEO79"), "CHD016": ACHIEVED},
        dob=AGE80,
        events=[bp(Y, 120, 80)],
    ),
    c15("c15_140_90", "r2: clinic 140/90 -> achieved", ACHIEVED, events=[bp(Y, 140, 90)]),
    c15("c15_141_90", "r2: clinic 141/90 -> not achieved", NOT_ACHIEVED, events=[bp(Y, 141, 90)]),
    c15("c15_140_91", "r2: clinic 140/91 -> not achieved", NOT_ACHIEVED, events=[bp(Y, 140, 91)]),
    c15(
        "c15_home_135_85",
        "r2: home 135/85 -> achieved",
        ACHIEVED,
        events=[bp(Y, 135, 85, home=True)],
    ),
    c15(
        "c15_home_136_85",
        "r2: home 136/85 -> not achieved",
        NOT_ACHIEVED,
        events=[bp(Y, 136, 85, home=True)],
    ),
    c15(
        "c15_bp_before_ppsd",
        "r2: BP on 2025-03-31 -> out of window -> not achieved",
        NOT_ACHIEVED,
        events=[bp(date(2025, 3, 31), 120, 80)],
    ),
    c15(
        "c15_achiever_htmax",
        "r2 before r3: good BP and HTMAX -> achieved",
        ACHIEVED,
        events=[bp(Y, 120, 80), ev("HTMAX_COD", Y)],
    ),
    c15("c15_htmax", "r3: HTMAX in year -> HTMAX", pca("HTMAX"), events=[HIGH, ev("HTMAX_COD", Y)]),
    c15(
        "c15_htmax_old",
        "r3: HTMAX on 2025-03-31 -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, ev("HTMAX_COD", date(2025, 3, 31))],
    ),
    c15(
        "c15_pcapu",
        "r4: CHDPCAPU in year -> CHDPCAPU",
        pca("CHDPCAPU"),
        events=[HIGH, ev("CHDPCAPU_COD", Y)],
    ),
    c15(
        "c15_bpdec",
        "r5: BPDEC in year -> BPORHBPDEC",
        pca("BPORHBPDEC"),
        events=[ev("BPDEC_COD", Y)],
    ),
    c15(
        "c15_order_htmax_bpdec",
        "r3 before r5: HTMAX and BPDEC -> HTMAX",
        pca("HTMAX"),
        events=[ev("HTMAX_COD", Y), ev("BPDEC_COD", Y)],
    ),
    c15(
        "c15_pcadec",
        "r6: CHDPCADEC in year -> CHDPCADEC",
        pca("CHDPCADEC"),
        events=[ev("CHDPCADEC_COD", Y)],
    ),
    c15(
        "c15_order_bpdec_pcadec",
        "r5 before r6: BPDEC and CHDPCADEC -> BPORHBPDEC",
        pca("BPORHBPDEC"),
        events=[ev("BPDEC_COD", Y), ev("CHDPCADEC_COD", Y)],
    ),
    c15(
        "c15_inv_no_bp",
        "r7: no BP, invitations 7 days apart -> CHDBPINV",
        pca("CHDBPINV"),
        events=[inv(date(2025, 5, 1), date(2025, 5, 8))],
    ),
    c15(
        "c15_inv_6_days",
        "r7: no BP, invitations 6 days apart -> not achieved",
        NOT_ACHIEVED,
        events=[inv(date(2025, 5, 1), date(2025, 5, 7))],
    ),
    c15(
        "c15_inv_after_high",
        "r7: high BP then two invitations 7 days apart -> CHDBPINV",
        pca("CHDBPINV"),
        events=[HIGH, inv(date(2025, 6, 10), date(2025, 6, 17))],
    ),
    c15(
        "c15_inv_before_high",
        "r7: invitations before the high BP -> not achieved",
        NOT_ACHIEVED,
        events=[HIGH, inv(date(2025, 5, 1), date(2025, 5, 8))],
    ),
    c15(
        "c15_dx_9m_in",
        "r8: first CHD_COD 2025-07-01 -> DIAG1_DT9M",
        pca("DIAG1_DT9M"),
        chd_dx=date(2025, 7, 1),
    ),
    c15(
        "c15_dx_9m_out",
        "r8: first CHD_COD 2025-06-30 -> not achieved",
        NOT_ACHIEVED,
        chd_dx=date(2025, 6, 30),
    ),
    c15(
        "c15_reg_9m_in",
        "r9: registered 2025-07-01 -> REG1_DAT9",
        pca("REG1_DAT9"),
        reg=date(2025, 7, 1),
    ),
    c15(
        "c15_reg_9m_out",
        "r9: registered 2025-06-30 -> not achieved",
        NOT_ACHIEVED,
        reg=date(2025, 6, 30),
    ),
    # ---- CHD016 (aged 80 or over) -------------------------------------------------------
    c16("c16_150_90", "r2: clinic 150/90 -> achieved", ACHIEVED, events=[bp(Y, 150, 90)]),
    c16("c16_151_90", "r2: clinic 151/90 -> not achieved", NOT_ACHIEVED, events=[bp(Y, 151, 90)]),
    c16("c16_150_91", "r2: clinic 150/91 -> not achieved", NOT_ACHIEVED, events=[bp(Y, 150, 91)]),
    c16(
        "c16_home_145_85",
        "r2: home 145/85 -> achieved",
        ACHIEVED,
        events=[bp(Y, 145, 85, home=True)],
    ),
    c16(
        "c16_home_145_86",
        "r2: home 145/86 -> not achieved",
        NOT_ACHIEVED,
        events=[bp(Y, 145, 86, home=True)],
    ),
    c16(
        "c16_htmax",
        "r3: HTMAX in year, BP 160/95 -> HTMAX",
        pca("HTMAX"),
        events=[bp(Y, 160, 95), ev("HTMAX_COD", Y)],
    ),
    c16(
        "c16_bpdec",
        "r5: BPDEC in year -> BPORHBPDEC",
        pca("BPORHBPDEC"),
        events=[ev("BPDEC_COD", Y)],
    ),
    c16(
        "c16_inv_between_targets",
        "r2: 145/88 meets 150/90 -> achieved despite later invitations",
        ACHIEVED,
        events=[bp(Y, 145, 88), inv(date(2025, 6, 10), date(2025, 6, 17))],
    ),
    c16(
        "c16_inv_high",
        "r7: 155/85 followed by two invitations -> CHDBPINV",
        pca("CHDBPINV"),
        events=[bp(Y, 155, 85), inv(date(2025, 6, 10), date(2025, 6, 17))],
    ),
    c16(
        "c16_dx_9m",
        "r8: first CHD_COD 2025-07-01 -> DIAG1_DT9M",
        pca("DIAG1_DT9M"),
        chd_dx=date(2025, 7, 1),
    ),
    c16(
        "c16_reg_9m",
        "r9: registered 2025-07-01 -> REG1_DAT9",
        pca("REG1_DAT9"),
        reg=date(2025, 7, 1),
    ),
    c16(
        "c16_reg_9m_out",
        "r9: registered 2025-06-30 -> not achieved",
        NOT_ACHIEVED,
        reg=date(2025, 6, 30),
    ),
]


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_chd(c, check):
    check(c, CASES)


# ---- PAD_REG: no 2025/26 indicator, so membership is read from the evaluation ---------------

PAD_CASES = {
    # pid: (events, dob, death, expected on PAD_REG)
    "pad_dx": ([Ev("PAD_COD", DX)], date(1960, 6, 15), None, True),
    "pad_none": ([Ev("CHD_COD", DX)], date(1960, 6, 15), None, False),
    "pad_on_achv": ([Ev("PAD_COD", date(2026, 3, 31))], date(1960, 6, 15), None, True),
    "pad_after_achv": ([Ev("PAD_COD", date(2026, 4, 1))], date(1960, 6, 15), None, False),
    "pad_child": ([Ev("PAD_COD", DX)], date(2014, 1, 1), None, True),
    "pad_dead": ([Ev("PAD_COD", DX)], date(1960, 6, 15), date(2025, 8, 1), False),
}


def test_pad_register(runner) -> None:
    """PAD_REG (PAD001): any PAD_COD on or before ACHV, all ages; the dead are not counted."""
    from qofcli.api import evaluate
    from qofcli.extract import extract_from_frames

    patients, events = [], []
    for pid, (evs, dob, death, _) in PAD_CASES.items():
        patients.append(
            {
                "patient_id": pid,
                "practice_code": "A00001",
                "date_of_birth": dob,
                "sex": "F",
                "registration_date": date(2000, 1, 1),
                "deregistration_date": None,
                "death_date": death,
            }
        )
        for e in evs:
            events.append(
                {"patient_id": pid, "date": e.date, "code": runner.picker.pick(e), "value": None}
            )
    extract = extract_from_frames(
        pl.DataFrame(
            patients,
            schema={
                "patient_id": pl.String,
                "practice_code": pl.String,
                "date_of_birth": pl.Date,
                "sex": pl.String,
                "registration_date": pl.Date,
                "deregistration_date": pl.Date,
                "death_date": pl.Date,
            },
        ),
        pl.DataFrame(
            events,
            schema={
                "patient_id": pl.String,
                "date": pl.Date,
                "code": pl.String,
                "value": pl.Float64,
            },
        ),
    )
    frame = evaluate(extract, runner.rs).patients
    on = dict(zip(frame["patient_id"].to_list(), frame["reg:PAD_REG"].to_list(), strict=True))
    for pid, (*_, expected) in PAD_CASES.items():
        assert bool(on.get(pid, False)) is expected, pid
