"""``zi sweep CONFIG --store runs.db``: run (or resume) a sweep."""
import os
import signal
import sys
import threading

from ._output import print_json, print_table

SUMMARY_ROWS = 40


def register(sub):
    p = sub.add_parser(
        "sweep", help="run or resume a sweep of runs over a grid and seeds into a SQLite store",
        description="Run every run of a sweep config (TOML) that the store does not hold yet: "
                    "interrupted sweeps resume where they stopped, with the same final store. "
                    "See docs/sweeps.md for the config format.")
    p.add_argument("config", help="sweep config (.toml)")
    p.add_argument("--store", default="runs.db", help="SQLite store (default: runs.db)")
    p.add_argument("--jobs", "-j", type=int, default=None,
                   help="cores to use (default: all); threads inside each training call "
                        "and/or several chunks at once")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="run the chunks on this Dask distributed cluster")
    p.add_argument("--engine", choices=("cython", "numpy"), default=None,
                   help="training backend (default: the config's run.engine, else cython)")
    p.add_argument("--chunk-size", type=int, default=None,
                   help="init seeds per training call (default: sized for flat memory)")
    p.add_argument("--threads-per-chunk", type=int, default=None,
                   help="threads inside each training call (default: chosen from --jobs)")
    p.add_argument("--retry-errors", action="store_true",
                   help="recompute runs stored with status 'error'")
    p.add_argument("--dry-run", action="store_true",
                   help="validate the config and count the runs (and those missing) only")
    p.add_argument("--lock-timeout", type=float, default=30.0,
                   help="seconds to wait for another writer of the store (default: 30)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar, no summary")
    p.add_argument("--json", action="store_true", help="machine-readable result")
    p.set_defaults(func=run)


class _Terminated(KeyboardInterrupt):
    pass


def _on_sigterm(signum, frame):
    raise _Terminated()


def run(args):
    from ..sweep import ConfigError, StoreError, config as cfgmod, runner
    from ..sweep.store import Store
    try:
        cfg = cfgmod.parse(args.config)
    except ConfigError as exc:
        print(f"zi sweep: invalid config {args.config}: {exc}", file=sys.stderr)
        return 2
    if args.dry_run:
        return _dry_run(cfg, args, Store, runner, StoreError)
    old = None
    if threading.current_thread() is threading.main_thread():
        old = signal.signal(signal.SIGTERM, _on_sigterm)  # finish like Ctrl-C
    try:
        res = runner.sweep(cfg, store=args.store, jobs=args.jobs, scheduler=args.scheduler,
                           engine=args.engine, chunk_size=args.chunk_size,
                           threads_per_chunk=args.threads_per_chunk,
                           quiet=args.quiet or args.json, retry_errors=args.retry_errors,
                           lock_timeout=args.lock_timeout)
    except StoreError as exc:
        print(f"zi sweep: error: {exc}", file=sys.stderr)
        return 2
    except (ImportError, OSError) as exc:
        print(f"zi sweep: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"zi sweep: interrupted; finished runs are in {args.store}: run the same "
              "command again to compute the rest", file=sys.stderr)
        return 130
    finally:
        if old is not None:
            signal.signal(signal.SIGTERM, old)
    if args.json:
        print_json(res.as_dict())
    elif not args.quiet:
        _report(res)
    if res.n_failed:
        print(f"zi sweep: {res.n_failed} runs could not be computed (cluster failures); run "
              "the same command again to compute them:", file=sys.stderr)
        for f in res.failures[:10]:
            print(f"  {f}", file=sys.stderr)
        return 1
    return 0


def _report(res):
    rows = res.summary
    if rows:
        cols = []
        for r in rows:
            for c in r:
                if c not in cols:
                    cols.append(c)
        print_table(rows[:SUMMARY_ROWS], cols)
        if len(rows) > SUMMARY_ROWS:
            print(f"... {len(rows) - SUMMARY_ROWS} more rows: zi summarize {res.store} --by ...")
    c = res.counts
    print(f"\n{res.n_runs} runs in the sweep: {res.n_skipped} already in {res.store}, "
          f"{res.n_computed} computed (ok {c.get('ok', 0)}, diverged {c.get('diverged', 0)}, "
          f"error {c.get('error', 0)}) in {res.wall_time:.2f} s "
          f"({res.runs_per_s:.1f} runs/s, store {100 * res.store_share:.1f}% of the time; "
          f"{res.backend}, engine {res.engine}, jobs {res.jobs})")


def _dry_run(cfg, args, Store, runner, StoreError):
    info = {"config": args.config, "grid_points": cfg.n_points, "groups": cfg.n_groups,
            "runs": cfg.n_runs, "axes": cfg.axes, "store": args.store, "missing": cfg.n_runs}
    if os.path.exists(args.store):
        try:
            with Store(args.store, mode="r", check=False) as st:
                p = runner.plan(cfg, st)
            info["missing"] = p.n_missing
        except StoreError as exc:
            print(f"zi sweep: error: {exc}", file=sys.stderr)
            return 2
    if args.json:
        print_json(info)
    else:
        print(f"config {args.config} is valid: {info['grid_points']} grid points "
              f"(axes: {', '.join(info['axes']) or 'none'}), {info['groups']} groups, "
              f"{info['runs']} runs; {info['missing']} not yet in {args.store}")
    return 0
