"""Time-to-event training: nested CV on censored data, oracle share, final-model choice, no dropped rows."""
import dataclasses
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from rairpredict.experiment.config import CONFIG_DIR, load_target_config
from rairpredict.experiment.survival_train import choose_final_model, train_survival_target
from rairpredict.experiment.survival_validation import survival_splits
from rairpredict.labels.time_to_event import parse_time_to_event


def _cfg(**changes):
    cfg = load_target_config(CONFIG_DIR / "rair.yaml")
    ns = SimpleNamespace(**{f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)})
    ns.features = ("age_years", "histology", "ete", "n_stage", "m_stage", "tg_stim_ng_ml", "structural_disease_pre",
                   "course_number", "recurrence_before_rai")
    ns.models, ns.final_model, ns.population = ("cox", "xgboost_cox"), "auto", {}
    ns.validation = {"outer_folds": 3, "repeats": 1, "inner_folds": 2, "seed": 0}
    for k, v in changes.items():
        setattr(ns, k, v)
    return ns


@pytest.mark.slow
def test_train_survival_on_the_simulator_reaches_the_oracle():
    from rairpredict.simulation import simulate_cohort

    table = simulate_cohort(900, seed=4)
    spec = parse_time_to_event({"type": "time_to_event", "label": "rair", "horizons": [1.5, 3, 5]})
    res = train_survival_target(_cfg(), spec, table=table, trials=0, optimism_boot=2, n_boot=20, log=lambda *_: None)
    c = res.counts
    assert c["rows_in"] == c["outside_population"] + c["outcome_unknown"] + c["rows_used"] == 900
    assert c["events"] + c["censored"] == c["rows_used"] and c["events"] > 20
    assert set(res.metrics.index) == {"cox", "xgboost_cox"}
    for kind in res.metrics.index:
        row = res.metrics.loc[kind]
        assert 0.7 < row["c_harrell"] <= 1 and row["c_harrell_lo"] < row["c_harrell"] < row["c_harrell_hi"]
        assert row["brier_3y"] < row["brier_3y_null"]
        assert 0 < res.oracle[f"{kind}_c_share_of_achievable"] < 1.1
    risks = res.model.predict_risk_horizons(table.head(5))
    assert list(risks.columns) == ["risk_1.5y", "risk_3y", "risk_5y"]
    assert res.model.metadata["outcome"]["name"].startswith("Radioiodine-refractory")
    assert "net risks" in res.model.metadata["censoring"]
    assert res.optimism["replicates"] >= 1


def test_final_model_choice_prefers_the_simpler_within_ci():
    metrics = pd.DataFrame({"c_harrell": [0.80, 0.81], "c_harrell_hi": [0.83, 0.84]}, index=["cox", "xgboost_cox"])
    assert choose_final_model(metrics)[0] == "cox"
    metrics.loc["cox", "c_harrell_hi"] = 0.805
    kind, reason = choose_final_model(metrics)
    assert kind == "xgboost_cox" and "highest" in reason


def test_splits_keep_a_patients_courses_together():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(60), 3)
    event = rng.random(180) < 0.3
    for _, tr, te in survival_splits(event, folds=3, repeats=2, seed=0, groups=groups):
        assert not set(groups[tr]) & set(groups[te])
