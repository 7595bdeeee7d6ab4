"""How far the real UCI cohort lets any model go: untuned scikit-learn ensembles on the same outer folds.

Issue 15 asks for a nested AUROC >= 0.95 with Brier <= 0.08 on the UCI DTC
cohort (383 patients, recurrence, without the post-therapy ``Response``).
This script gives the reference points that say whether the data support it:
random forest, extremely randomised trees and histogram gradient boosting
with scikit-learn's default settings (nothing tuned, so nothing can be tuned on
a test fold), fitted on the raw UCI columns one-hot encoded (``Hx Smoking``
included, which the package's config leaves out), evaluated on exactly the
outer folds of ``configs/targets/uci_recurred_pre.yaml`` (5 x 5-fold
repeated stratified CV, seeds 0..4) and summarised as the package summarises
its own models (median over repeats of pooled out-of-fold AUROC with its
DeLong CI, Brier, calibration slope). The probabilities are the forests' own
(uncalibrated); the package's models are calibrated inside each outer fold.

    .venv/bin/python benchmarks/uci_peers.py            # ~1-2 min on 2 cores

Compare with ``training/uci_results.py`` (the package's nested CV of the same
cohort). A reference, not a product path: nothing here is exported or scored.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from rairpredict.experiment.config import CONFIG_DIR, load_target_config
from rairpredict.experiment.summary import summarise_repeats
from rairpredict.experiment.validation import outer_splits

#: The post-therapy response is left out (a pre-therapy question), as in uci_recurred_pre.
_LEFT_OUT = ("Response",)


def _load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def _cohort(path) -> tuple[pd.DataFrame, np.ndarray]:
    raw = pd.read_csv(path, sep=None, engine="python")
    y = (raw.pop("Recurred").str.strip().str.lower() == "yes").astype(int).to_numpy()
    raw = raw.drop(columns=[c for c in _LEFT_OUT if c in raw.columns])
    categorical = [c for c in raw.columns if raw[c].dtype == object]
    return pd.get_dummies(raw, columns=categorical, dtype=float), y


def _peers(seed: int) -> dict:
    from sklearn.ensemble import ExtraTreesClassifier, HistGradientBoostingClassifier, RandomForestClassifier

    return {"random forest (500 trees)": lambda: RandomForestClassifier(500, n_jobs=2, random_state=seed),
            "extra trees (500 trees)": lambda: ExtraTreesClassifier(500, n_jobs=2, random_state=seed),
            "hist. gradient boosting": lambda: HistGradientBoostingClassifier(random_state=seed)}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="uci_recurred_pre", help="target config whose folds and cohort are used")
    args = p.parse_args(argv)
    cfg = load_target_config(CONFIG_DIR / f"{args.config}.yaml")
    X, y = _cohort(cfg.cohort["path"])  # resolved by the config loader (the packaged UCI file)
    v = cfg.validation
    splits = outer_splits(y, folds=v["outer_folds"], repeats=v["repeats"], seed=v["seed"])
    print(f"UCI DTC, {len(y)} patients, {int(y.sum())} recurrences, {X.shape[1]} one-hot columns "
          f"(without {', '.join(_LEFT_OUT)}); {v['repeats']} x {v['outer_folds']}-fold outer CV, seeds "
          f"{v['seed']}..{v['seed'] + v['repeats'] - 1} (the folds of {cfg.name})  [{_load()}]")
    print("| model (scikit-learn defaults, untuned) | AUROC (95% CI) | Brier | cal. slope | seconds |")
    print("|---|---|---|---|---|")
    for name, make in _peers(v["seed"]).items():
        t0 = time.perf_counter()
        proba = np.full((v["repeats"], len(y)), np.nan)
        for r, tr, te in splits:
            proba[r, te] = make().fit(X.iloc[tr], y[tr]).predict_proba(X.iloc[te])[:, 1]
        m = summarise_repeats(y, proba, cfg.threshold)
        print(f"| {name} | {m['auroc']:.3f} ({m['auroc_lo']:.3f}-{m['auroc_hi']:.3f}) | {m['brier']:.3f} | "
              f"{m['cal_slope']:.2f} | {time.perf_counter() - t0:.0f} |")


if __name__ == "__main__":
    main()
