"""PatternTreeShap must give XGBoost's own pred_contribs, bit for bit."""
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from rairpredict.explain import PatternTreeShap, pattern_contributions
from rairpredict.explain._pattern_shap import _parse_base_score, _to_float32

P = 8
UNUSED = (6, 7)  # all-NaN and constant: no tree can split on them


def _data(n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, P))
    X[:, 1] = np.round(X[:, 1] * 2)  # ties: many rows sit exactly on bin edges
    X[rng.random(X.shape) < 0.1] = np.nan
    X[:, 6] = np.nan
    X[:, 7] = 3.0
    Z = np.nan_to_num(X)
    logit = Z[:, 0] + Z[:, 1] * Z[:, 2] - np.abs(Z[:, 3])
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    return X, y


def _with_thresholds(booster, X):
    """Append rows set exactly on split thresholds (400 spread over all trees) and next to them."""
    df = booster.trees_to_dataframe()
    splits = df[df.Feature != "Leaf"]
    splits = splits.iloc[np.linspace(0, len(splits) - 1, min(len(splits), 400)).astype(int)]
    rows = []
    for i, (feat, thr) in enumerate(splits[["Feature", "Split"]].itertuples(index=False)):
        row, j = X[i % len(X)], int(feat[1:])
        t32 = np.float32(thr)
        below, above = (np.nextafter(t32, np.float32(s)) for s in (-np.inf, np.inf))
        for v in (t32, below, above):
            r = row.copy()
            r[j] = v
            rows.append(r)
        r = row.copy()
        r[j] = float(t32) + 1e-12  # float64 above the threshold that rounds back onto it
        rows.append(r)
    return np.vstack([X, *rows])


def _fit(X, y, depth, n_trees, **kw):
    return xgb.XGBClassifier(
        n_estimators=n_trees, max_depth=depth, tree_method="hist", learning_rate=0.3, n_jobs=1,
        **kw,
    ).fit(X, y)


@pytest.mark.parametrize(("depth", "n_trees"), [(2, 10), (3, 150), (4, 300), (6, 40)])
def test_bit_identical_to_xgboost(depth, n_trees):
    X, y = _data(1500)
    model = _fit(X, y, depth, n_trees)
    booster = model.get_booster()
    Xe = _with_thresholds(booster, X)
    ref = booster.predict(xgb.DMatrix(Xe), pred_contribs=True)
    explainer = PatternTreeShap(model)
    phi = explainer.contributions(Xe)
    assert phi.dtype == np.float32 and phi.shape == (len(Xe), P + 1)
    assert float(np.abs(phi - ref).max()) == 0.0
    assert np.array_equal(phi, ref)
    # Features no tree uses get exactly zero.
    assert not np.isin(UNUSED, np.concatenate(explainer.tree_features_)).any()
    assert np.all(phi[:, list(UNUSED)] == 0)
    # Float64 accumulation of the same per-tree values: within XGBoost's float32 rounding.
    phi64 = explainer.contributions(Xe, dtype=np.float64)
    tol = 4 * np.finfo(np.float32).eps * n_trees * max(1.0, float(np.abs(ref).max()))
    assert np.abs(phi64 - ref).max() <= tol
    margin = booster.predict(xgb.DMatrix(Xe), output_margin=True)
    assert np.abs(explainer.margin(Xe) - margin).max() <= tol
    assert np.array_equal(explainer.margin(Xe), ref.sum(axis=1, dtype=np.float64))


def test_chunks_threads_and_cache_do_not_change_the_result():
    X, y = _data(3000, seed=1)
    model = _fit(X, y, 4, 60)
    ref = PatternTreeShap(model).contributions(X, nthread=1, chunk_size=len(X))
    for nthread, chunk in [(2, len(X)), (1, 257), (2, 100), (3, 999)]:
        fresh = PatternTreeShap(model)
        assert np.array_equal(fresh.contributions(X, nthread=nthread, chunk_size=chunk), ref)
    warm = PatternTreeShap(model)
    warm.contributions(X[:500])
    assert np.array_equal(warm.contributions(X), ref)  # cached patterns reused, new ones added
    assert np.array_equal(pattern_contributions(model, X), ref)


def test_early_stopping_uses_best_iteration():
    X, y = _data(2000, seed=2)
    model = xgb.XGBClassifier(
        n_estimators=200, max_depth=3, learning_rate=0.5, early_stopping_rounds=3, n_jobs=1
    ).fit(X[:1000], y[:1000], eval_set=[(X[1000:], y[1000:])], verbose=False)
    booster = model.get_booster()
    best = model.best_iteration
    assert best + 1 < booster.num_boosted_rounds()
    explainer = PatternTreeShap(model)
    assert explainer.n_trees_ == best + 1
    ref = booster.predict(xgb.DMatrix(X), pred_contribs=True, iteration_range=(0, best + 1))
    assert np.array_equal(explainer.contributions(X), ref)


def test_dataframe_is_aligned_by_name_and_bad_shape_raises():
    X, y = _data(800, seed=3)
    cols = [f"x{i}" for i in range(P)]
    frame = pd.DataFrame(X, columns=cols)
    model = _fit(frame, y, 3, 20)
    explainer = PatternTreeShap(model.get_booster())
    assert explainer.feature_names_in_ == cols
    ref = model.get_booster().predict(xgb.DMatrix(frame), pred_contribs=True)
    assert np.array_equal(explainer.contributions(frame[cols[::-1]]), ref)
    with pytest.raises(ValueError, match="expects 8 feature columns"):
        explainer.contributions(X[:, :5])


def test_base_score_and_bias():
    assert _parse_base_score("[5E-1]") == 0.5
    assert _parse_base_score("0.25") == 0.25
    with pytest.raises(ValueError, match="not one value"):
        _parse_base_score("[1E-1,2E-1]")
    X, y = _data(600, seed=4)
    model = _fit(X, y, 2, 5, base_score=0.3)
    explainer = PatternTreeShap(model)
    assert explainer.base_score_ == pytest.approx(0.3)
    phi = explainer.contributions(X)
    assert np.all(phi[:, -1] == explainer.bias_)


def test_categorical_split_is_refused():
    rng = np.random.default_rng(5)
    cats = pd.Categorical(rng.choice(list("abcd"), 400))
    frame = pd.DataFrame({"c": cats, "x": rng.normal(size=400)})
    y = frame.c.isin(["a", "c"]).to_numpy()
    model = xgb.XGBClassifier(n_estimators=3, max_depth=2, enable_categorical=True, n_jobs=1)
    model.fit(frame, y)
    with pytest.raises(ValueError, match="categorical split"):
        PatternTreeShap(model)


def test_threshold_parsing_rounds_decimal_correctly_to_float32():
    one = np.float32(1.0)
    up = np.nextafter(one, np.float32(2.0))
    mid = (Fraction(1) + Fraction(float(up))) / 2
    # Just above the float32 midpoint: float64 parsing lands exactly on it and
    # a plain cast would round to even (1.0); the correct float32 is `up`.
    text = f"{float(mid):.25f}1"
    assert Fraction(text) > mid and float(text) == float(mid)
    assert np.float32(float(text)) == one
    assert _to_float32(text) == up
    assert _to_float32("0.17792602") == np.float32(0.17792602)


def test_deep_trees_with_more_than_64_internal_nodes():
    X, y = _data(3000, seed=6)
    model = _fit(X, y, 9, 4, min_child_weight=0.1)
    explainer = PatternTreeShap(model)
    assert max(len(f) for f in explainer.node_features_) > 64  # multi-word pattern codes
    ref = model.get_booster().predict(xgb.DMatrix(X), pred_contribs=True)
    assert np.array_equal(explainer.contributions(X, chunk_size=1000), ref)


def _counting(explainer):
    """Count the explainer's XGBoost calls (one per tree with new patterns per call of contributions)."""
    calls = []
    explain_new = explainer._explain_new

    def counted(t, reps):
        calls.append(len(reps))
        return explain_new(t, reps)

    explainer._explain_new = counted
    return calls


@pytest.mark.parametrize(("depth", "n_trees", "kw"), [(4, 60, {}), (9, 4, {"min_child_weight": 0.1})])
def test_adopted_tables_give_the_same_bits_without_xgboost_for_seen_rows(depth, n_trees, kw):
    import pickle

    X, y = _data(3000, seed=7)
    model = _fit(X, y, depth, n_trees, **kw)
    booster = model.get_booster()
    seen, unseen = X[:2000], X[2000:]
    warm = PatternTreeShap(model)
    phi_seen = warm.contributions(seen)
    state = pickle.loads(pickle.dumps(warm.tables_state()))  # as a worker gets it
    known = sum(warm.table_sizes())
    # compact: per tree the patterns seen, not the 2**n dense slot arrays
    assert sum(len(codes) for codes, _, _ in state["tables"]) == known > 0
    if depth == 9:
        assert not any(tab.dense for tab in warm._tables)  # the dictionary-keyed tables travel too

    cold = PatternTreeShap(model)
    calls = _counting(cold)
    assert cold.adopt_tables(state) == known and cold.table_sizes() == warm.table_sizes()
    assert np.array_equal(cold.contributions(seen), phi_seen)
    assert calls == []  # every pattern of these rows came with the tables
    assert cold.adopt_tables(state) == 0  # adopting again adds nothing
    phi = cold.contributions(X)  # new rows: only their new patterns go to XGBoost
    assert calls and sum(calls) == sum(cold.table_sizes()) - known
    assert np.array_equal(phi, booster.predict(xgb.DMatrix(X), pred_contribs=True))
    assert np.array_equal(phi[2000:], PatternTreeShap(model).contributions(unseen))


def test_tables_of_another_model_are_refused():
    X, y = _data(1000, seed=8)
    mine, other = _fit(X, y, 3, 20), _fit(X, ~y, 3, 20)  # same shape, other trees
    theirs = PatternTreeShap(other)
    theirs.contributions(X)
    explainer = PatternTreeShap(mine)
    with pytest.raises(ValueError, match="pattern tables of another model"):
        explainer.adopt_tables(theirs.tables_state())
    fewer = PatternTreeShap(_fit(X, y, 3, 19))
    fewer.contributions(X)
    with pytest.raises(ValueError, match="19 trees, 8 features"):
        explainer.adopt_tables(fewer.tables_state())
    narrower = PatternTreeShap(_fit(X[:, :5], y, 3, 20))
    narrower.contributions(X[:, :5])
    with pytest.raises(ValueError, match="20 trees, 5 features"):
        explainer.adopt_tables(narrower.tables_state())
    assert sum(explainer.table_sizes()) == 0  # nothing of a refused snapshot is kept
    same = PatternTreeShap(mine)
    same.contributions(X[:100])
    assert explainer.adopt_tables(same.tables_state()) == sum(same.table_sizes())


def test_snapshots_taken_while_tables_fill_are_whole():
    import threading
    import time

    X, y = _data(4000, seed=9)
    model = _fit(X, y, 4, 40)
    explainer = PatternTreeShap(model)
    blocks = np.array_split(X, 20)
    snapshots = []
    filler = threading.Thread(target=lambda: [explainer.contributions(b) for b in blocks])
    filler.start()
    while filler.is_alive():
        snapshots.append(explainer.tables_state())
        time.sleep(0.002)
    filler.join()
    snapshots.append(explainer.tables_state())
    for state in snapshots:
        for codes, slots, values in state["tables"]:
            # every pattern points at a published column, and every column has its pattern
            assert len(codes) == len(slots) == values.shape[1]
            assert np.array_equal(np.sort(slots), np.arange(values.shape[1]))
    adopter = PatternTreeShap(model)
    adopter.adopt_tables(snapshots[len(snapshots) // 2])
    assert np.array_equal(adopter.contributions(X), explainer.contributions(X))
