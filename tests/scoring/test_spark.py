"""Distributed scoring: mlflow.pyfunc.spark_udf gives the CLI's scores on the same rows."""
from __future__ import annotations

import os
import shutil
import sys

import numpy as np
import pandas as pd
import pytest

from rairpredict.cli import main
from rairpredict.scoring.pyfunc import input_schema, to_pyfunc_input

pytestmark = pytest.mark.slow

N = 200


@pytest.fixture(scope="module")
def spark():
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Java is not installed: the Spark UDF test needs a JVM (Java 17)")
    pyspark_sql = pytest.importorskip("pyspark.sql", reason="pyspark not installed (pip install -e .[test])")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # executors use this venv, where rairpredict is
    session = (pyspark_sql.SparkSession.builder.master("local[2]").appName("rairpredict-test")
               .config("spark.sql.shuffle.partitions", "2").config("spark.ui.enabled", "false")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    yield session
    session.stop()


def test_spark_udf_matches_cli(spark, logged, cohort, tmp_path_factory, model_path):
    import mlflow

    tmp = tmp_path_factory.mktemp("spark")
    rows = cohort[0].head(N).reset_index(drop=True)
    local = str(logged[1])
    # CLI on the same rows
    src, out = tmp / "in.parquet", tmp / "cli.parquet"
    from rairpredict.cohort.contract import load_contract

    contract = load_contract()
    rows[[c for c in rows.columns if c in contract]].to_parquet(src)
    assert main(["score", "--model", str(model_path), "-i", str(src), "-o", str(out), "--explain", "2"]) == 0
    cli = pd.read_parquet(out)
    # Spark: columns in the signature's types (double / string)
    data = to_pyfunc_input(rows[[c for c in rows.columns if c in contract]])
    schema = input_schema().as_spark_schema()  # all-missing columns need a declared type
    sdf = spark.createDataFrame(data[schema.fieldNames()], schema=schema)
    udf = mlflow.pyfunc.spark_udf(spark, local, result_type="patient_id string, probability double, "
                                                            "risk_band string, reason_1_feature string",
                                  env_manager="local", params={"explain": 2})
    # the columns as one struct keep their names (the model checks them, as over REST)
    from pyspark.sql import functions as F

    scored = sdf.select(udf(F.struct(*sdf.columns)).alias("s")).select("s.*").toPandas()
    merged = cli.merge(scored, on="patient_id", suffixes=("_cli", "_spark"))
    assert len(merged) == N
    np.testing.assert_allclose(merged["probability_spark"], merged["probability_cli"], rtol=0, atol=1e-6)
    assert (merged["risk_band_spark"] == merged["risk_band_cli"]).all()
    assert (merged["reason_1_feature_spark"] == merged["reason_1_feature_cli"]).all()


def test_spark_udf_refuses_tampered_model(spark, logged, cohort, tmp_path):
    """The executors load through the same verification: a changed byte fails the job, never scores."""
    import mlflow
    from pyspark.sql import functions as F

    tampered = tmp_path / "tampered"
    shutil.copytree(logged[1], tampered)
    booster = tampered / "data" / "risk_model" / "booster.ubj"
    raw = bytearray(booster.read_bytes())
    raw[len(raw) // 2] ^= 1
    booster.write_bytes(bytes(raw))
    from rairpredict.cohort.contract import load_contract

    rows = cohort[0].head(20).reset_index(drop=True)
    contract = load_contract()
    data = to_pyfunc_input(rows[[c for c in rows.columns if c in contract]])
    schema = input_schema().as_spark_schema()
    sdf = spark.createDataFrame(data[schema.fieldNames()], schema=schema)
    with pytest.raises(Exception, match="sha256 differs from manifest.json"):
        udf = mlflow.pyfunc.spark_udf(spark, str(tampered), result_type="patient_id string, probability double",
                                      env_manager="local")
        sdf.select(udf(F.struct(*sdf.columns)).alias("s")).select("s.*").toPandas()


def test_spark_udf_gives_a_survival_models_horizon_risks(spark, timed_rair_cohort, tmp_path):
    """Time-to-event models go through the same pyfunc: Spark returns risk by every horizon, as in process."""
    import mlflow
    from pathlib import Path
    from pyspark.sql import functions as F

    from rairpredict.cohort.contract import load_contract
    from rairpredict.models.survival import fit_survival_model
    from rairpredict.scoring.pyfunc import log_risk_model
    from rairpredict.tracking import configure_tracking

    table, time, event = timed_rair_cohort
    model = fit_survival_model(table, time, event, features=["age_years", "histology", "m_stage", "tg_stim_ng_ml",
                                                             "structural_disease_pre"],
                               decision_point="pre_therapy", kind="cox", horizons=(1.5, 3, 5), band_horizon=3,
                               target="rair_time", seed=0)
    previous = mlflow.get_tracking_uri()
    configure_tracking(f"sqlite:///{tmp_path / 'mlflow.db'}", repo_root=tmp_path)
    try:
        exp = mlflow.create_experiment("spark-survival", artifact_location=(tmp_path / "mlruns").as_uri())
        with mlflow.start_run(experiment_id=exp):
            info = log_risk_model(model, "model", explain=0)
        local = str(Path(mlflow.artifacts.download_artifacts(info.model_uri, dst_path=str(tmp_path / "dl"))))
    finally:
        mlflow.set_tracking_uri(previous)
        mlflow.set_registry_uri(previous)
    contract = load_contract()
    rows = table.head(50).reset_index(drop=True)
    data = to_pyfunc_input(rows[[c for c in rows.columns if c in contract]])
    schema = input_schema().as_spark_schema()
    sdf = spark.createDataFrame(data[schema.fieldNames()], schema=schema)
    udf = mlflow.pyfunc.spark_udf(spark, local, env_manager="local", params={"explain": 1},
                                  result_type="patient_id string, `risk_1.5y` double, risk_3y double, risk_5y double, "
                                              "reason_1_feature string, reason_1_log_hazard double")
    scored = sdf.select(udf(F.struct(*sdf.columns)).alias("s")).select("s.*").toPandas()
    from rairpredict.scoring import score_frame

    expected = model.predict_risk_horizons(rows)
    local = score_frame(model, rows, explain=1)[["patient_id", "reason_1_feature", "reason_1_log_hazard"]]
    merged = (rows[["patient_id"]].join(expected).merge(local, on="patient_id")
              .merge(scored, on="patient_id", suffixes=("", "_spark")))
    assert len(merged) == 50
    for h in ("1.5y", "3y", "5y"):
        np.testing.assert_allclose(merged[f"risk_{h}_spark"], merged[f"risk_{h}"], rtol=0, atol=1e-6)
    # the same log-hazard reasons, under the same column name, as in process and from the CLI
    assert (merged["reason_1_feature_spark"] == merged["reason_1_feature"]).all()
    np.testing.assert_allclose(merged["reason_1_log_hazard_spark"], merged["reason_1_log_hazard"], atol=1e-6)
