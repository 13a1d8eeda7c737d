"""How a BatchResult holds its parameters: the final ones as views of one buffer,
the initial ones drawn again from the seeds on first access for big batches.

Neither may change a bit of what the result reports (SPEC 4).
"""
import dataclasses
import pickle

import numpy as np
import pytest

from conftest import draw_config
from zi_core import engine, init
from zi_core.engine import ModelSpec, train_many


def _initial(res):
    return [W.copy() for W in res.initial_weights], \
        None if res.initial_biases is None else [b.copy() for b in res.initial_biases]


def _assert_same(a, b):
    (Wa, ba), (Wb, bb) = a, b
    assert [W.tobytes() for W in Wa] == [W.tobytes() for W in Wb]
    assert (ba is None) == (bb is None)
    if ba is not None:
        assert [v.tobytes() for v in ba] == [v.tobytes() for v in bb]


@pytest.mark.parametrize("block", range(3))
def test_regenerated_initial_parameters_are_the_kept_ones(monkeypatch, block):
    rng = np.random.default_rng(70 + block)
    for _ in range(8):
        spec, X, y, seeds, sh = draw_config(rng)
        spec = dataclasses.replace(spec, dtype=str(rng.choice(["float64", "float32"])))
        seeds = [int(s) for s in rng.integers(0, 2**40, size=int(rng.integers(1, 150)))]
        kept = train_many(spec, X, y, seeds, shuffle_seed=sh)
        assert not isinstance(kept._initial, engine._Regenerate)
        monkeypatch.setattr(engine, "_REGENERATE_MIN", 0)
        if rng.random() < 0.5:
            monkeypatch.setattr(engine, "_CHUNK_WORK", 1000)  # several groups
        lazy = train_many(spec, X, y, seeds, shuffle_seed=sh)
        assert isinstance(lazy._initial, engine._Regenerate)
        # the spec the run was given may change afterwards: the result keeps its own
        object.__setattr__(spec, "init", "zeros")
        _assert_same(_initial(lazy), _initial(kept))
        assert lazy.initial_weights[0].dtype == kept.initial_weights[0].dtype
        assert lazy.flat_params().tobytes() == kept.flat_params().tobytes()
        monkeypatch.undo()


def test_user_initializers_keep_their_values(monkeypatch):
    """A user's object could draw differently a second time: its values are kept."""
    monkeypatch.setattr(engine, "_REGENERATE_MIN", 0)
    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.ones(20)
    calls = []

    def mine(shape, rng):
        calls.append(shape)
        return rng.normal(size=shape) + len(calls)

    for spec in (ModelSpec(hidden=(4,), init=mine), ModelSpec(hidden=(4,), init=init.get("normal(0, 0.3)")),
                 ModelSpec(hidden=(4,), init=["he_normal", init.get("zeros")])):
        res = train_many(spec, X, y, range(3))
        assert not isinstance(res._initial, engine._Regenerate)
        drawn = len(calls)
        first = res.initial_weights[0].copy()
        assert len(calls) == drawn and np.array_equal(res.initial_weights[0], first)
    assert len(calls) == 6  # two layers of three seeds, drawn once
    res = train_many(ModelSpec(hidden=(4,), init=["he_normal", "zeros"]), X, y, range(3))
    assert isinstance(res._initial, engine._Regenerate)


def test_a_result_pickles_before_and_after_drawing_its_initial_parameters(monkeypatch):
    monkeypatch.setattr(engine, "_REGENERATE_MIN", 0)
    X, y = np.random.default_rng(1).normal(size=(30, 4)), np.ones(30)
    res = train_many(ModelSpec(hidden=(5,), epochs=2), X, y, range(6))
    back = pickle.loads(pickle.dumps(res))
    _assert_same(_initial(back), _initial(res))
    again = pickle.loads(pickle.dumps(res))  # now holding the arrays
    assert not isinstance(again._initial, engine._Regenerate)
    _assert_same(_initial(again), _initial(res))
    assert back.flat_params().tobytes() == res.flat_params().tobytes()


def test_final_parameters_share_one_buffer_in_model_order():
    """weights[l][b] and biases[l][b] are views of row b of one (B, P) array, laid out as
    flat_params: the result holds a single copy of the parameters."""
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(25, 3)), np.where(rng.normal(size=25) > 0, 1.0, -1.0)
    res = train_many(ModelSpec(hidden=(4, 2), epochs=2), X, y, range(70))
    base = res.weights[0].base
    while base.base is not None:
        base = base.base
    arrays = res.weights + res.biases
    assert all(np.shares_memory(a, base) for a in arrays)
    assert base.size == sum(a.size for a in arrays)
    np.testing.assert_array_equal(base.reshape(len(res), -1), res.flat_params())
    # each model's parameters are one contiguous row
    assert res.weights[0][3].base is not None and res.weights[0].strides[0] == base.itemsize * base.size // len(res)
