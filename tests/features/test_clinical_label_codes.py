"""The vectorised label lookup of ClinicalFeatures equals the per-cell one."""
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from rairpredict.features._kernels import as_labels as _as_labels, label_codes as _label_codes

LABELS = ["a", "b", "1", "True", "1.0"]
cells = st.lists(st.sampled_from(["a", "b", "c", "1", None, "True", " a"]), max_size=30)


def _per_cell(col: pd.Series, labels) -> tuple[np.ndarray, np.ndarray]:
    text = _as_labels(col)
    position = {lab: i for i, lab in enumerate(labels)}
    return np.array([position.get(v, -1) if v is not None else -1 for v in text], dtype=np.intp), \
        text.isna().to_numpy()


@settings(max_examples=60, deadline=None)
@given(values=cells, kind=st.sampled_from(["category", "string", "object"]))
def test_label_codes_match_per_cell(values, kind):
    col = pd.Series(values, dtype=kind)
    which, missing = _label_codes(col, LABELS)
    ref_which, ref_missing = _per_cell(col, LABELS)
    assert which.tolist() == ref_which.tolist()
    assert missing.tolist() == ref_missing.tolist()


def test_mixed_objects_keep_their_text():
    # factorising would merge True, 1 and 1.0; their labels differ ("True", "1", "1.0")
    col = pd.Series([True, 1, 1.0, None, "a"], dtype=object)
    which, missing = _label_codes(col, LABELS)
    assert which.tolist() == [3, 2, 4, -1, 0]
    assert missing.tolist() == [False, False, False, True, False]


def test_categorical_with_unused_and_unknown_categories():
    col = pd.Series(pd.Categorical(["b", None, "z"], categories=["z", "b", "q"]))
    which, missing = _label_codes(col, LABELS)
    assert which.tolist() == [1, -1, -1]
    assert missing.tolist() == [False, True, False]
