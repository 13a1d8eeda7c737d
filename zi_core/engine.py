"""Train B models of one architecture on one data set: the common path of every front end.

``train_many`` draws each model's initial parameters from its own ``init_seed``,
lays them out as ``theta[P, B]`` (model index innermost), runs the chosen backend
epoch by epoch over one shared sample order, and records the history. The
compiled core trains all models in one call per chunk; the NumPy reference
trains them one after another. Estimators, sweeps and claims all call this.
"""
import dataclasses
import os
import time

import numpy as np

from . import _validation
from . import init as _init
from . import reference
from ._dispatch import core
from .reference import LOSS_CODES, SCHEDULE_CODES

MODELS = {"perceptron", "linear", "logistic", "mlp"}
LOSSES = ("logistic", "squared", "hinge")
BACKENDS = ("cython", "numpy")
DTYPES = {"float64": np.float64, "float32": np.float32}

# Lane-parameter-sample products per kernel call: tens of ms at most, so Ctrl-C
# is answered quickly and per-call overhead stays negligible.
_CHUNK_WORK = 16_000_000
# Fewest samples per kernel call worth having; more models than that allows are
# trained in sub-batches.
_MIN_CHUNK_SAMPLES = 256


class DivergenceError(FloatingPointError):
    """Training produced a non-finite loss or weight (SPEC section 5)."""

    def __init__(self, message, epoch, result=None):
        super().__init__(message)
        self.epoch = epoch
        self.result = result  # the BatchResult recorded up to the divergence


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """Everything that defines a model and its training, except data and seeds.

    ``init`` and ``bias_init`` are initializer specs (``zi_core.init.get``), or,
    for an MLP, lists with one spec per layer.
    """

    model: str = "mlp"
    hidden: tuple = (10,)
    loss: str = "logistic"
    bias: bool = True
    lr: float = 0.05
    epochs: int = 20
    batch_size: int = 1
    lr_schedule: str = "constant"
    power_t: float = 0.5
    tol: float = 1e-4
    init: object = "he_normal"
    bias_init: object = "zeros"
    shuffle: bool = False
    dtype: str = "float64"
    task: str = "classification"

    @property
    def rule(self):
        """The per-sample rule the kernel applies (a loss name or 'perceptron')."""
        return {"perceptron": "perceptron", "linear": "squared",
                "logistic": "logistic"}.get(self.model, self.loss)

    @property
    def layers(self):
        return () if self.model != "mlp" else tuple(self.hidden)

    def sizes(self, n_features):
        return (int(n_features),) + tuple(int(h) for h in self.layers) + (1,)


@dataclasses.dataclass
class BatchResult:
    """Results of ``train_many``: arrays with the model index first."""

    weights: list
    biases: object
    initial_weights: list
    initial_biases: object
    history: dict
    diverged: np.ndarray
    diverged_epoch: np.ndarray
    final_loss: np.ndarray
    final_accuracy: np.ndarray
    converged: np.ndarray
    wall_time: float
    init_seeds: np.ndarray
    epochs_run: int = 0

    def __len__(self):
        return len(self.init_seeds)

    def flat_params(self):
        """Final parameters as one row per model, (B, P): per layer W_l row by row, then b_l."""
        B = len(self)
        cols = []
        for l, W in enumerate(self.weights):
            cols.append(W.reshape(B, -1))
            if self.biases is not None:
                cols.append(self.biases[l].reshape(B, -1))
        return np.ascontiguousarray(np.concatenate(cols, axis=1))

    def model(self, b):
        """One model's results as a dict (arrays without the model axis)."""
        pick = lambda arrs: None if arrs is None else [a[b].copy() for a in arrs]  # noqa: E731
        return {
            "init_seed": int(self.init_seeds[b]),
            "weights": pick(self.weights),
            "biases": pick(self.biases),
            "initial_weights": pick(self.initial_weights),
            "initial_biases": pick(self.initial_biases),
            "history": {k: v[b].copy() for k, v in self.history.items()},
            "diverged": bool(self.diverged[b]),
            "diverged_epoch": int(self.diverged_epoch[b]),
            "final_loss": float(self.final_loss[b]),
            "final_accuracy": float(self.final_accuracy[b]),
            "converged": bool(self.converged[b]),
        }


# ------------------------------------------------------------------ layout

def offsets(sizes, bias):
    """(start of W_l, start of b_l) in theta's rows for each layer, and P."""
    out, pos = [], 0
    for l in range(len(sizes) - 1):
        w0 = pos
        pos += sizes[l + 1] * sizes[l]
        b0 = pos
        if bias:
            pos += sizes[l + 1]
        out.append((w0, b0))
    return out, pos


def unpack(theta, sizes, bias):
    """Views of theta (P, B) as lists of W_l (B, out, in) and b_l (B, out)."""
    offs, _ = offsets(sizes, bias)
    Ws, bs = [], [] if bias else None
    for l, (w0, b0) in enumerate(offs):
        n_in, n_out = sizes[l], sizes[l + 1]
        Ws.append(theta[w0:w0 + n_out * n_in].T.reshape(-1, n_out, n_in))
        if bias:
            bs.append(theta[b0:b0 + n_out].T)
    return Ws, bs


def _per_layer(spec_value, n_layers, what):
    if isinstance(spec_value, (list, tuple)) and not isinstance(spec_value, str):
        if len(spec_value) != n_layers:
            raise ValueError(f"{what} has {len(spec_value)} entries, the model {n_layers} layers")
        return [_init.get(v) for v in spec_value]
    return [_init.get(spec_value)] * n_layers


def _rng(seed, key):
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=key)))


def initial_theta(spec, n_features, init_seeds):
    """theta (P, B) of initial parameters; model b depends only on init_seeds[b]."""
    sizes = spec.sizes(n_features)
    L = len(sizes) - 1
    w_inits = _per_layer(spec.init, L, "init")
    b_inits = _per_layer(spec.bias_init, L, "bias_init") if spec.bias else None
    offs, P = offsets(sizes, spec.bias)
    theta = np.empty((P, len(init_seeds)), dtype=DTYPES[spec.dtype])
    for b, seed in enumerate(init_seeds):
        for l, (w0, b0) in enumerate(offs):
            shape = (sizes[l + 1], sizes[l])
            theta[w0:w0 + shape[0] * shape[1], b] = _draw(w_inits[l], shape, seed, (l, 0), "init", l)
            if spec.bias:
                theta[b0:b0 + shape[0], b] = _draw(b_inits[l], shape[:1], seed, (l, 1), "bias_init", l)
    return theta


def _draw(initializer, shape, seed, key, what, layer):
    # Building a Generator costs ~30 us; zeros/constants/arrays never read it.
    # (A user's callable may, so it always gets one.)
    lazy = not getattr(initializer, "random", True) and not isinstance(initializer, _init._Callable)
    values = np.asarray(initializer(shape, None if lazy else _rng(seed, key)), dtype=np.float64)
    if values.shape != tuple(shape):
        raise ValueError(f"{what} for layer {layer + 1} gave shape {values.shape}, expected {tuple(shape)}")
    if not np.isfinite(values).all():
        raise ValueError(f"{what} for layer {layer + 1} gave non-finite values")
    return values.ravel()


# ------------------------------------------------------------------ losses

def losses(rule, z, y):
    """Per-sample loss of outputs z (n, B) against y (n,), vectorized."""
    y = y[:, None]
    if rule == "squared":
        return 0.5 * (z - y) ** 2
    if rule == "logistic":
        return np.logaddexp(0.0, -y * z)
    if rule == "hinge":
        return np.maximum(0.0, 1.0 - y * z)
    return (np.where(z >= 0, 1.0, -1.0) != y).astype(np.float64)


def outputs(theta, X, sizes, bias, backend="cython", n_threads=1):
    """Model outputs z (n, B) for every model in theta on every row of X."""
    X = np.ascontiguousarray(X, dtype=theta.dtype)
    if backend == "cython":
        theta = np.ascontiguousarray(theta)
        z = np.empty((X.shape[0], theta.shape[1]), dtype=theta.dtype)
        sizes = np.asarray(sizes, np.intp)
        # Row blocks of a few ms each, like training, so Ctrl-C is answered quickly.
        rows = max(1, _CHUNK_WORK // max(1, theta.shape[0] * theta.shape[1]))
        for lo in range(0, X.shape[0], rows):
            core().forward(X[lo:lo + rows], theta, sizes, bool(bias), z[lo:lo + rows], n_threads)
        return z
    Ws, bs = unpack(theta, sizes, bias)
    return np.stack([reference.predict_raw([W[b] for W in Ws], None if bs is None else [v[b] for v in bs], X)
                     for b in range(theta.shape[1])], axis=1)


# ------------------------------------------------------------------ training

def default_threads():
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _epoch_orders(n, spec, shuffle_seed):
    rng = np.random.default_rng(np.random.SeedSequence(int(shuffle_seed)))
    identity = np.arange(n, dtype=np.intp)
    for _ in range(spec.epochs):
        yield rng.permutation(n).astype(np.intp) if spec.shuffle else identity


def _kernel_args(spec, sizes):
    """The compiled core's per-run constants, computed once."""
    return (np.asarray(sizes, np.intp), bool(spec.bias), LOSS_CODES[spec.rule], int(spec.batch_size),
            SCHEDULE_CODES[spec.lr_schedule], float(spec.power_t))


def _run_chunk(backend, spec, X, y, order, theta, sizes, kargs, lr, t, loss_sum, n_correct, n_threads):
    """One slice of an epoch for every model; returns the number of updates."""
    if backend == "cython":
        k_sizes, bias, loss, batch, schedule, power_t = kargs
        return core().train_chunk(X, y, order, theta, k_sizes, bias, loss, batch, lr, schedule,
                                  power_t, t, loss_sum, n_correct, n_threads)
    Ws, bs = unpack(theta, sizes, spec.bias)
    updates = 0
    for b in range(theta.shape[1]):
        Wb = [W[b].copy() for W in Ws]
        bb = None if bs is None else [v[b].copy() for v in bs]
        ls, nc, updates = reference.train_block(Wb, bb, X, y, order, spec.rule, spec.batch_size,
                                                lr[b], spec.lr_schedule, spec.power_t, t)
        for W, Wn in zip(Ws, Wb):
            W[b] = Wn
        if bs is not None:
            for v, vn in zip(bs, bb):
                v[b] = vn
        loss_sum[b] += ls
        n_correct[b] += nc
    return updates


def train_many(spec, X, y, init_seeds, shuffle_seed=0, backend="cython", n_threads=None,
               on_divergence="record", callback=None):
    """Train one model per entry of ``init_seeds`` on the same data and sample order.

    Parameters
    ----------
    spec : ModelSpec
    X : array-like (n_samples, n_features) of finite reals (checked and converted)
    y : array-like (n_samples,), encoded: -1/+1 for classification, real for regression
    init_seeds : sequence of int
        One model per seed; model b's initial parameters depend on init_seeds[b] only.
    shuffle_seed : int
        Seed of the epoch orders (used when ``spec.shuffle``).
    backend : {"cython", "numpy"}
    n_threads : int or None
        Threads over models for the compiled core (None: every available core).
    on_divergence : {"record", "raise"}
    callback : callable(epoch, history_so_far) or None
        Called after every epoch (progress bars).

    Returns
    -------
    BatchResult
    """
    X, y, init_seeds, shuffle_seed, n_threads = _validation.check_train_many(
        spec, X, y, init_seeds, shuffle_seed, backend, n_threads, on_divergence, callback,
        models=MODELS, losses=LOSSES, backends=BACKENDS, dtypes=DTYPES)
    # Converted once here, not once per sub-batch.
    X = np.ascontiguousarray(X, dtype=DTYPES[spec.dtype])
    y = np.ascontiguousarray(y, dtype=DTYPES[spec.dtype])
    seeds = np.asarray(init_seeds, dtype=np.int64).reshape(-1)
    _, P = offsets(spec.sizes(X.shape[1]), spec.bias)
    # Many models: train them in sub-batches, one after another, so each kernel
    # call still sweeps hundreds of samples over parameters that fit in cache
    # (too many lanes per call would leave a couple of samples per call). A
    # model's bits do not depend on its batch, so this changes no result.
    per = max(64, _CHUNK_WORK // (P * _MIN_CHUNK_SAMPLES))
    # Overflow on the way to a divergence is expected and reported as such.
    with np.errstate(over="ignore", invalid="ignore"):
        if len(seeds) <= per:
            return _train_many(spec, X, y, seeds, shuffle_seed, backend, n_threads,
                               on_divergence, callback)
        parts = [_train_many(spec, X, y, seeds[i:i + per], shuffle_seed, backend, n_threads,
                             on_divergence, callback) for i in range(0, len(seeds), per)]
    return _concat(parts)


def _concat(parts):
    """One BatchResult from sub-batch results, models in order."""
    cat = lambda get: np.concatenate([get(r) for r in parts])  # noqa: E731
    layers = lambda name: None if getattr(parts[0], name) is None else [  # noqa: E731
        np.concatenate([getattr(r, name)[l] for r in parts]) for l in range(len(getattr(parts[0], name)))]
    return BatchResult(
        weights=layers("weights"), biases=layers("biases"),
        initial_weights=layers("initial_weights"), initial_biases=layers("initial_biases"),
        history={k: cat(lambda r: r.history[k]) for k in parts[0].history},
        diverged=cat(lambda r: r.diverged), diverged_epoch=cat(lambda r: r.diverged_epoch),
        final_loss=cat(lambda r: r.final_loss), final_accuracy=cat(lambda r: r.final_accuracy),
        converged=cat(lambda r: r.converged), wall_time=sum(r.wall_time for r in parts),
        init_seeds=cat(lambda r: r.init_seeds), epochs_run=max(r.epochs_run for r in parts))


def _train_many(spec, X, y, init_seeds, shuffle_seed, backend, n_threads, on_divergence, callback):
    """train_many for one batch; X, y already converted to the spec's dtype."""
    t_start = time.perf_counter()
    dtype = DTYPES[spec.dtype]
    n, d = X.shape
    seeds = init_seeds
    B = len(seeds)
    sizes = spec.sizes(d)
    n_threads = default_threads() if n_threads is None else int(n_threads)
    theta = initial_theta(spec, d, seeds)
    theta0 = theta.copy()
    lr = np.full(B, spec.lr, dtype=dtype)
    P = theta.shape[0]
    chunk = max(1, _CHUNK_WORK // max(1, B * P))
    chunk = max(spec.batch_size, chunk - chunk % spec.batch_size)

    E = spec.epochs
    hist = {k: np.full((B, E), np.nan) for k in ("loss", "accuracy", "mistakes", "update_norm")}
    diverged_epoch = np.full(B, -1, dtype=np.int64)
    snapshot = {}
    t = 0
    classify = spec.task == "classification"
    kargs = _kernel_args(spec, sizes)
    epochs_run = 0
    all_live = True
    for epoch, order in enumerate(_epoch_orders(n, spec, shuffle_seed), start=1):
        loss_sum = np.zeros(B)
        n_correct = np.zeros(B)
        before = theta.astype(np.float64)
        made = 0
        for lo in range(0, n, chunk):
            made = _run_chunk(backend, spec, X, y, order[lo:lo + chunk], theta, sizes, kargs, lr,
                              t + made, loss_sum, n_correct, n_threads) + made
        t += made
        epochs_run = epoch
        e = epoch - 1
        live = slice(None) if all_live else diverged_epoch < 0
        hist["loss"][live, e] = loss_sum[live] / n
        if classify:
            hist["accuracy"][live, e] = n_correct[live] / n
            hist["mistakes"][live, e] = n - n_correct[live]
        # Sum each model's squares as one contiguous row, so the rounding does
        # not depend on how many models share the batch (SPEC 4).
        before -= theta
        before *= before
        hist["update_norm"][live, e] = np.sqrt(np.ascontiguousarray(before.T).sum(axis=1))[live]
        # One reduction over everything in the common case; per model only on trouble.
        if np.isfinite(loss_sum).all() and np.isfinite(theta).all():
            bad = ()
        else:
            bad = np.flatnonzero((diverged_epoch < 0) & ~(np.isfinite(loss_sum) & np.isfinite(theta).all(axis=0)))
            all_live = False
        for b in bad:
            # Freeze a diverged model: keep its weights as they were at this
            # epoch, and park its lane at zero with no step so it stays finite.
            diverged_epoch[b] = epoch
            snapshot[b] = theta[:, b].copy()
            theta[:, b] = 0
            lr[b] = 0
        if callback is not None:
            callback(epoch, hist)
        if (len(bad) and on_divergence == "raise") or (diverged_epoch >= 0).all():
            break
    for b, values in snapshot.items():
        theta[:, b] = values

    final_loss, final_acc = _final_metrics(spec, theta, X, y, sizes, backend, n_threads)
    if not classify:
        final_acc = np.full(B, np.nan)
    diverged = diverged_epoch >= 0
    final_loss[diverged] = np.nan
    final_acc[diverged] = np.nan
    converged = _converged(spec, hist) & ~diverged

    Ws, bs = unpack(theta, sizes, spec.bias)
    W0, b0 = unpack(theta0, sizes, spec.bias)
    copy = lambda arrs: None if arrs is None else [np.ascontiguousarray(a) for a in arrs]  # noqa: E731
    result = BatchResult(
        weights=copy(Ws), biases=copy(bs), initial_weights=copy(W0), initial_biases=copy(b0),
        history=hist, diverged=diverged, diverged_epoch=diverged_epoch,
        final_loss=final_loss, final_accuracy=final_acc, converged=converged,
        wall_time=time.perf_counter() - t_start, init_seeds=seeds, epochs_run=epochs_run)
    if on_divergence == "raise" and diverged.any():
        b = int(np.flatnonzero(diverged)[0])
        epoch = int(diverged_epoch[b])
        raise DivergenceError(
            f"training diverged at epoch {epoch} (init_seed={int(seeds[b])}): the loss or a "
            f"weight became non-finite. Try a smaller learning rate (lr={spec.lr:g}) or scale "
            "the inputs (e.g. standardize X).", epoch, result)
    return result


# Rows per block of the final evaluation: fixed, so sums never depend on B, and
# memory stays O(_EVAL_ROWS * B) however large the data set.
_EVAL_ROWS = 64


def _final_metrics(spec, theta, X, y, sizes, backend, n_threads):
    """Mean loss and accuracy of the final weights on all of X, per model."""
    B = theta.shape[1]
    loss_sum = np.zeros(B)
    correct = np.zeros(B)
    y64 = y.astype(np.float64)
    for lo in range(0, X.shape[0], _EVAL_ROWS):
        z = outputs(theta, X[lo:lo + _EVAL_ROWS], sizes, spec.bias, backend, n_threads).astype(np.float64)
        yb = y64[lo:lo + _EVAL_ROWS]
        # One contiguous row per model: NumPy sums each row the same way whatever B is.
        loss_sum += np.ascontiguousarray(losses(spec.rule, z, yb).T).sum(axis=1)
        correct += ((z >= 0) == (yb[:, None] > 0)).sum(axis=0)
    return loss_sum / X.shape[0], correct / X.shape[0]


def _converged(spec, hist):
    """Perceptron: an epoch without mistakes. Others: last loss change under tol."""
    loss = hist["loss"]
    if spec.rule == "perceptron":
        return hist["mistakes"][:, -1] == 0
    if loss.shape[1] < 2 or spec.tol is None:
        return np.zeros(loss.shape[0], dtype=bool)
    return np.abs(loss[:, -1] - loss[:, -2]) < spec.tol

