"""Business rules: a small, safe, vectorised expression language over columns.

A rule is a boolean expression such as ``"age >= 18"``,
``"loan <= 10 * income"``, ``"risk in ['low', 'medium'] or age < 30"`` or
``"not (children > 0 and age < 18)"``. Rules are parsed with Python's
:mod:`ast` and checked against a whitelist: column names, numbers, strings,
booleans, lists of literals after ``in`` / ``not in``, arithmetic
(``+ - * / // % **``), comparisons (including chained ones), ``and`` / ``or`` /
``not``, and the one-argument functions ``abs, sqrt, log, exp, floor, ceil,
isnull, notnull``. Anything else (attribute access, subscripts, lambdas, other
calls, keyword arguments) is rejected, so a rule file never executes code.

Rules may come from untrusted recipe or model files, so evaluation is bounded:

* a rule has at most :data:`MAX_RULE_CHARS` characters, :data:`MAX_RULE_NODES`
  syntax nodes and :data:`MAX_RULE_DEPTH` levels of nesting; integer constants
  are at most :data:`MAX_RULE_INT` in size;
* arithmetic is done by numpy in float64 over whole columns (never with Python's
  unbounded integers), so ``9 ** 9 ** 9`` is ``inf`` at once instead of a
  computation that never ends; text is never repeated or concatenated;
* columns are passed as read-only arrays and every function takes exactly one
  argument, so a rule cannot write into the table (numpy's ``out=`` argument is
  unreachable);
* arithmetic and math functions on a text, categorical or date column, and any
  other failure, are a :class:`~synthkit.errors.RuleError` naming the rule.

Comparisons (including ``in`` / ``not in``) with a missing value are false.

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

__all__ = ["Rule", "parse_rules", "apply_rules", "MAX_RULE_CHARS", "MAX_RULE_NODES",
           "MAX_RULE_DEPTH", "MAX_RULE_INT"]

#: Longest rule text.
MAX_RULE_CHARS = 10_000
#: Most syntax-tree nodes in one rule (a list of 500 categories is about 500 nodes).
MAX_RULE_NODES = 2_000
#: Deepest nesting of a rule's syntax tree.
MAX_RULE_DEPTH = 50
#: Largest integer constant (in absolute value); larger numbers are written as floats (1e20).
MAX_RULE_INT = 2**53

_BINOPS = {
    ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
    ast.Div: np.true_divide, ast.FloorDiv: np.floor_divide, ast.Mod: np.mod,
    ast.Pow: np.power,
}
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
            ast.Mod: "%", ast.Pow: "**"}
_CMPOPS = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
}
_MATH = {"abs": np.abs, "sqrt": np.sqrt, "log": np.log, "exp": np.exp, "floor": np.floor,
         "ceil": np.ceil}
_FUNCS = {**_MATH, "isnull": pd.isna, "notnull": pd.notna}
_ALLOWED = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.BinOp, ast.Compare, ast.Name, ast.Load, ast.Constant, ast.List, ast.Tuple,
    ast.Call, ast.In, ast.NotIn, *_BINOPS, *_CMPOPS,
)


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
        if len(text) > MAX_RULE_CHARS:
            raise RuleError(f"rule {text[:40]!r}... has {len(text):,} characters; a rule may have at "
                            f"most {MAX_RULE_CHARS:,}: split it into several rules")
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            raise RuleError(f"rule {text!r} is not a valid expression: {exc.msg}") from None
        except ValueError as exc:  # e.g. an integer of more than 4300 digits
            raise RuleError(f"rule {text[:40]!r}... is not a valid expression: {exc}") from None
        except (RecursionError, MemoryError):
            # CPython's parser gives up on very deep nesting with these
            raise RuleError(f"rule {text[:40]!r}... nests too deeply; a rule may nest at most "
                            f"{MAX_RULE_DEPTH} levels") from None
        names = _check_tree(tree, text)
        if columns is not None:
            unknown = sorted(names - set(columns))
            if unknown:
                raise RuleError(
                    f"rule {text!r} names unknown column(s) {unknown}; columns are {list(columns)}"
                )
        return cls(text, tree, frozenset(names))

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        """Boolean mask of the rows satisfying the rule (the frame is never modified)."""
        try:
            with np.errstate(all="ignore"):
                out = _eval(self.tree.body, frame, self.text)
        except RuleError:
            raise
        except (TypeError, ValueError, ArithmeticError, IndexError, KeyError, AttributeError) as exc:
            raise RuleError(f"rule {self.text!r} cannot be evaluated: {exc}") from None
        out = np.asarray(out)
        if out.dtype != bool:
            raise RuleError(f"rule {self.text!r} does not evaluate to true/false; compare "
                            "values, e.g. `x > 0`")
        if out.shape == ():
            return np.full(len(frame), bool(out))
        return out


def _check_tree(tree: ast.Expression, text: str) -> set[str]:
    """Whitelist, size and depth checks (iterative, so deep trees cannot overflow the stack).

    Returns the column names the rule uses.
    """
    names: set[str] = set()
    count = 0
    stack: list[tuple[ast.AST, int, ast.AST | None]] = [(tree, 1, None)]
    while stack:
        node, depth, parent = stack.pop()
        count += 1
        if count > MAX_RULE_NODES:
            raise RuleError(f"rule {text[:40]!r}... is too long ({MAX_RULE_NODES} parts at most): "
                            "split it into several rules")
        if depth > MAX_RULE_DEPTH:
            raise RuleError(f"rule {text[:40]!r}... nests more than {MAX_RULE_DEPTH} levels deep")
        _check_node(node, parent, text, names)
        stack.extend((child, depth + 1, node) for child in ast.iter_child_nodes(node))
    return names


def _is_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
        return isinstance(node, ast.Constant) and _is_number(node.value)
    return isinstance(node, ast.Constant)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_node(node: ast.AST, parent: ast.AST | None, text: str, names: set[str]) -> None:
    if not isinstance(node, _ALLOWED):
        raise RuleError(f"rule {text!r}: {type(node).__name__} is not allowed in rules")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCS:
            raise RuleError(f"rule {text!r}: only the functions {sorted(_FUNCS)} may be called")
        if node.keywords or len(node.args) != 1:
            raise RuleError(f"rule {text!r}: {node.func.id}() takes exactly one argument, e.g. "
                            f"{node.func.id}(x)")
    elif isinstance(node, ast.Name):
        if not (isinstance(parent, ast.Call) and parent.func is node):
            names.add(node.id)
    elif isinstance(node, ast.Constant):
        value = node.value
        if not isinstance(value, (int, float, str, bool, type(None))):
            raise RuleError(f"rule {text!r}: constant {value!r} is not allowed")
        if isinstance(value, int) and abs(value) > MAX_RULE_INT:
            raise RuleError(f"rule {text[:60]!r}: an integer of {len(str(abs(value)))} digits is too "
                            "large (at most 2**53 in size); write a float such as 1e20")
        if isinstance(value, str) and isinstance(parent, (ast.BinOp, ast.UnaryOp, ast.Call)):
            raise RuleError(f"rule {text!r}: text {value!r} cannot be used in arithmetic or "
                            "functions; compare it, e.g. x == 'a'")
    elif isinstance(node, (ast.List, ast.Tuple)):
        if not (isinstance(parent, ast.Compare) and node in parent.comparators
                and isinstance(parent.ops[parent.comparators.index(node)], (ast.In, ast.NotIn))):
            raise RuleError(f"rule {text!r}: a list may only follow `in` / `not in`, "
                            "e.g. x in ['a', 'b']")
        if not all(_is_literal(e) for e in node.elts):
            raise RuleError(f"rule {text!r}: a list after `in` may hold only numbers, text, "
                            "true/false or None")
    elif isinstance(node, ast.Compare):
        last = len(node.ops) - 1
        for pos, (op, comp) in enumerate(zip(node.ops, node.comparators, strict=True)):
            if isinstance(op, (ast.In, ast.NotIn)) and not isinstance(comp, (ast.List, ast.Tuple)):
                raise RuleError(f"rule {text!r}: `in` needs a list, e.g. x in ['a', 'b']")
            if isinstance(op, (ast.In, ast.NotIn)) and pos < last:
                raise RuleError(f"rule {text!r}: a list after `in` / `not in` cannot be compared "
                                "further; use parentheses and `and`, e.g. (x in ['a', 'b']) and y > 0")


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """The column as a read-only array: numbers (missing = NaN), dates, or objects for text."""
    col = frame[name]
    if isinstance(col, pd.DataFrame):
        raise RuleError(f"column name {name!r} is used by more than one column")
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        arr = col.to_numpy(dtype=object)
    elif isinstance(dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_numeric_dtype(dtype):
        arr = col.to_numpy(dtype=np.float64, na_value=np.nan)  # Int64, Float64, boolean
    else:
        arr = col.to_numpy()
    arr = arr.view()
    arr.flags.writeable = False
    return arr


def _describe(node: ast.AST, frame: pd.DataFrame) -> str:
    if isinstance(node, ast.Name) and node.id in frame.columns:
        dtype = frame[node.id].dtype
        kind = ("categorical" if isinstance(dtype, pd.CategoricalDtype)
                else "date" if pd.api.types.is_datetime64_any_dtype(dtype)
                else "text" if not pd.api.types.is_numeric_dtype(dtype) else str(dtype))
        return f"column {node.id!r} ({kind})"
    return f"`{ast.unparse(node)}`"


def _number(value, node: ast.AST, frame: pd.DataFrame, text: str, what: str) -> np.ndarray:
    """``value`` as float64 (Python ints never reach arithmetic); text/dates are a RuleError."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise RuleError(f"rule {text!r}: {what} needs numbers, but {_describe(node, frame)} is not "
                        "numeric; compare text instead, e.g. x == 'a'")
    return arr.astype(np.float64, copy=False)


def _truth(value, node: ast.AST, frame: pd.DataFrame, text: str) -> np.ndarray:
    """Truth values for and / or / not: numbers are true when non-zero; missing is false."""
    arr = np.asarray(value)
    if arr.dtype == bool:
        return arr
    if arr.dtype.kind in "biuf":
        return (arr != 0) & ~np.isnan(arr.astype(np.float64, copy=False))
    raise RuleError(f"rule {text!r}: and / or / not need true/false values, but "
                    f"{_describe(node, frame)} is not; compare it, e.g. x == 'a'")


def _missing(value) -> np.ndarray | np.bool_:
    if np.ndim(value):
        kind = value.dtype.kind
        if kind in "biu":
            return np.False_
        if kind == "f":
            return np.isnan(value)
        return np.asarray(pd.isna(value), dtype=bool)
    return np.bool_(value is None or value is pd.NA
                    or (isinstance(value, float) and np.isnan(value)))


def _eval(node: ast.AST, frame: pd.DataFrame, text: str):
    if isinstance(node, ast.Constant):
        value = node.value
        return np.float64(value) if _is_number(value) else value
    if isinstance(node, ast.Name):
        if node.id in frame.columns:
            return _column(frame, node.id)
        if node.id in _FUNCS:
            raise RuleError(f"rule {text!r}: function {node.id!r} must be called, e.g. {node.id}(x)")
        raise RuleError(f"rule {text!r} names unknown column {node.id!r}")
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, frame, text)
        if isinstance(node.op, ast.Not):
            return ~_truth(value, node.operand, frame, text)
        value = _number(value, node.operand, frame, text, "a sign")
        return np.negative(value) if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        what = f"`{_SYMBOLS[type(node.op)]}`"
        left = _number(_eval(node.left, frame, text), node.left, frame, text, what)
        right = _number(_eval(node.right, frame, text), node.right, frame, text, what)
        return _BINOPS[type(node.op)](left, right)
    if isinstance(node, ast.BoolOp):
        vals = [_truth(_eval(v, frame, text), v, frame, text) for v in node.values]
        red = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        out = vals[0]
        for v in vals[1:]:
            out = red(out, v)
        return out
    if isinstance(node, ast.Compare):
        return _compare(node, frame, text)
    if isinstance(node, ast.Call):
        name = node.func.id
        arg = _eval(node.args[0], frame, text)
        if name in _MATH:
            arg = _number(arg, node.args[0], frame, text, f"{name}()")
        return np.asarray(_FUNCS[name](arg))
    raise RuleError(f"rule {text!r}: unsupported expression")  # pragma: no cover


def _compare(node: ast.Compare, frame: pd.DataFrame, text: str) -> np.ndarray:
    left = _eval(node.left, frame, text)
    result = None
    for op, comp in zip(node.ops, node.comparators, strict=True):
        if isinstance(op, (ast.In, ast.NotIn)):
            right = [_eval(e, frame, text) for e in comp.elts]
            if np.ndim(left):
                r = pd.Series(left).isin(right).to_numpy()
            else:
                r = np.bool_(any(_same(left, v) for v in right))
            if isinstance(op, ast.NotIn):
                r = ~r
            r = r & ~_missing(left)
        else:
            right = _eval(comp, frame, text)
            try:
                r = _compare_values(_CMPOPS[type(op)], left, right, len(frame))
            except TypeError:
                raise RuleError(f"rule {text!r}: cannot compare {_describe(node.left, frame)} with "
                                f"{_describe(comp, frame)}; compare numbers with numbers and text "
                                "with text") from None
        result = r if result is None else (result & r)
        left = right
    return result


def _compare_values(op, left, right, n: int) -> np.ndarray:
    """``op(left, right)`` elementwise; false wherever either side is missing."""
    missing = _missing(left) | _missing(right)
    if np.ndim(missing) == 0 or not (_is_object(left) or _is_object(right)):
        return np.asarray(op(left, right), dtype=bool) & ~missing
    keep = ~np.broadcast_to(missing, (n,))
    out = np.zeros(n, dtype=bool)
    out[keep] = np.asarray(op(left[keep] if np.ndim(left) else left,
                              right[keep] if np.ndim(right) else right), dtype=bool)
    return out


def _is_object(value) -> bool:
    return isinstance(value, np.ndarray) and value.dtype == object


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


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
