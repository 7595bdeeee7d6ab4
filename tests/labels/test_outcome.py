"""Outcome spec: built-in labels and own columns, every refusal one line, labels partition the rows."""
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rairpredict.errors import ConfigError
from rairpredict.labels import LABELS
from rairpredict.labels.outcome import LABEL_INPUTS, OUTCOME_SCHEMA, compute_outcome, parse_outcome

OWN = {"column": "PFI", "positive": [1, "progressed"], "negative": [0], "unknown": ["lost"],
       "name": "Progression", "definition": "Radiological progression (RECIST)", "horizon": "5 years"}


def test_builtin_label_shorthand_and_metadata():
    spec = parse_outcome("rair")
    assert spec.label == "rair" and spec.key == "rair"
    assert spec.definition == LABELS["rair"].description
    assert spec.source_columns == LABEL_INPUTS["rair"]
    meta = spec.metadata()
    assert meta["name"] == "Radioiodine-refractory disease (RAIR)" and meta["source"] == "built-in label rair"


def test_builtin_label_can_be_renamed_and_given_a_horizon():
    spec = parse_outcome({"label": "recurred", "name": "Recurrence", "horizon": {"value": 10, "unit": "years"}})
    assert spec.horizon == {"value": 10.0, "unit": "years", "text": "10 years"}


def test_own_column_labels_and_reasons():
    spec = parse_outcome(OWN)
    t = pd.DataFrame({"PFI": [1, "0", " Progressed ", "lost", None, 1.0]})
    out = compute_outcome(spec, t)
    assert out["outcome"].tolist() == [True, False, True, pd.NA, pd.NA, True]
    assert out["outcome_reason"].tolist()[3] == "unknown: PFI = lost"
    assert out["outcome_reason"].tolist()[4] == "unknown: PFI is empty"
    meta = spec.metadata()
    assert meta["horizon"] == "5 years" and meta["positive"] == [1, "progressed"] and meta["column"] == "PFI"
    assert spec.source_columns == ("PFI",)


def test_yes_no_and_boolean_columns():
    spec = parse_outcome({**OWN, "positive": [True], "negative": [False], "unknown": []})
    out = compute_outcome(spec, pd.DataFrame({"PFI": ["Yes", "no", "TRUE"]}))
    assert out["outcome"].tolist() == [True, False, True]
    spec10 = parse_outcome({**OWN, "positive": [1], "negative": [0], "unknown": []})
    boolean = pd.DataFrame({"PFI": pd.array([True, False, None], dtype="boolean")})
    assert compute_outcome(spec10, boolean)["outcome"].tolist() == [True, False, pd.NA]


def test_unlisted_value_is_one_line_listing_values_seen():
    spec = parse_outcome(OWN, where="t.yaml:4")
    with pytest.raises(ConfigError) as err:
        compute_outcome(spec, pd.DataFrame({"PFI": [1, 0, "2", "2", "censored"]}))
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("t.yaml:4")
    assert "'2' (2)" in msg and "'censored' (1)" in msg and "values seen" in msg


def test_absent_column_names_the_config_line():
    with pytest.raises(ConfigError, match=r"t.yaml:9: .*'PFI' is not in the cohort"):
        compute_outcome(parse_outcome(OWN, where="t.yaml:9"), pd.DataFrame({"x": [1]}))


@pytest.mark.parametrize("change, rule", [
    ({"positive": None}, "outcome.positive': missing"),
    ({"horizon": None}, "outcome.horizon': missing"),
    ({"definition": ""}, "outcome.definition': missing"),
    ({"horizon": 5}, "has no unit"),
    ({"horizon": {"value": 5, "unit": "fortnights"}}, "unknown unit"),
    ({"negative": [0, 1]}, "also listed under 'positive'"),
    ({"positive": [[1, 2]]}, "not a single value"),
    ({"positive": [""]}, "empty cells are always unknown"),
    ({"colour": "red"}, "outcome.colour': unknown key"),
    ({"type": "survival"}, "unknown outcome type"),
    ({"label": "rair"}, "exactly one of 'label'"),
])
def test_bad_outcome_sections_are_one_line_errors(change, rule):
    raw = {k: v for k, v in {**OWN, **change}.items()}
    with pytest.raises(ConfigError, match=rule) as err:
        parse_outcome(raw)
    assert "\n" not in str(err.value)


def test_unknown_builtin_label_suggests_own_column():
    with pytest.raises(ConfigError, match="unknown label 'cure'.*give 'column'"):
        parse_outcome({"label": "cure"})


def test_time_to_event_sections_go_to_the_time_to_event_parser():
    from rairpredict.labels.time_to_event import TimeToEventSpec

    spec = parse_outcome({"type": "time_to_event", "label": "rair", "horizons": [1, 3]})
    assert isinstance(spec, TimeToEventSpec) and spec.horizons == (1.0, 3.0)


def test_schema_has_a_branch_per_form():
    assert len(OUTCOME_SCHEMA["oneOf"]) == 3
    assert set(OUTCOME_SCHEMA["oneOf"][1]["required"]) >= {"column", "positive", "negative", "horizon"}


codes = st.one_of(st.integers(-5, 30), st.sampled_from(["a", "B", " c ", "yes", "No", "lost", "x1"]))


@settings(max_examples=150, deadline=None)
@given(pos=st.lists(codes, min_size=1, max_size=4), neg=st.lists(codes, min_size=1, max_size=4),
       unk=st.lists(codes, max_size=3), cells=st.lists(st.one_of(codes, st.none()), max_size=40))
def test_labels_exactly_partition_rows(pos, neg, unk, cells):
    """Every row is exactly one of positive / negative / unknown, or the call refuses the file."""
    from rairpredict.cohort.population import value_key as key

    raw = {**OWN, "positive": pos, "negative": neg, "unknown": unk}
    classes = {}
    clash = False
    for cls, vals in (("positive", pos), ("negative", neg), ("unknown", unk)):
        for v in vals:
            clash |= classes.setdefault(key(v), cls) != cls
    if clash:
        with pytest.raises(ConfigError, match="also listed"):
            parse_outcome(raw)
        return
    spec = parse_outcome(raw)
    table = pd.DataFrame({"PFI": pd.Series(cells, dtype=object)})
    stray = [c for c in cells if key(c) is not None and key(c) not in classes]
    if stray:
        with pytest.raises(ConfigError, match="none of positive/negative/unknown"):
            compute_outcome(spec, table)
        return
    out = compute_outcome(spec, table)
    assert len(out) == len(cells)
    expected = [None if key(c) is None else classes[key(c)] for c in cells]
    got = ["positive" if v is True else "negative" if v is False else None for v in out["outcome"].astype(object)
           .where(out["outcome"].notna(), None)]
    assert got == [e if e in ("positive", "negative") else None for e in expected]
    n_pos, n_neg, n_unk = (out["outcome"] == True).sum(), (out["outcome"] == False).sum(), out["outcome"].isna().sum()  # noqa: E712
    assert n_pos + n_neg + n_unk == len(cells)
