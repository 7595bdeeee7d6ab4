"""The RiskModel as an MLflow pyfunc built from code: same columns as ``rairpredict score``.

Served with ``mlflow models serve -m MODEL --env-manager local`` (REST) and
usable from Spark with ``mlflow.pyfunc.spark_udf`` for cohorts that outgrow
one machine.

No pickle. The model is logged with ``loader_module="rairpredict.scoring.pyfunc"``
and ``data_path=<model artifact directory>``: MLflow imports this module and
calls :func:`_load_pyfunc` with the directory, which verifies its manifest
(:func:`rairpredict.models.artifact.read_artifact`) before reading anything,
and, when a tracking store is configured and knows the model, checks the
manifest against the sha256 recorded at logging time. Nothing of the model is
executable.

Input. The signature declares no input schema on purpose: MLflow would
silently drop unknown columns and cast types before the model sees them.
Every request is checked here, exactly as ``score`` checks a file: unknown or
missing columns are refused, and rows that fail the data contract make the
request fail with one entry per problem (row, column, rule), as an
:class:`mlflow.exceptions.MlflowException` with ``INVALID_PARAMETER_VALUE``, which
the scoring server answers with HTTP 400 and a JSON body. A service must not
silently drop rows; use ``rairpredict score`` for files with bad rows (it
writes rejects). Send numbers as JSON numbers, categories and booleans as text
(``"true"``/``"false"``) or JSON booleans, missing as ``null`` or an absent
column. :func:`input_schema` gives the column types (e.g. a Spark schema);
:func:`to_pyfunc_input` converts a canonical table. Spark: pass the columns as
one struct, ``udf(F.struct(*df.columns))``, so they keep their names.

Params: ``{"explain": K}`` reasons per row (default: the value given at logging);
``{"strict_inputs": true}`` refuses a request in which a model input is absent or
entirely missing (otherwise scored, with ``input_warnings`` per row and a logged
warning; see :mod:`rairpredict.scoring.shift`).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

from rairpredict.cohort.contract import load_contract
from rairpredict.errors import ContractError
from rairpredict.scoring._refs import LOADER_MODULE
from rairpredict.tracking import record_manifest

__all__ = ["RiskModelPyfunc", "log_risk_model", "input_schema", "to_pyfunc_input", "synthetic_input_example",
           "serving_signature", "ARTIFACT_DIR"]

# bool -> string: MLflow's REST parser casts a "boolean" column with astype(bool), which turns a
# missing value into False; a "string" column keeps true/false/null (and "yes"/"no") as sent.
_SCHEMA_TYPE = {"float": "double", "int": "double", "bool": "string", "category": "string", "string": "string"}


def input_schema():
    """MLflow input schema of the canonical table (see module docstring)."""
    from mlflow.types.schema import ColSpec, Schema

    contract = load_contract()
    return Schema([ColSpec(_SCHEMA_TYPE[f.dtype], f.name, required=f.required or f.name == "patient_id")
                   for f in contract])


def to_pyfunc_input(table: pd.DataFrame) -> pd.DataFrame:
    """Canonical table -> the signature's types (float64; text with None for missing).

    Examples
    --------
    >>> t = pd.DataFrame({"sex": pd.Categorical(["female", None]), "smoking": pd.array([True, None])})
    >>> to_pyfunc_input(t).to_dict("list")
    {'sex': ['female', None], 'smoking': ['true', None]}
    """
    contract = load_contract()
    out = {}
    for name in table.columns:
        if name not in contract:
            continue
        col, kind = table[name], contract[name].dtype
        if kind in ("float", "int"):
            out[name] = pd.to_numeric(col.astype(object), errors="coerce").astype("float64")
        else:
            values = col.astype(object).where(col.notna(), None)
            text = (lambda v: None if v is None else ("true" if v else "false")) if kind == "bool" \
                else (lambda v: None if v is None else str(v))
            out[name] = values.map(text).astype(object)
    return pd.DataFrame(out, index=table.index)


def synthetic_input_example(n: int = 3, seed: int = 12345) -> pd.DataFrame:
    """Simulated canonical rows in the signature's types (never real patients)."""
    from rairpredict.simulation.simulate import simulate_cohort

    return to_pyfunc_input(simulate_cohort(n, seed=seed)).reset_index(drop=True)


def _canonical(model_input: pd.DataFrame, extra_fields=None, contract=None, derived=None) -> pd.DataFrame:
    from rairpredict.cohort.contract import schema_of
    from rairpredict.cohort.derive import add_derived
    from rairpredict.cohort.validate import validate_canonical

    if contract is None:
        contract = schema_of(extras=extra_fields)  # the contract plus the model's extra columns
    # every column goes to validation: an unknown one is refused, never silently dropped
    result = validate_canonical(model_input, file="<request>", check_duplicates=False, schema=contract)
    if result.n_rejected:
        counts = result.rejects.groupby(["rule", "column"]).size().sort_values(ascending=False)
        parts = [f"{n} x {rule} ({col})" for (rule, col), n in counts.head(5).items()]
        error = ContractError(f"{result.n_rejected} of {result.n_in} rows fail the data contract: "
                              + "; ".join(parts)
                              + " (score files with bad rows with `rairpredict score`, which writes rejects)")
        error.rejects = result.rejects
        raise error
    return add_derived(result.table, only=derived)


#: At most this many row problems are listed in an error answer (the count is always exact).
MAX_LISTED_PROBLEMS = 100


class _RequestError(MlflowException):
    """A bad request: HTTP 400 with a one-line ``message`` and, for contract failures, ``problems``.

    MLflow's scoring server rewrites ``message`` to prepend the whole request
    (``"Failed to predict data '<rows>'"``); the property keeps the first
    message, so the answer stays one line and never echoes the rows back.
    """

    @property
    def message(self):
        return self._message

    @message.setter
    def message(self, value):
        if not hasattr(self, "_message"):
            self._message = value


def _request_error(exc: Exception) -> MlflowException:
    rejects = getattr(exc, "rejects", None)
    extra = {}
    if rejects is not None:
        extra["problems"] = [{"row": int(r.source_row), "column": str(r.column), "rule": str(r.rule),
                              "reason": str(r.message)} for r in rejects.head(MAX_LISTED_PROBLEMS).itertuples()]
        extra["rows_failed"] = int(rejects["source_row"].nunique())
    return _RequestError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                         error_code=INVALID_PARAMETER_VALUE, **extra)


class RiskModelPyfunc:
    """What :func:`_load_pyfunc` returns: ``predict(model_input, params={"explain": K, "strict_inputs": B})``.

    Returns the :func:`rairpredict.scoring.score_frame` columns, one row per
    input row, with ``input_warnings`` per row. A model input absent or
    entirely missing in the request is logged as a warning (logger
    ``rairpredict.scoring``) or, with ``strict_inputs``, refuses the request (HTTP 400).
    """

    def __init__(self, model, explain: int = 3):
        from rairpredict.cohort.contract import schema_of
        from rairpredict.scoring._file import _derived_inputs

        self.model = model
        self.explain = int(explain)
        # the contract plus the model's extra columns, built once: validation compiles it once per model
        self.contract = schema_of(extras=model.metadata.get("extra_fields"))
        self.derived = _derived_inputs(model)  # as `score` does: only the derived fields the model reads

    def predict(self, model_input, params=None):
        import logging

        from rairpredict.errors import RairpredictError
        from rairpredict.scoring._frame import score_frame_checked
        from rairpredict.scoring.shift import inputs_absent, shift_summary

        params = params or {}
        try:
            explain = int(params.get("explain", self.explain))
            if explain < 0:
                raise ContractError(f"params: explain={explain}; expected a whole number >= 0")
            strict = str(params.get("strict_inputs", False)).lower() in ("true", "1", "yes")
            if not isinstance(model_input, pd.DataFrame):
                raise ContractError("the request must be a table (JSON dataframe_split / dataframe_records, "
                                    "CSV or Parquet)")
            table = _canonical(model_input.reset_index(drop=True), contract=self.contract, derived=self.derived)
            out, counts = score_frame_checked(self.model, table, explain=explain, strict_inputs=strict)
        except (RairpredictError, ValueError, TypeError) as exc:
            raise _request_error(exc) from None
        if inputs_absent(self.model, counts):  # the summary (PSI per input) only when there is a warning to log
            logging.getLogger("rairpredict.scoring").warning(shift_summary(self.model, counts)["message"])
        return out


def _load_pyfunc(data_path, model_config=None):
    """MLflow's entry point: verify the artifact at ``data_path`` and wrap the model (see module docstring)."""
    from rairpredict.models import load_model

    expected = _recorded_for_mlflow_dir(Path(data_path))
    model = load_model(data_path, expected_manifest=expected)  # a RiskModel or a SurvivalModel
    return RiskModelPyfunc(model, (model_config or {}).get("explain", 3))


def _recorded_for_mlflow_dir(data_path: Path) -> str | None:
    """Manifest sha256 recorded at logging time for the MLflow model holding ``data_path``, if reachable.

    Looked up only when a tracking store is configured (as for ``models:/`` URIs)
    and knows the logged model; a copied directory without a store is checked
    against its own manifest only.
    """
    import yaml
    from mlflow.tracking._tracking_service.utils import is_tracking_uri_set

    from rairpredict.tracking._registry import recorded_for_logged_model

    mlmodel = data_path.parent.parent / "MLmodel"
    if not is_tracking_uri_set() or not mlmodel.is_file():
        return None
    try:
        meta = yaml.safe_load(mlmodel.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return recorded_for_logged_model(meta.get("model_id"))


def serving_signature(model, explain: int = 3):
    """(MLflow signature, synthetic input example): the output columns and ``explain``; no input schema.

    The output schema comes from scoring simulated rows, never patient data.
    """
    from mlflow.models import ModelSignature, infer_signature

    example = synthetic_input_example()
    output = RiskModelPyfunc(model, explain).predict(example)
    inferred = infer_signature(example, output, params={"explain": int(explain), "strict_inputs": False})
    return ModelSignature(inputs=None, outputs=inferred.outputs, params=inferred.params), example


def log_risk_model(model, name: str = "model", registered_model_name: str | None = None, explain: int = 3):
    """Log ``model`` as a code-built pyfunc (no pickle) to the active MLflow run.

    The artifact directory is the model's data files and manifest; the
    manifest's sha256 is recorded as tag ``rairpredict.manifest_sha256`` on the
    logged model and the registered version, and as
    ``rairpredict.manifest_sha256.<name>`` on the run. The output schema and
    the stored input example come from simulated rows
    (:func:`synthetic_input_example`), never from patient data. ``explain`` is
    the default number of reasons, overridable per request with
    ``params={"explain": K}``.

    Returns
    -------
    mlflow.models.model.ModelInfo
    """
    import copy
    import tempfile

    import mlflow

    model = copy.copy(model)  # never touch the caller's model
    model.metadata = dict(model.metadata)
    if registered_model_name and not model.metadata.get("name"):
        model.metadata["name"] = registered_model_name  # name the scores after the registry entry
    signature, example = serving_signature(model, explain)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ARTIFACT_DIR
        digest = model.save(path)
        info = mlflow.pyfunc.log_model(
            name=name, loader_module=LOADER_MODULE, data_path=str(path), model_config={"explain": int(explain)},
            signature=signature, input_example=example, registered_model_name=registered_model_name,
            pip_requirements=_requirements(),
        )
    record_manifest(info, name, digest, registered_model_name)
    return info


#: Directory name of the model data inside the MLflow model (``data/<ARTIFACT_DIR>``).
ARTIFACT_DIR = "risk_model"


def _requirements() -> list[str]:
    """Pinned runtime libraries (explicit: skips MLflow's slow requirement inference)."""
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for pkg in ("mlflow", "xgboost", "scikit-learn", "pandas", "numpy", "pyarrow", "scipy", "pyyaml"):
        try:
            out.append(f"{pkg}=={version(pkg)}")
        except PackageNotFoundError:
            pass
    return out
