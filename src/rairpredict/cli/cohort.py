"""CLI: validate / import (cohort files -> canonical table + rejects + warnings).

Both exit 1 when no row is accepted (the summary says why) or on a data
problem in the file, 2 on a usage or config mistake, 0 otherwise.
"""
from __future__ import annotations

from rairpredict.cli import _args

__all__ = ['add_validate', 'add_import']


def _cohort_file_args(p) -> None:
    _args.add_input(p, "cohort file (.csv, .tsv, .parquet, .xlsx); optional when the cohort config has 'path:'",
                    required=False, positional_legacy=True, legacy=("--file",))
    p.add_argument("--cohort-config", metavar="CFG",
                   help="YAML cohort config; without it IN must already be canonical")
    p.add_argument("--rejects", metavar="PATH",
                   help="rejects table (default <stem>.rejects.csv beside the input/output); values set missing "
                        "go to <rejects stem>.warnings.csv beside it")
    _args.add_encoding(p)
    _args.add_common(p)


def add_validate(sub) -> None:
    p = sub.add_parser("validate", help="check a cohort file; print a summary and write its rejects and warnings")
    _cohort_file_args(p)
    p.set_defaults(func=_cmd_validate)


def add_import(sub) -> None:
    p = sub.add_parser("import", help="import a cohort file into the canonical table (+ rejects and warnings)")
    _cohort_file_args(p)
    _args.add_output(p, "canonical table (.parquet or .csv)")
    p.set_defaults(func=_cmd_import)


def _issue_paths(rejects, beside):
    """(rejects, warnings) paths: --rejects, else <stem>.rejects.csv beside ``beside``; warnings beside the rejects."""
    from pathlib import Path

    path = Path(rejects) if rejects else Path(beside).with_name(Path(beside).stem + ".rejects.csv")
    return path, path.with_name(f"{path.stem.removesuffix('.rejects')}.warnings{path.suffix}")


def _write_issues(result, rejects, beside) -> dict:
    """Write the rejects (and warnings, if any); return their paths by kind."""
    from rairpredict.cohort import write_table

    path, warnings = _issue_paths(rejects, beside)
    write_table(result.rejects, path)
    out = {"rejects": path}
    if len(result.warnings):
        write_table(result.warnings, warnings)
        out["warnings"] = warnings
    return out


def _issue_lines(paths: dict) -> list[str]:
    lines = [f"rejects: {paths['rejects']}"]
    if "warnings" in paths:
        lines.append(f"warnings (values set missing, patients kept): {paths['warnings']}")
    return lines


def _summary(result, paths: dict) -> dict:
    """Aggregates only (no rows, no identifiers), for ``--json``."""
    return {"input": str(result.file), "cohort": result.cohort, "rows_in": int(result.n_in),
            "rows_accepted": int(len(result.table)), "rows_rejected": result.n_rejected,
            "reject_reasons": int(len(result.rejects)), "warnings": int(len(result.warnings)),
            "flags": int(len(result.flags)), **{k: str(v) for k, v in paths.items()}}


def _nothing_accepted(result) -> int:
    import sys

    if len(result.table):
        return 0
    print(f"no row accepted ({result.n_in} rows in): see the reject reasons above", file=sys.stderr)
    return 1


def _import(args, derive: bool, output=None):
    from rairpredict.cohort import import_cohort, load_cohort_config
    from rairpredict.cohort.io import check_paths

    if args.input is None and args.cohort_config is None:
        from rairpredict.errors import UsageError

        raise UsageError("give a cohort file (--input FILE), or --cohort-config with 'path:'")
    config = load_cohort_config(args.cohort_config) if args.cohort_config else None
    src = args.input or config.path
    rejects, warnings = _issue_paths(args.rejects, output or src or "cohort")
    # before anything is read: no output may overwrite the input, the config or each other
    check_paths(inputs={"input": src, "cohort config": args.cohort_config},
                outputs={"canonical table": output, "rejects": rejects, "warnings": warnings})
    return import_cohort(args.input, config, derive=derive, encoding=args.encoding)


def _cmd_validate(args) -> int:
    from rairpredict.cli._console import emit

    result = _import(args, derive=False)
    paths = _write_issues(result, args.rejects, args.input or result.file)
    emit(args, _summary(result, paths), "\n".join([result.summary(), *_issue_lines(paths)]))
    return _nothing_accepted(result)


def _cmd_import(args) -> int:
    from rairpredict.cli._console import emit
    from rairpredict.cohort import write_table

    result = _import(args, derive=True, output=args.output)
    if not len(result.table):
        paths = _write_issues(result, args.rejects, args.output)
        emit(args, _summary(result, paths), "\n".join([result.summary(), *_issue_lines(paths)]))
        return _nothing_accepted(result)
    out = write_table(result.table, args.output)
    paths = {"output": out, **_write_issues(result, args.rejects, args.output)}
    emit(args, _summary(result, paths),
         "\n".join([result.summary(), f"canonical table: {out}", *_issue_lines(paths)]))
    return 0
