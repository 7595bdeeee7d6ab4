"""Stratified cross-validation folds, grouped by patient when patients repeat.

A patient with several RAI courses has several rows; if one course sat in a
training fold and another in the test fold, the model would be judged on a
patient it has already seen. Every CV in the package (outer and inner folds,
Optuna's inner CV, the calibration CV) takes its folds from here:
``StratifiedGroupKFold`` when ``groups`` is given, ``StratifiedKFold`` otherwise.

Examples
--------
>>> import numpy as np
>>> y = np.array([0, 1] * 10); g = np.repeat(np.arange(10), 2)
>>> folds = stratified_folds(y, 5, seed=0, groups=g)
>>> all(not set(g[tr]) & set(g[te]) for tr, te in folds)
True
"""
from __future__ import annotations

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

__all__ = ["stratified_folds", "n_splits_for"]


def n_splits_for(y, wanted: int, groups=None) -> int:
    """At most ``wanted`` folds, no more than the rarer class has rows (or patients)."""
    y = np.asarray(y, dtype=int)
    if groups is None:
        return int(min(wanted, np.bincount(y, minlength=2).min()))
    groups = np.asarray(groups)
    per_class = [len(np.unique(groups[y == c])) for c in (0, 1)]
    return int(min(wanted, *per_class))


def stratified_folds(y, n_splits: int, *, seed: int, groups=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(train_idx, test_idx)`` pairs; grouped (no group on both sides) when ``groups`` is given."""
    y = np.asarray(y, dtype=int)
    X = np.zeros(len(y))
    if groups is None:
        return list(StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed).split(X, y))
    return list(StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
                .split(X, y, np.asarray(groups)))
