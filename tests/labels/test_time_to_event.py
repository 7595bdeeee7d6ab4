"""Time-to-event outcome specs: units, dates, codes, competing events, unknowns counted."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rairpredict.errors import ConfigError
from rairpredict.labels.time_to_event import compute_time_to_event, parse_time_to_event

BASE = {"type": "time_to_event", "name": "Progression", "definition": "Radiological progression",
        "time": "pfi_days", "time_unit": "days", "event": {"column": "PFI", "positive": [1], "negative": [0]},
        "horizons": [1, 3, 5]}


def test_units_codes_and_reasons():
    spec = parse_time_to_event(BASE)
    table = pd.DataFrame({"pfi_days": [365.25, 1461.0, 30.0, None, 0.0, 200.0],
                          "PFI": ["1", 0, "1.0", 1, 0, "lost"]})
    out = compute_time_to_event(spec, table)
    np.testing.assert_allclose(out["time"].iloc[:3], [1.0, 4.0, 30 / 365.25])
    assert out["event"].tolist()[:3] == [True, False, True]
    assert out["event"].isna().tolist() == [False, False, False, True, True, True]
    assert out["reason"].tolist()[3:] == ["unknown: follow-up time missing or unreadable",
                                          "unknown: follow-up time not positive",
                                          "unknown: event status missing or not a declared code"]


def test_two_dates_and_months():
    spec = parse_time_to_event({**{k: v for k, v in BASE.items() if k not in ("time", "time_unit")},
                                "start_date": "rai_date", "end_date": "last_date"})
    out = compute_time_to_event(spec, pd.DataFrame({"rai_date": ["2015-01-01", "2016-06-01"],
                                                    "last_date": ["2017-01-01", "bad"], "PFI": [1, 0]}))
    assert out["time"].iloc[0] == pytest.approx(731 / 365.25) and np.isnan(out["time"].iloc[1])
    months = compute_time_to_event(parse_time_to_event({**BASE, "time_unit": "months"}),
                                   pd.DataFrame({"pfi_days": [18.0], "PFI": [0]}))
    assert months["time"].iloc[0] == pytest.approx(1.5)


def test_competing_event_censor_or_composite():
    table = pd.DataFrame({"pfi_days": [100.0, 200.0, 300.0], "PFI": [1, 0, 0], "vital": ["alive", "dead", "alive"]})
    comp = {"column": "vital", "positive": ["dead"]}
    censor = compute_time_to_event(parse_time_to_event({**BASE, "competing": comp}), table)
    assert censor["event"].tolist() == [True, False, False] and censor["competing"].tolist() == [False, True, False]
    assert censor["reason"].iloc[1] == "competing event (censored)"
    composite = compute_time_to_event(parse_time_to_event({**BASE, "competing": {**comp, "method": "composite"}}),
                                      table)
    assert composite["event"].tolist() == [True, True, False]


def test_builtin_timed_rair_from_the_simulator():
    from rairpredict.simulation import simulate_cohort

    df = simulate_cohort(400, seed=1)
    spec = parse_time_to_event({"type": "time_to_event", "label": "rair", "horizons": [1.5, 3, 5]})
    out = compute_time_to_event(spec, df)
    assert out["event"].sum() == df["rair_time_years"].notna().sum()
    dated = df["rair_time_years"].notna()
    np.testing.assert_allclose(out.loc[dated, "time"], df.loc[dated, "rair_time_years"])
    np.testing.assert_allclose(out.loc[~dated, "time"], df.loc[~dated, "followup_years"])
    assert "rair_time_years" in spec.source_columns and spec.to_metadata()["competing_method"] == "censor"


@pytest.mark.parametrize("change,match", [
    ({"horizons": []}, "horizons"),
    ({"horizons": [0, 1]}, "positive"),
    ({"band_horizon": 2}, "band_horizon"),
    ({"time_unit": "fortnights"}, "time_unit"),
    ({"definition": ""}, "definition"),
    ({"start_date": "a"}, "either 'time'"),
    ({"competing": {"column": "v", "positive": [1], "method": "fine-gray"}}, "competing.method"),
    ({"label": "second_course_benefit"}, "no timed form"),
    ({"followup": 3}, "unknown key"),
])
def test_refusals_are_one_line(change, match):
    with pytest.raises(ConfigError, match=match) as err:
        parse_time_to_event({**BASE, **change})
    assert "\n" not in str(err.value)


def test_a_missing_column_names_it():
    with pytest.raises(ConfigError, match="'pfi_days' is not in the cohort"):
        compute_time_to_event(parse_time_to_event(BASE), pd.DataFrame({"PFI": [1]}))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.floats(-10, 5000), st.just(float("nan"))),
                          st.sampled_from([0, 1, "0", "1", "x", None, 2.0, "lost"])), min_size=1, max_size=40))
def test_every_row_is_event_censored_or_unknown(rows):
    table = pd.DataFrame(rows, columns=["pfi_days", "PFI"])
    out = compute_time_to_event(parse_time_to_event(BASE), table)
    known = out["event"].notna()
    assert len(out) == len(table)
    assert (known == out["time"].notna()).all()
    assert (out.loc[known, "time"] > 0).all()
    assert out.loc[~known, "reason"].str.startswith("unknown").all()
    assert not out.loc[known, "reason"].str.startswith("unknown").any()


def test_spec_offers_the_outcome_interface_of_the_config_code():
    own = parse_time_to_event(BASE)
    assert own.key == "time_to_event:PFI" and own.source_columns == ("pfi_days", "PFI")
    meta = own.metadata()
    assert meta["name"] == "Progression" and meta["horizon"] == "within 3 years (risks also given by 1 and 5 years)"
    assert own.horizon_text == "1, 3 and 5 years"
    assert meta["horizons_years"] == [1.0, 3.0, 5.0] and "pfi_days" in meta["source"]
    built_in = parse_time_to_event({"type": "time_to_event", "label": "rair", "horizons": [1.5, 3, 5]})
    assert built_in.key == "time_to_event:rair" and built_in.band_horizon == 3.0
    assert {"rair_time_years", "followup_years", "died_other_cause"} <= set(built_in.source_columns)
    assert built_in.metadata()["competing_method"] == "censor"
