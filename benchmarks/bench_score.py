"""Benchmark of `rairpredict score`: 1M synthetic patients, Parquet in -> Parquet out.

For the model `demo` exports (``models/rair.zip``) and, so that the cost of
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
* both for ``jobs=1`` (one process) and ``jobs=2`` (two worker processes
  scoring chunks while the main process reads and writes; same output bytes);
* the AUROC of each model on an independent simulated cohort (the cost, if
  any, of a smaller, cheaper-to-explain model);
* the peak memory of a child process scoring 10M rows with ``explain=3``, streamed
  from a Parquet file made by repeating the 1M file batch by batch (goal < 1.5 GB):
  for ``jobs=1`` the child's VmHWM; for ``jobs=2`` the largest sum of the RSS of
  the child and all its descendants (workers, their server), sampled every 50 ms,
  their largest sum of PSS (shared pages counted once, split between the
  processes sharing them) and the sum of their VmHWM (an upper bound: peaks of
  different processes need not coincide, and shared pages are counted in each).

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

    from rairpredict.simulation.simulate import simulate_cohort
    from rairpredict.labels import add_labels
    from rairpredict.models.risk_model import RiskModel, fit_risk_model

    cached = OUT / f"bench_model_{n_estimators}x{max_depth}.zip"
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
        exported = ROOT / "models" / "rair.zip"
        if exported.is_file():
            out.append(("demo export", RiskModel.load(exported)))
        else:
            print("models/rair.zip absent (run `rairpredict demo`): default model skipped")
    for name, (trees, depth) in (("150x3", (150, 3)), ("300x4", (300, 4))):
        if name in which:
            out.append((f"{trees} trees depth {depth}", _fit(trees, depth)))
    return out


def _auroc(model, holdout) -> float:
    from rairpredict.evaluation import auroc

    table, y = holdout
    return float(auroc(y, model.predict_risk(table)))


def _holdout(n: int = 20_000, seed: int = 4242):
    """An independent simulated cohort (seed not used for training) with its rair labels."""
    from rairpredict.simulation.simulate import simulate_cohort
    from rairpredict.labels import add_labels

    cohort = add_labels(simulate_cohort(n, seed=seed))
    rows = cohort["rair"].notna()
    return cohort[rows].reset_index(drop=True), cohort.loc[rows, "rair"].astype(int).to_numpy()


def _cohort(n: int) -> Path:
    """n simulated patients (canonical, non-derived columns), cached as Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from rairpredict.cohort.contract import load_contract
    from rairpredict.simulation.simulate import simulate_cohort

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
import json, os, sys, threading, time
from rairpredict.scoring import score_file


def status(pid, key, name="status"):
    try:
        with open(f"/proc/{pid}/{name}") as fh:
            return next((int(line.split()[1]) for line in fh if line.startswith(key)), 0)
    except OSError:  # the process ended
        return 0


def tree(root):
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except OSError:
            pass
    return pids


peak, pss, hwm, stop = [0], [0], {}, threading.Event()


def sample():
    while not stop.is_set():
        pids = tree(os.getpid())
        peak[0] = max(peak[0], sum(status(p, "VmRSS") for p in pids))
        pss[0] = max(pss[0], sum(status(p, "Pss:", "smaps_rollup") for p in pids))
        for p in pids:
            hwm[p] = max(hwm.get(p, 0), status(p, "VmHWM"))
        time.sleep(0.05)


if __name__ == "__main__":
    threading.Thread(target=sample, daemon=True).start()
    t = time.perf_counter()
    s = score_file(sys.argv[1], sys.argv[2], sys.argv[3], explain=int(sys.argv[4]), jobs=int(sys.argv[5]),
                   chunk_size=int(sys.argv[6]), report=None, progress=False)
    seconds = time.perf_counter() - t
    stop.set()
    # VmHWM, not ru_maxrss: Linux carries the parent's peak RSS over fork + exec into ru_maxrss
    hwm[os.getpid()] = status(os.getpid(), "VmHWM")
    print(json.dumps({"rows": s.rows_in, "seconds": seconds, "peak_rss_mb": hwm[os.getpid()] / 1024,
                      "tree_peak_rss_mb": peak[0] / 1024, "tree_peak_pss_mb": pss[0] / 1024, "tree_sum_hwm_mb": sum(hwm.values()) / 1024,
                      "processes": len([v for v in hwm.values() if v])}))
"""


def _child_score(model_path: Path, src: Path, dst: Path, explain: int, jobs: int, chunk: int) -> dict:
    script = OUT / "_child_score.py"  # a file, not -c: worker processes re-import the main module
    script.write_text(_CHILD)
    res = subprocess.run([sys.executable, str(script), str(model_path), str(src), str(dst), str(explain),
                          str(jobs), str(chunk)], check=True, capture_output=True, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--big", type=int, default=10, help="multiple of n for the memory run (0: skip)")
    p.add_argument("--big-explain", type=int, default=3)
    p.add_argument("--models", default="default,150x3,300x4", help="comma list of default, 150x3, 300x4")
    p.add_argument("--jobs", default="1,2", help="comma list of score_file(jobs=) values to time")
    p.add_argument("--big-chunks", default="1:100000,2:100000,2:50000",
                   help="memory runs as jobs:chunk_size, comma separated")
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
        e2e = {}
        for jobs in [int(j) for j in args.jobs.split(",")]:
            s3 = score_file(model, src, OUT / f"scores_explain3_j{jobs}.parquet", explain=3, report=None,
                            progress=False, jobs=jobs)
            print(f"jobs={jobs} end-to-end --explain 3: {s3.seconds:.1f} s  ({s3.rows_scored / s3.seconds:,.0f} "
                  f"patients explained/s)  [{_load()}]")
            s0 = score_file(model, src, OUT / f"scores_explain0_j{jobs}.parquet", explain=0, report=None,
                            progress=False, jobs=jobs)
            print(f"jobs={jobs} end-to-end --explain 0: {s0.seconds:.1f} s  ({s0.rows_scored / s0.seconds:,.0f} "
                  f"patients/s)")
            e2e[jobs] = (s3.seconds, s0.seconds)
        outputs = {j: (OUT / f"scores_explain3_j{j}.parquet").read_bytes() for j in e2e}
        print("output bytes identical for every jobs value:", len(set(outputs.values())) == 1)
        X = _prepared(model, src)
        r = _raw(model, X)
        raw, fast = r["margin"] + r["contribs"], r["margin"] + r["pattern"]
        print(f"raw on the prepared {X.shape[0]:,} x {X.shape[1]} matrix: predict(output_margin) "
              f"{r['margin']:.1f} s + predict(pred_contribs) {r['contribs']:.1f} s = {raw:.1f} s; "
              f"PatternTreeShap (fresh, bit-identical) {r['pattern']:.1f} s  [{_load()}]")
        for jobs, (t3, t0) in e2e.items():
            print(f"jobs={jobs} ratio end-to-end / (predict + pred_contribs): {t3 / raw:.2f} (goal <= 1.3); "
                  f"end-to-end / (predict + PatternTreeShap): {t3 / fast:.2f}; "
                  f"--explain 0 / predict: {t0 / r['margin']:.1f}")
        del X
        first = first or model
    if args.big and first is not None:
        big = _repeat(src, args.big)
        model_path = OUT / "bench_model_used.zip"
        first.save(model_path)
        print()
        for spec in args.big_chunks.split(","):
            jobs, chunk = (int(v) for v in spec.split(":"))
            r = _child_score(model_path, big, OUT / "scores_big.parquet", args.big_explain, jobs, chunk)
            print(f"{r['rows']:,} rows, --explain {args.big_explain}, {models[0][0]}, jobs={jobs}, chunks of "
                  f"{chunk:,}: {r['seconds']:.0f} s; peak RSS of the scoring process {r['peak_rss_mb']:.0f} MB, "
                  f"of all {r['processes']} processes together: RSS {r['tree_peak_rss_mb']:.0f} MB, PSS "
                  f"{r['tree_peak_pss_mb']:.0f} MB (sampled every 50 ms; sum of their VmHWM "
                  f"{r['tree_sum_hwm_mb']:.0f} MB; goal < 1536 MB)  [{_load()}]")


if __name__ == "__main__":
    main()
