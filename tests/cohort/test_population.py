"""Population rules: the operator set, missing values, per-rule flow, refusals."""
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rairpredict.cohort.population import OPERATORS, apply_population, parse_population
from rairpredict.errors import ConfigError

T = pd.DataFrame({"age_years": [15, 40, 50, None, 70], "sex": ["female", "male", "female", "female", None],
                  "consent": [True, True, False, True, None]})


@pytest.mark.parametrize("rule, kept", [
    ({"sex": "female"}, [0, 2, 3]),
    ({"sex": {"equals": "FEMALE"}}, [0, 2, 3]),
    ({"sex": {"not_equals": "female"}}, [1]),
    ({"sex": {"in": ["male", "other"]}}, [1]),
    ({"sex": {"not_in": ["male"]}}, [0, 2, 3]),
    ({"age_years": {"min": 40}}, [1, 2, 4]),
    ({"age_years": {"max": 40}}, [0, 1]),
    ({"age_years": {"between": [40, 50]}}, [1, 2]),
    ({"age_years": {"min": 18, "max": 60}}, [1, 2]),
    ({"age_years": {"missing": True}}, [3]),
    ({"sex": {"not_missing": True}}, [0, 1, 2, 3]),
    ({"consent": "yes"}, [0, 1, 3]),
])
def test_each_operator(rule, kept):
    keep, flow = apply_population(parse_population(rule), T)
    assert list(keep[keep].index) == kept
    assert flow[-1]["remaining"] == len(kept)


def test_flow_counts_each_rule_in_order_and_missing_separately():
    keep, flow = apply_population(parse_population({"age_years": {"min": 18}, "sex": "female"}), T)
    assert [(f["rule"], f["excluded"], f["missing"], f["remaining"]) for f in flow] == [
        ("age_years at least 18", 2, 1, 3), ("sex equals female", 2, 1, 1)]
    assert len(T) - sum(f["excluded"] for f in flow) == int(keep.sum())


@pytest.mark.parametrize("raw, rule", [
    ({"sex": {"equal": "female"}}, "unknown operator.*did you mean 'equals'"),
    ({"sex": ["female", "male"]}, "a list is not a rule; write sex: {in:"),
    ({"sex": {"in": "female"}}, "non-empty list"),
    ({"age_years": {"min": "old"}}, "not a number"),
    ({"age_years": {"between": [60, 18]}}, "low <= high"),
    ({"age_years": {"missing": "yes"}}, "write missing: true"),
    ({"sex": {}}, "empty rule"),
    ({"agee_years": {"min": 1}}, "unknown column 'agee_years'.*did you mean 'age_years'"),
    ({"sex": {"equals": "femal"}}, "not an allowed value.*did you mean 'female'"),
])
def test_refusals_are_one_line(raw, rule):
    with pytest.raises(ConfigError, match=rule) as err:
        parse_population(raw, known_columns={"age_years", "sex"},
                         categories_of=lambda c: ("female", "male") if c == "sex" else None,
                         where_of=lambda *k: "cfg.yaml:7")
    assert "\n" not in str(err.value) and str(err.value).startswith("cfg.yaml:7")


def test_column_absent_from_the_table_is_refused_when_applied():
    rules = parse_population({"stage_group": "I"}, where_of=lambda *k: "cfg.yaml:3")
    with pytest.raises(ConfigError, match="cfg.yaml:3: key 'population.stage_group'"):
        apply_population(rules, T)


def test_every_operator_is_documented():
    import rairpredict.cohort.population as mod

    assert all(f"``{op}``" in mod.__doc__ for op in OPERATORS)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 100)), min_size=1, max_size=40),
       st.integers(0, 100), st.integers(0, 100))
def test_flow_accounts_for_every_row(values, lo, hi):
    table = pd.DataFrame({"x": pd.array(values, dtype="Float64")})
    keep, flow = apply_population(parse_population({"x": {"min": lo}, "y": {"not_missing": True}}),
                                  table.assign(y=values[::-1]))
    assert sum(f["excluded"] for f in flow) + int(keep.sum()) == len(values)
