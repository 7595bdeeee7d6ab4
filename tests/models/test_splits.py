"""Folds are stratified and, given patients, never split a patient."""
import numpy as np
import pytest

from rairpredict.models.splits import n_splits_for, stratified_folds


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_grouped_folds_never_share_a_patient(seed):
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, 60, 200)
    y = (rng.random(200) < 0.3).astype(int)
    folds = stratified_folds(y, 5, seed=seed, groups=groups)
    assert sorted(np.concatenate([te for _, te in folds]).tolist()) == list(range(200))
    for tr, te in folds:
        assert not set(groups[tr]) & set(groups[te])


def test_ungrouped_folds_equal_stratified_kfold():
    from sklearn.model_selection import StratifiedKFold

    y = np.array([0, 1, 0, 0, 1, 1, 0, 1, 0, 1])
    ours = stratified_folds(y, 3, seed=4)
    ref = list(StratifiedKFold(3, shuffle=True, random_state=4).split(np.zeros(10), y))
    assert all((a[1] == b[1]).all() for a, b in zip(ours, ref))


def test_fold_count_limited_by_patients_with_the_rare_class():
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0])
    assert n_splits_for(y, 5) == 3
    assert n_splits_for(y, 5, groups=np.array([0, 0, 1, 2, 3, 4, 5, 6])) == 2
