"""Estimator conventions: parameters, fitted attributes, labels, warm starts, divergence."""
import numpy as np
import pytest

import zi_core
from zi_core import MLP, DivergenceError, LinearRegression, LogisticRegression, NotFittedError, Perceptron, datasets

ALL = [Perceptron, LinearRegression, LogisticRegression, MLP]


@pytest.mark.parametrize("cls", ALL)
def test_get_set_params_roundtrip_and_fit_returns_self(cls):
    est = cls()
    params = est.get_params()
    assert "lr" in params and "init" in params and "backend" in params
    clone = cls(**params)
    assert clone.get_params() == params
    assert est.set_params(lr=0.5) is est and est.lr == 0.5
    with pytest.raises(ValueError, match="invalid parameter 'nope'"):
        est.set_params(nope=1)
    X, y = (datasets.linear if cls is LinearRegression else datasets.separable)(n_samples=40, n_features=3)
    assert est.set_params(lr=0.01, epochs=2).fit(X, y) is est
    assert est.n_features_in_ == 3 and est.history_["loss"].shape == (2,)


@pytest.mark.parametrize("cls", ALL)
def test_not_fitted_error(cls):
    with pytest.raises(NotFittedError, match="not fitted"):
        cls().predict(np.zeros((2, 3)))


@pytest.mark.parametrize("cls", [Perceptron, LogisticRegression, MLP])
def test_user_labels_round_trip(cls):
    X, y = datasets.separable(n_samples=120, n_features=3, data_seed=1)
    labels = np.where(y > 0, "spam", "ham")  # "ham" < "spam": ham -> -1
    m = cls(epochs=20).fit(X, labels)
    assert list(m.classes_) == ["ham", "spam"]
    pred = m.predict(X)
    assert set(pred) <= {"ham", "spam"}
    assert m.score(X, labels) > 0.9
    z = m.decision_function(X)
    np.testing.assert_array_equal(pred == "spam", z >= 0)


def test_linear_regression_reaches_least_squares():
    X, y = datasets.linear(n_samples=300, n_features=4, noise=0.1, data_seed=0)
    m = LinearRegression(lr=0.01, epochs=60).fit(X, y)
    A = np.hstack([X, np.ones((len(X), 1))])
    sol = np.linalg.lstsq(A, y, rcond=None)[0]
    # per-sample SGD with a constant step hovers near the optimum
    assert np.abs(m.coef_ - sol[:4]).max() < 0.05 and abs(m.intercept_ - sol[4]) < 0.05
    assert m.score(X, y) > 0.95


def test_warm_start_array_is_copied_never_written():
    X, y = datasets.teacher_mlp(n_samples=50, sizes=(4, 3, 1), data_seed=0)
    W1, W2 = np.full((3, 4), 0.1), np.full((1, 3), -0.2)
    keep = W1.copy(), W2.copy()
    m = MLP(hidden=(3,), init=[W1, W2], epochs=2).fit(X, y)
    np.testing.assert_array_equal(W1, keep[0])
    np.testing.assert_array_equal(W2, keep[1])
    np.testing.assert_array_equal(m.initial_weights_[0], W1)
    w = np.array([0.5, -0.5, 0.25, 1.0])
    p = Perceptron(init=w, epochs=1).fit(X, y)
    np.testing.assert_array_equal(p.initial_coef_, w)
    assert not np.shares_memory(p.coef_, w)


def test_divergence_is_recorded_and_raised_with_epoch():
    X, y = datasets.linear(n_samples=50, n_features=3, data_seed=0)
    X = X * 100
    m = LinearRegression(lr=1.0, epochs=10)
    with pytest.raises(DivergenceError, match=r"epoch 1\b.*smaller learning rate") as info:
        m.fit(X, y)
    assert isinstance(info.value, FloatingPointError) and info.value.epoch == 1
    assert m.diverged_ and m.diverged_epoch_ == 1
    r = LinearRegression(lr=1.0, epochs=10, on_divergence="record").fit(X, y)
    assert r.diverged_ and r.diverged_epoch_ == 1 and np.isnan(r.history_["loss"][1:]).all()
    both = [LinearRegression(lr=1.0, epochs=10, on_divergence="record", backend=b).fit(X, y).diverged_epoch_
            for b in ("cython", "numpy")]
    assert both[0] == both[1]


def test_mlp_regression_and_predict_proba():
    X, y = datasets.linear(n_samples=80, n_features=3, data_seed=0)
    m = MLP(hidden=(8,), task="regression", loss="squared", lr=0.01, epochs=30).fit(X, y)
    assert m.predict(X).dtype == np.float64 and m.score(X, y) > 0.5
    with pytest.raises(ValueError, match="needs loss='squared'"):
        MLP(task="regression", loss="logistic").fit(X, y)
    Xc, yc = datasets.logistic(n_samples=80, n_features=3, data_seed=0)
    proba = LogisticRegression(epochs=3).fit(Xc, yc).predict_proba(Xc)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_show_config_names_variant_and_openmp(capsys):
    zi_core.show_config()
    out = capsys.readouterr().out
    assert "variant" in out and "openmp" in out and "threads" in out
