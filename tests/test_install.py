"""A fresh venv builds and imports zi-core with `pip install .`; the wheel works elsewhere.

These build the package from a copy of the source tree with build isolation, as
a user would, so they need a C compiler and access to the package index.
"""
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ("import zi_core, numpy as np; from zi_core import MLP, datasets; "
         "X, y = datasets.teacher_mlp(n_samples=60, data_seed=0); "
         "m = MLP(epochs=3).fit(X, y); r = MLP(epochs=3, backend='numpy').fit(X, y); "
         "assert np.allclose(m.weights_[0], r.weights_[0], rtol=1e-10, atol=1e-12); "
         "assert zi_core.__file__.find(%r) < 0, zi_core.__file__; print('OK', zi_core._dispatch.variant())")

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None,
                                                    reason="no C compiler")]


def _venv(path):
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    return path / "bin" / "python"


def _run(cmd, cwd):
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory):
    """The tracked sources only (no build products), as a fresh clone would have."""
    dst = tmp_path_factory.mktemp("src") / "zi-core"
    ignore = shutil.ignore_patterns("*.so", "build", "dist", "*.egg-info", "__pycache__", ".git",
                                    "src_c/*.c", ".benchmarks", ".hypothesis", "venv*", ".venv*")
    shutil.copytree(ROOT, dst, ignore=ignore)
    for c in (dst / "src_c").glob("*.c"):
        c.unlink()
    return dst


def test_pip_install_then_wheel_in_another_venv(source_copy, tmp_path):
    py = _venv(tmp_path / "v1")
    _run([py, "-m", "pip", "install", "-q", str(source_copy)], cwd=tmp_path)
    out = _run([py, "-c", SMOKE % str(source_copy)], cwd=tmp_path)
    assert out.startswith("OK")
    _run([tmp_path / "v1" / "bin" / "zi", "train", "--epochs", "1", "--n-samples", "50"], cwd=tmp_path)
    # `python -m build` (sdist, then the wheel built from the sdist: proves the
    # sdist carries every source), installed in a second venv away from any tree
    wheels = tmp_path / "wheels"
    _run([py, "-m", "pip", "install", "-q", "build"], cwd=tmp_path)
    _run([py, "-m", "build", "--outdir", wheels, str(source_copy)], cwd=tmp_path)
    wheel = next(wheels.glob("zi_core-*.whl"))
    py2 = _venv(tmp_path / "v2")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _run([py2, "-m", "pip", "install", "-q", wheel], cwd=elsewhere)
    out = _run([py2, "-c", SMOKE % str(source_copy)], cwd=elsewhere)
    assert out.startswith("OK")
    info = _run([tmp_path / "v2" / "bin" / "zi", "info"], cwd=elsewhere)
    assert "openmp" in info
    assert sys.executable  # the test venvs are independent of this interpreter
    assert os.path.exists(wheel)
