"""Rules from untrusted files: bounded work, no writes into the table, only RuleError."""

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from synthkit.errors import RuleError
from synthkit.rules import Rule


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 400
    return pd.DataFrame({
        "x": rng.standard_normal(n),
        "alcohol": rng.uniform(11.0, 14.8, n),
        "i": rng.integers(0, 10, n),
        "s": rng.choice(["u", "v", "w"], n),
        "c": pd.Categorical(rng.choice(["lo", "hi"], n)),
        "n": pd.array(np.where(rng.random(n) < 0.2, None, rng.integers(0, 5, n)), dtype="Int64"),
    })


def test_huge_power_evaluates_in_float_without_hanging():
    # Python's integers would compute 9 ** 387420489 exactly (minutes, gigabytes); the rule
    # language computes in float64, where it is inf. Run in a child so a hang is a failure.
    code = ("import json, pandas as pd; from synthkit.rules import Rule; "
            "df = pd.DataFrame({'x': [-1.0, 0.0, 1e308]}); "
            "print(json.dumps([Rule.parse(t).evaluate(df).tolist() "
            "for t in ('x < 9 ** 9 ** 9', 'x < 2 ** 10', '(-2) ** 3 == x - 7')]))")
    try:
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("`x < 9 ** 9 ** 9` did not finish within 60 s")
    assert res.returncode == 0, res.stderr
    xs = np.array([-1.0, 0.0, 1e308])
    with np.errstate(over="ignore"):
        big = np.power(9.0, np.power(9.0, 9.0))  # independent: numpy float64 arithmetic (inf)
    expected = [(xs < big).tolist(), (xs < 1024.0).tolist(), ((-2.0) ** 3 == xs - 7).tolist()]
    assert json.loads(res.stdout) == expected


@pytest.mark.parametrize("text,msg", [
    ("'a' * 10**10 == s", "cannot be used in arithmetic"),
    ("s == 'ab' + 'c'", "cannot be used in arithmetic"),
    ("x in [1] * 10**10", "needs a list"),
    ("x == [1, 2] * 3", "may only follow `in`"),
    ("x < 100000000000000000000000", "too large"),
    ("exp(x, x) > 0", "exactly one argument"),
    ("floor(alcohol, alcohol) > 0", "exactly one argument"),
    ("exp(x, out=x) > 0", "exactly one argument"),
    ("abs() > 0", "exactly one argument"),
    ("s in x", "`in` needs a list"),
    ("x in [1] == 1", "cannot be compared further"),
    ("x not in [1] < 2", "cannot be compared further"),
    ("0 < x in [1, 2] <= 3", "cannot be compared further"),
])
def test_hostile_rules_are_refused_when_parsed(text, msg):
    with pytest.raises(RuleError, match=msg):
        Rule.parse(text)


def test_arithmetic_on_text_or_categories_names_the_column():
    df = _frame()
    for text, col in [("sqrt(c) > 1", "'c' (categorical)"), ("log(s) > 0", "'s' (text)"),
                      ("s * 3 == 'uuu'", "'s' (text)"), ("-c == 1", "'c' (categorical)")]:
        with pytest.raises(RuleError, match=re.escape(f"column {col} is not numeric")):
            Rule.parse(text, list(df.columns)).evaluate(df)


def test_rules_never_write_into_the_frame():
    df = _frame()
    before = df.copy(deep=True)
    rules = ["exp(x) > 0", "floor(alcohol) > 12", "abs(x) + sqrt(abs(x)) >= 0", "-x < 1",
             "i % 3 == 1 or not (x > 0)", "n != 2", "c in ['lo'] and s not in ['u']", "isnull(n)",
             "ceil(x) ** 2 // 1 >= 0"]
    for text in rules:
        mask = Rule.parse(text, list(df.columns)).evaluate(df)
        assert mask.dtype == bool and mask.shape == (len(df),)
    pd.testing.assert_frame_equal(df, before)
    # the out= route that used to overwrite the column is closed
    for text in ["exp(x, x) > 0", "floor(alcohol, alcohol) > 0"]:
        with pytest.raises(RuleError):
            Rule.parse(text).evaluate(df)
    pd.testing.assert_frame_equal(df, before)
    df.loc[0, "x"] = 5.0  # the frame itself stays writeable
    assert df.loc[0, "x"] == 5.0


def test_out_argument_cannot_change_sampled_data(wine):
    from synthkit.strategies.registry import get_strategy

    with pytest.raises(RuleError, match="exactly one argument"):
        get_strategy("montecarlo")(rules=["floor(alcohol, alcohol) > 0"]).fit(wine)


def test_rule_values_match_pandas_with_missing_values():
    df = _frame()
    x, n, s = df["x"], df["n"].astype("float64"), df["s"]
    cases = {
        "x ** 2 + 1 > 2 * x": x**2 + 1 > 2 * x,
        "n != 2": n.notna() & (n != 2),
        "n >= 1 and n < 3": n.notna() & (n >= 1) & (n < 3),
        "n not in [1, 2]": n.notna() & ~n.isin([1, 2]),
        "s in ['u', 'w'] or i // 4 == 2": s.isin(["u", "w"]) | (df["i"] // 4 == 2),
        "not (floor(x) == -1)": ~(np.floor(x) == -1),
    }
    for text, expected in cases.items():
        got = Rule.parse(text, list(df.columns)).evaluate(df)
        np.testing.assert_array_equal(got, expected.to_numpy(dtype=bool), err_msg=text)


@pytest.mark.parametrize("text", [
    "-" * 5000 + "x > 0",
    "not " * 2000 + "x > 0",
    " + ".join(["x"] * 3000) + " > 0",
    "x" + " ** x" * 2000 + " > 0",
    "abs(" * 150 + "x" + ")" * 150 + " > 0",
    "x > 0" + " and x > 0" * 5000,
])
def test_deep_or_long_rules_are_rule_errors(text):
    with pytest.raises(RuleError, match="nest|too long|characters"):
        Rule.parse(text, ["x"]).evaluate(pd.DataFrame({"x": [1.0]}))


def test_nesting_is_bounded_but_ordinary_rules_work():
    df = pd.DataFrame({"x": [0.5, 2.0]})
    text = "abs(" * 20 + "x" + ")" * 20 + " > 1"
    assert Rule.parse(text).evaluate(df).tolist() == [False, True]
    assert Rule.parse(" + ".join(["x"] * 40) + " > 30").evaluate(df).tolist() == [False, True]
    with pytest.raises(RuleError, match="nests more than"):
        Rule.parse("abs(" * 100 + "x" + ")" * 100 + " > 1").evaluate(df)


def test_membership_at_the_end_of_a_chain_still_works():
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, np.nan]})
    got = Rule.parse("0 < x in [1, 2]").evaluate(frame)
    assert got.tolist() == [False, True, True, False]  # pandas: (x > 0) & x.isin([1, 2])


def test_text_tests_are_plain_substrings_not_patterns():
    # a regex engine backtracks exponentially on this pattern; a substring test is linear
    df = pd.DataFrame({"s": ["a" * 20 + "b", "x(a+)+$y", None]})
    for fn in ("contains", "startswith", "endswith"):
        got = Rule.parse(f"{fn}(s, '(a+)+$')").evaluate(df)
        expected = [isinstance(v, str) and getattr(v, "__contains__" if fn == "contains" else fn)("(a+)+$")
                    for v in df["s"]]
        assert got.tolist() == expected, fn
    assert Rule.parse("contains(s, '.')").evaluate(df).tolist() == [False, False, False]


def test_new_functions_never_write_into_the_frame():
    df = _frame()
    df["d"] = pd.to_datetime("2020-01-01") + pd.to_timedelta(np.arange(len(df)), unit="D")
    before = df.copy(deep=True)
    rules = ["min(x, alcohol) < max(i, 1)", "round(alcohol, 1) >= clip(x, 11, 12)", "year(d) >= 2020",
             "days_between(d, '2021-01-01') > 3", "startswith(s, 'u') or contains(c, 'o')",
             "if x > 0 then weekday(d) < 7", "x between -1 and 1", "(if i > 4 then 'a' else s) == 'a'"]
    for text in rules:
        mask = Rule.parse(text, list(df.columns)).evaluate(df)
        assert mask.dtype == bool and mask.shape == (len(df),), text
    pd.testing.assert_frame_equal(df, before)


@pytest.mark.parametrize("text", ["noise(normal, 0, 1) > 0", "x + noise(uniform, 0, 1) > 0"])
def test_noise_is_refused_in_filtering_rules(text):
    with pytest.raises(RuleError, match="only be used in a derived column"):
        Rule.parse(text)


def test_a_rule_set_has_a_total_size_budget_checked_quickly():
    import time

    from synthkit.rules import MAX_RULESET_CHARS, MAX_RULESET_NODES, compile_rules

    start = time.perf_counter()
    with pytest.raises(RuleError, match="MAX_RULESET_CHARS"):
        compile_rules([" and ".join(["x > -100"] * 600)] * 1000, ["x"])  # ~6 MB of rules
    # 30 rules of 901 nodes each: under every per-rule limit, over the rule set's node budget
    conj = " and ".join(["x > 1"] * 300)
    assert 30 * len(conj) < MAX_RULESET_CHARS
    with pytest.raises(RuleError, match="MAX_RULESET_NODES"):
        compile_rules([conj] * 30, ["x"])
    assert time.perf_counter() - start < 5.0  # unbounded, the first one takes ~15 s
    assert 20 * 901 <= MAX_RULESET_NODES
    assert len(compile_rules([conj] * 20, ["x"]).hard) == 20


@pytest.mark.parametrize("rule, words", [
    ("d != '2020-01-05'", "compares dates (`d`) with text"),
    ("x == '1'", "compares numbers (`x`) with text"),
    ("s == 1", "compares text (`s`) with numbers"),
    ("x in ['1', '2']", "compares numbers (`x`) with text"),
])
def test_comparing_a_column_with_a_literal_of_another_kind_is_refused(rule, words):
    """``==``/``in`` of different kinds held on no row and ``!=`` on every row, silently (a hard
    rule ``d != '2020-01-05'`` kept 2,249 of 20,000 rows on that day)."""
    import synthkit

    cols = {"d": {"kind": "datetime", "distribution": "uniform", "min": "2020-01-01", "max": "2020-01-10",
                  "resolution": "D"}, "x": {"distribution": "normal"}, "s": {"categories": ["a", "b"]}}
    with pytest.raises(RuleError, match=re.escape(words)):
        synthkit.declare(cols, strategy="montecarlo", rules=[rule])


def test_many_derived_columns_sample_without_fragmentation_warnings():
    import warnings

    import synthkit

    m = synthkit.declare({"x0": {"distribution": "normal"}}, strategy="montecarlo",
                         rules=[f"d{i} = x0 + {i}" for i in range(300)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")                       # pandas' PerformanceWarning included
        frame = m.sample(200, seed=1).frame
    assert frame.shape == (200, 301) and (frame["d299"] - frame["x0"]).eq(299).all()


def test_an_unsatisfiable_bound_names_the_columns_range():
    import synthkit

    with pytest.raises(RuleError, match=r"lie in about \[-5\.99\d*, 5\.99\d*\]"):
        synthkit.declare({"x": {"distribution": "normal", "params": {"loc": 0, "scale": 1}}},
                         strategy="montecarlo", rules=["x >= 50"]).sample(10, seed=1)
