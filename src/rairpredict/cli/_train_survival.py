"""``rairpredict train`` for a time-to-event target (``outcome: {type: time_to_event}``)."""
from __future__ import annotations

__all__ = ["train_survival_command"]


def _summary(result) -> dict:
    """Aggregates of one run for ``--json`` (no patient rows)."""
    return {"target": result.name, "outcome_type": "time_to_event", "counts": result.counts,
            "final_model": result.model.kind, "final_model_choice": result.choice,
            "horizons_years": list(result.model.horizons), "band_horizon_years": result.model.band_horizon,
            "metrics": {k: {m: float(v) for m, v in row.items()} for k, row in result.metrics.iterrows()},
            "oracle": result.oracle, "followup": result.followup, "sample_size": result.sample_size,
            "optimism": result.optimism, "protocol": result.protocol, "tuning": result.model.metadata.get("tuning"),
            "registered": list(result.registered) if getattr(result, "registered", None) else None,
            "exported": getattr(result, "exported", None), "seconds": round(result.seconds, 1)}


def _protocol_text(p: dict, trials) -> str:
    if not p:
        return ""
    return (f"nested CV: {p.get('repeats')} x {p.get('outer_folds')}-fold outer CV stratified by event, "
            f"{p.get('inner_folds')}-fold inner CV, {trials} Optuna trials (Cox partial likelihood) per outer fold; "
            "figures = median over repeats of pooled out-of-fold predictions, 95 % CI by bootstrap over patients")


def train_survival_command(args, cfg) -> int:
    from rairpredict.cli._console import emit, stage_bar, use_store
    from rairpredict.experiment.survival_summary import survival_results_table
    from rairpredict.experiment.survival_train import run_survival_target

    tracking = not args.no_tracking
    if tracking:
        use_store()
    with stage_bar(f"train {cfg.name}") as log:
        result = run_survival_target(cfg, n=args.n, seed=args.seed, trials=args.trials,
                                     optimism_boot=args.optimism_boot, tracking=tracking,
                                     export_dir=args.export, log=log, use_stored_study=args.use_study,
                                     optuna_storage=args.storage)
    meta, c, fu = result.model.metadata, result.counts, result.followup
    out = meta["outcome"]
    table = survival_results_table(result.metrics, result.oracle, result.model.horizons)
    lines = [f"outcome: {out['name']} -- {out['definition']} (risk by {', '.join(f'{h:g}' for h in result.model.horizons)}"
             f" years; bands on the {result.model.band_horizon:g}-year risk)",
             f"rows: {c['rows_in']} in, {c['outside_population']} outside the population, {c['outcome_unknown']} "
             f"with unknown time or status (excluded), {c['rows_used']} used: {c['events']} events, {c['censored']} "
             f"censored ({c['competing_events']} by a competing event)",
             *([f"excluded, outcome unknown: " + "; ".join(
                 f"{v} row{'s' if v != 1 else ''} {k.removeprefix('unknown: ')}" for k, v in
                 c["unknown_reasons"].items()) + f" (check outcome: time / event in {cfg.source})"]
               if c.get("unknown_reasons") else []),
             f"median follow-up (reverse Kaplan-Meier): {fu.get('median', float('nan')):.2f} years",
             table.to_string(index=False),
             f"exported model: {result.model.kind} -- {result.choice['reason']}",
             f"censoring: {meta['censoring']}"]
    if result.optimism:
        o = result.optimism
        lines.append(f"optimism-corrected Harrell C of the exported model: {o['c_corrected']:.3f} "
                     f"(apparent {o['c_apparent']:.3f}, {o['replicates']} bootstrap replicates)")
    if not result.sample_size.get("adequate", True):
        lines.append(f"WARNING: sample size below the Riley criteria for survival outcomes "
                     f"(needs n >= {int(result.sample_size['required_n'])}): expect overfitting")
    lines.append(f"protocol: {_protocol_text(result.protocol, result.protocol.get('trials_per_fold', args.trials))}")
    tuning = meta.get("tuning") or {}
    lines.append(f"final model parameters from {tuning.get('source', 'not recorded')}"
                 + (f" {tuning['study_name']!r} ({tuning['final_trials']} trials)" if tuning.get("study_name") else "")
                 + f": {meta.get('params') or 'library defaults'}")
    lines.append(f"training time: {result.seconds:.1f} s")
    if getattr(result, "exported", None):
        lines.append(f"exported: {result.exported}")
    if getattr(result, "registered", None):
        lines.append(f"registered {result.registered[0]} version {result.registered[1]} as @candidate "
                     f"(make it the model others score with: rairpredict promote --target {cfg.name})")
    emit(args, _summary(result), "\n".join(lines))
    return 0
