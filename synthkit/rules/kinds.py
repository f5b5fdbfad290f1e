"""Rule kinds (hard, soft, derived), their compilation into a :class:`RuleSet` and its application."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import RuleError, reject_unknown_keys
from .language import (
    MAX_RULE_CHARS,
    MAX_RULESET_CHARS,
    MAX_RULESET_NODES,
    RESERVED,
    Between,
    Compare,
    Const,
    IfThen,
    Name,
    Node,
    Token,
    Unary,
    _Syntax,
    evaluate,
    kind_of,
    parse_tokens,
    quote,
    syntax_error,
    tokenize,
)

__all__ = ["Rule", "Derived", "RuleSet", "RuleOutcome", "compile_rules", "parse_rules", "apply_rules",
           "MAX_RULES", "MAX_RULESET_CHARS", "MAX_RULESET_NODES"]

#: Most rules (hard, soft and derived together) in one rule set.
MAX_RULES = 1_000


def _check_text(text: Any, what: str = "a rule") -> str:
    if not isinstance(text, str) or not text.strip():
        raise RuleError(f"{what} must be a non-empty string, got {text!r}")
    if len(text) > MAX_RULE_CHARS:
        raise RuleError(f"rule {text[:40]!r}... has {len(text):,} characters; a rule may have at "
                        f"most {MAX_RULE_CHARS:,}: split it into several rules")
    return text


def _assignment(tokens: list[Token]) -> int | None:
    """Index of the top-level ``=`` token, if any."""
    depth = 0
    for k, tok in enumerate(tokens):
        if tok.is_op("(", "["):
            depth += 1
        elif tok.is_op(")", "]"):
            depth -= 1
        elif tok.is_op("=") and depth == 0:
            return k
    return None


def _number_literal(node: Node) -> float | None:
    if isinstance(node, Unary) and node.op in "+-" and isinstance(node.operand, Const):
        value = _number_literal(node.operand)
        return None if value is None else (-value if node.op == "-" else value)
    if isinstance(node, Const) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    return None


def _bound_of(tree: Node) -> tuple[str, float | None, float | None] | None:
    """``(column, low, high)`` when ``tree`` is a closed bound on one column by number literals."""
    found: tuple[str, float | None, float | None] | None = None
    if isinstance(tree, Between) and not tree.negate and isinstance(tree.value, Name):
        low, high = _number_literal(tree.low), _number_literal(tree.high)
        if low is not None and high is not None:
            found = (tree.value.id, low, high)
    elif isinstance(tree, Compare) and all(op in ("<=", ">=") for op in tree.ops):
        terms = [tree.left, *tree.comparators]
        ops = list(tree.ops)
        if len(ops) == 1:
            left, right = terms
            if isinstance(left, Name) and _number_literal(right) is not None:
                c = _number_literal(right)
                found = (left.id, c, None) if ops[0] == ">=" else (left.id, None, c)
            elif isinstance(right, Name) and _number_literal(left) is not None:
                c = _number_literal(left)
                found = (right.id, None, c) if ops[0] == ">=" else (right.id, c, None)
        elif len(ops) == 2 and ops[0] == ops[1] and isinstance(terms[1], Name):
            a, b = _number_literal(terms[0]), _number_literal(terms[2])
            if a is not None and b is not None:
                found = (terms[1].id, a, b) if ops[0] == "<=" else (terms[1].id, b, a)
    if found is None:
        return None
    name, low, high = found
    if (low is not None and low == math.inf) or (high is not None and high == -math.inf):
        return None
    low = None if low is not None and low == -math.inf else low
    high = None if high is not None and high == math.inf else high
    return name, low, high


@dataclass(frozen=True)
class Rule:
    """One parsed, validated boolean rule.

    ``bound`` is ``(column, low, high)`` when the rule is a closed bound on one column by number
    literals (``age >= 18``, ``18 <= age <= 65``, ``income between 12000 and 5e5``; ``None`` for an
    open side), else ``None``.

    Examples
    --------
    >>> import pandas as pd
    >>> Rule.parse("x > 1 and y == 'a'").evaluate(pd.DataFrame({"x": [0, 2], "y": ["a", "a"]})).tolist()
    [False, True]
    >>> Rule.parse("x between 1 and 5").bound
    ('x', 1.0, 5.0)
    """

    text: str
    tree: Node
    names: frozenset[str]
    bound: tuple[str, float | None, float | None] | None = None

    @property
    def is_bound(self) -> bool:
        """True when the rule is a closed bound on one column (see :meth:`RuleSet.bounds`)."""
        return self.bound is not None

    @classmethod
    def parse(cls, text: str, columns: list[str] | None = None) -> Rule:
        """Parse and check the boolean rule ``text``; ``columns`` (if given) must contain every name."""
        _check_text(text)
        tokens = tokenize(text)
        at = _assignment(tokens)
        if at is not None:
            raise syntax_error(text, tokens[at].pos, "unexpected '='; compare with `==` (a derived column "
                               "is written {'derive': 'name = expression'})", columns)
        return cls._from_tokens(text, tokens, columns, columns)[0]

    @classmethod
    def _from_tokens(cls, text: str, tokens: list[Token], columns: list[str] | None,
                     known: list[str] | None, kinds: dict[str, str] | None = None,
                     budget: int | None = None) -> tuple[Rule, int]:
        """The rule and its number of syntax nodes."""
        try:
            tree, names, _, size = parse_tokens(text, tokens, allow_noise=False, budget=budget)
            kind = kind_of(tree, kinds)
        except _Syntax as exc:
            raise syntax_error(text, exc.pos, exc.message, columns) from None
        if kind in ("num", "text", "date", "none"):
            raise RuleError(f"rule {quote(text)} does not evaluate to true/false; compare values, "
                            "e.g. `x > 0`")
        if known is not None:
            _check_names(text, names, columns or [], known)
        return cls(text, tree, names, _bound_of(tree)), size

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        """Boolean mask of the rows satisfying the rule (the frame is never modified)."""
        out = np.asarray(evaluate(self.tree, frame, self.text))
        if out.dtype != bool:
            raise RuleError(f"rule {quote(self.text)} does not evaluate to true/false; compare "
                            "values, e.g. `x > 0`")
        if out.shape == ():
            return np.full(len(frame), bool(out))
        return out


def _check_names(text: str, names: frozenset[str], columns: list[str], known: list[str]) -> None:
    unknown = sorted(names - set(known))
    if unknown:
        extra = [k for k in known if k not in set(columns)]
        tail = f"; derived columns are {extra}" if extra else ""
        raise RuleError(f"rule {quote(text)} names unknown column(s) {unknown}; columns are "
                        f"{list(columns)}{tail}")


@dataclass(frozen=True)
class Derived:
    """A derived column ``name = expression``.

    ``categories`` lists the text values the expression can give when they are all literals
    (``if x > 0 then 'pos' else 'neg'`` gives ``('pos', 'neg')``), else ``None``.

    Examples
    --------
    >>> import pandas as pd
    >>> rs = compile_rules(["band = if x > 1 then 'high' else 'low'"])
    >>> rs.derived[0].categories
    ('high', 'low')
    >>> rs.apply(pd.DataFrame({"x": [0, 2]}), None).frame["band"].tolist()
    ['low', 'high']
    """

    name: str
    text: str
    tree: Node
    names: frozenset[str]
    replace: bool = False
    categories: tuple[str, ...] | None = None
    uses_noise: bool = False
    kind: str = "any"

    def values(self, frame: pd.DataFrame, rng: np.random.Generator | None = None) -> pd.Series:
        """The column's values over ``frame``: float64, bool, categorical (literal text) or object."""
        out = evaluate(self.tree, frame, self.text, rng)
        n = len(frame)
        arr = np.asarray(out)
        if arr.ndim == 0:
            arr = np.full(n, out, dtype=arr.dtype if arr.dtype != object else object)
        kind = arr.dtype.kind
        if kind == "b":
            return pd.Series(arr, index=frame.index, dtype=bool)
        if kind in "iuf":
            return pd.Series(arr.astype(np.float64), index=frame.index)
        if kind in "Mm":
            return pd.Series(arr, index=frame.index)
        if self.categories is not None:
            values = pd.Categorical(arr, categories=list(self.categories))
            return pd.Series(values, index=frame.index)
        return pd.Series(arr, index=frame.index, dtype=object)


def _text_literals(node: Node) -> list[str] | None:
    """The text values ``node`` can give if they are all literals, ``None`` otherwise or if no text."""
    if isinstance(node, Const):
        return [node.value] if isinstance(node.value, str) else ([] if node.value is None else None)
    if isinstance(node, IfThen) and node.orelse is not None:
        a, b = _text_literals(node.then), _text_literals(node.orelse)
        if a is None or b is None:
            return None
        return a + [v for v in b if v not in a]
    return None


@dataclass
class RuleOutcome:
    """The result of :meth:`RuleSet.apply`.

    ``frame``: the input with the derived columns added or replaced (in order); ``keep``: rows
    passing every hard rule and surviving the soft rules' keep draws; ``passed``: per hard or
    soft rule text, the number of rows satisfying it (before any keep draw).
    """

    frame: pd.DataFrame
    keep: np.ndarray
    passed: dict[str, int] = field(default_factory=dict)


@dataclass
class RuleSet:
    """Compiled rules: hard filters, soft (probabilistic) filters and derived columns.

    Build it with :func:`compile_rules`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rs = compile_rules(["age >= 18", {"rule": "income > 0", "keep": 0.0},
    ...                     "monthly = income / 12"], columns=["age", "income"])
    >>> out = rs.apply(pd.DataFrame({"age": [17, 30, 40], "income": [1200.0, 2400.0, 0.0]}),
    ...                np.random.default_rng(0))
    >>> out.keep.tolist(), out.frame["monthly"].tolist(), out.passed["age >= 18"]
    ([False, True, False], [100.0, 200.0, 0.0], 2)
    >>> rs.bounds()
    {'age': (18.0, None)}
    """

    hard: list[Rule] = field(default_factory=list)
    soft: list[tuple[Rule, float]] = field(default_factory=list)
    derived: list[Derived] = field(default_factory=list)
    new_columns: list[str] = field(default_factory=list)
    _specs: list[Any] = field(default_factory=list, repr=False)

    def __bool__(self) -> bool:
        return bool(self.hard or self.soft or self.derived)

    @property
    def specs(self) -> list[Any]:
        """The rules as a JSON-able list (strings and dicts), as given to :func:`compile_rules`."""
        return [dict(s) if isinstance(s, dict) else s for s in self._specs]

    @property
    def names(self) -> frozenset[str]:
        """Every model column the rules and derived columns read or replace."""
        used: set[str] = set()
        for rule in [*self.hard, *(r for r, _ in self.soft)]:
            used |= rule.names
        for d in self.derived:
            used |= d.names
            if d.replace:
                used.add(d.name)
        return frozenset(used - set(self.new_columns))

    def bounds(self) -> dict[str, tuple[float | None, float | None]]:
        """Closed bounds ``{column: (low, high)}`` implied by the hard rules that are simple bounds.

        Several bounds on one column are intersected; columns computed by a derived column
        (new or replaced) are left out, since the model does not draw them. Only hard rules with
        ``Rule.is_bound`` count (``>=``, ``<=``, chained ``a <= x <= b`` and ``between`` with
        number literals); strict ``<`` / ``>`` and every other rule are left to filtering. A bound
        rule also refuses missing values, which the bounds do not express.
        """
        out: dict[str, tuple[float | None, float | None]] = {}
        for rule in self.hard:
            if rule.bound is None:
                continue
            name, low, high = rule.bound
            if any(d.name == name for d in self.derived):
                continue
            old_low, old_high = out.get(name, (None, None))
            low = old_low if low is None else (low if old_low is None else max(low, old_low))
            high = old_high if high is None else (high if old_high is None else min(high, old_high))
            out[name] = (low, high)
        return out

    def apply(self, frame: pd.DataFrame, rng: np.random.Generator | None) -> RuleOutcome:
        """Derive columns, then evaluate the hard and soft rules over ``frame``.

        ``rng`` is used in a fixed order: the ``noise`` of the derived columns first (in
        evaluation order, ``len(frame)`` draws per call), then one uniform per row per soft
        rule (in order), so the same generator state gives the same outcome.
        """
        n = len(frame)
        out = frame
        if self.derived:
            out = frame.copy()
            for i, d in enumerate(self.derived):
                out[d.name] = d.values(out, rng)
                if i % 64 == 63:  # consolidate: inserting many columns one by one fragments the frame
                    out = out.copy()
        keep = np.ones(n, dtype=bool)
        passed: dict[str, int] = {}
        for rule in self.hard:
            mask = rule.evaluate(out)
            passed[rule.text] = int(mask.sum())
            keep &= mask
        if self.soft:
            if rng is None:
                raise RuleError("soft rules need a random generator to draw which violating rows to keep")
            for rule, p in self.soft:
                mask = rule.evaluate(out)
                passed[rule.text] = int(mask.sum())
                keep &= mask | (rng.random(n) < p)
        return RuleOutcome(out, keep, passed)


def _keep_value(value: Any, text: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise RuleError(f"`keep` of rule {quote(text)} must be a number in [0, 1], got {value!r}")
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise RuleError(f"`keep` of rule {quote(text)} must be in [0, 1], got {value:g}: it is the "
                        "probability that a row violating the rule is kept")
    return value


def _normalise(spec: Any) -> tuple[str, str, float | bool | None, Any]:
    """``(kind, text, keep-or-replace, json-spec)`` with kind in hard, soft, derive, auto."""
    if isinstance(spec, str):
        _check_text(spec)
        return "auto", spec, None, spec
    if isinstance(spec, dict):
        if "derive" in spec:
            reject_unknown_keys(spec, {"derive", "replace"}, f"derived column {spec.get('derive')!r}",
                                RuleError)
            text = _check_text(spec["derive"], "`derive`")
            replace = spec.get("replace", False)
            if not isinstance(replace, bool):
                raise RuleError(f"`replace` of derived column {quote(text)} must be true or false, "
                                f"got {replace!r}")
            return "derive", text, replace, {"derive": text, "replace": replace}
        if "rule" in spec:
            reject_unknown_keys(spec, {"rule", "keep"}, f"rule {spec.get('rule')!r}", RuleError)
            text = _check_text(spec["rule"])
            if "keep" in spec:
                keep = _keep_value(spec["keep"], text)
                return "soft", text, keep, {"rule": text, "keep": keep}
            return "hard", text, None, {"rule": text}
        raise RuleError(f"a rule given as a mapping needs the key `rule` (a filter, with optional "
                        f"`keep`) or `derive` (a derived column), got keys {sorted(map(str, spec))}")
    raise RuleError(f"each rule must be text or a mapping such as {{'rule': 'x > 0', 'keep': 0.1}}, "
                    f"got {type(spec).__name__}")


def compile_rules(specs: Any, columns: list[str] | None = None,
                  kinds: dict[str, str] | None = None) -> RuleSet:
    """Compile hard rules, soft rules and derived columns into a :class:`RuleSet`.

    Parameters
    ----------
    specs : list, str, RuleSet or None
        Items are ``"age >= 18"`` (hard rule), ``"monthly = income / 12"`` (derived column: a
        single ``=`` at the top level), ``{"rule": text}`` (hard), ``{"rule": text, "keep": p}``
        (soft: a violating row is kept with probability ``p``), ``{"derive": "name = expr",
        "replace": bool}`` (derived; ``replace`` must be true to overwrite a model column).
    columns : list of str, optional
        The model's columns; every name must be one of them or a derived column.
    kinds : dict, optional
        Kind of each model column: 'num', 'bool', 'text' or 'date'
        (:func:`~synthkit.rules.language.column_kind`). With it every expression is typed now:
        a rule must give true/false, the branches of an if/then/else must agree (numbers with
        numbers, text with text...), and each derived column gets its kind (``Derived.kind``).

    Returns
    -------
    RuleSet
        Derived columns in evaluation order (a derived column may use another defined later in
        the list; cycles are refused).

    Examples
    --------
    >>> rs = compile_rules(["b = a + 1", "a = x * 2", "b > 0"], columns=["x"])
    >>> [d.name for d in rs.derived], rs.new_columns
    (['a', 'b'], ['a', 'b'])
    >>> compile_rules(["z = if x > 0 then x else y"], ["x", "y"], {"x": "num", "y": "num"}).derived[0].kind
    'num'

    A rule set has at most :data:`MAX_RULES` rules, :data:`MAX_RULESET_CHARS` characters and
    :data:`MAX_RULESET_NODES` syntax nodes in all; the sizes are checked while reading, before
    any further work.
    """
    if isinstance(specs, RuleSet):
        specs = specs.specs
    if specs is None:
        return RuleSet()
    if isinstance(specs, str):
        specs = [specs]
    if not isinstance(specs, (list, tuple)):
        raise RuleError(f"`rules` must be a list of rules, got {type(specs).__name__}")
    if len(specs) > MAX_RULES:
        raise RuleError(f"{len(specs):,} rules given; at most {MAX_RULES:,} are allowed")
    cols = list(columns) if columns is not None else None
    colset = set(cols or [])
    items = []
    chars = 0
    for spec in specs:
        kind, text, extra, json_spec = _normalise(spec)
        chars += len(text)
        if chars > MAX_RULESET_CHARS:
            raise RuleError(f"the rules have more than {MAX_RULESET_CHARS:,} characters in all "
                            "(MAX_RULESET_CHARS): use fewer or shorter rules")
        tokens = tokenize(text)
        at = _assignment(tokens)
        if kind == "auto":
            kind = "derive" if at is not None else "hard"
            extra = False if kind == "derive" else None
        if kind == "derive":
            if at is None:
                raise RuleError(f"derived column {quote(text)} must be written 'name = expression', "
                                "e.g. monthly = income / 12")
            if at != 1 or tokens[0].kind not in ("name", "quoted"):
                raise syntax_error(text, tokens[at].pos if at != 1 else tokens[0].pos,
                                   "a derived column is written 'name = expression' with one name "
                                   "before `=`", cols)
            if tokens[0].kind == "name" and tokens[0].value in RESERVED:
                # (rules would read the bare word as the keyword, never as this column)
                raise syntax_error(text, tokens[0].pos, f"{tokens[0].value!r} is a reserved word: write "
                                   f"the derived column's name between backticks, `{tokens[0].value}` = ...",
                                   cols)
        elif at is not None:
            raise syntax_error(text, tokens[at].pos, "unexpected '='; a rule compares with `==`", cols)
        items.append((kind, text, extra, json_spec, tokens, at))

    derived_names = [tokens[0].value for kind, _, _, _, tokens, _ in items if kind == "derive"]
    seen: set[str] = set()
    for name in derived_names:
        if name in seen:
            raise RuleError(f"derived column {name!r} is defined more than once")
        seen.add(name)
    known = (cols + [d for d in derived_names if d not in colset]) if cols is not None else None

    out = RuleSet(_specs=[s for _, _, _, s, _, _ in items])
    derived: list[Derived] = []
    model_kinds = {k: v for k, v in (kinds or {}).items() if k not in seen}
    nodes = 0
    for kind, text, extra, _, tokens, _at in items:
        if kind == "derive":
            dv, size = _derived(text, tokens, bool(extra), cols, known, model_kinds,
                                MAX_RULESET_NODES - nodes)
            derived.append(dv)
        else:
            rule, size = Rule._from_tokens(text, tokens, cols, known, model_kinds, MAX_RULESET_NODES - nodes)
            if kind == "soft":
                out.soft.append((rule, float(extra)))
            else:
                out.hard.append(rule)
        nodes += size
    out.derived = _order(derived)
    if kinds is not None:
        out.derived = _typed(out, dict(kinds))
    out.new_columns = [d.name for d in out.derived if d.name not in colset] if cols is not None else \
        [d.name for d in out.derived if not d.replace]
    _check_bounds(out)
    return out


def _typed(rules: RuleSet, kinds: dict[str, str]) -> list[Derived]:
    """The derived columns (in evaluation order) with their kinds, each read with the kinds of the
    columns before it; then the rules are checked against the final kinds (RuleError on a mix)."""
    typed = []
    for d in rules.derived:
        try:
            kind = kind_of(d.tree, kinds)
        except _Syntax as exc:
            raise syntax_error(d.text, exc.pos, exc.message) from None
        typed.append(dataclasses.replace(d, kind=kind))
        if kind in ("num", "bool", "text", "date"):
            kinds[d.name] = kind
        else:
            kinds.pop(d.name, None)
    for rule in [*rules.hard, *(r for r, _ in rules.soft)]:
        try:
            kind = kind_of(rule.tree, kinds)
        except _Syntax as exc:
            raise syntax_error(rule.text, exc.pos, exc.message) from None
        if kind in ("num", "text", "date", "none"):
            raise RuleError(f"rule {quote(rule.text)} gives {kind if kind != 'num' else 'numbers'}, not "
                            "true/false; compare values, e.g. `x > 0`")
    return typed


def _derived(text: str, tokens: list[Token], replace: bool, cols: list[str] | None,
             known: list[str] | None, kinds: dict[str, str] | None = None,
             budget: int | None = None) -> tuple[Derived, int]:
    name = tokens[0].value
    if cols is not None:
        if name in cols and not replace:
            raise RuleError(f"derived column {name!r} ({quote(text)}) is already a column of the model; "
                            "set replace: true to overwrite it, or choose another name")
        if replace and name not in cols:
            raise RuleError(f"derived column {name!r} ({quote(text)}) has replace: true but is not a "
                            f"column of the model; columns are {cols}")
    try:
        tree, names, noise, size = parse_tokens(text, tokens[2:], allow_noise=True, budget=budget)
        kind = kind_of(tree, kinds)
    except _Syntax as exc:
        raise syntax_error(text, exc.pos, exc.message, cols) from None
    if name in names and not replace:
        raise RuleError(f"derived column {name!r} ({quote(text)}) uses itself; only a derived column "
                        "that replaces a model column (replace: true) may read that column's value")
    if known is not None:
        _check_names(text, names, cols or [], known)
    literals = _text_literals(tree)
    categories = tuple(literals) if literals else None
    return Derived(name, text, tree, names, replace, categories, noise, kind), size


def _order(derived: list[Derived]) -> list[Derived]:
    """Derived columns in evaluation order (stable); a cycle is a RuleError naming it."""
    by_name = {d.name: d for d in derived}
    deps = {d.name: [m for m in sorted(d.names) if m in by_name and m != d.name] for d in derived}
    order: list[Derived] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    for start in (d.name for d in derived):
        if state.get(start) == 2:
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            name, k = stack.pop()
            if k == 0:
                if state.get(name) == 2:
                    continue
                state[name] = 1
                path.append(name)
            if k < len(deps[name]):
                stack.append((name, k + 1))
                nxt = deps[name][k]
                if state.get(nxt) == 1:
                    cycle = path[path.index(nxt):] + [nxt]
                    raise RuleError("derived columns depend on each other in a cycle: "
                                    f"{' -> '.join(cycle)}; define one of them from model columns")
                if state.get(nxt) != 2:
                    stack.append((nxt, 0))
            else:
                state[name] = 2
                path.pop()
                order.append(by_name[name])
    return order


def _check_bounds(rules: RuleSet) -> None:
    for name, (low, high) in rules.bounds().items():
        if low is not None and high is not None and low > high:
            texts = [r.text for r in rules.hard if r.bound is not None and r.bound[0] == name]
            raise RuleError(f"rules {texts} cannot all hold: they need {low:g} <= {name} <= {high:g}")


def parse_rules(rules: list[str] | str | None, columns: list[str] | None = None) -> list[Rule]:
    """Parse a rule or a list of boolean rules (``None`` gives no rules).

    Examples
    --------
    >>> [r.text for r in parse_rules("x > 0")]
    ['x > 0']
    """
    if rules is None:
        return []
    if isinstance(rules, str):
        rules = [rules]
    if not isinstance(rules, (list, tuple)):
        raise RuleError(f"`rules` must be a list of expressions, got {type(rules).__name__}")
    return [Rule.parse(r, columns) for r in rules]


def apply_rules(frame: pd.DataFrame, rules: list[Rule]) -> np.ndarray:
    """Mask of rows satisfying every rule.

    Examples
    --------
    >>> import pandas as pd
    >>> apply_rules(pd.DataFrame({"x": [0, 2]}), parse_rules(["x > 1"])).tolist()
    [False, True]
    """
    mask = np.ones(len(frame), dtype=bool)
    for rule in rules:
        mask &= rule.evaluate(frame)
    return mask
