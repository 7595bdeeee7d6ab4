"""CLI: validate / import (cohort files -> canonical table + rejects)."""
from __future__ import annotations

__all__ = ['add_validate', 'add_import']

def _cohort_file_args(p) -> None:
    p.add_argument("file", help="cohort file (.csv, .tsv, .parquet, .xlsx)")
    p.add_argument("--cohort-config", metavar="CFG",
                   help="YAML cohort config; without it FILE must already be canonical")
    p.add_argument("--rejects", metavar="PATH", help="rejects table (default <stem>.rejects.csv beside the input/output)")


def add_validate(sub) -> None:
    p = sub.add_parser("validate", help="check a cohort file; print a summary and write its rejects")
    _cohort_file_args(p)
    p.set_defaults(func=_cmd_validate)


def add_import(sub) -> None:
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
