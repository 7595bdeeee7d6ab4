"""Screenshots of the clinician risk review in headless Chromium (for the README and tests).

``python -m rairpredict.report.screenshots docs/img/`` trains a small model on a
synthetic cohort, scores a synthetic "next week's list", writes the review and
saves ``review_cohort.png`` and ``review_patient.png``.

Chromium is Debian's ``chromium`` package, driven through the DevTools
protocol by Playwright (the ``test`` extra); Playwright's own browser download
is never used. :func:`ensure_chromium` installs the package with apt-get when
it is missing and the process runs as root.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

__all__ = ["CHROMIUM_ARGS", "ensure_chromium", "find_chromium", "open_browser", "capture_review",
           "demo_review", "main"]

#: Flags for a headless, offline, throw-away Chromium (root needs --no-sandbox).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
_CANDIDATES = ("chromium", "chromium-browser")


def find_chromium() -> str | None:
    """Path of an installed Chromium, or None."""
    for name in _CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def ensure_chromium(timeout: float = 900) -> str:
    """Path of Chromium; installs Debian's ``chromium`` (apt-get, root only) if missing.

    Raises
    ------
    RuntimeError
        With the reason when Chromium is missing and cannot be installed.
    """
    path = find_chromium()
    if path:
        return path
    if not shutil.which("apt-get"):
        raise RuntimeError("chromium is not installed and apt-get is not available")
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        raise RuntimeError("chromium is not installed and installing it needs root (apt-get install chromium)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
            if done.returncode != 0:
                tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
                raise RuntimeError(f"`{' '.join(cmd)}` failed: {tail[0]}")
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"installing chromium took longer than {timeout:.0f} s") from None
    path = find_chromium()
    if not path:
        raise RuntimeError("apt-get install chromium finished but no chromium executable was found")
    return path


@contextmanager
def open_browser(executable: str | None = None):
    """Yield a Playwright ``Browser`` on Debian's Chromium (fresh profile, offline flags)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise RuntimeError("playwright is not installed (pip install -e '.[test]')") from None
    executable = executable or ensure_chromium()
    with sync_playwright() as pw:
        # Playwright creates and deletes a fresh --user-data-dir for every launch.
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def capture_review(browser, html_path, out_dir, *, patient: int = 0, width: int = 1280,
                   height: int = 860) -> tuple[Path, Path]:
    """Screenshots of the cohort view and of the ``patient``-th listed patient.

    Returns the paths of ``review_cohort.png`` and ``review_patient.png`` in ``out_dir``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
    try:
        page.goto(Path(html_path).resolve().as_uri())
        page.wait_for_selector("body[data-ready='1']")
        cohort = out_dir / "review_cohort.png"
        page.screenshot(path=str(cohort))
        page.locator("#patients-body tr").nth(patient).click()
        page.wait_for_selector("#patient-view:not([hidden])")
        patient_png = out_dir / "review_patient.png"
        page.screenshot(path=str(patient_png))
    finally:
        page.close()
    return cohort, patient_png


def demo_review(n_train: int = 1200, n_list: int = 40, seed: int = 0):
    """(scores, model) for a synthetic cohort: a model trained on ``n_train``
    simulated patients, with validation figures measured on held-out simulated
    patients, scoring a separate simulated list of ``n_list`` patients."""
    from rairpredict.cohort.simulate import simulate_cohort
    from rairpredict.evaluation import auroc_ci, brier_score, calibration_intercept_slope
    from rairpredict.experiment.config import REPO_ROOT, load_target_config
    from rairpredict.labels import add_labels
    from rairpredict.models.risk_model import fit_risk_model
    from rairpredict.scoring import score_frame

    cfg = load_target_config(REPO_ROOT / "configs" / "targets" / "rair.yaml")
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
    """``python -m rairpredict.report.screenshots OUT_DIR`` (default ``docs/img``)."""
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
