"""The statements of the seed discussions, and the experiments that decide them.

Every statement of ``shared/seeds/`` is a :class:`Claim`: an experiment that
trains models through the public API (the estimators, the data sets and
:mod:`zi_core.diagnostics`) on several seeds, data sets, sizes and learning
rates *at call time* and returns its measurements as a dict of numbers (the
*evidence*), and a pure decision rule ``decide(evidence) -> (verdict,
condition)`` that turns the measured numbers into ``"true"``, ``"false"`` or
``"depends"``. Nothing is hard-coded: change the seed (or feed ``decide`` other
numbers) and the verdict follows the measurements.

>>> from zi_core import claims
>>> records = claims.run(seed=0, quick=True)        # doctest: +SKIP
>>> [(r["id"], r["verdict"]) for r in records]      # doctest: +SKIP

Each record is a dict with ``id``, ``source`` (the seed file), ``statement``,
``verdict``, ``condition`` (for ``depends``: the condition found; otherwise
``None``), ``evidence`` (numbers, plus ``summary``: one sentence a student can
follow), ``explanation`` (which parts of the statement the runs confirm and
which they refute) and ``time_s``.

Several claims share one experiment (the quiz of ``001`` is one setting with
four answers); a run computes a shared experiment once and each claim reads
its part. ``docs/claims.md`` describes every experiment and decision rule.
"""
from __future__ import annotations

import dataclasses
import math
import sys
import time
import zlib

import numpy as np

from . import datasets, reference
from .diagnostics import (closed_form, direction, distinct_hidden_units, gradient,
                          gradient_at_init, hidden_activations)
from .estimators import MLP, LinearRegression, LogisticRegression, Perceptron

__all__ = ["CLAIMS", "Claim", "Config", "get", "ids", "run", "run_claim", "decide"]

SOURCES = {
    "linreg": "000_65f36142eb405749.txt",
    "quiz": "001_ec1ab8a2c1bab53b.txt",
    "perceptron": "002_833cfa2f34498ed3.txt",
}

# ---------------------------------------------------------------- thresholds
# Every decision rule compares measurements with one of these named constants.

#: relative distance to the least-squares solution that counts as "reached"
REACHED_RTOL = 1e-6
#: per-sample SGD with a constant step on noisy data stays at a distance
#: proportional to the step: dividing the step by STEP_DIVISOR must shrink it
#: to at most this fraction for "reaches it in the small-step limit"
STEP_DIVISOR = 5
STEP_SHRINK = 0.5
#: a random start is "forgotten" when the final difference to the zero-start
#: run is below this fraction of the initial difference
FORGET_RATIO = 1e-3
#: loss and accuracy tolerances when comparing two starting points
LOSS_ATOL = 0.02
ACC_ATOL = 0.02
#: relative loss decrease that counts as "learning happened"
LEARN_RTOL = 0.05
#: relative error allowed when a wide network is collapsed to one neuron
COLLAPSE_RTOL = 1e-9
#: perceptron: 1 - cosine below this counts as "same direction"
COS_TOL = 1e-12


# ---------------------------------------------------------------- config

@dataclasses.dataclass
class Config:
    """What a claim's experiment may vary.

    Parameters
    ----------
    seed : int
        Root of every random choice (data sets, initial weights, orders).
    quick : bool
        Fewer seeds, data sets and epochs (the whole run in a few seconds).
    backend : {"cython", "numpy"} or None
        Trainer backend; ``None`` uses the compiled core when it is built.
    """

    seed: int = 0
    quick: bool = False
    backend: str | None = None
    cache: dict = dataclasses.field(default_factory=dict, repr=False)

    def __post_init__(self):
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {self.seed!r}")
        self.seed = int(self.seed)
        if self.backend is None:
            self.backend = _default_backend()
        if self.backend not in ("cython", "numpy"):
            raise ValueError(f"backend must be 'cython' or 'numpy', got {self.backend!r}")

    def seeds(self, tag, k):
        """``k`` seeds for the part of an experiment called ``tag``."""
        ss = np.random.SeedSequence([self.seed, zlib.crc32(tag.encode())])
        return [int(s) for s in ss.generate_state(k, dtype=np.uint32) % (2**31 - 1)]

    def rng(self, tag):
        """A generator for the part of an experiment called ``tag``."""
        return np.random.default_rng(self.seeds(tag, 1)[0])

    def pick(self, quick, full):
        return quick if self.quick else full

    @property
    def atol(self):
        """Tolerance for 'equal units': 0 on the compiled core (SPEC 4)."""
        return 0.0 if self.backend == "cython" else 1e-12


def _default_backend():
    try:
        from ._dispatch import core
        core()
        return "cython"
    except ImportError:
        return "numpy"


def _fit(est_cls, X, y, cfg, **params):
    """Fit one estimator; seeds not given explicitly are drawn from the run's seed."""
    params.setdefault("init_seed", cfg.seeds("default-init", 1)[0])
    params.setdefault("shuffle_seed", cfg.seeds("default-shuffle", 1)[0])
    params.setdefault("backend", cfg.backend)
    params.setdefault("n_threads", 1)
    params.setdefault("on_divergence", "record")
    return est_cls(**params).fit(X, y)


def _shared(cfg, name, fn):
    """Run a shared experiment once per run (claims that share it read it)."""
    if name not in cfg.cache:
        cfg.cache[name] = fn(cfg)
    return cfg.cache[name]


def _f(x):
    """A plain float for the evidence (JSON numbers)."""
    return float(x)


def _fmt(x, digits=3):
    x = float(x)
    if x == 0:
        return "0"
    if abs(x) < 1e-3 or abs(x) >= 1e5:
        return f"{x:.{max(digits - 1, 1)}e}"
    return f"{x:.{digits}g}"


# ---------------------------------------------------------------- claims

@dataclasses.dataclass(frozen=True)
class Claim:
    """One statement: its experiment, decision rule and explanation."""

    id: str
    source: str
    statement: str
    experiment: object  # Config -> evidence dict
    decide: object      # evidence dict -> (verdict, condition or None)
    explain: object     # (evidence, verdict, condition) -> str


CLAIMS = []


def _claim(id, source, statement, experiment, explain):
    def register(decide_fn):
        CLAIMS.append(Claim(id, SOURCES[source], statement, experiment, decide_fn, explain))
        return decide_fn
    return register


# ================================================================ linear regression

def _design(X, fit_intercept):
    return np.column_stack([X, np.ones(len(X))]) if fit_intercept else X


def _theta(m):
    return np.append(np.asarray(m.coef_, dtype=float).ravel(),
                     [m.intercept_] if m.fit_intercept else [])


def _gd_lr(A):
    """1 / L, L the largest eigenvalue of A^T A / n: a stable full-batch step."""
    return 1.0 / (np.linalg.norm(A, 2) ** 2 / A.shape[0])


def _sgd_lr(A):
    """A per-sample step well inside the stability limit 2 / max ||a_i||^2."""
    return 0.5 / float(np.max(np.sum(A * A, axis=1)))


def _gd_epochs(A, target=1e-9, cap=4000):
    """Full-batch GD steps for the error to shrink by ``target`` at step 1/L."""
    s = np.linalg.svd(A, compute_uv=False)
    s = s[s > s[0] * 1e-10]
    kappa = (s[0] / s[-1]) ** 2
    steps = math.log(target) / math.log(max(1e-300, 1.0 - 1.0 / kappa)) if kappa > 1 else 1
    return int(min(cap, max(50, math.ceil(steps) + 20)))


def _sgd_epochs(A, lr, target=1e-9, cap=400):
    """Per-sample SGD epochs for the transient to shrink by ``target``.

    One epoch contracts the error along the slowest direction of the row space
    by about exp(-lr * n * lambda_min), lambda_min the smallest nonzero
    eigenvalue of A^T A / n.
    """
    n = A.shape[0]
    s = np.linalg.svd(A, compute_uv=False)
    lam = (s[s > s[0] * 1e-10][-1] ** 2) / n
    return int(min(cap, max(20, math.ceil(-math.log(target) / (lr * n * lam)) + 5)))


def _null_projector(A):
    """Projector onto the null space of A (zero matrix when A has full column rank)."""
    _, s, Vt = np.linalg.svd(A, full_matrices=False)
    r = int(np.sum(s > s[0] * max(A.shape) * np.finfo(float).eps))
    Vr = Vt[:r].T
    return np.eye(A.shape[1]) - Vr @ Vr.T, r


def _low_rank_X(rng, n, d, r):
    """n x d Gaussian-like data of rank r (well conditioned on its row space)."""
    Z = rng.standard_normal((n, r))
    Q, _ = np.linalg.qr(rng.standard_normal((d, r)))
    return Z @ Q.T * math.sqrt(d / r)


def _linreg_datasets(cfg):
    """(name, X, y) for the linear-regression claims: full-rank and rank-deficient X."""
    out = []
    for i, s in enumerate(cfg.seeds("linreg-data", cfg.pick(1, 3))):
        rng = np.random.default_rng(s)
        noise = [0.5, 0.0][i % 2]
        X, y = datasets.linear(n_samples=200, n_features=5, noise=noise, data_seed=s)
        out.append((f"linear n=200 d=5 noise={noise}", X, y))
        noise = [0.0, 0.1][i % 2]
        X, y = datasets.linear(n_samples=100, n_features=20, noise=noise, data_seed=s + 1)
        out.append((f"linear n=100 d=20 noise={noise}", X, y))
        # Rank-deficient designs: collinear features, and more features than samples.
        X = _low_rank_X(rng, 120, 8, 5)
        y = X @ rng.standard_normal(8) + 0.3 + 0.1 * rng.standard_normal(120)
        out.append(("collinear n=120 d=8 rank 5", X, y))
        X = rng.standard_normal((15, 60))
        y = X @ rng.standard_normal(60) / math.sqrt(60) + 0.1 * rng.standard_normal(15)
        out.append(("wide n=15 d=60 (rank 15)", X, y))
    return out


def _exp_linreg(cfg):
    """Shared by the two linear-regression claims: zero and random starts."""
    cases = []
    sigmas = [0.01, 0.1]
    init_seeds = cfg.seeds("linreg-init", cfg.pick(2, 3))
    for name, X, y in _linreg_datasets(cfg):
        for fit_intercept in (True, False):
            A = _design(X, fit_intercept)
            coef_star, b_star = closed_form(X, y, fit_intercept=fit_intercept)
            theta_star = np.append(coef_star, [b_star] if fit_intercept else [])
            scale = max(np.linalg.norm(theta_star), 1e-300)
            P_null, rank = _null_projector(A)
            full_rank = rank == A.shape[1]
            n = len(X)
            residual = A @ theta_star - y
            exact = bool(np.max(np.abs(residual)) <= 1e-9 * max(1.0, np.max(np.abs(y))))
            gd = dict(lr=_gd_lr(A), epochs=_gd_epochs(A), batch_size=n, fit_intercept=fit_intercept)
            # Zero start, full-batch gradient descent.
            m0 = _fit(LinearRegression, X, y, cfg, init="zeros", bias_init="zeros", **gd)
            g0 = gradient_at_init(m0, X, y)
            out0 = A @ np.append(np.asarray(m0.initial_coef_), [m0.initial_intercept_] if fit_intercept else [])
            d0 = np.linalg.norm(_theta(m0) - theta_star) / scale
            # Zero start, per-sample SGD at step lr and lr / STEP_DIVISOR.
            # The smaller step gets proportionally more epochs: the same "distance travelled".
            lr = _sgd_lr(A)
            sgd_epochs = _sgd_epochs(A, lr, cap=cfg.pick(200, 400))
            # (On exact data there is no noise floor, so one step size is enough.)
            steps = ((lr, sgd_epochs),) if exact else ((lr, sgd_epochs), (lr / STEP_DIVISOR, STEP_DIVISOR * sgd_epochs))
            sg = [_fit(LinearRegression, X, y, cfg, init="zeros", bias_init="zeros", lr=eta,
                       epochs=k, fit_intercept=fit_intercept) for eta, k in steps]
            dsgd = [np.linalg.norm(_theta(m) - theta_star) / scale for m in sg] + [None]
            # Random starts (same full-batch GD), several scales and seeds.
            rand = []
            for sigma in sigmas:
                mr = _fit(LinearRegression, X, y, cfg, init=f"normal(0, {sigma})",
                          bias_init=f"normal(0, {sigma})", init_seed=init_seeds, **gd)
                th0 = np.column_stack([mr.initial_coef_] + ([mr.initial_intercept_] if fit_intercept else []))
                thT = np.column_stack([mr.coef_] + ([mr.intercept_] if fit_intercept else []))
                for k in range(len(init_seeds)):
                    init_diff = np.linalg.norm(th0[k])
                    final_diff = np.linalg.norm(thT[k] - _theta(m0))
                    rand.append(dict(
                        sigma=sigma,
                        init_diff=_f(init_diff),
                        final_diff=_f(final_diff),
                        forget_ratio=_f(final_diff / init_diff),
                        null_fraction=_f(np.linalg.norm(P_null @ th0[k]) / init_diff),
                        null_change=_f(np.linalg.norm(P_null @ (thT[k] - th0[k]))),
                        loss_diff=_f(abs(mr.final_loss_[k] - m0.final_loss_)),
                        rel_dist_to_lstsq=_f(np.linalg.norm(thT[k] - theta_star) / scale),
                    ))
            cases.append(dict(
                data=name, n_samples=n, n_features=X.shape[1], fit_intercept=fit_intercept,
                rank=rank, n_params=A.shape[1], full_rank=full_rank, exact_fit=exact,
                gd_lr=_f(gd["lr"]), gd_epochs=gd["epochs"],
                max_abs_initial_output=_f(np.max(np.abs(out0))),
                grad_norm_at_zero=_f(g0.norm), lstsq_norm=_f(scale),
                zero_is_solution=bool(np.linalg.norm(theta_star) == 0),
                gd_rel_dist=_f(d0), gd_final_loss=_f(m0.final_loss_),
                sgd_lr=_f(lr), sgd_epochs=sgd_epochs,
                sgd_rel_dist=_f(dsgd[0]), sgd_rel_dist_small_step=None if dsgd[1] is None else _f(dsgd[1]),
                random=rand,
            ))
    return cases


def _exp_linreg_zero(cfg):
    cases = _shared(cfg, "linreg", _exp_linreg)
    keep = ("data", "n_samples", "n_features", "fit_intercept", "rank", "full_rank", "exact_fit",
            "max_abs_initial_output", "grad_norm_at_zero", "zero_is_solution", "gd_epochs",
            "gd_rel_dist", "sgd_rel_dist", "sgd_rel_dist_small_step")
    cases = [{k: c[k] for k in keep} for c in cases]
    ev = dict(
        n_cases=len(cases),
        max_abs_initial_output=max(c["max_abs_initial_output"] for c in cases),
        min_grad_norm_at_zero=min(c["grad_norm_at_zero"] for c in cases),
        max_gd_rel_dist=max(c["gd_rel_dist"] for c in cases),
        max_sgd_rel_dist_exact_data=max([c["sgd_rel_dist"] for c in cases if c["exact_fit"]], default=0.0),
        max_sgd_rel_dist_noisy=max([c["sgd_rel_dist"] for c in cases if not c["exact_fit"]], default=0.0),
        max_sgd_shrink_noisy=max([c["sgd_rel_dist_small_step"] / max(c["sgd_rel_dist"], 1e-300)
                                  for c in cases if not c["exact_fit"]], default=0.0),
        cases=cases,
    )
    ev["summary"] = (
        f"In {ev['n_cases']} runs from zero (full-rank and rank-deficient X, with and without "
        f"intercept) every first output was exactly {_fmt(ev['max_abs_initial_output'])}, the gradient "
        f"norm at zero was at least {_fmt(ev['min_grad_norm_at_zero'])}, and full-batch SGD ended within "
        f"a relative {_fmt(ev['max_gd_rel_dist'])} of the lstsq solution; per-sample SGD got to "
        f"{_fmt(ev['max_sgd_rel_dist_exact_data'])} on exact data and, on noisy data, to "
        f"{_fmt(ev['max_sgd_rel_dist_noisy'])}, a distance that shrank to at most "
        f"{_fmt(ev['max_sgd_shrink_noisy'])} of itself when the step was divided by {STEP_DIVISOR}.")
    return ev


def _case_reaches(c):
    """Did SGD from zero reach the least-squares solution in this case?"""
    gd = c["gd_rel_dist"] <= REACHED_RTOL
    small = c.get("sgd_rel_dist_small_step")
    sgd = c["sgd_rel_dist"] <= REACHED_RTOL or (
        not c["exact_fit"] and small is not None and small <= STEP_SHRINK * c["sgd_rel_dist"])
    return gd, sgd


def _explain_linreg_zero(ev, verdict, cond):
    parts = []
    parts.append("Confirmed: the first outputs are all zero" if ev["max_abs_initial_output"] == 0
                 else "Refuted: some first output was not zero")
    parts.append("the gradient at zero is not zero (it is -X^T y / n, nonzero unless y is orthogonal "
                 "to every feature)" if ev["min_grad_norm_at_zero"] > 0 else
                 "the gradient at zero vanished in some case")
    gd_ok = all(_case_reaches(c)[0] for c in ev["cases"])
    sgd_ok = all(_case_reaches(c)[1] for c in ev["cases"])
    if gd_ok:
        parts.append("full-batch SGD reached the lstsq solution in every case, on rank-deficient X the "
                     "minimum-norm one, because every update lies in the row space of X")
    if sgd_ok:
        parts.append("per-sample SGD reaches it exactly on noise-free data and, on noisy data, hovers at a "
                     "distance proportional to the step (a constant-step effect, not an initialization "
                     "effect)")
    text = "; ".join(parts) + "."
    if verdict == "depends":
        text += f" Condition: {cond}."
    return text


@_claim("linreg-zero-learns", "linreg",
        "Linear regression started from all-zero weights still learns: the first outputs are all zero, "
        "but the gradient is not, and SGD reaches the least-squares solution.",
        _exp_linreg_zero, _explain_linreg_zero)
def decide_linreg_zero_learns(ev):
    cases = ev["cases"]
    if any(c["max_abs_initial_output"] != 0 for c in cases):
        return "false", None
    if any(c["grad_norm_at_zero"] == 0 and not c["zero_is_solution"] for c in cases):
        return "false", None
    reach = [_case_reaches(c) for c in cases]
    if all(g and s for g, s in reach):
        return "true", None
    if all(g for g, _ in reach):
        return "depends", ("per-sample SGD with a constant step reaches the least-squares solution only up "
                           "to a distance that does not shrink with the step; full-batch SGD reaches it")
    if any(g for g, _ in reach):
        bad = sorted({c["data"] for c, (g, _) in zip(cases, reach) if not g})
        return "depends", "SGD did not reach the least-squares solution on: " + ", ".join(bad)
    return "false", None


def _exp_linreg_random(cfg):
    cases = _shared(cfg, "linreg", _exp_linreg)
    out = []
    for c in cases:
        r = c["random"]
        out.append(dict(
            data=c["data"], fit_intercept=c["fit_intercept"], rank=c["rank"], n_params=c["n_params"],
            full_rank=c["full_rank"],
            max_forget_ratio=max(x["forget_ratio"] for x in r),
            max_final_diff=max(x["final_diff"] for x in r),
            max_init_diff=max(x["init_diff"] for x in r),
            mean_null_fraction=float(np.mean([x["null_fraction"] for x in r])),
            max_null_change=max(x["null_change"] for x in r),
            max_loss_diff=max(x["loss_diff"] for x in r),
            sigmas=sorted({x["sigma"] for x in r}),
        ))
    full = [c for c in out if c["full_rank"]]
    deficient = [c for c in out if not c["full_rank"]]
    ev = dict(
        n_cases=len(out), n_full_rank=len(full), n_rank_deficient=len(deficient),
        max_forget_ratio_full_rank=max([c["max_forget_ratio"] for c in full], default=0.0),
        min_forget_ratio_rank_deficient=min([c["max_forget_ratio"] for c in deficient], default=0.0),
        max_null_change=max(c["max_null_change"] for c in out),
        max_loss_diff=max(c["max_loss_diff"] for c in out),
        cases=out,
    )
    ev["summary"] = (
        f"Starting from normal(0, 0.01) and normal(0, 0.1) instead of zeros: with full-rank X ({len(full)} "
        f"cases) the final weights differ from the zero-start ones by at most "
        f"{_fmt(ev['max_forget_ratio_full_rank'])} of the initial difference; with "
        f"rank-deficient X ({len(deficient)} cases) at least {_fmt(ev['min_forget_ratio_rank_deficient'])} "
        f"of it remains, and the start's component in the null space of X changed by "
        f"{_fmt(ev['max_null_change'])}"
        f". The training loss differs by at most {_fmt(ev['max_loss_diff'])} everywhere.")
    return ev


def _explain_linreg_random(ev, verdict, cond):
    text = ("Confirmed for the fit: the final training loss is the same from zero and from small random "
            f"weights in every case (difference <= {_fmt(ev['max_loss_diff'])}). ")
    if ev["n_full_rank"]:
        text += ("With full-rank X the loss has a unique minimizer, so the weights also agree: training "
                 f"forgets the start (ratio <= {_fmt(ev['max_forget_ratio_full_rank'])}). ")
    if ev["n_rank_deficient"]:
        text += ("With rank-deficient X (collinear features, or more features than samples) the gradient "
                 "X^T r / n always lies in the row space of X, so the random start's component in the null "
                 "space stays exactly as drawn: zero init ends at the minimum-norm solution, random init at "
                 "that solution plus its own null-space part; predictions on the training data agree, "
                 "predictions off the data's span do not. ")
    if verdict == "depends":
        text += f"Condition: {cond}."
    return text.strip()


@_claim("linreg-small-random-similar", "linreg",
        "Starting linear regression from small random weights gives more or less the same result as "
        "starting from zeros.", _exp_linreg_random, _explain_linreg_random)
def decide_linreg_small_random_similar(ev):
    cases = ev["cases"]
    same = [c["max_forget_ratio"] <= FORGET_RATIO and c["max_loss_diff"] <= LOSS_ATOL for c in cases]
    if all(same):
        return "true", None
    if not any(same):
        return "false", None
    full_ok = all(s for s, c in zip(same, cases) if c["full_rank"])
    deficient_bad = all(not s for s, c in zip(same, cases) if not c["full_rank"])
    if full_ok and deficient_bad:
        return "depends", ("X (with its column of ones when there is an intercept) must have full column rank; "
                           "otherwise the random start's null-space component is never trained away, so the "
                           "weights differ (the training loss is still the same)")
    bad = sorted({c["data"] for s, c in zip(same, cases) if not s})
    return "depends", "the start was not forgotten on: " + ", ".join(bad)


# ================================================================ logistic regression

def _exp_logreg(cfg):
    cases = []
    init_seeds = cfg.seeds("logreg-init", cfg.pick(2, 3))
    sets = []
    for i, s in enumerate(cfg.seeds("logreg-data", cfg.pick(2, 3))):
        sets.append(("separable d=5", *datasets.separable(n_samples=200, n_features=5, data_seed=s)))
        sets.append(("logistic (noisy) d=10", *datasets.logistic(n_samples=200, n_features=10, data_seed=s)))
        if not cfg.quick or i == 0:
            sets.append(("xor d=2", *datasets.xor(n_samples=200, data_seed=s)))
    epochs = cfg.pick(20, 40)
    for name, X, y in sets:
        for fit_intercept in (True, False):
            for lr in cfg.pick((0.1,), (0.02, 0.2)):
                common = dict(lr=lr, epochs=epochs, fit_intercept=fit_intercept)
                m0 = _fit(LogisticRegression, X, y, cfg, init="zeros", bias_init="zeros", **common)
                g0 = gradient_at_init(m0, X, y)
                mr = _fit(LogisticRegression, X, y, cfg, init="normal(0, 1)", bias_init="normal(0, 1)",
                          init_seed=init_seeds, **common)
                cases.append(dict(
                    data=name, fit_intercept=fit_intercept, lr=lr, epochs=epochs,
                    loss_at_zero=_f(g0.loss), grad_norm_at_zero=_f(g0.norm),
                    final_loss_zero=_f(m0.final_loss_), final_acc_zero=_f(m0.final_accuracy_),
                    final_loss_random=_f(np.median(mr.final_loss_)),
                    final_acc_random=_f(np.median(mr.final_accuracy_)),
                    best_loss_random=_f(np.min(mr.final_loss_)),
                ))
    ev = dict(
        n_cases=len(cases),
        min_grad_norm_at_zero=min(c["grad_norm_at_zero"] for c in cases),
        max_loss_gap=max(c["final_loss_zero"] - c["final_loss_random"] for c in cases),
        min_acc_gap=min(c["final_acc_zero"] - c["final_acc_random"] for c in cases),
        mean_loss_drop_zero=float(np.mean([c["loss_at_zero"] - c["final_loss_zero"] for c in cases])),
        cases=cases,
    )
    ev["summary"] = (
        f"In {len(cases)} runs (separable, noisy and XOR data; intercept on/off; several learning rates) "
        f"zero init starts at loss log 2 = 0.693 with a nonzero gradient (norm >= "
        f"{_fmt(ev['min_grad_norm_at_zero'])}), lowers the loss by {_fmt(ev['mean_loss_drop_zero'])} on average "
        f"and ends with a final loss at most {_fmt(ev['max_loss_gap'])} above the random "
        f"starts' median, accuracy "
        + ("at least as high" if ev["min_acc_gap"] >= 0 else f"at most {_fmt(-ev['min_acc_gap'])} below it") + ".")
    return ev


def _logreg_case_ok(c):
    stuck = c["grad_norm_at_zero"] == 0 and c["best_loss_random"] < c["loss_at_zero"] - LOSS_ATOL
    return (not stuck and c["final_loss_zero"] <= c["final_loss_random"] + LOSS_ATOL
            and c["final_acc_zero"] >= c["final_acc_random"] - ACC_ATOL)


def _explain_logreg(ev, verdict, cond):
    if verdict == "true":
        return ("Confirmed. At zero every output is 0 and every sigmoid is 1/2, but the gradient -X^T y / (2n) "
                "is not zero, so the first steps already move the weights toward the data; the loss is convex, "
                "so a zero gradient could only mean zero is already optimal. Zero init "
                "ends as well as random init in every run.")
    bad = [c["data"] for c in ev["cases"] if not _logreg_case_ok(c)]
    return ("Refuted in some runs: zero init ended clearly worse than random init on " + ", ".join(sorted(set(bad)))
            + (f". Condition: {cond}." if cond else "."))


@_claim("logreg-zero-learns", "linreg",
        "Zero initial weights do not prevent logistic regression from learning.", _exp_logreg, _explain_logreg)
def decide_logreg_zero_learns(ev):
    ok = [_logreg_case_ok(c) for c in ev["cases"]]
    if all(ok):
        return "true", None
    if not any(ok):
        return "false", None
    bad = sorted({c["data"] for o, c in zip(ok, ev["cases"]) if not o})
    return "depends", "zero init fell behind random init on: " + ", ".join(bad)


# ================================================================ MLP symmetry

def _dct_init(shape):
    """A deterministic weight matrix with distinct rows (no randomness at all)."""
    out, inp = shape
    i = np.arange(out)[:, None] + 1
    j = np.arange(inp)[None, :] + 0.5
    return np.cos(np.pi * i * j / inp + 0.3 * i) * math.sqrt(2.0 / inp)


def _mlp_sets(cfg, tag, n=200):
    sets = []
    for i, s in enumerate(cfg.seeds(tag, cfg.pick(2, 3))):
        sets.append(("teacher 10-10-1", (10,), *datasets.teacher_mlp(n_samples=n, sizes=(10, 10, 1), data_seed=s)))
        if not cfg.quick or i == 0:
            sets.append(("xor, net 2-8-8-1", (8, 8), *datasets.xor(n_samples=n, data_seed=s)))
    return sets


def _exp_mlp_symmetry(cfg):
    cases = []
    epochs = cfg.pick(30, 60)
    seeds = cfg.seeds("mlp-sym-init", cfg.pick(2, 3))
    for name, hidden, X, y in _mlp_sets(cfg, "mlp-sym-data"):
        for bias in (True, False):
            for loss in cfg.pick(("logistic",), ("logistic", "squared")):
                common = dict(hidden=hidden, loss=loss, lr=0.05, epochs=epochs, bias=bias)
                m0 = _fit(MLP, X, y, cfg, init="zeros", bias_init="zeros", **common)
                g = gradient_at_init(m0, X, y)
                grad_rows = []
                for l in range(len(hidden)):
                    gb = g.params.get(f"b{l + 1}")
                    grad_rows.append(distinct_hidden_units(g.params[f"W{l + 1}"], gb))
                hidden_grad_zero = all(np.all(g.zero[f"W{l + 1}"]) for l in range(len(hidden)))
                units_zero = [distinct_hidden_units(m0.weights_[l], None if not bias else m0.biases_[l],
                                                    atol=cfg.atol) for l in range(len(hidden))]
                moved = max(float(np.max(np.abs(m0.weights_[l] - m0.initial_weights_[l])))
                            for l in range(len(hidden)))
                mr = _fit(MLP, X, y, cfg, init="he_normal", init_seed=seeds, **common)
                units_rand = [min(distinct_hidden_units(mr.weights_[l][k],
                                                        None if not bias else mr.biases_[l][k], atol=cfg.atol)
                                  for k in range(len(seeds))) for l in range(len(hidden))]
                shapes = [(h, X.shape[1] if l == 0 else hidden[l - 1]) for l, h in enumerate(hidden)]
                det = [_dct_init(s) for s in shapes] + ["zeros"]
                md = _fit(MLP, X, y, cfg, init=det, **common)
                units_det = [distinct_hidden_units(md.weights_[l], None if not bias else md.biases_[l],
                                                   atol=cfg.atol) for l in range(len(hidden))]
                case = dict(
                    data=name, hidden=list(hidden), bias=bias, loss=loss, epochs=epochs,
                    grad_distinct_rows_at_zero=grad_rows, hidden_grad_all_zero=bool(hidden_grad_zero),
                    units_after_zero_init=units_zero, max_hidden_change_zero_init=moved,
                    acc_zero_init=_f(m0.final_accuracy_),
                    min_units_after_random_init=units_rand, acc_random_init=_f(np.median(mr.final_accuracy_)),
                    units_after_deterministic_init=units_det, acc_deterministic_init=_f(md.final_accuracy_),
                )
                if bias:
                    mb = _fit(MLP, X, y, cfg, init="zeros", bias_init="normal(0, 0.5)", init_seed=seeds, **common)
                    case["min_units_zero_weights_random_biases"] = [
                        min(distinct_hidden_units(mb.weights_[l][k], mb.biases_[l][k], atol=cfg.atol)
                            for k in range(len(seeds))) for l in range(len(hidden))]
                    case["acc_zero_weights_random_biases"] = _f(np.median(mb.final_accuracy_))
                cases.append(case)
    ev = dict(
        n_cases=len(cases),
        max_grad_distinct_rows_at_zero=max(max(c["grad_distinct_rows_at_zero"]) for c in cases),
        max_units_after_zero_init=max(max(c["units_after_zero_init"]) for c in cases),
        max_hidden_change_zero_init=max(c["max_hidden_change_zero_init"] for c in cases),
        min_units_after_random_init=min(min(c["min_units_after_random_init"]) for c in cases),
        mean_acc_zero_init=float(np.mean([c["acc_zero_init"] for c in cases])),
        mean_acc_random_init=float(np.mean([c["acc_random_init"] for c in cases])),
        min_units_after_deterministic_init=min(min(c["units_after_deterministic_init"]) for c in cases),
        mean_acc_deterministic_init=float(np.mean([c["acc_deterministic_init"] for c in cases])),
        cases=cases,
    )
    rb = [c for c in cases if "min_units_zero_weights_random_biases" in c]
    if rb:
        ev["min_units_zero_weights_random_biases"] = min(min(c["min_units_zero_weights_random_biases"]) for c in rb)
        ev["mean_acc_zero_weights_random_biases"] = float(np.mean([c["acc_zero_weights_random_biases"] for c in rb]))
    ev["summary"] = (
        f"In {len(cases)} settings (teacher and XOR data, 1 and 2 hidden layers, bias on/off) the gradient at "
        f"all-zero weights has {ev['max_grad_distinct_rows_at_zero']} distinct row(s) per hidden layer (all zero), "
        f"and after training from zero each hidden layer still has {ev['max_units_after_zero_init']} distinct "
        f"unit(s) (largest change {_fmt(ev['max_hidden_change_zero_init'])}), accuracy "
        f"{_fmt(ev['mean_acc_zero_init'])}; from he_normal every layer has at least "
        f"{ev['min_units_after_random_init']} distinct units and accuracy {_fmt(ev['mean_acc_random_init'])}. "
        f"A deterministic init with distinct rows also gives {ev['min_units_after_deterministic_init']}+ units "
        f"(accuracy {_fmt(ev['mean_acc_deterministic_init'])}).")
    return ev


def _explain_mlp_symmetry(ev, verdict, cond):
    text = []
    if ev["max_grad_distinct_rows_at_zero"] == 1:
        text.append("Confirmed: at all-zero weights every hidden unit gets the same gradient - in fact zero, "
                    "since the hidden outputs relu(0) = 0 make the output weights' gradient zero and the zero "
                    "output weights send no error back")
    if ev["max_units_after_zero_init"] == 1:
        text.append("the symmetry is never broken by training from zero (the hidden layers do not move at all)")
    if ev["min_units_after_random_init"] > 1:
        text.append("random init breaks it: every unit ends different")
    s = "; ".join(text) + "."
    if ev.get("min_units_after_deterministic_init", 0) > 1:
        s += (" Refinement: what is needed is unequal units, not randomness as such - a deterministic init with "
              f"distinct rows also learns (accuracy {_fmt(ev['mean_acc_deterministic_init'])})")
        if ev.get("min_units_zero_weights_random_biases", 0) > 1:
            s += (", and zero weights with random biases also break the symmetry (accuracy "
                  f"{_fmt(ev['mean_acc_zero_weights_random_biases'])})")
        s += "."
    if verdict == "false":
        s = "Refuted: " + s
    return s


@_claim("mlp-zero-symmetric", "linreg",
        "In a network with hidden units, zero initial weights give the hidden units identical gradients, so "
        "random initialization is needed to break the symmetry.", _exp_mlp_symmetry, _explain_mlp_symmetry)
def decide_mlp_zero_symmetric(ev):
    identical = ev["max_grad_distinct_rows_at_zero"] == 1
    stuck = ev["max_units_after_zero_init"] == 1
    random_breaks = ev["min_units_after_random_init"] > 1
    if identical and stuck and random_breaks:
        return "true", None
    return "false", None


# ================================================================ warm start

def _warm_compare(est, X, y, cfg, starts, budgets, rule, common, long_epochs=None):
    """Train from each start for each budget; losses of the final weights on (X, y)."""
    out = {}
    for name, start in starts.items():
        runs = [_fit(est, X, y, cfg, epochs=k, **start, **common) for k in budgets]
        m = runs[0]
        Ws = [np.asarray(W) for W in m.initial_weights_]
        bs = None if m.initial_biases_ is None else [np.asarray(b) for b in m.initial_biases_]
        y_enc = y if rule == "squared" else np.where(y == np.max(y), 1.0, -1.0)
        out[name] = dict(
            loss_at_start=_f(gradient(Ws, bs, X, y_enc, rule).loss),
            loss=[_f(r.final_loss_) for r in runs],
            accuracy=None if rule == "squared" else [_f(r.final_accuracy_) for r in runs],
        )
        if long_epochs:
            out[name]["long"] = _fit(est, X, y, cfg, epochs=long_epochs, **start, **common)
    return out


def _exp_warm(cfg):
    """Pretrain on one half of a data set (related) or on another data set (unrelated), then
    train on the other half from those weights, from zeros, and (MLP) from a fresh random start."""
    cases = []
    budgets = cfg.pick((1, 10), (1, 3, 10, 30))
    long_epochs = cfg.pick(150, 300)
    for i, s in enumerate(cfg.seeds("warm-data", cfg.pick(2, 3))):
        s_other = s + 7919
        models = [
            ("linear regression", LinearRegression, "squared", dict(lr=0.01), True,
             lambda seed, n: datasets.linear(n_samples=n, n_features=10, noise=0.3, data_seed=seed)),
            ("logistic regression", LogisticRegression, "logistic", dict(lr=0.05), True,
             lambda seed, n: datasets.logistic(n_samples=n, n_features=10, noise=1.0, data_seed=seed)),
        ]
        if not cfg.quick or i == 0:
            models.append(("MLP 10-10-1", MLP, "logistic", dict(hidden=(10,), lr=0.05), False,
                           lambda seed, n: datasets.teacher_mlp(n_samples=n, sizes=(10, 10, 1), data_seed=seed)))
        for name, est, rule, common, convex, make in models:
            X, y = make(s, 400)
            Xo, yo = make(s_other, 200)
            pre_args = dict(epochs=30 if convex else 60, **common)
            if not convex:
                pre_args["init_seed"] = s % 1000
            for related, (Xp, yp) in (("related", (X[:200], y[:200])), ("unrelated", (Xo, yo))):
                p = _fit(est, Xp, yp, cfg, **pre_args)
                if convex:
                    starts = dict(warm=_linear_starts(p)[0], zero=_linear_starts(p)[1])
                else:
                    starts = dict(warm=dict(init=[W.copy() for W in p.weights_],
                                            bias_init=[b.copy() for b in p.biases_]),
                                  zero=dict(init="zeros"),
                                  random=dict(init="he_normal", init_seed=s % 1000 + 1))
                res = _warm_compare(est, X[200:], y[200:], cfg, starts, budgets, rule, common,
                                    long_epochs if convex else None)
                cases.append(_warm_case(name, related, convex, budgets, res))
    rel = [c for c in cases if c["pretrained_on"] == "related"]
    unrel = [c for c in cases if c["pretrained_on"] == "unrelated"]
    ev = dict(
        n_cases=len(cases), budgets=list(budgets), long_epochs=long_epochs,
        min_related_gain_first_budget=min(c["gains"][0] for c in rel),
        min_related_gain_any_budget=min(min(c["gains"]) for c in rel),
        min_related_gain_last_budget=min(c["gains"][-1] for c in rel),
        n_related_behind_somewhere=sum(not c["ahead_everywhere"] for c in rel),
        n_related_start_loss_above_zero=sum(c["start_loss_warm"] > c["start_loss_zero"] for c in rel),
        max_long_final_rel_gap_convex=max([abs(c["long_final_rel_gap"]) for c in cases if c["convex"]], default=0.0),
        max_long_weight_rel_diff_convex=max([c["long_weight_rel_diff"] for c in cases if c["convex"]], default=0.0),
        min_unrelated_gain_first_budget=min([c["gains"][0] for c in unrel], default=0.0),
        cases=cases,
    )
    ev["summary"] = (
        f"Training on new data from the same source ({len(rel)} runs: linear, logistic regression, MLP) for "
        f"{list(budgets)} epochs: the pretrained start was ahead of zero init by up to "
        f"{_fmt(max(c['gains'][0] for c in rel))} in loss after one epoch; {ev['n_related_behind_somewhere']} run(s) "
        f"were behind at some budget (loss more than {int(LOSS_ATOL * 100)}% higher without being more accurate; "
        f"largest loss excess {_fmt(max(0.0, -ev['min_related_gain_any_budget']))}); "
        f"{ev['n_related_start_loss_above_zero']} pretrained start(s) began with a higher loss than zero's. "
        f"Given {long_epochs} epochs the convex models' final losses from the two starts differ by a relative "
        f"{_fmt(ev['max_long_final_rel_gap_convex'])} or less, their weights by "
        f"{_fmt(ev['max_long_weight_rel_diff_convex'])} or less. Weights pretrained on unrelated data are up to "
        f"{_fmt(max(0.0, -ev['min_unrelated_gain_first_budget']))} worse than zero after one epoch.")
    return ev


def _linear_starts(pretrained):
    """Estimator arguments for (warm start from ``pretrained``, zero start)."""
    return (dict(init=np.asarray(pretrained.coef_), bias_init=np.array([pretrained.intercept_])),
            dict(init="zeros", bias_init="zeros"))


def _warm_case(model, related, convex, budgets, res):
    lw, lz = np.array(res["warm"]["loss"]), np.array(res["zero"]["loss"])
    gains = lz - lw
    # Behind = a clearly higher loss, unless (for a classifier) clearly more accurate: a few
    # over-confident errors can lift the logistic loss above log 2, the loss of the constant
    # zero network, while most labels are right.
    behind = gains < -LOSS_ATOL * np.abs(lz)
    if res["warm"]["accuracy"] is not None:
        behind &= ~(np.array(res["warm"]["accuracy"]) > np.array(res["zero"]["accuracy"]) + ACC_ATOL)
    out = dict(
        model=model, pretrained_on=related, convex=convex, budgets=list(budgets),
        start_loss_warm=res["warm"]["loss_at_start"], start_loss_zero=res["zero"]["loss_at_start"],
        loss_warm=[_f(v) for v in lw], loss_zero=[_f(v) for v in lz], gains=[_f(g) for g in gains],
        behind=[bool(b) for b in behind],
        ahead_everywhere=not bool(np.any(behind)), ahead_at_end=not bool(behind[-1]),
    )
    if res["warm"]["accuracy"] is not None:
        out["accuracy_warm"] = res["warm"]["accuracy"]
        out["accuracy_zero"] = res["zero"]["accuracy"]
    if "random" in res:
        out["loss_random"] = res["random"]["loss"]
        out["accuracy_random"] = res["random"]["accuracy"]
    if "long" in res["warm"]:
        a, b = res["warm"].pop("long"), res["zero"].pop("long")
        out["long_final_rel_gap"] = _f((b.final_loss_ - a.final_loss_) / max(b.final_loss_, 1e-12))
        out["long_weight_rel_diff"] = _f(np.linalg.norm(_theta(a) - _theta(b)) / max(np.linalg.norm(_theta(b)), 1e-300))
    return out


def _explain_warm(ev, verdict, cond):
    s = ("Confirmed for weights that are good for the new data: starting from them gives a lower (or equal) loss "
         "after every training budget tried. " if verdict == "true" else "")
    s += ("For the convex models (linear, logistic regression) the advantage is speed only: given enough epochs "
          "zero init reaches the same solution. For the MLP, zero init cannot learn at all (the hidden layer never "
          "moves), so any sensible comparison is with a fresh random start, which the warm start also beats. "
          "The premise matters: weights pretrained on unrelated data start worse than zeros.")
    if verdict == "depends":
        s += f" Condition: {cond}."
    if verdict == "false":
        s = "Refuted: the warm start was worse than zero init in some related run. " + s
    return s


@_claim("warm-start-better", "linreg",
        "When good weights already exist (for example from a pretrained model), continuing from them is better "
        "than re-initializing to zero and training from scratch.", _exp_warm, _explain_warm)
def decide_warm_start_better(ev):
    rel = [c for c in ev["cases"] if c["pretrained_on"] == "related"]
    if all(c["ahead_everywhere"] for c in rel):
        return "true", None
    if all(c["ahead_at_end"] for c in rel):
        return "depends", ("on the training budget: the pretrained start fell behind zero init at a short budget "
                           "in some runs (it began with over-confident errors on the new data) and caught up later")
    return "false", None


# ================================================================ the quiz (001)

def _teacher_loss(Ws, bs, X, y):
    return gradient(Ws, bs, X, y, "logistic").loss


def _exp_quiz(cfg):
    """The 10-10-1 ReLU network, sign labels, realizable balanced data, SGD from all zeros."""
    runs = []
    convexity = []
    epochs = cfg.pick(20, 40)
    rand_seeds = cfg.seeds("quiz-init", cfg.pick(2, 4))
    for s in cfg.seeds("quiz-data", cfg.pick(2, 4)):
        X, y, teacher = datasets.teacher_mlp(n_samples=200, sizes=(10, 10, 1), data_seed=s, return_teacher=True)
        for bias in (True, False):
            for loss in cfg.pick(("logistic", "hinge"), ("logistic", "hinge", "squared")):
                for lr in cfg.pick((0.1,), (0.01, 0.1)):
                    for batch in (1, len(X)):
                        m = _fit(MLP, X, y, cfg, hidden=(10,), init="zeros", bias_init="zeros", bias=bias,
                                 loss=loss, lr=lr, epochs=epochs, batch_size=batch)
                        ch = {f"W{l + 1}": _f(np.max(np.abs(m.weights_[l] - m.initial_weights_[l])))
                              for l in range(2)}
                        if bias:
                            ch.update({f"b{l + 1}": _f(np.max(np.abs(m.biases_[l] - m.initial_biases_[l])))
                                       for l in range(2)})
                        g = gradient_at_init(m, X, y)
                        runs.append(dict(data_seed=s, bias=bias, loss=loss, lr=lr, batch_size=batch,
                                         change=ch, final_accuracy=_f(m.final_accuracy_),
                                         final_loss=_f(m.final_loss_), grad_norm_at_zero=_f(g.norm),
                                         grad_n_zero=g.n_zero, n_params=g.n_params))
        mr = _fit(MLP, X, y, cfg, hidden=(10,), init="he_normal", lr=0.1, epochs=cfg.pick(60, 100),
                  init_seed=rand_seeds)
        # Non-convexity: the teacher and the teacher with its hidden units permuted compute the same
        # function (same loss), but their midpoint does not.
        Ws, bs = [W * 3.0 for W in teacher["weights"]], [b * 3.0 for b in teacher["biases"]]
        perm = np.roll(np.arange(10), 1)
        Wp = [Ws[0][perm], Ws[1][:, perm]]
        bp = [bs[0][perm], bs[1]]
        mid_W = [(a + b) / 2 for a, b in zip(Ws, Wp)]
        mid_b = [(a + b) / 2 for a, b in zip(bs, bp)]
        l_t, l_p, l_m = (_teacher_loss(Ws, bs, X, y), _teacher_loss(Wp, bp, X, y),
                         _teacher_loss(mid_W, mid_b, X, y))
        # Is the all-zero point a local minimum? Move along the teacher's weights (output bias 0).
        Wt, bt = teacher["weights"], [teacher["biases"][0], np.zeros(1)]
        l0 = _teacher_loss([np.zeros_like(W) for W in Wt], [np.zeros_like(b) for b in bt], X, y)
        drops = {str(eps): _f(l0 - _teacher_loss([eps * W for W in Wt], [eps * b for b in bt], X, y))
                 for eps in (0.1, 0.01)}
        convexity.append(dict(data_seed=s, loss_teacher=_f(l_t), loss_permuted=_f(l_p), loss_midpoint=_f(l_m),
                              convexity_gap=_f(l_m - (l_t + l_p) / 2),
                              random_init_acc=[_f(a) for a in mr.final_accuracy_],
                              loss_at_zero=_f(l0), loss_drop_along_teacher=drops))
    return dict(runs=runs, convexity=convexity, epochs=epochs)


def _quiz_common(q):
    runs = q["runs"]
    mat = max(max(r["change"]["W1"], r["change"]["W2"]) for r in runs)
    b1 = max([r["change"]["b1"] for r in runs if r["bias"]], default=0.0)
    b2 = [r["change"]["b2"] for r in runs if r["bias"]]
    return dict(
        n_runs=len(runs), n_datasets=len(q["convexity"]), epochs=q["epochs"],
        max_change_weight_matrices=mat,
        max_change_hidden_bias=b1,
        max_change_output_bias=max(b2, default=0.0),
        max_change_output_bias_full_batch=max([r["change"]["b2"] for r in runs
                                               if r["bias"] and r["batch_size"] > 1], default=0.0),
        max_change_no_bias_network=max([max(r["change"].values()) for r in runs if not r["bias"]], default=0.0),
        max_acc_zero_init=max(r["final_accuracy"] for r in runs),
        min_acc_zero_init=min(r["final_accuracy"] for r in runs),
        max_grad_norm_at_zero=max(r["grad_norm_at_zero"] for r in runs),
        max_acc_random_init=max(max(c["random_init_acc"]) for c in q["convexity"]),
        median_acc_random_init=float(np.median([a for c in q["convexity"] for a in c["random_init_acc"]])),
        min_convexity_gap=min(c["convexity_gap"] for c in q["convexity"]),
        max_convexity_gap=max(c["convexity_gap"] for c in q["convexity"]),
        max_perm_loss_diff=max(abs(c["loss_teacher"] - c["loss_permuted"]) for c in q["convexity"]),
        min_loss_drop_along_teacher=min(min(c["loss_drop_along_teacher"].values()) for c in q["convexity"]),
    )


def _quiz_evidence(cfg, keys, summary):
    q = _shared(cfg, "quiz", _exp_quiz)
    c = _quiz_common(q)
    ev = {k: c[k] for k in keys}
    ev["summary"] = summary(c)
    return ev


_QUIZ_SETTING = ("10-10-1 ReLU network on balanced data labelled by a random 10-10-1 teacher, SGD from all-zero "
                 "weights")


def _exp_quiz_convex(cfg):
    return _quiz_evidence(cfg, ("n_runs", "n_datasets", "max_convexity_gap", "min_convexity_gap",
                                "max_perm_loss_diff", "max_acc_zero_init", "max_acc_random_init"),
                          lambda c: (
        f"Swapping hidden units leaves the teacher's loss unchanged (difference {_fmt(c['max_perm_loss_diff'])}) "
        f"but the midpoint of the two weight vectors has a higher loss, by {_fmt(c['min_convexity_gap'])} to "
        f"{_fmt(c['max_convexity_gap'])} (positive = not convex). From zero, in {c['n_runs']} runs on "
        f"{c['n_datasets']} data sets, the best training accuracy was {_fmt(c['max_acc_zero_init'])} "
        f"(random init reached {_fmt(c['max_acc_random_init'])})."))


def _explain_quiz_convex(ev, verdict, cond):
    if verdict == "true":
        return "Every run from zero reached 100% accuracy and no convexity violation was found."
    parts = []
    if ev["max_convexity_gap"] > 0:
        parts.append("the premise does not apply: this problem is not convex (permuting hidden units gives another "
                     "minimizer with the same loss, and the midpoint of the two is worse)")
    if ev["max_acc_zero_init"] < 1.0:
        parts.append(f"the conclusion fails: from all-zero weights SGD never reached the correct weights - the best "
                     f"training accuracy was {_fmt(ev['max_acc_zero_init'])}")
    return ("Refuted: " + "; and ".join(parts) + ". (Convexity would give convergence of the loss, not uniqueness "
            "of the weights, anyway.)")


@_claim("quiz-convex-converges", "quiz",
        "SGD is guaranteed to converge on convex problems, hence it will always converge to the correct weights.",
        _exp_quiz_convex, _explain_quiz_convex)
def decide_quiz_convex_converges(ev):
    nonconvex = ev["max_convexity_gap"] > 0
    always_correct = ev["max_acc_zero_init"] >= 1.0 and ev.get("min_acc_zero_init", ev["max_acc_zero_init"]) >= 1.0
    if nonconvex or not always_correct:
        return "false", None
    return "true", None


def _exp_quiz_no_change(cfg):
    return _quiz_evidence(cfg, ("n_runs", "n_datasets", "epochs", "max_change_weight_matrices",
                                "max_change_hidden_bias", "max_change_output_bias",
                                "max_change_output_bias_full_batch", "max_change_no_bias_network"), lambda c: (
        f"In {c['n_runs']} runs ({c['n_datasets']} data sets; losses, learning rates, per-sample and full-batch, "
        f"bias on/off; {c['epochs']} epochs) the largest change of any weight matrix was "
        f"{_fmt(c['max_change_weight_matrices'])} and of the hidden biases {_fmt(c['max_change_hidden_bias'])}; "
        f"the output bias moved by up to {_fmt(c['max_change_output_bias'])} with per-sample SGD "
        f"({_fmt(c['max_change_output_bias_full_batch'])} with the full-batch gradient, since the labels are "
        f"balanced); without biases nothing moved ({_fmt(c['max_change_no_bias_network'])})."))


def _explain_quiz_no_change(ev, verdict, cond):
    s = ("Confirmed for the weight matrices: at zero the hidden outputs are relu(0) = 0, so the output weights get "
         "gradient (error x 0) = 0, and the hidden weights get (output weight = 0) x error x relu'(0) = 0; since nothing "
         "changes, this repeats at every step. ")
    if verdict == "depends":
        s += "Refuted if the output bias counts as a weight: its gradient is the error itself, so per-sample SGD moves it"
        if ev.get("max_change_output_bias_full_batch", 1.0) == 0:
            s += " (with the full-batch gradient it stays put too, because the labels are exactly balanced)"
        s += f". Condition: {cond}."
    elif verdict == "false":
        s = "Refuted: some weight matrix changed. " + s
    return s


@_claim("quiz-no-change", "quiz", "The SGD process will not change the weights at all.",
        _exp_quiz_no_change, _explain_quiz_no_change)
def decide_quiz_no_change(ev):
    if ev["max_change_weight_matrices"] != 0 or ev["max_change_hidden_bias"] != 0:
        return "false", None
    if ev["max_change_output_bias"] != 0:
        if ev["max_change_no_bias_network"] == 0:
            return "depends", ("true for every weight matrix, and for all parameters of a network without "
                               "biases; with biases, per-sample SGD moves the output bias (only that)")
        return "false", None
    return "true", None


def _exp_quiz_some(cfg):
    return _quiz_evidence(cfg, ("n_runs", "n_datasets", "max_acc_zero_init", "min_acc_zero_init",
                                "max_acc_random_init", "median_acc_random_init", "max_change_weight_matrices"),
                          lambda c: (
        f"On {c['n_datasets']} realizable balanced data sets ({c['n_runs']} runs from zero) the training accuracy "
        + (f"was {_fmt(c['max_acc_zero_init'])} in every run" if c['min_acc_zero_init'] == c['max_acc_zero_init']
           else f"was between {_fmt(c['min_acc_zero_init'])} and {_fmt(c['max_acc_zero_init'])}")
        + f": the network outputs the "
        f"same sign for every input while the weight matrices stay put (largest change "
        f"{_fmt(c['max_change_weight_matrices'])}). The same data sets are learnable: random init reached "
        f"{_fmt(c['max_acc_random_init'])} (median {_fmt(c['median_acc_random_init'])})."))


def _explain_quiz_some(ev, verdict, cond):
    if verdict == "false":
        return ("Refuted: from all-zero weights the network stays a constant function for every data set, because no "
                "hidden weight ever changes; a constant sign is right on exactly half of a balanced data set, so no "
                "data set of this kind is learned. Random init learns the same data sets, so the failure is the "
                "initialization's, not the data's.")
    return "Some runs from zero classified their data set perfectly."


@_claim("quiz-some-datasets", "quiz",
        "For some data sets, the SGD process will converge to the correct weights.", _exp_quiz_some, _explain_quiz_some)
def decide_quiz_some_datasets(ev):
    if ev["max_acc_zero_init"] >= 1.0:
        return "true", None
    return "false", None


def _exp_quiz_local(cfg):
    return _quiz_evidence(cfg, ("n_runs", "n_datasets", "min_convexity_gap", "max_change_weight_matrices",
                                "max_change_output_bias", "min_loss_drop_along_teacher"), lambda c: (
        f"The midpoint of two equivalent minimizers is worse than both by >= {_fmt(c['min_convexity_gap'])} "
        f"(positive = non-convex). "
        f"In {c['n_runs']} runs from zero the largest change of a weight matrix was "
        f"{_fmt(c['max_change_weight_matrices'])} (the output bias moved by up to "
        f"{_fmt(c['max_change_output_bias'])}); and moving from the all-zero point a "
        f"little toward the teacher lowers the loss by >= {_fmt(c['min_loss_drop_along_teacher'])} (positive = "
        f"a descent direction: not a local minimum)."))


def _explain_quiz_local(ev, verdict, cond):
    if verdict == "true":
        return "The weights changed and the problem is non-convex, as stated."
    s = ("Confirmed: the problem is non-convex. " if ev["min_convexity_gap"] > 0 else
         "Refuted: no convexity violation was found. ")
    if ev["max_change_weight_matrices"] == 0:
        s += ("Refuted: the weights are NOT changed by SGD - non-convexity is not what decides the outcome; the zero "
              "point is stationary for every hidden and output weight")
        if ev["min_loss_drop_along_teacher"] > 0:
            s += (", and it is not a local minimum but a saddle point (a small step toward the teacher's weights "
                  "lowers the loss) that gradient steps cannot leave because its first-order signal is exactly zero")
        s += "."
    return s


@_claim("quiz-nonconvex-local-min", "quiz",
        "This is a non-convex problem, hence the weights will be changed by SGD, but might converge to a local "
        "minimum.", _exp_quiz_local, _explain_quiz_local)
def decide_quiz_nonconvex_local_min(ev):
    nonconvex = ev["min_convexity_gap"] > 0
    changed = ev["max_change_weight_matrices"] > 0
    if nonconvex and changed:
        return "true", None
    return "false", None


# ================================================================ equal weights

def _collapse(Ws, bs):
    """The one-neuron-per-layer network equivalent to a network with identical units."""
    cW, cb = [], []
    for l, W in enumerate(Ws):
        row = W[0:1]
        if l > 0:
            row = row.sum(axis=1, keepdims=True)  # all inputs of this layer are equal copies
        cW.append(row)
        if bs is not None:
            cb.append(bs[l][0:1])
    return cW, (cb if bs is not None else None)


def _exp_equal(cfg):
    runs = []
    epochs = cfg.pick(30, 60)
    sets = []
    for i, s in enumerate(cfg.seeds("equal-data", cfg.pick(2, 3))):
        sets.append(("teacher 10-10-1", (10,), *datasets.teacher_mlp(n_samples=200, sizes=(10, 10, 1), data_seed=s)))
        if not cfg.quick or i == 0:
            sets.append(("separable d=5", (6, 6), *datasets.separable(n_samples=200, n_features=5, data_seed=s)))
            sets.append(("xor", (8,), *datasets.xor(n_samples=200, data_seed=s)))
    for name, hidden, X, y in sets:
        for c in cfg.pick((0.2, -0.1), (0.5, 0.2, 0.05, -0.1)):
            for bias in (True, False):
                m = _fit(MLP, X, y, cfg, hidden=hidden, init=f"constant({c})", bias_init=f"constant({c})",
                         bias=bias, lr=0.05, epochs=epochs)
                g = gradient_at_init(m, X, y)
                units = [distinct_hidden_units(m.weights_[l], None if m.biases_ is None else m.biases_[l],
                                               atol=cfg.atol) for l in range(len(hidden))]
                values = [int(np.unique(W).size) for W in m.weights_]
                Wc, bc = _collapse(m.weights_, m.biases_)
                z = m.decision_function(X)
                zc = reference.predict_raw(Wc, bc, X)
                runs.append(dict(
                    data=name, hidden=list(hidden), c=c, bias=bias, epochs=epochs,
                    grad_distinct_values=[int(np.unique(g.params[f"W{l + 1}"]).size) for l in range(len(hidden) + 1)],
                    grad_distinct_rows=[distinct_hidden_units(g.params[f"W{l + 1}"]) for l in range(len(hidden))],
                    distinct_units=units, distinct_weight_values=values,
                    collapse_rel_err=_f(np.max(np.abs(z - zc)) / max(np.max(np.abs(z)), 1e-300)),
                    loss_at_init=_f(g.loss), final_loss=_f(m.final_loss_),
                    rel_loss_decrease=_f((g.loss - m.final_loss_) / g.loss),
                    final_accuracy=_f(m.final_accuracy_),
                ))
                if bias and c == cfg.pick((0.2, -0.1), (0.5, 0.2, 0.05, -0.1))[0]:
                    mb = _fit(MLP, X, y, cfg, hidden=hidden, init=f"constant({c})", bias_init="normal(0, 0.1)",
                              bias=True, lr=0.05, epochs=epochs)
                    runs[-1]["distinct_units_random_biases"] = [
                        distinct_hidden_units(mb.weights_[l], mb.biases_[l], atol=cfg.atol) for l in range(len(hidden))]
        mr = _fit(MLP, X, y, cfg, hidden=hidden, init="he_normal", lr=0.05, epochs=epochs,
                  init_seed=cfg.seeds("equal-rand", 1)[0])
        for r in runs:
            if r["data"] == name and "random_init_accuracy" not in r:
                r["random_init_accuracy"] = _f(mr.final_accuracy_)
    return dict(runs=runs, atol=cfg.atol, backend=cfg.backend)


def _add_random_bias_units(ev, runs):
    """Fewest distinct units seen in the runs that also tried random biases."""
    rb = [r for r in runs if "distinct_units_random_biases" in r]
    if rb:
        ev["min_distinct_units_random_biases"] = min(min(r["distinct_units_random_biases"]) for r in rb)



def _exp_equal_stay(cfg):
    q = _shared(cfg, "equal", _exp_equal)
    runs = q["runs"]
    ev = dict(
        n_runs=len(runs), backend=q["backend"], atol=q["atol"],
        max_distinct_units=max(max(r["distinct_units"]) for r in runs),
        max_grad_distinct_rows=max(max(r["grad_distinct_rows"]) for r in runs),
        max_grad_distinct_values_first_layer=max(r["grad_distinct_values"][0] for r in runs),
        max_distinct_values_first_layer=max(r["distinct_weight_values"][0] for r in runs),
        max_distinct_values_other_layers=max(max(r["distinct_weight_values"][1:]) for r in runs),
        runs=[{k: r[k] for k in ("data", "hidden", "c", "bias", "grad_distinct_values", "grad_distinct_rows",
                                 "distinct_units", "distinct_weight_values")} for r in runs],
    )
    _add_random_bias_units(ev, runs)
    ev["summary"] = (
        f"In {len(runs)} runs with every weight (and bias) set to the same constant c, the gradient at the start "
        f"has {ev['max_grad_distinct_rows']} distinct row(s) per hidden layer but up to "
        f"{ev['max_grad_distinct_values_first_layer']} distinct values in the first layer (one per input); after "
        f"training every hidden layer still has {ev['max_distinct_units']} distinct unit(s) (compared bit for bit), "
        f"while the first layer holds up to {ev['max_distinct_values_first_layer']} distinct weight values.")
    return ev


def _explain_equal_stay(ev, verdict, cond):
    if verdict == "depends":
        return ("Confirmed for hidden units: units that start equal get equal gradients and remain exact copies of "
                "each other at every step (bit for bit on the compiled core). Refuted for individual weights: the "
                "weight from input j receives error x x_j, which differs between inputs, so the weights inside one "
                "unit spread apart after the first step (only layers whose inputs are themselves equal copies keep "
                f"all their weights equal). Condition: {cond}.")
    if verdict == "true":
        return "Confirmed: every weight stayed equal to every other weight in every run."
    return "Refuted: even the hidden units became different in some run."


@_claim("equal-weights-stay-equal", "quiz",
        "If all weights start equal, every weight receives the same gradient signal, and they remain equal at all "
        "future steps.", _exp_equal_stay, _explain_equal_stay)
def decide_equal_weights_stay_equal(ev):
    units_equal = ev["max_distinct_units"] == 1
    entries_equal = (ev["max_distinct_values_first_layer"] == 1 and ev["max_distinct_values_other_layers"] == 1
                     and ev["max_grad_distinct_values_first_layer"] == 1)
    if units_equal and entries_equal:
        return "true", None
    if units_equal:
        return "depends", ("'weights' must mean whole hidden units (each unit's vector of weights), which stay "
                           "identical; individual weights on different inputs receive different gradients")
    return "false", None


def _exp_equal_learning(cfg):
    q = _shared(cfg, "equal", _exp_equal)
    runs = q["runs"]
    nz = [r for r in runs if r["c"] != 0]
    best = max(nz, key=lambda r: r["rel_loss_decrease"])
    ev = dict(
        n_runs=len(nz),
        max_rel_loss_decrease=best["rel_loss_decrease"],
        min_rel_loss_decrease=min(r["rel_loss_decrease"] for r in nz),
        n_runs_learning=sum(r["rel_loss_decrease"] > LEARN_RTOL for r in nz),
        best_run=dict(data=best["data"], c=best["c"], bias=best["bias"], loss_at_init=best["loss_at_init"],
                      final_loss=best["final_loss"], final_accuracy=best["final_accuracy"],
                      random_init_accuracy=best["random_init_accuracy"]),
        max_distinct_units=max(max(r["distinct_units"]) for r in runs),
        runs=[{k: r[k] for k in ("data", "hidden", "c", "bias", "loss_at_init", "final_loss", "rel_loss_decrease",
                                 "final_accuracy", "random_init_accuracy")} for r in runs],
    )
    b = ev["best_run"]
    ev["summary"] = (
        f"In {ev['n_runs_learning']} of {len(nz)} runs from equal nonzero weights the loss fell by more than "
        f"{int(LEARN_RTOL * 100)}%; e.g. on {b['data']} with c={b['c']} it went from {_fmt(b['loss_at_init'])} to "
        f"{_fmt(b['final_loss'])} (accuracy {_fmt(b['final_accuracy'])}; random init {_fmt(b['random_init_accuracy'])}) "
        f"while the hidden units stayed identical ({ev['max_distinct_units']} distinct).")
    return ev


def _explain_equal_learning(ev, verdict, cond):
    if verdict == "false":
        return ("Refuted: with equal nonzero weights the units stay identical, but the network still learns - as a "
                "network with one neuron per hidden layer, which can fit a good part of many data sets (the loss "
                "falls). What symmetry costs is capacity, not learning. The exception is the common value 0, where "
                "nothing is learned (see quiz-no-change).")
    return "Confirmed: no run from equal weights lowered its loss by more than the threshold."


@_claim("equal-weights-no-learning", "quiz",
        "If all weights start equal, no learning can occur: the weights may change, but the loss does not improve.",
        _exp_equal_learning, _explain_equal_learning)
def decide_equal_weights_no_learning(ev):
    if ev["n_runs_learning"] > 0:
        return "false", None
    return "true", None


def _exp_one_neuron(cfg):
    q = _shared(cfg, "equal", _exp_equal)
    runs = q["runs"]
    ev = dict(
        n_runs=len(runs), backend=q["backend"], atol=q["atol"],
        max_distinct_units=max(max(r["distinct_units"]) for r in runs),
        max_collapse_rel_err=max(r["collapse_rel_err"] for r in runs),
        mean_accuracy_equal_init=float(np.mean([r["final_accuracy"] for r in runs])),
        mean_accuracy_random_init=float(np.mean([r["random_init_accuracy"] for r in runs])),
        runs=[{k: r[k] for k in ("data", "hidden", "c", "bias", "distinct_units", "collapse_rel_err",
                                 "final_accuracy", "random_init_accuracy")} for r in runs],
    )
    _add_random_bias_units(ev, runs)
    ev["summary"] = (
        f"In {len(runs)} runs (1 and 2 hidden layers, bias on/off, several common values) every hidden layer ended "
        f"with {ev['max_distinct_units']} distinct unit(s), and a network with ONE neuron per layer built from "
        f"the trained weights reproduces the outputs to a relative {_fmt(ev['max_collapse_rel_err'])}; accuracy "
        f"{_fmt(ev['mean_accuracy_equal_init'])} against {_fmt(ev['mean_accuracy_random_init'])} from random init.")
    return ev


def _explain_one_neuron(ev, verdict, cond):
    s = ("Confirmed: units that start equal (weights and biases) receive equal gradients at every step, so they stay "
         "copies and the network computes exactly what a one-neuron-per-layer network computes (output weight = "
         "sum of the copies' output weights). It still learns what one neuron can, which is why accuracy is "
         "above chance but below random init on data needing several units.") if verdict == "true" else \
        "Refuted: some units that started equal ended different."
    if ev.get("min_distinct_units_random_biases", 1) > 1:
        s += (" Boundary: equal weights with different initial biases are not equal units - the biases alone break "
              "the symmetry.")
    return s


@_claim("equal-units-one-neuron", "perceptron",
        "Hidden neurons that start with equal weights learn the same thing: the network behaves as if it had one "
        "neuron in every layer.", _exp_one_neuron, _explain_one_neuron)
def decide_equal_units_one_neuron(ev):
    if ev["max_distinct_units"] == 1 and ev["max_collapse_rel_err"] <= COLLAPSE_RTOL:
        return "true", None
    return "false", None


# ================================================================ the perceptron (002)

_ETAS_POW2 = (2.0 ** -6, 2.0 ** -3, 4.0)
_ETAS_GENERAL = (0.1, 0.37, 3.3)


def _perc_theta(m):
    return np.append(np.asarray(m.coef_, dtype=float).ravel(), [m.intercept_] if m.fit_intercept else [])


def _exp_perceptron(cfg):
    cases = []
    epochs = cfg.pick(10, 20)
    sets = []
    for i, s in enumerate(cfg.seeds("perc-data", cfg.pick(2, 3))):
        X, y = datasets.separable(n_samples=300, n_features=5, data_seed=s)
        sets.append(("separable d=5", X[:200], y[:200], X[200:]))
        X, y = datasets.logistic(n_samples=300, n_features=10, data_seed=s)
        sets.append(("logistic (noisy) d=10", X[:200], y[:200], X[200:]))
        if not cfg.quick or i == 0:
            X, y = datasets.xor(n_samples=300, data_seed=s)
            sets.append(("xor d=2", X[:200], y[:200], X[200:]))
    shuffle_seed = cfg.seeds("perc-shuffle", 1)[0]
    inits = [("zeros", "zeros", "zeros"), ("zero weights, intercept 0.5", "zeros", "constant(0.5)"),
             ("normal(0, 1)", "normal(0, 1)", "normal(0, 1)"), ("constant(0.3)", "constant(0.3)", "constant(0.3)")]
    init_seed = cfg.seeds("perc-init", 1)[0]
    for name, X, y, Xt in sets:
        for fit_intercept in (True, False):
            for shuffle in cfg.pick((False,), (False, True)):
                for label, init, binit in inits:
                    if not fit_intercept and label.startswith("zero weights,"):
                        continue
                    common = dict(epochs=epochs, fit_intercept=fit_intercept, shuffle=shuffle,
                                  shuffle_seed=shuffle_seed, init=init, bias_init=binit, init_seed=init_seed)
                    ref = _fit(Perceptron, X, y, cfg, lr=1.0, **common)
                    th_ref = _perc_theta(ref)
                    pred_ref, pt_ref = ref.predict(X), ref.predict(Xt)
                    for eta in _ETAS_POW2 + _ETAS_GENERAL:
                        m = _fit(Perceptron, X, y, cfg, lr=eta, **common)
                        th = _perc_theta(m)
                        both_zero = not th.any() and not th_ref.any()
                        cos = 1.0 if both_zero else (direction(th, th_ref) if th.any() and th_ref.any() else 0.0)
                        cases.append(dict(
                            data=name, fit_intercept=fit_intercept, shuffle=shuffle, init=label, eta=eta,
                            power_of_two=eta in _ETAS_POW2,
                            zero_start=label == "zeros",
                            exact_multiple=bool(np.array_equal(th, eta * th_ref)),
                            one_minus_cos=_f(1.0 - cos),
                            max_scaled_diff=_f(np.max(np.abs(th / eta - th_ref)) / max(np.max(np.abs(th_ref)), 1e-300)),
                            train_label_changes=int(np.count_nonzero(m.predict(X) != pred_ref)),
                            test_label_changes=int(np.count_nonzero(m.predict(Xt) != pt_ref)),
                            same_mistakes=bool(np.array_equal(m.history_["mistakes"], ref.history_["mistakes"])),
                            n_train=len(X), n_test=len(Xt),
                        ))
    return dict(cases=cases, epochs=epochs, etas=list(_ETAS_POW2 + _ETAS_GENERAL))


def _perc_summary(cases):
    if not cases:
        return dict(n=0)
    return dict(
        n=len(cases),
        all_exact_multiples=all(c["exact_multiple"] for c in cases),
        max_one_minus_cos=max(c["one_minus_cos"] for c in cases),
        max_train_label_changes=max(c["train_label_changes"] for c in cases),
        max_test_label_changes=max(c["test_label_changes"] for c in cases),
        runs_with_label_changes=sum((c["train_label_changes"] + c["test_label_changes"]) > 0 for c in cases),
        all_same_mistakes=all(c["same_mistakes"] for c in cases),
    )


def _exp_perc_scale(cfg):
    q = _shared(cfg, "perceptron", _exp_perceptron)
    z = [c for c in q["cases"] if c["zero_start"]]
    ev = dict(
        epochs=q["epochs"], etas=q["etas"],
        zero_pow2=_perc_summary([c for c in z if c["power_of_two"]]),
        zero_general=_perc_summary([c for c in z if not c["power_of_two"]]),
        zero_weights_nonzero_intercept=_perc_summary([c for c in q["cases"] if c["init"].startswith("zero weights,")]),
    )
    p2, ge, zb = ev["zero_pow2"], ev["zero_general"], ev["zero_weights_nonzero_intercept"]
    ev["summary"] = (
        f"From zero, {p2['n']} runs with eta a power of two give weights that are exactly eta times the eta=1 "
        f"weights ({'all' if p2['all_exact_multiples'] else 'not all'} bit for bit), with the same mistakes in every "
        f"epoch; for {ge['n']} runs with eta in {list(_ETAS_GENERAL)}, 1 - cosine <= {_fmt(ge['max_one_minus_cos'])} "
        f"and {ge['max_train_label_changes'] + ge['max_test_label_changes']} predicted label(s) changed. With zero "
        f"weights but an intercept starting at 0.5, {zb.get('runs_with_label_changes', 0)} of {zb.get('n', 0)} runs "
        f"changed labels (up to {zb.get('max_test_label_changes', 0)} of the held-out points).")
    return ev


def _explain_perc_scale(ev, verdict, cond):
    if verdict in ("true", "depends"):
        s = ("Confirmed: starting from w = 0 (intercept included) every update is eta (y - yhat) x, and by induction "
             "the weights are eta times the eta = 1 weights, so eta > 0 never changes a sign: same predictions, "
             "same mistakes, same direction. With eta a power of two this holds bit for bit; with other eta it holds "
             "up to rounding.")
        if ev["zero_weights_nonzero_intercept"].get("runs_with_label_changes", 0):
            s += (" Boundary: 'zero weights' must include the intercept (the bias weight w_0) - if only the intercept "
                  "starts nonzero, eta changes the labels.")
        if verdict == "depends":
            s += f" Condition: {cond}."
        return s
    return "Refuted: from zero weights some learning rates changed the direction or the predicted labels."


@_claim("perceptron-eta-scale-only", "perceptron",
        "With zero initial weights, the perceptron's learning rate only scales the weight vector, not its direction, "
        "and has no effect on the predicted labels.", _exp_perc_scale, _explain_perc_scale)
def decide_perceptron_eta_scale_only(ev):
    p2, ge = ev["zero_pow2"], ev["zero_general"]
    exact = p2["all_exact_multiples"] and p2["all_same_mistakes"] and p2["max_train_label_changes"] == 0 \
        and p2["max_test_label_changes"] == 0
    if not exact:
        return "false", None
    general_ok = (ge.get("n", 0) == 0 or (ge["max_one_minus_cos"] <= COS_TOL and ge["all_same_mistakes"]
                                          and ge["runs_with_label_changes"] == 0))
    if general_ok:
        return "true", None
    return "depends", ("exact for eta a power of two; for other eta, rounding in floating point changed a "
                       "prediction that sits on the decision boundary")


def _exp_perc_nonzero(cfg):
    q = _shared(cfg, "perceptron", _exp_perceptron)
    nz = [c for c in q["cases"] if c["init"] in ("normal(0, 1)", "constant(0.3)")]
    ev = dict(epochs=q["epochs"], etas=q["etas"], nonzero=_perc_summary(nz),
              by_data={d: _perc_summary([c for c in nz if c["data"] == d]) for d in sorted({c["data"] for c in nz})})
    s = ev["nonzero"]
    worst = max(nz, key=lambda c: c["test_label_changes"] + c["train_label_changes"])
    ev["example"] = {k: worst[k] for k in ("data", "init", "eta", "fit_intercept", "shuffle", "train_label_changes",
                                           "test_label_changes", "one_minus_cos", "n_test")}
    ev["summary"] = (
        f"From nonzero weights (normal(0, 1) and constant(0.3)), {s['runs_with_label_changes']} of {s['n']} runs "
        f"predicted different labels than eta = 1 on the same data and order; e.g. {worst['data']} from "
        f"{worst['init']} with eta = {worst['eta']}: {worst['test_label_changes']} of {worst['n_test']} held-out and "
        f"{worst['train_label_changes']} training labels differ (1 - cosine = {_fmt(worst['one_minus_cos'])}).")
    return ev


def _explain_perc_nonzero(ev, verdict, cond):
    if verdict == "true":
        return ("Confirmed: with w0 != 0 the weights after k updates are w0 + eta * (sum of updates), and the balance "
                "between the fixed w0 and the eta-scaled part decides signs, so eta changes which samples are "
                f"misclassified, the whole trajectory and the final labels ({ev['nonzero']['runs_with_label_changes']} of "
                f"{ev['nonzero']['n']} runs).")
    return "Refuted: no learning rate changed any predicted label from nonzero initial weights."


@_claim("perceptron-eta-matters-nonzero", "perceptron",
        "With nonzero initial weights, the learning rate can change the perceptron's predicted labels.",
        _exp_perc_nonzero, _explain_perc_nonzero)
def decide_perceptron_eta_matters_nonzero(ev):
    if ev["nonzero"]["runs_with_label_changes"] > 0:
        return "true", None
    return "false", None


# ================================================================ zero hidden outputs

def _exp_zero_outputs(cfg):
    rng = cfg.rng("zero-out")
    cases = []
    for hidden in ((10,), (5, 5), (3, 7, 2)):
        d = 10
        Xs = {"standard normal": rng.standard_normal((200, d)),
              "huge (1e6)": 1e6 * rng.standard_normal((50, d)),
              "all negative": -np.abs(rng.standard_normal((50, d))) - 1}
        X, y = datasets.teacher_mlp(n_samples=100, sizes=(d,) + hidden + (1,), data_seed=cfg.seeds("zo", 1)[0])
        for binit in ("zeros", "constant(0.2)", "normal(0, 0.5)"):
            m = _fit(MLP, X, y, cfg, hidden=hidden, init="zeros", bias_init=binit, lr=0.1,
                     epochs=cfg.pick(10, 20))
            for when, Ws, bs in (("init", m.initial_weights_, m.initial_biases_),
                                 ("after training", m.weights_, m.biases_)):
                for xname, Xe in Xs.items():
                    H = hidden_activations(Ws, bs, Xe)
                    cases.append(dict(hidden=list(hidden), bias_init=binit, when=when, inputs=xname,
                                      max_abs_hidden=_f(max(np.max(np.abs(h)) for h in H)),
                                      max_spread_over_inputs=_f(max(np.max(np.ptp(h, axis=0)) for h in H))))
    zero = [c for c in cases if c["bias_init"] == "zeros"]
    nonzero = [c for c in cases if c["bias_init"] != "zeros"]
    ev = dict(
        n_cases=len(cases),
        max_abs_hidden_zero_biases=max(c["max_abs_hidden"] for c in zero),
        max_abs_hidden_nonzero_biases_init=max(c["max_abs_hidden"] for c in nonzero if c["when"] == "init"),
        max_spread_nonzero_biases_init=max(c["max_spread_over_inputs"] for c in nonzero if c["when"] == "init"),
        cases=cases,
    )
    ev["summary"] = (
        f"With all weights and biases zero, every hidden unit's output was exactly "
        f"{_fmt(ev['max_abs_hidden_zero_biases'])} for normal, huge (1e6) and all-negative inputs, in 1 to 3 hidden "
        f"layers, at the start and after training from there. With zero weights but nonzero biases the outputs are "
        f"relu(b) (up to {_fmt(ev['max_abs_hidden_nonzero_biases_init'])}), the same for every "
        f"input (spread {_fmt(ev['max_spread_nonzero_biases_init'])}).")
    return ev


def _explain_zero_outputs(ev, verdict, cond):
    if verdict == "true":
        return ("Confirmed: each hidden unit computes relu(w . x + b) = relu(0) = 0 for any x, and since training from "
                "there never moves the hidden weights, this stays true. Boundary: if 'weights' excludes the biases "
                "and those start nonzero, the outputs are relu(b) - constant, independent of the input, but not zero.")
    return "Refuted: some hidden unit output a nonzero value with all weights and biases zero."


@_claim("zero-hidden-outputs-zero", "perceptron",
        "With all weights zero, every hidden unit outputs zero whatever the input.", _exp_zero_outputs,
        _explain_zero_outputs)
def decide_zero_hidden_outputs_zero(ev):
    if ev["max_abs_hidden_zero_biases"] == 0:
        return "true", None
    return "false", None


# ================================================================ running

def ids():
    """The claim ids, in the order they are run and printed."""
    return [c.id for c in CLAIMS]


def get(claim_id):
    """The :class:`Claim` called ``claim_id``."""
    for c in CLAIMS:
        if c.id == claim_id:
            return c
    raise ValueError(f"unknown claim {claim_id!r}; known claims: {', '.join(ids())}")


def decide(claim_id, evidence):
    """Apply the decision rule of ``claim_id`` to ``evidence``: ``(verdict, condition)``."""
    return get(claim_id).decide(evidence)


def run_claim(claim, cfg):
    """Run one claim's experiment and decide it; returns the record dict."""
    if isinstance(claim, str):
        claim = get(claim)
    t0 = time.perf_counter()
    evidence = claim.experiment(cfg)
    verdict, condition = claim.decide(evidence)
    if verdict not in ("true", "false", "depends"):  # pragma: no cover - a bug in a rule
        raise RuntimeError(f"claim {claim.id}: decision rule returned {verdict!r}")
    return dict(
        id=claim.id, source=claim.source, statement=claim.statement, verdict=verdict, condition=condition,
        evidence=evidence, explanation=claim.explain(evidence, verdict, condition),
        time_s=time.perf_counter() - t0,
    )


def run(seed=0, quick=False, only=None, backend=None, progress=None):
    """Decide every statement by experiment.

    Parameters
    ----------
    seed : int, default 0
        Root of every random choice (data sets, initial weights, sample orders).
    quick : bool, default False
        Fewer seeds, data sets and epochs (a few seconds instead of tens).
    only : sequence of str, optional
        Claim ids to run (default: all, in :func:`ids` order).
    backend : {"cython", "numpy"}, optional
        Trainer backend; default the compiled core when it is built.
    progress : callable(index, total, claim_id) or None
        Called before each claim runs.

    Returns
    -------
    list of dict
        One record per claim: ``id``, ``source``, ``statement``, ``verdict``
        (``"true"``, ``"false"`` or ``"depends"``), ``condition``,
        ``evidence``, ``explanation``, ``time_s``.
    """
    cfg = Config(seed=seed, quick=bool(quick), backend=backend)
    todo = CLAIMS if only is None else [get(i) for i in only]
    records = []
    for k, claim in enumerate(todo):
        if progress is not None:
            progress(k, len(todo), claim.id)
        records.append(run_claim(claim, cfg))
    return records


if __name__ == "__main__":  # pragma: no cover
    for r in run(quick="--quick" in sys.argv):
        print(f"{r['id']:32s} {r['verdict']:8s} {r['time_s']:.2f}s")
