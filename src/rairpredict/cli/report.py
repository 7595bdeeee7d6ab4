"""CLI: report / model-card (clinician risk review HTML; TRIPOD+AI model card)."""
from __future__ import annotations

from rairpredict.cli import _args

__all__ = ['add_report', 'add_model_card']


def add_report(sub) -> None:
    p = sub.add_parser("report", help="clinician risk review: one self-contained HTML file from a scores table")
    _args.add_input(p, "scores table: the output of `rairpredict score` (.parquet/.csv)", legacy=("--scores",),
                    metavar="SCORES")
    _args.add_model(p)
    _args.add_output(p, "review file to write (.html)", legacy=("--out",), metavar="HTML")
    p.add_argument("--title", help="page title (default: from the model name)")
    _args.add_common(p)
    p.set_defaults(func=_cmd_report)


def _cmd_report(args) -> int:
    from rairpredict.cli._console import emit
    from rairpredict.cli.score import load_model_arg
    from rairpredict.cohort import read_table
    from rairpredict.cohort.io import check_paths
    from rairpredict.report import write_review

    check_paths(inputs={"scores": args.input, "model": args.model}, outputs={"review": args.output})
    model = load_model_arg(args)
    scores = read_table(args.input)
    path = write_review(args.output, scores, model, title=args.title)
    emit(args, {"review": str(path), "patients": len(scores)},
         f"review: {path} ({len(scores)} patient{'s' if len(scores) != 1 else ''})")
    return 0


def add_model_card(sub) -> None:
    p = sub.add_parser("model-card", help="TRIPOD+AI model card (Markdown and/or HTML) of a model")
    _args.add_model(p)
    _args.add_output(p, "Markdown card (default: print to stdout)", required=False, legacy=("--out",),
                     metavar="MD")
    p.add_argument("--html", metavar="HTML", help="HTML card")
    p.add_argument("--input-shift", metavar="JSON",
                   help="input-shift summary of a batch scored at a site (<OUT>.input_shift.json written by "
                        "`rairpredict score`): shown as a banner and a section of the card")
    _args.add_common(p)
    p.set_defaults(func=_cmd_model_card)


def _read_shift(path) -> dict | None:
    """The ``<OUT>.input_shift.json`` summary, or a one-line error naming the file and what is wrong."""
    import json
    from pathlib import Path

    from rairpredict.errors import UsageError

    if path is None:
        return None
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not an input-shift summary ({exc}); give the <OUT>.input_shift.json file "
                        "that `rairpredict score` wrote beside its output") from None
    if not isinstance(doc, dict) or not {"n_rows", "message", "inputs"} <= set(doc):
        raise UsageError(f"{path}: not an input-shift summary (keys n_rows, message, inputs expected); give the "
                        "<OUT>.input_shift.json file that `rairpredict score` wrote beside its output")
    return doc


def _cmd_model_card(args) -> int:
    from rairpredict.cli._console import emit, use_store
    from rairpredict.cli.score import load_model_arg
    from rairpredict.cohort.io import check_paths
    from rairpredict.report import render_model_card, write_model_card

    check_paths(inputs={"model": args.model, "input-shift summary": args.input_shift},
                outputs={"card": args.output, "HTML card": args.html})
    shift = _read_shift(args.input_shift)
    use_store()  # the card reads the model's MLflow run and its external validations
    model = load_model_arg(args)
    if args.output is None and args.html is None:
        print(render_model_card(model, shift=shift), end="")
        return 0
    paths = [str(p) for p in write_model_card(model, args.output, args.html, shift=shift)]
    emit(args, {"model_card": paths}, "\n".join(f"model card: {p}" for p in paths))
    return 0
