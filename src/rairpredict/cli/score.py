"""CLI: score (batch scoring with reasons; rejects beside OUT)."""
from __future__ import annotations

__all__ = ['add_score']

def add_score(sub) -> None:
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
    p.add_argument("--strict-inputs", action="store_true",
                   help="refuse to score when a model input is absent or entirely missing (default: warn)")
    p.add_argument("--report", metavar="HTML", help="also write the clinician risk review (self-contained HTML); "
                   "implies --with-inputs and at least --explain 3")
    p.set_defaults(func=_cmd_score)


def _cmd_score(args) -> int:
    from rairpredict.scoring import load_model_ref, score_file

    model = load_model_ref(args.model)  # once: the review reuses it
    explain = max(args.explain, 3) if args.report else args.explain
    s = score_file(model, args.input, args.output, explain=explain, cohort_config=args.cohort_config,
                   chunk_size=args.chunk_size, with_inputs=args.with_inputs or bool(args.report),
                   check_duplicates=args.check_duplicates, jobs=args.jobs,
                   strict_inputs=args.strict_inputs)
    print(f"scores: {s.output}\nrejects: {s.rejects}\ninput shift: {s.input_shift_path}")
    if args.report:
        from rairpredict.cohort.io import read_table
        from rairpredict.report import write_review

        path = write_review(args.report, read_table(s.output), model)
        print(f"review: {path}")
    return 0
