"""Table 1 of the development cohort (tableone): overall, by outcome, missing counts, aggregates only."""
import json

import numpy as np
import pandas as pd

from rairpredict.evaluation.table_one import table_one, table_one_records


def _cohort():
    return pd.DataFrame({
        "patient_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
        "age_years": [40.0, 50.0, np.nan, 70.0, 30.0, 60.0],
        "sex": pd.Categorical(["female", "male", "female", None, "female", "male"]),
        "smoking": pd.array([True, False, None, False, True, False], dtype="boolean"),
    })


def test_overall_by_outcome_and_missing_counts():
    y = np.array([0, 1, 0, 1, 0, 1])
    tab = table_one(_cohort(), y, columns=["age_years", "sex", "smoking", "not_a_column"], outcome="RAIR")
    assert tab.iloc[0][["variable", "overall", "negative", "positive"]].tolist() == ["n", "6", "3", "3"]
    age = tab[tab["variable"] == "age_years"].iloc[0]
    assert (age["missing"], age["missing_negative"], age["missing_positive"]) == (1, 1, 0)
    assert age["summary"] == "median [Q1,Q3]" and age["positive"].startswith("60.0")
    sex = tab[tab["variable"] == "sex"].set_index("level")
    assert sex.loc["female", "overall"] == "3 (50.0)" and sex.loc["female", "positive"] == "0 (0.0)"
    assert sex.loc["missing", "positive"] == "1 (33.3)"        # missing shown as its own level
    smoke = tab[tab["variable"] == "smoking"].set_index("level")
    assert set(smoke.index) == {"yes", "no", "missing"} and smoke.loc["yes", "negative"] == "2 (66.7)"
    assert "not_a_column" not in set(tab["variable"])


def test_records_are_aggregates_only_and_json_ready():
    y = np.array([0, 1, 0, 1, 0, 1])
    rec = table_one_records(table_one(_cohort(), y, columns=["age_years", "sex"], outcome="RAIR"), "RAIR")
    text = json.dumps(rec)
    assert not any(pid in text for pid in ("P1", "P2", "P3"))
    assert rec["columns"][:5] == ["characteristic", "level", "overall", "no RAIR", "RAIR"]
    assert all(len(r) == len(rec["columns"]) and all(isinstance(c, str) for c in r) for r in rec["rows"])
    assert rec["rows"][0][:3] == ["n", "", "6"]
    assert "tableone" in rec["method"] and "median [Q1, Q3]" in rec["method"]
