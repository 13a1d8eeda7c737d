"""Ctrl-C stops a long fit within half a second; threads fitting at once match fitting in turn.

The engine calls the compiled kernel in chunks of a few milliseconds (without
the GIL), so a pending signal is handled between two chunks.
"""
import _thread
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from zi_core import MLP, LinearRegression, LogisticRegression, Perceptron, datasets, engine

import zi_core  # noqa: E402

# The child imports the same zi_core as this process (an installed copy or the tree).
ZI_PATH = os.path.dirname(os.path.dirname(os.path.abspath(zi_core.__file__)))
LATENCY = 0.5  # seconds from the signal to KeyboardInterrupt in the fitting code

LONG_FIT = textwrap.dedent("""
    import sys, time
    import numpy as np
    from zi_core import MLP
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20000, 100))
    y = np.where(X[:, 0] > 0, 1, -1)
    MLP(hidden=(8,), epochs=1).fit(X[:50], y[:50])      # warm up imports and the kernel
    print("READY", flush=True)
    try:
        MLP(hidden=(512, 512), epochs=10_000, lr=1e-4).fit(X, y)
    except KeyboardInterrupt:
        print("CAUGHT", time.time(), flush=True)
        m = MLP(hidden=(4,), epochs=2).fit(X[:100], y[:100])   # the process is still usable
        print("USABLE", m.weights_[0].shape, flush=True)
        if "reraise" in sys.argv:
            raise
""")


def _run_and_interrupt(tmp_path, *argv):
    script = tmp_path / "long_fit.py"
    script.write_text(LONG_FIT)
    env = dict(os.environ, PYTHONPATH=ZI_PATH + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.Popen([sys.executable, str(script), *argv], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env, cwd=str(tmp_path))
    try:
        assert p.stdout.readline().strip() == "READY"
        time.sleep(1.0)  # well inside the fit
        sent = time.time()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
        exited = time.time() - sent
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return p.returncode, out, err, sent, exited


def test_sigint_stops_a_long_fit_in_a_subprocess(tmp_path):
    rc, out, err, sent, exited = _run_and_interrupt(tmp_path, "reraise")
    lines = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    assert "CAUGHT" in lines, (out, err)
    latency = float(lines["CAUGHT"]) - sent
    assert latency < LATENCY, f"KeyboardInterrupt came {latency:.3f} s after SIGINT"
    assert "USABLE" in lines
    assert "Traceback" in err and "KeyboardInterrupt" in err
    assert rc in (-signal.SIGINT, 1, 130)
    assert exited < 5.0


def _long_fit_inputs():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20000, 64))
    return X, np.where(X[:, 0] > 0, 1, -1)


@pytest.mark.parametrize("how", ["interrupt_main", "pthread_kill"])
def test_interrupt_in_process_is_prompt_and_leaves_the_process_usable(how):
    X, y = _long_fit_inputs()
    sent = []

    def fire():
        sent.append(time.perf_counter())
        if how == "interrupt_main":
            _thread.interrupt_main()
        else:
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    timer = threading.Timer(0.3, fire)
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            MLP(hidden=(256, 256), epochs=10_000, lr=1e-4).fit(X, y)
        caught = time.perf_counter()
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, old)
    assert sent and caught - sent[0] < LATENCY
    # usable afterwards, with the same bits as ever
    Xs, ys = datasets.separable(n_samples=50, n_features=4, data_seed=0)
    a = MLP(hidden=(5,), epochs=3).fit(Xs, ys)
    b = MLP(hidden=(5,), epochs=3).fit(Xs, ys)
    np.testing.assert_array_equal(a.weights_[0], b.weights_[0])


def test_interrupt_while_predicting_a_big_batch_is_prompt():
    X, y = _long_fit_inputs()
    m = MLP(hidden=(512, 512), epochs=1).fit(X[:20], y[:20])
    big = np.tile(X, (10, 1))  # 200k rows x 512 x 512: seconds of work in one forward pass
    timer = threading.Timer(0.2, _thread.interrupt_main)
    t0 = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            for _ in range(20):
                m.predict(big)
    finally:
        timer.cancel()
    assert time.perf_counter() - t0 < 0.2 + LATENCY


def test_kernel_calls_are_a_few_milliseconds(monkeypatch):
    """The engine's kernel calls (chunks of an epoch, or whole epochs) stay short for a
    big model on big data, and for many seeds."""
    from zi_core._dispatch import core
    real, times = core(), []

    class Timed:
        def __getattr__(self, name):
            fn = getattr(real, name)
            if name not in ("train_chunk", "train_epochs"):
                return fn

            def timed(*args):
                t = time.perf_counter()
                out = fn(*args)
                times.append(time.perf_counter() - t)
                return out
            return timed

    monkeypatch.setattr(engine, "core", lambda: Timed())
    X, y = _long_fit_inputs()
    MLP(hidden=(256, 256), epochs=1, lr=1e-4).fit(X[:1500], y[:1500])
    n_big = len(times)
    MLP(hidden=(16,), epochs=3, init_seed=range(2048)).fit(X[:3000, :8], y[:3000])
    assert n_big > 5 and len(times) > n_big + 5, (n_big, len(times))
    assert np.median(times) < 0.05 and max(times) < 0.4, (np.median(times), max(times))


def test_threads_fitting_at_once_match_fitting_in_turn():
    Xc, yc = datasets.teacher_mlp(n_samples=600, sizes=(8, 16, 1), data_seed=0)
    Xr, yr = datasets.linear(n_samples=600, n_features=8, data_seed=0)
    jobs = [
        (lambda: MLP(hidden=(16, 8), epochs=15, shuffle=True, init_seed=1), Xc, yc),
        (lambda: MLP(hidden=(32,), epochs=15, init_seed=range(16), n_threads=2), Xc, yc),
        (lambda: Perceptron(epochs=15, shuffle=True), Xc, yc),
        (lambda: LogisticRegression(epochs=15, init="normal(0, 1)"), Xc, yc),
        (lambda: LinearRegression(epochs=15, init_seed=range(8), init="normal(0, 1)"), Xr, yr),
        (lambda: MLP(hidden=(16,), epochs=15, dtype="float32", init_seed=[3, 4]), Xc, yc),
    ]
    alone = [make().fit(X, y) for make, X, y in jobs]
    results = [None] * len(jobs)
    errors = []

    def work(i):
        try:
            make, X, y = jobs[i]
            results[i] = make().fit(X, y)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    for _ in range(2):
        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(jobs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors
        for a, b in zip(alone, results):
            for wa, wb in zip(a.weights_, b.weights_):
                np.testing.assert_array_equal(wa, wb)
            np.testing.assert_array_equal(a.history_["loss"], b.history_["loss"])
