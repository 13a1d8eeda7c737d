"""Checks shared by every public entry point: nothing reaches the core unchecked.

Each check returns the converted value or raises ``ValueError``/``TypeError``
naming the argument and the problem. Inputs are never modified.
"""
import numbers
import operator

import numpy as np

# Largest parameter count we agree to allocate per model before asking (1e9 doubles = 8 GB).
MAX_PARAMS = 10**9


def _is_bool(value):
    return isinstance(value, (bool, np.bool_))


def check_int(value, name, minimum=None):
    """An integer (not bool, not float) >= minimum."""
    if _is_bool(value) or not isinstance(value, (numbers.Integral, np.integer)):
        try:
            if _is_bool(value) or isinstance(value, (float, str, bytes)):
                raise TypeError
            value = operator.index(value)
        except TypeError:
            raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})") from None
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_float(value, name, positive=False, minimum=None):
    """A finite real number (not bool, not str)."""
    if _is_bool(value) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_bool(value, name):
    if not _is_bool(value):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_choice(value, name, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def check_seeds(value, name):
    """An int seed, or a non-empty sequence of them; returns (array, was_scalar)."""
    if isinstance(value, (list, tuple, np.ndarray, range)):
        seeds = [check_int(v, f"{name}[{i}]", minimum=0) for i, v in enumerate(np.asarray(value, dtype=object).ravel())]
        if not seeds:
            raise ValueError(f"{name} must not be empty")
        return np.asarray(seeds, dtype=np.int64), False
    return np.asarray([check_int(value, name, minimum=0)], dtype=np.int64), True


def check_hidden(value, name="hidden"):
    if isinstance(value, (numbers.Integral, np.integer)) and not _is_bool(value):
        value = (value,)
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{name} must be a tuple of positive ints, got {value!r}")
    return tuple(check_int(v, f"{name}[{i}]", minimum=1) for i, v in enumerate(value))


def check_param_count(sizes, n_models, bias):
    """Raise MemoryError up front for absurd layer sizes, with the size computed."""
    P = sum(sizes[l + 1] * sizes[l] + (sizes[l + 1] if bias else 0) for l in range(len(sizes) - 1))
    total = P * n_models
    if P > MAX_PARAMS or total > MAX_PARAMS:
        raise MemoryError(
            f"the model needs {P:,} parameters per model x {n_models:,} models = {total:,} values "
            f"({total * 8 / 2**30:.1f} GiB in float64); reduce the layer sizes or the number of seeds")
    return P


def check_X(X, name="X", dtype=np.float64):
    """2-D finite float array, C-contiguous, converted once (never mis-read)."""
    if isinstance(X, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers, got a string")
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged lists etc.
        raise ValueError(f"{name} could not be converted to an array: {exc}") from None
    if arr.dtype.kind in "OUSV" or arr.dtype.kind == "c":
        try:
            if arr.dtype.kind == "c":
                raise TypeError("complex")
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must contain real numbers; got dtype {arr.dtype}") from None
    if arr.ndim != 2:
        hint = " (reshape a single feature with X.reshape(-1, 1))" if arr.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got {arr.ndim}-D with shape {arr.shape}{hint}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} has 0 samples; at least 1 is required")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has 0 features; at least 1 is required")
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"{name} contains NaN or infinity (first at row {bad[0]}, column {bad[1]})")
    return arr


def check_y(y, n_samples, name="y"):
    """1-D array of length n_samples (an (n, 1) column is accepted)."""
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (n_samples,), got shape {arr.shape}")
    if arr.shape[0] != n_samples:
        raise ValueError(f"{name} has {arr.shape[0]} entries but X has {n_samples} samples")
    return arr


def check_regression_target(y, n_samples, name="y"):
    arr = check_y(y, n_samples, name)
    try:
        if arr.dtype.kind in "USc":
            raise TypeError
        out = np.ascontiguousarray(arr, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must contain real numbers for regression; got dtype {arr.dtype}") from None
    if not np.isfinite(out).all():
        raise ValueError(f"{name} contains NaN or infinity (first at index {np.flatnonzero(~np.isfinite(out))[0]})")
    return out


def encode_labels(y, n_samples, name="y"):
    """Map two distinct labels to -1 (the smaller) and +1; returns (classes, encoded)."""
    arr = check_y(y, n_samples, name)
    if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinity; labels must be two distinct finite values")
    if arr.dtype.kind == "O":
        if any(v is None or (isinstance(v, float) and not np.isfinite(v)) for v in arr):
            raise ValueError(f"{name} contains None or NaN; labels must be two distinct values")
    try:
        classes, encoded = np.unique(arr, return_inverse=True)
    except TypeError:
        raise ValueError(f"{name} mixes label types that cannot be ordered") from None
    if len(classes) != 2:
        what = "one class" if len(classes) == 1 else f"{len(classes)} classes"
        raise ValueError(
            f"{name} has {what} ({', '.join(map(repr, classes[:5].tolist()))}"
            f"{', ...' if len(classes) > 5 else ''}); these models are binary classifiers and need exactly 2")
    return classes, np.where(encoded.reshape(-1) == 1, 1.0, -1.0)
