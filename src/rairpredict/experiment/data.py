"""Load the cohort a target config names, derive its labels, select its population.

Rows whose label is unknown (e.g. RAIR without a post-therapy scan, ATA 2025
Rec. 59A) are not silently dropped: they are counted and reported.

Examples
--------
>>> from rairpredict.experiment.config import load_target_config, CONFIG_DIR
>>> from rairpredict.experiment.data import load_target_data
>>> cfg = load_target_config(CONFIG_DIR / "rair.yaml")
>>> data = load_target_data(cfg, n=400)
>>> data.table.shape[0] == data.y.shape[0]
True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rairpredict.cohort.contract import load_contract
from rairpredict.errors import ConfigError
from rairpredict.labels import LABELS

__all__ = ["TargetData", "load_cohort_for", "load_target_data", "ORACLE_DECISION_POINT"]

#: Decision point at which the simulator's ``oracle_p_*`` columns are defined.
ORACLE_DECISION_POINT = "pre_therapy"


@dataclass
class TargetData:
    """Rows with a known label, the label as 0/1, and an account of the rest."""

    table: pd.DataFrame
    y: np.ndarray
    cohort_name: str
    synthetic: bool
    oracle: np.ndarray | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(len(self.y))

    @property
    def events(self) -> int:
        return int(self.y.sum())


def load_cohort_for(cohort: dict, *, n: int | None = None, seed: int | None = None) -> tuple[pd.DataFrame, str, bool]:
    """The canonical table named by a config's ``cohort`` section.

    ``simulate: {n, seed, profile}`` runs the simulator; ``path`` (+ optional
    ``cohort_config``) imports a file. ``n``/``seed`` override the simulator's.
    """
    if "simulate" in cohort:
        from rairpredict.simulation.simulate import simulate_cohort

        sim = dict(cohort["simulate"] or {})
        n_ = int(n if n is not None else sim.get("n", 2260))
        seed_ = int(seed if seed is not None else sim.get("seed", 0))
        profile = str(sim.get("profile", "default"))
        return simulate_cohort(n_, seed=seed_, profile=profile), f"simulated:{profile}:n={n_}:seed={seed_}", True
    if "path" in cohort:
        from rairpredict.cohort.importer import import_cohort

        # config None: the file already has canonical columns (validated all the same)
        result = import_cohort(Path(cohort["path"]), cohort.get("cohort_config"))
        name = getattr(result, "cohort_name", None) or Path(cohort["path"]).stem
        # rows the import rejected are reported in the counts, never dropped silently
        result.table.attrs["rows_rejected_at_import"] = int(result.n_rejected)
        return result.table, str(name), False
    raise ConfigError("cohort section needs 'simulate' or 'path'")


def _population_mask(table: pd.DataFrame, population: dict) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for column, rule in population.items():
        if column not in table:
            raise ConfigError(f"population: column {column!r} not in the cohort")
        values = table[column]
        if isinstance(rule, dict):
            if "min" in rule:
                mask &= (values >= rule["min"]).fillna(False).astype(bool)
            if "max" in rule:
                mask &= (values <= rule["max"]).fillna(False).astype(bool)
            if "in" in rule:
                mask &= values.isin(rule["in"]).fillna(False).astype(bool)
        else:
            mask &= (values == rule).fillna(False).astype(bool)
    return mask


def load_target_data(cfg, *, n: int | None = None, seed: int | None = None,
                     table: pd.DataFrame | None = None, cohort_name: str | None = None) -> TargetData:
    """Cohort -> labels -> population -> rows with a known label."""
    if table is None:
        table, cohort_name, synthetic = load_cohort_for(cfg.cohort, n=n, seed=seed)
    else:
        synthetic = bool(any(load_contract().is_oracle(c) for c in table.columns))
        cohort_name = cohort_name or ("simulated" if synthetic else "given table")
    label_fn, label_col, _ = LABELS[cfg.label]
    labels = label_fn(table)
    label = labels[label_col] if isinstance(labels, pd.DataFrame) else labels
    n_in = len(table)
    in_pop = _population_mask(table, cfg.population)
    known = in_pop & label.notna()
    sub = table.loc[known].reset_index(drop=True)
    y = label[known].astype(int).to_numpy()
    oracle_col = f"{load_contract().oracle_prefix}p_{cfg.label}"
    # The simulator's oracle is P(label | pre-therapy features): a model at another
    # decision point sees different information, so it gets no oracle ratio.
    oracle = (sub[oracle_col].astype(float).to_numpy()
              if oracle_col in sub and cfg.decision_point == ORACLE_DECISION_POINT else None)
    counts = {"rows_in": n_in, "outside_population": int((~in_pop).sum()),
              "label_unknown": int((in_pop & label.isna()).sum()), "rows_used": int(known.sum()),
              "events": int(y.sum()), "rejected_at_import": int(table.attrs.get("rows_rejected_at_import", 0))}
    assert counts["rows_in"] == counts["outside_population"] + counts["label_unknown"] + counts["rows_used"]
    return TargetData(sub, y, cohort_name, synthetic, oracle, counts)
