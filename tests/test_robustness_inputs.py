"""Every kind of input: converted or kept but never mis-read, or a clean error naming the argument.

Arrays of any real dtype, byte order, layout or writability give bit-for-bit
the results of the plain C-contiguous float64 array, and are never modified.
Bad hyper-parameters, labels, initial values and seeds are a ValueError or
TypeError that names the argument; absurd sizes a MemoryError raised before
anything is allocated, with the size computed.
"""
import re
import warnings

import numpy as np
import pytest

from zi_core import MLP, LinearRegression, LogisticRegression, NotFittedError, Perceptron, datasets, init
from zi_core import diagnostics
from zi_core._validation import DataConversionWarning
from zi_core.cli import main as cli_main

ALL = [Perceptron, LinearRegression, LogisticRegression, MLP]
CLASSIFIERS = [Perceptron, LogisticRegression, MLP]

Xc, Yc = datasets.separable(n_samples=24, n_features=3, data_seed=0)
Xr, Yr = datasets.linear(n_samples=24, n_features=3, data_seed=0)


def _make(cls, **kw):
    base = dict(epochs=2, shuffle=True, init="normal(0, 0.3)")
    if cls is MLP:
        base["hidden"] = (4,)
    base.update(kw)
    return cls(**base)


def _data(cls):
    return (Xr, Yr) if cls is LinearRegression else (Xc, Yc)


def _params(m):
    out = list(m.weights_) + ([] if m.biases_ is None else list(m.biases_))
    return [np.asarray(a) for a in out]


def _assert_same_fit(cls, X, y, X_plain, y_plain):
    """Fit on (X, y) and on the plain float64 C arrays: identical bits, inputs untouched."""
    keep_X = np.array(X, copy=True)
    keep_y = np.array(y, copy=True)
    a = _make(cls).fit(X, y)
    b = _make(cls).fit(X_plain, y_plain)
    for pa, pb in zip(_params(a), _params(b)):
        np.testing.assert_array_equal(pa, pb)
    np.testing.assert_array_equal(a._decision(X), b._decision(X_plain))
    np.testing.assert_array_equal(np.asarray(X), keep_X)
    np.testing.assert_array_equal(np.asarray(y), keep_y)


# ------------------------------------------------------------- array layouts

def _variants(X):
    """(name, X variant, the plain float64 array it must be read as)."""
    X32 = X.astype(np.float32)
    Xi = np.round(X * 10).astype(np.int64)
    big = np.zeros((X.shape[0] * 2, X.shape[1] * 3))
    big[::2, ::3] = X
    ro = X.copy()
    ro.setflags(write=False)
    return [
        ("float32", X32, X32.astype(np.float64)),
        ("int64", Xi, Xi.astype(np.float64)),
        ("int8", Xi.astype(np.int8), Xi.astype(np.int8).astype(np.float64)),
        ("uint16", np.abs(Xi).astype(np.uint16), np.abs(Xi).astype(np.float64)),
        ("bool", X > 0, (X > 0).astype(np.float64)),
        ("object", X.astype(object), X),
        ("big-endian", X.astype(">f8"), X),
        ("big-endian float32", X32.astype(">f4"), X32.astype(np.float64)),
        ("fortran", np.asfortranarray(X), X),
        ("strided", big[::2, ::3], X),
        ("negative strides", X[::-1, ::-1][::-1, ::-1], X),
        ("read-only", ro, X),
        ("list", X.tolist(), X),
        ("float16", X.astype(np.float16), X.astype(np.float16).astype(np.float64)),
        ("longdouble", X.astype(np.longdouble), X),
    ]


@pytest.mark.parametrize("cls", ALL)
def test_every_array_kind_is_read_as_the_plain_float64_array(cls):
    X, y = _data(cls)
    for name, Xv, plain in _variants(X):
        _assert_same_fit(cls, Xv, y, plain, y)


@pytest.mark.parametrize("cls", ALL)
def test_target_kinds_are_read_as_plain(cls):
    X, y = _data(cls)
    ro = y.copy()
    ro.setflags(write=False)
    big = np.zeros(2 * len(y))
    big[::2] = y
    for yv in (y.astype(">f8"), ro, big[::2], y.tolist(), y.astype(object)):
        _assert_same_fit(cls, X, yv, X, y)
    if cls is not LinearRegression:
        _assert_same_fit(cls, X, y.astype(np.int32), X, y)
        _assert_same_fit(cls, X, y > 0, X, y)


@pytest.mark.parametrize("cls", ALL)
def test_memory_mapped_read_only_inputs(cls, tmp_path):
    X, y = _data(cls)
    fx = np.memmap(tmp_path / "X.dat", dtype=np.float64, mode="w+", shape=X.shape)
    fx[:] = X
    fx.flush()
    fy = np.memmap(tmp_path / "y.dat", dtype=np.float64, mode="w+", shape=y.shape)
    fy[:] = y
    fy.flush()
    del fx, fy
    mx = np.memmap(tmp_path / "X.dat", dtype=np.float64, mode="r", shape=X.shape)
    my = np.memmap(tmp_path / "y.dat", dtype=np.float64, mode="r", shape=y.shape)
    assert not mx.flags.writeable
    _assert_same_fit(cls, mx, my, X, y)
    # a Fortran-ordered, big-endian memmap is converted, not mis-read
    fb = np.memmap(tmp_path / "Xb.dat", dtype=">f4", mode="w+", shape=X.shape, order="F")
    fb[:] = X
    fb.flush()
    mb = np.memmap(tmp_path / "Xb.dat", dtype=">f4", mode="r", shape=X.shape, order="F")
    _assert_same_fit(cls, mb, y, X.astype(np.float32).astype(np.float64), y)


def test_float32_models_read_every_layout_alike():
    X, y = Xc, Yc
    ref = _make(MLP, dtype="float32").fit(X.astype(np.float32), y)
    for Xv in (X, np.asfortranarray(X.astype(">f4")), X.astype(np.float32)[::1, :]):
        m = _make(MLP, dtype=np.float32).fit(Xv, y)
        for pa, pb in zip(_params(m), _params(ref)):
            np.testing.assert_array_equal(pa, pb)


def test_too_large_for_float32_is_named():
    with pytest.raises(ValueError, match="X has values too large for dtype='float32'"):
        MLP(dtype="float32", epochs=1).fit(Xc * 1e39, Yc)
    with pytest.raises(ValueError, match="y has values too large"):
        LinearRegression(dtype="float32", epochs=1).fit(Xr, Yr * 1e39)


def test_column_vector_y_warns_and_is_used():
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        a = _make(MLP).fit(Xc, Yc[:, None])
    b = _make(MLP).fit(Xc, Yc)
    np.testing.assert_array_equal(a.weights_[0], b.weights_[0])


# ---------------------------------------------------------------- bad arrays

BAD_X = [
    (np.where(np.eye(24, 3) > 0, np.nan, Xc), ValueError, r"X contains NaN or infinity \(first at row 0, column 0\)"),
    (np.where(np.eye(24, 3) > 0, -np.inf, Xc), ValueError, "X contains NaN or infinity"),
    (Xc[:, 0], ValueError, "X must be 2-D.*Reshape your data"),
    (Xc[:, :, None], ValueError, "X must be 2-D .*3-D"),
    (np.float64(3.0), ValueError, "X must be 2-D"),
    (np.zeros((0, 3)), ValueError, "X has 0 samples"),
    (np.zeros((24, 0)), ValueError, "X has 0 features"),
    (Xc.astype(str), ValueError, "X must contain real numbers, got strings"),
    (Xc + 1j, ValueError, "X must contain real numbers: Complex data not supported"),
    (np.full((24, 3), np.datetime64("2020-01-01")), ValueError, "X must contain real numbers; got dtype datetime64"),
    (None, TypeError, "X must be an array-like of numbers, got None"),
    ("abc", TypeError, "X must be an array of numbers, got a string"),
    ([[1.0, 2.0], [3.0]], ValueError, "X could not be converted to an array"),
    (np.array([[{"a": 1}, 1.0, 2.0]] * 24, dtype=object), TypeError, "X must contain real numbers: .*dict"),
    (np.array([["1.5", 1.0, 2.0], ["x", 1.0, 2.0]] * 12, dtype=object), ValueError, "X must contain real numbers"),
    (np.array([[10**400, 1.0, 2.0]] * 24, dtype=object), ValueError, "X must contain real numbers"),
    (np.array([[None, 1.0, 2.0]] * 24, dtype=object), ValueError, "X contains NaN"),  # None reads as NaN
    (np.array([[np.longdouble("1e4000"), 1, 2]] * 24, dtype=np.longdouble), ValueError, "X contains NaN or infinity"),
]


@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("Xbad, exc, match", BAD_X)
def test_bad_X_named(cls, Xbad, exc, match):
    y = _data(cls)[1]
    with pytest.raises(exc, match=match):
        cls(epochs=1).fit(Xbad, y)


def test_sparse_X_is_refused_with_a_clear_message():
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="sparse input is not supported"):
        MLP(epochs=1).fit(sparse.csr_matrix(Xc), Yc)


@pytest.mark.parametrize("cls", CLASSIFIERS)
@pytest.mark.parametrize("ybad, match", [
    (None, "requires y to be passed, but the target y is None"),
    (Yc[:10], "y has 10 entries but X has 24 samples"),
    (np.ones(24), "y has one class"),
    (np.arange(24) % 3, "y has 3 classes.*Only binary classification is supported"),
    (np.array(["a", "b", "c"] * 8), "y has 3 classes"),
    (np.linspace(0, 1, 24), "continuous"),
    (np.where(Yc > 0, 1.0, np.nan), "y contains NaN"),
    (np.where(Yc > 0, 1.0, np.inf), "y contains NaN or infinity"),
    (np.array([1, "a"] * 12, dtype=object), "y mixes label types"),
    (np.array([None, 1] * 12, dtype=object), "y contains None or NaN"),
    (np.ones((24, 2)), "y must be 1-D"),
    (np.ones((2, 12, 1)), "y must be 1-D"),
    (np.float64(1.0), "y must be 1-D"),
])
def test_bad_labels_named(cls, ybad, match):
    with pytest.raises(ValueError, match=match):
        cls(epochs=1).fit(Xc, ybad)


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_string_bytes_and_bool_labels_round_trip(cls):
    for labels in (np.where(Yc > 0, "yes", "no"), np.where(Yc > 0, b"1", b"0"), Yc > 0,
                   np.where(Yc > 0, 7, -3), np.where(Yc > 0, 0.5, -0.25)):
        m = cls(epochs=5).fit(Xc, labels)
        assert m.predict(Xc).dtype == np.asarray(labels).dtype
        assert set(m.predict(Xc)) <= set(labels)


@pytest.mark.parametrize("ybad, exc, match", [
    (np.full(24, np.nan), ValueError, "y contains NaN"),
    (np.array(["a"] * 24), ValueError, "y must contain real numbers, got strings"),
    (Yr + 1j, ValueError, "Complex data not supported"),
    (np.array([{}] * 24, dtype=object), TypeError, "y must contain real numbers"),
    (None, ValueError, "requires y to be passed"),
    (Yr[:5], ValueError, "y has 5 entries but X has 24 samples"),
])
def test_bad_regression_targets_named(ybad, exc, match):
    for est in (LinearRegression(epochs=1), MLP(task="regression", loss="squared", epochs=1)):
        with pytest.raises(exc, match=match):
            est.fit(Xr, ybad)


def test_one_sample():
    m = LinearRegression(epochs=3).fit(Xr[:1], Yr[:1])
    assert m.predict(Xr[:1]).shape == (1,)
    MLP(task="regression", loss="squared", epochs=2).fit(Xr[:1], Yr[:1])
    for cls in CLASSIFIERS:
        with pytest.raises(ValueError, match="y has one class"):
            cls(epochs=1).fit(Xc[:1], Yc[:1])
    p = Perceptron(epochs=1).fit(Xc, Yc)
    assert p.predict(Xc[:1]).shape == (1,)


# --------------------------------------------------------- hyper-parameters

BAD_COMMON = [
    ("lr", 0.0, ValueError, "lr must be > 0"),
    ("lr", -0.1, ValueError, "lr must be > 0"),
    ("lr", float("nan"), ValueError, "lr must be finite"),
    ("lr", float("inf"), ValueError, "lr must be finite"),
    ("lr", np.float32("nan"), ValueError, "lr must be finite"),
    ("lr", True, TypeError, "lr must be a real number"),
    ("lr", "0.1", TypeError, "lr must be a real number"),
    ("lr", None, TypeError, "lr must be a real number"),
    ("lr", 1 + 2j, TypeError, "lr must be a real number"),
    ("epochs", 0, ValueError, "epochs must be >= 1"),
    ("epochs", -1, ValueError, "epochs must be >= 1"),
    ("epochs", 2.0, TypeError, "epochs must be an integer"),
    ("epochs", False, TypeError, "epochs must be an integer"),
    ("epochs", "3", TypeError, "epochs must be an integer"),
    ("batch_size", 0, ValueError, "batch_size must be >= 1"),
    ("batch_size", 1.5, TypeError, "batch_size must be an integer"),
    ("batch_size", True, TypeError, "batch_size must be an integer"),
    ("batch_size", 2**70, ValueError, "batch_size must be <="),
    ("init_seed", -1, ValueError, "init_seed must be >= 0"),
    ("init_seed", 0.0, TypeError, "init_seed must be an integer"),
    ("init_seed", True, TypeError, "init_seed must be an integer"),
    ("init_seed", 2**64, ValueError, "init_seed must be <="),
    ("init_seed", [], ValueError, "init_seed must not be empty"),
    ("init_seed", [0, -2], ValueError, r"init_seed\[1\] must be >= 0"),
    ("init_seed", np.array([0.0, 1.0]), TypeError, r"init_seed\[0\] must be an integer"),
    ("init_seed", [0, True], TypeError, r"init_seed\[1\] must be an integer"),
    ("shuffle_seed", -5, ValueError, "shuffle_seed must be >= 0"),
    ("shuffle_seed", 1.0, TypeError, "shuffle_seed must be an integer"),
    ("shuffle_seed", np.bool_(True), TypeError, "shuffle_seed must be an integer"),
    ("n_threads", 0, ValueError, "n_threads must be >= 1"),
    ("n_threads", 2.0, TypeError, "n_threads must be an integer"),
    ("n_threads", True, TypeError, "n_threads must be an integer"),
    ("power_t", -1.0, ValueError, "power_t must be >= 0"),
    ("tol", -1e-3, ValueError, "tol must be >= 0"),
    ("tol", float("nan"), ValueError, "tol must be finite"),
    ("shuffle", 1, TypeError, "shuffle must be True or False"),
    ("shuffle", "yes", TypeError, "shuffle must be True or False"),
    ("lr_schedule", "cosine", ValueError, "lr_schedule must be one of"),
    ("dtype", "float16", ValueError, "dtype must be one of"),
    ("dtype", 5, ValueError, "dtype must be one of"),
    ("dtype", object(), ValueError, "dtype must be one of"),
    ("backend", "torch", ValueError, "backend must be one of"),
    ("on_divergence", "ignore", ValueError, "on_divergence must be one of"),
    ("init", "he_normall", ValueError, "init: unknown initializer"),
    ("init", 5, ValueError, "init"),
    ("bias_init", "normal(0, -1)", ValueError, "bias_init"),
]


@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("param, value, exc, match", BAD_COMMON)
def test_bad_hyper_parameters_named(cls, param, value, exc, match):
    X, y = _data(cls)
    with pytest.raises(exc, match=match):
        cls(**{"epochs": 1, param: value}).fit(X, y)


@pytest.mark.parametrize("param, value, exc, match", [
    ("hidden", (0,), ValueError, r"hidden\[0\] must be >= 1"),
    ("hidden", (3, -1), ValueError, r"hidden\[1\] must be >= 1"),
    ("hidden", (2.0,), TypeError, r"hidden\[0\] must be an integer"),
    ("hidden", (False,), TypeError, r"hidden\[0\] must be an integer"),
    ("hidden", True, TypeError, "hidden must be a tuple of positive ints"),
    ("hidden", "10", TypeError, "hidden must be a tuple of positive ints"),
    ("hidden", 2.5, TypeError, "hidden must be a tuple of positive ints"),
    ("loss", "mse", ValueError, "loss must be one of"),
    ("task", "ranking", ValueError, "task must be one of"),
    ("bias", 0, TypeError, "bias must be True or False"),
    ("init", [np.zeros((10, 3))], ValueError, r"init has 1 entries but the network has 2 layers"),
    ("init", [np.zeros((9, 3)), np.zeros((1, 10))], ValueError, r"init\[0\] has shape \(9, 3\), expected \(10, 3\)"),
    ("init", [np.zeros((10, 3)), np.full((1, 10), np.inf)], ValueError, r"init\[1\] contains NaN or infinity"),
    ("init", [np.zeros((10, 3), dtype=object), np.zeros((1, 10))], ValueError, r"init\[0\] must be numeric"),
    ("init", np.zeros((10, 3)), ValueError, "init: an array warm-starts a single layer"),
    ("bias_init", [np.zeros(9), "zeros"], ValueError, r"bias_init\[0\] has shape \(9,\), expected \(10,\)"),
    ("bias_init", [np.full(10, np.nan), "zeros"], ValueError, r"bias_init\[0\] contains NaN"),
])
def test_bad_mlp_parameters_named(param, value, exc, match):
    with pytest.raises(exc, match=match):
        MLP(**{"epochs": 1, param: value}).fit(Xc, Yc)


@pytest.mark.parametrize("cls", [Perceptron, LinearRegression, LogisticRegression])
@pytest.mark.parametrize("param, value, exc, match", [
    ("init", np.zeros(2), ValueError, r"init has shape \(2,\), expected \(1, 3\)"),
    ("init", np.zeros((3, 1)), ValueError, r"init has shape \(3, 1\), expected \(1, 3\)"),
    ("init", np.array([0.0, np.nan, 1.0]), ValueError, "init contains NaN or infinity"),
    ("init", [0.0, float("inf"), 1.0], ValueError, "init contains NaN or infinity"),
    ("init", np.array(["a", "b", "c"]), ValueError, "init must be numeric"),
    ("bias_init", np.zeros(2), ValueError, r"bias_init has shape \(2,\), expected \(1,\)"),
    ("bias_init", [float("nan")], ValueError, "bias_init contains NaN"),
    ("fit_intercept", "no", TypeError, "fit_intercept must be True or False"),
])
def test_bad_linear_init_named(cls, param, value, exc, match):
    X, y = _data(cls)
    with pytest.raises(exc, match=match):
        cls(**{"epochs": 1, param: value}).fit(X, y)


def test_warm_start_arrays_of_any_kind_are_read_alike_and_never_written():
    W1 = np.linspace(-1, 1, 30).reshape(10, 3)
    W2 = np.linspace(-0.5, 0.5, 10).reshape(1, 10)
    ref = MLP(init=[W1, W2], epochs=2).fit(Xc, Yc)
    ro = W1.copy()
    ro.setflags(write=False)
    for first in (W1.astype(">f8"), np.asfortranarray(W1), ro, W1.tolist()):
        keep = np.array(first, copy=True)
        m = MLP(init=[np.asarray(first) if isinstance(first, list) else first, W2], epochs=2).fit(Xc, Yc)
        np.testing.assert_array_equal(m.weights_[0], ref.weights_[0])
        np.testing.assert_array_equal(np.asarray(first), keep)
    w = np.array([0.5, -0.25, 1.0], dtype=">f4")
    p = Perceptron(init=w, epochs=1).fit(Xc, Yc)
    np.testing.assert_array_equal(p.initial_coef_, w.astype(np.float64))


def test_numpy_scalars_and_seed_kinds_are_accepted():
    m = MLP(hidden=(np.int64(3),), lr=np.float32(0.05), epochs=np.int32(2), init_seed=np.uint8(4),
            shuffle_seed=np.int16(1), batch_size=np.int64(2), shuffle=np.bool_(True), n_threads=10**6).fit(Xc, Yc)
    ref = MLP(hidden=(3,), lr=float(np.float32(0.05)), epochs=2, init_seed=4, shuffle_seed=1, batch_size=2,
              shuffle=True).fit(Xc, Yc)
    np.testing.assert_array_equal(m.weights_[0], ref.weights_[0])
    many = MLP(hidden=(3,), epochs=1, init_seed=np.arange(3)).fit(Xc, Yc)
    assert many.weights_[0].shape == (3, 3, 3)
    MLP(hidden=np.array([3, 2]), epochs=1, init_seed=range(2), dtype=np.float32).fit(Xc, Yc)


@pytest.mark.parametrize("kw, match", [
    (dict(hidden=(10**6, 10**6)), "1,000,006,000,001 parameters per model"),
    (dict(hidden=(10**12,)), "parameters per model"),
    (dict(hidden=(2000,), init_seed=range(10**6)), "x 1,000,000 models"),
    (dict(epochs=10**12), "history of 1 models x 1,000,000,000,000 epochs"),
])
def test_absurd_sizes_fail_up_front_with_the_size(kw, match):
    with pytest.raises(MemoryError, match=match):
        MLP(**kw).fit(Xc, Yc)



def test_memory_check_reads_available_memory_only_for_big_runs(monkeypatch):
    from zi_core import _validation
    reads = []

    def tiny():
        reads.append(1)
        return 1 << 20  # 1 MiB available: any run counted against it is too big

    monkeypatch.setattr(_validation, "available_memory", tiny)
    MLP(hidden=(3,), epochs=2).fit(Xc, Yc)  # small: trains without reading it
    assert reads == []
    # 60 seeds x 16,011 parameters x 8 copies x 8 bytes > 64 MiB: read, and too big for 1 MiB
    with pytest.raises(MemoryError, match="x 60 models .* 0.0 GiB available"):
        MLP(hidden=(4000,), epochs=1, init_seed=range(60)).fit(Xc, Yc)
    assert reads == [1]


# ----------------------------------------------------------------- predict

@pytest.mark.parametrize("cls", ALL)
def test_predict_input_checks(cls):
    X, y = _data(cls)
    with pytest.raises(NotFittedError, match="not fitted"):
        cls().predict(X)
    m = cls(epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but .* is expecting 3 features"):
        m.predict(X[:, :2])
    with pytest.raises(ValueError, match="Reshape your data"):
        m.predict(X[0])
    with pytest.raises(ValueError, match="X contains NaN"):
        m.predict(np.full_like(X, np.nan))
    with pytest.raises(ValueError, match="X has 0 samples"):
        m.predict(X[:0])
    np.testing.assert_array_equal(m.predict(np.asfortranarray(X.astype(">f8"))), m.predict(X))
    assert m.score(X, y) == m.score(X.tolist(), list(y))


def test_failed_refit_keeps_the_previous_fit():
    m = MLP(epochs=1).fit(Xc, Yc)
    w = m.weights_[0].copy()
    with pytest.raises(ValueError):
        m.set_params(lr=-1).fit(Xc[:, :2], np.where(Yc > 0, "a", "b"))
    assert m.n_features_in_ == 3 and list(m.classes_) == [-1.0, 1.0]
    np.testing.assert_array_equal(m.weights_[0], w)


# --------------------------------------------- other public functions (quick)

@pytest.mark.parametrize("call, match", [
    (lambda: datasets.linear(n_samples=0), "n_samples"),
    (lambda: datasets.linear(n_features=-1), "n_features"),
    (lambda: datasets.linear(n_samples=2.5), "n_samples"),
    (lambda: datasets.linear(n_samples=True), "n_samples"),
    (lambda: datasets.linear(data_seed=-1), "data_seed"),
    (lambda: datasets.linear(data_seed=1.5), "data_seed"),
    (lambda: datasets.linear(data_seed=True), "data_seed"),
    (lambda: datasets.linear(noise=float("nan")), "noise"),
    (lambda: datasets.separable(margin=-1.0), "margin"),
    (lambda: datasets.logistic(noise=float("inf")), "noise"),
    (lambda: datasets.teacher_mlp(sizes=(3, 0, 1)), "sizes"),
    (lambda: datasets.teacher_mlp(sizes=(3, 2)), "sizes"),
    (lambda: datasets.teacher_mlp(sizes="abc"), "sizes"),
    (lambda: datasets.xor(noise=-1.0), "noise"),
    (lambda: datasets.get("nope"), "nope"),
    (lambda: init.get("nope"), "nope"),
    (lambda: init.get(None), "None"),
    (lambda: init.get("normal(0,"), "normal"),
    (lambda: init.get("normal(0, nan)"), "normal"),
    (lambda: init.normal(0.0, -1.0), "std"),
    (lambda: init.uniform(1.0, 0.0), "low"),
    (lambda: init.constant(float("inf")), "value"),
    (lambda: init.orthogonal("a"), "gain"),
    (lambda: init.get("he_normal")((0, 3), np.random.default_rng(0)), "shape"),
    (lambda: init.get("he_normal")((2, 3), 5), "rng"),
    (lambda: init.array(np.array([np.nan])), "non-finite"),
    (lambda: diagnostics.distinct_hidden_units(np.zeros(3)), "W must be 2-D"),
    (lambda: diagnostics.distinct_hidden_units(np.full((2, 2), np.nan)), "W contains NaN"),
    (lambda: diagnostics.distinct_hidden_units(np.zeros((2, 2)), atol=-1), "atol"),
    (lambda: diagnostics.distinct_hidden_units(np.zeros((2, 2)), b=np.zeros(3)), "b has 3 entries"),
    (lambda: diagnostics.direction(np.zeros(3), np.zeros(3)), "zero vector"),
    (lambda: diagnostics.direction(np.zeros(3), np.ones(2)), "w_a has 3 entries"),
    (lambda: diagnostics.direction(np.array([np.nan, 1.0]), np.ones(2)), "w_a contains NaN"),
    (lambda: diagnostics.closed_form(np.array([[np.nan]]), np.zeros(1)), "X contains NaN"),
    (lambda: diagnostics.closed_form(np.zeros((3, 2)), np.zeros(2)), "y has 2"),
    (lambda: diagnostics.gradient_at_init(MLP(), Xc, Yc), "not fitted"),
    (lambda: diagnostics.gradient_at_init(5, Xc, Yc), "gradient_at_init needs"),
])
def test_other_public_functions_reject_bad_arguments(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# --------------------------------------------------------------------- CLI

@pytest.mark.parametrize("flags, match", [
    (["--lr", "-1"], "lr must be > 0"),
    (["--lr", "nan"], "lr must be finite"),
    (["--lr", "inf"], "lr must be finite"),
    (["--epochs", "0"], "epochs must be >= 1"),
    (["--epochs", "1.5"], "argument --epochs"),
    (["--hidden", "0"], "sizes must be a tuple of positive ints"),
    (["--hidden", "a"], "argument --hidden"),
    (["--init-seed=-1"], "init_seed must be >= 0"),
    (["--init-seed", "a:b"], "argument --init-seed"),
    (["--shuffle-seed=-3"], "shuffle_seed must be >= 0"),
    (["--data-seed=-1"], "data_seed"),
    (["--n-samples", "0"], "n_samples"),
    (["--n-features", "0"], "sizes"),
    (["--threads", "0"], "n_threads must be >= 1"),
    (["--batch-size", "0"], "batch_size must be >= 1"),
    (["--init", "normal(0, nan)"], "init"),
    (["--model", "svm"], "argument --model"),
    (["--dtype", "float16"], "argument --dtype"),
])
def test_cli_bad_values_exit_2_with_the_argument_named(flags, match, capsys):
    try:
        rc = cli_main(["train", "--epochs", "1", "--n-samples", "20"] + flags)
    except SystemExit as exc:  # argparse type errors
        rc = exc.code
    assert rc == 2
    assert re.search(match, capsys.readouterr().err)


def test_cli_json_train_with_float32(capsys):
    assert cli_main(["train", "--model", "logistic", "--dtype", "float32", "--epochs", "2",
                     "--n-samples", "30", "--json"]) == 0


def test_warnings_are_not_errors_for_plain_input():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for cls in ALL:
            X, y = _data(cls)
            cls(epochs=2).fit(X, y).predict(X)


def test_cli_absurd_sizes_exit_2_with_the_size(capsys):
    rc = cli_main(["train", "--epochs", "1", "--n-samples", "20", "--hidden", "1000000,1000000"])
    assert rc == 2 and "GiB" in capsys.readouterr().err


# ------------------------------------------------------ engine.train_many (public)

def _spec(**kw):
    from zi_core import ModelSpec
    base = dict(model="mlp", hidden=(4,), epochs=2)
    base.update(kw)
    return ModelSpec(**base)


@pytest.mark.parametrize("call, exc, match", [
    (lambda tm: tm("not a spec", Xc, Yc, [0]), TypeError, "spec must be a zi_core.ModelSpec"),
    (lambda tm: tm(_spec(lr=-1.0), Xc, Yc, [0]), ValueError, "spec.lr must be > 0"),
    (lambda tm: tm(_spec(lr=float("nan")), Xc, Yc, [0]), ValueError, "spec.lr must be finite"),
    (lambda tm: tm(_spec(epochs=0), Xc, Yc, [0]), ValueError, "spec.epochs must be >= 1"),
    (lambda tm: tm(_spec(epochs=1.5), Xc, Yc, [0]), TypeError, "spec.epochs must be an integer"),
    (lambda tm: tm(_spec(batch_size=True), Xc, Yc, [0]), TypeError, "spec.batch_size must be an integer"),
    (lambda tm: tm(_spec(model="svm"), Xc, Yc, [0]), ValueError, "spec.model must be one of"),
    (lambda tm: tm(_spec(loss="mse"), Xc, Yc, [0]), ValueError, "spec.loss must be one of"),
    (lambda tm: tm(_spec(hidden=(0,)), Xc, Yc, [0]), ValueError, r"spec.hidden\[0\] must be >= 1"),
    (lambda tm: tm(_spec(hidden=(10**6, 10**6)), Xc, Yc, [0]), MemoryError, "parameters per model"),
    (lambda tm: tm(_spec(dtype="float16"), Xc, Yc, [0]), ValueError, "spec.dtype must be one of"),
    (lambda tm: tm(_spec(), np.full_like(Xc, np.nan), Yc, [0]), ValueError, "X contains NaN"),
    (lambda tm: tm(_spec(), Xc[:, 0], Yc, [0]), ValueError, "X must be 2-D"),
    (lambda tm: tm(_spec(), Xc, (Yc > 0).astype(float), [0]), ValueError, "y must be encoded as -1.0/"),
    (lambda tm: tm(_spec(), Xc, Yc[:3], [0]), ValueError, "y has 3 entries but X has 24"),
    (lambda tm: tm(_spec(task="regression", loss="squared"), Xr, np.full(24, np.inf), [0]), ValueError,
     "y contains NaN or infinity"),
    (lambda tm: tm(_spec(), Xc, Yc, [-1]), ValueError, r"init_seeds\[0\] must be >= 0"),
    (lambda tm: tm(_spec(), Xc, Yc, [0.5]), TypeError, r"init_seeds\[0\] must be an integer"),
    (lambda tm: tm(_spec(), Xc, Yc, []), ValueError, "init_seeds must not be empty"),
    (lambda tm: tm(_spec(), Xc, Yc, [0], shuffle_seed=-1), ValueError, "shuffle_seed must be >= 0"),
    (lambda tm: tm(_spec(), Xc, Yc, [0], backend="gpu"), ValueError, "backend must be one of"),
    (lambda tm: tm(_spec(), Xc, Yc, [0], n_threads=0), ValueError, "n_threads must be >= 1"),
    (lambda tm: tm(_spec(), Xc, Yc, [0], on_divergence="warn"), ValueError, "on_divergence must be one of"),
    (lambda tm: tm(_spec(), Xc, Yc, [0], callback=5), TypeError, "callback must be callable"),
])
def test_train_many_validates_its_arguments(call, exc, match):
    from zi_core import train_many
    with pytest.raises(exc, match=match):
        call(train_many)


def test_train_many_reads_any_layout_alike():
    from zi_core import train_many
    ref = train_many(_spec(), Xc, Yc, [0, 1])
    for Xv in (np.asfortranarray(Xc), Xc.astype(">f8"), Xc.tolist()):
        res = train_many(_spec(), Xv, list(Yc), np.array([0, 1], dtype=np.uint8))
        for a, b in zip(ref.weights, res.weights):
            assert a.tobytes() == b.tobytes()
