"""All labels at once, and the name -> label registry used by training configs."""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
import pandas as pd

from rairpredict.cohort.derive import col_tri, to_boolean
from rairpredict.labels._rair import label_rair
from rairpredict.labels._response import label_ata_response
from rairpredict.labels._second_course import label_second_course_benefit
from rairpredict.labels._uptake import label_unexpected_uptake

__all__ = ["add_labels", "label_structural_incomplete", "label_recurred", "LABELS", "LabelSpec"]


def label_structural_incomplete(table: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """``structural_incomplete`` ("boolean"): ATA response is structural incomplete.

    NA where the ATA response is NA. Keyword arguments go to
    :func:`label_ata_response`.
    """
    resp = label_ata_response(table, **kwargs)
    cat = resp["ata_response"]
    tri = np.where(cat.isna().to_numpy(), np.nan, (cat == "structural_incomplete").to_numpy(dtype=float))
    resp["structural_incomplete"] = to_boolean(tri)
    return resp


def label_recurred(table: pd.DataFrame) -> pd.DataFrame:
    """``recurred`` ("boolean") as reported by the source; NA stays NA."""
    out = pd.DataFrame(index=table.index)
    out["recurred"] = to_boolean(col_tri(table, "recurred"))
    return out


class LabelSpec(NamedTuple):
    """A named prediction target: function, its label column, description."""

    function: Callable[..., pd.DataFrame]
    column: str
    description: str


LABELS: dict[str, LabelSpec] = {
    "rair": LabelSpec(label_rair, "rair", "RAI-refractory by Study B's five criteria (seed 001)"),
    "unexpected_uptake": LabelSpec(label_unexpected_uptake, "unexpected_uptake",
                                   "high pre-therapy uptake not confirmed on the post-therapy scan, low 48 h dose rate, "
                                   "no early reactions (Study A)"),
    "second_course_benefit": LabelSpec(label_second_course_benefit, "second_course_benefit",
                                       "benefit of a repeat RAI course (Study C)"),
    "ata_response_structural_incomplete": LabelSpec(
        label_structural_incomplete, "structural_incomplete",
        "ATA 2015 response to therapy is structural incomplete"),
    "recurred": LabelSpec(label_recurred, "recurred", "recurrence during follow-up as reported"),
}


def add_labels(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` plus every label column (rair, ATA response, uptake, benefit).

    Label columns already present in ``table`` (except ``recurred``, which is
    an input) are replaced.

    Examples
    --------
    >>> import pandas as pd
    >>> out = add_labels(pd.DataFrame({"imaging_fu": ["structural"]}))
    >>> out["structural_incomplete"].tolist(), out["rair"].tolist()
    ([True], [<NA>])
    """
    parts = [label_rair(table), label_structural_incomplete(table),
             label_unexpected_uptake(table), label_second_course_benefit(table)]
    new = pd.concat(parts, axis=1)
    return pd.concat([table.drop(columns=[c for c in new.columns if c in table]), new], axis=1)
