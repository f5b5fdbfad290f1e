import pandas as pd
import pytest

from synthkit.errors import RuleError
from synthkit.rules import Rule, apply_rules, parse_rules

DF = pd.DataFrame({"age": [17, 30, 65], "income": [0.0, 3000.0, 1000.0],
                   "loan": [0.0, 20000.0, 50000.0], "risk": ["low", "high", "mid"]})


@pytest.mark.parametrize("text,expected", [
    ("age >= 18", [False, True, True]),
    ("loan <= 10 * income", [True, True, False]),
    ("risk in ['low', 'mid'] or age < 18", [True, False, True]),
    ("not (age > 20 and risk == 'high')", [True, False, True]),
    ("18 <= age < 60", [False, True, False]),
    ("abs(income - 2000) <= 1000 and notnull(risk)", [False, True, True]),
    ("risk not in ['mid']", [True, True, False]),
])
def test_rules_evaluate_vectorised(text, expected):
    assert Rule.parse(text, list(DF.columns)).evaluate(DF).tolist() == expected


def test_rules_combine():
    assert apply_rules(DF, parse_rules(["age >= 18", "loan > 0"])).tolist() == [False, True, True]


@pytest.mark.parametrize("text,msg", [
    ("__import__('os').system('echo hi')", "only the functions"),
    ("age.__class__", "col 4: unexpected character '.' \\(attribute access is not allowed"),
    ("DF[0]", "col 3: unexpected '\\['; subscripts are not allowed"),
    ("lambda: 1", "col 7: unexpected character ':'"),
    ("age >", "col 6: the rule ends too early"),
    ("salary > 3", r"unknown column\(s\) \['salary'\]"),
    ("", "non-empty"),
])
def test_unsafe_or_malformed_rules_are_rejected(text, msg):
    with pytest.raises(RuleError, match=msg):
        Rule.parse(text, list(DF.columns))
