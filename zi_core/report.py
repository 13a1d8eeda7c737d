"""The ``zi claims --report DIR`` report: one self-contained HTML page and its figures.

``write_report(records, directory)`` takes the records of
:func:`zi_core.claims.run`, trains the few extra models the figures need (at
call time, through the public API), draws the figures with matplotlib's Agg
backend, saves each as a PNG file and embeds the same bytes as base64 in
``report.html``, which therefore needs no other file to be read.

Figures (file names are fixed):

- ``loss_curves.png``: training loss by epoch from zero, equal and random
  initialization, for the perceptron, linear and logistic regression and the MLP;
- ``hidden_heatmaps.png``: the hidden layer's weights (and biases) after training
  from zero, equal and random initialization;
- ``perceptron_trajectories.png``: the perceptron's weight vector epoch by epoch
  for several learning rates, from zero and from nonzero initial weights;
- ``linreg_distance.png``: linear regression's distance to the least-squares
  solution by epoch, from zero and random initialization, with full-rank and
  rank-deficient data;
- ``quiz.png``: the four answers of the quiz in ``001`` with the verdict and what
  the runs showed.
"""
from __future__ import annotations

import base64
import datetime
import html
import io
import json
import os
import platform

import numpy as np

from . import datasets
from .claims import Config, _low_rank_X
from .diagnostics import closed_form, distinct_hidden_units
from .estimators import MLP, LinearRegression, LogisticRegression, Perceptron

__all__ = ["FIGURES", "write_report", "make_figures"]

FIGURES = {
    "loss_curves.png": "Training loss by epoch from zero, equal (constant 0.1) and random initialization, for each "
                       "model. The perceptron's loss is its fraction of mistakes.",
    "hidden_heatmaps.png": "Hidden-layer weights (10 units x 10 inputs, bias in the last column) of the 10-10-1 network "
                           "after training on teacher data from zero, equal and random initialization.",
    "perceptron_trajectories.png": "The perceptron's weight vector after each epoch for several learning rates. Top: "
                                   "the path in the plane of the two weights; bottom: its angle. From zero the paths "
                                   "are scaled copies (same angle); from a nonzero start they differ.",
    "linreg_distance.png": "Linear regression: distance to the least-squares (minimum-norm) solution after each epoch, "
                           "from zero and from random weights, with full-rank and rank-deficient X.",
    "quiz.png": "The quiz of 001 (10-10-1 ReLU network, SGD from all-zero weights): each answer, the verdict and what "
                "the runs showed.",
}

_COLORS = {"zero": "#d62728", "equal": "#ff7f0e", "random": "#1f77b4"}
_VERDICT_COLORS = {"true": "#2ca02c", "false": "#d62728", "depends": "#ff7f0e"}


def _plt():
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def _fit(est, X, y, cfg, **kw):
    kw.setdefault("init_seed", cfg.seeds("report-init", 1)[0])
    kw.setdefault("backend", cfg.backend)
    kw.setdefault("n_threads", 1)
    kw.setdefault("on_divergence", "record")
    return est(**kw).fit(X, y)


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()


# ---------------------------------------------------------------- figures

def fig_loss_curves(cfg):
    plt = _plt()
    s = cfg.seeds("report-loss", 1)[0]
    E = cfg.pick(20, 40)
    models = [
        ("Perceptron (separable data)", Perceptron, datasets.separable(200, 5, data_seed=s),
         dict(lr=1.0, epochs=E), "normal(0, 1)", False),
        ("Linear regression", LinearRegression, datasets.linear(200, 10, noise=0.3, data_seed=s),
         dict(lr=0.005, epochs=E), "normal(0, 1)", True),
        ("Logistic regression", LogisticRegression, datasets.logistic(200, 10, data_seed=s),
         dict(lr=0.05, epochs=E), "normal(0, 1)", False),
        ("MLP 10-10-1 (teacher data)", MLP, datasets.teacher_mlp(200, (10, 10, 1), data_seed=s),
         dict(hidden=(10,), lr=0.05, epochs=E), "he_normal", False),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    for ax, (title, est, (X, y), kw, rand, logy) in zip(axes.ravel(), models):
        for label, init in (("zero", "zeros"), ("equal", "constant(0.1)"), ("random", rand)):
            bias_init = init if init != "he_normal" else "zeros"
            m = _fit(est, X, y, cfg, init=init, bias_init=bias_init, init_seed=s % 1000, **kw)
            loss = np.asarray(m.history_["loss"], dtype=float)
            ax.plot(np.arange(1, len(loss) + 1), loss, color=_COLORS[label], label=f"{label} ({init})",
                    lw=2, alpha=0.85, ls="--" if label == "equal" else "-")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss")
        if logy:
            ax.set_yscale("log")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def fig_hidden_heatmaps(cfg):
    plt = _plt()
    s = cfg.seeds("report-heat", 1)[0]
    X, y = datasets.teacher_mlp(200, (10, 10, 1), data_seed=s)
    runs = [("zero", "zeros", "zeros"), ("equal (0.1)", "constant(0.1)", "constant(0.1)"),
            ("random (he_normal)", "he_normal", "zeros")]
    mats, titles = [], []
    for label, init, binit in runs:
        m = _fit(MLP, X, y, cfg, hidden=(10,), init=init, bias_init=binit, lr=0.05, epochs=cfg.pick(30, 60),
                 init_seed=s % 1000)
        W, b = m.weights_[0], m.biases_[0]
        mats.append(np.column_stack([W, b]))
        titles.append(f"{label}: {distinct_hidden_units(W, b)} distinct unit(s),\naccuracy {m.final_accuracy_:.2f}")
    vmax = max(float(np.max(np.abs(M))) for M in mats) or 1.0
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    for ax, M, t in zip(axes, mats, titles):
        im = ax.imshow(M, cmap="RdBu_r", vmin=-vmax, vmax=vmax, aspect="auto")
        ax.set_title(t, fontsize=10)
        ax.set_xlabel("input (last column: bias)")
        ax.set_ylabel("hidden unit")
        ax.set_xticks(range(M.shape[1]))
        ax.set_xticklabels([str(j + 1) for j in range(M.shape[1] - 1)] + ["b"], fontsize=7)
    fig.colorbar(im, ax=axes, shrink=0.8, label="weight")
    return fig


def fig_perceptron(cfg):
    plt = _plt()
    s = cfg.seeds("report-perc", 1)[0]
    X, y = datasets.logistic(100, 2, noise=0.3, data_seed=s)
    etas = (0.1, 0.5, 1.0, 2.0)
    E = cfg.pick(10, 15)
    fig, axes = plt.subplots(2, 2, figsize=(10, 8))
    cmap = plt.get_cmap("viridis")
    for col, (label, init) in enumerate((("from zero", "zeros"), ("from w0 = (0.8, -0.6), b0 = 0.3", "array"))):
        for i, eta in enumerate(etas):
            path = []
            for k in range(1, E + 1):
                kw = dict(init=np.array([0.8, -0.6]), bias_init=np.array([0.3])) if init == "array" else \
                    dict(init="zeros")
                m = _fit(Perceptron, X, y, cfg, lr=eta, epochs=k, **kw)
                path.append(np.append(m.coef_, m.intercept_))
            w0 = np.array([0.8, -0.6, 0.3]) if init == "array" else np.zeros(3)
            P = np.vstack([w0, np.array(path)])
            c = cmap(i / (len(etas) - 1))
            axes[0, col].plot(P[:, 0], P[:, 1], "o-", color=c, ms=3, label=f"eta = {eta}")
            ang = np.degrees(np.arctan2(P[1:, 1], P[1:, 0]))
            axes[1, col].plot(np.arange(1, E + 1), ang, "o-", color=c, ms=3, label=f"eta = {eta}")
        axes[0, col].set_title(f"perceptron weights {label}")
        axes[0, col].set_xlabel("w1")
        axes[0, col].set_ylabel("w2")
        axes[1, col].set_xlabel("epoch")
        axes[1, col].set_ylabel("angle of (w1, w2) in degrees")
        for ax in axes[:, col]:
            ax.legend(fontsize=8)
            ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _distance_curve(X, y, cfg, init, E, lr, seed):
    """Distance to the lstsq solution after each epoch (continuing from the last weights)."""
    coef, b = closed_form(X, y)
    star = np.append(coef, b)
    m = _fit(LinearRegression, X, y, cfg, init=init, bias_init=init, lr=lr, epochs=1, init_seed=seed)
    start = np.append(m.initial_coef_, m.initial_intercept_)
    out = [np.linalg.norm(start - star), np.linalg.norm(np.append(m.coef_, m.intercept_) - star)]
    for _ in range(E - 1):
        # A constant step without shuffling: continuing from the weights is the same run.
        m = _fit(LinearRegression, X, y, cfg, init=np.asarray(m.coef_), bias_init=np.array([m.intercept_]),
                 lr=lr, epochs=1)
        out.append(np.linalg.norm(np.append(m.coef_, m.intercept_) - star))
    return np.array(out)


def fig_linreg_distance(cfg):
    plt = _plt()
    s = cfg.seeds("report-lin", 1)[0]
    rng = np.random.default_rng(s)
    E = cfg.pick(30, 60)
    X1, y1 = datasets.linear(100, 8, noise=0.0, data_seed=s)
    X2 = _low_rank_X(rng, 100, 8, 4)
    y2 = X2 @ rng.standard_normal(8) + 0.5
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, (title, X, y) in zip(axes, (("full-rank X (100 x 8)", X1, y1), ("rank-deficient X (rank 4 of 8)", X2, y2))):
        A = np.column_stack([X, np.ones(len(X))])
        lr = 0.5 / float(np.max(np.sum(A * A, axis=1)))
        for label, init in (("zero", "zeros"), ("random", "normal(0, 0.5)")):
            d = _distance_curve(X, y, cfg, init, E, lr, s % 1000)
            ax.semilogy(np.arange(len(d)), np.maximum(d, 1e-17), color=_COLORS[label], lw=2, label=f"{label} ({init})")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_ylabel("|| (w, b) - lstsq solution ||")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


_QUIZ_IDS = ("quiz-convex-converges", "quiz-no-change", "quiz-some-datasets", "quiz-nonconvex-local-min")


def fig_quiz(records):
    plt = _plt()
    import textwrap
    by_id = {r["id"]: r for r in records}
    fig = plt.figure(figsize=(12, 8.5))
    gs = fig.add_gridspec(2, 2, height_ratios=[1.8, 1], hspace=0.3)
    ax = fig.add_subplot(gs[0, :])
    ax.axis("off")
    ax.set_title("Quiz (001): 10-10-1 ReLU network, balanced realizable data, SGD from all-zero weights",
                 fontsize=12, loc="left")
    yy = 0.95
    for qid in _QUIZ_IDS:
        r = by_id.get(qid)
        if r is None:
            continue
        ax.text(0.0, yy, r["verdict"].upper(), color=_VERDICT_COLORS[r["verdict"]], fontsize=11,
                fontweight="bold", va="top", transform=ax.transAxes)
        lines = textwrap.wrap(r["statement"], 100)
        ax.text(0.1, yy, "\n".join(lines), fontsize=10, va="top", transform=ax.transAxes, fontweight="bold")
        shown = textwrap.wrap(r["evidence"]["summary"], 125)[:4]
        ev_y = yy - 0.05 * len(lines) - 0.01
        ax.text(0.1, ev_y, "\n".join(shown), fontsize=8, va="top", transform=ax.transAxes, color="#333")
        yy = ev_y - 0.042 * len(shown) - 0.04
    ev = by_id.get("quiz-no-change", {}).get("evidence", {})
    ax1 = fig.add_subplot(gs[1, 0])
    names = ["weight\nmatrices", "hidden\nbiases", "output bias\n(per-sample)", "output bias\n(full batch)"]
    vals = [ev.get("max_change_weight_matrices", np.nan), ev.get("max_change_hidden_bias", np.nan),
            ev.get("max_change_output_bias", np.nan), ev.get("max_change_output_bias_full_batch", np.nan)]
    ax1.bar(names, vals, color=["#1f77b4", "#1f77b4", "#ff7f0e", "#1f77b4"])
    for i, v in enumerate(vals):
        ax1.text(i, v, f"{v:.3g}", ha="center", va="bottom", fontsize=9)
    ax1.set_title("largest change from the all-zero start", fontsize=10)
    finite = [v for v in vals if np.isfinite(v)]
    ax1.set_ylim(0, 1.2 * max(finite + [1e-3]))
    ax2 = fig.add_subplot(gs[1, 1])
    ev2 = by_id.get("quiz-some-datasets", {}).get("evidence", {})
    accs = [ev2.get("max_acc_zero_init", np.nan), ev2.get("median_acc_random_init", np.nan)]
    ax2.bar(["from zero\n(best run)", "from he_normal\n(median)"], accs, color=["#d62728", "#1f77b4"])
    for i, v in enumerate(accs):
        ax2.text(i, v, f"{v:.3f}", ha="center", va="bottom", fontsize=9)
    ax2.set_ylim(0, 1.1)
    ax2.axhline(0.5, color="gray", ls=":", lw=1)
    ax2.set_title("training accuracy", fontsize=10)
    return fig


def make_figures(records, cfg):
    """Render every figure; returns {file name: PNG bytes}."""
    return {
        "loss_curves.png": _png(fig_loss_curves(cfg)),
        "hidden_heatmaps.png": _png(fig_hidden_heatmaps(cfg)),
        "perceptron_trajectories.png": _png(fig_perceptron(cfg)),
        "linreg_distance.png": _png(fig_linreg_distance(cfg)),
        "quiz.png": _png(fig_quiz(records)),
    }


# ---------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1150px;margin:2em auto;
     padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border:1px solid #ddd;padding:6px 8px;vertical-align:top;text-align:left}
th{background:#f4f4f4}
.v{font-weight:bold;text-transform:uppercase;white-space:nowrap}
.true{color:#2ca02c}.false{color:#d62728}.depends{color:#e07000}
.claim{border-top:2px solid #eee;margin-top:1.5em;padding-top:.5em}
figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:14px;color:#555}
pre{background:#f8f8f8;padding:.8em;overflow-x:auto;font-size:12px;max-height:30em}
code{font-size:13px}.meta{color:#666;font-size:13px}
"""


def _esc(x):
    return html.escape(str(x))


def render_html(records, figures, meta):
    """The report page as a string; ``figures`` maps file names to PNG bytes."""
    from .cli._output import to_jsonable
    out = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
           "<title>zi claims: report</title>", f"<style>{_CSS}</style></head><body>",
           "<h1>Zero and equal initialization: the seed discussions, settled by experiment</h1>",
           "<p class='meta'>" + " &middot; ".join(f"{_esc(k)}: {_esc(v)}" for k, v in meta.items()) + "</p>",
           "<p>Every verdict below was computed by <code>zi claims</code> from models trained when this report was "
           "made, over several seeds and data sets, by the decision rule of each claim "
           "(see <code>docs/claims.md</code>).</p>",
           "<h2>Verdicts</h2><table><tr><th>id</th><th>source</th><th>statement</th><th>verdict</th>"
           "<th>evidence</th><th>time</th></tr>"]
    for r in records:
        cond = f"<br><em>Condition: {_esc(r['condition'])}</em>" if r.get("condition") else ""
        out.append(f"<tr><td><a href='#{_esc(r['id'])}'>{_esc(r['id'])}</a></td><td>{_esc(r['source'])}</td>"
                   f"<td>{_esc(r['statement'])}</td><td class='v {_esc(r['verdict'])}'>{_esc(r['verdict'])}</td>"
                   f"<td>{_esc(r['evidence'].get('summary', ''))}{cond}</td><td>{r['time_s']:.2f}&nbsp;s</td></tr>")
    out.append("</table><h2>Figures</h2>")
    for name, png in figures.items():
        b64 = base64.b64encode(png).decode("ascii")
        out.append(f"<figure id='{_esc(name)}'><img alt='{_esc(name)}' src='data:image/png;base64,{b64}'>"
                   f"<figcaption><code>{_esc(name)}</code>: {_esc(FIGURES.get(name, ''))}</figcaption></figure>")
    out.append("<h2>Claims in detail</h2>")
    for r in records:
        ev = json.dumps(to_jsonable(r["evidence"]), indent=1)
        cond = f"<p><strong>Condition:</strong> {_esc(r['condition'])}</p>" if r.get("condition") else ""
        out.append(f"<div class='claim' id='{_esc(r['id'])}'><h3>{_esc(r['id'])} "
                   f"<span class='v {_esc(r['verdict'])}'>{_esc(r['verdict'])}</span></h3>"
                   f"<p class='meta'>{_esc(r['source'])} &middot; {r['time_s']:.2f} s</p>"
                   f"<blockquote>{_esc(r['statement'])}</blockquote>"
                   f"<p><strong>Evidence:</strong> {_esc(r['evidence'].get('summary', ''))}</p>{cond}"
                   f"<p><strong>Explanation:</strong> {_esc(r['explanation'])}</p>"
                   f"<details><summary>all measured numbers</summary><pre>{_esc(ev)}</pre></details></div>")
    out.append("</body></html>")
    return "\n".join(out)


def write_report(records, directory, seed=0, quick=False, backend=None):
    """Write ``report.html`` and the PNG figures into ``directory``.

    Parameters
    ----------
    records : list of dict
        The output of :func:`zi_core.claims.run`.
    directory : str or path
        Created if missing; existing files of the same names are replaced.
    seed, quick, backend
        As for :func:`zi_core.claims.run`; the figures' own runs use them.

    Returns
    -------
    dict
        ``{"html": path, "figures": [paths]}``.
    """
    if not records:
        raise ValueError("records is empty: run zi_core.claims.run() first")
    directory = os.fspath(directory)
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise ValueError(f"--report: {directory!r} exists and is not a directory")
    os.makedirs(directory, exist_ok=True)
    cfg = Config(seed=seed, quick=quick, backend=backend)
    figures = make_figures(records, cfg)
    paths = []
    for name, png in figures.items():
        path = os.path.join(directory, name)
        with open(path, "wb") as f:
            f.write(png)
        paths.append(path)
    from . import __version__
    meta = {"generated": datetime.datetime.now().isoformat(timespec="seconds"), "seed": seed,
            "mode": "quick" if quick else "full", "backend": cfg.backend, "zi-core": __version__,
            "numpy": np.__version__, "python": platform.python_version()}
    page = os.path.join(directory, "report.html")
    with open(page, "w", encoding="utf-8") as f:
        f.write(render_html(records, figures, meta))
    return {"html": page, "figures": paths}
