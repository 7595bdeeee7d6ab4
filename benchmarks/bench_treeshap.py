"""Benchmark: exact TreeSHAP by split-pattern lookup vs XGBoost's own.

For 1M synthetic rows x 40 numeric features (~10 % NaN) and two models
(150 trees depth 3; 300 trees depth 4, both ``hist``), prints the XGBoost
``predict`` time, XGBoost ``pred_contribs`` time (measured on a subset and
scaled linearly to the full size, said so in the output), the pattern-lookup
time, their ratios, patients explained per second, and the max abs difference
against XGBoost's ``pred_contribs`` on a 20k-row subset.

Run from the repository root::

    .venv/bin/python benchmarks/bench_treeshap.py                 # 1M rows
    .venv/bin/python benchmarks/bench_treeshap.py --n 200000      # quick
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def _data(n: int, p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)).astype(np.float32)
    X[:, : p // 4] = np.round(X[:, : p // 4] * 3)  # some discrete-valued columns
    logit = X[:, 0] + 0.7 * X[:, 1] * X[:, 2] - 0.5 * np.abs(X[:, 3]) + 0.3 * X[:, 4:10].sum(axis=1)
    y = rng.random(n) < 1 / (1 + np.exp(-np.clip(logit, -30, 30)))
    X[rng.random(X.shape) < 0.10] = np.nan
    return X, y


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main(argv=None) -> None:
    import xgboost as xgb

    from rairpredict.explain import PatternTreeShap

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--p", type=int, default=40)
    ap.add_argument(
        "--contribs-n", type=int, default=200_000, help="rows for the pred_contribs baseline"
    )
    ap.add_argument("--check-n", type=int, default=20_000)
    ap.add_argument("--nthread", type=int, default=2)
    args = ap.parse_args(argv)

    X, y = _data(args.n, args.p)
    Xtrain, ytrain = X[:50_000], y[:50_000]
    nan = np.isnan(X).mean()
    print(f"rows {args.n:,} x {args.p} features, {nan:.1%} NaN, nthread {args.nthread}")
    for n_trees, depth in [(150, 3), (300, 4)]:
        model = xgb.XGBClassifier(
            n_estimators=n_trees, max_depth=depth, tree_method="hist", learning_rate=0.1,
            n_jobs=args.nthread,
        ).fit(Xtrain, ytrain)
        booster = model.get_booster()
        booster.set_param({"nthread": args.nthread})
        dm, t_dm = _timed(lambda: xgb.DMatrix(X, missing=np.nan, nthread=args.nthread))
        _, t_pred = _timed(lambda: booster.predict(dm, output_margin=True))
        t_pred += t_dm
        sub = X[: args.contribs_n]
        _, t_sub = _timed(
            lambda: booster.predict(xgb.DMatrix(sub, nthread=args.nthread), pred_contribs=True)
        )
        t_contribs = t_sub * args.n / len(sub)
        explainer, t_parse = _timed(lambda: PatternTreeShap(model))
        phi, t_pattern = _timed(lambda: explainer.contributions(X, nthread=args.nthread))
        n_patterns = [t.values.shape[1] for t in explainer._tables]
        chk = X[: args.check_n]
        ref = booster.predict(xgb.DMatrix(chk, nthread=args.nthread), pred_contribs=True)
        diff32 = float(np.abs(phi[: len(chk)] - ref).max())
        phi64 = explainer.contributions(chk, nthread=args.nthread, dtype=np.float64)
        diff64 = float(np.abs(phi64 - ref).max())
        margin = booster.predict(xgb.DMatrix(chk), output_margin=True)
        dmargin = float(np.abs(phi64.sum(axis=1) - margin).max())
        print(f"\n{n_trees} trees, depth {depth}")
        print(f"  XGBoost predict (margin, incl. DMatrix)   {t_pred:8.2f} s")
        print(f"  XGBoost pred_contribs (scaled from {len(sub):,})  {t_contribs:8.2f} s"
              f"  ({len(sub) / t_sub:,.0f} rows/s)")
        print(f"  pattern lookup (first call, cold cache)   {t_pattern:8.2f} s"
              f"  (+ parse {t_parse:.2f} s)")
        print(f"  ratio pattern / predict                   {t_pattern / t_pred:8.2f}")
        print(f"  ratio pattern / pred_contribs             {t_pattern / t_contribs:8.3f}"
              f"  (speed-up x{t_contribs / t_pattern:.1f})")
        print(f"  patients explained per second             {args.n / t_pattern:12,.0f}")
        print(f"  distinct patterns per tree: median {int(np.median(n_patterns))},"
              f" max {max(n_patterns)}")
        print(f"  max |pattern - pred_contribs| on {len(chk):,} rows: float32 {diff32:.3g}, "
              f"float64 accumulation {diff64:.3g}")
        print(f"  max |row sum (float64) - predict(output_margin)|: {dmargin:.3g}")
        del dm, phi


if __name__ == "__main__":
    main()
