"""Tuning's inner-CV objective: the lean fit and loss give the study scikit-learn's and XGBoost's own numbers."""
from __future__ import annotations

import numpy as np
import optuna
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import log_loss as sklearn_log_loss

from rairpredict.experiment.tuning import log_loss, suggest_params, tune
from rairpredict.features import make_preprocessor
from rairpredict.models.risk_model import make_classifier
from rairpredict.models.splits import stratified_folds

FEATURES = ["age_years", "sex", "histology", "ete", "ln_positive", "tsh_stim_mu_l", "tg_stim_ng_ml",
            "preparation", "m_stage"]


@settings(max_examples=200, deadline=None)
@given(st.data(), st.sampled_from([np.float32, np.float64]))
def test_log_loss_is_sklearns_to_the_last_bit(data, dtype):
    n = data.draw(st.integers(2, 60))
    # probabilities anywhere in [0, 1], the ends included (clipped to eps the same way)
    p = data.draw(arrays(dtype, n, elements=st.floats(0, 1, width=32 if dtype is np.float32 else 64)))
    y = data.draw(arrays(np.int64, n, elements=st.integers(0, 1)))
    assert log_loss(y, p) == sklearn_log_loss(y, p, labels=[0, 1])


def _reference_tune(table, y, kind, trials, seed):
    """The objective as it was: scikit-learn's fit / predict_proba / log_loss on every trial."""
    folds = stratified_folds(y, 3, seed=seed)
    prepared = []
    for tr, va in folds:
        pre = make_preprocessor(FEATURES, "pre_therapy", "linear" if kind == "logistic" else "tree")
        pre.fit(table.iloc[tr], y[tr])
        prepared.append((pre.transform(table.iloc[tr]), y[tr], pre.transform(table.iloc[va]), y[va]))

    def objective(trial):
        params = suggest_params(trial, kind)
        losses = []
        for step, (X_tr, y_tr, X_va, y_va) in enumerate(prepared):
            clf = make_classifier(kind, params, seed).fit(X_tr, y_tr)
            losses.append(sklearn_log_loss(y_va, clf.predict_proba(X_va)[:, 1], labels=[0, 1]))
            trial.report(float(np.mean(losses)), step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return float(np.mean(losses))

    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1))
    study.optimize(objective, n_trials=trials)
    return study


@pytest.mark.parametrize("kind", ["xgboost", "logistic"])
def test_tuned_parameters_and_losses_are_the_same_as_the_plain_objective(small_cohort, kind):
    rows = small_cohort[small_cohort["rair"].notna()].reset_index(drop=True)
    table, y = rows, rows["rair"].astype(int).to_numpy()
    ref = _reference_tune(table, y, kind, trials=8, seed=5)
    got = tune(table, y, features=FEATURES, decision_point="pre_therapy", kind=kind, trials=8, inner_folds=3, seed=5)
    assert got.best_value == ref.best_value  # bit for bit: the same fits, the same loss
    assert got.best_params == ref.best_params
    assert got.n_pruned == sum(t.state == optuna.trial.TrialState.PRUNED for t in ref.trials)


@pytest.fixture
def optuna_records():
    """Every record Optuna's handlers would print (its own stderr handler is bound at import time)."""
    import logging

    class Keep(logging.Handler):
        def __init__(self):
            super().__init__()
            self.records = []

        def emit(self, record):
            self.records.append(record)

    keep = Keep()
    logger = logging.getLogger("optuna")
    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the library's level (the quiet CLI raises it to ERROR)
    logger.addHandler(keep)
    yield keep.records
    logger.removeHandler(keep)
    optuna.logging.set_verbosity(level)


def test_ctrl_c_in_a_trial_stops_the_study_without_optunas_traceback(small_cohort, monkeypatch, optuna_records):
    from rairpredict.experiment import tuning

    rows = small_cohort[small_cohort["rair"].notna()].reset_index(drop=True)
    y = rows["rair"].astype(int).to_numpy()
    real, calls = tuning.make_classifier, []

    def interrupted_on_the_fourth_fit(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:  # the second trial's first fold: Ctrl-C
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(tuning, "make_classifier", interrupted_on_the_fourth_fit)
    with pytest.raises(KeyboardInterrupt):
        tune(rows, y, features=FEATURES, decision_point="pre_therapy", kind="logistic", trials=5, seed=0)
    assert [r.getMessage() for r in optuna_records] == []  # neither the traceback nor "failed with value"
    assert len(calls) == 4  # stopped at once: no later trial ran


def test_a_trial_failing_for_another_reason_is_still_logged(small_cohort, monkeypatch, optuna_records):
    from rairpredict.experiment import tuning

    rows = small_cohort[small_cohort["rair"].notna()].reset_index(drop=True)
    y = rows["rair"].astype(int).to_numpy()

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the objective")

    monkeypatch.setattr(tuning, "make_classifier", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        tune(rows, y, features=FEATURES, decision_point="pre_therapy", kind="logistic", trials=2, seed=0)
    messages = [r.getMessage() for r in optuna_records]
    assert any(m.startswith("Trial 0 failed with parameters") for m in messages), messages
    assert any(r.exc_info and isinstance(r.exc_info[1], RuntimeError) for r in optuna_records)
