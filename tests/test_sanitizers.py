"""Memory safety: the core tests under AddressSanitizer + UndefinedBehaviorSanitizer.

Skipped unless ``ZI_SANITIZE_RUN=1`` (CI's sanitizer step sets it). The module
builds a sanitized copy of the package into a temporary directory
(``ZI_SANITIZE=1 python setup.py build_ext --inplace``: -O1 -g, ASan + UBSan,
UB aborts), then runs the core tests and an edge-case smoke script against that
copy in a subprocess with ``LD_PRELOAD`` of libasan (Python itself is not
instrumented) and ``ASAN_OPTIONS=detect_leaks=0`` (CPython keeps objects alive
at exit on purpose). Any sanitizer report fails the test.

Every run also compiles a small ASan program on the kernel's scratch arena
(``zi_arena``) and checks that a write outside one of its buffers is reported.

``ZI_VALGRIND_RUN=1`` runs a smaller smoke script under valgrind's memcheck
against the normal build instead (about a minute), and fails if any error
report has a frame in zi-core's extension.

Also usable by hand (docs/robustness.md)::

    ZI_SANITIZE_RUN=1 python -m pytest -q tests/test_sanitizers.py
    python tests/test_sanitizers.py [TMPDIR]        # build only, print the env to use
    python tests/test_sanitizers.py --valgrind-smoke  # the smoke script valgrind runs
"""
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.environ.get("ZI_SANITIZE_RUN", "").strip() == "1"
RUN_VALGRIND = os.environ.get("ZI_VALGRIND_RUN", "").strip() == "1"

needs_sanitize_run = pytest.mark.skipif(
    not RUN, reason="sanitizer run: set ZI_SANITIZE_RUN=1 (builds an ASan/UBSan copy, about a minute)")

# Core tests run against the sanitized build: the kernel on random
# configurations, determinism across lanes and threads, symmetry, gradients,
# divergence, the exact arithmetic (evaluate, train_epochs, update_norms) and
# whole-epoch calls against epoch-by-epoch training.
CORE_TESTS = ["tests/test_core_vs_reference.py", "tests/test_determinism.py", "tests/test_symmetry.py",
              "tests/test_gradients.py", "tests/test_robustness_divergence.py",
              "tests/test_kernel_arithmetic.py", "tests/test_epoch_paths.py"]

REPORT_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer",
                  "SUMMARY: UndefinedBehaviorSanitizer", "SUMMARY: AddressSanitizer")

# Shapes that stress the edges of the kernel's loops: lane counts around the
# SIMD group width, one sample, one feature, width-1 layers, batches longer
# than the data, float32, threads, a forward pass over many row blocks, and
# read-only / memory-mapped inputs.
SMOKE = textwrap.dedent("""
    import os, sys, tempfile
    import numpy as np
    import zi_core
    from zi_core import MLP, LinearRegression, LogisticRegression, Perceptron, datasets, engine
    assert os.path.dirname(zi_core.__file__).startswith(sys.argv[1]), zi_core.__file__
    rng = np.random.default_rng(0)
    for B in (1, 2, 7, 8, 9, 15, 16, 17, 33):
        for hidden in ((), (1,), (3, 1), (9, 5)):
            for dtype in ("float64", "float32"):
                for batch in (1, 3, 50):
                    n, d = int(rng.integers(1, 12)), int(rng.integers(1, 6))
                    X = rng.normal(size=(n, d))
                    y = np.where(rng.normal(size=n) > 0, 1.0, -1.0)
                    spec = engine.ModelSpec(model="mlp" if hidden else "logistic", hidden=hidden,
                                            bias=bool(B % 2), epochs=2, batch_size=batch, dtype=dtype,
                                            init="normal(0, 0.5)", shuffle=True)
                    r = engine.train_many(spec, X, y, list(range(B)), n_threads=2)
                    assert np.isfinite(r.final_loss).all()
    X, y = datasets.separable(n_samples=3000, n_features=7, data_seed=0)
    ro = X.copy(); ro.setflags(write=False)
    path = os.path.join(tempfile.mkdtemp(), "X.dat")
    mm = np.memmap(path, dtype=np.float64, mode="w+", shape=X.shape); mm[:] = X; mm.flush(); del mm
    mm = np.memmap(path, dtype=np.float64, mode="r", shape=X.shape)
    for Xv in (ro, mm, np.asfortranarray(X)):
        m = MLP(hidden=(16, 4), epochs=2, init_seed=range(11), n_threads=2).fit(Xv, y)
        m.predict(Xv)
    Perceptron(epochs=3).fit(X, y)
    LinearRegression(epochs=3).fit(X[:1], y[:1])                             # one sample
    LinearRegression(epochs=2, batch_size=7).fit(X, X[:, 0])
    LogisticRegression(epochs=2, dtype="float32", init_seed=range(5)).fit(X, y).predict_proba(X)
    MLP(hidden=(300, 300), epochs=1).fit(X, y).predict(np.tile(X, (4, 1)))   # many forward blocks
    MLP(hidden=(4,), lr=1e300, epochs=3, on_divergence="record").fit(X, y)  # divergence path
    print("SMOKE OK")
""")


def _cc():
    import sysconfig
    return os.environ.get("CC") or (sysconfig.get_config_var("CC") or "cc").split()[0]


def libasan():
    """Path of the compiler's shared libasan, or None."""
    try:
        out = subprocess.run([_cc(), "-print-file-name=libasan.so"], capture_output=True, text=True,
                             timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return os.path.realpath(out) if out and os.path.isabs(out) and os.path.exists(out) else None


def build_sanitized(dest):
    """Copy the sources to ``dest`` and build the extension there with ZI_SANITIZE=1."""
    ignore = shutil.ignore_patterns("*.so", "*.c", "__pycache__", "*.pyc", "build", ".venv*")
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy2(os.path.join(ROOT, name), dest)
    for name in ("src_c", "zi_core", "tests"):
        shutil.copytree(os.path.join(ROOT, name), os.path.join(dest, name), ignore=ignore)
    env = dict(os.environ, ZI_SANITIZE="1")
    env.pop("ZI_NATIVE", None)
    env.pop("ZI_DEBUG", None)
    proc = subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace", "-j", "2"], cwd=dest,
                          env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"sanitized build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    built = [f for f in os.listdir(os.path.join(dest, "zi_core")) if f.endswith(".so")]
    if not built or any(b"__asan_" not in open(os.path.join(dest, "zi_core", f), "rb").read() for f in built):
        raise RuntimeError(f"the build in {dest} is not instrumented with ASan: {built}")
    return dest


def sanitizer_env(dest, asan):
    env = dict(os.environ)
    env.update(
        LD_PRELOAD=asan,
        ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=0:strict_init_order=1",
        UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1",
        ZI_CORE_VARIANT="baseline",  # the only variant a sanitized build has
        PYTHONPATH=dest,
        PYTHONDONTWRITEBYTECODE="1",
        OMP_NUM_THREADS="2",
    )
    env.pop("ZI_SANITIZE_RUN", None)  # the copied tests/test_sanitizers.py must not recurse
    return env


@pytest.fixture(scope="module")
def sanitized(tmp_path_factory):
    asan = libasan()
    if asan is None:
        pytest.skip("no shared libasan for this compiler (install gcc/clang with ASan); sanitizer run skipped")
    pytest.importorskip("Cython", reason="Cython is needed to build the sanitized copy")
    dest = str(tmp_path_factory.mktemp("zi_sanitized"))
    try:
        build_sanitized(dest)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        pytest.fail(str(exc))
    return dest, sanitizer_env(dest, asan)


def _check(proc):
    text = proc.stdout + proc.stderr
    reports = [m for m in REPORT_MARKERS if m in text]
    assert not reports and proc.returncode == 0, text[-6000:]


@needs_sanitize_run
def test_core_tests_pass_under_asan_and_ubsan(sanitized):
    dest, env = sanitized
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *CORE_TESTS],
                          cwd=dest, env=env, capture_output=True, text=True, timeout=900)
    _check(proc)
    assert " passed" in proc.stdout


@needs_sanitize_run
def test_edge_case_smoke_under_asan_and_ubsan(sanitized):
    dest, env = sanitized
    proc = subprocess.run([sys.executable, "-c", SMOKE, dest], cwd=dest, env=env, capture_output=True,
                          text=True, timeout=600)
    _check(proc)
    assert "SMOKE OK" in proc.stdout


# The kernel carves a call's scratch buffers out of one allocation
# (zi_arena); under ASan the bytes after each buffer are poisoned, so a
# write one past a buffer is reported as it was with separate allocations.
ARENA_PROBE = r"""
#include <Python.h>
#include "zi_kernel.h"
int main(int argc, char** argv) {
    const size_t sizes[3] = {sizeof(double) * 121, sizeof(double) * 11, sizeof(float) * 3};
    void* buf[3];
    void* arena = zi_arena(3, sizes, buf);
    volatile double* b = (double*)buf[1];
    if (argc < 2 || !arena)
        return 2;
    b[atoi(argv[1])] = 1.0;
    free(arena);
    return 0;
}
"""


@pytest.fixture(scope="module")
def arena_probe(tmp_path_factory):
    import sysconfig
    if libasan() is None:
        pytest.skip("no ASan for this compiler")
    d = tmp_path_factory.mktemp("arena")
    (d / "probe.c").write_text(ARENA_PROBE)
    proc = subprocess.run([_cc(), "-fsanitize=address", "-O1", "-g", "-w", "-I", os.path.join(ROOT, "src_c"),
                           "-I", sysconfig.get_paths()["include"], str(d / "probe.c"), "-o", str(d / "probe"),
                           "-lm"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return str(d / "probe")


# buffer 1 holds 11 doubles: 0 and 10 are its ends; 11-15 the rest of its
# last cache line, 16 the line after it, -1 the end of buffer 0's
@pytest.mark.parametrize("index, reported", [(0, False), (10, False), (11, True), (15, True), (16, True),
                                             (-1, True)])
def test_asan_reports_a_write_outside_a_buffer_of_the_arena(arena_probe, index, reported):
    proc = subprocess.run([arena_probe, str(index)], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
    assert ("ERROR: AddressSanitizer" in proc.stderr) == reported, proc.stderr[-2000:]
    assert (proc.returncode != 0) == reported


# valgrind is ~50x slower: the same kinds of shapes, fewer of them.
VALGRIND_SMOKE = textwrap.dedent("""
    import numpy as np
    import zi_core
    from zi_core import MLP, LinearRegression, LogisticRegression, Perceptron, datasets, engine
    from zi_core._dispatch import variant
    print("zi_core from", zi_core.__file__, "variant", variant())
    rng = np.random.default_rng(0)
    for B in (1, 7, 8, 9, 17):
        for hidden in ((), (1,), (3, 2)):
            for dtype in ("float64", "float32"):
                for batch in (1, 3, 50):
                    n, d = int(rng.integers(1, 10)), int(rng.integers(1, 5))
                    X = rng.normal(size=(n, d)); y = np.where(rng.normal(size=n) > 0, 1.0, -1.0)
                    spec = engine.ModelSpec(model="mlp" if hidden else "logistic", hidden=hidden,
                                            bias=bool(B % 2), epochs=2, batch_size=batch, dtype=dtype,
                                            init="normal(0, 0.5)", shuffle=True)
                    engine.train_many(spec, X, y, list(range(B)), n_threads=2)
    X, y = datasets.separable(n_samples=300, n_features=5, data_seed=0)
    ro = X.copy(); ro.setflags(write=False)
    MLP(hidden=(8, 4), epochs=2, init_seed=range(11), n_threads=2).fit(ro, y).predict(np.asfortranarray(X))
    Perceptron(epochs=2).fit(X, y); LinearRegression(epochs=2, batch_size=7).fit(X, X[:, 0])
    LogisticRegression(epochs=2, dtype="float32").fit(X, y).predict_proba(X)
    MLP(hidden=(4,), lr=1e300, epochs=3, on_divergence="record").fit(X, y)
    print("SMOKE OK")
""")


def valgrind_errors_in_core(log_text):
    """Error and definite-leak reports of a memcheck log whose stack has a frame in zi-core's extension."""
    import re
    hits = []
    for block in re.split(r"\n==\d+== \n", log_text):
        if "_core_" in block or "zi_core" in block:
            head = block.strip().splitlines()[0] if block.strip() else ""
            if any(k in head for k in ("Invalid", "uninitialised", "Conditional", "lost", "Mismatched",
                                       "overlap", "free", "Syscall")):
                hits.append(block)
    return hits


@pytest.mark.skipif(not RUN_VALGRIND, reason="valgrind run: set ZI_VALGRIND_RUN=1 (about a minute)")
def test_valgrind_memcheck_smoke_is_clean_in_zi_core(tmp_path):
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        pytest.skip("valgrind is not installed")
    import zi_core

    log = tmp_path / "memcheck.log"
    env = dict(os.environ, PYTHONMALLOC="malloc",
               PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(zi_core.__file__))))
    proc = subprocess.run([valgrind, "--tool=memcheck", "--leak-check=full", "--show-leak-kinds=definite",
                           "--errors-for-leak-kinds=definite", "--num-callers=40", f"--log-file={log}",
                           os.path.realpath(sys.executable), "-c", VALGRIND_SMOKE],
                          env=env, capture_output=True, text=True, timeout=1800)
    assert "SMOKE OK" in proc.stdout, proc.stdout + proc.stderr
    hits = valgrind_errors_in_core(log.read_text())
    assert not hits, "\n\n".join(hits[:5])


if __name__ == "__main__":  # build a sanitized copy by hand and print how to use it
    import tempfile

    if sys.argv[1:] == ["--valgrind-smoke"]:
        import importlib.util

        if importlib.util.find_spec("zi_core") is None:  # not installed: the tree, built in place
            sys.path.insert(0, ROOT)
        exec(compile(VALGRIND_SMOKE, "valgrind_smoke", "exec"))
        sys.exit(0)

    where = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="zi_sanitized_")
    os.makedirs(where, exist_ok=True)
    build_sanitized(where)
    lib = libasan()
    print(f"built a sanitized copy in {where}; run, for example:\n"
          f"  cd {where} && LD_PRELOAD={lib} ASAN_OPTIONS=detect_leaks=0 ZI_CORE_VARIANT=baseline "
          f"PYTHONPATH={where} python -m pytest -q {' '.join(CORE_TESTS)}")
