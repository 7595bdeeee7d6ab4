"""Card and review of a time-to-event model: horizon, censoring and follow-up in sentences; reasons by horizon."""
import pytest

from rairpredict.experiment.config import CONFIG_DIR, load_target_config
from rairpredict.experiment.survival_train import run_survival_target
from rairpredict.labels.time_to_event import parse_time_to_event
from rairpredict.report import render_model_card, render_review
from rairpredict.scoring import score_frame

SMALL = ("age_years", "histology", "ete", "n_stage", "m_stage", "tg_stim_ng_ml", "structural_disease_pre")


@pytest.mark.slow
def test_card_and_review_of_a_survival_model():
    from rairpredict.simulation import simulate_cohort

    cfg = load_target_config(CONFIG_DIR / "rair.yaml").with_overrides(
        name="rair_time_r", features=SMALL, models=("cox",), population={},
        validation={"outer_folds": 2, "repeats": 1, "inner_folds": 2, "seed": 0})
    spec = parse_time_to_event({"type": "time_to_event", "label": "rair", "horizons": [1.5, 3, 5]})
    res = run_survival_target(cfg, spec, table=simulate_cohort(400, seed=7), trials=0, optimism_boot=0,
                              tracking=False, log=lambda *_: None)
    card = render_model_card(res.model, mlflow_run=False)
    assert "Time horizon: within 3 years (risks also given by 1.5 and 5 years)." in card
    assert "net risks" in card and "reverse Kaplan-Meier" in card
    c = res.counts
    assert f"{c['events']} had the event and {c['censored']} were censored" in card
    table_one = card[card.index("## Table 1"):card.index("## Outcome")]
    assert "follow_up_years" in table_one and "no event" in table_one
    scores = score_frame(res.model, simulate_cohort(10, seed=8), explain=3, with_inputs=True)
    html = render_review(scores, res.model)
    assert "the 3-year risk" in html and "Radioiodine-refractory" in html
