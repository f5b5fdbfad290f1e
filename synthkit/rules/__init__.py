"""Business rules: a small, safe, vectorised expression language over columns.

A rule is a boolean expression such as ``"age >= 18"``, ``"loan <= 10 * income"``,
``"risk in ['low', 'medium'] or age < 30"``, ``"income between 12000 and 5e5"`` or
``"if age < 18 then income == 0"``. The language has:

* column names (identifiers, or any text between backticks: `` `monthly income` ``), numbers,
  text in quotes, ``True`` / ``False`` / ``None``;
* arithmetic ``+ - * / // % **`` (float64), comparisons ``< <= > >= == !=`` (chained as in
  Python: ``18 <= age < 65``), ``x in [...]`` / ``x not in [...]`` with a list of literals,
  ``x between a and b`` (closed: ``a <= x <= b``) and ``x not between a and b``;
* ``and`` / ``or`` / ``not``; ``if A then B`` (a conditional rule: rows where ``A`` is false
  pass) and ``if A then B else C`` (a value: numbers, true/false or text);
* the functions ``abs, sqrt, log, exp, floor, ceil`` (one number), ``isnull, notnull``,
  ``min(a, b, ...)``, ``max(a, b, ...)``, ``round(x)`` / ``round(x, k)`` (halves to even, as
  :func:`numpy.round`), ``clip(x, lo, hi)``, date parts ``year(d), month(d), day(d), weekday(d)``
  (Monday is 0), ``days_between(a, b)`` (``b - a`` in days, fractional), the text tests
  ``startswith(x, 'ab'), endswith(x, 'ab'), contains(x, 'ab')`` (plain substring), and, in
  derived columns only, ``noise(normal, loc, scale)`` / ``noise(uniform, low, high)``.

Rules are parsed once by the language's own tokenizer and recursive-descent parser
(:mod:`synthkit.rules.language`) into its own node types; a rule can only name columns,
literals, operators and the functions above, so a rule file never executes code. Syntax errors
give the 1-based column of the offending token: ``rule 'age >= 1 8' col 10: unexpected number 8``.

Missing values: comparisons (including ``in`` and ``between``) with a missing value are false;
arithmetic, ``min`` / ``max`` / ``clip`` / ``round`` and date parts of a missing value are missing;
the text tests are false on a missing or non-text value; in ``and`` / ``or`` / ``not`` / ``if``
a missing value counts as false (so ``if A then B`` passes a row whose ``A`` is missing).

Rule kinds (:func:`compile_rules` builds a :class:`RuleSet`):

* **hard** rules (``"age >= 18"`` or ``{"rule": "age >= 18"}``): a row must satisfy them;
* **soft** rules (``{"rule": "income < 1e5", "keep": p}``): a row satisfying the rule is
  always kept, a row violating it is kept with probability ``p``, independently of everything
  else. If ``q`` is the share of rows violating the rule before filtering, the share among the
  kept rows is ``p*q / (p*q + (1 - q))``: filtering multiplies the odds of a violation,
  ``q / (1 - q)``, by exactly ``p`` (``p = 1``: no effect; ``p = 0``: a hard rule). With other
  rules present the same holds with ``q`` the violation share among the rows the other rules
  keep, since each soft rule draws its own uniform per row, independent of everything else;
* **derived** columns (``"monthly = income / 12"`` or ``{"derive": ..., "replace": bool}``):
  computed on every drawn row before the rules are checked, in dependency order (cycles are
  refused). Rules and other derived columns naming a derived column read its derived value;
  only a replacing column's own expression reads the model's original value
  (``{"derive": "income = round(income, -2)", "replace": true}``). A derived column is float64
  for numbers, bool for true/false, a pandas Categorical when its text values are all literals
  (``Derived.categories``), object otherwise. Given the columns' kinds
  (``compile_rules(specs, columns, kinds)``), each expression's kind is known when compiled
  (``Derived.kind``): arithmetic and numeric functions give numbers, comparisons true/false, a
  column its own kind, and ``if A then B else C`` the common kind of ``B`` and ``C`` (branches
  mixing numbers and text are a RuleError).

Rules may come from untrusted recipe or model files, so evaluation is bounded:

* a rule has at most :data:`MAX_RULE_CHARS` characters, :data:`MAX_RULE_NODES` syntax nodes and
  :data:`MAX_RULE_DEPTH` levels of nesting; integer constants are at most :data:`MAX_RULE_INT`
  in size; a long sum, product or ``and`` / ``or`` chain is one level, however many terms it
  has; a rule set has at most :data:`MAX_RULES` rules, :data:`MAX_RULESET_CHARS` characters and
  :data:`MAX_RULESET_NODES` syntax nodes in all, checked while reading (before any further work);
* arithmetic is done by numpy in float64 over whole columns (never with Python's unbounded
  integers), so ``9 ** 9 ** 9`` is ``inf`` at once; text is never repeated or concatenated;
* columns are passed as read-only arrays and functions are called by the evaluator with
  checked arguments (numpy's ``out=`` is unreachable), so a rule cannot write into the table;
* arithmetic and math functions on a text, categorical or date column, and any other failure,
  are a :class:`~synthkit.errors.RuleError` naming the rule.

Sampling with rules (:mod:`synthkit.strategies._engine`) draws each block in bounded rounds,
each round from its own generator under the block's key: a round's rows go through
:meth:`RuleSet.apply` (derived columns, hard filters, soft keep draws) and the block keeps the
first accepted rows in draw order, the rounds sized from the acceptance rate, which keeps "same
seed, same rows" whatever the chunking. A hard rule bounding one column (:meth:`RuleSet.bounds`)
is drawn inside its bound, without rejection, by models that can draw given an interval.

Examples
--------
>>> import numpy as np, pandas as pd
>>> df = pd.DataFrame({"age": [15, 30, 70], "income": [0.0, 3000.0, 1200.0]})
>>> Rule.parse("if age < 18 then income == 0").evaluate(df).tolist()
[True, True, True]
>>> rs = compile_rules(["band = if age >= 65 then 'senior' else 'adult'", "age between 18 and 99"])
>>> out = rs.apply(df, np.random.default_rng(1))
>>> out.frame["band"].tolist(), out.keep.tolist()
(['adult', 'adult', 'senior'], [False, True, True])
"""

from .kinds import MAX_RULES, Derived, Rule, RuleOutcome, RuleSet, apply_rules, compile_rules, parse_rules
from .language import (
    FUNCTIONS,
    MAX_RULE_CHARS,
    MAX_RULE_DEPTH,
    MAX_RULE_INT,
    MAX_RULE_NODES,
    MAX_RULESET_CHARS,
    MAX_RULESET_NODES,
)

__all__ = ["Rule", "parse_rules", "apply_rules", "compile_rules", "RuleSet", "RuleOutcome", "Derived",
           "FUNCTIONS", "MAX_RULE_CHARS", "MAX_RULE_NODES", "MAX_RULE_DEPTH", "MAX_RULE_INT", "MAX_RULES",
           "MAX_RULESET_CHARS", "MAX_RULESET_NODES"]
