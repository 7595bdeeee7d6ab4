"""CLI: train / tune / promote / demo (experiment)."""
from __future__ import annotations

from rairpredict.cli import _args

__all__ = ['add_train', 'add_tune', 'add_promote', 'add_demo']


def add_train(sub) -> None:
    p = sub.add_parser("train", help="nested-CV validate, tune, explain, log and register one target")
    _args.add_config(p)
    p.add_argument("--n", type=int, default=None, help="simulated cohort size (simulated cohorts only)")
    p.add_argument("--seed", type=int, default=None, help="simulator seed (simulated cohorts only)")
    p.add_argument("--trials", type=int, default=None, help="Optuna trials per outer fold and for the final fit")
    p.add_argument("--optimism-boot", type=int, default=50, help="bootstrap replicates for optimism correction")
    p.add_argument("--no-tracking", action="store_true", help="do not log to MLflow")
    p.add_argument("--export", default=None, metavar="DIR", help="directory to export the final model to")
    p.add_argument("--use-study", action="store_true", default=None,
                   help="take the final model's parameters from the stored Optuna study that `rairpredict tune` "
                        "extends (default: a fresh seeded study, so the same config and data give the same model)")
    p.add_argument("--storage", default=None, help="Optuna storage URL for --use-study (default: optuna.db in the "
                                                    "rairpredict home)")
    _args.add_common(p)
    p.set_defaults(func=_cmd_train)


def _result_summary(result) -> dict:
    """Aggregates of one run for ``--json`` (no patient rows)."""
    validation = result.model.metadata.get("validation", {})
    return {"target": result.name, "counts": result.counts, "final_model": result.model.kind,
            "metrics": {k: {m: float(v) for m, v in row.items()} for k, row in result.metrics.iterrows()},
            "protocol": validation.get("protocol", ""), "sample_size_adequate": bool(result.sample_size.get(
                "adequate", True)), "registered": list(result.registered) if result.registered else None,
            "exported": getattr(result, "exported", None), "model_fingerprint": result.fingerprint,
            "tuning": result.model.metadata.get("tuning"), "seconds": round(result.seconds, 1),
            "outcome": result.model.metadata.get("outcome"), "population": result.population_flow,
            "final_model_choice": result.final_choice}


def _cmd_train(args) -> int:
    from rairpredict.cli._console import emit, stage_bar, training_quiet, use_store
    from rairpredict.experiment.config import load_target_config
    from rairpredict.experiment.demo import results_table
    from rairpredict.experiment.train import train_target

    cfg = load_target_config(_args.resolve_config(args.config))
    if getattr(getattr(cfg, "outcome", None), "type", "binary") == "time_to_event":
        from rairpredict.cli._train_survival import train_survival_command

        return train_survival_command(args, cfg)
    if not args.no_tracking:
        use_store()
    training_quiet()
    with stage_bar(f"train {cfg.name}") as log:
        result = train_target(cfg, n=args.n, seed=args.seed, trials=args.trials, optimism_boot=args.optimism_boot,
                              tracking=not args.no_tracking, export_dir=args.export, log=log,
                              use_stored_study=args.use_study, optuna_storage=args.storage)
    meta = result.model.metadata
    outcome = meta["outcome"]
    lines = [results_table([result]).to_string(index=False),
             f"outcome: {outcome['name']} -- {outcome['definition']}"
             + (f" (horizon {outcome['horizon']})" if outcome.get("horizon") else ""),
             *(f"population: '{s['rule']}' excluded {s['excluded']} rows" for s in result.population_flow),
             f"exported model: {result.model.kind} -- {result.final_choice['reason']}",
             f"protocol: {meta['validation']['protocol']}",
             f"final model parameters from {result.model.metadata['tuning']['summary']}"]
    if getattr(result, "exported", None):
        lines.append(f"exported: {result.exported} (model fingerprint {result.fingerprint[:16]}: the same for the "
                     "same config, data and seed)")
    if result.registered:
        lines.append(f"registered {result.registered[0]} version {result.registered[1]} as @candidate "
                     f"(make it the model others score with: rairpredict promote --target {cfg.name})")
    emit(args, _result_summary(result), "\n".join(lines))
    return 0


def add_tune(sub) -> None:
    p = sub.add_parser("tune", help="run or extend the stored Optuna study of a target's final model "
                                    "(`train --use-study` then uses it)")
    _args.add_config(p)
    p.add_argument("--trials", type=int, required=True)
    p.add_argument("--kind", default=None, choices=("xgboost", "logistic", "stacked", "cox", "xgboost_cox"),
                   help="model kind (default: xgboost; for a time-to-event target the config's final_model, else "
                        "its first model)")
    _args.add_renamed(p, "--model", "--kind", "kind")
    p.add_argument("--n", type=int, default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--storage", default=None, help="Optuna storage URL (default: sqlite optuna.db in the "
                   "rairpredict home, beside mlflow.db)")
    _args.add_common(p)
    p.set_defaults(func=_cmd_tune)


def _cmd_tune(args) -> int:
    from rairpredict.cli._console import emit, progress
    from rairpredict.experiment.config import load_target_config
    from rairpredict.experiment.train import run_final_study

    cfg = load_target_config(_args.resolve_config(args.config))
    if getattr(cfg.outcome, "type", "binary") == "time_to_event":
        return _tune_survival(args, cfg)
    if args.kind in ("cox", "xgboost_cox"):
        from rairpredict.errors import ConfigError

        raise ConfigError(f"{cfg.source}: --kind {args.kind} is a time-to-event model; this target is binary "
                          "(use --kind xgboost, logistic or stacked)")
    args.kind = args.kind or "xgboost"
    from rairpredict.models.stack import STACK_BASES, STACKED

    # a stack's studies are its bases', each extended by --trials
    total = args.trials * (len(STACK_BASES) if args.kind == STACKED else 1)
    with progress(total=total, desc=f"tune {cfg.name}", unit="trial") as bar:
        res = run_final_study(cfg, kind=args.kind, trials=args.trials, n=args.n, seed=args.seed,
                              storage=args.storage, callbacks=[lambda study, trial: bar.update(1)])
    emit(args, {"study": res.study_name, "trials": res.n_trials, "pruned": res.n_pruned,
                "seconds": round(res.seconds, 1), "best_log_loss": res.best_value, "best_params": res.best_params},
         f"study {res.study_name}: {res.n_trials} trials ({res.n_pruned} pruned) in {res.seconds:.1f} s, "
         f"best inner-CV log loss {res.best_value:.4f}\nbest parameters: {res.best_params}\n"
         f"train with them: rairpredict train --config {args.config} --use-study"
         + (f" --storage {args.storage}" if args.storage else ""))
    return 0


def _tune_survival(args, cfg) -> int:
    """``tune`` for a time-to-event target: the stored study maximises the inner-CV Cox partial likelihood."""
    from rairpredict.cli._console import emit, progress
    from rairpredict.experiment.survival_train import run_survival_study

    kind = args.kind or (cfg.final_model if cfg.final_model in cfg.models else cfg.models[0])
    with progress(total=args.trials, desc=f"tune {cfg.name} {kind}", unit="trial") as bar:
        res = run_survival_study(cfg, kind=kind, trials=args.trials, n=args.n, seed=args.seed, storage=args.storage,
                                 callbacks=[lambda study, trial: bar.update(1)])
    emit(args, {"study": res.study_name, "kind": kind, "trials": res.n_trials, "pruned": res.n_pruned,
                "seconds": round(res.seconds, 1), "best_partial_loglik_per_event": res.best_value,
                "best_params": res.best_params},
         f"study {res.study_name}: {res.n_trials} trials ({res.n_pruned} pruned) in {res.seconds:.1f} s, best "
         f"inner-CV Cox partial log-likelihood per event {res.best_value:.4f} (higher is better)\n"
         f"best parameters: {res.best_params}\n"
         f"train with them: rairpredict train --config {args.config} --use-study"
         + (f" --storage {args.storage}" if args.storage else "")
         + ("" if cfg.final_model == kind else f" (the study is used when the final model is {kind}: set "
            f"final_model: {kind} in the config, or tune each kind)"))
    return 0


def add_promote(sub) -> None:
    p = sub.add_parser("promote", help="move a registered model's @candidate (or a version) to @champion")
    p.add_argument("--target", required=True, help="target name, e.g. rair")
    p.add_argument("--version", default=None, help="model version (default: the @candidate)")
    _args.add_common(p)
    p.set_defaults(func=_cmd_promote)


def _cmd_promote(args) -> int:
    from mlflow.exceptions import MlflowException

    from rairpredict import tracking
    from rairpredict.cli._console import emit, use_store
    from rairpredict.errors import ConfigError
    from rairpredict.experiment.log_run import experiment_name

    name = experiment_name(args.target)
    use_store()
    try:
        version = tracking.promote(name, version=args.version)
    except MlflowException as exc:
        raise ConfigError(f"cannot promote {name}: {exc.message} (train it first: rairpredict train --config "
                          f"{args.target}, or rairpredict demo)") from None
    emit(args, {"model": name, "version": str(version), "alias": "champion", "uri": f"models:/{name}@champion"},
         f"{name} version {version} is now @champion (score with --model models:/{name}@champion)")
    return 0


def add_demo(sub) -> None:
    p = sub.add_parser("demo", help="simulate a cohort, train and validate all three targets, log to MLflow")
    p.add_argument("--n", type=int, default=2260)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-tracking", action="store_true")
    p.add_argument("--promote", action="store_true",
                   help="also make each fresh model @champion (what `rairpredict promote` does)")
    _args.add_common(p)
    p.set_defaults(func=_cmd_demo)


def _cmd_demo(args) -> int:
    from rairpredict.cli._console import emit, stage_bar, training_quiet, use_store
    from rairpredict.experiment.demo import DEMO_TARGETS, results_table, run_demo

    if not args.no_tracking:
        use_store()
    training_quiet()
    # stages: the simulation, then per target the cohort, each model's CV and the final fit
    with stage_bar("demo") as log:
        results = run_demo(n=args.n, seed=args.seed, tracking=not args.no_tracking, log=log)
    lines = [results_table(results).to_string(index=False),
             f"protocol: {results[0].model.metadata['validation']['protocol']}"]
    promoted = []
    if args.promote and not args.no_tracking:
        from rairpredict import tracking

        for r in results:
            if r.registered:
                tracking.promote(r.registered[0], version=r.registered[1])
                promoted.append(f"models:/{r.registered[0]}@champion")
        lines.append("@champion now: " + ", ".join(promoted))
    elif not args.no_tracking:
        lines.append(f"next: rairpredict promote --target rair   (one of {', '.join(DEMO_TARGETS)}), then score "
                     "with --model models:/rairpredict-rair@champion")
    emit(args, {"results": [_result_summary(r) for r in results], "champions": promoted}, "\n".join(lines))
    return 0
