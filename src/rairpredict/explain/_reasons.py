"""Per-patient reasons and global importance from a contribution matrix.

Everything here is vectorised over patients (numpy ``argpartition``, matrix
products, gathers per feature), so top-3 reasons for a million patients take
seconds, not a Python loop per row.

One-hot columns produced from the same canonical field (``histology=follicular``,
``histology=oncocytic``, ...) are reported as that one field: their
contributions are summed, which keeps the explanation exactly additive.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ._contrib import BIAS

__all__ = ["group_contributions", "top_reasons", "reason_arrays", "global_importance", "RAISES", "LOWERS",
           "NO_EFFECT"]

RAISES, LOWERS, NO_EFFECT = "raises risk", "lowers risk", "no effect"
_DIRECTIONS = [LOWERS, NO_EFFECT, RAISES]  # indexed by sign + 1


def _split(contrib: pd.DataFrame) -> tuple[np.ndarray, list[str], np.ndarray]:
    features = [c for c in contrib.columns if c != BIAS]
    values = contrib[features].to_numpy(np.float64)
    bias = contrib[BIAS].to_numpy(np.float64) if BIAS in contrib.columns else np.zeros(len(contrib))
    return values, features, bias


def _groups(features: list[str], feature_source: Mapping[str, str] | None) -> tuple[list[str], np.ndarray]:
    """Canonical names (first-seen order) and, per column, its group index."""
    source = feature_source or {}
    canon = [str(source.get(f, f)) for f in features]
    names = list(dict.fromkeys(canon))
    position = {n: i for i, n in enumerate(names)}
    return names, np.array([position[c] for c in canon], dtype=np.intp)


def group_contributions(contrib: pd.DataFrame, feature_source: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Sum contributions of model columns that come from the same canonical field.

    Parameters
    ----------
    contrib : DataFrame
        Feature columns plus optional ``bias``.
    feature_source : mapping, optional
        Model column -> canonical field; unmapped columns keep their name.

    Returns
    -------
    DataFrame
        One column per canonical field (first-seen order), then ``bias``.

    Examples
    --------
    >>> c = pd.DataFrame({"h=a": [1.0], "h=b": [0.5], "age": [-1.0], "bias": [0.0]})
    >>> group_contributions(c, {"h=a": "h", "h=b": "h"}).to_dict("records")
    [{'h': 1.5, 'age': -1.0, 'bias': 0.0}]
    """
    values, features, bias = _split(contrib)
    names, group = _groups(features, feature_source)
    summed = _sum_by_group(values, group, len(names))
    out = pd.DataFrame(summed, index=contrib.index, columns=names)
    if BIAS in contrib.columns:
        out[BIAS] = bias
    return out


def _sum_by_group(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    if n_groups == values.shape[1] and np.array_equal(group, np.arange(n_groups)):
        return values
    indicator = np.zeros((values.shape[1], n_groups))
    indicator[np.arange(values.shape[1]), group] = 1.0
    return values @ indicator


def _expit(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free logistic


def top_reasons(
    contrib: pd.DataFrame,
    X_display: pd.DataFrame | None = None,
    k: int = 3,
    feature_source: Mapping[str, str] | None = None,
    format: str = "long",
    units: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The ``k`` features that move each patient's predicted risk the most.

    Parameters
    ----------
    contrib : DataFrame
        Contributions in log-odds (feature columns plus ``bias``), e.g. from
        :func:`tree_contributions`; rows must sum to the logit of the
        reported probability (use :func:`scale_contributions` after Platt).
    X_display : DataFrame, optional
        Canonical values to show (contract units), same index/order as
        ``contrib``, one column per canonical field. Missing fields show NaN.
    k : int
        Reasons per patient (capped at the number of fields).
    feature_source : mapping, optional
        Model column -> canonical field, to group one-hot columns.
    format : {"long", "wide"}
        ``long``: ``k`` rows per patient (index repeated, column ``rank``).
        ``wide``: one row per patient, columns ``feature_1``, ``value_1``, ...
    units : mapping, optional
        Canonical field -> unit label; default the data contract's units.

    Returns
    -------
    DataFrame
        Columns ``rank, feature, value, unit, contribution,
        probability_change, direction``. ``contribution`` is in log-odds;
        ``probability_change`` is the change in probability if this
        feature's contribution were removed, ``p(bias + all) - p(bias + all
        - contribution)``; ``direction`` is "raises risk" / "lowers risk"
        (or "no effect" for an exact zero).

    Examples
    --------
    >>> c = pd.DataFrame({"a": [2.0, 0.1], "b": [-0.5, -1.0], "bias": [0.0, 0.0]})
    >>> top_reasons(c, k=1, units={})[["feature", "direction"]].to_dict("records")
    [{'feature': 'a', 'direction': 'raises risk'}, {'feature': 'b', 'direction': 'lowers risk'}]
    """
    if format not in ("long", "wide"):
        raise ValueError(f"format must be 'long' or 'wide', got {format!r}")
    values, features, bias = _split(contrib)
    names, group = _groups(features, feature_source)
    phi = _sum_by_group(values, group, len(names))
    n = phi.shape[0]
    order, chosen, delta, sign = reason_arrays(phi, bias, k)
    k = order.shape[1]

    if units is None:
        units = _contract_units()
    unit_of = np.array([units.get(nm) or "" for nm in names], dtype=object)
    shown = _gather_values(X_display, names, order)

    flat = order.ravel()
    columns = {
        "rank": np.tile(np.arange(1, k + 1, dtype=np.int16), n),
        "feature": pd.Categorical.from_codes(flat, categories=names),
        "value": shown.ravel(),
        "unit": pd.Categorical(unit_of[flat]),
        "contribution": chosen.ravel(),
        "probability_change": delta.ravel(),
        "direction": pd.Categorical.from_codes(sign.ravel(), categories=_DIRECTIONS),
    }
    long = pd.DataFrame(columns, index=contrib.index.repeat(k))
    if format == "long":
        return long
    return _to_wide(long, contrib.index, k)


def reason_arrays(phi: np.ndarray, bias: np.ndarray, k: int):
    """The arithmetic of :func:`top_reasons` on arrays (no frames: one-row scoring pays no pandas).

    ``phi`` (n, m) contributions per field and ``bias`` (n,), on the log-odds.
    Returns ``order`` (n, k) field indices, largest ``|phi|`` first (ties in
    column order); ``chosen`` their contributions; ``delta`` the probability
    change ``p(margin) - p(margin - chosen)``; ``sign`` 0/1/2 for lowers / no
    effect / raises (an index into ``[LOWERS, NO_EFFECT, RAISES]``); k capped at m.
    """
    k = max(0, min(int(k), phi.shape[1]))
    order = _top_k(np.abs(phi), k)  # (n, k) group indices, largest first
    chosen = np.take_along_axis(phi, order, axis=1)
    margin = bias + phi.sum(axis=1)
    delta = _expit(margin)[:, None] - _expit(margin[:, None] - chosen)
    sign = np.sign(chosen).astype(np.int8) + 1
    return order, chosen, delta, sign


def _top_k(score: np.ndarray, k: int) -> np.ndarray:
    n, m = score.shape
    if k == 0:
        return np.empty((n, 0), dtype=np.intp)
    part = np.argpartition(-score, k - 1, axis=1)[:, :k] if k < m else np.tile(np.arange(m), (n, 1))
    # stable sort on the k candidates: ties keep column order among them
    inner = np.argsort(-np.take_along_axis(score, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, inner, axis=1)


def _gather_values(X_display: pd.DataFrame | None, names: list[str], order: np.ndarray) -> np.ndarray:
    shown = np.full(order.shape, np.nan, dtype=object)
    if X_display is None or order.size == 0:
        return shown
    if len(X_display) != order.shape[0]:
        raise ValueError(f"X_display has {len(X_display)} rows, contributions {order.shape[0]}")
    # Loop over fields (tens), never over patients.
    for g, name in enumerate(names):
        if name not in X_display.columns:
            continue
        rows, slots = np.nonzero(order == g)
        if rows.size:
            shown[rows, slots] = X_display[name].to_numpy()[rows]
    return shown


def _to_wide(long: pd.DataFrame, index: pd.Index, k: int) -> pd.DataFrame:
    parts = {}
    fields = ["feature", "value", "unit", "contribution", "probability_change", "direction"]
    for r in range(k):
        block = long.iloc[r::k]
        for f in fields:
            parts[f"{f}_{r + 1}"] = block[f].to_numpy()
    return pd.DataFrame(parts, index=index)


def _contract_units() -> dict[str, str]:
    from rairpredict.cohort.contract import load_contract

    return {f.name: f.unit for f in load_contract() if f.unit}


def global_importance(contrib: pd.DataFrame, feature_source: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Mean absolute contribution per canonical field, largest first.

    One-hot columns are summed per patient before taking the absolute value.

    Returns
    -------
    DataFrame
        Columns ``feature``, ``mean_abs_contribution`` (log-odds),
        ``mean_contribution`` and ``share`` (of the total mean |SHAP|).

    Examples
    --------
    >>> c = pd.DataFrame({"a": [1.0, -1.0], "b": [0.5, 0.5], "bias": [0.0, 0.0]})
    >>> global_importance(c)["feature"].tolist()
    ['a', 'b']
    """
    grouped = group_contributions(contrib, feature_source).drop(columns=BIAS, errors="ignore")
    values = grouped.to_numpy(np.float64)
    mean_abs = np.abs(values).mean(axis=0) if len(values) else np.zeros(values.shape[1])
    total = mean_abs.sum()
    out = pd.DataFrame(
        {
            "feature": grouped.columns,
            "mean_abs_contribution": mean_abs,
            "mean_contribution": values.mean(axis=0) if len(values) else mean_abs * 0,
            "share": mean_abs / total if total > 0 else mean_abs * 0,
        }
    )
    return out.sort_values("mean_abs_contribution", ascending=False, kind="stable").reset_index(drop=True)
