"""Model card: TRIPOD+AI items from the model, its metadata and its MLflow run; no patient rows."""
from __future__ import annotations

import copy

import mlflow
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from rairpredict.cli import main
from rairpredict.report import log_model_card, render_model_card, render_model_card_html

TRIPOD_ITEMS = ["Model", "Intended use", "Source of data", "Participants", "Table 1",
                "Outcome: definition and timing", "Predictors and their timing", "Sample size and events",
                "Missing data and data quality", "Model type and tuning", "Internal validation protocol",
                "Performance", "Calibration", "Decision curve (net benefit)", "Subgroup results",
                "Risk bands and decision threshold", "Model specification", "Interpretation", "Limitations",
                "TRIPOD+AI checklist"]


def test_card_has_every_tripod_item_and_no_patient_rows(review_model, review_scores):
    md = render_model_card(review_model, mlflow_run=False)
    for item in TRIPOD_ITEMS:
        assert f"\n## {item}\n" in md, item
    c = review_model.metadata["cohort"]
    assert f"Patients: {c['n']}; events: {c['events']}; prevalence: {c['prevalence']:.1%};" in md
    assert "AUROC 0.781 (95% CI 0.702 to 0.860);" in md
    assert "Calibration slope 0.93 (95% CI 0.71 to 1.15); Brier score 0.061." in md
    assert "| tsh_stim_mu_l | Stimulated TSH on the day of 131I | mU/L | pre-therapy | recorded |" in md
    assert "| ln_ratio | Lymph nodes with metastasis / Lymph nodes examined |  | pathology | derived |" in md
    for pid in review_scores["patient_id"]:
        assert str(pid) not in md


def test_html_card_is_escaped(review_model):
    model = copy.copy(review_model)
    model.metadata = {**review_model.metadata, "limitations": ["<script>alert(1)</script> | pipe"]}
    html = render_model_card_html(model, mlflow_run=False)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; | pipe" in html
    md = render_model_card(model, mlflow_run=False)
    assert "<script>" not in md and "&lt;script&gt;alert(1)&lt;/script&gt; | pipe" in md


@pytest.fixture
def tracked_run(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    exp = mlflow.create_experiment("card-test", artifact_location=(tmp_path / "mlruns").as_uri())
    with mlflow.start_run(experiment_id=exp) as run:
        mlflow.log_metrics({"xgboost.auroc": 0.8123, "xgboost.cal_slope": 0.97,
                            "xgboost.net_benefit_at_threshold": 0.0123})
        mlflow.log_params({"final_model": "logistic"})
        mlflow.log_text(pd.DataFrame({"subgroup": ["age < 55", "age >= 55"], "n": [150, 90],
                                      "auroc": [0.77, 0.8]}).to_csv(index=False), "tables/subgroups.csv")
    yield run.info.run_id
    mlflow.set_tracking_uri("")


def test_card_reads_and_is_logged_to_the_mlflow_run(review_model, tracked_run):
    model = copy.copy(review_model)
    model.metadata = {**review_model.metadata, "mlflow": {"run_id": tracked_run, "experiment": "card-test",
                                                          "registered_name": None, "version": None}}
    md = render_model_card(model)
    assert "| xgboost.auroc | 0.8123 |" in md
    assert "| xgboost.cal_slope | 0.9700 |" in md
    assert "| xgboost.net_benefit_at_threshold | 0.0123 |" in md
    assert "| age &gt;= 55 | 90 | 0.800 |" in md
    log_model_card(model, tracked_run)
    names = {a.path for a in MlflowClient().list_artifacts(tracked_run)}
    assert {"model_card.md", "model_card.html"} <= names
    logged = mlflow.artifacts.load_text(f"runs:/{tracked_run}/model_card.md")
    assert "## Subgroup results" in logged and "0.8123" in logged


def test_card_tolerates_an_unreachable_run(review_model, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'empty.db'}")
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'empty.db'}")
    model = copy.copy(review_model)
    model.metadata = {**review_model.metadata, "mlflow": {"run_id": "0" * 32}}
    try:
        md = render_model_card(model)
    finally:
        mlflow.set_tracking_uri("")
    assert f"MLflow run {'0' * 32} not available" in md
    assert "## Limitations" in md


def test_cli_model_card(review_model, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'cli.db'}")
    path = tmp_path / "model.zip"
    review_model.save(path)
    md, html = tmp_path / "card.md", tmp_path / "card.html"
    assert main(["model-card", "--model", str(path), "--out", str(md), "--html", str(html)]) == 0
    assert md.read_text(encoding="utf-8").startswith("# Model card: rairpredict-rair\n")
    assert "<h2>Predictors and their timing</h2>" in html.read_text(encoding="utf-8")
    assert main(["model-card", "--model", str(path)]) == 0
    assert "## Decision curve" in capsys.readouterr().out


def test_card_is_tables_with_cis_subgroups_net_benefit_and_the_full_checklist(review_model):
    import re

    from rairpredict.experiment.development import development_summary
    from rairpredict.report._tripod import TRIPOD_AI_ITEMS

    model = copy.deepcopy(review_model)
    groups = pd.DataFrame({"sex": ["female", "male"] * 120})
    from rairpredict.evaluation import subgroup_metrics

    y = [0] * 220 + [1] * 20
    p = [0.05] * 200 + [0.3] * 20 + [0.4] * 20
    model.metadata["development"] = development_summary(
        y, p, bands=model.bands, band_names=model.band_names, threshold=0.1,
        subgroups=subgroup_metrics(y, p, groups, min_events=2),
        metrics=pd.DataFrame({"auroc": [0.8], "auroc_lo": [0.7], "auroc_hi": [0.9], "cal_slope": [1.1],
                              "cal_slope_lo": [0.8], "cal_slope_hi": [1.4]}, index=["logistic"]))
    model.metadata["table_one"] = {"columns": ["characteristic", "overall", "outcome", "no outcome", "missing"],
                                   "rows": [["age, years, median (IQR)", "49 (38-60)", "55 (44-63)", "48 (37-59)",
                                             "0"]]}
    md = render_model_card(model, mlflow_run=False)
    assert not re.search(r"\{['\"]", md), "a raw dict leaked into the card"
    sub = md.split("## Subgroup results")[1].split("\n## ")[0]
    assert "| sex | female | 120 |" in sub and "not recorded" not in sub and " to " in sub
    nb = md.split("## Decision curve (net benefit)")[1].split("\n## ")[0]
    assert "| 0.10 |" in nb and "treat all" in nb
    assert "| logistic | 0.800 (0.700 to 0.900) | 1.10 (0.80 to 1.40) |" in md
    assert "| age, years, median (IQR) | 49 (38-60) |" in md
    checklist = md.split("## TRIPOD+AI checklist")[1]
    for item, _, _ in TRIPOD_AI_ITEMS:
        assert f"\n| {item} | " in checklist, item
    assert "not answered" not in checklist  # every item answered, not applicable (why) or left to the team
    # without Table 1 the checklist says so instead of pointing at an empty section
    del model.metadata["table_one"]
    assert "| 20b | Characteristics of the cohort (Table 1), missing data | not answered" in \
        render_model_card(model, mlflow_run=False)
