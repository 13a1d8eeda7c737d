"""Timing and agreement helpers shared by test_bench.py and compare.py."""
import dataclasses
import platform
import subprocess
import time

import numpy as np

from zi_core.engine import train_many


class EpochClock:
    """``train_many`` callback recording when each epoch ends."""

    def __init__(self):
        self.stamps = []

    def __call__(self, epoch, history):
        self.stamps.append(time.perf_counter())


def timed_train(spec, X, y, seeds, backend="cython", n_threads=None):
    """(result, seconds per epoch, end-to-end seconds) of ``train_many`` as a user calls it.

    No callback (with one, the engine trains one epoch per kernel call, to
    call it as each epoch ends), so the time is that of ``fit``. Seconds per
    epoch excludes the setup (initial parameters, final evaluation) as
    (T(all epochs) - T(1 epoch)) / (epochs - 1), T(1 epoch) the fastest of three
    one-epoch runs: a one-epoch run slowed by the neighbours would make the
    difference too small (W_lin once came out at half its time, 2.76x JAX). If
    even the fastest takes longer than the whole run, T(all) / epochs.
    """
    t0 = time.perf_counter()
    res = train_many(spec, X, y, seeds, backend=backend, n_threads=n_threads)
    total = time.perf_counter() - t0
    if spec.epochs < 2:
        return res, total, total
    one = dataclasses.replace(spec, epochs=1)
    t_one = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        train_many(one, X, y, seeds, backend=backend, n_threads=n_threads)
        t_one = min(t_one, time.perf_counter() - t0)
    if total > t_one:
        return res, (total - t_one) / (spec.epochs - 1), total
    # the neighbours' load made every 1-epoch run longer than the whole run
    # (seen for W_perc, whose epochs are short beside the setup): the whole
    # run's mean epoch, setup included, an upper bound, never a negative time
    return res, total / spec.epochs, total


def timed_train_detail(spec, X, y, seeds, backend="cython", n_threads=None):
    """Run ``train_many`` once; return (result, seconds per epoch, end-to-end seconds).

    Seconds per epoch is measured between the ends of epoch 1 and of the last
    epoch, so it holds the training loop only (the engine's per-epoch
    bookkeeping included) and not the setup: drawing the initial parameters of
    every seed before epoch 1 and evaluating the final weights after the last.
    With a single epoch it falls back to the end-to-end time. The fourth value
    is a dict: ``before_s`` (call start to the end of epoch 1, less one epoch:
    the initial parameters) and ``after_s`` (end of the last epoch to the
    return: the final evaluation).
    """
    clock = EpochClock()
    t0 = time.perf_counter()
    res = train_many(spec, X, y, seeds, backend=backend, n_threads=n_threads, callback=clock)
    total = time.perf_counter() - t0
    s = clock.stamps
    per_epoch = (s[-1] - s[0]) / (len(s) - 1) if len(s) > 1 else total
    detail = {"before_s": s[0] - t0 - per_epoch, "after_s": t0 + total - s[-1]}
    return res, per_epoch, total, detail


def flat_params(res, b=0):
    """All parameters of model b of a BatchResult as one float64 vector (W_l, b_l per layer)."""
    parts = []
    for l, W in enumerate(res.weights):
        parts.append(np.asarray(W[b], dtype=np.float64).ravel())
        if res.biases is not None:
            parts.append(np.asarray(res.biases[l][b], dtype=np.float64).ravel())
    return np.concatenate(parts)


def all_params(res):
    """(B, P) float64 matrix of every model's parameters in ``flat_params`` order."""
    return np.stack([flat_params(res, b) for b in range(len(res))])


def rel_diff(a, b):
    """max over models of ||a - b|| / ||b|| (rows are models; 1-D means one model)."""
    a = np.atleast_2d(np.asarray(a, dtype=np.float64))
    b = np.atleast_2d(np.asarray(b, dtype=np.float64))
    num = np.linalg.norm(a - b, axis=1)
    den = np.maximum(np.linalg.norm(b, axis=1), np.finfo(np.float64).tiny)
    return float(np.max(num / den))


def median_of(fn, repeats):
    """Call fn() ``repeats`` times; return (median of its first return value, last full return)."""
    vals, last = [], None
    for _ in range(repeats):
        last = fn()
        vals.append(last[0] if isinstance(last, tuple) else last)
    return float(np.median(vals)), last


def proc_status(field):
    """A field of /proc/self/status in MiB (VmRSS: now; VmHWM: this process image's
    peak since exec or a reset; Linux's ru_maxrss, unlike it, keeps a parent's peak
    across fork/exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def cpu_description():
    """The CPU's model name, family and model number (the machines are shared and vary)."""
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        fam = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in fam.splitlines():
            if line.startswith("CPU family") or line.startswith("Model:"):
                cpu += f", {line.split(':', 1)[0].strip().lower()} {line.split(':', 1)[1].strip()}"
    except OSError:
        pass
    return cpu
