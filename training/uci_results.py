"""Nested-CV results on the real UCI DTC cohort (both variants), as a Markdown table.

    .venv/bin/python training/uci_results.py [--repeats 5] [--trials 15] [--tracking]

Protocol: the one written in each config (5 x 5-fold repeated stratified outer
CV by default, 3-fold inner CV, Optuna trials per outer fold); figures are the
median over repeats of pooled out-of-fold metrics, with 95 % CIs.
"""
from __future__ import annotations

import argparse
import sys

from rairpredict.experiment.config import CONFIG_DIR, load_target_config
from rairpredict.experiment.demo import results_table
from rairpredict.experiment.summary import markdown_table
from rairpredict.experiment.train import train_target

CONFIGS = ("uci_recurred_pre", "uci_recurred_post", "uci_structural_incomplete_pre")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=None, help="override outer repeats")
    parser.add_argument("--trials", type=int, default=None, help="override Optuna trials per outer fold")
    parser.add_argument("--optimism-boot", type=int, default=50)
    parser.add_argument("--tracking", action="store_true", help="log to the local MLflow store")
    args = parser.parse_args(argv)
    results = []
    for name in CONFIGS:
        cfg = load_target_config(CONFIG_DIR / f"{name}.yaml")
        if args.repeats:
            cfg = cfg.with_overrides(validation={**cfg.validation, "repeats": args.repeats})
        results.append(train_target(cfg, trials=args.trials, optimism_boot=args.optimism_boot,
                                    tracking=args.tracking, log=lambda m: print(m, file=sys.stderr)))
    table = results_table(results)
    # a real cohort has no oracle: drop the columns that compare with one
    table = table.drop(columns=[c for c in table.columns if "oracle" in c or c.startswith("share of achievable")])
    print(markdown_table(table))
    print(f"\nProtocol: {results[0].model.metadata['validation']['protocol']}")
    for r in results:
        print(f"- {r.name}: Riley sample size adequate = {r.sample_size.get('adequate')} "
              f"(n = {r.counts['rows_used']}, events = {r.counts['events']}, "
              f"required n = {r.sample_size.get('required_n'):.0f}); DeLong "
              + "; ".join(f"{c['model_1']} vs {c['model_2']} p = {c['p_value']:.3f}"
                          for _, c in r.comparisons.iterrows()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
