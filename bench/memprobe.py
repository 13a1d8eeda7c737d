"""Peak memory and time of one batched run, in a fresh process.

    python bench/memprobe.py S_mlp_big --epochs 2 [--threads N] [--dtype float32] [--seeds N]

Prints one JSON object. The peak resident set is Linux's VmHWM
(/proc/self/status), reset (/proc/self/clear_refs) after the imports, the data
and a warm-up, so ``rss_peak`` is the peak during the measured call and
``rss_growth`` its excess over the resident set just before it. ``per_epoch_s`` is the time of the epochs after the
first (see ``common.timed_train``), ``setup_s`` the rest of the call (drawing
every seed's initial parameters, final evaluation). ``--seeds N`` keeps the
workload's first N seeds (quicker runs of S_mlp_big while iterating).
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
try:
    import zi_core  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402

import workloads  # noqa: E402
from common import proc_status as _status, timed_train, timed_train_detail  # noqa: E402


def reset_peak():
    """Reset VmHWM to the current RSS (Linux >= 4.0); False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def probe(name, epochs, threads=None, dtype="float64", n_seeds=None):
    spec, X, y, seeds = workloads.get(name, dtype=dtype, epochs=epochs)
    seeds = seeds[:n_seeds]
    # warm the kernel (import, first-touch of code pages) on a tiny batch
    timed_train(workloads.with_epochs(spec, 1), X, y, seeds[:1], n_threads=threads)
    # Not ru_maxrss: Linux keeps it across fork/exec, so a child inherits its
    # parent's peak. VmHWM belongs to this process image and can be reset.
    was_reset = reset_peak()
    before = _status("VmRSS")
    hwm_before = _status("VmHWM")
    res, per_epoch, total, detail = timed_train_detail(spec, X, y, seeds, n_threads=threads)
    peak = _status("VmHWM")
    B = len(seeds)
    P = sum(W[0].size for W in res.weights) + sum(b[0].size for b in res.biases)
    return {
        "workload": name, "models": B, "params_per_model": P, "dtype": dtype,
        "epochs": epochs, "threads": threads,
        "per_epoch_s": per_epoch, "total_s": total,
        "setup_s": max(0.0, total - per_epoch * epochs),
        "init_s": detail["before_s"], "final_eval_s": detail["after_s"],
        "peak_reset": was_reset, "rss_before_mib": before, "hwm_before_mib": hwm_before,
        "rss_peak_mib": peak, "rss_growth_mib": peak - before,
        "param_mib": P * B * np.dtype(dtype).itemsize / 2**20,
        "final_accuracy_mean": float(np.nanmean(res.final_accuracy)),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workload", choices=workloads.NAMES)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    ap.add_argument("--seeds", type=int, default=None, help="only the workload's first N seeds")
    a = ap.parse_args(argv)
    print(json.dumps(probe(a.workload, a.epochs, a.threads, a.dtype, a.seeds)))


if __name__ == "__main__":
    main()
