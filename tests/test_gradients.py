"""The reference's backprop equals central finite differences for every loss."""
import numpy as np
import pytest

from zi_core import reference


def _loss(Ws, bs, x, y, loss):
    z = reference.forward(Ws, bs, x)[-1][0]
    return reference.loss_grad(loss, z, y)[0]


@pytest.mark.parametrize("loss", ["squared", "logistic", "hinge"])
@pytest.mark.parametrize("hidden", [(), (5,), (4, 3), (3, 6, 2)])
@pytest.mark.parametrize("bias", [True, False])
def test_backprop_matches_finite_differences(loss, hidden, bias):
    rng = np.random.default_rng(hash((loss, hidden, bias)) % 2**32)
    sizes = (4,) + hidden + (1,)
    Ws = [rng.normal(size=(sizes[l + 1], sizes[l])) for l in range(len(sizes) - 1)]
    bs = [rng.normal(size=sizes[l + 1]) * 0.5 for l in range(len(sizes) - 1)] if bias else None
    checked = 0
    for _ in range(5):
        x, y = rng.normal(size=4), float(rng.choice([-1.0, 1.0]))
        acts = reference.forward(Ws, bs, x)
        z = acts[-1][0]
        if loss == "hinge" and abs(1 - y * z) < 1e-3:
            continue  # the kink: no derivative to compare with
        if any(np.any(np.abs(a) < 1e-4) and l < len(acts) - 1 for l, a in enumerate(acts)):
            pass
        _, g = reference.loss_grad(loss, z, y)
        deltas = reference.backward(Ws, acts, g)
        inputs = [x] + acts[:-1]
        h = 1e-6
        params = [(Ws, l) for l in range(len(Ws))] + ([(bs, l) for l in range(len(bs))] if bias else [])
        for arrs, l in params:
            analytic = np.outer(deltas[l], inputs[l]) if arrs is Ws else deltas[l]
            numeric = np.zeros_like(arrs[l])
            for idx in np.ndindex(arrs[l].shape):
                old = arrs[l][idx]
                arrs[l][idx] = old + h
                up = _loss(Ws, bs, x, y, loss)
                arrs[l][idx] = old - h
                down = _loss(Ws, bs, x, y, loss)
                arrs[l][idx] = old
                numeric[idx] = (up - down) / (2 * h)
            np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("z", [-800.0, -40.0, -1e-3, 0.0, 1e-3, 40.0, 800.0])
@pytest.mark.parametrize("y", [-1.0, 1.0])
def test_logistic_loss_is_finite_and_exact_for_any_z(z, y):
    loss, g = reference.loss_grad("logistic", z, y)
    assert np.isfinite(loss) and np.isfinite(g)
    np.testing.assert_allclose(loss, np.logaddexp(0.0, -y * z), rtol=1e-12)
    np.testing.assert_allclose(g, -y / (1.0 + np.exp(np.clip(y * z, -700, 700))), rtol=1e-12, atol=1e-300)


def test_perceptron_rule_and_hinge_kink():
    assert reference.loss_grad("perceptron", 0.0, -1.0) == (1.0, 2.0)  # phi(0) = +1: a mistake
    assert reference.loss_grad("perceptron", 0.0, 1.0) == (0.0, 0.0)
    assert reference.loss_grad("hinge", 1.0, 1.0) == (0.0, 0.0)  # subgradient 0 at the kink
    assert reference.loss_grad("hinge", 0.5, 1.0) == (0.5, -1.0)
