"""Command-line interface: a thin layer over the public Python API.

One module per group of sub-commands (``cli/<group>.py``); each public
``add_<command>(sub)`` registers a parser whose ``func`` runs the command.
Modules import only :mod:`argparse` at the top, so ``rairpredict --help`` stays
fast; the work is imported inside each command. User mistakes
(:class:`rairpredict.errors.RairpredictError`) print one line and exit 2;
anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from rairpredict import __version__
from rairpredict.errors import RairpredictError

__all__ = ["main", "build_parser"]


def _command_adders():
    """Every ``add_<command>`` of every public module of this package, by command name."""
    adders = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name in getattr(module, "__all__", ()):
            if name.startswith("add_"):
                adders[name.removeprefix("add_")] = getattr(module, name)
    return dict(sorted(adders.items()))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rairpredict", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"rairpredict {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in _command_adders().values():
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from rairpredict.cli import _args, _console

    parser = build_parser()
    args = parser.parse_args(argv)
    _args.check_required(args)
    verbose = getattr(args, "verbose", False)
    # third-party logs and bars only with --verbose; the CLI prints its own summary
    _console.quiet(verbose, json_output=getattr(args, "json", False))
    if getattr(args, "tracking_uri", None):  # wins over the environment for every part of this process
        os.environ["MLFLOW_TRACKING_URI"] = args.tracking_uri
    try:
        with _console.warnings_once(verbose):
            return int(args.func(args) or 0)
    except RairpredictError as exc:
        print(f"rairpredict {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
