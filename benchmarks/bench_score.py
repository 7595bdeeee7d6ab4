"""Benchmark of `rairpredict score`: 1M synthetic patients, Parquet in -> Parquet out.

Prints the end-to-end time with ``--explain 3``, the raw XGBoost
``predict(output_margin)`` + ``predict(pred_contribs)`` time on the same
prepared matrix in the same run, their ratio (goal <= 1.3), patients explained
per second, the time with ``--explain 0``, and the peak RSS of a child process
scoring 10M rows streamed from a Parquet file made by repeating the 1M file
(goal < 1.5 GB). Contributions are exact (XGBoost TreeSHAP), never approximated.

Run from the repository root::

    .venv/bin/python benchmarks/bench_score.py            # full run
    .venv/bin/python benchmarks/bench_score.py --n 200000 --big 0   # quick

Data and outputs are cached under ``benchmarks/out/`` (git-ignored).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out"
ROOT = Path(__file__).resolve().parents[1]


def _model():
    """The model `demo` exports if present; else XGBoost 150 trees, depth 3 on the rair target."""
    import yaml

    from rairpredict.cohort.simulate import simulate_cohort
    from rairpredict.labels import add_labels
    from rairpredict.models.risk_model import RiskModel, fit_risk_model

    exported = ROOT / "models" / "rair.joblib"
    if exported.is_file():
        return RiskModel.load(exported), f"{exported} (exported by demo)"
    cached = OUT / "bench_model.joblib"
    if cached.is_file():
        return RiskModel.load(cached), f"{cached} (XGBoost 150 trees, depth 3; models/rair.joblib absent)"
    cfg = yaml.safe_load((ROOT / "configs" / "targets" / "rair.yaml").read_text())
    cohort = add_labels(simulate_cohort(cfg["cohort"]["simulate"]["n"], seed=0))
    rows = cohort["rair"].notna()
    model = fit_risk_model(cohort[rows], cohort.loc[rows, "rair"].astype(int), features=cfg["features"],
                           decision_point=cfg["decision_point"], kind="xgboost",
                           params={"n_estimators": 150, "max_depth": 3}, target="rair", label="rair",
                           bands=cfg["bands"])
    model.save(cached)
    return model, f"{cached} (XGBoost 150 trees, depth 3, trained here: models/rair.joblib absent)"


def _cohort(n: int) -> Path:
    """n simulated patients (canonical, non-derived columns), cached as Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from rairpredict.cohort.contract import load_contract
    from rairpredict.cohort.simulate import simulate_cohort

    path = OUT / f"cohort_{n}.parquet"
    if path.is_file():
        return path
    contract = load_contract()
    tmp = path.with_suffix(".tmp")
    writer = None
    step = 200_000
    for start in range(0, n, step):
        part = simulate_cohort(min(step, n - start), seed=1000 + start // step)
        part = part[[f.name for f in contract if not f.derived]].copy()
        part["patient_id"] = [f"B{start + i:08d}" for i in range(len(part))]
        for c in part.columns:  # categories as plain strings: one schema for every part
            if str(part[c].dtype) == "category":
                part[c] = part[c].astype("string")
        table = pa.Table.from_pandas(part, preserve_index=False)
        writer = writer or pq.ParquetWriter(tmp, table.schema)
        writer.write_table(table)
    writer.close()
    os.replace(tmp, path)
    return path


def _repeat(src: Path, times: int) -> Path:
    """``times`` copies of ``src`` streamed batch by batch into one Parquet file (ids made unique)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    n = pq.ParquetFile(src).metadata.num_rows
    path = OUT / f"cohort_{n * times}.parquet"
    if path.is_file():
        return path
    tmp = path.with_suffix(".tmp")
    writer = None
    for k in range(times):
        for batch in pq.ParquetFile(src).iter_batches(batch_size=200_000):
            table = pa.Table.from_batches([batch])
            ids = pc.binary_join_element_wise(table["patient_id"], pa.scalar(f"-{k}"), "")
            table = table.set_column(table.schema.get_field_index("patient_id"), "patient_id", ids)
            writer = writer or pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
    writer.close()
    os.replace(tmp, path)
    return path


def _raw_xgboost(model, src: Path) -> tuple[float, float, int]:
    """Seconds of booster.predict(output_margin) and predict(pred_contribs) on the prepared matrix."""
    import pyarrow.parquet as pq
    import xgboost as xgb

    from rairpredict.cohort.derive import add_derived
    from rairpredict.cohort.validate import validate_canonical

    parts = []
    for batch in pq.ParquetFile(src).iter_batches(batch_size=100_000):
        table = add_derived(validate_canonical(batch.to_pandas(), check_duplicates=False).table)
        parts.append(model.transform(table).to_numpy(np.float32, na_value=np.nan))
    X = np.vstack(parts)
    del parts
    booster = model.classifier.get_booster()
    booster.set_param({"nthread": os.cpu_count() or 1})
    dm = xgb.DMatrix(X, missing=np.nan, nthread=os.cpu_count() or 1)
    t0 = time.perf_counter()
    booster.predict(dm, output_margin=True, validate_features=False)
    t1 = time.perf_counter()
    booster.predict(dm, pred_contribs=True, validate_features=False)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, X.shape[1]


_CHILD = """
import json, resource, sys, time
from rairpredict.scoring import score_file
t = time.perf_counter()
s = score_file(sys.argv[1], sys.argv[2], sys.argv[3], explain=int(sys.argv[4]), report=None, progress=False)
print(json.dumps({"rows": s.rows_in, "seconds": time.perf_counter() - t,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _child_score(model_path: Path, src: Path, dst: Path, explain: int) -> dict:
    res = subprocess.run([sys.executable, "-c", _CHILD, str(model_path), str(src), str(dst), str(explain)],
                         check=True, capture_output=True, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--big", type=int, default=10, help="multiple of n for the memory run (0: skip)")
    p.add_argument("--big-explain", type=int, default=3)
    args = p.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    from rairpredict.scoring import score_file

    model, origin = _model()
    model_path = OUT / "bench_model_used.joblib"
    model.save(model_path)
    clf = model.classifier
    print(f"model: {origin}; {clf.n_estimators} trees, depth {clf.max_depth}; cores {os.cpu_count()}")
    t = time.perf_counter()
    src = _cohort(args.n)
    print(f"input: {src.name} ({args.n:,} rows; prepared in {time.perf_counter() - t:.1f} s)")

    s3 = score_file(model, src, OUT / "scores_explain3.parquet", explain=3, report=None, progress=False)
    s0 = score_file(model, src, OUT / "scores_explain0.parquet", explain=0, report=None, progress=False)
    t_margin, t_contrib, p = _raw_xgboost(model, src)
    raw = t_margin + t_contrib
    print(f"end-to-end --explain 3: {s3.seconds:.1f} s  ({s3.rows_scored / s3.seconds:,.0f} patients explained/s)")
    print(f"raw XGBoost on the prepared {args.n:,} x {p} matrix: predict(output_margin) {t_margin:.1f} s "
          f"+ predict(pred_contribs) {t_contrib:.1f} s = {raw:.1f} s")
    print(f"ratio end-to-end / raw: {s3.seconds / raw:.2f} (goal <= 1.3); "
          f"vs pred_contribs alone: {s3.seconds / t_contrib:.2f}")
    print(f"end-to-end --explain 0: {s0.seconds:.1f} s  ({s0.rows_scored / s0.seconds:,.0f} patients/s)")
    if args.big:
        big = _repeat(src, args.big)
        r = _child_score(model_path, big, OUT / "scores_big.parquet", args.big_explain)
        print(f"{r['rows']:,} rows, --explain {args.big_explain}, child process: {r['seconds']:.0f} s, "
              f"peak RSS {r['peak_rss_mb']:.0f} MB (goal < 1536 MB)")


if __name__ == "__main__":
    main()
