"""Read a sweep store: load as a DataFrame, summarize, export, plot.

pandas is needed for ``load``, ``summarize`` and ``export`` (pyarrow for
Parquet) and matplotlib for ``plot``: ``pip install zi-core[sweep]``.

Columns of :func:`load` (one row per run):

- the run's spec, flattened: ``model``, ``hidden`` (``"10"``, ``"10-10"``,
  ``"none"``), ``loss``, ``lr``, ``epochs``, ``batch_size``, ``init``,
  ``bias_init``, ... (every ModelSpec field), ``init_scale``, ``dataset`` (its
  name) and ``dataset.<param>``, ``data_seed``, ``shuffle_seed``, ``init_seed``;
- ``key``, ``status`` (ok/diverged/error), ``diverged_epoch``, ``error``,
  ``final_loss``, ``final_accuracy``, ``acc100`` (final accuracy exactly 1),
  ``converged``, ``distinct_units`` (distinct hidden units of the first hidden
  layer; ``distinct_units_l2`` ... for deeper ones), ``width`` (units in the
  first hidden layer), ``n_epochs``, ``wall_time``;
- ``weights`` (flat final parameter vector) with ``weights=True``.
"""
from __future__ import annotations

import json
import math
import os

import numpy as np

from .store import Store, decode_weights, spec_sizes, unflatten

_SPEC_ORDER = ("model", "hidden", "loss", "lr", "epochs", "batch_size", "init", "init_scale",
               "bias_init", "bias", "lr_schedule", "power_t", "tol", "shuffle", "dtype", "task")


def _pandas():
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("reading a sweep store into a DataFrame needs pandas: "
                          "pip install 'zi-core[sweep]' (or pip install pandas)") from None
    return pd


def _open(store):
    if isinstance(store, Store):
        return store, False
    return Store(store, mode="r", check=False), True


def _hidden_text(h):
    return "-".join(str(int(v)) for v in h) if h else "none"


def _flatten_spec(spec):
    m = spec["model"]
    row = {}
    for k, v in m.items():
        if k == "hidden":
            v = _hidden_text(v if m.get("model") == "mlp" else [])
        elif isinstance(v, list):
            v = json.dumps(v)
        row[k] = v
    row["init_scale"] = spec.get("init_scale", 1.0)
    row["dataset"] = spec["dataset"]["name"]
    for k, v in spec["dataset"]["params"].items():
        row[f"dataset.{k}"] = json.dumps(v) if isinstance(v, list) else v
    row["data_seed"] = spec["data_seed"]
    row["shuffle_seed"] = spec["shuffle_seed"]
    row["init_seed"] = spec["init_seed"]
    return row


def load(store, weights=False, status=None):
    """The runs of a store as a pandas DataFrame (one row per run, sorted by spec).

    Parameters
    ----------
    store : path or Store
    weights : bool
        Add a ``weights`` column of flat final parameter vectors.
    status : str or list of str, optional
        Keep only runs with these statuses.
    """
    pd = _pandas()
    st, own = _open(store)
    try:
        cols = ("key, spec, status, diverged_epoch, error, final_loss, final_accuracy, converged, "
                "distinct_units, n_epochs, wall_time" + (", weights" if weights else ""))
        args = []
        where = ""
        if status is not None:
            status = [status] if isinstance(status, str) else list(status)
            where = f" WHERE status IN ({','.join('?' * len(status))})"
            args = status
        rows = st.query(f"SELECT {cols} FROM runs{where}", args).fetchall()
    finally:
        if own:
            st.close()
    records = []
    n_layers = 1
    for r in rows:
        spec = json.loads(r[1])
        rec = _flatten_spec(spec)
        hidden = spec["model"].get("hidden") if spec["model"].get("model") == "mlp" else []
        rec.update(key=r[0], status=r[2], diverged_epoch=r[3], error=r[4], final_loss=r[5],
                   final_accuracy=r[6], converged=None if r[7] is None else bool(r[7]),
                   n_epochs=r[9], wall_time=r[10])
        rec["width"] = hidden[0] if hidden else None
        du = json.loads(r[8]) if r[8] else None
        if du:
            rec["distinct_units"] = du[0]
            for l, v in enumerate(du[1:], start=2):
                rec[f"distinct_units_l{l}"] = v
                n_layers = max(n_layers, l)
        if weights:
            rec["weights"] = decode_weights(r[11])
        records.append(rec)
    df = pd.DataFrame.from_records(records)
    if df.empty:
        return pd.DataFrame(columns=["key", "status", "final_loss", "final_accuracy", "converged"])
    df["acc100"] = df["final_accuracy"] == 1.0
    df.loc[df["final_accuracy"].isna(), "acc100"] = False
    for c in ["distinct_units"] + [f"distinct_units_l{l}" for l in range(2, n_layers + 1)] + \
             ["diverged_epoch", "width", "n_epochs"]:
        if c in df:
            df[c] = df[c].astype("Int64")
    if "converged" in df:
        df["converged"] = df["converged"].astype("boolean")
    front = [c for c in _SPEC_ORDER if c in df]
    front += sorted(c for c in df if c.startswith("dataset"))
    front += ["data_seed", "shuffle_seed", "init_seed", "status", "final_loss", "final_accuracy",
              "acc100", "converged", "distinct_units"]
    front = [c for c in dict.fromkeys(front) if c in df]
    rest = [c for c in df if c not in front and c != "key"]
    df = df[front + rest + ["key"]]
    sort = [c for c in ("dataset", "data_seed", "shuffle_seed", "init_seed") if c in df]
    return df.sort_values(sort + ["key"], kind="stable").reset_index(drop=True)


def load_history(store, keys=None):
    """The per-epoch history as a DataFrame (key, epoch, loss, accuracy, mistakes, update_norm)."""
    pd = _pandas()
    from .store import unpack_history
    cols = "key, n_epochs, loss, accuracy, mistakes, update_norm"
    st, own = _open(store)
    try:
        if keys is None:
            rows = st.query(f"SELECT {cols} FROM history ORDER BY key").fetchall()
        else:
            keys = list(keys)
            rows = []
            for lo in range(0, len(keys), 900):
                part = keys[lo:lo + 900]
                rows += st.query(f"SELECT {cols} FROM history WHERE key IN ({','.join('?' * len(part))}) "
                                 "ORDER BY key", part).fetchall()
    finally:
        if own:
            st.close()
    rows.sort(key=lambda r: r[0])
    n = [r[1] for r in rows]
    data = {"key": np.repeat(np.asarray([r[0] for r in rows], dtype=object), n),
            "epoch": np.concatenate([np.arange(1, k + 1) for k in n]) if rows else np.zeros(0, int)}
    for i, name in enumerate(("loss", "accuracy", "mistakes", "update_norm"), start=2):
        data[name] = (np.concatenate([unpack_history(r[i]) for r in rows]) if rows else np.zeros(0))
    df = pd.DataFrame(data)
    df["mistakes"] = df["mistakes"].round().astype("Int64")
    return df


def weights(store, key):
    """One run's final parameters as ([W_1..W_L], [b_1..b_L] or None)."""
    st, own = _open(store)
    try:
        row = st.query("SELECT spec, weights FROM runs WHERE key = ?", (key,)).fetchone()
    finally:
        if own:
            st.close()
    if row is None:
        raise KeyError(f"no run with key {key!r} in the store")
    if row[1] is None:
        raise ValueError(f"run {key} has no weights (status error)")
    theta = decode_weights(row[1])
    sizes, bias = spec_sizes(json.loads(row[0]), theta.size)
    return unflatten(theta, sizes, bias)


# --------------------------------------------------------------------------
# summarize
# --------------------------------------------------------------------------

def _frame(source, weights=False):
    pd = _pandas()
    if isinstance(source, pd.DataFrame):
        return source
    return load(source, weights=weights)


def _check_columns(df, cols, what):
    missing = [c for c in cols if c not in df.columns]
    if missing:
        avail = ", ".join(c for c in df.columns if c not in ("key", "weights", "error"))
        raise ValueError(f"{what}: no column {missing[0]!r} in the store; available: {avail}")


def summarize(source, by=None, metrics=("final_loss", "final_accuracy")):
    """Per group of ``by`` columns: counts, mean and std of metrics, fractions.

    Fractions are over the runs that did not raise (ok + diverged; a diverged
    run is neither converged nor at 100% accuracy): ``frac_converged``,
    ``frac_acc100``, and for MLPs ``distinct_units_mean``/``_std`` (first
    hidden layer), ``frac_all_distinct`` (every unit distinct) and
    ``frac_one_unit`` (the layer collapsed to one unit).
    """
    pd = _pandas()
    df = _frame(source)
    by = _as_list(by)
    metrics = _as_list(metrics)
    if df.empty:
        return pd.DataFrame(columns=by + ["n"])
    _check_columns(df, by, "--by")
    _check_columns(df, metrics, "metric")
    rows = []
    groups = df.groupby(by, sort=True, dropna=False) if by else [((), df)]
    for name, g in groups:
        name = name if isinstance(name, tuple) else (name,)
        row = dict(zip(by, name))
        row["n"] = len(g)
        for s in ("ok", "diverged", "error"):
            row[s] = int((g["status"] == s).sum())
        live = g[g["status"] != "error"]
        for m in metrics:
            vals = pd.to_numeric(live[m], errors="coerce").astype(float)
            row[f"{m}_mean"] = float(vals.mean()) if vals.notna().any() else math.nan
            row[f"{m}_std"] = _std(vals)
        n_live = len(live)
        row["frac_converged"] = float(live["converged"].fillna(False).astype(bool).mean()) if n_live else math.nan
        row["frac_acc100"] = float(live["acc100"].astype(bool).mean()) if n_live else math.nan
        if "distinct_units" in live and live["distinct_units"].notna().any():
            du = live["distinct_units"].astype(float)
            row["distinct_units_mean"] = float(du.mean())
            row["distinct_units_std"] = _std(du)
            ok_du = live[live["distinct_units"].notna()]
            row["frac_all_distinct"] = float((ok_du["distinct_units"] == ok_du["width"]).mean())
            row["frac_one_unit"] = float((ok_du["distinct_units"] == 1).mean())
        rows.append(row)
    return pd.DataFrame(rows)


def _std(series):
    """Population std of the non-missing values; exactly 0 when they are all equal."""
    v = series.dropna().to_numpy(dtype=float)
    if len(v) < 2:
        return math.nan
    return 0.0 if v.min() == v.max() else float(v.std())


def _as_list(x):
    if x is None:
        return []
    if isinstance(x, str):
        return [c.strip() for c in x.split(",") if c.strip()]
    return list(x)


# --------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------

def export(store, out, history=False, weights=False):
    """Write the runs (or, with history=True, the per-epoch history) to .parquet or .csv."""
    out = os.fspath(out)
    ext = os.path.splitext(out)[1].lower()
    if ext not in (".parquet", ".pq", ".csv"):
        raise ValueError(f"export to .parquet or .csv, not {ext or 'no extension'!r} ({out})")
    if history:
        df = load_history(store)
    else:
        df = load(store, weights=weights)
        if weights:
            if ext == ".csv":
                df["weights"] = [None if w is None else json.dumps(w.tolist()) for w in df["weights"]]
            else:
                df["weights"] = [None if w is None else w.tolist() for w in df["weights"]]
    if ext == ".csv":
        df.to_csv(out, index=False)
    else:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ImportError("Parquet export needs pyarrow: pip install 'zi-core[sweep]' "
                              "(or pip install pyarrow), or export to .csv") from None
        df.to_parquet(out, index=False)
    return len(df)


# --------------------------------------------------------------------------
# plot
# --------------------------------------------------------------------------

def plot(source, x, y="final_loss", hue=None, out=None, logx=None, logy=False, title=None,
         status=("ok", "diverged")):
    """Mean of ``y`` against ``x`` (one line per ``hue``), with +-1 std and the runs.

    Numeric ``x`` gives lines (log-scaled when the values span over two
    decades, unless ``logx`` says otherwise); other ``x`` gives grouped bars.
    Saves to ``out`` (png, pdf, svg ...) when given; returns the Figure.
    """
    import matplotlib
    if out is not None and _no_display():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    pd = _pandas()
    df = _frame(source)
    if df.empty:
        raise ValueError("the store has no runs to plot")
    _check_columns(df, [x, y] + ([hue] if hue else []), "plot")
    if status:
        df = df[df["status"].isin(_as_list(status) if isinstance(status, str) else list(status))]
    vals = pd.to_numeric(df[y], errors="coerce") if df[y].dtype != bool else df[y].astype(float)
    df = df.assign(_y=vals.astype(float))
    hues = [None] if not hue else sorted(df[hue].dropna().unique(), key=_sort_key)
    numeric_x = pd.api.types.is_numeric_dtype(df[x]) and not pd.api.types.is_bool_dtype(df[x])
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    xs_all = sorted(df[x].dropna().unique(), key=_sort_key)
    for i, h in enumerate(hues):
        sub = df if h is None else df[df[hue] == h]
        g = sub.groupby(x)["_y"]
        mean, std = g.mean(), g.std(ddof=0).fillna(0.0)
        label = None if h is None else f"{hue}={h}"
        if numeric_x:
            line, = ax.plot(mean.index, mean.values, marker="o", label=label)
            ax.fill_between(mean.index, (mean - std).values, (mean + std).values,
                            color=line.get_color(), alpha=0.15)
            ax.scatter(sub[x], sub["_y"], s=6, alpha=0.25, color=line.get_color())
        else:
            pos = {v: j for j, v in enumerate(xs_all)}
            width = 0.8 / len(hues)
            xpos = np.array([pos[v] for v in mean.index]) - 0.4 + width * (i + 0.5)
            ax.bar(xpos, mean.values, width=width, yerr=std.values, label=label, alpha=0.8,
                   capsize=2)
    if numeric_x:
        pos_x = [v for v in xs_all if v > 0]
        if logx is None:
            logx = len(pos_x) == len(xs_all) and len(pos_x) > 1 and max(pos_x) / min(pos_x) > 100
        if logx:
            ax.set_xscale("log")
    else:
        ax.set_xticks(range(len(xs_all)))
        ax.set_xticklabels([str(v) for v in xs_all], rotation=30 if len(xs_all) > 5 else 0)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(x)
    ax.set_ylabel(f"{y} (mean +- std)")
    ax.set_title(title or f"{y} by {x}" + (f" and {hue}" if hue else "") + f" ({len(df)} runs)")
    if hue:
        ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    if out is not None:
        fig.savefig(out, dpi=120)
        plt.close(fig)
    return fig


def _no_display():
    return not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")


def _sort_key(v):
    return (0, float(v), "") if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) \
        else (1, 0.0, str(v))
