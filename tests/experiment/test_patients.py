"""Several courses per patient: every split and the bootstrap keep a patient's courses together."""
import numpy as np
import pandas as pd
import pytest

from rairpredict.evaluation import optimism_corrected
from rairpredict.experiment.config import CONFIG_DIR, load_target_config
from rairpredict.experiment.data import load_target_data, patient_groups
from rairpredict.experiment.validation import outer_splits


@pytest.fixture(scope="module")
def courses(small_cohort):
    """The simulated cohort with 150 patients holding 2-3 courses each."""
    t = small_cohort.copy()
    ids = [f"P{i:04d}" for i in range(len(t))]
    for i in range(0, 300, 2):  # rows 0..299: pairs of courses
        ids[i + 1] = ids[i]
    for i in range(300, 360, 3):  # rows 300..359: three courses each
        ids[i + 1] = ids[i + 2] = ids[i]
    t["patient_id"] = ids
    return t


def test_groups_found_and_counted(courses):
    cfg = load_target_config(CONFIG_DIR / "unexpected_uptake.yaml")
    data = load_target_data(cfg, table=courses)
    assert data.groups is not None
    assert data.counts["patients"] == data.table["patient_id"].nunique() < data.n
    assert patient_groups(courses.drop_duplicates("patient_id")) is None


@pytest.mark.parametrize("seed", [0, 3])
def test_no_patient_in_both_train_and_test_outer_folds(courses, seed):
    cfg = load_target_config(CONFIG_DIR / "unexpected_uptake.yaml")
    data = load_target_data(cfg, table=courses)
    pid = data.table["patient_id"].to_numpy()
    splits = outer_splits(data.y, folds=5, repeats=2, seed=seed, groups=data.groups)
    assert len(splits) == 10
    for _, tr, te in splits:
        assert not set(pid[tr]) & set(pid[te])
    # without groups the same data does mix patients (the defect being fixed)
    mixed = outer_splits(data.y, folds=5, repeats=2, seed=seed)
    assert any(set(pid[tr]) & set(pid[te]) for _, tr, te in mixed)


def test_optimism_bootstrap_resamples_patients():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(40), 3)
    X = pd.DataFrame({"x": rng.normal(size=120), "g": groups})
    y = (X["x"] + rng.normal(size=120) > 0).astype(int).to_numpy()
    sizes = []

    def fit_predict(X_tr, y_tr, X_ev):
        sizes.append(X_tr["g"].value_counts())
        return 1 / (1 + np.exp(-X_ev["x"].to_numpy()))

    optimism_corrected(fit_predict, X, y, n_boot=5, seed=0, groups=groups)
    for counts in sizes[1:]:  # each drawn patient brings all three courses (copies keep multiples of 3)
        assert (counts % 3 == 0).all()


def test_training_on_courses_is_grouped_end_to_end(courses):
    from rairpredict.experiment.train import train_target

    cfg = load_target_config(CONFIG_DIR / "unexpected_uptake.yaml")
    cfg = cfg.with_overrides(validation={"outer_folds": 3, "repeats": 1, "inner_folds": 2, "seed": 0},
                             models=("logistic",), baselines=())
    res = train_target(cfg, table=courses, trials=0, optimism_boot=2, tracking=False, log=lambda *_: None)
    meta = res.model.metadata
    assert meta["grouping"]["grouped_by_patient"] is True
    assert meta["grouping"]["patients"] < meta["grouping"]["rows"]
    assert "grouped by patient" in meta["validation"]["protocol"]
    assert "resampling patients" in meta["validation"]["protocol"]
    assert res.protocol["grouped_by_patient"] is True
