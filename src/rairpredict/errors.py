"""Exception types for user mistakes (bad files, configs, arguments).

The CLI prints a :class:`RairpredictError` as one line and exits with status 2;
any other exception is a bug and keeps its traceback.
"""
from __future__ import annotations

__all__ = ["RairpredictError", "ContractError", "CohortFileError", "ConfigError", "LeakageError"]


class RairpredictError(Exception):
    """Base class of errors caused by user input; printed as one line."""


class ContractError(RairpredictError):
    """Data does not satisfy the canonical data contract."""


class CohortFileError(RairpredictError):
    """A cohort file cannot be read as a whole (file-level problem)."""

    def __init__(self, file, rule: str, column: str | None = None, row: int | None = None):
        parts = [f"{file}"]
        if column is not None:
            parts.append(f"column {column!r}")
        if row is not None:
            parts.append(f"row {row}")
        super().__init__(": ".join([", ".join(parts), rule]))
        self.file, self.column, self.row, self.rule = file, column, row, rule


class ConfigError(RairpredictError):
    """A YAML configuration is invalid."""


class LeakageError(RairpredictError):
    """A feature is not available at the model's decision point."""
