"""Build the golden fixture of validation and derivation (run by hand, never by the tests).

The fixture freezes what :func:`rairpredict.cohort.validate_canonical` and
:func:`rairpredict.cohort.derive.add_derived` returned on a bad-row-rich sample
when it was made, so that a rewrite of their internals (issue 15: vectorised
validation) can be checked to reject the same rows with the same reasons and
to derive the same values bit for bit (``tests/cohort/test_golden.py``).

* ``input_text.parquet``: a simulated cohort as text (every cell a string, as
  a CSV is read), with many spellings of valid values and injected bad values
  of every rule (not a number, fractions in integer fields, unreadable
  booleans, unseen categories, out of range, implausible, missing required,
  duplicate and missing ids, cross-field order, unit mix-ups).
* ``input_typed.parquet``: the same cohort typed (floats, Int64, booleans,
  Categoricals, as a Parquet file is read) with object columns mixing types.
* ``expected_<case>_{table,rejects,flags}.parquet`` for each case in
  :data:`CASES` (options of ``validate_canonical``) and
  ``expected_<case>_derived.parquet`` (``add_derived`` of the accepted rows),
  ``expected_derive_*.parquet`` (:func:`derive_cases`: derivation alone on the
  clean cohort ``input_clean.parquet`` with a fifth of its inputs blanked).

Regenerate ONLY when the rules change on purpose (a new rule, a new message),
and say so in the commit: the point of the fixture is that a refactoring does
not move it::

    PYTHONPATH=src python tests/cohort/golden/make_golden.py            # expected results only
    PYTHONPATH=src python tests/cohort/golden/make_golden.py --new-inputs   # also new inputs (simulator)

History: made before the vectorised rewrite (issue 15); expected results
regenerated once after the cohort-config work (issue 10) changed the
messages of unreadable values and added the optional-field policy, source
names and extra fields (cases ``text_policy``, ``typed_missing``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
N = 1200
SEED = 20261202

#: case -> (input, keyword arguments of validate_canonical)
CASES = {
    "text": ("text", {}),
    "text_units": ("text_comma", {"units": {"activity_gbq": "mCi", "tumour_size_mm": "cm",
                                            "tg_stim_ng_ml": "pmol/L", "cumulative_activity_gbq": "MBq"},
                                  "decimal": ",", "missing_tokens": ("", "NA", "-")}),
    "typed": ("typed", {"check_duplicates": False, "row_offset": 1000}),
    "typed_tokens": ("typed", {"missing_tokens": ("NA", "", "n/a"), "source_rows": "reversed"}),
    # optional-field policy (bad optional values set missing, with warnings), source names, extra fields
    "text_policy": ("text_extra", {"invalid": {"tumour_size_mm": "missing", "smoking": "missing",
                                               "histology": "missing", "ete": "missing", "ln_positive": "missing",
                                               "ln_examined": "missing", "vascular_invasion_foci": "missing",
                                               "ki67_pct": "missing", "grade": "missing"},
                                   "sources": {"age_years": "Age", "tumour_size_mm": "Size (mm)", "ete": "ETE",
                                               "ki67_pct": "Ki-67"},
                                   "schema": "extras"}),
    "typed_missing": ("typed", {"invalid": "missing"}),
}


def extra_fields():
    """Extra fields a cohort config could declare (number with a range, own boolean codes, category)."""
    from rairpredict.cohort.contract import Field

    return [Field("ki67_pct", "float", "pathology", unit="%", range=(0.0, 100.0), plausible=(0.0, 80.0), extra=True),
            Field("rai_flag", "bool", "pre_therapy", true_codes=("pos", "+"), false_codes=("neg", "-"), extra=True),
            Field("grade", "category", "pathology", categories=("g1", "g2", "g3"), extra=True)]


def _with_extras(text: pd.DataFrame) -> pd.DataFrame:
    """``text`` plus raw text of the extra fields, good and bad (deterministic, no simulator)."""
    rng = np.random.default_rng(SEED + 1)
    n = len(text)
    out = text.copy()
    out["ki67_pct"] = rng.choice(["3", "12.5", "", "95", "150", "-1", "abc", " 7 ", "85"], n)
    out["rai_flag"] = rng.choice(["pos", "neg", "+", "-", "POS", "", "yes", "maybe"], n)
    out["grade"] = rng.choice(["g1", "G2", " g3 ", "", "g4", "high"], n)
    return out

_BAD = {
    "float": ["abc", "1..2", "12,5", "inf", "-inf", "nan", "NaN", "1e400", " ", "-1", "1e9", "0x10", "5 mg",
              "  42.0  ", "+3", "1e-3", "--2", "1_000", "٣"],
    "int": ["2.5", "3.0", "1e20", "-1", "abc", "7 ", "1e3", "0.0", "9007199254740993", "-0", "1.0000001", "300"],
    "bool": ["maybe", "2", "Yes", " NO ", "y", "N", "TRUE", "false", "1.0", "0.0", "t", "F", "yess", "-1", "on"],
    "category": ["unknown", "", "  ", "N/A", "other stuff", "T5", "MALE", "Female ", "papillary-classic",
                 "Papillary Classic", "t1a", "N 1 B", "m-1", "__none__", "I", "lung and bone"],
    "string": ["", "  ", "x y", "\tz"],
}


def _text_cell(v, dtype, rng) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return rng.choice(["", "", "", "", "", " ", "NA"])
    if dtype == "bool":
        return rng.choice(["yes", "No", "TRUE", "false", "y", "N", "1", "0"] if v else
                          ["no", "No", "FALSE", "f", "n", "0", "0.0"]) if isinstance(v, (bool, np.bool_)) else str(v)
    if dtype == "category":
        s = str(v)
        return rng.choice([s, s.upper(), f" {s} ", s.replace("_", "-"), s.replace("_", " ").title()])
    if dtype == "float":
        return rng.choice([repr(float(v)), f"{float(v):.3f}", f" {float(v):g} "])
    return str(v)


def make_inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from rairpredict.cohort.contract import load_contract
    from rairpredict.simulation.simulate import simulate_cohort

    contract = load_contract()
    rng = np.random.default_rng(SEED)
    pyrng = __import__("random").Random(SEED)
    sim = simulate_cohort(N, seed=SEED % 1000)
    sim = sim[[c for c in sim.columns if c in contract or contract.is_oracle(c)]]
    # source values of derived fields on some rows only (kept / overridden by add_derived)
    for name in ("ata_risk_2015", "ajcc8_stage"):
        sim[name] = sim[name].where(rng.random(N) < 0.3)

    # About a third of the rows carry bad values, a few cells each, so enough rows
    # survive to check the derived fields too.
    bad_row = rng.random(N) < 0.35
    text = pd.DataFrame(index=sim.index)
    for c in sim.columns:
        dtype = contract[c].dtype if c in contract else "float"
        text[c] = [_text_cell(v, dtype, pyrng) for v in sim[c].astype(object)]
        if c in contract and not contract.is_oracle(c):
            bad = bad_row & (rng.random(N) < 0.05)
            pool = _BAD[dtype]
            text.loc[bad, c] = [pyrng.choice(pool) for _ in range(int(bad.sum()))]
    # rule-specific rows: range, plausibility, unit mix-ups, cross-field order, ids
    text.loc[rng.random(N) < 0.02, "age_years"] = "5"          # implausible (kept, flagged)
    text.loc[rng.random(N) < 0.02, "age_years"] = "130"        # out of range
    text.loc[rng.random(N) < 0.02, "activity_gbq"] = "150"     # mCi given as GBq
    text.loc[rng.random(N) < 0.02, "activity_gbq"] = "3700"    # MBq given as GBq
    text.loc[rng.random(N) < 0.02, "tumour_size_mm"] = "3.5"   # plausibly cm
    text.loc[rng.random(N) < 0.02, "tsh_stim_mu_l"] = "0.01"   # implausible
    order = rng.random(N) < 0.02
    text.loc[order, "ln_positive"], text.loc[order, "ln_examined"] = "9", "4"
    order = rng.random(N) < 0.02
    text.loc[order, "lesions_without_uptake"], text.loc[order, "known_lesions"] = "3", "1"
    dup = np.flatnonzero(rng.random(N) < 0.02)
    text.loc[dup, "patient_id"] = text["patient_id"].iloc[rng.integers(0, N, len(dup))].to_numpy()
    text.loc[rng.random(N) < 0.01, "patient_id"] = ""
    text.loc[rng.random(N) < 0.01, "patient_id"] = " padded id "

    comma = text.copy()
    for c in comma.columns:
        if c in contract and contract[c].dtype in ("float", "int"):
            comma[c] = comma[c].str.replace(".", ",", regex=False)
    comma.loc[rng.random(N) < 0.02, "tg_stim_ng_ml"] = "1.5"   # a point with decimal=","
    comma.loc[rng.random(N) < 0.02, "activity_gbq"] = "100"    # 100 mCi = 3.7 GBq
    comma.loc[rng.random(N) < 0.02, "activity_gbq"] = "-"      # a missing token

    typed = sim.copy()
    for c in typed.columns:
        if c not in contract or contract.is_oracle(c):
            continue
        dtype, hit = contract[c].dtype, bad_row & (rng.random(N) < 0.05)
        if not hit.any():
            continue
        k = int(hit.sum())
        if dtype == "float":
            if rng.random() < 0.5:  # stays float64: NaN, infinities, out of range
                typed[c] = typed[c].astype("float64")
                typed.loc[hit, c] = rng.choice([np.inf, -np.inf, np.nan, -5.0, 1e12], k)
            else:  # mixed object
                typed[c] = typed[c].astype(object)
                typed.loc[hit, c] = [pyrng.choice(["abc", " 3.5 ", True, 7, "NA", None, "", "n/a", np.inf])
                                     for _ in range(k)]
        elif dtype == "int":
            typed[c] = typed[c].astype(object)
            typed.loc[hit, c] = [pyrng.choice([2.5, "7", 1e20, True, "x", None, 3.0, -4, "NA"]) for _ in range(k)]
        elif dtype == "bool":
            typed[c] = typed[c].astype(object)
            typed.loc[hit, c] = [pyrng.choice(["maybe", 2, 1, "yes", None, np.nan, 0.0, "NA", " N "])
                                 for _ in range(k)]
        elif dtype == "category":
            if rng.random() < 0.5:  # Categorical with extra categories (as Arrow dictionaries arrive)
                extra = ["Unknown", "weird", "N/A"]
                values = typed[c].astype(object)
                values[hit] = [pyrng.choice(extra) for _ in range(k)]
                typed[c] = pd.Categorical(values)
            else:
                typed[c] = typed[c].astype(object)
                typed.loc[hit, c] = [pyrng.choice(["Unknown", 3, "NA", " female ", "T 2", None]) for _ in range(k)]
    # booleans as 0/1/2 integers, a float field given as int64, a float-typed int field
    typed["smoking"] = np.where(rng.random(N) < 0.05, 2, rng.integers(0, 2, N))
    typed["course_number"] = np.where(rng.random(N) < 0.05, 1.5, 1.0)
    typed["tc99m_uptake_pct"] = rng.integers(-1, 120, N)
    typed.loc[rng.random(N) < 0.01, "patient_id"] = None
    typed.loc[dup, "patient_id"] = typed["patient_id"].iloc[rng.integers(0, N, len(dup))].to_numpy()
    # derivation alone: the clean typed cohort with a fifth of its inputs blanked (unknowns)
    clean = sim.copy()
    for c in clean.columns:
        if c in contract and not contract[c].required and not contract[c].derived:
            clean[c] = clean[c].mask(rng.random(N) < 0.2)
    return text, comma, typed, clean


def run_case(inputs: dict, name: str):
    """(result of validate_canonical, derived accepted table) for case ``name``."""
    from rairpredict.cohort.derive import add_derived
    from rairpredict.cohort.validate import validate_canonical

    which, kwargs = CASES[name]
    kwargs = dict(kwargs)
    raw = inputs[which]
    if kwargs.get("schema") == "extras":
        from rairpredict.cohort.contract import load_contract

        kwargs["schema"] = load_contract().extend(extra_fields())
    if kwargs.get("source_rows") == "reversed":
        kwargs["source_rows"] = np.arange(len(raw), 0, -1) + 10
    result = validate_canonical(raw, file=f"{name}.csv", **kwargs)
    return result, derived_part(add_derived(result.table))


# Parquet cannot hold an object column mixing str, bool, int and float: such columns
# are stored as tagged text ("s:abc", "b:True", "i:7", "f:2.5", "n:" for None) and decoded.
_TAGS = {"s": str, "b": lambda v: v == "True", "i": int, "f": float, "n": lambda v: None}


def _encode(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in frame.columns:
        if frame[c].dtype == object and c != "patient_id":
            out[c] = [("n:" if v is None or v is pd.NA else "b:" if isinstance(v, (bool, np.bool_)) else
                       "i:" if isinstance(v, (int, np.integer)) else "f:" if isinstance(v, (float, np.floating))
                       else "s:") + ("" if v is None or v is pd.NA else repr(float(v)) if isinstance(v, (float, np.floating))
                                     else str(v)) for v in frame[c]]
            out = out.rename(columns={c: f"tagged__{c}"})
    return out


def _decode(frame: pd.DataFrame) -> pd.DataFrame:
    cols = {}
    for c in frame.columns:
        if c.startswith("tagged__"):
            cols[c[len("tagged__"):]] = pd.Series([_TAGS[v[0]](v[2:]) for v in frame[c]], dtype=object,
                                                   index=frame.index)
        else:
            cols[c] = frame[c]
    return pd.DataFrame(cols)


def derive_cases(clean: pd.DataFrame) -> dict:
    """Derivation alone on the clean cohort with unknowns: all fields, ATA strict, absent columns, ``only``."""
    from rairpredict.cohort.derive import add_derived, derive_ata_risk_2015

    ata = pd.DataFrame({"lenient": derive_ata_risk_2015(clean), "strict": derive_ata_risk_2015(clean, lenient=False)})
    dropped = clean.drop(columns=["ete", "ln_positive", "vascular_invasion", "ata_risk_2015", "dose_rate_48h_usv_h"])
    return {"derive_clean": derived_part(add_derived(clean)), "derive_ata": ata,
            "derive_dropped": derived_part(add_derived(dropped)),
            "derive_only": derived_part(add_derived(clean, only=["ata_risk_2015", "t_eff_h"]))}


def derived_part(frame: pd.DataFrame) -> pd.DataFrame:
    """The derived columns (the others are the input's, checked by the test directly)."""
    from rairpredict.cohort.derive import DERIVED_FIELDS

    return frame[[c for c in DERIVED_FIELDS if c in frame.columns]]


def read_inputs() -> dict:
    """The stored inputs as the tests see them."""
    inputs = {k: pd.read_parquet(HERE / f"input_{k}.parquet") for k in ("text", "text_comma", "clean")}
    inputs["typed"] = _decode(pd.read_parquet(HERE / "input_typed.parquet"))
    inputs["text_extra"] = _with_extras(inputs["text"])
    return inputs


def main(new_inputs: bool = False) -> None:
    """Write the expected results (and, with ``new_inputs`` or when absent, the inputs)."""
    if new_inputs or not (HERE / "input_text.parquet").is_file():
        text, comma, typed, clean = make_inputs()
        for k, frame in {"text": text, "text_comma": comma, "typed": _encode(typed), "clean": clean}.items():
            frame.to_parquet(HERE / f"input_{k}.parquet", compression="zstd")
    inputs = read_inputs()  # what the test reads (object columns may come back typed)
    for name in CASES:
        result, derived = run_case(inputs, name)
        for part, frame in (("table", result.table), ("rejects", result.rejects), ("flags", result.flags),
                            ("warnings", result.warnings), ("derived", derived)):
            frame.to_parquet(HERE / f"expected_{name}_{part}.parquet", compression="zstd")
        print(f"{name}: n_in {result.n_in}, accepted {len(result.table)}, rejected {result.n_rejected}, "
              f"rejects {len(result.rejects)} ({result.rejects['rule'].nunique()} rules), flags {len(result.flags)}, "
              f"warnings {len(result.warnings)}")
    for name, frame in derive_cases(inputs["clean"]).items():
        frame.to_parquet(HERE / f"expected_{name}.parquet", compression="zstd")


if __name__ == "__main__":
    import sys

    main(new_inputs="--new-inputs" in sys.argv)
