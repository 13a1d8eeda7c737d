"""pytest-benchmark suite: compiled core vs NumPy reference on the BENCH.md workloads.

    PYTHONPATH=. pytest bench/ --benchmark-only

Not collected by the main test suite (pyproject's testpaths = ["tests"]).
Every benchmark stores in ``extra_info``: seconds per epoch (training loop only,
see ``common.timed_train``), GFLOP/s (BENCH.md's flops per sample-update),
sample-updates/s, and the agreement with the reference. The only assertions are
about results (core vs reference), never about wall-clock time.

The reference trains one model at a time in Python and is slow (tens of ms per
epoch of one model), so it runs ``REF_EPOCHS`` epochs (and, for S_mlp, the first
``REF_SEEDS`` seeds); compare per-epoch (per-model-epoch) figures.
"""
import dataclasses
import functools
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import workloads
from common import all_params, rel_diff, timed_train

REF_EPOCHS = 2
REF_SEEDS = 4
CORE_ROUNDS = 5
BIG_EPOCHS = 2  # S_mlp_big: epoch 1 warms up, epoch 2 is the one timed
TOL = {"float64": 1e-10, "float32": 1e-4}

SINGLE = ["W_perc", "W_lin", "W_log", "W_mlp"]
DTYPES = ["float64", "float32"]


def _ref_seeds(name, seeds):
    return seeds[:REF_SEEDS] if name.startswith("S_") else seeds


@functools.lru_cache(maxsize=None)
def reference_run(name, dtype):
    """(params (B, P), seconds per epoch) of the reference on the workload's first epochs."""
    spec, X, y, seeds = workloads.get(name, dtype=dtype, epochs=REF_EPOCHS)
    res, per_epoch, _ = timed_train(spec, X, y, _ref_seeds(name, seeds), backend="numpy")
    return all_params(res), per_epoch


def core_agreement(name, dtype, n_threads=None):
    """Relative difference of the core from the reference after REF_EPOCHS epochs."""
    spec, X, y, seeds = workloads.get(name, dtype=dtype, epochs=REF_EPOCHS)
    res, _, _ = timed_train(spec, X, y, seeds, n_threads=n_threads)
    ref, _ = reference_run(name, dtype)
    return rel_diff(all_params(res)[:ref.shape[0]], ref)


def _info(benchmark, name, per_epoch, n_models, **more):
    spec, X, y, seeds = workloads.get(name)
    flops = workloads.FLOPS[name] * X.shape[0] * n_models
    benchmark.extra_info.update({
        "workload": name, "per_epoch_s": per_epoch, "models": n_models,
        "flops_per_epoch": flops, "gflops": flops / per_epoch / 1e9,
        "sample_updates_per_s": X.shape[0] * n_models / per_epoch,
        "models_per_s": n_models / (per_epoch * spec.epochs), **more})


def _mean_accuracy(acc):
    """Mean final accuracy, or None for regression (every entry NaN)."""
    acc = np.asarray(acc, dtype=np.float64)
    return float(np.nanmean(acc)) if np.isfinite(acc).any() else None


def _bench_core(benchmark, name, dtype, n_threads, rounds=CORE_ROUNDS):
    spec, X, y, seeds = workloads.get(name, dtype=dtype)
    per_epoch = []

    def run():
        res, pe, _ = timed_train(spec, X, y, seeds, n_threads=n_threads)
        per_epoch.append(pe)
        return res

    res = benchmark.pedantic(run, rounds=rounds, iterations=1, warmup_rounds=1)
    agree = core_agreement(name, dtype, n_threads)
    _info(benchmark, name, float(np.median(per_epoch)), len(seeds), dtype=dtype,
          threads=n_threads, backend="cython", rel_diff_vs_reference=agree,
          final_accuracy_mean=_mean_accuracy(res.final_accuracy))
    assert agree <= TOL[dtype], f"core and reference disagree: {agree:.3g} > {TOL[dtype]:g}"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", SINGLE)
def test_core_single(benchmark, name, dtype):
    benchmark.group = f"{name}"
    _bench_core(benchmark, name, dtype, n_threads=None)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", SINGLE + ["S_mlp"])
def test_reference(benchmark, name, dtype):
    benchmark.group = f"{name}"
    per_epoch = []

    def run():
        reference_run.cache_clear()
        params, pe = reference_run(name, dtype)
        per_epoch.append(pe)
        return params

    benchmark.pedantic(run, rounds=1, iterations=1)
    spec, X, y, seeds = workloads.get(name)
    n_ref = len(_ref_seeds(name, seeds))
    pe = float(np.median(per_epoch))
    _info(benchmark, name, pe * len(seeds) / n_ref, len(seeds), dtype=dtype, backend="numpy",
          reference_epochs=REF_EPOCHS, reference_models=n_ref,
          note="per-epoch time of all models extrapolated from the models run")


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", DTYPES)
def test_core_S_mlp(benchmark, dtype, threads):
    benchmark.group = "S_mlp"
    _bench_core(benchmark, "S_mlp", dtype, n_threads=threads, rounds=3)


def _probe(name, epochs, dtype="float64"):
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run([sys.executable, os.path.join(here, "memprobe.py"), name,
                          "--epochs", str(epochs), "--dtype", dtype],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_core_S_mlp_big(benchmark):
    """One timed epoch of 65,536 models, in a fresh process; peak RSS against S_mlp's."""
    benchmark.group = "S_mlp_big"
    small = _probe("S_mlp", BIG_EPOCHS)
    big = benchmark.pedantic(_probe, args=("S_mlp_big", BIG_EPOCHS), rounds=1, iterations=1)
    _info(benchmark, "S_mlp_big", big["per_epoch_s"], big["models"], dtype="float64",
          setup_s=big["setup_s"], rss_peak_mib=big["rss_peak_mib"],
          rss_growth_mib=big["rss_growth_mib"], S_mlp_rss_peak_mib=small["rss_peak_mib"],
          S_mlp_rss_growth_mib=small["rss_growth_mib"],
          peak_rss_ratio_vs_S_mlp=big["rss_peak_mib"] / small["rss_peak_mib"],
          growth_per_model_bytes=big["rss_growth_mib"] * 2**20 / big["models"],
          S_mlp_growth_per_model_bytes=small["rss_growth_mib"] * 2**20 / small["models"])


def test_core_call_sizes(benchmark):
    """S_mlp on 8,000 samples (its data 4 times): kernel calls sized by cost (0.3.1)
    against calls sized by lanes x parameters x samples (0.3.0, ``_BATCH_GAIN = 1``),
    in alternating rounds. The same bits either way."""
    from zi_core import engine
    benchmark.group = "call sizes"
    spec, X, y, seeds = workloads.get("S_mlp")
    spec = dataclasses.replace(spec, epochs=5)
    X, y = np.tile(X, (4, 1)), np.tile(y, 4)
    gain, times = engine._BATCH_GAIN, {1: [], engine._BATCH_GAIN: []}
    out = {}

    def one(g):
        engine._BATCH_GAIN = g
        try:
            res, pe, _ = timed_train(spec, X, y, seeds)
        finally:
            engine._BATCH_GAIN = gain
        times[g].append(pe)
        out[g] = all_params(res)

    def rounds():
        for _ in range(3):
            for g in (1, gain):
                one(g)

    benchmark.pedantic(rounds, rounds=1, iterations=1)
    assert out[1].tobytes() == out[gain].tobytes()
    benchmark.extra_info.update({
        "workload": "S_mlp, n=8000", "per_epoch_s_lanes": min(times[1]),
        "per_epoch_s_cost": min(times[gain]), "speedup": min(times[1]) / min(times[gain])})


@pytest.mark.parametrize("name", ["S_mlp", "W_perc"])
def test_core_variants(benchmark, name):
    """Every runnable vector build (avx512, avx2) on one workload, in alternating
    rounds in one process: which is fastest on this CPU, against the order the
    dispatch prefers (``_dispatch.preferred_order``; AMD Zen 4 puts avx2 first).
    The builds' arithmetic differs in the last bits, so results must agree within
    TOL, and bit for bit between builds of the same ``ARITHMETIC``."""
    from zi_core import _dispatch
    mods = {v: m for v, m in _dispatch.runnable().items() if v != "baseline"}
    if len(mods) < 2:
        pytest.skip("fewer than two vector builds are built and runnable here")
    benchmark.group = "variants"
    spec, X, y, seeds = workloads.get(name, epochs=5)
    times = {v: [] for v in mods}
    out = {}
    saved = _dispatch._module

    def rounds():
        try:
            for _ in range(4):
                for variant, mod in mods.items():
                    _dispatch._module = mod
                    res, pe, _ = timed_train(spec, X, y, seeds)
                    times[variant].append(pe)
                    out[variant] = all_params(res)
        finally:
            _dispatch._module = saved

    benchmark.pedantic(rounds, rounds=1, iterations=1)
    first = next(iter(out))
    for variant in out:
        if mods[variant].ARITHMETIC == mods[first].ARITHMETIC:
            assert out[variant].tobytes() == out[first].tobytes(), variant
        assert rel_diff(out[variant], out[first]) < TOL["float64"], variant
    best = {v: min(t) for v, t in times.items()}
    preferred = next(v for v in _dispatch.preferred_order() if v in mods)
    benchmark.extra_info.update({
        "workload": name, "per_epoch_s": best, "preferred": preferred,
        "fastest": min(best, key=best.get),
        "preferred_over_fastest": best[preferred] / min(best.values())})
