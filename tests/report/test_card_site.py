"""Model card at a new site: training profile of the inputs, model updating, input shift, external validations.

Uses the shipped RAIR model (it stores its training profile) and the simulator's
``external`` profile (no 99mTc uptake, Tg assay 0.5 x, older case mix).
"""
import json

import pytest

from rairpredict.cli import main
from rairpredict.cohort.io import write_table
from rairpredict.experiment.site import evaluate_model, recalibrate_model
from rairpredict.report import render_model_card, render_model_card_html
from rairpredict.report._card import card_sections
from rairpredict.report._card_site import fetch_external_validations
from rairpredict.scoring import load_model_ref
from rairpredict.scoring._frame import score_frame_checked
from rairpredict.scoring.shift import PROFILE_KEY, shift_summary, write_summary
from rairpredict.simulation.simulate import simulate_cohort


@pytest.fixture(scope="module")
def shipped():
    return load_model_ref(None)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("card_site")
    return write_table(simulate_cohort(1500, seed=31, profile="external"), root / "site.csv")


def _summary(model, table) -> dict:
    _, counts = score_frame_checked(model, table)
    return shift_summary(model, counts)


def _checklist(md: str) -> dict:
    rows = [line.split(" | ") for line in md.split("## TRIPOD+AI checklist", 1)[1].splitlines()
            if line.startswith("| ") and not line.startswith("| item")]
    return {r[0].lstrip("| "): r[2].rstrip(" |") for r in rows}


def test_inputs_section_lists_the_training_profile(shipped):
    md = render_model_card(shipped, mlflow_run=False)
    section = md.split("## Inputs at another site", 1)[1].split("\n## ", 1)[0]
    profile = shipped.metadata[PROFILE_KEY]["inputs"]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| field")]
    assert len(rows) == len(shipped.features)
    shares = [float(r.split(" | ")[4].rstrip(" |")) for r in rows]
    assert shares == sorted(shares, reverse=True) and 99.5 <= sum(shares) <= 100.5  # per 100, rounded
    tg = next(r for r in rows if r.startswith("| tg_stim_ng_ml |"))
    assert f"{100 * profile['tg_stim_ng_ml']['missing_rate']:.1f}%" in tg
    assert f"{profile['tg_stim_ng_ml']['min']:.4g} to {profile['tg_stim_ng_ml']['max']:.4g}" in tg
    assert "--strict-inputs" in section


def test_without_a_profile_the_card_says_so(shipped):
    import copy

    model = copy.deepcopy(shipped)
    model.metadata.pop(PROFILE_KEY, None)
    if isinstance(getattr(model, "extras", None), dict):
        model.extras.pop(PROFILE_KEY, None)
    md = render_model_card(model, mlflow_run=False)
    assert "stores no training profile" in md


def test_shift_banner_fires_on_a_shifted_batch_and_not_on_a_training_like_one(shipped, site):
    shifted = _summary(shipped, simulate_cohort(400, seed=5, profile="external"))
    md = render_model_card(shipped, mlflow_run=False, shift=shifted)
    assert md.split("\n## ", 1)[0].count("Input warnings at this site") == 1
    assert "tc99m_uptake_pct" in md.split("\n## ", 1)[0]  # the absent input is named in the banner
    html = render_model_card_html(shipped, mlflow_run=False, shift=shifted)
    assert 'class="banner" role="alert"' in html and "tc99m_uptake_pct" in html
    assert _checklist(md)["20c"] == "section \u201cInput shift and external validation\u201d"

    calm = _summary(shipped, simulate_cohort(400, seed=6))
    assert not calm["inputs_absent"] and not calm["major_shift"]
    md = render_model_card(shipped, mlflow_run=False, shift=calm)
    assert "Input warnings at this site" not in md
    assert "## Input shift and external validation" in md  # the batch is still described
    plain = render_model_card(shipped, mlflow_run=False)
    assert "## Input shift and external validation" not in plain
    assert _checklist(plain)["20c"].startswith("not applicable")


def test_updated_model_reports_parent_method_and_tests(shipped, site):
    upd = recalibrate_model(None, site, "rair", register=False, method="recalibration")
    md = render_model_card(upd.model, mlflow_run=False)
    section = md.split("## Model updating", 1)[1].split("\n## ", 1)[0]
    assert "logistic recalibration" in section and "shipped default model" in section
    assert f"local cohort of {upd.model.metadata['update']['local_n']} patients" in section
    comparisons = [t["comparison"] for t in upd.tests["tests"]]
    for c in comparisons:
        assert f"| {c} |" in section
    assert _checklist(md)["12f"] == _checklist(md)["24"] == "section \u201cModel updating\u201d"
    assert "## Model updating" not in render_model_card(shipped, mlflow_run=False)


@pytest.fixture
def own_store(tmp_path, monkeypatch):
    """A store of this test's own (other tests evaluate the shipped model too); tracking and registry
    URIs reset afterwards (evaluate points both at the store)."""
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    yield
    mlflow.set_tracking_uri("")
    mlflow.set_registry_uri("")


def test_external_validations_logged_by_evaluate_appear_on_the_card(shipped, site, own_store):
    res = evaluate_model(None, site, "rair", n_boot=0)
    found = fetch_external_validations(shipped)
    assert len(found) == 1  # another model's evaluation (below) is not listed
    sections = {s.title: s for s in card_sections(shipped, validations=found)}
    sec = sections["Input shift and external validation"]
    header, rows = sec.tables[-1]
    auroc = res.validation.metrics.loc["auroc"]
    assert any(r[header.index("AUROC")] == f"{auroc['estimate']:.3f} ({auroc['lo']:.3f} to {auroc['hi']:.3f})"
               for r in rows)
    assert any(r[1] == str(res.cohort["rows_used"]) for r in rows)
    other = recalibrate_model(None, site, "rair", register=False, method="intercept").model
    evaluate_model(other, site, "rair", n_boot=0)
    assert len(fetch_external_validations(shipped)) == 1 and len(fetch_external_validations(other)) == 1


def test_cli_model_card_with_the_score_summary(shipped, tmp_path, capsys):
    summary = _summary(shipped, simulate_cohort(200, seed=8, profile="external"))
    path = write_summary(summary, tmp_path / "scores.parquet")
    out = tmp_path / "card.md"
    assert main(["model-card", "--output", str(out), "--input-shift", str(path)]) == 0
    assert "Input warnings at this site" in out.read_text()

    bad = tmp_path / "notes.json"
    bad.write_text(json.dumps({"hello": 1}))
    capsys.readouterr()
    assert main(["model-card", "--output", str(tmp_path / "c2.md"), "--input-shift", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "notes.json" in err[0] and "input_shift.json" in err[0]
    assert not (tmp_path / "c2.md").exists()
