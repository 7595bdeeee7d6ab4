"""review_payload: the data behind the review (reasons in words, flags, published scores)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rairpredict.cohort.io import read_table, write_table
from rairpredict.errors import ContractError
from rairpredict.models.published_scores import LiRairScore
from rairpredict.report import field_label, review_payload
from rairpredict.report._payload import band_table, canonical_inputs, format_value


def test_field_labels_are_plain_words_from_the_contract():
    assert field_label("tsh_stim_mu_l") == "Stimulated TSH on the day of 131I"
    assert field_label("vascular_invasion") == "Any vascular invasion"
    assert field_label("ln_ratio") == "Lymph nodes with metastasis / Lymph nodes examined"
    assert field_label("no_such_field") == "no such field"


def test_format_value():
    assert [format_value(v) for v in (114.0, "113.72", True, "False", "papillary_tall_cell", np.nan, None)] == \
        ["114", "113.7", "yes", "no", "papillary, tall cell", "", ""]


def test_band_table_states_each_probability_range(review_model):
    bands = band_table(review_model)
    assert [b["name"] for b in bands] == ["low", "intermediate", "high"]
    assert [b["meaning"] for b in bands] == ["predicted probability below 5%",
                                             "predicted probability from 5% to below 15%",
                                             "predicted probability 15% or more"]
    assert len({b["colour"] for b in bands}) == 3


def test_payload_has_every_patient_with_reasons_in_words(review_scores, review_model):
    payload = review_payload(review_scores, review_model)
    patients = payload["patients"]
    assert len(patients) == len(review_scores)
    assert [p["id"] for p in patients] == review_scores["patient_id"].tolist()
    np.testing.assert_allclose([p["p"] for p in patients], review_scores["probability"])
    assert all(len(p["reasons"]) == 3 for p in patients)
    # a TSH reason reads as "Stimulated TSH on the day of 131I: <value> mU/L — raises/lowers risk"
    row = next(i for i, f in enumerate(review_scores["reason_1_feature"]) if f == "tsh_stim_mu_l")
    reason = patients[row]["reasons"][0]
    value = format_value(review_scores["reason_1_value"].iloc[row])
    verb = review_scores["reason_1_direction"].iloc[row].replace(" risk", " the risk")
    assert reason["text"].startswith(f"Stimulated TSH on the day of 131I: {value} mU/L — {verb} (about ")
    assert reason["weight"] == pytest.approx(review_scores["reason_1_log_odds"].iloc[row])
    assert [f["field"] for f in payload["filters"]] == ["histology", "preparation"]


def test_implausible_and_missing_inputs_are_flagged(review_scores, review_model):
    patients = review_payload(review_scores, review_model)["patients"]
    tsh = next(r for r in patients[5]["inputs"] if r["field"] == "tsh_stim_mu_l")
    assert tsh == {"field": "tsh_stim_mu_l", "label": "Stimulated TSH on the day of 131I", "value": "800",
                   "unit": "mU/L", "missing": False, "implausible": True}
    assert [f["field"] for f in patients[5]["implausible"]] == ["tsh_stim_mu_l"]
    with_missing = [i for i, m in enumerate(review_scores["missing_inputs"]) if m]
    assert with_missing, "the simulated cohort has missing lymph-node counts"
    i = with_missing[0]
    missing = review_scores["missing_inputs"].iloc[i].split(";")
    assert [f["field"] for f in patients[i]["missing"]] == missing
    assert all(r["missing"] for r in patients[i]["inputs"] if r["field"] in missing)


def test_published_scores_beside_the_model(review_scores, review_model):
    patients = review_payload(review_scores, review_model)["patients"]
    expected = LiRairScore().points(canonical_inputs(review_scores))
    li = [next(s for s in p["published"] if s["key"] == "li2018") for p in patients]
    assert li[0]["name"] == LiRairScore.name  # labelled exactly as the class labels itself
    got = np.array([np.nan if s["points"] is None else s["points"] for s in li])
    np.testing.assert_array_equal(got, expected.to_numpy(dtype=float))
    assert np.isfinite(got).sum() > len(got) // 2
    liu = next(s for s in patients[0]["published"] if s["key"] == "liu2022")
    # Liu 2022 is a pre-therapy score (FDG PET before 131I): here only its inputs are missing
    assert "points" not in liu and "FDG PET" in liu["note"]


def test_csv_round_trip_gives_the_same_review_data(review_scores, review_model, tmp_path):
    path = write_table(review_scores, tmp_path / "scores.csv")
    back = read_table(path)  # all text, formula-escaped ids
    a = review_payload(review_scores, review_model)["patients"]
    b = review_payload(back, review_model)["patients"]
    np.testing.assert_allclose([p["p"] for p in b], [p["p"] for p in a])
    assert [p["reasons"][0]["text"] for p in b] == [p["reasons"][0]["text"] for p in a]
    assert [p["published"][0].get("points") for p in b] == [p["published"][0].get("points") for p in a]
    assert b[3]["id"] == "'" + a[3]["id"]  # the =HYPERLINK id stays neutralised


def test_bad_scores_table_names_column_and_row(review_scores, review_model):
    with pytest.raises(ContractError, match="column 'risk_band' missing"):
        review_payload(review_scores.drop(columns="risk_band"), review_model)
    bad = review_scores.copy()
    bad["probability"] = bad["probability"].astype(object)
    bad.loc[bad.index[7], "probability"] = "1.5"
    with pytest.raises(ContractError, match="column 'probability', row 8"):
        review_payload(bad, review_model)


def test_minimal_scores_without_reasons_or_inputs(review_model):
    scores = pd.DataFrame({"patient_id": ["a", "b"], "probability": [0.2, 0.01], "risk_band": ["high", "low"]})
    patients = review_payload(scores, review_model)["patients"]
    assert [(p["id"], p["reasons"], p["inputs"], p["missing"]) for p in patients] == \
        [("a", [], [], []), ("b", [], [], [])]
