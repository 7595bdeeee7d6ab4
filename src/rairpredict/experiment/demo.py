"""The main job on embedded defaults: simulate, train and validate all three targets.

``run_demo()`` simulates one cohort (seed 0, n = 2260, the size of Study A),
trains unexpected uptake, RAIR and second-course benefit on it with a reduced
but still nested protocol, logs to the local MLflow store, registers each model
with alias ``candidate``, exports the RAIR model to ``models/`` and prints a
results table.
"""
from __future__ import annotations

import time

import pandas as pd

from rairpredict.evaluation import format_ci

from rairpredict.experiment.config import CONFIG_DIR, load_target_config
from rairpredict.resources import home
from rairpredict.experiment.train import train_target

__all__ = ["DEMO_TARGETS", "DEMO_SETTINGS", "run_demo", "results_table"]

DEMO_TARGETS = ("unexpected_uptake", "rair", "second_course_benefit")
#: Reduced protocol so that the demo runs in ~3 minutes on 2 cores; the
#: full protocol is in each config (``rairpredict train --config ...``).
DEMO_SETTINGS = {"outer_folds": 5, "repeats": 2, "inner_folds": 3, "trials": 10, "optimism_boot": 25}


def results_table(results) -> pd.DataFrame:
    """One row per target x model: AUROC (95 % CI), calibration slope, oracle ratio."""
    rows = []
    for r in results:
        for model, m in r.metrics.iterrows():
            rows.append({
                "target": r.name, "n": r.counts["rows_used"], "events": r.counts["events"], "model": model,
                "AUROC (95% CI)": format_ci(m["auroc"], m["auroc_lo"], m["auroc_hi"], 3),
                "cal. slope (95% CI)": format_ci(m["cal_slope"], m["cal_slope_lo"], m["cal_slope_hi"], 2),
                "Brier": f"{m['brier']:.3f}",
                "model/oracle": (f"{r.oracle[f'{model}_oracle_ratio']:.3f}"
                                 if f"{model}_oracle_ratio" in r.oracle else "-"),
                "oracle AUROC": f"{r.oracle['oracle_auroc']:.3f}" if r.oracle else "-",
            })
    return pd.DataFrame(rows)


def run_demo(*, n: int = 2260, seed: int = 0, tracking: bool = True, export_dir=None, log=print,
             settings: dict | None = None, tracking_root=None, optuna_storage: str | None = None):
    """Run the demo; returns the list of :class:`TargetResult`."""
    s = {**DEMO_SETTINGS, **(settings or {})}
    export_dir = home() / "models" if export_dir is None else export_dir
    from rairpredict.simulation.simulate import simulate_cohort

    start = time.perf_counter()
    table = simulate_cohort(n, seed=seed)
    log(f"simulated {len(table)} patients (seed {seed}) in {time.perf_counter() - start:.1f} s")
    results = []
    for name in DEMO_TARGETS:
        cfg = load_target_config(CONFIG_DIR / f"{name}.yaml")
        cfg = cfg.with_overrides(validation={**cfg.validation, "outer_folds": s["outer_folds"],
                                             "repeats": s["repeats"], "inner_folds": s["inner_folds"]})
        results.append(train_target(cfg, table=table, trials=s["trials"], optimism_boot=s["optimism_boot"],
                                    tracking=tracking, export_dir=export_dir if name == "rair" else None,
                                    cohort_name=f"simulated:default:n={n}:seed={seed}", log=log,
                                    tracking_root=tracking_root, optuna_storage=optuna_storage))
    table_out = results_table(results)
    log("\n" + table_out.to_string(index=False))
    log(f"\nProtocol: {results[0].model.metadata['validation']['protocol']}")
    log(f"demo finished in {time.perf_counter() - start:.0f} s")
    if tracking:
        log("browse the runs: mlflow ui --backend-store-uri sqlite:///mlflow.db  (from the repository root)")
    return results
