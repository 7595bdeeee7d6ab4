"""Issue 15 REST figures: a real ``rairpredict serve`` on 127.0.0.1, this tree beside a baseline commit.

Starts ``python -m rairpredict serve`` (``--model``, default this tree's default model, ``--explain 3``) once with
this source tree and, when ``--baseline`` names a git commit, once with that
commit's ``src/`` (same machine, same minutes, the same model file), and sends, over one kept-alive
HTTP connection per server, in interleaved rounds so both see the same load:

* **one row per request** (``dataframe_split`` JSON, a different simulated
  patient each time): p50 / p95 / p99 latency, client side, request to full
  answer (goal p50 <= 20 ms, p95 <= 50 ms);
* **1,000 rows per request**: median latency and rows per second.

The machine is shared: the load average is printed beside the figures; rerun
on an idle machine for the numbers that count. Never a timed assertion.

Run from the repository root::

    .venv/bin/python benchmarks/bench_rest.py --baseline 5d0e29a
    .venv/bin/python benchmarks/bench_rest.py --requests 200 --batches 10     # this tree only
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    """``rairpredict serve`` from the package under ``src``, ready once /ping answers."""

    def __init__(self, src: Path, explain: int, model: Path):
        self.port = _free_port()
        env = {**os.environ, "PYTHONPATH": str(src)}
        # a file, not a pipe: a pipe nobody reads fills up and blocks the server on its next log line
        self.log = tempfile.TemporaryFile()
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", "rairpredict", "serve", "-p", str(self.port), "--explain", str(explain),
               "--model", str(model)]
        self.proc = subprocess.Popen(cmd, env=env, cwd=tempfile.gettempdir(), stdout=subprocess.DEVNULL,
                                     stderr=self.log)
        while True:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"server from {src} ended: {self.log.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/ping", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        self.start_seconds = time.perf_counter() - t0
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)

    def post(self, body: bytes) -> float:
        """Seconds from sending ``body`` to the whole answer read (HTTP 200 required)."""
        for attempt in (1, 2):
            t0 = time.perf_counter()
            try:
                self.conn.request("POST", "/invocations", body=body, headers={"Content-Type": "application/json"})
                r = self.conn.getresponse()
                answer = r.read()
                break
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                # uvicorn closes a kept-alive connection idle for 5 s (while the other server ran): reconnect
                self.conn.close()
                if attempt == 2:
                    raise
        seconds = time.perf_counter() - t0
        if r.status != 200:
            raise RuntimeError(f"HTTP {r.status}: {answer[:500]!r}")
        return seconds

    def stop(self) -> None:
        self.conn.close()
        self.proc.terminate()  # SIGTERM: uvicorn shuts down cleanly
        self.proc.wait(timeout=60)
        self.log.close()


def _bodies(rows: int, n: int, seed: int) -> list[bytes]:
    """``n`` JSON bodies of ``rows`` distinct simulated patients each (never real data)."""
    import pandas as pd

    from rairpredict.scoring.pyfunc import to_pyfunc_input
    from rairpredict.simulation.simulate import simulate_cohort

    table = to_pyfunc_input(simulate_cohort(rows * n, seed=seed)).reset_index(drop=True)
    table = table.astype(object).where(pd.notna(table), None)
    out = []
    for i in range(n):
        part = table.iloc[i * rows:(i + 1) * rows]
        split = {"columns": list(part.columns), "data": part.values.tolist()}
        out.append(json.dumps({"dataframe_split": split}).encode())
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--baseline", default=None, help="git commit whose src/ is served as the baseline")
    p.add_argument("--requests", type=int, default=400, help="one-row requests per server")
    p.add_argument("--batches", type=int, default=20, help="1,000-row requests per server")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds (servers take turns)")
    p.add_argument("--explain", type=int, default=3)
    p.add_argument("--model", default=None, help="model file every server scores (default: this tree's default model)")
    args = p.parse_args(argv)

    from bench_pipeline import _baseline_tree
    from rairpredict.scoring import DEFAULT_MODEL

    trees = {"this tree": ROOT / "src"}
    if args.baseline:
        trees[f"baseline {args.baseline}"] = _baseline_tree(args.baseline)
    model = Path(args.model or DEFAULT_MODEL).resolve()
    print(f"cores {len(os.sched_getaffinity(0))}; model {model}; {_load()}")
    one = _bodies(1, args.requests, seed=21)
    big = _bodies(1000, args.batches, seed=22)
    servers = {}
    try:
        for name, src in trees.items():
            servers[name] = _Server(src, args.explain, model)
            print(f"{name}: server ready in {servers[name].start_seconds:.1f} s  [{_load()}]")
        for s in servers.values():  # warm: first requests fill caches, as after any restart
            for body in one[:10] + big[:1]:
                s.post(body)
        lat = {name: [] for name in servers}
        thr = {name: [] for name in servers}
        for r in range(args.rounds):
            for name, s in servers.items():
                lat[name] += [s.post(b) for b in one[r::args.rounds]]
                thr[name] += [s.post(b) for b in big[r::args.rounds]]
        figures = {}
        for name in servers:
            ms = 1000 * np.asarray(lat[name])
            p50, p95, p99 = np.percentile(ms, [50, 95, 99])
            batch = np.asarray(thr[name])
            figures[name] = (p50, p95, 1000 * len(batch) / batch.sum())
            print(f"{name}: one row, {len(ms)} requests: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms "
                  f"(goal p50 <= 20, p95 <= 50); 1,000 rows, {len(batch)} requests: median "
                  f"{1000 * np.median(batch):.0f} ms, {figures[name][2]:,.0f} rows/s  [{_load()}]")
        if args.baseline:
            (a50, a95, athr), (b50, b95, bthr) = figures["this tree"], figures[f"baseline {args.baseline}"]
            print(f"ratio baseline/this tree: p50 {b50 / a50:.1f} x, p95 {b95 / a95:.1f} x; "
                  f"throughput this tree/baseline {athr / bthr:.2f} x  [{_load()}]")
    finally:
        for s in servers.values():
            s.stop()


if __name__ == "__main__":
    main()
