"""The rule language: tokenizer, recursive-descent parser, static checks and vectorised evaluator.

Text is split into tokens by a small scanner, parsed by a recursive-descent
(precedence-climbing) parser into the node types of this module, checked against
the language's whitelist, and evaluated over whole numpy columns. Nothing is
ever handed to Python's ``eval``: a rule can only name columns, literals,
operators and the functions of :data:`FUNCTIONS`.

Grammar, loosest binding first::

    expr     := 'if' expr 'then' expr ['else' expr] | or
    or       := and ('or' and)*
    and      := not ('and' not)*
    not      := 'not' not | compare
    compare  := sum (('<' | '<=' | '>' | '>=' | '==' | '!=') sum)*      (chained, as in Python)
              | sum ['not'] 'in' '[' literal, ... ']'
              | sum ['not'] 'between' sum 'and' sum                     (closed interval)
    sum      := product (('+' | '-') product)*
    product  := unary (('*' | '/' | '//' | '%') unary)*
    unary    := ('-' | '+') unary | power
    power    := primary ['**' unary]                                    (right-associative)
    primary  := number | 'text' | True | False | None | name | `any name`
              | function '(' expr, ... ')' | '(' expr ')' | if-expression

Column names are identifiers or any text between backticks (`` `monthly income` ``).
The words ``and or not in between if then else True False true false None``
are reserved; a column with such a name is written between backticks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import RuleError

__all__ = ["MAX_RULE_CHARS", "MAX_RULE_NODES", "MAX_RULE_DEPTH", "MAX_RULE_INT", "MAX_RULESET_NODES",
           "MAX_RULESET_CHARS", "FUNCTIONS",
           "Token", "tokenize", "parse_tokens", "evaluate", "kind_of", "column_kind", "unparse", "quote"]

#: Longest rule text.
MAX_RULE_CHARS = 10_000
#: Most syntax-tree nodes in one rule (a list of 500 categories is about 500 nodes).
MAX_RULE_NODES = 2_000
#: Deepest nesting of a rule's syntax tree.
MAX_RULE_DEPTH = 50
#: Most syntax-tree nodes in all the rules of one rule set together.
MAX_RULESET_NODES = 20_000
#: Most characters in all the rules of one rule set together.
MAX_RULESET_CHARS = 200_000
#: Largest integer constant (in absolute value); larger numbers are written as floats (1e20).
MAX_RULE_INT = 2**53

RESERVED = frozenset({"and", "or", "not", "in", "between", "if", "then", "else", "True", "False",
                      "true", "false", "None"})
_CONSTANTS = {"True": True, "False": False, "true": True, "false": False, "None": None}

_MATH1 = {"abs": np.abs, "sqrt": np.sqrt, "log": np.log, "exp": np.exp, "floor": np.floor,
          "ceil": np.ceil}
_DATE_PARTS = ("year", "month", "day", "weekday")
_TEXT_TESTS = ("startswith", "endswith", "contains")
#: Every function of the language with its (fewest, most) arguments (``None``: no upper bound).
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    **{f: (1, 1) for f in _MATH1}, "isnull": (1, 1), "notnull": (1, 1),
    "min": (1, None), "max": (1, None), "round": (1, 2), "clip": (3, 3),
    **{f: (1, 1) for f in _DATE_PARTS}, "days_between": (2, 2),
    **{f: (2, 2) for f in _TEXT_TESTS}, "noise": (3, 3),
}
_EXAMPLES = {
    **{f: f"{f}(x)" for f in (*_MATH1, "isnull", "notnull")},
    "min": "min(x, y, 0)", "max": "max(x, y, 0)", "round": "round(x) or round(x, 2)",
    "clip": "clip(x, 0, 100)", **{f: f"{f}(d)" for f in _DATE_PARTS},
    "days_between": "days_between(start, end)", **{f: f"{f}(name, 'ab')" for f in _TEXT_TESTS},
    "noise": "noise(normal, 0, 1) or noise(uniform, low, high)",
}
_NUMERIC_FUNCS = frozenset({*_MATH1, "min", "max", "round", "clip"})
_DISTRIBUTIONS = ("normal", "uniform")
_COMPARE_OPS = ("<", "<=", ">", ">=", "==", "!=")
_ARITH_OPS = ("+", "-", "*", "/", "//", "%", "**")

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[^\W\d]\w*)
  | (?P<quoted>`[^`\n]+`)
  | (?P<str>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<op>\*\*|//|<=|>=|==|!=|[-+*/%<>=(),\[\]])
""", re.VERBOSE)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", "'": "'", '"': '"'}
_CHAR_HINTS = {".": " (attribute access is not allowed in rules)", "&": "; write `and`",
               "|": "; write `or`", "~": "; write `not`", "!": "; write `not` or `!=`",
               ":": " (only expressions are allowed in rules)", "{": "", "@": ""}


def quote(text: str) -> str:
    """``repr`` of a rule text, shortened when long (for messages)."""
    return repr(text) if len(text) <= 120 else repr(text[:60]) + "..."


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is num, str, name, quoted, op, end or error; ``pos`` is its 1-based column."""

    kind: str
    value: Any
    pos: int
    raw: str

    def is_op(self, *ops: str) -> bool:
        return self.kind == "op" and self.value in ops

    def is_word(self, *words: str) -> bool:
        return self.kind == "name" and self.value in words

    def describe(self) -> str:
        if self.kind == "end":
            return "end of the rule"
        label = {"num": "number", "str": "text", "name": "keyword" if self.value in RESERVED else "name",
                 "quoted": "name", "op": ""}[self.kind]
        return f"{label} {self.raw}".strip() if self.kind != "op" else repr(self.raw)


class _Syntax(Exception):
    """A syntax error at a column; turned into a RuleError with the rule text by the caller."""

    def __init__(self, pos: int, message: str):
        super().__init__(message)
        self.pos = pos
        self.message = message


def syntax_error(text: str, pos: int, message: str, columns: list[str] | None = None) -> RuleError:
    """The RuleError for a syntax error at 1-based column ``pos`` of ``text``."""
    tail = f"; columns are {list(columns)}" if columns is not None else ""
    return RuleError(f"rule {quote(text)} col {pos}: {message}{tail}")


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body, flags=re.S)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens.

    The last token is ``end``, or ``error`` (``value`` is the message) at the first character
    that starts no token, so the parser reports the first problem in reading order.
    """
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        m = _TOKEN.match(text, i)
        if m is None:
            ch = text[i]
            if ch in "'\"":
                message = f"the text starting here is not closed; end it with {ch}"
            elif ch == "`":
                message = "the name starting here is not closed; end it with `"
            else:
                message = f"unexpected character {ch!r}{_CHAR_HINTS.get(ch, '')}"
            tokens.append(Token("error", message, i + 1, ch))
            return tokens
        kind, raw = m.lastgroup, m.group()
        if kind == "num":
            if re.fullmatch(r"\d+", raw):
                if len(raw) > 20 or int(raw) > MAX_RULE_INT:
                    tokens.append(Token("error", f"an integer of {len(raw)} digits is too large (at most "
                                                 "2**53 in size); write a float such as 1e20", i + 1, raw))
                    return tokens
                value: Any = int(raw)
            else:
                value = float(raw)
            tokens.append(Token("num", value, i + 1, raw))
        elif kind == "str":
            tokens.append(Token("str", _unescape(raw[1:-1]), i + 1, raw))
        elif kind == "quoted":
            tokens.append(Token("quoted", raw[1:-1], i + 1, raw))
        elif kind in ("name", "op"):
            tokens.append(Token(kind, raw, i + 1, raw))
        i = m.end()
    tokens.append(Token("end", None, n + 1, ""))
    return tokens


# ------------------------------------------------------------------------------------ nodes


@dataclass(frozen=True, eq=False)
class Node:
    """A syntax-tree node; ``pos`` is the 1-based column where it starts."""

    pos: int


@dataclass(frozen=True, eq=False)
class Const(Node):
    value: Any


@dataclass(frozen=True, eq=False)
class Name(Node):
    id: str


@dataclass(frozen=True, eq=False)
class Unary(Node):
    op: str
    operand: Node


@dataclass(frozen=True, eq=False)
class Not(Node):
    operand: Node


@dataclass(frozen=True, eq=False)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True, eq=False)
class Arith(Node):
    """A left-associative chain ``terms[0] ops[0] terms[1] ops[1] ...`` of ``+ -`` or ``* / // %``."""

    ops: tuple[str, ...]
    terms: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class BoolOp(Node):
    op: str
    values: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class ListLit(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class Compare(Node):
    left: Node
    ops: tuple[str, ...]
    comparators: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class Between(Node):
    value: Node
    low: Node
    high: Node
    negate: bool


@dataclass(frozen=True, eq=False)
class IfThen(Node):
    cond: Node
    then: Node
    orelse: Node | None


@dataclass(frozen=True, eq=False)
class Call(Node):
    func: str
    args: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class Dist(Node):
    name: str


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-nodes of ``node``."""
    if isinstance(node, (Unary, Not)):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, BoolOp):
        return node.values
    if isinstance(node, Arith):
        return node.terms
    if isinstance(node, ListLit):
        return node.items
    if isinstance(node, Compare):
        return (node.left, *node.comparators)
    if isinstance(node, Between):
        return (node.value, node.low, node.high)
    if isinstance(node, IfThen):
        return (node.cond, node.then) + ((node.orelse,) if node.orelse is not None else ())
    if isinstance(node, Call):
        return node.args
    return ()


def unparse(node: Node) -> str:
    """Rule text for ``node`` (fully parenthesised where needed; used in messages)."""
    if isinstance(node, Const):
        value = node.value
        return repr(value) if not isinstance(value, float) or np.isfinite(value) else repr(float(value))
    if isinstance(node, Name):
        return node.id if re.fullmatch(r"[^\W\d]\w*", node.id) and node.id not in RESERVED else f"`{node.id}`"
    if isinstance(node, Dist):
        return node.name
    if isinstance(node, Unary):
        return f"{node.op}{unparse(node.operand)}"
    if isinstance(node, Not):
        return f"not {unparse(node.operand)}"
    if isinstance(node, Binary):
        return f"({unparse(node.left)} {node.op} {unparse(node.right)})"
    if isinstance(node, BoolOp):
        return "(" + f" {node.op} ".join(unparse(v) for v in node.values) + ")"
    if isinstance(node, Arith):
        parts = [unparse(node.terms[0])]
        for op, term in zip(node.ops, node.terms[1:], strict=True):
            parts += [op, unparse(term)]
        return "(" + " ".join(parts) + ")"
    if isinstance(node, ListLit):
        return "[" + ", ".join(unparse(v) for v in node.items) + "]"
    if isinstance(node, Compare):
        parts = [unparse(node.left)]
        for op, comp in zip(node.ops, node.comparators, strict=True):
            parts += [op, unparse(comp)]
        return " ".join(parts)
    if isinstance(node, Between):
        word = "not between" if node.negate else "between"
        return f"{unparse(node.value)} {word} {unparse(node.low)} and {unparse(node.high)}"
    if isinstance(node, IfThen):
        tail = f" else {unparse(node.orelse)}" if node.orelse is not None else ""
        return f"(if {unparse(node.cond)} then {unparse(node.then)}{tail})"
    if isinstance(node, Call):
        return f"{node.func}(" + ", ".join(unparse(a) for a in node.args) + ")"
    return "?"  # pragma: no cover


# ----------------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, tokens: list[Token], allow_noise: bool, budget: int | None = None):
        self.tokens = tokens
        self.budget = budget
        self.i = 0
        self.depth = 0
        self.count = 0
        self.allow_noise = allow_noise
        self.uses_noise = False

    # -- helpers
    def peek(self, k: int = 0) -> Token:
        tok = self.tokens[min(self.i + k, len(self.tokens) - 1)]
        if tok.kind == "error":
            raise _Syntax(tok.pos, tok.value)
        return tok

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return tok

    def unexpected(self, tok: Token, hint: str = "") -> _Syntax:
        if tok.kind == "end":
            return _Syntax(tok.pos, "the rule ends too early" + (hint or "; something is missing here"))
        if tok.is_op("="):
            hint = hint or ("; compare with `==` (a derived column is written 'name = expression' "
                            "at the start)")
        elif tok.kind == "name" and not hint:
            if tok.value == "is":
                hint = "; test missing values with isnull(x) / notnull(x) and compare with `==`"
            elif tok.value == "if":
                hint = "; a value chosen by a condition is written `if c then a else b`"
            elif tok.value.lower() in RESERVED and tok.value not in RESERVED:
                hint = f"; write `{tok.value.lower()}` in lower case"
        return _Syntax(tok.pos, f"unexpected {tok.describe()}{hint}")

    def expect_op(self, op: str, hint: str) -> Token:
        tok = self.peek()
        if not tok.is_op(op):
            raise self.unexpected(tok, hint)
        return self.advance()

    def make(self, cls: type, *args: Any) -> Any:
        self.count += 1
        if self.count > MAX_RULE_NODES:
            raise _Syntax(args[0], f"the rule is too long ({MAX_RULE_NODES} parts at most): "
                                   "split it into several rules")
        if self.budget is not None and self.count > self.budget:
            raise _Syntax(args[0], f"the rules have more than {MAX_RULESET_NODES:,} parts in all "
                                   "(MAX_RULESET_NODES): use fewer or shorter rules")
        return cls(*args)

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_RULE_DEPTH:
            raise _Syntax(pos, f"the rule nests more than {MAX_RULE_DEPTH} levels deep")

    # -- grammar
    def parse(self) -> Node:
        node = self.expr()
        tok = self.peek()
        if tok.kind != "end":
            if tok.is_op(")"):
                raise self.unexpected(tok, "; it closes no parenthesis")
            if tok.is_op("["):
                raise self.unexpected(tok, "; subscripts are not allowed in rules (a list may only follow "
                                      "`in` / `not in`)")
            special = tok.kind == "name" and (tok.value in ("is", "if") or tok.value.lower() in RESERVED)
            raise self.unexpected(tok, "; an operator such as `and`, `or`, `==` or `+` is missing before it"
                                  if tok.kind in ("num", "str", "name", "quoted") and not special else "")
        return node

    def expr(self) -> Node:
        if self.peek().is_word("if"):
            return self.if_expr()
        return self.or_expr()

    def if_expr(self) -> Node:
        tok = self.advance()
        self.enter(tok.pos)
        cond = self.expr()
        if not self.peek().is_word("then"):
            raise self.unexpected(self.peek(), "; `if` needs `then`, e.g. if x > 0 then y > 0")
        self.advance()
        then = self.expr()
        orelse = None
        if self.peek().is_word("else"):
            self.advance()
            orelse = self.expr()
        self.depth -= 1
        return self.make(IfThen, tok.pos, cond, then, orelse)

    def or_expr(self) -> Node:
        first = self.and_expr()
        values = [first]
        while self.peek().is_word("or"):
            self.advance()
            values.append(self.and_expr())
        return first if len(values) == 1 else self.make(BoolOp, first.pos, "or", tuple(values))

    def and_expr(self) -> Node:
        first = self.not_expr()
        values = [first]
        while self.peek().is_word("and"):
            self.advance()
            values.append(self.not_expr())
        return first if len(values) == 1 else self.make(BoolOp, first.pos, "and", tuple(values))

    def not_expr(self) -> Node:
        tok = self.peek()
        if tok.is_word("not"):
            self.advance()
            self.enter(tok.pos)
            operand = self.not_expr()
            self.depth -= 1
            return self.make(Not, tok.pos, operand)
        return self.compare()

    def _membership(self) -> str | None:
        tok = self.peek()
        if tok.is_word("in"):
            return "in"
        if tok.is_word("not") and self.peek(1).is_word("in"):
            return "not in"
        return None

    def _between(self) -> bool | None:
        tok = self.peek()
        if tok.is_word("between"):
            return False
        if tok.is_word("not") and self.peek(1).is_word("between"):
            return True
        return None

    def compare(self) -> Node:
        left = self.sum()
        negate = self._between()
        if negate is not None:
            self.advance()
            if negate:
                self.advance()
            low = self.sum()
            if not self.peek().is_word("and"):
                raise self.unexpected(self.peek(), "; `between` needs `and`, e.g. x between 1 and 5")
            self.advance()
            high = self.sum()
            tok = self.peek()
            if tok.is_op(*_COMPARE_OPS) or self._membership() or self._between() is not None:
                raise _Syntax(tok.pos, "a `between` test cannot be compared further; use parentheses "
                                       "and `and`, e.g. (x between 1 and 5) and y > 0")
            return self.make(Between, left.pos, left, low, high, negate)
        ops: list[str] = []
        comps: list[Node] = []
        while True:
            tok = self.peek()
            member = self._membership()
            if tok.is_op(*_COMPARE_OPS):
                if ops and ops[-1] in ("in", "not in"):
                    raise _Syntax(tok.pos, "a list after `in` / `not in` cannot be compared further; use "
                                           "parentheses and `and`, e.g. (x in ['a', 'b']) and y > 0")
                self.advance()
                ops.append(tok.value)
                comps.append(self.sum())
            elif member is not None:
                if ops and ops[-1] in ("in", "not in"):
                    raise _Syntax(tok.pos, "a list after `in` / `not in` cannot be compared further; use "
                                           "parentheses and `and`, e.g. (x in ['a', 'b']) and y > 0")
                self.advance()
                if member == "not in":
                    self.advance()
                ops.append(member)
                comps.append(self.list_literal())
            elif self._between() is not None:
                raise _Syntax(tok.pos, "a `between` test cannot be part of a chain of comparisons; use "
                                       "parentheses and `and`, e.g. x > 0 and (y between 1 and 5)")
            else:
                break
        if not ops:
            return left
        return self.make(Compare, left.pos, left, tuple(ops), tuple(comps))

    def list_literal(self) -> Node:
        tok = self.peek()
        if not tok.is_op("["):
            raise _Syntax(tok.pos, f"`in` needs a list, e.g. x in ['a', 'b'], not {tok.describe()}")
        self.advance()
        items: list[Node] = []
        while not self.peek().is_op("]"):
            item = self.peek()
            sign = 1
            if item.is_op("-", "+") and self.peek(1).kind == "num":
                sign = -1 if item.value == "-" else 1
                self.advance()
                item = self.peek()
            if item.kind in ("num", "str") or (item.kind == "name" and item.value in _CONSTANTS):
                if item.kind == "str" and sign != 1:
                    raise self.unexpected(item)
                value = _CONSTANTS[item.value] if item.kind == "name" else item.value
                if item.kind == "num":
                    value = sign * value
                self.advance()
                items.append(self.make(Const, item.pos, value))
            else:
                raise _Syntax(item.pos, "a list after `in` may hold only numbers, text, true/false or "
                                        f"None, not {item.describe()}")
            if self.peek().is_op(","):
                self.advance()
            elif not self.peek().is_op("]"):
                raise self.unexpected(self.peek(), "; separate list items with `,` and end the list with `]`")
        self.advance()
        after = self.peek()
        if after.is_op(*_ARITH_OPS):
            raise _Syntax(after.pos, "`in` needs a list of literals, e.g. x in ['a', 'b']; a list cannot "
                                     "be used in arithmetic")
        return self.make(ListLit, tok.pos, tuple(items))

    def sum(self) -> Node:
        return self.chain(self.product, ("+", "-"))

    def product(self) -> Node:
        return self.chain(self.unary, ("*", "/", "//", "%"))

    def chain(self, operand: Any, ops: tuple[str, ...]) -> Node:
        """``operand (op operand)*`` read iteratively into one n-ary :class:`Arith` node, so a long
        sum is one level deep, however many terms it has."""
        terms = [operand()]
        found: list[str] = []
        while self.peek().is_op(*ops):
            found.append(self.advance().value)
            terms.append(operand())
        return terms[0] if not found else self.make(Arith, terms[0].pos, tuple(found), tuple(terms))

    def unary(self) -> Node:
        tok = self.peek()
        if tok.is_op("-", "+"):
            self.advance()
            self.enter(tok.pos)
            operand = self.unary()
            self.depth -= 1
            return self.make(Unary, tok.pos, tok.value, operand)
        return self.power()

    def power(self) -> Node:
        base = self.primary()
        tok = self.peek()
        if tok.is_op("**"):
            self.advance()
            self.enter(tok.pos)
            exponent = self.unary()
            self.depth -= 1
            return self.make(Binary, base.pos, "**", base, exponent)
        return base

    def primary(self) -> Node:
        tok = self.peek()
        if tok.kind in ("num", "str"):
            self.advance()
            return self.make(Const, tok.pos, tok.value)
        if tok.kind == "quoted":
            self.advance()
            return self.make(Name, tok.pos, tok.value)
        if tok.kind == "name":
            if tok.value in _CONSTANTS:
                self.advance()
                return self.make(Const, tok.pos, _CONSTANTS[tok.value])
            if tok.value == "if":
                return self.if_expr()
            if tok.value in RESERVED:
                raise self.unexpected(tok)
            if self.peek(1).is_op("("):
                return self.call()
            self.advance()
            return self.make(Name, tok.pos, tok.value)
        if tok.is_op("("):
            self.advance()
            self.enter(tok.pos)
            node = self.expr()
            self.expect_op(")", "; a `)` is missing")
            self.depth -= 1
            return node
        if tok.is_op("["):
            raise _Syntax(tok.pos, "a list may only follow `in` / `not in`, e.g. x in ['a', 'b']")
        raise self.unexpected(tok)

    def call(self) -> Node:
        tok = self.advance()
        name = tok.value
        if name not in FUNCTIONS:
            raise _Syntax(tok.pos, f"unknown function {name!r}; only the functions {sorted(FUNCTIONS)} "
                                   "may be called")
        if name == "noise":
            self.uses_noise = True
            if not self.allow_noise:
                raise _Syntax(tok.pos, "noise() draws random values and may only be used in a derived "
                                       "column, e.g. {'derive': 'y = x + noise(normal, 0, 1)'}")
        self.advance()  # (
        self.enter(tok.pos)
        args: list[Node] = []
        while not self.peek().is_op(")"):
            arg_tok = self.peek()
            if self.peek(1).is_op("="):
                raise _Syntax(self.peek(1).pos, f"{name}() takes no keyword arguments; "
                                                f"{_arity(name)}, e.g. {_EXAMPLES[name]}")
            if name == "noise" and not args:
                if not (arg_tok.kind == "name" and arg_tok.value in _DISTRIBUTIONS):
                    raise _Syntax(arg_tok.pos, "noise() draws from `normal` or `uniform`, e.g. "
                                               "noise(normal, 0, 1) or noise(uniform, 0, 1)")
                self.advance()
                args.append(self.make(Dist, arg_tok.pos, arg_tok.value))
            else:
                args.append(self.expr())
            if self.peek().is_op(","):
                self.advance()
            elif not self.peek().is_op(")"):
                raise self.unexpected(self.peek(), "; separate arguments with `,` and end them with `)`")
        self.advance()  # )
        self.depth -= 1
        low, high = FUNCTIONS[name]
        if len(args) < low or (high is not None and len(args) > high):
            raise _Syntax(tok.pos, f"{name}() {_arity(name)}, e.g. {_EXAMPLES[name]}")
        if name in _TEXT_TESTS and not (isinstance(args[1], Const) and isinstance(args[1].value, str)):
            raise _Syntax(args[1].pos, f"{name}() needs text as its second argument, e.g. {_EXAMPLES[name]}")
        if name == "round" and len(args) == 2:
            k = args[1]
            value = k.value if isinstance(k, Const) else (
                -k.operand.value if isinstance(k, Unary) and isinstance(k.operand, Const) and k.op == "-"
                else None)
            if not (isinstance(value, int) and not isinstance(value, bool) and abs(value) <= 15):
                raise _Syntax(k.pos, "round() takes a whole number of digits from -15 to 15 as its second "
                                     "argument, e.g. round(x, 2)")
        return self.make(Call, tok.pos, name, tuple(args))


def _arity(name: str) -> str:
    low, high = FUNCTIONS[name]
    words = {1: "one argument", 2: "two arguments", 3: "three arguments"}
    if low == high:
        return f"takes exactly {words[low]}"
    if high is None:
        return f"takes at least {words[low]}"
    return f"takes {words[low].split()[0]} or {words[high]}"


_NUMERIC_ARG_FUNCS = _NUMERIC_FUNCS | {"noise"}


def parse_tokens(text: str, tokens: list[Token], allow_noise: bool = False,
                 budget: int | None = None) -> tuple[Node, frozenset[str], bool, int]:
    """Parse ``tokens`` (from :func:`tokenize`) into a checked tree.

    Returns the tree, the column names it uses, whether it calls ``noise`` and its number of
    nodes. ``budget``: the most nodes the tree may have (what is left of a rule set's
    :data:`MAX_RULESET_NODES`); parsing stops as soon as it is spent. Raises ``_Syntax``.
    """
    parser = _Parser(tokens, allow_noise, budget)
    try:
        tree = parser.parse()
    except RecursionError:  # pragma: no cover - the depth bound comes first
        raise _Syntax(1, f"the rule nests more than {MAX_RULE_DEPTH} levels deep") from None
    names = _check(tree)
    return tree, names, parser.uses_noise, parser.count


def _check(tree: Node) -> frozenset[str]:
    """Depth bound, text-in-arithmetic and date-literal checks (iterative); returns the names used."""
    names: set[str] = set()
    stack: list[tuple[Node, int, Node | None, int]] = [(tree, 1, None, 0)]
    while stack:
        node, depth, parent, index = stack.pop()
        if depth > MAX_RULE_DEPTH:
            raise _Syntax(node.pos, f"the rule nests more than {MAX_RULE_DEPTH} levels deep")
        if isinstance(node, Name):
            names.add(node.id)
        elif isinstance(node, IfThen):
            kind_of(node)  # branch kinds, wherever the if/then/else sits
        elif isinstance(node, Const) and isinstance(node.value, str):
            if isinstance(parent, (Unary, Binary, Arith)) or (
                    isinstance(parent, Call) and parent.func in _NUMERIC_ARG_FUNCS):
                raise _Syntax(node.pos, f"text {node.value!r} cannot be used in arithmetic or functions; "
                                        "compare it, e.g. x == 'a'")
            if isinstance(parent, Call) and (parent.func in _DATE_PARTS or parent.func == "days_between"):
                _literal_date(node.value, node.pos)
        stack.extend((child, depth + 1, node, k) for k, child in enumerate(children(node)))
    return frozenset(names)


def _literal_date(value: str, pos: int) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        stamp = None
    if stamp is None or stamp is pd.NaT:
        raise _Syntax(pos, f"text {value!r} is not a date; write dates as 'YYYY-MM-DD'")
    return stamp


_NUMERIC_DTYPE = re.compile(r"(?i)u?int\d*|float\d*")


def column_kind(kind: str, dtype: str | None = None) -> str:
    """The rule-language kind ('num', 'bool', 'date' or 'text') of a schema column of statistical
    ``kind`` (continuous, integer, boolean, datetime, categorical) stored as ``dtype``.

    A categorical column stored as numbers (``int64``...) reads as numbers in a rule.

    Examples
    --------
    >>> column_kind("integer"), column_kind("categorical", "category"), column_kind("categorical", "int64")
    ('num', 'text', 'num')
    """
    if kind in ("continuous", "integer"):
        return "num"
    if kind == "boolean":
        return "bool"
    if kind == "datetime":
        return "date"
    return "num" if dtype is not None and _NUMERIC_DTYPE.fullmatch(str(dtype)) else "text"


_KIND_WORDS = {"num": "numbers", "bool": "true/false", "text": "text", "date": "dates"}


def _check_compared_kinds(node: Compare, kinds: dict[str, str] | None) -> None:
    """Refuse comparing a column or literal with one of another kind (a number with text, a
    date with text): ``==`` and ``in`` would be false on every row and ``!=`` true, silently.
    (Arithmetic on a text column is refused when evaluated, naming the column.)"""
    operands = (node.left, *node.comparators)
    for child in operands:
        kind_of(child, kinds)
    for op, a, b in zip(node.ops, operands[:-1], operands[1:], strict=True):
        right = b.items if isinstance(b, ListLit) and op in ("in", "not in") else (b,)
        ka = kind_of(a, kinds) if isinstance(a, (Name, Const)) else "any"
        for item in right:
            kb = kind_of(item, kinds) if isinstance(item, (Name, Const)) else "any"
            if ka in _KIND_WORDS and kb in _KIND_WORDS and ka != kb and {ka, kb} != {"num", "bool"}:
                hint = (" (a date is compared through year(d), month(d), day(d), weekday(d) or "
                        "days_between(a, b))" if "date" in (ka, kb) else "")
                raise _Syntax(node.pos, f"`{unparse(node)}` compares {_KIND_WORDS[ka]} "
                                        f"(`{unparse(a)}`) with {_KIND_WORDS[kb]} (`{unparse(item)}`): "
                                        f"it would hold on every row or on none{hint}")


def kind_of(node: Node, kinds: dict[str, str] | None = None) -> str:
    """Static kind of ``node``'s value: 'bool', 'num', 'text', 'date', 'none' or 'any'.

    ``kinds`` maps column names to 'num', 'bool', 'text' or 'date' (:func:`column_kind`); a
    column it does not give is 'any' (known only when evaluated). Numbers: arithmetic, signs,
    ``abs sqrt log exp floor ceil min max round clip``, date parts, ``days_between``, ``noise``;
    true/false: comparisons, ``and or not``, ``isnull notnull``, the text tests and ``if A then
    B``; text: text literals; ``if A then B else C``: the common kind of ``B`` and ``C`` (a
    ``None`` branch takes the other's kind).

    Raises ``_Syntax`` when the branches of an if/then/else give different kinds.

    Examples
    --------
    >>> tree = parse_tokens("t", tokenize("if x > 0 then x else y"))[0]
    >>> kind_of(tree), kind_of(tree, {"x": "num", "y": "num"})
    ('any', 'num')
    """
    if isinstance(node, Const):
        value = node.value
        if value is None:
            return "none"
        if isinstance(value, bool):
            return "bool"
        return "text" if isinstance(value, str) else "num"
    if isinstance(node, Name):
        return (kinds or {}).get(node.id, "any")
    if isinstance(node, (Unary, Binary, Arith)):
        for child in children(node):
            kind_of(child, kinds)
        return "num"
    if isinstance(node, Compare):
        _check_compared_kinds(node, kinds)
        return "bool"
    if isinstance(node, (Not, BoolOp, Between)):
        for child in children(node):
            kind_of(child, kinds)
        return "bool"
    if isinstance(node, IfThen):
        kind_of(node.cond, kinds)
        then = kind_of(node.then, kinds)
        if node.orelse is None:
            if then in ("num", "text", "date"):
                raise _Syntax(node.then.pos, "`if A then B` is a rule: B must be true/false, e.g. "
                                             "if age < 18 then income == 0 (or add `else`)")
            return "bool"
        other = kind_of(node.orelse, kinds)
        if then == "none":
            return other
        if other in ("none", then):
            return then
        if "any" in (then, other):
            return "any"
        raise _Syntax(node.pos, f"the branches of if/then/else give {_KIND_WORDS[then]} "
                                f"(`{unparse(node.then)}`) and {_KIND_WORDS[other]} "
                                f"(`{unparse(node.orelse)}`); both must be numbers, both true/false, "
                                "both text or both dates")
    if isinstance(node, Call):
        for arg in node.args:
            kind_of(arg, kinds)
        if node.func in ("isnull", "notnull", *_TEXT_TESTS):
            return "bool"
        return "num"
    return "any"


# -------------------------------------------------------------------------------- evaluator


def column_array(frame: pd.DataFrame, name: str) -> np.ndarray:
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


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _missing(value: Any) -> Any:
    if np.ndim(value):
        kind = value.dtype.kind
        if kind in "biu":
            return np.False_
        if kind in "fc":
            return np.isnan(value)
        return np.asarray(pd.isna(value), dtype=bool)
    return np.bool_(value is None or value is pd.NA or value is pd.NaT
                    or (isinstance(value, float) and np.isnan(value)))


def _is_object(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype == object


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


_CMP = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal, "==": np.equal,
        "!=": np.not_equal}
_PYCMP = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
          ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}
_BIN = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide, "//": np.floor_divide,
        "%": np.mod, "**": np.power}


class _Evaluator:
    def __init__(self, frame: pd.DataFrame, text: str, rng: np.random.Generator | None):
        self.frame = frame
        self.text = text
        self.rng = rng
        self.n = len(frame)

    def fail(self, message: str) -> RuleError:
        return RuleError(f"rule {quote(self.text)}: {message}")

    def describe(self, node: Node) -> str:
        if isinstance(node, Name) and node.id in self.frame.columns:
            dtype = self.frame[node.id].dtype
            kind = ("categorical" if isinstance(dtype, pd.CategoricalDtype)
                    else "date" if pd.api.types.is_datetime64_any_dtype(dtype)
                    else "text" if not pd.api.types.is_numeric_dtype(dtype) else str(dtype))
            return f"column {node.id!r} ({kind})"
        return f"`{unparse(node)}`"

    def number(self, value: Any, node: Node, what: str) -> np.ndarray:
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise self.fail(f"{what} needs numbers, but {self.describe(node)} is not numeric; compare "
                            "text instead, e.g. x == 'a'")
        return arr.astype(np.float64, copy=False)

    def truth(self, value: Any, node: Node) -> np.ndarray:
        arr = np.asarray(value)
        if arr.dtype == bool:
            return arr
        if arr.dtype.kind in "biuf":
            return (arr != 0) & ~np.isnan(arr.astype(np.float64, copy=False))
        raise self.fail(f"and / or / not / if need true/false values, but {self.describe(node)} is not; "
                        "compare it, e.g. x == 'a'")

    def dates(self, value: Any, node: Node, what: str) -> Any:
        """``value`` as a DatetimeIndex (arrays) or Timestamp (a text literal)."""
        if isinstance(value, str):
            return pd.Timestamp(value)
        arr = np.asarray(value)
        if arr.ndim == 0 and arr.dtype.kind != "M":
            raise self.fail(f"{what} needs dates, but {self.describe(node)} is not a date")
        if arr.dtype.kind == "M":
            return pd.DatetimeIndex(np.atleast_1d(arr))
        if arr.dtype == object:
            try:
                return pd.DatetimeIndex(arr)
            except (TypeError, ValueError):
                pass
        raise self.fail(f"{what} needs dates, but {self.describe(node)} is not a date column")

    def value_of(self, node: Node) -> Any:
        method = getattr(self, "_" + type(node).__name__.lower())
        return method(node)

    def _const(self, node: Const) -> Any:
        return np.float64(node.value) if _is_number(node.value) else node.value

    def _name(self, node: Name) -> Any:
        if node.id in self.frame.columns:
            return column_array(self.frame, node.id)
        if node.id in FUNCTIONS:
            raise self.fail(f"function {node.id!r} must be called, e.g. {_EXAMPLES[node.id]}")
        raise self.fail(f"names unknown column {node.id!r}; columns are {list(self.frame.columns)}")

    def _unary(self, node: Unary) -> Any:
        value = self.number(self.value_of(node.operand), node.operand, "a sign")
        return np.negative(value) if node.op == "-" else value

    def _not(self, node: Not) -> Any:
        return ~self.truth(self.value_of(node.operand), node.operand)

    def _binary(self, node: Binary) -> Any:
        what = f"`{node.op}`"
        left = self.number(self.value_of(node.left), node.left, what)
        right = self.number(self.value_of(node.right), node.right, what)
        return _BIN[node.op](left, right)

    def _arith(self, node: Arith) -> Any:
        out = self.number(self.value_of(node.terms[0]), node.terms[0], f"`{node.ops[0]}`")
        for op, term in zip(node.ops, node.terms[1:], strict=True):
            out = _BIN[op](out, self.number(self.value_of(term), term, f"`{op}`"))
        return out

    def _boolop(self, node: BoolOp) -> Any:
        reduce = np.logical_and if node.op == "and" else np.logical_or
        out = self.truth(self.value_of(node.values[0]), node.values[0])
        for value in node.values[1:]:
            out = reduce(out, self.truth(self.value_of(value), value))
        return out

    def _compare(self, node: Compare) -> Any:
        left = self.value_of(node.left)
        left_node = node.left
        result = None
        for op, comp in zip(node.ops, node.comparators, strict=True):
            if op in ("in", "not in"):
                assert isinstance(comp, ListLit)
                right = [self.value_of(e) for e in comp.items]
                if np.ndim(left):
                    r = pd.Series(left).isin(right).to_numpy()
                else:
                    r = np.bool_(any(_same(left, v) for v in right))
                if op == "not in":
                    r = ~r
                r = r & ~_missing(left)
            else:
                right = self.value_of(comp)
                r = self.compare_values(op, left, right, left_node, comp)
            result = r if result is None else (result & r)
            left, left_node = right, comp
        return result

    def compare_values(self, op: str, left: Any, right: Any, left_node: Node, right_node: Node) -> Any:
        """``left op right`` elementwise; false wherever either side is missing."""
        try:
            missing = _missing(left) | _missing(right)
            if np.ndim(missing) == 0 or not (_is_object(left) or _is_object(right)):
                return np.asarray(_PYCMP[op](left, right), dtype=bool) & ~missing
            keep = ~np.broadcast_to(missing, (self.n,))
            out = np.zeros(self.n, dtype=bool)
            out[keep] = np.asarray(_PYCMP[op](left[keep] if np.ndim(left) else left,
                                              right[keep] if np.ndim(right) else right), dtype=bool)
            return out
        except (TypeError, ValueError, np.exceptions.DTypePromotionError):
            raise self.fail(f"cannot compare {self.describe(left_node)} with {self.describe(right_node)}; "
                            "compare numbers with numbers and text with text") from None

    def _between(self, node: Between) -> Any:
        value = self.value_of(node.value)
        low = self.value_of(node.low)
        high = self.value_of(node.high)
        inside = (self.compare_values("<=", low, value, node.low, node.value)
                  & self.compare_values("<=", value, high, node.value, node.high))
        if node.negate:
            return ~inside & ~_missing(value) & ~_missing(low) & ~_missing(high)
        return inside

    def _ifthen(self, node: IfThen) -> Any:
        cond = self.truth(self.value_of(node.cond), node.cond)
        then = self.value_of(node.then)
        if node.orelse is None:
            return ~cond | self.truth(then, node.then)
        orelse = self.value_of(node.orelse)
        return self.choose(cond, then, orelse, node)

    def choose(self, cond: np.ndarray, a: Any, b: Any, node: IfThen) -> Any:
        ka, kb = _value_kind(a), _value_kind(b)
        if ka == "none" and kb == "none":
            return np.full(np.shape(cond), np.nan)
        if ka == "none":
            a, ka = _missing_like(kb), kb
        if kb == "none":
            b, kb = _missing_like(ka), ka
        if ka != kb:
            raise self.fail(f"the branches of if/then/else give {_KIND_WORDS[ka]} and {_KIND_WORDS[kb]}; "
                            "both must be numbers, "
                            "both true/false, both text or both dates")
        if ka == "num":
            a = np.asarray(a, dtype=np.float64)
            b = np.asarray(b, dtype=np.float64)
        elif ka == "text":
            a = a if np.ndim(a) else np.array(a, dtype=object)
            b = b if np.ndim(b) else np.array(b, dtype=object)
            return np.where(cond, np.asarray(a, dtype=object), np.asarray(b, dtype=object))
        return np.where(cond, a, b)

    def _call(self, node: Call) -> Any:
        name = node.func
        if name == "noise":
            return self.noise(node)
        args = [self.value_of(a) for a in node.args]
        if name in _MATH1:
            return np.asarray(_MATH1[name](self.number(args[0], node.args[0], f"{name}()")))
        if name == "isnull":
            return np.asarray(pd.isna(args[0]), dtype=bool)
        if name == "notnull":
            return np.asarray(pd.notna(args[0]), dtype=bool)
        if name in ("min", "max"):
            nums = [self.number(a, n, f"{name}()") for a, n in zip(args, node.args, strict=True)]
            reduce = np.minimum if name == "min" else np.maximum
            out = nums[0]
            for value in nums[1:]:
                out = reduce(out, value)
            return out
        if name == "round":
            digits = int(self.value_of(node.args[1])) if len(args) == 2 else 0
            return np.round(self.number(args[0], node.args[0], "round()"), digits)
        if name == "clip":
            x, lo, hi = (self.number(a, n, "clip()") for a, n in zip(args, node.args, strict=True))
            return np.minimum(np.maximum(x, lo), hi)
        if name in _DATE_PARTS:
            return self.date_part(name, args[0], node.args[0])
        if name == "days_between":
            start = self.dates(args[0], node.args[0], "days_between()")
            end = self.dates(args[1], node.args[1], "days_between()")
            try:
                delta = end - start
            except TypeError as exc:
                raise self.fail(f"days_between() cannot subtract these dates: {exc}") from None
            if isinstance(delta, pd.Timedelta) or delta is pd.NaT:
                return np.float64(delta / pd.Timedelta(days=1)) if delta is not pd.NaT else np.float64(np.nan)
            return np.asarray(delta / pd.Timedelta(days=1), dtype=np.float64)
        return self.text_test(name, args[0], node.args[0], node.args[1].value)

    def date_part(self, name: str, value: Any, node: Node) -> Any:
        stamps = self.dates(value, node, f"{name}()")
        if isinstance(stamps, pd.Timestamp):
            part = stamps.day_of_week if name == "weekday" else getattr(stamps, name)
            return np.float64(part)
        part = stamps.day_of_week if name == "weekday" else getattr(stamps, name)
        out = np.array(part, dtype=np.float64)
        out[np.asarray(stamps.isna())] = np.nan
        return out if np.ndim(value) else out[0]

    def text_test(self, name: str, value: Any, node: Node, pattern: str) -> Any:
        if not np.ndim(value):
            if isinstance(value, str):
                return np.bool_(getattr(str, name if name != "contains" else "__contains__")(value, pattern))
            if value is None:
                return np.False_
            raise self.fail(f"{name}() needs text, but {self.describe(node)} is not text")
        arr = np.asarray(value)
        if arr.dtype != object:
            raise self.fail(f"{name}() needs text, but {self.describe(node)} is not text")
        strings = pd.Series(arr, dtype=object)
        try:
            accessor = strings.str
        except AttributeError:  # no text at all (e.g. only numbers or only missing values)
            return np.zeros(len(arr), dtype=bool)
        if name == "contains":
            hit = accessor.contains(pattern, regex=False, na=False)
        else:
            hit = getattr(accessor, name)(pattern, na=False)
        return np.asarray(hit.to_numpy(dtype=object, na_value=False), dtype=bool)

    def noise(self, node: Call) -> Any:
        if self.rng is None:
            raise self.fail("noise() needs a random generator; it is only available in derived columns")
        dist = node.args[0]
        assert isinstance(dist, Dist)
        a = self.number(self.value_of(node.args[1]), node.args[1], "noise()")
        b = self.number(self.value_of(node.args[2]), node.args[2], "noise()")
        if dist.name == "normal":
            if np.any(b < 0):
                raise self.fail("noise(normal, loc, scale) needs scale >= 0")
            return a + b * self.rng.standard_normal(self.n)
        if np.any(b < a):
            raise self.fail("noise(uniform, low, high) needs low <= high")
        return a + (b - a) * self.rng.random(self.n)


def _value_kind(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return "text"
    arr = np.asarray(value)
    kind = arr.dtype.kind
    if kind == "b":
        return "bool"
    if kind in "iuf":
        return "num"
    if kind == "M":
        return "date"
    return "text"


def _missing_like(kind: str) -> Any:
    return {"num": np.nan, "text": None, "date": np.datetime64("NaT"), "bool": np.False_}[kind]


def evaluate(tree: Node, frame: pd.DataFrame, text: str, rng: np.random.Generator | None = None) -> Any:
    """Evaluate ``tree`` over ``frame`` (never modified); ``rng`` feeds ``noise``."""
    try:
        with np.errstate(all="ignore"):
            return _Evaluator(frame, text, rng).value_of(tree)
    except RuleError:
        raise
    except (TypeError, ValueError, ArithmeticError, IndexError, KeyError, AttributeError,
            OverflowError) as exc:
        raise RuleError(f"rule {quote(text)} cannot be evaluated: {exc}") from None
