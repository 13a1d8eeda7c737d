"""The four estimators: thin scikit-learn-style front ends over ``engine.train_many``.

They validate and convert the input, encode labels (the smaller of two labels is
-1, the larger +1), build a ``ModelSpec`` and expose the results as fitted
attributes ending in ``_``. With a single ``init_seed`` the attributes have the
usual shapes; with a sequence of seeds, one model is trained per seed (in one
batched call) and every fitted attribute gains a leading model axis.
"""
import inspect
import numbers
import types

import numpy as np

from . import _validation as v
from . import init as _init
from .engine import BACKENDS, DTYPES, LOSSES, DivergenceError, ModelSpec, outputs, train_many


class NotFittedError(ValueError, AttributeError):
    """The estimator is used before ``fit``.

    Raised as a subclass of scikit-learn's ``NotFittedError`` too when
    scikit-learn is imported, so either ``except`` clause catches it.
    """


def _is_number_list(value):
    """A non-empty list/tuple of plain real numbers (a warm-start vector written as a list)."""
    return (isinstance(value, (list, tuple)) and len(value) > 0
            and all(isinstance(e, (numbers.Real, np.integer, np.floating)) for e in value))


class _ClassifierOnly:
    """A method that exists only on classifiers (scikit-learn: regressors have no decision_function)."""

    def __init__(self, fn):
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    def __get__(self, obj, owner=None):
        if obj is None:
            return self.fn
        if not obj._is_classifier():
            raise AttributeError(f"{type(obj).__name__} is a regressor and has no {self.__name__}; "
                                 "use predict")
        return types.MethodType(self.fn, obj)


_COMMON_DOC = """
    lr : float, default={lr}
        Learning rate eta (> 0).
    epochs : int, default=20
        Passes over the data (>= 1). Training never stops early.
    batch_size : int, default=1
        1 is per-sample SGD; larger sizes use the mean gradient of each
        consecutive batch (the last may be shorter).
    init, bias_init : str, callable, ndarray or list
        Initializers for the weights and the biases (``zi_core.init.get``):
        a name such as ``"zeros"`` or ``"he_normal"``, a string with arguments
        such as ``"normal(0, 0.1)"``, a callable ``init(shape, rng)``, or an
        array (warm start, copied). An MLP takes one per layer in a list.
    shuffle : bool, default=False
        Visit samples in a fresh permutation each epoch (from ``shuffle_seed``).
    init_seed : int or sequence of int, default=0
        Seed of the initial weights; a sequence trains one model per seed.
    shuffle_seed : int, default=0
    lr_schedule : {{"constant", "invscaling"}}, default="constant"
        ``invscaling`` uses eta_t = lr / t**power_t, t counted in updates from 1.
    power_t : float, default=0.5
    tol : float, default=1e-4
        ``converged_`` is set when the last epoch's loss changed by less.
    dtype : {{"float64", "float32"}}, default="float64"
    backend : {{"cython", "numpy"}}, default="cython"
        ``"numpy"`` runs the pure-NumPy reference implementation.
    n_threads : int or None, default=None
        Threads over models (several seeds); None uses every available core.
    on_divergence : {{"raise", "record"}}, default="raise"
        On a non-finite loss or weight, raise ``DivergenceError`` (after
        recording ``diverged_`` and ``diverged_epoch_``) or only record.
"""


class _SGDEstimator:
    """Parameter handling, validation and fitting shared by all estimators."""

    _model = None
    _task = "classification"

    # ----------------------------------------------- scikit-learn conventions
    @classmethod
    def _param_names(cls):
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self, deep=True):
        """Parameters of this estimator (scikit-learn convention)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Set parameters by name; unknown names are a ``ValueError``."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; valid: {', '.join(valid)}")
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = inspect.signature(type(self).__init__).parameters
        changed = []
        for name, value in self.get_params().items():
            default = defaults[name].default
            try:
                same = value is default or (type(value) is type(default) and value == default)
                same = bool(same)
            except Exception:
                same = False
            if not same:
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self):  # scikit-learn >= 1.6 asks estimators for tags
        from sklearn.utils import ClassifierTags, InputTags, RegressorTags, Tags, TargetTags

        classify = self._is_classifier()
        return Tags(
            estimator_type="classifier" if classify else "regressor",
            target_tags=TargetTags(required=True, one_d_labels=False, two_d_labels=False,
                                   positive_only=False, multi_output=False, single_output=True),
            # binary only: fit raises "Only binary classification is supported" on 3+ classes
            classifier_tags=ClassifierTags(multi_class=False, poor_score=False) if classify else None,
            regressor_tags=None if classify else RegressorTags(poor_score=False),
            input_tags=InputTags(two_d_array=True, sparse=False, allow_nan=False, string=False),
        )

    def __sklearn_is_fitted__(self):
        return hasattr(self, "result_")

    def _is_classifier(self):
        return self._task == "classification"

    @property
    def _estimator_type(self):
        return "classifier" if self._is_classifier() else "regressor"

    def _check_fitted(self):
        if not hasattr(self, "result_"):
            raise v.compat_class(NotFittedError, "NotFittedError")(
                f"this {type(self).__name__} instance is not fitted yet; call fit(X, y) first")

    # ------------------------------------------------------------ the work
    def _build_spec(self, n_features, n_models):
        """Validate every hyper-parameter and return the ModelSpec."""
        spec = dict(
            model=self._model,
            lr=v.check_float(self.lr, "lr", positive=True),
            epochs=v.check_int(self.epochs, "epochs", minimum=1),
            batch_size=v.check_int(self.batch_size, "batch_size", minimum=1, maximum=v.MAX_BATCH),
            lr_schedule=v.check_choice(self.lr_schedule, "lr_schedule", ("constant", "invscaling")),
            power_t=v.check_float(self.power_t, "power_t", minimum=0.0),
            tol=v.check_float(self.tol, "tol", minimum=0.0),
            shuffle=v.check_bool(self.shuffle, "shuffle"),
            dtype=v.check_dtype(self.dtype, "dtype", tuple(DTYPES)),
            task=self._task,
        )
        spec.update(self._model_spec(n_features))
        spec = ModelSpec(**spec)
        v.check_param_count(spec.sizes(n_features), n_models, spec.bias, epochs=spec.epochs,
                            itemsize=np.dtype(DTYPES[spec.dtype]).itemsize)
        return spec

    def _init_spec(self, value, shape, name):
        """An initializer for one parameter; arrays are checked against shape."""
        if isinstance(value, np.ndarray) or _is_number_list(value):
            arr = np.asarray(value)
            if arr.dtype.kind not in "biuf":
                raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
            with np.errstate(over="ignore", invalid="ignore"):
                arr = arr.astype(np.float64)  # a new array: the caller's is never written
            if arr.size == int(np.prod(shape)) and arr.ndim <= 2 and arr.shape in (shape, (shape[-1],), (), (1,)):
                arr = arr.reshape(shape)
            if arr.shape != tuple(shape):
                raise ValueError(f"{name} has shape {np.asarray(value).shape}, expected {shape}")
            if not np.isfinite(arr).all():
                raise ValueError(f"{name} contains NaN or infinity")
            return _init.get(arr)
        try:
            return _init.get(value)
        except (ValueError, TypeError) as exc:
            raise (TypeError if isinstance(exc, TypeError) else ValueError)(f"{name}: {exc}") from None

    def _fit(self, X, y_enc, **fitted):
        """Validate the hyper-parameters, train, and set the fitted attributes.

        ``fitted`` holds attributes computed from the data (``classes_``,
        ``n_features_in_``); they are set only once training has run, so a
        failed ``fit`` leaves a previously fitted estimator as it was.
        """
        backend = v.check_choice(self.backend, "backend", BACKENDS)
        on_div = v.check_choice(self.on_divergence, "on_divergence", ("raise", "record"))
        seeds, scalar = v.check_seeds(self.init_seed, "init_seed")
        shuffle_seed = v.check_int(self.shuffle_seed, "shuffle_seed", minimum=0, maximum=v.MAX_SEED)
        n_threads = None if self.n_threads is None else min(
            v.check_int(self.n_threads, "n_threads", minimum=1), v.MAX_THREADS)
        spec = self._build_spec(X.shape[1], len(seeds))
        if spec.dtype != "float64":
            if abs(spec.lr) > float(np.finfo(DTYPES[spec.dtype]).max):
                raise ValueError(f"lr={spec.lr:g} is too large for dtype='{spec.dtype}'")
            X = v.check_fits(X, "X", DTYPES[spec.dtype])
            y_enc = v.check_fits(y_enc, "y", DTYPES[spec.dtype])
        try:
            result = train_many(spec, X, y_enc, seeds, shuffle_seed=shuffle_seed, backend=backend,
                                n_threads=n_threads, on_divergence=on_div)
        except DivergenceError as exc:
            self.__dict__.update(fitted)
            self._store(exc.result, spec, scalar)
            raise
        self.__dict__.update(fitted)
        self._store(result, spec, scalar)
        return self

    def _store(self, result, spec, scalar):
        one = (lambda a: a[0]) if scalar else (lambda a: a)
        self.result_ = result
        self.spec_ = spec
        self._scalar = scalar
        self.n_models_ = len(result)
        self.history_ = {k: one(val) for k, val in result.history.items()}
        self.diverged_ = one(result.diverged)
        self.diverged_epoch_ = one(result.diverged_epoch)
        self.final_loss_ = one(result.final_loss)
        self.final_accuracy_ = one(result.final_accuracy)
        self.converged_ = one(result.converged)
        self.n_iter_ = result.epochs_run
        self.wall_time_ = result.wall_time
        self.weights_ = [one(W) for W in result.weights]
        self.biases_ = None if result.biases is None else [one(b) for b in result.biases]
        self.initial_weights_ = [one(W) for W in result.initial_weights]
        self.initial_biases_ = None if result.initial_biases is None else [one(b) for b in result.initial_biases]

    def _check_X_predict(self, X):
        self._check_fitted()
        X = v.check_X(X, "X")
        if X.shape[1] != self.n_features_in_:
            cls = type(self).__name__
            raise ValueError(f"X has {X.shape[1]} features, but {cls} is expecting {self.n_features_in_} "
                             "features as input (the number it was fitted with)")
        return v.check_fits(X, "X", DTYPES[self.spec_.dtype])

    def _decision(self, X):
        """Raw outputs z: shape (n_samples,), or (n_samples, n_models) for several seeds."""
        X = self._check_X_predict(X)
        theta = self._theta()
        with np.errstate(over="ignore", invalid="ignore"):
            z = outputs(theta, X, self.spec_.sizes(X.shape[1]), self.spec_.bias,
                        v.check_choice(self.backend, "backend", BACKENDS), 1).astype(np.float64)
        return z[:, 0] if self._scalar else z

    @_ClassifierOnly
    def decision_function(self, X):
        """Raw outputs z: shape (n_samples,), or (n_samples, n_models) for several seeds.

        Classifiers only (a regressor's outputs are ``predict``).
        """
        return self._decision(X)

    def _theta(self):
        return np.ascontiguousarray(self.result_.flat_params().T, dtype=DTYPES[self.spec_.dtype])


class _Classifier(_SGDEstimator):
    def fit(self, X, y):
        """Train on X (n_samples, n_features) and two-class labels y; returns self."""
        X = v.check_X(X, "X")
        classes, y_enc = v.encode_labels(y, X.shape[0], "y")
        return self._fit(X, y_enc, classes_=classes, n_features_in_=X.shape[1])

    def predict(self, X):
        """Predicted labels, in the user's own label values (sign(0) gives the larger)."""
        z = self._decision(X)
        return self.classes_[(z >= 0).astype(np.intp)]

    def score(self, X, y):
        """Mean accuracy (per model with several seeds)."""
        pred = self.predict(X)
        y = v.check_y(y, pred.shape[0], "y")
        return (pred == (y[:, None] if pred.ndim == 2 else y)).mean(axis=0)


class _Regressor(_SGDEstimator):
    _task = "regression"

    def fit(self, X, y):
        """Train on X (n_samples, n_features) and real targets y; returns self."""
        X = v.check_X(X, "X")
        y = v.check_regression_target(y, X.shape[0], "y")
        return self._fit(X, y, n_features_in_=X.shape[1])

    def predict(self, X):
        """Predicted values z = w.x + b (per model with several seeds)."""
        return self._decision(X)

    def score(self, X, y):
        """Coefficient of determination R^2."""
        pred = self.predict(X)
        y = v.check_regression_target(y, pred.shape[0], "y")
        yy = y[:, None] if pred.ndim == 2 else y
        ss_res = ((yy - pred) ** 2).sum(axis=0)
        ss_tot = ((y - y.mean()) ** 2).sum()
        return 1.0 - ss_res / ss_tot if ss_tot > 0 else np.where(ss_res == 0, 1.0, 0.0)


class _LinearMixin:
    """coef_/intercept_ views of the single layer."""

    def _model_spec(self, n_features):
        bias = v.check_bool(self.fit_intercept, "fit_intercept")
        out = dict(hidden=(), bias=bias, init=self._init_spec(self.init, (1, n_features), "init"))
        if bias:
            out["bias_init"] = self._init_spec(self.bias_init, (1,), "bias_init")
        return out

    def _store(self, result, spec, scalar):
        super()._store(result, spec, scalar)
        self.coef_ = self.weights_[0][..., 0, :]
        self.initial_coef_ = self.initial_weights_[0][..., 0, :]
        if self.biases_ is None:
            self.intercept_ = 0.0 if scalar else np.zeros(self.n_models_)
            self.initial_intercept_ = self.intercept_
        else:
            self.intercept_ = float(self.biases_[0][0]) if scalar else self.biases_[0][:, 0].copy()
            b0 = self.initial_biases_[0]
            self.initial_intercept_ = float(b0[0]) if scalar else b0[:, 0].copy()


def _linear_init(self, lr, epochs, batch_size, init, bias_init, fit_intercept, shuffle, init_seed,
                 shuffle_seed, lr_schedule, power_t, tol, dtype, backend, n_threads, on_divergence):
    self.lr = lr
    self.epochs = epochs
    self.batch_size = batch_size
    self.init = init
    self.bias_init = bias_init
    self.fit_intercept = fit_intercept
    self.shuffle = shuffle
    self.init_seed = init_seed
    self.shuffle_seed = shuffle_seed
    self.lr_schedule = lr_schedule
    self.power_t = power_t
    self.tol = tol
    self.dtype = dtype
    self.backend = backend
    self.n_threads = n_threads
    self.on_divergence = on_divergence


class Perceptron(_LinearMixin, _Classifier):
    __doc__ = """Rosenblatt's perceptron: w += lr (y - yhat) x, yhat = +1 if w.x + b >= 0 else -1.

    ``history_["mistakes"]`` counts the updates made in each epoch (the loss
    recorded is the fraction of mistakes); ``converged_`` means the last
    epoch made none.

    Parameters
    ----------""" + _COMMON_DOC.format(lr=1.0) + """    fit_intercept : bool, default=True
    """
    _model = "perceptron"

    def __init__(self, lr=1.0, epochs=20, batch_size=1, init="zeros", bias_init="zeros",
                 fit_intercept=True, shuffle=False, init_seed=0, shuffle_seed=0,
                 lr_schedule="constant", power_t=0.5, tol=1e-4, dtype="float64", backend="cython",
                 n_threads=None, on_divergence="raise"):
        _linear_init(**{k: val for k, val in locals().items() if k != "__class__"})


class LinearRegression(_LinearMixin, _Regressor):
    __doc__ = """Linear regression as one neuron trained by SGD on 0.5 (w.x + b - y)^2.

    Parameters
    ----------""" + _COMMON_DOC.format(lr=0.01) + """    fit_intercept : bool, default=True
    """
    _model = "linear"

    def __init__(self, lr=0.01, epochs=20, batch_size=1, init="zeros", bias_init="zeros",
                 fit_intercept=True, shuffle=False, init_seed=0, shuffle_seed=0,
                 lr_schedule="constant", power_t=0.5, tol=1e-4, dtype="float64", backend="cython",
                 n_threads=None, on_divergence="raise"):
        _linear_init(**{k: val for k, val in locals().items() if k != "__class__"})


class LogisticRegression(_LinearMixin, _Classifier):
    __doc__ = """Logistic regression as one neuron trained by SGD on log(1 + exp(-y z)).

    Parameters
    ----------""" + _COMMON_DOC.format(lr=0.05) + """    fit_intercept : bool, default=True
    """
    _model = "logistic"

    def __init__(self, lr=0.05, epochs=20, batch_size=1, init="zeros", bias_init="zeros",
                 fit_intercept=True, shuffle=False, init_seed=0, shuffle_seed=0,
                 lr_schedule="constant", power_t=0.5, tol=1e-4, dtype="float64", backend="cython",
                 n_threads=None, on_divergence="raise"):
        _linear_init(**{k: val for k, val in locals().items() if k != "__class__"})

    def predict_proba(self, X):
        """Probabilities of the two classes, columns in the order of ``classes_``."""
        z = self._decision(X)
        p = 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid without overflow
        return np.stack([1.0 - p, p], axis=-1)


class MLP(_SGDEstimator):
    __doc__ = """A ReLU multi-layer perceptron with one linear output unit, trained by backprop.

    ``hidden=(10,)`` is the 10-10-1 network of the seed discussion when X has
    10 features. Classification labels are sign(z) with sign(0) = +1.

    Parameters
    ----------
    hidden : tuple of int, default=(10,)
        Widths of the hidden layers.
    loss : {"logistic", "squared", "hinge"}, default="logistic"
    bias : bool, default=True
    task : {"classification", "regression"}, default="classification"
        Regression needs ``loss="squared"``; predict then returns z.""" + _COMMON_DOC.format(lr=0.05)

    _model = "mlp"

    def __init__(self, hidden=(10,), loss="logistic", lr=0.05, epochs=20, batch_size=1,
                 init="he_normal", bias_init="zeros", bias=True, shuffle=False, init_seed=0,
                 shuffle_seed=0, lr_schedule="constant", power_t=0.5, tol=1e-4, dtype="float64",
                 backend="cython", task="classification", n_threads=None, on_divergence="raise"):
        self.hidden = hidden
        self.loss = loss
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.init = init
        self.bias_init = bias_init
        self.bias = bias
        self.shuffle = shuffle
        self.init_seed = init_seed
        self.shuffle_seed = shuffle_seed
        self.lr_schedule = lr_schedule
        self.power_t = power_t
        self.tol = tol
        self.dtype = dtype
        self.backend = backend
        self.task = task
        self.n_threads = n_threads
        self.on_divergence = on_divergence

    def _is_classifier(self):
        return self.task == "classification"

    @property
    def _task(self):
        return v.check_choice(self.task, "task", ("classification", "regression"))

    def _model_spec(self, n_features):
        hidden = v.check_hidden(self.hidden)
        loss = v.check_choice(self.loss, "loss", LOSSES)
        if self._task == "regression" and loss != "squared":
            raise ValueError(f"task='regression' needs loss='squared', got loss={loss!r}")
        bias = v.check_bool(self.bias, "bias")
        sizes = (n_features,) + hidden + (1,)
        shapes = [(sizes[l + 1], sizes[l]) for l in range(len(sizes) - 1)]
        out = dict(hidden=hidden, loss=loss, bias=bias,
                   init=self._layer_inits(self.init, shapes, "init"))
        if bias:
            out["bias_init"] = self._layer_inits(self.bias_init, [s[:1] for s in shapes], "bias_init")
        return out

    def _layer_inits(self, value, shapes, name):
        if isinstance(value, (list, tuple)) and not _is_number_list(value):
            if len(value) != len(shapes):
                raise ValueError(f"{name} has {len(value)} entries but the network has {len(shapes)} layers")
            return tuple(self._init_spec(e, s, f"{name}[{l}]") for l, (e, s) in enumerate(zip(value, shapes)))
        if isinstance(value, np.ndarray):
            if len(shapes) != 1:
                raise ValueError(f"{name}: an array warm-starts a single layer; give a list with one "
                                 f"array per layer ({len(shapes)} layers)")
            return (self._init_spec(value, shapes[0], name),)
        return tuple(self._init_spec(value, s, name) for s in shapes)

    def fit(self, X, y):
        """Train on X (n_samples, n_features) and y (two labels, or reals for regression)."""
        return (_Regressor.fit if self._task == "regression" else _Classifier.fit)(self, X, y)

    def predict(self, X):
        """Labels (classification) or outputs z (regression)."""
        return (_Regressor.predict if self._task == "regression" else _Classifier.predict)(self, X)

    def score(self, X, y):
        """Accuracy (classification) or R^2 (regression)."""
        return (_Regressor.score if self._task == "regression" else _Classifier.score)(self, X, y)
