"""Weight initializers (SPEC section 3).

An *initializer* is a callable ``init(shape, rng) -> numpy.ndarray`` that returns
a new C-contiguous float64 array of exactly ``shape``; ``rng`` is a
:class:`numpy.random.Generator` and is the only source of randomness.  A weight
has shape ``(fan_out, fan_in)``; a bias of shape ``(n,)`` uses
``fan_in = fan_out = n``.  (For more than two dimensions the convention of
PyTorch is used: ``fan_in = shape[1] * r``, ``fan_out = shape[0] * r`` with ``r``
the product of the remaining dimensions.)

Every initializer is reachable by name through :func:`get`:

===================  ====================================================  =============================
name                 distribution                                          parameters
===================  ====================================================  =============================
``zeros``            0 everywhere
``ones``             1 everywhere
``constant``         ``value`` everywhere                                  ``value``
``uniform``          U(low, high)                                          ``low=-0.05, high=0.05``
``normal``           N(mean, std^2) (not truncated)                        ``mean=0.0, std=0.05``
``glorot_uniform``   U(-a, a), a = sqrt(6 / (fan_in + fan_out))
``glorot_normal``    N(0, 2 / (fan_in + fan_out))
``he_uniform``       U(-a, a), a = sqrt(6 / fan_in)
``he_normal``        N(0, 2 / fan_in)
``lecun_uniform``    U(-a, a), a = sqrt(3 / fan_in)
``lecun_normal``     N(0, 1 / fan_in)
``orthogonal``       gain times a Haar (semi-)orthogonal matrix            ``gain=1.0``
``scaled``           ``factor`` times the output of another initializer    ``init, factor``
===================  ====================================================  =============================

The aliases ``xavier_uniform``, ``xavier_normal``, ``kaiming_uniform``,
``kaiming_normal`` and ``zero`` are also accepted by :func:`get`.  A NumPy array
given to :func:`get` becomes the warm-start initializer :func:`array`.

Random initializers draw only through ``rng.uniform``, ``rng.normal`` and
``rng.standard_normal``, so the same generator state always gives the same
bytes.  Deterministic initializers (``zeros``, ``ones``, ``constant``, ``array``)
draw nothing and accept ``rng=None``.

Examples
--------
>>> import numpy as np
>>> from zi_core import init
>>> w = init.get("he_normal")((3, 5), np.random.default_rng(0))
>>> w.shape, w.dtype
((3, 5), dtype('float64'))
>>> init.get("normal(0, 0.1)")
normal(mean=0.0, std=0.1)
>>> init.get("scaled(he_normal, 0.5)")
scaled(init=he_normal(), factor=0.5)
"""
from __future__ import annotations

import ast
import difflib
import functools
import inspect
import math
import numbers

import numpy as np

__all__ = [
    "Initializer",
    "array",
    "compute_fans",
    "constant",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "lecun_uniform",
    "names",
    "normal",
    "ones",
    "orthogonal",
    "scaled",
    "uniform",
    "zeros",
]

_MAX_SPEC_LENGTH = 1000


# --------------------------------------------------------------------- helpers

def _check_shape(shape, who):
    """Return ``shape`` as a tuple of positive Python ints or raise ValueError."""
    if isinstance(shape, (numbers.Integral, np.integer)) and not isinstance(shape, (bool, np.bool_)):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)):
        raise ValueError(f"{who}: shape must be a tuple of positive ints, got {shape!r}")
    if len(shape) == 0:
        raise ValueError(f"{who}: shape must have at least one dimension, got ()")
    out = []
    for n in shape:
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (numbers.Integral, np.integer)):
            raise ValueError(f"{who}: shape must be a tuple of positive ints, got {tuple(shape)!r}")
        if n <= 0:
            raise ValueError(f"{who}: shape must be a tuple of positive ints, got {tuple(shape)!r}")
        out.append(int(n))
    return tuple(out)


def _check_rng(rng, who, required):
    if rng is None and not required:
        return
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{who}: rng must be a numpy.random.Generator, got {type(rng).__name__}")


def _real(who, param, value):
    """``value`` as a finite Python float, else ValueError naming ``param``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise ValueError(f"{who}: parameter {param!r} must be a real number, got {value!r}")
    try:
        v = float(value)
    except (OverflowError, TypeError, ValueError):
        raise ValueError(f"{who}: parameter {param!r} must be a finite real number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{who}: parameter {param!r} must be finite, got {value!r}")
    return v


def compute_fans(shape):
    """Fan-in and fan-out of a parameter shape.

    Parameters
    ----------
    shape : tuple of int
        ``(fan_out, fan_in)`` for a weight, ``(n,)`` for a bias; for more than
        two dimensions the trailing dimensions form the receptive field.

    Returns
    -------
    fan_in, fan_out : int
        For ``(n,)`` both are ``n``; for ``(out, in, *rest)`` they are
        ``in * prod(rest)`` and ``out * prod(rest)``.

    Raises
    ------
    ValueError
        If ``shape`` is not a non-empty tuple of positive ints.

    Examples
    --------
    >>> compute_fans((20, 30))
    (30, 20)
    >>> compute_fans((7,))
    (7, 7)
    """
    shape = _check_shape(shape, "compute_fans")
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _as_float_array(values, shape):
    return np.ascontiguousarray(values, dtype=np.float64).reshape(shape)


# ----------------------------------------------------------------- base class

class Initializer:
    """Base class of the initializers returned by this module's factories.

    Subclasses set ``name``, store their parameters with :meth:`_set_params`
    and implement ``_draw(shape, rng)`` (or ``_sampler(shape)``).  Instances are callables
    ``init(shape, rng)`` returning a new C-contiguous float64 array of
    ``shape``; they compare equal when their type and parameters are equal,
    have a ``repr`` that :func:`get` parses back, and pickle.

    Attributes
    ----------
    name : str
        The registry name (``"he_normal"``, ``"normal"``, ...).
    params : dict
        A copy of the parameters, in signature order.
    random : bool
        Whether calling it requires a ``numpy.random.Generator`` (False for
        ``zeros``, ``ones``, ``constant``, ``array`` and wrapped callables,
        which accept ``rng=None``).
    """

    name = "initializer"
    random = True

    def _set_params(self, **params):
        self._params = dict(params)

    @property
    def params(self):
        """dict: a copy of this initializer's parameters."""
        return dict(getattr(self, "_params", {}))

    def __call__(self, shape, rng=None):
        """Draw an array of ``shape`` using ``rng``.

        Parameters
        ----------
        shape : tuple of int
            Positive dimensions; ``(fan_out, fan_in)`` for a weight.
        rng : numpy.random.Generator
            Source of randomness (may be ``None`` for deterministic
            initializers).

        Returns
        -------
        numpy.ndarray
            A new C-contiguous float64 array of exactly ``shape``.
        """
        # ``self`` formats as its repr, built only if a message is needed.
        shape = _check_shape(shape, self)
        _check_rng(rng, self, self.random)
        return self._sampler(shape)(rng)

    def _sampler(self, shape):
        """``draw(rng)`` returning what ``self(shape, rng)`` does, for a ``shape`` already checked.

        The engine draws one shape for many seeds: the checks and whatever
        depends on the shape alone are done once, not once per seed.
        """
        return lambda rng: _as_float_array(self._draw(shape, rng), shape)

    def _draw(self, shape, rng):  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}({args})"

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self.name == other.name and self.params == other.params

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self):
        return hash((type(self).__name__, self.name, tuple(self.params.items())))


class _Constant(Initializer):
    random = False

    def __init__(self, name, value):
        self.name = name
        if name == "constant":
            self._set_params(value=_real("constant", "value", value))
        else:
            self._set_params()
        self._value = float(value)

    def _draw(self, shape, rng):
        return np.full(shape, self._value, dtype=np.float64)

    def __reduce__(self):
        return (_Constant, (self.name, self._value))


class _Uniform(Initializer):
    name = "uniform"

    def __init__(self, low=-0.05, high=0.05):
        low = _real("uniform", "low", low)
        high = _real("uniform", "high", high)
        if not low < high:
            raise ValueError(f"uniform: parameter 'low' must be < 'high', got low={low!r}, high={high!r}")
        self._set_params(low=low, high=high)

    def _sampler(self, shape):
        low, high = self._params["low"], self._params["high"]
        return lambda rng: rng.uniform(low, high, size=shape)


class _Normal(Initializer):
    name = "normal"

    def __init__(self, mean=0.0, std=0.05):
        mean = _real("normal", "mean", mean)
        std = _real("normal", "std", std)
        if std < 0:
            raise ValueError(f"normal: parameter 'std' must be >= 0, got {std!r}")
        self._set_params(mean=mean, std=std)

    def _sampler(self, shape):
        mean, std = self._params["mean"], self._params["std"]
        return lambda rng: rng.normal(mean, std, size=shape)


# name -> (distribution, numerator, fan mode): uniform bound a = sqrt(num / fan),
# normal std = sqrt(num / fan), fan = fan_in or fan_in + fan_out.
_FAN_SCALED = {
    "glorot_uniform": ("uniform", 6.0, "fan_avg"),
    "glorot_normal": ("normal", 2.0, "fan_avg"),
    "he_uniform": ("uniform", 6.0, "fan_in"),
    "he_normal": ("normal", 2.0, "fan_in"),
    "lecun_uniform": ("uniform", 3.0, "fan_in"),
    "lecun_normal": ("normal", 1.0, "fan_in"),
}


class _FanScaled(Initializer):
    def __init__(self, name):
        if name not in _FAN_SCALED:  # pragma: no cover - internal
            raise ValueError(f"unknown fan-scaled initializer {name!r}")
        self.name = name
        self._set_params()

    def scale(self, shape):
        """Bound ``a`` (uniform) or standard deviation (normal) for ``shape``."""
        dist, num, mode = _FAN_SCALED[self.name]
        fan_in, fan_out = compute_fans(shape)
        fan = fan_in if mode == "fan_in" else fan_in + fan_out
        return math.sqrt(num / fan)

    def _sampler(self, shape):
        s = self.scale(shape)
        if _FAN_SCALED[self.name][0] == "uniform":
            return lambda rng: rng.uniform(-s, s, size=shape)
        return lambda rng: rng.normal(0.0, s, size=shape)

    def __reduce__(self):
        return (_FanScaled, (self.name,))


class _Orthogonal(Initializer):
    name = "orthogonal"

    def __init__(self, gain=1.0):
        self._set_params(gain=_real("orthogonal", "gain", gain))

    def _draw(self, shape, rng):
        if len(shape) < 2:
            raise ValueError(
                f"{self!r} needs a weight shape with at least 2 dimensions, got shape {shape}; "
                "use zeros/constant/normal for biases"
            )
        rows, cols = shape[0], math.prod(shape[1:])
        a = rng.standard_normal((rows, cols))
        if rows < cols:
            a = a.T
        q, r = np.linalg.qr(a)  # reduced: q has orthonormal columns
        # Sign correction (Mezzadri 2007; Saxe et al.; torch.nn.init.orthogonal_):
        # makes q Haar-distributed instead of biased by the QR convention.
        d = np.diagonal(r)
        q = q * np.where(d < 0, -1.0, 1.0)[None, :]
        if rows < cols:
            q = q.T
        return (self._params["gain"] * q).reshape(shape)


class _Scaled(Initializer):
    name = "scaled"

    def __init__(self, init, factor):
        inner = get(init)
        factor = _real("scaled", "factor", factor)
        self._set_params(init=inner, factor=factor)
        self.random = inner.random

    def _sampler(self, shape):
        inner, factor = self._params["init"], self._params["factor"]
        # The shape is checked already; anything but our own initializers is called as before.
        draw = inner._sampler(shape) if _builtin(inner) else (lambda rng: inner(shape, rng))
        return lambda rng: draw(rng) * factor


class _Array(Initializer):
    name = "array"
    random = False

    def __init__(self, values):
        if not isinstance(values, np.ndarray):
            raise ValueError(f"array: values must be a numpy.ndarray, got {type(values).__name__}")
        if values.dtype == np.bool_ or not (np.issubdtype(values.dtype, np.integer)
                                            or np.issubdtype(values.dtype, np.floating)):
            raise ValueError(f"array: warm-start values must be real numbers, got dtype {values.dtype}")
        if values.ndim == 0 or values.size == 0:
            raise ValueError(f"array: warm-start values must be a non-empty array with at least "
                             f"one dimension, got shape {values.shape}")
        stored = np.array(values, dtype=np.float64, order="C", copy=True)
        if not np.isfinite(stored).all():
            bad = int(np.size(stored) - np.count_nonzero(np.isfinite(stored)))
            raise ValueError(f"array: warm-start values contain {bad} non-finite value(s) (NaN or inf)")
        stored.flags.writeable = False
        self._values = stored

    @property
    def values(self):
        """numpy.ndarray: a copy of the stored warm-start values."""
        return self._values.copy()

    @property
    def params(self):
        return {"values": self._values.copy()}

    def _draw(self, shape, rng):
        if self._values.shape != shape:
            raise ValueError(f"warm-start array has shape {self._values.shape}, expected {shape}")
        return self._values.copy()

    def __repr__(self):
        if self._values.size <= 6:
            return f"array({self._values.tolist()!r})"
        return f"array(<shape {self._values.shape}>)"

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return (self._values.shape == other._values.shape
                and bool(np.array_equal(self._values, other._values)))

    def __hash__(self):
        return hash(("array", self._values.shape, self._values.tobytes()))

    def __reduce__(self):
        return (_Array, (np.array(self._values),))


def _builtin(initializer):
    """Whether ``initializer`` is this module's own all the way down (no user callable or subclass).

    Those draw only through ``rng``, keep no reference to it and raise only
    for reasons that do not depend on the draw, so the engine may re-seed one
    generator for many seeds and check them once per batch.
    """
    if type(initializer) is _Scaled:
        return _builtin(initializer.params["init"])
    return type(initializer) in (_Constant, _Uniform, _Normal, _FanScaled, _Orthogonal, _Array)


def _callable_name(fn):
    for attr in ("__qualname__", "__name__"):
        name = getattr(fn, attr, None)
        if isinstance(name, str):
            return name
    return repr(fn)


class _Callable(Initializer):
    """A user callable ``fn(shape, rng)`` whose output is checked."""

    random = False  # rng is passed through unchecked: the callable decides

    def __init__(self, fn):
        self._fn = fn
        self.name = _callable_name(fn)

    @property
    def params(self):
        return {"fn": self._fn}

    def __call__(self, shape, rng=None):
        shape = _check_shape(shape, repr(self))
        out = self._fn(shape, rng)
        who = f"initializer {self.name!r}"
        try:
            arr = np.asarray(out)
        except Exception:  # noqa: BLE001 - anything unconvertible is a bad result
            raise ValueError(f"{who} returned {type(out).__name__}, expected an array") from None
        if arr.dtype == np.bool_ or not (np.issubdtype(arr.dtype, np.integer)
                                         or np.issubdtype(arr.dtype, np.floating)):
            raise ValueError(f"{who} returned an array of dtype {arr.dtype}, expected real numbers")
        if arr.shape != shape:
            raise ValueError(f"{who} returned shape {arr.shape}, expected {shape}")
        arr = np.array(arr, dtype=np.float64, order="C", copy=True)
        if not np.isfinite(arr).all():
            raise ValueError(f"{who} returned non-finite values (NaN or inf)")
        return arr

    def __repr__(self):
        return f"callable({self.name})"

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self._fn is other._fn or bool(self._fn == other._fn)

    def __hash__(self):
        try:
            return hash(("callable", self._fn))
        except TypeError:
            return hash(("callable", id(self._fn)))


# ------------------------------------------------------------------ factories

def zeros():
    """Initializer filling with 0.

    Returns
    -------
    Initializer
        ``init(shape, rng)`` returning ``numpy.zeros(shape)``; draws nothing.

    Examples
    --------
    >>> zeros()((2,), None)
    array([0., 0.])
    """
    return _Constant("zeros", 0.0)


def ones():
    """Initializer filling with 1.

    Returns
    -------
    Initializer
        ``init(shape, rng)`` returning ``numpy.ones(shape)``; draws nothing.
    """
    return _Constant("ones", 1.0)


def constant(value):
    """Initializer filling with a constant.

    Parameters
    ----------
    value : float
        The finite value every entry gets.

    Returns
    -------
    Initializer
        Draws nothing.

    Raises
    ------
    ValueError
        If ``value`` is not a finite real number (bools and strings rejected).
    """
    return _Constant("constant", value)


def uniform(low=-0.05, high=0.05):
    """Initializer drawing i.i.d. from U(low, high).

    Parameters
    ----------
    low, high : float
        Finite bounds with ``low < high``; draws use ``rng.uniform(low, high)``.

    Returns
    -------
    Initializer

    Raises
    ------
    ValueError
        If a bound is not a finite real number or ``low >= high``.
    """
    return _Uniform(low, high)


def normal(mean=0.0, std=0.05):
    """Initializer drawing i.i.d. from N(mean, std^2) (not truncated).

    Parameters
    ----------
    mean : float
        Finite mean.
    std : float
        Finite standard deviation, ``>= 0`` (0 gives the constant ``mean``).

    Returns
    -------
    Initializer

    Raises
    ------
    ValueError
        If a parameter is not a finite real number or ``std < 0``.
    """
    return _Normal(mean, std)


def glorot_uniform():
    """Glorot/Xavier uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)).

    Returns
    -------
    Initializer
    """
    return _FanScaled("glorot_uniform")


def glorot_normal():
    """Glorot/Xavier normal: N(0, 2 / (fan_in + fan_out)), not truncated.

    Returns
    -------
    Initializer
    """
    return _FanScaled("glorot_normal")


def he_uniform():
    """He/Kaiming uniform: U(-a, a) with a = sqrt(6 / fan_in).

    Returns
    -------
    Initializer
    """
    return _FanScaled("he_uniform")


def he_normal():
    """He/Kaiming normal: N(0, 2 / fan_in), not truncated.

    Returns
    -------
    Initializer
    """
    return _FanScaled("he_normal")


def lecun_uniform():
    """LeCun uniform: U(-a, a) with a = sqrt(3 / fan_in).

    Returns
    -------
    Initializer
    """
    return _FanScaled("lecun_uniform")


def lecun_normal():
    """LeCun normal: N(0, 1 / fan_in), not truncated.

    Returns
    -------
    Initializer
    """
    return _FanScaled("lecun_normal")


def orthogonal(gain=1.0):
    """Random (semi-)orthogonal matrix times ``gain``.

    The matrix is the Q factor of the QR decomposition of a standard normal
    matrix, with each column multiplied by the sign of the corresponding
    diagonal entry of R (the correction of Saxe et al. and
    ``torch.nn.init.orthogonal_``), which makes it Haar-distributed.  For
    ``(fan_out, fan_in)`` with ``fan_out <= fan_in`` the rows are orthonormal
    (``W W^T = gain^2 I``); otherwise the columns are (``W^T W = gain^2 I``).

    Parameters
    ----------
    gain : float
        Finite multiplier.

    Returns
    -------
    Initializer
        Raises ValueError when called with a 1-D shape.

    Raises
    ------
    ValueError
        If ``gain`` is not a finite real number.
    """
    return _Orthogonal(gain)


def scaled(init, factor):
    """Another initializer's output multiplied by ``factor``.

    Used for "init scale" sweeps: ``scaled("he_normal", 0.1)``.

    Parameters
    ----------
    init : initializer spec
        Anything :func:`get` accepts.
    factor : float
        Finite multiplier (0 and negative values allowed).

    Returns
    -------
    Initializer

    Raises
    ------
    ValueError
        If ``init`` is not a valid spec or ``factor`` not a finite real number.
    """
    return _Scaled(init, factor)


def array(values):
    """Warm-start initializer returning a float64 copy of ``values``.

    Parameters
    ----------
    values : numpy.ndarray
        Finite real values; they are copied once here, so later changes to the
        caller's array do not affect the initializer, and the caller's array is
        never written.

    Returns
    -------
    Initializer
        ``init(shape, rng)`` returns a new float64 copy; ``shape`` must equal
        ``values.shape`` exactly, else ValueError
        ``"warm-start array has shape X, expected Y"``.

    Raises
    ------
    ValueError
        If ``values`` is not a non-empty real ndarray or holds NaN/inf.
    """
    return _Array(values)


# ------------------------------------------------------------------- registry

_FACTORIES = {
    "zeros": zeros,
    "ones": ones,
    "constant": constant,
    "uniform": uniform,
    "normal": normal,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "lecun_uniform": lecun_uniform,
    "lecun_normal": lecun_normal,
    "orthogonal": orthogonal,
    "scaled": scaled,
}

_ALIASES = {
    "zero": "zeros",
    "xavier_uniform": "glorot_uniform",
    "xavier_normal": "glorot_normal",
    "kaiming_uniform": "he_uniform",
    "kaiming_normal": "he_normal",
}


def names():
    """Sorted list of initializer names accepted by :func:`get`.

    Returns
    -------
    list of str
        Canonical names (aliases such as ``xavier_uniform`` are not listed).
    """
    return sorted(_FACTORIES)


def _unknown(name):
    valid = names()
    close = difflib.get_close_matches(name, valid + sorted(_ALIASES), n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    if name == "array":
        hint = " For a warm start pass the numpy array itself."
    return ValueError(f"unknown initializer {name!r}.{hint} Valid names: {', '.join(valid)}")


def _from_name(name, args=(), kwargs=None):
    kwargs = dict(kwargs or {})
    key = name.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in _FACTORIES:
        raise _unknown(name)
    factory = _FACTORIES[key]
    sig = inspect.signature(factory)
    try:
        sig.bind(*args, **kwargs)
    except TypeError as exc:
        raise ValueError(f"bad arguments for initializer {key}{sig}: {exc}") from None
    return factory(*args, **kwargs)


def _number_node(node, text):
    sign = 1
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        if isinstance(node.op, ast.USub):
            sign = -sign
        node = node.operand
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return sign * node.value
        if sign == 1:
            return node.value  # a literal of another type: the factory names the bad parameter
    raise ValueError(f"initializer spec {text!r}: arguments must be numbers, got {ast.unparse(node)!r}")


def _split_node(node, text):
    """(name, args, kwargs) of a parsed spec node; nothing is evaluated."""
    if isinstance(node, ast.Name):
        return node.id, [], {}
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and "(" not in node.value:
        return node.value, [], {}
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise ValueError(f"cannot parse initializer spec {text!r}: expected a name or "
                         "name(arguments), e.g. 'he_normal' or 'normal(0, 0.1)'")
    key = node.func.id.lower()
    if _ALIASES.get(key, key) not in _FACTORIES:
        raise _unknown(node.func.id)
    nested = key == "scaled"  # the one initializer taking another

    def value(arg, position, keyword):
        if nested and (position == 0 or keyword == "init"):
            return _from_name(*_split_node(arg, text))
        return _number_node(arg, text)

    args = []
    for i, a in enumerate(node.args):
        if isinstance(a, ast.Starred):
            raise ValueError(f"initializer spec {text!r}: *arguments are not allowed")
        args.append(value(a, i, None))
    kwargs = {}
    for k in node.keywords:
        if k.arg is None:
            raise ValueError(f"initializer spec {text!r}: **arguments are not allowed")
        if k.arg in kwargs:
            raise ValueError(f"initializer spec {text!r}: parameter {k.arg!r} given twice")
        kwargs[k.arg] = value(k.value, None, k.arg)
    return node.func.id, args, kwargs


def _split_string(text):
    stripped = text.strip()
    if "(" not in stripped:
        return stripped, [], {}
    if len(stripped) > _MAX_SPEC_LENGTH:
        raise ValueError(f"initializer spec is too long ({len(stripped)} characters)")
    try:
        tree = ast.parse(stripped, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ValueError(f"cannot parse initializer spec {text!r}: {exc}") from None
    return _split_node(tree.body, text)


@functools.lru_cache(maxsize=256)
def _from_string(spec):
    # Every fit resolves its initializer strings again; parsing one costs about
    # 30 us. Initializers never change after they are made, so one may be shared.
    name, args, parsed = _split_string(spec)
    return _from_name(name, args, parsed)


def get(spec, **kwargs):
    """Resolve an initializer spec.

    Parameters
    ----------
    spec : Initializer, callable, str or numpy.ndarray
        - an :class:`Initializer` (returned as is);
        - any other callable ``fn(shape, rng)``, wrapped so that its result is
          checked (a finite real array of exactly ``shape``, returned as a
          float64 copy) with a ValueError naming the initializer otherwise;
        - a name (``"he_normal"``, case-insensitive; see :func:`names`), with
          parameters from ``kwargs`` (``get("normal", std=0.1)``);
        - a name with numeric arguments, positional or keyword, parsed with
          :mod:`ast` (never evaluated): ``"normal(0, 0.1)"``,
          ``"uniform(low=-1, high=1)"``, ``"orthogonal(gain=2)"``; ``scaled``
          also takes an initializer: ``"scaled(he_normal, 0.1)"``;
        - a NumPy array: warm start, see :func:`array`.
    **kwargs
        Parameters for a name spec (merged with those in the string).

    Returns
    -------
    Initializer

    Raises
    ------
    ValueError
        Unknown name (the message lists the valid names and close matches),
        bad or unparsable arguments, bad parameter values, an invalid array,
        keyword arguments with a non-string spec, or an unsupported spec type.

    Examples
    --------
    >>> get("uniform(low=-1, high=1)")
    uniform(low=-1.0, high=1.0)
    >>> get("constant", value=0.5)
    constant(value=0.5)
    """
    if isinstance(spec, str):
        if not kwargs:
            return _from_string(spec)
        name, args, parsed = _split_string(spec)
        dup = sorted(set(parsed) & set(kwargs))
        if dup:
            raise ValueError(f"initializer spec {spec!r}: parameter {dup[0]!r} given twice")
        return _from_name(name, args, {**parsed, **kwargs})
    if kwargs:
        raise ValueError(f"keyword arguments {sorted(kwargs)} are only accepted with an "
                         f"initializer name, not with {type(spec).__name__}")
    if isinstance(spec, Initializer):
        return spec
    if isinstance(spec, np.ndarray):
        return _Array(spec)
    if callable(spec):
        return _Callable(spec)
    raise ValueError(f"cannot use {spec!r} (type {type(spec).__name__}) as an initializer: "
                     "expected a name, an initializer, a callable init(shape, rng) or a numpy array")
