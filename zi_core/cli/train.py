"""``zi train``: train one model (or one per seed) from flags and print its history."""
import sys

import numpy as np

from ._output import print_json, print_table

MODELS = ("mlp", "perceptron", "linear", "logistic")
DATASETS = ("teacher_mlp", "separable", "linear", "logistic", "xor")


def _hidden(text):
    text = text.strip()
    if text in ("", "()", "none"):
        return ()
    try:
        return tuple(int(t) for t in text.replace("-", ",").split(",") if t.strip())
    except ValueError:
        raise ValueError(f"--hidden must be comma-separated ints like 10 or 16,8; got {text!r}") from None


def _seeds(text):
    """'3' -> 3, '0:8' -> [0..7], '1,5,9' -> [1, 5, 9]."""
    if ":" in text:
        lo, hi = text.split(":", 1)
        return list(range(int(lo), int(hi)))
    if "," in text:
        return [int(t) for t in text.split(",")]
    return int(text)


def register(sub):
    p = sub.add_parser("train", help="train one model and print its per-epoch history",
                       description="Train one model (or one per init seed) on a synthetic data set "
                                   "and print the per-epoch history.")
    p.add_argument("--model", choices=MODELS, default="mlp")
    p.add_argument("--hidden", type=_hidden, default=(10,), help="hidden widths, e.g. 10 or 16,8 (mlp)")
    p.add_argument("--loss", choices=("logistic", "squared", "hinge"), default="logistic", help="mlp loss")
    p.add_argument("--no-bias", action="store_true", help="no biases / no intercept")
    p.add_argument("--init", default=None, help='weight initializer, e.g. zeros, he_normal, "normal(0,0.1)"')
    p.add_argument("--bias-init", default="zeros")
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=1)
    p.add_argument("--lr-schedule", choices=("constant", "invscaling"), default="constant")
    p.add_argument("--shuffle", action="store_true")
    p.add_argument("--dataset", choices=DATASETS, default=None,
                   help="default: teacher_mlp for mlp, separable, linear, logistic for the others")
    p.add_argument("--n-samples", type=int, default=2000)
    p.add_argument("--n-features", type=int, default=10)
    p.add_argument("--init-seed", type=_seeds, default=0, help="int, a range A:B or a list A,B,C")
    p.add_argument("--shuffle-seed", type=int, default=0)
    p.add_argument("--data-seed", type=int, default=0)
    p.add_argument("--backend", choices=("cython", "numpy"), default="cython")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def _data(args):
    from .. import datasets
    name = args.dataset or {"mlp": "teacher_mlp", "perceptron": "separable", "linear": "linear",
                            "logistic": "logistic"}[args.model]
    if name == "teacher_mlp":
        sizes = (args.n_features,) + (tuple(args.hidden) if args.model == "mlp" else (10,)) + (1,)
        return name, datasets.teacher_mlp(n_samples=args.n_samples, sizes=sizes, data_seed=args.data_seed)
    if name == "xor":
        return name, datasets.xor(n_samples=args.n_samples, data_seed=args.data_seed)
    return name, datasets.get(name)(n_samples=args.n_samples, n_features=args.n_features,
                                    data_seed=args.data_seed)


def build_model(args):
    import zi_core
    common = dict(epochs=args.epochs, batch_size=args.batch_size, lr_schedule=args.lr_schedule,
                  shuffle=args.shuffle, init_seed=args.init_seed, shuffle_seed=args.shuffle_seed,
                  backend=args.backend, dtype=args.dtype, n_threads=args.threads,
                  on_divergence="record", bias_init=args.bias_init)
    if args.lr is not None:
        common["lr"] = args.lr
    if args.init is not None:
        common["init"] = args.init
    if args.model == "mlp":
        return zi_core.MLP(hidden=args.hidden, loss=args.loss, bias=not args.no_bias, **common)
    cls = {"perceptron": zi_core.Perceptron, "linear": zi_core.LinearRegression,
           "logistic": zi_core.LogisticRegression}[args.model]
    return cls(fit_intercept=not args.no_bias, **common)


def run(args):
    from .._validation import check_param_count
    # Refuse absurd sizes before the teacher network of the data set is built.
    hidden = tuple(args.hidden) if args.model == "mlp" else ()
    seeds = args.init_seed if isinstance(args.init_seed, list) else [args.init_seed]
    check_param_count((args.n_features,) + (hidden or (10,)) + (1,), len(seeds), not args.no_bias)
    dataset, (X, y) = _data(args)
    model = build_model(args).fit(X, y)
    res = model.result_
    rows = []
    for b in range(len(res)):
        h = {k: val[b] for k, val in res.history.items()}
        for e in range(res.epochs_run):
            rows.append({"init_seed": int(res.init_seeds[b]), "epoch": e + 1, "loss": h["loss"][e],
                         "accuracy": h["accuracy"][e],
                         "mistakes": int(h["mistakes"][e]) if np.isfinite(h["mistakes"][e]) else None,
                         "update_norm": h["update_norm"][e]})
    summary = [{"init_seed": int(res.init_seeds[b]), "final_loss": res.final_loss[b],
                "final_accuracy": res.final_accuracy[b], "converged": bool(res.converged[b]),
                "diverged_epoch": int(res.diverged_epoch[b]) if res.diverged[b] else None}
               for b in range(len(res))]
    if args.json:
        print_json({"model": repr(model), "dataset": dataset, "n_samples": int(X.shape[0]),
                    "n_features": int(X.shape[1]), "history": rows, "final": summary,
                    "wall_time_s": res.wall_time})
        return 0
    cols = ["epoch", "loss", "update_norm"]
    if args.model != "linear":
        cols[2:2] = ["accuracy", "mistakes"]
    if len(res) > 1:
        cols.insert(0, "init_seed")
    print(f"{model!r} on {dataset} (n={X.shape[0]}, d={X.shape[1]}, data_seed={args.data_seed})")
    print_table(rows, cols)
    print()
    print_table(summary, ["init_seed", "final_loss", "final_accuracy", "converged", "diverged_epoch"])
    print(f"wall time {res.wall_time * 1e3:.1f} ms", file=sys.stderr)
    if res.diverged.any():
        print("some runs diverged: try a smaller --lr", file=sys.stderr)
    return 0
