"""SurvivalModel as a pickle-free artifact: same predictions after a round trip, manifest verified, no pickle."""
import json
import zipfile

import numpy as np
import pytest

from rairpredict.errors import ConfigError
from rairpredict.labels.time_to_event import compute_time_to_event, parse_time_to_event
from rairpredict.models import load_model
from rairpredict.models.survival import SurvivalModel, fit_survival_model

FEATURES = ["age_years", "histology", "ete", "n_stage", "m_stage", "tg_stim_ng_ml", "structural_disease_pre"]


@pytest.fixture(scope="module")
def cohort(timed_rair_cohort):
    return timed_rair_cohort


@pytest.mark.parametrize("kind", ["cox", "xgboost_cox"])
def test_round_trip_zip_and_directory(cohort, kind, tmp_path):
    table, time, event = cohort
    m = fit_survival_model(table, time, event, features=FEATURES, decision_point="pre_therapy", kind=kind,
                           horizons=(1.5, 3, 5), band_horizon=3, seed=0, target="rair_time")
    m.metadata["censoring"] = "Censored patients contribute their follow-up."
    m.extras["input_profile"] = {"fields": {}}
    for path in (tmp_path / "m.zip", tmp_path / "mdir"):
        digest = m.save(path)
        back = load_model(path, expected_manifest=digest)
        assert isinstance(back, SurvivalModel) and back.kind == kind and back.horizons == [1.5, 3.0, 5.0]
        np.testing.assert_allclose(back.predict_risk_horizons(table.head(30)), m.predict_risk_horizons(table.head(30)),
                                   rtol=0, atol=1e-12)
        assert back.metadata["censoring"] == m.metadata["censoring"] and back.extras == m.extras
        assert SurvivalModel.load(path).band_horizon == 3.0
    names = zipfile.ZipFile(tmp_path / "m.zip").namelist()
    assert ("booster.ubj" in names) == (kind == "xgboost_cox") and not any(n.endswith((".pkl", ".joblib"))
                                                                         for n in names)
    with pytest.raises(ConfigError):
        load_model(tmp_path / "m.zip", expected_manifest="0" * 64)


def test_tampered_baseline_is_refused(cohort, tmp_path):
    table, time, event = cohort
    m = fit_survival_model(table, time, event, features=FEATURES, decision_point="pre_therapy", kind="cox",
                           horizons=(1, 3), seed=0)
    m.save(tmp_path / "d")
    state = json.loads((tmp_path / "d" / "model.json").read_text())
    state["recalibration"]["cum_hazard"][0] = 99.0
    (tmp_path / "d" / "model.json").write_text(json.dumps(state))
    with pytest.raises(ConfigError):  # the manifest no longer matches
        load_model(tmp_path / "d")
