"""Tests of label_rair: Study B's five criteria, vignettes of seed 001, properties."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rairpredict.labels import label_rair
from rairpredict.reference import clinical

CRIT = [f"rair_criterion_{i}" for i in range(1, 6)]
FIELDS = ["course_number", "post_scan_any_uptake", "post_scan_uptake_loss", "known_lesions",
          "lesions_without_uptake", "structural_progression_12_16m", "persistent_disease",
          "fdg_pet", "cumulative_activity_gbq"]


def _table(rows):
    t = pd.DataFrame(rows, columns=FIELDS)
    for c in ("post_scan_any_uptake", "post_scan_uptake_loss", "structural_progression_12_16m",
              "persistent_disease"):
        t[c] = t[c].astype("boolean")
    t["fdg_pet"] = pd.Categorical(t["fdg_pet"], categories=["negative", "positive"])
    return t


def _fired(out, i=0):
    return [k + 1 for k, c in enumerate(CRIT) if out[c].tolist()[i] is True]


def row(**kw):
    base = dict(course_number=2, post_scan_any_uptake=True, post_scan_uptake_loss=False,
                known_lesions=0, lesions_without_uptake=0, structural_progression_12_16m=False,
                persistent_disease=False, fdg_pet=None, cumulative_activity_gbq=7.4)
    base.update(kw)
    return base


# ----------------------------------------------------------------- seed 001 vignettes
def test_patient_g_flip_flop_is_criterion_5():
    # 27 y, pT1N0M0 classic PTC; 2nd course 124 mCi after 81 mCi; no 131I uptake in
    # bed, nodes or lung nodules (suspected, not confirmed lesions); FDG PET positive.
    g = row(post_scan_any_uptake=False, post_scan_uptake_loss=None, known_lesions=None,
            lesions_without_uptake=None, structural_progression_12_16m=None, persistent_disease=None,
            fdg_pet="positive", cumulative_activity_gbq=(81 + 124) * clinical.MCI_TO_GBQ)
    out = label_rair(_table([g]))
    assert out["rair"].tolist()[0] is True
    assert out["rair_criterion_5"].tolist()[0] is True
    assert out["rair_criterion_3"].tolist()[0] is False and out["rair_criterion_4"].tolist()[0] is False
    assert "criterion 5" in out["rair_reason"].tolist()[0]
    # Once persistent disease is recorded (Tg 223 ng/mL), criterion 1 overlaps.
    out2 = label_rair(_table([{**g, "persistent_disease": True}]))
    assert _fired(out2) == [1, 5]


@pytest.mark.parametrize("age,histology", [(36, "follicular"), (65, "papillary_classic")])
def test_two_women_five_courses_over_600_mci_are_criterion_4(age, histology):
    # Five courses, > 600 mCi, persistent high Tg/TgAb, avid lung metastases, no
    # positive dynamics (stable, not progressing).
    r = row(course_number=5, post_scan_any_uptake=True, post_scan_uptake_loss=False,
            known_lesions=10, lesions_without_uptake=0, structural_progression_12_16m=False,
            persistent_disease=True, cumulative_activity_gbq=700 * clinical.MCI_TO_GBQ)
    t = _table([r])
    t["age_years"], t["histology"] = float(age), histology
    out = label_rair(t)
    assert _fired(out) == [4]
    assert out["rair"].tolist()[0] is True
    assert out.loc[:, CRIT].iloc[0].tolist() == [False, False, False, True, False]


def test_patient_i_non_avid_jugular_node_is_criterion_2():
    # 42 y, first course 150 mCi; bed uptake, 12 mm level IV node without uptake.
    r = row(course_number=1, post_scan_any_uptake=True, post_scan_uptake_loss=None,
            known_lesions=1, lesions_without_uptake=1, structural_progression_12_16m=None,
            persistent_disease=None, cumulative_activity_gbq=150 * clinical.MCI_TO_GBQ)
    out = label_rair(_table([r]))
    assert out["rair"].tolist()[0] is True
    assert out["rair_criterion_2"].tolist()[0] is True
    assert out["rair_criterion_1"].tolist()[0] is False  # uptake present, course 1: no loss
    assert out["rair_criterion_4"].tolist()[0] is False
    assert out["rair_reason"].tolist()[0].startswith("criterion 2")


# ----------------------------------------------------------------- single criteria
CASES = [
    (row(), [], False),
    # successful ablation: negative scan without known disease is NOT criterion 1
    (row(post_scan_any_uptake=False, course_number=3), [], False),
    (row(post_scan_any_uptake=False, known_lesions=2, lesions_without_uptake=2), [1, 2], True),
    (row(post_scan_any_uptake=False, persistent_disease=True), [1], True),
    (row(post_scan_uptake_loss=True, known_lesions=1), [1], True),
    (row(post_scan_uptake_loss=True), [], False),  # remnant losing uptake
    (row(known_lesions=3, lesions_without_uptake=1), [2], True),
    (row(structural_progression_12_16m=True, persistent_disease=True, known_lesions=1), [3], True),
    (row(structural_progression_12_16m=True, persistent_disease=True, post_scan_any_uptake=False,
         known_lesions=1, lesions_without_uptake=1), [1, 2], True),  # no uptake: not criterion 3
    # criterion 3 needs uptake in a lesion, not anywhere on the scan: progressing
    # lesions that are all non-avid beside a thyroid-bed uptake are criterion 2 only
    (row(structural_progression_12_16m=True, persistent_disease=True, known_lesions=2,
         lesions_without_uptake=2), [2], True),
    (row(structural_progression_12_16m=True, persistent_disease=True, known_lesions=2,
         lesions_without_uptake=1), [2, 3], True),
    (row(structural_progression_12_16m=True, persistent_disease=True, known_lesions=0), [], False),
    (row(persistent_disease=True, known_lesions=1, cumulative_activity_gbq=22.2), [4], True),
    (row(persistent_disease=True, known_lesions=1, cumulative_activity_gbq=22.19), [], False),
    (row(persistent_disease=False, cumulative_activity_gbq=30.0), [], False),
    (row(fdg_pet="positive", persistent_disease=True, known_lesions=1, lesions_without_uptake=1), [2, 5], True),
    (row(fdg_pet="positive", persistent_disease=True, known_lesions=1), [], False),  # avid + FDG: no mismatch
    (row(fdg_pet="negative", post_scan_any_uptake=False, persistent_disease=True), [1], True),
]


@pytest.mark.parametrize("r,fired,rair", CASES)
def test_single_criteria(r, fired, rair):
    out = label_rair(_table([r]))
    assert _fired(out) == fired
    assert out["rair"].tolist()[0] is rair
    if rair is False:
        assert out.loc[:, CRIT].iloc[0].notna().all()


def test_threshold_parameter_and_constant():
    assert clinical.RAIR_CUMULATIVE_ACTIVITY_GBQ == pytest.approx(22.2)
    t = _table([row(persistent_disease=True, known_lesions=1, cumulative_activity_gbq=15.0)])
    assert label_rair(t)["rair"].tolist()[0] is False
    assert label_rair(t, cumulative_threshold_gbq=14.8)["rair"].tolist()[0] is True


def test_unknown_without_scan_or_follow_up():
    t = pd.DataFrame({"cumulative_activity_gbq": [30.0], "course_number": [4]})
    out = label_rair(t)
    assert out["rair"].isna().all() and out["rair_reason"].tolist()[0].startswith("unknown: no post-therapy scan")
    assert str(out["rair"].dtype) == "boolean"


def test_partial_data_is_unknown_not_false():
    # An avid lesion but no follow-up: progression despite uptake (3) cannot be excluded.
    r = row(structural_progression_12_16m=None, persistent_disease=None, known_lesions=1)
    out = label_rair(_table([r]))
    assert out["rair"].isna().all()
    assert out["rair_reason"].tolist()[0] == "unknown: criteria 3 not evaluable, none met"
    assert out.index.equals(_table([r]).index)
    # No lesion on the scan: criterion 3 needs an avid lesion, so it is decided (False).
    r = row(structural_progression_12_16m=None, persistent_disease=None)
    assert label_rair(_table([r]))["rair_criterion_3"].tolist()[0] is False


# ----------------------------------------------------------------- properties
def _consistent_rows():
    tri = st.sampled_from([True, False, None])
    return st.builds(
        dict,
        course_number=st.sampled_from([1, 2, 3, None]),
        post_scan_any_uptake=tri, post_scan_uptake_loss=tri,
        known_lesions=st.sampled_from([0, 1, 3, None]),
        lesions_without_uptake=st.sampled_from([0, 1, 2, None]),
        structural_progression_12_16m=tri, persistent_disease=tri,
        fdg_pet=st.sampled_from(["negative", "positive", None]),
        cumulative_activity_gbq=st.sampled_from([3.7, 22.2, 30.0, None]),
    ).map(_make_consistent)


def _make_consistent(r):
    if r["known_lesions"] is not None and r["lesions_without_uptake"] is not None:
        r["lesions_without_uptake"] = min(r["lesions_without_uptake"], r["known_lesions"])
    if r["structural_progression_12_16m"] is True and r["persistent_disease"] is False:
        r["persistent_disease"] = True
    if r["fdg_pet"] == "positive" and r["persistent_disease"] is False:
        r["persistent_disease"] = True
    if r["post_scan_any_uptake"] is False and r["known_lesions"] is not None:
        r["lesions_without_uptake"] = r["known_lesions"]  # no uptake anywhere: no avid lesion
    if r["post_scan_uptake_loss"] is True and r["course_number"] == 1:
        r["course_number"] = 2
    return r


@settings(max_examples=80, deadline=None)
@given(st.lists(_consistent_rows(), min_size=1, max_size=20))
def test_rair_is_three_valued_or_of_criteria(rows):
    out = label_rair(_table(rows))
    crit = out[CRIT]
    any_true = (crit == True).any(axis=1).to_numpy()  # noqa: E712
    all_false = (crit == False).all(axis=1).to_numpy()  # noqa: E712
    rair = out["rair"]
    assert (rair.fillna(False).to_numpy() == any_true).all()
    known_false = (rair == False).fillna(False).to_numpy()  # noqa: E712
    assert (known_false <= all_false).all()
    assert ((rair.isna().to_numpy()) | any_true | all_false).all()


@settings(max_examples=80, deadline=None)
@given(st.lists(_consistent_rows(), min_size=1, max_size=10), st.data())
def test_removing_inputs_never_flips_a_label(rows, data):
    full = label_rair(_table(rows))
    masked_rows = [dict(r) for r in rows]
    for r in masked_rows:
        for f in data.draw(st.sets(st.sampled_from(FIELDS))):
            r[f] = None
    masked = label_rair(_table(masked_rows))
    for c in ["rair"] + CRIT:
        m, f = masked[c], full[c]
        ok = m.isna() | (m == f).fillna(False)
        assert ok.all(), c
