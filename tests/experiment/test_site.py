"""The new-site loop on the simulated external site: evaluate, recalibrate, evaluate on held-out data.

Uses the shipped RAIR model (trained on the default profile) and the
``external`` simulator profile (known truth: older case mix, Tg assay 0.5 x,
no 99mTc uptake, higher RAIR rate).
"""
import json

import mlflow
import numpy as np
import pandas as pd
import pytest

from rairpredict.cli import main
from rairpredict.cohort.io import write_table
from rairpredict.errors import ConfigError
from rairpredict.experiment.site import evaluate_model, load_local_cohort, outcome_values, recalibrate_model
from rairpredict.scoring import load_model_ref
from rairpredict.simulation.simulate import simulate_cohort


@pytest.fixture(scope="module")
def site_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    update = write_table(simulate_cohort(8000, seed=101, profile="external"), root / "site_update.csv")
    holdout = write_table(simulate_cohort(3000, seed=202, profile="external"), root / "site_holdout.csv")
    return root, update, holdout


def _fig(result, name):
    return tuple(result.validation.metrics.loc[name, ["estimate", "lo", "hi"]])


def test_recalibration_restores_calibration_on_held_out_site_data(site_files, capsys):
    root, update, holdout = site_files
    before = evaluate_model(None, holdout, "rair", tracking=False, n_boot=0)
    outside = [name for name, ideal in (("oe_ratio", 1.0), ("cal_slope", 1.0), ("cal_intercept", 0.0))
               if not _fig(before, name)[1] <= ideal <= _fig(before, name)[2]]
    assert outside and before.validation.verdicts["calibration"].startswith("Miscalibrated")
    assert [d["input"] for d in before.shift["inputs_absent"]] == ["tc99m_uptake_pct"]

    upd = recalibrate_model(None, update, "rair", register=True)
    assert upd.chosen_by_test in ("intercept", "recalibration", "revision")
    after = evaluate_model(upd.model, holdout, "rair", tracking=False, n_boot=0)
    for name, ideal in (("oe_ratio", 1.0), ("cal_slope", 1.0), ("cal_intercept", 0.0)):
        est, lo, hi = _fig(after, name)
        assert lo <= ideal <= hi, (name, est, lo, hi)
    assert after.validation.verdicts["calibration"].startswith("Calibrated")
    # the figures of the closing note
    with capsys.disabled():
        for label, r in (("before", before), ("after", after)):
            print(f"\n[site loop] {label}: " + ", ".join(
                f"{k} {_fig(r, k)[0]:.3f} ({_fig(r, k)[1]:.3f}-{_fig(r, k)[2]:.3f})"
                for k in ("cal_intercept", "cal_slope", "oe_ratio", "auroc")) + f"; update {upd.method}")
    if upd.method in ("intercept", "recalibration"):  # monotone map: ranking and AUROC unchanged
        assert _fig(after, "auroc")[0] == pytest.approx(_fig(before, "auroc")[0])

    # registered as a new version @candidate with lineage; the parent is untouched
    name, version = upd.registered
    client = mlflow.MlflowClient()
    mv = client.get_model_version_by_alias(name, "candidate")
    assert str(mv.version) == version
    assert mv.tags["update_method"] == upd.method and mv.tags["parent_ref"] == "shipped default model"
    assert len(mv.tags["local_cohort_sha256"]) == 64 and "lr.revision_vs_keep" in mv.tags
    reloaded = load_model_ref(f"models:/{name}@candidate")
    table = load_local_cohort(holdout, "rair").table.head(50)
    np.testing.assert_allclose(reloaded.predict_proba(table), upd.model.predict_proba(table))
    parent = load_model_ref(None)
    assert parent.calibration.a != upd.model.calibration.a or parent.calibration.b != upd.model.calibration.b
    assert "update" not in parent.metadata


def test_refit_refused_when_the_local_sample_is_too_small(site_files):
    root, update, _ = site_files
    small = write_table(simulate_cohort(200, seed=7, profile="external"), root / "small.csv")
    messages = []
    res = recalibrate_model(None, small, "rair", method="refit", register=False, log=messages.append)
    assert res.method == "recalibration" and not res.sample_size["adequate"]
    assert "refit refused" in res.note and messages == [res.note]


def test_outcome_from_a_column_of_the_file(site_files, tmp_path):
    root, _, holdout = site_files
    from rairpredict.labels import add_labels

    table = simulate_cohort(300, seed=9, profile="external")
    truth = add_labels(table)["rair"]
    frame = table.assign(site_rair=np.where(truth.fillna(False), "Yes", "No"))
    frame.loc[frame.index[:5], "site_rair"] = None
    path = write_table(frame, tmp_path / "own.csv")
    cohort = load_local_cohort(path, "site_rair")
    assert cohort.counts["outcome_unknown"] == 5 and cohort.counts["rows_used"] == 295
    assert cohort.y.tolist() == truth.iloc[5:].astype(int).tolist()
    frame.loc[frame.index[7], "site_rair"] = "maybe"
    bad = write_table(frame, tmp_path / "bad.csv")
    with pytest.raises(ConfigError, match="site_rair.*'maybe'"):
        load_local_cohort(bad, "site_rair")
    with pytest.raises(ConfigError, match="neither a built-in label"):
        load_local_cohort(path, "no_such_outcome")
    assert outcome_values(pd.Series(["R", "N"]), "x", positive=["r"], negative=["n"]).tolist() == [True, False]


def test_cli_evaluate_writes_html_json_and_a_linked_run(site_files, tmp_path, capsys):
    _, _, holdout = site_files
    out = tmp_path / "report.html"
    code = main(["evaluate", "--input", str(holdout), "--outcome", "rair", "--output", str(out),
                 "--subgroup", "sex", "age_band"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Miscalibrated" in printed and "tc99m_uptake_pct" in printed
    doc = json.loads(out.with_suffix(".json").read_text())
    assert {m["metric"] for m in doc["metrics"]} >= {"auroc", "cal_intercept", "cal_slope", "oe_ratio", "ici"}
    assert {s["variable"] for s in doc["subgroups"]} == {"sex", "age_band"}
    html = out.read_text()
    assert "Input warnings" in html and "data:image/png;base64" in html and "SIM-" not in html
    run = mlflow.get_run(doc["mlflow_run_id"])
    assert run.data.tags["model_name"] == "rairpredict-rair" and "model_version" in run.data.tags
    assert run.data.metrics["oe_ratio"] == pytest.approx(
        next(m["estimate"] for m in doc["metrics"] if m["metric"] == "oe_ratio"))
    artifacts = [a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id)]
    assert artifacts == ["external_validation.json"]


def test_cli_recalibrate_reports_the_closed_test(site_files, tmp_path, capsys):
    _, update, _ = site_files
    code = main(["recalibrate", "--input", str(update), "--outcome", "rair", "--no-register", "--json",
                 "--method", "recalibration", "--export", str(tmp_path / "updated")])
    assert code == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["method"] == "recalibration" and out["registered"] is None
    assert [t["comparison"] for t in out["tests"]["tests"]][0] == "revision vs keep"
    assert (tmp_path / "updated" / "rair.json").is_file() or any((tmp_path / "updated").iterdir())
