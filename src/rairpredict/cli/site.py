"""CLI: evaluate (external validation) and recalibrate (update for a new site)."""
from __future__ import annotations

from rairpredict.cli import _args

__all__ = ["add_evaluate", "add_recalibrate"]


def _common(p) -> None:
    _args.add_model(p)
    _args.add_input(p, "local cohort (.csv, .parquet, .xlsx)", metavar="FILE")
    p.add_argument("--cohort-config", metavar="CFG", help="YAML cohort config mapping FILE onto the contract")
    p.add_argument("--outcome", required=True, metavar="OUTCOME",
                   help="a built-in label (rair, unexpected_uptake, ...) or a column of FILE")
    p.add_argument("--positive", nargs="+", metavar="VALUE", help="values of the outcome column meaning 'event'")
    p.add_argument("--negative", nargs="+", metavar="VALUE", help="values meaning 'no event'")


def _model(args):
    from rairpredict.cli.score import load_model_arg

    return load_model_arg(args)


def add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="external validation of a model on a local cohort (HTML + JSON + MLflow)")
    _common(p)
    _args.add_output(p, "report (HTML); the figures go to REPORT.json beside it", metavar="REPORT.html")
    p.add_argument("--subgroup", nargs="+", metavar="COLUMN",
                   help="subgroup columns (default: sex, age_band, histology, preparation)")
    p.add_argument("--threshold", nargs="+", type=float, metavar="T",
                   help="decision thresholds for net benefit (default: the model's threshold)")
    p.add_argument("--no-tracking", action="store_true", help="do not log an MLflow run")
    _args.add_common(p)
    p.set_defaults(func=_cmd_evaluate)


def _evaluation_text(result) -> list[str]:
    m = result.validation.metrics
    o = result.validation.overview
    lines = [f"n = {o['n']}, events = {o['events']} ({o['prevalence']:.1%}), mean predicted {o['mean_predicted']:.1%}"]
    for name in ("auroc", "cal_intercept", "cal_slope", "oe_ratio", "brier"):
        r = m.loc[name]
        lines.append(f"  {name:<14}{r['estimate']:.3f} ({r['lo']:.3f} to {r['hi']:.3f})")
    lines.append(f"  ICI {m.loc['ici', 'estimate']:.3f}, E50 {m.loc['e50', 'estimate']:.3f}, "
                 f"E90 {m.loc['e90', 'estimate']:.3f}")
    lines += [f"{key}: {text}" for key, text in result.validation.verdicts.items()]
    if result.shift.get("message"):
        from rairpredict.scoring.shift import format_summary

        lines.append(format_summary(result.shift))
    return lines


def _cmd_evaluate(args) -> int:
    from rairpredict.cli._console import emit, use_store
    from pathlib import Path

    from rairpredict.cohort.io import check_paths
    from rairpredict.experiment.site import DEFAULT_SUBGROUPS, evaluate_model, write_evaluation

    # before anything is read: the report and its figures must not overwrite an input or each other
    check_paths(inputs={"input": args.input, "cohort config": args.cohort_config, "model": args.model},
                outputs={"report": args.output, "figures": Path(args.output).with_suffix(".json")})
    if not args.no_tracking:
        use_store()
    result = evaluate_model(_model(args), args.input, args.outcome, cohort_config=args.cohort_config,
                            positive=args.positive, negative=args.negative,
                            subgroups=args.subgroup or DEFAULT_SUBGROUPS, thresholds=args.threshold,
                            tracking=not args.no_tracking)
    html, js = write_evaluation(result, args.output)
    lines = _evaluation_text(result) + [f"report: {html}", f"figures: {js}"]
    if result.run_id:
        lines.append(f"MLflow run: {result.run_id}")
    summary = {"report": str(html), "figures": str(js), "mlflow_run_id": result.run_id,
               "verdicts": result.validation.verdicts,
               "metrics": {k: dict(v) for k, v in result.validation.metrics.iterrows()},
               "input_shift": result.shift}
    emit(args, summary, "\n".join(lines))
    return 0


def add_recalibrate(sub) -> None:
    p = sub.add_parser("recalibrate", help="update a model for a local cohort: keep / intercept / recalibration / "
                       "refit chosen by closed testing; registers the update as @candidate")
    _common(p)
    p.add_argument("--method", default="auto", choices=["auto", "keep", "intercept", "recalibration", "refit"],
                   help="auto: closed testing (Vergouwe 2017) picks the least change that fits")
    p.add_argument("--export", metavar="DIR", help="also export the updated model to DIR")
    p.add_argument("--no-register", action="store_true", help="do not register the update in MLflow")
    _args.add_common(p)
    p.set_defaults(func=_cmd_recalibrate)


def _cmd_recalibrate(args) -> int:
    from rairpredict.cli._console import emit, say, use_store
    from rairpredict.experiment.site import recalibrate_model

    if not args.no_register:
        use_store()
    result = recalibrate_model(_model(args), args.input, args.outcome, cohort_config=args.cohort_config,
                               positive=args.positive, negative=args.negative, method=args.method,
                               register=not args.no_register, log=say,
                               parent_ref=args.model or "shipped default model")
    lines = []
    print = lines.append  # noqa: A001 - the lines below form the human summary
    print(f"closed testing (alpha {result.tests['alpha']}): chose {result.chosen_by_test}")
    for t in result.tests["tests"]:
        print(f"  {t['comparison']}: LR {t['lr_statistic']:.2f}, df {t['df']}, p {t['p_value']:.3g}")
    a, b = result.tests["recalibration"]
    print(f"  logistic recalibration on the local cohort: intercept {a:.3f}, slope {b:.3f}")
    ss = result.sample_size
    print(f"local sample: n = {ss['n']}, events = {ss['events']}; a refit needs n >= {ss['required_n']} "
          f"(Riley) -> {'adequate' if ss['adequate'] else 'inadequate'}")
    print(f"update applied: {result.method}" + (f" ({result.note})" if result.note else ""))
    if result.registered:
        print(f"registered {result.registered[0]} version {result.registered[1]} as @candidate "
              f"(parent version {result.model.metadata['parent']['version']} untouched)")
    if args.export:
        from pathlib import Path

        from rairpredict.experiment.train import export_model

        print(f"exported: {export_model(result.model, Path(args.export))}")
    summary = {"method": result.method, "chosen_by_test": result.chosen_by_test, "tests": result.tests,
               "sample_size": result.sample_size, "note": result.note,
               "registered": list(result.registered) if result.registered else None}
    emit(args, summary, "\n".join(lines))
    return 0
