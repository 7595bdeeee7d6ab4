"""SurvivalModel <-> artifact files (the pickle-free format of :mod:`rairpredict.models._codec`).

``model.json`` holds the target, features, horizons, bands, the
recalibration (Cox slope and the Breslow baseline cumulative hazard as two
arrays), every preprocessing step and the estimator: ridge Cox as its
coefficients, XGBoost ``survival:cox`` as a pointer to ``booster.ubj``
(XGBoost's own format). Metadata, provenance and extras are stored as for
every model (:func:`~rairpredict.models._codec.common_files`).

Examples
--------
>>> from rairpredict.models._survival_codec import ESTIMATOR_CLASSES
>>> ESTIMATOR_CLASSES
('RidgeCox', 'XGBCox')
"""
from __future__ import annotations

import numpy as np
from sklearn.pipeline import Pipeline

from rairpredict.models._codec import (common_files, common_from_artifact, preprocess_from_state, preprocess_state,
                                       register_codec, xgb_bytes)
from rairpredict.models.artifact import dumps_json

__all__ = ["ESTIMATOR_CLASSES"]

ESTIMATOR_CLASSES = ("RidgeCox", "XGBCox")
_MODEL, _BOOSTER = "model.json", "booster.ubj"


def _estimator_state(kind: str, est, files: dict) -> dict:
    if kind == "xgboost_cox":
        files[_BOOSTER] = xgb_bytes(est.model)
        return {"class": "XGBCox", "booster": _BOOSTER}
    if kind == "cox":
        return {"class": "RidgeCox", "coef": [float(c) for c in est.coef_]}
    raise TypeError(f"survival model kind {kind!r} cannot be saved")


def _estimator_from_state(state: dict, files: dict):
    from rairpredict.models.survival import _RidgeCox, _XGBCox

    if state["class"] == "XGBCox":
        from xgboost import XGBRegressor

        est = object.__new__(_XGBCox)  # a fitted shell: nothing to fit, so no training parameters needed
        est.model = XGBRegressor()
        est.model.load_model(bytearray(files[state["booster"]]))
        return est
    if state["class"] == "RidgeCox":
        est = object.__new__(_RidgeCox)  # scoring needs only the coefficients (no scikit-survival import)
        est.coef_ = np.asarray(state["coef"], dtype=float)
        return est
    raise ValueError(f"unknown survival estimator {state['class']!r}")


def _files(model) -> dict:
    files: dict = {}
    rc = model.recalibration
    state = {
        "model": "SurvivalModel", "target": model.target, "decision_point": model.decision_point,
        "features": list(model.features), "kind": model.kind,
        "horizons": [float(h) for h in model.horizons], "band_horizon": float(model.band_horizon),
        "bands": [float(b) for b in model.bands], "band_names": list(model.band_names),
        "recalibration": {"slope": float(rc.slope), "times": [float(v) for v in rc.times],
                          "cum_hazard": [float(v) for v in rc.cum_hazard]},
        "preprocess": preprocess_state(model.pipeline[0]),
        "estimator": _estimator_state(model.kind, model.pipeline[-1], files),
    }
    files[_MODEL] = dumps_json(state)
    files.update(common_files(model))
    return files


def _from_artifact(artifact):
    from rairpredict.models.survival import Recalibration, SurvivalModel

    state = artifact.json(_MODEL)
    rc = state["recalibration"]
    times, cum = np.asarray(rc["times"], float), np.asarray(rc["cum_hazard"], float)
    if times.shape != cum.shape or np.any(np.diff(times) < 0) or np.any(np.diff(cum) < 0):
        raise ValueError("baseline cumulative hazard must be two equal-length non-decreasing arrays")
    pipeline = Pipeline([("preprocess", preprocess_from_state(state["preprocess"])),
                         ("estimator", _estimator_from_state(state["estimator"], artifact.files))])
    metadata, extras = common_from_artifact(artifact)
    return SurvivalModel(
        target=state["target"], decision_point=state["decision_point"], features=list(state["features"]),
        kind=state["kind"], pipeline=pipeline, recalibration=Recalibration(float(rc["slope"]), times, cum),
        horizons=[float(h) for h in state["horizons"]], band_horizon=float(state["band_horizon"]),
        bands=[float(b) for b in state["bands"]], band_names=list(state["band_names"]), metadata=metadata,
        extras=extras)


register_codec("SurvivalModel", _files, _from_artifact)
