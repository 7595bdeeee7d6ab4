"""MLflow pyfunc: logging, loading in a fresh process, registry references, REST serving."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rairpredict.scoring import SCORE_COLUMNS, load_model_ref, score_frame
from rairpredict.scoring.pyfunc import input_schema, synthetic_input_example, to_pyfunc_input

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def requests_rows(cohort):
    table, _ = cohort
    return table.head(6).reset_index(drop=True)


def test_signature_and_input_types(logged):
    info = logged[0]
    # no input schema: MLflow would drop unknown columns silently; the model checks every request itself
    assert info.signature.inputs is None and info.signature.params.params[0].name == "explain"
    inputs = {c.name: c for c in input_schema().inputs}
    assert inputs["patient_id"].required and inputs["age_years"].required
    assert not inputs["braf_v600e"].required and inputs["braf_v600e"].type.name == "string"
    assert inputs["ln_positive"].type.name == "double" and inputs["histology"].type.name == "string"
    assert [o.name for o in info.signature.outputs.inputs][:len(SCORE_COLUMNS)] == SCORE_COLUMNS
    example = synthetic_input_example()
    assert example["patient_id"].str.startswith("SIM").all()  # simulated, never real rows


def test_registry_reference_sets_name_and_version(logged, xgb_model, requests_rows):
    import mlflow

    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(logged[2])
    mlflow.set_registry_uri(logged[2])
    try:
        model = load_model_ref("models:/rair-scoring@champion")
        assert model.metadata["name"] == "rair-scoring" and model.metadata["version"] == "1"
        assert load_model_ref("models:/rair-scoring/1").metadata["version"] == "1"
        run = load_model_ref(logged[0].model_uri)
    finally:
        mlflow.set_tracking_uri(previous)
        mlflow.set_registry_uri(previous)
    np.testing.assert_allclose(model.predict_risk(requests_rows), xgb_model.predict_risk(requests_rows), atol=0)
    np.testing.assert_allclose(run.predict_risk(requests_rows), xgb_model.predict_risk(requests_rows), atol=0)


_FRESH = """
import sys, mlflow, pandas as pd
model = mlflow.pyfunc.load_model(sys.argv[1])
out = model.predict(pd.read_parquet(sys.argv[2]), params={"explain": 3})
out.to_parquet(sys.argv[3])
"""


def test_fresh_process_predict(logged, xgb_model, requests_rows, tmp_path):
    local = logged[1]
    src, dst = tmp_path / "in.parquet", tmp_path / "out.parquet"
    to_pyfunc_input(requests_rows).to_parquet(src)
    subprocess.run([sys.executable, "-c", _FRESH, str(local), str(src), str(dst)], check=True, timeout=300)
    out = pd.read_parquet(dst)
    expected = score_frame(xgb_model, requests_rows, explain=3)
    assert list(out.columns) == list(expected.columns)
    np.testing.assert_allclose(out["probability"], xgb_model.predict_risk(requests_rows), atol=1e-6)
    assert out["reason_1_feature"].tolist() == expected["reason_1_feature"].tolist()
    assert (out["model_name"] == "rair-test").all()  # the model's own name (set before logging)


def test_in_process_bad_row_fails_with_reason(logged, requests_rows):
    import mlflow

    model = mlflow.pyfunc.load_model(str(logged[1]))
    bad = to_pyfunc_input(requests_rows)
    bad.loc[2, "histology"] = "not-a-histology"
    with pytest.raises(Exception, match="unseen_category"):
        model.predict(bad)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_rest_server(logged, xgb_model, requests_rows):
    local = logged[1]
    port = _free_port()
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}  # uvicorn of this venv
    proc = subprocess.Popen([str(bindir / "mlflow"), "models", "serve", "-m", str(local), "--env-manager", "local",
                             "-p", str(port), "-h", "127.0.0.1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "server did not answer /ping within 180 s"
            time.sleep(1)
        payload = to_pyfunc_input(requests_rows)
        payload["age_years"] = payload["age_years"].round()  # JSON integers must be accepted for doubles
        cells = payload.astype(object).where(payload.notna(), None).to_numpy().tolist()  # full precision
        body = json.dumps({"dataframe_split": {"columns": list(payload.columns), "data": cells},
                           "params": {"explain": 2}}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            answer = json.loads(r.read())
        out = pd.DataFrame(answer["predictions"])
        expected_rows = requests_rows.assign(age_years=requests_rows["age_years"].round())
        from rairpredict.cohort.derive import add_derived

        np.testing.assert_allclose(out["probability"], xgb_model.predict_risk(add_derived(expected_rows)), atol=1e-6)
        assert out["patient_id"].tolist() == requests_rows["patient_id"].astype(str).tolist()
        assert "reason_2_feature" in out.columns and "reason_3_feature" not in out.columns
    finally:
        proc.kill()
        proc.wait(timeout=30)
