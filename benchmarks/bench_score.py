"""Benchmark of `rairpredict score`: 1M synthetic patients, Parquet in -> Parquet out.

For the model `demo` exports (``models/rair.joblib``) and, so that the cost of
explanations against model size is visible, XGBoost models of 150 trees depth 3
and 300 trees depth 4 trained on the same cohort, it prints:

* the end-to-end time of ``score_file(..., explain=3)`` on 1M rows and patients
  explained per second;
* on the same prepared matrix, in the same run: raw XGBoost
  ``predict(output_margin)`` + ``predict(pred_contribs)`` and the ratio
  end-to-end / raw (goal <= 1.3); raw ``predict`` + a fresh
  :class:`~rairpredict.explain.PatternTreeShap` (tables built from scratch)
  and the ratio against that too;
* the ``explain=0`` time;
* the AUROC of each model on an independent simulated cohort (the cost, if
  any, of a smaller, cheaper-to-explain model);
* the peak RSS of a child process scoring 10M rows with ``explain=3``, streamed
  from a Parquet file made by repeating the 1M file batch by batch (goal < 1.5 GB).

Contributions are exact (bit-identical to XGBoost's pred_contribs), never
approximated. The machine's 2 cores are shared with other processes: the load
average is printed beside the figures.

Run from the repository root::

    .venv/bin/python benchmarks/bench_score.py            # full run (~10 min)
    .venv/bin/python benchmarks/bench_score.py --n 200000 --big 0 --models default   # quick

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


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def _fit(n_estimators: int, max_depth: int):
    """XGBoost on the rair target of the demo cohort (same features, bands), cached."""
    import yaml

    from rairpredict.cohort.simulate import simulate_cohort
    from rairpredict.labels import add_labels
    from rairpredict.models.risk_model import RiskModel, fit_risk_model

    cached = OUT / f"bench_model_{n_estimators}x{max_depth}.joblib"
    if cached.is_file():
        return RiskModel.load(cached)
    cfg = yaml.safe_load((ROOT / "configs" / "targets" / "rair.yaml").read_text())
    sim = cfg["cohort"]["simulate"]
    cohort = add_labels(simulate_cohort(sim["n"], seed=sim.get("seed", 0)))
    rows = cohort["rair"].notna()
    model = fit_risk_model(cohort[rows], cohort.loc[rows, "rair"].astype(int), features=cfg["features"],
                           decision_point=cfg["decision_point"], kind="xgboost",
                           params={"n_estimators": n_estimators, "max_depth": max_depth}, target="rair",
                           label="rair", bands=cfg["bands"])
    model.save(cached)
    return model


def _models(which: list[str]):
    from rairpredict.models.risk_model import RiskModel

    out = []
    if "default" in which:
        exported = ROOT / "models" / "rair.joblib"
        if exported.is_file():
            out.append(("demo export", RiskModel.load(exported)))
        else:
            print("models/rair.joblib absent (run `rairpredict demo`): default model skipped")
    for name, (trees, depth) in (("150x3", (150, 3)), ("300x4", (300, 4))):
        if name in which:
            out.append((f"{trees} trees depth {depth}", _fit(trees, depth)))
    return out


def _auroc(model, holdout) -> float:
    from rairpredict.evaluation import auroc

    table, y = holdout
    return float(auroc(y, model.predict_proba(table)))


def _holdout(n: int = 20_000, seed: int = 4242):
    """An independent simulated cohort (seed not used for training) with its rair labels."""
    from rairpredict.cohort.simulate import simulate_cohort
    from rairpredict.labels import add_labels

    cohort = add_labels(simulate_cohort(n, seed=seed))
    rows = cohort["rair"].notna()
    return cohort[rows].reset_index(drop=True), cohort.loc[rows, "rair"].astype(int).to_numpy()


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


def _prepared(model, src: Path) -> np.ndarray:
    """The matrix the classifier sees, for every row of ``src`` (validated, derived, transformed)."""
    import pyarrow.parquet as pq

    from rairpredict.cohort.derive import add_derived
    from rairpredict.cohort.validate import validate_canonical

    parts = []
    for batch in pq.ParquetFile(src).iter_batches(batch_size=100_000):
        table = add_derived(validate_canonical(batch.to_pandas(), check_duplicates=False).table)
        parts.append(model.transform(table).to_numpy(np.float32, na_value=np.nan))
    return np.vstack(parts)


def _raw(model, X: np.ndarray) -> dict:
    """Seconds of booster predict(output_margin), predict(pred_contribs) and a fresh PatternTreeShap."""
    import xgboost as xgb

    from rairpredict.explain import PatternTreeShap

    threads = len(os.sched_getaffinity(0))
    booster = model.classifier.get_booster()
    booster.set_param({"nthread": threads})
    dm = xgb.DMatrix(X, missing=np.nan, nthread=threads)
    t0 = time.perf_counter()
    booster.predict(dm, output_margin=True, validate_features=False)
    t1 = time.perf_counter()
    ref = booster.predict(dm, pred_contribs=True, validate_features=False)
    t2 = time.perf_counter()
    phi = PatternTreeShap(booster).contributions(X, nthread=threads)  # tables built from scratch
    t3 = time.perf_counter()
    assert np.array_equal(phi, ref), "PatternTreeShap differs from pred_contribs"
    return {"margin": t1 - t0, "contribs": t2 - t1, "pattern": t3 - t2}


_CHILD = """
import json, resource, sys, time
from rairpredict.scoring import score_file
t = time.perf_counter()
s = score_file(sys.argv[1], sys.argv[2], sys.argv[3], explain=int(sys.argv[4]), report=None, progress=False)
# VmHWM, not ru_maxrss: Linux carries the parent's peak RSS over fork + exec into ru_maxrss
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"rows": s.rows_in, "seconds": time.perf_counter() - t, "peak_rss_mb": hwm / 1024,
                  "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
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
    p.add_argument("--models", default="default,150x3,300x4", help="comma list of default, 150x3, 300x4")
    args = p.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    from rairpredict.scoring import score_file

    print(f"cores {len(os.sched_getaffinity(0))}; {_load()}")
    t = time.perf_counter()
    src = _cohort(args.n)
    print(f"input: {src.name} ({args.n:,} rows; prepared in {time.perf_counter() - t:.1f} s)")
    models = _models(args.models.split(","))
    holdout = _holdout()
    first = None
    for name, model in models:
        clf = model.classifier
        print(f"\n== {name}: {clf.n_estimators} trees, depth {clf.max_depth}; "
              f"AUROC {_auroc(model, holdout):.3f} on {len(holdout[1]):,} independent simulated patients")
        s3 = score_file(model, src, OUT / "scores_explain3.parquet", explain=3, report=None, progress=False)
        print(f"end-to-end --explain 3: {s3.seconds:.1f} s  ({s3.rows_scored / s3.seconds:,.0f} patients "
              f"explained/s)  [{_load()}]")
        s0 = score_file(model, src, OUT / "scores_explain0.parquet", explain=0, report=None, progress=False)
        print(f"end-to-end --explain 0: {s0.seconds:.1f} s  ({s0.rows_scored / s0.seconds:,.0f} patients/s)")
        X = _prepared(model, src)
        r = _raw(model, X)
        raw, fast = r["margin"] + r["contribs"], r["margin"] + r["pattern"]
        print(f"raw on the prepared {X.shape[0]:,} x {X.shape[1]} matrix: predict(output_margin) "
              f"{r['margin']:.1f} s + predict(pred_contribs) {r['contribs']:.1f} s = {raw:.1f} s; "
              f"PatternTreeShap (fresh, bit-identical) {r['pattern']:.1f} s  [{_load()}]")
        print(f"ratio end-to-end / (predict + pred_contribs): {s3.seconds / raw:.2f} (goal <= 1.3); "
              f"end-to-end / (predict + PatternTreeShap): {s3.seconds / fast:.2f}; "
              f"--explain 0 / predict: {s0.seconds / r['margin']:.1f}")
        del X
        first = first or model
    if args.big and first is not None:
        big = _repeat(src, args.big)
        model_path = OUT / "bench_model_used.joblib"
        first.save(model_path)
        r = _child_score(model_path, big, OUT / "scores_big.parquet", args.big_explain)
        print(f"\n{r['rows']:,} rows, --explain {args.big_explain}, {models[0][0]}, child process: "
              f"{r['seconds']:.0f} s, peak RSS {r['peak_rss_mb']:.0f} MB (goal < 1536 MB)  [{_load()}]")


if __name__ == "__main__":
    main()
