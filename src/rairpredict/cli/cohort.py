"""CLI: validate / import (cohort files -> canonical table + rejects + warnings).

Both exit 1 when no row is accepted (the summary says why), 2 on a file or
config mistake, 0 otherwise.
"""
from __future__ import annotations

__all__ = ['add_validate', 'add_import']


def _cohort_file_args(p) -> None:
    p.add_argument("file", nargs="?",
                   help="cohort file (.csv, .tsv, .parquet, .xlsx); optional when the cohort config has 'path:'")
    p.add_argument("--cohort-config", metavar="CFG",
                   help="YAML cohort config; without it FILE must already be canonical")
    p.add_argument("--rejects", metavar="PATH",
                   help="rejects table (default <stem>.rejects.csv beside the input/output); values set missing "
                        "go to <rejects stem>.warnings.csv beside it")


def add_validate(sub) -> None:
    p = sub.add_parser("validate", help="check a cohort file; print a summary and write its rejects and warnings")
    _cohort_file_args(p)
    p.set_defaults(func=_cmd_validate)


def add_import(sub) -> None:
    p = sub.add_parser("import", help="import a cohort file into the canonical table (+ rejects and warnings)")
    _cohort_file_args(p)
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="canonical table (.parquet or .csv)")
    p.set_defaults(func=_cmd_import)


def _write_issues(result, rejects, beside) -> None:
    from pathlib import Path

    from rairpredict.cohort import write_table

    path = Path(rejects) if rejects else Path(beside).with_name(Path(beside).stem + ".rejects.csv")
    write_table(result.rejects, path)
    print(f"rejects: {path}")
    if len(result.warnings):
        stem = path.stem.removesuffix(".rejects")
        warnings = path.with_name(f"{stem}.warnings{path.suffix}")
        write_table(result.warnings, warnings)
        print(f"warnings (values set missing, patients kept): {warnings}")


def _nothing_accepted(result) -> int:
    import sys

    if len(result.table):
        return 0
    print(f"no row accepted ({result.n_in} rows in): see the reject reasons above", file=sys.stderr)
    return 1


def _import(args, derive: bool):
    from rairpredict.cohort import import_cohort

    if args.file is None and args.cohort_config is None:
        from rairpredict.errors import RairpredictError

        raise RairpredictError("give a cohort FILE, or --cohort-config with 'path:'")
    return import_cohort(args.file, args.cohort_config, derive=derive)


def _cmd_validate(args) -> int:
    result = _import(args, derive=False)
    print(result.summary())
    _write_issues(result, args.rejects, args.file or result.file)
    return _nothing_accepted(result)


def _cmd_import(args) -> int:
    from rairpredict.cohort import write_table

    result = _import(args, derive=True)
    print(result.summary())
    if not len(result.table):
        _write_issues(result, args.rejects, args.output)
        return _nothing_accepted(result)
    print(f"canonical table: {write_table(result.table, args.output)}")
    _write_issues(result, args.rejects, args.output)
    return 0
