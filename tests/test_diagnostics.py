"""zi_core.diagnostics (SPEC section 7): constructed matrices and finite differences."""
import numpy as np
import pytest

from zi_core import MLP, LinearRegression, LogisticRegression, Perceptron, datasets
from zi_core.diagnostics import (closed_form, direction, distinct_hidden_units, gradient, gradient_at_init,
                                 hidden_activations)

BACKEND = "cython"
try:  # the compiled core may not be built in a bare checkout
    from zi_core._dispatch import core
    core()
except ImportError:  # pragma: no cover
    BACKEND = "numpy"


# ---------------------------------------------------------------- distinct_hidden_units

def test_distinct_units_constructed():
    assert distinct_hidden_units(np.ones((5, 3))) == 1
    assert distinct_hidden_units(np.eye(4)) == 4
    W = np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 4.0]])
    assert distinct_hidden_units(W) == 2
    # the bias separates otherwise equal rows, and joins nothing
    assert distinct_hidden_units(np.ones((4, 3)), b=[0, 0, 1, 1]) == 2
    assert distinct_hidden_units(W, b=[0.0, 1.0, 0.0]) == 3
    # -0.0 and 0.0 are the same unit
    assert distinct_hidden_units(np.array([[0.0, 1.0], [-0.0, 1.0]])) == 1


def test_distinct_units_atol_is_transitive_and_order_free():
    W = np.array([[0.0], [0.6e-8], [1.2e-8], [1.0]])
    assert distinct_hidden_units(W) == 4
    assert distinct_hidden_units(W, atol=1e-8) == 2  # 0 ~ 0.6e-8 ~ 1.2e-8 chain into one unit
    assert distinct_hidden_units(W[::-1], atol=1e-8) == 2
    assert distinct_hidden_units(W, atol=2.0) == 1


@pytest.mark.parametrize("args, match", [
    ((np.ones(3),), "2-D"),
    ((np.ones((2, 2, 2)),), "2-D"),
    ((np.array([[1.0, np.nan]]),), "NaN"),
    ((np.ones((3, 2)), [1.0, 2.0]), "rows"),
    ((np.ones((0, 2)),), "empty"),
    (("abc",), "string"),
])
def test_distinct_units_validation(args, match):
    with pytest.raises(ValueError, match=match):
        distinct_hidden_units(*args)


@pytest.mark.parametrize("atol", [-1.0, np.nan, "0", True])
def test_distinct_units_bad_atol(atol):
    with pytest.raises(ValueError, match="atol"):
        distinct_hidden_units(np.ones((2, 2)), atol=atol)


def test_equal_init_stays_equal_bitwise_on_the_core():
    X, y = datasets.teacher_mlp(100, (6, 8, 1), data_seed=3)
    m = MLP(hidden=(8, 5), init="constant(0.2)", bias_init="constant(0.2)", epochs=30, lr=0.05,
            backend=BACKEND, n_threads=1).fit(X, y)
    atol = 0.0 if BACKEND == "cython" else 1e-12
    for W, b in zip(m.weights_[:-1], m.biases_[:-1]):
        assert distinct_hidden_units(W, b, atol=atol) == 1
    m = MLP(hidden=(8,), init="he_normal", epochs=5, backend=BACKEND, n_threads=1).fit(X, y)
    assert distinct_hidden_units(m.weights_[0], m.biases_[0]) == 8


# ---------------------------------------------------------------- gradients

def _loss(rule, z, y):
    # Written independently of zi_core.diagnostics.
    if rule == "squared":
        return np.mean(0.5 * (z - y) ** 2)
    if rule == "logistic":
        return np.mean(np.log1p(np.exp(-y * z)))
    if rule == "hinge":
        return np.mean(np.maximum(0.0, 1.0 - y * z))
    if rule == "perceptron":
        return np.mean(2.0 * np.maximum(0.0, -y * z))
    raise AssertionError(rule)


def _forward(Ws, bs, X):
    h = X
    for l, W in enumerate(Ws):
        h = h @ W.T + (0.0 if bs is None else bs[l])
        if l < len(Ws) - 1:
            h = np.maximum(h, 0.0)
    return h[:, 0]


def _pre_activations(Ws, bs, X):
    out, h = [], X
    for l, W in enumerate(Ws):
        a = h @ W.T + (0.0 if bs is None else bs[l])
        out.append(a)
        h = np.maximum(a, 0.0)
    return out


def _finite_differences(Ws, bs, X, y, rule, eps=1e-6):
    """Central differences of the mean loss for every parameter, keyed like Gradient.params."""
    out = {}
    for l in range(len(Ws)):
        for name, arrs in (("W", Ws), ("b", bs)):
            if arrs is None:
                continue
            P = arrs[l]
            G = np.zeros_like(P)
            for idx in np.ndindex(P.shape):
                old = P[idx]
                P[idx] = old + eps
                up = _loss(rule, _forward(Ws, bs, X), y)
                P[idx] = old - eps
                down = _loss(rule, _forward(Ws, bs, X), y)
                P[idx] = old
                G[idx] = (up - down) / (2 * eps)
            out[f"{name}{l + 1}"] = G
    return out


def _random_net(rng, sizes, bias):
    Ws = [rng.normal(0, 1.0 / np.sqrt(sizes[l]), (sizes[l + 1], sizes[l])) for l in range(len(sizes) - 1)]
    bs = [rng.normal(0, 0.3, sizes[l + 1]) for l in range(len(sizes) - 1)] if bias else None
    return Ws, bs


@pytest.mark.parametrize("rule", ["squared", "logistic", "hinge", "perceptron"])
@pytest.mark.parametrize("sizes, bias", [((4, 1), True), ((3, 5, 1), True), ((3, 4, 3, 1), False)])
def test_gradient_matches_central_differences(rule, sizes, bias):
    rng = np.random.default_rng(hash((rule, sizes, bias)) % 2**32)
    for _ in range(50):  # draw until no sample sits within reach of a kink
        Ws, bs = _random_net(rng, sizes, bias)
        X = rng.standard_normal((25, sizes[0]))
        y = rng.choice([-1.0, 1.0], size=25) if rule != "squared" else rng.standard_normal(25)
        z = _forward(Ws, bs, X)
        pre = _pre_activations(Ws, bs, X)[:-1]
        kinks = [np.abs(a) for a in pre] + ([np.abs(1 - y * z)] if rule == "hinge" else []) + \
                ([np.abs(z)] if rule == "perceptron" else [])
        if all(np.min(k) > 1e-4 for k in kinks):
            break
    g = gradient(Ws, bs, X, y, rule)
    fd = _finite_differences([W.copy() for W in Ws], None if bs is None else [b.copy() for b in bs], X, y, rule)
    assert set(g.params) == set(fd)
    for k in fd:
        np.testing.assert_allclose(g.params[k], fd[k], rtol=1e-5, atol=1e-7, err_msg=k)
    assert g.loss == pytest.approx(_loss(rule, z, y), rel=1e-12)


@pytest.mark.parametrize("loss", ["logistic", "squared", "hinge"])
def test_gradient_at_init_of_a_fitted_mlp_matches_finite_differences(loss):
    X, y = datasets.teacher_mlp(40, (4, 5, 1), data_seed=1)
    labels = np.where(y > 0, 7, 3)  # the user's own labels: 3 -> -1, 7 -> +1
    m = MLP(hidden=(5,), loss=loss, init="he_normal", bias_init="normal(0, 0.2)", epochs=3, lr=0.05,
            init_seed=11, backend=BACKEND, n_threads=1).fit(X, labels)
    g = gradient_at_init(m, X, labels)
    Ws = [W.copy() for W in m.initial_weights_]
    bs = [b.copy() for b in m.initial_biases_]
    fd = _finite_differences(Ws, bs, X, y, loss)
    for k in fd:
        np.testing.assert_allclose(g.params[k], fd[k], rtol=1e-5, atol=1e-7, err_msg=k)
    # the initial weights, not the trained ones
    assert not np.array_equal(m.weights_[0], m.initial_weights_[0])


def test_gradient_at_init_regression_mlp():
    X, y = datasets.linear(30, 3, data_seed=2)
    m = MLP(hidden=(4,), loss="squared", task="regression", init="he_normal", epochs=2, lr=0.01,
            backend=BACKEND, n_threads=1).fit(X, y)
    g = gradient_at_init(m, X, y)
    fd = _finite_differences([W.copy() for W in m.initial_weights_], [b.copy() for b in m.initial_biases_],
                             X, y, "squared")
    for k in fd:
        np.testing.assert_allclose(g.params[k], fd[k], rtol=1e-5, atol=1e-7, err_msg=k)


def test_gradient_at_zero_of_linear_models_in_closed_form():
    X, y = datasets.linear(50, 4, data_seed=0)
    n = len(X)
    g = gradient_at_init(LinearRegression(epochs=1, backend=BACKEND).fit(X, y), X, y)
    np.testing.assert_allclose(g.params["coef"], -X.T @ y / n, rtol=1e-12)
    assert g.params["intercept"] == pytest.approx(-y.mean(), rel=1e-12)
    assert g.loss == pytest.approx(0.5 * np.mean(y ** 2))
    Xc, yc = datasets.logistic(60, 4, data_seed=1)
    g = gradient_at_init(LogisticRegression(epochs=1, backend=BACKEND).fit(Xc, yc), Xc, yc)
    np.testing.assert_allclose(g.params["coef"], -Xc.T @ yc / (2 * len(Xc)), rtol=1e-12)
    assert g.loss == pytest.approx(np.log(2))
    # the perceptron at w = 0 predicts +1 everywhere: the "gradient" is the mean of 2 x over the -1 samples
    g = gradient_at_init(Perceptron(epochs=1, fit_intercept=False, backend=BACKEND).fit(Xc, yc), Xc, yc)
    np.testing.assert_allclose(g.params["coef"], 2 * Xc[yc < 0].sum(axis=0) / len(Xc), rtol=1e-12)
    assert "intercept" not in g.params and g.biases is None


def test_gradient_at_init_random_linear_start_matches_finite_differences():
    X, y = datasets.linear(30, 3, data_seed=4)
    m = LinearRegression(init="normal(0, 1)", bias_init="normal(0, 1)", epochs=2, init_seed=5,
                         backend=BACKEND).fit(X, y)
    g = gradient_at_init(m, X, y)
    fd = _finite_differences([m.initial_coef_.reshape(1, -1).copy()], [np.array([m.initial_intercept_])],
                             X, y, "squared")
    np.testing.assert_allclose(g.params["coef"], fd["W1"][0], rtol=1e-6)
    assert float(g.params["intercept"]) == pytest.approx(fd["b1"][0], rel=1e-6)


def test_zero_mlp_gets_no_gradient_in_the_hidden_layers():
    X, y = datasets.teacher_mlp(50, (5, 6, 1), data_seed=0)  # 25 / 25: balanced
    m = MLP(hidden=(6,), init="zeros", epochs=2, backend=BACKEND).fit(X, y)
    g = gradient_at_init(m, X, y)
    assert g.all_zero and g.n_zero == g.n_params == 6 * 5 + 6 + 6 + 1  # even b2: the labels are balanced
    keep = np.concatenate([np.flatnonzero(y > 0), np.flatnonzero(y < 0)[:10]])
    Xu, yu = X[keep], y[keep]  # 25 / 10: unbalanced, so the output bias gets a gradient
    m = MLP(hidden=(6,), init="zeros", epochs=2, backend=BACKEND).fit(Xu, yu)
    g = gradient_at_init(m, Xu, yu)
    assert g.n_zero == g.n_params - 1 and not g.zero["b2"][0]
    assert g.summary()["per_param"]["W1"]["n_zero"] == 30
    assert all(np.all(h == 0) for h in hidden_activations(m.initial_weights_, m.initial_biases_, X * 1e6))


def test_gradient_at_init_several_seeds_needs_an_index():
    X, y = datasets.teacher_mlp(30, (3, 4, 1), data_seed=0)
    m = MLP(hidden=(4,), epochs=1, init_seed=[1, 2, 3], backend=BACKEND).fit(X, y)
    with pytest.raises(ValueError, match="index"):
        gradient_at_init(m, X, y)
    g1 = gradient_at_init(m, X, y, index=1)
    single = MLP(hidden=(4,), epochs=1, init_seed=2, backend=BACKEND).fit(X, y)
    g = gradient_at_init(single, X, y)
    for k in g.params:
        np.testing.assert_array_equal(g1.params[k], g.params[k])
    with pytest.raises(ValueError, match="index"):
        gradient_at_init(m, X, y, index=3)
    lin = LinearRegression(epochs=1, init="normal(0, 1)", init_seed=[4, 5], backend=BACKEND).fit(X, y)
    g = gradient_at_init(lin, X, y, index=0)
    assert g.params["coef"].shape == (3,)


def test_gradient_at_init_validation():
    X, y = datasets.teacher_mlp(30, (3, 4, 1), data_seed=0)
    with pytest.raises(ValueError, match="not fitted"):
        gradient_at_init(MLP(), X, y)
    m = MLP(hidden=(4,), epochs=1, backend=BACKEND).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        gradient_at_init(m, X[:, :2], y)
    with pytest.raises(ValueError, match="samples"):
        gradient_at_init(m, X, y[:-1])
    with pytest.raises(ValueError, match="NaN"):
        gradient_at_init(m, np.where(X > 1, np.nan, X), y)
    with pytest.raises(ValueError, match="labels"):
        gradient_at_init(m, X, np.where(y > 0, 5.0, -1.0))
    with pytest.raises(ValueError, match="Perceptron"):
        gradient_at_init(object(), X, y)
    with pytest.raises(ValueError, match="rule"):
        gradient([np.ones((1, 3))], None, X, y, "cross-entropy")
    with pytest.raises(ValueError, match="-1/\\+1"):
        gradient([np.ones((1, 3))], None, X, y * 2, "logistic")


# ---------------------------------------------------------------- direction

def test_direction():
    assert direction([1.0, 2.0], [2.0, 4.0]) == 1.0
    assert direction([1.0, 0.0], [0.0, 3.0]) == 0.0
    assert direction([1.0, 2.0], [-1.0, -2.0]) == -1.0
    assert direction(np.eye(2), np.eye(2) * 5) == 1.0  # any shape, flattened
    assert direction([np.ones((2, 2)), np.array([1.0])], [np.ones((2, 2)), np.array([-1.0])]) == pytest.approx(0.6)
    assert direction([1e300, 1e300], [1e-300, 1e-300]) == pytest.approx(1.0)  # no overflow / underflow
    a = np.random.default_rng(0).standard_normal(50)
    assert -1.0 <= direction(a, 3.7 * a) <= 1.0 and direction(a, 3.7 * a) == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("a, b, match", [
    ([0.0, 0.0], [1.0, 2.0], "zero vector"),
    ([1.0, 2.0], [0.0, 0.0], "zero vector"),
    ([1.0, 2.0], [1.0, 2.0, 3.0], "entries"),
    ([1.0, np.inf], [1.0, 2.0], "NaN or inf"),
    ([], [], "empty"),
])
def test_direction_validation(a, b, match):
    with pytest.raises(ValueError, match=match):
        direction(a, b)


# ---------------------------------------------------------------- closed_form

def test_closed_form_exact_and_noisy():
    X = np.array([[0.0], [1.0], [2.0]])
    coef, b = closed_form(X, 2 * X[:, 0] + 1)
    np.testing.assert_allclose(coef, [2.0]) and pytest.approx(b) == 1.0
    X, y, t = datasets.linear(200, 5, noise=0.0, data_seed=1, return_teacher=True)
    coef, b = closed_form(X, y)
    np.testing.assert_allclose(coef, t["coef"], rtol=1e-10)
    assert b == pytest.approx(t["intercept"], rel=1e-10)
    coef0, b0 = closed_form(X, y, fit_intercept=False)
    assert b0 == 0.0
    np.testing.assert_allclose(coef0, np.linalg.lstsq(X, y, rcond=None)[0])


def test_closed_form_rank_deficient_is_minimum_norm_and_sgd_from_zero_reaches_it():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3)) @ rng.standard_normal((3, 6))  # rank 3 of 6
    y = X @ rng.standard_normal(6) + 0.2 * rng.standard_normal(40)
    coef, b = closed_form(X, y)
    A = np.column_stack([X, np.ones(40)])
    theta = np.append(coef, b)
    np.testing.assert_allclose(theta, np.linalg.pinv(A) @ y, atol=1e-10)
    lr = 1.0 / (np.linalg.norm(A, 2) ** 2 / 40)
    m = LinearRegression(lr=lr, epochs=3000, batch_size=40, backend=BACKEND).fit(X, y)
    assert np.linalg.norm(np.append(m.coef_, m.intercept_) - theta) < 1e-6 * np.linalg.norm(theta)


@pytest.mark.parametrize("X, y, kw, match", [
    (np.ones(3), np.ones(3), {}, "2-D"),
    (np.ones((3, 2)), np.ones(4), {}, "samples"),
    (np.ones((3, 2)), np.array([1.0, np.nan, 2.0]), {}, "NaN"),
    (np.ones((3, 2)), np.ones(3), {"fit_intercept": "yes"}, "fit_intercept"),
])
def test_closed_form_validation(X, y, kw, match):
    with pytest.raises(ValueError, match=match):
        closed_form(X, y, **kw)
