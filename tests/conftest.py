"""Shared helpers: random model configurations for core-vs-reference tests."""
import sqlite3

import numpy as np
import pytest

from zi_core.engine import ModelSpec

INITS = ["zeros", "ones", "constant(0.3)", "uniform(-0.5, 0.5)", "normal(0, 0.3)",
         "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
         "lecun_normal", "orthogonal(gain=0.8)"]
BIAS_INITS = ["zeros", "constant(0.1)", "normal(0, 0.2)", "uniform(-0.1, 0.1)"]


def draw_config(rng):
    """A random (spec, X, y, seeds, shuffle_seed) small enough to stay non-chaotic."""
    model = rng.choice(["perceptron", "linear", "logistic", "mlp", "mlp", "mlp"])
    depth = int(rng.integers(1, 4))
    hidden = tuple(int(h) for h in rng.integers(1, 17, size=depth)) if model == "mlp" else ()
    loss = str(rng.choice(["logistic", "squared", "hinge"]))
    task = "regression" if (model == "linear" or (model == "mlp" and loss == "squared" and rng.random() < 0.5)) \
        else "classification"
    n = int(rng.integers(5, 60))
    d = int(rng.integers(1, 12))
    batch = int(rng.choice([1, 1, 2, 3, 7, 64]))
    spec = ModelSpec(
        model=str(model), hidden=hidden, loss=loss, bias=bool(rng.random() < 0.7),
        lr=float(rng.choice([0.001, 0.01, 0.05, 0.1])) * (1.0 if model != "perceptron" else 10.0),
        epochs=int(rng.integers(1, 5)), batch_size=batch,
        lr_schedule=str(rng.choice(["constant", "invscaling"])), power_t=float(rng.choice([0.25, 0.5, 1.0])),
        init=str(rng.choice(INITS)), bias_init=str(rng.choice(BIAS_INITS)),
        shuffle=bool(rng.random() < 0.5), task=task)
    X = rng.normal(size=(n, d))
    if task == "regression":
        y = X @ rng.normal(size=d) + 0.1 * rng.normal(size=n)
    else:
        y = np.where(rng.normal(size=n) >= 0, 1.0, -1.0)
    seeds = [int(s) for s in rng.integers(0, 2**31, size=int(rng.integers(1, 4)))]
    return spec, X, y, seeds, int(rng.integers(0, 1000))


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def count_runs(store):
    """Rows in a sweep store's runs table, read-only; 0 if it cannot be read yet."""
    try:
        con = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM runs").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0
