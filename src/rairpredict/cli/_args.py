"""Shared command-line arguments: one name per concept in every command.

Every command spells the same thing the same way: ``--input``/``-i`` (the file
read), ``--output``/``-o`` (the file written), ``--model`` (a model reference:
``models:/NAME@ALIAS``, ``runs:/ID/PATH`` or a path), ``--config`` (a target
config), ``--tracking-uri`` (the MLflow store), ``--json`` (a machine-readable
summary on stdout) and ``--verbose`` (third-party logs and bars). Old
spellings stay accepted for one release as hidden aliases: they are not in
``--help`` and print a one-line note naming the new flag.

A required option that has hidden aliases cannot be ``required=True`` in
argparse (the alias would not satisfy it); :func:`check_required` enforces it
after parsing instead, with argparse's own message and exit code 2.

Examples
--------
>>> import argparse
>>> p = argparse.ArgumentParser(prog="demo")
>>> add_input(p, "cohort file", legacy=("--scores",))
>>> add_output(p, "scores file", legacy=("--out",))
>>> args = p.parse_args(["--scores", "s.csv", "-o", "out.csv"])  # doctest: +SKIP
>>> (args.input, args.output)  # doctest: +SKIP
('s.csv', 'out.csv')
"""
from __future__ import annotations

import argparse
import sys

__all__ = ["add_input", "add_output", "add_model", "add_config", "add_tracking_uri", "add_json",
           "add_verbose", "add_common", "add_renamed", "check_required", "resolve_config", "RENAMED_NOTE",
           "add_encoding", "positive_int", "non_negative_int"]

#: Printed (to stderr) when a hidden old spelling is used.
RENAMED_NOTE = "note: {old} is now {new}; the old spelling will be removed in the next release"

_REQUIRED = "_required_options"


class _Renamed(argparse.Action):
    """Store like ``store`` but say that the option has a new name (once per option per process)."""

    _noted: set[str] = set()

    def __init__(self, option_strings, dest, new: str = "", **kwargs):
        self.new = new
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        if option_string not in self._noted:
            self._noted.add(option_string)
            print(RENAMED_NOTE.format(old=option_string, new=self.new), file=sys.stderr)
        setattr(namespace, self.dest, values)


def _add(p, flags: tuple[str, ...], dest: str, help: str, *, required: bool, legacy: tuple[str, ...],
         positional_legacy: bool = False, **kwargs) -> None:
    checked_later = required and bool(legacy or positional_legacy)
    p.add_argument(*flags, dest=dest, required=required and not checked_later,
                   help=f"{help} (required)" if checked_later else help, **kwargs)
    if legacy:
        p.add_argument(*legacy, dest=dest, action=_Renamed, new=flags[0], help=argparse.SUPPRESS,
                       default=argparse.SUPPRESS)
    if positional_legacy:
        # the file was positional before: still accepted (hidden from usage and help)
        p.add_argument(f"_{dest}_positional", nargs="?", default=None, help=argparse.SUPPRESS)
    if checked_later or positional_legacy:
        later = list(p.get_default(_REQUIRED) or [])
        p.set_defaults(**{_REQUIRED: later + [(dest, flags[0], positional_legacy, required)], "_parser": p})


def add_renamed(p, old: str, new: str, dest: str) -> None:
    """Accept the old spelling ``old`` of option ``new`` (hidden from help; prints a note when used)."""
    p.add_argument(old, dest=dest, action=_Renamed, new=new, help=argparse.SUPPRESS, default=argparse.SUPPRESS)


def add_input(p, help: str, *, required: bool = True, legacy: tuple[str, ...] = (),
              positional_legacy: bool = False, metavar: str = "IN") -> None:
    """``--input``/``-i``: the file the command reads."""
    _add(p, ("--input", "-i"), "input", help, required=required, legacy=legacy,
         positional_legacy=positional_legacy, metavar=metavar)


def add_output(p, help: str, *, required: bool = True, legacy: tuple[str, ...] = (), metavar: str = "OUT") -> None:
    """``--output``/``-o``: the file the command writes."""
    _add(p, ("--output", "-o"), "output", help, required=required, legacy=legacy, metavar=metavar)


def add_model(p, help: str | None = None, *, required: bool = False, default: str | None = None) -> None:
    """``--model``: a model reference (registry alias or version, run artifact, or path)."""
    p.add_argument("--model", metavar="MODEL", default=default, required=required,
                   help=help or "models:/NAME@ALIAS, models:/NAME/VERSION, runs:/ID/PATH, a model .zip or a model directory "
                                "(default: the model shipped with the package)")


def add_config(p, help: str | None = None, *, required: bool = True) -> None:
    """``--config``: a target config YAML (a path, or the name of a shipped config such as ``rair``)."""
    p.add_argument("--config", metavar="CFG", required=required,
                   help=help or "target config: a YAML path, or the name of a shipped config "
                                "(rair, unexpected_uptake, second_course)")


def add_tracking_uri(p) -> None:
    """``--tracking-uri``: the MLflow store (default ``MLFLOW_TRACKING_URI``, else the package home)."""
    p.add_argument("--tracking-uri", metavar="URI", default=None,
                   help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else mlflow.db in the "
                        "rairpredict home, $RAIRPREDICT_HOME or ~/.local/share/rairpredict)")


def add_json(p) -> None:
    """``--json``: print one JSON object summarising the result on stdout (and nothing else there)."""
    p.add_argument("--json", action="store_true", help="print a machine-readable JSON summary on stdout")


def add_verbose(p) -> None:
    """``--verbose``/``-v``: show third-party logs, warnings and download bars."""
    p.add_argument("--verbose", "-v", action="store_true",
                   help="show third-party logs, warnings and progress bars (hidden by default)")


def add_common(p, *, tracking: bool = True) -> None:
    """``--json``, ``--verbose`` and (if the command touches the store) ``--tracking-uri``."""
    if tracking:
        add_tracking_uri(p)
    add_json(p)
    add_verbose(p)


def check_required(args) -> None:
    """Exit 2 with argparse's message when a required option given only by its aliases is missing."""
    for dest, flag, positional, required in getattr(args, _REQUIRED, None) or ():
        if positional and getattr(args, dest, None) is None:
            setattr(args, dest, getattr(args, f"_{dest}_positional", None))
        elif positional and getattr(args, f"_{dest}_positional", None) is not None:
            args._parser.error(f"give the file once: {flag} {getattr(args, dest)} or the positional "
                               f"{getattr(args, f'_{dest}_positional')}, not both")
        if required and getattr(args, dest, None) is None:
            args._parser.error(f"the following arguments are required: {flag}")


def resolve_config(value: str):
    """A target config path, or the shipped config of that name (``rair`` -> the packaged ``rair.yaml``)."""
    from pathlib import Path

    from rairpredict.resources import target_config_path

    path = Path(value)
    if not path.exists() and path.suffix == "" and len(path.parts) == 1:
        shipped = target_config_path(value)
        if shipped.exists():
            return shipped
    return path


def _int_at_least(low: int):
    """An argparse ``type``: a whole number >= ``low``; anything else is a usage error (exit 2).

    >>> positive_int("3"), non_negative_int("0")
    (3, 0)
    >>> positive_int("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a whole number >= 1, got '0'
    """
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {low}, got {text!r}")
        return value

    parse.__name__ = f"integer >= {low}"  # argparse names the type in some messages
    return parse


#: ``--jobs``, ``--chunk-size``: 1, 2, ...
positive_int = _int_at_least(1)
#: ``--explain``: 0, 1, ...
non_negative_int = _int_at_least(0)
positive_int.__doc__ = _int_at_least.__doc__


def add_encoding(p) -> None:
    """``--encoding``: the text encoding of a CSV input (default: detected)."""
    p.add_argument("--encoding", metavar="ENC", default=None,
                   help="text encoding of a CSV input (default: the cohort config's, else detected: UTF-8 with or "
                        "without BOM, UTF-16/32 with BOM, else cp1252 with a note); e.g. utf-8, cp1252, latin-1")
