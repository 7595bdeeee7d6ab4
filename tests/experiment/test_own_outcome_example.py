"""The shipped worked example: a non-canonical registry extract, its own outcome, trained from anywhere."""
import importlib.util
import json

import pandas as pd
import pytest

from rairpredict.experiment.config import load_target_config
from rairpredict.experiment.data import load_target_data
from rairpredict.resources import package_path

EXAMPLE = package_path("configs", "examples", "own_outcome")


def _script():
    spec = importlib.util.spec_from_file_location("make_extract", EXAMPLE / "make_extract.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_extract_is_what_the_script_writes(tmp_path):
    out = tmp_path / "x.csv"
    assert _script().main(["--output", str(out)]) == 0
    assert out.read_bytes() == (EXAMPLE / "extract.csv").read_bytes()


@pytest.fixture(scope="module")
def data():
    return load_target_data(load_target_config(EXAMPLE / "target.yaml"))


def test_rows_are_accounted_per_rule_against_the_raw_extract(data):
    raw = pd.read_csv(EXAMPLE / "extract.csv", sep=";", dtype=str, keep_default_na=False)
    c = data.counts
    assert c["rows_in"] + c["rejected_at_import"] == len(raw)
    curative = raw["Intent"] == "curative"
    adult = raw["Age_at_dx"].astype(float) >= 18
    assert [s["excluded"] for s in data.population_flow] == [int((~curative).sum()),
                                                             int((curative & ~adult).sum())]
    kept = raw[curative & adult]
    assert c["label_unknown"] == int(kept["PROG5"].isin(["9", ""]).sum())
    assert c["events"] == int((kept["PROG5"] == "1").sum())
    assert c["rows_used"] == int(kept["PROG5"].isin(["0", "1"]).sum())


def test_several_courses_are_grouped_and_staging_and_sources_are_read(data):
    assert data.groups is not None and data.counts["patients"] < data.n
    assert data.table["tg_stim_ng_ml"].notna().mean() > 0.99  # central lab, else local lab
    assert set(data.table["treatment_intent"]) == {"curative"}


def test_train_from_another_directory_describes_the_outcome(tmp_path, monkeypatch, capsys):
    from rairpredict.cli import main

    import os

    import mlflow

    monkeypatch.chdir(tmp_path)
    # the in-process CLI may point MLflow elsewhere: restore the worker's store for the other tests
    uri = mlflow.get_tracking_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", os.environ.get("MLFLOW_TRACKING_URI", uri))
    try:
        rc = main(["train", "--config", str(EXAMPLE / "target.yaml"), "--trials", "0", "--optimism-boot", "2",
                   "--no-tracking", "--export", "out", "--json"])
    finally:
        mlflow.set_tracking_uri(uri)
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["outcome"]["name"] == "Progression within 5 years"
    assert summary["outcome"]["horizon"] == "5 years" and summary["outcome"]["column"] == "progression_5y"
    assert [s["rule"] for s in summary["population"]] == ["treatment_intent equals curative",
                                                          "age_years at least 18"]
    assert summary["final_model_choice"]["rule"] == "auto" and summary["final_model_choice"]["reason"]
    from rairpredict.models.risk_model import RiskModel

    meta = RiskModel.load(tmp_path / "out" / "registry_progression_5y.zip").metadata
    assert meta["outcome"]["definition"].startswith("Structural or biochemical progression")
    assert "recurred" not in json.dumps(meta["outcome"])
    assert meta["grouping"]["grouped_by_patient"] is True
    assert meta["population"]["rules"][0]["excluded"] > 0
