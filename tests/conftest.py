"""Shared fixtures: a small simulated cohort (built once per session)."""
import pytest


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
