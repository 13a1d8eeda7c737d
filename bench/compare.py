"""Time every BENCH.md workload for zi-core, its NumPy reference and every installed peer.

    PYTHONPATH=. python bench/compare.py            # full run, rewrites bench/README.md
    PYTHONPATH=. python bench/compare.py --quick    # fewer repeats, no S_mlp_big
    PYTHONPATH=. python bench/compare.py --only W_mlp,S_mlp --out /tmp/r.md

In one process and one run, on the same data (bench/workloads.py):

* the NumPy reference (``backend="numpy"``, one model at a time, a few epochs),
* zi-core: single model and batched over seeds, 1 thread and all threads,
  float64 and float32,
* scikit-learn (Perceptron, SGDRegressor, SGDClassifier, MLPClassifier),
  PyTorch CPU (per-sample loop; batched einsum for S_mlp), JAX (``jit(scan)``;
  ``jit(vmap(scan))`` for S_mlp, compile time apart) -- each skipped with a note
  when not installed,

checks that peers running the same math agree with zi-core, measures the
float64/float32 FLOP peak of one core with a register-resident FMA loop
(``bench/fma_peak.c``, compiled at run time; NumPy dgemm as a lower bound when
no compiler is there), and writes the tables between the result markers of
``bench/README.md``.

Time per epoch is the median over repeats. For zi-core it is measured between
the ends of epoch 1 and of the last epoch (the setup -- drawing each seed's
initial weights, the final evaluation -- is reported apart); peers are timed
over their whole fit (sklearn, JAX: all epochs; slow Python loops: 2 epochs)
and divided by the number of epochs.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
try:
    import zi_core  # noqa: F401
except ImportError:  # source tree built in place
    sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402

from zi_core import _dispatch, _info  # noqa: E402
from zi_core import engine  # noqa: E402

import workloads  # noqa: E402
from common import all_params, cpu_description, rel_diff, timed_train  # noqa: E402

MARK_BEGIN = "<!-- compare.py results: begin -->"
MARK_END = "<!-- compare.py results: end -->"
# Alternating rounds: at least H2H_ROUNDS, then more while they fit in
# H2H_SECONDS (at most H2H_MAX): the neighbours' load comes in bursts of
# minutes, and more rounds give both sides the same better chance of a quiet one.
H2H_ROUNDS = 7
H2H_SECONDS = 15.0
H2H_MAX = 41
SLOW_EPOCHS = 2       # epochs run by the slow per-sample Python loops
REF_SEEDS = 4         # S_mlp reference: models run (one after another), then x 256 / 4
ALL = engine.default_threads()


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def median_time(fn, repeats):
    """Median of fn()'s first return value (seconds) over repeats; and fn's last return."""
    vals, last = [], None
    for _ in range(repeats):
        last = fn()
        vals.append(last[0])
    return float(np.median(vals)), last


# ---------------------------------------------------------------------- peak

def measure_peak():
    """Per-core float64/float32 GFLOP/s peak, and how it was measured."""
    src = os.path.join(HERE, "fma_peak.c")
    cc = shutil.which("gcc") or shutil.which("cc")
    out = {"method": None}
    if cc:
        with tempfile.TemporaryDirectory() as tmp:
            exe = os.path.join(tmp, "fma_peak")
            # the widest FMA the CPU has: % of peak is against the machine's peak, not
            # the peak of the instruction set zi-core's kernel happens to use
            isa = ["-mavx512f"] if "avx512f" in _dispatch._cpu_flags() else []
            name = "AVX-512" if isa else "AVX2"
            try:
                subprocess.run([cc, "-O2", "-mavx2", "-mfma", *isa, "-fopenmp", src, "-o", exe],
                               check=True, capture_output=True)
                runs = {}
                for t in sorted({1, ALL}):
                    env = dict(os.environ, OMP_NUM_THREADS=str(t), OMP_PROC_BIND="spread")
                    r = subprocess.run([exe, "100000000"], check=True, capture_output=True,
                                       text=True, env=env).stdout.split()
                    runs[t] = (int(r[0]), float(r[1]), float(r[2]))
                out.update(method=f"register-resident {name} FMA loop (bench/fma_peak.c, "
                                  f"gcc -O2 {' '.join(['-mavx2', '-mfma', *isa])}), best of 5",
                           f64_core=runs[1][1], f32_core=runs[1][2],
                           f64_all_measured=runs[max(runs)][1], f32_all_measured=runs[max(runs)][2],
                           threads_all=runs[max(runs)][0])
            except (subprocess.CalledProcessError, OSError, ValueError, IndexError) as exc:
                log(f"FMA peak loop failed ({exc}); falling back to dgemm")
    if out["method"] is None:
        n = 2048
        a = np.random.default_rng(0).standard_normal((n, n))
        best = 0.0
        for _ in range(3):
            t0 = time.perf_counter()
            a @ a
            best = max(best, 2 * n ** 3 / (time.perf_counter() - t0) / 1e9)
        out.update(method="NumPy dgemm 2048^2 (a lower bound of the peak, all threads)",
                   f64_core=best / ALL, f32_core=2 * best / ALL, f64_all_measured=best,
                   f32_all_measured=2 * best, threads_all=ALL)
    return out


# BENCH.md's float64 peak of this machine kind (GFLOP/s a core, same FMA loop).
BENCH_PEAK_F64 = 51.0


def settle_peak(first, second):
    """The peak used for % of peak: the higher of the measurements at the start and
    at the end of the run, and never below BENCH.md's figure for this machine kind.

    Other tenants' load only ever lowers a measured peak, and a low peak inflates
    every % of peak (one run measured 28 GFLOP/s a core and put S_mlp at 70%)."""
    out = dict(first)
    for k in ("f64_core", "f32_core", "f64_all_measured", "f32_all_measured"):
        out[k] = max(first[k], second[k])
    out["f64_measured"], out["f32_measured"] = out["f64_core"], out["f32_core"]
    if out["f64_core"] < BENCH_PEAK_F64:
        out["f32_core"] *= BENCH_PEAK_F64 / out["f64_core"]
        out["f64_core"] = BENCH_PEAK_F64
    return out


def peak_for(peak, dtype, cores):
    """Peak of ``cores`` cores: per-core figure times cores (the physical limit;
    the measured all-core figure is printed too, it drops when a neighbour is busy)."""
    return peak["f64_core" if dtype == "float64" else "f32_core"] * cores


# --------------------------------------------------------------- zi-core, reference

class Row(dict):
    """One measured implementation of one workload."""


def zi_rows(name, repeats, ref_epochs=SLOW_EPOCHS):
    """Reference and zi-core rows of workload ``name``, plus the results they produced."""
    spec, X, y, seeds = workloads.get(name)
    B = len(seeds)
    rows, results = [], {}

    # the NumPy reference, one model at a time, ref_epochs epochs (S_mlp: REF_SEEDS models)
    ref_seeds = seeds[:REF_SEEDS] if B > 1 else seeds
    rspec = workloads.with_epochs(spec, ref_epochs)

    def ref():
        res, pe, _ = timed_train(rspec, X, y, ref_seeds, backend="numpy")
        return pe * B / len(ref_seeds), res
    t_ref, (_, ref_res) = median_time(ref, max(1, min(repeats, 3)))
    results["reference"] = ref_res
    core2, _, _ = timed_train(rspec, X, y, seeds)  # core after the reference's epochs
    results["core_short"] = core2
    agree = rel_diff(all_params(core2)[:len(ref_seeds)], all_params(ref_res))
    rows.append(Row(impl="NumPy reference (zi-core `backend=\"numpy\"`, one model at a time)",
                    key="reference", t=t_ref, dtype="float64", cores=1,
                    agree=agree, agree_note=f"{ref_epochs} epochs" + (
                        f", {len(ref_seeds)} of {B} models; time x{B // len(ref_seeds)}" if B > 1 else ""),
                    note=f"{ref_epochs} epochs timed"))

    # zi-core variants
    variants = [("float64", 1), ("float64", None), ("float32", 1), ("float32", None)]
    for dtype, threads in variants:
        dspec = workloads.with_dtype(spec, dtype)
        reps = repeats if B == 1 else max(3, repeats - 2)

        setups = []

        def run():
            res, pe, total = timed_train(dspec, X, y, seeds, n_threads=threads)
            setups.append(total - pe * spec.epochs)
            return pe, res
        t, (_, res) = median_time(run, reps)
        setup = float(np.median(setups))
        results[(dtype, threads)] = res
        nthr = 1 if threads == 1 else ALL
        label = f"zi-core {'batched' if B > 1 else 'single'}, {dtype}, {nthr} thread{'s' if nthr > 1 else ''}"
        rows.append(Row(impl=label, key=f"zi_{dtype}_{nthr}", t=t, dtype=dtype, cores=min(nthr, max(B, 1)),
                        setup=setup, zi=True, threads=nthr))
    row = kernel_only_row(spec, X, y, seeds, repeats, results[("float64", None)])
    if row is not None:
        rows.append(row)
    base = all_params(results[("float64", None)])
    for r in rows:
        if r.get("zi"):
            res = results[(r["dtype"], None if r["threads"] > 1 else 1)]
            r["agree"] = rel_diff(all_params(res), base)
            r["agree_note"] = ("20 epochs, vs float64 all threads" if r["dtype"] == "float64" else
                               "20 epochs, float32 vs float64: not the same arithmetic")
    return rows, results


def _rounds(one_round):
    """Call one_round(i) for i = 0, 1, ...: at least H2H_ROUNDS times, then while one
    more still fits in H2H_SECONDS (at most H2H_MAX); returns the count."""
    t0, i = time.perf_counter(), 0
    while i < H2H_ROUNDS or (i < H2H_MAX and (time.perf_counter() - t0) * (i + 1) / i <= H2H_SECONDS):
        one_round(i)
        i += 1
    return i


def thread_scaling(name="S_mlp", epochs=None):
    """Time of whole ``train_many`` runs with 1 thread and with all (float64), and
    with all in float32, alternating.

    The cores are shared with other tenants, whose load comes and goes; runs
    that alternate see the same conditions, and the best of each side is the
    least disturbed (noise only ever adds time). Whole runs (setup included,
    so the ratio errs low), not differences of runs, which noise can bend
    either way. Returns each side's times per epoch.
    """
    spec, X, y, seeds = workloads.get(name, epochs=epochs)  # default: the workload's 20 epochs
    spec32, X32, y32, _ = workloads.get(name, dtype="float32", epochs=epochs)
    epochs = spec.epochs
    runs = {"one": (spec, X, y, 1), "all": (spec, X, y, ALL), "f32": (spec32, X32, y32, ALL)}
    times = {k: [] for k in runs}

    def pair(i):
        for k in (list(runs) if i % 2 == 0 else list(runs)[::-1]):
            sp, XX, yy, nt = runs[k]
            t0 = time.perf_counter()
            engine.train_many(sp, XX, yy, seeds, n_threads=nt)
            times[k].append((time.perf_counter() - t0) / epochs)
    pairs = _rounds(pair)
    return dict(times, pairs=pairs, epochs=epochs)


def _kernel_epochs(spec, X, y, theta, epochs, n_threads):
    """Run the compiled kernel directly, one call per epoch (no engine bookkeeping)."""
    from zi_core._dispatch import core
    from zi_core.reference import LOSS_CODES, SCHEDULE_CODES
    dtype = engine.DTYPES[spec.dtype]
    X = np.ascontiguousarray(X, dtype=dtype)
    y = np.ascontiguousarray(y, dtype=dtype)
    B = theta.shape[1]
    order = np.arange(X.shape[0], dtype=np.intp)
    lr = np.full(B, spec.lr, dtype=dtype)
    sizes = np.asarray(spec.sizes(X.shape[1]), np.intp)
    loss_sum, n_correct = np.zeros(B), np.zeros(B)
    t = 0
    t0 = time.perf_counter()
    for _ in range(epochs):
        t += core().train_chunk(X, y, order, theta, sizes, spec.bias, LOSS_CODES[spec.rule],
                                spec.batch_size, lr, SCHEDULE_CODES[spec.lr_schedule],
                                float(spec.power_t), t, loss_sum, n_correct, n_threads)
    return (time.perf_counter() - t0) / epochs


def kernel_only_row(spec, X, y, seeds, repeats, engine_res):
    """Diagnostic: the kernel alone over whole epochs, float64, all threads.

    The difference from the engine's row is what ``train_many`` adds per epoch
    (history, divergence checks, chunking). Uses the kernel's internal entry
    point, so a changed signature skips the row."""
    try:
        theta0 = engine.initial_theta(spec, X.shape[1], seeds)

        def run():
            theta = theta0.copy()
            return _kernel_epochs(spec, X, y, theta, spec.epochs, ALL), theta
        t, (_, theta) = median_time(run, repeats if len(seeds) == 1 else 3)
    except Exception as exc:  # noqa: BLE001 - internal API in flux: report, don't fail
        log(f"kernel-only row skipped: {exc!r}")
        return None
    ref = all_params(engine_res)
    Ws, bs = engine.unpack(theta, spec.sizes(X.shape[1]), spec.bias)
    mine = np.stack([np.concatenate([np.concatenate([W[b].ravel(), v[b].ravel()]) for W, v in zip(Ws, bs)])
                     for b in range(theta.shape[1])])
    return Row(impl="zi-core kernel alone (`train_chunk`, one call per epoch; diagnostic)", key="kernel",
               t=t, dtype="float64", cores=min(ALL, len(seeds)), agree=rel_diff(mine, ref),
               agree_note="20 epochs, vs train_many", note="internal entry point, not the public API")


def kernel_big_epoch(n_models=65_536):
    """One epoch of n_models MLPs through the kernel in a single call (random weights)."""
    spec, X, y, _ = workloads.get("S_mlp_big")
    P = engine.offsets(spec.sizes(X.shape[1]), spec.bias)[1]
    theta = np.random.default_rng(0).normal(0.0, 0.1, size=(P, n_models))
    try:
        return _kernel_epochs(spec, X, y, theta, 1, ALL)
    except Exception as exc:  # noqa: BLE001
        log(f"kernel-only S_mlp_big skipped: {exc!r}")
        return None


# ---------------------------------------------------------------------- peers

def sklearn_row(name, repeats, zi_full):
    zi_params = all_params(zi_full)[0]
    try:
        import sklearn
        from sklearn import linear_model, neural_network
    except ImportError:
        return None, "scikit-learn not installed"
    spec, X, y, seeds = workloads.get(name)
    E = spec.epochs
    common = dict(penalty=None, alpha=0.0, fit_intercept=True, max_iter=E, tol=None,
                  shuffle=False, early_stopping=False, random_state=0)
    if name == "W_perc":
        make = lambda: linear_model.Perceptron(eta0=2 * spec.lr, **common)  # noqa: E731
        label = "scikit-learn Perceptron (eta0 = 2 eta)"
        note = ("sklearn updates when y z <= 0 (zi-core/Rosenblatt: yhat = +1 when z >= 0), so the "
                "two differ from the first sample on (zero init gives z = 0): agreement not expected")
    elif name == "W_lin":
        make = lambda: linear_model.SGDRegressor(loss="squared_error", learning_rate="constant",  # noqa: E731
                                                 eta0=spec.lr, average=False, **common)
        label, note = "scikit-learn SGDRegressor", ""
    elif name == "W_log":
        make = lambda: linear_model.SGDClassifier(loss="log_loss", learning_rate="constant",  # noqa: E731
                                                  eta0=spec.lr, average=False, **common)
        label, note = "scikit-learn SGDClassifier(log_loss)", ""
    elif name == "W_mlp":
        return _sk_mlp(spec, X, y, seeds, repeats, zi_params, neural_network)
    else:
        return None, None
    def run():
        m = make()
        t0 = time.perf_counter()
        m.fit(X, y)
        return (time.perf_counter() - t0) / E, m
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter reached, as asked
        t, (_, m) = median_time(run, repeats)
    params = np.concatenate([m.coef_.ravel(), np.atleast_1d(m.intercept_)])
    row = Row(impl=label, key="sklearn", t=t, dtype="float64", cores=1, peer="scikit-learn",
              agree=rel_diff(params, zi_params), agree_note="20 epochs", note=note,
              version=sklearn.__version__)
    if name == "W_perc":
        row["note"] += (f"; training accuracy after 20 epochs: scikit-learn {m.score(X, y):.4f}, "
                        f"zi-core {float(zi_full.final_accuracy[0]):.4f}")
    return row, None


def _sk_mlp(spec, X, y, seeds, repeats, zi_params, neural_network):
    import sklearn
    E = spec.epochs
    theta0 = engine.initial_theta(spec, X.shape[1], seeds)
    Ws, bs = engine.unpack(theta0, spec.sizes(X.shape[1]), spec.bias)
    def run():
        m = neural_network.MLPClassifier(
            hidden_layer_sizes=tuple(spec.hidden), activation="relu", solver="sgd", alpha=0.0,
            batch_size=1, learning_rate="constant", learning_rate_init=spec.lr, momentum=0.0,
            nesterovs_momentum=False, max_iter=1, shuffle=False, early_stopping=False,
            tol=0.0, n_iter_no_change=10 ** 9, random_state=0, warm_start=True)
        # allocate with one pass over a few samples, then start from zi-core's initial weights
        k = int(np.flatnonzero(y != y[0])[0]) + 1
        m.fit(X[:k], y[:k])
        m.coefs_ = [np.array(W[0].T, order="C") for W in Ws]  # copies: sklearn updates in place
        m.intercepts_ = [np.array(b[0]) for b in bs]
        m.set_params(max_iter=E)
        t0 = time.perf_counter()
        m.fit(X, y)
        return (time.perf_counter() - t0) / E, m
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, (_, m) = median_time(run, max(1, min(repeats, 3)))
    params = np.concatenate([np.concatenate([W.T.ravel(), b]) for W, b in zip(m.coefs_, m.intercepts_)])
    return Row(impl="scikit-learn MLPClassifier (sgd, batch 1)", key="sklearn", t=t, dtype="float64",
               cores=1, peer="scikit-learn", agree=rel_diff(params, zi_params),
               agree_note="20 epochs, same initial weights", note=f"{m.n_iter_} epochs run",
               version=sklearn.__version__), None


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def torch_loop_row(name, repeats, zi_short):
    """PyTorch per-sample loop (no autograd: the update written out, as in zi-core)."""
    torch = _torch()
    if torch is None:
        return None, "PyTorch not installed"
    spec, X, y, seeds = workloads.get(name)
    Xt = torch.from_numpy(np.array(X))
    yt = torch.from_numpy(np.array(y))
    eta = spec.lr
    rule = spec.rule
    theta0 = engine.initial_theta(spec, X.shape[1], seeds[:1])
    Ws, bs = engine.unpack(theta0, spec.sizes(X.shape[1]), spec.bias)

    def grad(z, yy):
        if rule == "perceptron":
            return torch.where(z >= 0, 1.0, -1.0).to(z.dtype) - yy
        if rule == "squared":
            return z - yy
        m = yy * z
        e = torch.exp(-torch.abs(m))
        return torch.where(m > 0, -yy * e / (1 + e), -yy / (1 + e))

    def run():
        with torch.no_grad():
            P = [torch.from_numpy(np.array(W[0])) for W in Ws] + [torch.from_numpy(np.array(b[0])) for b in bs]
            t0 = time.perf_counter()
            if spec.model != "mlp":
                w, b = P[0][0], P[1]
                for _ in range(SLOW_EPOCHS):
                    for i in range(Xt.shape[0]):
                        x = Xt[i]
                        z = b[0] + torch.dot(w, x)
                        g = grad(z, yt[i])
                        s = eta * g
                        w.sub_(s * x)
                        b.sub_(s)
                out = [w, b]
            else:
                W1, W2, b1, b2 = P[0], P[1][0], P[2], P[3]
                for _ in range(SLOW_EPOCHS):
                    for i in range(Xt.shape[0]):
                        x = Xt[i]
                        h = torch.relu(b1 + W1 @ x)
                        z = b2[0] + torch.dot(W2, h)
                        g = grad(z, yt[i])
                        d1 = W2 * g * (h > 0)
                        s2 = eta * g
                        W2.sub_(s2 * h)
                        b2.sub_(s2)
                        s1 = eta * d1
                        W1.sub_(torch.outer(s1, x))
                        b1.sub_(s1)
                out = [W1, b1, W2, b2]
            dt = (time.perf_counter() - t0) / SLOW_EPOCHS
        return dt, np.concatenate([o.numpy().ravel() for o in out])
    t, (_, params) = median_time(run, max(1, min(repeats, 3)))
    return Row(impl="PyTorch CPU per-sample loop", key="torch", t=t, dtype="float64", cores=1,
               peer="PyTorch", agree=rel_diff(params, all_params(zi_short)[0]),
               agree_note=f"{SLOW_EPOCHS} epochs", note=f"{SLOW_EPOCHS} epochs timed",
               version=torch.__version__), None


def _batched_mlp_epochs(xp, einsum, W1, b1, W2, b2, X, y, eta, epochs, relu, sub):
    """Per-sample SGD of B MLPs at once (parameters with the model index first)."""
    for _ in range(epochs):
        for i in range(X.shape[0]):
            x, yy = X[i], y[i]
            h = relu(b1 + einsum("bij,j->bi", W1, x))
            z = b2 + (W2 * h).sum(1)
            m = yy * z
            e = xp.exp(-xp.abs(m))
            g = xp.where(m > 0, -yy * e / (1 + e), -yy / (1 + e))
            d1 = W2 * g[:, None] * (h > 0)
            s2 = eta * g
            sub(W2, s2[:, None] * h)
            sub(b2, s2)
            s1 = eta * d1
            sub(W1, einsum("bi,j->bij", s1, x))
            sub(b1, s1)


def _mlp_init(spec, X, seeds):
    theta0 = engine.initial_theta(spec, X.shape[1], seeds)
    Ws, bs = engine.unpack(theta0, spec.sizes(X.shape[1]), spec.bias)
    return (np.array(Ws[0]), np.array(bs[0]), np.array(Ws[1][:, 0, :]), np.array(bs[1][:, 0]))


def _mlp_flat(W1, b1, W2, b2):
    B = W1.shape[0]
    return np.concatenate([W1.reshape(B, -1), b1, W2, b2[:, None]], axis=1)


def numpy_batched_row(name, repeats, zi_short):
    spec, X, y, seeds = workloads.get(name)
    W1, b1, W2, b2 = _mlp_init(spec, X, seeds)

    def sub(a, b):
        a -= b

    def run():
        P = [p.copy() for p in (W1, b1, W2, b2)]
        t0 = time.perf_counter()
        _batched_mlp_epochs(np, np.einsum, *P, X, y, spec.lr, SLOW_EPOCHS,
                            lambda a: np.maximum(a, 0), sub)
        return (time.perf_counter() - t0) / SLOW_EPOCHS, P
    t, (_, P) = median_time(run, max(1, min(repeats, 3)))
    return Row(impl="NumPy per-sample loop, batched over seeds (einsum)", key="numpy_batched", t=t,
               dtype="float64", cores=1, agree=rel_diff(_mlp_flat(*P), all_params(zi_short)),
               agree_note=f"{SLOW_EPOCHS} epochs, all models", note=f"{SLOW_EPOCHS} epochs timed")


def torch_batched_row(name, repeats, zi_short):
    torch = _torch()
    if torch is None:
        return None, "PyTorch not installed"
    spec, X, y, seeds = workloads.get(name)
    init = _mlp_init(spec, X, seeds)
    Xt, yt = torch.from_numpy(np.array(X)), torch.from_numpy(np.array(y))

    def run():
        with torch.no_grad():
            P = [torch.from_numpy(p.copy()) for p in init]
            t0 = time.perf_counter()
            _batched_mlp_epochs(torch, torch.einsum, *P, Xt, yt, spec.lr, SLOW_EPOCHS,
                                torch.relu, lambda a, b: a.sub_(b))
            return (time.perf_counter() - t0) / SLOW_EPOCHS, [p.numpy() for p in P]
    t, (_, P) = median_time(run, max(1, min(repeats, 3)))
    return Row(impl="PyTorch CPU per-sample loop, batched einsum over seeds", key="torch", t=t,
               dtype="float64", cores=torch.get_num_threads(), peer="PyTorch",
               agree=rel_diff(_mlp_flat(*P), all_params(zi_short)),
               agree_note=f"{SLOW_EPOCHS} epochs, all models", note=f"{SLOW_EPOCHS} epochs timed",
               version=torch.__version__), None


def _jax():
    try:
        import jax
        jax.config.update("jax_enable_x64", True)
        jax.config.update("jax_platforms", "cpu")
        import jax.numpy as jnp
        from jax import lax
    except ImportError:
        return None
    return jax, jnp, lax


def jax_row(name, repeats, zi_full):
    """JAX jit(scan) (one model) or jit(vmap(scan)) (S_mlp): all epochs in one compiled call."""
    J = _jax()
    if J is None:
        return None, "JAX not installed"
    jax, jnp, lax = J
    spec, X, y, seeds = workloads.get(name)
    eta, rule, E = spec.lr, spec.rule, spec.epochs
    B = len(seeds)

    def grad(z, yy):
        if rule == "perceptron":
            return jnp.where(z >= 0, 1.0, -1.0) - yy
        if rule == "squared":
            return z - yy
        m = yy * z
        e = jnp.exp(-jnp.abs(m))
        return jnp.where(m > 0, -yy * e / (1 + e), -yy / (1 + e))

    if spec.model != "mlp":
        def step(p, xy):
            w, b = p
            x, yy = xy
            z = b + jnp.dot(w, x)
            s = eta * grad(z, yy)
            return (w - s * x, b - s), None
        init = (jnp.zeros(X.shape[1]), jnp.zeros(()))
        flat = lambda p: np.concatenate([np.asarray(p[0]), np.atleast_1d(np.asarray(p[1]))])  # noqa: E731
    else:
        def step(p, xy):
            W1, b1, W2, b2 = p
            x, yy = xy
            h = jnp.maximum(b1 + W1 @ x, 0.0)
            z = b2 + jnp.dot(W2, h)
            g = grad(z, yy)
            d1 = W2 * g * (h > 0)
            s2, s1 = eta * g, eta * d1
            return (W1 - jnp.outer(s1, x), b1 - s1, W2 - s2 * h, b2 - s2), None
        W1, b1, W2, b2 = _mlp_init(spec, X, seeds)
        init = tuple(jnp.asarray(a if B > 1 else a[0]) for a in (W1, b1, W2, b2))
        flat = lambda p: _mlp_flat(*[np.asarray(a) if B > 1 else np.asarray(a)[None] for a in p])  # noqa: E731

    def train(p, Xj, yj):
        def epoch(q, _):
            q, _ = lax.scan(step, q, (Xj, yj))
            return q, None
        p, _ = lax.scan(epoch, p, None, length=E)
        return p
    fn = jax.vmap(train, in_axes=(0, None, None)) if B > 1 else train
    Xj, yj = jnp.asarray(X), jnp.asarray(y)
    t0 = time.perf_counter()
    compiled = jax.jit(fn).lower(init, Xj, yj).compile()
    t_compile = time.perf_counter() - t0

    def run():
        t0 = time.perf_counter()
        out = jax.block_until_ready(compiled(init, Xj, yj))
        return (time.perf_counter() - t0) / E, out
    t, (_, out) = median_time(run, max(1, min(repeats, 5)))
    params = flat(out)
    label = "JAX jit(vmap(scan))" if B > 1 else "JAX jit(scan)"
    JAX_RUNS[name] = lambda: run()[0]  # for the head-to-head rounds
    return Row(impl=label, key="jax", t=t, dtype="float64", cores=ALL if B > 1 else 1, peer="JAX",
               agree=rel_diff(params, all_params(zi_full)), agree_note="20 epochs" + (", all models" if B > 1 else ""),
               note=f"compile {t_compile:.2f} s (not in the time)", compile=t_compile,
               version=jax.__version__), None


# The compiled JAX call of each workload (seconds per epoch), kept by jax_row.
JAX_RUNS = {}


def head_to_head(name):
    """zi-core (float64, all threads, as ``fit`` calls it) and JAX's compiled call, timed in
    alternating rounds; each side's seconds per epoch, round by round.

    The tables time each implementation in its own stretch of the run, minutes
    apart, and the shared cores' load from other tenants comes and goes in
    between (seen: the same kernel 5.6 ms one minute, 8.3 ms the next). Rounds
    that alternate see the same conditions; a ratio from them compares like
    with like. The targets against JAX are judged on these rounds.
    """
    spec, X, y, seeds = workloads.get(name)
    jax_run = JAX_RUNS[name]

    def zi_side():
        return timed_train(spec, X, y, seeds)[1]
    zi, jx = [], []

    def one_round(i):
        for side in ((zi_side, jax_run) if i % 2 == 0 else (jax_run, zi_side)):
            (zi if side is zi_side else jx).append(side())
    rounds = _rounds(one_round)
    return {"zi": zi, "jax": jx, "rounds": rounds, "cores": ALL if len(seeds) > 1 else 1}


def h2h_pct(h, peak, name):
    """% of the peak of zi-core's best head-to-head round (float64, the cores it may use)."""
    return workloads.flops_per_epoch(name) / min(h["zi"]) / 1e9 / peak_for(peak, "float64", h["cores"]) * 100


# ------------------------------------------------------------------ S_mlp_big

def memory_probe(name, epochs=2, dtype="float64"):
    out = subprocess.run([sys.executable, os.path.join(HERE, "memprobe.py"), name, "--epochs", str(epochs),
                          "--dtype", dtype], check=True, capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p)))
    return json.loads(out.stdout.strip().splitlines()[-1])


def sweep_probe(epochs=2):
    """S_mlp and S_mlp_big through the sweep runner (runs streamed to a SQLite store in
    bounded chunks), each in a fresh process (``sweep_bench.measure``, on
    examples/s_mlp.toml); ``(None, why)`` when the runner is not available."""
    try:
        from zi_core.sweep import config as C
        import sweep_bench
        init = C.load_config(os.path.join(sweep_bench.ROOT, "examples", "s_mlp.toml"))["model"].get("init")
        return {"small": sweep_bench.measure(256, epochs), "big": sweep_bench.measure(65_536, epochs),
                "init": init, "workload_init": workloads.get("S_mlp")[0].init}, None
    except (ImportError, subprocess.CalledProcessError) as exc:
        why = ((getattr(exc, "stderr", None) or "").strip().splitlines() or [repr(exc)])[-1]
        log(f"sweep runner skipped: {why}")
        return None, why


# ---------------------------------------------------------------------- report

def fmt_t(t):
    if t is None or not np.isfinite(t):
        return "-"
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3g} ms"
    return f"{t * 1e6:.3g} us"


def fmt_x(r):
    if r is None or not np.isfinite(r):
        return "-"
    return f"{r:.3g}x" if r < 1000 else f"{r:,.0f}x"


def fmt_agree(r):
    a = r.get("agree")
    if a is None:
        return "-"
    s = "identical" if a == 0 else f"{a:.1e}"
    return s + (f" ({r['agree_note']})" if r.get("agree_note") else "")


def fill_rates(name, rows, peak):
    spec, X, y, seeds = workloads.get(name)
    flops = workloads.flops_per_epoch(name)
    for r in rows:
        r["gflops"] = flops / r["t"] / 1e9
        r["pct_peak"] = 100 * r["gflops"] / peak_for(peak, r["dtype"], r["cores"])


def workload_table(name, rows, basis_key):
    ref = next((r for r in rows if r["key"] == "reference"), None)
    basis = next(r for r in rows if r["key"] == basis_key)
    lines = [f"| implementation | time / epoch | speed-up over NumPy reference | zi-core ({basis['impl'].split(', ', 1)[-1]}) faster by | GFLOP/s | % of peak (cores) | agreement with zi-core (max rel. diff) | notes |",
             "|---|---:|---:|---:|---:|---:|---|---|"]
    for r in rows:
        lines.append("| {impl} | {t} | {vref} | {vzi} | {gf:.3g} | {pp:.2g}% ({c}) | {ag} | {note} |".format(
            impl=r["impl"], t=fmt_t(r["t"]), vref=fmt_x(ref["t"] / r["t"]) if ref else "-",
            vzi=fmt_x(r["t"] / basis["t"]) if r is not basis else "(basis)", gf=r["gflops"],
            pp=r["pct_peak"], c=r["cores"], ag=fmt_agree(r), note=r.get("note", "")))
    return "\n".join(lines)


def h2h_note(h, peak, name):
    """One line on a workload's head-to-head rounds."""
    zi, jx = np.array(h["zi"]), np.array(h["jax"])
    pct = h2h_pct(h, peak, name)
    return (f"Head to head with JAX, {h['rounds']} alternating rounds (float64, zi-core as `fit` calls it): "
            f"zi-core best {fmt_t(zi.min())}, median {fmt_t(np.median(zi))} ({pct:.2g}% of peak at its best); "
            f"JAX best {fmt_t(jx.min())}, median {fmt_t(np.median(jx))}; zi-core faster by "
            f"{jx.min() / zi.min():.3g}x (best against best), {np.median(jx / zi):.3g}x (median of the "
            f"rounds' ratios), {(jx / zi).min():.3g}-{(jx / zi).max():.3g}x over the rounds.")


def targets(tables, mem, peak, scaling=None, h2h=None):
    """(issue, target, measured, met) rows for issues 2 and 5.

    Ratios against JAX come from the head-to-head rounds when they ran (best
    against best, as for the thread scaling: noise only ever adds time), else
    from the tables' medians."""
    out, h2h = [], h2h or {}

    def t(name, key):
        for r in tables.get(name, []):
            if r["key"] == key:
                return r["t"]
        return None

    def ratio(a, b):
        return None if a is None or b is None else a / b

    def vs_jax(name):
        if name in h2h:
            h = h2h[name]
            return min(h["jax"]) / min(h["zi"]), f" ({h['rounds']} alternating rounds, best of each)"
        return ratio(t(name, "jax"), zi(name)), ""

    zi = lambda n: t(n, f"zi_float64_{ALL}")  # noqa: E731
    for name in ("W_perc", "W_lin", "W_log"):
        r = ratio(t(name, "sklearn"), zi(name))
        out.append(("5", f"{name}: zi-core >= 1.5x scikit-learn", r, None if r is None else r >= 1.5))
        r, how = vs_jax(name)
        out.append(("5", f"{name}: zi-core >= 1.5x JAX jit(scan){how}", r, None if r is None else r >= 1.5))
    r, how = vs_jax("W_mlp")
    out.append(("5", f"W_mlp: zi-core >= 5x JAX jit(scan){how}", r, None if r is None else r >= 5))
    r = ratio(t("W_mlp", "reference"), zi("W_mlp"))
    out.append(("5", "W_mlp: zi-core >= 150x NumPy reference", r, None if r is None else r >= 150))
    out.append(("2", "W_mlp: zi-core >= 100x NumPy reference", r, None if r is None else r >= 100))
    r, how = vs_jax("S_mlp")
    out.append(("5", f"S_mlp: zi-core >= 10x JAX jit(vmap(scan)){how}", r, None if r is None else r >= 10))
    srow = next((x for x in tables.get("S_mlp", []) if x["key"] == f"zi_float64_{ALL}"), None)
    if srow:
        pct = srow["gflops"] / peak_for(peak, "float64", ALL) * 100
        how = " (the table's median)"
        if "S_mlp" in h2h:
            pct = h2h_pct(h2h["S_mlp"], peak, "S_mlp")
            how = f" (best of the {h2h['S_mlp']['rounds']} head-to-head rounds)"
        out.append(("5", f"S_mlp: >= 40% of the {ALL}-core float64 FLOP peak{how}", pct, pct >= 40))
    if scaling:
        r = min(scaling["all"]) / min(scaling["f32"])
        how = f"{scaling['pairs']} alternating runs, best of each"
    else:
        r, how = ratio(zi("S_mlp"), t("S_mlp", f"zi_float32_{ALL}")), "the table's medians"
    out.append(("5", f"S_mlp: float32 >= 1.6x float64 ({ALL} threads; {how})", r,
                None if r is None else r >= 1.6))
    if scaling:
        r = min(scaling["one"]) / min(scaling["all"])
        out.append(("5", f"S_mlp: {ALL} threads >= 1.8x 1 thread (float64; {scaling['pairs']} alternating "
                         "runs, best of each)", r, None if ALL < 2 else r >= 1.8))
    else:
        r = ratio(t("S_mlp", "zi_float64_1"), zi("S_mlp"))
        out.append(("5", f"S_mlp: {ALL} threads >= 1.8x 1 thread (float64)", r,
                    None if r is None or ALL < 2 else r >= 1.8))
    if mem:
        if mem.get("sweep"):
            r = mem["sweep"]["big"]["peak_rss_mb"] / mem["sweep"]["small"]["peak_rss_mb"]
            out.append(("5", "S_mlp_big through the sweep runner (runs streamed to the store): "
                             "peak RSS <= 2x S_mlp's", r, r <= 2))
        per = lambda d: d["rss_growth_mib"] / d["models"]  # noqa: E731
        r = per(mem["big"]) / per(mem["small"])
        out.append(("5", "S_mlp_big: memory growth per model <= 2x S_mlp's (flat in seeds)", r, r <= 2))
    return out


def render(env, peak, tables, notes, mem, tgt, elapsed):
    L = [MARK_BEGIN, "", f"## Results ({env['date']})", ""]
    L.append(f"- CPU: {env['cpu']} ({env['cores']} cores), {env['platform']}")
    L.append("- zi-core: " + ", ".join(f"{k}={v}" for k, v in env["zi"].items()))
    L.append("- peers: " + ", ".join(f"{k} {v}" for k, v in env["peers"].items()))
    L.append(f"- FLOP peak per core: **{peak['f64_core']:.1f} GFLOP/s float64**, {peak['f32_core']:.1f} float32 "
             f"(the higher of {peak['method']} at the start and at the end of the run: "
             f"{peak['f64_measured']:.1f} / {peak['f32_measured']:.1f}; never below BENCH.md's "
             f"{BENCH_PEAK_F64:.0f} GFLOP/s float64); {ALL}-core peak taken as {ALL} x that. Measured with all "
             f"{peak['threads_all']} threads at once: {peak['f64_all_measured']:.1f} / {peak['f32_all_measured']:.1f} "
             "GFLOP/s (lower when the neighbour core is busy: the machine is shared).")
    L.append(f"- whole run: {elapsed / 60:.1f} min; times are medians over repeats, in one process, same data.")
    L.append("")
    L.append("### Key ratios (float64; zi-core default threads)")
    L.append("")
    L.append("| workload | zi-core / epoch | vs NumPy reference | vs scikit-learn | vs PyTorch | vs JAX | % of peak |")
    L.append("|---|---:|---:|---:|---:|---:|---:|")
    for name, rows in tables.items():
        basis = next(r for r in rows if r["key"] == f"zi_float64_{ALL}")
        get = lambda k: next((r for r in rows if r["key"] == k), None)  # noqa: E731
        cell = lambda k: fmt_x(get(k)["t"] / basis["t"]) if get(k) else "-"  # noqa: E731
        L.append(f"| {name} | {fmt_t(basis['t'])} | {cell('reference')} | {cell('sklearn')} | {cell('torch')} | "
                 f"{cell('jax')} | {basis['pct_peak']:.2g}% |")
    L.append("")
    L.append("Ratios are (peer's time per epoch) / (zi-core's): above 1 means zi-core is faster.")
    L.append("")
    L.append("### Targets")
    L.append("")
    L.append("| issue | target | measured | met |")
    L.append("|---|---|---:|---|")
    for issue, what, val, met in tgt:
        if val is None:
            v = "-"
        elif "%" in what:
            v = f"{val:.1f}%"
        else:
            v = f"{val:.3g}x"
        L.append(f"| {issue} | {what} | {v} | {'-' if met is None else ('met' if met else '**not met**')} |")
    L.append("")
    for name, rows in tables.items():
        spec, X, y, seeds = workloads.get(name)
        L.append(f"### {name}")
        L.append("")
        L.append(f"{spec.model} {spec.sizes(X.shape[1])}, n={X.shape[0]}, {len(seeds)} model(s), "
                 f"eta={spec.lr}, {spec.epochs} epochs; {workloads.FLOPS[name]} flops per sample-update "
                 f"({workloads.flops_per_epoch(name) / 1e6:.3g} MFLOP per epoch).")
        L.append("")
        basis = f"zi_float64_{ALL}"
        L.append(workload_table(name, rows, basis))
        setup = [r for r in rows if r.get("zi")]
        if setup:
            L.append("")
            L.append("zi-core setup outside the epochs (initial weights of every seed, final evaluation): "
                     + ", ".join(f"{r['impl'].split(', ', 1)[1]}: {fmt_t(max(r['setup'], 0))}" for r in setup) + ".")
        for n in notes.get(name, []):
            L.append("")
            L.append(n if n.endswith(".") else f"{n}." if n.startswith("Seed") else f"Skipped: {n}.")
        L.append("")
    if mem:
        b, s = mem["big"], mem["small"]
        L.append("### S_mlp_big (65,536 seeds, one timed epoch, fresh process)")
        L.append("")
        flops = workloads.flops_per_epoch("S_mlp_big")
        gf = flops / b["per_epoch_s"] / 1e9
        L.append(f"zi-core batched float64, {ALL} threads: **{fmt_t(b['per_epoch_s'])} per epoch** "
                 f"({b['models'] * 2000 / b['per_epoch_s'] / 1e6:.3g} M sample-updates/s, {gf:.3g} GFLOP/s, "
                 f"{100 * gf / peak_for(peak, 'float64', ALL):.2g}% of the {ALL}-core peak); "
                 f"outside the epochs: drawing the initial weights of 65,536 seeds {fmt_t(b['init_s'])}, "
                 f"final evaluation {fmt_t(b['final_eval_s'])}. "
                 f"In the same run S_mlp (256 seeds) took {fmt_t(s['per_epoch_s'])} per epoch "
                 f"(x{b['models'] // s['models']} models: {b['per_epoch_s'] / s['per_epoch_s']:,.0f}x the time).")
        L.append("")
        if mem.get("kernel_big_epoch_s"):
            k = mem["kernel_big_epoch_s"]
            L.append(f"Diagnostic: the kernel alone (`train_chunk`, all 65,536 models and 2,000 samples in one "
                     f"call, random weights) takes {fmt_t(k)} per epoch ({flops / k / 1e9:.3g} GFLOP/s), "
                     f"{b['per_epoch_s'] / k:.3g}x less than through `train_many`.")
            L.append("")
        L.append("Memory: Linux VmHWM (peak resident set) of a fresh process, reset just before the "
                 "`train_many` call, against the resident set at that moment.")
        L.append("")
        L.append("| run | models | parameters | RSS before | peak RSS | growth | growth per model |")
        L.append("|---|---:|---:|---:|---:|---:|---:|")
        for tag, d in (("S_mlp", s), ("S_mlp_big", b)):
            L.append(f"| {tag} | {d['models']:,} | {d['param_mib']:.3g} MiB | {d['rss_before_mib']:.0f} MiB | "
                     f"{d['rss_peak_mib']:.0f} MiB | {d['rss_growth_mib']:.0f} MiB | "
                     f"{d['rss_growth_mib'] * 2**20 / d['models'] / 1024:.3g} KiB |")
        L.append("")
        L.append(f"Peak RSS ratio S_mlp_big / S_mlp through `train_many`: {b['rss_peak_mib'] / s['rss_peak_mib']:.3g}x "
                 "(information, not the target: `train_many` returns every model's final weights, "
                 f"{b['param_mib']:.3g} MiB for 65,536 models against {s['param_mib']:.3g} MiB for 256, so its "
                 "peak grows with the seeds by design; the 2x target is judged on the sweep runner below). "
                 "The parameters alone grow 256x; the growth per model shows what the engine holds per seed "
                 f"beyond them (the parameters are {b['params_per_model'] * 8 / 1024:.3g} KiB a model).")
        L.append("")
        sw = mem.get("sweep")
        if sw:
            same = ("the workload's" if sw["init"] == sw["workload_init"] else
                    f"not the workload's {sw['workload_init']} (memory does not depend on the init)")
            L.append(f"Through the sweep runner, the path for 65,536 seeds (`zi_core.sweep.sweep` on "
                     f"examples/s_mlp.toml, init {sw['init']}: {same}; {sw['small']['epochs']} epochs each; "
                     "`sweep_bench.measure`: a fresh process per run, peak = its VmHWM, imports included): "
                     "runs stream through the SQLite store in bounded chunks, so no process holds every "
                     "model's weights.")
            L.append("")
            L.append("| run | models | epochs | wall | store share | peak RSS | store size |")
            L.append("|---|---:|---:|---:|---:|---:|---:|")
            for tag, d in (("S_mlp", sw["small"]), ("S_mlp_big", sw["big"])):
                L.append(f"| {tag} | {d['n']:,} | {d['epochs']} | {fmt_t(d['wall_s'])} | "
                         f"{100 * d['store_share']:.1f}% | {d['peak_rss_mb']:.0f} MiB | {d['store_mb']:.1f} MB |")
            L.append("")
            L.append(f"Peak RSS ratio S_mlp_big / S_mlp through the runner: "
                     f"{sw['big']['peak_rss_mb'] / sw['small']['peak_rss_mb']:.3g}x (target: at most 2x).")
        else:
            L.append(f"Sweep runner not measured ({mem.get('sweep_note')}): the 2x peak-RSS target is left out.")
        L.append("")
    L.append(MARK_END)
    return "\n".join(L)


def write_readme(path, block):
    text = open(path).read() if os.path.exists(path) else ""
    if MARK_BEGIN in text and MARK_END in text:
        head, rest = text.split(MARK_BEGIN, 1)
        tail = rest.split(MARK_END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)


def environment():
    cpu = cpu_description()
    peers = {}
    for mod in ("sklearn", "torch", "jax"):
        try:
            peers[{"sklearn": "scikit-learn", "torch": "PyTorch", "jax": "JAX"}[mod]] = __import__(mod).__version__
        except ImportError:
            peers[mod] = "not installed"
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": cpu, "cores": ALL, "platform": f"Python {platform.python_version()}, NumPy {np.__version__}",
            "zi": _info.config(), "peers": peers}


def main(argv=None):
    ap = argparse.ArgumentParser(description="Benchmark zi-core against its reference and its peers.")
    ap.add_argument("--repeats", type=int, default=5, help="repeats of the fast runs (median); default 5")
    ap.add_argument("--quick", action="store_true", help="3 repeats and no S_mlp_big")
    ap.add_argument("--only", default="", help="comma-separated workloads (default: all)")
    ap.add_argument("--no-peers", action="store_true", help="zi-core and the reference only")
    ap.add_argument("--out", default=os.path.join(HERE, "README.md"), help="Markdown file to update")
    ap.add_argument("--json", default=None, help="also dump every measurement to this JSON file")
    a = ap.parse_args(argv)
    repeats = 3 if a.quick else a.repeats
    if a.quick:
        global H2H_SECONDS
        H2H_SECONDS = 4.0
    names = [n for n in workloads.NAMES if not a.only or n in a.only.split(",")]
    t_start = time.perf_counter()
    env = environment()
    log("zi-core", env["zi"])
    peak = measure_peak()
    log("peak", peak)

    tables, notes, results = {}, {}, {}
    # zi-core and the reference first, before any peer starts thread pools
    for name in names:
        if name == "S_mlp_big":
            continue
        log(f"[{name}] zi-core and reference")
        rows, res = zi_rows(name, repeats)
        tables[name] = rows
        results[name] = res
    # single-seed-at-a-time zi-core for S_mlp, from W_mlp
    if "S_mlp" in tables and "W_mlp" in tables:
        w = next(r for r in tables["W_mlp"] if r["key"] == "zi_float64_1")
        tables["S_mlp"].insert(1, Row(impl="zi-core single, seeds one after another, float64, 1 thread",
                                      key="zi_single_seq", t=w["t"] * 256, dtype="float64", cores=1,
                                      note="256 x W_mlp's time"))
    if not a.no_peers:
        for name in tables:
            spec, X, y, seeds = workloads.get(name)
            zi_full = results[name][("float64", None)]
            zi_short = results[name]["core_short"]
            jobs = []
            if name == "S_mlp":
                jobs.append(lambda: (numpy_batched_row(name, repeats, zi_short), None))
                jobs.append(lambda: torch_batched_row(name, repeats, zi_short))
            else:
                jobs.append(lambda: sklearn_row(name, repeats, zi_full))
                jobs.append(lambda: torch_loop_row(name, repeats, zi_short))
            jobs.append(lambda: jax_row(name, repeats, zi_full))
            for job in jobs:
                log(f"[{name}] peer {len(tables[name])}")
                row, note = job()
                if isinstance(row, tuple):
                    row, note = row
                if row is not None:
                    tables[name].append(row)
                if note:
                    notes.setdefault(name, []).append(note)
            if name == "S_mlp":
                sk = next((r for r in tables.get("W_mlp", []) if r["key"] == "sklearn"), None)
                if sk:
                    tables[name].append(Row(impl="scikit-learn MLPClassifier, seeds one after another",
                                            key="sklearn", t=sk["t"] * 256, dtype="float64", cores=1,
                                            peer="scikit-learn", note="256 x W_mlp's time"))
    h2h = {}
    for name in tables:
        if name in JAX_RUNS:
            log(f"[{name}] head to head with JAX, alternating rounds")
            h2h[name] = head_to_head(name)
    if "S_mlp" in results and "W_mlp" in results:
        single = all_params(results["W_mlp"][("float64", 1)])[0]
        batched = all_params(results["S_mlp"][("float64", None)])[0]
        same = np.array_equal(single, batched)
        notes.setdefault("S_mlp", []).append(
            f"Seed 0 trained alone (W_mlp, 1 thread) and in the batch of 256 ({ALL} threads): "
            + ("bit-for-bit identical" if same else f"NOT identical (rel. diff {rel_diff(batched, single):.1e})"))

    mem = None
    if "S_mlp_big" in names and not a.quick:
        log("[S_mlp_big] memory probes (fresh processes)")
        mem = {"small": memory_probe("S_mlp"), "big": memory_probe("S_mlp_big")}
        mem["kernel_big_epoch_s"] = kernel_big_epoch()
        log("[S_mlp_big] memory through the sweep runner (fresh processes)")
        mem["sweep"], mem["sweep_note"] = sweep_probe()
        log(mem)
    scaling = None
    if "S_mlp" in names and ALL > 1:
        log("[S_mlp] thread scaling, alternating runs")
        scaling = thread_scaling()
        med = float(np.median(scaling["one"]) / np.median(scaling["all"]))
        notes.setdefault("S_mlp", []).append(
            f"Thread scaling, {scaling['pairs']} alternating whole runs of {scaling['epochs']} epochs each "
            f"(float64, setup included; per epoch): 1 thread best {fmt_t(min(scaling['one']))}, median {fmt_t(np.median(scaling['one']))}; "
            f"{ALL} threads best {fmt_t(min(scaling['all']))}, median {fmt_t(np.median(scaling['all']))}; "
            f"speed-up {min(scaling['one']) / min(scaling['all']):.2f}x (best) / {med:.2f}x (median). "
            f"float32, {ALL} threads, in the same rounds: best {fmt_t(min(scaling['f32']))}, median "
            f"{fmt_t(np.median(scaling['f32']))}; {min(scaling['all']) / min(scaling['f32']):.2f}x float64 (best) / "
            f"{np.median(scaling['all']) / np.median(scaling['f32']):.2f}x (median).")
    peak = settle_peak(peak, measure_peak())
    log("peak at the end; used:", peak)
    for name, rows in tables.items():
        fill_rates(name, rows, peak)
    for name, h in h2h.items():
        notes.setdefault(name, []).insert(0, h2h_note(h, peak, name))
    tgt = targets(tables, mem, peak, scaling, h2h)
    elapsed = time.perf_counter() - t_start
    block = render(env, peak, tables, notes, mem, tgt, elapsed)
    write_readme(a.out, block)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"env": env, "peak": peak, "tables": tables, "notes": notes, "memory": mem,
                       "head_to_head": h2h, "targets": tgt}, f, indent=1, default=str)
    print(block)
    log(f"wrote {a.out} in {elapsed:.0f} s")


if __name__ == "__main__":
    main()
