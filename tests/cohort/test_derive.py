"""Tests of rairpredict.cohort.derive (derived contract fields)."""
from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from rairpredict.cohort import derive
from rairpredict.cohort.contract import load_contract
from rairpredict.cohort.derive import add_derived, derive_ajcc8_stage, derive_ata_risk_2015, derive_t_eff_h


def test_doctests():
    assert doctest.testmod(derive).failed == 0


def test_add_derived_covers_every_derived_contract_field():
    out = add_derived(pd.DataFrame({"age_years": [40.0]}))
    assert set(load_contract().derived) <= set(out.columns)
