"""Recipes with an `extend` section: complete a partial real table with a model's other columns."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import synthkit
from synthkit.cli import main
from synthkit.datasets import load_example
from synthkit.errors import RecipeError
from synthkit.recipes import Recipe, find_recipe, load_recipe, run_recipe

ROOT = Path(__file__).resolve().parents[1]
GIVEN = ["rate_marriage", "age", "yrs_married", "children", "religious"]
DRAWN = ["educ", "occupation", "occupation_husb", "affairs"]


def _check_extended(out: pd.DataFrame) -> None:
    real = load_example("statsmodels:fair")
    assert list(out.columns) == GIVEN + DRAWN and len(out) == len(real)
    pd.testing.assert_frame_equal(out[GIVEN], real[GIVEN], check_dtype=False)  # verbatim, in order
    assert out[DRAWN].notna().all().all()
    assert (out["educ"] <= out["age"] - 5).all()  # the recipe's rule holds on every row
    for c in ("educ", "occupation", "occupation_husb"):  # drawn from the model: levels seen in the data
        assert set(out[c]) <= set(real[c])
    # drawn, not copied from the real rows: a copy would agree on every row; an independent draw
    # of educ (6 levels) agrees on sum_k p_k^2 of the rows, far below 1
    p = real["educ"].value_counts(normalize=True).to_numpy()
    agree = float((out["educ"].to_numpy() == real["educ"].to_numpy()).mean())
    assert agree < 0.9, agree
    assert agree > float((p ** 2).sum()) - 5 * np.sqrt(0.25 / len(real))  # and dependent on the row


def test_packaged_extend_recipe_runs_by_name_and_from_the_checkout(tmp_path):
    assert (ROOT / "recipes" / "extend_partial.yaml").read_bytes() == find_recipe("extend_partial").read_bytes()
    (a,) = run_recipe("extend_partial", out_dir=tmp_path / "a", parents=True)
    (b,) = run_recipe(ROOT / "recipes" / "extend_partial.yaml", out_dir=tmp_path / "b", parents=True)
    assert a.name == b.name == "fair_extended.csv"
    out_a, out_b = pd.read_csv(a), pd.read_csv(b)
    _check_extended(out_a)
    pd.testing.assert_frame_equal(out_a, out_b)  # same recipe, same seed: same rows
    # validated against the full table the model was fitted on, drawn columns included
    assert main(["validate", str(ROOT / "recipes" / "extend_partial.yaml"), str(b), "--checks",
                 "marginals", "--json", str(tmp_path / "rep.json")]) == 0
    rep = json.loads((tmp_path / "rep.json").read_text())
    assert rep["meta"]["n_reference"] == len(load_example("statsmodels:fair"))
    assert set(DRAWN) <= {c["columns"] for c in rep["checks"]}


def test_extend_recipe_with_a_model_file_matches_model_extend(tmp_path, monkeypatch, capsys):
    """`model:` + a CSV `data:` relative to the recipe folder, replication weights, and the CLI's
    seed override: the output is exactly what Strategy.extend returns for that seed."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal(400)
    full = pd.DataFrame({"x": x, "y": 0.8 * x + 0.6 * rng.standard_normal(400),
                         "g": np.where(x > 0, "hi", "lo")})
    model = synthkit.fit(full, strategy="gaussian_copula")
    folder = tmp_path / "r"
    folder.mkdir()
    model.save(folder / "m.json")
    partial = pd.DataFrame({"x": [-1.5, 0.0, 1.5], "w": [1, 0, 3], "other": ["a", "b", "c"]})
    partial.to_csv(folder / "partial.csv", index=False)
    recipe = folder / "ext.yaml"
    recipe.write_text(yaml.safe_dump({
        "name": "ext", "data": "partial.csv", "columns": ["x"], "model": "m.json", "output": "done.csv",
        "extend": {"columns": ["y"], "weights": "w", "rules": ["y > x - 2"], "seed": 1}}))
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(recipe), "--seed", "9"]) == 0
    got = pd.read_csv(tmp_path / "done.csv")
    want = synthkit.load(folder / "m.json").extend(partial[["x", "w"]], ["y"], seed=9,
                                                   rules=["y > x - 2"], weights="w").frame
    assert list(got.columns) == ["x", "y"] and got["x"].tolist() == [-1.5, 1.5, 1.5, 1.5]
    pd.testing.assert_frame_equal(got, want.reset_index(drop=True), check_exact=False, rtol=1e-12)
    assert (got["y"] > got["x"] - 2).all()
    assert main(["run", str(recipe), "-n", "5"]) == 2  # rows: one per real row, not a count
    assert "`rows` does not apply" in capsys.readouterr().err


_FIT = {"data": "statsmodels:fair", "columns": GIVEN, "fit": {"data": "statsmodels:fair"},
        "extend": {"seed": 1}}


@pytest.mark.parametrize("change,match", [
    ({"extend": {"colums": ["educ"]}}, r"key `extend`: unknown key\(s\) \['colums'\]"),
    ({"extend": ["educ"]}, "key `extend`: expected a mapping"),
    ({"extend": {"columns": "educ"}}, "key `extend.columns`: expected a non-empty list"),
    ({"extend": {"seed": -1}}, "key `extend.seed`"),
    ({"extend": {"weights": 3}}, "key `extend.weights`"),
    ({"extend": {"rules": ["educ >="]}}, "key `extend.rules`"),
    ({"rows": 10}, "key `rows` does not apply to an `extend` recipe"),
    ({"seed": 3}, "key `seed` does not apply.*extend.seed"),
    ({"strategy": "gmm"}, "key `strategy` does not apply.*fit.strategy"),
    ({"columns": "age"}, "key `columns`: expected a non-empty list"),
    ({"columns": ["age", "age"]}, "key `columns`: expected column names without repeats"),
    ({"data": None}, "key `data`"),
    ({"model": "m.json"}, "exactly one of `model`"),
    ({"fit": None, "model": "m.pkl"}, "key `model`: expected a model file path ending in .json"),
    ({"fit": {"dat": "x.csv"}}, r"key `fit`: unknown key\(s\) \['dat'\]"),
    ({"fit": {"data": "statsmodels:fair", "strategy": 3}}, "key `fit.strategy`"),
    ({"fit": {"data": "statsmodels:fair", "params": [1]}}, "key `fit.params`"),
    ({"output": "out.txt"}, "key `output`"),
])
def test_bad_extend_recipes_are_refused_naming_the_key(change, match):
    doc = {k: v for k, v in {**_FIT, **change}.items() if v is not None or k == "data"}
    with pytest.raises(RecipeError, match=match):
        Recipe.from_dict(doc, "ext.yaml")


def test_extend_recipe_errors_at_run_name_the_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RecipeError, match=r"key `columns`: \['nope'\] are not columns of `data`"):
        run_recipe({**_FIT, "columns": ["age", "nope"]})
    with pytest.raises(RecipeError, match="key `extend`: .*not_a_column"):
        run_recipe({**_FIT, "extend": {"columns": ["not_a_column"]}})
    with pytest.raises(RecipeError, match="key `fit.strategy`: .*no_such"):
        run_recipe({**_FIT, "fit": {"data": "statsmodels:fair", "strategy": "no_such"}})
    with pytest.raises(RecipeError, match="key `fit`: only a recipe with an `extend` section"):
        Recipe.from_dict({"rows": 5, "data": "sklearn:wine", "fit": {"data": "sklearn:wine"}})


@pytest.mark.parametrize("key", ["data", "model", "fit.data"])
def test_extend_recipe_reads_only_inside_its_folder_unless_allowed(tmp_path, monkeypatch, key):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "recipes"
    folder.mkdir()
    outside = tmp_path / "outside.csv"
    pd.DataFrame({"x": [0.5]}).to_csv(outside, index=False)
    doc = {"data": "../outside.csv", "model": "m.json", "extend": {}}
    if key == "model":
        doc = {**doc, "data": "p.csv", "model": "../m.json"}
    if key == "fit.data":
        doc = {"data": "p.csv", "fit": {"data": str(outside)}, "extend": {}}
    (folder / "r.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(RecipeError, match=f"key `{key}`: .*allow_outside=True.*to read there"):
        run_recipe(folder / "r.yaml")
    assert isinstance(load_recipe(folder / "r.yaml"), dict)
