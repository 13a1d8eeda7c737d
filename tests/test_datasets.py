"""Tests of zi_core.datasets (SPEC section 8)."""
import math
import warnings

import numpy as np
import pytest

from zi_core import datasets as D

CLASSIFICATION = ["logistic", "separable", "teacher_mlp", "xor"]


def teacher_output(teacher, X):
    """Recompute a teacher MLP's output z from its dict, with plain numpy."""
    h = X
    Ws, bs = teacher["weights"], teacher["biases"]
    for W, b in zip(Ws[:-1], bs[:-1]):
        h = np.maximum(h @ W.T + b, 0.0)
    return (h @ Ws[-1].T + bs[-1])[:, 0]


def sign(z):
    return np.where(z >= 0, 1.0, -1.0)


def call(name, n, seed=0, **kw):
    if name == "teacher_mlp":
        kw.setdefault("sizes", (4, 5, 1))
    elif name != "xor":
        kw.setdefault("n_features", 4)
    return D.get(name)(n_samples=n, data_seed=seed, **kw)


# -------------------------------------------------------- shapes and types

@pytest.mark.parametrize("name", D.names())
@pytest.mark.parametrize("n", [1, 2, 7, 64])
def test_shapes_dtypes_contiguity(name, n):
    X, y, teacher = call(name, n, return_teacher=True)
    d = 2 if name == "xor" else 4
    assert X.shape == (n, d) and y.shape == (n,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert X.flags.c_contiguous and y.flags.c_contiguous
    assert np.isfinite(X).all() and np.isfinite(y).all()
    assert isinstance(teacher, dict) and teacher
    assert len(call(name, n)) == 2
    if name in CLASSIFICATION:
        assert set(np.unique(y)) <= {-1.0, 1.0}
    assert D.TASKS[name] == ("regression" if name == "linear" else "classification")


@pytest.mark.parametrize("name", D.names())
def test_determinism_by_data_seed(name):
    a = call(name, 50, seed=7, return_teacher=True)
    b = call(name, 50, seed=7, return_teacher=True)
    c = call(name, 50, seed=8, return_teacher=True)
    assert a[0].tobytes() == b[0].tobytes() and a[1].tobytes() == b[1].tobytes()
    assert a[2].keys() == b[2].keys()
    for key in a[2]:
        u, v = a[2][key], b[2][key]
        if isinstance(u, list):
            assert len(u) == len(v) and all(np.array_equal(p, q) for p, q in zip(u, v))
        else:
            assert np.array_equal(u, v)
    assert a[0].tobytes() != c[0].tobytes()
    seq = D.get(name)  # a SeedSequence is accepted as well
    if name == "teacher_mlp":
        x1 = seq(20, sizes=(3, 2, 1), data_seed=np.random.SeedSequence(5))[0]
        x2 = seq(20, sizes=(3, 2, 1), data_seed=np.random.SeedSequence(5))[0]
    else:
        x1 = seq(20, data_seed=np.random.SeedSequence(5))[0]
        x2 = seq(20, data_seed=np.random.SeedSequence(5))[0]
    assert np.array_equal(x1, x2)


@pytest.mark.parametrize("name", D.names())
def test_global_numpy_state_untouched(name):
    np.random.seed(123)
    expected = np.random.random(3)
    np.random.seed(123)
    call(name, 30, seed=1)
    np.testing.assert_array_equal(np.random.random(3), expected)


def test_numpy_integer_arguments():
    X, y = D.linear(np.int64(5), np.int32(3), data_seed=np.int64(2))
    assert X.shape == (5, 3)
    assert np.array_equal(X, D.linear(5, 3, data_seed=2)[0])


# --------------------------------------------------------------- linear

def test_linear_teacher_and_noise_level():
    X, y, t = D.linear(5000, 6, noise=0.3, data_seed=1, return_teacher=True)
    assert t["coef"].shape == (6,) and isinstance(t["intercept"], float)
    resid = y - (X @ t["coef"] + t["intercept"])
    assert abs(resid.std() / 0.3 - 1) < 0.05
    assert abs(resid.mean()) < 5 * 0.3 / math.sqrt(5000)
    assert abs(X.mean()) < 0.03 and abs(X.var() - 1) < 0.03


def test_linear_noise_free_and_coupled_across_noise():
    X0, y0, t0 = D.linear(100, 3, noise=0.0, data_seed=4, return_teacher=True)
    np.testing.assert_allclose(y0, X0 @ t0["coef"] + t0["intercept"], rtol=0, atol=1e-12)
    X1, y1, t1 = D.linear(100, 3, noise=0.5, data_seed=4, return_teacher=True)
    assert np.array_equal(X0, X1) and np.array_equal(t0["coef"], t1["coef"])
    assert not np.array_equal(y0, y1)
    # the intercept is a genuine N(0, 1) draw, not always 0
    assert len({D.linear(2, 2, data_seed=s, return_teacher=True)[2]["intercept"] for s in range(5)}) == 5


# ------------------------------------------------------------- separable

@pytest.mark.parametrize("n", [1, 2, 3, 10, 11, 200, 201])
def test_separable_balance_margin_and_teacher(n):
    for seed in range(25):
        X, y, t = D.separable(n, 5, margin=0.3, data_seed=seed, return_teacher=True)
        assert np.count_nonzero(y == 1) == (n + 1) // 2
        assert np.count_nonzero(y == -1) == n // 2
        w = t["coef"]
        assert abs(np.linalg.norm(w) - 1) < 1e-12 and t["intercept"] == 0.0
        s = X @ w
        assert np.all(np.abs(s) >= 0.3)
        assert np.array_equal(sign(s), y)


def test_separable_rows_are_shuffled():
    y = D.separable(200, 3, data_seed=0)[1]
    assert not np.array_equal(y, np.sort(y)) and not np.array_equal(y, np.sort(y)[::-1])
    assert np.count_nonzero(np.diff(y)) > 50


@pytest.mark.parametrize("margin", [0.0, 1e-12, 2.0, 6.0])
def test_separable_extreme_margins(margin):
    X, y, t = D.separable(301, 4, margin=margin, data_seed=3, return_teacher=True)
    s = X @ t["coef"]
    assert np.all(np.abs(s) >= margin) and np.array_equal(sign(s), y)
    assert np.count_nonzero(y == 1) == 151


def test_separable_is_a_conditioned_gaussian():
    n, d, m = 20000, 5, 1.0
    X, y, t = D.separable(n, d, margin=m, data_seed=2, return_teacher=True)
    w = t["coef"]
    s = np.abs(X @ w)
    # E[|Z| given |Z| >= m] = phi(m) / (1 - Phi(m)) for Z ~ N(0, 1)
    phi = math.exp(-m * m / 2) / math.sqrt(2 * math.pi)
    tail = 0.5 * math.erfc(m / math.sqrt(2))
    assert abs(s.mean() - phi / tail) < 0.02
    # E[Z^2 given |Z| >= m] = 1 + m phi(m) / (1 - Phi(m))
    assert abs(np.mean(s ** 2) - (1 + m * phi / tail)) < 0.05
    perp = X - np.outer(X @ w, w)
    cov = perp.T @ perp / n
    np.testing.assert_allclose(cov, np.eye(d) - np.outer(w, w), atol=0.03)
    assert abs(perp.mean()) < 0.02


# -------------------------------------------------------------- logistic

def test_logistic_noise_zero_is_the_sign():
    X, y, t = D.logistic(500, 7, noise=0.0, data_seed=3, return_teacher=True)
    assert np.array_equal(y, sign(X @ t["coef"]))
    X1, y1, t1 = D.logistic(500, 7, noise=1.0, data_seed=3, return_teacher=True)
    assert np.array_equal(X, X1) and np.array_equal(t["coef"], t1["coef"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X2, y2, t2 = D.logistic(500, 7, noise=1e-300, data_seed=3, return_teacher=True)
    assert np.array_equal(y2, y)


def test_logistic_probabilities_follow_the_sigmoid():
    n, noise = 40000, 2.0
    X, y, t = D.logistic(n, 5, noise=noise, data_seed=9, return_teacher=True)
    z = X @ t["coef"] / noise
    p = 1 / (1 + np.exp(-z))
    pos = (y == 1).astype(float)
    assert abs(np.mean(pos - p)) < 5 * 0.5 / math.sqrt(n)
    for lo, hi in [(-np.inf, -1), (-1, 0), (0, 1), (1, np.inf)]:
        sel = (z >= lo) & (z < hi)
        assert abs(pos[sel].mean() - p[sel].mean()) < 0.03


def test_logistic_noise_controls_agreement_and_teacher_scale():
    agree = []
    for noise in [0.0, 0.5, 2.0, 100.0]:
        X, y, t = D.logistic(4000, 10, noise=noise, data_seed=1, return_teacher=True)
        agree.append(np.mean(y == sign(X @ t["coef"])))
    assert agree[0] == 1.0 and agree[0] > agree[1] > agree[2] > agree[3] and agree[3] < 0.6
    w = D.logistic(1, 4000, data_seed=5, return_teacher=True)[2]["coef"]
    assert abs(w @ w / 9 - 1) < 0.1  # w ~ 3 N(0, I) / sqrt(d)


# ----------------------------------------------------------- teacher_mlp

@pytest.mark.parametrize("sizes", [(4, 1), (3, 1, 1), (5, 8, 1), (2, 3, 3, 1), [6, 10, 1]])
@pytest.mark.parametrize("n", [1, 2, 5, 40, 41])
def test_teacher_mlp_balanced_and_realizable(sizes, n):
    for seed in range(12):
        X, y, t = D.teacher_mlp(n, sizes, data_seed=seed, return_teacher=True)
        assert X.shape == (n, sizes[0])
        assert np.count_nonzero(y == 1) == (n + 1) // 2 and np.count_nonzero(y == -1) == n // 2
        z = teacher_output(t, X)
        assert np.array_equal(sign(z), y)
        assert np.all(z != 0)
        Ws, bs = t["weights"], t["biases"]
        assert len(Ws) == len(bs) == len(sizes) - 1
        for l, (W, b) in enumerate(zip(Ws, bs)):
            assert W.shape == (sizes[l + 1], sizes[l]) and b.shape == (sizes[l + 1],)


def test_teacher_mlp_threshold_is_midway():
    X, y, t = D.teacher_mlp(40, (5, 8, 1), data_seed=2, return_teacher=True)
    z = teacher_output(t, X)
    lo, hi = z[y < 0].max(), z[y > 0].min()
    assert lo < 0 < hi
    np.testing.assert_allclose(-lo, hi, rtol=1e-9)


def test_teacher_mlp_weight_distributions():
    X, y, t = D.teacher_mlp(10, (400, 300, 1), data_seed=0, return_teacher=True)
    W1, b1 = t["weights"][0], t["biases"][0]
    assert abs(W1.var() / (2 / 400) - 1) < 0.03 and abs(W1.mean()) < 0.002
    assert abs(b1.std() / 0.1 - 1) < 0.2
    assert abs(t["weights"][1].var() / (2 / 300) - 1) < 0.3


def test_teacher_mlp_redraws_dead_teachers(monkeypatch):
    # one hidden ReLU unit: about half the outputs are exactly 0, so the two middle
    # values often tie and the teacher must be redrawn
    results = [D.teacher_mlp(30, (2, 1, 1), data_seed=s, return_teacher=True) for s in range(30)]
    for X, y, t in results:
        assert np.count_nonzero(y == 1) == 15 and np.array_equal(sign(teacher_output(t, X)), y)
    monkeypatch.setattr(D, "MAX_TEACHER_TRIES", 1)
    failures = 0
    for s in range(30):
        try:
            X, y, t = D.teacher_mlp(30, (2, 1, 1), data_seed=s, return_teacher=True)
        except ValueError as exc:
            failures += 1
            assert "teacher" in str(exc)
        else:
            # the first teacher was accepted: the same data as with retries allowed
            assert np.array_equal(y, results[s][1])
    assert failures > 0


# -------------------------------------------------------------------- xor

@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 100, 203])
def test_xor_corners_and_labels(n):
    X, y, t = D.xor(n, noise=0.0, data_seed=n, return_teacher=True)
    C = t["corners"]
    assert np.array_equal(X, C)
    assert set(map(tuple, C)) <= {(1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0)}
    assert np.array_equal(y, C[:, 0] * C[:, 1])
    _, counts = np.unique(C, axis=0, return_counts=True)
    assert counts.max() - (counts.min() if len(counts) == 4 else 0) <= 1
    assert np.count_nonzero(y == 1) == (n + 1) // 2


def test_xor_noise():
    X, y, t = D.xor(4000, noise=0.2, data_seed=1, return_teacher=True)
    assert abs((X - t["corners"]).std() / 0.2 - 1) < 0.05
    assert np.array_equal(y, sign(t["corners"][:, 0] * t["corners"][:, 1]))
    assert np.mean(sign(X[:, 0] * X[:, 1]) == y) > 0.99
    assert not np.array_equal(y[:8], np.array([1, -1] * 4))  # shuffled


# ----------------------------------------------------------------- errors

BAD_COMMON = [
    ("n_samples", 0), ("n_samples", -3), ("n_samples", 2.5), ("n_samples", True),
    ("n_samples", "10"), ("n_samples", None),
    ("data_seed", -1), ("data_seed", 1.5), ("data_seed", None), ("data_seed", "a"), ("data_seed", True),
    ("return_teacher", "yes"), ("return_teacher", 1),
]


@pytest.mark.parametrize("name", D.names())
@pytest.mark.parametrize("arg,value", BAD_COMMON)
def test_bad_common_arguments(name, arg, value):
    kwargs = {arg: value}
    with pytest.raises(ValueError, match=arg):
        D.get(name)(**kwargs)


@pytest.mark.parametrize("name,arg,value", [
    (name, arg, value)
    for name in ["linear", "separable", "logistic"]
    for arg, value in [("n_features", 0), ("n_features", -1), ("n_features", 1.0), ("n_features", False)]
] + [
    (name, "noise", value)
    for name in ["linear", "logistic", "xor"]
    for value in [-0.1, float("nan"), float("inf"), True, "0.1", None]
] + [
    ("separable", "margin", value) for value in [-1e-9, float("nan"), float("inf"), False, "1"]
] + [
    ("teacher_mlp", "sizes", value)
    for value in [(10, 10, 2), (10,), (), (1, 0, 1), (0, 1), (10, 2.0, 1), (10, True, 1),
                  (3, -2, 1), "abc", 5, None, {3: 1}]
])
def test_bad_specific_arguments(name, arg, value):
    with pytest.raises(ValueError, match=arg):
        D.get(name)(**{arg: value})


def test_get_and_names():
    assert D.names() == ["linear", "logistic", "separable", "teacher_mlp", "xor"]
    assert D.get("xor") is D.xor and D.get(" Teacher-MLP ") is D.teacher_mlp
    with pytest.raises(ValueError, match="separable") as exc:
        D.get("sepparable")
    assert "did you mean" in str(exc.value).lower()
    assert all(n in str(exc.value) for n in D.names())
    for bad in ["", "mnist", 5, None]:
        with pytest.raises(ValueError, match="linear"):
            D.get(bad)
    assert set(D.TASKS) == set(D.names())


def test_docstrings():
    for name in D.names():
        doc = D.get(name).__doc__
        assert "Parameters" in doc and "Returns" in doc and "data_seed" in doc
    assert D.get.__doc__ and D.names.__doc__ and "teacher_mlp" in D.__doc__
