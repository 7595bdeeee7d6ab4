"""Throughput of the simulator (and of the label functions), patients per second.

Run: ``.venv/bin/python benchmarks/bench_simulate.py [n]`` (default 1 000 000).
Simulation is done in chunks of 250 000 rows (memory); labels are timed
separately on the same frames.
"""
from __future__ import annotations

import sys
import time


from rairpredict.simulation.simulate import simulate_cohort
from rairpredict.labels import add_labels


def main(n: int = 1_000_000, chunk: int = 250_000) -> None:
    t_sim = t_lab = 0.0
    done = 0
    seed = 0
    while done < n:
        m = min(chunk, n - done)
        t0 = time.perf_counter()
        df = simulate_cohort(m, seed=seed)
        t1 = time.perf_counter()
        add_labels(df)
        t2 = time.perf_counter()
        t_sim += t1 - t0
        t_lab += t2 - t1
        done += m
        seed += 1
    print(f"simulate_cohort: {n} patients in {t_sim:.1f} s = {n / t_sim:,.0f} patients/s")
    print(f"add_labels:      {n} patients in {t_lab:.1f} s = {n / t_lab:,.0f} patients/s")
    print(f"total:           {t_sim + t_lab:.1f} s = {n / (t_sim + t_lab):,.0f} patients/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
