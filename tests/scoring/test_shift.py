"""Input-shift checks: each warning fires on the case it names, stays quiet on the training profile."""
import json

import numpy as np
import pandas as pd
import pytest

from rairpredict.cohort.io import write_table
from rairpredict.labels import add_labels
from rairpredict.models.risk_model import fit_risk_model
from rairpredict.scoring import score_file, score_frame
from rairpredict.scoring.pyfunc import RiskModelPyfunc, to_pyfunc_input
from rairpredict.scoring.shift import (PROFILE_KEY, InputShiftError, check_inputs, input_profile, shift_summary,
                                       summary_path)
from rairpredict.simulation.simulate import simulate_cohort

FEATURES = ["age_years", "histology", "tg_stim_ng_ml", "tsh_stim_mu_l", "ete", "course_number", "braf_v600e"]


@pytest.fixture(scope="module")
def model_and_train():
    train = simulate_cohort(800, seed=11)
    y = add_labels(train)["rair"].fillna(False).astype(int)
    model = fit_risk_model(train, y, features=FEATURES, decision_point="pre_therapy", kind="logistic", seed=0)
    # population: first courses up to the 3rd (a rule a target config could state)
    model.metadata[PROFILE_KEY] = input_profile(model, train, population={"course_number": {"max": 3}})
    return model, train


def _reasons(text):
    return pd.Series(text)


def test_quiet_on_the_training_rows_and_on_a_fresh_sample(model_and_train):
    model, train = model_and_train
    text, counts = check_inputs(model, train[train["course_number"] <= 3])
    assert (text == "").all() and counts.rows_flagged == 0
    fresh = simulate_cohort(1500, seed=99)
    fresh = fresh[fresh["course_number"] <= 3]
    text, counts = check_inputs(model, fresh)
    summary = shift_summary(model, counts)
    assert counts.reasons["missing"] == 0 and counts.reasons["category"] == 0 and counts.reasons["population"] == 0
    assert counts.reasons["range"] / len(fresh) < 0.02  # a fresh sample exceeds the training min/max rarely
    assert summary["inputs_absent"] == [] and summary["major_shift"] == []
    assert max(d["psi"] for d in summary["inputs"].values() if d["psi"] is not None) < 0.1


def test_absent_input_is_named_with_importance_and_strict_refuses(model_and_train):
    model, train = model_and_train
    table = train.drop(columns=["tg_stim_ng_ml"])
    text, counts = check_inputs(model, table)
    assert (pd.Series(text).str.contains("missing beyond training: .*tg_stim_ng_ml")).all()
    summary = shift_summary(model, counts)
    assert [d["input"] for d in summary["inputs_absent"]] == ["tg_stim_ng_ml"]
    assert summary["inputs_absent"][0]["importance"] > 0
    assert "tg_stim_ng_ml (importance" in summary["message"]
    with pytest.raises(InputShiftError, match="tg_stim_ng_ml"):
        score_frame(model, table, strict_inputs=True)
    # entirely missing (column present, every value empty) is the same warning
    _, counts = check_inputs(model, train.assign(tsh_stim_mu_l=np.nan))
    assert [d["input"] for d in shift_summary(model, counts)["inputs_absent"]] == ["tsh_stim_mu_l"]


def test_each_row_warning_fires_on_its_case(model_and_train):
    model, train = model_and_train
    rows = train[train["course_number"] <= 3].head(4).copy()
    rows["tg_stim_ng_ml"] = rows["tg_stim_ng_ml"].astype(float)
    rows.iloc[0, rows.columns.get_loc("tg_stim_ng_ml")] = 1e6                       # out of range
    rows.iloc[1, rows.columns.get_loc("age_years")] = np.nan                        # never missing in training
    rows["course_number"] = rows["course_number"].astype("Int64")
    rows.iloc[2, rows.columns.get_loc("course_number")] = 5                         # outside population
    text, counts = check_inputs(model, rows)
    assert text[0] == "out of training range: tg_stim_ng_ml"
    assert text[1] == "missing beyond training: age_years"
    assert text[2].startswith("outside training population: course_number")
    assert text[3] == ""
    # braf is missing in ~64 % of training rows: its absence is the training pattern, not a warning
    text, _ = check_inputs(model, rows.assign(braf_v600e=pd.array([pd.NA] * 4, dtype="boolean")))
    assert text[3] == ""


def test_unseen_category(model_and_train):
    model, train = model_and_train
    seen = model.metadata[PROFILE_KEY]["inputs"]["histology"]["categories"]
    table = train.head(3).copy()
    spare = [c for c in table["histology"].cat.categories if c not in seen]
    if not spare:  # every histology occurred in training: make one unseen by removing it from the profile
        model = type(model)(**{**model.__dict__, "metadata": json.loads(json.dumps(model.metadata))})
        prof = model.metadata[PROFILE_KEY]["inputs"]["histology"]
        drop = str(table["histology"].iloc[0])
        keep = [i for i, c in enumerate(prof["categories"]) if c != drop]
        prof["categories"] = [prof["categories"][i] for i in keep]
        prof["freq"] = [prof["freq"][i] for i in keep]
        text, _ = check_inputs(model, table.head(1))
    else:
        table.loc[table.index[0], "histology"] = spare[0]
        text, _ = check_inputs(model, table.head(1))
    assert text[0] == "unseen category: histology"


def test_psi_detects_a_tg_assay_scale_shift(model_and_train):
    model, train = model_and_train
    _, counts = check_inputs(model, train.assign(tg_stim_ng_ml=train["tg_stim_ng_ml"] * 3.0))
    summary = shift_summary(model, counts)
    assert summary["major_shift"] == ["tg_stim_ng_ml"]
    assert summary["inputs"]["tg_stim_ng_ml"]["psi"] > 0.25


def test_small_batches_are_not_a_major_shift_by_chance(model_and_train):
    """20 rows from the training distribution have a PSI near 0.45 by chance: not a major shift;
    a real shift of 20 rows still is."""
    model, _ = model_and_train
    fresh = simulate_cohort(4000, seed=5)
    fresh = fresh[fresh["course_number"] <= 3].reset_index(drop=True)
    flagged, psis = 0, []
    for start in range(0, 2000, 20):
        batch = fresh.iloc[start:start + 20]
        summary = shift_summary(model, check_inputs(model, batch)[1])
        psis += [d["psi"] for d in summary["inputs"].values() if d["psi"] is not None]
        flagged += bool(summary["major_shift"])
    assert np.mean(np.array(psis) > 0.25) > 0.2  # the raw PSI alone would cry wolf
    assert flagged <= 12  # about 7 of 100 expected: 7 inputs, each above its 99th percentile 1 % of the time
    shifted = fresh.iloc[:20].assign(tg_stim_ng_ml=fresh["tg_stim_ng_ml"].iloc[:20] * 30.0)
    summary = shift_summary(model, check_inputs(model, shifted)[1])
    assert "tg_stim_ng_ml" in summary["major_shift"]
    assert summary["inputs"]["tg_stim_ng_ml"]["psi"] > summary["inputs"]["tg_stim_ng_ml"]["psi_chance_99"]


def test_model_without_profile_still_warns_about_absent_inputs(model_and_train):
    model, train = model_and_train
    bare = type(model)(**{**model.__dict__, "metadata": {}})
    text, counts = check_inputs(bare, train.drop(columns=["age_years"]))
    assert (text == "").all()
    summary = shift_summary(bare, counts)
    assert summary["inputs_absent"][0]["input"] == "age_years"
    assert "no training profile" in summary["message"] and "importance not recorded" in summary["message"]


def test_score_file_writes_the_summary_beside_the_output(model_and_train, tmp_path, capsys):
    model, train = model_and_train
    src = write_table(train.drop(columns=["tg_stim_ng_ml"]).head(300), tmp_path / "in.csv")
    lines = []
    s = score_file(model, src, tmp_path / "out.csv", chunk_size=100, report=lines.append)
    doc = json.loads(summary_path(tmp_path / "out.csv").read_text())
    assert s.input_shift_path == summary_path(tmp_path / "out.csv")
    assert doc["n_rows"] == 300 and doc["inputs_absent"][0]["input"] == "tg_stim_ng_ml"
    assert any("tg_stim_ng_ml" in line for line in lines)
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["input_warnings"].str.contains("tg_stim_ng_ml").all()
    with pytest.raises(InputShiftError):
        score_file(model, src, tmp_path / "strict.csv", strict_inputs=True, report=None)
    assert not (tmp_path / "strict.csv").exists()


def test_pyfunc_param_strict_inputs(model_and_train, caplog):
    model, train = model_and_train
    from mlflow.exceptions import MlflowException

    wrapper = RiskModelPyfunc(model)
    request = to_pyfunc_input(train.head(5).drop(columns=["tg_stim_ng_ml"]))
    with caplog.at_level("WARNING", logger="rairpredict.scoring"):
        out = wrapper.predict(request)
    assert "tg_stim_ng_ml" in caplog.text and out["input_warnings"].str.contains("tg_stim_ng_ml").all()
    with pytest.raises(MlflowException, match="tg_stim_ng_ml") as refused:  # HTTP 400 when served
        wrapper.predict(request, params={"strict_inputs": True})
    assert refused.value.get_http_status_code() == 400


def test_entirely_missing_counts_only_beyond_the_training_pattern(model_and_train):
    model, train = model_and_train
    few = train.head(3).assign(braf_v600e=pd.array([pd.NA] * 3, dtype="boolean"))  # untested in ~64 % of training
    _, counts = check_inputs(model, few)
    assert shift_summary(model, counts)["inputs_absent"] == []
    _, counts = check_inputs(model, train.assign(braf_v600e=pd.array([pd.NA] * len(train), dtype="boolean")))
    assert [d["input"] for d in shift_summary(model, counts)["inputs_absent"]] == ["braf_v600e"]


# ----------------------------------------------------------------- the fast per-chunk arithmetic
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

from rairpredict.scoring.shift import _bin_counts, _population_breaks, _row_text  # noqa: E402

_FLOATS = st.one_of(st.floats(-5, 5, width=32), st.sampled_from([np.nan, np.inf, -np.inf]))


@settings(max_examples=200, deadline=None)
@given(v=arrays(np.float64, st.integers(0, 60), elements=_FLOATS),
       edges=st.lists(st.floats(-4, 4, width=32), max_size=12))
def test_bin_counts_equal_a_binary_search_per_row(v, edges):
    edges = np.unique(np.asarray(edges, float))
    expected = np.bincount(np.searchsorted(edges, v, side="right"), minlength=len(edges) + 1).tolist()
    assert _bin_counts(v, edges) == expected


@settings(max_examples=100, deadline=None)
@given(flags=arrays(bool, st.tuples(st.integers(0, 40), st.integers(1, 70))))
def test_row_text_equals_the_flags_of_each_row(flags):
    from rairpredict.scoring.shift import _KINDS

    kinds = list(_KINDS)
    masks = [(kinds[j % 4], f"x{j}", flags[:, j]) for j in range(flags.shape[1])]
    expected = []
    for row in flags:  # the reference: one row at a time, names grouped by kind in mask order
        parts: dict = {}
        for (kind, name, _), on in zip(masks, row):
            if on:
                parts.setdefault(kind, []).append(name)
        expected.append("; ".join(f"{_KINDS[k]}: {', '.join(v)}" for k, v in parts.items()))
    assert _row_text(masks, flags.shape[0]).tolist() == expected


def test_population_value_rules_decided_per_distinct_value_as_per_row():
    from rairpredict.cohort.population import parse_population

    table = pd.DataFrame({"histology": pd.Categorical(["papillary", None, "follicular", "Papillary ", "other"] * 3),
                          "sex": pd.array(["F", "M", None, "f", "M"] * 3, dtype="string")})
    rules = {"histology": {"in": ["papillary", "follicular"]}, "sex": "F"}
    got = _population_breaks(table, rules)
    for rule in parse_population(rules):  # the rule's own per-row answer
        values = table[rule.column]
        np.testing.assert_array_equal(got[rule.column], values.notna().to_numpy(bool) & ~rule.keeps(values))
    assert got["histology"].tolist()[:5] == [False, False, False, False, True]
