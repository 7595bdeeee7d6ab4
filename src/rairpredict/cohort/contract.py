"""The canonical cohort data contract, loaded from ``contract.yaml``.

The YAML file beside this module is the single definition of every canonical
field; this module only reads it and answers questions about it (which fields
exist, their stage, unit, range, categories).

Examples
--------
>>> from rairpredict.cohort.contract import load_contract
>>> contract = load_contract()
>>> contract["tsh_stim_mu_l"].unit
'mU/L'
>>> contract.stage_index("pre_therapy") < contract.stage_index("early_therapy")
True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml

__all__ = ["Field", "Contract", "load_contract", "STAGES"]


@dataclass(frozen=True)
class Field:
    """One canonical field of the data contract."""

    name: str
    dtype: str
    stage: str
    description: str = ""
    source: str = ""
    unit: str | None = None
    aliases: dict[str, float] = field(default_factory=dict)
    range: tuple[float, float] | None = None
    plausible: tuple[float, float] | None = None
    categories: tuple[str, ...] | None = None
    required: bool = False
    unique: bool = False
    derived: bool = False

    def convert_factor(self, unit: str | None) -> float:
        """Factor that converts a value in ``unit`` to this field's unit.

        Raises
        ------
        KeyError
            If ``unit`` is neither the canonical unit nor a known alias.
        """
        if unit is None or unit == self.unit:
            return 1.0
        if unit in self.aliases:
            return float(self.aliases[unit])
        raise KeyError(
            f"field {self.name!r}: unknown unit {unit!r} "
            f"(canonical {self.unit!r}, known {sorted(self.aliases)})"
        )


class Contract:
    """The set of canonical fields, in contract order, with stage logic."""

    def __init__(self, version: str, stages: list[str], fields: list[Field], oracle_prefix: str):
        self.version = version
        self.stages = tuple(stages)
        self.fields = {f.name: f for f in fields}
        self.oracle_prefix = oracle_prefix

    def __getitem__(self, name: str) -> Field:
        return self.fields[name]

    def __contains__(self, name: object) -> bool:
        return name in self.fields

    def __iter__(self):
        return iter(self.fields.values())

    @property
    def names(self) -> list[str]:
        return list(self.fields)

    @property
    def required(self) -> list[str]:
        return [f.name for f in self if f.required]

    @property
    def derived(self) -> list[str]:
        return [f.name for f in self if f.derived]

    def stage_index(self, stage: str) -> int:
        """Position of ``stage`` in the care pathway (diagnosis = 0)."""
        try:
            return self.stages.index(stage)
        except ValueError:
            raise ValueError(f"unknown stage {stage!r}; expected one of {list(self.stages)}") from None

    def available_at(self, decision_point: str) -> list[str]:
        """Fields whose value exists at ``decision_point`` (identifier excluded)."""
        cut = self.stage_index(decision_point)
        return [f.name for f in self if self.stage_index(f.stage) <= cut and f.name != "patient_id"]

    def is_oracle(self, column: str) -> bool:
        return column.startswith(self.oracle_prefix)


def _parse(entry: dict) -> Field:
    entry = dict(entry)
    for key in ("range", "plausible"):
        if entry.get(key) is not None:
            entry[key] = tuple(float(v) for v in entry[key])
    if entry.get("categories") is not None:
        entry["categories"] = tuple(str(c) for c in entry["categories"])
    entry["aliases"] = {str(k): float(v) for k, v in (entry.get("aliases") or {}).items()}
    return Field(**entry)


@lru_cache(maxsize=1)
def load_contract() -> Contract:
    """Load the packaged contract (cached; the file is read once)."""
    text = resources.files("rairpredict.cohort").joinpath("contract.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    fields = [_parse(e) for e in raw["fields"]]
    for f in fields:
        if f.stage not in raw["stages"]:
            raise ValueError(f"contract field {f.name!r}: unknown stage {f.stage!r}")
    return Contract(raw["version"], raw["stages"], fields, raw.get("oracle_prefix", "oracle_"))


STAGES: tuple[str, ...] = tuple(load_contract().stages)
