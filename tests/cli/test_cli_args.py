"""One spelling per concept in every command; old spellings hidden but accepted; --json; one store."""
import json
import subprocess
import sys

import pytest

from rairpredict.cli import build_parser, main

COMMON = {"--tracking-uri", "--json", "--verbose"}


def _subparsers():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices


def _visible(p):
    return {s for a in p._actions if a.help != "==SUPPRESS==" for s in a.option_strings}


@pytest.mark.parametrize("name", sorted(_subparsers()))
def test_every_command_takes_the_common_flags(name):
    assert COMMON <= _visible(_subparsers()[name]), name


def test_same_thing_same_flag():
    subs = _subparsers()
    for name, p in subs.items():
        shown = _visible(p)
        # the file read and the file written have one spelling each, everywhere
        assert not {"--out", "--scores", "--file"} & shown, name
        dests = {a.dest: a.option_strings for a in p._actions if a.help != "==SUPPRESS=="}
        if "input" in dests:
            assert dests["input"] == ["--input", "-i"], name
        if "output" in dests:
            assert dests["output"] == ["--output", "-o"], name
        if "model" in dests:
            assert dests["model"] == ["--model"], name  # always a model reference, never a model kind
    assert "--kind" in _visible(subs["tune"])


def test_old_spellings_are_hidden_aliases(capsys):
    args = build_parser().parse_args(["report", "--scores", "s.csv", "--out", "r.html"])
    assert (args.input, args.output) == ("s.csv", "r.html")
    err = capsys.readouterr().err
    assert "--scores is now --input" in err and "--out is now --output" in err
    assert "--scores" not in build_parser()._subparsers._group_actions[0].choices["report"].format_help()
    tune = build_parser().parse_args(["tune", "--config", "rair", "--trials", "1", "--model", "logistic"])
    assert tune.kind == "logistic"


def test_positional_file_still_accepted_and_required_input_checked(tmp_path, capsys):
    from rairpredict.cli._args import check_required

    args = build_parser().parse_args(["validate", "cohort.csv"])
    check_required(args)
    assert args.input == "cohort.csv"
    with pytest.raises(SystemExit) as exc:
        main(["report", "--output", str(tmp_path / "r.html")])  # --input has a hidden alias: checked after parsing
    assert exc.value.code == 2 and "required: --input" in capsys.readouterr().err


def test_json_summaries_are_one_object(tmp_path, capsys):
    out = tmp_path / "sim.csv"
    assert main(["simulate", "--n", "40", "--seed", "1", "-o", str(out), "--json"]) == 0
    sim = json.loads(capsys.readouterr().out)
    assert sim["rows"] == 40 and sim["output"] == str(out)
    assert main(["score", "-i", str(out), "-o", str(tmp_path / "s.csv"), "--json"]) == 0
    score = json.loads(capsys.readouterr().out)
    assert score["rows_in"] == 40 and score["rows_scored"] + score["rows_rejected"] == 40
    assert main(["validate", "-i", str(out), "--json"]) == 0
    val = json.loads(capsys.readouterr().out)
    assert val["rows_in"] == 40 and "rows_rows_in" not in val


def test_results_table_confidence_intervals_read_with_to():
    from rairpredict.experiment.demo import results_table
    import pandas as pd

    class R:
        name, counts, oracle = "t", {"rows_used": 10, "events": 2}, {}
        metrics = pd.DataFrame({"auroc": [0.52], "auroc_lo": [-0.56], "auroc_hi": [1.96], "cal_slope": [1.0],
                                "cal_slope_lo": [-0.5], "cal_slope_hi": [2.5], "brier": [0.1]}, index=["m"])

    row = results_table([R()]).iloc[0]
    assert row["AUROC (95% CI)"] == "0.520 (-0.560 to 1.960)"
    assert row["cal. slope (95% CI)"] == "1.00 (-0.50 to 2.50)"


def _run(args, cwd, env_extra=None, **kw):
    import os

    env = {**os.environ, **(env_extra or {})}
    env.pop("MLFLOW_TRACKING_URI", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "rairpredict", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, **kw)


@pytest.mark.slow
def test_clinician_path_one_store_train_promote_score(tmp_path):
    """train -> promote -> score by alias, all in the store named by --tracking-uri, from an empty directory."""
    work = tmp_path / "elsewhere"
    work.mkdir()
    uri = f"sqlite:///{tmp_path}/store/mlflow.db"
    (tmp_path / "store").mkdir()
    home = {"RAIRPREDICT_HOME": str(tmp_path / "home")}
    train = _run(["train", "--config", "rair", "--n", "300", "--seed", "1", "--trials", "0", "--optimism-boot",
                  "0", "--tracking-uri", uri], work, home)
    assert train.returncode == 0, train.stderr
    # piped: no progress bar, the store said once, each warning once
    assert train.stderr.count("MLflow store: " + uri) == 1
    assert "\r" not in train.stderr and "it/s" not in train.stderr
    assert train.stderr.count("SAMPLE SIZE INADEQUATE") == 1
    assert "Downloading artifacts" not in train.stderr and "cloudpickle" not in train.stderr.lower()
    assert "registered model" not in train.stderr.lower() and "input(s) absent" not in train.stderr
    assert "rairpredict promote --target rair" in train.stdout
    before = _run(["score", "--model", "models:/rairpredict-rair@champion", "-i", "x.csv", "-o", "y.csv",
                   "--tracking-uri", uri], work, home)
    assert before.returncode == 2 and "rairpredict promote" in before.stderr  # says how to get a champion
    promote = _run(["promote", "--target", "rair", "--tracking-uri", uri, "--json"], work, home)
    assert promote.returncode == 0, promote.stderr
    assert json.loads(promote.stdout)["uri"] == "models:/rairpredict-rair@champion"
    assert _run(["simulate", "--n", "30", "-o", "c.csv"], work, home).returncode == 0
    score = _run(["score", "--model", "models:/rairpredict-rair@champion", "-i", "c.csv", "-o", "s.csv",
                  "--report", "r.html"], work, {**home, "MLFLOW_TRACKING_URI": uri})
    assert score.returncode == 0, score.stderr
    assert (work / "r.html").is_file() and score.stderr.count("MLflow store:") == 1
    # nothing dropped a store in the working directory
    assert not (work / "mlflow.db").exists() and not (work / "mlruns").exists()


def test_documented_registry_names_are_the_names_training_registers():
    """README and docs/ name models that `rairpredict train` / `demo` register (rairpredict-<target>)."""
    import re
    from pathlib import Path

    from rairpredict.resources import config_dir

    root = Path(__file__).resolve().parents[2]
    registered = {f"rairpredict-{p.stem}" for p in config_dir("targets").glob("*.yaml")}
    texts = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    named = {m for t in texts for m in re.findall(r"models:/([a-z][\w.-]*)[@/]", t.read_text(encoding="utf-8"))}
    assert named and named <= registered, named - registered
