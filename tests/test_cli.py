"""The ``zi`` command: help, train table and JSON, info, clean errors."""
import json

import pytest

from zi_core.cli import main


def test_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("train", "info"):
        assert cmd in out


def test_train_prints_history_table(capsys):
    assert main(["train", "--epochs", "3", "--n-samples", "100"]) == 0
    out = capsys.readouterr().out
    lines = [l for l in out.splitlines() if l[:1].isdigit()]
    assert [l.split()[0] for l in lines[:3]] == ["1", "2", "3"]
    assert "final_accuracy" in out


@pytest.mark.parametrize("model", ["perceptron", "linear", "logistic", "mlp"])
def test_train_json_matches_python_api(model, capsys):
    args = ["train", "--model", model, "--epochs", "2", "--n-samples", "80", "--init-seed", "0:3",
            "--init", "normal(0, 0.1)", "--json"]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["history"]) == 2 * 3 and len(data["final"]) == 3
    assert {"epoch", "loss", "accuracy", "mistakes", "update_norm"} <= set(data["history"][0])
    from zi_core.cli import build_parser
    from zi_core.cli.train import _data, build_model
    ns = build_parser().parse_args(args)
    _, (X, y) = _data(ns)
    m = build_model(ns).fit(X, y)
    assert [r["final_loss"] for r in data["final"]] == pytest.approx(list(m.final_loss_))


def test_info_json(capsys):
    assert main(["info", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["variant"] in data["available_variants"] and isinstance(data["openmp"], bool)


def test_bad_flag_values_give_clean_errors(capsys):
    assert main(["train", "--lr", "-1", "--epochs", "1", "--n-samples", "20"]) == 2
    assert "lr must be > 0" in capsys.readouterr().err
    assert main(["train", "--init", "bogus", "--epochs", "1", "--n-samples", "20"]) == 2
    assert "bogus" in capsys.readouterr().err
