"""Derived fields of the data contract (``derived: true`` in contract.yaml).

Every derived field is computed here from canonical columns, vectorised over
rows.  A missing input gives a missing output; an absent column is treated as
all-missing, never as an error, because real sources deliver subsets of the
contract.

Three-valued (Kleene) logic is used throughout: a boolean is held as a float
array with 1.0 = True, 0.0 = False and NaN = unknown, so that "unknown AND
False" is False and "unknown OR True" is True.  The helpers that read columns
in this representation (``tri_*``, ``col_*``) are shared with
:mod:`rairpredict.labels`.

Examples
--------
>>> import pandas as pd
>>> from rairpredict.cohort.derive import add_derived
>>> t = pd.DataFrame({"age_years": [40.0, 70.0], "t_stage": ["T2", "T4a"],
...                   "n_stage": ["N0", "N1b"], "m_stage": ["M0", "M0"],
...                   "ln_positive": [0, 3], "ln_examined": [0, 12]})
>>> out = add_derived(t)
>>> list(out["ajcc8_stage"].astype(str))
['I', 'III']
>>> float(out["ln_ratio"].iloc[1])
0.25
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from rairpredict.cohort._columns import ColumnArrays, as_floats, categorical, frame_from_arrays
from rairpredict.cohort.contract import load_contract
from rairpredict.reference import ajcc, clinical

__all__ = [
    "add_derived",
    "DERIVED_FIELDS",
    "derive_ajcc8_stage",
    "derive_ata_risk_2015",
    "derive_t_eff_h",
    "DOSE_RATE_TIMES_H",
]

#: Measurement times (h after the activity) of the three dose-rate columns.
DOSE_RATE_TIMES_H = {"dose_rate_24h_usv_h": 24.0, "dose_rate_48h_usv_h": 48.0, "dose_rate_72h_usv_h": 72.0}


# ----------------------------------------------------------------- shared helpers
def _array(column):
    """The array behind a column (a NumPy array for NumPy dtypes); arrays pass as they are."""
    if isinstance(column, pd.Series):
        return column.array if isinstance(column.dtype, pd.api.extensions.ExtensionDtype) else column.to_numpy()
    return column


def col_float(table: pd.DataFrame, name: str) -> np.ndarray:
    """Column as float64 with NaN for missing; absent column -> all NaN."""
    if name not in table:
        return np.full(len(table), np.nan)
    column = _array(table[name])
    if column.dtype == np.float64 and type(column) is np.ndarray:  # numbers with NaN (a validated table): a copy
        return column.copy()
    if isinstance(column, (pd.arrays.IntegerArray, pd.arrays.FloatingArray)):  # (to_numeric keeps these as they are)
        return as_floats(column)
    return pd.to_numeric(pd.Series(column, copy=False), errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def col_tri(table: pd.DataFrame, name: str) -> np.ndarray:
    """Boolean column as three-valued float (1/0/NaN); absent -> all NaN."""
    if name not in table:
        return np.full(len(table), np.nan)
    column = _array(table[name])
    if not isinstance(column, pd.arrays.BooleanArray):
        column = pd.array(column, dtype="boolean") if type(column) is np.ndarray and column.dtype == bool \
            else pd.Series(column, copy=False).astype("boolean").array
    return as_floats(column)


def col_str(table: pd.DataFrame, name: str) -> np.ndarray:
    """Category/string column as an object array with None for missing."""
    if name not in table:
        return np.full(len(table), None, dtype=object)
    column = _array(table[name])
    if isinstance(column, pd.Categorical) and column.categories.dtype == object:  # categories by code, None if missing
        return Coded(column).per_value(np.asarray(column.categories, dtype=object), None)
    s = pd.Series(column, copy=False)
    return s.astype(object).where(s.notna(), None).to_numpy(dtype=object)


class Coded:
    """A category/string column as codes into its distinct values (-1 = missing).

    Compares like :func:`col_str`'s object array (``coded == "TX"``, ``coded == None``
    elementwise; missing equals only None) and :func:`tri_in` accepts it, but each
    test reads the few distinct values instead of every row's string.
    """

    def __init__(self, values):
        if isinstance(values, Coded):
            self.codes, self.values, self.complete = values.codes, values.values, values.complete
            return
        if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
            values = values.array if isinstance(values, pd.Series) else values  # the Categorical itself
            self.codes = np.asarray(values.codes, dtype=np.intp)
            self.values = np.asarray(values.categories, dtype=object)
        else:
            self.codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
            self.values = np.asarray(uniques, dtype=object)
        self.complete = bool(self.codes.min(initial=0) >= 0)  # no missing cell: no missing value to place

    def isin(self, members) -> np.ndarray:
        """Elementwise membership (missing is never a member)."""
        members = list(members)
        return self.per_value(np.array([v in members for v in self.values], dtype=bool), False)

    def per_value(self, per_value, missing) -> np.ndarray:
        """``per_value[codes]`` with ``missing`` where the code is -1."""
        if self.complete:
            return np.asarray(per_value).take(self.codes)
        return np.append(np.asarray(per_value), [missing]).take(self.codes)  # code -1 picks the appended entry

    def __eq__(self, other) -> np.ndarray:  # type: ignore[override]
        if other is None:
            return self.codes < 0
        return self.per_value(np.array([v == other for v in self.values], dtype=bool), False)

    def __ne__(self, other) -> np.ndarray:  # type: ignore[override]
        return ~(self == other)

    __hash__ = None


def col_coded(table: pd.DataFrame, name: str) -> Coded:
    """Category/string column as :class:`Coded`; absent -> all missing."""
    if name not in table:
        return Coded(np.full(len(table), None, dtype=object))
    column = _array(table[name])
    return Coded(column if isinstance(column, pd.Categorical) else col_str(table, name))


def tri_in(values, members) -> np.ndarray:
    """Three-valued membership of a string array (or :class:`Coded`) in ``members`` (None -> NaN)."""
    if isinstance(values, Coded):
        members = list(members)
        if all(type(v) is str for v in (*values.values, *members)):  # text: a set lookup per distinct value
            known = set(members)
            hit = np.array([v in known for v in values.values], dtype=float)
        else:
            hit = pd.Series(values.values, dtype=object).isin(members).to_numpy(float)
        return values.per_value(hit, np.nan)
    hit = pd.Series(values, dtype=object).isin(list(members)).to_numpy()
    return np.where(pd.isna(values), np.nan, hit.astype(float))


_INEQUALITIES = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}


def tri_cmp(x: np.ndarray, threshold: float, op: str) -> np.ndarray:
    """Three-valued ``x <op> threshold`` with op one of < <= > >=."""
    if op not in _INEQUALITIES:
        raise ValueError(f"unknown inequality {op!r}; expected one of {sorted(_INEQUALITIES)}")
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(x), np.nan, _INEQUALITIES[op](x, threshold).astype(float))


def _kleene(args, decisive: float) -> np.ndarray:
    """``decisive`` if any argument is, else unknown if any is unknown, else the other value.

    NumPy's fmax/fmin skip NaN (decisive wherever any argument is),
    maximum/minimum propagate it (unknown wherever any is, else the other
    value): two calls per argument, none per cell.
    """
    args = [np.asarray(a, dtype=float) for a in args]
    if any(a.shape != args[0].shape for a in args):
        args = np.broadcast_arrays(*args)
    skip_nan, keep_nan = (np.fmax, np.maximum) if decisive == 1.0 else (np.fmin, np.minimum)
    skipped = kept = args[0]
    for a in args[1:]:
        skipped, kept = skip_nan(skipped, a), keep_nan(kept, a)
    return np.where(skipped == decisive, decisive, kept)


def tri_and(*args: np.ndarray) -> np.ndarray:
    """Kleene AND: False if any False, else unknown if any unknown, else True."""
    return _kleene(args, 0.0)


def tri_or(*args: np.ndarray) -> np.ndarray:
    """Kleene OR: True if any True, else unknown if any unknown, else False."""
    return _kleene(args, 1.0)


def tri_not(a: np.ndarray) -> np.ndarray:
    """Kleene NOT (unknown stays unknown)."""
    return 1.0 - a


def to_boolean(tri: np.ndarray) -> pd.arrays.BooleanArray:
    """Three-valued float array -> pandas nullable "boolean" array."""
    tri = np.asarray(tri, dtype=float)
    return pd.arrays.BooleanArray(tri == 1.0, np.isnan(tri))


def to_category(values: np.ndarray, field: str) -> pd.Categorical:
    """String/None array -> Categorical with the contract's categories of ``field``."""
    return pd.Categorical(values, categories=list(load_contract()[field].categories))


_AJCC8 = load_contract()["ajcc8_stage"].categories
_ATA = load_contract()["ata_risk_2015"].categories
_ATA_HIGH_INTERMEDIATE_LOW = tuple(_ATA.index(c) for c in ("high", "intermediate", "low"))
#: The canonical dtype of each derived category field.
_DTYPES = {name: pd.CategoricalDtype(list(load_contract()[name].categories)) for name in ("ajcc8_stage", "ata_risk_2015")}


def _names(codes: np.ndarray, categories) -> np.ndarray:
    """Category positions -> object array of the category names (None for -1)."""
    return np.append(np.asarray(categories, dtype=object), [None]).take(codes)


# ----------------------------------------------------------------- AJCC 8th
def derive_ajcc8_stage(age, t, n, m) -> np.ndarray:
    """AJCC 8th edition stage of differentiated thyroid cancer, vectorised.

    Parameters
    ----------
    age : array-like of float
        Age at diagnosis in years (NaN = unknown).
    t, n, m : array-like of str
        T, N and M categories as in the contract (None/NaN = unknown).

    Returns
    -------
    numpy.ndarray of object
        "I", "II", "III", "IVA", "IVB" or None where the inputs do not fix the
        stage.

    Notes
    -----
    Age < ``AJCC8_AGE_CUTOFF_YEARS`` (55): M0 -> I, M1 -> II, whatever T and N.
    Age >= 55 (so exactly 55 is the older group): M1 -> IVB; T4b -> IVA;
    T4a -> III; T3a/T3b -> II; T1-T2 with N1 -> II; T1-T2 with N0/NX -> I.
    MX and TX give no stage unless the other categories fix it (e.g. M1 at age
    >= 55 is IVB with TX).  Missing age gives no stage (M1 is II or IVB).
    Coarse categories (:data:`rairpredict.reference.ajcc.COARSE_CATEGORIES`)
    stage where their sub-categories agree (T1 and T3 do, N1 does); a coarse
    T4 gives no stage at age >= 55 (T4a is III, T4b IVA).

    Examples
    --------
    >>> list(derive_ajcc8_stage([54.9, 55.0], ["T2", "T2"], ["N1a", "N1a"], ["M0", "M0"]))
    ['I', 'II']
    """
    return _names(_ajcc8_codes(age, t, n, m), _AJCC8)


def _ajcc8_codes(age, t, n, m) -> np.ndarray:
    """:func:`derive_ajcc8_stage` as positions in the contract's ``ajcc8_stage`` categories (-1: none)."""
    age = np.asarray(age, dtype=float)
    t, n, m = (Coded(x) for x in (t, n, m))
    cut = clinical.AJCC8_AGE_CUTOFF_YEARS
    young = age < cut
    old = age >= cut
    m0, m1 = m == "M0", m == "M1"
    t12 = t.isin(["T1a", "T1b", "T1", "T2"])
    t3 = t.isin(["T3a", "T3b", "T3"])
    n0 = n.isin(["N0", "NX"])
    n1 = n.isin(ajcc.N1_CATEGORIES)
    conditions = [
        young & m0,
        young & m1,
        old & m1,
        old & m0 & (t == "T4b"),
        old & m0 & (t == "T4a"),
        old & m0 & t3,
        old & m0 & t12 & n1,
        old & m0 & t12 & n0,
    ]
    choices = [_AJCC8.index(stage) for stage in ("I", "II", "IVB", "IVA", "III", "II", "II", "I")]
    return np.select(conditions, choices, default=-1)


# ----------------------------------------------------------------- ATA 2015 risk
_PAPILLARY = ("papillary_classic", "papillary_micro", "papillary_follicular_variant",
              "papillary_tall_cell", "papillary_hobnail", "papillary_columnar")
#: ATA 2015 counts Hurthle-cell (oncocytic) carcinoma with follicular cancer.
_FOLLICULAR = ("follicular", "oncocytic")
_DISTANT_SITES = ("lung", "bone", "lung_and_bone", "other")


def derive_ata_risk_2015(table: pd.DataFrame, *, lenient: bool = True) -> np.ndarray:
    """ATA 2015 initial risk of structural recurrence, vectorised.

    Items evaluated (Haugen 2016, Table 12; constants in
    :mod:`rairpredict.reference.clinical`):

    - **high**: gross ETE (``ete == "gross"`` or T3b/T4a/T4b); incomplete
      resection (``resection_complete`` False); distant metastases (M1 or a
      ``distant_met_site``); a metastatic node >= ``ATA_HIGH_RISK_NODE_MM``;
      follicular/oncocytic cancer with > ``ATA_EXTENSIVE_VASCULAR_FOCI`` foci.
    - **intermediate**: minimal ETE; aggressive histology
      (``ATA_AGGRESSIVE_HISTOLOGY``); papillary cancer with vascular invasion;
      N1 with > ``ATA_INTERMEDIATE_MAX_LOW_RISK_NODES`` positive nodes, or N1
      whose largest node is not a micrometastasis (>= 2 mm; ATA's low class
      allows only <= 5 micrometastases); multifocal microcarcinoma with ETE and
      BRAF V600E (already implied by the ETE item, kept for completeness).
    - **low**: none of the above, known to be absent.

    Not evaluable from the contract: postoperative Tg suggestive of distant
    metastases (no postoperative unstimulated Tg field; ``tg_stim_ng_ml`` is
    pre-therapy stimulated Tg with no ATA cut-off) and RAI-avid foci on the
    first post-therapy scan (post-therapy information must not leak into a
    pathology-stage field).  ``tumour_size_mm`` <= 10 mm marks a papillary
    microcarcinoma when the histology says only "papillary".  Clinical N1 is
    not distinguished from pathological N1.

    Unknown never becomes the favourable class (``clinical.ATA_UNKNOWN_NODES_RULE``):
    NX (nodes not assessed) leaves the nodal items unknown, so the class is
    unknown unless another item decides it (NX is not N0); an N1 whose node
    size is unknown counts as not a micrometastasis in the lenient mode, i.e.
    at least intermediate (the conservative class: ATA's low class needs every
    node documented < 2 mm), while its >= 3 cm high-risk item stays "not
    reported" as for other secondary findings.

    Parameters
    ----------
    table : DataFrame
        Canonical table.
    lenient : bool, default True
        Where the strict three-valued result is unknown but the essential
        inputs (histology, ete or T stage, n_stage, m_stage) are known, read
        missing secondary findings (resection, vascular invasion, node counts,
        BRAF, multifocality) as not reported = absent, as in a pathology report.

    Returns
    -------
    numpy.ndarray of object
        "low", "intermediate", "high" or None.
    """
    return _names(_ata_codes(table, lenient=lenient), _ATA)


def _ata_codes(table, *, lenient: bool = True) -> np.ndarray:
    """:func:`derive_ata_risk_2015` as positions in the contract's ``ata_risk_2015`` categories (-1: none)."""
    hist = col_coded(table, "histology")
    ete = col_coded(table, "ete")
    t = col_coded(table, "t_stage")
    n = col_coded(table, "n_stage")
    m = col_coded(table, "m_stage")
    ln_pos = col_float(table, "ln_positive")
    node_mm = col_float(table, "largest_node_mm")
    size = col_float(table, "tumour_size_mm")
    foci = col_float(table, "vascular_invasion_foci")
    vasc = col_tri(table, "vascular_invasion")
    vasc = np.where(np.isnan(vasc), tri_cmp(foci, 0, ">"), vasc)
    resected = col_tri(table, "resection_complete")
    braf = col_tri(table, "braf_v600e")
    multifocal = col_tri(table, "multifocal")

    # ETE from T where ete is missing: T3b/T4 are gross ETE; T1-T3a exclude gross only;
    # a coarse T3 (T3a or T3b) leaves it unknown.
    t_gross = tri_in(t, ajcc.T_GROSS_ETE)
    t_gross = np.where((t == "TX") | (t == "T3"), np.nan, t_gross)
    ete_gross = np.where(t_gross == 1, 1.0, np.where(ete == None, t_gross, tri_in(ete, ("gross",))))  # noqa: E711
    ete_minimal = tri_in(ete, ("minimal",))
    ete_any = tri_in(ete, ("minimal", "gross"))

    # A named metastasis site makes M1 certain; "none" adds nothing to m_stage.
    site = tri_in(col_coded(table, "distant_met_site"), _DISTANT_SITES)
    distant = np.where(site == 1, 1.0, np.where(m == "MX", np.nan, tri_in(m, ("M1",))))
    n_stage_n1 = np.where(n == "NX", np.nan, tri_in(n, ajcc.N1_CATEGORIES))  # NX: unknown, never N0
    n1 = tri_or(n_stage_n1, tri_cmp(ln_pos, 0, ">"))
    papillary = tri_in(hist, _PAPILLARY)
    follicular = tri_in(hist, _FOLLICULAR)
    micro = tri_or(tri_in(hist, ("papillary_micro",)),
                   tri_and(papillary, tri_cmp(size, clinical.PAPILLARY_MICROCARCINOMA_MM, "<=")))

    def assemble(vasc, resected, ln_pos, node_mm, foci, braf, multifocal):
        node_big = tri_cmp(node_mm, clinical.ATA_HIGH_RISK_NODE_MM, ">=")
        high = tri_or(
            ete_gross,
            tri_not(resected),
            distant,
            tri_and(n1, node_big),
            tri_and(follicular, tri_cmp(foci, clinical.ATA_EXTENSIVE_VASCULAR_FOCI, ">")),
        )
        many_nodes = tri_cmp(ln_pos, clinical.ATA_INTERMEDIATE_MAX_LOW_RISK_NODES, ">")
        macro = tri_cmp(node_mm, clinical.ATA_LOW_RISK_MICROMETASTASIS_MM, ">=")
        intermediate = tri_or(
            ete_minimal,
            tri_in(hist, clinical.ATA_AGGRESSIVE_HISTOLOGY),
            tri_and(papillary, vasc),
            tri_and(n1, tri_or(many_nodes, macro)),
            tri_and(micro, multifocal, ete_any, braf),
        )
        # high if high; else, where high is known to be absent, intermediate or low; else none
        lower = np.where(intermediate == 1, _ATA_HIGH_INTERMEDIATE_LOW[1],
                         np.where(intermediate == 0, _ATA_HIGH_INTERMEDIATE_LOW[2], -1))
        return np.where(high == 1, _ATA_HIGH_INTERMEDIATE_LOW[0], np.where(high == 0, lower, -1))

    strict = assemble(vasc, resected, ln_pos, node_mm, foci, braf, multifocal)
    if lenient and (strict < 0).any():  # (the lenient reading only fills classes the strict one leaves open)
        def absent(x, fill=0.0):
            return np.where(np.isnan(x), fill, x)
        # N1 with unknown node size: the smallest size that is not a micrometastasis
        # (conservative: intermediate, not low); unknown N (NX): stays unknown;
        # N0: not reported = absent
        node_fill = np.where(n1 == 1, clinical.ATA_LOW_RISK_MICROMETASTASIS_MM,
                             np.where(np.isnan(n_stage_n1), np.nan, 0.0))
        loose = assemble(absent(vasc), absent(resected, 1.0), absent(ln_pos), absent(node_mm, node_fill),
                         absent(foci), absent(braf), absent(multifocal))
        essentials = ((hist != None) & ((ete != None) | ~np.isnan(t_gross))  # noqa: E711
                      & (n != None) & (m != None))  # noqa: E711
        strict = np.where((strict < 0) & essentials, loose, strict)
    return strict


# ----------------------------------------------------------------- effective half-life
def derive_t_eff_h(dose_rates: np.ndarray, times_h=(24.0, 48.0, 72.0)) -> np.ndarray:
    """Effective half-life (h) from serial dose rates, vectorised.

    Least-squares fit of ln(dose rate) against time using the positive,
    non-missing measurements of each row; T_eff = ln 2 / (-slope).  Rows with
    fewer than two usable values, or a non-negative slope, give NaN.

    Parameters
    ----------
    dose_rates : array of shape (n_rows, n_times)
    times_h : sequence of float, length n_times

    Examples
    --------
    >>> import numpy as np
    >>> rates = 100 * 0.5 ** (np.array([[24.0, 48.0, 72.0]]) / 12.0)
    >>> round(float(derive_t_eff_h(rates)[0]), 6)
    12.0
    """
    y = np.asarray(dose_rates, dtype=float)
    x = np.asarray(times_h, dtype=float)[None, :]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        w = (y > 0).astype(float)  # NaN > 0 is False
        ly = np.where(w > 0, np.log(np.where(w > 0, y, 1.0)), 0.0)
        k = w.sum(1)
        sx, sy = (w * x).sum(1), ly.sum(1)
        sxx, sxy = (w * x * x).sum(1), (w * x * ly).sum(1)
        den = k * sxx - sx * sx
        slope = np.where((k >= 2) & (den > 0), (k * sxy - sx * sy) / np.where(den > 0, den, 1.0), np.nan)
        return np.where(slope < 0, np.log(2.0) / -slope, np.nan)


# ----------------------------------------------------------------- add_derived
def _keep_source(derived: np.ndarray, table, name: str, prefer_source: bool = False) -> pd.Categorical:
    """The derived category codes where known, else the source's own value of ``name``, as a Categorical.

    With ``prefer_source`` the source's value wins where it is given: used for
    the ATA risk class, whose clinician-assigned value rests on pathology
    details (vascular foci, node sizes) that many sources do not export and
    that the lenient derivation reads as absent. A source value that is not a
    category of ``name`` becomes missing.
    """
    dtype = _DTYPES[name]
    if name not in table:
        return categorical(derived, dtype)
    source = _array(table[name])
    if isinstance(source, pd.Categorical) and source.categories.equals(dtype.categories):
        codes = np.asarray(source.codes)  # the contract's own categories (a validated table)
        given = codes >= 0
    else:
        text = col_str(table, name)
        given = ~pd.isna(text)
        codes = pd.Categorical(text, categories=dtype.categories).codes
    codes = np.where(given, codes, derived) if prefer_source else np.where(derived < 0, codes, derived)
    return categorical(codes, dtype)


def _with_columns(table: pd.DataFrame, columns: ColumnArrays, new: dict) -> pd.DataFrame:
    """``table`` with the columns of ``new`` replaced (in place) or added (at the end); the others shared."""
    if not table.columns.is_unique:  # pandas decides which of the same-named columns is meant
        out = table.copy(deep=False)
        for name, values in new.items():
            out[name] = values
        return out
    names, arrays = table.columns, list(columns.arrays.values())
    for name, values in new.items():
        if name in columns:
            arrays[names.get_loc(name)] = values
        else:
            names = names.insert(len(names), name)
            arrays.append(values)
    return frame_from_arrays(names, arrays, table.index).__finalize__(table, method="copy")


#: Derived fields computed by :func:`add_derived`, in the order they are added.
DERIVED_FIELDS = ("ln_ratio", "tg_tsh_ratio", "tgab_positive", "ajcc8_stage", "ata_risk_2015", "t_eff_h")


def add_derived(table: pd.DataFrame, only=None) -> pd.DataFrame:
    """Return ``table`` with every derived contract field computed.

    The result is a new frame and the input is left as it is, but the columns
    that are not recomputed are shared with the input, not copied: copy the
    result before writing into those columns in place.

    Fields: ``ln_ratio``, ``ajcc8_stage``, ``ata_risk_2015``, ``tg_tsh_ratio``,
    ``tgab_positive``, ``t_eff_h`` (see contract.yaml).  Source values of
    ``ajcc8_stage`` are kept only where age and TNM cannot give a stage; a
    source ``ata_risk_2015`` is kept where given (see ``_keep_source``); the
    others are always recomputed.

    Parameters
    ----------
    table : DataFrame
        Canonical table.
    only : iterable of str, optional
        Compute only these derived fields (e.g. the ones a model reads, when
        scoring); the others are left as they are in ``table``. Default: all.

    Examples
    --------
    >>> import pandas as pd
    >>> out = add_derived(pd.DataFrame({"tgab_iu_ml": [1.0, 40.0, None]}))
    >>> out["tgab_positive"].tolist()
    [False, True, <NA>]
    >>> list(add_derived(pd.DataFrame({"tgab_iu_ml": [1.0]}), only=["tgab_positive"]).columns)
    ['tgab_iu_ml', 'tgab_positive']
    """
    wanted = set(DERIVED_FIELDS if only is None else only)
    unknown = wanted - set(DERIVED_FIELDS)
    if unknown:
        raise ValueError(f"not derived fields: {sorted(unknown)}; expected some of {list(DERIVED_FIELDS)}")
    # the table's columns are read once and shared with the result; the result is built once
    columns, new = ColumnArrays(table), {}
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if "ln_ratio" in wanted:
            pos, exam = col_float(columns, "ln_positive"), col_float(columns, "ln_examined")
            new["ln_ratio"] = np.where(exam > 0, pos / np.where(exam > 0, exam, 1.0), np.nan)
        if "tg_tsh_ratio" in wanted:
            tg, tsh = col_float(columns, "tg_stim_ng_ml"), col_float(columns, "tsh_stim_mu_l")
            new["tg_tsh_ratio"] = np.where(tsh > 0, tg / np.where(tsh > 0, tsh, 1.0), np.nan)
    if "tgab_positive" in wanted:
        tgab = col_float(columns, "tgab_iu_ml")
        new["tgab_positive"] = to_boolean(tri_cmp(tgab, clinical.TGAB_POSITIVE_IU_ML, ">"))
    if "ajcc8_stage" in wanted:
        stage = _ajcc8_codes(col_float(columns, "age_years"), col_coded(columns, "t_stage"),
                             col_coded(columns, "n_stage"), col_coded(columns, "m_stage"))
        new["ajcc8_stage"] = _keep_source(stage, columns, "ajcc8_stage")
    if "ata_risk_2015" in wanted:
        new["ata_risk_2015"] = _keep_source(_ata_codes(columns), columns, "ata_risk_2015", prefer_source=True)
    if "t_eff_h" in wanted:
        rates = np.column_stack([col_float(columns, c) for c in DOSE_RATE_TIMES_H])
        new["t_eff_h"] = derive_t_eff_h(rates, tuple(DOSE_RATE_TIMES_H.values()))
    return _with_columns(table, columns, new)
