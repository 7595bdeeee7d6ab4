"""CLI: report / model-card (clinician risk review HTML; TRIPOD+AI model card)."""
from __future__ import annotations

__all__ = ['add_report', 'add_model_card']

def _model_ref_args(p) -> None:
    p.add_argument("--model", metavar="MODEL", default=None,
                   help="models:/NAME@ALIAS, models:/NAME/VERSION, runs:/ID/PATH or a RiskModel .joblib path "
                        "(default: models/rair.joblib)")
    p.add_argument("--tracking-uri", metavar="URI", help="MLflow tracking URI (default: MLFLOW_TRACKING_URI "
                   "or the repository's mlflow.db)")


def _load_report_model(args, *, tracking: bool = False):
    from rairpredict.scoring import load_model_ref

    if tracking or ":/" in str(args.model) or args.tracking_uri:
        from rairpredict.resources import home
        from rairpredict.tracking import configure_tracking

        configure_tracking(args.tracking_uri, repo_root=home())
    return load_model_ref(args.model)


def add_report(sub) -> None:
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


def add_model_card(sub) -> None:
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
