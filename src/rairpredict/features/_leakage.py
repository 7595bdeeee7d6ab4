"""Leakage guard: a model may only see fields known at its decision point.

The contract gives every canonical field the care-pathway stage at which its
value exists (``contract.yaml``). A pre-therapy model that sees the 48 h dose
rate, or a follow-up outcome, would look excellent in validation and be useless
(or dangerous) in the clinic, so this check refuses such features up front.

Examples
--------
>>> from rairpredict.features import check_leakage
>>> check_leakage(["age_years", "tg_stim_ng_ml"], "pre_therapy")
['age_years', 'tg_stim_ng_ml']
>>> check_leakage(["dose_rate_48h_usv_h"], "pre_therapy")
Traceback (most recent call last):
...
rairpredict.errors.LeakageError: feature 'dose_rate_48h_usv_h' (stage early_therapy) is not available at decision point pre_therapy
"""
from __future__ import annotations

import difflib

from rairpredict.cohort.contract import Contract, load_contract
from rairpredict.errors import ConfigError, LeakageError

__all__ = ["check_leakage"]

_IDENTIFIER = "patient_id"


def check_leakage(features, decision_point: str, contract: Contract | None = None) -> list[str]:
    """Check that every feature exists in the contract and is known at ``decision_point``.

    Parameters
    ----------
    features : iterable of str
        Canonical column names proposed as model inputs.
    decision_point : str
        Contract stage at which the model is used (e.g. ``"pre_therapy"``).
    contract : Contract, optional
        Defaults to the packaged contract. Pass a cohort's schema
        (``CohortConfig.schema`` or ``schema_of(table)``) so its extra columns
        are checked against their declared stages.

    Returns
    -------
    list of str
        ``features`` as a list, unchanged, when all are allowed.

    Raises
    ------
    LeakageError
        A feature's stage comes after ``decision_point``, or it is an oracle
        column (simulator truth) or the patient identifier.
    ConfigError
        ``decision_point`` is not a stage, or a name is not a contract field
        (the message lists close matches).
    """
    contract = load_contract() if contract is None else contract
    if decision_point not in contract.stages:
        raise ConfigError(f"unknown decision point {decision_point!r}; expected one of {list(contract.stages)}")
    cut = contract.stage_index(decision_point)
    features = [str(f) for f in features]
    for name in features:
        if contract.is_oracle(name):
            raise LeakageError(f"feature {name!r} is an oracle column (simulated truth), never a model input")
        if name == _IDENTIFIER:
            raise LeakageError(f"feature {name!r} is the patient identifier, never a model input")
        if name not in contract:
            close = difflib.get_close_matches(name, contract.names, n=3, cutoff=0.6)
            hint = (f"; did you mean {', '.join(repr(c) for c in close)}?" if close else
                    "; a column of your own must be declared under 'extra:' in the cohort config, with its stage")
            raise ConfigError(f"feature {name!r} is not a contract field{hint}")
        stage = contract[name].stage
        if contract.stage_index(stage) > cut:
            raise LeakageError(
                f"feature {name!r} (stage {stage}) is not available at decision point {decision_point}"
            )
    return features
