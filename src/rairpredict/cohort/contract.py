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

A cohort config can add *extra* fields (typed, each with its availability
stage). The contract extended by them is the table's *schema*: it travels with
the canonical table in ``table.attrs`` as plain JSON-able dicts, so features,
target configs and a trained model know the extras' types and stages:

>>> import pandas as pd
>>> ki67 = Field("ki67_pct", "float", "pathology", unit="%", range=(0.0, 100.0), extra=True)
>>> t = attach_extras(pd.DataFrame({"ki67_pct": [3.0]}), [ki67])
>>> schema = schema_of(t)
>>> schema["ki67_pct"].stage, "ki67_pct" in schema.available_at("pre_therapy"), schema.extras == [ki67]
('pathology', True, True)
>>> field_from_dict(ki67.to_dict()) == ki67
True
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from importlib import resources

import yaml

__all__ = ["Field", "Contract", "load_contract", "STAGES", "field_from_dict", "attach_extras", "schema_of",
           "EXTRA_FIELDS_ATTR", "lacking_markers"]

#: ``table.attrs`` key holding the extra fields of a canonical table (list of :meth:`Field.to_dict`).
EXTRA_FIELDS_ATTR = "rairpredict_extra_fields"


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
    #: Declared by a cohort config (``extra:``), not part of the packaged contract.
    extra: bool = False
    #: Boolean codes of an extra field (case-blind); empty = the usual yes/no/true/false/1/0.
    true_codes: tuple[str, ...] = ()
    false_codes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """JSON-able description (tuples as lists, defaults left out); inverse of :func:`field_from_dict`."""
        defaults = Field(self.name, self.dtype, self.stage)
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()
                if k in ("name", "dtype", "stage") or v != getattr(defaults, k)}

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

    @property
    def extras(self) -> list[Field]:
        """Fields added by :meth:`extend` (a cohort config's ``extra:`` columns)."""
        return [f for f in self if f.extra]

    def without_requiring(self, names) -> "Contract":
        """This contract with ``names`` optional: fields a cohort declares it does not record at all.

        A cohort of another disease has no thyroid histology or TNM; its config
        says so (``lacks``) and its schema stops requiring them.
        """
        names = set(names)
        if not names & set(self.required):
            return self
        return Contract(self.version, list(self.stages),
                        [replace(f, required=False) if f.name in names else f for f in self], self.oracle_prefix)

    def extend(self, extras) -> "Contract":
        """This contract plus ``extras`` (Fields with ``extra=True``); names must be new."""
        extras = list(extras)
        clash = [f.name for f in extras if f.name in self.fields and self.fields[f.name] != f]
        if clash:
            raise ValueError(f"extra field {clash[0]!r} clashes with a field of the same name")
        for f in extras:
            self.stage_index(f.stage)
        return Contract(self.version, list(self.stages), [*self, *(f for f in extras if f.name not in self.fields)],
                        self.oracle_prefix)


def field_from_dict(entry: dict) -> Field:
    """A :class:`Field` from its YAML/JSON description (see :meth:`Field.to_dict`)."""
    entry = dict(entry)
    for key in ("range", "plausible"):
        if entry.get(key) is not None:
            entry[key] = tuple(float(v) for v in entry[key])
    for key in ("categories", "true_codes", "false_codes"):
        if entry.get(key) is not None:
            entry[key] = tuple(str(c) for c in entry[key])
    entry["aliases"] = {str(k): float(v) for k, v in (entry.get("aliases") or {}).items()}
    return Field(**entry)


@lru_cache(maxsize=1)
def load_contract() -> Contract:
    """Load the packaged contract (cached; the file is read once)."""
    text = resources.files("rairpredict.cohort").joinpath("contract.yaml").read_text("utf-8")
    # libyaml's parser where PyYAML has it (the same safe constructors and result): every command,
    # scoring's cold start included, reads the contract; the pure-Python parser took 0.14 s of it
    raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    fields = [field_from_dict(e) for e in raw["fields"]]
    for f in fields:
        if f.stage not in raw["stages"]:
            raise ValueError(f"contract field {f.name!r}: unknown stage {f.stage!r}")
    return Contract(raw["version"], raw["stages"], fields, raw.get("oracle_prefix", "oracle_"))


STAGES: tuple[str, ...] = tuple(load_contract().stages)


def attach_extras(table, extras):
    """Record ``extras`` (Fields) in ``table.attrs`` so the table carries its schema; returns ``table``."""
    table.attrs[EXTRA_FIELDS_ATTR] = [f.to_dict() for f in extras]
    return table


def lacking_markers(contract: Contract) -> list[dict]:
    """``{"name": f, "lacking": True}`` for each required field of the packaged contract ``contract`` does not
    require (a cohort of another disease named it under ``lacks``): stored beside the extra fields, so every
    later reader (canonical Parquet, a trained model's scoring paths) stops requiring it too.

    >>> lacking_markers(load_contract().without_requiring(["histology"]))
    [{'name': 'histology', 'lacking': True}]
    >>> "histology" in schema_of(extras=[{"name": "histology", "lacking": True}]).required
    False
    """
    return [{"name": n, "lacking": True} for n in load_contract().required if n in contract and not contract[n].required]


def schema_of(table=None, extras=None) -> Contract:
    """The contract plus the extra fields recorded in ``table.attrs`` (or given as dicts/Fields).

    Entries ``{"name": f, "lacking": True}`` (:func:`lacking_markers`) make a
    required contract field optional instead.
    """
    if extras is None:
        extras = getattr(table, "attrs", {}).get(EXTRA_FIELDS_ATTR) or []
    lacking = [f["name"] for f in extras if isinstance(f, dict) and f.get("lacking")]
    fields = [f if isinstance(f, Field) else field_from_dict(f) for f in extras
              if not (isinstance(f, dict) and f.get("lacking"))]
    base = load_contract().without_requiring(lacking)
    return base.extend(fields) if fields else base
