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
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except RairpredictError as exc:
        print(f"rairpredict {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
