"""Exact contributions of a stacked model: its bases' exact SHAP values, weighted.

A stack combined on the log-odds scale has the margin
``f(x) = sum_k w_k f_k(x)`` (:mod:`rairpredict.models.stack`). Shapley values
are linear in the game, so for the game ``v(S) = sum_k w_k v_k(S)``, where
``v_k`` is the value function each base is explained with, the Shapley values
are exactly ``phi_j = sum_k w_k phi_j^(k)``, and they add up to the stack
margin (local accuracy), to the rounding of the parts: float32 for the trees,
float64 for the linear base.

What is exact, and what is not:

* the XGBoost base's part is TreeSHAP (XGBoost's ``pred_contribs``, the
  path-dependent value function over the training covers), the logistic
  base's part is ``coef_j * (z_j - mean_j)`` on its standardised input (the
  interventional value function with independent features). Each is the exact
  SHAP value of its base; their weighted sum is the exact Shapley value of the
  weighted game, which is what the stack's margin decomposes into;
* it is not the SHAP value of the stack under one single value function (e.g.
  interventional SHAP of the whole stack): that would need sampling or a
  background set and is not computed;
* a stack combined on probabilities would have no such exact decomposition:
  the reason this stack combines margins. A Platt map on top
  (``a * margin + b``) keeps it exact on the calibrated log-odds
  (:func:`~rairpredict.explain.scale_contributions`).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from rairpredict.models.stack import StackedClassifier
>>> from rairpredict.explain import stack_contributions
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
>>> y = (X.a + X.b ** 2 + rng.normal(size=300) > 1).astype(int).to_numpy()
>>> stack = StackedClassifier(base_params={"xgboost": {"n_estimators": 30}}).fit(X, y)
>>> phi = stack_contributions(stack, X)
>>> phi.shape
(300, 4)
>>> bool(np.allclose(phi.sum(axis=1), stack.decision_function(X), atol=1e-5))
True
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from rairpredict.explain._contrib import linear_contributions, tree_contributions_array

__all__ = ["stack_contributions", "base_contributions"]


def base_contributions(kind: str, estimator, X: pd.DataFrame) -> np.ndarray:
    """(n, p + 1) exact contributions of one base on its margin, in ``X``'s columns; last column the bias."""
    if kind == "xgboost":
        return np.asarray(tree_contributions_array(estimator, X.to_numpy(np.float32, na_value=np.nan)),
                          dtype=np.float64).reshape(len(X), X.shape[1] + 1)
    if kind == "logistic":
        # imputer and scaler act column by column, so the j-th standardised input is a
        # function of the j-th column alone and its contribution is that column's;
        # the scaler centres every column on its training mean (0 after scaling).
        Z = estimator[:-1].transform(X)
        return linear_contributions(estimator[-1], Z, np.zeros(Z.shape[1])).to_numpy(np.float64)
    raise TypeError(f"no exact explanation for a stack base of kind {kind!r}")


def stack_contributions(stack, X: pd.DataFrame) -> np.ndarray:
    """(n, p + 1) exact contributions of a fitted stack on its margin; the last column is the bias.

    Rows add up to ``stack.decision_function(X)`` (see module docstring).
    """
    out = np.zeros((len(X), X.shape[1] + 1))
    for w, (kind, est) in zip(stack.weights_, stack.named_estimators().items()):
        out += float(w) * base_contributions(kind, est, X)
    return out
