"""Sweep runner: config validation, store, resume, independence, errors, readers."""
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import count_runs

import zi_core
from zi_core import engine
from zi_core.sweep import (ConfigError, StoreError, StoreLockedError, config as cfgmod,
                           results)
from zi_core.sweep.store import Store, decode_weights, snapshot

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(zi_core.__file__)))


def _engine():
    try:
        from zi_core._dispatch import core
        core()
        return "cython"
    except ImportError:
        return "numpy"


ENGINE = _engine()


def small_config(**over):
    cfg = {
        "name": "test",
        "model": {"model": "mlp", "hidden": [4], "lr": 0.05, "epochs": 3,
                  "init": "normal(0, 0.3)"},
        "grid": {"init_scale": [0.5, 1.0], "lr": [0.05, 0.2]},
        "seeds": {"init_seed": {"start": 0, "count": 12}},
        "dataset": {"name": "teacher_mlp", "n_samples": 60, "sizes": [5, 4, 1]},
        "run": {"engine": ENGINE},
    }
    for k, v in over.items():
        cfg[k] = v
    return cfg


def run(cfg, store, **kw):
    kw.setdefault("quiet", True)
    return zi_core.sweep.sweep(cfg, store=str(store), **kw)


# ------------------------------------------------------------------ config

@pytest.mark.parametrize("mutate, key", [
    (lambda c: c.update(bogus=1), "bogus"),
    (lambda c: c["model"].update(model="svm"), "model.model"),
    (lambda c: c["model"].update(lrate=0.1), "model.lrate"),
    (lambda c: c["model"].update(init="he_nromal"), "model.init"),
    (lambda c: c["model"].update(lr=-1.0), "model.lr"),
    (lambda c: c["model"].update(lr="fast"), "model.lr"),
    (lambda c: c["model"].update(epochs=0), "model.epochs"),
    (lambda c: c["model"].update(epochs=2.5), "model.epochs"),
    (lambda c: c["model"].update(hidden=[4, 0]), "model.hidden"),
    (lambda c: c["model"].update(loss="l1"), "model.loss"),
    (lambda c: c["model"].update(bias="yes"), "model.bias"),
    (lambda c: c["grid"].update(lr=[]), "grid.lr"),
    (lambda c: c["grid"].update(lr=0.1), "grid.lr"),
    (lambda c: c["grid"].update(lr=[0.1, -2.0]), "grid.lr[1]"),
    (lambda c: c["grid"].update(init=["he_normal", "nope"]), "grid.init[1]"),
    (lambda c: c["grid"].update(lr=[0.1, 0.1]), "grid.lr[1]"),
    (lambda c: c["grid"].update(colour=[1, 2]), "grid.colour"),
    (lambda c: c["grid"].update({"dataset.bogus": [1, 2]}), "grid.dataset.bogus"),
    (lambda c: c["grid"].update(init_seed=[1, 2]), "grid.init_seed"),
    (lambda c: c["seeds"].update(init_seed={"start": 5, "stop": 5}), "seeds.init_seed"),
    (lambda c: c["seeds"].update(init_seed=[1, -1]), "seeds.init_seed"),
    (lambda c: c["seeds"].update(init_seed=[1, 1]), "seeds.init_seed"),
    (lambda c: c["seeds"].update(data_seed="a:b"), "seeds.data_seed"),
    (lambda c: c["seeds"].update(seed=1), "seeds.seed"),
    (lambda c: c["dataset"].update(name="mnist"), "dataset.name"),
    (lambda c: c["dataset"].update(n_sample=10), "dataset.n_sample"),
    (lambda c: c["dataset"].update(n_samples=-5), "dataset"),
    (lambda c: c.pop("dataset"), "dataset"),
    (lambda c: c["run"].update(engine="gpu"), "run.engine"),
    (lambda c: c["run"].update(chunk_size=0), "run.chunk_size"),
])
def test_invalid_config_names_the_key(tmp_path, mutate, key):
    cfg = small_config()
    mutate(cfg)
    store = tmp_path / "runs.db"
    with pytest.raises(ConfigError) as info:
        run(cfg, store)
    assert str(info.value).startswith(key), str(info.value)
    assert not store.exists(), "nothing may be written for an invalid config"


def test_config_toml_and_errors(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("""
[model]
model = "mlp"
hidden = [4]
epochs = 2
[grid]
init = ["he_normal", "normal(0, 0.1)"]
[seeds]
init_seed = "0:3"
[dataset]
name = "teacher_mlp"
n_samples = 40
sizes = [5, 4, 1]
""")
    cfg = cfgmod.parse(path)
    assert cfg.n_runs == 6 and cfg.axes == ["init"]
    path.write_text("[model\nmodel = 'mlp'")
    with pytest.raises(ConfigError, match="invalid TOML"):
        cfgmod.parse(path)
    with pytest.raises(FileNotFoundError):
        cfgmod.parse(tmp_path / "missing.toml")


def test_run_keys_are_canonical():
    a = cfgmod.parse(small_config(grid={}, model={"model": "mlp", "hidden": [4], "lr": 1,
                                                  "init": "normal(0, 0.1)", "epochs": 3}))
    b = cfgmod.parse(small_config(grid={}, model={"model": "mlp", "hidden": [4], "lr": 1.0,
                                                  "init": "normal(mean=0,std=0.1)", "epochs": 3}))
    ga, gb = next(a.groups()), next(b.groups())
    assert ga.key(3) == gb.key(3)
    assert ga.key(3) != ga.key(4)
    spec = json.loads(ga.spec_json(3))
    assert spec["init_seed"] == 3 and spec["model"]["lr"] == 1.0
    assert spec["model"]["init"] == "normal(mean=0.0, std=0.1)"
    # every ModelSpec field and every dataset parameter is part of the key
    assert set(spec["model"]) >= {"model", "hidden", "loss", "lr", "epochs", "batch_size", "tol"}
    assert spec["dataset"]["params"]["n_samples"] == 60
    c = cfgmod.parse(small_config(grid={}, model={"model": "mlp", "hidden": [4], "lr": 1.0,
                                                  "init": "normal(0, 0.1)", "epochs": 3,
                                                  "tol": 1e-3}))
    assert next(c.groups()).key(3) != ga.key(3)


# ------------------------------------------------------------------ store contents

def test_sweep_stores_runs_that_match_train_many(tmp_path):
    store = tmp_path / "runs.db"
    res = run(small_config(), store, jobs=2)
    assert res.complete and res.n_computed == 48 and res.counts == {"ok": 48}
    assert len(res.summary) == 4 and res.summary[0]["n"] == 12
    with Store(store, "r") as st:
        assert st.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert st.count() == 48
        man = st.manifest()
        assert man[0]["numpy_version"] == np.__version__ and json.loads(man[0]["config"])["name"] == "test"
        row = st.query("SELECT spec, weights, final_loss, n_epochs FROM runs").fetchone()
        spec = json.loads(row[0])
        hist = st.query("SELECT sum(n_epochs) FROM history").fetchone()[0]
    assert hist == 48 * 3
    # the stored weights are exactly what train_many gives for that seed alone
    X, y = zi_core.datasets.get("teacher_mlp")(n_samples=60, sizes=(5, 4, 1), data_seed=0)
    mspec = cfgmod.build_model_spec(spec["model"], spec["init_scale"])
    one = engine.train_many(mspec, X, y, init_seeds=[spec["init_seed"]], backend=ENGINE, n_threads=1)
    theta = decode_weights(row[1])
    expect = np.concatenate([one.weights[0][0].ravel(), one.biases[0][0], one.weights[1][0].ravel(),
                             one.biases[1][0]])
    assert theta.tobytes() == expect.tobytes()
    assert row[2] == one.final_loss[0]
    key = cfgmod.run_key(cfgmod.canonical_json(spec))
    Ws, bs = results.weights(store, key)
    assert Ws[0].shape == (4, 5) and bs[1].shape == (1,)
    # the stored history is the engine's, value for value
    h = results.load_history(store, [key])
    assert list(h["epoch"]) == [1, 2, 3]
    for col in ("loss", "accuracy", "update_norm"):
        assert h[col].to_numpy().tobytes() == one.history[col][0].tobytes()
    assert list(h["mistakes"]) == [int(m) for m in one.history["mistakes"][0]]
    # again: nothing to do
    again = run(small_config(), store, jobs=2)
    assert again.n_computed == 0 and again.n_skipped == 48


def test_diverged_runs_are_recorded(tmp_path):
    cfg = small_config(grid={"lr": [1e4]}, seeds={"init_seed": [0, 1, 2]})
    cfg["model"]["epochs"] = 6
    res = run(cfg, tmp_path / "d.db")
    assert res.counts == {"diverged": 3}
    with Store(tmp_path / "d.db", "r") as st:
        rows = st.query("SELECT key, status, diverged_epoch, final_loss, n_epochs FROM runs").fetchall()
        for key, status, epoch, loss, n_epochs in rows:
            assert status == "diverged" and 1 <= epoch <= 6 and loss is None and n_epochs == epoch
            n, loss = st.query("SELECT n_epochs, loss FROM history WHERE key = ?", (key,)).fetchone()
            assert n == epoch and len(loss) == 8 * epoch


# ------------------------------------------------------------------ independence

def test_threads_chunks_and_order_do_not_change_results(tmp_path):
    cfg = small_config()
    run(cfg, tmp_path / "a.db", jobs=1, chunk_size=5)
    run(cfg, tmp_path / "b.db", jobs=2)
    run(cfg, tmp_path / "c.db", jobs=2, threads_per_chunk=2, chunk_size=64)
    # d: built in pieces, in another order (second half of the seeds first)
    late = small_config(seeds={"init_seed": {"start": 6, "count": 6}})
    early = small_config(seeds={"init_seed": [5, 3, 1, 0, 2, 4]})
    run(late, tmp_path / "d.db", jobs=2, chunk_size=1)
    run(early, tmp_path / "d.db", jobs=1)
    ref = snapshot(tmp_path / "a.db")
    assert len(ref[0]) == 48
    for name in "bcd":
        assert snapshot(tmp_path / f"{name}.db") == ref, name


# ------------------------------------------------------------------ errors

def test_a_run_that_raises_is_stored_as_error(tmp_path, monkeypatch):
    real = engine.train_many

    def flaky(spec, X, y, init_seeds, **kw):
        if 7 in list(init_seeds) and spec.lr == 0.2:
            raise ValueError("boom at seed 7")
        return real(spec, X, y, init_seeds, **kw)

    monkeypatch.setattr(engine, "train_many", flaky)
    store = tmp_path / "e.db"
    res = run(small_config(), store, jobs=2)
    assert res.counts == {"ok": 46, "error": 2}
    with Store(store, "r") as st:
        rows = st.query("SELECT spec, error, weights FROM runs WHERE status = 'error'").fetchall()
    assert len(rows) == 2
    for spec, error, w in rows:
        assert json.loads(spec)["init_seed"] == 7 and error == "ValueError: boom at seed 7"
        assert w is None
    # the other runs are unaffected by the failure of their chunk
    monkeypatch.setattr(engine, "train_many", real)
    run(small_config(), tmp_path / "clean.db", jobs=1)
    good = [r for r in snapshot(store)[0] if r[2] == "ok"]
    assert good == [r for r in snapshot(tmp_path / "clean.db")[0]
                    if json.loads(r[1])["init_seed"] != 7 or json.loads(r[1])["model"]["lr"] != 0.2]
    # errors are kept on resume, recomputed on request
    assert run(small_config(), store).n_computed == 0
    again = run(small_config(), store, retry_errors=True)
    assert again.n_computed == 2 and again.counts == {"ok": 2}
    assert snapshot(store) == snapshot(tmp_path / "clean.db")


# ------------------------------------------------------------------ bad stores

def test_locked_store_gives_a_clear_error(tmp_path):
    store = tmp_path / "l.db"
    run(small_config(seeds={"init_seed": [0]}), store)
    other = sqlite3.connect(store, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        t0 = time.perf_counter()
        with pytest.raises(StoreLockedError, match="locked"):
            run(small_config(), store, lock_timeout=0.3)
        assert time.perf_counter() - t0 < 10
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert run(small_config(), store).n_computed == 44


def test_corrupt_foreign_and_torn_stores_are_refused(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="not a SQLite database"):
        run(small_config(), junk)
    assert junk.read_bytes() == b"this is not a database" * 100
    foreign = tmp_path / "foreign.db"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="not a zi-core store"):
        run(small_config(), foreign)
    good = tmp_path / "good.db"
    run(small_config(), good)
    Store(good).close()  # checkpoints the WAL into the file
    data = good.read_bytes()
    torn = tmp_path / "torn.db"
    torn.write_bytes(data[:len(data) // 2])
    with pytest.raises(StoreError, match="corrupt|torn|truncated|malformed"):
        run(small_config(), torn)
    with pytest.raises(StoreError):
        results.load(torn) if _has("pandas") else Store(torn, "r", check=True)
    other_engine = "numpy" if ENGINE == "cython" else "cython"
    with pytest.raises(StoreError, match="engine"):
        run(small_config(), good, engine=other_engine)


@pytest.mark.skipif(ENGINE != "cython", reason="the compiled core is not built")
def test_resuming_with_the_other_arithmetic_warns(tmp_path, monkeypatch):
    """A store remembers the arithmetic of the compiled core that started it (where it
    fuses multiply-adds); a sweep resumed by a build of another arithmetic runs, with a
    warning."""
    import warnings
    from zi_core import _dispatch
    mods = _dispatch.runnable()
    store = tmp_path / "runs.db"
    run(small_config(), store)
    st = Store(store)
    assert st.meta["arithmetic"] == _dispatch.core().ARITHMETIC
    assert st.meta["arithmetic"] in ("fma, hidden updates fused", "fma", "separate multiply and add")
    st.close()
    more = small_config(seeds={"init_seed": {"start": 0, "count": 14}})
    same = [m for m in mods.values() if m.ARITHMETIC == _dispatch.core().ARITHMETIC]
    other = [m for m in mods.values() if m.ARITHMETIC != _dispatch.core().ARITHMETIC]
    monkeypatch.setattr(_dispatch, "_module", same[-1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(more, store)
    if not other:
        pytest.skip("no variant of the other arithmetic runs here")
    monkeypatch.setattr(_dispatch, "_module", other[0])
    more = small_config(seeds={"init_seed": {"start": 0, "count": 16}})
    with pytest.warns(RuntimeWarning, match="arithmetic"):
        r = run(more, store)
    assert count_runs(store) == 4 * 16 and r is not None


@pytest.mark.skipif(ENGINE != "cython", reason="the compiled core is not built")
def test_a_store_from_before_the_arithmetic_was_recorded(tmp_path):
    """zi-core 0.2 recorded no arithmetic, and fused no multiply-add: resuming its
    store records 'separate multiply and add', and warns if this build fuses."""
    import sqlite3
    import warnings
    from zi_core import _dispatch
    store = tmp_path / "runs.db"
    run(small_config(), store)
    with sqlite3.connect(store) as c:  # what a 0.2 store holds
        c.execute("DELETE FROM meta WHERE name = 'arithmetic'")
    more = small_config(seeds={"init_seed": {"start": 0, "count": 14}})
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        run(more, store)
    fused = _dispatch.core().FMA
    assert any("arithmetic" in str(w.message) for w in seen) == fused, [str(w.message) for w in seen]
    st = Store(store)
    assert st.meta["arithmetic"] == "separate multiply and add"
    st.close()


def _has(mod):
    try:
        __import__(mod)
        return True
    except ImportError:
        return False


# ------------------------------------------------------------------ kill and resume

_CHILD = r"""
import sys
from zi_core.sweep import sweep
sweep(sys.argv[1], store=sys.argv[2], jobs=2, chunk_size=2, quiet=True)
"""


def _kill_config(tmp_path):
    # 200 runs: on a fast core 60 of them ended before the kill's random delay did
    cfg = small_config(grid={"lr": [0.05, 0.2]}, seeds={"init_seed": {"start": 0, "count": 100}})
    cfg["run"] = {"engine": "numpy"}  # the reference is slow enough to be killed midway
    path = tmp_path / "kill.json"
    path.write_text(json.dumps(cfg))
    return cfg, path


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_resume_after_kill_equals_uninterrupted_run(tmp_path, sig):
    cfg, path = _kill_config(tmp_path)
    toml_free = json.loads(path.read_text())
    ref = tmp_path / "ref.db"
    run(toml_free, ref, jobs=2)
    total = 2 * cfg["seeds"]["init_seed"]["count"]
    store = tmp_path / "killed.db"
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    code = _CHILD.replace("sweep(sys.argv[1]", "import json; sweep(json.load(open(sys.argv[1]))")
    if sig == signal.SIGTERM:
        code = ("import sys, json\nfrom zi_core.cli import main\n"
                "sys.exit(main(['sweep', sys.argv[1], '--store', sys.argv[2], '-j', '2', "
                "'--chunk-size', '2', '--quiet']))")
        tpath = tmp_path / "kill.toml"
        tpath.write_text(_to_toml(cfg))
        path = tpath
    rnd = random.Random(int.from_bytes(os.urandom(4), "little"))
    proc = subprocess.Popen([sys.executable, "-c", code, str(path), str(store)], env=env,
                            stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while count_runs(store) == 0 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(rnd.uniform(0.0, 0.3))
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    at_kill = count_runs(store)
    if sig == signal.SIGTERM and proc.returncode not in (0,):
        assert proc.returncode == 130, err.decode()
        assert b"interrupted" in err
    assert 0 < at_kill < total, "killed too late: make the child's sweep longer"
    res = run(toml_free, store, jobs=1, chunk_size=7)
    assert res.n_skipped == at_kill and res.n_computed == total - at_kill
    assert snapshot(store) == snapshot(ref)


def _to_toml(cfg):
    def val(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {val(x)}" for k, x in v.items()) + "}"
        return repr(v)
    lines = [f"name = {val(cfg['name'])}"]
    for table in ("model", "grid", "seeds", "dataset", "run"):
        lines.append(f"[{table}]")
        lines += [f'"{k}" = {val(v)}' for k, v in cfg[table].items()]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ CLI and readers

def test_cli_sweep_summarize_export_plot(tmp_path, capsys):
    pd = pytest.importorskip("pandas")
    from zi_core.cli import main
    cfg = small_config()
    tpath = tmp_path / "s.toml"
    tpath.write_text(_to_toml(cfg))
    store = str(tmp_path / "runs.db")
    assert main(["sweep", str(tpath), "--store", store, "-j", "2"]) == 0
    out = capsys.readouterr().out
    assert "48 computed" in out and "init_scale" in out
    assert main(["sweep", str(tpath), "--store", store, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["n_skipped"] == 48 and info["n_computed"] == 0
    assert main(["sweep", str(tpath), "--store", store, "--dry-run"]) == 0
    assert "0 not yet" in capsys.readouterr().out

    bad = tmp_path / "bad.toml"
    bad.write_text(_to_toml(cfg).replace('"lr" = [0.05, 0.2]', '"lr" = []'))
    assert main(["sweep", str(bad), "--store", str(tmp_path / "x.db")]) == 2
    assert "grid.lr: empty axis" in capsys.readouterr().err

    df = zi_core.sweep.load(store)
    assert len(df) == 48 and {"init_scale", "lr", "init_seed", "final_loss", "acc100",
                              "distinct_units", "status"} <= set(df.columns)
    assert df["distinct_units"].between(1, 4).all()

    assert main(["summarize", store, "--by", "init_scale,lr", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 4 and all(r["n"] == 12 for r in rows)
    g = df[(df.init_scale == 0.5) & (df.lr == 0.05)]
    r = next(r for r in rows if r["init_scale"] == 0.5 and r["lr"] == 0.05)
    assert r["final_loss_mean"] == pytest.approx(g.final_loss.mean())
    assert r["frac_acc100"] == pytest.approx(g.acc100.mean())
    assert main(["summarize", store, "--by", "init_scale"]) == 0
    assert "frac_converged" in capsys.readouterr().out
    assert main(["summarize", store, "--by", "colour"]) == 2
    assert "no column 'colour'" in capsys.readouterr().err

    csv = tmp_path / "out.csv"
    assert main(["export", store, str(csv)]) == 0
    assert len(pd.read_csv(csv)) == 48
    if _has("pyarrow"):
        pq = tmp_path / "out.parquet"
        assert main(["export", store, str(pq), "--weights"]) == 0
        back = pd.read_parquet(pq)
        assert len(back) == 48 and len(back["weights"][0]) == 4 * 5 + 4 + 4 + 1
        assert main(["export", store, str(tmp_path / "h.csv"), "--history"]) == 0
        assert len(pd.read_csv(tmp_path / "h.csv")) == 48 * 3
    capsys.readouterr()
    if _has("matplotlib"):
        fig = tmp_path / "fig.png"
        assert main(["plot", store, "--x", "lr", "--y", "final_loss", "--hue", "init_scale",
                     "-o", str(fig)]) == 0
        assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert main(["plot", store, "--x", "init", "--y", "acc100", "-o", str(tmp_path / "b.png")]) == 0
        assert main(["plot", store, "--x", "nope", "-o", str(tmp_path / "c.png")]) == 2
    assert main(["summarize", str(tmp_path / "missing.db")]) == 2


def test_progress_bar_draws_on_a_tty():
    from zi_core.sweep.progress import Progress

    class Tty:
        def __init__(self):
            self.text = ""

        def isatty(self):
            return True

        def write(self, s):
            self.text += s

        def flush(self):
            pass

    out = Tty()
    bar = Progress(100, done=10, file=out, min_interval=0)
    bar.update(40)
    bar.close()
    assert "50/100 runs" in out.text and "runs/s" in out.text and "ETA" in out.text
    quiet = Tty()
    quiet.isatty = lambda: False
    bar = Progress(10, file=quiet)
    bar.update(5)
    bar.close()
    assert quiet.text == ""


def test_per_layer_inits_are_checked_before_running(tmp_path):
    cfg = small_config(grid={})
    cfg["model"]["init"] = ["he_normal", "zeros", "zeros"]  # 3 entries for 2 layers
    with pytest.raises(ConfigError, match="model"):
        run(cfg, tmp_path / "x.db")
    cfg["model"]["init"] = ["he_normal", "zeros"]
    assert run(cfg, tmp_path / "x.db").counts == {"ok": 12}
    # list-valued axes (hidden sizes) in the end-of-sweep summary
    cfg = small_config(grid={"hidden": [[4], [3, 2]]}, seeds={"init_seed": [0, 1]})
    res = run(cfg, tmp_path / "h.db")
    assert [r["hidden"] for r in res.summary] == ["4", "3-2"] and res.counts == {"ok": 4}
    # a perceptron has no hidden layers, whatever ModelSpec's default says
    p = cfgmod.parse(small_config(grid={}, model={"model": "perceptron"},
                                  dataset={"name": "separable", "n_samples": 30}))
    assert json.loads(next(p.groups()).spec_json(0))["model"]["hidden"] == []
