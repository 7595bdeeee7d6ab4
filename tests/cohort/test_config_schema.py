"""`rairpredict fields` and the cohort-config JSON Schema (issue 10 point 8)."""
from __future__ import annotations

import json

import pytest
import yaml

from rairpredict.cli import main
from rairpredict.cohort.config_schema import cohort_config_schema, field_rows, shipped_schema_path
from rairpredict.cohort.contract import load_contract
from rairpredict.resources import config_dir

jsonschema = pytest.importorskip("jsonschema")


def test_fields_lists_every_canonical_field_with_type_unit_allowed_stage(capsys):
    assert main(["fields"]) == 0
    out = capsys.readouterr().out
    for f in load_contract():
        assert f"  {f.name}: " in out, f.name
    assert "  activity_gbq: number [GBq]; range [0, 20]" in out
    assert "  ajcc8_stage: category (derived); I, II, III, IVA, IVB" in out
    assert "  t_stage: category (required); T1a, T1b, T2, T3a, T3b, T4a, T4b, TX, T1, T3, T4" in out
    assert out.index("diagnosis:") < out.index("pathology:") < out.index("follow_up:")
    assert out.count("pathology:") == 1  # derived fields sit with their stage


def test_fields_json_and_a_configs_extras(capsys, tmp_path):
    assert main(["fields", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == field_rows() and len(rows) == len(load_contract().names)
    tsh = next(r for r in rows if r["name"] == "tsh_stim_mu_l")
    assert (tsh["type"], tsh["unit"], tsh["stage"], tsh["derived"]) == ("number", "mU/L", "pre_therapy", False)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"name": "x", "columns": {"sex": "S"}, "id": {"generate": True},
                                   "extra": {"pfi": {"column": "P", "type": "boolean", "stage": "follw_up"}}}))
    assert main(["fields", "--cohort-config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean 'follow_up'?" in err
    cfg.write_text(yaml.safe_dump({
        "name": "x", "id": {"generate": True}, "lacks": "all_others",
        "columns": {n: n for n in ("age_years", "sex", "histology", "t_stage", "n_stage", "m_stage")},
        "extra": {"pfi": {"column": "P", "type": "boolean", "stage": "follow_up"}}}))
    capsys.readouterr()
    assert main(["fields", "--cohort-config", str(cfg)]) == 0
    assert "  pfi: boolean (extra); yes, no, true, false, 1, 0" in capsys.readouterr().out


def test_shipped_schema_is_current_and_valid(capsys):
    schema = cohort_config_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    assert json.loads(shipped_schema_path().read_text(encoding="utf-8")) == schema, \
        "regenerate: rairpredict schema cohort -o src/rairpredict/configs/schemas/cohort-config.schema.json"
    assert main(["schema", "cohort"]) == 0
    assert json.loads(capsys.readouterr().out) == schema


@pytest.mark.parametrize("path", sorted(config_dir("cohorts").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_cohort_configs_satisfy_the_schema_and_point_at_it(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schemas/cohort-config.schema.json")
    errors = list(jsonschema.Draft7Validator(cohort_config_schema()).iter_errors(yaml.safe_load(text)))
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize("doc,needle", [
    ({"name": "x", "colums": {}}, "colums"),
    ({"name": "x", "columns": {"t_stage": {"column": "T", "recode": {"1": "T1c"}}}}, "T1c"),
    ({"name": "x", "columns": {"activity_gbq": {"column": "A", "unit": "Ci"}}}, "Ci"),
    ({"name": "x", "columns": {"sex": "S"}, "tnm_edition": 9}, "9"),
    ({"name": "x", "columns": {"sex": "S"}, "extra": {"pfi": {"column": "P", "type": "boolean"}}}, "stage"),
])
def test_schema_catches_what_the_loader_refuses(doc, needle):
    errors = list(jsonschema.Draft7Validator(cohort_config_schema()).iter_errors(doc))
    assert errors and any(needle in (e.message + json.dumps(e.instance, default=str)) for e in errors) or \
        any(needle in str(c.message) for e in errors for c in (e.context or [])), [e.message for e in errors]
