"""Staging editions (issue 10 point 5): restaging to the 8th edition, coarse categories, stated reasons."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rairpredict.cohort import import_cohort
from rairpredict.cohort.config import CohortConfig
from rairpredict.cohort.derive import add_derived, derive_ajcc8_stage
from rairpredict.cohort.staging import restage
from rairpredict.errors import CohortFileError
from rairpredict.features import ClinicalFeatures


def _t(t, n="N0", size=None, ete=None):
    return pd.DataFrame({"t_stage": [t], "n_stage": [n], "tumour_size_mm": [size], "ete": [ete]})


@pytest.mark.parametrize("edition,t,size,ete,expected", [
    (8, "T1", 9.0, None, "T1a"), (8, "T1", 15.0, "none", "T1b"), (8, "T1", None, None, "T1"),
    (8, "T3", 50.0, "none", "T3a"), (8, "T3", 30.0, "gross", "T3b"), (8, "T3", 50.0, None, "T3"),
    (8, "T4", 50.0, "gross", "T4"), (8, "T2", 30.0, None, "T2"), (8, "T1a", 30.0, None, "T1a"),
    (7, "T3", 15.0, "minimal", "T1b"), (7, "T3", 30.0, "none", "T2"), (7, "T3", 45.0, "minimal", "T3a"),
    (7, "T3", 45.0, "gross", "T3b"), (7, "T3", 45.0, None, "T3"), (7, "T4a", None, None, "T4a"),
    (6, "T1", 5.0, None, "T1a"), (6, "T1", None, None, "T1"), (6, "T3", 25.0, "minimal", "T2"),
    (5, "T1", None, None, "T1a"), (5, "T2", 15.0, None, "T1b"), (5, "T2", 35.0, None, "T2"),
    (5, "T2", None, None, "TX"), (5, "T3", None, None, "T3a"), (5, "T4", 12.0, "minimal", "T1b"),
    (5, "T4", 12.0, "gross", "TX"), (5, "TX", None, None, "TX"),
])
def test_t_restaged_by_edition_size_and_ete(edition, t, size, ete, expected):
    out, issues, _ = restage(_t(t, size=size, ete=ete), edition)
    assert out["t_stage"].astype(str).iloc[0] == expected
    coarse_or_lost = expected in ("T1", "T3", "T4") or (expected == "TX" and t != "TX")
    assert (issues["column"] == "t_stage").any() == coarse_or_lost
    if coarse_or_lost:
        assert issues["message"].iloc[0].endswith(f"kept {expected}") and issues["value"].iloc[0] == t


@pytest.mark.parametrize("edition,n,expected", [(8, "N1b", "N1b"), (8, "N1", "N1"), (7, "N1b", "N1"),
                                                (7, "N1a", "N1a"), (6, "N1b", "N1"), (5, "N1a", "N1"),
                                                (5, "N0", "N0")])
def test_n_restaged(edition, n, expected):
    out, issues, _ = restage(_t("T2", n=n), edition)
    assert out["n_stage"].astype(str).iloc[0] == expected
    assert (issues["column"] == "n_stage").any() == (expected == "N1")


def test_coarse_categories_stage_where_their_subcategories_agree():
    got = derive_ajcc8_stage([70.0] * 5 + [40.0], ["T1", "T3", "T4", "T2", "T4", "T4"],
                             ["N0", "N0", "N0", "N1", "N1", "N1"], ["M0"] * 6)
    assert list(got) == ["I", "II", None, "II", None, "I"]


def test_ata_risk_reads_coarse_t3_as_unknown_gross_ete_and_t4_as_gross():
    t = pd.DataFrame({"histology": ["papillary_classic"] * 3, "t_stage": ["T3", "T4", "T3"],
                      "ete": [None, None, "none"], "n_stage": ["N0"] * 3, "m_stage": ["M0"] * 3})
    risk = add_derived(t)["ata_risk_2015"].astype(object).tolist()
    assert pd.isna(risk[0]) and risk[1] == "high" and risk[2] == "low"


def test_ordinal_encoding_puts_coarse_categories_between_their_subcategories():
    table = pd.DataFrame({"t_stage": pd.Categorical(["T1a", "T1", "T1b", "T3", "T4", "TX"]),
                          "n_stage": pd.Categorical(["N0", "N1a", "N1", "N1b", "NX", "N0"])})
    out = ClinicalFeatures(["t_stage", "n_stage"], missing_indicators="none").fit_transform(table)
    assert out["t_stage"].tolist()[:5] == [0.0, 0.5, 1.0, 3.5, 5.5] and np.isnan(out["t_stage"].iloc[5])
    assert out["n_stage"].tolist()[:4] == [0.0, 1.0, 1.5, 2.0] and np.isnan(out["n_stage"].iloc[4])


def _seventh_edition(tmp_path, edition=7):
    rows = ["Age,Sex,Hist,T,N,M,Size,ETE",
            "70,F,PTC,T3,N1b,M0,1.5,minimal",   # 7th T3 by minimal ETE -> T1b; N1b -> N1 (warning)
            "70,F,PTC,T3,N0,M0,,",              # T3 kept coarse (warning); stage II still (T3a/T3b agree)
            "70,F,PTC,T4,N0,M0,5,gross",        # coarse T4: no stage at >= 55 (warning, reason)
            "40,M,FTC,T1,N0,M0,0.8,none"]       # T1 -> T1a
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    return CohortConfig.from_dict({
        "name": "old", "tnm_edition": edition, "id": {"generate": True},
        "columns": {"age_years": "Age", "sex": {"column": "Sex", "recode": {"F": "female", "M": "male"}},
                    "histology": {"column": "Hist", "recode": {"PTC": "papillary_classic", "FTC": "follicular"}},
                    "t_stage": "T", "n_stage": "N", "m_stage": "M", "tumour_size_mm": {"column": "Size", "unit": "cm"},
                    "ete": "ETE"},
        "lacks": "all_others"})


def test_import_restages_and_states_every_reason(tmp_path):
    r = import_cohort(tmp_path / "d.csv", _seventh_edition(tmp_path))
    t = r.table
    assert (r.n_in, len(t), r.n_rejected) == (4, 4, 0)
    assert t["t_stage"].astype(str).tolist() == ["T1b", "T3", "T4", "T1a"]
    assert t["n_stage"].astype(str).tolist() == ["N1", "N0", "N0", "N0"]
    assert t["ajcc8_stage"].astype(object).where(t["ajcc8_stage"].notna(), None).tolist() == ["II", "II", None, "I"]
    w = r.warnings
    got = sorted(zip(w["source_row"], w["column"], w["rule"]))
    assert (1, "n_stage", "not_restaged") in got and (2, "t_stage", "not_restaged") in got
    assert (3, "t_stage", "not_restaged") in got and (3, "ajcc8_stage", "not_derived") in got
    reason = w.loc[(w["source_row"] == 3) & (w["column"] == "ajcc8_stage"), "message"].iloc[0]
    assert reason == "coarse T4 (T4a: stage III, T4b: IVA)"
    assert any("2 rows restaged from the 7th edition" in n for n in r.notes)


def test_edition_is_validated(tmp_path):
    with pytest.raises(CohortFileError, match=r"tnm_edition 4 is not one of \[5, 6, 7, 8\]"):
        _seventh_edition(tmp_path, edition=4)
