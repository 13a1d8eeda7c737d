"""initial_theta's many-seed path gives every seed exactly its own stream (SPEC 4).

The reference here is the straightforward construction: for each seed and
layer, ``init(shape, Generator(PCG64(SeedSequence(seed, spawn_key=(l, 0|1)))))``.
"""
import numpy as np
import pytest

from zi_core import engine, init
from zi_core.engine import ModelSpec

RANDOM = ["uniform(-0.5, 0.5)", "normal(0, 0.3)", "glorot_uniform", "glorot_normal", "he_uniform",
          "he_normal", "lecun_uniform", "lecun_normal", "orthogonal(gain=0.8)", "scaled(he_normal, 0.5)",
          "scaled(scaled(uniform(0, 1), 2), -3)", "scaled(orthogonal, 2)"]
FIXED = ["zeros", "ones", "constant(0.3)", "scaled(constant(2), 0.5)"]
BIAS = ["zeros", "constant(0.1)", "normal(0, 0.2)", "uniform(-0.1, 0.1)", "he_uniform"]


def _gen(seed, key):
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=key)))


def per_seed(spec, d, seeds):
    """theta (P, B) built one seed, one layer and one fresh generator at a time."""
    sizes = spec.sizes(d)
    L = len(sizes) - 1
    layer = lambda v: [init.get(u) for u in v] if isinstance(v, list) else [init.get(v)] * L  # noqa: E731
    w_inits, b_inits = layer(spec.init), layer(spec.bias_init)
    cols = []
    for s in seeds:
        parts = []
        for l in range(L):
            shape = (sizes[l + 1], sizes[l])
            parts.append(w_inits[l](shape, _gen(s, (l, 0))).ravel())
            if spec.bias:
                parts.append(b_inits[l](shape[:1], _gen(s, (l, 1))).ravel())
        cols.append(np.concatenate(parts))
    return np.stack(cols, axis=1).astype(engine.DTYPES[spec.dtype])


def _random_spec(rng):
    depth = int(rng.integers(0, 3))
    hidden = tuple(int(h) for h in rng.integers(1, 9, size=depth))
    pick = lambda names: str(rng.choice(names))  # noqa: E731
    w = [pick(RANDOM + FIXED) for _ in range(depth + 1)] if rng.random() < 0.4 else pick(RANDOM)
    if isinstance(w, list) and rng.random() < 0.5:  # a warm-start array for one layer
        i = int(rng.integers(0, len(w)))
        sizes = (3,) + hidden + (1,)
        w[i] = rng.normal(size=(sizes[i + 1], sizes[i]))
    return ModelSpec(hidden=hidden, bias=bool(rng.random() < 0.8), init=w, bias_init=pick(BIAS),
                     dtype=pick(["float64", "float64", "float32"]))


SEED_LISTS = {
    "one": [7],
    "two": [0, 1],
    "range300": list(range(300)),
    "edges": [0, 1, 2**32 - 1, 2**32, 2**32 + 1, 2**63 - 1, 2**62 + 12345, 5, 5, 0],
    "random": np.random.default_rng(3).integers(0, 2**63 - 1, size=57, dtype=np.int64),
}


@pytest.mark.parametrize("seeds", SEED_LISTS.values(), ids=SEED_LISTS.keys())
@pytest.mark.parametrize("case", range(6))
def test_many_seeds_equal_per_seed_construction(case, seeds):
    rng = np.random.default_rng(100 + case)
    for _ in range(3):
        spec = _random_spec(rng)
        got = engine.initial_theta(spec, 3, seeds)
        want = per_seed(spec, 3, seeds)
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), spec


def test_every_named_initializer_and_a_user_callable():
    seeds = [11, 3, 2**40, 11, 0, 999]
    user = lambda shape, rng: rng.normal(size=shape) * 0.5  # noqa: E731
    for name in RANDOM + FIXED + [user]:
        spec = ModelSpec(hidden=(4, 3), init=name, bias_init="normal(0, 1)")
        assert engine.initial_theta(spec, 5, seeds).tobytes() == per_seed(spec, 5, seeds).tobytes(), name


def test_stream_states_match_numpy():
    rng = np.random.default_rng(0)
    seeds = [0, 1, 2**32 - 1, 2**32, 2**63 - 1, 2**64 - 1] + [int(s) for s in rng.integers(0, 2**63, 200)]
    for key in [(0, 0), (0, 1), (2, 0), (7, 1), (2**32 - 1, 1)]:
        states = engine._pcg64_states(seeds, key)
        assert states == [np.random.PCG64(np.random.SeedSequence(s, spawn_key=key)).state for s in seeds]


def test_first_non_finite_draw_is_the_error_the_per_seed_loop_gives():
    """Which seed and block fail first depends on the draws: the message names that block."""
    spec = ModelSpec(hidden=(3,), init=["normal(0, 5e307)", "normal(0, 9e307)"], bias_init="normal(0, 1.1e308)")
    for start in range(0, 40, 5):
        seeds = list(range(start, start + 30))
        with pytest.raises(ValueError, match="gave non-finite values") as got:
            engine.initial_theta(spec, 4, seeds)
        expected = None
        for s in seeds:  # the straightforward order: seed by seed, layer by layer, weights then bias
            for l, (what, shape, key, name) in enumerate([("init", (3, 4), (0, 0), spec.init[0]),
                                                          ("bias_init", (3,), (0, 1), spec.bias_init),
                                                          ("init", (1, 3), (1, 0), spec.init[1]),
                                                          ("bias_init", (1,), (1, 1), spec.bias_init)]):
                if expected is None and not np.isfinite(init.get(name)(shape, _gen(s, key))).all():
                    expected = f"{what} for layer {l // 2 + 1} gave non-finite values"
        assert str(got.value) == expected


def test_callback_once_per_epoch_with_all_models(monkeypatch):
    """Models trained in several groups still report one epoch at a time, all of them."""
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 3)), np.where(rng.normal(size=40) > 0, 1.0, -1.0)
    spec = ModelSpec(hidden=(4,), epochs=3)
    whole = engine.train_many(spec, X, y, range(150))
    monkeypatch.setattr(engine, "_CHUNK_WORK", 1000)  # groups of 64 models
    calls = []
    split = engine.train_many(spec, X, y, range(150), callback=lambda e, h: calls.append((e, h["loss"].copy())))
    assert [e for e, _ in calls] == [1, 2, 3]
    assert all(h.shape == (150, 3) and np.isfinite(h[:, :e]).all() for e, h in calls)
    assert split.flat_params().tobytes() == whole.flat_params().tobytes()
    assert split.final_loss.tobytes() == whole.final_loss.tobytes()
    sizes = spec.sizes(3)
    theta = np.ascontiguousarray(whole.flat_params().T)
    monkeypatch.setattr(engine, "_CHUNK_WORK", 16_000_000)
    one_group = engine.outputs(theta, X, sizes, True)
    monkeypatch.setattr(engine, "_CHUNK_WORK", 3000)
    assert engine.outputs(theta, X, sizes, True).tobytes() == one_group.tobytes()
