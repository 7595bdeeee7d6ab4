"""The canonical fields as a table, and the JSON Schema of a cohort config.

:func:`field_rows` is what ``rairpredict fields`` prints: every canonical field
with its type, unit, allowed values or range, availability stage and whether
it is required or derived (plus a cohort config's extra columns).
:func:`cohort_config_schema` is generated from the contract and the keys
:mod:`rairpredict.cohort.config` accepts, so it never drifts from them; the
package ships it as ``configs/schemas/cohort-config.schema.json``
(:func:`shipped_schema_path`) and ``rairpredict schema cohort`` prints it. An
editor given the schema (VS Code YAML: a first line
``# yaml-language-server: $schema=<path>``) completes field names and flags a
misspelt key or category while the config is typed.

Examples
--------
>>> rows = {r["name"]: r for r in field_rows()}
>>> rows["t_stage"]["stage"], rows["t_stage"]["required"], rows["t_stage"]["allowed"][:3]
('pathology', True, ['T1a', 'T1b', 'T2'])
>>> rows["activity_gbq"]["unit"], rows["activity_gbq"]["allowed"]
('GBq', 'range [0, 20]')
>>> schema = cohort_config_schema()
>>> schema["required"], "t_stage" in schema["properties"]["columns"]["properties"]
(['name', 'columns'], True)
"""
from __future__ import annotations

from rairpredict.cohort import config as cfg
from rairpredict.cohort.contract import Contract, Field, load_contract
from rairpredict.cohort.validate import allowed_values

__all__ = ["field_rows", "format_field_rows", "cohort_config_schema", "shipped_schema_path", "SCHEMA_ID"]

SCHEMA_ID = "https://rairpredict.invalid/schemas/cohort-config.schema.json"
_TYPE_NAMES = {"bool": "boolean", "category": "category", "float": "number", "int": "integer", "string": "text"}


def _allowed(f: Field):
    if f.dtype == "category":
        return list(f.categories)
    if f.range is not None:
        return f"range [{f.range[0]:g}, {f.range[1]:g}]"
    if f.dtype == "bool":
        return allowed_values(f)
    return ""


def field_rows(contract: Contract | None = None) -> list[dict]:
    """One dict per field: name, type, unit, allowed, stage, required, derived, extra, description."""
    contract = contract or load_contract()
    return [{"name": f.name, "type": _TYPE_NAMES[f.dtype], "unit": f.unit or "", "allowed": _allowed(f),
             "stage": f.stage, "required": f.required, "derived": f.derived, "extra": f.extra,
             "description": " ".join(f.description.split())} for f in contract]


def format_field_rows(rows: list[dict]) -> str:
    """A plain-text table of :func:`field_rows`, grouped by stage in care-pathway order."""
    lines = []
    stage = None
    order = {s: i for i, s in enumerate(load_contract().stages)}
    for r in sorted(rows, key=lambda r: order[r["stage"]]):  # stable: contract order within a stage
        if r["stage"] != stage:
            stage = r["stage"]
            lines += ["" if lines else None, f"{stage}:"]
        marks = ", ".join(m for m, on in (("required", r["required"]), ("derived", r["derived"]),
                                          ("extra", r["extra"])) if on)
        allowed = ", ".join(r["allowed"]) if isinstance(r["allowed"], list) else r["allowed"]
        unit = f" [{r['unit']}]" if r["unit"] else ""
        head = f"  {r['name']}: {r['type']}{unit}" + (f" ({marks})" if marks else "")
        lines.append(head + (f"; {allowed}" if allowed else ""))
        lines.append(f"      {r['description']}")
    return "\n".join(line for line in lines if line is not None)


def _strings():
    return {"type": "array", "items": {"type": "string"}, "minItems": 1}


def _source():
    return {"oneOf": [{"type": "string"}, _strings()]}


def _recode_values(f: Field):
    if f.dtype == "category":
        return {"enum": [*f.categories, None]}
    if f.dtype == "bool":
        return {"type": ["boolean", "null"]}
    return {}


def _column_schema(f: Field) -> dict:
    doc = (f"{_TYPE_NAMES[f.dtype]}{f' [{f.unit}]' if f.unit else ''}, stage {f.stage}"
           f"{', required' if f.required else ''}: {' '.join(f.description.split())}")
    props = {"column": _source(), "first_of": _strings(), "recode": {"type": "object",
                                                                     "additionalProperties": _recode_values(f)},
             "invalid": {"enum": list(cfg.INVALID_POLICIES)}}
    if f.dtype == "bool":
        props["any_of"] = _strings()
    if f.unit:
        props["unit"] = {"enum": [f.unit, *f.aliases]}
    mapping = {"type": "object", "additionalProperties": False, "properties": props,
               "oneOf": [{"required": [k]} for k in ("column", "first_of", "any_of") if k in props]}
    return {"description": doc, "oneOf": [{"type": ["string", "number"]}, _strings(), mapping]}


def _constant_schema(f: Field) -> dict:
    if f.dtype == "category":
        return {"enum": list(f.categories)}
    kind = {"bool": "boolean", "int": "integer", "float": "number", "string": "string"}[f.dtype]
    out = {"type": kind}
    if f.range is not None and kind in ("integer", "number"):
        out.update(minimum=f.range[0], maximum=f.range[1])
    return out


def _extra_schema(stages) -> dict:
    base = {"column": _source(), "first_of": _strings(), "stage": {"enum": list(stages)},
            "description": {"type": "string"}, "invalid": {"enum": list(cfg.INVALID_POLICIES)},
            "recode": {"type": "object"}}
    by_type = {
        "boolean": {"true": {"oneOf": [{"type": ["string", "number"]}, {"type": "array"}]},
                    "false": {"oneOf": [{"type": ["string", "number"]}, {"type": "array"}]}},
        "category": {"values": _strings()},
        "number": {"unit": {"type": "string"},
                   "range": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}},
    }
    variants = [{"type": "object", "additionalProperties": False, "required": ["type", "stage"],
                 "properties": {**base, "type": {"const": kind}, **extra},
                 "oneOf": [{"required": ["column"]}, {"required": ["first_of"]}]}
                for kind, extra in by_type.items()]
    return {"description": "a column that is not in the contract: type, availability stage, allowed values",
            "oneOf": variants}


def cohort_config_schema(contract: Contract | None = None) -> dict:
    """JSON Schema (draft-07) of a cohort config, generated from the contract."""
    contract = contract or load_contract()
    fields = list(contract)
    assert set(cfg.TOP_KEYS) == {"name", "description", "path", "read", "columns", "extra", "tnm_edition", "invalid",
                                 "missing_tokens", "constants", "lacks", "id"}, "update cohort_config_schema"
    props = {
        "name": {"type": "string", "description": "cohort name, used in summaries and generated ids"},
        "description": {"type": "string"},
        "path": {"type": "string", "description": "data file; a relative path is relative to this config file"},
        "read": {"type": "object", "additionalProperties": False, "properties": {
            "delimiter": {"type": "string"}, "encoding": {"type": "string"},
            "sheet": {"type": ["string", "integer"]}, "decimal": {"enum": [".", ","]}}},
        "columns": {"type": "object", "additionalProperties": False, "minProperties": 1,
                    "properties": {f.name: _column_schema(f) for f in fields}},
        "extra": {"type": "object", "propertyNames": {"pattern": "^[A-Za-z][A-Za-z0-9_]*$",
                                                      "not": {"enum": [f.name for f in fields]}},
                  "additionalProperties": _extra_schema(contract.stages)},
        "tnm_edition": {"enum": list(cfg.TNM_EDITIONS),
                        "description": "AJCC/UICC edition of t_stage and n_stage (restaged to the 8th)"},
        "invalid": {"enum": list(cfg.INVALID_POLICIES),
                    "description": "unreadable value in an optional field: missing (with a warning) or reject"},
        "missing_tokens": {"type": "array", "items": {"type": ["string", "number"]}},
        "constants": {"type": "object", "additionalProperties": False,
                      "properties": {f.name: _constant_schema(f) for f in fields if not f.derived}},
        "lacks": {"oneOf": [{"const": "all_others"},
                            {"type": "array", "items": {"enum": [f.name for f in fields if not f.required]}}]},
        "id": {"type": "object", "additionalProperties": False, "properties": {
            "generate": {"type": "boolean"}, "prefix": {"type": "string"}, "width": {"type": "integer", "minimum": 1}}},
    }
    return {"$schema": "http://json-schema.org/draft-07/schema#", "$id": SCHEMA_ID,
            "title": "rairpredict cohort config",
            "description": "How one source file maps onto the canonical contract (rairpredict.cohort.config)",
            "type": "object", "additionalProperties": False, "required": ["name", "columns"], "properties": props}


def shipped_schema_path():
    """Path of the schema file shipped as package data (kept current by a test)."""
    from rairpredict.resources import package_path

    return package_path("configs", "schemas", "cohort-config.schema.json")
