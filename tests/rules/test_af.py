"""AF_REG (AF001), AF006 (CHA2DS2-VASc in 12 months) and AF008 (anticoagulation), QOF 2025/26.

Expectations come from the rules (qof-rule-logic.md §2, §3.6; NHS Digital 2023/24 AF fields),
not from engine output.

AF_REG: latest AFIB_COD not followed by an AFIBRES_COD on or after it (same_day_resolution
  removes, issue #14); all ages.
AF006: 1 latest CHADVASC/CHADS2 on or before PPED-12m (2025-03-31) and >= 2 -> excluded CHAD_VAL2
  2 CHA2DS2-VASc after 2025-03-31 -> achieved; 3 AFIBPCAPU, 4 AFIBPCADEC (12 m), 5 two AF
  invitations >= 7 days apart -> AFIBINV1; 6 first AF code after 2025-12-31 -> DIAG1_DAT;
  7 registered after 2025-12-31 -> REG1_DAT3; else not achieved.
AF008: 1 latest CHA2DS2-VASc < 2 or none (and no pre-2015 CHADS2 >= 2) -> excluded CHADVASC
  2 no mechanical valve and DOAC after 2025-09-30, or VKA then with DOAC declined/unsuitable, or
  valve and VKA -> achieved; 3.. OAC contraindication/decline PCAs; DIAG1_DAT; REG1_DAT3.
CHA2DS2-VASc, CHADS2, AF PCA/invitation, valve and DOAC/VKA decline clusters are not public:
those cases skip, naming the cluster.
"""

from __future__ import annotations

from datetime import date

import pytest
from rulecases import ACHIEVED, NOT_ACHIEVED, case, case_id, ev, excluded, pca

AF = ev("AFIB_COD", date(2015, 1, 1))


def af(pid, why, expect=None, *, events=(), **kw):
    """A patient with no diabetes code and, unless ``events`` says otherwise, AF since 2015."""
    return case(pid, why, expect, events=events, dx=None, **kw)


def score(when, value):
    return ev("CHADVASC_COD", when, value)


def chads2(when, value):
    return ev("CHAD_COD", when, value)


def doac(when):
    return ev("DOAC_COD", when)


def vka(when):
    return ev("WARFARIN_COD", when)


def invites(*dates):
    return [ev("AFIBINVITE_COD", d) for d in dates]


NO_ROWS = {"AF006": None, "AF008": None}
SCORE2 = score(date(2025, 6, 1), 2)

CASES = [
    # ---- AF_REG -------------------------------------------------------------------------
    af(
        "reg_af",
        "AF_REG: unresolved AF -> on register; AF006 nothing recorded -> not achieved;"
        " AF008 no score -> excluded CHADVASC",
        {"AF006": NOT_ACHIEVED, "AF008": excluded("CHADVASC")},
        events=[AF],
    ),
    af("reg_none", "AF_REG: no AF code -> no rows", NO_ROWS),
    af(
        "reg_child",
        "AF_REG: all ages - a 4-year-old with AF is on the register",
        {"AF006": NOT_ACHIEVED},
        events=[ev("AFIB_COD", date(2024, 1, 1))],
        dob=date(2021, 6, 1),
    ),
    af(
        "reg_code_after_achv",
        "AF_REG: the only AF code is dated after ACHV -> no rows",
        NO_ROWS,
        events=[ev("AFIB_COD", date(2026, 4, 1))],
    ),
    af(
        "reg_code_on_pped",
        "AF_REG: AF coded on PPED counts (AF006 then newly diagnosed)",
        {"AF006": pca("DIAG1_DAT")},
        events=[ev("AFIB_COD", date(2026, 3, 31))],
    ),
    af(
        "reg_resolved",
        "AF_REG: AFIBRES after the latest AF -> not on register",
        NO_ROWS,
        events=[AF, ev("AFIBRES_COD", date(2020, 1, 1))],
    ),
    af(
        "reg_resolved_same_day",
        "AF_REG removes: AFIBRES on the day of the latest AF -> not on register",
        NO_ROWS,
        events=[AF, ev("AFIBRES_COD", date(2015, 1, 1))],
    ),
    af(
        "reg_resolved_then_af",
        "AF_REG: resolved 2018, AF again 2020 -> on register",
        {"AF006": NOT_ACHIEVED},
        events=[AF, ev("AFIBRES_COD", date(2018, 1, 1)), ev("AFIB_COD", date(2020, 1, 1))],
    ),
    af(
        "reg_dereg_before",
        "population: deregistered 2026-01-10 -> no rows",
        NO_ROWS,
        events=[AF],
        dereg=date(2026, 1, 10),
    ),
    af(
        "reg_dereg_after",
        "population: deregistered after ACHV (2026-04-02) -> counted",
        {"AF006": NOT_ACHIEVED},
        events=[AF],
        dereg=date(2026, 4, 2),
    ),
    af(
        "reg_dead",
        "population: died 2025-12-01 -> no rows",
        NO_ROWS,
        events=[AF],
        death=date(2025, 12, 1),
    ),
    # ---- AF006 rule 1: CHAD_VAL2 ----------------------------------------------------------
    af(
        "af006_old_score_2",
        "AF006 r1: latest score 2 on 2025-03-31 (<= PPED-12m) -> excluded",
        {"AF006": excluded("CHAD_VAL2")},
        events=[AF, score(date(2025, 3, 31), 2)],
    ),
    af(
        "af006_old_score_1",
        "AF006 r1: latest score 1 on 2025-03-31 -> not excluded; not in year -> not achieved",
        {"AF006": NOT_ACHIEVED},
        events=[AF, score(date(2025, 3, 31), 1)],
    ),
    af(
        "af006_old_chads2_3",
        "AF006 r1: latest score is an old CHADS2 of 3 -> excluded",
        {"AF006": excluded("CHAD_VAL2")},
        events=[AF, chads2(date(2012, 1, 1), 3)],
    ),
    af(
        "af006_old_high_new_low",
        "AF006 r1/2: 4 in 2023 then 1 on 2025-04-01: latest is in year -> not excluded, achieved",
        {"AF006": ACHIEVED},
        events=[AF, score(date(2023, 1, 1), 4), score(date(2025, 4, 1), 1)],
    ),
    # ---- AF006 rule 2: window --------------------------------------------------------------
    af(
        "af006_score_ppsd",
        "AF006 r2: CHA2DS2-VASc on 2025-04-01 -> achieved",
        {"AF006": ACHIEVED},
        events=[AF, score(date(2025, 4, 1), 0)],
    ),
    af(
        "af006_score_pped",
        "AF006 r2: CHA2DS2-VASc on PPED -> achieved",
        {"AF006": ACHIEVED},
        events=[AF, score(date(2026, 3, 31), 1)],
    ),
    af(
        "af006_score_after_achv",
        "AF006 r2: score dated after ACHV is ignored -> not achieved",
        {"AF006": NOT_ACHIEVED},
        events=[AF, score(date(2026, 4, 1), 1)],
    ),
    af(
        "af006_chads2_in_year",
        "AF006 r2: a CHADS2 (not CHA2DS2-VASc) in year does not count",
        {"AF006": NOT_ACHIEVED},
        events=[AF, chads2(date(2025, 6, 1), 1)],
    ),
    # ---- AF006 PCAs: achievers keep achieved -----------------------------------------------
    af(
        "af006_pu",
        "AF006 r3: AF care unsuitable 2025-04-01 -> AFIBPCAPU",
        {"AF006": pca("AFIBPCAPU")},
        events=[AF, ev("AFIBPCAPU_COD", date(2025, 4, 1))],
    ),
    af(
        "af006_pu_old",
        "AF006 r3: unsuitable 2025-03-31 (out of window) -> not achieved",
        {"AF006": NOT_ACHIEVED},
        events=[AF, ev("AFIBPCAPU_COD", date(2025, 3, 31))],
    ),
    af(
        "af006_dec",
        "AF006 r4: declined AF care in year -> AFIBPCADEC",
        {"AF006": pca("AFIBPCADEC")},
        events=[AF, ev("AFIBPCADEC_COD", date(2025, 9, 1))],
    ),
    af(
        "af006_achiever_with_pca",
        "AF006 r2 before r3: score in year and PCA -> achieved",
        {"AF006": ACHIEVED},
        events=[AF, score(date(2025, 5, 1), 1), ev("AFIBPCADEC_COD", date(2025, 9, 1))],
    ),
    af(
        "af006_inv_7",
        "AF006 r5: invitations 7 days apart -> AFIBINV1",
        {"AF006": pca("AFIBINV1")},
        events=[AF, invites(date(2025, 6, 1), date(2025, 6, 8))],
    ),
    af(
        "af006_inv_6",
        "AF006 r5: invitations 6 days apart -> not achieved",
        {"AF006": NOT_ACHIEVED},
        events=[AF, invites(date(2025, 6, 1), date(2025, 6, 7))],
    ),
    af(
        "af006_inv_before_ppsd",
        "AF006 r5: first invitation 2025-03-31 (before PPSD) -> one counts -> not achieved",
        {"AF006": NOT_ACHIEVED},
        events=[AF, invites(date(2025, 3, 31), date(2025, 6, 1))],
    ),
    # ---- AF006 new diagnosis / registration ------------------------------------------------
    af(
        "af006_dx_new",
        "AF006 r6: first AF 2026-01-01 (after PPED-3m) -> DIAG1_DAT",
        {"AF006": pca("DIAG1_DAT")},
        events=[ev("AFIB_COD", date(2026, 1, 1))],
    ),
    af(
        "af006_dx_edge",
        "AF006 r6: first AF 2025-12-31 (= PPED-3m, not after) -> not achieved",
        {"AF006": NOT_ACHIEVED},
        events=[ev("AFIB_COD", date(2025, 12, 31))],
    ),
    af(
        "af006_dx_earliest",
        "AF006 r6: AF 2015 and again 2026-02-01: earliest decides -> not new",
        {"AF006": NOT_ACHIEVED},
        events=[AF, ev("AFIB_COD", date(2026, 2, 1))],
    ),
    af(
        "af006_reg_new",
        "AF006 r7: registered 2026-01-01 -> REG1_DAT3",
        {"AF006": pca("REG1_DAT3")},
        events=[AF],
        reg=date(2026, 1, 1),
    ),
    af(
        "af006_reg_edge",
        "AF006 r7: registered 2025-12-31 -> not achieved",
        {"AF006": NOT_ACHIEVED},
        events=[AF],
        reg=date(2025, 12, 31),
    ),
    af(
        "af006_new_achiever",
        "AF006 r2 first: newly diagnosed with a score -> achieved",
        {"AF006": ACHIEVED},
        events=[ev("AFIB_COD", date(2026, 1, 1)), score(date(2026, 1, 2), 1)],
    ),
    # ---- AF008 rule 1: population ----------------------------------------------------------
    af(
        "af008_score_1",
        "AF008 r1: latest CHA2DS2-VASc 1 -> excluded CHADVASC",
        {"AF008": excluded("CHADVASC")},
        events=[AF, score(date(2025, 6, 1), 1), doac(date(2026, 1, 1))],
    ),
    af(
        "af008_score_2_then_1",
        "AF008 r1: 3 in 2020 then 1 in 2025: latest decides -> excluded",
        {"AF008": excluded("CHADVASC")},
        events=[AF, score(date(2020, 1, 1), 3), score(date(2025, 6, 1), 1)],
    ),
    af(
        "af008_no_score_doac",
        "AF008 r1: no score at all, on a DOAC -> excluded (gate first)",
        {"AF008": excluded("CHADVASC")},
        events=[AF, doac(date(2026, 1, 1))],
    ),
    af(
        "af008_chads2_old",
        "AF008 r1: no CHA2DS2-VASc, CHADS2 2 on 2015-03-31 -> in; DOAC -> achieved",
        {"AF008": ACHIEVED},
        events=[AF, chads2(date(2015, 3, 31), 2), doac(date(2026, 1, 1))],
    ),
    af(
        "af008_chads2_2015",
        "AF008 r1: CHADS2 2 on 2015-04-01 (not before April 2015) -> excluded",
        {"AF008": excluded("CHADVASC")},
        events=[AF, chads2(date(2015, 4, 1), 2)],
    ),
    af(
        "af008_chads2_but_vasc_1",
        "AF008 r1: CHA2DS2-VASc 1 overrides an old CHADS2 of 3 -> excluded",
        {"AF008": excluded("CHADVASC")},
        events=[AF, chads2(date(2014, 1, 1), 3), score(date(2024, 1, 1), 1)],
    ),
    # ---- AF008 rule 2: numerator -----------------------------------------------------------
    af(
        "af008_doac_in",
        "AF008 r2: DOAC 2025-10-01 (after PPED-6m) -> achieved",
        {"AF008": ACHIEVED},
        events=[AF, SCORE2, doac(date(2025, 10, 1))],
    ),
    af(
        "af008_doac_out",
        "AF008 r2: DOAC 2025-09-30 -> not achieved",
        {"AF008": NOT_ACHIEVED},
        events=[AF, SCORE2, doac(date(2025, 9, 30))],
    ),
    af(
        "af008_vka_only",
        "AF008 r2: VKA without a DOAC decline/unsuitability -> not achieved",
        {"AF008": NOT_ACHIEVED},
        events=[AF, SCORE2, vka(date(2026, 1, 1))],
    ),
    af(
        "af008_vka_doacdec",
        "AF008 r2: VKA and DOAC declined in year -> achieved",
        {"AF008": ACHIEVED},
        events=[AF, SCORE2, vka(date(2026, 1, 1)), ev("DOACDEC_COD", date(2025, 5, 1))],
    ),
    af(
        "af008_vka_aps",
        "AF008 r2: VKA and antiphospholipid syndrome (ever) -> achieved",
        {"AF008": ACHIEVED},
        events=[AF, SCORE2, vka(date(2026, 1, 1)), ev("ANTIPHOS_COD", date(2001, 1, 1))],
    ),
    af(
        "af008_valve_vka",
        "AF008 r2: mechanical valve and VKA -> achieved",
        {"AF008": ACHIEVED},
        events=[AF, SCORE2, vka(date(2026, 1, 1)), ev("MECHVALVE_COD", date(2010, 1, 1))],
    ),
    af(
        "af008_valve_doac",
        "AF008 r2: mechanical valve and a DOAC only -> not achieved",
        {"AF008": NOT_ACHIEVED},
        events=[AF, SCORE2, doac(date(2026, 1, 1)), ev("MECHVALVE_COD", date(2010, 1, 1))],
    ),
    # ---- AF008 PCAs ------------------------------------------------------------------------
    af(
        "af008_xorant",
        "AF008: persisting OAC contraindication (ever) -> XGORANTICO",
        {"AF008": pca("XGORANTICO")},
        events=[AF, SCORE2, ev("XORANTICOAG_COD", date(2001, 1, 1))],
    ),
    af(
        "af008_xorant_achiever",
        "AF008: on a DOAC despite an OAC contraindication -> achieved",
        {"AF008": ACHIEVED},
        events=[AF, SCORE2, doac(date(2026, 1, 1)), ev("XORANTICOAG_COD", date(2001, 1, 1))],
    ),
    af(
        "af008_txorant",
        "AF008: expiring OAC contraindication 2025-04-01 -> TXGORANTIC",
        {"AF008": pca("TXGORANTIC")},
        events=[AF, SCORE2, ev("TXORANTICOAG_COD", date(2025, 4, 1))],
    ),
    af(
        "af008_txorant_old",
        "AF008: expiring OAC contraindication 2025-03-31 -> not achieved",
        {"AF008": NOT_ACHIEVED},
        events=[AF, SCORE2, ev("TXORANTICOAG_COD", date(2025, 3, 31))],
    ),
    af(
        "af008_orantdec",
        "AF008: declined oral anticoagulation in year -> GENORANTID",
        {"AF008": pca("GENORANTID")},
        events=[AF, SCORE2, ev("ORANTICOAGDEC_COD", date(2025, 7, 1))],
    ),
    af(
        "af008_valve_vkacon",
        "AF008: valve and VKA contraindication -> VALVITKCON",
        {"AF008": pca("VALVITKCON")},
        events=[
            AF,
            SCORE2,
            ev("MECHVALVE_COD", date(2010, 1, 1)),
            ev("VKACON_COD", date(2012, 1, 1)),
        ],
    ),
    af(
        "af008_valve_vkadec",
        "AF008: valve and VKA declined in year -> VALVITKDEC",
        {"AF008": pca("VALVITKDEC")},
        events=[
            AF,
            SCORE2,
            ev("MECHVALVE_COD", date(2010, 1, 1)),
            ev("VKADEC_COD", date(2025, 7, 1)),
        ],
    ),
    af(
        "af008_doacdec_vkacon",
        "AF008: DOAC declined and VKA contraindicated -> DOACDVITKC",
        {"AF008": pca("DOACDVITKC")},
        events=[
            AF,
            SCORE2,
            ev("DOACDEC_COD", date(2025, 7, 1)),
            ev("VKACON_COD", date(2012, 1, 1)),
        ],
    ),
    af(
        "af008_doacdec_vkadec",
        "AF008: DOAC and VKA both declined in year -> DOACDVITKD",
        {"AF008": pca("DOACDVITKD")},
        events=[
            AF,
            SCORE2,
            ev("DOACDEC_COD", date(2025, 7, 1)),
            ev("VKADEC_COD", date(2025, 7, 1)),
        ],
    ),
    af(
        "af008_doaccon_vkacon",
        "AF008: DOAC and VKA contraindicated -> DOACXVITKC",
        {"AF008": pca("DOACXVITKC")},
        events=[
            AF,
            SCORE2,
            ev("DOACCON_COD", date(2012, 1, 1)),
            ev("VKACON_COD", date(2012, 1, 1)),
        ],
    ),
    af(
        "af008_doacnind_vkadec",
        "AF008: DOAC not indicated in year and VKA declined -> DOACXVITKD",
        {"AF008": pca("DOACXVITKD")},
        events=[
            AF,
            SCORE2,
            ev("DOACNIND_COD", date(2025, 7, 1)),
            ev("VKADEC_COD", date(2025, 7, 1)),
        ],
    ),
    af(
        "af008_dx_new",
        "AF008: first AF 2026-01-01, score 2, untreated -> DIAG1_DAT",
        {"AF008": pca("DIAG1_DAT")},
        events=[ev("AFIB_COD", date(2026, 1, 1)), score(date(2026, 1, 1), 2)],
    ),
    af(
        "af008_reg_new",
        "AF008: registered 2026-01-01, score 2, untreated -> REG1_DAT3",
        {"AF008": pca("REG1_DAT3")},
        events=[AF, SCORE2],
        reg=date(2026, 1, 1),
    ),
    af(
        "af008_reg_edge",
        "AF008: registered 2025-12-31 -> not achieved",
        {"AF008": NOT_ACHIEVED},
        events=[AF, SCORE2],
        reg=date(2025, 12, 31),
    ),
]


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_af(c, check):
    check(c, CASES)
