"""Every bad input of the foundation gets a clear SynthkitError naming the problem."""

import json

import numpy as np
import pandas as pd
import pytest

import synthkit
from synthkit.errors import DataError, FitError, ModelFileError, RecipeError, SpecError
from synthkit.recipes import run_recipe


def test_empty_frame():
    with pytest.raises(DataError, match=r"data is empty \(0 rows x 0 columns\)"):
        synthkit.fit(pd.DataFrame())


def test_all_nan_column():
    with pytest.raises(DataError, match="column 'b' is entirely missing"):
        synthkit.fit(pd.DataFrame({"a": [1.0, 2.0], "b": [np.nan, np.nan]}))


def test_inf_values():
    with pytest.raises(DataError, match=r"infinite values in column\(s\) \['a'\]"):
        synthkit.fit(pd.DataFrame({"a": [1.0, np.inf, 2.0]}))


def test_unknown_kind_and_distribution_and_params():
    with pytest.raises(SpecError, match="column 'x': unknown column kind 'text'"):
        synthkit.declare({"x": {"kind": "text", "distribution": "normal"}})
    with pytest.raises(SpecError, match="column 'x': unknown distribution 'gauss'"):
        synthkit.declare({"x": {"distribution": "gauss"}})
    with pytest.raises(SpecError, match=r"column 'x': `scale` of 'lognormal' must be > 0, got -2.0"):
        synthkit.declare({"x": {"distribution": "lognormal", "params": {"s": 1, "scale": -2}}})
    with pytest.raises(SpecError, match=r"column 'r': `probs` must be a list with one probability"):
        synthkit.declare({"r": {"categories": ["a", "b"], "probs": [1.0]}})
    with pytest.raises(SpecError, match=r"unknown key\(s\) \['mean'\]"):
        synthkit.declare({"x": {"distribution": "normal", "mean": 3}})


def test_unknown_strategy():
    with pytest.raises(SpecError, match="unknown strategy 'magic'; available strategies: .*montecarlo"):
        synthkit.fit(pd.DataFrame({"a": [1.0, 2.0]}), strategy="magic")


@pytest.mark.parametrize("n", [0, -3, 1.5, "7", None])
def test_bad_n(n):
    model = synthkit.declare({"x": {"distribution": "normal"}})
    with pytest.raises(SpecError, match="`n` must be a positive integer"):
        model.sample(n)


def test_sample_before_fit():
    with pytest.raises(FitError, match="not fitted yet"):
        synthkit.MonteCarlo().sample(10)


def test_bad_parameter_checked_at_fit():
    model = synthkit.MonteCarlo(ks_tolerance=2)  # __init__ only stores
    with pytest.raises(SpecError, match=r"`ks_tolerance` must be in \(0, 1\], got 2"):
        model.fit(pd.DataFrame({"a": [1.0, 2.0, 3.0]}))


def test_unreadable_and_malformed_model_files(tmp_path):
    with pytest.raises(ModelFileError, match="no such file"):
        synthkit.load(tmp_path / "missing.json")
    with pytest.raises(ModelFileError, match="is a directory, not a file"):
        synthkit.load(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ModelFileError, match="is not valid JSON"):
        synthkit.load(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(ModelFileError, match="must hold a JSON object"):
        synthkit.load(bad)
    bad.write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(ModelFileError, match="is not a synthkit-model file"):
        synthkit.load(bad)
    good = synthkit.declare({"x": {"distribution": "normal"}}).to_dict()
    bad.write_text(json.dumps({**good, "format_version": 99}))
    with pytest.raises(ModelFileError, match="format_version 99"):
        synthkit.load(bad)
    broken = {**good, "columns": [{"column": good["columns"][0]["column"],
                                   "marginal": {"type": "parametric", "family": "normal",
                                                "params": {"scale": -1}}}]}
    bad.write_text(json.dumps(broken))
    with pytest.raises(synthkit.SynthkitError, match="`scale` of 'normal' must be > 0"):
        synthkit.load(bad)
    missing = {k: v for k, v in good.items() if k != "columns"}
    bad.write_text(json.dumps(missing))
    with pytest.raises(ModelFileError, match="missing the `columns` entry"):
        synthkit.load(bad)


def test_unreadable_data_file(tmp_path):
    from synthkit.io import read_table

    p = tmp_path / "x.csv"
    with pytest.raises(DataError, match="no such data file"):
        read_table(p)
    with pytest.raises(DataError, match="use a .csv or .parquet"):
        read_table(tmp_path / "x.xlsx")
    q = tmp_path / "x.parquet"
    q.write_text("not parquet")
    with pytest.raises(DataError, match="could not read"):
        read_table(q)


@pytest.mark.parametrize("doc,msg", [
    ("rows: 10\n", "exactly one of `columns`"),
    ("columns: {x: {distribution: normal}}\n", "key `rows`: expected the number of rows"),
    ("rows: -4\ncolumns: {x: {distribution: normal}}\n", "key `rows`: expected a positive integer, got -4"),
    ("rows: 5\ncolums: {}\n", r"unknown key\(s\) \['colums'\]"),
    ("rows: 5\ncolumns: {x: {distribution: nrml}}\n", "key `columns`: column 'x': unknown distribution"),
    ("rows: 5\ncolumns: {x: {distribution: normal}}\noutput: a.xlsx\n", "key `output`: expected a path ending"),
    ("rows: 5\nseed: abc\ncolumns: {x: {distribution: normal}}\n", "key `seed`: expected a non-negative integer"),
    ("rows: 5\ndata: missing.csv\n", "key `data`: no such data file"),
    ("rows: 5\ncolumns: {x: {distribution: normal}}\nstrategy: nope\n", "key `strategy`: unknown strategy"),
    ("- just\n- a list\n", "must be a YAML mapping"),
    ("rows: [unclosed\n", "not valid YAML"),
])
def test_malformed_recipes_name_file_and_key(tmp_path, doc, msg):
    path = tmp_path / "r.yaml"
    path.write_text(doc)
    with pytest.raises(RecipeError, match=msg) as info:
        run_recipe(path, out_dir=tmp_path)
    assert "r.yaml" in str(info.value)


def test_yaml_tags_never_execute(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("rows: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(RecipeError, match="not valid YAML"):
        run_recipe(path)
