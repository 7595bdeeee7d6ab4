"""Table 1: characteristics of the development cohort, overall and by outcome, with missing counts.

Built on the ``tableone`` package (Pollard et al., JAMIA Open 2018;1:26-31):
categorical fields as n (%), continuous fields as median [Q1, Q3] (clinical
laboratory values are skewed, so one summary for all), no p-values (TRIPOD+AI
item 20a asks for a description, not tests).  This module adds what a model
card needs: missing counts for every field overall and in each outcome group,
missing categorical values as their own level, and a JSON-ready form holding
aggregates only (no patient rows), stored with the training run and in the
model metadata.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"age_years": [40.0, 50.0, None, 70.0], "sex": ["female", "male", "female", None]})
>>> tab = table_one(t, [0, 1, 0, 1], columns=["age_years", "sex"], outcome="RAIR")
>>> tab.loc[tab["variable"] == "age_years", ["missing", "missing_positive"]].to_numpy().tolist()
[[1, 0]]
>>> table_one_records(tab, "RAIR")["columns"][2:5]
['overall', 'no RAIR', 'RAIR']
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

__all__ = ["table_one", "table_one_records"]

_GROUPS = {0: "negative", 1: "positive"}


def _prepare(table: pd.DataFrame, columns) -> tuple[pd.DataFrame, list, list]:
    """Columns as tableone expects them: categories/booleans as strings, numbers as float."""
    out, categorical = pd.DataFrame(index=range(len(table))), []
    for name in columns:
        col = table[name].reset_index(drop=True)
        if pd.api.types.is_bool_dtype(col) or isinstance(col.dtype, pd.CategoricalDtype) \
                or col.dtype == object or pd.api.types.is_string_dtype(col):
            values = col.astype(object).map(lambda v: {True: "yes", False: "no"}.get(v, v) if isinstance(v, bool)
                                            else v)
            out[name] = values.where(col.notna().to_numpy(), "missing").astype(str)
            categorical.append(name)
        else:
            out[name] = pd.to_numeric(col.astype("Float64"), errors="coerce").astype(float)
    return out, categorical, [c for c in columns if c not in categorical]


def table_one(table: pd.DataFrame, y, *, columns, outcome: str = "outcome", decimals: int = 1) -> pd.DataFrame:
    """Table 1 of ``table`` overall and by the 0/1 outcome ``y``.

    Parameters
    ----------
    table : DataFrame
        The development cohort (canonical table), one row per patient-course.
    y : array-like of 0/1
        The outcome the model predicts.
    columns : list of str
        Fields to describe (the model's candidate predictors); absent ones are skipped.
    outcome : str
        The outcome's name, for the column headers.

    Returns
    -------
    DataFrame
        One row per (variable, level): ``variable``, ``level``, ``summary``
        (e.g. "n (%)"), ``missing``, ``missing_negative``, ``missing_positive``
        (counts), ``overall``, ``negative``, ``positive`` (formatted cells).
        The first row is the number of patients.
    """
    from tableone import TableOne

    y = np.asarray(y, dtype=int)
    if len(y) != len(table):
        raise ValueError(f"table has {len(table)} rows but y has {len(y)}")
    columns = [c for c in columns if c in table.columns]
    data, categorical, continuous = _prepare(table, columns)
    data["_group"] = pd.Series(y).map(_GROUPS).to_numpy()
    with warnings.catch_warnings():  # tableone warns about normality choices we set on purpose
        warnings.simplefilter("ignore")
        t = TableOne(data, columns=columns, categorical=categorical, continuous=continuous, nonnormal=continuous,
                     groupby="_group", pval=False, missing=False, overall=True, decimals=decimals,
                     label_suffix=True).tableone
    t.columns = [c[-1] for c in t.columns]
    rows = []
    missing = data[columns].isna() | data[columns].eq("missing")
    for (label, level), cells in t.iterrows():
        name, _, summary = str(label).partition(", ")
        m = missing[name] if name in missing else None
        rows.append({
            "variable": name, "level": str(level), "summary": summary,
            "missing": int(m.sum()) if m is not None else 0,
            "missing_negative": int(m[y == 0].sum()) if m is not None else 0,
            "missing_positive": int(m[y == 1].sum()) if m is not None else 0,
            "overall": str(cells.get("Overall", "")),
            "negative": str(cells.get("negative", "")), "positive": str(cells.get("positive", "")),
        })
    return pd.DataFrame(rows)


def table_one_records(tab: pd.DataFrame, outcome: str) -> dict:
    """JSON-ready Table 1 (aggregates only) for the model metadata and MLflow:
    ``{"columns": [...], "rows": [[...], ...], "outcome", "method"}``, the form the
    model card renders."""
    from importlib.metadata import version

    columns = ["characteristic", "level", "overall", f"no {outcome}", outcome, "missing",
               f"missing, no {outcome}", f"missing, {outcome}"]
    rows = [[f"{r.variable}, {r.summary}" if r.summary else r.variable, r.level, r.overall, r.negative, r.positive,
             str(r.missing), str(r.missing_negative), str(r.missing_positive)] for r in tab.itertuples(index=False)]
    return {"columns": columns, "rows": rows, "outcome": outcome,
            "method": (f"tableone {version('tableone')}: n (%) for categories (missing as its own level), "
                       "median [Q1, Q3] for continuous fields; missing counts overall and by outcome; "
                       "no p-values")}
