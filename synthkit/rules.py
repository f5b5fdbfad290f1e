"""Business rules: a small, safe, vectorised expression language over columns.

A rule is a boolean expression such as ``"age >= 18"``,
``"loan <= 10 * income"``, ``"risk in ['low', 'medium'] or age < 30"`` or
``"not (children > 0 and age < 18)"``. Rules are parsed with Python's
:mod:`ast` and checked against a whitelist: column names, numbers, strings,
booleans, lists of literals, arithmetic (``+ - * / // % **``), comparisons
(including chained ones and ``in`` / ``not in``), ``and`` / ``or`` / ``not``,
and the functions ``abs, sqrt, log, exp, floor, ceil, isnull, notnull``.
Anything else (attribute access, subscripts, lambdas, other calls) is
rejected, so a rule file never executes code. Evaluation is vectorised with
numpy over whole columns; comparisons with missing values are false.

Sampling with rules is rejection sampling by block: each random block is
drawn, filtered, and kept in order until ``n`` rows are accepted, which keeps
"same seed, same rows" whatever the chunking.
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import RuleError

__all__ = ["Rule", "parse_rules", "apply_rules"]

_BINOPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_CMPOPS = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
}
_FUNCS = {
    "abs": np.abs, "sqrt": np.sqrt, "log": np.log, "exp": np.exp, "floor": np.floor,
    "ceil": np.ceil,
    "isnull": lambda s: pd.isna(s), "notnull": lambda s: ~pd.isna(s),
}


@dataclass(frozen=True)
class Rule:
    """One parsed, validated rule.

    Examples
    --------
    >>> import pandas as pd
    >>> Rule.parse("x > 1 and y == 'a'").evaluate(pd.DataFrame({"x": [0, 2], "y": ["a", "a"]})).tolist()
    [False, True]
    """

    text: str
    tree: ast.Expression
    names: frozenset[str]

    @classmethod
    def parse(cls, text: str, columns: list[str] | None = None) -> Rule:
        """Parse and whitelist-check ``text``; ``columns`` (if given) must contain every name."""
        if not isinstance(text, str) or not text.strip():
            raise RuleError(f"a rule must be a non-empty string, got {text!r}")
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            raise RuleError(f"rule {text!r} is not a valid expression: {exc.msg}") from None
        names: set[str] = set()
        for node in ast.walk(tree):
            _check_node(node, text, names)
        names -= {n.func.id for n in ast.walk(tree)
                  if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        if columns is not None:
            unknown = sorted(names - set(columns))
            if unknown:
                raise RuleError(
                    f"rule {text!r} names unknown column(s) {unknown}; columns are {list(columns)}"
                )
        return cls(text, tree, frozenset(names))

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        """Boolean mask of the rows satisfying the rule."""
        with np.errstate(all="ignore"):
            out = _eval(self.tree.body, frame, self.text)
        out = np.asarray(out)
        if out.shape == ():
            out = np.full(len(frame), bool(out))
        if out.dtype != bool:
            if out.dtype == object:
                out = np.array([bool(v) if v is not None and v is not pd.NA else False
                                for v in out], dtype=bool)
            else:
                raise RuleError(f"rule {self.text!r} does not evaluate to true/false")
        return out


def _check_node(node: ast.AST, text: str, names: set[str]) -> None:
    allowed = (
        ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
        ast.BinOp, ast.Compare, ast.Name, ast.Load, ast.Constant, ast.List, ast.Tuple,
        ast.Call, ast.In, ast.NotIn, *_BINOPS, *_CMPOPS,
    )
    if not isinstance(node, allowed):
        raise RuleError(f"rule {text!r}: {type(node).__name__} is not allowed in rules")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCS or node.keywords:
            raise RuleError(
                f"rule {text!r}: only the functions {sorted(_FUNCS)} may be called"
            )
    elif isinstance(node, ast.Name):
        names.add(node.id)
    elif isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str, bool,
                                                                        type(None))):
        raise RuleError(f"rule {text!r}: constant {node.value!r} is not allowed")


def _eval(node: ast.AST, frame: pd.DataFrame, text: str):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in frame.columns:
            col = frame[node.id]
            return col.to_numpy() if not isinstance(col.dtype, pd.CategoricalDtype) \
                else col.astype(object).to_numpy()
        if node.id in _FUNCS:
            raise RuleError(f"rule {text!r}: function {node.id!r} must be called")
        raise RuleError(f"rule {text!r} names unknown column {node.id!r}")
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_eval(e, frame, text) for e in node.elts]
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, frame, text)
        if isinstance(node.op, ast.Not):
            return ~np.asarray(v, dtype=bool)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        return _BINOPS[type(node.op)](_eval(node.left, frame, text), _eval(node.right, frame, text))
    if isinstance(node, ast.BoolOp):
        vals = [np.asarray(_eval(v, frame, text), dtype=bool) for v in node.values]
        red = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        return red.reduce(vals)
    if isinstance(node, ast.Compare):
        left = _eval(node.left, frame, text)
        result = None
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = _eval(comp, frame, text)
            if isinstance(op, (ast.In, ast.NotIn)):
                if not isinstance(right, list):
                    raise RuleError(f"rule {text!r}: `in` needs a list, e.g. x in ['a', 'b']")
                r = np.asarray(pd.Series(left).isin(right).to_numpy())
                if isinstance(op, ast.NotIn):
                    r = ~r
            else:
                try:
                    r = np.asarray(_CMPOPS[type(op)](left, right))
                except TypeError as exc:
                    raise RuleError(f"rule {text!r}: cannot compare these values ({exc})") from None
                if r.dtype == object:
                    r = np.array([bool(x) if x is not None and x is not pd.NA else False
                                  for x in np.atleast_1d(r)])
            result = r if result is None else (result & r)
            left = right
        return result
    if isinstance(node, ast.Call):
        args = [_eval(a, frame, text) for a in node.args]
        return _FUNCS[node.func.id](*args)
    raise RuleError(f"rule {text!r}: unsupported expression")  # pragma: no cover


def parse_rules(rules: list[str] | str | None, columns: list[str] | None = None) -> list[Rule]:
    """Parse a rule or a list of rules (``None`` gives no rules)."""
    if rules is None:
        return []
    if isinstance(rules, str):
        rules = [rules]
    if not isinstance(rules, (list, tuple)):
        raise RuleError(f"`rules` must be a list of expressions, got {type(rules).__name__}")
    return [Rule.parse(r, columns) for r in rules]


def apply_rules(frame: pd.DataFrame, rules: list[Rule]) -> np.ndarray:
    """Mask of rows satisfying every rule."""
    mask = np.ones(len(frame), dtype=bool)
    for rule in rules:
        mask &= rule.evaluate(frame)
    return mask
