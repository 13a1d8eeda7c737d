"""The benchmark workloads of shared/BENCH.md, as (spec, X, y, seeds).

Every function generates its data once with NumPy (fixed ``data_seed``; the
result is cached, so every implementation in one run gets the very same
arrays) and returns ``(spec, X, y, seeds)`` ready for
``zi_core.engine.train_many(spec, X, y, seeds)``:

=========  ====================================================================
W_perc     perceptron, d=10 + bias, n=10,000 separable balanced, eta=0.1, zeros
W_lin      linear regression, n=10,000, y = X w* + b* + 0.1 noise, eta=0.01, zeros
W_log      logistic regression, n=10,000, noisy logistic teacher, eta=0.05, zeros
W_mlp      MLP 10-10-1 ReLU, logistic loss, n=2,000 teacher_mlp data, batch 1,
           eta=0.05, weights N(0, 0.1^2), zero biases, one seed
S_mlp      W_mlp for 256 init seeds (same data and sample order)
S_mlp_big  W_mlp for 65,536 init seeds
=========  ====================================================================

All: 20 epochs, index order (no shuffling), float64 (``with_dtype`` gives the
float32 twin). ``FLOPS`` holds BENCH.md's flops per sample-update (an FMA
counts 2; the one ``exp`` of the logistic loss is not counted).
"""
import dataclasses
import functools


from zi_core import datasets
from zi_core.engine import ModelSpec

__all__ = ["NAMES", "FLOPS", "W_perc", "W_lin", "W_log", "W_mlp", "S_mlp", "S_mlp_big",
           "get", "with_dtype", "with_epochs", "flops_per_epoch"]

EPOCHS = 20
DATA_SEED = 0

#: flops per sample-update of one model (BENCH.md)
FLOPS = {"W_perc": 44, "W_lin": 43, "W_log": 46, "W_mlp": 486, "S_mlp": 486, "S_mlp_big": 486}

NAMES = ("W_perc", "W_lin", "W_log", "W_mlp", "S_mlp", "S_mlp_big")

_MLP_SPEC = ModelSpec(model="mlp", hidden=(10,), loss="logistic", bias=True, lr=0.05,
                      epochs=EPOCHS, batch_size=1, lr_schedule="constant",
                      init="normal(0, 0.1)", bias_init="zeros", shuffle=False,
                      dtype="float64", task="classification")


def _readonly(*arrays):
    for a in arrays:
        a.setflags(write=False)
    return arrays


@functools.lru_cache(maxsize=None)
def _separable():
    return _readonly(*datasets.separable(n_samples=10_000, n_features=10, margin=0.1,
                                         data_seed=DATA_SEED))


@functools.lru_cache(maxsize=None)
def _linear():
    return _readonly(*datasets.linear(n_samples=10_000, n_features=10, noise=0.1,
                                      data_seed=DATA_SEED))


@functools.lru_cache(maxsize=None)
def _logistic():
    return _readonly(*datasets.logistic(n_samples=10_000, n_features=10, noise=1.0,
                                        data_seed=DATA_SEED))


@functools.lru_cache(maxsize=None)
def _teacher():
    return _readonly(*datasets.teacher_mlp(n_samples=2_000, sizes=(10, 10, 1),
                                           data_seed=DATA_SEED))


def W_perc():
    """Rosenblatt perceptron (rule: w -= eta * (yhat - y) x, yhat = +1 if z >= 0)."""
    X, y = _separable()
    spec = ModelSpec(model="perceptron", hidden=(), loss="hinge", bias=True, lr=0.1,
                     epochs=EPOCHS, init="zeros", bias_init="zeros", shuffle=False,
                     task="classification")
    return spec, X, y, [0]


def W_lin():
    """Linear regression, squared loss 0.5 (z - y)^2."""
    X, y = _linear()
    spec = ModelSpec(model="linear", hidden=(), loss="squared", bias=True, lr=0.01,
                     epochs=EPOCHS, init="zeros", bias_init="zeros", shuffle=False,
                     task="regression")
    return spec, X, y, [0]


def W_log():
    """Logistic regression, loss log(1 + exp(-y z))."""
    X, y = _logistic()
    spec = ModelSpec(model="logistic", hidden=(), loss="logistic", bias=True, lr=0.05,
                     epochs=EPOCHS, init="zeros", bias_init="zeros", shuffle=False,
                     task="classification")
    return spec, X, y, [0]


def W_mlp():
    """One 10-10-1 ReLU MLP, logistic loss, per-sample SGD."""
    X, y = _teacher()
    return _MLP_SPEC, X, y, [0]


def S_mlp():
    """W_mlp for 256 init seeds, trained together."""
    X, y = _teacher()
    return _MLP_SPEC, X, y, list(range(256))


def S_mlp_big():
    """W_mlp for 65,536 init seeds (memory must stay flat in the number of seeds)."""
    X, y = _teacher()
    return _MLP_SPEC, X, y, list(range(65_536))


_FUNCS = {"W_perc": W_perc, "W_lin": W_lin, "W_log": W_log, "W_mlp": W_mlp,
          "S_mlp": S_mlp, "S_mlp_big": S_mlp_big}


def get(name, dtype="float64", epochs=None):
    """(spec, X, y, seeds) of workload ``name``, optionally in float32 or with other epochs."""
    spec, X, y, seeds = _FUNCS[name]()
    spec = with_dtype(spec, dtype)
    if epochs is not None:
        spec = with_epochs(spec, epochs)
    return spec, X, y, seeds


def with_dtype(spec, dtype):
    return dataclasses.replace(spec, dtype=dtype)


def with_epochs(spec, epochs):
    return dataclasses.replace(spec, epochs=int(epochs))


def flops_per_epoch(name, n_models=None):
    """Flops of one epoch of ``name`` (all its models, or ``n_models`` of them)."""
    spec, X, y, seeds = _FUNCS[name]()
    B = len(seeds) if n_models is None else n_models
    return FLOPS[name] * X.shape[0] * B


def describe():
    """One line per workload: name, model, n, d, seeds, lr."""
    lines = []
    for name in NAMES:
        spec, X, y, seeds = _FUNCS[name]()
        lines.append(f"{name}: {spec.model} {spec.sizes(X.shape[1])} n={X.shape[0]} "
                     f"seeds={len(seeds)} lr={spec.lr} epochs={spec.epochs} init={spec.init}")
    return lines


if __name__ == "__main__":  # pragma: no cover
    print("\n".join(describe()))
