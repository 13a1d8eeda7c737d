"""One model's final evaluation runs its rows in the SIMD lanes (zk_evaluate_rows);
a group evaluates its models in the lanes, one row after another. Both must give
each model the same loss and correct sums, bit for bit (SPEC 4), on every
instruction-set variant; variants of one arithmetic (with FMA, or without) give
each other's bits."""
import numpy as np
import pytest

from conftest import draw_config
from zi_core import _dispatch, engine
from zi_core.reference import LOSS_CODES


def _variants():
    """Every variant built here and runnable on this CPU, the best first."""
    return list(_dispatch.runnable().values())


def _sums(mod, X, y, theta, sizes, bias, loss, start=None, threads=1):
    B = theta.shape[1]
    ls, nc = (np.full(B, -1.5) if start is None else start.copy()), np.zeros(B)
    mod.evaluate(X, y, theta, np.asarray(sizes, np.intp), bias, loss, ls, nc, threads)
    return ls, nc


@pytest.mark.parametrize("block", range(4))
def test_one_model_alone_gets_the_sums_it_gets_in_a_group(block):
    rng = np.random.default_rng(900 + block)
    mods = _variants()
    for _ in range(12):
        spec, X, y, _, _ = draw_config(rng)
        dtype = engine.DTYPES[str(rng.choice(["float64", "float32"]))]
        n = int(rng.choice([1, 2, 15, 16, 17, 33, 100]))
        X = (rng.normal(size=(n, X.shape[1])) * rng.choice([0.1, 1.0, 30.0])).astype(dtype)
        y = (np.where(rng.normal(size=n) > 0, 1.0, -1.0) if spec.task == "classification"
             else rng.normal(size=n)).astype(dtype)
        sizes = spec.sizes(X.shape[1])
        B = int(rng.integers(2, 40))
        theta = (rng.normal(size=(engine.offsets(sizes, spec.bias)[1], B)) * rng.choice([0.0, 0.3, 3.0])).astype(dtype)
        theta[:, 0] = theta[:, 1] if rng.random() < 0.3 else theta[:, 0]  # equal models, equal sums
        loss = LOSS_CODES[spec.rule]
        for mod in mods:
            group_ls, group_nc = _sums(mod, X, y, theta, sizes, spec.bias, loss, threads=2)
            for b in rng.choice(B, size=min(B, 3), replace=False):
                one = np.ascontiguousarray(theta[:, b:b + 1])
                ls, nc = _sums(mod, X, y, one, sizes, spec.bias, loss)
                assert ls.tobytes() == group_ls[b:b + 1].tobytes(), (mod.__name__, spec, n, b)
                assert nc.tobytes() == group_nc[b:b + 1].tobytes()
        # evaluation sums depend on FMA alone: builds with it (avx2, avx512) give each other's bits
        one = np.ascontiguousarray(theta[:, :1])
        for other in mods[1:]:
            if other.FMA == mods[0].FMA:
                got = _sums(other, X, y, one, sizes, spec.bias, loss)[0]
                assert got.tobytes() == _sums(mods[0], X, y, one, sizes, spec.bias, loss)[0].tobytes()


def test_one_model_sums_match_numpy_and_add_to_what_is_there():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(37, 5)), np.where(rng.normal(size=37) > 0, 1.0, -1.0)
    sizes = (5, 6, 3, 1)
    theta = rng.normal(size=(engine.offsets(sizes, True)[1], 1))
    for rule in ("logistic", "hinge", "squared", "perceptron"):
        for mod in _variants():
            ls, nc = _sums(mod, X, y, theta, sizes, True, LOSS_CODES[rule], start=np.array([2.0]))
            z = engine.outputs(theta, X, sizes, True, "numpy")
            want = engine.losses(rule, z, y).sum()
            np.testing.assert_allclose(ls[0] - 2.0, want, rtol=1e-12)
            assert nc[0] == ((z[:, 0] >= 0) == (y > 0)).sum()
