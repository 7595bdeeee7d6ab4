"""Issue 15 figures: the scoring pipeline against its baselines, each measured in the same run.

Prints, for the demo's default model and ``--n`` simulated patients (Parquet in and out):

* **validation + derivation** of every row (chunks of 100k, as ``score`` does),
  with this source tree and, when ``--baseline`` names a git commit, with that
  commit's ``src/`` in a subprocess (same input, same machine, same minute):
  seconds per 1M rows and the ratio;
* **end to end** ``score_file(explain=0)`` and ``score_file(explain=3)``
  (``jobs=1``) beside the raw work of the same columns: Parquet read +
  XGBoost ``predict`` (+ exact SHAP with the cached explainer) + Parquet write
  of the output, and the ratio (goal <= 2.0);
* **--jobs scaling**: ``score_file(explain=3)`` with ``jobs=2`` against ``jobs=1``
  (goal >= 1.7 on 2 idle cores), and whether their output bytes are identical;
* **input-shift checks**: their cost against ``explain=3`` scoring on ``--n`` rows
  (``bench_shift.py``; goal <= 10 %);
* **cold start**: ``rairpredict --help`` (goal <= 0.5 s) beside ``python -c pass`` and
  ``python -c "import pandas, pyarrow, xgboost"``, and ``rairpredict score`` of a
  one-row file to its output (goal <= 1.0 s), median of ``--repeat`` runs, with this
  tree and the ``--baseline`` tree scoring the same ``--model`` file;
* **one row, validation + derivation alone**: ``validate_canonical`` + ``add_derived`` of one
  request row as the pyfunc calls them, median of 300 warm calls, per tree, and the ratio;
* **one row in process, warm**: the pyfunc path (``RiskModelPyfunc.predict``:
  validation + derivation + ``score_frame(explain=3)``, a different simulated
  patient per call), median and p90 of 300 calls (goal <= 5 ms), per tree, beside
  the classifier's own one-row ``predict_proba``.

The machine is shared: the load average is printed beside the figures; rerun
on an idle machine for the numbers that count. Never a timed assertion.

Run from the repository root::

    .venv/bin/python benchmarks/bench_pipeline.py --n 1000000 --baseline 46725be
    .venv/bin/python benchmarks/bench_pipeline.py --n 200000 --skip-e2e          # quick
    .venv/bin/python benchmarks/bench_pipeline.py --only-latency --baseline 5d0e29a --model M.zip
    .venv/bin/python benchmarks/bench_pipeline.py --only-checks --n 1000000 --baseline 8b361fa
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


_VALIDATE = r"""
import json, sys, time
import pyarrow.parquet as pq
from rairpredict.cohort.derive import add_derived
from rairpredict.cohort.contract import load_contract
from rairpredict.cohort.validate import validate_canonical
contract = load_contract()
pf = pq.ParquetFile(sys.argv[1])
rows, v, d = 0, 0.0, 0.0
for batch in pf.iter_batches(batch_size=100_000):
    raw = batch.to_pandas()
    raw = raw[[c for c in raw.columns if c in contract]]  # an older contract may lack newer fields
    t0 = time.perf_counter()
    result = validate_canonical(raw, row_offset=rows)
    t1 = time.perf_counter()
    add_derived(result.table)
    d += time.perf_counter() - t1
    v += t1 - t0
    rows += len(raw)
print(json.dumps({"rows": rows, "validate": v, "derive": d}))
"""


def _validate_seconds(src: Path, code_root: Path) -> dict:
    """Validation and derivation seconds of every row of ``src`` with the package under ``code_root``."""
    env = {**os.environ, "PYTHONPATH": str(code_root)}
    res = subprocess.run([sys.executable, "-c", _VALIDATE, str(src)], check=True, capture_output=True, text=True,
                         env=env, cwd=tempfile.gettempdir())
    return json.loads(res.stdout.strip().splitlines()[-1])


def _baseline_tree(commit: str) -> Path:
    """``src/`` of ``commit`` (git archive), cached under benchmarks/out/."""
    dest = OUT / f"src_{commit}"
    if not (dest / "src" / "rairpredict").is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "src"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest / "src"


def _raw_pipeline(model, src: Path, scored: Path, explain: int) -> dict:
    """Seconds of the raw work behind ``score``: read, predict (+ exact SHAP), write the same columns."""
    import pyarrow.parquet as pq
    import xgboost as xgb

    from bench_score import _prepared
    from rairpredict.scoring._frame import tree_explainer

    t0 = time.perf_counter()
    for batch in pq.ParquetFile(src).iter_batches(batch_size=100_000):
        batch.to_pandas()
    read = time.perf_counter() - t0
    X = _prepared(model, src)
    booster = model.classifier.get_booster()
    threads = len(os.sched_getaffinity(0))
    t0 = time.perf_counter()
    booster.predict(xgb.DMatrix(X, missing=np.nan, nthread=threads), output_margin=True, validate_features=False)
    predict = time.perf_counter() - t0
    shap = 0.0
    if explain:
        explainer = tree_explainer(model)
        explainer.contributions(X[:1000], nthread=threads)  # tables warm, as in a long scoring run
        t0 = time.perf_counter()
        explainer.contributions(X, nthread=threads)
        shap = time.perf_counter() - t0
    table = pq.read_table(scored)
    t0 = time.perf_counter()
    pq.write_table(table, OUT / "raw_write.parquet")
    write = time.perf_counter() - t0
    return {"read": read, "predict": predict, "shap": shap, "write": write}


def _median_wall(cmd: list[str], repeat: int, env=None) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=tempfile.gettempdir())
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _cold_start(repeat: int, trees: dict, model_path: Path) -> None:
    from rairpredict.scoring.pyfunc import to_pyfunc_input
    from rairpredict.simulation.simulate import simulate_cohort

    one = OUT / "one_row.csv"
    to_pyfunc_input(simulate_cohort(1, seed=7)).to_csv(one, index=False)
    py = sys.executable
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    base = _median_wall([py, "-c", "pass"], repeat, env)
    # the libraries a logistic model's scoring needs (its lean plan: no scikit-learn, SciPy, XGBoost)
    lean = _median_wall([py, "-c", "import pandas, pyarrow"], repeat, env)
    libs = _median_wall([py, "-c", "import pandas, pyarrow, xgboost"], repeat, env)
    helps = _median_wall([py, "-m", "rairpredict", "--help"], repeat, env)
    print(f"cold start (median of {repeat}): python -c pass {base:.2f} s; import pandas+pyarrow {lean:.2f} s; "
          f"import pandas+pyarrow+xgboost {libs:.2f} s (xgboost imports scikit-learn and SciPy); "
          f"`rairpredict --help` {helps:.2f} s (goal <= 0.5)  [{_load()}]")
    for name, src in trees.items():  # the same model file for every tree
        score = _median_wall([py, "-m", "rairpredict", "score", "-i", str(one), "-o", str(OUT / "one_row.scores.csv"),
                              "--model", str(model_path)], repeat, {**os.environ, "PYTHONPATH": str(src)})
        print(f"  {name}: `rairpredict score` of one row, start to output file {score:.2f} s (goal <= 1.0; "
              f"{score / libs:.2f} x import pandas+pyarrow+xgboost, {score / lean:.2f} x import "
              f"pandas+pyarrow)  [{_load()}]")


_ONE_ROW = r"""
import json, sys, time
import numpy as np
from rairpredict.scoring import load_model_ref
from rairpredict.scoring.pyfunc import RiskModelPyfunc, _canonical, to_pyfunc_input
from rairpredict.simulation.simulate import simulate_cohort
model = load_model_ref(sys.argv[1])
calls = int(sys.argv[2])
rows = [to_pyfunc_input(simulate_cohort(1, seed=s)).reset_index(drop=True) for s in range(20)]
served = RiskModelPyfunc(model, 3)  # what REST and Spark call: validate + derive + score_frame(explain=3)

def timed(fn):
    for r in rows:
        fn(r)
    out = []
    for i in range(calls):
        t0 = time.perf_counter()
        fn(rows[i % len(rows)])
        out.append(time.perf_counter() - t0)
    return out

pyfunc = timed(served.predict)
X = [model.transform(_canonical(r)) for r in rows]
clf = model.classifier
raw = []
for i in range(calls):
    x = X[i % len(X)]
    t0 = time.perf_counter()
    clf.predict_proba(x)
    raw.append(time.perf_counter() - t0)
print(json.dumps({"pyfunc": pyfunc, "raw": raw, "kind": model.kind}))
"""


def _one_row(trees: dict, model_path: Path, calls: int = 300) -> None:
    """The pyfunc path for one row (a different simulated patient per call), per code tree, same model file."""
    for name, src in trees.items():
        res = subprocess.run([sys.executable, "-c", _ONE_ROW, str(model_path), str(calls)], check=True,
                             capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(src)},
                             cwd=tempfile.gettempdir())
        got = json.loads(res.stdout.strip().splitlines()[-1])
        ms = 1000 * np.asarray(got["pyfunc"])
        rmed = 1000 * np.median(got["raw"])
        print(f"  {name}: one row in process, warm (RiskModelPyfunc.predict: validate + derive + "
              f"score_frame explain=3), {got['kind']} model: median {np.median(ms):.1f} ms, p90 "
              f"{np.quantile(ms, 0.9):.1f} ms (goal <= 5); the classifier's predict_proba of the row alone "
              f"{rmed:.2f} ms (ratio {np.median(ms) / rmed:.0f})  [{_load()}]")


_ONE_ROW_VD = r"""
import json, sys, time
from rairpredict.cohort.contract import schema_of
from rairpredict.cohort.derive import add_derived
from rairpredict.cohort.validate import validate_canonical
from rairpredict.scoring import load_model_ref
from rairpredict.scoring._file import _derived_inputs
from rairpredict.scoring.pyfunc import to_pyfunc_input
from rairpredict.simulation.simulate import simulate_cohort
model = load_model_ref(sys.argv[1])
calls = int(sys.argv[2])
contract = schema_of(extras=model.metadata.get("extra_fields"))  # as RiskModelPyfunc builds it, once
derived = _derived_inputs(model)
rows = [to_pyfunc_input(simulate_cohort(1, seed=s)).reset_index(drop=True) for s in range(20)]
v, d = [], []
for i in range(calls + len(rows)):  # the first pass over the rows warms up, untimed
    row = rows[i % len(rows)]
    t0 = time.perf_counter()
    result = validate_canonical(row, file="<request>", check_duplicates=False, schema=contract)
    t1 = time.perf_counter()
    add_derived(result.table, only=derived)
    t2 = time.perf_counter()
    if i >= len(rows):
        v.append(t1 - t0)
        d.append(t2 - t1)
print(json.dumps({"validate": v, "derive": d}))
"""


def _one_row_checks(trees: dict, model_path: Path, calls: int = 300) -> None:
    """validate_canonical + add_derived of one request row (as the pyfunc calls them), per code tree."""
    got = {}
    for name, src in trees.items():
        res = subprocess.run([sys.executable, "-c", _ONE_ROW_VD, str(model_path), str(calls)], check=True,
                             capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(src)},
                             cwd=tempfile.gettempdir())
        times = json.loads(res.stdout.strip().splitlines()[-1])
        got[name] = {k: 1000 * np.median(v) for k, v in times.items()}
        both = 1000 * np.median(np.add(times["validate"], times["derive"]))
        got[name]["both"] = both
        print(f"  {name}: one row, warm, validation + derivation alone (median of {calls}): {both:.2f} ms "
              f"(validate {got[name]['validate']:.2f} + derive {got[name]['derive']:.2f})  [{_load()}]")
    if len(got) == 2:
        (a, now), (b, then) = got.items()
        print(f"  ratio {b} / {a}: {then['both'] / now['both']:.1f} x (validate "
              f"{then['validate'] / now['validate']:.1f} x, derive {then['derive'] / now['derive']:.1f} x)")


def _latency(args) -> None:
    from rairpredict.scoring import DEFAULT_MODEL

    trees = {"this tree": ROOT / "src"}
    if args.baseline:
        trees[f"baseline {args.baseline}"] = _baseline_tree(args.baseline)
    model_path = Path(args.model or DEFAULT_MODEL).resolve()
    print(f"latency figures with model {model_path}")
    if not args.only_checks:
        _cold_start(args.repeat, trees, model_path)
    _one_row_checks(trees, model_path)
    if not args.only_checks:
        _one_row(trees, model_path)


def _e2e_model(ref):
    """The model of the end-to-end, jobs and input-shift figures: ``--model``, else the default,
    else (the raw baseline is XGBoost predict + exact SHAP) a 300-tree depth-4 XGBoost."""
    from rairpredict.scoring import load_model_ref

    model = load_model_ref(ref)
    if not hasattr(model.classifier, "get_booster"):
        from bench_score import _fit

        print(f"end-to-end figures: the {model.kind} model has no trees to explain; using a 300-tree depth-4 "
              f"XGBoost on the demo cohort instead (pass --model FILE for the demo's export)")
        model = _fit(300, 4)
    return model


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--baseline", default=None, help="git commit whose src/ is the validation baseline")
    p.add_argument("--skip-e2e", action="store_true", help="skip the end-to-end and jobs runs")
    p.add_argument("--repeat", type=int, default=5, help="cold-start runs (median)")
    p.add_argument("--skip-shift", action="store_true", help="skip the input-shift overhead (bench_shift.py)")
    p.add_argument("--model", default=None, help="model file for every figure (default: this tree's default "
                   "model; the baseline tree scores the same file)")
    p.add_argument("--only-latency", action="store_true", help="only the cold-start and one-row figures")
    p.add_argument("--only-checks", action="store_true", help="only validation + derivation: of --n rows "
                   "(chunks of 100k) and of one row")
    args = p.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    from bench_score import _cohort
    from rairpredict.scoring import load_model_ref, score_file

    print(f"cores {len(os.sched_getaffinity(0))}; {_load()}")
    if args.only_latency:
        _latency(args)
        return
    src = _cohort(args.n)
    per = 1_000_000 / args.n
    now = _validate_seconds(src, ROOT / "src")
    line = (f"validation {now['validate'] * per:.2f} s + derivation {now['derive'] * per:.2f} s per 1M rows "
            f"(this tree)")
    if args.baseline:
        then = _validate_seconds(src, _baseline_tree(args.baseline))
        line += (f"; baseline {args.baseline}: {then['validate'] * per:.2f} s + {then['derive'] * per:.2f} s; "
                 f"ratio baseline/now: validation {then['validate'] / now['validate']:.1f} x, derivation "
                 f"{then['derive'] / now['derive']:.1f} x")
    print(line + f"  [{_load()}]")
    if args.only_checks:
        _latency(args)
        return

    model = _e2e_model(args.model)
    if not args.skip_e2e:
        runs = {}
        for explain, jobs in ((0, 1), (3, 1), (3, 2)):
            out = OUT / f"pipeline_e{explain}_j{jobs}.parquet"
            runs[explain, jobs] = (score_file(model, src, out, explain=explain, jobs=jobs, progress=False, report=None).seconds, out)
        for explain in (0, 3):
            raw = _raw_pipeline(model, src, runs[explain, 1][1], explain)
            total = sum(raw.values())
            e2e = runs[explain, 1][0]
            print(f"--explain {explain}, jobs 1: end to end {e2e:.1f} s; raw read {raw['read']:.1f} + predict "
                  f"{raw['predict']:.1f} + SHAP {raw['shap']:.1f} + write {raw['write']:.1f} = {total:.1f} s; "
                  f"ratio {e2e / total:.2f} (goal <= 2.0)  [{_load()}]")
        t1, t2 = runs[3, 1][0], runs[3, 2][0]
        same = runs[3, 1][1].read_bytes() == runs[3, 2][1].read_bytes()
        print(f"--explain 3: jobs 1 {t1:.1f} s, jobs 2 {t2:.1f} s: speed-up {t1 / t2:.2f} x "
              f"(goal >= 1.7 on 2 idle cores); output bytes identical: {same}  [{_load()}]")
        if not args.skip_shift:
            import bench_shift

            print(bench_shift.line(bench_shift.measure(args.n, model=model)))
    _latency(args)


if __name__ == "__main__":
    main()
