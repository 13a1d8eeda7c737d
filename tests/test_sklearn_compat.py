"""scikit-learn's estimator checks on the four estimators (skipped without scikit-learn >= 1.6).

Every check runs and passes; none is skipped or expected to fail. Two
instances are configured (see docs/robustness.md): scikit-learn's checks train
regressors on unscaled data (features around 100), where the default
``lr=0.01`` makes SGD diverge by design (SPEC 5: ``DivergenceError``), so the
regressors are checked with a step size that is stable there and enough epochs
to reach scikit-learn's R^2 > 0.5 on its standardized data.
"""
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn", minversion="1.6")
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from zi_core import MLP, DivergenceError, LinearRegression, LogisticRegression, Perceptron  # noqa: E402

ESTIMATORS = [
    Perceptron(),
    LogisticRegression(),
    MLP(),
    LinearRegression(lr=5e-5, epochs=100),
    MLP(task="regression", loss="squared", lr=1e-4, epochs=100),
]


with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # "does not inherit from BaseEstimator": by design
    _checks = parametrize_with_checks(ESTIMATORS)


@_checks
def test_sklearn_check(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "does not inherit from BaseEstimator"
        check(estimator)


def test_default_linear_regression_diverges_on_unscaled_data_as_specified():
    """Why the regressor is checked with a smaller lr: the default diverges, loudly."""
    X = np.random.RandomState(0).normal(loc=100, size=(100, 2))
    y = X[:, 0]
    with pytest.raises(DivergenceError, match=r"epoch \d+.*smaller learning rate"):
        LinearRegression().fit(X, y)


def test_binary_only_tags_and_clone():
    from sklearn.base import clone
    from sklearn.utils import get_tags

    for est in ESTIMATORS:
        tags = get_tags(est)
        assert tags.input_tags.sparse is False and tags.input_tags.allow_nan is False
        if tags.estimator_type == "classifier":
            assert tags.classifier_tags.multi_class is False
        assert clone(est).get_params() == est.get_params()


def test_not_fitted_error_is_sklearns_when_sklearn_is_loaded():
    from sklearn.exceptions import NotFittedError as SkNotFitted

    import zi_core

    with pytest.raises(SkNotFitted):
        Perceptron().predict(np.zeros((2, 2)))
    with pytest.raises(zi_core.NotFittedError):
        Perceptron().predict(np.zeros((2, 2)))


def test_regressors_have_no_decision_function():
    assert not hasattr(LinearRegression(), "decision_function")
    assert not hasattr(MLP(task="regression"), "decision_function")
    assert hasattr(MLP(), "decision_function") and hasattr(Perceptron(), "decision_function")
