"""A model trained with a cohort config's extra column scores files that carry it (issue 10 point 2)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from rairpredict.cohort.contract import EXTRA_FIELDS_ATTR, Field, attach_extras
from rairpredict.models.risk_model import fit_risk_model
from rairpredict.scoring._file import score_file
from rairpredict.simulation.simulate import simulate_cohort

KI67 = Field("ki67_pct", "float", "pathology", unit="%", range=(0.0, 100.0), extra=True)


def test_model_with_an_extra_feature_validates_it_when_scoring(tmp_path):
    table = simulate_cohort(300, seed=3)
    rng = np.random.default_rng(0)
    table["ki67_pct"] = rng.uniform(0, 30, len(table))
    attach_extras(table, [KI67])
    y = (table["ki67_pct"] + rng.normal(0, 5, len(table)) > 20).astype(int).to_numpy()
    model = fit_risk_model(table, y, features=["age_years", "ki67_pct"], decision_point="pre_therapy",
                           kind="logistic", calibration_methods=("sigmoid",))
    # what experiment.train stores: the extra columns among the features
    model.metadata["extra_fields"] = [f for f in table.attrs[EXTRA_FIELDS_ATTR] if f["name"] in model.features]
    rows = table[["patient_id", "age_years", "sex", "histology", "t_stage", "n_stage", "m_stage", "ki67_pct"]].head(4)
    rows = rows.astype(object)
    rows.loc[rows.index[1], "ki67_pct"] = "high"
    rows.loc[rows.index[2], "ki67_pct"] = 250.0
    rows.to_csv(tmp_path / "new.csv", index=False)
    summary = score_file(model, tmp_path / "new.csv", tmp_path / "scored.csv", report=lambda *a: None)
    scored = pd.read_csv(tmp_path / "scored.csv")
    assert len(scored) == 2  # the canonical scoring path rejects unreadable values of the extra field
    rejects = pd.read_csv(next(tmp_path.glob("scored*rejects*")))
    assert sorted(rejects["rule"]) == ["not_a_number", "out_of_range"] and set(rejects["column"]) == {"ki67_pct"}
    assert summary is not None
