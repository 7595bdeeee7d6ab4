"""score_file(jobs=2): worker processes give the same files, accounting and errors as one process."""
from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
import pytest

from rairpredict.cli import main
from rairpredict.cohort.contract import load_contract
from rairpredict.errors import CohortFileError
from rairpredict.scoring import score_file
from rairpredict.scoring import _parallel
from rairpredict.scoring._parallel import ordered_map

N = 90


@pytest.fixture
def workers_only(monkeypatch):
    """Every chunk through the worker processes: the caller does not score while they start."""
    monkeypatch.setattr(_parallel, "HELP_WHILE_STARTING", False)


@pytest.fixture(scope="module")
def messy(cohort):
    """Canonical text rows with bad values, a missing id and a repeated id spread over chunks."""
    contract = load_contract()
    table = cohort[0].head(N)
    table = table[[c for c in table.columns if c in contract and not contract[c].derived]].reset_index(drop=True)
    text = table.astype(object).where(table.notna(), "").astype(str)
    text.loc[3, "age_years"] = "forty"
    text.loc[31, "t_stage"] = "T9"
    text.loc[47, "patient_id"] = ""
    text.loc[70, "patient_id"] = text.loc[5, "patient_id"]  # a duplicate in a later chunk
    return text


def _files(s):
    return open(s.output, "rb").read(), open(s.rejects, "rb").read()


@pytest.mark.parametrize("ext", [".parquet", ".csv"])
def test_two_jobs_write_the_same_bytes(xgb_model, cohort, messy, tmp_path, ext, workers_only):
    src = tmp_path / "in.csv"
    messy.to_csv(src, index=False)
    one = score_file(xgb_model, src, tmp_path / f"one{ext}", explain=3, chunk_size=20, report=None,
                     check_duplicates=True)
    two = score_file(xgb_model, src, tmp_path / f"two{ext}", explain=3, chunk_size=20, report=None,
                     check_duplicates=True, jobs=2)
    assert (two.rows_in, two.rows_scored, two.rows_rejected) == (one.rows_in, one.rows_scored, one.rows_rejected) \
        == (N, N - 4, 4)
    assert _files(two) == _files(one)
    rej = pd.read_csv(two.rejects, keep_default_na=False)
    assert set(zip(rej["source_row"], rej["rule"])) == {(4, "not_a_number"), (32, "unseen_category"),
                                                         (48, "missing_required"), (71, "duplicate_id")}
    if ext == ".parquet":  # exact scores: equal to the in-memory model
        scored = pd.read_parquet(two.output)
        keep = [i for i in range(N) if i not in (3, 31, 47, 70)]
        expected = xgb_model.predict_risk(cohort[0].head(N).iloc[keep])
        np.testing.assert_allclose(scored["probability"], expected, rtol=0, atol=1e-6)


def test_two_jobs_parquet_row_groups_and_progress(xgb_model, messy, tmp_path, workers_only):
    src = tmp_path / "in.parquet"
    clean = messy.drop(index=[3, 31, 47, 70]).reset_index(drop=True)
    clean.to_parquet(src, row_group_size=25)
    seen = []
    s = score_file(xgb_model, src, tmp_path / "s.parquet", chunk_size=20, progress=seen.append, report=None, jobs=2)
    assert seen == [20, 5, 20, 5, 20, 5, 11]  # in input order, chunks never span row groups
    assert s.rows_in == s.rows_scored == N - 4
    ref = score_file(xgb_model, src, tmp_path / "r.parquet", chunk_size=1000, report=None)
    pd.testing.assert_frame_equal(pd.read_parquet(s.output), pd.read_parquet(ref.output))


def test_worker_user_error_keeps_its_type_and_no_output(model_path, messy, tmp_path, capsys, workers_only):
    src = tmp_path / "in.csv"
    messy.drop(columns="sex").to_csv(src, index=False)  # a required column is absent: a file-level error
    out = tmp_path / "o" / "s.parquet"
    with pytest.raises(CohortFileError, match="missing required column"):
        score_file(model_path, src, out, chunk_size=20, report=None, jobs=2)
    assert not out.exists() and sorted(p.name for p in out.parent.iterdir()) == []
    assert main(["score", "--model", str(model_path), "-i", str(src), "-o", str(out),
                 "--chunk-size", "20", "--jobs", "2"]) == 1  # a data problem
    assert "missing required column" in capsys.readouterr().err


def test_interrupt_with_workers_keeps_previous_output(model_path, messy, tmp_path):
    src = tmp_path / "in.csv"
    messy.to_csv(src, index=False)
    out = tmp_path / "scores.csv"
    out.write_text("previous complete result\n")
    calls = []

    def progress(n):
        calls.append(n)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        score_file(model_path, src, out, chunk_size=10, progress=progress, report=None, jobs=2)
    assert out.read_text() == "previous complete result\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def _square(context, x):
    return context * x * x


def test_ordered_map_keeps_order_and_bounds_nothing_lost(workers_only):
    got = list(ordered_map(_square, 3, iter(range(25)), jobs=2))
    assert got == [3 * x * x for x in range(25)]
    assert list(ordered_map(_square, 1, iter(range(4)), jobs=1)) == [0, 1, 4, 9]


def _where(context, x):
    import multiprocessing
    import time

    if multiprocessing.parent_process() is None:  # the caller: slow, so the workers get started meanwhile
        time.sleep(context)
    return x, os.getpid()


def test_caller_scores_while_workers_start_then_workers_take_over():
    got = list(ordered_map(_where, 0.2, iter(range(100)), jobs=2))
    assert [x for x, _ in got] == list(range(100))  # input order, nothing lost or repeated
    pids = [pid for _, pid in got]
    assert pids[0] == os.getpid()  # the first item never waits for a worker to start
    workers = {p for p in pids if p != os.getpid()}
    assert 1 <= len(workers) <= 2
    first = min(i for i, p in enumerate(pids) if p in workers)
    assert all(p != os.getpid() for p in pids[first:])  # once workers run, the caller only collects


def _fail_on(context, x):
    if x == context:
        raise CohortFileError("f.csv", "bad thing", column="age_years")
    return x


def test_ordered_map_reraises_worker_exception_with_its_message(workers_only):
    with pytest.raises(CohortFileError) as info:
        list(ordered_map(_fail_on, 5, iter(range(10)), jobs=2))
    assert str(info.value) == str(CohortFileError("f.csv", "bad thing", column="age_years"))


_KILLED = """
import os, pathlib, sys, time
from rairpredict.scoring import score_file


def progress(n):
    pathlib.Path(sys.argv[3]).write_text(" ".join(open(f"/proc/{os.getpid()}/task/{t}/children").read()
                                                  for t in os.listdir(f"/proc/{os.getpid()}/task")))
    time.sleep(120)  # a long job, stopped by the scheduler mid-run


if __name__ == "__main__":
    score_file(sys.argv[1], sys.argv[2], sys.argv[4], chunk_size=10, progress=progress, report=None, jobs=2)
"""


def test_sigterm_with_workers_removes_temporary_files_and_ends_workers(model_path, messy, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    src = tmp_path / "in.csv"
    messy.to_csv(src, index=False)
    out_dir, marker, script = tmp_path / "out", tmp_path / "children", tmp_path / "job.py"
    out_dir.mkdir()
    script.write_text(_KILLED)
    child = subprocess.Popen([sys.executable, str(script), str(model_path), str(src), str(marker),
                              str(out_dir / "scores.parquet")], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), child.stderr.read().decode()[-2000:] if child.poll() is not None else "no chunk"
        time.sleep(0.2)
        helpers = [int(p) for p in marker.read_text().split()]
        assert helpers  # the worker server (and the resource tracker) are running
        # the temporary files are anonymous (O_TMPFILE): not even a hidden name mid-run
        assert sorted(p.name for p in out_dir.iterdir()) == []
        child.send_signal(signal.SIGTERM)
        code = child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert code == 128 + signal.SIGTERM
    assert sorted(p.name for p in out_dir.iterdir()) == []
    deadline = time.monotonic() + 10  # the worker server ends once its parent is gone
    while any(os.path.exists(f"/proc/{p}") and "zombie" not in open(f"/proc/{p}/status").read()
              for p in helpers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in helpers if os.path.exists(f"/proc/{p}")
                and "zombie" not in open(f"/proc/{p}/status").read()]


@pytest.mark.parametrize("row_group_size", [25, 86])  # 25: workers read their chunks; 86 > 4 x 20: the caller does
def test_two_jobs_read_parquet_where_scored_same_bytes(xgb_model, messy, tmp_path, workers_only, row_group_size):
    from rairpredict.scoring import _reader

    src = tmp_path / "in.parquet"
    messy.to_parquet(src, row_group_size=row_group_size)
    slices = _reader._parquet_slices(src, 20)
    assert (slices is None) == (row_group_size > _reader.SELF_READ_CHUNKS * 20)
    if slices is not None:  # chunk k of a group is exactly the k-th batch the caller would read
        batches = list(_reader._parquet_chunks(src, 20))
        items = list(slices)
        assert [len(i) for i in items] == [b.num_rows for b in batches]
        assert all(i.read().equals(b) for i, b in zip(items, batches))
    one = score_file(xgb_model, src, tmp_path / "one.parquet", explain=3, chunk_size=20, report=None)
    two = score_file(xgb_model, src, tmp_path / "two.parquet", explain=3, chunk_size=20, report=None, jobs=2)
    assert _files(two) == _files(one)
    assert (two.rows_in, two.rows_scored, two.rows_rejected) == (N, N - 3, 3)  # the duplicate id is kept per chunk


def test_parquet_slice_reads_a_rewritten_file_anew(messy, tmp_path):
    from rairpredict.scoring._reader import _parquet_slices

    src = tmp_path / "in.parquet"
    messy.head(30).to_parquet(src, row_group_size=10)
    first = next(_parquet_slices(src, 10)).read()
    messy.tail(30).to_parquet(src, row_group_size=10)  # same path, new content
    again = next(_parquet_slices(src, 10)).read()
    assert first.column("patient_id").to_pylist() == messy.head(10)["patient_id"].tolist()
    assert again.column("patient_id").to_pylist() == messy.tail(30).head(10)["patient_id"].tolist()


def _sigint_state(context, x):
    return _signal_masks(os.getpid())


def _signal_masks(pid: int) -> dict:
    """SigBlk / SigIgn of a live process, as sets of signal numbers (Linux /proc)."""
    masks = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("SigBlk", "SigIgn"):
                bits = int(value, 16)
                masks[key] = {n for n in range(1, 65) if bits >> (n - 1) & 1}
    return masks


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="Linux /proc")
def test_worker_server_and_workers_never_take_ctrl_c_but_the_caller_does(workers_only):
    import signal
    from multiprocessing import forkserver

    got = list(ordered_map(_sigint_state, None, iter(range(4)), jobs=2))
    assert all(signal.SIGINT in m["SigBlk"] and signal.SIGINT in m["SigIgn"] for m in got), got
    server = forkserver._forkserver._forkserver_pid
    assert signal.SIGINT in _signal_masks(server)["SigBlk"]
    assert signal.SIGINT not in _signal_masks(os.getpid())["SigBlk"]  # the caller still gets Ctrl-C


_CTRL_C_AT_START = """
import multiprocessing as mp, sys, time
from rairpredict.scoring import _parallel
try:
    _parallel._start_server(mp.get_context("forkserver"), ["rairpredict.scoring._parallel"])
    print("spawned", flush=True)  # the server is now importing the scoring stack
    time.sleep(60)
except KeyboardInterrupt:
    print("rairpredict score: interrupted", file=sys.stderr)
    sys.exit(130)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="Linux /proc")
def test_ctrl_c_while_the_worker_server_imports_prints_one_line(tmp_path):
    # Regression: the server got Ctrl-C (sent to the whole process group) while importing
    # pandas and printed a KeyboardInterrupt traceback under the CLI's one-line message.
    import signal
    import subprocess
    import sys

    env = {**os.environ, "TMPDIR": str(tmp_path)}
    for attempt in range(3):
        child = subprocess.Popen([sys.executable, "-c", _CTRL_C_AT_START], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, start_new_session=True)
        assert child.stdout.readline().strip() == "spawned"
        time.sleep(0.1 * attempt)
        os.killpg(child.pid, signal.SIGINT)
        # stderr reaches its end once every holder (the caller and the server) has exited
        _, err = child.communicate(timeout=60)
        assert child.returncode == 130, err
        assert err.strip() == "rairpredict score: interrupted", (attempt, err[-800:])


_EXPLAINED: list = []  # in a worker: XGBoost calls of its explainer


def _score_counted(context, item):
    """``_score_chunk``, reporting who scored it, the explainer's XGBoost calls and its table size."""
    import multiprocessing
    import time

    from rairpredict.scoring._file import _score_chunk
    from rairpredict.scoring._frame import tree_explainer

    caller = multiprocessing.parent_process() is None
    explainer = tree_explainer(context["model"])
    if caller:
        time.sleep(0.2)  # slow, so the workers start while the caller helps
    elif not _EXPLAINED:
        explain_new = explainer._explain_new
        _EXPLAINED.append(0)

        def counted(t, reps):
            _EXPLAINED[0] += 1
            return explain_new(t, reps)

        explainer._explain_new = counted
    before = _EXPLAINED[0] if _EXPLAINED else 0
    kind, offset, rows, out, rejects, shift = _score_chunk(context, item)
    calls = (_EXPLAINED[0] if _EXPLAINED else 0) - before
    return caller, os.getpid(), calls, sum(explainer.table_sizes()), list(out["probability"])


@pytest.mark.parametrize("ship", [True, False])
def test_workers_start_with_the_callers_tables(xgb_model, cohort, ship):
    from rairpredict.cohort.validate import REJECT_COLUMNS
    from rairpredict.scoring._file import _ships_tables, _with_tables

    table = cohort[0].head(300)  # above SMALL_BATCH: explained by the pattern tables
    item = ("mapped", (table, pd.DataFrame(columns=REJECT_COLUMNS)), 0, len(table))
    context = {"model": xgb_model, "explain": 3, "with_inputs": False, "parquet": False}
    assert _ships_tables(xgb_model, 3)
    got = list(ordered_map(_score_counted, context, iter([item] * 24), jobs=2,
                           worker_context=_with_tables if ship else None))
    assert all(probs == got[0][4] for *_, probs in got)  # the same rows, the same scores everywhere
    assert got[0][0] and got[0][3] > 0  # the caller scored the first chunk, filling its tables
    workers = {pid: calls for caller, pid, calls, _, _ in reversed(got) if not caller}  # each one's first chunk
    assert workers, "no chunk reached a worker"
    if ship:  # the rows were all seen by the caller: its patterns came with the context
        assert all(calls == 0 for calls in workers.values()), workers
        assert {size for caller, _, _, size, _ in got if not caller} == {got[0][3]}
    else:  # the control: a worker left to itself builds the tables again
        assert all(calls > 0 for calls in workers.values()), workers


def test_tables_shipped_only_for_tree_explanations(xgb_model, logistic_model):
    from rairpredict.scoring._file import _ships_tables

    assert _ships_tables(xgb_model, 3) and not _ships_tables(xgb_model, 0)
    assert not _ships_tables(logistic_model, 3)
