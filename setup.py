"""Build the compiled core of zi-core.

The extension modules are compiled from ``src_c/*.pyx``. OpenMP is used when a
probe compile with it succeeds. The default flags are portable (no
``-march=native``, no ``-ffast-math``); ``ZI_NATIVE=1`` opts in to
``-march=native`` for a local build, ``ZI_DEBUG=1`` turns Cython's bounds and
wraparound checks back on, ``ZI_SANITIZE=1`` builds with ASan and UBSan.
"""
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext as _build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


def _env_flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _compiler():
    return os.environ.get("CC") or sysconfig.get_config_var("CC").split()[0] or "cc"


def _probe_openmp():
    """Return the OpenMP compile/link flags if the C compiler accepts them."""
    if _env_flag("ZI_NO_OPENMP") or sys.platform == "win32":
        return []
    code = "#include <omp.h>\nint main(void){int n=0;\n#pragma omp parallel reduction(+:n)\nn+=1;\nreturn n>0?0:1;}\n"
    tmp = tempfile.mkdtemp()
    try:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write(code)
        cmd = [_compiler(), "-fopenmp", src, "-o", os.path.join(tmp, "probe")]
        ok = subprocess.run(cmd, capture_output=True).returncode == 0
        if ok:
            ok = subprocess.run([os.path.join(tmp, "probe")], capture_output=True).returncode == 0
    except OSError:
        ok = False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ["-fopenmp"] if ok else []


def _compiler_takes(flags):
    """True if the C compiler builds a file with these flags (an older one may lack
    AVX-512's); nothing is run, so the build machine's CPU does not matter."""
    tmp = tempfile.mkdtemp()
    try:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write("int main(void){return 0;}\n")
        cmd = [_compiler(), *flags, "-c", src, "-o", os.path.join(tmp, "probe.o")]
        return subprocess.run(cmd, capture_output=True).returncode == 0
    except OSError:
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


OPENMP = _probe_openmp()
DEBUG = _env_flag("ZI_DEBUG")
SANITIZE = _env_flag("ZI_SANITIZE")

# -ffp-contract=off: no FMA contraction, so every instruction-set variant and
# every lane width computes the same bits. -fno-trapping-math lets GCC
# vectorize the ReLU masks (it changes no result; we never read FP flags).
# -Wno-psabi: GCC notes that AVX vector arguments change the ABI of a call; the
# kernel only passes them between always-inline helpers, so it does not apply.
# -g0 overrides Python's -g: debug info for the large generated kernels costs
# ~15% of the compile and is no use in a wheel (ZI_DEBUG=1 keeps it).
CFLAGS = ["-O3", "-g0", "-ffp-contract=off", "-fno-trapping-math", "-fno-math-errno", "-Wno-psabi"]
LDFLAGS = []
if _env_flag("ZI_NATIVE"):
    CFLAGS.append("-march=native")
if SANITIZE:
    CFLAGS = ["-O1", "-g", "-fno-omit-frame-pointer", "-ffp-contract=off",
              "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-Wno-psabi"]
    LDFLAGS = ["-fsanitize=address,undefined"]
if DEBUG:
    CFLAGS = ["-O0", "-g", "-ffp-contract=off", "-Wno-psabi"]

DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": True,
    "nonecheck": False,
    "embedsignature": True,
}

# The same kernel source compiled once per instruction-set level; zi_core picks
# the best variant the CPU supports at import (zi_core/_dispatch.py).
# A variant the compiler cannot build is left out (zi_core picks among those built).
VARIANTS = {"baseline": []}
if sys.platform != "win32" and os.uname().machine in ("x86_64", "AMD64") and not SANITIZE:
    for _name, _isa in (("avx2", ["-mavx2", "-mfma"]),
                        # x86-64-v4's AVX-512 subsets: 64-byte vectors for the batched kernel
                        ("avx512", ["-mavx2", "-mfma", "-mavx512f", "-mavx512dq", "-mavx512vl",
                                    "-mavx512bw", "-mavx512cd"])):
        if _compiler_takes(_isa):
            VARIANTS[_name] = _isa


# The C kernel the .pyx files call (and include): a change rebuilds every variant.
HEADERS = ["_core_kernel.pxi", "zi_kernel.h", "zi_kern.h", "zi_single.h", "zi_simd.h", "zi_omp.h",
           "zi_cpu.h"]


def _extensions():
    exts = []
    for variant, isa in VARIANTS.items():
        exts.append(Extension(
            f"zi_core._core_{variant}",
            sources=[f"src_c/_core_{variant}.pyx"],
            include_dirs=[np.get_include(), "src_c"],
            depends=[f"src_c/{h}" for h in HEADERS],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")],
            extra_compile_args=CFLAGS + isa + OPENMP,
            extra_link_args=LDFLAGS + OPENMP,
        ))
    return exts


class build_ext(_build_ext):
    """Compile the instruction-set variants side by side, one per core, unless
    ``-j`` says otherwise: each is a minute of compiler time, and ``pip install``
    would otherwise build them one after the other."""

    def finalize_options(self):
        super().finalize_options()
        if not self.parallel:
            self.parallel = min(len(VARIANTS), os.cpu_count() or 1)


setup(
    cmdclass={"build_ext": build_ext},
    ext_modules=cythonize(
        _extensions(),
        compiler_directives=DIRECTIVES,
        compile_time_env={"ZI_OPENMP": bool(OPENMP)},
        include_path=["src_c"],
    ),
)
