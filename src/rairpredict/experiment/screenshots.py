"""Regenerate the README screenshots of the clinician risk review.

    python -m rairpredict.experiment.screenshots docs/img/

Trains a small RAIR model on simulated patients, scores a simulated list,
writes the review and photographs its two views in Debian Chromium. It sits in
``experiment`` (the orchestration layer) because it uses every other layer.
"""
from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

from rairpredict.report.screenshots import capture_review, open_browser

__all__ = ["demo_review", "main"]


def demo_review(n_train: int = 1200, n_list: int = 40, seed: int = 0):
    """(scores, model) for a synthetic cohort: a model trained on ``n_train``
    simulated patients, with validation figures measured on held-out simulated
    patients, scoring a separate simulated list of ``n_list`` patients."""
    from rairpredict.simulation.simulate import simulate_cohort
    from rairpredict.evaluation import auroc_ci, brier_score, calibration_intercept_slope
    from rairpredict.experiment.config import CONFIG_DIR, load_target_config
    from rairpredict.labels import add_labels
    from rairpredict.models.risk_model import fit_risk_model
    from rairpredict.scoring import score_frame

    cfg = load_target_config(CONFIG_DIR / "rair.yaml")
    train = add_labels(simulate_cohort(n_train, seed=seed))
    test = add_labels(simulate_cohort(n_train, seed=seed + 1))
    train, test = (t[t[cfg.label].notna()] for t in (train, test))
    y, y_test = train[cfg.label].astype(int), test[cfg.label].astype(int).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = fit_risk_model(train, y, features=list(cfg.features), decision_point=cfg.decision_point,
                               kind="xgboost", params={"n_estimators": 150, "max_depth": 2}, seed=seed,
                               target=cfg.name, label=cfg.label, bands=cfg.bands, band_names=cfg.band_names)
    p = model.predict_proba(test)
    auc = auroc_ci(y_test, p)
    slope = calibration_intercept_slope(y_test, p).loc["cal_slope"]
    model.metadata.update({
        "name": "rairpredict-rair (screenshot demo)", "version": None,
        "trained_at": "synthetic demo", "description": cfg.description,
        "intended_use": (f"Supports the pre-therapy decision in 131I therapy of differentiated thyroid cancer: "
                         f"{cfg.description}"),
        "cohort": {"name": "rairpredict simulator (default profile)", "synthetic": True, "n": int(len(y)),
                   "events": int(y.sum()), "prevalence": float(y.mean())},
        "validation": {"protocol": f"one held-out simulated cohort of {len(y_test)} patients (demo only)",
                       "auroc": float(auc.estimate), "auroc_lo": float(auc.lo), "auroc_hi": float(auc.hi),
                       "cal_slope": float(slope["estimate"]), "cal_slope_lo": float(slope["lo"]),
                       "cal_slope_hi": float(slope["hi"]), "brier": float(brier_score(y_test, p).estimate)},
        "limitations": ["Developed on a SYNTHETIC cohort; not validated on patients.",
                        "Screenshot demo model: single held-out split, no tuning."],
    })
    listing = simulate_cohort(n_list, seed=seed + 2)
    listing["patient_id"] = [f"RAI-{i + 1:04d}" for i in range(len(listing))]
    return score_frame(model, listing, explain=4, with_inputs=True), model


def main(argv: list[str] | None = None) -> int:
    """``python -m rairpredict.experiment.screenshots OUT_DIR`` (default ``docs/img``)."""
    from rairpredict.report import write_review

    argv = sys.argv[1:] if argv is None else argv
    out_dir = Path(argv[0] if argv else "docs/img")
    scores, model = demo_review()
    with tempfile.TemporaryDirectory() as tmp:
        html = write_review(Path(tmp) / "review.html", scores, model, title="Risk review — RAI list (synthetic)")
        with open_browser() as browser:
            paths = capture_review(browser, html, out_dir)
    for path in paths:
        print(f"{path} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
