"""The same run gives identical bytes; each seed drives only its own stream (SPEC 4)."""
import numpy as np
import pytest

from zi_core import MLP, LinearRegression, Perceptron, datasets


def _fit_bytes(**kw):
    X, y = datasets.teacher_mlp(n_samples=80, sizes=(6, 5, 1), data_seed=kw.pop("data_seed", 0))
    m = MLP(hidden=(5,), epochs=4, **kw).fit(X, y)
    return b"".join(W.tobytes() for W in m.weights_ + m.biases_), m


@pytest.mark.parametrize("backend", ["cython", "numpy"])
def test_same_run_twice_identical_bytes(backend):
    a, ma = _fit_bytes(shuffle=True, init_seed=3, shuffle_seed=4, backend=backend)
    b, mb = _fit_bytes(shuffle=True, init_seed=3, shuffle_seed=4, backend=backend)
    assert a == b
    assert ma.history_["loss"].tobytes() == mb.history_["loss"].tobytes()


def test_each_seed_changes_its_own_part():
    base, m0 = _fit_bytes(shuffle=True, init_seed=3, shuffle_seed=4)
    assert _fit_bytes(shuffle=True, init_seed=4, shuffle_seed=4)[0] != base
    assert _fit_bytes(shuffle=True, init_seed=3, shuffle_seed=5)[0] != base
    assert _fit_bytes(shuffle=True, init_seed=3, shuffle_seed=4, data_seed=1)[0] != base
    # without shuffling the shuffle seed is unused
    assert _fit_bytes(init_seed=3, shuffle_seed=4)[0] == _fit_bytes(init_seed=3, shuffle_seed=9)[0]
    # initial weights depend only on the init seed, not on other hyper-parameters
    _, m1 = _fit_bytes(shuffle=True, init_seed=3, shuffle_seed=4, lr=0.5)
    assert m0.initial_weights_[0].tobytes() == m1.initial_weights_[0].tobytes()


def test_layer_init_streams_are_independent():
    X, y = datasets.teacher_mlp(n_samples=30, sizes=(6, 5, 1), data_seed=0)
    a = MLP(hidden=(5,), epochs=1, init=["he_normal", "he_normal"]).fit(X, y)
    b = MLP(hidden=(5,), epochs=1, init=["he_normal", "zeros"]).fit(X, y)
    c = MLP(hidden=(5,), epochs=1, init="he_normal", bias_init="normal(0, 1)").fit(X, y)
    assert a.initial_weights_[0].tobytes() == b.initial_weights_[0].tobytes()
    assert a.initial_weights_[0].tobytes() == c.initial_weights_[0].tobytes()


def test_several_seeds_match_separate_fits():
    X, y = datasets.separable(n_samples=100, n_features=4, data_seed=2)
    many = Perceptron(init="normal(0, 1)", init_seed=[5, 6, 7], epochs=3).fit(X, y)
    for i, s in enumerate([5, 6, 7]):
        one = Perceptron(init="normal(0, 1)", init_seed=s, epochs=3).fit(X, y)
        assert many.coef_[i].tobytes() == one.coef_.tobytes()
        assert many.intercept_[i] == one.intercept_
    assert many.predict(X).shape == (100, 3)
    X, y = datasets.linear(n_samples=50, n_features=3, data_seed=0)
    lin = LinearRegression(init="normal(0, 1)", init_seed=[1, 2], epochs=2).fit(X, y)
    assert lin.coef_.shape == (2, 3) and lin.intercept_.shape == (2,)
    assert np.all(np.isfinite(lin.score(X, y)))
