"""Leakage guard: stage order from the contract, oracle/identifier refusal, name hints."""
import pandas as pd
import pytest
from hypothesis import given, strategies as st

from rairpredict.cohort.contract import load_contract
from rairpredict.errors import ConfigError, LeakageError
from rairpredict.features import ClinicalFeatures, check_leakage

CONTRACT = load_contract()


def test_pre_therapy_refuses_dose_rate_naming_stage():
    with pytest.raises(LeakageError) as exc:
        check_leakage(["age_years", "dose_rate_48h_usv_h"], "pre_therapy")
    msg = str(exc.value)
    assert "'dose_rate_48h_usv_h'" in msg and "early_therapy" in msg and "pre_therapy" in msg
    assert "\n" not in msg


def test_pre_therapy_refuses_follow_up_outcome():
    with pytest.raises(LeakageError, match=r"structural_progression_12_16m.*stage follow_up.*pre_therapy"):
        check_leakage(["structural_progression_12_16m"], "pre_therapy")


def test_early_therapy_accepts_dose_rate():
    assert check_leakage(["dose_rate_48h_usv_h", "tg_stim_ng_ml"], "early_therapy") == [
        "dose_rate_48h_usv_h", "tg_stim_ng_ml"]


def test_refuses_oracle_and_identifier():
    with pytest.raises(LeakageError, match="oracle"):
        check_leakage(["oracle_p_rair"], "follow_up")
    with pytest.raises(LeakageError, match="identifier"):
        check_leakage(["patient_id"], "follow_up")


def test_unknown_name_lists_close_matches():
    with pytest.raises(ConfigError, match=r"'tg_stim_ng_m' is not a contract field; did you mean 'tg_stim_ng_ml'"):
        check_leakage(["tg_stim_ng_m"], "pre_therapy")
    with pytest.raises(ConfigError, match="unknown decision point"):
        check_leakage(["age_years"], "pre_surgery")


def test_guard_runs_in_fit_not_init():
    table = pd.DataFrame({"dose_rate_48h_usv_h": [10.0, 20.0]})
    cf = ClinicalFeatures(["dose_rate_48h_usv_h"], decision_point="pre_therapy")  # no error yet
    with pytest.raises(LeakageError, match="early_therapy"):
        cf.fit(table)
    assert ClinicalFeatures(["dose_rate_48h_usv_h"], decision_point="early_therapy").fit(table).features_ == [
        "dose_rate_48h_usv_h"]


def test_default_selection_excludes_later_stages():
    table = pd.DataFrame({"age_years": [40.0, 60.0], "dose_rate_48h_usv_h": [5.0, 9.0],
                          "patient_id": ["a", "b"], "oracle_p": [0.1, 0.2]})
    assert ClinicalFeatures(decision_point="pre_therapy").fit(table).features_ == ["age_years"]


@given(st.sampled_from([f.name for f in CONTRACT if f.name != "patient_id"]),
       st.sampled_from(list(CONTRACT.stages)))
def test_accepts_iff_stage_not_after_decision_point(name, stage):
    allowed = CONTRACT.stage_index(CONTRACT[name].stage) <= CONTRACT.stage_index(stage)
    if allowed:
        assert check_leakage([name], stage) == [name]
    else:
        with pytest.raises(LeakageError, match=f"stage {CONTRACT[name].stage}"):
            check_leakage([name], stage)
