"""Outcome labels computed from the canonical table.

Each ``label_*`` function takes the canonical table and returns a DataFrame on
the same index with the label (pandas "boolean" or category; NA = unknown)
and a human-readable reason per row.  Thresholds are keyword parameters whose
defaults are read from :mod:`rairpredict.reference.clinical` at call time.
``LABELS`` maps the names used by training configs to (function, column,
description).

Examples
--------
>>> import pandas as pd
>>> from rairpredict.labels import LABELS
>>> spec = LABELS["rair"]
>>> spec.function(pd.DataFrame({"lesions_without_uptake": [1]}))[spec.column].tolist()
[True]
"""
from rairpredict.labels._rair import label_rair
from rairpredict.labels._registry import (LABELS, LabelSpec, add_labels, label_recurred,
                                          label_structural_incomplete)
from rairpredict.labels._response import ATA_RESPONSES, label_ata_response
from rairpredict.labels._second_course import label_second_course_benefit
from rairpredict.labels._uptake import label_unexpected_uptake

__all__ = [
    "label_rair",
    "label_ata_response",
    "label_unexpected_uptake",
    "label_second_course_benefit",
    "label_structural_incomplete",
    "label_recurred",
    "add_labels",
    "LABELS",
    "LabelSpec",
    "ATA_RESPONSES",
]
