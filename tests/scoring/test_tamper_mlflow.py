"""Tampered artifacts in a real MLflow store are refused on every load path (registry, run, pyfunc)."""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import mlflow
import pytest

from rairpredict.errors import ConfigError
from rairpredict.models.artifact import MANIFEST, sha256
from rairpredict.scoring import load_model_ref

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(xgb_model, tmp_path_factory):
    from rairpredict.scoring.pyfunc import log_risk_model
    from rairpredict.tracking import configure_tracking, set_alias

    import os

    root = tmp_path_factory.mktemp("tamperstore")
    previous = mlflow.get_tracking_uri()
    previous_env = os.environ.get("MLFLOW_TRACKING_URI")  # set_tracking_uri may export it: restore both
    uri = configure_tracking(f"sqlite:///{root / 'mlflow.db'}", repo_root=root)
    exp = mlflow.create_experiment("tamper", artifact_location=(root / "mlruns").as_uri())
    with mlflow.start_run(experiment_id=exp):
        info = log_risk_model(xgb_model, "model", registered_model_name="rair-tamper", explain=1)
    set_alias("rair-tamper", info.registered_model_version, "champion")
    [manifest] = list((root / "mlruns").rglob(f"data/risk_model/{MANIFEST}"))
    yield info, manifest.parent, uri
    mlflow.set_tracking_uri(previous)
    mlflow.set_registry_uri(previous)
    if previous_env is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = previous_env


def _remanifest(data: Path) -> None:
    manifest = json.loads((data / MANIFEST).read_text())
    manifest["files"] = {p.relative_to(data).as_posix(): sha256(p.read_bytes())
                         for p in sorted(data.rglob("*")) if p.is_file() and p.name != MANIFEST}
    (data / MANIFEST).write_text(json.dumps(manifest))


def _tamper(data: Path, how: str, other_booster: bytes) -> None:
    if how == "booster byte flip":
        raw = bytearray((data / "booster.ubj").read_bytes())
        raw[len(raw) // 2] ^= 1
        (data / "booster.ubj").write_bytes(bytes(raw))
    elif how == "model.json edited":
        state = json.loads((data / "model.json").read_text())
        state["threshold"] = 0.99
        (data / "model.json").write_text(json.dumps(state))
    elif how == "extra file":
        (data / "extras").mkdir(exist_ok=True)
        (data / "extras" / "x.json").write_text("{}")
    elif how == "missing file":
        (data / "metadata.json").unlink()
    elif how == "pickle as model.json, manifest rewritten":
        (data / "model.json").write_bytes(pickle.dumps({"x": 1}))
        _remanifest(data)
    elif how == "manifest rewritten beside a swapped booster":
        (data / "booster.ubj").write_bytes(other_booster)
        _remanifest(data)
    else:
        raise ValueError(how)


KINDS = ["booster byte flip", "model.json edited", "extra file", "missing file",
         "pickle as model.json, manifest rewritten", "manifest rewritten beside a swapped booster"]


def test_tampered_store_refused_on_every_path(store, isotonic_model):
    info, data, uri = store
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    original = {p.relative_to(data): p.read_bytes() for p in data.rglob("*") if p.is_file()}
    other = isotonic_model.to_files()["booster.ubj"]
    paths = {
        "models:/NAME@ALIAS": lambda: load_model_ref("models:/rair-tamper@champion"),
        "models:/NAME/V": lambda: load_model_ref("models:/rair-tamper/1"),
        "runs:/": lambda: load_model_ref(f"runs:/{info.run_id}/model"),
        "mlflow.pyfunc.load_model(models:/)": lambda: mlflow.pyfunc.load_model("models:/rair-tamper/1"),
        "mlflow.pyfunc.load_model(runs:/)": lambda: mlflow.pyfunc.load_model(f"runs:/{info.run_id}/model"),
    }
    for load in paths.values():  # the untouched model loads on every path
        load()
    tried = refused = 0
    for how in KINDS:
        _tamper(data, how, other)
        try:
            for name, load in paths.items():
                tried += 1
                with pytest.raises(ConfigError) as err:
                    load()
                assert len(str(err.value).splitlines()) == 1, (how, name, str(err.value))
                refused += 1
        finally:
            for p in list(data.rglob("*")):
                if p.is_file() and p.relative_to(data) not in original:
                    p.unlink()
            for rel, raw in original.items():
                (data / rel).write_bytes(raw)
    assert refused == tried == len(KINDS) * len(paths)
    load_model_ref("models:/rair-tamper@champion")  # restored: loads again


def test_untagged_registry_entry_refused(store):
    _, _, uri = store
    mlflow.set_tracking_uri(uri)
    client = mlflow.MlflowClient()
    client.delete_model_version_tag("rair-tamper", "1", "rairpredict.manifest_sha256")
    try:
        with pytest.raises(ConfigError, match="no manifest hash recorded"):
            load_model_ref("models:/rair-tamper/1")
    finally:
        info, data, _ = store
        client.set_model_version_tag("rair-tamper", "1", "rairpredict.manifest_sha256",
                                     sha256((data / MANIFEST).read_bytes()))


def test_old_cloudpickle_mlflow_model_refused(logged, tmp_path):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(logged[1], old)
    mlmodel = (old / "MLmodel").read_text()
    (old / "MLmodel").write_text(mlmodel.replace("loader_module: rairpredict.scoring.pyfunc",
                                                 "loader_module: mlflow.pyfunc.model\n    python_model: "
                                                 "python_model.pkl"))
    (old / "python_model.pkl").write_bytes(pickle.dumps({"x": 1}))
    with pytest.raises(ConfigError, match="old MLflow model with a pickled python_model.*--export DIR"):
        load_model_ref(old)
    stray = tmp_path / "stray"
    shutil.copytree(logged[1], stray)
    (stray / "run_me.py").write_text("print('x')")
    with pytest.raises(ConfigError, match="unexpected file 'run_me.py'"):
        load_model_ref(stray)


def test_served_from_registry_checks_the_recorded_hash(store, isotonic_model):
    """A manifest rewritten beside a swapped booster in the store: both servers refuse to start."""
    from test_rest import mlflow_serve, rairpredict_serve

    _, data, uri = store
    original = {p.relative_to(data): p.read_bytes() for p in data.rglob("*") if p.is_file()}
    _tamper(data, "manifest rewritten beside a swapped booster", isotonic_model.to_files()["booster.ubj"])
    try:
        for start in (mlflow_serve, rairpredict_serve):
            server = start("models:/rair-tamper/1", MLFLOW_TRACKING_URI=uri)
            try:
                err = server.stderr()
                assert server.url is None and server.proc.returncode != 0, start.__name__
                assert "differs from the one recorded in MLflow" in err, err[-1500:]
            finally:
                server.stop()
    finally:
        for rel, raw in original.items():
            (data / rel).write_bytes(raw)
