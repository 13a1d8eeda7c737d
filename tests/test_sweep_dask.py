"""Sweeps on a Dask distributed cluster: same store as a local run, survives a killed worker."""
import os
import signal
import threading
import time

import pytest

from conftest import count_runs

distributed = pytest.importorskip("distributed")

import zi_core  # noqa: E402
from zi_core.sweep.store import snapshot  # noqa: E402

from test_sweep import ROOT, _to_toml, run, small_config  # noqa: E402


@pytest.fixture(scope="module")
def client():
    # worker processes must import zi_core from this tree
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = ROOT + (os.pathsep + old if old else "")
    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, \
                distributed.Client(cluster) as c:
            c.wait_for_workers(2, timeout=60)
            yield c
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


def test_dask_scheduler_gives_the_local_store(tmp_path, client, capsys):
    from zi_core.cli import main
    cfg = small_config()
    local = tmp_path / "local.db"
    run(cfg, local, jobs=2)
    toml = tmp_path / "s.toml"
    toml.write_text(_to_toml(cfg))
    remote = tmp_path / "dask.db"
    assert main(["sweep", str(toml), "--store", str(remote), "--chunk-size", "5",
                 "--scheduler", client.scheduler.address, "--quiet"]) == 0
    assert snapshot(remote) == snapshot(local)
    # resume through Dask as well: nothing left to do
    res = zi_core.sweep.sweep(cfg, store=str(remote), client=client, quiet=True)
    assert res.backend == "dask" and res.n_computed == 0 and res.n_skipped == 48


def test_dask_worker_killed_mid_sweep_loses_nothing(tmp_path, client):
    cfg = small_config(grid={"lr": [0.05, 0.2]}, seeds={"init_seed": {"start": 0, "count": 30}})
    cfg["run"] = {"engine": "numpy"}  # slow enough to kill a worker midway
    ref = tmp_path / "ref.db"
    run(cfg, ref, jobs=2)
    store = tmp_path / "dask.db"
    out = {}

    def go():
        try:
            out["res"] = zi_core.sweep.sweep(cfg, store=str(store), client=client, chunk_size=2,
                                             quiet=True)
        except BaseException as exc:  # pragma: no cover - reported below
            out["exc"] = exc

    t = threading.Thread(target=go)
    t.start()
    deadline = time.time() + 60
    while count_runs(store) == 0 and t.is_alive() and time.time() < deadline:
        time.sleep(0.02)
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    os.kill(victim, signal.SIGKILL)
    at_kill = count_runs(store)
    t.join(120)
    assert not t.is_alive()
    assert "exc" not in out, out.get("exc")
    res = out["res"]
    assert at_kill < 60, "the sweep ended before the worker was killed"
    assert res.complete, res.failures
    assert snapshot(store) == snapshot(ref)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker
