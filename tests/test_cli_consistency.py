"""The command line's shared vocabulary: flags, table arguments, help examples, inspect, recipes."""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import re
import shlex
import struct
import subprocess
import sys
import termios

import numpy as np
import pandas as pd
import pytest

import synthkit
from synthkit.cli import build_parser, main
from synthkit.io import read_table, write_table

WRITERS = {"fit": "file", "sample": "file", "run": "folder", "demo": "folder", "clusters": "folder"}


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _option(p: argparse.ArgumentParser, flag: str) -> argparse.Action | None:
    return next((a for a in p._actions if flag in a.option_strings), None)


def test_one_flag_vocabulary():
    subs = _subparsers()
    for name, p in subs.items():
        n = _option(p, "-n")
        if n is not None:  # -n is a number of rows wherever it exists
            assert n.dest == "rows" and "--rows" in n.option_strings, name
    for name, kind in WRITERS.items():
        o = _option(subs[name], "-o")
        assert o is not None, name
        assert {"-o", "--output", "--out"} <= set(o.option_strings) and o.dest == "output", name
        assert kind in o.help, (name, o.help)
    clusters = subs["clusters"].parse_args(["x", "--datasets", "3", "-n", "40", "-o", "d"])
    assert (clusters.datasets, clusters.rows, clusters.output) == (3, 40, "d")
    assert subs["demo"].parse_args(["-o", "d"]).output == "d"
    assert subs["run"].parse_args(["bank_customers", "--out", "d"]).output == "d"


def test_clusters_rows_and_datasets(tmp_path, capsys):
    out = tmp_path / "c"
    assert main(["clusters", "three round clusters in 2 dimensions with some overlap", "--datasets", "2",
                 "-n", "60", "-o", str(out), "--seed", "1", "--no-progress"]) == 0
    assert "2 dataset(s) of 60 rows" in capsys.readouterr().out
    assert [len(pd.read_csv(out / f"dataset_00{d}.csv")) for d in (0, 1)] == [60, 60]
    assert main(["clusters", "three clusters", "--datasets", "0", "-o", str(out)]) == 2
    assert "`--datasets` must be a positive integer, got 0" in capsys.readouterr().err
    assert main(["clusters", "three clusters", "--datasets", "100000000", "-o", str(out)]) == 2
    assert "`--datasets` is at most 100,000 per run" in capsys.readouterr().err


def test_every_help_ends_with_runnable_examples(capsys):
    subs = _subparsers()
    parser = build_parser()
    for name in subs:
        assert main([name, "--help"]) == 0
        text = capsys.readouterr().out
        examples = [line.strip() for line in text.split("examples:\n", 1)[-1].splitlines()
                    if line.strip().startswith("synthkit ")]
        assert "examples:\n" in text and len(examples) >= 2 if name != "recipes" else examples, name
        for line in examples:  # each example parses with the real parser (shell redirects aside)
            words = shlex.split(line)[1:]
            words = words[:words.index(">")] if ">" in words else words
            args = parser.parse_args(words)
            assert callable(args.func), line


@pytest.mark.parametrize("argv", [
    ["fit", "sklearn:wnie", "-o", "{t}/m.json"],
    ["validate", "sklearn:wnie", "sklearn:wine"],
    ["validate", "sklearn:wine", "sklearn:wnie"],
])
def test_unknown_example_name_suggests_the_closest(argv, tmp_path, capsys):
    assert main([a.format(t=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert "synthkit: error: unknown example 'sklearn:wnie'; did you mean 'sklearn:wine'? examples: " \
           "sklearn:wine, sklearn:breast_cancer" in err, err
    assert "Traceback" not in err


def test_recipe_data_with_a_misspelt_example(tmp_path, capsys):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("rows: 5\ndata: statsmodels:grunfield\n")
    assert main(["run", str(recipe), "--out", str(tmp_path)]) == 2
    assert "unknown example 'statsmodels:grunfield'; did you mean 'statsmodels:grunfeld'?" \
        in capsys.readouterr().err


def test_validate_accepts_example_names_like_fit(tmp_path, capsys):
    from synthkit.datasets import load_example

    iris = load_example("sklearn:iris")
    copy = tmp_path / "iris.csv"
    write_table(iris, copy)
    for real, synth in (("sklearn:iris", str(copy)), (str(copy), "sklearn:iris")):
        code = main(["validate", real, synth, "--checks", "marginals", "--quiet"])
        out = capsys.readouterr().out
        assert code == 0, out  # the same table on both sides passes its marginal checks
        assert "PASSED" in out


def test_csv_date_columns_read_back_as_dates(tmp_path):
    rng = np.random.default_rng(0)
    days = pd.Timestamp("2005-01-01") + pd.to_timedelta(rng.integers(0, 7000, 300), unit="D")
    stamps = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 10**8, 300), unit="s")
    frame = pd.DataFrame({
        "day": days, "stamp": stamps,
        "day_with_gaps": days.where(rng.random(300) > 0.2),
        "text": ["2020-01-01"] * 299 + ["soon"],    # one non-date: stays text
        "bad_date": ["2020-01-01"] * 299 + ["2020-13-45"],  # ISO-looking but impossible
        "year": rng.integers(1990, 2020, 300),      # numbers stay numbers
        "word": rng.choice(["a", "b"], 300),
    })
    path = write_table(frame, tmp_path / "t.csv")
    back = read_table(path)
    for col in ("day", "stamp", "day_with_gaps"):
        assert pd.api.types.is_datetime64_any_dtype(back[col]), col
        pd.testing.assert_series_equal(back[col], frame[col].astype(back[col].dtype), check_freq=False)
    is_text = pd.api.types.is_string_dtype  # object under pandas 2, str under pandas 3
    assert is_text(back["text"]) and is_text(back["bad_date"])
    assert back["year"].dtype == np.int64 and is_text(back["word"])


def test_validate_a_recipe_against_its_own_csv_output(tmp_path, capsys):
    assert main(["run", "recipes/bank_customers.yaml", "--out", str(tmp_path), "-n", "3000"]) == 0
    capsys.readouterr()
    code = main(["validate", "recipes/bank_customers.yaml", str(tmp_path / "bank_customers.csv"),
                 "--checks", "marginals"])
    captured = capsys.readouterr()
    assert code == 0, captured.err + captured.out  # the recipe's own sample passes its declared marginals
    assert "PASSED" in captured.out


def test_kind_mismatch_names_the_model_side(tmp_path, capsys):
    model = synthkit.declare({"d": {"kind": "datetime", "distribution": "uniform", "min": "2020-01-01",
                                    "max": "2021-01-01"}, "x": {"distribution": "normal"}})
    model.save(tmp_path / "m.json")
    pd.DataFrame({"d": ["red", "blue"] * 50, "x": np.linspace(-2, 2, 100)}).to_csv(tmp_path / "s.csv",
                                                                                 index=False)
    assert main(["validate", str(tmp_path / "m.json"), str(tmp_path / "s.csv")]) == 2
    err = capsys.readouterr().err
    assert "'d' (model: datetime, synthetic: categorical)" in err, err


@pytest.fixture(scope="module")
def fitted_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inspect")
    rng = np.random.default_rng(3)
    z = rng.standard_normal((400, 3)) @ np.array([[1, 0.6, 0.3], [0, 0.8, 0.2], [0, 0, 0.9]])
    data = pd.DataFrame({"x": z[:, 0], "y": np.exp(z[:, 1]), "w": z[:, 2],
                         "kind": rng.choice(["a", "b", "c"], 400)})
    data.loc[:39, "w"] = np.nan  # 10% missing
    write_table(data, folder / "d.csv")
    path = folder / "m.json"
    assert main(["fit", str(folder / "d.csv"), "-o", str(path), "--strategy", "gaussian_copula",
                 "--param", 'rules=["y > 0"]']) == 0
    return path


def test_inspect_json_matches_the_model_file(fitted_model, capsys):
    capsys.readouterr()
    assert main(["inspect", str(fitted_model), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    doc = json.loads(fitted_model.read_text())
    assert (got["strategy"], got["format_version"], got["n_train"]) == \
        (doc["strategy"], doc["format_version"], doc["n_train"])
    assert [(c["name"], c["kind"], c["null_fraction"]) for c in got["columns"]] == \
        [(c["column"]["name"], c["column"]["kind"], c["column"]["null_fraction"]) for c in doc["columns"]]
    assert all(c["marginal"] for c in got["columns"])
    matrix = np.asarray(doc["dependence"]["correlation"])
    assert got["dependence"]["size"] == f"{matrix.shape[0]}x{matrix.shape[1]}"
    assert got["rules"] == ["y > 0"]
    assert got["columns"][2]["null_fraction"] == pytest.approx(0.1)
    repair = doc["dependence"].get("repair")
    assert ("correlation repair" in got["protections"]) == isinstance(repair, dict)


def test_inspect_text(fitted_model, capsys):
    capsys.readouterr()
    assert main(["inspect", str(fitted_model)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^strategy\s+gaussian_copula$", out, re.M)
    assert "format          synthkit-model version 1" in out
    assert re.search(r"^\s*x\s+continuous", out, re.M) and re.search(r"^\s*kind\s+categorical", out, re.M)
    matrix = np.asarray(json.loads(fitted_model.read_text())["dependence"]["correlation"])
    assert f"size: {matrix.shape[0]}x{matrix.shape[1]}" in out
    assert "y > 0" in out


def test_inspect_refuses_a_non_model(tmp_path, capsys):
    (tmp_path / "x.json").write_text('{"format": "other"}')
    assert main(["inspect", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("synthkit: error: ") and "Traceback" not in err


def test_recipes_lists_the_examples_and_run_takes_a_name(tmp_path, capsys):
    from synthkit.recipes import list_examples

    assert main(["recipes"]) == 0
    out = capsys.readouterr().out
    for r in list_examples():
        assert re.search(rf"^{r.name}\s+{re.escape(r.description)}$", out, re.M), out
    assert main(["run", "bank_customers", "-o", str(tmp_path), "-n", "50", "--seed", "1"]) == 0
    assert len(pd.read_csv(tmp_path / "bank_customers.csv")) == 50
    assert main(["run", "bank_custmers", "-o", str(tmp_path)]) == 2
    assert "bank_customers" in capsys.readouterr().err


def _stderr_on_a_terminal(argv: list[str]) -> str:
    """Run the command with stderr on a pseudo-terminal; return what it wrote there."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 24 x 100 characters
    proc = subprocess.Popen([sys.executable, "-m", "synthkit.cli", *argv], stdout=subprocess.DEVNULL,
                            stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) == 0, b"".join(chunks)
    return b"".join(chunks).decode(errors="replace")


def test_progress_bar_on_a_terminal_and_no_progress(fitted_model, tmp_path):
    rows = "400000"
    shown = _stderr_on_a_terminal(["sample", str(fitted_model), "-n", rows, "-o", str(tmp_path / "a.parquet"),
                                   "--seed", "1"])
    assert re.search(r"\d+%\|", shown), shown  # a tqdm bar
    hidden = _stderr_on_a_terminal(["sample", str(fitted_model), "-n", rows, "-o", str(tmp_path / "b.parquet"),
                                    "--seed", "1", "--no-progress"])
    assert not re.search(r"\d+%\|", hidden), hidden


def test_sample_refuses_zero_workers_in_both_forms(tmp_path, capsys):
    """``--workers 0`` meant one worker for a CSV and an error for a Parquet folder."""
    model = tmp_path / "m.json"
    assert main(["fit", "sklearn:iris", "-o", str(model), "--strategy", "montecarlo"]) == 0
    import importlib.util

    forms = ("a.csv", "parts/") if importlib.util.find_spec("dask") else ("a.csv",)  # parts need dask
    for out in forms:
        extra = ["--format", "parquet"] if out.endswith("/") else []
        code = main(["sample", str(model), "-n", "10", "-o", str(tmp_path / out), "--workers", "0", "--seed", "1",
                     *extra])
        assert code == 2, out
        assert "`workers` must be a positive integer, got 0" in capsys.readouterr().err
