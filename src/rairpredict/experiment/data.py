"""Load the cohort a target config names, compute its outcome, select its population.

Rows excluded by each population rule are counted; rows whose outcome is unknown (e.g. RAIR without a post-therapy scan, ATA 2025
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
from rairpredict.cohort.population import apply_population
from rairpredict.errors import ConfigError
from rairpredict.labels.outcome import compute_outcome

__all__ = ["TargetData", "load_cohort_for", "load_target_data", "patient_groups", "ORACLE_DECISION_POINT",
           "PATIENT_COLUMN"]

#: The column that identifies a patient across courses.
PATIENT_COLUMN = "patient_id"
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
    #: rows excluded by each population rule, in order (see cohort.population.apply_population)
    population_flow: list[dict] = field(default_factory=list)
    #: rows in the population whose outcome is unknown, by reason (aggregates only)
    unknown_reasons: dict[str, int] = field(default_factory=dict)
    #: patient code per row when patients have several courses (grouped CV), else None
    groups: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(len(self.y))

    @property
    def events(self) -> int:
        return int(self.y.sum())


def load_cohort_for(cohort: dict, *, n: int | None = None, seed: int | None = None) -> tuple[pd.DataFrame, str, bool]:
    """The canonical table named by a config's ``cohort`` section.

    ``simulate: {n, seed, profile}`` runs the simulator; ``path`` and/or
    ``cohort_config`` imports a file (the cohort config's ``path`` when no
    ``path`` is given). ``n``/``seed`` override the simulator's.
    """
    if "simulate" in cohort:
        from rairpredict.simulation.simulate import simulate_cohort

        sim = dict(cohort["simulate"] or {})
        n_ = int(n if n is not None else sim.get("n", 2260))
        seed_ = int(seed if seed is not None else sim.get("seed", 0))
        profile = str(sim.get("profile", "default"))
        return simulate_cohort(n_, seed=seed_, profile=profile), f"simulated:{profile}:n={n_}:seed={seed_}", True
    if "path" in cohort or "cohort_config" in cohort:
        from rairpredict.cohort.importer import import_cohort

        # no cohort_config: the file already has canonical columns (validated all the same);
        # no path: the cohort config's own `path:` names the file
        path = Path(cohort["path"]) if "path" in cohort else None
        result = import_cohort(path, cohort.get("cohort_config"))
        name = (getattr(result, "cohort_name", None) or getattr(result, "cohort", None)
                or (path.stem if path else Path(cohort["cohort_config"]).stem))
        # rows the import rejected are reported in the counts, never dropped silently
        result.table.attrs["rows_rejected_at_import"] = int(result.n_rejected)
        return result.table, str(name), False
    raise ConfigError("cohort section needs 'simulate', 'path' or 'cohort_config'")


def patient_groups(table: pd.DataFrame, column: str = PATIENT_COLUMN) -> np.ndarray | None:
    """Integer patient code per row when a patient has several rows (courses), else ``None``.

    Cross-validation and the bootstrap then keep all of one patient's courses
    on the same side of every split.

    Examples
    --------
    >>> import pandas as pd
    >>> patient_groups(pd.DataFrame({"patient_id": ["a", "b", "a"]})).tolist()
    [0, 1, 0]
    >>> patient_groups(pd.DataFrame({"patient_id": ["a", "b"]})) is None
    True
    """
    if column not in table or not table[column].notna().all() or not table[column].duplicated().any():
        return None
    return pd.factorize(table[column])[0]


def load_target_data(cfg, *, n: int | None = None, seed: int | None = None,
                     table: pd.DataFrame | None = None, cohort_name: str | None = None) -> TargetData:
    """Cohort -> outcome -> population -> rows with a known outcome.

    ``counts`` accounts for every row: ``rows_in == outside_population +
    label_unknown + rows_used``; ``population_flow`` gives the rows each
    population rule excluded, in order.
    """
    if table is None:
        table, cohort_name, synthetic = load_cohort_for(cfg.cohort, n=n, seed=seed)
    else:
        synthetic = bool(any(load_contract().is_oracle(c) for c in table.columns))
        cohort_name = cohort_name or ("simulated" if synthetic else "given table")
    outcome = compute_outcome(cfg.outcome, table)
    label = outcome["outcome"]
    n_in = len(table)
    in_pop, flow = apply_population(cfg.population_rules, table)
    known = in_pop & label.notna()
    sub = table.loc[known].reset_index(drop=True)
    y = label[known].astype(int).to_numpy()
    oracle_col = f"{load_contract().oracle_prefix}p_{cfg.outcome.label}"
    # The simulator's oracle is P(label | pre-therapy features): a model at another
    # decision point sees different information, so it gets no oracle ratio.
    oracle = (sub[oracle_col].astype(float).to_numpy()
              if cfg.outcome.label and oracle_col in sub and cfg.decision_point == ORACLE_DECISION_POINT
              else None)
    counts = {"rows_in": n_in, "outside_population": int((~in_pop).sum()),
              "label_unknown": int((in_pop & label.isna()).sum()), "rows_used": int(known.sum()),
              "events": int(y.sum()), "rejected_at_import": int(table.attrs.get("rows_rejected_at_import", 0))}
    groups = patient_groups(sub)
    counts["patients"] = int(len(np.unique(groups))) if groups is not None else counts["rows_used"]
    if counts["rows_in"] != counts["outside_population"] + counts["label_unknown"] + counts["rows_used"]:
        raise RuntimeError(f"row accounting broken: {counts}")  # a bug, never a user mistake
    unknown_reasons = (outcome.loc[(in_pop & label.isna()).to_numpy(), "outcome_reason"]
                       .value_counts().head(20).astype(int).to_dict())
    return TargetData(sub, y, cohort_name, synthetic, oracle, counts, population_flow=flow,
                      unknown_reasons=unknown_reasons, groups=groups)
