"""Restage T and N of another AJCC/UICC edition, or coarse categories, to the 8th edition.

The canonical ``t_stage``/``n_stage`` are 8th-edition categories; older
records say ``T3`` (7th: > 4 cm *or* minimal extrathyroidal extension),
``T1`` without a sub-letter, or ``N1b`` (7th: lateral *or* level VII nodes, the
latter N1a in the 8th). Where tumour size and extrathyroidal extension (ETE)
decide the 8th-edition category it is computed (rules and citations in
:mod:`rairpredict.reference.ajcc`); otherwise the coarse category (``T1``,
``T3``, ``T4``, ``N1``) is kept, or ``TX`` where even the coarse 8th-edition
category is unknown (a 5th-edition ``T2`` of unknown size is 8th T1b or T2),
and a warning row states why. Derived fields that cannot then be computed
(AJCC stage from a coarse ``T4``; ATA risk from a coarse ``T3`` without ETE)
are missing with a warning row naming the reason (:func:`underived_reasons`).

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"t_stage": ["T3", "T3", "T3", "T1"], "n_stage": ["N1b", "N0", "N1a", "N0"],
...                   "tumour_size_mm": [15.0, 50.0, None, 8.0], "ete": ["minimal", "none", None, None]})
>>> out, issues, notes = restage(t, edition=7)
>>> out["t_stage"].tolist(), out["n_stage"].tolist()
(['T1b', 'T3a', 'T3', 'T1a'], ['N1', 'N0', 'N1a', 'N0'])
>>> issues[["pos", "column", "rule"]].values.tolist()
[[0, 'n_stage', 'not_restaged'], [2, 't_stage', 'not_restaged']]
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from rairpredict.cohort.contract import load_contract
from rairpredict.reference import ajcc

__all__ = ["restage", "underived_reasons"]

_ISSUE_COLUMNS = ["pos", "column", "rule", "value", "message"]


def _col(table, name) -> np.ndarray:
    if name not in table:
        return np.full(len(table), None, dtype=object)
    s = table[name]
    return s.astype(object).where(s.notna(), None).to_numpy(dtype=object)


def _size_t(size: np.ndarray) -> np.ndarray:
    """8th-edition T by size for a tumour limited to the thyroid (None where size is unknown)."""
    (l1, c1), (l2, c2), (l3, c3) = ajcc.AJCC8_T_SIZE_LIMITS_MM
    with np.errstate(invalid="ignore"):
        out = np.select([size <= l1, size <= l2, size <= l3, size > l3], [c1, c2, c3, "T3a"], default="")
    return np.where(out == "", None, out).astype(object)


def _rules(edition: int, n_rows: int, by_size, gross, not_gross):
    """``(old value, mask, new value)`` per column, in order; the first rule matching a row wins."""
    sized = by_size != None  # noqa: E711
    size_decides = not_gross & sized  # no gross ETE and the size is known
    # T1 (and the 5th edition's T2) are limited to the thyroid by definition: the size alone decides
    intrathyroidal = sized & ~gross
    every = np.ones(n_rows, bool)
    if edition == 5:
        t_rules = [("T1", every, "T1a"),  # 5th T1 <= 1 cm
                   ("T2", intrathyroidal, by_size), ("T2", every, "TX"),
                   ("T3", every, "T3a"),  # 5th T3 > 4 cm limited to the thyroid
                   ("T4", size_decides, by_size), ("T4", every, "TX")]
        return t_rules, [("N1a", every, "N1"), ("N1b", every, "N1")]
    t_rules = [("T1", intrathyroidal & np.isin(by_size, ("T1a", "T1b")), by_size),
               ("T3", gross, "T3b")]
    if edition in (6, 7):  # minimal ETE made T3: without gross ETE the size decides
        return t_rules + [("T3", size_decides, by_size)], [("N1b", every, "N1")]
    return t_rules + [("T3", size_decides & (by_size == "T3a"), "T3a")], []


_WHY = {
    ("t_stage", "T1"): "coarse T1: the 8th edition splits T1a/T1b at 1 cm and tumour size is missing",
    ("t_stage", "T3"): "coarse T3: 8th-edition T3a (> 4 cm) or T3b (gross ETE) needs tumour size and ETE",
    ("t_stage", "T4"): "coarse T4: T4a or T4b is not recorded (decides AJCC stage III vs IVA at age >= 55)",
    ("t_stage", "T2", 5): "5th-edition T2 (1-4 cm) is 8th T1b or T2: tumour size needed; set to TX",
    ("t_stage", "T4", 5): "5th-edition T4 (any ETE) is 8th T1-T3a (minimal ETE), T3b or T4: set to TX",
    ("t_stage", "T3", 7): "7th-edition T3 (> 4 cm or minimal ETE): 8th-edition T needs tumour size and ETE",
    ("n_stage", "N1b", 7): "7th-edition N1b includes level VII nodes, which are N1a in the 8th",
    ("n_stage", "N1a", 5): "5th-edition N1a/N1b (ipsilateral vs other nodes) do not give the 8th-edition level",
}


def _why(column, value, edition):
    ed = {6: 7, 7: 7, 5: 5}.get(edition)
    if column == "n_stage" and edition == 5:
        return _WHY[("n_stage", "N1a", 5)]
    return _WHY.get((column, value, ed)) or _WHY.get((column, value)) or f"{value} kept as reported"


def restage(table: pd.DataFrame, edition: int = ajcc.TNM_EDITION_DEFAULT):
    """8th-edition ``t_stage``/``n_stage`` from another edition or coarse categories.

    Parameters
    ----------
    table : DataFrame
        Canonical table (``t_stage``, ``n_stage``; ``tumour_size_mm`` and
        ``ete`` are read when present).
    edition : {5, 6, 7, 8}
        Edition of the table's T and N values.

    Returns
    -------
    table : DataFrame
        A copy with restaged ``t_stage``/``n_stage`` (contract categories).
    issues : DataFrame
        ``pos, column, rule, value, message``: one ``not_restaged`` row per
        value kept coarse (or set to TX), with the reason.
    notes : list of str
        Aggregate counts, e.g. ``"t_stage: 12 rows restaged from the 7th to the 8th edition"``.
    """
    contract = load_contract()
    out = table.copy()
    t, n = _col(table, "t_stage"), _col(table, "n_stage")
    size = (pd.to_numeric(table["tumour_size_mm"], errors="coerce").to_numpy(float, na_value=np.nan)
            if "tumour_size_mm" in table else np.full(len(table), np.nan))
    ete = _col(table, "ete")
    gross, not_gross = ete == "gross", np.isin(ete, ("none", "minimal"))
    t_rules, n_rules = _rules(int(edition), len(table), _size_t(size), gross, not_gross)
    issues, notes = [], []
    for column, values, rules in (("t_stage", t, t_rules), ("n_stage", n, n_rules)):
        if column not in table:
            continue
        new = values.copy()
        done = np.zeros(len(values), bool)
        for old, mask, value in rules:
            hit = (values == old) & mask & ~done
            new[hit] = np.asarray(value, dtype=object)[hit] if isinstance(value, np.ndarray) else value
            done |= hit
        changed = (new != values) & pd.notna(values)
        coarse = np.isin(new, list(ajcc.COARSE_CATEGORIES[column]) + ["TX"]) & (changed | np.isin(
            values, list(ajcc.COARSE_CATEGORIES[column])))
        coarse &= ~((values == "TX") & (new == "TX"))
        restaged = changed & ~coarse
        if restaged.any():
            label = f"from the {edition}th edition" if edition != 8 else "from coarse categories"
            notes.append(f"note: {column}: {int(restaged.sum())} rows restaged {label} to the 8th edition "
                         "(tumour size, extrathyroidal extension)")
        for pos in np.flatnonzero(coarse):
            issues.append((int(pos), column, "not_restaged", str(values[pos]),
                           f"{_why(column, values[pos], edition)}; kept {new[pos]}"))
        out[column] = pd.Categorical(new, categories=list(contract[column].categories))
    frame = pd.DataFrame(issues, columns=_ISSUE_COLUMNS)
    return out, frame.sort_values(["pos", "column"], kind="stable").reset_index(drop=True), notes


def underived_reasons(table: pd.DataFrame) -> pd.DataFrame:
    """Why ``ajcc8_stage`` or ``ata_risk_2015`` is missing, one ``not_derived`` row per row and field.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"age_years": [70.0, None], "t_stage": ["T4", "T2"], "n_stage": ["N0", "N0"],
    ...                   "m_stage": ["M0", "M0"], "ajcc8_stage": [None, None], "ata_risk_2015": ["high", "low"]})
    >>> underived_reasons(t)["message"].tolist()
    ['coarse T4 (T4a: stage III, T4b: IVA)', 'age at diagnosis missing']
    """
    rows = []
    age = (pd.to_numeric(table["age_years"], errors="coerce").to_numpy(float, na_value=np.nan)
           if "age_years" in table else np.full(len(table), np.nan))
    t, n, m = _col(table, "t_stage"), _col(table, "n_stage"), _col(table, "m_stage")
    hist, ete = _col(table, "histology"), _col(table, "ete")
    stage, risk = _col(table, "ajcc8_stage"), _col(table, "ata_risk_2015")
    for pos in range(len(table)):
        if "ajcc8_stage" in table and stage[pos] is None:
            if np.isnan(age[pos]):
                why = "age at diagnosis missing"
            elif m[pos] in (None, "MX"):
                why = "M unknown (MX or missing)"
            elif t[pos] in (None, "TX"):
                why = "T unknown (TX or missing)"
            elif t[pos] == "T4":
                why = "coarse T4 (T4a: stage III, T4b: IVA)"
            else:
                why = "T, N and M do not fix the stage"
            rows.append((pos, "ajcc8_stage", "not_derived", "", why))
        if "ata_risk_2015" in table and risk[pos] is None:
            lacking = [name for name, v in (("histology", hist[pos]), ("n_stage", n[pos]), ("m_stage", m[pos]))
                       if v is None]
            if ete[pos] is None and t[pos] in (None, "TX"):
                lacking.append("ete or t_stage")
            if lacking:
                why = f"missing {', '.join(lacking)}"
            elif ete[pos] is None and t[pos] == "T3":
                why = "coarse T3 without ete: gross extrathyroidal extension (T3b, high risk) unknown"
            elif ete[pos] is None:
                why = "missing ete (minimal extrathyroidal extension makes intermediate risk)"
            else:
                why = "a risk item is unknown (e.g. node size, vascular invasion, resection)"
            rows.append((pos, "ata_risk_2015", "not_derived", "", why))
    return pd.DataFrame(rows, columns=_ISSUE_COLUMNS)
