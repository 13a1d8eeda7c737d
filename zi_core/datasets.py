"""Synthetic data sets (SPEC section 8).

Every function takes the keyword ``data_seed`` (default 0) and draws only from
``numpy.random.default_rng(data_seed)``, so a data set is a pure function of its
arguments.  Each returns ``(X, y)`` with ``X`` a C-contiguous float64 array of
shape ``(n_samples, n_features)`` and ``y`` float64 of shape ``(n_samples,)``;
classification labels are exactly ``-1.0`` / ``+1.0``.  With
``return_teacher=True`` the functions return ``(X, y, teacher)`` where
``teacher`` is a dict describing the model that generated the labels.

=================  ==============  ==========================================================
name               task            labels / targets
=================  ==============  ==========================================================
``linear``         regression      ``X w* + b* + noise * N(0, 1)``
``separable``      classification  ``sign(w . x)``, ``|w . x| >= margin``, exactly balanced
``logistic``       classification  +1 with probability ``sigmoid((X w) / noise)``
``teacher_mlp``    classification  sign of a random ReLU teacher network, exactly balanced
``xor``            classification  ``sign(x1 * x2)`` of four noisy corners
=================  ==============  ==========================================================

Teachers: linear models give ``{"coef": w, "intercept": b}``; ``teacher_mlp``
gives ``{"weights": [W_1, ..., W_L], "biases": [b_1, ..., b_L]}`` with ``W_l``
of shape ``(out, in)``, and ``xor`` gives ``{"corners": C}`` (the clean corner of
every sample).

The order of draws within each function is documented there and is part of the
contract: changing it changes every data set.
"""
from __future__ import annotations

import difflib
import math
import numbers

import numpy as np

__all__ = ["TASKS", "get", "linear", "logistic", "names", "separable", "teacher_mlp", "xor"]

#: maximum number of teacher networks :func:`teacher_mlp` draws before giving up
MAX_TEACHER_TRIES = 100


# ----------------------------------------------------------------- validation

def _int_arg(who, name, value, minimum=1):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise ValueError(f"{who}: {name} must be an int >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{who}: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _nonneg_arg(who, name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise ValueError(f"{who}: {name} must be a finite real number >= 0, got {value!r}")
    try:
        v = float(value)
    except (OverflowError, TypeError, ValueError):
        raise ValueError(f"{who}: {name} must be a finite real number >= 0, got {value!r}") from None
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{who}: {name} must be a finite real number >= 0, got {value!r}")
    return v


def _rng(who, data_seed):
    if isinstance(data_seed, np.random.SeedSequence):
        return np.random.default_rng(data_seed)
    if isinstance(data_seed, (bool, np.bool_)) or not isinstance(data_seed, (numbers.Integral, np.integer)):
        raise ValueError(f"{who}: data_seed must be an int >= 0, got {data_seed!r}")
    if data_seed < 0:
        raise ValueError(f"{who}: data_seed must be an int >= 0, got {data_seed!r}")
    return np.random.default_rng(int(data_seed))


def _bool_arg(who, name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{who}: {name} must be True or False, got {value!r}")
    return bool(value)


def _sizes_arg(who, sizes):
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (tuple, list)):
        raise ValueError(f"{who}: sizes must be a tuple of positive ints ending in 1, got {sizes!r}")
    if len(sizes) < 2:
        raise ValueError(f"{who}: sizes must have at least 2 entries (n_features, ..., 1), got {tuple(sizes)!r}")
    out = []
    for s in sizes:
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (numbers.Integral, np.integer)) or s < 1:
            raise ValueError(f"{who}: sizes must be a tuple of positive ints, got {tuple(sizes)!r}")
        out.append(int(s))
    if out[-1] != 1:
        raise ValueError(f"{who}: sizes must end in 1 (one output unit), got {tuple(out)!r}")
    return tuple(out)


def _finish(X, y, teacher, return_teacher):
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    return (X, y, teacher) if return_teacher else (X, y)


# ------------------------------------------------------------------- datasets

def linear(n_samples=200, n_features=10, noise=0.1, data_seed=0, return_teacher=False):
    """Regression data from a random linear teacher.

    Draws, in order: ``w* ~ N(0, I_d)``, ``b* ~ N(0, 1)``,
    ``X ~ N(0, 1)`` of shape ``(n_samples, n_features)`` and
    ``eps ~ N(0, 1)`` of shape ``(n_samples,)``; then
    ``y = X w* + b* + noise * eps``.  The noise is drawn even when
    ``noise == 0``, so ``X`` and the teacher do not depend on ``noise``.

    Parameters
    ----------
    n_samples : int, default 200
        Number of rows, ``>= 1``.
    n_features : int, default 10
        Number of columns, ``>= 1``.
    noise : float, default 0.1
        Standard deviation of the additive Gaussian noise, finite ``>= 0``.
    data_seed : int, default 0
        Seed of ``numpy.random.default_rng``.
    return_teacher : bool, default False
        Also return ``{"coef": w*, "intercept": b*}``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    teacher : dict, only if ``return_teacher``

    Raises
    ------
    ValueError
        For an invalid argument (the message names it).
    """
    who = "linear"
    n = _int_arg(who, "n_samples", n_samples)
    d = _int_arg(who, "n_features", n_features)
    noise = _nonneg_arg(who, "noise", noise)
    return_teacher = _bool_arg(who, "return_teacher", return_teacher)
    rng = _rng(who, data_seed)
    w = rng.standard_normal(d)
    b = float(rng.standard_normal())
    X = rng.standard_normal((n, d))
    eps = rng.standard_normal(n)
    y = X @ w + b + noise * eps
    return _finish(X, y, {"coef": w, "intercept": b}, return_teacher)


def _tail_normal(rng, a, size):
    """``size`` draws of Z ~ N(0, 1) conditioned on Z >= a (a >= 0).

    Rejection sampling in vectorized rounds with the exponential proposal of
    Robert (1995), ``a + Exp(rate=alpha)``, ``alpha = (a + sqrt(a^2 + 4)) / 2``,
    accepted with probability ``exp(-(z - alpha)^2 / 2)``; the acceptance rate is
    above 0.75 for every ``a >= 0``, so large margins stay cheap.
    """
    alpha = 0.5 * (a + math.sqrt(a * a + 4.0))
    out = np.empty(size)
    filled = 0
    while filled < size:
        m = max(2 * (size - filled), 16)
        z = a + rng.standard_exponential(m) / alpha
        u = rng.random(m)
        ok = z[u <= np.exp(-0.5 * (z - alpha) ** 2)]
        take = ok[: size - filled]
        out[filled: filled + take.size] = take
        filled += take.size
    return out


def separable(n_samples=200, n_features=10, margin=0.1, data_seed=0, return_teacher=False):
    """Linearly separable, exactly balanced classification data with a margin.

    The teacher is a random unit vector ``w`` (intercept 0).  Each sample is
    ``x ~ N(0, I_d)`` conditioned on ``|w . x| >= margin`` and on the sign of
    ``w . x`` matching its label; ``ceil(n/2)`` samples are labelled +1 and
    ``floor(n/2)`` are labelled -1, then the rows are put in a random order.

    The conditioning is exact rejection sampling done in vectorized rounds:
    a Gaussian splits into its independent component along ``w`` and the
    orthogonal rest, so each candidate is ``g - (g . w) w + s t w`` with
    ``g ~ N(0, I_d)``, ``s`` the label and ``t`` drawn from the normal tail
    ``t >= margin`` by rejection.  A candidate is kept only if the computed
    ``s (w . x) >= margin`` and ``s (w . x) > 0`` hold in floating point, so
    ``sign(X @ w) == y`` and ``abs(X @ w) >= margin`` hold exactly.

    Draws, in order: ``w`` (``standard_normal(d)``, normalized), then rounds of
    candidates (``standard_normal``, ``standard_exponential``, ``random``), then
    the row permutation.

    Parameters
    ----------
    n_samples : int, default 200
        Number of rows, ``>= 1``.
    n_features : int, default 10
        Number of columns, ``>= 1``.
    margin : float, default 0.1
        Minimum ``|w . x|``, finite ``>= 0``.
    data_seed : int, default 0
        Seed of ``numpy.random.default_rng``.
    return_teacher : bool, default False
        Also return ``{"coef": w, "intercept": 0.0}`` (``w`` has unit norm).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), values -1.0 / +1.0
    teacher : dict, only if ``return_teacher``

    Raises
    ------
    ValueError
        For an invalid argument (the message names it).
    """
    who = "separable"
    n = _int_arg(who, "n_samples", n_samples)
    d = _int_arg(who, "n_features", n_features)
    margin = _nonneg_arg(who, "margin", margin)
    return_teacher = _bool_arg(who, "return_teacher", return_teacher)
    rng = _rng(who, data_seed)

    w = rng.standard_normal(d)
    w /= np.linalg.norm(w)
    n_pos = (n + 1) // 2
    labels = np.concatenate([np.ones(n_pos), -np.ones(n - n_pos)])
    X = np.empty((n, d))
    todo = np.arange(n)  # rows still to fill
    while todo.size:
        k = todo.size
        g = rng.standard_normal((k, d))
        t = _tail_normal(rng, margin, k)
        s = labels[todo]
        cand = g - np.outer(g @ w, w) + np.outer(s * t, w)
        proj = s * (cand @ w)
        ok = (proj >= margin) & (proj > 0)
        X[todo[ok]] = cand[ok]
        todo = todo[~ok]
    perm = rng.permutation(n)
    return _finish(X[perm], labels[perm], {"coef": w, "intercept": 0.0}, return_teacher)


def _sigmoid(t):
    e = np.exp(-np.abs(t))
    return np.where(t >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def logistic(n_samples=200, n_features=10, noise=1.0, data_seed=0, return_teacher=False):
    """Noisy classification data from a logistic teacher.

    Draws, in order: ``w = 3 * N(0, I_d) / sqrt(d)``, ``X ~ N(0, 1)`` and
    ``u ~ U[0, 1)`` of shape ``(n_samples,)``; with ``z = X w`` the label is
    +1 when ``u < sigmoid(z / noise)`` and -1 otherwise.  ``noise`` is a
    temperature: ``noise = 0`` gives the deterministic ``sign(z)`` (with
    ``sign(0) = +1``), large ``noise`` gives labels close to coin flips.  ``u`` is
    drawn for every ``noise``, so ``X`` and the teacher do not depend on it.

    Parameters
    ----------
    n_samples : int, default 200
        Number of rows, ``>= 1``.
    n_features : int, default 10
        Number of columns, ``>= 1``.
    noise : float, default 1.0
        Temperature, finite ``>= 0``.
    data_seed : int, default 0
        Seed of ``numpy.random.default_rng``.
    return_teacher : bool, default False
        Also return ``{"coef": w, "intercept": 0.0}``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), values -1.0 / +1.0 (not balanced)
    teacher : dict, only if ``return_teacher``

    Raises
    ------
    ValueError
        For an invalid argument (the message names it).
    """
    who = "logistic"
    n = _int_arg(who, "n_samples", n_samples)
    d = _int_arg(who, "n_features", n_features)
    noise = _nonneg_arg(who, "noise", noise)
    return_teacher = _bool_arg(who, "return_teacher", return_teacher)
    rng = _rng(who, data_seed)
    w = rng.standard_normal(d) / math.sqrt(d) * 3.0
    X = rng.standard_normal((n, d))
    u = rng.random(n)
    z = X @ w
    if noise == 0.0:
        y = np.where(z >= 0, 1.0, -1.0)
    else:
        with np.errstate(over="ignore"):
            p = _sigmoid(z / noise)
        y = np.where(u < p, 1.0, -1.0)
    return _finish(X, y, {"coef": w, "intercept": 0.0}, return_teacher)


def _forward(weights, biases, X):
    """Teacher output before the last bias, and an upper bound of its terms."""
    h, a = X, np.abs(X)
    for W, b in zip(weights[:-1], biases[:-1]):
        h = np.maximum(h @ W.T + b, 0.0)
        a = a @ np.abs(W).T + np.abs(b)
    W = weights[-1]
    return (h @ W.T)[:, 0], (a @ np.abs(W).T)[:, 0]


def teacher_mlp(n_samples=200, sizes=(10, 10, 1), data_seed=0, return_teacher=False):
    """Classification data labelled by a random ReLU teacher network.

    ``sizes = (n_features, h_1, ..., 1)`` is the architecture (at least 2
    entries).  The teacher has weights ``W_l`` of shape
    ``(sizes[l], sizes[l-1])`` drawn He-normal, N(0, 2 / fan_in), hidden biases
    drawn N(0, 0.1^2), ReLU hidden units and a linear output ``z``.  Inputs are
    ``X ~ N(0, 1)``; the label is ``sign(z)`` with ``sign(0) = +1``.

    The output bias makes the labels exactly balanced: the ``ceil(n/2)``
    samples with the largest pre-bias output are +1, and the threshold sits
    midway between the two middle pre-bias outputs (with one sample, 1 below
    it), so no sample lies on the decision boundary.  If the two middle values
    are equal up to rounding (e.g. a dead network), a new teacher is drawn,
    keeping ``X``; after ``MAX_TEACHER_TRIES`` teachers a ValueError is raised.
    The returned teacher classifies its own data perfectly.

    Draws, in order: for each layer ``W_l`` (``normal``) then, for hidden
    layers, ``b_l`` (``normal``); then ``X`` (``standard_normal``); then
    further teachers if needed.

    Parameters
    ----------
    n_samples : int, default 200
        Number of rows, ``>= 1``.
    sizes : tuple of int, default (10, 10, 1)
        Layer sizes; ``sizes[0]`` is the number of features and the last
        entry must be 1.
    data_seed : int, default 0
        Seed of ``numpy.random.default_rng``.
    return_teacher : bool, default False
        Also return ``{"weights": [...], "biases": [...]}`` (``W_l`` of shape
        ``(out, in)``, ``b_l`` of shape ``(out,)``; the last bias is the
        balancing threshold).

    Returns
    -------
    X : ndarray of shape (n_samples, sizes[0])
    y : ndarray of shape (n_samples,), values -1.0 / +1.0, exactly balanced
    teacher : dict, only if ``return_teacher``

    Raises
    ------
    ValueError
        For an invalid argument, or when no teacher with distinct middle
        outputs is found.
    """
    who = "teacher_mlp"
    n = _int_arg(who, "n_samples", n_samples)
    sizes = _sizes_arg(who, sizes)
    return_teacher = _bool_arg(who, "return_teacher", return_teacher)
    rng = _rng(who, data_seed)
    n_pos = (n + 1) // 2
    n_neg = n - n_pos

    def draw_teacher():
        weights, biases = [], []
        for l in range(1, len(sizes)):
            fan_in, fan_out = sizes[l - 1], sizes[l]
            weights.append(rng.normal(0.0, math.sqrt(2.0 / fan_in), size=(fan_out, fan_in)))
            hidden = l < len(sizes) - 1
            biases.append(rng.normal(0.0, 0.1, size=fan_out) if hidden else np.zeros(1))
        return weights, biases

    weights, biases = draw_teacher()
    X = rng.standard_normal((n, sizes[0]))
    for attempt in range(MAX_TEACHER_TRIES):
        if attempt:
            weights, biases = draw_teacher()
        u, scale = _forward(weights, biases, X)
        order = np.sort(u)
        if n_neg == 0:
            threshold = order[0] - 1.0
        else:
            lo, hi = order[n_neg - 1], order[n_neg]
            # ties up to rounding: a recomputation of the forward pass (another
            # summation order) must not be able to move a sample across.
            if not hi - lo > 1e-9 * max(float(scale.max()), 1e-300):
                continue
            threshold = 0.5 * (lo + hi)
        biases[-1] = np.array([-threshold])
        z = u + biases[-1][0]
        y = np.where(z >= 0, 1.0, -1.0)
        if int(np.count_nonzero(y > 0)) == n_pos and np.all(z != 0):
            teacher = {"weights": weights, "biases": biases}
            return _finish(X, y, teacher, return_teacher)
    raise ValueError(
        f"{who}: no teacher with sizes={sizes} separated the middle samples of "
        f"n_samples={n} after {MAX_TEACHER_TRIES} draws (the network output is constant "
        "on too many samples, e.g. dead ReLUs); try wider layers or another data_seed"
    )


def xor(n_samples=200, noise=0.1, data_seed=0, return_teacher=False):
    """The XOR problem: four noisy corners in 2-D.

    Sample ``i`` (before shuffling) sits at corner ``i mod 4`` of
    ``(+1, +1), (+1, -1), (-1, -1), (-1, +1)``, so the corners are as evenly
    used as possible and the labels are balanced (``ceil(n/2)`` are +1).  The
    rows are permuted (``rng.permutation``), then ``X = corner + noise * N(0, 1)``
    (``standard_normal``, drawn even when ``noise == 0``).  The label is
    ``sign(c1 * c2)`` of the clean corner ``c``.

    Parameters
    ----------
    n_samples : int, default 200
        Number of rows, ``>= 1``.
    noise : float, default 0.1
        Standard deviation of the Gaussian noise, finite ``>= 0``.
    data_seed : int, default 0
        Seed of ``numpy.random.default_rng``.
    return_teacher : bool, default False
        Also return ``{"corners": C}``, the clean corner of every row.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), values -1.0 / +1.0
    teacher : dict, only if ``return_teacher``

    Raises
    ------
    ValueError
        For an invalid argument (the message names it).
    """
    who = "xor"
    n = _int_arg(who, "n_samples", n_samples)
    noise = _nonneg_arg(who, "noise", noise)
    return_teacher = _bool_arg(who, "return_teacher", return_teacher)
    rng = _rng(who, data_seed)
    corners = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, -1.0], [-1.0, 1.0]])
    C = corners[np.arange(n) % 4][rng.permutation(n)]
    X = C + noise * rng.standard_normal((n, 2))
    y = C[:, 0] * C[:, 1]
    return _finish(X, y, {"corners": np.ascontiguousarray(C)}, return_teacher)


# ------------------------------------------------------------------- registry

_DATASETS = {
    "linear": linear,
    "logistic": logistic,
    "separable": separable,
    "teacher_mlp": teacher_mlp,
    "xor": xor,
}

#: task of each data set: ``"regression"`` or ``"classification"``
TASKS = {
    "linear": "regression",
    "logistic": "classification",
    "separable": "classification",
    "teacher_mlp": "classification",
    "xor": "classification",
}


def names():
    """Sorted list of data set names.

    Returns
    -------
    list of str
    """
    return sorted(_DATASETS)


def get(name):
    """The data set function called ``name``.

    Parameters
    ----------
    name : str
        One of :func:`names` (case-insensitive).

    Returns
    -------
    callable
        The function, e.g. ``get("xor")(n_samples=100, data_seed=3)``.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid names and close
        matches.
    """
    if not isinstance(name, str):
        raise ValueError(f"data set name must be a string, got {name!r}; valid names: {', '.join(names())}")
    key = name.strip().lower().replace("-", "_")
    if key in _DATASETS:
        return _DATASETS[key]
    close = difflib.get_close_matches(key, names(), n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(f"unknown data set {name!r}.{hint} Valid names: {', '.join(names())}")
