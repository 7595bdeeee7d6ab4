"""The main job on embedded defaults: simulate, train and validate all three targets.

``run_demo()`` simulates one cohort (seed 0, n = 2260, the size of Study A),
trains unexpected uptake, RAIR and second-course benefit on it with a reduced
but still nested protocol, logs to the local MLflow store, registers each model
with alias ``candidate``, exports the RAIR model to ``models/`` and prints a
results table.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from rairpredict.evaluation import format_ci
from rairpredict.experiment.config import CONFIG_DIR, load_target_config
from rairpredict.resources import home
from rairpredict.experiment.train import train_target

__all__ = ["DEMO_TARGETS", "DEMO_SETTINGS", "run_demo", "results_table"]

DEMO_TARGETS = ("unexpected_uptake", "rair", "second_course_benefit")
#: Reduced protocol so that the demo runs in minutes on 2 cores; the full
#: protocol is in each config (``rairpredict train --config ...``).  The
#: optimism is Harrell's bootstrap of the WHOLE model-building process (each
#: replicate re-tunes with ``trials`` Optuna trials and re-chooses the
#: calibration), so the demo bounds it with 5 replicates -- a smaller budget
#: than ``train``'s default 30, stated in each model's metadata
#: (``validation.optimism_method``): read the demo's optimism as a rough bound.
DEMO_SETTINGS = {"outer_folds": 5, "repeats": 2, "inner_folds": 3, "trials": 10, "optimism_boot": 5}


def _ci(m, key: str, digits: int = 3) -> str:
    if key not in m or not np.isfinite(m[key]):
        return "-"
    return format_ci(m[key], m[f"{key}_lo"], m[f"{key}_hi"], digits)


def results_table(results) -> pd.DataFrame:
    """One row per target x model: AUROC (95 % CI) overall and within patients with
    prior structural disease, calibration slope, Brier, the share of achievable
    discrimination (AUROC - 0.5) / (oracle AUROC - 0.5), the raw AUROC / oracle
    AUROC ratio (labelled), and a flag when the AUROC CI contains 0.5."""
    rows = []
    for r in results:
        model_ = getattr(r, "model", None)
        outcome = model_.metadata.get("outcome", {}) if model_ is not None else {}
        optimism = getattr(r, "optimism", None)
        corrected = (f"{optimism.loc['auroc', 'corrected']:.3f}"
                     if optimism is not None and not optimism.empty and "auroc" in optimism.index else "-")
        for model, m in r.metrics.iterrows():
            exported = model_ is not None and model == model_.kind
            rows.append({
                "target": r.name,
                "outcome": (f"{outcome.get('name', r.name)}" +
                            (f" ({outcome['horizon']})" if outcome.get("horizon") else "")),
                "n": r.counts["rows_used"], "events": r.counts["events"], "model": model,
                "exported": "yes" if exported else "",
                "AUROC (95% CI)": _ci(m, "auroc"),
                # Harrell bootstrap, for the exported model only
                "AUROC optimism-corrected": corrected if exported else "-",
                "AUROC prior structural disease (95% CI)": _ci(m, "auroc_prior_structural"),
                "cal. slope (95% CI)": _ci(m, "cal_slope", 2),
                "Brier": f"{m['brier']:.3f}",
                "share of achievable AUROC": (f"{r.oracle[f'{model}_oracle_share']:.2f}"
                                              if f"{model}_oracle_share" in r.oracle else "-"),
                "AUROC/oracle AUROC (raw)": (f"{r.oracle[f'{model}_oracle_ratio']:.3f}"
                                             if f"{model}_oracle_ratio" in r.oracle else "-"),
                "oracle AUROC": f"{r.oracle['oracle_auroc']:.3f}" if r.oracle else "-",
                "discrimination": ("NO EVIDENCE (AUROC CI contains 0.5)"
                                   if m.get("no_evidence_of_discrimination", 0) else "yes"),
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
    # Each target's export and MLflow logging (figures, the store: one core's work) runs in a
    # thread while the next target trains, so it fills the core the training leaves idle in its
    # sequential steps; one at a time, in target order, and all done before the table is printed.
    finishing = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-logging") as logger:
        for name in DEMO_TARGETS:
            cfg = load_target_config(CONFIG_DIR / f"{name}.yaml")
            cfg = cfg.with_overrides(validation={**cfg.validation, "outer_folds": s["outer_folds"],
                                                 "repeats": s["repeats"], "inner_folds": s["inner_folds"]})
            result = train_target(cfg, table=table, trials=s["trials"], optimism_boot=s["optimism_boot"],
                                  tracking=tracking, export_dir=export_dir if name == "rair" else None,
                                  cohort_name=f"simulated:default:n={n}:seed={seed}", log=log,
                                  tracking_root=tracking_root, optuna_storage=optuna_storage, defer_logging=True)
            finishing.append(logger.submit(result.finish))
        results = [f.result() for f in finishing]  # a logging error is raised here, as without the thread
    table_out = results_table(results)
    log("\n" + table_out.to_string(index=False))
    log(f"\nProtocol: {results[0].model.metadata['validation']['protocol']}")
    log(f"demo finished in {time.perf_counter() - start:.0f} s")
    if tracking:
        log("browse the runs: mlflow ui --backend-store-uri sqlite:///mlflow.db  (from the repository root)")
    return results
