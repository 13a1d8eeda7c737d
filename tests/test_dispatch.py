"""The kernel variant picked at import: the best one that is built and that the CPU runs."""
import importlib
import os
import subprocess
import sys

import pytest

import zi_core
from zi_core import _dispatch

ZI_PATH = os.path.dirname(os.path.dirname(os.path.abspath(zi_core.__file__)))
AVX2 = {"avx2", "fma"}
AVX512 = AVX2 | {"avx512f", "avx512dq", "avx512vl", "avx512bw", "avx512cd"}


def test_avx512_needs_every_subset_it_is_compiled_for():
    assert _dispatch._supported("avx512", AVX512 | {"sse2"})
    for missing in sorted(AVX512):
        assert not _dispatch._supported("avx512", AVX512 - {missing}), missing
    # an AVX-512 CPU without AVX2 cannot exist, but the check does not assume it
    assert not _dispatch._supported("avx2", AVX512 - {"fma"})
    assert _dispatch._supported("baseline", set())


def test_cpuid_flags_agree_with_proc_cpuinfo():
    """The dispatch asks cpuid (through the baseline build); outside an emulator the
    kernel's /proc/cpuinfo says the same for the flags the dispatch needs."""
    flags = importlib.import_module("zi_core._core_baseline").cpu_flags()
    if flags is None:
        pytest.skip("this build cannot read cpuid (not x86 or not GCC/Clang)")
    try:
        with open("/proc/cpuinfo") as f:
            proc = next(set(line.split(":", 1)[1].split()) for line in f if line.startswith("flags"))
    except (OSError, StopIteration):
        pytest.skip("no /proc/cpuinfo flags here")
    assert flags == {f for f in AVX512 if f in proc}
    assert _dispatch._cpu_flags() == flags


def test_runnable_lists_built_variants_this_cpu_runs_best_first():
    mods = _dispatch.runnable()
    flags = _dispatch._cpu_flags()
    assert "baseline" in mods  # every build has it
    assert list(mods) == [v for v in _dispatch._ORDER if v in mods]
    for name, mod in mods.items():
        assert mod.VARIANT == name and _dispatch._supported(name, flags)
    # the variant in use is the first of them in this CPU's preference, unless forced
    if not os.environ.get("ZI_CORE_VARIANT"):
        assert _dispatch.variant() == next(v for v in _dispatch.preferred_order() if v in mods)


def test_avx2_comes_first_where_avx512_runs_at_half_width():
    zen4 = ("AuthenticAMD", 0x19, 0x11)
    assert _dispatch.preferred_order(zen4) == ["avx2", "avx512", "baseline"]
    for cpu in [("GenuineIntel", 6, 0xA7), ("AuthenticAMD", 0x1A, 0x02), ("AuthenticAMD", 0x17, 0x31)]:
        assert _dispatch.preferred_order(cpu) == _dispatch._ORDER, cpu
    assert sorted(_dispatch.preferred_order()) == sorted(_dispatch._ORDER)


def test_cpuid_model_agrees_with_proc_cpuinfo():
    cpu = importlib.import_module("zi_core._core_baseline").cpu_model()
    if cpu is None:
        pytest.skip("this build cannot read cpuid (not x86 or not GCC/Clang)")
    try:
        with open("/proc/cpuinfo") as f:
            fields = dict(line.split(":", 1) for line in f.read().split("\n\n")[0].splitlines()
                          if ":" in line)
    except OSError:
        pytest.skip("no /proc/cpuinfo here")
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    if not {"vendor_id", "cpu family", "model"} <= set(fields):
        pytest.skip("/proc/cpuinfo does not name the vendor, family and model here")
    assert cpu == (fields["vendor_id"], int(fields["cpu family"]), int(fields["model"]))
    assert _dispatch._cpu_model() == cpu


def _import_with(variant):
    env = dict(os.environ, ZI_CORE_VARIANT=variant,
               PYTHONPATH=ZI_PATH + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", "import zi_core; print(zi_core._dispatch.variant())"],
                          capture_output=True, text=True, env=env, cwd=ZI_PATH)


@pytest.mark.parametrize("variant", list(_dispatch.runnable()))
def test_zi_core_variant_forces_a_runnable_variant(variant):
    r = _import_with(variant)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[-1] == variant


def test_an_unknown_forced_variant_is_an_error_naming_the_choices():
    r = _import_with("avx1024")
    assert r.returncode != 0
    assert "ZI_CORE_VARIANT='avx1024' is not one of" in r.stderr and "avx512" in r.stderr
