"""Command-line interface: a thin layer over the public Python API.

One module per group of sub-commands (``cli/<group>.py``); each public
``add_<command>(sub)`` registers a parser whose ``func`` runs the command.
A command that writes files calls :func:`rairpredict.cohort.io.check_paths`
with its inputs and outputs before reading anything (tested for every command).
Modules import only :mod:`argparse` at the top, so ``rairpredict --help`` stays
fast; the work is imported inside each command.

Exit codes: 0 done; 1 a data problem (a file whose content cannot be used);
2 a usage mistake (options, paths, configuration; argparse's own errors too);
130 Ctrl-C, 143 SIGTERM. A user mistake
(:class:`rairpredict.errors.RairpredictError`) is one line on stderr,
``rairpredict COMMAND: error: ...``; anything else is a bug and keeps its
traceback. Output piped into a closed pipe (``rairpredict import ... | head``)
is dropped quietly: the command still finishes its work.
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import signal
import sys
import threading

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
    parser = argparse.ArgumentParser(
        prog="rairpredict", description=__doc__.splitlines()[0],
        epilog="exit codes: 0 done; 1 a data problem (a file whose content cannot be used); 2 a usage mistake "
               "(options, paths, configuration); 130 Ctrl-C; 143 SIGTERM. Errors are one line on stderr.")
    parser.add_argument("--version", action="version", version=f"rairpredict {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in _command_adders().values():
        add(sub)
    return parser


class _QuietPipe:
    """stdout that drops its output once the reader went away (``| head``), so the work still finishes."""

    def __init__(self, stream):
        self._stream, self._closed = stream, False

    def _quiet(self) -> None:
        self._closed = True
        try:  # later writes, and the interpreter's final flush, go nowhere
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, AttributeError, ValueError):
            pass

    def write(self, text):
        if not self._closed:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._quiet()
        return len(text)

    def flush(self):
        if not self._closed:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._quiet()

    def __getattr__(self, name):
        return getattr(self._stream, name)


#: Seconds the clean-up after SIGTERM may take before the process ends regardless.
SIGTERM_GRACE = 15


def _sigterm_raises(signum, frame):
    # Once: a second SIGTERM must not interrupt the clean-up the first one started.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # A clean-up stuck in native code must not keep a stopped job alive: temporary files
    # are anonymous and workers die with this process, so a hard exit loses nothing.
    watchdog = threading.Timer(SIGTERM_GRACE, os._exit, args=(128 + signum,))
    watchdog.daemon = True
    watchdog.start()
    raise SystemExit(128 + signum)


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
    stdout, sys.stdout = sys.stdout, _QuietPipe(sys.stdout)
    # SIGTERM (a scheduler stopping the job) unwinds like Ctrl-C: temporary files
    # removed, worker processes ended; only over the default action, main thread only.
    own_sigterm = (threading.current_thread() is threading.main_thread()
                   and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)
    if own_sigterm:
        signal.signal(signal.SIGTERM, _sigterm_raises)
    try:
        with _console.warnings_once(verbose):
            return int(args.func(args) or 0)
    except RairpredictError as exc:
        print(f"rairpredict {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"rairpredict {args.command}: interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:
        if exc.code == 128 + signal.SIGTERM:
            print(f"rairpredict {args.command}: stopped by SIGTERM", file=sys.stderr)
        raise
    except BrokenPipeError:  # a closed pipe other than stdout's (that one is _QuietPipe's)
        return 128 + signal.SIGPIPE
    finally:
        if own_sigterm:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            sys.stdout.flush()
        finally:
            sys.stdout = stdout


if __name__ == "__main__":
    sys.exit(main())
