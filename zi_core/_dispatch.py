"""Pick the compiled kernel variant this CPU can run (chosen once, at import).

The same Cython source is compiled at several instruction-set levels
(``setup.py``: AVX-512, AVX2+FMA, baseline x86-64). The avx512 and avx2 builds
sum a hidden unit's inputs with fused multiply-adds, and the avx512 build also
updates its weights with one; the baseline build has no FMA and rounds each term
twice. Each build's results (``ARITHMETIC``) differ from the others' in the last
bits (docs/choices.md). ``ZI_CORE_VARIANT=baseline`` forces one.

The best variant is the widest the CPU runs, except on CPUs whose AVX-512
executes each 512-bit operation as two 256-bit halves (AMD Zen 4): there the
avx2 build trains the batched workloads faster (S_mlp about 10%, bench/README.md),
so it comes first.
"""
import importlib
import os

_ORDER = ["avx512", "avx2", "baseline"]
# the AVX-512 subsets the avx512 variant is compiled for (setup.py), as /proc/cpuinfo names them
_AVX512 = {"avx512f", "avx512dq", "avx512vl", "avx512bw", "avx512cd"}
# (vendor, family) of CPUs with AVX-512 on 256-bit datapaths, where avx2 comes
# first: AMD family 0x19 (Zen 4; its Zen 3 members have no AVX-512). Zen 5
# (0x1a) has full-width AVX-512 and keeps the default order (not measured).
_HALF_WIDTH_AVX512 = {("AuthenticAMD", 0x19)}


def _ask_baseline(question):
    """``question()`` of the baseline build (it reads cpuid), or None where that build
    or the question is missing. OpenMP is quieted before the import loads libgomp."""
    _quiet_openmp()
    try:
        return getattr(importlib.import_module("zi_core._core_baseline"), question)()
    except (ImportError, AttributeError):
        return None


def _cpu_flags():
    """The CPU's instruction-set flags, as /proc/cpuinfo names them.

    Asked of the baseline build (cpuid and xgetbv, what the code will actually
    meet: under valgrind, which has no AVX-512, /proc/cpuinfo still shows the
    host's), else read from /proc/cpuinfo."""
    flags = _ask_baseline("cpu_flags")
    if flags is not None:
        return flags
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _supported(variant, flags):
    if variant == "avx512":
        return {"avx2", "fma"} | _AVX512 <= flags
    if variant == "avx2":
        return {"avx2", "fma"} <= flags
    return True


def _cpu_model():
    """(vendor, family, model) by cpuid (the baseline build), or None."""
    return _ask_baseline("cpu_model")


def preferred_order(cpu=None):
    """The variants from most to least preferred on ``cpu`` ((vendor, family, model),
    default this one): the widest first, except where AVX-512 runs at half width."""
    cpu = _cpu_model() if cpu is None else cpu
    if cpu is not None and tuple(cpu[:2]) in _HALF_WIDTH_AVX512:
        return ["avx2", "avx512", "baseline"]
    return list(_ORDER)


def runnable():
    """{name: module} of every variant that is built and that this CPU can run, widest
    first (the tests compare their bits)."""
    flags = _cpu_flags()
    out = {}
    for name in _ORDER:
        if not _supported(name, flags):
            continue
        try:
            out[name] = importlib.import_module(f"zi_core._core_{name}")
        except ImportError:
            pass
    return out


def _quiet_openmp():
    """Let idle OpenMP workers sleep instead of spinning (unless the user chose).

    libgomp's default keeps a worker spinning for a while after every parallel
    region; on a 2-core machine that steals the core the next single-threaded
    call (or NumPy between chunks) runs on: measured 40% slower. The setting is
    read once, when libgomp loads, so it must come before the kernel import.
    """
    if not any(k in os.environ for k in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")):
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"


def load():
    """Return (module, variant name) of the best importable kernel."""
    _quiet_openmp()
    forced = os.environ.get("ZI_CORE_VARIANT", "").strip()
    flags = _cpu_flags()
    candidates = [forced] if forced else preferred_order()
    errors = []
    for name in candidates:
        if name not in _ORDER:
            raise ImportError(f"ZI_CORE_VARIANT={forced!r} is not one of {_ORDER}")
        if not forced and not _supported(name, flags):
            continue
        try:
            return importlib.import_module(f"zi_core._core_{name}"), name
        except ImportError as exc:
            errors.append(f"{name}: {exc}")
    raise ImportError(
        "zi-core's compiled core is not built; install with `pip install .` or "
        "build in place with `python setup.py build_ext --inplace` "
        f"({'; '.join(errors) or 'no variant found'})")


_module = None
_variant = None


def core():
    """The compiled kernel module (imported on first use)."""
    global _module, _variant
    if _module is None:
        _module, _variant = load()
    return _module


def variant():
    core()
    return _variant
