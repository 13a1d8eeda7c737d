"""``zi summarize``, ``zi export`` and ``zi plot``: read a sweep store."""
import sys

from ._output import print_json, print_table

_TABLE = ["n", "ok", "diverged", "error", "final_loss_mean", "final_loss_std",
          "final_accuracy_mean", "frac_converged", "frac_acc100", "distinct_units_mean",
          "frac_all_distinct", "frac_one_unit"]


def register(sub):
    p = sub.add_parser("summarize", help="per-group means, spreads and fractions of a sweep store",
                       description="Group the runs of a store and print, per group, the number of "
                                   "runs by status, mean and std of metrics, and the fractions "
                                   "converged, at 100%% accuracy and with all hidden units distinct.")
    p.add_argument("store")
    p.add_argument("--by", default="", help="comma-separated columns, e.g. init,lr (default: all runs)")
    p.add_argument("--metrics", default="final_loss,final_accuracy",
                   help="numeric columns to average (default: final_loss,final_accuracy)")
    p.add_argument("--status", default=None, help="only runs with these statuses, e.g. ok,diverged")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run_summarize)

    p = sub.add_parser("export", help="export a sweep store to Parquet or CSV",
                       description="Write one row per run (spec columns, status, metrics) to "
                                   ".parquet or .csv; --history writes the per-epoch history.")
    p.add_argument("store")
    p.add_argument("out", help="output file, .parquet or .csv")
    p.add_argument("--history", action="store_true", help="export the per-epoch history instead")
    p.add_argument("--weights", action="store_true", help="add the final weights (flat vectors)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run_export)

    p = sub.add_parser("plot", help="plot a metric of a sweep store against a setting",
                       description="Mean (+- std, and each run) of --y against --x, one line or "
                                   "bar per --hue value; written with matplotlib (Agg).")
    p.add_argument("store")
    p.add_argument("--x", required=True, help="column on the x axis, e.g. lr or init_scale")
    p.add_argument("--y", default="final_loss", help="metric, e.g. final_loss, acc100, distinct_units")
    p.add_argument("--hue", default=None, help="one line per value of this column, e.g. init")
    p.add_argument("-o", "--out", default="fig.png", help="output image (default: fig.png)")
    p.add_argument("--logx", action="store_true", default=None, help="log x axis (default: auto)")
    p.add_argument("--linx", dest="logx", action="store_false", help="linear x axis")
    p.add_argument("--logy", action="store_true", help="log y axis")
    p.add_argument("--title", default=None)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run_plot)


def _guard(name, fn):
    from ..sweep import StoreError
    try:
        return fn()
    except (StoreError, ImportError) as exc:
        print(f"zi {name}: error: {exc}", file=sys.stderr)
        return 2


def run_summarize(args):
    def body():
        from ..sweep import results
        df = results.load(args.store, status=_list(args.status))
        out = results.summarize(df, by=args.by, metrics=args.metrics)
        rows = out.to_dict(orient="records")
        if args.json:
            print_json(rows)
            return 0
        if not rows:
            print(f"{args.store}: no runs")
            return 0
        by = [c.strip() for c in args.by.split(",") if c.strip()]
        metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
        cols = by + [c for c in ["n", "ok", "diverged", "error"] +
                     [f"{m}_{s}" for m in metrics for s in ("mean", "std")] + _TABLE[7:]
                     if c in out.columns]
        print_table(rows, list(dict.fromkeys(cols)))
        return 0
    return _guard("summarize", body)


def run_export(args):
    def body():
        from ..sweep import results
        n = results.export(args.store, args.out, history=args.history, weights=args.weights)
        if args.json:
            print_json({"out": args.out, "rows": n})
        else:
            print(f"wrote {n} {'history rows' if args.history else 'runs'} to {args.out}")
        return 0
    return _guard("export", body)


def run_plot(args):
    def body():
        import matplotlib
        matplotlib.use("Agg")
        from ..sweep import results
        results.plot(args.store, x=args.x, y=args.y, hue=args.hue, out=args.out, logx=args.logx,
                     logy=args.logy, title=args.title)
        if args.json:
            print_json({"out": args.out})
        else:
            print(f"wrote {args.out}")
        return 0
    return _guard("plot", body)


def _list(text):
    if not text:
        return None
    return [t.strip() for t in text.split(",") if t.strip()]
