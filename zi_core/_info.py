"""What this installation runs: kernel variant and its arithmetic, OpenMP, threads, versions."""
import platform
import sys

import numpy as np

from . import _dispatch
from ._version import __version__


def _cpu_name(cpu):
    return "unknown" if cpu is None else f"{cpu[0]} family {cpu[1]:#x} model {cpu[2]:#x}"


def config():
    """A dict describing the compiled core this process uses."""
    mod = _dispatch.core()
    cpu = _dispatch._cpu_model()
    from .engine import default_threads
    return {
        "zi_core": __version__,
        "variant": _dispatch.variant(),
        "available_variants": list(_dispatch.runnable()),
        "preference": _dispatch.preferred_order(cpu),
        "cpu": _cpu_name(cpu),
        "fma": bool(mod.FMA),
        "arithmetic": mod.ARITHMETIC,
        "openmp": mod.openmp_enabled(),
        "threads": default_threads() if mod.openmp_enabled() else 1,
        "dtypes": ["float64", "float32"],
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "machine": platform.machine(),
    }


def show_config(file=None):
    """Print which kernel variant runs, whether OpenMP is on, and how many threads."""
    for key, value in config().items():
        print(f"{key:>20}: {value}", file=file or sys.stdout)
