"""CLI: score (batch scoring with reasons; rejects beside OUT)."""
from __future__ import annotations

from rairpredict.cli import _args

__all__ = ['add_score']


def add_score(sub) -> None:
    p = sub.add_parser("score", help="score a cohort file: calibrated risk, band and top-K reasons")
    _args.add_model(p)
    _args.add_input(p, "cohort file (.csv or .parquet)")
    _args.add_output(p, "scores (.parquet or .csv)")
    p.add_argument("--explain", type=_args.non_negative_int, default=0, metavar="K", help="top K reasons per patient (0: none)")
    p.add_argument("--cohort-config", metavar="CFG", help="YAML cohort config mapping IN onto the contract")
    p.add_argument("--chunk-size", type=_args.positive_int, default=100_000, metavar="N", help="rows per chunk (memory bound)")
    p.add_argument("--with-inputs", action="store_true", help="also write every model input as input__<field>")
    p.add_argument("--check-duplicates", action="store_true",
                   help="reject patient_id repeated across chunks (keeps all ids in memory)")
    p.add_argument("--jobs", "-j", type=_args.positive_int, default=1, metavar="N",
                   help="worker processes scoring chunks (same output; memory grows with N x chunk size)")
    p.add_argument("--strict-inputs", action="store_true",
                   help="refuse to score when a model input is absent or entirely missing (default: warn)")
    p.add_argument("--report", metavar="HTML", help="also write the clinician risk review (self-contained HTML); "
                   "implies --with-inputs and at least --explain 3")
    _args.add_encoding(p)
    _args.add_common(p)
    p.set_defaults(func=_cmd_score)


def load_model_arg(args):
    """The model of ``--model``; a registry or run reference opens the store (printed once)."""
    from rairpredict.errors import ConfigError, RairpredictError
    from rairpredict.scoring import load_model_ref

    if args.model and ":/" in str(args.model):
        from rairpredict.cli._console import use_store

        use_store()
    try:
        return load_model_ref(args.model)
    except RairpredictError as exc:
        ref = str(args.model or "")
        if ref.startswith("models:/") and "@" in ref and "alias" in str(exc).lower():
            name, alias = ref.removeprefix("models:/").split("@", 1)
            target = name.removeprefix("rairpredict-")
            raise ConfigError(f"{exc}; give a registered model that alias first, e.g. "
                            f"`rairpredict promote --target {target}` after `rairpredict train` or "
                            f"`rairpredict demo` (or `rairpredict demo --promote`)") from None
        raise


def _cmd_score(args) -> int:
    from rairpredict.cli._console import emit
    from rairpredict.cohort.io import check_paths
    from rairpredict.scoring import rejects_path, score_file
    from rairpredict.scoring.shift import summary_path

    # before anything is read: no output may overwrite an input or another output
    check_paths(inputs={"input": args.input, "cohort config": args.cohort_config, "model": args.model},
                outputs={"scores": args.output, "rejects": rejects_path(args.output),
                         "input-shift summary": summary_path(args.output), "report": args.report})
    model = load_model_arg(args)  # once: the review reuses it
    explain = max(args.explain, 3) if args.report else args.explain
    lines: list[str] = []  # the library's summary lines (row accounting, input shift), printed with ours
    s = score_file(model, args.input, args.output, explain=explain, cohort_config=args.cohort_config,
                   chunk_size=args.chunk_size, with_inputs=args.with_inputs or bool(args.report),
                   check_duplicates=args.check_duplicates, jobs=args.jobs,
                   strict_inputs=args.strict_inputs, report=lines.append, encoding=args.encoding,
                   progress=None if not args.json else False)
    summary = {"rows_in": s.rows_in, "rows_scored": s.rows_scored, "rows_rejected": s.rows_rejected,
               "seconds": round(s.seconds, 2), "output": str(s.output), "rejects": str(s.rejects),
               "input_shift_file": str(s.input_shift_path) if s.input_shift_path else None,
               "input_shift": s.input_shift}
    text = "\n".join([*lines, f"scores: {s.output}", f"rejects: {s.rejects}",
                      f"input shift: {s.input_shift_path}"])
    if args.report:
        from rairpredict.cohort.io import read_table
        from rairpredict.report import write_review

        path = write_review(args.report, read_table(s.output), model)
        summary["review"] = str(path)
        text += f"\nreview: {path}"
    emit(args, summary, text)
    return 0
