"""Command-line interface: a thin layer over the public Python API.

Each sub-command lives in a ``_add_<name>`` / ``_cmd_<name>`` pair below.
User mistakes (:class:`rairpredict.errors.RairpredictError`) print one line
and exit 2; anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import argparse
import sys

from rairpredict import __version__
from rairpredict.errors import RairpredictError

__all__ = ["main"]


# ---------------------------------------------------------------- sub-commands
# (each block: _add_X registers the parser, _cmd_X runs it; keep blocks separate)


# ---- simulate (synthetic cohort with oracle probabilities)
def _add_simulate(sub) -> None:
    p = sub.add_parser("simulate", help="write a synthetic cohort (canonical table + oracle_p_* columns)")
    p.add_argument("--n", type=int, default=2260, help="rows (patient-courses), default 2260")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--profile", default="default", choices=["default", "A", "B", "C"])
    p.add_argument("-o", "--output", required=True, help="output file (.parquet, .csv, .tsv, .xlsx)")
    p.set_defaults(func=_cmd_simulate)


def _cmd_simulate(args) -> int:
    from rairpredict.cohort.io import write_table
    from rairpredict.cohort.simulate import simulate_cohort

    table = simulate_cohort(args.n, args.seed, profile=args.profile)
    path = write_table(table, args.output)
    print(f"wrote {len(table)} simulated rows (profile {args.profile}, seed {args.seed}) to {path}")
    return 0


# ---- validate / import (cohort files -> canonical table + rejects)
def _cohort_file_args(p) -> None:
    p.add_argument("file", help="cohort file (.csv, .tsv, .parquet, .xlsx)")
    p.add_argument("--cohort-config", metavar="CFG",
                   help="YAML cohort config; without it FILE must already be canonical")
    p.add_argument("--rejects", metavar="PATH", help="rejects table (default <stem>.rejects.csv beside the input/output)")


def _add_validate(sub) -> None:
    p = sub.add_parser("validate", help="check a cohort file; print a summary and write its rejects")
    _cohort_file_args(p)
    p.set_defaults(func=_cmd_validate)


def _add_import(sub) -> None:
    p = sub.add_parser("import", help="import a cohort file into the canonical table (+ rejects)")
    _cohort_file_args(p)
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="canonical table (.parquet or .csv)")
    p.set_defaults(func=_cmd_import)


def _write_rejects(result, rejects, beside) -> None:
    from pathlib import Path

    from rairpredict.cohort import write_table

    path = Path(rejects) if rejects else Path(beside).with_name(Path(beside).stem + ".rejects.csv")
    write_table(result.rejects, path)
    print(f"rejects: {path}")


def _cmd_validate(args) -> int:
    from rairpredict.cohort import import_cohort

    result = import_cohort(args.file, args.cohort_config, derive=False)
    print(result.summary())
    _write_rejects(result, args.rejects, args.file)
    return 0


def _cmd_import(args) -> int:
    from rairpredict.cohort import import_cohort, write_table

    result = import_cohort(args.file, args.cohort_config)
    print(result.summary())
    print(f"canonical table: {write_table(result.table, args.output)}")
    _write_rejects(result, args.rejects, args.output)
    return 0


# ---- train / tune / promote / demo (experiment)
def _add_train(sub) -> None:
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


def _add_tune(sub) -> None:
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


def _add_promote(sub) -> None:
    p = sub.add_parser("promote", help="move a registered model's @candidate (or a version) to @champion")
    p.add_argument("--target", required=True, help="target name, e.g. rair")
    p.add_argument("--version", default=None, help="model version (default: the @candidate)")
    p.set_defaults(func=_cmd_promote)


def _cmd_promote(args) -> int:
    from rairpredict import tracking
    from rairpredict.experiment.config import REPO_ROOT
    from rairpredict.experiment.log_run import experiment_name

    from mlflow.exceptions import MlflowException

    from rairpredict.errors import ConfigError

    tracking.configure_tracking(repo_root=REPO_ROOT)
    try:
        version = tracking.promote(experiment_name(args.target), version=args.version)
    except MlflowException as exc:
        raise ConfigError(f"cannot promote {experiment_name(args.target)}: {exc.message}") from None
    print(f"{experiment_name(args.target)} version {version} is now @champion")
    return 0


def _add_demo(sub) -> None:
    p = sub.add_parser("demo", help="simulate a cohort, train and validate all three targets, log to MLflow")
    p.add_argument("--n", type=int, default=2260)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-tracking", action="store_true")
    p.set_defaults(func=_cmd_demo)


def _cmd_demo(args) -> int:
    from rairpredict.experiment.demo import run_demo

    run_demo(n=args.n, seed=args.seed, tracking=not args.no_tracking)
    return 0


# ---- score (batch scoring with reasons; rejects beside OUT)
def _add_score(sub) -> None:
    p = sub.add_parser("score", help="score a cohort file: calibrated risk, band and top-K reasons")
    p.add_argument("--model", metavar="MODEL", default=None,
                   help="models:/NAME@ALIAS, models:/NAME/VERSION, runs:/ID/PATH or a path "
                        "(default: models/rair.joblib)")
    p.add_argument("--input", "-i", required=True, metavar="IN", help="cohort file (.csv or .parquet)")
    p.add_argument("--output", "-o", required=True, metavar="OUT", help="scores (.parquet or .csv)")
    p.add_argument("--explain", type=int, default=0, metavar="K", help="top K reasons per patient (0: none)")
    p.add_argument("--cohort-config", metavar="CFG", help="YAML cohort config mapping IN onto the contract")
    p.add_argument("--chunk-size", type=int, default=100_000, metavar="N", help="rows per chunk (memory bound)")
    p.add_argument("--with-inputs", action="store_true", help="also write every model input as input__<field>")
    p.add_argument("--check-duplicates", action="store_true",
                   help="reject patient_id repeated across chunks (keeps all ids in memory)")
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="worker processes scoring chunks (same output; memory grows with N x chunk size)")
    p.add_argument("--report", metavar="HTML", help="also write the clinician risk review (self-contained HTML); "
                   "implies --with-inputs and at least --explain 3")
    p.set_defaults(func=_cmd_score)


def _cmd_score(args) -> int:
    from rairpredict.scoring import load_model_ref, score_file

    model = load_model_ref(args.model)  # once: the review reuses it
    explain = max(args.explain, 3) if args.report else args.explain
    s = score_file(model, args.input, args.output, explain=explain, cohort_config=args.cohort_config,
                   chunk_size=args.chunk_size, with_inputs=args.with_inputs or bool(args.report),
                   check_duplicates=args.check_duplicates, jobs=args.jobs)
    print(f"scores: {s.output}\nrejects: {s.rejects}")
    if args.report:
        from rairpredict.cohort.io import read_table
        from rairpredict.report import write_review

        path = write_review(args.report, read_table(s.output), model)
        print(f"review: {path}")
    return 0


# ---- report / model-card (clinician risk review HTML; TRIPOD+AI model card)
def _model_ref_args(p) -> None:
    p.add_argument("--model", metavar="MODEL", default=None,
                   help="models:/NAME@ALIAS, models:/NAME/VERSION, runs:/ID/PATH or a RiskModel .joblib path "
                        "(default: models/rair.joblib)")
    p.add_argument("--tracking-uri", metavar="URI", help="MLflow tracking URI (default: MLFLOW_TRACKING_URI "
                   "or the repository's mlflow.db)")


def _load_report_model(args, *, tracking: bool = False):
    from rairpredict.scoring import load_model_ref

    if tracking or ":/" in str(args.model) or args.tracking_uri:
        from rairpredict.experiment.config import REPO_ROOT
        from rairpredict.tracking import configure_tracking

        configure_tracking(args.tracking_uri, repo_root=REPO_ROOT)
    return load_model_ref(args.model)


def _add_report(sub) -> None:
    p = sub.add_parser("report", help="clinician risk review: one self-contained HTML file from a scores table")
    p.add_argument("--scores", required=True, metavar="SCORES", help="output of `rairpredict score` (.parquet/.csv)")
    _model_ref_args(p)
    p.add_argument("--out", "-o", required=True, metavar="HTML", help="review file to write (.html)")
    p.add_argument("--title", help="page title (default: from the model name)")
    p.set_defaults(func=_cmd_report)


def _cmd_report(args) -> int:
    from rairpredict.cohort import read_table
    from rairpredict.report import write_review

    model = _load_report_model(args)
    scores = read_table(args.scores)
    print(f"review: {write_review(args.out, scores, model, title=args.title)} ({len(scores)} patients)")
    return 0


def _add_model_card(sub) -> None:
    p = sub.add_parser("model-card", help="TRIPOD+AI model card (Markdown and/or HTML) of a model")
    _model_ref_args(p)
    p.add_argument("--out", "-o", metavar="MD", help="Markdown card (default: print to stdout)")
    p.add_argument("--html", metavar="HTML", help="HTML card")
    p.set_defaults(func=_cmd_model_card)


def _cmd_model_card(args) -> int:
    from rairpredict.report import render_model_card, write_model_card

    model = _load_report_model(args, tracking=True)  # the card reads the model's MLflow run
    if args.out is None and args.html is None:
        print(render_model_card(model), end="")
        return 0
    for path in write_model_card(model, args.out, args.html):
        print(f"model card: {path}")
    return 0


# ---------------------------------------------------------------- entry point
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rairpredict", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"rairpredict {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, add in sorted(globals().items()):
        if name.startswith("_add_") and callable(add):
            add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    import logging

    # MLflow announces store creation and migrations at INFO; the CLI prints its own summary.
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except RairpredictError as exc:
        print(f"rairpredict {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
