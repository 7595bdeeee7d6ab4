"""Training benchmark: discrimination with CIs per model kind, and the full train's wall time.

    .venv/bin/python benchmarks/bench_train.py [--targets rair ...] [--uci] [--trials N] [--repeats R]
                                               [--optimism-boot B]

For each target: the nested-CV figures of every model kind the config names
(AUROC, calibration slope, Brier, with 95 % CIs; the stacked kind beside the
single models when the config lists it), then the wall time of the whole
``train`` (nested CV of every kind with Optuna tuning in each outer fold, the
calibration choice, the final study and fit, and the optimism bootstrap when
``--optimism-boot`` > 0), printed beside the same protocol with default
parameters (0 trials) measured in the same run, and the nested-CV seconds of
each kind. Synthetic targets use one simulated cohort (``--n``, ``--seed``);
``--uci`` adds the three configs on the real UCI DTC cohort (their own file and
protocol). Nothing is logged to MLflow.

PyCaret (the issue's peer figure) is not run: its current release (3.3.2)
requires numpy < 1.27, which cannot be installed beside this package's numpy 2
(pip: ResolutionImpossible; unpinned, pip falls back to PyCaret 2.2.2 of 2020);
the script says so in its output instead of printing a figure it did not measure.
"""
from __future__ import annotations

import argparse
import tempfile
import time

import pandas as pd

from rairpredict.experiment.config import CONFIG_DIR, load_target_config
from rairpredict.experiment.demo import results_table
from rairpredict.experiment.summary import markdown_table
from rairpredict.experiment.train import train_target
from rairpredict.simulation.simulate import simulate_cohort

TARGETS = ("unexpected_uptake", "rair", "second_course_benefit")
UCI_TARGETS = ("uci_recurred_pre", "uci_recurred_post", "uci_structural_incomplete_pre")
PYCARET_NOTE = ("PyCaret compare+tune: not measured. PyCaret 3.3.2 (its current release) requires numpy < 1.27; "
                "this environment has numpy 2, so it cannot be installed beside rairpredict "
                "(pip: ResolutionImpossible).")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2260, help="simulated cohort size (synthetic targets)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--trials", type=int, default=None, help="Optuna trials per outer fold (default: the config's)")
    ap.add_argument("--repeats", type=int, default=None, help="outer repeats (default: the config's)")
    ap.add_argument("--optimism-boot", type=int, default=0,
                    help="bootstrap replicates of the whole process (train's default is 50; 0 skips it)")
    ap.add_argument("--targets", nargs="*", default=list(TARGETS))
    ap.add_argument("--uci", action="store_true", help="add the three configs on the real UCI cohort")
    args = ap.parse_args()
    targets = list(args.targets) + (list(UCI_TARGETS) if args.uci else [])
    simulated = None
    tmp = tempfile.mkdtemp(prefix="bench_train_")
    results, timing, per_kind = [], [], []
    for name in targets:
        cfg = load_target_config(CONFIG_DIR / f"{name}.yaml")
        if args.repeats:
            cfg = cfg.with_overrides(validation={**cfg.validation, "repeats": args.repeats})
        table = None
        if "simulate" in cfg.cohort:  # one simulated cohort for every synthetic target
            simulated = simulate_cohort(args.n, seed=args.seed) if simulated is None else simulated
            table = simulated
        trials = int(cfg.tuning.get("trials", 10) if args.trials is None else args.trials)
        walls, runs = {}, {}
        for t in (0, trials):  # the baseline first: default parameters, same folds, same everything else
            t0 = time.perf_counter()
            runs[t] = train_target(cfg, table=table, trials=t, optimism_boot=args.optimism_boot, tracking=False,
                                   optuna_storage=f"sqlite:///{tmp}/optuna.db", log=lambda m: None)
            walls[t] = time.perf_counter() - t0
        results.append(runs[trials])
        timing.append({"target": name, "n used": runs[trials].counts["rows_used"],
                       "events": runs[trials].counts["events"], "models": ", ".join(cfg.models),
                       f"wall s, tuned ({trials} trials)": f"{walls[trials]:.1f}",
                       "wall s, default parameters (baseline)": f"{walls[0]:.1f}",
                       "ratio": f"{walls[trials] / walls[0]:.2f}"})
        for kind in cfg.models:
            per_kind.append({"target": name, "model": kind,
                             "nested CV s, tuned": f"{runs[trials].protocol[f'{kind}_cv_seconds']:.1f}",
                             "nested CV s, default parameters": f"{runs[0].protocol[f'{kind}_cv_seconds']:.1f}"})
    print(markdown_table(results_table(results)))
    print()
    print(markdown_table(pd.DataFrame(timing)))
    print()
    print(markdown_table(pd.DataFrame(per_kind)))
    for r in results:
        print(f"\nprotocol ({r.name}): {r.model.metadata['validation']['protocol']}; exported model: "
              f"{r.model.kind} ({r.final_choice['reason']})")
    print(f"\noptimism bootstrap replicates: {args.optimism_boot}. {PYCARET_NOTE}")


if __name__ == "__main__":
    main()
