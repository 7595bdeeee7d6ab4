"""Shared fixtures: a small simulated cohort (built once per session); an isolated package home."""
import os
import tempfile

import pytest

# Every test run keeps the package's state (MLflow store, Optuna studies, exports)
# in a fresh directory, never in the user's home or the checkout. Set at import,
# before any test module or xdist worker touches rairpredict.resources.home().
os.environ["RAIRPREDICT_HOME"] = tempfile.mkdtemp(prefix="rairpredict-test-home-")


@pytest.fixture(scope="session")
def small_cohort():
    """600 simulated patient-courses (default profile, seed 0), labels added.

    Session-scoped and shared: tests must not modify it (use ``.copy()``).
    """
    import pandas as pd

    from rairpredict.simulation.simulate import simulate_cohort
    from rairpredict.labels import add_labels

    df = simulate_cohort(600, seed=0)
    labels = add_labels(df)
    return pd.concat([df, labels[[c for c in labels.columns if c not in df.columns]]], axis=1)


@pytest.fixture(scope="session")
def timed_rair_cohort():
    """Simulated courses with their time to RAIR: (table, time in years, event), 500 rows, seed 3."""
    from rairpredict.labels.time_to_event import compute_time_to_event, parse_time_to_event
    from rairpredict.simulation import simulate_cohort

    table = simulate_cohort(500, seed=3)
    spec = parse_time_to_event({"type": "time_to_event", "label": "rair", "horizons": [1.5, 3, 5]})
    out = compute_time_to_event(spec, table)
    known = out["event"].notna().to_numpy()
    return (table[known].reset_index(drop=True), out.loc[known, "time"].to_numpy(),
            out.loc[known, "event"].to_numpy(bool))


def _marked_processes(marker: str) -> list[int]:
    """Live (not zombie) processes whose environment holds ``marker`` (Linux /proc)."""
    import os

    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                if marker.encode() not in fh.read():
                    continue
            with open(f"/proc/{entry}/stat") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except OSError:  # gone meanwhile, or not ours
            continue
        if state not in ("Z", "X"):
            found.append(int(entry))
    return found


class _ProcessScan:
    """The live processes a test started with ``marker`` in their environment (CLI, workers, servers)."""

    __call__ = staticmethod(_marked_processes)

    def left_after(self, marker: str, timeout: float) -> list[int]:
        """Wait up to ``timeout`` seconds for them to end; the pids still alive then."""
        import time

        deadline = time.monotonic() + timeout
        while self(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        return self(marker)

    def end(self, child, marker: str) -> None:
        """Never leave a test's processes behind, whatever failed: the child, then every marked process."""
        import os
        import signal

        if child.poll() is None:
            child.kill()
            child.wait()
        for pid in self(marker):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def marked_processes():
    """``scan(marker)``: pids of the live processes a test started with ``marker`` in their environment;
    ``scan.left_after(marker, timeout)`` and ``scan.end(child, marker)`` (see :class:`_ProcessScan`)."""
    return _ProcessScan()
