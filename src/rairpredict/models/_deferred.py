"""A model's scikit-learn pipeline, built from the model file's data only when something asks for it.

Scoring a loaded model runs its lean plan (:mod:`rairpredict.models._plan`),
so loading never imports scikit-learn; the fitted pipeline (for refitting,
estimator checks, SHAP checks, saving) is rebuilt from the same verified
``model.json`` data on first access of ``model.pipeline``.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass
... class M:
...     pipeline: object = DeferredPipeline()
>>> m = M(pipeline=DEFERRED)
>>> defer(m, lambda: "built from data", plan=None)
>>> m.pipeline
'built from data'
"""
from __future__ import annotations

from rairpredict.models._plan import LOADED_PLAN

__all__ = ["DeferredPipeline", "DEFERRED", "defer"]

#: Passed as ``pipeline=`` by a loader that calls :func:`defer` right after.
DEFERRED = object()
# the built pipeline sits under its own name in the instance dict, as a plain field would
_VALUE, _BUILD = "pipeline", "_pipeline_builder"


class DeferredPipeline:
    """Data descriptor for a dataclass field ``pipeline`` (required, no class default)."""

    def __get__(self, obj, owner=None):
        if obj is None:
            raise AttributeError("pipeline")  # no default: the dataclass field stays required
        state = obj.__dict__
        if _VALUE not in state:
            build = state.pop(_BUILD)
            # from here on the fitted pipeline is the source of truth (it may be refitted in place)
            state.pop(LOADED_PLAN, None)
            state[_VALUE] = build()
        return state[_VALUE]

    def __set__(self, obj, value):
        if value is DEFERRED:
            return
        obj.__dict__.pop(_BUILD, None)
        obj.__dict__.pop(LOADED_PLAN, None)  # a new pipeline: the file's plan no longer describes it
        obj.__dict__[_VALUE] = value


def defer(model, build, plan) -> None:
    """Give ``model`` (constructed with ``pipeline=DEFERRED``) its builder and its file's lean plan.

    ``build``: a picklable zero-argument callable returning the fitted pipeline
    (models travel to ``score --jobs`` workers by pickle).
    """
    model.__dict__[_BUILD] = build
    if plan is not None:
        model.__dict__[LOADED_PLAN] = plan
