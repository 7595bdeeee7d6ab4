"""Exception types for user mistakes (bad files, configs, arguments).

The CLI prints a :class:`RairpredictError` as one line and exits with the
error's ``exit_code``; any other exception is a bug and keeps its traceback.

==========  ==============================================================
exit code   meaning
==========  ==============================================================
0           done
1           a data problem: a cohort, scores or model file whose *content*
            cannot be used (:class:`CohortFileError`, :class:`ContractError`)
2           a usage mistake: command-line options, paths (a missing input,
            an output that would overwrite an input or cannot be written),
            configuration files (:class:`UsageError`, :class:`ConfigError`,
            :class:`LeakageError`); argparse uses 2 too
130 / 143   stopped by Ctrl-C / SIGTERM (nothing written)
==========  ==============================================================
"""
from __future__ import annotations

__all__ = ["RairpredictError", "UsageError", "ContractError", "CohortFileError", "ConfigError", "LeakageError",
           "EXIT_DATA", "EXIT_USAGE"]

#: Exit status of a data problem.
EXIT_DATA = 1
#: Exit status of a usage mistake (the value argparse uses).
EXIT_USAGE = 2


class RairpredictError(Exception):
    """Base class of errors caused by user input; printed as one line."""

    exit_code = EXIT_DATA


class UsageError(RairpredictError):
    """The command was called wrongly: an option value, an input or output path."""

    exit_code = EXIT_USAGE


class ContractError(RairpredictError):
    """Data does not satisfy the canonical data contract."""


class CohortFileError(RairpredictError):
    """A cohort file cannot be read as a whole (file-level problem).

    ``usage=True`` marks a problem of the path given rather than of the
    file's content (it does not exist, it is a directory): exit code 2.
    """

    def __init__(self, file, rule: str, column: str | None = None, row: int | None = None, *,
                 usage: bool = False):
        parts = [f"{file}"]
        if column is not None:
            parts.append(f"column {column!r}")
        if row is not None:
            parts.append(f"row {row}")
        super().__init__(": ".join([", ".join(parts), rule]))
        self.file, self.column, self.row, self.rule = file, column, row, rule
        if usage:
            self.exit_code = EXIT_USAGE


class ConfigError(RairpredictError):
    """A YAML configuration is invalid."""

    exit_code = EXIT_USAGE


class LeakageError(RairpredictError):
    """A feature is not available at the model's decision point."""

    exit_code = EXIT_USAGE
