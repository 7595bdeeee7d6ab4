"""CLI: train / tune / promote / demo (experiment)."""
from __future__ import annotations

__all__ = ['add_train', 'add_tune', 'add_promote', 'add_demo']

def add_train(sub) -> None:
    p = sub.add_parser("train", help="nested-CV validate, tune, explain, log and register one target")
    p.add_argument("--config", required=True, help="target config YAML (configs/targets/*.yaml)")
    p.add_argument("--n", type=int, default=None, help="simulated cohort size (simulated cohorts only)")
    p.add_argument("--seed", type=int, default=None, help="simulator seed (simulated cohorts only)")
    p.add_argument("--trials", type=int, default=None, help="Optuna trials per outer fold and for the final fit")
    p.add_argument("--optimism-boot", type=int, default=50, help="bootstrap replicates for optimism correction")
    p.add_argument("--no-tracking", action="store_true", help="do not log to MLflow")
    p.add_argument("--export", default=None, help="directory to export the final model to (e.g. models)")
    p.set_defaults(func=_cmd_train)


def _cmd_train(args) -> int:
    from rairpredict.experiment.config import load_target_config
    from rairpredict.experiment.demo import results_table
    from rairpredict.experiment.train import train_target

    cfg = load_target_config(args.config)
    result = train_target(cfg, n=args.n, seed=args.seed, trials=args.trials, optimism_boot=args.optimism_boot,
                          tracking=not args.no_tracking, export_dir=args.export)
    print(results_table([result]).to_string(index=False))
    print(f"protocol: {result.model.metadata['validation']['protocol']}")
    if result.registered:
        print(f"registered {result.registered[0]} version {result.registered[1]} as @candidate "
              f"(promote: rairpredict promote --target {cfg.name})")
    return 0


def add_tune(sub) -> None:
    p = sub.add_parser("tune", help="run (or extend) the stored Optuna study of a target's final model")
    p.add_argument("--config", required=True)
    p.add_argument("--trials", type=int, required=True)
    p.add_argument("--model", default="xgboost", help="model kind (xgboost or logistic)")
    p.add_argument("--n", type=int, default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--storage", default=None, help="Optuna storage URL (default: sqlite optuna.db beside mlflow.db)")
    p.set_defaults(func=_cmd_tune)


def _cmd_tune(args) -> int:
    from rairpredict.experiment.config import load_target_config
    from rairpredict.experiment.train import run_final_study

    cfg = load_target_config(args.config)
    res = run_final_study(cfg, kind=args.model, trials=args.trials, n=args.n, seed=args.seed, storage=args.storage)
    print(f"study {res.study_name}: {res.n_trials} trials ({res.n_pruned} pruned) in {res.seconds:.1f} s, "
          f"best inner-CV log loss {res.best_value:.4f}")
    print(f"best parameters: {res.best_params}")
    return 0


def add_promote(sub) -> None:
    p = sub.add_parser("promote", help="move a registered model's @candidate (or a version) to @champion")
    p.add_argument("--target", required=True, help="target name, e.g. rair")
    p.add_argument("--version", default=None, help="model version (default: the @candidate)")
    p.set_defaults(func=_cmd_promote)


def _cmd_promote(args) -> int:
    from rairpredict import tracking
    from rairpredict.resources import home
    from rairpredict.experiment.log_run import experiment_name

    from mlflow.exceptions import MlflowException

    from rairpredict.errors import ConfigError

    tracking.configure_tracking(repo_root=home())
    try:
        version = tracking.promote(experiment_name(args.target), version=args.version)
    except MlflowException as exc:
        raise ConfigError(f"cannot promote {experiment_name(args.target)}: {exc.message}") from None
    print(f"{experiment_name(args.target)} version {version} is now @champion")
    return 0


def add_demo(sub) -> None:
    p = sub.add_parser("demo", help="simulate a cohort, train and validate all three targets, log to MLflow")
    p.add_argument("--n", type=int, default=2260)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-tracking", action="store_true")
    p.set_defaults(func=_cmd_demo)


def _cmd_demo(args) -> int:
    from rairpredict.experiment.demo import run_demo

    run_demo(n=args.n, seed=args.seed, tracking=not args.no_tracking)
    return 0
