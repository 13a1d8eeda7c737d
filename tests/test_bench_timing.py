"""bench/common.timed_train: seconds per epoch are never negative or zero."""
import dataclasses
import importlib.util
import os
import time

import pytest

COMMON = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench", "common.py")


@pytest.fixture
def common():
    spec = importlib.util.spec_from_file_location("zi_bench_common", COMMON)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@dataclasses.dataclass(frozen=True)
class _Spec:
    epochs: int


def _fake_train(delays):
    """train_many that sleeps delays[epochs] and records its calls."""
    calls = []

    def train(spec, X, y, seeds, **kw):
        calls.append(spec.epochs)
        time.sleep(delays[spec.epochs])
        return "result"
    return train, calls


def test_per_epoch_is_the_difference_when_the_whole_run_is_longer(common, monkeypatch):
    train, calls = _fake_train({5: 0.05, 1: 0.01})
    monkeypatch.setattr(common, "train_many", train)
    res, per_epoch, total = common.timed_train(_Spec(5), None, None, [0])
    assert res == "result" and calls == [5, 1, 1, 1]
    assert 0 < per_epoch < total / 4
    assert per_epoch == pytest.approx((0.05 - 0.01) / 4, abs=0.01)


def test_noise_that_makes_the_one_epoch_run_longer_gives_the_mean_epoch(common, monkeypatch):
    # W_perc once measured a negative time per epoch this way (compare.py: -13.4x JAX)
    train, calls = _fake_train({5: 0.0, 1: 0.02})
    monkeypatch.setattr(common, "train_many", train)
    res, per_epoch, total = common.timed_train(_Spec(5), None, None, [0])
    assert calls == [5, 1, 1, 1]                 # the fastest 1-epoch run, then the fallback
    assert per_epoch == pytest.approx(total / 5) and per_epoch > 0


def test_a_one_epoch_run_slowed_by_noise_does_not_shrink_the_epoch(common, monkeypatch):
    # W_lin once came out at half its time (2.76x JAX): its one-epoch run had
    # been slowed, so T(all) - T(1) was too small
    delays = iter([0.05, 0.03, 0.01, 0.01])  # the whole run, then three 1-epoch runs
    monkeypatch.setattr(common, "train_many", lambda spec, *a, **kw: time.sleep(next(delays)))
    _, per_epoch, _ = common.timed_train(_Spec(5), None, None, [0])
    assert per_epoch == pytest.approx((0.05 - 0.01) / 4, abs=0.004)
