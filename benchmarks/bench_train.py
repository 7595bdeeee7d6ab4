"""Training benchmark: model / oracle AUROC per target, and full-train wall time.

    .venv/bin/python benchmarks/bench_train.py [--n 2260] [--trials 50] [--repeats 1]

Prints, for each synthetic target at n = 2260 (seed 0): the nested-CV AUROC of
each model with its 95 % CI, the oracle AUROC (true probabilities given the
pre-therapy features), their ratio (goal >= 0.97), and the wall time of the
whole train (nested CV + final fit) with ``--trials`` Optuna trials per fold
and for the final fit. Nothing is logged to MLflow. Baseline in the same run:
the wall time of the same protocol with 0 trials (default parameters), so the
tuning cost is printed as a ratio.
"""
from __future__ import annotations

import argparse
import tempfile
import time

from rairpredict.simulation.simulate import simulate_cohort
from rairpredict.experiment.config import CONFIG_DIR, load_target_config
from rairpredict.experiment.summary import markdown_table
from rairpredict.experiment.demo import results_table
from rairpredict.experiment.train import train_target

TARGETS = ("unexpected_uptake", "rair", "second_course_benefit")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2260)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--targets", nargs="*", default=list(TARGETS))
    args = ap.parse_args()
    table = simulate_cohort(args.n, seed=args.seed)
    tmp = tempfile.mkdtemp(prefix="bench_train_")
    results, timing = [], []
    for name in args.targets:
        cfg = load_target_config(CONFIG_DIR / f"{name}.yaml")
        cfg = cfg.with_overrides(validation={**cfg.validation, "repeats": args.repeats})
        walls = {}
        for trials in (0, args.trials):
            t0 = time.perf_counter()
            r = train_target(cfg, table=table, trials=trials, optimism_boot=0, tracking=False,
                             optuna_storage=f"sqlite:///{tmp}/optuna.db", log=lambda m: None)
            walls[trials] = time.perf_counter() - t0
        results.append(r)
        timing.append({"target": name, "n used": r.counts["rows_used"], "events": r.counts["events"],
                       f"wall s, {args.trials} trials": f"{walls[args.trials]:.1f}",
                       "wall s, 0 trials (baseline)": f"{walls[0]:.1f}",
                       "ratio": f"{walls[args.trials] / walls[0]:.1f}"})
    print(markdown_table(results_table(results)))
    print()
    import pandas as pd

    print(markdown_table(pd.DataFrame(timing)))
    print(f"\nprotocol: {results[0].model.metadata['validation']['protocol']}")


if __name__ == "__main__":
    main()
