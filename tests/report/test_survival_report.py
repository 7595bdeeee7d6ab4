"""Card and review of a time-to-event model: horizon, censoring and follow-up in sentences; risk by every
horizon, a survival curve per patient and the survival model's own validation figures in the review."""
import numpy as np
import pytest

from rairpredict.experiment.config import CONFIG_DIR, load_target_config
from rairpredict.experiment.survival_train import run_survival_target
from rairpredict.labels.time_to_event import parse_time_to_event
from rairpredict.report import render_model_card, render_review, review_payload, write_review
from rairpredict.report._survival import curve_from_band_risk
from rairpredict.scoring import score_frame

SMALL = ("age_years", "histology", "ete", "n_stage", "m_stage", "tg_stim_ng_ml", "structural_disease_pre")
# internal names a clinician must never read on the page
INTERNAL = ("log-odds", "log odds", "log_hazard", "log-hazard", "xgboost_cox", "c_harrell", "oe_3y", "cal_slope",
            "risk_3y", "time_to_event", "AUROC", "not stored", "not recorded", "{'", "None")


@pytest.fixture(scope="module")
def result():
    from rairpredict.simulation import simulate_cohort

    cfg = load_target_config(CONFIG_DIR / "rair.yaml").with_overrides(
        name="rair_time_r", features=SMALL, models=("cox",), population={},
        validation={"outer_folds": 2, "repeats": 1, "inner_folds": 2, "seed": 0})
    spec = parse_time_to_event({"type": "time_to_event", "label": "rair", "horizons": [1.5, 3, 5]})
    return run_survival_target(cfg, spec, table=simulate_cohort(400, seed=7), trials=0, optimism_boot=0,
                               tracking=False, log=lambda *_: None)


@pytest.fixture(scope="module")
def scores(result):
    from rairpredict.simulation import simulate_cohort

    return score_frame(result.model, simulate_cohort(12, seed=8), explain=3, with_inputs=True)


@pytest.mark.slow
def test_card_and_review_of_a_survival_model(result, scores):
    card = render_model_card(result.model, mlflow_run=False)
    assert "Time horizon: within 3 years (risks also given by 1.5 and 5 years)." in card
    assert "net risks" in card and "reverse Kaplan-Meier" in card
    c = result.counts
    assert f"{c['events']} had the event and {c['censored']} were censored" in card
    table_one = card[card.index("## Table 1"):card.index("## Outcome")]
    assert "follow_up_years" in table_one and "no event" in table_one
    html = render_review(scores, result.model)
    assert "the 3-year risk" in html and "Radioiodine-refractory" in html


def test_curve_from_band_risk_is_the_models_own_survival_function(result):
    """The review's curve (from the band-horizon risk alone) is the model's predicted risk at every time."""
    from rairpredict.simulation import simulate_cohort

    model, table = result.model, simulate_cohort(20, seed=9)
    times = np.array([0.0, 0.5, 1.2, 1.5, 2.5, 3.0, 4.0, 5.0])
    expected = 1.0 - model.predict_survival(table, times)
    got = curve_from_band_risk(model.predict_risk(table), times, model.band_horizon, model.recalibration.baseline)
    np.testing.assert_allclose(got, expected, atol=1e-9)
    # risk 0 and 1 stay 0 and 1; a constant hazard example: risk by t = 1 - (1 - p) ** (t / h)
    edge = curve_from_band_risk(np.array([0.0, 1.0, 0.5]), np.array([0.0, 1.0, 2.0]), 2.0)
    np.testing.assert_allclose(edge, [[0, 0, 0], [0, 1, 1], [0, 1 - 0.5 ** 0.5, 0.5]])


@pytest.mark.slow
def test_review_payload_gives_every_horizon_a_curve_and_validation_in_words(result, scores):
    model = result.model
    payload = review_payload(scores, model)
    surv = payload["survival"]
    assert [h["years"] for h in surv["horizons"]] == [1.5, 3.0, 5.0]
    assert [h["band"] for h in surv["horizons"]] == [False, True, False]
    times = np.asarray(surv["times"])
    at = np.searchsorted(times, [1.5, 3.0, 5.0])
    for p, (_, row) in zip(payload["patients"], scores.iterrows()):
        np.testing.assert_allclose(p["horizon_risks"], row[["risk_1.5y", "risk_3y", "risk_5y"]].astype(float),
                                   atol=1e-6)
        curve = np.asarray(p["curve"])
        assert curve[0] == 0 and np.all(np.diff(curve) >= -1e-9)  # a risk curve starts at 0 and never falls
        np.testing.assert_allclose(curve[at], p["horizon_risks"], atol=1e-4)
    val = payload["model"]["survival"]
    figures = model.metadata["validation"]["figures"]
    assert val["c_index"] == pytest.approx(figures["c_harrell"])
    assert val["c_index_lo"] < val["c_index"] < val["c_index_hi"]
    by3 = val["horizons"][1]
    assert by3["text"].startswith("By 3 years: the model predicted ")
    assert f"{100 * figures['observed_risk_3y']:.1f}% had the event (Kaplan-Meier" in by3["text"]
    assert "calibration slope" in by3["text"]
    # bands are on the 3-year risk; their development meaning is a Kaplan-Meier risk, not a raw count
    assert all(b["meaning"].startswith("predicted risk by 3 years") for b in payload["bands"])
    assert any("(Kaplan-Meier estimate)" in b["observed"] for b in payload["bands"])
    assert model.metadata["survival_development"]["calibration"], "grouped calibration by the band horizon stored"


@pytest.mark.slow
def test_survival_review_in_a_real_browser(browser, result, scores, tmp_path):
    path = write_review(tmp_path / "review.html", scores, result.model)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("body[data-ready='1']")
    heads = page.locator("#patients-head th").all_text_contents()
    assert heads[:5] == ["Patient ID", "Risk by 3 years", "Risk by 1.5 years", "Risk by 5 years", "Band"]
    assert page.text_content("#c-index").startswith(f"{result.model.metadata['validation']['figures']['c_harrell']:.2f}")
    assert page.locator("#horizon-calibration li").count() == 3
    top = scores.sort_values("probability", ascending=False).iloc[0]
    page.locator("#patients-body tr").first.click()
    page.wait_for_selector("#patient-view:not([hidden])")
    rows = page.locator("#pv-horizons tr").all_text_contents()
    assert len(rows) == 3 and f"{100 * top['risk_5y']:.1f}%" in rows[2] and top["risk_band"] in rows[1]
    assert page.locator("#pv-curve svg path.curve").count() == 1
    assert page.locator("#pv-curve circle.horizon-dot").count() == 3
    assert page.locator("#pv-curve line.band-cut").count() >= 1
    text = page.evaluate("document.body.innerText")
    for word in INTERNAL:
        assert word not in text, word
    page.close()
    assert errors == []
