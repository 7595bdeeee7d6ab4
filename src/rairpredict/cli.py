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
