"""Sweeps: thousands of runs over a grid of settings and seeds, resumable.

>>> import zi_core
>>> res = zi_core.sweep("examples/he_vs_glorot.toml", store="runs.db")   # doctest: +SKIP
>>> df = zi_core.load("runs.db")                                          # doctest: +SKIP

``zi_core.sweep`` is this module, and calling it runs :func:`sweep`; its parts
are ``config`` (parsing and validation), ``store`` (SQLite), ``runner``
(threads and Dask), ``progress`` and ``results`` (load, summarize, export,
plot). See docs/sweeps.md.
"""
import sys as _sys
import types as _types

from .config import ConfigError, SweepConfig, parse
from .results import export, load, load_history, plot, summarize, weights
from .runner import SweepResult, sweep
from .store import Store, StoreError, StoreLockedError

__all__ = ["sweep", "load", "load_history", "summarize", "export", "plot", "weights",
           "parse", "SweepConfig", "SweepResult", "ConfigError", "Store", "StoreError",
           "StoreLockedError"]


class _SweepModule(_types.ModuleType):
    """Lets ``zi_core.sweep(config, store=...)`` call :func:`sweep` while
    ``zi_core.sweep.load`` etc. stay reachable as module attributes."""

    def __call__(self, *args, **kwargs):
        return sweep(*args, **kwargs)


_sys.modules[__name__].__class__ = _SweepModule
