"""Diagnostics of a model's weights and gradients (SPEC section 7).

These are the measuring instruments the claims in :mod:`zi_core.claims` use:

- :func:`distinct_hidden_units` counts how many *different* hidden units a
  layer has (1 means the layer behaves as a single neuron);
- :func:`gradient_at_init` computes, with plain NumPy, the full-batch gradient
  of a fitted model's loss at its *initial* parameters, and says which
  parameters get exactly zero;
- :func:`direction` is the cosine of the angle between two weight vectors;
- :func:`closed_form` is the least-squares solution that linear regression
  should approach.

Two lower-level helpers are public as well: :func:`gradient` (the same
computation for any parameters, not only the initial ones) and
:func:`hidden_activations` (the ReLU outputs of every hidden layer).

Everything here is independent of the compiled core: it reads a model's
fitted attributes (``initial_weights_``, ``initial_biases_``, ``coef_`` ...)
and recomputes from them, so it can be used to check either backend.
"""
from __future__ import annotations

import dataclasses
import numbers

import numpy as np

__all__ = [
    "Gradient",
    "closed_form",
    "direction",
    "distinct_hidden_units",
    "gradient",
    "gradient_at_init",
    "hidden_activations",
]

#: Loss rules understood by :func:`gradient`. ``"perceptron"`` is the
#: perceptron criterion ``2 max(0, -y z)`` whose derivative ``yhat - y``
#: (with ``yhat = +1`` when ``z >= 0``) is exactly the perceptron update.
RULES = ("squared", "logistic", "hinge", "perceptron")


# ---------------------------------------------------------------- validation

def _as_matrix(a, name, *, ndim=2):
    if isinstance(a, (str, bytes)):
        raise ValueError(f"{name} must be a numeric array, got a string")
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array ({exc})") from None
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got an array of shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def _check_Xy(X, y, *, n_features=None):
    X = _as_matrix(X, "X", ndim=2)
    y_arr = np.asarray(y)
    if y_arr.ndim != 1:
        raise ValueError(f"y must be 1-D, got an array of shape {y_arr.shape}")
    if y_arr.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} samples but y has {y_arr.shape[0]}")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features but the model was fitted with {n_features}")
    return X, y_arr


def _float_y(y):
    try:
        y = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("y must be numeric for a regression model") from None
    if not np.isfinite(y).all():
        raise ValueError("y contains NaN or inf")
    return y


def _encode_labels(y, classes=None):
    """Map two-class labels to -1/+1 (the smaller to -1, SPEC section 1)."""
    y = np.asarray(y)
    if y.dtype.kind in "fc" and not np.isfinite(y).all():
        raise ValueError("y contains NaN or inf")
    if classes is None:
        classes = np.unique(y)
        if len(classes) != 2:
            raise ValueError(f"y must have exactly two classes for a classifier, found {len(classes)}")
    classes = np.asarray(classes)
    known = np.isin(y, classes)
    if not known.all():
        raise ValueError(f"y has labels the model was not fitted with: {np.unique(y[~known])[:5]}")
    return np.where(y == classes[1], 1.0, -1.0)


# ---------------------------------------------------------------- distinct units

def distinct_hidden_units(W, b=None, atol=0.0):
    """Count the distinct hidden units of a layer.

    A hidden unit is described by its row of incoming weights ``W[i]`` and
    (when given) its bias ``b[i]``. Two units whose descriptions differ by at
    most ``atol`` in every entry (maximum absolute difference) count as one;
    the relation is closed transitively (single linkage), so the count does
    not depend on the order of the rows.

    Parameters
    ----------
    W : array_like of shape (n_units, n_inputs)
        Incoming weights of the layer, one row per unit (``MLP.weights_[l]``).
    b : array_like of shape (n_units,), optional
        The layer's biases (``MLP.biases_[l]``); ``None`` when the layer has none.
    atol : float, default 0.0
        Rows closer than this (max-abs difference ``<= atol``) are the same
        unit. ``0.0`` asks for bit-for-bit equality (up to the sign of zero),
        which the compiled core guarantees for units that start equal
        (SPEC section 4); use a small tolerance (e.g. ``1e-12``) for the
        NumPy reference.

    Returns
    -------
    int
        The number of distinct units, between 1 and ``n_units``. ``1`` means
        the layer behaves as a single neuron.

    Raises
    ------
    ValueError
        If ``W`` is not a finite 2-D array, ``b`` has the wrong length or
        non-finite entries, or ``atol`` is negative or not a finite number.

    Examples
    --------
    >>> import numpy as np
    >>> distinct_hidden_units(np.ones((5, 3)))
    1
    >>> distinct_hidden_units(np.ones((5, 3)), b=[0, 0, 0, 1, 1])
    2
    >>> distinct_hidden_units([[0.0, 1.0], [1e-9, 1.0]], atol=1e-8)
    1
    """
    W = _as_matrix(W, "W", ndim=2)
    if isinstance(atol, bool) or not isinstance(atol, numbers.Real) or not np.isfinite(atol) or atol < 0:
        raise ValueError(f"atol must be a finite number >= 0, got {atol!r}")
    rows = W
    if b is not None:
        b = _as_matrix(np.reshape(np.asarray(b, dtype=np.float64), (-1,)), "b", ndim=1)
        if b.shape[0] != W.shape[0]:
            raise ValueError(f"b has {b.shape[0]} entries but W has {W.shape[0]} rows (units)")
        rows = np.column_stack([W, b])
    rows = rows + 0.0  # -0.0 -> 0.0 so that np.unique treats them as equal
    if atol == 0.0:
        return int(np.unique(rows, axis=0).shape[0])
    n = rows.shape[0]
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        close = np.flatnonzero(np.max(np.abs(rows[i + 1:] - rows[i]), axis=1) <= atol) + i + 1
        for j in close:
            ri, rj = find(i), find(int(j))
            if ri != rj:
                parent[rj] = ri
    return len({find(i) for i in range(n)})


# ---------------------------------------------------------------- forward pass

def _check_layers(weights, biases, n_features=None):
    if isinstance(weights, np.ndarray) or not isinstance(weights, (list, tuple)) or not weights:
        raise ValueError("weights must be a non-empty list of 2-D arrays, one per layer")
    Ws = [_as_matrix(W, f"weights[{l}]", ndim=2) for l, W in enumerate(weights)]
    for l in range(1, len(Ws)):
        if Ws[l].shape[1] != Ws[l - 1].shape[0]:
            raise ValueError(f"weights[{l}] has shape {Ws[l].shape} but layer {l} has "
                             f"{Ws[l - 1].shape[0]} units")
    if n_features is not None and Ws[0].shape[1] != n_features:
        raise ValueError(f"X has {n_features} features but weights[0] expects {Ws[0].shape[1]}")
    bs = None
    if biases is not None:
        if not isinstance(biases, (list, tuple)) or len(biases) != len(Ws):
            raise ValueError(f"biases must be None or a list of {len(Ws)} arrays, one per layer")
        bs = []
        for l, (W, v) in enumerate(zip(Ws, biases)):
            v = _as_matrix(np.reshape(np.asarray(v, dtype=np.float64), (-1,)), f"biases[{l}]", ndim=1)
            if v.shape[0] != W.shape[0]:
                raise ValueError(f"biases[{l}] has {v.shape[0]} entries, layer {l + 1} has {W.shape[0]} units")
            bs.append(v)
    return Ws, bs


def _forward(Ws, bs, X):
    """Pre-activations of every layer (n, units) and the hidden outputs."""
    pre, hid = [], []
    H = X
    for l, W in enumerate(Ws):
        A = H @ W.T
        if bs is not None:
            A = A + bs[l]
        pre.append(A)
        if l < len(Ws) - 1:
            H = np.maximum(A, 0.0)
            hid.append(H)
    return pre, hid


def hidden_activations(weights, biases, X):
    """ReLU outputs of every hidden layer of an MLP.

    Parameters
    ----------
    weights : list of ndarray
        ``W_l`` of shape ``(out, in)`` for every layer (``MLP.weights_``).
    biases : list of ndarray or None
        ``b_l`` of shape ``(out,)`` (``MLP.biases_``), ``None`` without biases.
    X : array_like of shape (n_samples, n_features)

    Returns
    -------
    list of ndarray
        One array of shape ``(n_samples, units)`` per hidden layer (empty for
        a network without hidden layers).
    """
    X = _as_matrix(X, "X", ndim=2)
    Ws, bs = _check_layers(weights, biases, X.shape[1])
    return _forward(Ws, bs, X)[1]


# ---------------------------------------------------------------- gradients

@dataclasses.dataclass
class Gradient:
    """Full-batch gradient of a model's mean training loss.

    Attributes
    ----------
    params : dict of str -> ndarray
        The gradient of the mean loss with respect to every parameter array,
        in the model's own shapes: ``"W1", "b1", "W2", ...`` for an MLP
        (``W_l`` of shape ``(out, in)``; the ``b`` entries only with biases),
        ``"coef"`` and ``"intercept"`` for the linear models.
    zero : dict of str -> ndarray of bool
        Which entries of each parameter get a gradient of exactly zero.
    loss : float
        The mean loss at the parameters where the gradient was taken.
    rule : str
        The loss the gradient belongs to (``"squared"``, ``"logistic"``,
        ``"hinge"`` or ``"perceptron"``).
    """

    params: dict
    zero: dict
    loss: float
    rule: str

    @property
    def n_params(self):
        """Total number of scalar parameters."""
        return int(sum(np.size(g) for g in self.params.values()))

    @property
    def n_zero(self):
        """Number of parameters whose gradient is exactly zero."""
        return int(sum(np.count_nonzero(z) for z in self.zero.values()))

    @property
    def all_zero(self):
        """True when no parameter gets any gradient at all."""
        return self.n_zero == self.n_params

    @property
    def norm(self):
        """Euclidean norm of the whole gradient."""
        return float(np.sqrt(sum(float(np.sum(np.square(g))) for g in self.params.values())))

    @property
    def weights(self):
        """Gradients of the weight arrays, in layer order (``coef`` for linear models)."""
        return [g for k, g in self.params.items() if k.startswith("W") or k == "coef"]

    @property
    def biases(self):
        """Gradients of the bias arrays in layer order, or ``None`` without biases."""
        out = [g for k, g in self.params.items() if k.startswith("b") or k == "intercept"]
        return out or None

    def norms(self):
        """Norm of the gradient of each parameter array, as a dict of floats."""
        return {k: float(np.sqrt(np.sum(np.square(g)))) for k, g in self.params.items()}

    def summary(self):
        """JSON-friendly summary: per-array norm and count of exact zeros."""
        return {
            "loss": float(self.loss),
            "rule": self.rule,
            "norm": self.norm,
            "n_params": self.n_params,
            "n_zero": self.n_zero,
            "per_param": {k: {"norm": float(np.sqrt(np.sum(np.square(g)))),
                              "size": int(np.size(g)),
                              "n_zero": int(np.count_nonzero(self.zero[k]))}
                          for k, g in self.params.items()},
        }


def _loss_and_dz(rule, z, y):
    """Per-sample loss and d loss / d z for outputs z (n,) and targets y (n,)."""
    if rule == "squared":
        r = z - y
        return 0.5 * r * r, r
    if rule == "logistic":
        m = y * z
        loss = np.logaddexp(0.0, -m)
        # -y * sigmoid(-m), computed without overflow for any m.
        e = np.exp(-np.abs(m))
        sig_neg = np.where(m > 0, e / (1.0 + e), 1.0 / (1.0 + e))
        return loss, -y * sig_neg
    if rule == "hinge":
        m = y * z
        active = m < 1.0  # subgradient 0 at the kink, as the trainers use
        return np.maximum(0.0, 1.0 - m), np.where(active, -y, 0.0)
    if rule == "perceptron":
        yhat = np.where(z >= 0, 1.0, -1.0)
        return 2.0 * np.maximum(0.0, -y * z), yhat - y
    raise ValueError(f"unknown loss rule {rule!r}; expected one of {RULES}")


def gradient(weights, biases, X, y, rule):
    """Full-batch gradient of the mean loss of a network or linear model.

    The model is ``z = W_L h_{L-1} + b_L`` with ``h_l = relu(W_l h_{l-1} + b_l)``
    and ``h_0 = x`` (a linear model is the one-layer case). The derivative of
    ReLU at 0 is taken as 0, the hinge's subgradient at its kink as 0, as the
    trainers do (SPEC section 2). The gradient is the mean over all samples.

    Parameters
    ----------
    weights : list of ndarray
        ``W_l`` of shape ``(out, in)``; the last layer has one output.
    biases : list of ndarray or None
    X : array_like of shape (n_samples, n_features)
    y : array_like of shape (n_samples,)
        Encoded targets: -1/+1 for ``"logistic"``, ``"hinge"`` and
        ``"perceptron"``, real for ``"squared"``.
    rule : {"squared", "logistic", "hinge", "perceptron"}

    Returns
    -------
    Gradient
        With keys ``"W1", "b1", ...``.
    """
    if rule not in RULES:
        raise ValueError(f"unknown loss rule {rule!r}; expected one of {RULES}")
    X = _as_matrix(X, "X", ndim=2)
    Ws, bs = _check_layers(weights, biases, X.shape[1])
    if Ws[-1].shape[0] != 1:
        raise ValueError(f"the last layer must have one output, got {Ws[-1].shape[0]}")
    y = _float_y(y).reshape(-1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} samples but y has {y.shape[0]}")
    if rule != "squared" and not np.isin(y, (-1.0, 1.0)).all():
        raise ValueError(f"y must be encoded as -1/+1 for the {rule!r} loss")
    n = X.shape[0]
    pre, hid = _forward(Ws, bs, X)
    z = pre[-1][:, 0]
    loss, dz = _loss_and_dz(rule, z, y)
    inputs = [X] + hid
    delta = dz[:, None]  # d loss / d pre-activation of the current layer, (n, out)
    params = {}
    for l in range(len(Ws) - 1, -1, -1):
        params[f"W{l + 1}"] = delta.T @ inputs[l] / n
        if bs is not None:
            params[f"b{l + 1}"] = delta.sum(axis=0) / n
        if l > 0:
            delta = (delta @ Ws[l]) * (pre[l - 1] > 0)
    ordered = {}
    for l in range(len(Ws)):
        ordered[f"W{l + 1}"] = params[f"W{l + 1}"]
        if bs is not None:
            ordered[f"b{l + 1}"] = params[f"b{l + 1}"]
    zero = {k: (g == 0) for k, g in ordered.items()}
    return Gradient(params=ordered, zero=zero, loss=float(np.mean(loss)), rule=rule)


_LINEAR_RULES = {"Perceptron": "perceptron", "LinearRegression": "squared",
                 "LogisticRegression": "logistic"}


def _model_kind(model):
    """('mlp', rule) or ('linear', rule) for a fitted zi_core estimator."""
    name = type(model).__name__
    if name in _LINEAR_RULES:
        return "linear", _LINEAR_RULES[name]
    if name == "MLP" or hasattr(model, "hidden"):
        task = getattr(model, "task", "classification") or "classification"
        loss = getattr(model, "loss_", None) or getattr(model, "loss", None)
        if loss is None:
            loss = "squared" if task == "regression" else "logistic"
        return "mlp", loss
    raise ValueError(f"gradient_at_init needs a zi_core Perceptron, LinearRegression, "
                     f"LogisticRegression or MLP, got {name}")


def _pick(a, index, name):
    """Model ``index`` of an attribute fitted with several seeds."""
    return a if index is None else np.asarray(a)[index]


def _initial_params(model, kind, index=None):
    """Initial weights and biases as lists of (out, in) / (out,) arrays."""
    W0 = getattr(model, "initial_weights_", None)
    if W0 is None and getattr(model, "initial_coef_", None) is None:
        raise ValueError(f"this {type(model).__name__} is not fitted yet (no initial weights); "
                         "call fit before gradient_at_init")
    n_models = int(getattr(model, "n_models_", 1) or 1)
    if W0 is not None and isinstance(W0, (list, tuple)) and np.ndim(W0[0]) == 3:
        n_models = np.shape(W0[0])[0]
    if n_models > 1 and index is None:
        raise ValueError(f"this {type(model).__name__} was fitted with {n_models} init seeds; "
                         "pass index= to choose one model")
    if index is not None:
        if n_models == 1 and (W0 is None or np.ndim(W0[0]) == 2):
            raise ValueError("index= only applies to a model fitted with several init seeds")
        if isinstance(index, bool) or not isinstance(index, numbers.Integral) or not 0 <= index < n_models:
            raise ValueError(f"index must be an int in [0, {n_models}), got {index!r}")
    if kind == "mlp":
        b0 = getattr(model, "initial_biases_", None)
        return [np.asarray(_pick(W, index, "W"), dtype=np.float64) for W in W0], (
            None if b0 is None else [np.asarray(_pick(v, index, "b"), dtype=np.float64).reshape(-1)
                                     for v in b0])
    if W0 is not None and index is not None:
        # Linear model fitted with several seeds: read the (B, 1, d) layout.
        coef = np.asarray(W0[0])[index].reshape(1, -1)
        b0 = getattr(model, "initial_biases_", None)
        intercept = None if b0 is None else [np.asarray(b0[0])[index].reshape(1)]
        return [coef.astype(np.float64)], intercept
    # Linear models: accept initial_coef_/initial_intercept_ or the MLP-style names.
    coef = getattr(model, "initial_coef_", None)
    if coef is None:
        coef = getattr(model, "initial_weights_", None)
        if isinstance(coef, (list, tuple)):
            coef = coef[0]
    if coef is None:
        raise ValueError(f"this {type(model).__name__} is not fitted yet (no initial weights); "
                         "call fit before gradient_at_init")
    coef = np.asarray(coef, dtype=np.float64).reshape(1, -1)
    fit_intercept = bool(getattr(model, "fit_intercept", True))
    intercept = None
    if fit_intercept:
        intercept = getattr(model, "initial_intercept_", None)
        if intercept is None:
            b0 = getattr(model, "initial_biases_", None)
            if isinstance(b0, (list, tuple)):
                b0 = b0[0]
            intercept = 0.0 if b0 is None else b0
        intercept = [np.asarray(intercept, dtype=np.float64).reshape(1)]
    return [coef], intercept


def gradient_at_init(model, X, y, index=None):
    """The full gradient at a fitted model's initial weights.

    Recomputes, with NumPy and independently of the trainer, the gradient of
    the model's mean training loss over the whole data set ``(X, y)`` at the
    parameters the model *started* from (``initial_weights_`` and
    ``initial_biases_``, or the initial coefficients of a linear model).
    This is the direction of the first full-batch gradient step; per-sample
    SGD's first epoch averages to it when the learning rate is small.

    The loss is the model's own: squared error for ``LinearRegression``,
    logistic loss for ``LogisticRegression``, the MLP's ``loss``, and for the
    ``Perceptron`` the perceptron criterion ``2 max(0, -y z)``, whose
    derivative ``yhat - y`` is the perceptron update with the sign flipped.

    Parameters
    ----------
    model : Perceptron, LinearRegression, LogisticRegression or MLP
        A fitted zi_core estimator.
    X : array_like of shape (n_samples, n_features)
    y : array_like of shape (n_samples,)
        Targets, in the user's own labels for classifiers (they are mapped to
        -1/+1 as the estimator does: the smaller class to -1).
    index : int, optional
        For a model fitted with several ``init_seed`` values (fitted
        attributes with a leading model axis): which model to use.

    Returns
    -------
    Gradient
        ``params`` holds the gradient per parameter array (``"W1", "b1",
        ...`` for an MLP; ``"coef"``, ``"intercept"`` for linear models),
        ``zero`` marks the entries that are exactly zero, ``loss`` is the mean
        loss at the initial weights. ``all_zero``, ``n_zero`` and ``norm``
        summarize.

    Raises
    ------
    ValueError
        If the model is not fitted, or ``X``/``y`` are not finite arrays of
        matching shapes, or the labels are not the model's two classes.

    Examples
    --------
    >>> from zi_core import MLP, datasets                         # doctest: +SKIP
    >>> X, y = datasets.teacher_mlp(100, data_seed=0)             # doctest: +SKIP
    >>> m = MLP(hidden=(10,), init="zeros", epochs=1).fit(X, y)   # doctest: +SKIP
    >>> g = gradient_at_init(m, X, y)                             # doctest: +SKIP
    >>> g.all_zero   # balanced labels: even the output bias       # doctest: +SKIP
    True
    """
    kind, rule = _model_kind(model)
    Ws, bs = _initial_params(model, kind, index)
    X, y = _check_Xy(X, y, n_features=Ws[0].shape[1])
    regression = (rule == "squared" and kind == "linear") or (
        kind == "mlp" and getattr(model, "task", "classification") == "regression")
    if regression:
        y_enc = _float_y(y)
    else:
        y_enc = _encode_labels(y, getattr(model, "classes_", None))
    g = gradient(Ws, bs, X, y_enc, rule)
    if kind == "linear":
        params = {"coef": g.params["W1"].reshape(-1)}
        if bs is not None:
            params["intercept"] = g.params["b1"].reshape(())
        g = Gradient(params=params, zero={k: (v == 0) for k, v in params.items()},
                     loss=g.loss, rule=rule)
    return g


# ---------------------------------------------------------------- direction

def _flatten(w, name):
    if isinstance(w, (list, tuple)) and w and all(np.ndim(v) >= 1 for v in w):
        parts = [np.asarray(v, dtype=np.float64).ravel() for v in w]
        arr = np.concatenate(parts)
    else:
        try:
            arr = np.asarray(w, dtype=np.float64).ravel()
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be a numeric array ({exc})") from None
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def direction(w_a, w_b):
    """Cosine of the angle between two weight vectors.

    Parameters
    ----------
    w_a, w_b : array_like or list of array_like
        Weight vectors of the same total size. Arrays of any shape are
        flattened; a list of arrays (e.g. all layers of an MLP, or
        ``[coef_, [intercept_]]``) is flattened and concatenated.

    Returns
    -------
    float
        In ``[-1, 1]``: ``1`` when ``w_b`` is a positive multiple of ``w_a``
        (same direction), ``-1`` for opposite directions, ``0`` when orthogonal.

    Raises
    ------
    ValueError
        If the sizes differ, an entry is not finite, or either vector is zero
        (a zero vector has no direction).

    Examples
    --------
    >>> direction([1.0, 2.0], [2.0, 4.0])
    1.0
    >>> direction([1.0, 0.0], [0.0, 3.0])
    0.0
    """
    a = _flatten(w_a, "w_a")
    b = _flatten(w_b, "w_b")
    if a.shape != b.shape:
        raise ValueError(f"w_a has {a.size} entries but w_b has {b.size}")
    sa, sb = np.max(np.abs(a)), np.max(np.abs(b))
    if sa == 0:
        raise ValueError("w_a is the zero vector, which has no direction")
    if sb == 0:
        raise ValueError("w_b is the zero vector, which has no direction")
    a, b = a / sa, b / sb  # rescale first: no overflow or underflow in the norms
    # After rescaling the largest entry is 1, so both squared norms lie in [1, n]:
    # one square root of their product rounds once (exactly 1.0 for equal vectors).
    cos = float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)))
    return min(1.0, max(-1.0, cos))


# ---------------------------------------------------------------- closed form

def closed_form(X, y, fit_intercept=True):
    """Least-squares solution of linear regression, via ``numpy.linalg.lstsq``.

    Solves ``min ||X w + b - y||^2``. When ``X`` (with a column of ones if
    ``fit_intercept``) does not have full column rank the minimizer is not
    unique and the minimum-norm one (over ``w`` and ``b`` together) is
    returned: the point SGD reaches from zero initial weights, since every
    update lies in the row space of the data.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    y : array_like of shape (n_samples,)
    fit_intercept : bool, default True

    Returns
    -------
    coef : ndarray of shape (n_features,)
    intercept : float
        ``0.0`` when ``fit_intercept=False``.

    Raises
    ------
    ValueError
        If ``X`` or ``y`` are not finite, of the wrong dimension or lengths.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> coef, b = closed_form(X, 2 * X[:, 0] + 1)
    >>> np.round(coef, 12).tolist(), round(b, 12)
    ([2.0], 1.0)
    """
    X, y = _check_Xy(X, y)
    y = _float_y(y)
    if not isinstance(fit_intercept, (bool, np.bool_)):
        raise ValueError(f"fit_intercept must be True or False, got {fit_intercept!r}")
    A = np.column_stack([X, np.ones(X.shape[0])]) if fit_intercept else X
    sol = np.linalg.lstsq(A, y, rcond=None)[0]
    if fit_intercept:
        return sol[:-1].copy(), float(sol[-1])
    return sol, 0.0
