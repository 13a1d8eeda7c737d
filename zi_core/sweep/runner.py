"""Run a sweep: find the missing runs, train them in chunks, write the store.

The runs of one *group* (same model spec, init scale, dataset, data seed and
shuffle seed; only ``init_seed`` differs) are trained together by
``engine.train_many``, in chunks of a few hundred to a few thousand seeds, so
memory stays flat however many runs the sweep has. A model's result depends
only on its own spec, never on the chunk it was trained in, the number of
threads or the order of execution, so an interrupted sweep resumed later ends
with exactly the store an uninterrupted one would have.

Chunks run either on local threads (the compiled core releases the GIL) or on
a Dask distributed cluster; in both cases the calling thread writes each
chunk's results to the store, in one transaction, as soon as it arrives.
"""
from __future__ import annotations

import collections
import dataclasses
import json
import math
import os
import threading
import time
import uuid
import warnings
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import numpy as np

from . import config as _config
from .progress import Progress
from .store import Store, npy_header, pack_history, to_json

BACKENDS = ("threads", "dask")
MAX_CHUNK = 4096
MIN_CHUNK = 8
# Memory a chunk may use for parameters, copies and history (per chunk in flight).
CHUNK_BYTES = 48 * 2 ** 20


# --------------------------------------------------------------------------
# Tasks and their execution (also on Dask workers: keep it picklable)
# --------------------------------------------------------------------------

@dataclasses.dataclass
class Task:
    """A chunk of runs of one group, as sent to a worker."""

    spec: dict           # the group's canonical spec (no init_seed)
    seeds: list          # init seeds
    keys: list           # their run keys (same order)
    engine: str
    n_threads: int = 1
    token: str = ""

    def __len__(self):
        return len(self.seeds)


_DATA_LOCK = threading.Lock()
_DATA = collections.OrderedDict()
_DATA_MAX = 8


def dataset_for(spec):
    """(X, y) of a group's dataset and data seed, cached per process."""
    key = to_json([spec["dataset"], spec["data_seed"]])
    with _DATA_LOCK:
        hit = _DATA.get(key)
        if hit is not None:
            _DATA.move_to_end(key)
            return hit
    X, y = _config.make_dataset(spec["dataset"]["name"], spec["dataset"]["params"], spec["data_seed"])
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    X.setflags(write=False)
    y.setflags(write=False)
    with _DATA_LOCK:
        _DATA[key] = (X, y)
        while len(_DATA) > _DATA_MAX:
            _DATA.popitem(last=False)
    return X, y


def _error_text(exc):
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) < 4000 else text[:4000] + "..."


def distinct_rows(W, b=None):
    """Distinct rows of each model's [W | b]: W (B, h, in), b (B, h) -> (B,) ints.

    Rows count as one only when bit-for-bit equal in value (``==``; -0.0 == 0.0,
    NaN never equal), the ``atol=0`` case of ``distinct_hidden_units``.
    """
    M = W if b is None else np.concatenate([W, b[:, :, None]], axis=2)
    B, h, p = M.shape
    out = np.empty(B, dtype=np.int64)
    step = max(1, (16 * 2 ** 20) // max(1, h * h * p))
    lower = np.tril(np.ones((h, h), dtype=bool), k=-1)
    for lo in range(0, B, step):
        blk = M[lo:lo + step]
        eq = (blk[:, :, None, :] == blk[:, None, :, :]).all(axis=3) & lower
        out[lo:lo + step] = h - eq.any(axis=2).sum(axis=1)
    return out


def _pack(res, keys, seeds):
    """A BatchResult as flat arrays (what travels back from a worker)."""
    theta = res.flat_params()
    hidden = len(res.weights) - 1
    distinct = None
    if hidden > 0:
        distinct = np.stack([
            distinct_rows(np.asarray(res.weights[l]),
                          None if res.biases is None else np.asarray(res.biases[l]))
            for l in range(hidden)], axis=1)
    return {
        "keys": list(keys), "seeds": list(seeds), "theta": theta,
        "diverged_epoch": np.asarray(res.diverged_epoch, dtype=np.int64),
        "final_loss": np.asarray(res.final_loss, dtype=np.float64),
        "final_accuracy": np.asarray(res.final_accuracy, dtype=np.float64),
        "converged": np.asarray(res.converged, dtype=bool),
        "history": {k: np.asarray(v, dtype=np.float64) for k, v in res.history.items()},
        "distinct": distinct,
        "wall_time": float(res.wall_time),
    }


def execute(task: Task) -> dict:
    """Train one chunk. A run that raises becomes an error part; never raises itself
    for a failure of training (only for bugs in this function)."""
    from .. import engine
    t0 = time.perf_counter()
    parts = []
    try:
        X, y = dataset_for(task.spec)
        mspec = _config.build_model_spec(task.spec["model"], task.spec["init_scale"])
    except Exception as exc:  # the whole group fails the same way
        parts.append({"keys": list(task.keys), "seeds": list(task.seeds), "error": _error_text(exc)})
        return {"parts": parts, "compute_time": time.perf_counter() - t0, "versions": _versions()}

    def train(seeds):
        with np.errstate(all="ignore"):  # divergence is recorded, not warned about
            return engine.train_many(mspec, X, y, init_seeds=seeds,
                                     shuffle_seed=task.spec["shuffle_seed"], backend=task.engine,
                                     n_threads=task.n_threads, on_divergence="record")
    try:
        parts.append(_pack(train(list(task.seeds)), task.keys, task.seeds))
    except Exception as exc:
        if len(task.seeds) == 1:
            parts.append({"keys": list(task.keys), "seeds": list(task.seeds), "error": _error_text(exc)})
        else:
            # find the runs that raise: each model's result is independent of
            # its batch, so training the others alone gives the same result
            for key, seed in zip(task.keys, task.seeds):
                try:
                    parts.append(_pack(train([seed]), [key], [seed]))
                except Exception as exc1:
                    parts.append({"keys": [key], "seeds": [seed], "error": _error_text(exc1)})
    return {"parts": parts, "compute_time": time.perf_counter() - t0, "versions": _versions()}


def _versions():
    from .store import _versions as v
    return v()[:2]


# --------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------

def _finite_or_nan(a):
    """Non-finite values become NaN, which SQLite stores as NULL."""
    a = np.asarray(a, dtype=np.float64)
    return np.where(np.isfinite(a), a, np.nan)


def rows_for(group, result):
    """(run rows, history rows, status counts) of one chunk result, sorted by key.

    NaN is bound as SQL NULL; float mistake counts land as integers (the
    column's INTEGER affinity).
    """
    runs, hist = [], []
    counts = collections.Counter()
    for part in result["parts"]:
        keys, seeds = part["keys"], part["seeds"]
        if "error" in part:
            for key, seed in zip(keys, seeds):
                runs.append((key, group.spec_json(seed), "error", None, part["error"], None,
                             None, None, None, 0, None, None))
            counts["error"] += len(keys)
            continue
        B = len(keys)
        order = np.argsort(np.asarray(keys))
        keys = [keys[i] for i in order]
        seeds = [seeds[i] for i in order]
        theta = part["theta"][order]
        header = npy_header(theta.dtype, theta.shape[1])
        de = part["diverged_epoch"][order]
        diverged = de >= 0
        H = {k: v[order] for k, v in part["history"].items()}
        E = H["loss"].shape[1]
        n_ep = np.where(diverged, de, E)
        wall = part["wall_time"] / B
        dist = part["distinct"]
        if dist is None:
            dist_txt = [None] * B
        else:
            dist = dist[order].tolist()
            # Same text as to_json() for a list of ints, without json's per-call cost.
            dist_txt = [None if diverged[b] else "[" + ",".join(map(str, dist[b])) + "]" for b in range(B)]
        fl = _finite_or_nan(part["final_loss"][order]).tolist()
        fa = _finite_or_nan(part["final_accuracy"][order]).tolist()
        cv = part["converged"][order].tolist()
        dl = de.tolist()
        nl = n_ep.tolist()
        dv = diverged.tolist()
        spec_json = group.spec_json
        runs.extend(
            (keys[b], spec_json(seeds[b]), "diverged" if dv[b] else "ok",
             dl[b] if dv[b] else None, None, fl[b], fa[b], int(cv[b]),
             dist_txt[b], nl[b], wall, header + theta[b].tobytes())
            for b in range(B))
        n_div = int(diverged.sum())
        if n_div:
            counts["diverged"] += n_div
        if B - n_div:
            counts["ok"] += B - n_div
        cols = [H[k] for k in ("loss", "accuracy", "mistakes", "update_norm")]
        hist.extend((keys[b], nl[b], *(pack_history(c[b, :nl[b]]) for c in cols)) for b in range(B))
    if len(result["parts"]) > 1:
        runs.sort(key=lambda r: r[0])
        hist.sort(key=lambda r: r[0])
    return runs, hist, counts


# --------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------

@dataclasses.dataclass
class _Plan:
    groups: list            # [(Group, missing seeds np.ndarray)]
    n_runs: int
    n_done: int
    n_missing: int


def plan(cfg, store, retry_errors=False):
    """Which runs of ``cfg`` are missing from ``store`` (errors too if retry_errors)."""
    groups, n_runs, n_done = [], 0, 0
    for g in cfg.groups():
        seeds = g.init_seeds
        missing = []
        for lo in range(0, len(seeds), 4096):
            part = seeds[lo:lo + 4096]
            keys = [g.key(s) for s in part]
            have = store.existing(keys)
            if retry_errors and have:
                errs = store.existing([k for k in keys if k in have], statuses=("error",))
                if errs:
                    store.delete(sorted(errs))
                    have -= errs
            missing.extend(s for s, k in zip(part, keys) if k not in have)
            n_done += len(have)
        n_runs += len(seeds)
        if missing:
            groups.append((g, np.asarray(missing, dtype=np.int64)))
    return _Plan(groups, n_runs, n_done, n_runs - n_done)


def _n_params(spec, n_features):
    m = spec["model"]
    sizes = [n_features] + (list(m.get("hidden") or []) if m.get("model") == "mlp" else []) + [1]
    bias = bool(m.get("bias", True))
    return sum(sizes[i + 1] * (sizes[i] + bias) for i in range(len(sizes) - 1))


def chunk_cap(spec, data_shape):
    """The most models one train_many call may take for flat memory.

    train_many holds a few copies of the parameters (P per model), the history
    (E per model) and, for the final evaluation, outputs and losses on every
    sample (n per model).
    """
    n, d = data_shape
    P = _n_params(spec, d)
    E = int(spec["model"].get("epochs", 1))
    per_model = 8 * (6 * P + 5 * E + 3 * n) + 512
    return int(max(MIN_CHUNK, min(MAX_CHUNK, CHUNK_BYTES // per_model)))


def _chunks(the_plan, workers, chunk_size=None, shape_of=None):
    """Yield (group, seeds) chunks, splitting groups so that every worker has work."""
    n_groups = len(the_plan.groups)
    for g, missing in the_plan.groups:
        if chunk_size:
            cs = int(chunk_size)
        else:
            cs = chunk_cap(g.spec, shape_of(g) if shape_of else (1000, 10))
            if n_groups < workers:
                # few groups: split them so that all workers are busy
                share = math.ceil(len(missing) * n_groups / workers)
                cs = min(cs, max(MIN_CHUNK, -(-share // MIN_CHUNK) * MIN_CHUNK))
        for lo in range(0, len(missing), cs):
            yield g, missing[lo:lo + cs]


def make_tasks(the_plan, engine, workers, n_threads, chunk_size=None, shape_of=None):
    """Yield (Task, group) for every chunk of missing runs."""
    for g, chunk in _chunks(the_plan, workers, chunk_size, shape_of):
        seeds = [int(s) for s in chunk]
        yield Task(spec=g.spec, seeds=seeds, keys=[g.key(s) for s in seeds], engine=engine,
                   n_threads=n_threads, token=f"{g.group_key}-{seeds[0]}-{len(seeds)}"), g


def _count_tasks(the_plan, workers, chunk_size, shape_of):
    return sum(1 for _ in _chunks(the_plan, workers, chunk_size, shape_of))


# --------------------------------------------------------------------------
# The sweep
# --------------------------------------------------------------------------

@dataclasses.dataclass
class SweepResult:
    """What a sweep did. ``summary`` has one row per grid point."""

    store: str
    n_runs: int
    n_skipped: int
    n_computed: int
    n_failed: int
    counts: dict
    wall_time: float
    compute_time: float
    store_time: float
    backend: str
    engine: str
    jobs: int
    failures: list = dataclasses.field(default_factory=list)
    summary: list = dataclasses.field(default_factory=list)

    @property
    def runs_per_s(self):
        return self.n_computed / self.wall_time if self.wall_time > 0 else 0.0

    @property
    def store_share(self):
        return self.store_time / self.wall_time if self.wall_time > 0 else 0.0

    @property
    def complete(self):
        return self.n_failed == 0 and self.n_skipped + self.n_computed == self.n_runs

    def as_dict(self):
        d = dataclasses.asdict(self)
        d.update(runs_per_s=self.runs_per_s, store_share=self.store_share,
                 complete=self.complete)
        return d


def default_jobs():
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover
        return max(1, os.cpu_count() or 1)


def _check_engine_available(engine):
    if engine == "cython":
        try:
            from .._dispatch import core
            core()
        except ImportError as exc:
            raise ImportError(f"{exc}. Or run the sweep with engine='numpy' (the reference; "
                              "slower).") from None


def sweep(config, store="runs.db", *, jobs=None, backend=None, scheduler=None, client=None,
          engine=None, chunk_size=None, threads_per_chunk=None, progress=None, quiet=False,
          retry_errors=False, lock_timeout=30.0, summary=True):
    """Run every missing run of a sweep and store the results.

    Parameters
    ----------
    config : path to a TOML file, TOML text, dict or SweepConfig
        See ``zi_core.sweep.config`` and docs/sweeps.md.
    store : path of the SQLite store (created if missing; resumed if present).
    jobs : int, default all cores
        Cores to use locally (threads inside train_many and chunks in flight).
    backend : "threads" (default) or "dask"
        "dask" sends chunks to a dask.distributed cluster: ``scheduler``
        ("tcp://host:port"), ``client`` (a distributed.Client) or, with
        neither, a new local cluster of ``jobs`` worker processes.
    engine : "cython" (default) or "numpy"; overrides the config's run.engine.
    chunk_size : seeds per train_many call (default: sized for flat memory).
    threads_per_chunk : threads inside each train_many call (default: chosen
        from jobs and the number of chunks).
    progress : bool or None; None draws a bar only on a terminal. quiet=True: none.
    retry_errors : recompute runs stored with status "error".
    lock_timeout : seconds to wait for another writer before StoreLockedError.

    Returns
    -------
    SweepResult
    """
    t_start = time.perf_counter()
    cfg = config if isinstance(config, _config.SweepConfig) else _config.parse(config)
    run_opts = cfg.run
    engine = engine or run_opts.get("engine", "cython")
    if engine not in _config.ENGINES:
        raise ValueError(f"engine must be one of {_config.ENGINES}, not {engine!r}")
    if scheduler is not None or client is not None:
        backend = backend or "dask"
    backend = {"local": "threads", None: "threads"}.get(backend, backend)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be 'threads' or 'dask', not {backend!r}")
    if backend == "threads" and (scheduler is not None or client is not None):
        raise ValueError("scheduler/client are for backend='dask'")
    jobs = int(jobs or run_opts.get("jobs") or default_jobs())
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    chunk_size = chunk_size or run_opts.get("chunk_size")
    if chunk_size is not None and int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    threads_per_chunk = threads_per_chunk or run_opts.get("threads_per_chunk")
    if backend == "threads":
        _check_engine_available(engine)

    st = Store(store, mode="w", timeout=lock_timeout)
    try:
        st.check_engine(engine)
        st.record_manifest(cfg.config_hash, cfg.name, cfg.canonical(), cfg.n_runs, engine)
        the_plan = plan(cfg, st, retry_errors=retry_errors)

        def shape_of(group):
            return dataset_for(group.spec)[0].shape

        dask_client, own_client = None, None
        if backend == "dask":
            dask_client, own_client = _dask_client(scheduler, client, jobs)
            total_threads = sum(dask_client.nthreads().values()) or jobs
            workers, n_threads = max(1, total_threads), int(threads_per_chunk or 1)
        elif threads_per_chunk:
            n_threads = int(threads_per_chunk)
            workers = max(1, jobs // n_threads)
        else:
            n_chunks = _count_tasks(the_plan, jobs, chunk_size, shape_of) if the_plan.n_missing else 0
            workers = max(1, min(jobs, n_chunks))
            n_threads = max(1, jobs // workers)

        bar = Progress(the_plan.n_runs, the_plan.n_done,
                       enabled=False if quiet else progress)
        stats = {"store_time": 0.0, "compute_time": 0.0, "computed": 0,
                 "counts": collections.Counter(), "failed": 0, "failures": [], "versions": set()}

        def write(task_group, result):
            t0 = time.perf_counter()
            runs, hist, counts = rows_for(task_group, result)
            st.write(runs, hist)
            stats["store_time"] += time.perf_counter() - t0
            stats["compute_time"] += result["compute_time"]
            stats["computed"] += len(runs)
            stats["counts"].update(counts)
            stats["versions"].add(tuple(result.get("versions", ())))
            bar.update(len(runs))

        tasks = make_tasks(the_plan, engine, workers, n_threads, chunk_size, shape_of)
        try:
            if the_plan.n_missing:
                if backend == "threads":
                    _run_threads(tasks, workers, write)
                else:
                    _run_dask(tasks, dask_client, workers, write, stats, bar)
        finally:
            bar.close()
            if own_client is not None:
                _close_dask(own_client)
        if len(stats["versions"]) > 1:
            warnings.warn(f"chunks were computed with different zi-core/NumPy versions "
                          f"{sorted(stats['versions'])}: results may differ in the last bits",
                          RuntimeWarning, stacklevel=2)
        result = SweepResult(
            store=os.fspath(store), n_runs=the_plan.n_runs, n_skipped=the_plan.n_done,
            n_computed=stats["computed"], n_failed=stats["failed"],
            counts=dict(stats["counts"]), wall_time=time.perf_counter() - t_start,
            compute_time=stats["compute_time"], store_time=stats["store_time"],
            backend=backend, engine=engine, jobs=jobs, failures=stats["failures"])
        if summary:
            result.summary = summarize_config(cfg, st)
        return result
    finally:
        st.close()


def _run_threads(tasks, workers, write):
    """Run tasks on a thread pool; write results in this thread as they finish."""
    ex = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="zi-sweep")
    pending = {}
    it = iter(tasks)

    def fill():
        while len(pending) < 2 * workers:
            nxt = next(it, None)
            if nxt is None:
                return
            task, group = nxt
            pending[ex.submit(execute, task)] = group
    try:
        fill()
        while pending:
            done, _ = wait(list(pending), timeout=0.5, return_when=FIRST_COMPLETED)
            for f in done:
                group = pending.pop(f)
                write(group, f.result())
            fill()
    except KeyboardInterrupt:
        # keep what is already being computed, drop what has not started
        for f in list(pending):
            if f.cancel():
                pending.pop(f)
        try:
            for f, group in pending.items():
                write(group, f.result())
        except KeyboardInterrupt:
            pass
        raise
    finally:
        ex.shutdown(wait=False, cancel_futures=True)


def _dask_client(scheduler, client, jobs):
    """(client, what to close afterwards or None)."""
    try:
        import distributed
    except ImportError:
        raise ImportError("backend='dask' needs dask.distributed: pip install 'dask[distributed]'") from None
    if client is not None:
        return client, None
    if scheduler is not None:
        try:
            c = distributed.Client(scheduler, timeout="20s")
        except OSError as exc:
            raise OSError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        return c, (c,)
    cluster = distributed.LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True)
    c = distributed.Client(cluster)
    return c, (c, cluster)


def _close_dask(owned):
    for obj in owned:
        try:
            obj.close()
        except Exception:  # pragma: no cover
            pass


def _run_dask(tasks, client, in_flight, write, stats, bar):
    """Submit chunks to a Dask cluster (bounded in flight); write results as they arrive.

    A chunk whose worker dies is rescheduled by Dask on another worker; one that
    still fails (e.g. ``KilledWorker`` after repeated deaths) is counted in
    ``n_failed`` and left missing from the store, to be computed by the next
    run of the same sweep.
    """
    from distributed import as_completed
    it = iter(tasks)
    owner = {}
    run_id = uuid.uuid4().hex[:8]

    def submit():
        nxt = next(it, None)
        if nxt is None:
            return None
        task, group = nxt
        f = client.submit(execute, task, key=f"zi-chunk-{task.token}-{run_id}", pure=False,
                          retries=2)
        owner[f.key] = (task, group, f)
        return f

    first = [f for f in (submit() for _ in range(2 * max(1, in_flight))) if f is not None]
    ac = as_completed(first)
    try:
        for f in ac:
            task, group, _ = owner.pop(f.key)
            try:
                # a result lost with its worker is recomputed by Dask: result() waits
                res = f.result()
            except Exception as exc:
                stats["failed"] += len(task)
                stats["failures"].append(
                    f"{len(task)} runs (init seeds {task.seeds[0]}..{task.seeds[-1]}): "
                    f"{_error_text(exc)}")
            else:
                write(group, res)
            f.release()
            nxt = submit()
            if nxt is not None:
                ac.add(nxt)
    except BaseException:
        try:
            client.cancel([f for _, _, f in owner.values()])
        except Exception:  # pragma: no cover
            pass
        raise


# --------------------------------------------------------------------------
# The summary printed at the end of a sweep (no pandas needed)
# --------------------------------------------------------------------------

def _std(values):
    """Population std; exactly 0 when all values are equal (NumPy may give 1e-16)."""
    if len(values) < 2:
        return float("nan")
    v = np.asarray(values, dtype=float)
    return 0.0 if v.min() == v.max() else float(v.std())


def _label_value(name, v):
    if isinstance(v, list):
        if name == "hidden":
            return "-".join(str(h) for h in v) if v else "none"
        return json.dumps(v)
    return v


def summarize_config(cfg, st, max_rows=200):
    """One row per grid point (and data/shuffle seed when several) over the store."""
    agg = collections.OrderedDict()
    for g in cfg.groups():
        label = tuple((k, _label_value(k, v)) for k, v in g.label.items())
        a = agg.setdefault(label, {"n": 0, "ok": 0, "diverged": 0, "error": 0, "loss": [],
                                   "acc": [], "conv": [], "dist": [], "width": None})
        m = g.spec["model"]
        hidden = m.get("hidden") if m.get("model") == "mlp" else None
        a["width"] = hidden[0] if hidden else None
        keys = [g.key(s) for s in g.init_seeds]
        for lo in range(0, len(keys), 900):
            part = keys[lo:lo + 900]
            rows = st.query(
                f"SELECT status, final_loss, final_accuracy, converged, distinct_units FROM runs "
                f"WHERE key IN ({','.join('?' * len(part))})", part).fetchall()
            for status, fl, fa, cv, du in rows:
                a["n"] += 1
                a[status] += 1
                if status == "error":
                    continue
                a["conv"].append(bool(cv))
                if fl is not None:
                    a["loss"].append(fl)
                if fa is not None:
                    a["acc"].append(fa)
                if du is not None:
                    a["dist"].append(json.loads(du)[0])
    out = []
    for label, a in agg.items():
        row = dict(label) if label else {"runs": "all"}
        row.update(n=a["n"], ok=a["ok"], diverged=a["diverged"], error=a["error"])
        row["loss_mean"] = float(np.mean(a["loss"])) if a["loss"] else float("nan")
        row["loss_std"] = _std(a["loss"])
        if a["acc"]:
            row["acc_mean"] = float(np.mean(a["acc"]))
            row["frac_acc100"] = float(np.mean(np.asarray(a["acc"]) == 1.0))
        row["frac_converged"] = float(np.mean(a["conv"])) if a["conv"] else float("nan")
        if a["dist"]:
            row["distinct_mean"] = float(np.mean(a["dist"]))
            if a["width"]:
                row["frac_all_distinct"] = float(np.mean(np.asarray(a["dist"]) == a["width"]))
        out.append(row)
        if len(out) >= max_rows:
            break
    return out
