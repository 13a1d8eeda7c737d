"""Hidden units that start equal stay bit-for-bit equal in the compiled core (SPEC 4)."""
import numpy as np
import pytest

from zi_core import MLP, datasets
from zi_core.diagnostics import distinct_hidden_units


def _rows_identical(W):
    return all(W[0].tobytes() == W[j].tobytes() for j in range(1, W.shape[0]))


@pytest.mark.parametrize("hidden", [(10,), (6, 4)])
@pytest.mark.parametrize("init", ["constant(0.2)", "constant(-0.05)"])
@pytest.mark.parametrize("loss", ["logistic", "squared", "hinge"])
def test_equal_units_stay_equal_for_100_epochs(hidden, init, loss):
    X, y = datasets.teacher_mlp(n_samples=60, sizes=(10, 10, 1), data_seed=3)
    m = MLP(hidden=hidden, init=init, bias_init="constant(0.1)", loss=loss, lr=0.01, epochs=100,
            shuffle=True, on_divergence="record").fit(X, y)
    assert not m.diverged_
    for l in range(len(hidden)):
        assert _rows_identical(m.weights_[l]), f"layer {l + 1} rows drifted apart"
        assert len(set(m.biases_[l].tolist())) == 1
        assert distinct_hidden_units(m.weights_[l], m.biases_[l]) == 1
    # ...and they did move: the symmetry is not "nothing happened"
    assert not np.array_equal(m.weights_[0], m.initial_weights_[0])


def test_random_init_units_are_distinct():
    X, y = datasets.teacher_mlp(n_samples=60, sizes=(10, 10, 1), data_seed=3)
    m = MLP(hidden=(10,), init="he_normal", epochs=5).fit(X, y)
    assert distinct_hidden_units(m.weights_[0], m.biases_[0]) == 10
