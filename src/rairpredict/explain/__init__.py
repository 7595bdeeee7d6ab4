"""Explanations of predicted risk: exact SHAP contributions and patient reasons.

Contributions are on the log-odds (margin) scale and add up to it:
``tree_contributions`` (XGBoost, native TreeSHAP), ``linear_contributions``
(logistic regression), ``stack_contributions`` (a stack combined on the
log-odds: its bases' exact values, weighted), ``scale_contributions`` (Platt-calibrated logit);
``PatternTreeShap`` gives XGBoost's numbers bit for bit, faster, by split-pattern lookup.
``top_reasons`` turns them into the top-k reasons per patient,
``global_importance`` and the ``plot_*`` functions summarise them.

Examples
--------
>>> import numpy as np, pandas as pd, xgboost as xgb
>>> from rairpredict.explain import tree_contributions, margin_from_contributions, top_reasons
>>> X = pd.DataFrame(np.random.default_rng(0).normal(size=(300, 3)), columns=["a", "b", "c"])
>>> m = xgb.XGBClassifier(n_estimators=10).fit(X, X.a + X.b > 0)
>>> phi = tree_contributions(m, X)
>>> bool(np.allclose(margin_from_contributions(phi), m.predict(X, output_margin=True), atol=1e-5))
True
>>> top_reasons(phi, X, k=2, units={}).shape
(600, 7)
"""
from . import _contrib, _pattern_shap, _plots, _reasons, _stack
from ._contrib import (
    BIAS,
    check_agreement,
    linear_contributions,
    margin_from_contributions,
    model_margin,
    scale_contributions,
    shap_tree_explainer_contributions,
    tree_contributions,
    tree_contributions_array,
)
from ._pattern_shap import PatternTreeShap, pattern_contributions
from ._plots import plot_beeswarm, plot_dependence, plot_importance
from ._reasons import (LOWERS, NO_EFFECT, RAISES, global_importance, group_contributions, reason_arrays,
                       top_reasons)
from ._stack import base_contributions, stack_contributions

__all__ = [*_contrib.__all__, *_pattern_shap.__all__, *_reasons.__all__, *_plots.__all__, *_stack.__all__]
