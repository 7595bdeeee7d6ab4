"""The RiskModel as an MLflow pyfunc: same columns as ``rairpredict score``.

Served with ``mlflow models serve -m MODEL --env-manager local`` (REST) and
usable from Spark with ``mlflow.pyfunc.spark_udf`` for cohorts that outgrow
one machine.

Signature. MLflow's schema enforcement cannot take the contract's pandas
dtypes (categorical, nullable ``Int64``/``boolean``): it refuses them or turns
them to plain objects. The input schema is therefore written from the
contract, in types any client can send: ``double`` for float and int fields,
``string`` for categories, text and bool fields (JSON ``true``/``false``/``null``
or text such as ``"yes"``; a ``boolean`` column would be cast by MLflow's JSON
parser with ``astype(bool)``, turning missing into False);
``patient_id`` and the contract's required fields are required, every other
contract field optional (absent = missing). Inside :meth:`RiskModelPyfunc.predict`
the rows are re-cast to the contract dtypes with
:func:`rairpredict.cohort.validate_canonical` and the derived fields are
computed, exactly as ``score`` does. Rows that fail validation make the whole
request fail with the reasons (a service must not silently drop rows); use
``rairpredict score`` for files with bad rows (it writes rejects). To call the
loaded pyfunc in-process with a canonical table, pass it through
:func:`to_pyfunc_input` first. Spark integer columns must be cast to double.
"""
from __future__ import annotations

import pandas as pd

try:
    from mlflow.pyfunc import PythonModel
except ImportError:  # pragma: no cover - mlflow is a dependency
    PythonModel = object

from rairpredict.cohort.contract import load_contract
from rairpredict.errors import ContractError
from rairpredict.scoring._refs import ARTIFACT_KEY

__all__ = ["RiskModelPyfunc", "log_risk_model", "input_schema", "to_pyfunc_input", "synthetic_input_example"]

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


def _canonical(model_input: pd.DataFrame, extra_fields=None) -> pd.DataFrame:
    from rairpredict.cohort.contract import schema_of
    from rairpredict.cohort.derive import add_derived
    from rairpredict.cohort.validate import validate_canonical

    contract = schema_of(extras=extra_fields)  # the contract plus the model's extra columns
    frame = model_input[[c for c in model_input.columns if c in contract]]
    result = validate_canonical(frame, file="<request>", check_duplicates=False, schema=contract)
    if result.n_rejected:
        counts = result.rejects.groupby(["rule", "column"]).size().sort_values(ascending=False)
        parts = [f"{n} x {rule} ({col})" for (rule, col), n in counts.head(5).items()]
        raise ContractError(f"{result.n_rejected} of {result.n_in} rows fail the data contract: " + "; ".join(parts)
                            + " (score files with bad rows with `rairpredict score`, which writes rejects)")
    return add_derived(result.table)


class RiskModelPyfunc(PythonModel):
    """MLflow pyfunc around a RiskModel saved as artifact ``risk_model`` (joblib).

    ``predict(context, model_input, params={"explain": K, "strict_inputs": B})``
    returns the :func:`rairpredict.scoring.score_frame` columns, one row per
    input row, with ``input_warnings`` per row. A model input absent or
    entirely missing in the request is logged as a warning (logger
    ``rairpredict.scoring``) or, with ``strict_inputs``, refuses the request.
    """

    def __init__(self, explain: int = 3):
        self.explain = int(explain)
        self.model = None

    def load_context(self, context):
        from rairpredict.models.risk_model import RiskModel

        self.model = RiskModel.load(context.artifacts[ARTIFACT_KEY])

    def predict(self, context, model_input, params=None):
        from rairpredict.scoring._frame import score_frame_checked

        import logging

        from rairpredict.scoring.shift import shift_summary

        params = params or {}
        explain = int(params.get("explain", self.explain))
        strict = str(params.get("strict_inputs", False)).lower() in ("true", "1", "yes")
        table = _canonical(pd.DataFrame(model_input).reset_index(drop=True),
                           self.model.metadata.get("extra_fields"))
        out, counts = score_frame_checked(self.model, table, explain=explain, strict_inputs=strict)
        summary = shift_summary(self.model, counts)
        if summary["inputs_absent"]:
            logging.getLogger("rairpredict.scoring").warning(summary["message"])
        return out


def log_risk_model(model, name: str = "model", registered_model_name: str | None = None, explain: int = 3):
    """Log ``model`` as a :class:`RiskModelPyfunc` to the active MLflow run.

    The signature's input schema is :func:`input_schema`; its output schema and
    the stored input example come from simulated rows
    (:func:`synthetic_input_example`), never from patient data. ``explain`` is
    the default number of reasons, overridable per request with
    ``params={"explain": K}``.

    Returns
    -------
    mlflow.models.model.ModelInfo
    """
    import tempfile
    from pathlib import Path

    import mlflow
    from mlflow.models import ModelSignature, infer_signature

    import copy

    if registered_model_name and not model.metadata.get("name"):
        model = copy.copy(model)  # name the scores after the registry entry without touching the caller's model
        model.metadata = {**model.metadata, "name": registered_model_name}
    example = synthetic_input_example()
    wrapper = RiskModelPyfunc(explain)
    wrapper.model = model
    output = wrapper.predict(None, example)
    inferred = infer_signature(example, output, params={"explain": int(explain), "strict_inputs": False})
    signature = ModelSignature(inputs=input_schema(), outputs=inferred.outputs, params=inferred.params)
    wrapper.model = None  # the model travels as an artifact, not inside the pickled wrapper
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{ARTIFACT_KEY}.joblib"
        model.save(path)
        return mlflow.pyfunc.log_model(
            name=name, python_model=wrapper, artifacts={ARTIFACT_KEY: str(path)},
            signature=signature, input_example=example, registered_model_name=registered_model_name,
            pip_requirements=_requirements(),
        )


def _requirements() -> list[str]:
    """Pinned runtime libraries (explicit: skips MLflow's slow requirement inference)."""
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for pkg in ("mlflow", "xgboost", "scikit-learn", "pandas", "numpy", "pyarrow", "scipy", "joblib", "pyyaml"):
        try:
            out.append(f"{pkg}=={version(pkg)}")
        except PackageNotFoundError:
            pass
    return out
