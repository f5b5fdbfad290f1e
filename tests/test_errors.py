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


def test_unfitted_models_and_wrong_models_get_clear_errors():
    from synthkit.errors import NotFittedError

    m = synthkit.GaussianCopula()
    assert not hasattr(m, "correlation_")  # an AttributeError, as scikit-learn's NotFittedError
    with pytest.raises(NotFittedError, match="is not fitted yet"):
        m.correlation_  # noqa: B018
    df = pd.DataFrame({"a": [1.0, np.nan, 3.0, 4.0, 5.0] * 10, "b": np.arange(50.0)})
    with pytest.raises(SpecError, match="`model` for imputation must be a fitted synthkit model"):
        synthkit.impute(df, model="gaussian_copula", seed=0)
    with pytest.raises(NotFittedError):
        synthkit.impute(df, model=m, seed=0)
    strat = synthkit.fit(pd.DataFrame({"g": ["a", "b"] * 100, "x": np.arange(200.0), "y": np.arange(200.0) ** 2}),
                         stratify="g")
    with pytest.raises(SpecError, match="stratified by 'g'"):
        strat.correlation_frame()


def test_strategies_clone_with_scikit_learn():
    from sklearn.base import clone

    m = synthkit.GaussianCopula(correlation=np.array([[1, 0.5], [0.5, 1]]))
    assert np.array_equal(clone(m).correlation, m.correlation)


def test_reports_read_back_from_their_json_text(tmp_path):
    t = pd.DataFrame({"x": np.random.default_rng(0).normal(size=200)})
    rep = synthkit.validate(t, t.sample(frac=1, random_state=1), checks="marginals", figures=False)
    back = synthkit.ValidationReport.from_json(rep.to_json())
    assert back.passed == rep.passed and len(back.checks) == len(rep.checks)
    with pytest.raises(ModelFileError, match="cannot read"):
        synthkit.load(tmp_path / ("m" * 300 + ".json"))


def test_marginal_inputs_are_checked():
    m = synthkit.ParametricMarginal.fit(np.array([np.nan, 1.0, 2.0, 4.0]), "norm")
    assert m.params["loc"] == pytest.approx(7 / 3)
    with pytest.raises(SpecError, match="must be numbers"):
        synthkit.ParametricMarginal.fit(np.array(["a", "b"]), "norm")
    with pytest.raises(SpecError, match="`n` must be a positive integer, got 2.5"):
        m.sample(2.5, seed=0)
    with pytest.raises(SpecError, match="probabilities must be a list of numbers"):
        synthkit.CategoricalMarginal("ab")
    with pytest.raises(SpecError, match="p x p covariances"):
        synthkit.pairwise_overlap([0, 0], np.eye(2), [1, 1, 1], np.eye(3))
    with pytest.raises(SpecError, match="`null_fraction` must be in"):
        synthkit.declare({"x": {"distribution": "normal", "null_fraction": 2}})
    k = pd.DataFrame({"k": np.random.default_rng(0).poisson(3, 300)})
    with pytest.raises(SpecError, match="'geom' is not a marginal of integer column 'k'"):
        synthkit.fit(k, strategy="montecarlo", marginals={"k": "geom"})  # (it was replaced by auto)
    assert synthkit.fit(k, strategy="montecarlo", marginals="kde").columns_[0].marginal.discrete


def test_a_scheduler_for_an_in_memory_synthetic_table_is_refused():
    t = pd.DataFrame({"x": np.arange(100.0)})
    with pytest.raises(SpecError, match="`scheduler` summarises a partitioned synthetic table"):
        synthkit.validate(t, t, scheduler="bogus")


def test_loading_needs_paths_and_names_the_missing_metadata(tmp_path):
    with pytest.raises(ModelFileError, match="expected the path of a file, got NoneType"):
        synthkit.load(None)
    (tmp_path / "t.csv").write_text("x\n1\n")
    with pytest.raises(ModelFileError, match="has no 't.csv.meta.json' next to it"):
        synthkit.SyntheticDataset.load(tmp_path / "t.csv")
    with pytest.raises(SpecError, match="`method` must be 'ecdf' or 'kde'"):
        synthkit.EmpiricalMarginal([1.0, 2.0], [0.5, 1.0], method="x")
    schema = synthkit.infer_schema(pd.DataFrame({"a": [1, 2], "b": [0.5, 1.0]}))
    with pytest.raises(DataError, match=r"lacks column\(s\) \['b'\]"):
        schema.cast(pd.DataFrame({"a": [3]}))


def test_the_input_table_is_data_everywhere_and_df_still_works_with_a_warning():
    import inspect

    for fn in (synthkit.fit, synthkit.anonymize, synthkit.impute, synthkit.oversample):
        assert next(iter(inspect.signature(fn).parameters)) == "data"
    d = pd.DataFrame({"x": [1.0, np.nan, 3.0, 4.0, 5.0] * 20, "y": np.arange(100.0)})
    with pytest.warns(DeprecationWarning, match=r"use `impute\(data=...\)`"):
        out = synthkit.impute(df=d, seed=0)
    assert not out.isna().any().any()
    with pytest.raises(SpecError, match="give `data` only"):
        synthkit.impute(d, df=d)
