"""Shared fixtures: a small fitted RiskModel with training-style metadata and its scores.

Some patient ids are hostile on purpose (HTML/script injection, spreadsheet
formulas) and one patient has an implausible stimulated TSH, so every report
test also exercises escaping and data-quality flags.
"""
from __future__ import annotations

import warnings

import pytest

from rairpredict.simulation.simulate import simulate_cohort
from rairpredict.labels import add_labels
from rairpredict.models.risk_model import fit_risk_model
from rairpredict.scoring import score_frame

FEATURES = ["age_years", "smoking", "histology", "ete", "ln_positive", "ln_ratio", "n_stage",
            "preparation", "tsh_stim_mu_l", "tg_stim_ng_ml", "distant_met_site"]
HOSTILE_IDS = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    "</script><script>window.__pwned=1</script><!--",
    '=HYPERLINK("http://example.invalid/x","click")',
]
N = 240


def _metadata(n: int, events: int) -> dict:
    return {
        "name": "rairpredict-rair", "version": "7", "trained_at": "2026-01-05T10:00:00+00:00",
        "description": "Risk that the disease proves radioiodine-refractory.",
        "intended_use": "Flags patients before 131I therapy whose disease may prove refractory.",
        "cohort": {"name": "simulated-default", "synthetic": True, "n": n, "events": events,
                   "prevalence": events / n},
        "validation": {"protocol": "nested CV 2 x 5-fold", "auroc": 0.781, "auroc_lo": 0.702,
                       "auroc_hi": 0.86, "cal_slope": 0.93, "cal_slope_lo": 0.71, "cal_slope_hi": 1.15,
                       "brier": 0.061, "oracle_ratio": 0.91},
        "limitations": ["Developed on a SYNTHETIC cohort.", "Internal validation only."],
        "params": {"C": 1.0}, "threshold": 0.1,
    }


@pytest.fixture(scope="session")
def hostile_ids():
    return list(HOSTILE_IDS)


@pytest.fixture(scope="session")
def cohort():
    table = add_labels(simulate_cohort(N, seed=3))
    table["tsh_stim_mu_l"] = table["tsh_stim_mu_l"].astype(float)
    table.loc[table.index[5], "tsh_stim_mu_l"] = 800.0  # in range, outside the plausible range
    return table


@pytest.fixture(scope="session")
def review_model(cohort):
    y = cohort["rair"].astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = fit_risk_model(cohort, y, features=FEATURES, decision_point="pre_therapy", kind="logistic",
                               params={"C": 1.0}, seed=0, target="rair", label="rair")
    model.metadata.update(_metadata(len(y), int(y.sum())))
    # what training stores from its out-of-fold predictions (here in-sample: the figures only feed the page)
    from rairpredict.experiment.development import development_summary

    model.metadata["development"] = development_summary(y, model.predict_risk(cohort), bands=model.bands,
                                                        band_names=model.band_names, threshold=0.1)
    return model


@pytest.fixture(scope="session")
def review_scores(review_model, cohort):
    scores = score_frame(review_model, cohort, explain=3, with_inputs=True)
    scores["patient_id"] = scores["patient_id"].astype(object)
    for i, pid in enumerate(HOSTILE_IDS):
        scores.loc[scores.index[i], "patient_id"] = pid
    return scores


@pytest.fixture(scope="session")
def chromium():
    """Debian's chromium (installed when missing and root), or the test is skipped with the reason."""
    from rairpredict.report.screenshots import ensure_chromium

    pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install -e '.[test]')")
    try:
        return ensure_chromium(timeout=600)
    except RuntimeError as exc:
        pytest.skip(f"browser tests need Debian's chromium, which could not be installed: {exc}")


@pytest.fixture(scope="session")
def browser(chromium):
    from rairpredict.report.screenshots import open_browser

    with open_browser(chromium) as b:
        yield b
