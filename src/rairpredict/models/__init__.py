"""models: the fitted risk model, published scores, and the pickle-free model artifact.

* :class:`~rairpredict.models.risk_model.RiskModel`: preprocessing, classifier, calibration.
* :func:`load_model` / :func:`~rairpredict.models.artifact.read_artifact`: a saved model
  is data (JSON, XGBoost UBJSON) with a sha256 manifest checked before anything is read.

Extending the artifact: a document that travels with a model goes in
``model.extras["<name>"]`` (any JSON; saved as ``extras/<name>.json``, covered by the
manifest); a new model class calls
:func:`rairpredict.models._codec.register_codec` with its ``to_files`` and
``from_artifact`` (reusing ``preprocess_state``, ``xgb_bytes``, ``common_files``).

Names are imported on first use: loading a model for scoring never imports
scikit-learn, which the published scores' classes need (issue 15, cold start).
"""


def __getattr__(name):
    if name in ("PUBLISHED_SCORES", "LiRairScore", "LiuRairScore"):
        from rairpredict.models import published_scores

        value = getattr(published_scores, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_model(source, *, expected_manifest: str | None = None):
    """Verify and rebuild a saved model (``.zip``, directory or zip bytes); nothing is unpickled."""
    from rairpredict.models._codec import load_model as _load

    return _load(source, expected_manifest=expected_manifest)


__all__ = ["LiRairScore", "LiuRairScore", "PUBLISHED_SCORES", "load_model"]
