"""Property tests (Hypothesis): the core follows the reference, and the input layer never breaks.

- Random shapes, values and hyper-parameters: the compiled core and the NumPy
  reference reach the same weights (relative 1e-10) on short, non-chaotic runs,
  and the perceptron's mistakes agree exactly.
- The estimators' input layer fuzzed with arbitrary arrays and parameters: a fit
  either works or raises a clean ValueError/TypeError (MemoryError for absurd
  sizes, DivergenceError for a run that blows up), never another exception, a
  crash or a hang; inputs are never modified.
- Any dtype, byte order and memory layout of the same numbers gives the same bits.

Each test runs a bounded number of examples (deadline off: two shared cores).
"""
import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, Phase, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from zi_core import MLP, DivergenceError, LinearRegression, LogisticRegression, Perceptron  # noqa: E402
from zi_core.engine import ModelSpec, train_many  # noqa: E402

SETTINGS = dict(deadline=None, derandomize=True, print_blob=True,
                phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
CLEAN = (ValueError, TypeError, MemoryError, DivergenceError)

INITS = ["zeros", "constant(0.2)", "uniform(-0.5, 0.5)", "normal(0, 0.3)", "glorot_uniform",
         "he_normal", "lecun_normal", "orthogonal(gain=0.8)"]


# ------------------------------------------------------------ core = reference

@st.composite
def runs(draw):
    model = draw(st.sampled_from(["perceptron", "linear", "logistic", "mlp", "mlp"]))
    hidden = tuple(draw(st.lists(st.integers(1, 8), min_size=1, max_size=3))) if model == "mlp" else ()
    loss = draw(st.sampled_from(["logistic", "squared", "hinge"]))
    regression = model == "linear" or (model == "mlp" and loss == "squared" and draw(st.booleans()))
    n = draw(st.integers(1, 25))
    d = draw(st.integers(1, 6))
    X = draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-2, 2, allow_subnormal=False)))
    if regression:
        y = draw(hnp.arrays(np.float64, n, elements=st.floats(-2, 2, allow_subnormal=False)))
    else:
        y = np.where(draw(hnp.arrays(np.bool_, n)), 1.0, -1.0)
    lr = draw(st.sampled_from([0.001, 0.01, 0.03])) * (10.0 if model == "perceptron" else 1.0)
    spec = ModelSpec(
        model=model, hidden=hidden, loss=loss, bias=draw(st.booleans()), lr=lr,
        epochs=draw(st.integers(1, 3)), batch_size=draw(st.sampled_from([1, 1, 2, 3, 50])),
        lr_schedule=draw(st.sampled_from(["constant", "invscaling"])),
        power_t=draw(st.sampled_from([0.25, 0.5])), init=draw(st.sampled_from(INITS)),
        bias_init=draw(st.sampled_from(["zeros", "constant(0.1)", "normal(0, 0.1)"])),
        shuffle=draw(st.booleans()), task="regression" if regression else "classification")
    seeds = draw(st.lists(st.integers(0, 2**32), min_size=1, max_size=3))
    return spec, X, y, seeds, draw(st.integers(0, 1000))


def _rel(a, b):
    return np.abs(a - b).max() / max(np.abs(b).max(), 1e-300)


@settings(max_examples=60, **SETTINGS)
@given(runs())
def test_core_matches_reference(run):
    spec, X, y, seeds, shuffle_seed = run
    core = train_many(spec, X, y, seeds, shuffle_seed=shuffle_seed, backend="cython")
    ref = train_many(spec, X, y, seeds, shuffle_seed=shuffle_seed, backend="numpy")
    np.testing.assert_array_equal(core.diverged_epoch, ref.diverged_epoch)
    for a, b in zip(core.weights, ref.weights):
        assert _rel(a, b) < 1e-10
    if spec.bias:
        for a, b in zip(core.biases, ref.biases):
            assert _rel(a, b) < 1e-10
    if spec.task == "classification":
        np.testing.assert_array_equal(core.history["mistakes"], ref.history["mistakes"])
    np.testing.assert_allclose(core.history["loss"], ref.history["loss"], rtol=1e-9, atol=1e-12)


# -------------------------------------------------- any layout, the same bits

LAYOUTS = ["C", "F", "strided", "big-endian", "read-only", "object", "list"]


def _layout(X, how):
    if how == "F":
        return np.asfortranarray(X)
    if how == "strided":
        big = np.zeros((X.shape[0], 2 * X.shape[1]))
        big[:, ::2] = X
        return big[:, ::2]
    if how == "big-endian":
        return X.astype(">f8")
    if how == "read-only":
        Y = X.copy()
        Y.setflags(write=False)
        return Y
    if how == "object":
        return X.astype(object)
    if how == "list":
        return X.tolist()
    return X


@settings(max_examples=40, **SETTINGS)
@given(X=hnp.arrays(np.float64, st.tuples(st.integers(2, 12), st.integers(1, 5)),
                    elements=st.floats(-3, 3, allow_subnormal=False)),
       how=st.sampled_from(LAYOUTS), cls=st.sampled_from([Perceptron, LinearRegression, LogisticRegression, MLP]),
       seed=st.integers(0, 100))
def test_any_layout_gives_the_same_bits(X, how, cls, seed):
    y = X[:, 0] + 0.5 if cls is LinearRegression else np.where(np.arange(len(X)) % 2 == 0, "a", "b")
    kw = dict(epochs=2, init="normal(0, 0.5)", init_seed=seed, shuffle=True)
    if cls is MLP:
        kw["hidden"] = (3,)
    plain = cls(**kw).fit(X, y)
    Xv = _layout(X, how)
    other = cls(**kw).fit(Xv, y)
    for a, b in zip(plain.weights_, other.weights_):
        assert a.tobytes() == b.tobytes()
    np.testing.assert_array_equal(plain.predict(X), other.predict(Xv))


# ------------------------------------------------------------- fuzzed inputs

ANY_DTYPE = st.one_of(
    hnp.floating_dtypes(), hnp.integer_dtypes(), hnp.unsigned_integer_dtypes(), hnp.boolean_dtypes(),
    hnp.complex_number_dtypes(), hnp.datetime64_dtypes(), hnp.timedelta64_dtypes(),
    hnp.unicode_string_dtypes(max_len=3), hnp.byte_string_dtypes(max_len=3),
    st.just(np.dtype(object)))

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6)


def _object_elements():
    return st.one_of(st.none(), st.integers(-10**30, 10**30), st.floats(), st.text(max_size=3),
                     st.booleans(), st.complex_numbers(), st.dictionaries(st.text(max_size=1), st.integers(), max_size=1))


@st.composite
def any_array(draw, shape=SHAPES):
    dtype = draw(ANY_DTYPE)
    shp = draw(shape)
    if dtype.kind == "O":
        flat = draw(st.lists(_object_elements(), min_size=int(np.prod(shp)), max_size=int(np.prod(shp))))
        arr = np.empty(int(np.prod(shp)), dtype=object)
        arr[:] = flat
        arr = arr.reshape(shp)
    else:
        arr = draw(hnp.arrays(dtype, shp))
    kind = draw(st.sampled_from(["array", "array", "fortran", "list", "readonly", "strided"]))
    if kind == "fortran":
        return np.asfortranarray(arr)
    if kind == "list":
        return arr.tolist()
    if kind == "readonly":
        arr = arr.copy()
        arr.setflags(write=False)
    if kind == "strided" and arr.ndim >= 1:
        return arr[::-1]
    return arr


def _plausible_X():
    """Mostly numeric 2-D inputs (so fits get far), with any dtype now and then."""
    kinds = st.sampled_from([np.float64, np.float32, np.int32, np.bool_, np.dtype(">f8")])
    values = hnp.arrays(np.float64, st.tuples(st.integers(1, 8), st.integers(1, 4)) | st.tuples(
                        st.integers(0, 2), st.integers(0, 2)),
                        elements=st.floats(-1e3, 1e3, allow_nan=False, width=32))
    good = st.tuples(values, kinds).map(lambda t: t[0].astype(t[1]))
    wild = hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 3)))  # NaN, inf, 1e308
    return st.one_of(good, good, good, wild, any_array())


def _labels(n):
    kinds = st.sampled_from([np.int64, np.float64, np.bool_, np.dtype("<U2"), np.dtype(">i2")])
    two = st.tuples(hnp.arrays(np.int64, n, elements=st.integers(0, 1)), kinds).map(lambda t: t[0].astype(t[1]))
    return st.one_of(
        two, two, two,
        st.tuples(hnp.arrays(np.int64, n, elements=st.integers(0, 2)), kinds).map(lambda t: t[0].astype(t[1])),
        hnp.arrays(np.float64, n),
        any_array(),
        st.none())


WEIRD = st.one_of(st.none(), st.booleans(), st.floats(), st.text(max_size=4), st.integers(-10**20, 10**20),
                  st.complex_numbers(), st.lists(st.integers(-2, 3), max_size=3), st.just(()), st.just(object()))

PARAMS = {
    "lr": st.one_of(st.floats(1e-4, 0.5), WEIRD),
    "epochs": st.one_of(st.integers(-3, 3), st.integers(10**9, 10**20), WEIRD.filter(
        lambda v: not (isinstance(v, int) and not isinstance(v, bool) and 3 < v < 10**9))),
    "batch_size": st.one_of(st.integers(-2, 10), st.integers(2**62, 2**70), WEIRD),
    "init_seed": st.one_of(st.integers(-5, 2**64), st.lists(st.integers(-1, 2**64), max_size=4), WEIRD),
    "shuffle_seed": st.one_of(st.integers(-5, 2**64), WEIRD),
    "shuffle": st.one_of(st.booleans(), WEIRD),
    "dtype": st.one_of(st.sampled_from(["float64", "float32", np.float32, "int8", "f2"]), WEIRD),
    "init": st.one_of(st.sampled_from(INITS + ["nope", "normal(0, -1)", "uniform(1, 0)"]), WEIRD,
                      hnp.arrays(np.float64, st.integers(0, 4))),
    "tol": st.one_of(st.floats(0, 1), WEIRD),
    "n_threads": st.one_of(st.none(), st.integers(-1, 4), st.integers(2**40, 2**70), WEIRD),
}


def _hidden():
    small = st.lists(st.integers(-2, 6), min_size=0, max_size=3).map(tuple)
    absurd = st.lists(st.integers(10**7, 10**30), min_size=1, max_size=2).map(tuple)
    weird = st.one_of(st.floats(), st.text(max_size=2), st.booleans(), st.none(),
                      st.lists(st.one_of(st.floats(), st.booleans(), st.text(max_size=1)), min_size=1, max_size=2))
    return st.one_of(small, absurd, weird)


def _snapshot(obj):
    if isinstance(obj, np.ndarray):
        return obj.copy()
    return None


def _same(before, obj):
    if before is None:
        return True
    if obj.dtype.kind == "O":
        return all(a is b or a == b or (a != a and b != b) for a, b in zip(before.ravel(), obj.ravel()))
    return before.tobytes() == obj.tobytes()


@settings(max_examples=60, **SETTINGS)
@given(data=st.data(), cls=st.sampled_from([Perceptron, LinearRegression, LogisticRegression, MLP]))
def test_fuzzed_fit_and_predict_fail_cleanly(data, cls):
    X = data.draw(_plausible_X(), label="X")
    n = len(X) if hasattr(X, "__len__") and np.ndim(X) >= 1 else 0
    y = data.draw(st.one_of(_labels(n), _labels(n), _labels(n), _labels(st.integers(0, 8))), label="y")
    names = data.draw(st.sets(st.sampled_from(sorted(PARAMS)), max_size=2), label="params")
    kw = {k: data.draw(PARAMS[k], label=k) for k in sorted(names)}
    kw.setdefault("epochs", 2)
    if cls is MLP:
        kw["hidden"] = data.draw(st.one_of(st.just((3,)), _hidden()), label="hidden")
        if data.draw(st.booleans(), label="regression"):
            kw.update(task="regression", loss="squared")
    keep_X, keep_y = _snapshot(X), _snapshot(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            m = cls(**kw).fit(X, y)
            event("fit works")
        except CLEAN as exc:
            event(f"fit raises {type(exc).__name__}")
            m = None
        if m is not None:
            Xp = data.draw(_plausible_X(), label="X_predict")
            try:
                out = m.predict(Xp)
                assert len(out) == len(np.asarray(Xp))
            except (ValueError, TypeError):
                pass
    assert _same(keep_X, X) and _same(keep_y, y)


@settings(max_examples=60, **SETTINGS)
@given(X=any_array(), y=any_array(), cls=st.sampled_from([Perceptron, LinearRegression, MLP]))
def test_arbitrary_arrays_fail_cleanly(X, y, cls):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            cls(epochs=1).fit(X, y)
            event("fit works")
        except (ValueError, TypeError) as exc:
            event(f"fit raises {type(exc).__name__}")
