"""Tests of label_unexpected_uptake (Study A) and label_second_course_benefit (Study C)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rairpredict.labels import LABELS, add_labels, label_second_course_benefit, label_unexpected_uptake
from rairpredict.reference import clinical


# ----------------------------------------------------------------- unexpected uptake
THW = clinical.UNEXPECTED_LOW_DOSE_RATE_48H_USV_H_PER_GBQ["withdrawal"]
RH = clinical.UNEXPECTED_LOW_DOSE_RATE_48H_USV_H_PER_GBQ["rhtsh"]


def uptake(**kw):
    # Half the low-dosimetry threshold and twice the high-uptake one, whatever their tuning.
    r = dict(tc99m_uptake_pct=2 * clinical.UNEXPECTED_HIGH_TC99M_UPTAKE_PCT, post_scan_bed_uptake="faint",
             preparation="withdrawal", dose_rate_48h_usv_h=3.7 * 0.5 * THW, activity_gbq=3.7,
             early_radiation_reactions=False)
    r.update(kw)
    t = pd.DataFrame([r]).astype({"early_radiation_reactions": "boolean"})
    return label_unexpected_uptake(t).iloc[0]


@pytest.mark.parametrize("kw,expected", [
    ({}, True),
    (dict(tc99m_uptake_pct=clinical.UNEXPECTED_HIGH_TC99M_UPTAKE_PCT), True),          # >= inclusive
    (dict(tc99m_uptake_pct=clinical.UNEXPECTED_HIGH_TC99M_UPTAKE_PCT - 0.01), False),
    (dict(dose_rate_48h_usv_h=3.7 * THW), False),  # < strict
    (dict(dose_rate_48h_usv_h=3.7 * THW * 0.99), True),
    (dict(early_radiation_reactions=True), False),
    (dict(early_radiation_reactions=None), None),
    (dict(early_radiation_reactions=None, tc99m_uptake_pct=0.1), False),  # one known False decides
    (dict(activity_gbq=0.0), None),
    (dict(tc99m_uptake_pct=np.nan), None),
    # Study A's definition reads the post-therapy scan: a bed uptake that the
    # post-therapy scan confirms is not "unexpected" (the old label ignored the scan)
    (dict(post_scan_bed_uptake="intense"), False),
    (dict(post_scan_bed_uptake="absent"), True),
    (dict(post_scan_bed_uptake=None), None),
    # thresholds per preparation: rhTSH clears faster, so its "low" is lower
    (dict(preparation="rhtsh", dose_rate_48h_usv_h=3.7 * (RH + THW) / 2), False),
    (dict(preparation="withdrawal", dose_rate_48h_usv_h=3.7 * (RH + THW) / 2), True),
    (dict(preparation="rhtsh", dose_rate_48h_usv_h=3.7 * RH * 0.99), True),
    # preparation unknown: decided only below both / above both thresholds
    (dict(preparation=None, dose_rate_48h_usv_h=3.7 * RH * 0.99), True),
    (dict(preparation=None, dose_rate_48h_usv_h=3.7 * (RH + THW) / 2), None),
    (dict(preparation=None, dose_rate_48h_usv_h=3.7 * THW), False),
])
def test_unexpected_uptake_rules(kw, expected):
    got = uptake(**kw)["unexpected_uptake"]
    assert (None if pd.isna(got) else bool(got)) is expected


def test_unexpected_uptake_thresholds_cited_and_scaled_by_preparation():
    """Per-preparation dose-rate thresholds = fraction x dose-rate constant x the
    preparation's mean 48 h retention (Ravichandran 2016); 99mTc cut-off within the
    published ablation cut-offs (0.75-1.4 %), not the old 2 %."""
    r = clinical.RETENTION_48H_MEAN
    assert r == {"withdrawal": 0.148, "rhtsh": 0.089}
    assert RH / THW == pytest.approx(r["rhtsh"] / r["withdrawal"], rel=1e-3)
    lo, hi = min(clinical.TC99M_ABLATION_CUTOFFS_PCT), max(clinical.TC99M_ABLATION_CUTOFFS_PCT)
    assert lo <= clinical.UNEXPECTED_HIGH_TC99M_UPTAKE_PCT <= hi


def test_unexpected_uptake_reads_constants_at_call_time(monkeypatch):
    assert uptake()["unexpected_uptake"]
    t = pd.DataFrame([dict(tc99m_uptake_pct=5.0, post_scan_bed_uptake="faint", preparation="withdrawal",
                           dose_rate_48h_usv_h=1.0, activity_gbq=3.7, early_radiation_reactions=False)])
    monkeypatch.setattr(clinical, "UNEXPECTED_HIGH_TC99M_UPTAKE_PCT", 6.0)
    assert not label_unexpected_uptake(t)["unexpected_uptake"].any()
    assert label_unexpected_uptake(t)["unexpected_uptake_reason"].iloc[0] == "99mTc uptake below 6 %"
    monkeypatch.setattr(clinical, "UNEXPECTED_HIGH_TC99M_UPTAKE_PCT", 5.0)
    assert label_unexpected_uptake(t)["unexpected_uptake"].all()
    t["dose_rate_48h_usv_h"] = 30.0
    assert label_unexpected_uptake(t, high_uptake_pct=5.0, low_dose_rate_per_gbq=9.0)["unexpected_uptake"].all()
    assert not label_unexpected_uptake(t, low_dose_rate_per_gbq={"withdrawal": 8.0, "rhtsh": 9.0})[
        "unexpected_uptake"].any()
    assert not label_unexpected_uptake(t, low_dose_rate_per_gbq=9.0, discordant_bed_uptake=("absent",))[
        "unexpected_uptake"].any()


# ----------------------------------------------------------------- second course
def benefit(**kw):
    r = dict(course_number=2, structural_change_fu="none", tg_stim_ng_ml=40.0, tg_stim_fu_ng_ml=20.0,
             tgab_iu_ml=1.0, tgab_fu_iu_ml=np.nan)
    r.update(kw)
    out = label_second_course_benefit(pd.DataFrame([r]))
    v = out["second_course_benefit"].iloc[0]
    return (None if pd.isna(v) else bool(v)), out["second_course_benefit_reason"].iloc[0]


@pytest.mark.parametrize("kw,expected", [
    ({}, True),                                                    # fall exactly 50 %
    (dict(tg_stim_fu_ng_ml=20.4), False),                          # fall 49 %
    (dict(structural_change_fu="stable", tg_stim_fu_ng_ml=30.0), False),
    (dict(structural_change_fu="stable", tg_stim_fu_ng_ml=5.0), True),
    (dict(structural_change_fu="shrank", tg_stim_fu_ng_ml=60.0), True),
    (dict(structural_change_fu="resolved", tg_stim_fu_ng_ml=np.nan), True),
    (dict(structural_change_fu="progressed", tg_stim_fu_ng_ml=1.0), False),
    (dict(structural_change_fu=None, tg_stim_fu_ng_ml=1.0), None),
    (dict(tg_stim_ng_ml=0.0), None),
    (dict(course_number=1), None),
    (dict(course_number=np.nan), None),
    # TgAb positive: structure only
    (dict(tgab_iu_ml=30.0, structural_change_fu="stable", tg_stim_fu_ng_ml=1.0), False),
    (dict(tgab_iu_ml=30.0, structural_change_fu="shrank"), True),
    (dict(tgab_iu_ml=1.0, tgab_fu_iu_ml=30.0, structural_change_fu="none"), None),
    # TgAb never measured: the fall cannot be trusted
    (dict(tgab_iu_ml=np.nan), None),
])
def test_second_course_rules(kw, expected):
    assert benefit(**kw)[0] is expected


def test_second_course_reasons():
    assert benefit(course_number=1)[1] == "not a repeat course"
    assert benefit(structural_change_fu="progressed")[1] == "structural progression"
    assert benefit()[1] == "stimulated Tg fell by >= 50% without progression"
    t = pd.DataFrame({"course_number": [2], "structural_change_fu": ["none"], "tg_stim_ng_ml": [40.0],
                      "tg_stim_fu_ng_ml": [25.0], "tgab_iu_ml": [0.0]})
    assert label_second_course_benefit(t, tg_fall_fraction=0.3)["second_course_benefit"].all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.fixed_dictionaries({
    "course_number": st.sampled_from([1, 2, 3]),
    "structural_change_fu": st.sampled_from(["none", "resolved", "shrank", "stable", "progressed", None]),
    "tg_stim_ng_ml": st.floats(0, 500), "tg_stim_fu_ng_ml": st.floats(0, 500),
    "tgab_iu_ml": st.floats(0, 50)}), min_size=1, max_size=20))
def test_benefit_properties(rows):
    t = pd.DataFrame(rows)
    out = label_second_course_benefit(t)["second_course_benefit"]
    assert out[t["course_number"] < 2].isna().all()
    assert not out[t["structural_change_fu"] == "progressed"].fillna(False).any()
    assert out[(t["course_number"] >= 2) & t["structural_change_fu"].isin(["resolved", "shrank"])].all()


# ----------------------------------------------------------------- registry
def test_add_labels_and_registry():
    t = pd.DataFrame({"patient_id": ["a", "b"], "imaging_fu": ["structural", "negative"],
                      "recurred": [True, None], "rair": [False, False]}, index=[10, 11])
    out = add_labels(t)
    assert out.index.tolist() == [10, 11]
    expected = {"rair", "rair_reason", "ata_response", "structural_incomplete", "unexpected_uptake",
                "second_course_benefit", *[f"rair_criterion_{i}" for i in range(1, 6)]}
    assert expected <= set(out.columns)
    assert out.columns.is_unique
    assert out["rair"].isna().all()  # a stale source 'rair' column is replaced
    for name, spec in LABELS.items():
        col = spec.function(t)[spec.column]
        assert str(col.dtype) == "boolean", name
    assert LABELS["recurred"].function(t)["recurred"].tolist() == [True, pd.NA]
    assert LABELS["ata_response_structural_incomplete"].function(t)["structural_incomplete"].tolist()[0] is True
