"""Exact per-patient feature contributions (SHAP values) on the log-odds scale.

Two model families are covered exactly, without sampling:

* gradient-boosted trees (XGBoost): TreeSHAP, computed natively by XGBoost
  (``pred_contribs=True``) and, as an independent check, by SHAP's own C++
  TreeSHAP on SHAP's own parse of the trees;
* logistic regression: ``coef_j * (x_j - mean_j)``, the SHAP value of a linear
  model under feature independence.

Contributions are returned as a frame with one column per model feature plus
``bias`` (the expected margin); every row sums to the model margin
(:func:`margin_from_contributions`). XGBoost computes in float32, so tree
contributions add up to the margin to float32 rounding (about 1e-6 for
margins of order 1, growing slowly with the number of trees); linear ones to
float64 rounding.

Calibration: when the probability is Platt-calibrated, ``p = sigmoid(a * margin
+ b)``, :func:`scale_contributions` gives contributions that are exactly additive
on the calibrated logit. Isotonic calibration is not a linear map of the margin:
contributions then stay on the model margin (their ranking and sign remain
meaningful, since isotonic maps are monotone), not on the calibrated probability.
"""
from __future__ import annotations

import os

import numpy as np
import pandas as pd

from rairpredict.errors import ContractError

__all__ = [
    "BIAS",
    "tree_contributions",
    "tree_contributions_array",
    "shap_tree_explainer_contributions",
    "check_agreement",
    "linear_contributions",
    "margin_from_contributions",
    "model_margin",
    "scale_contributions",
]

BIAS = "bias"


def _n_threads(nthread: int | None) -> int:
    if nthread is not None and nthread > 0:
        return int(nthread)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _booster(model):
    """The xgboost Booster behind ``model`` (a Booster or an XGBModel)."""
    import xgboost as xgb

    if isinstance(model, xgb.Booster):
        return model
    if hasattr(model, "get_booster"):
        return model.get_booster()
    raise TypeError(f"expected an xgboost Booster or XGBClassifier, got {type(model).__name__}")


def _iteration_range(booster) -> tuple[int, int]:
    # Same rule as XGBClassifier.predict: honour early stopping's best iteration.
    best = booster.attr("best_iteration")
    return (0, int(best) + 1) if best is not None else (0, 0)


def _aligned(booster, X: pd.DataFrame) -> pd.DataFrame:
    names = booster.feature_names
    if names is None:
        return X
    missing = [c for c in names if c not in X.columns]
    extra = [c for c in X.columns if c not in set(names)]
    if missing or extra:
        raise ContractError(
            f"feature frame does not match the model: missing {missing}, unexpected {extra}"
        )
    return X if list(X.columns) == list(names) else X[names]


def tree_contributions_array(booster, X, nthread: int | None = None) -> np.ndarray:
    """Exact TreeSHAP contributions of an XGBoost model, numpy in, numpy out.

    The hot path for scoring: no pandas, one DMatrix, all usable cores.

    Parameters
    ----------
    booster : xgboost.Booster or xgboost.XGBClassifier
        Fitted binary model.
    X : ndarray of shape (n, p)
        Features in the model's column order; NaN means missing.
    nthread : int, optional
        Threads for DMatrix construction and prediction; default all cores
        available to this process. Sets the booster's ``nthread`` parameter.

    Returns
    -------
    ndarray of shape (n, p + 1), float32
        Contributions in log-odds; the last column is the bias.

    Examples
    --------
    >>> import numpy as np, xgboost as xgb
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> m = xgb.XGBClassifier(n_estimators=5).fit(X, X[:, 0] > 0)
    >>> tree_contributions_array(m, X).shape
    (200, 4)
    """
    import xgboost as xgb

    booster = _booster(booster)
    n = _n_threads(nthread)
    booster.set_param({"nthread": n})
    X = np.asarray(X, dtype=np.float32)
    dm = xgb.DMatrix(X, missing=np.nan, nthread=n)
    return booster.predict(
        dm, pred_contribs=True, iteration_range=_iteration_range(booster), validate_features=False
    )


def tree_contributions(model, X: pd.DataFrame, nthread: int | None = None) -> pd.DataFrame:
    """Exact TreeSHAP contributions (log-odds) of an XGBoost model as a frame.

    Parameters
    ----------
    model : xgboost.XGBClassifier or xgboost.Booster
    X : DataFrame
        Numeric features (NaN allowed); columns are matched to the model's
        feature names by name.
    nthread : int, optional
        See :func:`tree_contributions_array`.

    Returns
    -------
    DataFrame
        Index of ``X``; one column per model feature plus ``bias``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, xgboost as xgb
    >>> X = pd.DataFrame(np.random.default_rng(0).normal(size=(200, 2)), columns=["a", "b"])
    >>> m = xgb.XGBClassifier(n_estimators=5).fit(X, X.a > 0)
    >>> list(tree_contributions(m, X).columns)
    ['a', 'b', 'bias']
    """
    booster = _booster(model)
    X = _aligned(booster, X)
    values = tree_contributions_array(booster, X.to_numpy(np.float32, na_value=np.nan), nthread)
    return pd.DataFrame(values, index=X.index, columns=[*map(str, X.columns), BIAS])


def _shap_parsed_bias(ensemble) -> float:
    """Expected margin of SHAP's parse of the trees, from leaf covers.

    shap 0.51 leaves the internal-node expectations of parsed XGBoost 3 trees
    at zero, so its own bias column equals the base score alone (it misses the
    trees' mean output). We recompute it from the parsed leaves: for each tree
    the cover-weighted mean leaf value (padding nodes have zero cover).
    """
    leaf = ensemble.children_left == -1
    w = np.where(leaf, ensemble.node_sample_weight, 0.0)
    v = ensemble.values[:, :, 0]
    per_tree = (w * v).sum(axis=1) / ensemble.node_sample_weight[:, 0]
    limit = ensemble.tree_limit if ensemble.tree_limit not in (None, -1) else len(per_tree)
    return float(np.ravel(ensemble.base_offset)[0] + per_tree[:limit].sum())


def shap_tree_explainer_contributions(model, X: pd.DataFrame, engine: str = "shap") -> pd.DataFrame:
    """Contributions computed with :class:`shap.TreeExplainer`.

    Parameters
    ----------
    model : xgboost.XGBClassifier or xgboost.Booster
    X : DataFrame
        Numeric features in the model's columns (NaN allowed).
    engine : {"shap", "xgboost"}
        ``"xgboost"``: ``TreeExplainer(model).shap_values(X)``; in shap 0.51
        this delegates to XGBoost's own ``pred_contribs``, so it cannot
        disagree with :func:`tree_contributions`. ``"shap"`` (default): SHAP's
        own parse of the trees and its own C++ TreeSHAP, an independent
        computation; its bias is recomputed from the parsed leaves because
        shap 0.51 gets it wrong for XGBoost 3 models (see ``_shap_parsed_bias``).

    Returns
    -------
    DataFrame
        Same layout as :func:`tree_contributions` (float64).
    """
    import shap

    booster = _booster(model)
    X = _aligned(booster, X)
    explainer = shap.TreeExplainer(booster)
    if engine == "shap":
        # Bypass the shortcut to XGBoost's C++ (taken for any non-"internal" model).
        explainer.model.model_type = "internal"
        # XGBoost compares float32 features with float32 thresholds; feed SHAP the
        # same float32-rounded values or points near a split go the other way.
        x32 = X.to_numpy(np.float32, na_value=np.nan).astype(np.float64)
        values = explainer.shap_values(x32, check_additivity=False)
        bias = _shap_parsed_bias(explainer.model)
    elif engine == "xgboost":
        values = explainer.shap_values(X, check_additivity=False)
        bias = float(np.ravel(explainer.expected_value)[0])
    else:
        raise ValueError(f"engine must be 'shap' or 'xgboost', got {engine!r}")
    out = pd.DataFrame(np.asarray(values, dtype=np.float64), index=X.index, columns=list(map(str, X.columns)))
    out[BIAS] = bias
    return out


def check_agreement(model, X: pd.DataFrame, atol: float | None = None, raise_on_error: bool = True) -> float:
    """Compare XGBoost's native TreeSHAP with SHAP's independent computation.

    Parameters
    ----------
    model : xgboost.XGBClassifier or xgboost.Booster
    X : DataFrame
    atol : float, optional
        Largest accepted absolute difference of any contribution (bias
        included). Default: float32 rounding budget of the model,
        ``max(1e-6, 2 * eps32 * n_trees)`` (1.2e-5 for 50 trees, 7e-5 for
        300); measured differences are 2.5e-6 (50 trees) and 7e-6 (300, depth 6).
    raise_on_error : bool
        Raise ``AssertionError`` above ``atol``; otherwise only return.

    Returns
    -------
    float
        Maximum absolute difference.
    """
    booster = _booster(model)
    if atol is None:
        start, stop = _iteration_range(booster)
        n_trees = (stop or booster.num_boosted_rounds()) - start
        atol = max(1e-6, 2 * float(np.finfo(np.float32).eps) * n_trees)
    native = tree_contributions(booster, X).to_numpy(np.float64)
    other = shap_tree_explainer_contributions(booster, X, engine="shap").to_numpy(np.float64)
    diff = float(np.max(np.abs(native - other))) if native.size else 0.0
    if raise_on_error and not diff <= atol:
        raise AssertionError(f"XGBoost and SHAP contributions differ by {diff:.3g} > {atol:.3g}")
    return diff


def linear_contributions(lr, X: pd.DataFrame, background_mean=None) -> pd.DataFrame:
    """Exact SHAP values of a binary logistic regression on the log-odds scale.

    ``phi_j = coef_j * (x_j - mean_j)`` and ``bias = intercept + coef . mean``,
    the SHAP values of a linear model with independent features.

    Parameters
    ----------
    lr : fitted sklearn.linear_model.LogisticRegression (binary)
    X : DataFrame
        Features in the order the model was fitted on.
    background_mean : array-like or Series, optional
        Per-feature mean of the background (training) data. Default: the
        column means of ``X`` (then the bias is the mean margin over ``X``).

    Returns
    -------
    DataFrame
        One column per feature plus ``bias``; rows sum to ``decision_function``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = pd.DataFrame(np.random.default_rng(0).normal(size=(100, 2)), columns=["a", "b"])
    >>> lr = LogisticRegression().fit(X, X.a > 0)
    >>> c = linear_contributions(lr, X, X.mean())
    >>> bool(np.allclose(c.sum(axis=1), lr.decision_function(X)))
    True
    """
    coef = np.asarray(lr.coef_, dtype=np.float64)
    if coef.shape[0] != 1:
        raise ValueError("linear_contributions supports binary models only")
    coef = coef[0]
    names = getattr(lr, "feature_names_in_", None)
    if names is not None:
        X = _aligned_names(list(names), X)
    values = X.to_numpy(np.float64, na_value=np.nan)
    if background_mean is None:
        mean = np.nanmean(values, axis=0)
    elif isinstance(background_mean, pd.Series):
        mean = background_mean.reindex(X.columns).to_numpy(np.float64)
    else:
        mean = np.asarray(background_mean, dtype=np.float64)
    phi = coef * (values - mean)
    out = pd.DataFrame(phi, index=X.index, columns=list(map(str, X.columns)))
    out[BIAS] = float(np.ravel(lr.intercept_)[0] + coef @ mean)
    return out


def _aligned_names(names: list[str], X: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in names if c not in X.columns]
    if missing:
        raise ContractError(f"feature frame does not match the model: missing {missing}")
    return X[names]


def margin_from_contributions(contrib) -> np.ndarray:
    """Model margin (log-odds) implied by contributions: row sums, in float64."""
    values = contrib.to_numpy() if isinstance(contrib, pd.DataFrame) else np.asarray(contrib)
    return values.sum(axis=1, dtype=np.float64)


def model_margin(model, X: pd.DataFrame) -> np.ndarray:
    """The margin the contributions explain: XGBoost ``output_margin`` or ``decision_function``."""
    if hasattr(model, "decision_function") and not hasattr(model, "get_booster"):
        return np.asarray(model.decision_function(X), dtype=np.float64)
    import xgboost as xgb

    booster = _booster(model)
    X = _aligned(booster, X)
    dm = xgb.DMatrix(X.to_numpy(np.float32, na_value=np.nan), missing=np.nan)
    return booster.predict(
        dm, output_margin=True, iteration_range=_iteration_range(booster), validate_features=False
    ).astype(np.float64)


def scale_contributions(contrib: pd.DataFrame, a: float, b: float) -> pd.DataFrame:
    """Contributions on a Platt-calibrated logit ``a * margin + b``.

    Feature contributions are multiplied by ``a``; the bias becomes
    ``a * bias + b``, so rows still sum exactly to the calibrated logit.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"x": [1.0], "bias": [0.5]})
    >>> scale_contributions(c, 2.0, -1.0).to_dict("records")
    [{'x': 2.0, 'bias': 0.0}]
    """
    out = contrib.astype(np.float64) * float(a)
    out[BIAS] = out[BIAS] + float(b)
    return out
