import numpy as np
import pandas as pd
import pytest

from synthkit.datasets import load_example
from synthkit.errors import DataError, SpecError
from synthkit.schema import Column, Schema, infer_schema


def test_survey_floats_are_discrete_integer_kind():
    fair = load_example("statsmodels:fair")
    schema = infer_schema(fair)
    assert str(fair["rate_marriage"].dtype) == "float64"
    assert schema["rate_marriage"].kind == "integer"
    assert schema["religious"].kind == "integer"
    assert schema["affairs"].kind == "continuous"


def test_kinds_of_mixed_frame():
    from synthkit.testing import mixed_table

    s = infer_schema(mixed_table())
    kinds = {c.name: c.kind for c in s}
    assert kinds == {"income": "continuous", "score": "continuous", "age": "continuous",
                     "rating": "integer", "segment": "categorical", "city": "categorical",
                     "member": "boolean", "since": "datetime"}
    assert s["since"].extra["resolution"] == "D"
    assert 0.05 < s["score"].null_fraction < 0.15
    assert s["segment"].categories == ["bronze", "silver", "gold"]
    assert abs(sum(s["city"].frequencies) - 1) < 1e-12


def test_round_trip_and_frame():
    s = infer_schema(pd.DataFrame({"x": [1.5, 2.25, 3.0], "c": ["a", "b", "a"]}))
    assert Schema.from_dict(s.to_dict()).to_dict() == s.to_dict()
    assert list(s.describe()["kind"]) == ["continuous", "categorical"]
    assert s["x"].decimals == 2


def test_errors_name_the_problem():
    with pytest.raises(DataError, match="empty"):
        infer_schema(pd.DataFrame())
    with pytest.raises(DataError, match=r"infinite values in column\(s\) \['x'\]"):
        infer_schema(pd.DataFrame({"x": [1.0, np.inf]}))
    with pytest.raises(DataError, match="column 'y' is entirely missing"):
        infer_schema(pd.DataFrame({"x": [1.0, 2.0], "y": [np.nan, np.nan]}))
    with pytest.raises(SpecError, match="unknown kind 'text'"):
        Column("x", "text")
    with pytest.raises(DataError, match="must be a pandas DataFrame"):
        infer_schema([1, 2, 3])


def test_describe_is_the_schema_table_and_to_frame_a_deprecated_alias():
    s = infer_schema(pd.DataFrame({"x": [0.5, 1.25, 2.0], "c": ["a", "b", "a"]}))
    table = s.describe()
    assert table["column"].tolist() == ["x", "c"] and table["n_categories"].tolist()[1] == 2
    with pytest.warns(DeprecationWarning, match=r"Schema\.describe\(\)"):
        old = s.to_frame()
    pd.testing.assert_frame_equal(old, table)
