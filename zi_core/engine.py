"""Train B models of one architecture on one data set: the common path of every front end.

``train_many`` draws each model's initial parameters from its own ``init_seed``,
lays them out as ``theta[P, B]`` (model index innermost), runs the chosen backend
epoch by epoch over one shared sample order, and records the history. The
compiled core trains a group of models (a few hundred) in one call per chunk,
every group one epoch at a time; the NumPy reference trains them one after
another. Estimators, sweeps and claims all call this.
"""
import dataclasses
import math
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

# What one kernel call may cost, in one model's parameter-samples (_cost): tens
# of ms at most, so Ctrl-C is answered quickly and per-call overhead stays
# negligible.
_CHUNK_WORK = 16_000_000
# The batched kernel trains models in SIMD lanes, so a parameter-sample of b
# models costs about 1/min(b, _BATCH_GAIN) of one model's (measured: one W_mlp
# 0.37 ns, S_mlp's 256 models 0.05-0.1 ns a lane, 2 or 1 threads). With calls
# sized by lanes x parameters x samples alone, S_mlp-size calls took under a
# millisecond, and their fixed costs (Python, thread team, packing the groups)
# made an epoch of 8,000 samples 12-15% slower per sample than one of 2,000.
_BATCH_GAIN = 8


def _cost(n_samples, P, n_models):
    """A kernel call's cost over n_models models of P parameters, in one model's
    parameter-samples (the unit of _CHUNK_WORK, _EPOCHS_WORK and _SPAN_WORK)."""
    return n_samples * P * n_models // min(max(1, n_models), _BATCH_GAIN)


# Fewest samples per kernel call worth having; more models than that allows are
# trained in groups (_groups).
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
    """Results of ``train_many``: arrays with the model index first.

    ``initial_weights`` and ``initial_biases`` are computed on first access for
    large batches with named initializers (``_Regenerate``): they are a
    function of the seeds, and holding them from the start would double the
    memory of a big sweep.
    """

    weights: list
    biases: object
    _initial: object = dataclasses.field(repr=False)  # (W0, b0), or a _Regenerate to call once
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

    def _initial_params(self):
        if isinstance(self._initial, _Regenerate):
            self._initial = self._initial()
        return self._initial

    @property
    def initial_weights(self):
        """Initial W_l per layer, (B, out, in) each."""
        return self._initial_params()[0]

    @property
    def initial_biases(self):
        """Initial b_l per layer, (B, out) each (None without biases)."""
        return self._initial_params()[1]

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


def initial_theta(spec, n_features, init_seeds, out=None):
    """theta (P, B) of initial parameters; model b depends only on init_seeds[b].

    ``out``: a C-contiguous (P, B) array of the spec's dtype to fill and return.
    """
    sizes = spec.sizes(n_features)
    L = len(sizes) - 1
    w_inits = _per_layer(spec.init, L, "init")
    b_inits = _per_layer(spec.bias_init, L, "bias_init") if spec.bias else None
    offs, P = offsets(sizes, spec.bias)
    seeds = list(init_seeds)
    theta = np.empty((P, len(seeds)), dtype=DTYPES[spec.dtype]) if out is None else out
    # (initializer, shape, spawn key, argument, layer, first row of theta) per
    # parameter block, in the order every seed has always drawn them.
    blocks = []
    for l, (w0, b0) in enumerate(offs):
        shape = (sizes[l + 1], sizes[l])
        blocks.append((w_inits[l], shape, (l, 0), "init", l, w0))
        if spec.bias:
            blocks.append((b_inits[l], shape[:1], (l, 1), "bias_init", l, b0))
    fast = (len(seeds) > 1 and all(_init._builtin(blk[0]) for blk in blocks)
            and all(isinstance(s, (int, np.integer)) and 0 <= s <= _MAX_U64 for s in seeds))
    # The first seed (every seed, with a user's initializer) takes every
    # check in the original order, raising each error that cannot depend on
    # the seed; the fast path then has only the seed's draws left to check.
    for b, seed in enumerate(seeds[:1] if fast else seeds):
        for init, shape, key, what, l, r0 in blocks:
            theta[r0:r0 + math.prod(shape), b] = _draw(init, shape, seed, key, what, l)
    if fast:
        _draw_rest(theta, blocks, seeds[1:])
    return theta


# Parameters of all models from which a result draws its initial parameters again
# when asked (_Regenerate) instead of keeping a copy from the start.
_REGENERATE_MIN = 1 << 20


def _regenerable(spec, n_params):
    """Whether a batch's initial parameters are better drawn again than kept: many
    of them, and initializers given by name (a user's object could change or
    draw differently the second time)."""
    per_layer = [v for given in (spec.init, spec.bias_init)
                 for v in (given if isinstance(given, (list, tuple)) else [given])]
    return n_params >= _REGENERATE_MIN and all(isinstance(v, str) for v in per_layer)


class _Regenerate:
    """The initial parameters of a batch, drawn again from its seeds: the same bits (SPEC 4)."""

    def __init__(self, spec, n_features, seeds, groups):
        self.spec, self.n_features = dataclasses.replace(spec), n_features
        self.seeds, self.groups = np.array(seeds), groups

    def __call__(self):
        spec, d = self.spec, self.n_features
        # a group at a time: never a second copy of everything
        return _gather((initial_theta(spec, d, self.seeds[g]) for g in self.groups), self.groups,
                       spec.sizes(d), spec.bias, DTYPES[spec.dtype])


def _draw(initializer, shape, seed, key, what, layer):
    # Building a Generator costs ~30 us; zeros/constants/arrays never read it.
    # (A user's callable may, so it always gets one.)
    lazy = not getattr(initializer, "random", True) and not isinstance(initializer, _init._Callable)
    values = np.asarray(initializer(shape, None if lazy else _rng(seed, key)), dtype=np.float64)
    if values.shape != tuple(shape):
        raise ValueError(f"{what} for layer {layer + 1} gave shape {values.shape}, expected {tuple(shape)}")
    if not np.isfinite(values).all():
        raise _non_finite(what, layer)
    return values.ravel()


def _non_finite(what, layer):
    return ValueError(f"{what} for layer {layer + 1} gave non-finite values")


def _draw_rest(theta, blocks, seeds):
    """Columns 1.. of theta for built-in initializers, from one re-seeded generator.

    Bit for bit what ``_draw`` gives each seed: the same stream states, the
    same draws; a deterministic block is the first seed's values again.
    """
    bitgen = np.random.PCG64(0)
    rng = np.random.Generator(bitgen)
    first_bad = []  # (seed index, block index): the error the per-seed loop would raise first
    for i, (init, shape, key, _, _, r0) in enumerate(blocks):
        rows = slice(r0, r0 + math.prod(shape))
        if not init.random:
            theta[rows, 1:] = theta[rows, :1]
            continue
        draw = init._sampler(shape)
        values = np.empty((len(seeds), rows.stop - rows.start))
        for row, state in zip(values, _pcg64_states(seeds, key)):
            bitgen.state = state
            row[:] = draw(rng).ravel()
        finite = np.isfinite(values).all(axis=1)
        if not finite.all():
            first_bad.append((int(np.argmin(finite)), i))
        theta[rows, 1:] = values.T
    if first_bad:
        _, i = min(first_bad)
        raise _non_finite(blocks[i][3], blocks[i][4])


# NumPy's SeedSequence (numpy/random/bit_generator.pyx) and PCG64 seeding
# constants; NumPy keeps both streams stable across versions.
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R = 0xCA01F9DD, 0x4973F715
_PCG64_MULT = 0x2360ED051FC65DA44385DF649FCCF645
_MAX_U64, _MASK_128 = 2**64 - 1, 2**128 - 1


def _hashmix(value, const, mult):
    """SeedSequence's hashmix over uint32 arrays; returns (hash, next constant)."""
    value = value ^ np.uint32(const)
    const = const * mult & 0xFFFFFFFF
    value = value * np.uint32(const)
    return value ^ (value >> np.uint32(16)), const


def _mix(x, y):
    r = x * np.uint32(_MIX_MULT_L) - y * np.uint32(_MIX_MULT_R)
    return r ^ (r >> np.uint32(16))


def _pcg64_states(seeds, key):
    """``PCG64(SeedSequence(seed, spawn_key=key)).state`` for every seed in [0, 2**64).

    SeedSequence's hashing vectorized over the seeds: NumPy builds one in
    ~30 us, this costs ~1.5 us a seed. Entropy is the seed as two 32-bit words
    padded with zeros to the pool size (4), then the spawn key's words.
    """
    s = np.asarray(seeds, dtype=np.uint64)
    words = [(s & np.uint64(0xFFFFFFFF)).astype(np.uint32), (s >> np.uint64(32)).astype(np.uint32)]
    words += [np.full(len(s), k, dtype=np.uint32) for k in (0, 0) + tuple(key)]
    const, pool = _INIT_A, []
    for w in words[:4]:
        h, const = _hashmix(w, const, _MULT_A)
        pool.append(h)
    for src in range(4):
        for dst in range(4):
            if src != dst:
                h, const = _hashmix(pool[src], const, _MULT_A)
                pool[dst] = _mix(pool[dst], h)
    for w in words[4:]:
        for dst in range(4):
            h, const = _hashmix(w, const, _MULT_A)
            pool[dst] = _mix(pool[dst], h)
    # generate_state(4, uint64): 8 words cycling over the pool, paired little-endian.
    const, out = _INIT_B, []
    for i in range(8):
        h, const = _hashmix(pool[i % 4], const, _MULT_B)
        out.append(h.astype(np.uint64))
    hi_state, lo_state, hi_seq, lo_seq = (((out[2 * j + 1] << np.uint64(32)) | out[2 * j]).tolist()
                                          for j in range(4))
    states = []
    for a, b, c, d in zip(hi_state, lo_state, hi_seq, lo_seq):
        # pcg_setseq_128_srandom_r: inc = 2 initseq + 1, then two LCG steps from 0.
        inc = ((c << 65) | (d << 1) | 1) & _MASK_128
        state = ((((a << 64) | b) + inc) * _PCG64_MULT + inc) & _MASK_128
        states.append({"bit_generator": "PCG64", "state": {"state": state, "inc": inc},
                       "has_uint32": 0, "uinteger": 0})
    return states


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
        P, B = theta.shape
        z = np.empty((X.shape[0], B), dtype=theta.dtype)
        sizes = np.asarray(sizes, np.intp)
        # Models in groups (_groups) and rows in blocks of a few ms each, like
        # training: every call covers hundreds of rows, and Ctrl-C is answered quickly.
        groups = _groups(B, P)
        thetas = [np.ascontiguousarray(theta[:, g]) for g in groups]
        rows = max(1, _CHUNK_WORK // max(1, _cost(1, *thetas[0].shape)))
        for lo in range(0, X.shape[0], rows):
            for g, th in zip(groups, thetas):
                zb = z[lo:lo + rows, g]
                out = zb if zb.flags.c_contiguous else np.empty(zb.shape, dtype=z.dtype)
                core().forward(X[lo:lo + rows], th, sizes, bool(bias), out, n_threads)
                if out is not zb:
                    zb[...] = out
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
        Called once after every epoch with the history of all models (progress bars).

    Returns
    -------
    BatchResult
    """
    X, y, init_seeds, shuffle_seed, n_threads = _validation.check_train_many(
        spec, X, y, init_seeds, shuffle_seed, backend, n_threads, on_divergence, callback,
        models=MODELS, losses=LOSSES, backends=BACKENDS, dtypes=DTYPES)
    X = np.ascontiguousarray(X, dtype=DTYPES[spec.dtype])
    y = np.ascontiguousarray(y, dtype=DTYPES[spec.dtype])
    seeds = np.asarray(init_seeds, dtype=np.int64).reshape(-1)
    # Overflow on the way to a divergence is expected and reported as such.
    with np.errstate(over="ignore", invalid="ignore"):
        return _train_many(spec, X, y, seeds, shuffle_seed, backend, n_threads, on_divergence, callback)


def _groups(n_models, P):
    """Slices of the models, each trained with its own contiguous theta (P, b).

    One kernel call over very many models would get a couple of samples
    (_CHUNK_WORK) and stream all their parameters from memory for each; a
    group's parameters fit in cache and every call sweeps hundreds of samples.
    A model's bits do not depend on its group (SPEC 4).
    """
    per = max(64, _CHUNK_WORK // (P * _MIN_CHUNK_SAMPLES))
    return [slice(lo, min(lo + per, n_models)) for lo in range(0, n_models, per)]


def _train_many(spec, X, y, seeds, shuffle_seed, backend, n_threads, on_divergence, callback):
    """train_many on converted arguments: all groups of models advance together, a block of
    epochs at a time (``_epoch_span``; one epoch at a time when a block meets trouble)."""
    t_start = time.perf_counter()
    n, d = X.shape
    B = len(seeds)
    sizes = spec.sizes(d)
    n_threads = default_threads() if n_threads is None else int(n_threads)
    P = offsets(sizes, spec.bias)[1]
    groups = _groups(B, P)
    # Every group's theta (P, B_g) is a view of one buffer, over the span its models
    # take in a (B, P) array: at the end each is transposed in place, and the
    # final weights are views of that (no second copy of a big batch).
    params = np.empty(B * P, dtype=DTYPES[spec.dtype])
    thetas = [initial_theta(spec, d, seeds[g], out=params[g.start * P:g.stop * P].reshape(P, -1))
              for g in groups]
    initial = (_Regenerate(spec, d, seeds, groups) if _regenerable(spec, B * P)
               else _gather(thetas, groups, sizes, spec.bias, DTYPES[spec.dtype]))
    lr = np.full(B, spec.lr, dtype=thetas[0].dtype)
    # One array behind the four history records: one write per group and epoch.
    records = np.full((4, B, spec.epochs), np.nan)
    hist = dict(zip(("loss", "accuracy", "mistakes", "update_norm"), records))
    diverged_epoch = np.full(B, -1, dtype=np.int64)
    all_live = [True] * len(groups)  # no model of the group has diverged (the fast path)
    frozen = []  # (group, column, its values when its model diverged)
    classify = spec.task == "classification"
    kargs = _kernel_args(spec, sizes)
    span = _epoch_span(spec, backend, n, thetas, callback)
    t = epochs_run = 0
    orders = _epoch_orders(n, spec, shuffle_seed)
    stop = False
    while epochs_run < spec.epochs and not stop:
        block = [next(orders) for _ in range(min(max(span, 1), spec.epochs - epochs_run))]
        made = _fast_epochs(X, y, block, thetas, groups, lr, kargs, t, n_threads, records, epochs_run,
                            all_live, diverged_epoch, classify) if span else None
        if made is not None:
            t += made
            for _ in block:
                epochs_run += 1
                if callback is not None:
                    callback(epochs_run, hist)
            continue
        # Epoch by epoch (and chunk by chunk): the path that handles divergence.
        for order in block:
            epochs_run += 1
            epoch, e, made = epochs_run, epochs_run - 1, 0
            for i, (g, theta) in enumerate(zip(groups, thetas)):
                live = None if all_live[i] else diverged_epoch[g] < 0
                if live is not None and not live.any():
                    continue  # every model of the group has diverged
                made, loss_sum, n_correct, norm = _train_epoch(spec, X, y, order, theta, sizes, kargs, lr[g],
                                                               t, backend, n_threads)
                _record(records, g, e, live, classify, n, loss_sum, n_correct, norm)
                # One reduction over everything in the common case; per model only on trouble.
                if np.isfinite(loss_sum).all() and np.isfinite(theta).all():
                    continue
                live = diverged_epoch[g] < 0
                all_live[i] = False
                for b in np.flatnonzero(live & ~(np.isfinite(loss_sum) & np.isfinite(theta).all(axis=0))):
                    # Freeze a diverged model: keep its weights as they were at this
                    # epoch, and park its lane at zero with no step so it stays finite.
                    diverged_epoch[g.start + b] = epoch
                    frozen.append((i, b, theta[:, b].copy()))
                    theta[:, b] = 0
                    lr[g.start + b] = 0
            t += made
            if callback is not None:
                callback(epoch, hist)
            if (on_divergence == "raise" and (diverged_epoch == epoch).any()) or (diverged_epoch >= 0).all():
                stop = True
                break
    for i, b, values in frozen:
        thetas[i][:, b] = values

    final_loss, final_acc = np.empty(B), np.full(B, np.nan)
    for g, theta in zip(groups, thetas):
        final_loss[g], acc = _final_metrics(spec, theta, X, y, sizes, backend, n_threads)
        if classify:
            final_acc[g] = acc
    diverged = diverged_epoch >= 0
    final_loss[diverged] = np.nan
    final_acc[diverged] = np.nan
    converged = _converged(spec, hist) & ~diverged

    for theta in thetas:  # (P, B_g) -> (B_g, P) over the same span
        theta.reshape(-1)[:] = theta.T.ravel()
    Ws, bs = unpack(params.reshape(B, P).T, sizes, spec.bias)
    result = BatchResult(
        weights=Ws, biases=bs, _initial=initial,
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


# Cost (_cost) of one epoch above which epochs are trained in chunks (a few tens
# of ms each), so Ctrl-C is still answered quickly.
_EPOCHS_WORK = 4 * _CHUNK_WORK
# Work (samples x parameters x models, not _cost: the gain of a longer call is
# small by then, and Ctrl-C waits for it) one call of several whole epochs may
# take: S_mlp's 20 epochs (256 models, ~0.07 s) in one call, which saves each
# epoch's thread-team start and bookkeeping (3-4% of its time); at most about a
# second for one model, whose work costs most per unit.
_SPAN_WORK = 80 * _CHUNK_WORK
# Entries of the stacked sample orders of one such call (shuffled runs).
_ORDERS_MAX = 1_000_000
# Parameters of all models above which whole-epoch calls are not used: they keep
# a copy of every parameter to redo a block, and so many models gain nothing.
_SNAPSHOT_MAX = 4_000_000


def _epoch_span(spec, backend, n, thetas, callback):
    """Epochs per call of the compiled core's whole-epoch path (0: epoch by epoch).

    Whole epochs in one call leave the Python bookkeeping of each epoch to the
    kernel (a few us instead of tens: one model's epoch takes ~100 us). A
    callback is called after every epoch as it ends, so then one epoch per call.
    """
    cost = max(_cost(n, *th.shape) for th in thetas)
    if backend != "cython" or cost > _EPOCHS_WORK or sum(th.size for th in thetas) > _SNAPSHOT_MAX:
        return 0
    if callback is not None:
        return 1
    span = max(1, _SPAN_WORK // max(1, n * max(th.size for th in thetas)))
    return min(span, max(1, _ORDERS_MAX // n)) if spec.shuffle else span


def _fast_epochs(X, y, block, thetas, groups, lr, kargs, t, n_threads, records, done, all_live,
                 diverged_epoch, classify):
    """The epochs of ``block`` for every group in one kernel call each (train_epochs).

    Returns the number of updates made; or None, with every group's parameters
    as they were, when any loss or parameter is not finite: the caller then
    redoes these epochs one by one, which handles divergence (training is
    deterministic, so nothing changes).
    """
    k_sizes, bias, loss, batch, schedule, power_t = kargs
    orders = block[0][None, :] if all(o is block[0] for o in block) else np.stack(block)
    E, n = len(block), X.shape[0]
    snapshots = [th.copy() for th in thetas]
    out, made = [], 0
    for g, theta in zip(groups, thetas):
        lh, ch, nh = (np.empty((E, theta.shape[1])) for _ in range(3))
        made = core().train_epochs(X, y, orders, theta, k_sizes, bias, loss, batch, lr[g], schedule,
                                   power_t, t, lh, ch, nh, n_threads)
        if not (np.isfinite(lh).all() and np.isfinite(theta).all()):
            for th, snap in zip(thetas, snapshots):
                th[...] = snap
            return None
        out.append((lh, ch, nh))
    for i, (g, (lh, ch, nh)) in enumerate(zip(groups, out)):
        live = None if all_live[i] else diverged_epoch[g] < 0
        for e in range(E):
            _record(records, g, done + e, live, classify, n, lh[e], ch[e], nh[e])
    return made


def _record(records, g, e, live, classify, n, loss_sum, n_correct, norm):
    """History of group g at epoch index e; only live models when ``live`` is a mask."""
    new = (loss_sum / n, n_correct / n, n - n_correct, norm)
    if live is None:  # the common case: a few NumPy calls, not per model
        if classify:
            records[:, g, e] = new
        else:
            records[0, g, e], records[3, g, e] = new[0], norm
        return
    for r, v in enumerate(new):
        if classify or r in (0, 3):
            records[r, g, e][live] = v[live]


def _train_epoch(spec, X, y, order, theta, sizes, kargs, lr, t, backend, n_threads):
    """One epoch of one group, in chunks; returns (updates, loss sums, correct counts, update norms)."""
    P, B = theta.shape
    # whole mini-batches, and whole blocks of the kernel's loss values (their
    # sums depend on where the blocks start; SPEC 4: not on B, through the chunk)
    unit = math.lcm(spec.batch_size, core().LOSS_BLOCK if backend == "cython" else 1)
    chunk = max(1, _CHUNK_WORK // max(1, _cost(1, P, B)))
    chunk = max(unit, chunk - chunk % unit)
    loss_sum, n_correct = np.zeros(B), np.zeros(B)
    before = theta.astype(np.float64)
    made = 0
    for lo in range(0, len(order), chunk):
        made += _run_chunk(backend, spec, X, y, order[lo:lo + chunk], theta, sizes, kargs, lr,
                           t + made, loss_sum, n_correct, n_threads)
    if backend == "cython":  # the arithmetic of train_epochs' norms, whichever path a group takes
        norm = np.empty(B)
        core().update_norms(before, theta, norm)
        return made, loss_sum, n_correct, norm
    # Sum each model's squares as one contiguous row, so the rounding does
    # not depend on how many models share the group (SPEC 4).
    before -= theta
    before *= before
    return made, loss_sum, n_correct, np.sqrt(np.ascontiguousarray(before.T).sum(axis=1))


def _gather(thetas, groups, sizes, bias, dtype):
    """Per-layer arrays over all models, W_l (B, out, in) and b_l (B, out), from the groups'
    thetas (any iterable)."""
    B = groups[-1].stop
    Ws = [np.empty((B, sizes[l + 1], sizes[l]), dtype) for l in range(len(sizes) - 1)]
    bs = [np.empty((B, sizes[l + 1]), dtype) for l in range(len(sizes) - 1)] if bias else None
    for g, theta in zip(groups, thetas):
        gWs, gbs = unpack(theta, sizes, bias)
        for dst, src in zip(Ws + (bs or []), gWs + (gbs or [])):
            dst[g] = src
    return Ws, bs


# Rows per block of the final evaluation: fixed, so sums never depend on B, and
# memory stays O(_EVAL_ROWS * B) however large the data set.
_EVAL_ROWS = 64


def _final_metrics(spec, theta, X, y, sizes, backend, n_threads):
    """Mean loss and accuracy of the final weights on all of X, per model."""
    n, B = X.shape[0], theta.shape[1]
    if backend == "cython":
        # The kernel's own loss functions (those of training), summed per model
        # in row order; row blocks of a few ms each so Ctrl-C is answered quickly.
        loss_sum, correct = np.zeros(B), np.zeros(B)
        theta = np.ascontiguousarray(theta)
        rows = max(_EVAL_ROWS, _CHUNK_WORK // max(1, _cost(1, *theta.shape)))
        for lo in range(0, n, rows):
            core().evaluate(X[lo:lo + rows], y[lo:lo + rows], theta, np.asarray(sizes, np.intp),
                            bool(spec.bias), LOSS_CODES[spec.rule], loss_sum, correct, n_threads)
        return loss_sum / n, correct / n
    # The reference: NumPy's losses on 64-row blocks, added up in row order.
    y64 = y.astype(np.float64)
    loss_sum, correct = np.zeros(B), np.zeros(B)
    for lo in range(0, n, _EVAL_ROWS):
        z = np.asarray(outputs(theta, X[lo:lo + _EVAL_ROWS], sizes, spec.bias, backend), dtype=np.float64)
        yb = y64[lo:lo + _EVAL_ROWS]
        # One contiguous row per model: NumPy sums each row the same way whatever B is.
        loss_sum += np.ascontiguousarray(losses(spec.rule, z, yb).T).sum(axis=1)
        correct += ((z >= 0) == (yb[:, None] > 0)).sum(axis=0)
    return loss_sum / n, correct / n


def _converged(spec, hist):
    """Perceptron: an epoch without mistakes. Others: last loss change under tol."""
    loss = hist["loss"]
    if spec.rule == "perceptron":
        return hist["mistakes"][:, -1] == 0
    if loss.shape[1] < 2 or spec.tol is None:
        return np.zeros(loss.shape[0], dtype=bool)
    return np.abs(loss[:, -1] - loss[:, -2]) < spec.tol

