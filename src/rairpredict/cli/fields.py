"""CLI: fields (the canonical contract) and schema (JSON Schemas of the YAML configs)."""
from __future__ import annotations

from rairpredict.cli import _args

__all__ = ["add_fields", "add_schema", "SCHEMAS"]

#: ``rairpredict schema KIND`` -> "module:function" returning the JSON Schema dict.
SCHEMAS = {"cohort": "rairpredict.cohort.config_schema:cohort_config_schema",
           "target": "rairpredict.experiment.config:target_config_schema"}


def add_fields(sub) -> None:
    p = sub.add_parser("fields", help="list every canonical field: type, unit, allowed values, stage, derived")
    p.add_argument("--cohort-config", metavar="CFG", help="also list this cohort config's extra columns")
    _args.add_common(p)  # --json: JSON instead of a table
    p.set_defaults(func=_cmd_fields)


def add_schema(sub) -> None:
    p = sub.add_parser("schema", help="print or write the JSON Schema of a config, for editors that check YAML")
    p.add_argument("kind", choices=sorted(SCHEMAS), help="which config")
    _args.add_output(p, "write it here (default: print)", required=False, metavar="FILE")
    _args.add_common(p)
    p.set_defaults(func=_cmd_schema)


def _cmd_fields(args) -> int:
    import json

    from rairpredict.cohort.config_schema import field_rows, format_field_rows

    contract = None
    if args.cohort_config:
        from rairpredict.cohort.config import load_cohort_config

        contract = load_cohort_config(args.cohort_config).schema
    rows = field_rows(contract)
    print(json.dumps(rows, indent=2, ensure_ascii=False) if args.json else format_field_rows(rows))
    return 0


def _cmd_schema(args) -> int:
    import importlib
    import json

    from rairpredict.cohort.io import check_paths
    from rairpredict.configfile import write_json_schema

    check_paths(outputs={"schema": args.output})
    module, func = SCHEMAS[args.kind].split(":")
    schema = getattr(importlib.import_module(module), func)()
    if args.output:
        print(f"wrote {write_json_schema(schema, args.output)}")
    else:
        print(json.dumps(schema, indent=2, ensure_ascii=False))
    return 0
