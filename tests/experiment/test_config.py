"""Target configs: every shipped config loads; the guards refuse leakage and bad keys."""
from pathlib import Path

import pytest
import yaml

from rairpredict.errors import ConfigError, LeakageError
from rairpredict.experiment.config import CONFIG_DIR, LABEL_INPUTS, load_target_config

SHIPPED = sorted(CONFIG_DIR.glob("*.yaml"))


def _write(tmp_path, **changes) -> Path:
    raw = yaml.safe_load((CONFIG_DIR / "rair.yaml").read_text())
    raw.update(changes)
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_configs_load(path):
    cfg = load_target_config(path)
    assert cfg.name == path.stem
    assert cfg.label in LABEL_INPUTS or cfg.outcome.label in LABEL_INPUTS  # time_to_event:<label>
    assert not set(cfg.features) & set(LABEL_INPUTS[cfg.outcome.label or cfg.label])


def test_three_synthetic_targets_and_uci_variants_exist():
    names = {p.stem for p in SHIPPED}
    assert {"rair", "unexpected_uptake", "second_course_benefit"} <= names
    assert {"uci_recurred_pre", "uci_recurred_post", "uci_structural_incomplete_pre"} <= names
    post = load_target_config(CONFIG_DIR / "uci_recurred_post.yaml")
    pre = load_target_config(CONFIG_DIR / "uci_recurred_pre.yaml")
    assert "ata_response_reported" in post.features and "ata_response_reported" not in pre.features


def test_leakage_guard_refuses_48h_dose_rate_before_therapy(tmp_path):
    path = _write(tmp_path, features=["age_years", "dose_rate_48h_usv_h"])
    with pytest.raises(LeakageError, match="dose_rate_48h_usv_h") as err:
        load_target_config(path)
    assert "early_therapy" in str(err.value) and "pre_therapy" in str(err.value)
    assert str(path) in str(err.value)


def test_early_therapy_model_may_use_24h_dose_rate(tmp_path):
    path = _write(tmp_path, label="rair", decision_point="early_therapy",
                  features=["age_years", "dose_rate_24h_usv_h"])
    assert load_target_config(path).decision_point == "early_therapy"


def test_label_inputs_are_refused_as_features(tmp_path):
    path = _write(tmp_path, label="unexpected_uptake", decision_point="early_therapy",
                  features=["age_years", "dose_rate_48h_usv_h"])
    with pytest.raises(LeakageError, match="restate the outcome"):
        load_target_config(path)


def test_oracle_column_is_refused(tmp_path):
    path = _write(tmp_path, features=["age_years", "oracle_p_rair"])
    with pytest.raises((LeakageError, ConfigError), match="oracle_p_rair"):
        load_target_config(path)


@pytest.mark.parametrize("changes, rule", [
    ({"colour": "blue"}, "unknown key"),
    ({"label": "cure"}, "unknown label"),
    ({"models": ["svm"]}, "unknown model"),
    ({"features": []}, "empty list"),
    ({"bands": [0.5, 0.1]}, "must ascend"),
])
def test_bad_configs_give_one_line_errors(tmp_path, changes, rule):
    with pytest.raises(ConfigError, match=rule) as err:
        load_target_config(_write(tmp_path, **changes))
    assert "\n" not in str(err.value)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_target_config(tmp_path / "nope.yaml")


# ---------------------------------------------------------------- own outcome, population, paths
OWN_OUTCOME = {"column": "recurred", "positive": [True], "negative": [False], "name": "Recurrence",
               "definition": "Structural or biochemical recurrence as recorded", "horizon": "10 years"}


def _write_raw(tmp_path, raw) -> Path:
    path = tmp_path / "own.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _own(**changes):
    raw = yaml.safe_load((CONFIG_DIR / "rair.yaml").read_text())
    raw.pop("label")
    raw["outcome"] = dict(OWN_OUTCOME)
    raw.update(changes)
    return raw


def test_outcome_from_a_column(tmp_path):
    cfg = load_target_config(_write_raw(tmp_path, _own()))
    assert cfg.label == "column:recurred" and cfg.outcome.name == "Recurrence"
    assert cfg.outcome.horizon["text"] == "10 years"
    assert cfg.final_model == "auto"
    assert cfg.to_dict()["outcome"]["definition"].startswith("Structural")


def test_label_mapping_is_an_outcome_too(tmp_path):
    raw = _own()
    raw["label"] = raw.pop("outcome")
    assert load_target_config(_write_raw(tmp_path, raw)).outcome.column == "recurred"


def test_outcome_column_refused_as_a_feature(tmp_path):
    raw = _own(features=["age_years", "recurred"])
    with pytest.raises(LeakageError, match=r"own.yaml, line \d+: key 'features.1': .*restate the outcome"):
        load_target_config(_write_raw(tmp_path, raw))


def test_label_and_outcome_together_refused(tmp_path):
    with pytest.raises(ConfigError, match="either 'label'.*or 'outcome'"):
        load_target_config(_write_raw(tmp_path, _own(label="rair")))


def test_population_error_names_key_and_line(tmp_path):
    path = tmp_path / "p.yaml"
    text = (CONFIG_DIR / "rair.yaml").read_text() + "\npopulation:\n  age_years: {min: 18}\n  sex: {equal: female}\n"
    path.write_text(text)
    line = text.splitlines().index("  sex: {equal: female}") + 1
    with pytest.raises(ConfigError) as err:
        load_target_config(path)
    assert str(err.value).startswith(f"{path}, line {line}: key 'population.sex.equal': unknown operator")


def test_population_unknown_column_names_its_line(tmp_path):
    path = tmp_path / "p.yaml"
    text = (CONFIG_DIR / "rair.yaml").read_text() + "\npopulation:\n  stage_grop: I\n"
    path.write_text(text)
    with pytest.raises(ConfigError, match=rf"p.yaml, line {len(text.splitlines())}: .*unknown column 'stage_grop'"):
        load_target_config(path)


def test_yaml_syntax_error_has_a_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nfeatures: [a, b\nlabel: rair\n")
    with pytest.raises(ConfigError, match=r"bad.yaml, line \d+: invalid YAML"):
        load_target_config(path)


def test_unknown_key_names_its_line(tmp_path):
    path = tmp_path / "k.yaml"
    path.write_text((CONFIG_DIR / "rair.yaml").read_text() + "\nfinal_modle: auto\n")
    with pytest.raises(ConfigError, match=r"k.yaml, line \d+: key 'final_modle': unknown key.*did you mean 'final_model'"):
        load_target_config(path)


def test_relative_paths_resolve_against_the_config_from_any_directory(tmp_path, monkeypatch):
    shipped = CONFIG_DIR / "uci_recurred_pre.yaml"
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    cfg = load_target_config(shipped)
    assert Path(cfg.cohort["path"]).is_file() and Path(cfg.cohort["cohort_config"]).is_file()
    copy = tmp_path / "sub" / "t.yaml"
    copy.parent.mkdir()
    raw = yaml.safe_load(shipped.read_text())
    raw["cohort"] = {"path": "data/c.csv", "cohort_config": "../cohorts/c.yaml"}
    copy.write_text(yaml.safe_dump(raw))
    cfg = load_target_config(Path("..") / "sub" / "t.yaml")
    assert cfg.cohort["path"] == str(tmp_path / "sub" / "data" / "c.csv")
    assert cfg.cohort["cohort_config"] == str(tmp_path / "cohorts" / "c.yaml")


def test_explicit_final_model_must_be_a_candidate(tmp_path):
    with pytest.raises(ConfigError, match="'final_model'.*not one of the config's models"):
        load_target_config(_write(tmp_path, models=["logistic"], final_model="xgboost"))


def test_target_schema_accepts_shipped_configs_and_rejects_bad_ones():
    jsonschema = pytest.importorskip("jsonschema")
    from rairpredict.experiment.config import TARGET_SCHEMA

    for path in SHIPPED:
        jsonschema.validate(yaml.safe_load(path.read_text()), TARGET_SCHEMA)
    bad = yaml.safe_load((CONFIG_DIR / "rair.yaml").read_text())
    bad["population"] = {"age_years": {"equal": 3}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, TARGET_SCHEMA)


def test_shipped_target_schema_is_current_and_configs_point_at_it(capsys):
    import json

    jsonschema = pytest.importorskip("jsonschema")
    from rairpredict.cli import main
    from rairpredict.experiment.config import target_config_schema
    from rairpredict.resources import package_path

    schema = target_config_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    shipped = package_path("configs", "schemas", "target-config.schema.json")
    assert json.loads(shipped.read_text(encoding="utf-8")) == schema, \
        "regenerate: rairpredict schema target -o src/rairpredict/configs/schemas/target-config.schema.json"
    assert main(["schema", "target"]) == 0
    assert json.loads(capsys.readouterr().out) == schema
    for path in SHIPPED:
        assert path.read_text().startswith("# yaml-language-server: $schema=../schemas/target-config.schema.json")
