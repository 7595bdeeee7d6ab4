"""MedianImputer and Standardizer: the scikit-learn contract, and the numbers they replace."""
import numpy as np
import pytest
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from rairpredict.features._numeric import MedianImputer, Standardizer


@pytest.mark.parametrize("estimator", [MedianImputer(), Standardizer()], ids=["MedianImputer", "Standardizer"])
def test_sklearn_estimator_checks(estimator):
    results = check_estimator(estimator, on_fail=None, on_skip=None)
    failed = [(r["check_name"], repr(r["exception"])) for r in results if r["status"] == "failed"]
    assert not failed, failed
    assert sum(r["status"] == "passed" for r in results) >= 40   # the checks really ran


def test_same_numbers_as_the_sklearn_transformers_they_replace():
    rng = np.random.default_rng(0)
    X = rng.normal(50, 12, size=(300, 4))
    X[rng.random(X.shape) < 0.2] = np.nan
    X[:, 3] = np.nan  # all missing in training: kept, imputed 0
    ours = MedianImputer().fit(X)
    ref = SimpleImputer(strategy="median", keep_empty_features=True).fit(X)
    np.testing.assert_allclose(ours.statistics_, ref.statistics_)
    np.testing.assert_allclose(ours.transform(X), ref.transform(X))
    filled = ours.transform(X)
    np.testing.assert_allclose(Standardizer().fit(filled).transform(filled),
                               StandardScaler().fit(filled).transform(filled), atol=1e-12)
    constant = Standardizer().fit(np.full((5, 1), 3.0))
    assert constant.scale_.tolist() == [1.0] and constant.transform([[3.0]]).tolist() == [[0.0]]


def test_unfitted_and_wrong_width_refused():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        MedianImputer().transform([[1.0]])
    with pytest.raises(ValueError):
        Standardizer().fit([[1.0, 2.0]]).transform([[1.0]])
