"""Hostile inputs: every one is a clear SynthkitError naming the field and the fix, or correct output.

``CASES`` is one table of ``(id, call, expected error class, message fragment)``. ``call``
takes a temporary folder. For command-line cases the class is :data:`CLI` and ``call``
returns the argument list: ``synthkit`` must exit with status 2 and print
``synthkit: error: ...`` containing the fragment, without a traceback.

The tests after the table check the inputs that used to give silently wrong results.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthkit
from synthkit.cli import main
from synthkit.clusters import Archetype
from synthkit.errors import (
    DataError,
    ModelFileError,
    RecipeError,
    RuleError,
    SpecError,
    SynthkitError,
)
from synthkit.recipes import run_recipe

CLI = "cli"
HUGE = 10**12  # rows: far beyond any machine's memory at 8 bytes a cell

# ----------------------------------------------------------------------------- helpers
_rng = np.random.default_rng(20240601)
FRAME = pd.DataFrame({
    "x": _rng.normal(size=60),
    "c": _rng.choice(["a", "b", "c"], size=60),
    "k": _rng.integers(0, 4, size=60),
})


def fit(data, **kw):
    return synthkit.fit(data, **kw)


def declare(spec: dict, **kw):
    return synthkit.declare({"col": spec}, **kw)


@functools.cache
def _doc(strategy: str = "montecarlo") -> str:
    return json.dumps(synthkit.fit(FRAME, strategy=strategy).to_dict())


@functools.cache
def _datetime_doc() -> str:
    m = declare({"kind": "datetime", "distribution": "uniform", "min": "2020-01-01",
                 "max": "2021-01-01"})
    return json.dumps(m.to_dict())


def model_file(tmp: Path, edit, base: str | None = None) -> Path:
    """A saved model document changed by ``edit(doc)``; returns its path."""
    doc = json.loads(base or _doc())
    edit(doc)
    path = tmp / "model.json"
    path.write_text(json.dumps(doc))
    return path


def load_edited(edit, base: str | None = None):
    def call(tmp):
        return synthkit.load(model_file(tmp, edit, base)).sample(10, seed=0)
    return call


def column(i: int, key: str, value):
    def edit(doc):
        doc["columns"][i]["column"][key] = value
        doc["schema"]["columns"][i][key] = value
    return edit


def param(key: str, value):
    return lambda doc: doc["params"].__setitem__(key, value)


def recipe(tmp: Path, text: str) -> Path:
    path = tmp / "recipe.yaml"
    path.write_text(text)
    return path


def run_yaml(text: str):
    return lambda tmp: run_recipe(recipe(tmp, text), out_dir=tmp)


def csv(tmp: Path) -> Path:
    path = tmp / "data.csv"
    FRAME.to_csv(path, index=False)
    return path


def saved_model(tmp: Path) -> Path:
    return synthkit.fit(FRAME).save(tmp / "good.json")


def validate(real, synth, **kw):
    return synthkit.validate(real, synth, checks=["marginals"], **kw)


def one_col(values, **kw) -> pd.DataFrame:
    return pd.DataFrame({"a": values}, **kw)


NORMAL = {"distribution": "normal"}
DT = {"kind": "datetime", "distribution": "uniform"}

# ------------------------------------------------------------------------------ the table
CASES = [
    # --- fit: cells, dtypes and labels a model cannot hold
    ("fit-list-cells", lambda t: fit(one_col([[1], [2], [3]])), DataError,
     "column 'a' holds list cells"),
    ("fit-dict-cells", lambda t: fit(one_col([{"k": 1}, {"k": 2}])), DataError,
     "column 'a' holds dict cells"),
    ("fit-set-cells", lambda t: fit(one_col([{1}, {2}])), DataError, "column 'a' holds set cells"),
    ("fit-list-cells-among-text", lambda t: fit(one_col(["x", ["y"], "z"])), DataError,
     "expand the cells into columns"),
    ("fit-complex-dtype", lambda t: fit(one_col(np.array([1 + 2j, 3 - 1j, 2 + 0j]))), DataError,
     "complex-valued column(s) ['a']"),
    ("fit-complex-objects", lambda t: fit(one_col([1 + 2j, "x", 3j])), DataError,
     "imaginary parts"),
    ("fit-multiindex-columns", lambda t: fit(pd.DataFrame(
        np.ones((3, 2)), columns=pd.MultiIndex.from_tuples([("a", "b"), ("a", "c")]))),
     DataError, "hierarchical (MultiIndex or tuple) column labels"),
    ("fit-tuple-label", lambda t: fit(pd.DataFrame({("a",): [1.0, 2.0]})), DataError,
     "flatten them first"),
    ("fit-none-label", lambda t: fit(pd.DataFrame({None: [1.0, 2.0]})), DataError,
     "column label None"),
    ("fit-bool-label", lambda t: fit(pd.DataFrame({True: [1.0, 2.0]})), DataError,
     "column label True (bool) is not a string or a number"),
    ("fit-timestamp-label", lambda t: fit(pd.DataFrame({pd.Timestamp("2020-01-01"): [1.0, 2.0]})),
     DataError, "rename the columns"),
    ("fit-timedelta", lambda t: fit(one_col(pd.to_timedelta([1, 2, 3], unit="s"))), DataError,
     "dt.total_seconds()"),
    ("fit-period", lambda t: fit(one_col(pd.period_range("2020", periods=3, freq="M"))),
     DataError, "holds Period values"),
    ("fit-interval", lambda t: fit(one_col(pd.interval_range(0, 3))), DataError,
     "holds Interval values"),
    ("fit-bytes", lambda t: fit(one_col([b"x", b"y", b"x"])), DataError, "astype(str)"),
    ("fit-date-objects", lambda t: fit(one_col([datetime.date(2020, 1, d) for d in (1, 2, 3)])),
     DataError, "pandas.to_datetime(df['a'])"),
    ("fit-decimal-objects", lambda t: fit(one_col([decimal.Decimal("1.5"), decimal.Decimal("2")])),
     DataError, "astype(float)"),
    ("fit-timestamps-among-text", lambda t: fit(one_col([pd.Timestamp("2020-01-01"), "x", "y"])),
     DataError, "holds Timestamp values"),
    ("fit-dates-after-2262", lambda t: fit(one_col(np.array(["2300-01-01", "2301-01-01"],
                                                            dtype="datetime64[s]"))),
     DataError, "outside the range synthkit can represent"),
    ("fit-dates-before-1677", lambda t: fit(one_col(np.array(["1500-01-01", "1501-01-01"],
                                                             dtype="datetime64[s]"))),
     DataError, "outside the range synthkit can represent"),
    ("fit-unknown-keyword", lambda t: fit(FRAME, foo=1), SpecError,
     "unknown parameter(s) ['foo'] for strategy 'gaussian_copula'; its parameters are"),
    ("fit-unknown-keyword-copula", lambda t: fit(FRAME, strategy="gaussian_copula", foo=1),
     SpecError, "unknown parameter(s) ['foo'] for strategy 'gaussian_copula'"),
    ("fit-ks-tolerance-bool", lambda t: fit(FRAME, ks_tolerance=True), SpecError,
     "`ks_tolerance` must be in (0, 1], got True"),
    ("fit-empty-frame", lambda t: fit(pd.DataFrame()), DataError, "data is empty"),
    ("fit-all-missing-column", lambda t: fit(one_col([None, None])), DataError,
     "column 'a' is entirely missing"),
    ("fit-duplicate-after-str", lambda t: fit(pd.DataFrame([[1.0, 2.0]], columns=[1, "1"])),
     SynthkitError, "duplicate column names"),
    # --- declare: every field checked, naming the column and the key
    ("declare-params-list", lambda t: declare({"distribution": "normal", "params": [1, 2]}),
     SpecError, "column 'col': `params` must be a mapping"),
    ("declare-params-text", lambda t: declare({"distribution": "normal", "params": "loc=1"}),
     SpecError, "`params` must be a mapping of parameter name -> number"),
    ("declare-poisson-param-text", lambda t: declare({"distribution": "poisson",
                                                      "params": {"mu": "x"}}),
     SpecError, "`params.mu` must be a number, got 'x'"),
    ("declare-distribution-not-a-name", lambda t: declare({"distribution": ["normal"]}),
     SpecError, "`distribution` must be a distribution name"),
    ("declare-probs-text", lambda t: declare({"categories": ["x", "y"], "probs": ["a", "b"]}),
     SpecError, "`probs[0]` must be a number, got 'a'"),
    ("declare-categories-unhashable", lambda t: declare({"categories": [["x"], ["y"]]}),
     SpecError, "`categories` entries must be strings or numbers"),
    ("declare-categories-null", lambda t: declare({"categories": [None, "x"]}), SpecError,
     "declare missing values with `nulls` instead"),
    ("declare-boolean-p-text", lambda t: declare({"kind": "boolean", "p": "x"}), SpecError,
     "`p` must be a number, got 'x'"),
    ("declare-boolean-three-probs", lambda t: declare({"kind": "boolean",
                                                       "probs": [0.2, 0.3, 0.5]}),
     SpecError, "`probs` of a boolean column must be [P(false), P(true)]"),
    ("declare-boolean-one-prob", lambda t: declare({"kind": "boolean", "probs": [1.0]}),
     SpecError, "[P(false), P(true)]"),
    ("declare-boolean-categories", lambda t: declare({"kind": "boolean",
                                                      "categories": ["y", "n", "m"]}),
     SpecError, "key(s) ['categories'] do not apply to boolean columns"),
    ("declare-boolean-distribution", lambda t: declare({"kind": "boolean", **NORMAL}),
     SpecError, "key(s) ['distribution'] do not apply to boolean columns"),
    ("declare-integer-categories", lambda t: declare({"kind": "integer", "categories": ["x"]}),
     SpecError, "do not apply to integer columns"),
    ("declare-continuous-p", lambda t: declare({"kind": "continuous", "p": 0.3}), SpecError,
     "key(s) ['p'] do not apply to continuous columns"),
    ("declare-resolution-on-number", lambda t: declare({**NORMAL, "resolution": "D"}),
     SpecError, "key(s) ['resolution'] do not apply"),
    ("declare-value-and-distribution", lambda t: declare({"value": 3, **NORMAL}), SpecError,
     "a constant column (`value`) takes no ['distribution']"),
    ("declare-probs-without-values", lambda t: declare({**NORMAL, "probs": [1.0]}), SpecError,
     "`probs` needs `values`"),
    ("declare-values-and-distribution", lambda t: declare({"values": [1, 2], **NORMAL}),
     SpecError, "give `distribution` or `values`, not both"),
    ("declare-nulls-text", lambda t: declare({**NORMAL, "nulls": "lots"}), SpecError,
     "`nulls` must be a number, got 'lots'"),
    ("declare-nulls-list", lambda t: declare({**NORMAL, "nulls": [0.1]}), SpecError,
     "`nulls` must be a number, got [0.1]"),
    ("declare-nulls-bool", lambda t: declare({**NORMAL, "nulls": True}), SpecError,
     "`nulls` must be a number, got True"),
    ("declare-nulls-twice", lambda t: declare({**NORMAL, "nulls": 0.1, "null_fraction": 0.2}),
     SpecError, "give `nulls` or `null_fraction`, not both"),
    ("declare-min-bool", lambda t: declare({**NORMAL, "min": True}), SpecError,
     "`min` must be a number, got True"),
    ("declare-decimals-bool", lambda t: declare({**NORMAL, "decimals": True}), SpecError,
     "`decimals` must be an integer in [0, 15], got True"),
    ("declare-decimals-huge", lambda t: declare({**NORMAL, "decimals": 10**6}), SpecError,
     "`decimals` must be an integer in [0, 15]"),
    ("declare-decimals-on-integer", lambda t: declare({**NORMAL, "kind": "integer",
                                                       "decimals": 2}),
     SpecError, "an integer column has no decimals"),
    ("declare-dtype-unknown", lambda t: declare({**NORMAL, "dtype": "foo"}), SpecError,
     "unknown dtype 'foo'"),
    ("declare-dtype-not-text", lambda t: declare({**NORMAL, "dtype": 5}), SpecError,
     "`dtype` must be a pandas dtype name"),
    ("declare-dtype-int8-unbounded", lambda t: declare({**NORMAL, "params": {"loc": 1000},
                                                        "dtype": "int8"}),
     SpecError, "dtype 'int8' holds only [-128, 127]: declare `min` and `max`"),
    ("declare-dtype-int8-bound-outside", lambda t: declare({**NORMAL, "dtype": "int8",
                                                            "min": -1000, "max": 10}),
     SpecError, "`minimum` (-1000.0) is outside what dtype 'int8' holds"),
    ("declare-dtype-uint8-negative", lambda t: declare({**NORMAL, "dtype": "uint8",
                                                        "min": -5, "max": 5}),
     SpecError, "outside what dtype 'uint8' holds [0, 255]"),
    ("declare-dtype-category-number", lambda t: declare({**NORMAL, "dtype": "category"}),
     SpecError, "dtype 'category' cannot hold the values of a continuous column"),
    ("declare-dtype-bool-number", lambda t: declare({**NORMAL, "dtype": "bool"}), SpecError,
     "dtype 'bool' cannot hold the values of a continuous column"),
    ("declare-dtype-datetime-number", lambda t: declare({**NORMAL, "dtype": "datetime64[ns]"}),
     SpecError, "cannot hold the values of a continuous column"),
    ("declare-dtype-int-for-text", lambda t: declare({"categories": ["x", "y"], "dtype": "int64"}),
     SpecError, "dtype 'int64' holds numbers, but the categories are ['x', 'y']"),
    ("declare-value-list", lambda t: declare({"value": [1]}), SpecError,
     "`value` must be a number, got [1]"),
    ("declare-value-none", lambda t: declare({"value": None}), SpecError,
     "`value` must be a number, got None"),
    ("declare-boolean-value-number", lambda t: declare({"kind": "boolean", "value": 3}),
     SpecError, "`value` of a boolean column must be true or false"),
    ("declare-values-text", lambda t: declare({"values": ["a", "b"]}), SpecError,
     "`values[0]` must be a number, got 'a'"),
    ("declare-values-nan", lambda t: declare({"values": [1, float("nan")]}), SpecError,
     "`values[1]` must be finite"),
    ("declare-values-fractional-integer", lambda t: declare({"kind": "integer",
                                                             "values": [1.5, 2.5]}),
     SpecError, "`values` of an integer column must be whole numbers"),
    ("declare-discrete-as-continuous", lambda t: declare({"kind": "continuous",
                                                          "distribution": "poisson",
                                                          "params": {"mu": 2}}),
     SpecError, "'poisson' is a discrete distribution: use kind: integer"),
    ("declare-datetime-min-unparseable", lambda t: declare({**DT, "min": "notadate",
                                                            "max": "2020-01-01"}),
     SpecError, "column 'col': `min` must be a date such as '2020-01-31'"),
    ("declare-datetime-max-after-2262", lambda t: declare({**DT, "min": "2020-01-01",
                                                           "max": "2300-01-01"}),
     SpecError, "`max` ('2300-01-01') is outside the dates synthkit can represent"),
    ("declare-datetime-min-before-1677", lambda t: declare({**DT, "min": "1500-01-01",
                                                            "max": "2020-01-01"}),
     SpecError, "`min` ('1500-01-01') is outside the dates"),
    ("declare-datetime-min-number", lambda t: declare({**DT, "min": 5, "max": 10}), SpecError,
     "`min` must be a date such as '2020-01-31'"),
    ("declare-datetime-min-list", lambda t: declare({**DT, "min": [1], "max": "2020-01-01"}),
     SpecError, "`min` must be a date"),
    ("declare-datetime-value-unparseable", lambda t: declare({"kind": "datetime", "value": "xx"}),
     SpecError, "`value` must be a date"),
    ("declare-datetime-value-after-2262", lambda t: declare({"kind": "datetime",
                                                             "value": "2300-01-01"}),
     SpecError, "`value` ('2300-01-01') is outside the dates"),
    ("declare-datetime-loc-unparseable", lambda t: declare({
        "kind": "datetime", "distribution": "normal", "params": {"loc": "xx", "scale": 86400}}),
     SpecError, "`params.loc` must be a date"),
    ("declare-datetime-without-loc", lambda t: declare({"kind": "datetime", **NORMAL}),
     SpecError, "a datetime `normal` column needs `params.loc`"),
    ("declare-unknown-keyword", lambda t: declare(NORMAL, foo=1), SpecError,
     "unknown parameter(s) ['foo'] for strategy 'gaussian_copula'"),
    ("declare-boolean-column-name", lambda t: synthkit.declare({True: NORMAL}), SpecError,
     "column name True must be a string"),
    ("declare-probs-short", lambda t: declare({"categories": ["x", "y", "z"],
                                               "probs": [0.5, 0.5]}),
     SpecError, "one probability per category (3), got 2"),
    # --- sample
    ("sample-rows-beyond-memory", lambda t: fit(FRAME).sample(HUGE, seed=0), SpecError,
     "more than this machine's memory"),
    ("sample-beyond-memory-hints-chunks", lambda t: declare(NORMAL).sample(HUGE), SpecError,
     "model.iter_chunks(n, chunk_rows=...)"),
    ("sample-names-the-size", lambda t: fit(FRAME).sample(HUGE, seed=0), SpecError,
     "a sample of 1,000,000,000,000 rows x 3 columns needs about 2.4e+13 bytes"),
    ("sample-progress-text", lambda t: fit(FRAME).sample(5, seed=0, progress="yes"), SpecError,
     "`progress` must be True, False or None"),
    ("sample-negative-n", lambda t: fit(FRAME).sample(-5), SpecError,
     "`n` must be a positive integer"),
    # --- rules (sampling with business rules)
    ("rule-arithmetic-on-text", lambda t: fit(FRAME, rules=["c + 1 > 0"]).sample(5, seed=0),
     RuleError, "column 'c' (text) is not numeric"),
    ("rule-sqrt-of-category", lambda t: fit(FRAME, rules=["sqrt(c) > 0"]).sample(5, seed=0),
     RuleError, "sqrt() needs numbers"),
    ("rule-deep-nesting", lambda t: fit(FRAME, rules=["not " * 2000 + "x > 0"]), RuleError,
     "levels deep"),
    ("rule-unknown-column", lambda t: fit(FRAME, rules=["zz > 1"]).sample(5, seed=0), RuleError,
     "names unknown column(s) ['zz']"),
    # --- recipes
    ("recipe-duplicate-key", run_yaml("rows: 5\nrows: 6\ncolumns: {x: {distribution: normal}}\n"),
     RecipeError, "key 'rows' is given twice"),
    ("recipe-deep-nesting", run_yaml("rows: 5\ncolumns: {x: {distribution: normal}}\n"
                                     "description: " + "[" * 2000 + "]" * 2000 + "\n"),
     RecipeError, "recipe.yaml"),
    # a 400-digit integer overflowed the first float() it met (OverflowError traceback)
    ("recipe-integer-too-long", run_yaml("rows: " + "9" * 400 + "\ncolumns: {x: {distribution: normal}}\n"),
     RecipeError, "line 1: an integer has more than 300 digits"),
    # each dataset is a file: a million of them was not refused
    ("recipe-cluster-datasets-unbounded", run_yaml(
        "clusters:\n  n_datasets: 1000000\n  archetypes:\n    - {name: a, description: two clusters}\n"),
     RecipeError, "`clusters.n_datasets` must be a positive integer up to 100,000, got 1000000"),
    ("recipe-nulls-text", run_yaml("rows: 5\ncolumns: {x: {distribution: normal, nulls: lots}}\n"),
     RecipeError, "key `columns`: column 'x': `nulls` must be a number, got 'lots'"),
    ("recipe-date-after-2262", run_yaml(
        "rows: 5\ncolumns: {d: {kind: datetime, distribution: uniform, min: '2020-01-01', "
        "max: '2400-01-01'}}\n"), RecipeError, "outside the dates synthkit can represent"),
    ("recipe-yes-column-name", run_yaml("rows: 5\ncolumns: {yes: {distribution: normal}}\n"),
     RecipeError, "quote names such as 'yes'"),
    ("recipe-unknown-param", run_yaml("rows: 5\nparams: {foo: 1}\n"
                                      "columns: {x: {distribution: normal}}\n"),
     RecipeError, "key `params`"),
    ("recipe-rows-beyond-memory", run_yaml(f"rows: {HUGE}\ncolumns: {{x: {{distribution: normal}}}}\n"),
     SpecError, "more than this machine's memory"),
    # --- model files: everything read back is checked as at fit time
    ("model-ks-tolerance", load_edited(param("ks_tolerance", 5)), ModelFileError,
     "invalid `params`: `ks_tolerance` must be in (0, 1], got 5"),
    ("model-criterion", load_edited(param("criterion", "zzz")), ModelFileError,
     "`criterion` must be 'aic' or 'bic'"),
    ("model-t-copula-df", load_edited(param("df", -3), _doc("t_copula")), ModelFileError,
     "`df` must be a positive finite number"),
    # conditional sampling runs gibbs_sweeps sweeps: a file asking for 10^9 would hang
    ("model-gibbs-sweeps", load_edited(param("gibbs_sweeps", 10**9), _doc("gaussian_copula")),
     ModelFileError, "`gibbs_sweeps` must be an integer in [1, 1000], got 1000000000"),
    ("model-gmm-gibbs-sweeps", load_edited(param("gibbs_sweeps", 10**9), _doc("gmm")),
     ModelFileError, "`gibbs_sweeps` must be an integer in [1, 1000]"),
    ("model-rule-unknown-column", load_edited(param("rules", ["zz > 1"])), ModelFileError,
     "invalid `params`: rule 'zz > 1' names unknown column(s)"),
    ("model-unknown-strategy", load_edited(lambda d: d.__setitem__("strategy", "zz")),
     ModelFileError, "unknown strategy 'zz'"),
    ("model-columns-not-a-list", load_edited(lambda d: d.__setitem__("columns", 5)),
     ModelFileError, "`columns` a list"),
    ("model-no-columns", load_edited(lambda d: (d.__setitem__("columns", []),
                                                d["schema"].__setitem__("columns", []))),
     ModelFileError, "a schema needs at least one column"),
    ("model-decimals-negative", load_edited(column(0, "decimals", -5)), ModelFileError,
     "column 'x': `decimals` must be an integer in [0, 15] or None, got -5"),
    ("model-decimals-text", load_edited(column(0, "decimals", "x")), ModelFileError,
     "`decimals` must be an integer"),
    ("model-null-fraction-text", load_edited(column(0, "null_fraction", "x")), ModelFileError,
     "`null_fraction` must be a number in [0, 1), got 'x'"),
    ("model-minimum-text", load_edited(column(0, "minimum", "x")), ModelFileError,
     "column 'x': `minimum` must be a finite number, got 'x'"),
    ("model-minimum-bool", load_edited(column(0, "minimum", True)), ModelFileError,
     "`minimum` must be a finite number, got True"),
    ("model-dtype-unknown", load_edited(column(0, "dtype", "zz")), ModelFileError,
     "unknown dtype 'zz'"),
    ("model-dtype-number", load_edited(column(0, "dtype", 5)), ModelFileError, "unknown dtype 5"),
    ("model-dtype-for-kind", load_edited(column(0, "dtype", "datetime64[ns]")), ModelFileError,
     "cannot hold the values of a continuous column"),
    ("model-column-name-number", load_edited(column(0, "name", 5)), ModelFileError,
     "a column name must be a string, got 5"),
    ("model-fewer-categories-than-probs", load_edited(column(1, "categories", ["a", "b"])),
     ModelFileError, "one probability per category (2)"),
    ("model-more-categories-than-probs", load_edited(column(1, "categories", ["a", "b", "c", "d"])),
     ModelFileError, "one probability per category (4)"),
    ("model-two-probs-three-categories", load_edited(
        lambda d: d["columns"][1]["marginal"].__setitem__("probs", [0.5, 0.5])),
     ModelFileError, "column 'c': a categorical column needs a categorical marginal"),
    # a label twice took both shares; a null made missing values; a list was written as text
    ("model-category-twice", load_edited(column(1, "categories", ["a", "a", "c"])), ModelFileError,
     "column 'c': category 'a' is given twice in `categories`"),
    ("model-category-null", load_edited(column(1, "categories", ["a", "b", None])), ModelFileError,
     "a category must be a string, a finite number or a boolean"),
    ("model-category-list", load_edited(column(1, "categories", ["a", "b", ["c"]])), ModelFileError,
     "a category must be a string, a finite number or a boolean (missing values are `null_fraction`), "
     "got ['c']"),
    ("model-categories-missing", load_edited(column(1, "categories", None)), ModelFileError,
     "needs a non-empty `categories` list"),
    ("model-categories-text", load_edited(column(1, "categories", "abc")), ModelFileError,
     "`categories` must be a list, got 'abc'"),
    ("model-categorical-numeric-marginal", load_edited(
        lambda d: d["columns"][1].__setitem__("marginal", d["columns"][0]["marginal"])),
     ModelFileError, "needs a categorical marginal"),
    ("model-numeric-categorical-marginal", load_edited(
        lambda d: d["columns"][0].__setitem__("marginal", d["columns"][1]["marginal"])),
     ModelFileError, "a continuous column needs a numeric marginal"),
    ("model-n-train-negative", load_edited(lambda d: d.__setitem__("n_train", -5)),
     ModelFileError, "`n_train` must be a positive integer or null, got -5"),
    ("model-datetime-minimum-unparseable", load_edited(column(0, "minimum", "xx"), _datetime_doc()),
     ModelFileError, "`minimum` must be a date"),
    ("model-datetime-minimum-2300", load_edited(column(0, "maximum", "2300-01-01"),
                                                _datetime_doc()),
     ModelFileError, "outside the dates synthkit can represent"),
    ("model-boolean-three-categories", load_edited(
        lambda d: (column(0, "categories", [False, True, "x"])(d),
                   d["columns"][0].__setitem__("marginal", {"type": "categorical",
                                                            "probs": [0.2, 0.3, 0.5]})),
        json.dumps(declare({"kind": "boolean", "p": 0.3}).to_dict())),
     ModelFileError, "the `categories` of a boolean column are [false, true]"),
    ("model-deep-nesting", lambda t: (t.joinpath("deep.json").write_text("[" * 100_000 + "]" * 100_000),
                                      synthkit.load(t / "deep.json")),
     ModelFileError, "deep"),
    # --- archetypes and descriptions
    ("describe-negative-clusters", lambda t: Archetype.from_description("-5 clusters"), SpecError,
     "counts in a description must be positive; got '-5'"),
    ("describe-negative-dimensions", lambda t: Archetype.from_description(
        "three clusters in -2 dimensions"), SpecError, "must be positive; got '-2'"),
    ("describe-fractional-count", lambda t: Archetype.from_description("2.5 clusters"), SpecError,
     "counts in a description must be whole numbers, got 2.5"),
    ("describe-contradictory-overlap", lambda t: Archetype.from_description(
        "five clusters with no overlap and much overlap"), SpecError,
     "contradictory words in the description: 'no overlap' and 'much overlap'"),
    ("describe-contradictory-shapes", lambda t: Archetype.from_description(
        "five spherical and elongated clusters"), SpecError,
     "'spherical' and 'elongated' both set `aspect_ref`"),
    ("describe-unknown-symbol", lambda t: Archetype.from_description("five clusters ✨"),
     SpecError, "unknown word(s) in the description: '✨'"),
    ("describe-beyond-memory", lambda t: Archetype.from_description(
        "a million clusters in a thousand dimensions"), SpecError,
     "more than this machine's memory"),
    ("describe-huge-number", lambda t: Archetype.from_description(
        "99999999999999999999999 clusters"), SpecError, "`n_clusters` must be an integer at most 2^53"),
    ("describe-unknown-override", lambda t: Archetype.from_description("five clusters", foo=1),
     SpecError, "unknown archetype parameter(s) ['foo']"),
    ("archetype-points-beyond-memory", lambda t: Archetype(n_clusters=2, n_samples=10**13),
     SpecError, "more than this machine's memory"),
    ("archetype-dimension-beyond-memory", lambda t: Archetype(n_clusters=2, dim=10**6,
                                                              n_samples=10),
     SpecError, "1,000,000 dimensions"),
    ("archetype-replace-unknown", lambda t: Archetype().replace(foo=1), SpecError,
     "unknown archetype parameter(s) ['foo']"),
    ("archetype-file-params-list", lambda t: Archetype.from_dict({"params": [1]}), ModelFileError,
     "archetype `params` must be a mapping, got list"),
    ("archetype-zero-clusters", lambda t: Archetype(n_clusters=0), SpecError,
     "`n_clusters` must be an integer >= 1"),
    # --- validate
    ("validate-list-cells", lambda t: validate(FRAME.assign(c=[["a"]] * 60), FRAME), DataError,
     "the reference table: column 'c' holds list cells"),
    ("validate-list-cells-in-synthetic", lambda t: validate(FRAME, FRAME.assign(c=[{"a": 1}] * 60)),
     DataError, "the synthetic table: column 'c' holds dict cells"),
    ("validate-complex", lambda t: validate(FRAME.assign(x=FRAME["x"] + 1j), FRAME), DataError,
     "complex-valued column(s) ['x']"),
    ("validate-multiindex", lambda t: validate(pd.DataFrame(
        np.ones((3, 2)), columns=pd.MultiIndex.from_tuples([("x", "a"), ("x", "b")])), FRAME),
     DataError, "hierarchical (MultiIndex or tuple) column labels"),
    ("validate-no-common-columns", lambda t: validate(FRAME, pd.DataFrame({"zz": [1.0]})),
     DataError, "no column in common"),
    # --- command line: exit status 2 and `synthkit: error: ...`
    ("cli-rows-not-a-number", lambda t: ["sample", str(saved_model(t)), "-n", "abc",
                                         "-o", str(t / "o.csv")],
     CLI, "sample: argument -n/--rows: invalid int value: 'abc'"),
    ("cli-unknown-command", lambda t: ["nosuchcommand"], CLI, "invalid choice: 'nosuchcommand'"),
    ("cli-rows-beyond-64-bits", lambda t: ["sample", str(saved_model(t)), "-n", str(10**400),
                                           "-o", str(t / "o.csv")],
     CLI, "`n` must be at most 2**63 - 1, got a 401-digit number"),
    ("cli-clusters-count-beyond-floats", lambda t: ["clusters", f"{10**400} clusters in 2 dimensions",
                                                    "-o", str(t / "c")],
     CLI, "`n_clusters` must be an integer at most 2^53, got an integer of more than 300 digits"),
    ("archetype-ratio-beyond-floats", lambda t: synthkit.Archetype(aspect_ref=-10**400), SpecError,
     "`aspect_ref` must be a positive ratio >= 1, got an integer of more than 300 digits"),
    ("cli-unknown-param", lambda t: ["fit", str(csv(t)), "-o", str(t / "m.json"), "--param",
                                     "foo=1"],
     CLI, "unknown parameter(s) ['foo'] for strategy 'gaussian_copula'"),
    ("cli-rows-beyond-memory", lambda t: ["sample", str(saved_model(t)), "-n", str(HUGE),
                                          "-o", str(t / "o.csv")],
     CLI, "more than this machine's memory"),
    ("cli-model-bad-params", lambda t: ["sample", str(model_file(t, param("ks_tolerance", 5))),
                                        "-n", "5", "-o", str(t / "o.csv")],
     CLI, "invalid `params`: `ks_tolerance` must be in (0, 1]"),
    ("cli-model-probs-categories", lambda t: ["sample", str(model_file(t, column(1, "categories",
                                                                               ["a", "b"]))),
                                              "-n", "5", "-o", str(t / "o.csv")],
     CLI, "one probability per category (2)"),
    ("cli-recipe-date-after-2262", lambda t: ["run", str(recipe(
        t, "rows: 5\ncolumns: {d: {kind: datetime, distribution: uniform, min: '2020-01-01', "
           "max: '2400-01-01'}}\n")), "--out", str(t)],
     CLI, "outside the dates synthkit can represent"),
    ("cli-recipe-nulls-text", lambda t: ["run", str(recipe(
        t, "rows: 5\ncolumns: {x: {distribution: normal, nulls: lots}}\n")), "--out", str(t)],
     CLI, "`nulls` must be a number, got 'lots'"),
    ("cli-clusters-negative", lambda t: ["clusters", "-5 clusters", "-o", str(t / "out")], CLI,
     "counts in a description must be positive"),
    ("cli-clusters-contradictory", lambda t: ["clusters", "five clusters, no overlap, much overlap",
                                              "-o", str(t / "out")],
     CLI, "contradictory words in the description"),
    ("cli-clusters-beyond-memory", lambda t: ["clusters", "a million clusters in a thousand "
                                              "dimensions", "-o", str(t / "out")],
     CLI, "more than this machine's memory"),
    ("cli-clusters-archetype-params-list", lambda t: [
        "clusters", "--archetype", str(_write(t / "a.json", {
            "format": "synthkit-archetype", "format_version": 1, "params": [1]})),
        "-o", str(t / "out")],
     CLI, "archetype `params` must be a mapping"),
    ("cli-validate-bad-model", lambda t: ["validate", str(model_file(t, column(0, "decimals", -5))),
                                          str(csv(t))],
     CLI, "`decimals` must be an integer in [0, 15]"),
    # integers float64 cannot hold exactly (used to come back as -2^63, or 0 for uint64)
    ("fit-int64-beyond-2^53", lambda t: fit(one_col(np.arange(2**63 - 300, 2**63 - 100, dtype=np.int64)),
                                            roles={"a": "ordinary"}),
     DataError, "beyond ±2^53"),
    ("fit-uint64-beyond-2^53", lambda t: fit(one_col(np.arange(2**64 - 300, 2**64 - 100, dtype=np.uint64)),
                                             roles={"a": "ordinary"}),
     DataError, "role 'identifier'"),
    # a first data row longer than the header (pandas would make column `a` the index)
    ("read-csv-first-row-extra-field", lambda t: synthkit.io.read_table(
        _text(t / "rag.csv", "a,b\n1,2,3\n4,5\n6,7\n")), DataError, "could not read"),
    # pandas renames a repeated header name to `a.1`, and the file's column is gone
    ("read-csv-duplicate-header", lambda t: synthkit.io.read_table(
        _text(t / "dup.csv", "a,a,b\n1,2,3\n")), DataError, "'a' appear more than once"),
    # as floats, 9007199254740995 would come back as 9007199254740996
    ("read-csv-big-integers-with-gaps", lambda t: synthkit.io.read_table(
        _text(t / "big.csv", "id,v\n9007199254740995,1\n,2\n")), DataError,
     "integers beyond 2**53 and missing cells"),
    ("model-pmf-null-value", load_edited(
        lambda d: d["columns"][2]["marginal"].__setitem__(
            "values", [None] + d["columns"][2]["marginal"]["values"][1:])),
     ModelFileError, "`values` must be a list of finite numbers"),
    ("model-cholesky-negative-std", load_edited(
        lambda d: d["dependence"]["stds"].__setitem__(0, -5.0), _doc("cholesky")),
     ModelFileError, "`stds` finite and >= 0"),
    ("model-cholesky-infinite-mean", load_edited(
        lambda d: d["dependence"]["means"].__setitem__(0, 1e999), _doc("cholesky")),
     ModelFileError, "`means` must be finite"),
    ("model-dependence-not-object", load_edited(lambda d: d.__setitem__("dependence", 5),
                                                _doc("cart")),
     ModelFileError, "`dependence` must be an object, got int"),
    ("model-marginal-type-list", load_edited(
        lambda d: d["columns"][0]["marginal"].__setitem__("type", ["empirical"])),
     ModelFileError, "a marginal record must be a mapping with a `type` name"),
    ("model-correlation-param-text", load_edited(param("correlation", "x"), _doc("gaussian_copula")),
     ModelFileError, "`correlation` must be a square matrix of numbers"),
    ("archetype-aspect-huge", lambda t: Archetype(n_clusters=3, dim=2, aspect_ref=1e12), SpecError,
     "`aspect_ref` x `aspect_maxmin` must be at most"),
    ("archetype-dim-huge-float", lambda t: Archetype(n_clusters=3, dim=1e308), SpecError,
     "`dim` must be an integer at most 2^53"),
    ("archetype-radius-ratio-huge", lambda t: Archetype(n_clusters=3, dim=2, radius_maxmin=1e300),
     SpecError, "`radius_maxmin` must be at most"),
    ("archetype-distributions-number", lambda t: Archetype(n_clusters=3, dim=2, distributions=5),
     SpecError, "`distributions` must be a family name or a list"),
    ("archetype-proportions-number", lambda t: Archetype(n_clusters=3, dim=2,
                                                         distribution_proportions=1.5),
     SpecError, "`distribution_proportions` must be a list of numbers"),
    ("archetype-distribution-params-text", lambda t: Archetype(
        n_clusters=3, dim=2, distributions=[{"name": "normal", "params": "x"}]),
     SpecError, "must be a mapping such as"),
    # parameters whose draws overflow (used to give inf in the output)
    ("declare-lognormal-overflows", lambda t: declare({"distribution": "lognormal", "params": {"s": 1000}}),
     SpecError, "beyond the range of double precision"),
    ("declare-normal-scale-overflows", lambda t: declare({"distribution": "normal",
                                                          "params": {"scale": 1e308}}),
     SpecError, "beyond the range of double precision"),
    # a date key matched against numbers compared seconds since 1970 with day counts
    ("stitch-date-key-vs-number", lambda t: synthkit.stitch(
        pd.DataFrame({"d": pd.date_range("2020-01-01", periods=50), "y": np.arange(50.0)}),
        pd.DataFrame({"d": np.arange(50), "z": np.arange(50.0)}), on=["d"], seed=0),
     DataError, "`on` column 'd' is datetime"),
    ("stitch-auxiliary-without-joint-rows", lambda t: synthkit.stitch(
        _xy(100, 0)[["x", "y"]], _xy(100, 1)[["x", "z"]], on=["x"], method="model",
        auxiliary=_xy(60, 2).assign(z=np.nan), seed=0),
     DataError, "`auxiliary` has 0 row(s) where a left-only column"),
    ("oversample-beyond-memory", lambda t: synthkit.oversample(
        _xy(100, 3).assign(c=np.arange(100) % 10 == 0), "c", method="smote", ratio={True: 10**12}, seed=0),
     SpecError, "more than this machine's memory"),
    ("impute-too-many-tables", lambda t: synthkit.impute(_xy(50, 4).assign(z=np.nan).fillna({"z": 1.0})
                                                         .mask(np.eye(50, 3, dtype=bool)), m=10**6),
     SpecError, "`m` (the number of completed tables) must be an integer from 1 to 1000"),
]


def _xy(n: int, seed: int) -> pd.DataFrame:
    """``x``, ``y = x + e`` and ``z = x + y + e``."""
    g = np.random.default_rng(seed)
    x = g.normal(size=n)
    y = x + g.normal(size=n)
    return pd.DataFrame({"x": x, "y": y, "z": x + y + g.normal(size=n)})


def _text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _write(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize(("call", "error", "fragment"),
                         [pytest.param(c, e, f, id=i) for i, c, e, f in CASES])
def test_bad_input_is_a_clear_error(call, error, fragment, tmp_path, capsys):
    if error == CLI:
        status = main(call(tmp_path))
        err = capsys.readouterr().err
        assert status == 2, err
        assert "Traceback" not in err
        assert re.search(r"^synthkit: error: ", err, re.M), err
        assert fragment in err, err
        return
    assert issubclass(error, SynthkitError)
    with pytest.raises(error) as info:
        call(tmp_path)
    assert fragment in str(info.value)


# ------------------------------------------- inputs that used to give silently wrong output
def test_integer_column_labels_round_trip():
    """Labels 0, 1, 2 come back as integers: the same rows as the model fitted on '0', '1', '2'."""
    rng = np.random.default_rng(1)
    real = pd.DataFrame({0: rng.normal(size=200), 1: rng.choice(["a", "b"], 200),
                         2: rng.integers(0, 5, 200)})
    model = synthkit.fit(real)
    ds = model.sample(500, seed=3)
    assert ds.frame.columns.tolist() == [0, 1, 2]
    reference = synthkit.fit(real.rename(columns=str)).sample(500, seed=3).frame
    pd.testing.assert_frame_equal(ds.frame, reference.rename(columns=int))
    chunks = pd.concat(model.iter_chunks(500, seed=3, chunk_rows=128), ignore_index=True)
    assert chunks.columns.tolist() == [0, 1, 2]
    pd.testing.assert_frame_equal(chunks, ds.frame, check_dtype=False)


def test_integer_labels_survive_a_model_file(tmp_path):
    rng = np.random.default_rng(2)
    real = pd.DataFrame({7: rng.normal(size=100), "name": rng.choice(["a", "b"], 100)})
    model = synthkit.fit(real)
    loaded = synthkit.load(model.save(tmp_path / "m.json"))
    a, b = model.sample(50, seed=1).frame, loaded.sample(50, seed=1).frame
    assert b.columns.tolist() == [7, "name"]
    pd.testing.assert_frame_equal(a, b)


def test_declared_integer_names_stay_integers():
    frame = synthkit.declare({5: {"distribution": "normal"}, "c": {"categories": ["x"]}}) \
        .sample(3, seed=0).frame
    assert frame.columns.tolist() == [5, "c"]


def test_constant_text_column_from_the_documented_declaration():
    """``country: {value: NL}`` (the spec module's own example) is a column of 'NL'."""
    frame = synthkit.declare({"country": {"value": "NL"}, "vip": {"value": True},
                              "n": {"value": 3}}).sample(100, seed=0).frame
    assert (frame["country"] == "NL").all()
    assert frame["vip"].dtype == bool and frame["vip"].all()
    assert frame["n"].dtype == np.int64 and (frame["n"] == 3).all()


def test_fractional_values_are_not_truncated_to_integers():
    """``values: [1.5, 2.5]`` used to be read as an integer column and come back as 1 and 2."""
    n = 20_000
    frame = synthkit.declare({"v": {"values": [1.5, 2.5], "probs": [0.3, 0.7]}}) \
        .sample(n, seed=11).frame
    assert set(frame["v"].unique()) == {1.5, 2.5}
    share = (frame["v"] == 2.5).mean()
    assert abs(share - 0.7) < 4 * np.sqrt(0.7 * 0.3 / n)


def test_csv_values_come_back_as_written(tmp_path):
    """Numbers with leading zeros, integers beyond 64 bits and 2**53 + 3 used to be rewritten."""
    path = _text(tmp_path / "t.csv", "zip,huge,big,flag,x,when\n"
                 "01000,123456789012345678901234567890,9007199254740995,TRUE,1.5,2024-01-31\n"
                 "20000,1,3,false,,2024-02-29\n")
    frame = synthkit.io.read_table(path)
    assert frame["zip"].tolist() == ["01000", "20000"]
    assert frame["huge"].tolist() == ["123456789012345678901234567890", "1"]
    assert frame["big"].dtype == np.int64 and frame["big"].tolist() == [9007199254740995, 3]
    assert frame["flag"].dtype == bool and frame["flag"].tolist() == [True, False]
    assert frame["x"].dtype == float and frame["x"].isna().tolist() == [False, True]
    assert pd.api.types.is_datetime64_any_dtype(frame["when"])
    # floats of every magnitude come back bit for bit (pandas 2's to_numeric may miss the last digit)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(2000) * 10.0 ** rng.integers(-8, 8, 2000)
    y = np.where(rng.random(2000) < 0.1, np.nan, x)
    pd.DataFrame({"x": x, "y": y}).to_csv(tmp_path / "f.csv", index=False)
    back = synthkit.io.read_table(tmp_path / "f.csv")
    assert np.array_equal(back["x"].to_numpy(), x) and np.array_equal(back["y"].to_numpy(), y, equal_nan=True)
    # R's NA is missing, as pandas and readr read it
    assert synthkit.io.read_table(_text(tmp_path / "r.csv", "v,c\n1,a\nNA,NA\n")).isna().sum().tolist() == [1, 1]


def test_a_parquet_files_named_index_is_kept_as_a_column(tmp_path):
    """pandas' ``to_parquet`` stores a named index; it used to be dropped on reading."""
    frame = pd.DataFrame({"v": [1.5, 2.5]}, index=pd.Index(["a", "b"], name="key"))
    frame.to_parquet(tmp_path / "k.parquet")
    got = synthkit.io.read_table(tmp_path / "k.parquet")
    assert got.columns.tolist() == ["key", "v"] and got["key"].tolist() == ["a", "b"]
    pd.DataFrame({"v": [1.0, 2.0, 3.0]}).iloc[[0, 2]].to_parquet(tmp_path / "r.parquet")
    got = synthkit.io.read_table(tmp_path / "r.parquet")
    assert got.columns.tolist() == ["v"] and got.index.equals(pd.RangeIndex(2))


def test_dataset_metadata_that_does_not_fit_its_table_is_a_clear_error(tmp_path):
    """Metadata read from a file: a missing key raised KeyError, a list `nonconvex`
    TypeError, an integer dtype for a column of fractions truncated it (-0.597 -> 0)."""
    from synthkit.clusters.archetype import ClusterDataset
    from synthkit.dataset import SyntheticDataset

    clusters = synthkit.Archetype(n_clusters=3, dim=2, n_samples=90).sample(seed=1)
    clusters.save(tmp_path / "c.csv")
    meta_path = tmp_path / "c.csv.meta.json"
    meta = json.loads(meta_path.read_text())
    for edit, fragment in [(lambda m: m.pop("mixture"), "missing 'mixture'"),
                           (lambda m: m.__setitem__("achieved_overlap", "abc"), "could not convert"),
                           (lambda m: m.__setitem__("achieved_overlap", [[0.0]]), "must be 3 x 3"),
                           (lambda m: m.__setitem__("nonconvex", [1]), "`nonconvex` must be a mapping")]:
        doc = json.loads(json.dumps(meta))
        edit(doc)
        meta_path.write_text(json.dumps(doc))
        with pytest.raises(ModelFileError, match=re.escape(fragment)):
            ClusterDataset.load(tmp_path / "c.csv")

    table = synthkit.declare({"x": {"distribution": "normal"}, "c": {"values": [1, 2]}}).sample(20, seed=0)
    table.save(tmp_path / "t.csv")
    meta_path = tmp_path / "t.csv.meta.json"
    meta = json.loads(meta_path.read_text())
    for column, dtype, fragment in [("x", "int8", "does not fit the metadata's dtype 'int8'"),
                                    ("x", "int64", "its values would change")]:
        doc = json.loads(json.dumps(meta))
        for c in doc["schema"]["columns"]:
            if c["name"] == column:
                c["dtype"] = dtype
        meta_path.write_text(json.dumps(doc))
        with pytest.raises(ModelFileError, match=re.escape(fragment)):
            SyntheticDataset.load(tmp_path / "t.csv")
    meta_path.write_text(json.dumps(meta))
    assert SyntheticDataset.load(tmp_path / "t.csv").frame["x"].tolist() == table.frame["x"].tolist()
