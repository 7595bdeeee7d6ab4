"""Public API of rairpredict.labels: registry, add_labels, doctests."""
from __future__ import annotations

import doctest

import pandas as pd
import pytest

import rairpredict.labels as labels
from rairpredict.labels import _rair, _registry, _response, _second_course, _uptake


@pytest.mark.parametrize("module", [labels, _rair, _registry, _response, _second_course, _uptake])
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


def test_registry_keys():
    assert set(labels.LABELS) == {"rair", "unexpected_uptake", "second_course_benefit",
                                  "ata_response_structural_incomplete", "recurred"}
