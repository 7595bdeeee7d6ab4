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
    assert cfg.label in LABEL_INPUTS
    assert not set(cfg.features) & set(LABEL_INPUTS[cfg.label])


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
    with pytest.raises(ConfigError, match="file not found"):
        load_target_config(tmp_path / "nope.yaml")
