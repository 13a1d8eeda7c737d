"""Checks shared by every public entry point: nothing reaches the core unchecked.

Each check returns the converted value or raises ``ValueError``/``TypeError``
naming the argument and the problem (``MemoryError`` for absurd sizes, raised
before anything is allocated). Inputs are never modified: arrays are converted
into new arrays when their dtype, byte order or layout differ from what the
core reads, and used as they are (read-only, memory-mapped) otherwise.

Where scikit-learn's estimator checks look for particular words ("Reshape your
data", "Only binary classification is supported", ...), the messages contain
them, so the estimators pass ``check_estimator``.
"""
import numbers
import operator
import os
import sys
import warnings

import numpy as np

# Largest parameter count we agree to allocate per model (1e9 doubles = 8 GB).
MAX_PARAMS = 10**9
# Largest history we agree to record (models x epochs; 4 float64 arrays of it).
MAX_HISTORY = 10**8
# Seeds are stored as int64.
MAX_SEED = 2**63 - 1
# batch_size and n_threads go to the core as C integers.
MAX_BATCH = 2**62
MAX_THREADS = 2**15


# ------------------------------------------------- scikit-learn compatibility

_COMPAT = {}


def compat_class(cls, sklearn_name):
    """``cls``, or a subclass of it and of ``sklearn.exceptions.<sklearn_name>``.

    zi-core does not import scikit-learn (1.5 s). When the caller has imported
    it, code can only be catching scikit-learn's exception classes if
    ``sklearn.exceptions`` is loaded; then our exceptions and warnings are
    raised as subclasses of both, so ``except NotFittedError`` works with either.
    """
    skmod = sys.modules.get("sklearn.exceptions")
    base = getattr(skmod, sklearn_name, None) if skmod is not None else None
    if base is None or issubclass(cls, base):
        return cls
    key = (cls, base)
    if key not in _COMPAT:
        _COMPAT[key] = type(cls.__name__, (cls, base), {"__module__": cls.__module__,
                                                         "__doc__": cls.__doc__})
    return _COMPAT[key]


class DataConversionWarning(UserWarning):
    """The input was converted in a way the caller may not expect (a column-vector y)."""


# ------------------------------------------------------------------- scalars

def _is_bool(value):
    return isinstance(value, (bool, np.bool_))


def check_int(value, name, minimum=None, maximum=None):
    """An integer (not bool, not float, not str) in [minimum, maximum]."""
    if _is_bool(value) or not isinstance(value, (numbers.Integral, np.integer)):
        try:
            if _is_bool(value) or isinstance(value, (float, str, bytes, np.floating)):
                raise TypeError
            value = operator.index(value)
        except TypeError:
            raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})") from None
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_float(value, name, positive=False, minimum=None):
    """A finite real number (not bool, not str)."""
    if _is_bool(value) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    try:
        value = float(value)
    except (OverflowError, ValueError, TypeError):
        raise ValueError(f"{name} must be a finite real number, got {value!r}") from None
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


def check_dtype(value, name="dtype", choices=("float64", "float32")):
    """'float64' or 'float32', given as a string, a NumPy type or a dtype."""
    if not isinstance(value, str):
        try:
            value = str(np.dtype(value))
        except Exception:  # anything np.dtype cannot interpret
            raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}") from None
    return check_choice(value, name, choices)


def check_seeds(value, name):
    """An int seed, or a non-empty sequence of them; returns (array, was_scalar)."""
    if isinstance(value, range) and value.step > 0:  # fast paths: a range, an integer array
        value = np.arange(value.start, value.stop, value.step, dtype=object) if (
            value.start < 0 or value.stop > MAX_SEED) else np.arange(value.start, value.stop, value.step)
    if isinstance(value, np.ndarray) and value.dtype.kind in "iu" and value.size:
        flat = value.ravel()
        lo, hi = int(flat.min()), int(flat.max())
        if lo >= 0 and hi <= MAX_SEED:
            return flat.astype(np.int64), False
    if isinstance(value, (list, tuple, np.ndarray, range)):
        try:
            flat = np.asarray(value, dtype=object).ravel()
        except (ValueError, TypeError):
            raise TypeError(f"{name} must be an integer or a flat sequence of integers") from None
        seeds = [check_int(v, f"{name}[{i}]", minimum=0, maximum=MAX_SEED) for i, v in enumerate(flat)]
        if not seeds:
            raise ValueError(f"{name} must not be empty")
        return np.asarray(seeds, dtype=np.int64), False
    return np.asarray([check_int(value, name, minimum=0, maximum=MAX_SEED)], dtype=np.int64), True


def check_hidden(value, name="hidden"):
    """Hidden widths: an int or a sequence of positive ints (an empty tuple is no hidden layer)."""
    if isinstance(value, (numbers.Integral, np.integer)) and not _is_bool(value):
        value = (value,)
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = tuple(value.tolist())
    if not isinstance(value, (tuple, list, range)):
        raise TypeError(f"{name} must be a tuple of positive ints, got {value!r}")
    return tuple(check_int(v, f"{name}[{i}]", minimum=1) for i, v in enumerate(value))


# Training holds about this many float64-sized copies of all parameters at once
# (current, initial, previous epoch, the update-norm temporaries, the results,
# the core's scratch); the up-front memory check counts them.
PARAM_COPIES = 8


def available_memory():
    """Bytes of memory available to a new allocation (MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


_SMALL_RUN = 64 << 20


def check_param_count(sizes, n_models, bias, epochs=1, itemsize=8):
    """Raise MemoryError up front for absurd layer sizes, with the size computed.

    Training holds about ``PARAM_COPIES`` copies of the parameters of every
    model and a history of ``4 x n_models x epochs`` values; both are checked
    before anything is allocated, against fixed caps and against the memory
    available now (read only for runs needing more than 64 MiB), so an absurd
    size is a clear error instead of a swap storm or the kernel's OOM killer.
    """
    sizes = [int(s) for s in sizes]
    P = sum(sizes[l + 1] * sizes[l] + (sizes[l + 1] if bias else 0) for l in range(len(sizes) - 1))
    total = P * n_models
    need = PARAM_COPIES * total * 8
    values = n_models * epochs
    # Reading /proc/meminfo costs more than a small fit's checks together;
    # a run needing at most _SMALL_RUN bytes cannot be the absurd size this
    # check is for, so it is not read.
    small = need <= _SMALL_RUN and 32 * values <= _SMALL_RUN
    avail = float("inf") if small else available_memory() or float("inf")
    if P > MAX_PARAMS or total > MAX_PARAMS or need > avail:
        raise MemoryError(
            f"the model needs {P:,} parameters per model x {n_models:,} models = {total:,} values "
            f"({total * itemsize / 2**30:.1f} GiB; training needs about {need / 2**30:.1f} GiB, "
            f"{avail / 2**30:.1f} GiB available); reduce the layer sizes or the number of seeds")
    if values > MAX_HISTORY or 32 * values > avail:
        raise MemoryError(
            f"the history of {n_models:,} models x {epochs:,} epochs would hold "
            f"{4 * values:,} values ({32 * values / 2**30:.1f} GiB); reduce epochs or the number of seeds")
    return P


# -------------------------------------------------------------------- arrays

def _is_sparse(obj):
    mod = type(obj).__module__ or ""
    return mod.startswith("scipy.sparse") or (hasattr(obj, "tocsr") and hasattr(obj, "nnz"))


def _as_array(obj, name):
    """np.asarray with every failure turned into a ValueError/TypeError naming ``name``."""
    if obj is None:
        raise TypeError(f"{name} must be an array-like of numbers, got None")
    if _is_sparse(obj):
        raise TypeError(f"{name} is a sparse matrix ({type(obj).__name__}); sparse input is not "
                        f"supported: pass a dense array, e.g. {name}.toarray()")
    if isinstance(obj, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers, got a string")
    try:
        return np.asarray(obj)
    except MemoryError:
        raise
    except Exception as exc:  # ragged lists, objects whose __array__ fails
        raise ValueError(f"{name} could not be converted to an array: {exc}") from None


def _to_float(arr, name, dtype=np.float64):
    """Convert a NumPy array of any dtype to real floats, or explain why not."""
    kind = arr.dtype.kind
    if kind == "c":
        raise ValueError(f"{name} must contain real numbers: Complex data not supported (dtype {arr.dtype})")
    if kind in "USa":
        raise ValueError(f"{name} must contain real numbers, got strings (dtype {arr.dtype}); "
                         "convert them to numbers first")
    if kind in "MmV":
        raise ValueError(f"{name} must contain real numbers; got dtype {arr.dtype}")
    if kind == "O":
        try:
            return arr.astype(dtype)
        except TypeError as exc:  # e.g. a dict: "float() argument must be a string or a real number"
            raise TypeError(f"{name} must contain real numbers: {exc}") from None
        except (ValueError, OverflowError) as exc:
            raise ValueError(f"{name} must contain real numbers: {exc}") from None
    return arr  # b, i, u, f: converted exactly (up to float64 rounding of huge ints) below


def check_X(X, name="X", dtype=np.float64):
    """2-D finite float array, C-contiguous, converted once (never mis-read).

    Accepts any real dtype (bool, int, float16/32/64, long double, object
    holding numbers), either byte order and any memory layout; an array that is
    already C-contiguous native float64 is used as it is (not copied, so
    read-only and memory-mapped arrays work and are never written).
    """
    arr = _to_float(_as_array(X, name), name)
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1:
            hint = ("; Reshape your data using X.reshape(-1, 1) if it has a single feature "
                    "or X.reshape(1, -1) if it is a single sample")
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got {arr.ndim}-D with shape {arr.shape}{hint}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} has 0 samples: 0 sample(s) (shape={arr.shape}) while a minimum of 1 is required.")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has 0 features: 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required.")
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.ascontiguousarray(arr, dtype=np.float64)
    finite = np.isfinite(out)
    if not finite.all():
        bad = np.argwhere(~finite)[0]
        raise ValueError(f"{name} contains NaN or infinity (first at row {bad[0]}, column {bad[1]})")
    if np.dtype(dtype) != np.float64:
        out = check_fits(out, name, dtype)
    return out


def check_fits(arr, name, dtype):
    """``arr`` converted to ``dtype`` (float32), or ValueError if values overflow it."""
    dtype = np.dtype(dtype)
    if dtype == arr.dtype:
        return arr
    big = float(np.finfo(dtype).max)
    if arr.size and np.abs(arr).max() > big:
        raise ValueError(f"{name} has values too large for dtype='{dtype}' (|value| > {big:.3g})")
    return np.ascontiguousarray(arr, dtype=dtype)


def check_y(y, n_samples, name="y"):
    """1-D array of length n_samples (an (n, 1) column is accepted with a warning)."""
    if y is None:
        raise ValueError(f"this estimator requires {name} to be passed, but the target {name} is None")
    arr = _as_array(y, name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        warnings.warn(compat_class(DataConversionWarning, "DataConversionWarning")(
            f"A column-vector {name} was passed when a 1d array was expected. Please change the "
            f"shape of {name} to (n_samples,), for example using ravel()."), stacklevel=3)
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (n_samples,), got shape {arr.shape}")
    if arr.shape[0] != n_samples:
        raise ValueError(f"{name} has {arr.shape[0]} entries but X has {n_samples} samples")
    return arr


def check_regression_target(y, n_samples, name="y", dtype=np.float64):
    """Real finite targets of length n_samples, as C-contiguous float64 (or float32)."""
    arr = check_y(y, n_samples, name)
    try:
        arr = _to_float(arr, name)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{exc} (a regression target)") from None
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.isfinite(out).all():
        raise ValueError(f"{name} contains NaN or infinity (first at index {np.flatnonzero(~np.isfinite(out))[0]})")
    if np.dtype(dtype) != np.float64:
        out = check_fits(out, name, dtype)
    return out


def _is_missing(v):
    if v is None:
        return True
    try:
        return isinstance(v, (float, np.floating)) and not np.isfinite(v)
    except TypeError:
        return False


def encode_labels(y, n_samples, name="y"):
    """Map two distinct labels to -1 (the smaller) and +1; returns (classes, encoded)."""
    arr = check_y(y, n_samples, name)
    kind = arr.dtype.kind
    if kind in "fc" and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinity; labels must be two distinct finite values")
    if kind == "V":
        raise ValueError(f"{name} has a structured dtype {arr.dtype}; labels must be two distinct values")
    if kind == "O" and any(_is_missing(v) for v in arr):
        raise ValueError(f"{name} contains None or NaN; labels must be two distinct values")
    try:
        classes, encoded = np.unique(arr, return_inverse=True)
    except (TypeError, ValueError):
        raise ValueError(f"{name} mixes label types that cannot be ordered; labels must be two distinct "
                         "values of one type") from None
    if len(classes) != 2:
        shown = f"{', '.join(map(repr, classes[:5].tolist()))}{', ...' if len(classes) > 5 else ''}"
        if len(classes) == 1:
            raise ValueError(f"{name} has one class ({shown}); these models are binary classifiers and "
                             "need exactly 2")
        if kind == "f" and not np.array_equal(classes, np.round(classes)):
            raise ValueError(
                f"{name} has {len(classes)} distinct non-integer values ({shown}): Unknown label type: "
                "continuous. These models are binary classifiers and need exactly 2 labels; for a real "
                "target use LinearRegression or MLP(task='regression')")
        raise ValueError(
            f"{name} has {len(classes)} classes ({shown}); Only binary classification is supported. "
            "These models are binary classifiers and need exactly 2")
    return classes, np.where(encoded.reshape(-1) == 1, 1.0, -1.0)


# ------------------------------------------------------------ engine.train_many

_SPEC_FIELDS = ("model", "hidden", "loss", "bias", "lr", "epochs", "batch_size", "lr_schedule",
                "power_t", "tol", "shuffle", "dtype", "task")


def check_train_many(spec, X, y, init_seeds, shuffle_seed, backend, n_threads, on_divergence, callback,
                     *, models, losses, backends, dtypes):
    """Validate the arguments of ``engine.train_many`` (a public function too).

    Returns ``(X, y, seeds, shuffle_seed, n_threads)`` converted; raises
    ValueError/TypeError naming the argument (``spec.lr``, ``y``, ...), or a
    MemoryError for absurd sizes, before anything is allocated.
    """
    missing = [f for f in _SPEC_FIELDS if not hasattr(spec, f)]
    if missing:
        raise TypeError(f"spec must be a zi_core.ModelSpec, got {type(spec).__name__} "
                        f"(missing {', '.join(missing)})")
    check_choice(spec.model, "spec.model", tuple(sorted(models)))
    check_choice(spec.loss, "spec.loss", tuple(losses))
    check_choice(spec.task, "spec.task", ("classification", "regression"))
    check_choice(spec.lr_schedule, "spec.lr_schedule", ("constant", "invscaling"))
    dtype = check_choice(spec.dtype, "spec.dtype", tuple(dtypes))
    hidden = check_hidden(spec.hidden, "spec.hidden") if spec.model == "mlp" else ()
    bias = check_bool(spec.bias, "spec.bias")
    lr = check_float(spec.lr, "spec.lr", positive=True)
    epochs = check_int(spec.epochs, "spec.epochs", minimum=1)
    check_int(spec.batch_size, "spec.batch_size", minimum=1, maximum=MAX_BATCH)
    check_float(spec.power_t, "spec.power_t", minimum=0.0)
    if spec.tol is not None:
        check_float(spec.tol, "spec.tol", minimum=0.0)
    check_bool(spec.shuffle, "spec.shuffle")
    check_choice(backend, "backend", tuple(backends))
    check_choice(on_divergence, "on_divergence", ("record", "raise"))
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
    seeds, _ = check_seeds(init_seeds, "init_seeds")
    shuffle_seed = check_int(shuffle_seed, "shuffle_seed", minimum=0, maximum=MAX_SEED)
    if n_threads is not None:
        n_threads = min(check_int(n_threads, "n_threads", minimum=1), MAX_THREADS)
    ftype = np.dtype(dtypes[dtype])
    if ftype != np.float64 and lr > float(np.finfo(ftype).max):
        raise ValueError(f"spec.lr={lr:g} is too large for dtype='{dtype}'")
    X = check_X(X, "X", dtype=ftype)
    if spec.task == "regression":
        y = check_regression_target(y, X.shape[0], "y", dtype=ftype)
    else:
        y = check_y(y, X.shape[0], "y")
        if y.dtype.kind not in "biuf" or not ((y == 1) | (y == -1)).all():
            raise ValueError("y must be encoded as -1.0/+1.0 for classification (the estimators encode "
                             "the user's labels; train_many takes them encoded)")
        y = np.ascontiguousarray(y, dtype=ftype)
    sizes = (X.shape[1],) + hidden + (1,)
    check_param_count(sizes, len(seeds), bias, epochs=epochs, itemsize=ftype.itemsize)
    return X, y, seeds, shuffle_seed, n_threads
