"""The compiled core computes exactly the documented operation sequence.

Every unit sums its inputs in two halves (bias and inputs [0, m), then inputs
[m, n), m = ceil(n / 2), then the two partial sums are added; zi_kern.h), and
the logistic loss uses the core's own exp and log1p. These tests emulate the
forward pass with NumPy's element-wise IEEE operations (and an exact FMA, for
the builds that fuse a hidden unit's multiply-adds) and whole SGD steps (with
an exact FMA in the hidden weights' updates too, for the avx512 build) and
compare bits, and check the loss and its gradient against NumPy's
exp/logaddexp.
"""
import math
from fractions import Fraction

import numpy as np
import pytest

from zi_core import _dispatch, engine
from zi_core._dispatch import core
from zi_core.reference import LOSS_CODES


def _fma(a, b, c):
    """a * b + c rounded once to a's dtype, element by element, from the exact value.

    Python rounds a Fraction to float64 correctly; for float32, the float64 is made
    round-to-odd (one ulp toward the exact value when inexact and even), after which
    rounding to float32 is correct (53 >= 2 * 24 + 2 bits)."""
    dt = a.dtype
    a, b, c = np.broadcast_arrays(a, b, c)
    out = np.empty(a.shape, dt)
    for k in np.ndindex(a.shape):
        v = Fraction(float(a[k])) * Fraction(float(b[k])) + Fraction(float(c[k]))
        f = float(v)
        if dt == np.float32 and Fraction(f) != v and not (np.float64(f).view(np.int64) & 1):
            f = float(np.nextafter(f, math.inf if v > Fraction(f) else -math.inf))
        out[k] = f
    return out


def _emulated_forward(theta, sizes, bias, X, fma):
    """Outputs (n, B) by the kernel's sequence, one IEEE operation at a time; with
    fma, a hidden unit's a + w h is one fused multiply-add (the output's is not)."""
    Ws, bs = engine.unpack(theta, sizes, bias)
    dt = theta.dtype.type
    H = [X[:, i][:, None] * np.ones(theta.shape[1], theta.dtype) for i in range(X.shape[1])]
    for l, W in enumerate(Ws):
        n_out, n_in = W.shape[1], W.shape[2]
        hidden = l < len(Ws) - 1
        madd = _fma if fma and hidden else (lambda w, h, a: a + w * h)
        m = (n_in + 1) // 2
        out = []
        for j in range(n_out):
            a = np.broadcast_to(bs[l][:, j], H[0].shape).copy() if bias else np.zeros_like(H[0])
            for i in range(m):
                a = madd(np.broadcast_to(W[:, j, i], a.shape), H[i], a)
            c = np.zeros_like(a)
            for i in range(m, n_in):
                c = madd(np.broadcast_to(W[:, j, i], c.shape), H[i], c)
            a = a + c
            out.append(np.where(a > 0, a, dt(0)) if hidden else a)
        H = out
    return H[0]


def test_exact_fma_emulation():
    """_fma against cases whose rounding is known."""
    e = 2.0 ** -52
    one = np.array([1.0 + e])
    # (1 + e)^2 - 1 = 2e + e^2: fused keeps the e^2, two roundings lose it
    assert _fma(one, one, np.array([-1.0]))[0] == 2 * e + e * e
    assert (one * one - 1.0)[0] == 2 * e
    f = np.array([1 + 2.0 ** -12], np.float32)
    got = _fma(f, f, np.array([-1.0], np.float32))
    assert got.dtype == np.float32 and got[0] == 2.0 ** -11 + 2.0 ** -24
    assert (f * f - np.float32(1))[0] == 2.0 ** -11
    # f * f = 1 + 2^-11 + 2^-24 is a float32 midpoint: ties to even, down; a tiny
    # addend puts the exact sum above it, up (rounding via the float64 sum would
    # lose the addend and go down)
    assert _fma(f, f, np.zeros(1, np.float32))[0] == 1 + 2.0 ** -11
    assert _fma(f, f, np.array([2.0 ** -80], np.float32))[0] == 1 + 2.0 ** -11 + 2.0 ** -23


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("variant", _dispatch._ORDER)
def test_forward_sums_each_unit_in_two_halves(dtype, variant):
    mod = _dispatch.runnable().get(variant)
    if mod is None:
        pytest.skip(f"variant {variant} not built here or not runnable on this CPU")
    rng = np.random.default_rng(11)
    small = mod.FMA  # the exact FMA emulation is slow: smaller draws
    for _ in range(25):
        d = int(rng.integers(1, 9 if small else 14))
        hidden = tuple(int(h) for h in rng.integers(1, 7 if small else 12, size=rng.integers(0, 3)))
        sizes = (d,) + hidden + (1,)
        bias = bool(rng.random() < 0.7)
        B = int(rng.choice([1, 2, 3, 9] if small else [1, 2, 3, 4, 9, 17, 40]))
        P = engine.offsets(sizes, bias)[1]
        theta = rng.normal(size=(P, B)).astype(dtype)
        X = rng.normal(size=(int(rng.integers(1, 7 if small else 30)), d)).astype(dtype)
        z = np.empty((X.shape[0], B), dtype)
        mod.forward(X, theta, np.asarray(sizes, np.intp), bias, z, 2)
        expect = _emulated_forward(theta, sizes, bias, X, mod.FMA)
        assert z.tobytes() == expect.astype(dtype).tobytes(), (sizes, bias, B)


def _emulated_training(theta, sizes, bias, X, y, order, lr, fma, fma_update):
    """theta (P, B) after per-sample SGD with the squared loss (no exp: every step is
    +, *, FMA) on X[order], by zi_kern.h's sequence, one IEEE operation at a time:
    output gradient g = z - y; deltas of the layers below with the old weights,
    d_i = gate(0 + sum_j w_ji d_j, h_i) (j in order, multiply and add); then, unit by
    unit, b = b + s and w = w + s h with s = -eta d (one FMA into a hidden unit where
    the build fuses updates), fused with the next sample's forward pass."""
    dt = theta.dtype.type
    offs, _ = engine.offsets(sizes, bias)
    th = [row.copy() for row in theta]
    L = len(sizes) - 1

    def madd(w, h, a, fused):  # a + w h
        return _fma(w, h, a) if fused else a + w * h

    def forward(x):
        H = [np.full(theta.shape[1], v, theta.dtype) for v in x]
        acts = []
        for l, (w0, b0) in enumerate(offs):
            H = [unit(l, j, H) for j in range(sizes[l + 1])]
            acts.append(H)
        return acts

    def unit(l, j, H, old=None, s=None):
        n_in, hidden = sizes[l], l < L - 1
        w0, b0 = offs[l]
        if s is not None and bias:
            th[b0 + j] = th[b0 + j] + s
        a = th[b0 + j].copy() if bias else np.zeros_like(H[0])
        c = np.zeros_like(a)
        for i in range(n_in):
            k = w0 + j * n_in + i
            if s is not None:
                th[k] = madd(s, old[i], th[k], fma_update and hidden)
            if i < (n_in + 1) // 2:
                a = madd(th[k], H[i], a, fma and hidden)
            else:
                c = madd(th[k], H[i], c, fma and hidden)
        a = a + c
        return np.where(a > 0, a, dt(0)) if hidden else a

    acts = forward(X[order[0]])
    for t, r in enumerate(order):
        xn = X[order[min(t + 1, len(order) - 1)]]
        delta = [None] * L
        delta[L - 1] = [acts[L - 1][0] - dt(y[r])]
        for l in range(L - 1, 0, -1):
            w0 = offs[l][0]
            delta[l - 1] = []
            for i in range(sizes[l]):
                a = np.zeros_like(acts[0][0])
                for j in range(sizes[l + 1]):
                    a = a + th[w0 + j * sizes[l] + i] * delta[l][j]
                delta[l - 1].append(np.where(acts[l - 1][i] > 0, a, dt(0)))
        H = [np.full(theta.shape[1], v, theta.dtype) for v in xn]
        old = [np.full(theta.shape[1], v, theta.dtype) for v in X[r]]
        new_acts = []
        for l in range(L):
            H = [unit(l, j, H, old, (-lr) * delta[l][j]) for j in range(sizes[l + 1])]
            old = acts[l]
            new_acts.append(H)
        acts = new_acts
    return np.array(th)


@pytest.mark.parametrize("variant", _dispatch._ORDER)
def test_training_steps_follow_the_documented_update(variant):
    """Whole SGD steps of MLPs, one model alone (B = 1: zi_single.h) and in lanes, give
    the bits of the emulated sequence with this build's arithmetic (FMA in the hidden
    sums; in the avx512 build, in the hidden weights' updates too), and not those of
    the other update arithmetic."""
    mod = _dispatch.runnable().get(variant)
    if mod is None:
        pytest.skip(f"variant {variant} not built here or not runnable on this CPU")
    rng = np.random.default_rng(12)
    told_apart = 0
    for k in range(16):
        dtype = np.float64 if k % 4 else np.float32
        d = int(rng.integers(1, 5))
        hidden = tuple(int(h) for h in rng.integers(1, 5, size=1 + (k % 3 == 2)))
        sizes = (d,) + hidden + (1,)
        bias = bool(rng.random() < 0.7)
        B = int(rng.choice([1, 3, 9]))
        P = engine.offsets(sizes, bias)[1]
        theta = rng.normal(size=(P, B)).astype(dtype)
        n = int(rng.integers(2, 6))
        X = rng.normal(size=(n, d)).astype(dtype)
        y = rng.normal(size=n).astype(dtype)
        order = rng.permutation(n).astype(np.intp)
        lr = np.full(B, 0.25, dtype)
        got = theta.copy()
        mod.train_chunk(X, y, order, got, np.asarray(sizes, np.intp), bias, LOSS_CODES["squared"], 1,
                        lr, 0, 0.5, 0, np.zeros(B), np.zeros(B), 1)
        expect = _emulated_training(theta, sizes, bias, X, y, order, dtype(0.25), mod.FMA,
                                    mod.FMA_UPDATE)
        assert got.tobytes() == expect.tobytes(), (variant, sizes, bias, B, dtype)
        if mod.FMA:
            other = _emulated_training(theta, sizes, bias, X, y, order, dtype(0.25), True,
                                       not mod.FMA_UPDATE)
            told_apart += other.tobytes() != got.tobytes()
    assert told_apart >= 4 or not mod.FMA, told_apart


def _logistic_step(z0, y, dtype=np.float64):
    """One logistic SGD step per model from w = 0, b = z0 on x = 1 with lr = 1.

    Then z = z0 exactly, w_new = 0 - g * 1 = -g exactly, and the loss sum is
    the sample's loss: the kernel's gradient and loss, lane by lane.
    """
    B = len(z0)
    theta = np.vstack([np.zeros(B), z0]).astype(dtype)
    X = np.ones((1, 1), dtype)
    ls, nc = np.zeros(B), np.zeros(B)
    core().train_chunk(X, np.array([y], dtype), np.zeros(1, np.intp), theta, np.array([1, 1], np.intp),
                       True, LOSS_CODES["logistic"], 1, np.ones(B, dtype), 0, 0.5, 0, ls, nc, 1)
    return -theta[0], ls


@pytest.mark.parametrize("y", [-1.0, 1.0])
def test_logistic_gradient_and_loss_are_accurate(y):
    rng = np.random.default_rng(5)
    z = np.concatenate([rng.uniform(-40, 40, 3000), rng.uniform(-1, 1, 500) * 1e-3,
                        [0.0, -0.0, 1e-300, -1e-300, 36.0, -36.0, 700.0, -700.0, 740.0, -740.0]])
    g, loss = _logistic_step(z, y)
    e = np.exp(-np.abs(y * z))  # the sigmoid without overflow
    g_ref = -y * np.where(y * z > 0, e, 1.0) / (1.0 + e)
    np.testing.assert_allclose(g, g_ref, rtol=2e-15, atol=1e-320)  # atol: subnormal results
    np.testing.assert_allclose(loss, np.logaddexp(0.0, -y * z), rtol=2e-15, atol=0)
    # one model alone (the scalar path) gives the same bits as its lane
    for k in (0, 7, len(z) - 1):
        g1, l1 = _logistic_step(z[k:k + 1], y)
        assert g1.tobytes() == g[k:k + 1].tobytes() and l1.tobytes() == loss[k:k + 1].tobytes()


def test_exp_rounding_is_the_same_in_every_build(monkeypatch):
    """The AVX2 and AVX-512 builds round x * 64/ln2 with roundpd / vrndscalepd, the
    baseline with the 1.5 * 2^52 shift: the same integer wherever the result is not
    flushed to 0, so the same bits, out to |z| = 1e300 and infinity (where the two
    roundings do differ)."""
    from zi_core import _dispatch
    mods = _dispatch.runnable()
    if len(mods) < 2:
        pytest.skip("only one variant built or runnable here")
    rng = np.random.default_rng(6)
    z = np.concatenate([rng.uniform(-800, 800, 2000), 10.0 ** rng.uniform(3, 300, 200),
                        -(10.0 ** rng.uniform(3, 300, 200)), [np.inf, -np.inf, 2.0 ** 51, -(2.0 ** 52)]])
    out = {}
    for variant, mod in mods.items():
        monkeypatch.setattr(_dispatch, "_module", mod)
        out[variant] = [_logistic_step(z, y) for y in (-1.0, 1.0)]
    first = out.pop("baseline")
    for variant, got in out.items():
        for (g_b, l_b), (g_a, l_a) in zip(first, got):
            assert g_b.tobytes() == g_a.tobytes() and l_b.tobytes() == l_a.tobytes(), variant


def test_logistic_float32_gradient_is_accurate():
    z = np.linspace(-30, 30, 2001)
    g, loss = _logistic_step(z, 1.0, np.float32)
    z32 = z.astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(g, -1 / (1 + np.exp(z32)), rtol=3e-6, atol=1e-30)
    np.testing.assert_allclose(loss, np.logaddexp(0, -z32), rtol=3e-6, atol=1e-30)


@pytest.mark.parametrize("rule", ["logistic", "squared", "hinge", "perceptron"])
def test_evaluate_is_the_training_loss_of_fixed_weights(rule):
    """core.evaluate sums, per model and in row order, the loss training records.

    Training with lr = 0 visits every row with unchanged weights, so its loss
    sums must equal evaluate's bit for bit, for any B and thread count; both
    agree with NumPy's formulas. The logistic loss is the exception: training
    sums each block of 16 samples as one log1p (ZI_DEFINE_LOGISTIC_BLOCK),
    evaluate one log1p a row, so the two agree to a few ulp, not bit for bit.
    """
    rng = np.random.default_rng(3)
    sizes = np.array([4, 6, 1], np.intp) if rule != "perceptron" else np.array([4, 1], np.intp)
    P = engine.offsets(tuple(sizes), True)[1]
    X = rng.normal(size=(150, 4))
    y = np.where(rng.normal(size=150) > 0, 1.0, -1.0)
    for B in (1, 5, 37):
        theta = rng.normal(size=(P, B))
        ev = [np.zeros(B), np.zeros(B)]
        core().evaluate(X, y, theta, sizes, True, LOSS_CODES[rule], ev[0], ev[1], 2)
        tr = [np.zeros(B), np.zeros(B)]
        th = theta.copy()
        core().train_chunk(X, y, np.arange(150, dtype=np.intp), th, sizes, True, LOSS_CODES[rule], 1,
                           np.zeros(B), 0, 0.5, 0, tr[0], tr[1], 1)
        assert ev[1].tobytes() == tr[1].tobytes()
        if rule == "logistic":
            np.testing.assert_allclose(tr[0], ev[0], rtol=4e-15)
        else:
            assert ev[0].tobytes() == tr[0].tobytes()
        z = engine.outputs(theta, X, tuple(sizes), True)
        np.testing.assert_allclose(ev[0], engine.losses(rule, z, y).sum(axis=0), rtol=1e-13)
        np.testing.assert_array_equal(ev[1], ((z >= 0) == (y[:, None] > 0)).sum(axis=0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", ["mixed", "confident", "wrong", "tiny"])
def test_logistic_block_loss_is_accurate(dtype, case):
    """Training records the logistic loss of each block of 16 samples as
    log1p(prod(1 + e) - 1) plus the misclassified margins; its sums stay within
    a few ulp of the exact sum of log(1 + e^-m), from losses of 1e-300 (where a
    plain product would round to 1 and lose them) to blocks of misclassified
    samples near 16 log 2."""
    rng = np.random.default_rng({"mixed": 1, "confident": 2, "wrong": 3, "tiny": 4}[case])
    n = 203  # 12 whole blocks and a partial one
    y = np.where(rng.normal(size=n) > 0, 1.0, -1.0)
    z = rng.normal(size=n) * {"mixed": 5.0, "confident": 40.0, "wrong": 0.01, "tiny": 1.0}[case]
    if case == "confident":
        z = (np.abs(z) + 1) * y  # every margin y z >= 1
    if case == "tiny":  # every loss about e^-690 (e^-80 in float32), still normal numbers
        z = (np.abs(z) + (690.0 if dtype == np.float64 else 80.0)) * y
    if case == "wrong":
        z = -np.abs(z) * y  # every sample misclassified, e close to 1
    z = z.astype(dtype)
    exact = math.fsum(np.logaddexp(0.0, -y * z.astype(np.float64)))
    # a net of one input with w = 1, b = 0 and lr = 0: each row's output is its z
    for B in (1, 3, 37):  # one model alone (scalar path) and in lanes
        theta = np.vstack([np.ones(B), np.zeros(B)]).astype(dtype)
        got = np.zeros(B)
        core().train_chunk(z[:, None].copy(), y.astype(dtype), np.arange(n, dtype=np.intp), theta,
                           np.array([1, 1], np.intp), True, LOSS_CODES["logistic"], 1,
                           np.zeros(B, dtype), 0, 0.5, 0, got, np.zeros(B), 1)
        np.testing.assert_allclose(got, exact, rtol=8 * np.finfo(dtype).eps, atol=0)
    assert exact > 0
