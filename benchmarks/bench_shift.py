"""Benchmark: cost of the input-shift checks against ``--explain 3`` scoring, 1M rows.

The shipped RAIR model gets a training profile computed on its own training
cohort (default profile, n = 2260, seed 0). Rows come from the simulated
``external`` site (Tg assay shift, an input absent, another case mix: most
rows carry warnings, so the per-row texts are not the cheap empty case).
A block of ``--block`` simulated rows is scored ``n / block`` times in chunks
of 100 000, as ``score_file`` does, so ``--n`` rows go through scoring.

Printed, measured in the same run on the same chunks:

* ``score``: :func:`~rairpredict.scoring.score_frame` with ``explain=3``
  (which runs the checks) -- the user's ``--explain 3`` scoring time;
* ``checks``: :func:`~rairpredict.scoring.shift.check_inputs` alone;
* the ratio checks / (score - checks): the overhead the checks add to scoring
  without them (goal <= 0.10), and the batch summary time.

The machine's 2 cores are shared: the load average is printed beside the figures.

Run from the repository root::

    .venv/bin/python benchmarks/bench_shift.py             # 1M rows
    .venv/bin/python benchmarks/bench_shift.py --n 200000  # quick
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import time


def measure(n: int = 1_000_000, block_rows: int = 100_000, repeats: int = 2, model=None) -> dict:
    """Seconds of ``score_frame_checked(explain=3)`` and of ``check_inputs`` alone on ``n`` rows (fastest pass).

    ``model``: a RiskModel or a reference (default: the shipped model); its profile is replaced.
    """
    from rairpredict.labels import add_labels
    from rairpredict.scoring import load_model_ref
    from rairpredict.scoring._frame import score_frame_checked
    from rairpredict.scoring.shift import PROFILE_KEY, check_inputs, input_profile, shift_summary
    from rairpredict.simulation.simulate import simulate_cohort

    model = load_model_ref(model)
    # a copy with no stored profile but the one made below (the caller's model keeps its own)
    model = dataclasses.replace(model, metadata={**(model.metadata or {})},
                                extras={k: v for k, v in (model.extras or {}).items() if k != PROFILE_KEY})
    train = simulate_cohort(2260, seed=0)
    rows = add_labels(train)["rair"].notna()
    model.metadata[PROFILE_KEY] = input_profile(model, train[rows].reset_index(drop=True))
    block = simulate_cohort(block_rows, seed=1, profile="external")
    chunks = max(1, n // block_rows)
    best = {"rows": chunks * len(block), "chunks": chunks, "block": len(block), "kind": model.kind,
            "inputs": len(model.features)}
    for _ in range(repeats):
        t_score = t_check = 0.0
        total = None
        for _ in range(chunks):
            t0 = time.perf_counter()
            _, counts = score_frame_checked(model, block, explain=3)
            t1 = time.perf_counter()
            check_inputs(model, block)
            t2 = time.perf_counter()
            t_score += t1 - t0
            t_check += t2 - t1
            total = counts if total is None else total + counts
        t0 = time.perf_counter()
        summary = shift_summary(model, total)
        t_summary = time.perf_counter() - t0
        if "score" not in best or t_score < best["score"]:
            best.update({"score": t_score, "check": t_check, "summary": t_summary,
                         "flagged": summary["rows_with_warnings"]})
    best["overhead"] = best["check"] / (best["score"] - best["check"])
    return best


def line(r: dict) -> str:
    """The overhead figure in one line, with the load average."""
    one, five, _ = os.getloadavg()
    return (f"input-shift checks on {r['rows']:,} rows: {r['check']:.2f} s of {r['score']:.1f} s of explain=3 "
            f"scoring; overhead checks / (score - checks) = {r['overhead']:.3f} (goal <= 0.10)  "
            f"[load average {one:.2f} {five:.2f}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="rows scored")
    parser.add_argument("--block", type=int, default=100_000, help="simulated rows (scored repeatedly)")
    parser.add_argument("--repeats", type=int, default=2, help="passes; the fastest is reported")
    parser.add_argument("--model", default=None, help="model file (default: the shipped model)")
    args = parser.parse_args()
    r = measure(args.n, args.block, args.repeats, args.model)
    print(f"{r['rows']} rows ({r['chunks']} chunks of {r['block']}), model {r['kind']}, {r['inputs']} inputs")
    print(f"score explain=3 (checks included): {r['score']:.1f} s")
    print(f"checks alone:                      {r['check']:.1f} s; batch summary {r['summary'] * 1e3:.1f} ms")
    print(f"rows with warnings: {r['flagged']}")
    print(line(r))


if __name__ == "__main__":
    main()
