"""Divergence (SPEC 5): both backends stop at the same epoch, record it, and name it in the error."""
import warnings

import numpy as np
import pytest

from zi_core import MLP, DivergenceError, LinearRegression, LogisticRegression, Perceptron, datasets, train_many
from zi_core.engine import ModelSpec

Xc, Yc = datasets.separable(n_samples=40, n_features=3, data_seed=0)
Xr, Yr = datasets.linear(n_samples=50, n_features=3, data_seed=0)

# (estimator, X, y, epoch at which it diverges): first-epoch blow-ups of every
# model, and linear growth that takes many epochs to overflow.
CASES = [
    (lambda **k: Perceptron(lr=1e308, **k), Xc, Yc, 1),
    (lambda **k: LogisticRegression(lr=1e308, **k), Xc * 10, Yc, 1),
    (lambda **k: LinearRegression(lr=1.0, **k), Xr * 100, Yr, 1),
    (lambda **k: LinearRegression(lr=0.9, **k), Xr, Yr, 29),
    (lambda **k: LinearRegression(lr=1.2, **k), Xr, Yr, 16),
    (lambda **k: MLP(hidden=(8,), lr=1e300, **k), Xc, Yc, 1),
    (lambda **k: MLP(hidden=(8,), task="regression", loss="squared", lr=0.12, init="normal(0, 0.5)", **k),
     Xr, Yr * 5, 2),
]


@pytest.mark.parametrize("make, X, y, epoch", CASES)
def test_both_backends_detect_the_same_epoch_and_say_it(make, X, y, epoch):
    msgs = []
    for backend in ("cython", "numpy"):
        m = make(epochs=60, backend=backend)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no stray overflow RuntimeWarnings on the way
            with pytest.raises(DivergenceError) as info:
                m.fit(X, y)
        err = info.value
        assert isinstance(err, FloatingPointError)
        assert err.epoch == epoch and m.diverged_ and m.diverged_epoch_ == epoch
        assert f"epoch {epoch} " in str(err) and "smaller learning rate" in str(err)
        assert "scale the inputs" in str(err)
        assert np.isnan(m.final_loss_)
        assert np.isfinite(m.history_["loss"][: epoch - 1]).all()
        assert np.isnan(m.history_["loss"][epoch:]).all()
        msgs.append(str(err))
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("make, X, y, epoch", CASES)
def test_record_only_gives_the_same_history_on_both_backends(make, X, y, epoch):
    runs = [make(epochs=epoch + 2, backend=b, on_divergence="record").fit(X, y) for b in ("cython", "numpy")]
    for m in runs:
        assert m.diverged_ and m.diverged_epoch_ == epoch and m.n_iter_ == epoch
    a, b = (r.history_["loss"][: epoch - 1] for r in runs)
    np.testing.assert_allclose(a, b, rtol=1e-10)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_float32_divergence_is_detected_too(dtype):
    m = MLP(hidden=(4,), lr=1e300 if dtype == "float64" else 1e30, dtype=dtype, epochs=5, on_divergence="record")
    assert m.fit(Xc, Yc).diverged_epoch_ == 1


def test_lr_too_large_for_float32_is_a_clear_error():
    with pytest.raises(ValueError, match="lr=.* too large for dtype='float32'"):
        Perceptron(lr=1e300, dtype="float32").fit(Xc, Yc)


def test_batch_of_seeds_freezes_only_the_diverged_models():
    """Init scale decides who diverges; the others train on, bit-identical to training alone."""
    spec = ModelSpec(model="mlp", hidden=(6,), loss="squared", lr=0.12, epochs=6, task="regression",
                     init="normal(0, 1.0)")
    res = train_many(spec, Xr, Yr * 5, [0, 1, 2, 3, 4, 5], on_divergence="record")
    assert list(res.diverged_epoch) == [-1, -1, 2, 1, 1, 1]
    for b in range(len(res)):
        alone = train_many(spec, Xr, Yr * 5, [int(res.init_seeds[b])], on_divergence="record")
        assert alone.diverged_epoch[0] == res.diverged_epoch[b]
        if not res.diverged[b]:
            np.testing.assert_array_equal(alone.weights[0][0], res.weights[0][b])
        else:
            assert np.isnan(res.final_loss[b])
    with pytest.raises(DivergenceError, match=r"training diverged at epoch \d+ \(init_seed=\d+\)"):
        train_many(spec, Xr, Yr * 5, [0, 1, 2, 3, 4, 5], on_divergence="raise")


def test_divergence_error_carries_the_recorded_result():
    with pytest.raises(DivergenceError) as info:
        LinearRegression(lr=1.2, epochs=30).fit(Xr, Yr)
    res = info.value.result
    assert res is not None and res.diverged_epoch[0] == 16 and res.epochs_run == 16
