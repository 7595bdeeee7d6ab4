"""final_model: auto picks by the declared rule; an explicit worse choice is warned about."""
import numpy as np
import pytest

from rairpredict.experiment.config import MODEL_COMPLEXITY
from rairpredict.experiment.summary import TIE_P_VALUE, choose_final_model
from rairpredict.evaluation import auroc_ci


def _oof(seed=0, n=400, gap=0.0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    strong = y * 1.0 + rng.normal(size=n)
    weak = y * (1.0 - gap) + rng.normal(size=n)
    expit = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    return y, {"logistic": expit(weak)[None], "xgboost": expit(strong)[None]}


def _auroc(y, oof):
    return {k: auroc_ci(y, v[0]).estimate for k, v in oof.items()}


def test_auto_prefers_simpler_model_within_noise():
    y, oof = _oof(gap=0.02)
    au = _auroc(y, oof)
    choice = choose_final_model(y, oof, au, "auto", MODEL_COMPLEXITY)
    assert choice["model"] == "logistic" and choice["rule"] == "auto"
    assert f">= {TIE_P_VALUE}" in choice["reason"] and choice["warning"] is None


def test_auto_takes_the_clearly_better_model():
    y, oof = _oof(gap=0.9)
    au = _auroc(y, oof)
    assert au["xgboost"] > au["logistic"] + 0.1
    choice = choose_final_model(y, oof, au, "auto", MODEL_COMPLEXITY)
    assert choice["model"] == "xgboost" and "highest nested-CV AUROC" in choice["reason"]


def test_auto_takes_simpler_when_it_is_best():
    y, oof = _oof(gap=0.9)
    oof = {"logistic": oof["xgboost"], "xgboost": oof["logistic"]}
    choice = choose_final_model(y, oof, _auroc(y, oof), "auto", MODEL_COMPLEXITY)
    assert choice["model"] == "logistic"


def test_explicit_worse_choice_warns():
    y, oof = _oof(gap=0.9)
    choice = choose_final_model(y, oof, _auroc(y, oof), "logistic", MODEL_COMPLEXITY)
    assert choice["model"] == "logistic" and choice["rule"] == "explicit"
    assert "lower nested-CV AUROC" in choice["warning"] and "DeLong p" in choice["warning"]


def test_explicit_best_choice_does_not_warn():
    y, oof = _oof(gap=0.9)
    assert choose_final_model(y, oof, _auroc(y, oof), "xgboost", MODEL_COMPLEXITY)["warning"] is None


def test_results_table_shows_optimism_corrected_auroc_for_the_exported_model(small_cohort):
    from rairpredict.experiment.config import CONFIG_DIR, load_target_config
    from rairpredict.experiment.demo import results_table
    from rairpredict.experiment.train import train_target

    cfg = load_target_config(CONFIG_DIR / "unexpected_uptake.yaml")
    cfg = cfg.with_overrides(validation={"outer_folds": 3, "repeats": 1, "inner_folds": 2, "seed": 0},
                             baselines=())
    res = train_target(cfg, table=small_cohort, trials=0, optimism_boot=3, tracking=False,
                       log=lambda *_: None)
    table = results_table([res])
    exported = table[table["exported"] == "yes"]
    assert len(exported) == 1 and exported["model"].iloc[0] == res.model.kind == res.final_choice["model"]
    assert float(exported["AUROC optimism-corrected"].iloc[0]) == pytest.approx(
        res.optimism.loc["auroc", "corrected"], abs=5e-4)
    assert (table.loc[table["exported"] != "yes", "AUROC optimism-corrected"] == "-").all()
    assert table["outcome"].iloc[0] == res.model.metadata["outcome"]["name"]
    assert res.model.metadata["final_model_choice"]["reason"]

