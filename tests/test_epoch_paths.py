"""Whole epochs in one kernel call (train_epochs) give what epoch-by-epoch training gives.

``train_many`` runs several epochs per call of the compiled core when nothing
needs it between epochs (no callback, small enough work), and falls back to
epoch-by-epoch training, which handles divergence, when a loss or parameter
stops being finite. Both paths must give the same bits (SPEC 4).
"""
import dataclasses

import numpy as np
import pytest

from conftest import draw_config
from zi_core import datasets, engine
from zi_core.engine import ModelSpec, train_many


def _same(a, b):
    assert a.flat_params().tobytes() == b.flat_params().tobytes()
    for k in a.history:
        assert a.history[k].tobytes() == b.history[k].tobytes(), k
    for name in ("final_loss", "final_accuracy", "diverged_epoch", "converged"):
        assert getattr(a, name).tobytes() == getattr(b, name).tobytes(), name
    assert a.epochs_run == b.epochs_run


def _epoch_by_epoch(monkeypatch, *args, **kw):
    monkeypatch.setattr(engine, "_EPOCHS_WORK", 0)
    try:
        return train_many(*args, **kw)
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize("block", range(4))
def test_whole_epoch_calls_equal_epoch_by_epoch(monkeypatch, block):
    rng = np.random.default_rng(500 + block)
    for _ in range(15):
        spec, X, y, seeds, sh = draw_config(rng)
        spec = dataclasses.replace(spec, epochs=int(rng.integers(2, 9)),
                                   dtype=str(rng.choice(["float64", "float32"])))
        fast = train_many(spec, X, y, seeds, shuffle_seed=sh)
        _same(fast, _epoch_by_epoch(monkeypatch, spec, X, y, seeds, shuffle_seed=sh))
        # a callback gets every epoch as it ends, from one-epoch calls: the same bits
        seen = []
        _same(fast, train_many(spec, X, y, seeds, shuffle_seed=sh, callback=lambda e, h: seen.append(e)))
        assert seen == list(range(1, spec.epochs + 1))


def test_several_calls_of_several_epochs(monkeypatch):
    rng = np.random.default_rng(9)
    X, y = rng.normal(size=(30, 4)), np.where(rng.normal(size=30) > 0, 1.0, -1.0)
    spec = ModelSpec(hidden=(5,), epochs=11, shuffle=True, lr_schedule="invscaling")
    whole = train_many(spec, X, y, range(7), shuffle_seed=3)
    P = engine.offsets(spec.sizes(4), True)[1]
    monkeypatch.setattr(engine, "_SPAN_WORK", 3 * 30 * P * 7)  # three epochs a call: 3 + 3 + 3 + 2
    _same(whole, train_many(spec, X, y, range(7), shuffle_seed=3))


@pytest.mark.parametrize("on_divergence", ["record", "raise"])
def test_divergence_inside_a_block_is_redone_epoch_by_epoch(monkeypatch, on_divergence):
    X, y = datasets.linear(n_samples=50, n_features=3, data_seed=0)
    y = y * 5
    spec = ModelSpec(model="mlp", hidden=(6,), loss="squared", lr=0.12, epochs=8, task="regression",
                     init="normal(0, 1.0)")
    seeds = list(range(6))  # models 2..5 diverge at epochs 2, 1, 1, 1 (test_robustness_divergence)

    def run(**kw):
        try:
            return train_many(spec, X, y, seeds, on_divergence=on_divergence, **kw)
        except engine.DivergenceError as err:
            return err.result

    fast = run()
    assert fast.diverged.any() and not fast.diverged.all()
    _same(fast, _epoch_by_epoch(monkeypatch, spec, X, y, seeds, on_divergence="record")
          if on_divergence == "record" else _slow_raise(monkeypatch, run))


def _slow_raise(monkeypatch, run):
    monkeypatch.setattr(engine, "_EPOCHS_WORK", 0)
    try:
        return run()
    finally:
        monkeypatch.undo()


def test_train_epochs_checks_its_arguments():
    from zi_core._dispatch import core
    X, y = np.zeros((4, 2)), np.zeros(4)
    theta, lr = np.zeros((3, 2)), np.zeros(2)
    hist = [np.zeros((2, 2)) for _ in range(3)]
    args = (np.array([2, 1], np.intp), True, 1, 1, lr, 0, 0.5, 0)
    with pytest.raises(ValueError, match=r"orders\[1, 0\] = 4 is outside \[0, 4\)"):
        core().train_epochs(X, y, np.array([[0, 1], [4, 0]], np.intp), theta, *args, *hist)
    with pytest.raises(ValueError, match="shape \\(epochs, n_models\\)"):
        core().train_epochs(X, y, np.zeros((1, 4), np.intp), theta, *args, hist[0], hist[1], np.zeros((3, 2)))
    norms = np.empty(2)
    core().update_norms(np.ones((3, 2)), np.zeros((3, 2)), norms)
    np.testing.assert_array_equal(norms, np.sqrt([3.0, 3.0]))


def test_blocks_after_a_divergence_keep_the_frozen_models(monkeypatch):
    """Two epochs a call: the first block is redone epoch by epoch, later ones run whole
    with the diverged models parked (their history stays NaN)."""
    X, y = datasets.linear(n_samples=50, n_features=3, data_seed=0)
    spec = ModelSpec(model="mlp", hidden=(6,), loss="squared", lr=0.12, epochs=7, task="regression",
                     init="normal(0, 1.0)")
    slow = _epoch_by_epoch(monkeypatch, spec, X, y * 5, range(6))
    P = engine.offsets(spec.sizes(3), True)[1]
    monkeypatch.setattr(engine, "_SPAN_WORK", 2 * 50 * P * 6)
    fast = train_many(spec, X, y * 5, range(6))
    assert list(fast.diverged_epoch) == [-1, -1, 2, 1, 1, 1]
    assert np.isnan(fast.history["loss"][2:, 2:]).all() and np.isfinite(fast.history["loss"][:2]).all()
    _same(fast, slow)


def test_many_parameters_train_epoch_by_epoch(monkeypatch):
    """Above _SNAPSHOT_MAX parameters (a copy of all of them would be kept) the
    engine trains epoch by epoch: the same bits, and train_epochs is not called."""
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(20, 3)), np.where(rng.normal(size=20) > 0, 1.0, -1.0)
    spec = ModelSpec(hidden=(4,), epochs=4)
    fast = train_many(spec, X, y, range(9))
    monkeypatch.setattr(engine, "_SNAPSHOT_MAX", 9 * engine.offsets(spec.sizes(3), True)[1] - 1)
    calls = _counting_core(monkeypatch)
    _same(fast, train_many(spec, X, y, range(9)))
    assert "train_epochs" not in calls, "whole-epoch calls above the snapshot cap"


def _counting_core(monkeypatch):
    """Replace the engine's compiled core by a proxy that counts the calls of each kernel."""
    from zi_core._dispatch import core
    real, calls = core(), {}

    class Counting:
        def __getattr__(self, name):
            fn = getattr(real, name)
            if not callable(fn):
                return fn

            def counted(*args, **kw):
                calls[name] = calls.get(name, 0) + 1
                return fn(*args, **kw)
            return counted
    monkeypatch.setattr(engine, "core", lambda: Counting())
    return calls


@pytest.mark.parametrize("n_models, whole", [(1, False), (64, True)])
def test_calls_are_sized_by_cost_not_lanes(monkeypatch, n_models, whole):
    """Models in SIMD lanes cost ~1/8 of one model a lane: an epoch whose lanes x
    parameters x samples is 4x the whole-epoch threshold still runs in whole-epoch
    calls when it is a batch (one call for all epochs), and in chunks of a quarter
    of it for one model; the bits are those of the other path."""
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(40, 3)), np.where(rng.normal(size=40) > 0, 1.0, -1.0)
    spec = ModelSpec(hidden=(4,), epochs=3)
    P = engine.offsets(spec.sizes(3), True)[1]
    epoch = 40 * P * n_models
    monkeypatch.setattr(engine, "_EPOCHS_WORK", epoch // 4)
    monkeypatch.setattr(engine, "_SPAN_WORK", 3 * epoch)  # the span counts lanes, not cost
    monkeypatch.setattr(engine, "_CHUNK_WORK", epoch // 4)
    calls = _counting_core(monkeypatch)
    got = train_many(spec, X, y, range(n_models))
    if whole:
        assert calls.get("train_epochs") == 1 and "train_chunk" not in calls, calls
    else:  # chunks of 16 samples (the loss blocks), 3 of them an epoch
        assert calls.get("train_chunk") == 3 * 3 and "train_epochs" not in calls, calls
    monkeypatch.undo()
    _same(got, _epoch_by_epoch(monkeypatch, spec, X, y, range(n_models)))
