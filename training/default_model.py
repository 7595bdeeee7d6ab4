"""Rebuild the model shipped with the package (``rairpredict.resources.default_model_dir()/rair.zip``).

    .venv/bin/python training/default_model.py [--check]

The demo's RAIR model: the simulated default cohort (n = 2260, seed 0), the
demo protocol (:data:`rairpredict.experiment.demo.DEMO_SETTINGS`), a fresh
seeded Optuna study, no MLflow. Training is reproducible, so a rebuild gives
the same model fingerprint; ``--check`` rebuilds into a temporary directory
and compares it with the shipped file instead of replacing it.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from rairpredict.experiment.config import CONFIG_DIR, load_target_config
from rairpredict.experiment.demo import DEMO_SETTINGS
from rairpredict.experiment.train import train_target
from rairpredict.models import load_model
from rairpredict.models.artifact import fingerprint, read_artifact
from rairpredict.scoring import DEFAULT_MODEL
from rairpredict.simulation.simulate import simulate_cohort


def build(directory: Path) -> Path:
    s = DEMO_SETTINGS
    cfg = load_target_config(CONFIG_DIR / "rair.yaml")
    cfg = cfg.with_overrides(validation={**cfg.validation, "outer_folds": s["outer_folds"], "repeats": s["repeats"],
                                         "inner_folds": s["inner_folds"]})
    result = train_target(cfg, table=simulate_cohort(2260, seed=0), trials=s["trials"],
                          optimism_boot=s["optimism_boot"], tracking=False, export_dir=directory,
                          cohort_name="simulated:default:n=2260:seed=0", log=lambda m: print(m, file=sys.stderr))
    return Path(result.exported)


def _risk_difference(built, shipped, n: int = 5000, seed: int = 99) -> str:
    """How far apart two rebuilds score: the same code on another CPU (another BLAS kernel, NumPy's
    SIMD dispatch of exp/log in the simulator) differs in the last bits, not in what it predicts."""
    cohort = simulate_cohort(n, seed=seed)
    diff = np.abs(built.predict_risk(cohort) - shipped.predict_risk(cohort))
    return (f"risks of the two models on {n:,} simulated patients (seed {seed}): max |difference| "
            f"{diff.max():.1e}, mean {diff.mean():.1e}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="rebuild and compare with the shipped model")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            path = build(Path(tmp))
            built = read_artifact(path)
            shipped = read_artifact(DEFAULT_MODEL)
            same = fingerprint(built.files) == fingerprint(shipped.files)
            print(f"shipped {fingerprint(shipped.files)[:16]}, rebuilt {fingerprint(built.files)[:16]}: "
                  + ("identical" if same else "DIFFERENT"))
            if not same:
                print(_risk_difference(load_model(path), load_model(DEFAULT_MODEL)))
        return 0 if same else 1
    path = build(DEFAULT_MODEL.parent)
    print(f"wrote {path} (fingerprint {fingerprint(read_artifact(path).files)[:16]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
