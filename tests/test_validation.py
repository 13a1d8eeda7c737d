"""Bad input: a ValueError/TypeError naming the argument and the problem, before the core runs."""
import numpy as np
import pytest

from zi_core import MLP, LinearRegression, LogisticRegression, Perceptron, datasets

X, Y = datasets.separable(n_samples=30, n_features=3, data_seed=0)


@pytest.mark.parametrize("Xbad, match", [
    (np.array([[1.0, np.nan, 0.0]] * 30), "X contains NaN"),
    (np.array([[1.0, np.inf, 0.0]] * 30), "X contains NaN or infinity"),
    (np.zeros(30), "X must be 2-D"),
    (np.zeros((30, 3, 1)), "X must be 2-D"),
    (np.zeros((0, 3)), "X has 0 samples"),
    (np.zeros((30, 0)), "X has 0 features"),
    (np.array([["a", "b", "c"]] * 30), "X must contain real numbers"),
])
def test_bad_X(Xbad, match):
    with pytest.raises(ValueError, match=match):
        MLP(epochs=1).fit(Xbad, Y[: len(Xbad)] if len(Xbad) else Y[:0])


@pytest.mark.parametrize("ybad, match", [
    (Y[:10], "y has 10 entries but X has 30"),
    (np.ones(30), "y has one class"),
    (np.arange(30) % 3, "y has 3 classes"),
    (np.where(Y > 0, 1.0, np.nan), "y contains NaN"),
    (np.ones((30, 2)), "y must be 1-D"),
])
def test_bad_labels(ybad, match):
    with pytest.raises(ValueError, match=match):
        Perceptron(epochs=1).fit(X, ybad)


def test_bad_regression_target():
    with pytest.raises(ValueError, match="y contains NaN"):
        LinearRegression().fit(X, np.full(30, np.nan))


@pytest.mark.parametrize("param, value, exc, match", [
    ("lr", 0.0, ValueError, "lr must be > 0"),
    ("lr", -1.0, ValueError, "lr must be > 0"),
    ("lr", float("nan"), ValueError, "lr must be finite"),
    ("lr", float("inf"), ValueError, "lr must be finite"),
    ("lr", True, TypeError, "lr must be a real number"),
    ("lr", "0.1", TypeError, "lr must be a real number"),
    ("epochs", 0, ValueError, "epochs must be >= 1"),
    ("epochs", -3, ValueError, "epochs must be >= 1"),
    ("epochs", 2.5, TypeError, "epochs must be an integer"),
    ("epochs", True, TypeError, "epochs must be an integer"),
    ("batch_size", 0, ValueError, "batch_size must be >= 1"),
    ("hidden", (0,), ValueError, r"hidden\[0\] must be >= 1"),
    ("hidden", (4, -2), ValueError, r"hidden\[1\] must be >= 1"),
    ("hidden", (2.5,), TypeError, r"hidden\[0\] must be an integer"),
    ("hidden", (True,), TypeError, r"hidden\[0\] must be an integer"),
    ("loss", "mse", ValueError, "loss must be one of"),
    ("init", "he_normall", ValueError, "init"),
    ("init", [np.zeros((4, 3)), np.zeros((1, 4))], ValueError, r"init\[0\] has shape \(4, 3\), expected \(10, 3\)"),
    ("init", [np.full((10, 3), np.nan), np.zeros((1, 10))], ValueError, "NaN"),
    ("init_seed", -1, ValueError, "init_seed must be >= 0"),
    ("init_seed", 1.5, TypeError, "init_seed must be an integer"),
    ("shuffle_seed", True, TypeError, "shuffle_seed must be an integer"),
    ("backend", "torch", ValueError, "backend must be one of"),
    ("dtype", "float16", ValueError, "dtype must be one of"),
    ("lr_schedule", "cosine", ValueError, "lr_schedule must be one of"),
])
def test_bad_hyper_parameters(param, value, exc, match):
    with pytest.raises(exc, match=match):
        MLP(**{"epochs": 1, param: value}).fit(X, Y)


def test_absurd_layer_sizes_fail_up_front_with_size():
    with pytest.raises(MemoryError, match="parameters per model"):
        MLP(hidden=(10**6, 10**6), epochs=1).fit(X, Y)


def test_wrong_shape_linear_warm_start():
    with pytest.raises(ValueError, match=r"init has shape \(2,\), expected \(1, 3\)"):
        LogisticRegression(init=np.zeros(2)).fit(X, Y)


def test_predict_checks_features():
    m = MLP(epochs=1).fit(X, Y)
    with pytest.raises(ValueError, match="X has 2 features, but MLP is expecting 3 features"):
        m.predict(X[:, :2])


def test_inputs_never_modified():
    Xc, Yc = X.copy(), Y.copy()
    ro = X.copy()
    ro.setflags(write=False)
    MLP(epochs=2, shuffle=True).fit(ro, Y)
    Perceptron(epochs=2).fit(np.asfortranarray(X), Y.astype(np.int64))
    np.testing.assert_array_equal(X, Xc)
    np.testing.assert_array_equal(Y, Yc)


def test_core_rejects_bad_indices_directly():
    from zi_core._dispatch import core
    th = np.zeros((4, 1))
    with pytest.raises(ValueError, match="outside"):
        core().train_chunk(X, Y, np.array([0, 99], dtype=np.intp), np.zeros((4, 1)), np.array([3, 1], np.intp),
                           True, 2, 1, np.ones(1), 0, 0.5, 0, np.zeros(1), np.zeros(1), 1)
    with pytest.raises(ValueError, match="theta has"):
        core().train_chunk(X, Y, np.arange(3, dtype=np.intp), np.zeros((7, 1)), np.array([3, 1], np.intp),
                           True, 2, 1, np.ones(1), 0, 0.5, 0, np.zeros(1), np.zeros(1), 1)
    assert th.sum() == 0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_core_logistic_takes_only_plus_minus_one_labels(dtype):
    """The core computes the logistic loss's e^-|y z| as e^-|z|: exact for y = -1 or +1
    only, so every entry point that takes the logistic loss checks y first."""
    from zi_core._dispatch import core
    Xd = np.ascontiguousarray(X, dtype=dtype)
    y01 = ((Y + 1) / 2).astype(dtype)                        # 0/1 labels
    sizes, order = np.array([3, 1], np.intp), np.arange(30, dtype=np.intp)
    th = np.zeros((4, 1), dtype=dtype)
    lr = np.ones(1, dtype=dtype)
    with pytest.raises(ValueError, match=r"y\[\d+\] = 0.*logistic loss takes labels -1 or \+1"):
        core().train_chunk(Xd, y01, order, th, sizes, True, 2, 1, lr, 0, 0.5, 0, np.zeros(1), np.zeros(1), 1)
    with pytest.raises(ValueError, match="logistic loss takes labels"):
        core().train_epochs(Xd, y01, order[None, :], th, sizes, True, 2, 1, lr, 0, 0.5, 0,
                            np.zeros((1, 1)), np.zeros((1, 1)), np.zeros((1, 1)), 1)
    with pytest.raises(ValueError, match="logistic loss takes labels"):
        core().evaluate(Xd, y01, th, sizes, True, 2, np.zeros(1), np.zeros(1), 1)
    assert not th.any()
    # other losses take any finite target; -1/+1 labels pass
    core().train_chunk(Xd, y01, order, th, sizes, True, 1, 1, lr * 0.01, 0, 0.5, 0, np.zeros(1), np.zeros(1), 1)
    core().train_chunk(Xd, Y.astype(dtype), order, th, sizes, True, 2, 1, lr, 0, 0.5, 0, np.zeros(1),
                       np.zeros(1), 1)
    assert np.isfinite(th).all()
