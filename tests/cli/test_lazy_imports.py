"""Cold start: `rairpredict --help` and `score` import only what they use (issue 15; no timing here)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")
#: Heavy libraries that scoring a file does not use (training, tracking, plots, SHAP's own package).
NOT_FOR_SCORING = ("mlflow", "optuna", "matplotlib", "shap", "lifelines", "sksurv", "jinja2")

_RUN = """
import json, runpy, sys
sys.argv = ["rairpredict", *sys.argv[1:]]
try:
    runpy.run_module("rairpredict", run_name="__main__")
except SystemExit:
    pass
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def _top_level_modules(args, cwd) -> set:
    env = {**os.environ, "PYTHONPATH": SRC}
    out = subprocess.run([sys.executable, "-c", _RUN, *args], capture_output=True, text=True, env=env, cwd=cwd,
                         check=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_help_imports_no_science_library(tmp_path):
    loaded = _top_level_modules(["--help"], tmp_path)
    assert not loaded & {"pandas", "numpy", "sklearn", "scipy", "xgboost", *NOT_FOR_SCORING}


def _model_file(kind: str, cohort, path):
    from rairpredict.labels import add_labels
    from rairpredict.models.risk_model import fit_risk_model

    table = add_labels(cohort.head(300))
    rows = table["rair"].notna()
    fit_risk_model(table[rows], table.loc[rows, "rair"].astype(int), features=["age_years", "histology", "ete"],
                   decision_point="pre_therapy", kind=kind, params={"n_estimators": 5} if kind == "xgboost" else {},
                   target="rair", calibration_methods=("sigmoid",)).save(path)
    return path


@pytest.mark.parametrize("kind", ["xgboost", "logistic"])
def test_score_imports_only_what_scoring_needs(tmp_path, small_cohort, kind):
    from rairpredict.scoring.pyfunc import to_pyfunc_input

    model = _model_file(kind, small_cohort, tmp_path / "model.zip")
    to_pyfunc_input(small_cohort.head(3)).to_csv(tmp_path / "in.csv", index=False)
    loaded = _top_level_modules(["score", "--input", "in.csv", "--output", "out.csv", "--model", str(model)],
                                tmp_path)
    assert len(pd.read_csv(tmp_path / "out.csv")) == 3  # it did score
    assert not loaded & set(NOT_FOR_SCORING)
    # XGBoost is loaded for a tree model only (the check can see imports at all: the trees need it)
    assert ("xgboost" in loaded) == (kind == "xgboost")
    # a logistic model scores by its lean plan: no scikit-learn, no SciPy (XGBoost's wrapper imports both)
    assert bool(loaded & {"sklearn", "scipy"}) == (kind == "xgboost")


def test_optuna_is_quietened_when_first_imported():
    code = ("import sys; from rairpredict.cli._console import quiet; quiet(); quiet(); "
            "assert 'optuna' not in sys.modules; import optuna; "
            "print(optuna.logging.get_verbosity() == optuna.logging.ERROR)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": SRC}).stdout
    assert out.strip() == "True"
