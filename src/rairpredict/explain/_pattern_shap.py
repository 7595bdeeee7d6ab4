"""Exact XGBoost TreeSHAP at scoring speed, by per-tree split-pattern lookup.

Path-dependent TreeSHAP reads a row's feature values only through the
decisions the row takes at the tree's internal nodes (``x < split_condition``
goes to ``yes``, NaN follows ``missing``): it is a function of the row's
*split pattern*, one bit per internal node of the tree. A depth-4 tree has 15
internal nodes, hence at most 2**15 patterns, and real data reach far fewer.
So, tree by tree, rows are coded by their pattern with a few vectorised
float32 comparisons, and each pattern not seen before is explained once, by
XGBoost itself (``pred_contribs`` on a one-tree slice of the model, for one
representative row per new pattern). Every other row gets its tree's
contribution by table lookup.

Exactness: XGBoost adds the trees' float32 contributions in tree order, in
float32, then the bias. With ``dtype=np.float32`` (the default) the same
float32 values are added in the same order, so the result is *bit-identical*
to ``booster.predict(DMatrix(X), pred_contribs=True)``. ``dtype=np.float64``
adds the same per-tree values in float64 instead (closer to the exact sum,
differing from XGBoost's float32 sum by its rounding, about
``n_trees * eps32 * |contribution|``). Tables are cached across calls, and can
be handed to another process: :meth:`PatternTreeShap.tables_state` takes a
compact snapshot (per tree, the patterns seen and their contributions),
:meth:`PatternTreeShap.adopt_tables` installs it in an explainer of the same
model, which then calls XGBoost only for patterns the snapshot lacks.

Only numeric splits of single-output ``gbtree`` models are handled (the
project's features are numeric); a categorical split, ``dart``,
``num_parallel_tree > 1`` or a multi-class model raises ``ValueError``.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import numpy as np

from ._contrib import _aligned, _booster, _iteration_range

__all__ = ["PatternTreeShap", "pattern_contributions"]

# Trees with at most this many internal nodes index patterns by a dense array.
_DENSE_BITS = 16
# JSON floats are parsed as text tagged with this prefix, so that they stay
# exact and can be written back unquoted (XGBoost's own strings stay strings).
_FLOAT_TAG = "\x00f"
_TAGGED_FLOAT = re.compile(r'"\\u0000f([^"]*)"')


def _to_float32(text: str) -> np.float32:
    """Correctly rounded float32 of a decimal string (no double-rounding slip)."""
    d = float(text)
    f = np.float32(d)
    if float(f) != d and np.isfinite(f):
        # d may lie exactly half-way between two float32: decide on the decimal.
        g = np.nextafter(f, np.float32(np.inf if d > float(f) else -np.inf))
        mid = (Fraction(float(f)) + Fraction(float(g))) / 2
        if Fraction(d) == mid:
            exact = Fraction(text)
            if exact != mid:
                f = f if abs(exact - Fraction(float(f))) < abs(exact - Fraction(float(g))) else g
    return np.float32(f)


def _parse_base_score(text: str) -> float:
    # XGBoost 3 writes a vector, e.g. "[5E-1]"; older versions a scalar "0.5".
    values = [float(v) for v in text.strip("[]").split(",") if v.strip()]
    if len(values) != 1:
        raise ValueError(f"base_score {text!r} is not one value: multi-output is not supported")
    return values[0]


class _TreeTable:
    """Cache of one tree's contributions, one row per split pattern seen."""

    def __init__(self, n_bits: int, n_feats: int):
        self.dense = n_bits <= _DENSE_BITS
        self.slot = np.full(1 << n_bits, -1, dtype=np.int32) if self.dense else None
        self.known: dict[int, int] = {}
        self.values = np.empty((n_feats, 0), dtype=np.float32)  # (features used, patterns)

    def add(self, phi: np.ndarray) -> np.ndarray:
        """Append contributions (features used, k); return their k new slots.

        Values are published before the caller writes slots, so a concurrent
        reader never meets a slot past the end of the table it holds.
        """
        start = self.values.shape[1]
        self.values = np.concatenate([self.values, phi], axis=1)
        return np.arange(start, start + phi.shape[1], dtype=np.int32)

    def patterns(self) -> tuple:
        """(codes, slots) of the patterns seen: int codes for a dense table, else keys."""
        if self.dense:
            codes = np.flatnonzero(self.slot >= 0)
            return codes.astype(np.uint16 if len(self.slot) <= 1 << 16 else np.uint32), self.slot[codes]
        return list(self.known), np.fromiter(self.known.values(), np.int32, len(self.known))

    def merge(self, codes, slots: np.ndarray, values: np.ndarray) -> int:
        """Add the patterns of ``codes`` this table lacks, with their columns of ``values``; return how many."""
        if self.dense:
            codes = np.asarray(codes, dtype=np.int64)
            new = self.slot[codes] < 0
            if new.any():
                self.slot[codes[new]] = self.add(values[:, slots[new]])
            return int(new.sum())
        new = [i for i, key in enumerate(codes) if key not in self.known]
        if new:
            added = self.add(values[:, slots[new]])
            self.known.update((codes[i], int(slot)) for i, slot in zip(new, added))
        return len(new)


class PatternTreeShap:
    """Exact TreeSHAP contributions of an XGBoost model by split-pattern lookup.

    Same numbers as XGBoost's ``pred_contribs`` (bit-identical in float32),
    many times faster on large batches: each tree is evaluated by XGBoost
    once per distinct split pattern, not once per row.

    Parameters
    ----------
    model : xgboost.Booster or xgboost.XGBClassifier
        Fitted binary (single-output) ``gbtree`` model with numeric splits.
        Early stopping's ``best_iteration`` is honoured, as in ``predict``.

    Attributes
    ----------
    booster_ : xgboost.Booster
    n_features_in_ : int
    feature_names_in_ : list of str or None
    n_trees_ : int
        Trees used (``best_iteration + 1`` after early stopping).
    base_score_ : float
    bias_ : numpy.float32
        The bias column, as XGBoost reports it (base score + trees' expected values).
    node_features_, node_thresholds_, node_default_left_ : list of ndarray
        Per tree, its internal nodes' split feature, float32 threshold and
        default (missing) direction.
    tree_features_ : list of ndarray
        Per tree, the sorted features it splits on.
    fingerprint_ : str
        SHA-256 of the model's JSON and ``n_trees_``: which model a
        :meth:`tables_state` snapshot belongs to.

    Examples
    --------
    >>> import numpy as np, xgboost as xgb
    >>> X = np.random.default_rng(0).normal(size=(500, 3))
    >>> m = xgb.XGBClassifier(n_estimators=20, max_depth=3).fit(X, X[:, 0] + X[:, 1] > 0)
    >>> phi = PatternTreeShap(m).contributions(X)
    >>> ref = m.get_booster().predict(xgb.DMatrix(X), pred_contribs=True)
    >>> bool(np.array_equal(phi, ref))
    True
    """

    def __init__(self, model):
        self.model = model
        self._parse()

    # -- parsing ---------------------------------------------------------------
    def _parse(self) -> None:
        import xgboost as xgb

        booster = _booster(self.model)
        text = booster.save_raw(raw_format="json")
        raw = json.loads(text, parse_float=_FLOAT_TAG.__add__)
        learner = raw["learner"]
        gb = learner["gradient_booster"]
        if gb.get("name") != "gbtree":
            raise ValueError(f"only gbtree boosters are supported, got {gb.get('name')!r}")
        mparam = learner["learner_model_param"]
        if int(mparam.get("num_class", "0")) > 1 or int(mparam.get("num_target", "1")) != 1:
            raise ValueError("only single-output (binary or regression) models are supported")
        if int(gb["model"]["gbtree_model_param"]["num_parallel_tree"]) != 1:
            raise ValueError("num_parallel_tree > 1 is not supported")
        stop = _iteration_range(booster)[1] or booster.num_boosted_rounds()
        trees = gb["model"]["trees"][:stop]
        self._raw = raw

        self.booster_ = booster
        self.n_features_in_ = int(mparam["num_feature"])
        self.feature_names_in_ = booster.feature_names
        self.n_trees_ = len(trees)
        self.base_score_ = _parse_base_score(mparam["base_score"])
        # The whole model text and the trees used: tables are only valid for the very same trees.
        self.fingerprint_ = hashlib.sha256(bytes(text) + b"|%d" % self.n_trees_).hexdigest()
        self.node_features_, self.node_thresholds_, self.node_default_left_ = [], [], []
        self.tree_features_ = []
        for t, tree in enumerate(trees):
            left = np.asarray(tree["left_children"], dtype=np.int64)
            internal = np.flatnonzero(left != -1)
            if any(int(tree["split_type"][i]) != 0 for i in internal):
                raise ValueError(
                    f"tree {t} has a categorical split: only numeric splits are supported"
                )
            feats = np.asarray(tree["split_indices"], dtype=np.int64)[internal]
            self.node_features_.append(feats)
            self.node_thresholds_.append(
                np.array(
                    [_to_float32(tree["split_conditions"][i][2:]) for i in internal], np.float32
                )
            )
            self.node_default_left_.append(np.asarray(tree["default_left"], bool)[internal])
            self.tree_features_.append(np.unique(feats))
        nan_row = xgb.DMatrix(np.full((1, self.n_features_in_), np.nan, np.float32))
        self.bias_ = booster.predict(
            nan_row, pred_contribs=True, iteration_range=(0, self.n_trees_), validate_features=False
        )[0, -1]
        self._tables = [
            _TreeTable(len(f), len(u)) for f, u in zip(self.node_features_, self.tree_features_)
        ]
        self._slices: dict[int, object] = {}
        self._lock = threading.Lock()

    # -- per-tree work ---------------------------------------------------------
    def _codes(self, t: int, Xt: np.ndarray) -> np.ndarray:
        """Pattern code per row; bit k = the row's decision at internal node k.

        Default-left nodes test ``x >= thr`` and default-right ones ``x < thr``:
        a comparison with NaN is False, so NaN gets bit 0, which is its
        default child in both cases. Either way the bit is a bijection of
        the decision, all a pattern needs.
        """
        feats, thr = self.node_features_[t], self.node_thresholds_[t]
        dleft = self.node_default_left_[t]
        r = Xt.shape[1]
        dense = len(feats) <= _DENSE_BITS
        code = np.zeros(r, np.uint32 if dense else np.uint64)
        words = [code]
        bit = np.empty(r, bool)
        term = np.empty(r, code.dtype)
        for k in range(len(feats)):
            if k and k % 64 == 0:  # more than 64 internal nodes: another word
                words.append(np.zeros(r, np.uint64))
            (np.greater_equal if dleft[k] else np.less)(Xt[feats[k]], thr[k], out=bit)
            np.multiply(bit.view(np.uint8), code.dtype.type(1 << (k % 64)), out=term)
            np.add(words[-1], term, out=words[-1])
        if len(words) == 1:
            return code
        return np.ascontiguousarray(np.stack(words, axis=1)).view(f"V{8 * len(words)}").ravel()

    def _slice(self, t: int):
        """A one-tree Booster of tree ``t``, built from the model's own JSON.

        Five times cheaper than ``booster[t:t+1]``; the thresholds are written
        back as XGBoost's own text, so the tree is the same to the last bit.
        """
        import xgboost as xgb

        if t not in self._slices:
            learner = self._raw["learner"]
            gb = learner["gradient_booster"]
            model = {
                **gb["model"],
                "trees": [{**gb["model"]["trees"][t], "id": 0}],
                "tree_info": [0],
                "iteration_indptr": [0, 1],
                "gbtree_model_param": {**gb["model"]["gbtree_model_param"], "num_trees": "1"},
            }
            one = {**self._raw, "learner": {**learner, "gradient_booster": {**gb, "model": model}}}
            text = _TAGGED_FLOAT.sub(r"\1", json.dumps(one))
            self._slices[t] = xgb.Booster(model_file=bytearray(text.encode()))
        return self._slices[t]

    def _explain_new(self, t: int, reps: np.ndarray) -> np.ndarray:
        """XGBoost's own contributions of tree ``t`` for rows ``reps`` (k, p)."""
        import xgboost as xgb

        sliced = self._slice(t)
        sliced.set_param({"nthread": 1})  # callers run trees or row blocks in parallel
        dm = xgb.DMatrix(reps, missing=np.nan, nthread=1)
        phi = sliced.predict(dm, pred_contribs=True, validate_features=False)
        return np.ascontiguousarray(phi[:, self.tree_features_[t]].T)

    def _lookup(self, t: int, code: np.ndarray, Xpart: np.ndarray):
        """Table slot per row and the table, explaining unseen patterns first."""
        tab = self._tables[t]
        if tab.dense:
            slots = tab.slot.take(code)
            if slots.size and slots.min() < 0:
                with self._lock:
                    slots = tab.slot.take(code)
                    todo = np.flatnonzero(slots < 0)
                    if todo.size:
                        new, first = np.unique(code[todo], return_index=True)
                        tab.slot[new] = tab.add(self._explain_new(t, Xpart[todo[first]]))
                        slots = tab.slot.take(code)
            return slots, tab.values
        uniq, first, inverse = np.unique(code, return_index=True, return_inverse=True)
        keys = [u.tobytes() if isinstance(u, np.void) else int(u) for u in uniq]
        with self._lock:
            todo = [i for i, key in enumerate(keys) if key not in tab.known]
            if todo:
                slots = tab.add(self._explain_new(t, Xpart[first[todo]]))
                tab.known.update((keys[i], int(slot)) for i, slot in zip(todo, slots))
            uslots = np.array([tab.known[key] for key in keys], dtype=np.int32)
            values = tab.values
        return uslots[inverse.ravel()], values

    def _part(self, Xpart: np.ndarray, dtype) -> np.ndarray:
        """Feature contributions (p, r) of a block of rows, trees added in order."""
        Xt = np.ascontiguousarray(Xpart.T)
        acc = np.zeros((self.n_features_in_, Xpart.shape[0]), dtype)
        tmp = np.empty(Xpart.shape[0], np.float32)
        for t in range(self.n_trees_):
            if not len(self.node_features_[t]):
                continue  # a single-leaf tree only moves the bias
            slots, values = self._lookup(t, self._codes(t, Xt), Xpart)
            for j, f in enumerate(self.tree_features_[t]):
                np.take(values[j], slots, out=tmp)
                np.add(acc[f], tmp, out=acc[f])
        return acc

    # -- public ----------------------------------------------------------------
    def contributions(self, X, nthread: int = 2, chunk_size: int = 65_536, dtype=np.float32):
        """Exact TreeSHAP contributions, layout of XGBoost's ``pred_contribs``.

        Parameters
        ----------
        X : ndarray of shape (n, p) or DataFrame
            Features in the model's column order (a DataFrame is aligned by
            the model's feature names); NaN means missing.
        nthread : int, default 2
            Threads; rows are split between them, so every row still adds
            its trees in order and the result does not depend on ``nthread``.
        chunk_size : int, default 65536
            Rows per block (bounds memory; does not change the result).
        dtype : {numpy.float32, numpy.float64}
            Accumulation type; float32 reproduces XGBoost bit for bit.

        Returns
        -------
        ndarray of shape (n, p + 1)
            Contributions in log-odds; the last column is the bias.
        """
        if hasattr(X, "columns"):
            X = _aligned(self.booster_, X).to_numpy()
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has shape {X.shape}; the model expects {self.n_features_in_} feature columns"
            )
        dtype = np.dtype(dtype)
        n, p = X.shape
        out = np.empty((n, p + 1), dtype)
        out[:, p] = self.bias_
        nthread = max(1, int(nthread))
        step = max(1, int(chunk_size))
        blocks = [(i, min(i + step, n)) for i in range(0, n, step)]
        # Split each block in nthread parts so both threads share every block.
        parts = []
        for a, b in blocks:
            cuts = np.linspace(a, b, nthread + 1).astype(int)
            parts += [(c, d) for c, d in zip(cuts[:-1], cuts[1:]) if d > c]

        def run(bounds):
            a, b = bounds
            out[a:b, :p] = self._part(X[a:b], dtype).T

        with ThreadPoolExecutor(nthread) as pool:
            self._discover(X, parts, pool)
            list(pool.map(run, parts))
        return out

    def _discover(self, X: np.ndarray, parts, pool) -> None:
        """Explain every pattern of ``X`` not yet in the cache, one XGBoost call per tree.

        A first pass codes all rows and keeps one representative row per
        pattern, so no tree is sent to XGBoost more than once per call
        (trees with more than ``_DENSE_BITS`` internal nodes are filled lazily).
        """
        dense = [
            t for t, tab in enumerate(self._tables) if tab.dense and len(self.node_features_[t])
        ]
        reps = {t: np.full(len(self._tables[t].slot), -1, dtype=np.int64) for t in dense}

        def mark(bounds):
            a, b = bounds
            Xt = np.ascontiguousarray(X[a:b].T)
            rows = np.arange(a, b)
            for t in dense:
                # Rows sharing a pattern race for its entry; any of them will do.
                reps[t][self._codes(t, Xt)] = rows

        def fill(t):
            tab = self._tables[t]
            new = np.flatnonzero((reps[t] >= 0) & (tab.slot < 0))
            if new.size:
                phi = self._explain_new(t, X[reps[t][new]])  # XGBoost outside the lock: trees in parallel
                with self._lock:  # published whole: a snapshot or another caller never sees half of it
                    tab.merge(new, np.arange(len(new)), phi)

        list(pool.map(mark, parts))
        list(pool.map(fill, dense))

    # -- sharing the tables ----------------------------------------------------
    def tables_state(self) -> dict:
        """A compact, picklable snapshot of the pattern tables, for :meth:`adopt_tables`.

        Per tree: the codes of the patterns seen, their slots and the
        contributions matrix (features used, slots); not the dense slot
        arrays (``2**n_internal`` entries). Taken under the explainer's lock,
        so a concurrent :meth:`contributions` never leaves it half-filled.

        Returns
        -------
        dict
            ``fingerprint``, ``n_trees``, ``n_features`` and ``tables``
            (per tree a tuple ``(codes, slots, values)``).

        Examples
        --------
        >>> import numpy as np, xgboost as xgb
        >>> X = np.random.default_rng(0).normal(size=(400, 3))
        >>> m = xgb.XGBClassifier(n_estimators=5, max_depth=2).fit(X, X[:, 0] > 0)
        >>> warm = PatternTreeShap(m)
        >>> phi = warm.contributions(X)
        >>> cold = PatternTreeShap(m)
        >>> cold.adopt_tables(warm.tables_state()) > 0
        True
        >>> bool(np.array_equal(cold.contributions(X), phi))
        True
        """
        with self._lock:
            tables = []
            for tab in self._tables:
                codes, slots = tab.patterns()
                tables.append((codes, slots, tab.values))  # values are replaced, never written in place
        return {"fingerprint": self.fingerprint_, "n_trees": self.n_trees_,
                "n_features": self.n_features_in_, "tables": tables}

    def adopt_tables(self, state: dict) -> int:
        """Add the patterns of a :meth:`tables_state` snapshot that this explainer has not seen.

        The contributions are then those the snapshot's explainer computed
        with XGBoost for the same trees, so results stay bit-identical; only
        patterns in neither table are sent to XGBoost later.

        Parameters
        ----------
        state : dict
            A snapshot of an explainer of the same model.

        Returns
        -------
        int
            Patterns added (all trees).

        Raises
        ------
        ValueError
            The snapshot belongs to another model (other trees, tree count
            or feature count).
        """
        theirs = (state.get("n_trees"), state.get("n_features"), state.get("fingerprint"))
        if theirs != (self.n_trees_, self.n_features_in_, self.fingerprint_):
            raise ValueError(
                f"pattern tables of another model ({theirs[0]} trees, {theirs[1]} features, "
                f"fingerprint {str(theirs[2])[:12]}) cannot serve this one ({self.n_trees_} trees, "
                f"{self.n_features_in_} features, fingerprint {self.fingerprint_[:12]})"
            )
        added = 0
        with self._lock:
            for tab, (codes, slots, values) in zip(self._tables, state["tables"]):
                added += tab.merge(codes, np.asarray(slots, np.int32), np.asarray(values, np.float32))
        return added

    def table_sizes(self) -> list[int]:
        """Patterns known per tree (how much of the tables is filled)."""
        return [tab.values.shape[1] for tab in self._tables]

    def margin(self, X, nthread: int = 2, chunk_size: int = 65_536) -> np.ndarray:
        """Row sums of the contributions (float64): the model margin (log-odds)."""
        return self.contributions(X, nthread, chunk_size).sum(axis=1, dtype=np.float64)


def pattern_contributions(model, X, nthread: int = 2, dtype=np.float32) -> np.ndarray:
    """Exact TreeSHAP contributions of ``model`` on ``X`` (see :class:`PatternTreeShap`).

    Examples
    --------
    >>> import numpy as np, xgboost as xgb
    >>> X = np.random.default_rng(1).normal(size=(300, 4))
    >>> m = xgb.XGBClassifier(n_estimators=10, max_depth=2).fit(X, X[:, 2] > 0)
    >>> pattern_contributions(m, X).shape
    (300, 5)
    """
    return PatternTreeShap(model).contributions(X, nthread=nthread, dtype=dtype)
