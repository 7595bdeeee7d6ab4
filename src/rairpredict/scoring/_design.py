"""The engineered matrix a scoring call works on: column names and float64 values, a frame only on demand.

Built by the model's lean plan (:func:`rairpredict.models._plan.plan_of`)
where it applies, else by the fitted pipeline; the routes that need a
DataFrame (a stack's bases, XGBoost's name alignment) get one built from the
same values, so either way the numbers are the pipeline's.

Examples
--------
>>> import numpy as np
>>> d = Design(["a", "b"], np.array([[1.0, np.nan]]))
>>> d.shape, d.frame().columns.tolist(), d.float32().dtype
((1, 2), ['a', 'b'], dtype('float32'))
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from rairpredict.models._plan import plan_of

__all__ = ["Design", "design", "as_design", "feature_source"]


class Design:
    """Columns, values (n, p) float64 and the row index; :meth:`frame` wraps them when a route needs it."""

    __slots__ = ("columns", "_values", "_index", "_frame")

    def __init__(self, columns, values=None, index=None, frame=None):
        self.columns = [str(c) for c in columns]
        self._values, self._index, self._frame = values, index, frame

    @classmethod
    def of_frame(cls, frame: pd.DataFrame) -> "Design":
        return cls(frame.columns, index=frame.index, frame=frame)

    @property
    def values(self) -> np.ndarray:
        if self._values is None:
            self._values = self._frame.to_numpy(np.float64, na_value=np.nan)
        return self._values

    @property
    def index(self) -> pd.Index:
        if self._frame is not None:
            return self._frame.index
        return pd.RangeIndex(len(self)) if self._index is None else self._index

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self), len(self.columns))

    def __len__(self) -> int:
        return len(self._frame) if self._frame is not None else self._values.shape[0]

    def frame(self) -> pd.DataFrame:
        """The values as the pipeline's DataFrame (same columns, index and numbers)."""
        if self._frame is None:
            self._frame = pd.DataFrame(self._values, columns=self.columns, index=self.index)
        return self._frame

    def float32(self) -> np.ndarray:
        """The values as XGBoost reads them (``to_numpy(np.float32)`` of the frame)."""
        if self._frame is not None:
            return self._frame.to_numpy(np.float32, na_value=np.nan)
        return self._values.astype(np.float32)


def design(model, table: pd.DataFrame, arrays=None) -> Design:
    """The engineered matrix of ``table``: the lean plan's where it applies, else ``model.transform``.

    ``arrays``: name -> column array of ``table`` (:class:`~rairpredict.scoring._arrays.Columns`), if read.
    """
    plan = plan_of(model)
    if plan is None:
        return Design.of_frame(model.transform(table))
    return Design(plan.columns, plan.transform(table, arrays), table.index)


def as_design(X) -> Design:
    """A :class:`Design` as is, a DataFrame (``model.transform`` output) wrapped."""
    return X if isinstance(X, Design) else Design.of_frame(X)


def feature_source(model) -> dict[str, str]:
    """Engineered column -> canonical field, from the plan when the model has one (no pipeline built)."""
    plan = plan_of(model)
    return plan.feature_source if plan is not None else model.feature_source
