"""zi_core.claims, ``zi claims`` and the report: verdicts must follow from the evidence."""
import copy
import json
import math
import os

import pytest

from zi_core import claims
from zi_core.cli import main

ISSUE_IDS = [
    "linreg-zero-learns", "linreg-small-random-similar", "logreg-zero-learns", "mlp-zero-symmetric",
    "warm-start-better", "quiz-convex-converges", "quiz-no-change", "quiz-some-datasets",
    "quiz-nonconvex-local-min", "equal-weights-stay-equal", "equal-weights-no-learning",
    "perceptron-eta-scale-only", "perceptron-eta-matters-nonzero", "zero-hidden-outputs-zero",
    "equal-units-one-neuron",
]
SEEDS_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "seeds")


@pytest.fixture(scope="module")
def quick_run():
    """One quick run for the whole module, with its shared experiments kept for the flip tests."""
    cfg = claims.Config(seed=0, quick=True)
    records = [claims.run_claim(c, cfg) for c in claims.CLAIMS]
    return cfg, records


# ---------------------------------------------------------------- the real run

def test_every_statement_of_the_issue_is_decided(quick_run):
    _, records = quick_run
    assert sorted(r["id"] for r in records) == sorted(ISSUE_IDS)
    assert claims.ids() == [r["id"] for r in records]
    for r in records:
        assert r["verdict"] in ("true", "false", "depends")
        assert (r["condition"] is not None) == (r["verdict"] == "depends")
        assert r["statement"] and r["explanation"] and r["evidence"]["summary"]
        assert r["time_s"] >= 0
        assert r["source"] in claims.SOURCES.values()
        if os.path.isdir(SEEDS_DIR):
            assert os.path.exists(os.path.join(SEEDS_DIR, r["source"]))


def test_each_verdict_follows_from_its_own_evidence(quick_run):
    _, records = quick_run
    for r in records:
        verdict, condition = claims.decide(r["id"], copy.deepcopy(r["evidence"]))
        assert (verdict, condition) == (r["verdict"], r["condition"]), r["id"]


def _numbers_are_numbers(obj, path="evidence"):
    if isinstance(obj, dict):
        for k, v in obj.items():
            _numbers_are_numbers(v, f"{path}.{k}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _numbers_are_numbers(v, f"{path}[{i}]")
    else:
        assert obj is None or isinstance(obj, (bool, int, float, str)), (path, type(obj))
        if isinstance(obj, str):
            # a number must never hide in a string
            try:
                float(obj)
            except ValueError:
                pass
            else:
                raise AssertionError(f"{path} holds a number as a string: {obj!r}")


def test_evidence_is_plain_json_with_numbers(quick_run):
    _, records = quick_run
    for r in records:
        _numbers_are_numbers(r["evidence"])
        json.dumps(r["evidence"], allow_nan=True)
    ev = {r["id"]: r["evidence"] for r in records}
    assert isinstance(ev["quiz-no-change"]["max_change_weight_matrices"], float)
    assert isinstance(ev["equal-weights-stay-equal"]["max_distinct_units"], int)


def test_seed_changes_the_random_choices():
    a = claims.run(seed=0, quick=True, only=["zero-hidden-outputs-zero"])[0]
    b = claims.run(seed=1, quick=True, only=["zero-hidden-outputs-zero"])[0]
    assert a["evidence"]["cases"] != b["evidence"]["cases"]
    assert claims.Config(seed=0).seeds("x", 3) != claims.Config(seed=1).seeds("x", 3)
    assert claims.Config(seed=5).seeds("x", 3) == claims.Config(seed=5).seeds("x", 3)
    with pytest.raises(ValueError, match="seed"):
        claims.Config(seed=-1)
    with pytest.raises(ValueError, match="unknown claim"):
        claims.run(quick=True, only=["no-such-claim"])


# ---------------------------------------------------------------- flips on measured data

def test_quiz_no_change_flips_to_true_without_biases(quick_run):
    cfg, _ = quick_run
    q = cfg.cache["quiz"]
    keys = ("max_change_weight_matrices", "max_change_hidden_bias", "max_change_output_bias",
            "max_change_no_bias_network")
    every = claims._quiz_common(q)
    assert claims.decide("quiz-no-change", {k: every[k] for k in keys})[0] == "depends"
    no_bias = claims._quiz_common(dict(q, runs=[r for r in q["runs"] if not r["bias"]]))
    assert claims.decide("quiz-no-change", {k: no_bias[k] for k in keys}) == ("true", None)


def test_perceptron_eta_rule_on_zero_starts_says_false(quick_run):
    # The same rule that finds eta changing labels from nonzero starts finds nothing from zero.
    cfg, _ = quick_run
    cases = cfg.cache["perceptron"]["cases"]
    zero = claims._perc_summary([c for c in cases if c["zero_start"]])
    nonzero = claims._perc_summary([c for c in cases if c["init"] == "normal(0, 1)"])
    assert claims.decide("perceptron-eta-matters-nonzero", {"nonzero": zero}) == ("false", None)
    assert claims.decide("perceptron-eta-matters-nonzero", {"nonzero": nonzero}) == ("true", None)
    # and the scale-only rule fed the nonzero starts' runs refutes it
    ev = {"zero_pow2": claims._perc_summary([c for c in cases if c["init"] == "normal(0, 1)" and c["power_of_two"]]),
          "zero_general": nonzero}
    assert claims.decide("perceptron-eta-scale-only", ev)[0] == "false"


def test_linreg_random_start_rule_flips_with_the_rank(quick_run):
    cfg, records = quick_run
    ev = next(r["evidence"] for r in records if r["id"] == "linreg-small-random-similar")
    full = dict(ev, cases=[c for c in ev["cases"] if c["full_rank"]])
    deficient = dict(ev, cases=[c for c in ev["cases"] if not c["full_rank"]])
    assert full["cases"] and deficient["cases"]
    assert claims.decide("linreg-small-random-similar", full) == ("true", None)
    assert claims.decide("linreg-small-random-similar", deficient) == ("false", None)


# ---------------------------------------------------------------- decision rules on constructed evidence

def _lin_case(**kw):
    c = dict(data="d", max_abs_initial_output=0.0, grad_norm_at_zero=1.0, zero_is_solution=False,
             gd_rel_dist=1e-12, sgd_rel_dist=1e-12, exact_fit=True, sgd_rel_dist_small_step=None)
    c.update(kw)
    return c


def test_decide_linreg_zero_learns():
    d = claims.decide_linreg_zero_learns
    noisy = _lin_case(exact_fit=False, sgd_rel_dist=0.05, sgd_rel_dist_small_step=0.01)
    assert d({"cases": [_lin_case(), noisy]}) == ("true", None)
    assert d({"cases": [_lin_case(max_abs_initial_output=0.1)]})[0] == "false"
    assert d({"cases": [_lin_case(grad_norm_at_zero=0.0)]})[0] == "false"
    assert d({"cases": [_lin_case(grad_norm_at_zero=0.0, zero_is_solution=True)]})[0] == "true"
    stuck = _lin_case(exact_fit=False, sgd_rel_dist=0.05, sgd_rel_dist_small_step=0.05)
    verdict, cond = d({"cases": [_lin_case(), stuck]})
    assert verdict == "depends" and "step" in cond
    verdict, cond = d({"cases": [_lin_case(), _lin_case(data="bad", gd_rel_dist=0.5)]})
    assert verdict == "depends" and "bad" in cond
    assert d({"cases": [_lin_case(gd_rel_dist=0.5, sgd_rel_dist=0.5)]})[0] == "false"


def test_decide_linreg_small_random_similar():
    d = claims.decide_linreg_small_random_similar
    ok = dict(data="a", max_forget_ratio=1e-10, max_loss_diff=0.0, full_rank=True)
    kept = dict(data="b", max_forget_ratio=0.8, max_loss_diff=0.0, full_rank=False)
    assert d({"cases": [ok]}) == ("true", None)
    assert d({"cases": [kept]}) == ("false", None)
    verdict, cond = d({"cases": [ok, kept]})
    assert verdict == "depends" and "rank" in cond
    verdict, cond = d({"cases": [ok, dict(kept, full_rank=True, data="odd")]})
    assert verdict == "depends" and "odd" in cond


def test_decide_logreg_zero_learns():
    d = claims.decide_logreg_zero_learns
    ok = dict(data="a", grad_norm_at_zero=0.1, best_loss_random=0.3, loss_at_zero=math.log(2),
              final_loss_zero=0.3, final_loss_random=0.3, final_acc_zero=0.9, final_acc_random=0.9)
    stuck = dict(ok, data="b", grad_norm_at_zero=0.0, final_loss_zero=math.log(2), final_acc_zero=0.5)
    assert d({"cases": [ok]}) == ("true", None)
    assert d({"cases": [stuck]}) == ("false", None)
    assert d({"cases": [ok, stuck]})[0] == "depends"
    # zero gradient where zero is already optimal (random starts do no better) is not "prevented"
    optimal = dict(stuck, best_loss_random=math.log(2), final_loss_random=math.log(2), final_acc_random=0.5)
    assert d({"cases": [ok, optimal]}) == ("true", None)


def test_decide_mlp_zero_symmetric():
    d = claims.decide_mlp_zero_symmetric
    ev = dict(max_grad_distinct_rows_at_zero=1, max_units_after_zero_init=1, min_units_after_random_init=10)
    assert d(ev) == ("true", None)
    assert d(dict(ev, max_grad_distinct_rows_at_zero=3))[0] == "false"
    assert d(dict(ev, max_units_after_zero_init=2))[0] == "false"
    assert d(dict(ev, min_units_after_random_init=1))[0] == "false"


def test_decide_warm_start_better():
    d = claims.decide_warm_start_better
    good = dict(pretrained_on="related", ahead_everywhere=True, ahead_at_end=True)
    late = dict(good, ahead_everywhere=False)
    worse = dict(good, ahead_everywhere=False, ahead_at_end=False)
    unrelated = dict(pretrained_on="unrelated", ahead_everywhere=False, ahead_at_end=False)
    assert d({"cases": [good, unrelated]}) == ("true", None)  # only weights good for the data count
    assert d({"cases": [good, late]})[0] == "depends"
    assert d({"cases": [good, worse]}) == ("false", None)


def test_decide_quiz_rules():
    ev = dict(max_convexity_gap=0.2, min_convexity_gap=0.1, max_acc_zero_init=0.5, min_acc_zero_init=0.5,
              max_change_weight_matrices=0.0, max_change_hidden_bias=0.0, max_change_output_bias=0.1,
              max_change_no_bias_network=0.0)
    assert claims.decide("quiz-convex-converges", ev)[0] == "false"
    assert claims.decide("quiz-convex-converges", dict(ev, max_convexity_gap=0.0))[0] == "false"  # still wrong
    assert claims.decide("quiz-convex-converges", dict(ev, max_convexity_gap=-0.1, max_acc_zero_init=1.0,
                                                       min_acc_zero_init=1.0))[0] == "true"
    assert claims.decide("quiz-no-change", ev)[0] == "depends"
    assert claims.decide("quiz-no-change", dict(ev, max_change_output_bias=0.0)) == ("true", None)
    assert claims.decide("quiz-no-change", dict(ev, max_change_weight_matrices=1e-3))[0] == "false"
    assert claims.decide("quiz-no-change", dict(ev, max_change_no_bias_network=1e-3))[0] == "false"
    assert claims.decide("quiz-some-datasets", ev)[0] == "false"
    assert claims.decide("quiz-some-datasets", dict(ev, max_acc_zero_init=1.0))[0] == "true"
    assert claims.decide("quiz-nonconvex-local-min", ev)[0] == "false"
    assert claims.decide("quiz-nonconvex-local-min", dict(ev, max_change_weight_matrices=0.3))[0] == "true"
    assert claims.decide("quiz-nonconvex-local-min",
                         dict(ev, max_change_weight_matrices=0.3, min_convexity_gap=0.0))[0] == "false"


def test_decide_equal_weights_rules():
    ev = dict(max_distinct_units=1, max_distinct_values_first_layer=10, max_distinct_values_other_layers=1,
              max_grad_distinct_values_first_layer=10, n_runs_learning=3, max_collapse_rel_err=1e-15)
    verdict, cond = claims.decide("equal-weights-stay-equal", ev)
    assert verdict == "depends" and "unit" in cond
    every = dict(ev, max_distinct_values_first_layer=1, max_grad_distinct_values_first_layer=1)
    assert claims.decide("equal-weights-stay-equal", every) == ("true", None)
    assert claims.decide("equal-weights-stay-equal", dict(ev, max_distinct_units=2)) == ("false", None)
    assert claims.decide("equal-weights-no-learning", ev) == ("false", None)
    assert claims.decide("equal-weights-no-learning", dict(ev, n_runs_learning=0)) == ("true", None)
    assert claims.decide("equal-units-one-neuron", ev) == ("true", None)
    assert claims.decide("equal-units-one-neuron", dict(ev, max_distinct_units=3)) == ("false", None)
    assert claims.decide("equal-units-one-neuron", dict(ev, max_collapse_rel_err=1e-3)) == ("false", None)


def test_decide_perceptron_and_hidden_output_rules():
    exact = dict(n=4, all_exact_multiples=True, all_same_mistakes=True, max_train_label_changes=0,
                 max_test_label_changes=0, max_one_minus_cos=0.0, runs_with_label_changes=0)
    ev = dict(zero_pow2=exact, zero_general=dict(exact, all_exact_multiples=False, max_one_minus_cos=1e-16))
    assert claims.decide("perceptron-eta-scale-only", ev) == ("true", None)
    rounding = dict(ev["zero_general"], runs_with_label_changes=1, max_test_label_changes=1)
    assert claims.decide("perceptron-eta-scale-only", dict(ev, zero_general=rounding))[0] == "depends"
    broken = dict(exact, all_exact_multiples=False)
    assert claims.decide("perceptron-eta-scale-only", dict(ev, zero_pow2=broken))[0] == "false"
    assert claims.decide("perceptron-eta-matters-nonzero", {"nonzero": rounding})[0] == "true"
    assert claims.decide("perceptron-eta-matters-nonzero", {"nonzero": exact})[0] == "false"
    assert claims.decide("zero-hidden-outputs-zero", {"max_abs_hidden_zero_biases": 0.0})[0] == "true"
    assert claims.decide("zero-hidden-outputs-zero", {"max_abs_hidden_zero_biases": 0.5})[0] == "false"


# ---------------------------------------------------------------- command line and report

def test_cli_json_parses(capsys):
    assert main(["claims", "--quick", "--json", "--only", "zero-hidden-outputs-zero",
                 "--only", "perceptron-eta-matters-nonzero", "--seed", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["id"] for d in data] == ["perceptron-eta-matters-nonzero", "zero-hidden-outputs-zero"] or \
        sorted(d["id"] for d in data) == ["perceptron-eta-matters-nonzero", "zero-hidden-outputs-zero"]
    for d in data:
        assert {"id", "source", "statement", "verdict", "evidence", "explanation"} <= set(d)
        assert isinstance(d["evidence"], dict)


def test_cli_table(capsys):
    assert main(["claims", "--quick", "--only", "zero-hidden-outputs-zero"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header == ["id", "source", "statement", "verdict", "evidence", "time"]
    assert "zero-hidden-outputs-zero" in out and "002_833cfa2f34498ed3.txt" in out


def test_cli_rejects_bad_arguments(capsys):
    for argv in (["claims", "--seed", "-1"], ["claims", "--seed", "x"], ["claims", "--only", "nope"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
    assert "--seed" in capsys.readouterr().err


def test_report_is_self_contained(quick_run, tmp_path):
    from zi_core import report
    _, records = quick_run
    out = report.write_report(records, tmp_path / "rep", seed=0, quick=True)
    names = sorted(os.path.basename(p) for p in out["figures"])
    assert names == sorted(report.FIGURES)
    for p in out["figures"]:
        with open(p, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    page = open(out["html"], encoding="utf-8").read()
    assert page.count("data:image/png;base64,") == len(report.FIGURES)
    assert "src='http" not in page and 'src="http' not in page and "<link" not in page
    for r in records:
        assert r["id"] in page
    with pytest.raises(ValueError, match="not a directory"):
        report.write_report(records, out["html"], quick=True)
