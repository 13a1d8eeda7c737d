"""zi-core: settle weight-initialization questions by experiment.

SGD for the perceptron, linear and logistic regression and ReLU MLPs from any
initialization, with a compiled core (Cython, models in SIMD lanes) and a
pure-NumPy reference that checks it. See ``docs/`` and SPEC.md.
"""
from ._version import __version__
from .engine import DivergenceError, ModelSpec, train_many
from .estimators import MLP, LinearRegression, LogisticRegression, NotFittedError, Perceptron
from . import datasets, init  # noqa: E402
from . import sweep  # noqa: E402  (a callable module: zi_core.sweep(config, store=...))
from .sweep import load  # noqa: E402
from ._info import show_config

__all__ = [
    "MLP", "LinearRegression", "LogisticRegression", "Perceptron",
    "ModelSpec", "train_many", "DivergenceError", "NotFittedError",
    "datasets", "init", "sweep", "load", "show_config", "__version__",
]
