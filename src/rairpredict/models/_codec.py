"""RiskModel <-> artifact files: every fitted piece as plain data, nothing imported by name from a file.

* ``model.json``: the model state: target, features, threshold, bands, the
  calibration, every preprocessing step (class from a fixed list, its
  parameters and fitted attributes) and the classifier (logistic: coefficients
  and intercept; XGBoost: a pointer to ``booster.ubj``);
* ``booster.ubj``: the XGBoost booster in XGBoost's own UBJSON format (a stacked
  model's XGBoost base: ``stack_xgboost.ubj``, see :mod:`rairpredict.models._stack_codec`);
* ``metadata.json``: validation, parameters, tuning (reproducible figures);
* ``provenance.json``: when and where it was made (dates, MLflow run, registry
  version), kept apart so the files above are byte-identical for the same
  config, data and seed;
* ``extras/<name>.json``: named JSON documents other parts store with the model
  (e.g. the input-shift profile), covered by the manifest like every file.

Fitted attributes are encoded with two tags: ``{"ndarray": dtype, "data": [...]}``
and ``{"tuple": [...]}``; everything else is JSON as is.
"""
from __future__ import annotations

import functools
import os
import re
import tempfile

import numpy as np

from rairpredict.errors import ConfigError
from rairpredict.models.artifact import PROVENANCE, REEXPORT_HINT, Artifact, dumps_json

__all__ = ["model_files", "model_from_artifact", "register_codec", "PROVENANCE_KEYS", "EXTRAS_DIR",
           "encode", "decode", "preprocess_state", "preprocess_from_state", "xgb_bytes", "common_files",
           "common_from_artifact", "load_model"]

#: Metadata keys that describe one particular run, not the model: stored in provenance.json.
PROVENANCE_KEYS = ("trained_at", "package_version", "mlflow", "version", "run_id", "exported_at")
EXTRAS_DIR = "extras/"
_MODEL, _BOOSTER, _META, _PROV = "model.json", "booster.ubj", "metadata.json", PROVENANCE

#: The only classes a model file can name (a file never picks code to import): name -> module.
_STEP_MODULES = {"ClinicalFeatures": "rairpredict.features._clinical",
                 "MedianImputer": "rairpredict.features._numeric", "Standardizer": "rairpredict.features._numeric"}


def _step_class(name):
    """The preprocessing class a model file names, imported on first use (scoring never needs it)."""
    if name not in _STEP_MODULES:
        return None
    import importlib

    return getattr(importlib.import_module(_STEP_MODULES[name]), name)
_LOGISTIC_STATE = ("coef_", "intercept_", "classes_", "n_features_in_", "feature_names_in_", "n_iter_")
#: Fitted attributes (scikit-learn's trailing underscore): every one is saved, and a file can set no other name.
_FITTED = re.compile(r"^[a-z][a-z0-9_]*_$")


# ------------------------------------------------------------------ value codec
def encode(v):
    if isinstance(v, np.ndarray):
        return {"ndarray": str(v.dtype) if v.dtype != object else "object", "shape": list(v.shape),
                "data": [encode(x) for x in v.ravel().tolist()]}
    if isinstance(v, tuple):
        return {"tuple": [encode(x) for x in v]}
    if isinstance(v, list):
        return [encode(x) for x in v]
    if isinstance(v, dict):
        if not all(isinstance(k, str) for k in v):
            raise TypeError(f"dict keys must be text to be saved: {list(v)[:3]}")
        return {k: encode(x) for k, x in v.items()}
    if isinstance(v, np.generic):
        return v.item()
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    raise TypeError(f"cannot save a {type(v).__name__} as model data")


def decode(v):
    if isinstance(v, list):
        return [decode(x) for x in v]
    if isinstance(v, dict):
        if set(v) == {"ndarray", "shape", "data"}:
            dtype = np.dtype(object) if v["ndarray"] == "object" else np.dtype(v["ndarray"])
            if dtype.kind not in "biufO":
                raise ValueError(f"array dtype {dtype} not allowed in a model file")
            return np.asarray(v["data"], dtype=dtype).reshape(v["shape"])
        if set(v) == {"tuple"}:
            return tuple(decode(x) for x in v["tuple"])
        return {k: decode(x) for k, x in v.items()}
    return v


# ------------------------------------------------------------------ pieces
def _step_state(step) -> dict:
    name = type(step).__name__
    if _step_class(name) is not type(step):
        raise TypeError(f"preprocessing step {name} cannot be saved as data")
    attrs = {a: encode(v) for a, v in sorted(vars(step).items()) if _FITTED.match(a)}
    return {"class": name, "params": encode(step.get_params(deep=False)), "fitted": attrs}


def _step_from_state(state: dict):
    cls = _step_class(state.get("class"))
    if cls is None:
        raise ValueError(f"unknown preprocessing step {state.get('class')!r}")
    step = cls(**decode(state["params"]))
    for attr, value in state["fitted"].items():
        if not _FITTED.match(attr) or hasattr(type(step), attr):
            raise ValueError(f"{attr!r} is not a fitted attribute of {state['class']}")
        setattr(step, attr, decode(value))
    return step


def preprocess_state(pre) -> list:
    steps = pre.steps if hasattr(pre, "steps") else [("clinical", pre)]
    return [{"name": n, **_step_state(s)} for n, s in steps]


def preprocess_from_state(steps: list):
    from sklearn.pipeline import Pipeline

    built = [(s["name"], _step_from_state(s)) for s in steps]
    pre = built[0][1] if len(built) == 1 else Pipeline(built)
    return pre.set_output(transform="pandas")


def xgb_bytes(clf) -> bytes:
    # XGBModel.save_model stores the scikit-learn wrapper's parameters inside the
    # booster file, so load_model gives back the same classifier (classes, n_jobs, ...).
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "booster.ubj")
        clf.save_model(path)
        with open(path, "rb") as fh:
            return fh.read()


def _classifier_state(kind: str, clf, files: dict) -> dict:
    if kind == "xgboost":
        files[_BOOSTER] = xgb_bytes(clf)
        return {"class": "XGBClassifier", "booster": _BOOSTER}
    if kind == "stacked":
        from rairpredict.models._stack_codec import stack_state

        return stack_state(clf, files)
    if kind == "logistic":
        return {"class": "LogisticRegression", "params": encode(clf.get_params(deep=False)),
                "fitted": {a: encode(getattr(clf, a)) for a in _LOGISTIC_STATE if hasattr(clf, a)}}
    raise TypeError(f"model kind {kind!r} cannot be saved")


def _classifier_from_state(state: dict, files: dict):
    if state["class"] == "XGBClassifier":
        from xgboost import XGBClassifier

        clf = XGBClassifier()
        clf.load_model(bytearray(files[state["booster"]]))
        return clf
    if state["class"] == "StackedClassifier":
        from rairpredict.models._stack_codec import stack_from_state

        return stack_from_state(state, files)
    if state["class"] == "LogisticRegression":
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(**decode(state["params"]))
        for attr, value in state["fitted"].items():
            if attr not in _LOGISTIC_STATE:
                raise ValueError(f"unknown fitted attribute {attr!r} of LogisticRegression")
            setattr(clf, attr, decode(value))
        return clf
    raise ValueError(f"unknown classifier {state['class']!r}")


# ------------------------------------------------------------------ model
#: model.json "model" -> (files of a model, model from verified artifact); other model kinds register here.
_CODECS: dict = {}


def register_codec(name: str, to_files, from_artifact) -> None:
    """Teach the artifact format a model class: ``to_files(model) -> dict``, ``from_artifact(Artifact) -> model``.

    ``to_files`` writes ``model.json`` with ``"model": name``; use
    :func:`common_files` / :func:`common_from_artifact` for metadata,
    provenance and extras so every kind stores them the same way.
    """
    _CODECS[name] = (to_files, from_artifact)


def common_files(model) -> dict:
    """metadata.json, provenance.json and extras/*.json of any model with ``metadata`` and ``extras``."""
    meta = {k: v for k, v in model.metadata.items() if k not in PROVENANCE_KEYS}
    prov = {k: v for k, v in model.metadata.items() if k in PROVENANCE_KEYS}
    files = {_META: dumps_json(_jsonable(meta)), _PROV: dumps_json(_jsonable(prov))}
    for name, doc in sorted((getattr(model, "extras", None) or {}).items()):
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise ValueError(f"extras name {name!r}: a plain name without slashes")
        files[f"{EXTRAS_DIR}{name}.json"] = dumps_json(_jsonable(doc))
    return files


def common_from_artifact(artifact: Artifact) -> tuple[dict, dict]:
    """(metadata, extras) of a verified artifact."""
    metadata = {**artifact.json(_META), **artifact.json(_PROV)}
    extras = {name[len(EXTRAS_DIR):-len(".json")]: artifact.json(name) for name in sorted(artifact.files)
              if name.startswith(EXTRAS_DIR) and name.endswith(".json")}
    return metadata, extras


#: Codecs registered by their own module, imported only when such a model is saved or loaded.
_LAZY_CODECS = {"SurvivalModel": "rairpredict.models._survival_codec"}


def _ensure_codec(name) -> None:
    if name not in _CODECS and name in _LAZY_CODECS:
        import importlib

        importlib.import_module(_LAZY_CODECS[name])


def model_files(model) -> dict:
    """The artifact files of a fitted model (relative path -> bytes), without the manifest."""
    name = type(model).__name__
    _ensure_codec(name)
    if name not in _CODECS:
        raise TypeError(f"{name} cannot be saved as a model artifact (no codec registered)")
    return _CODECS[name][0](model)


def model_from_artifact(artifact: Artifact):
    """Rebuild the model from verified artifact bytes (see :func:`~rairpredict.models.artifact.read_artifact`)."""
    where = artifact.source
    for name in (_MODEL, _META, _PROV):
        if name not in artifact.files:
            raise ConfigError(f"{where}: {name} missing from the model artifact; {REEXPORT_HINT}")
    state = artifact.json(_MODEL)
    kind = state.get("model") if isinstance(state, dict) else None
    if isinstance(kind, str):
        _ensure_codec(kind)
    if kind not in _CODECS:
        raise ConfigError(f"{where}: model.json describes an unknown model class {kind!r}; {REEXPORT_HINT}")
    try:
        return _CODECS[kind][1](artifact)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ConfigError(f"{where}: model.json is not a valid {kind} description "
                          f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                          f"{REEXPORT_HINT}") from None


def load_model(source, *, expected_manifest: str | None = None):
    """Verify and rebuild any saved model (the class named in its ``model.json``)."""
    from rairpredict.models.artifact import read_artifact

    return model_from_artifact(read_artifact(source, expected_manifest=expected_manifest))


def _jsonable(obj):
    """Metadata as plain JSON (NumPy scalars to numbers, tuples to lists, NaN to null)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    return str(obj)


def _risk_model_files(model) -> dict:
    files: dict = {}
    cal = model.calibration
    state = {
        "model": "RiskModel",
        "target": model.target, "label": model.label, "decision_point": model.decision_point,
        "features": list(model.features), "kind": model.kind, "threshold": float(model.threshold),
        "classes": [int(c) for c in model.classes_], "bands": [float(b) for b in model.bands],
        "band_names": list(model.band_names),
        "calibration": {"method": cal.method, "a": float(cal.a), "b": float(cal.b),
                        "x": [float(v) for v in cal.x], "y": [float(v) for v in cal.y]},
        "preprocess": preprocess_state(model.pipeline[0]),
        "classifier": _classifier_state(model.kind, model.pipeline[-1], files),
    }
    files[_MODEL] = dumps_json(state)
    files.update(common_files(model))
    return files


def _risk_pipeline(preprocess: list, classifier: dict, files: dict):
    """The fitted scikit-learn pipeline of a RiskModel's ``model.json`` (built when first asked for)."""
    from sklearn.pipeline import Pipeline

    return Pipeline([("preprocess", preprocess_from_state(preprocess)),
                     ("classifier", _classifier_from_state(classifier, files))])


def _risk_model_from_artifact(artifact: Artifact):
    from rairpredict.models._deferred import DEFERRED, defer
    from rairpredict.models._plan import plan_from_state
    from rairpredict.models.risk_model import Calibration, RiskModel

    state = artifact.json(_MODEL)
    cal = state["calibration"]
    preprocess, classifier = state["preprocess"], state["classifier"]
    if not isinstance(preprocess, list) or not preprocess or not isinstance(classifier, dict):
        raise ValueError("preprocess and classifier missing")
    # names checked now, as building the pipeline would (a file picks no code and sets no other name)
    for step in preprocess:
        if step.get("class") not in _STEP_MODULES:
            raise ValueError(f"unknown preprocessing step {step.get('class')!r}")
        bad = [a for a in step["fitted"] if not _FITTED.match(a)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a fitted attribute of {step['class']}")
    if classifier.get("class") not in ("XGBClassifier", "StackedClassifier", "LogisticRegression"):
        raise ValueError(f"unknown classifier {classifier.get('class')!r}")
    if classifier["class"] == "LogisticRegression":
        bad = [a for a in classifier["fitted"] if a not in _LOGISTIC_STATE]
        if bad:
            raise ValueError(f"unknown fitted attribute {bad[0]!r} of LogisticRegression")
    metadata, extras = common_from_artifact(artifact)
    model = RiskModel(
        target=state["target"], label=state["label"], decision_point=state["decision_point"],
        features=list(state["features"]), kind=state["kind"], pipeline=DEFERRED,
        calibration=Calibration(cal["method"], a=cal["a"], b=cal["b"], x=np.asarray(cal["x"], float),
                                y=np.asarray(cal["y"], float)),
        bands=list(state["bands"]), band_names=list(state["band_names"]), threshold=float(state["threshold"]),
        metadata=metadata, extras=extras,
    )
    plan = plan_from_state(preprocess, classifier)
    if plan is None or not plan.linear:
        # not all of it runs as a plan (trees, a stack): build the fitted objects now, as before
        model.pipeline = _risk_pipeline(preprocess, classifier, artifact.files)
        return model
    defer(model, functools.partial(_risk_pipeline, preprocess, classifier, dict(artifact.files)), plan)
    return model


register_codec("RiskModel", _risk_model_files, _risk_model_from_artifact)
