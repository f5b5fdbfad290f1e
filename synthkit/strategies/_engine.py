"""The sampling engine: the one way a fitted model becomes rows.

A model's sample of ``n`` rows is a sequence of blocks of
:data:`~synthkit.seeding.BLOCK_ROWS` rows: block ``b`` holds rows
``[b * BLOCK_ROWS, min((b + 1) * BLOCK_ROWS, n))``, with or without rules, and is
made from keys under ``(b,)`` only, so it can be drawn alone (:func:`block`,
``model.sample_block``), by any thread, or on another machine. A block goes

    uniforms -> column models -> typed frame -> rules -> typed frame

through the model's hook ``_draw(request) -> list of arrays`` (one array per
column, in :meth:`~synthkit.columns.ColumnModel.values_from_uniform`'s form:
category codes or floats) and :meth:`~synthkit.columns.ColumnModel.series_from_values`.

Without rules block ``b`` is one draw from :func:`~synthkit.seeding.block_generator`
``(root, b)``. With rules (a :class:`~synthkit.rules.RuleSet`) the block is drawn in
bounded rounds ``r = 0, 1, ...``, round ``r`` from the generator of key ``(b, r)``
(its request has root ``child_seed(root, b)`` and index ``r``, so a strategy's own
sub-streams stay distinct), and each round goes through :meth:`RuleSet.apply
<synthkit.rules.RuleSet.apply>` on the same generator: derived columns are added,
hard rules filter, soft rules keep a violating row with probability ``keep``. The
block keeps the first accepted rows in draw order until it holds its rows. A round
draws ``ceil(R / p (1 + delta)) + ROUND_EXTRA`` rows (at most :data:`ROUND_MAX_ROWS`)
for ``R`` rows still missing at the running acceptance rate ``p``, with
``delta = 3 sqrt((1 - p) / R) + 3 sqrt((1 - p) / (p m))`` (``m`` draws behind ``p``):
three standard errors of the round's accepted count and of ``p`` itself, so a second
round is rare; a round grows at most 8-fold over the rows drawn so far. A sample of at
least :data:`PILOT_MIN_ROWS` rows first draws one pilot
round of :data:`PILOT_ROWS` rows (key ``(PILOT_STREAM, 0)``, the same for every block)
whose acceptance rate sizes every block's first round; smaller samples draw
``R + min(R, ROUND_SPARE) + ROUND_EXTRA`` rows first. The rounds' sizes thus depend
only on the model, ``n``, the seed and ``b``,
so the rows are the same whatever the chunking and the number of workers. A block
whose running acceptance rate falls below :data:`MIN_ACCEPTANCE` (after
:data:`VERDICT_ROWS` draws) or that reaches :data:`MAX_ROUNDS` rounds is a
:class:`~synthkit.errors.RuleError` naming the rule that rejects most.

Hard rules that bound one numeric or date column (``age >= 18``,
``income between 1e4 and 5e5``: :meth:`RuleSet.bounds <synthkit.rules.RuleSet.bounds>`)
cost no rejection when the model draws its uniforms given per-dimension intervals
(``supports_conditions``: Monte Carlo for every bound; a dependent model such as the Gaussian
copula for the one bound of least probability when it is at most
:data:`CONDITION_MAX_MASS`, an exact inverse-CDF draw, since several would need Gibbs
sampling and a conditioned draw costs about three free ones): the column's uniform is confined
to ``[F(lo-), F(hi)]`` (widened to the rounding cell of a rounded column, so that the
result is the rejection sampler's exactly), which is exact conditioning of the
copula on the bound (for independent columns: truncation of the marginal). Other
strategies keep rejection for them: conditioning a dependent model on one column's
bound is not the same as truncating that column's marginal, and only the model can
condition. The bound rules are still evaluated on every row (a safety net for values
rounded or clipped across a bound).

A model whose blocks depend on the whole sample (Cholesky's exact whitening)
returns that state from ``_prepare_sample(n, root, workers)``; it is computed
once per sample and handed to every block in ``request.state`` (without rules; with
rules each round is whitened on its own).

Every sample is therefore two steps: :func:`prepare_sample` settles, once, what the blocks
share (the pilot round's rate, the whole-sample state) in a small picklable
:class:`SamplePlan`, and the blocks of any range ``[start, stop)`` are drawn from that plan
alone (:func:`blocks_frame`). ``sample``, ``iter_chunks``, ``sample_block`` and the partitions
of :mod:`synthkit.scale` all run these two steps. A partition's columns have one dtype each,
fixed by the schema (:func:`output_meta`); the in-memory frame keeps the dtypes its values
give (``int64`` unless a value is missing) and equals the partitions once cast
(:func:`cast_to_meta`).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .._counts import check_n
from .._resources import check_memory
from ..dataset import RulesReport
from ..dependence.hierarchy import check_not_determined, insert_columns
from ..errors import RuleError, SpecError
from ..schema import GENERATED, cast_series
from ..seeding import BLOCK_ROWS, PILOT_STREAM, block_generator, child_seed
from ._generated import check_not_generated, generated_series, generated_values, table_schema

__all__ = ["BlockRequest", "SamplePlan", "prepare_sample", "blocks_frame", "output_meta", "cast_to_meta",
           "block", "block_values", "sample_block", "sample_frame", "sample_with_report", "iter_chunks",
           "values_to_frame", "compiled_rules", "rule_plan", "PROGRESS_MIN_ROWS",
           "MIN_ACCEPTANCE", "ROUND_MAX_ROWS", "MAX_ROUNDS", "ROUND_EXTRA", "PILOT_ROWS",
           "PILOT_MIN_ROWS", "VERDICT_ROWS", "PILOT_STREAM", "CONDITION_MAX_MASS", "ROUND_SPARE"]

#: Samples of at least this many rows show a progress bar (when stderr is a terminal).
PROGRESS_MIN_ROWS = 250_000
#: Sampling with rules gives up when the rules accept less than this share of the drawn rows
#: (a block then needs more than ``BLOCK_ROWS / MIN_ACCEPTANCE`` draws).
MIN_ACCEPTANCE = 1e-3
#: Draws before a block's acceptance rate is judged against :data:`MIN_ACCEPTANCE`
#: (50 expected acceptances at the bound: a rate twice the bound is not refused by chance).
VERDICT_ROWS = 50_000
#: Most rows drawn in one round of a block (bounds a round's memory).
ROUND_MAX_ROWS = 2**18
#: Most rounds of one block: enough for a full block at :data:`MIN_ACCEPTANCE`
#: (``BLOCK_ROWS / MIN_ACCEPTANCE / ROUND_MAX_ROWS`` = 250 full rounds) with room to spare.
MAX_ROUNDS = 400
#: Rows added to every round that can reject rows (a floor for small requests).
ROUND_EXTRA = 32
#: Most extra rows of a block's first round when no pilot round sized it: it draws twice its
#: rows up to this many more, since drawing and checking them costs less than a round does
#: (a round's fixed cost, building its typed frame and evaluating the rules, is that of
#: about 2,000 rows of a 10-column model, measured).
ROUND_SPARE = 2048
#: Rows of the pilot round that sizes the first round of every block.
PILOT_ROWS = 4096
#: Samples of at least this many rows draw the pilot round.
PILOT_MIN_ROWS = 16_384
#: A dependent model draws a one-column bound exactly only when the bound holds this share of
#: the model's rows or less (conditioned draws cost about three free ones).
CONDITION_MAX_MASS = 0.25
#: (The pilot round's key under the sample's root, ``PILOT_STREAM``, is a reserved key of
#: :mod:`synthkit.seeding`.)


@dataclass(frozen=True)
class BlockRequest:
    """What a model's ``_draw`` hook is asked for: ``rows`` rows of block ``index`` under ``root``.

    ``rng`` is the block's generator (the only randomness a block may use);
    ``state`` is what ``_prepare_sample`` returned for this sample (or None).
    """

    root: np.random.SeedSequence
    index: int
    rows: int
    rng: np.random.Generator
    conditions: dict | None = None
    state: Any = None


def progress_bar(n: int, progress: bool | None):
    """A bar over ``n`` rows: forced on/off by ``progress``; by default shown for
    ``n >= PROGRESS_MIN_ROWS`` when stderr is a terminal (:mod:`synthkit._progress`)."""
    from .._progress import progress_bar as bar

    return bar(total=n, progress=progress, large=n >= PROGRESS_MIN_ROWS, unit="rows", desc="sampling",
               leave=False)


def check_rows_memory(n: int, n_columns: int) -> None:
    """Refuse a sample whose ``n x n_columns`` float64 cells exceed the machine's memory."""
    check_memory(8.0 * n * max(n_columns, 1), f"a sample of {n:,} rows x {n_columns} columns",
                 "draw it in pieces with model.iter_chunks(n, chunk_rows=...) and write each "
                 "chunk out, or sample fewer rows")


def n_output_columns(model) -> int:
    """Columns of a sampled frame: the modelled ones and the generated identifier / PII ones."""
    return len(model.columns_) + len(getattr(model, "generated_", None) or [])


def check_workers(workers: Any) -> int:
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise SpecError(f"`workers` must be a positive integer, got {workers!r}")
    return int(workers)


def values_to_frame(model, values: list[np.ndarray]) -> pd.DataFrame:
    """The typed frame (internal string names, schema dtypes) of per-column value arrays.

    ``values`` holds the modelled columns (``model.columns_``) and then, for a model
    with identifier / PII columns, the generated ones; the frame has the table's order.
    """
    d = len(model.columns_)
    frame = pd.DataFrame({cm.name: cm.series_from_values(v)
                          for cm, v in zip(model.columns_, values[:d], strict=True)}, copy=False)
    frame = restore_dtypes(model, frame)
    frame = insert_columns(frame, getattr(model, "hierarchies_", None) or [])  # determined columns
    generated = getattr(model, "generated_", None) or []
    if generated and len(values) > d:  # (rules see the modelled columns only)
        order = list(frame.columns)
        extra = {}
        for g, v in sorted(zip(generated, values[d:], strict=True), key=lambda gv: gv[0].position):
            order.insert(min(g.position, len(order)), g.name)
            extra[g.name] = generated_series(g, v)
        frame = pd.concat([frame, pd.DataFrame(extra, index=frame.index)], axis=1)[order]
    return frame


def restore_dtypes(model, frame: pd.DataFrame) -> pd.DataFrame:
    """Cast each column to its schema dtype where the typed values did not already have it."""
    for col in model.schema_:
        s = frame[col.name]
        if str(s.dtype) != col.dtype and not (col.dtype.lower().startswith("int")
                                              and str(s.dtype).startswith("Int")):
            try:
                frame[col.name] = cast_series(s, col)
            except (TypeError, ValueError):
                pass
    return frame


def missing_layout(model) -> dict[int, int]:
    """Column index -> the column of the uniforms holding its missingness uniform.

    A model listing columns in ``missing_columns_`` draws ``(n, d + m)`` uniforms:
    the ``d`` values, then one missingness uniform per listed column; otherwise
    each column's null mass sits at the bottom of its single uniform.
    """
    pos = {cm.name: j for j, cm in enumerate(model.columns_)}
    d = len(model.columns_)
    return {pos[c]: d + k for k, c in enumerate(getattr(model, "missing_columns_", None) or [])}


def values_from_uniforms(model, u: np.ndarray, normal: list[int] | tuple[int, ...] = ()) -> list[np.ndarray]:
    """Per-column values of ``(n, d [+ m])`` uniforms through the model's column models
    (the columns listed in ``normal`` hold normal scores instead, read by ``values_from_normal``)."""
    lay = missing_layout(model)
    return [cm.values_from_normal(u[:, j]) if j in normal else
            cm.values_from_uniform(u[:, j], u[:, lay[j]] if j in lay else None)
            for j, cm in enumerate(model.columns_)]


def independent_scores(model, n: int, rng: np.random.Generator) -> tuple[np.ndarray, list[int]]:
    """The independent draw of ``n`` rows: ``(n, d)`` scores (column-major) and the normal-score columns.

    Column ``j`` holds uniforms, or standard normal scores when its column model
    :attr:`~synthkit.columns.ColumnModel.reads_normal_scores` (its values are then read
    without evaluating ``Φ^{-1}``; the same distribution). The uniform columns are drawn
    first, in column order (``rng.random``), then the normal-score ones
    (``rng.standard_normal``); with no normal-score column this is ``rng.random((d, n)).T``.
    Both read monotonically, so reordering a column's scores reorders its values.

    Examples
    --------
    >>> import numpy as np, synthkit
    >>> m = synthkit.declare({"g": {"distribution": "gamma", "params": {"a": 2.0}},
    ...                       "w": {"distribution": "weibull", "params": {"c": 1.5}}},
    ...                      strategy="montecarlo")
    >>> s, normal = independent_scores(m, 3, np.random.default_rng(0))
    >>> rng = np.random.default_rng(0)
    >>> normal, bool(np.array_equal(s[:, 1], rng.random(3))), bool(np.array_equal(s[:, 0],
    ...                                                                rng.standard_normal(3)))
    ([0], True, True)
    """
    cols = model.columns_
    normal = [j for j, cm in enumerate(cols) if cm.reads_normal_scores]
    if not normal:
        return rng.random((len(cols), n)).T, normal
    out = np.empty((len(cols), n))
    for j in range(len(cols)):
        if j not in normal:
            rng.random(out=out[j])
    for j in normal:
        rng.standard_normal(out=out[j])
    return out.T, normal


def block_values(model, b: int, root: np.random.SeedSequence, rows: int = BLOCK_ROWS, *,
                 conditions: dict | None = None, state: Any = None) -> list[np.ndarray]:
    """Block ``b`` of ``model`` drawn once (no rules) as per-column value arrays, with the
    generated identifier / PII columns of its ``rows`` slots."""
    sampler = model._sampler()
    values = sampler._draw(BlockRequest(root, int(b), int(rows), block_generator(root, b),
                                        conditions or None, state))
    return values + generated_values(model, b, root, np.arange(int(rows)))


# ------------------------------------------------------------------------------------ rules
def _compile(specs: Any, columns: list[str] | None, kinds: dict[str, str] | None = None) -> Any:
    from ..rules import compile_rules

    return compile_rules(specs, columns, kinds)


def rule_names(ruleset: Any) -> list[tuple[str, frozenset]]:
    """``(text, model column names)`` of every rule and derived column of ``ruleset``."""
    new = set(ruleset.new_columns)
    out = [(r.text, r.names - new) for r in ruleset.hard] + [(r.text, r.names - new) for r, _ in ruleset.soft]
    out += [(d.text, (d.names | ({d.name} if d.replace else set())) - new) for d in ruleset.derived]
    return out


def forget_rules(model) -> None:
    """Drop the model's cached compiled rules, sampling plan and output schema (a new fitted state)."""
    for key in ("_rules_cache", "_plan_cache", "_schema_cache"):
        model.__dict__.pop(key, None)


def compiled_rules(model, specs: Any = None) -> Any:
    """The model's rules (``specs``, default ``model.rules``) compiled against its columns, or None.

    Names are checked against the whole table's columns (a rule naming an unknown column is a
    :class:`~synthkit.errors.RuleError` listing them); rules naming identifier / PII columns
    are refused (:func:`~synthkit.strategies._generated.check_not_generated`). The result is
    cached on the model for the same rules.
    """
    specs = model.rules if specs is None else specs
    if not specs:
        return None
    from ..rules.language import column_kind

    schema = table_schema(model)
    names = schema.names
    try:
        key = json.dumps([specs, names], sort_keys=True, default=str)
    except (TypeError, ValueError):
        key = None
    cached = model.__dict__.get("_rules_cache")
    if key is not None and cached is not None and cached[0] == key:
        return cached[1]
    ruleset = _compile(specs, names, {c.name: column_kind(c.kind, c.dtype) for c in schema.columns})
    for text, used in rule_names(ruleset):
        check_not_generated(model, sorted(used), f"rule {text!r}")
    if key is not None:
        model.__dict__["_rules_cache"] = (key, ruleset)
    return ruleset if ruleset else None


def check_rules_syntax(specs: Any) -> None:
    """Parse and check rules without columns (the ``rules`` parameter's check)."""
    if specs:
        _compile(specs, None)


def check_rules(model, columns: list[str] | None = None) -> None:
    """Compile ``model.rules`` now (at fit / declare / load time), so that a rule naming an
    unknown column fails there and not at sampling; ``columns`` (the table's, before the
    model has a schema) replaces the model's own."""
    if not model.rules:
        return
    if columns is None:
        compiled_rules(model)
        return
    ruleset = _compile(model.rules, columns)
    for text, used in rule_names(ruleset):
        check_not_generated(model, sorted(used), f"rule {text!r}")


def derived_column(dv: Any, schema: Any) -> Any:
    """The schema entry of a derived column, from its expression's kind read with the kinds of
    ``schema``'s columns (:func:`~synthkit.rules.language.kind_of`): true/false (``bool``),
    numbers (``float64``), dates (the dtype of a date column it reads), text (``category`` of its
    literal values, else ``object``). Branches of an if/then/else mixing kinds are a RuleError."""
    from ..rules.language import _Syntax, column_kind, kind_of, syntax_error
    from ..schema import Column

    kinds = {c.name: column_kind(c.kind, c.dtype) for c in schema.columns}
    try:
        kind = kind_of(dv.tree, kinds)
    except _Syntax as exc:
        raise syntax_error(dv.text, exc.pos, exc.message) from None
    if kind == "bool":
        return Column(dv.name, "boolean", "bool", categories=[False, True], role_reason="derived by a rule")
    if kind == "num":
        return Column(dv.name, "continuous", "float64", role_reason="derived by a rule")
    if kind == "date":
        dtype = next((schema[n].dtype for n in sorted(dv.names) if kinds.get(n) == "date"), "datetime64[ns]")
        return Column(dv.name, "datetime", dtype, role_reason="derived by a rule")
    if dv.categories:
        return Column(dv.name, "categorical", "category", categories=list(dv.categories),
                      role_reason="derived by a rule")
    # text of columns and literals: the labels it can take are among theirs
    cats: list = []
    for name in sorted(dv.names):
        if name in schema.names and schema[name].categories:
            cats += [c for c in schema[name].categories if c not in cats]
    cats += [c for c in _literals(dv.tree) if c not in cats]
    return Column(dv.name, "categorical", "object", categories=cats or [""], role_reason="derived by a rule")


def _literals(node: Any) -> list[str]:
    """The text literals of an expression tree."""
    out: list[str] = []
    stack = [node]
    while stack:
        x = stack.pop()
        value = getattr(x, "value", None)
        if isinstance(value, str):
            out.append(value)
        stack.extend(v for v in vars(x).values() if hasattr(v, "pos"))
        stack.extend(e for v in vars(x).values() if isinstance(v, (list, tuple))
                     for e in v if hasattr(e, "pos"))
    return out


def output_schema(model) -> Any:
    """The schema of a sampled frame: the whole table's (:func:`~synthkit.strategies._generated.table_schema`)
    with the rules' derived columns (a replaced column's entry takes the derived type; new ones
    come last, in the rules' order)."""
    from ..schema import Schema

    schema = table_schema(model)
    try:
        ruleset = compiled_rules(model)
    except (RuleError, SpecError):
        return schema
    if ruleset is None or not ruleset.derived:
        return schema
    cached = model.__dict__.get("_schema_cache")
    if cached is not None and cached[0] is ruleset and cached[1] == schema.names:
        return cached[2]
    columns = list(schema.columns)
    names = [c.name for c in columns]
    for dv in ruleset.derived:
        col = derived_column(dv, Schema(columns))
        if col.name in names:
            j = names.index(col.name)
            col.extra = {k: v for k, v in columns[j].extra.items() if k == "label"}
            columns[j] = col
        else:
            columns.append(col)
            names.append(col.name)
    out = Schema(columns)
    model.__dict__["_schema_cache"] = (ruleset, schema.names, out)
    return out


@dataclass
class RulePlan:
    """How one sample applies the model's rules.

    ``given``: per latent dimension the uniform interval ``[lo, hi]`` the draw is confined to
    (NaN: free), for the bounds handled exactly; ``rejects``: whether a round can lose rows;
    ``exact``: the bound rules handled by ``given`` (text -> model probability of the bound).
    """

    rules: Any
    given: tuple[np.ndarray, np.ndarray] | None = None
    exact: dict[str, float] = field(default_factory=dict)
    rejects: bool = True
    derived: list[str] = field(default_factory=list)
    pilot_rate: float | None = None
    pilot_rows: int = 0


def rule_plan(model, conditions: dict | None = None) -> RulePlan | None:
    """The :class:`RulePlan` of ``model``'s rules for a sample (None without rules)."""
    ruleset = compiled_rules(model)
    if ruleset is None:
        return None
    cached = model.__dict__.get("_plan_cache")
    if cached is not None and cached[0] is ruleset and cached[1] == bool(conditions):
        return replace(cached[2])  # a copy: the pilot's rate is the sample's own
    derived = derived_names(ruleset)
    plan = RulePlan(ruleset, derived=derived)
    bound_rules = [r for r in ruleset.hard if getattr(r, "is_bound", False)]
    sampler = model._sampler()
    if (bound_rules and not conditions and sampler is model and model.supports_conditions):
        plan.given, plan.exact = _bound_intervals(model, ruleset, bound_rules, set(derived))
    plan.rejects = bool(ruleset.soft) or any(r.text not in plan.exact for r in ruleset.hard)
    model.__dict__["_plan_cache"] = (ruleset, bool(conditions), plan)
    return replace(plan)


def _rounding_step(cm) -> float:
    """The grid a column's drawn values are rounded to (0: none)."""
    col = cm.column
    if cm.marginal.discrete:
        return 0.0
    if col.kind == "datetime":
        try:
            return float(pd.Timedelta(col.extra.get("resolution", "s")).total_seconds())
        except (TypeError, ValueError):
            return 0.0
    if col.dtype.lower().startswith(("int", "uint")) or col.kind == "integer":
        return 1.0
    if col.decimals is not None:
        return 10.0 ** -col.decimals
    return 0.0


#: The least probability a single-column bound rule may keep of its column's distribution: below
#: it, uniforms in ``[F(a), F(b)]`` near 1 take a few distinct doubles (``x >= 7.5`` on a standard
#: normal gave 288 distinct values in 100,000 draws) and quantile tables end at ``|z| = 8.3``.
MIN_BOUND_MASS = 1e-10


def _bound_intervals(model, ruleset, bound_rules, derived: set[str]):
    """Uniform intervals (one row of ``(d + m)`` lo / hi, NaN free) of the single-column bounds."""
    names = [cm.name for cm in model.columns_]
    lay = missing_layout(model)
    dim = len(names) + len(lay)
    lo_u, hi_u = np.full(dim, np.nan), np.full(dim, np.nan)
    exact: dict[str, float] = {}
    bounds = ruleset.bounds()
    for col, (lo, hi) in bounds.items():
        if col not in names or col in derived:
            continue
        j = names.index(col)
        cm = model.columns_[j]
        if cm.coded or cm.column.kind == "datetime":  # (number bounds on dates: left to filtering)
            continue
        a = -np.inf if lo is None else float(lo)
        b = np.inf if hi is None else float(hi)
        # values are clip(round(F^-1(u)), minimum, maximum): a bound at or beyond a clip limit holds
        # for every value on that side (the mass clipped onto the limit included); past the other
        # limit, for none
        cmin, cmax = (None if v is None else float(v) for v in (cm.column.minimum, cm.column.maximum))
        empty = (cmax is not None and a > cmax) or (cmin is not None and b < cmin)
        a = -np.inf if cmin is not None and a <= cmin else a
        b = np.inf if cmax is not None and b >= cmax else b
        step = _rounding_step(cm)
        m = cm.marginal
        if step > 0:  # value = round(x): round(x) >= a iff x >= ceil(a / step) step - step / 2
            a = math.ceil(a / step - 1e-9) * step - step / 2 if np.isfinite(a) else a
            b = math.floor(b / step + 1e-9) * step + step / 2 if np.isfinite(b) else b
            fa = float(m.cdf(np.array([a]))[0]) if np.isfinite(a) else 0.0
        else:
            fa = float(m.cdf_left(np.array([a]))[0]) if np.isfinite(a) else 0.0
        fb = float(m.cdf(np.array([b]))[0]) if np.isfinite(b) else 1.0
        texts = [r.text for r in bound_rules if set(r.names) == {col}]
        if empty or not fb > fa:
            lo_v, hi_v = cm.column.minimum, cm.column.maximum
            if lo_v is None or hi_v is None:  # unbounded: its quantiles at 1e-9 and 1 - 1e-9
                lo_v, hi_v = (f"{float(v):.6g}" for v in m.ppf(np.array([1e-9, 1 - 1e-9])))
            raise RuleError(f"rule(s) {texts} admit no value of column {col!r}: its values lie in about "
                            f"[{lo_v}, {hi_v}]; check the bounds")
        if fb - fa < MIN_BOUND_MASS:
            raise RuleError(f"rule(s) {texts} keep a probability of {fb - fa:.2g} of column {col!r}'s "
                            f"distribution, below {MIN_BOUND_MASS:g}: too little to draw exactly through "
                            "its quantiles (the draws would pile on a few values); declare the bound as "
                            "the column's `min` / `max`, which truncates its distribution there")
        pi = float(cm.column.null_fraction)
        if j in lay:  # the value uniform covers the observed values; the row must be observed
            lo_u[j], hi_u[j] = fa, fb
            lo_u[lay[j]], hi_u[lay[j]] = pi, 1.0
        else:  # one uniform, the null mass at its bottom
            lo_u[j], hi_u[j] = pi + (1 - pi) * fa, pi + (1 - pi) * fb
        mass = (1 - pi) * (fb - fa)
        for t in texts:
            exact[t] = mass
    if not exact:
        return None, {}
    if getattr(model, "latent_correlation_", None) is not None:
        # a dependent model conditions one bound exactly (an inverse-CDF truncated draw), the one
        # of least mass, and only when it rejects most rows: several bounds would need Gibbs
        # sampling, and a conditioned draw costs about three free ones (measured)
        keep = min(exact, key=exact.get)
        col = next(iter(r.names for r in bound_rules if r.text == keep))
        dims = [names.index(c) for c in col]
        if exact[keep] > CONDITION_MAX_MASS or any(j in lay for j in dims):
            return None, {}  # (a nullable column's bound also confines its missingness score)
        mask = np.ones(dim, dtype=bool)
        mask[dims] = False
        lo_u[mask], hi_u[mask] = np.nan, np.nan
        exact = {t: v for t, v in exact.items()
                 if set(next(r.names for r in bound_rules if r.text == t)) == set(col)}
    return (lo_u, hi_u), exact


def _round_rows(remaining: int, accepted: int, drawn: int, plan: RulePlan) -> int:
    """Rows of the next round (see module docstring)."""
    if not plan.rejects:
        return remaining
    if drawn == 0:
        if plan.pilot_rate is None:  # no rate yet: up to ROUND_SPARE extra rows, cheaper than a round
            return remaining + min(remaining, ROUND_SPARE) + ROUND_EXTRA
        p, m = plan.pilot_rate, plan.pilot_rows
    else:
        p, m = (accepted + 0.5) / (drawn + 1.0), drawn
    p = min(max(p, 1e-12), 1.0)
    delta = 3.0 * math.sqrt((1.0 - p) / remaining) + 3.0 * math.sqrt((1.0 - p) / (p * m))
    size = math.ceil(remaining / p * (1.0 + delta)) + ROUND_EXTRA
    if drawn:  # a rate seen on few acceptances is rough: grow at most 8-fold a round, and
        # stop at VERDICT_ROWS draws, where a rate below MIN_ACCEPTANCE is refused
        size = min(size, 8 * drawn)
        if drawn < VERDICT_ROWS:
            size = min(size, VERDICT_ROWS - drawn)
    return int(min(size, ROUND_MAX_ROWS))


@dataclass
class _Round:
    values: list[np.ndarray]
    frame: pd.DataFrame
    keep: np.ndarray
    passed: dict


def _draw_round(model, plan: RulePlan, sub_root: np.random.SeedSequence, r: int, rows: int,
                conditions: dict | None) -> _Round:
    """Round ``r`` under ``sub_root``: ``rows`` draws, typed, through the rules."""
    rng = block_generator(sub_root, r)
    if plan.given is not None:
        lo = np.broadcast_to(plan.given[0], (rows, plan.given[0].size))
        hi = np.broadcast_to(plan.given[1], lo.shape)
        values = values_from_uniforms(model, model._uniforms_given(lo, hi, rng))
    else:
        values = model._sampler()._draw(BlockRequest(sub_root, int(r), int(rows), rng,
                                                     conditions or None, None))
    frame = values_to_frame(model, values)
    outcome = plan.rules.apply(frame, rng)
    keep = np.asarray(outcome.keep, dtype=bool)
    return _Round(values, outcome.frame, keep, dict(outcome.passed))


@dataclass
class BlockCounts:
    """What drawing one block with rules cost: rows drawn and accepted, rows satisfying
    each rule, rounds."""

    drawn: int = 0
    accepted: int = 0
    rounds: int = 0
    passed: dict = field(default_factory=dict)

    def add(self, other: BlockCounts) -> None:
        self.drawn += other.drawn
        self.accepted += other.accepted
        self.rounds += other.rounds
        for k, v in other.passed.items():
            self.passed[k] = self.passed.get(k, 0) + v


@dataclass
class BlockOut:
    """One block. Without rules: value arrays (modelled columns, then generated ones). With
    rules: ``frame``, the accepted rows' typed frame (modelled, determined and derived columns),
    ``values`` the generated columns' values, what it cost and (block 0) its first round."""

    values: list[np.ndarray]
    frame: pd.DataFrame | None = None
    counts: BlockCounts | None = None
    first: tuple | None = None

    @property
    def rows(self) -> int:
        if self.frame is not None:
            return len(self.frame)
        return len(self.values[0]) if self.values else 0


def _pilot(model, plan: RulePlan, root: np.random.SeedSequence, n: int, conditions: dict | None) -> None:
    """Size every block's first round from one pilot round (samples of PILOT_MIN_ROWS rows or more)."""
    if not plan.rejects or n < PILOT_MIN_ROWS:
        return
    rnd = _draw_round(model, plan, child_seed(root, PILOT_STREAM), 0, PILOT_ROWS, conditions)
    plan.pilot_rate = (int(rnd.keep.sum()) + 0.5) / (PILOT_ROWS + 1.0)
    plan.pilot_rows = PILOT_ROWS


def _ruled_block(model, plan: RulePlan, b: int, root: np.random.SeedSequence, rows: int,
                 conditions: dict | None) -> BlockOut:
    """Block ``b`` with rules: exactly ``rows`` accepted rows, drawn in rounds (module docstring)."""
    sub_root = child_seed(root, b)
    counts = BlockCounts(passed={})
    parts: list[pd.DataFrame] = []
    first = None
    need = rows
    while need > 0:
        if counts.rounds >= MAX_ROUNDS:
            raise _stuck(plan.rules, counts, f"{MAX_ROUNDS} rounds of draws did not complete block {b}")
        size = _round_rows(need, counts.accepted, counts.drawn, plan)
        rnd = _draw_round(model, plan, sub_root, counts.rounds, size, conditions)
        acc = np.flatnonzero(rnd.keep)
        counts.add(BlockCounts(size, int(acc.size), 1, rnd.passed))
        if b == 0 and first is None:
            first = (rnd.frame, rnd.keep)
        take = acc[:need]
        if take.size:
            parts.append(rnd.frame.iloc[take])
        need -= int(take.size)
        if need > 0 and counts.drawn >= VERDICT_ROWS and counts.accepted < MIN_ACCEPTANCE * counts.drawn:
            raise _stuck(plan.rules, counts, f"below the least usable share, {MIN_ACCEPTANCE:g}")
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
    return BlockOut(generated_values(model, b, root, np.arange(rows)), frame, counts, first)


def _stuck(rules: Any, counts: BlockCounts, why: str) -> RuleError:
    """The error of rules that accept too few rows, naming the rule that rejects most."""
    return RuleError(rejection_summary(rules, counts, why) + ". No usable sample satisfies them: check "
                     "the rules against the columns' ranges, or loosen the rule that rejects most")


def rejection_summary(rules: Any, counts: BlockCounts, why: str, checks: tuple[str, ...] = ()) -> str:
    """How many of ``counts.drawn`` rows the rules (and ``checks``, other tests counted in
    ``counts.passed`` by their text) accepted, and the one that rejects most with its share."""
    drawn = max(counts.drawn, 1)
    texts = (_rule_texts(rules) if rules is not None else []) + list(checks)
    shares = {t: counts.passed.get(t, 0) / drawn for t in texts if t in counts.passed}
    text = (f"the rules accept {counts.accepted:,} of {counts.drawn:,} sampled rows "
            f"({counts.accepted / drawn:.3%}; {why})")
    if shares:
        worst = min(shares, key=shares.get)
        others = ", ".join(f"{t!r}: {s:.1%}" for t, s in shares.items() if t != worst)
        text += (f"; rule {worst!r} rejects most: it holds on {shares[worst]:.2%} of the sampled "
                 "rows" + (f" (the others hold on: {others})" if others else ""))
    return text


def _rule_texts(ruleset: Any) -> list[str]:
    """The texts of a rule set's hard and soft rules (the keys of its ``passed`` counts)."""
    return [r.text for r in ruleset.hard] + [r.text for r, _ in ruleset.soft]


def derived_names(ruleset: Any) -> list[str]:
    """The columns a rule set derives, once each, in evaluation order."""
    return list(dict.fromkeys(str(dv.name) for dv in ruleset.derived))


# --------------------------------------------------------------------------- whole samples
def block(model, b: int, root: np.random.SeedSequence, rows: int = BLOCK_ROWS, *,
          conditions: dict | None = None, state: Any = None) -> pd.DataFrame:
    """Block ``b`` of ``model`` (``rows`` rows) as a typed frame (see module docstring).

    Examples
    --------
    >>> import numpy as np, synthkit
    >>> m = synthkit.declare({"x": {"distribution": "normal"}}, strategy="montecarlo")
    >>> block(m, 3, np.random.SeedSequence(0), rows=4).shape
    (4, 1)
    """
    plan = rule_plan(model, conditions)
    if plan is None:
        return values_to_frame(model, block_values(model, b, root, rows, conditions=conditions, state=state))
    return _frame_of(model, [_ruled_block(model, plan, b, root, rows, conditions)])


def sample_block(model, b: Any, root: np.random.SeedSequence, n: int | None = None, *,
                 conditions: dict | None = None) -> pd.DataFrame:
    """Block ``b`` of the sample of ``n`` rows under ``root`` as a typed frame.

    These are rows ``[b * BLOCK_ROWS, min((b + 1) * BLOCK_ROWS, n))`` of the sample,
    with or without rules (its whole-sample state, such as Cholesky's exact whitening,
    or the pilot round sizing rule rounds, included); ``n`` defaults to the end of block ``b``.
    """
    if isinstance(b, bool) or not isinstance(b, (int, np.integer)) or b < 0:
        raise SpecError(f"`b` must be a non-negative block index, got {b!r}")
    b = int(b)
    n = BLOCK_ROWS * (b + 1) if n is None else check_n(n)
    rows = min(BLOCK_ROWS, n - b * BLOCK_ROWS)
    if rows <= 0:
        raise SpecError(f"`b` must be a block index in [0, {-(-n // BLOCK_ROWS)}) for n={n}, got {b}")
    return blocks_frame(model, prepare_sample(model, n, root, conditions), b, b + 1, public=False)


def _check_conditions(model, conditions: dict | None) -> None:
    if isinstance(conditions, pd.DataFrame):
        raise SpecError("a conditions table (DataFrame) is drawn whole: model.sample(conditions=table)")
    if not conditions:
        return
    check_not_generated(model, conditions, "`conditions`")
    check_not_determined(model, conditions, "`conditions`")
    if not model.supports_conditions:
        from .registry import available_strategies, get_strategy

        able = [s for s in available_strategies() if get_strategy(s).supports_conditions]
        raise SpecError(f"the {model.name!r} strategy does not support `conditions`; strategies "
                        f"that do: {able}")
    unknown = sorted(set(conditions) - set(model.schema_.names))
    if unknown:
        raise SpecError(f"`conditions` name unknown column(s) {unknown}")
    if model._sampler() is not model:
        raise SpecError("`conditions` are not supported by stratified models; fit with stratify=None")


@dataclass(frozen=True)
class SamplePlan:
    """What every block of one sample of ``n`` rows under ``root`` shares (:func:`prepare_sample`).

    A small picklable record: the row count, the root seed, the ``conditions``, the model's
    whole-sample ``state`` (``_prepare_sample``: Cholesky's exact whitening, else None) and, for a
    model with rules, the pilot round's acceptance rate (``pilot_rate`` over ``pilot_rows`` draws,
    None below :data:`PILOT_MIN_ROWS` rows), which sizes every block's first round.
    """

    n: int
    root: np.random.SeedSequence
    conditions: dict | None = None
    state: Any = None
    ruled: bool = False
    pilot_rate: float | None = None
    pilot_rows: int = 0

    @property
    def blocks(self) -> int:
        """Blocks of the sample: ``ceil(n / BLOCK_ROWS)``."""
        return -(-self.n // BLOCK_ROWS)

    def rows_of(self, b: int) -> int:
        """Rows of block ``b``: ``min(BLOCK_ROWS, n - b BLOCK_ROWS)``."""
        return min(BLOCK_ROWS, self.n - b * BLOCK_ROWS)


def prepare_sample(model, n: int, root: np.random.SeedSequence, conditions: dict | None = None,
                   workers: int = 1) -> SamplePlan:
    """Settle what the blocks of a sample of ``n`` rows share, once, before drawing any block.

    Checks ``conditions``; with rules, draws the pilot round (key ``(PILOT_STREAM, 0)``) whose
    acceptance rate sizes every block's first round; without rules, asks the model for its
    whole-sample state (``_prepare_sample(n, root, workers)``, computed by ``workers`` threads).
    Every block of the sample is then :func:`blocks_frame` of this plan, on any thread or machine.

    Examples
    --------
    >>> import numpy as np, synthkit
    >>> m = synthkit.declare({"x": {"distribution": "normal"}}, strategy="montecarlo")
    >>> plan = prepare_sample(m, 100_000, np.random.SeedSequence(0))
    >>> plan.blocks, plan.rows_of(1)
    (2, 34464)
    """
    n = check_n(n)
    _check_conditions(model, conditions)
    rules = rule_plan(model, conditions)
    conditions = conditions or None
    if rules is None:
        state = model._sampler()._prepare_sample(n, root, check_workers(workers))
        return SamplePlan(n, root, conditions, state)
    _pilot(model, rules, root, n, conditions)
    return SamplePlan(n, root, conditions, None, True, rules.pilot_rate, rules.pilot_rows)


def _rules_of(model, plan: SamplePlan) -> RulePlan | None:
    """The model's rule plan for ``plan``'s sample (its pilot's rate included), or None."""
    if not plan.ruled:
        return None
    rules = rule_plan(model, plan.conditions)
    rules.pilot_rate, rules.pilot_rows = plan.pilot_rate, plan.pilot_rows
    return rules


def _iter_blocks(model, plan: SamplePlan, start: int, stop: int, workers: int = 1) -> Iterator[BlockOut]:
    """Blocks ``start .. stop - 1`` of ``plan``'s sample, in order (block ``b``: ``plan.rows_of(b)`` rows)."""
    if not 0 <= start < stop <= plan.blocks:
        raise SpecError(f"the block range must lie in [0, {plan.blocks}] and hold a block, got "
                        f"[{start}, {stop})")
    rules = _rules_of(model, plan)
    root, conditions = plan.root, plan.conditions

    def draw(b: int) -> BlockOut:
        if rules is None:
            return BlockOut(block_values(model, b, root, plan.rows_of(b), conditions=conditions,
                                         state=plan.state))
        return _ruled_block(model, rules, b, root, plan.rows_of(b), conditions)

    if workers == 1 or stop - start == 1:
        yield from map(draw, range(start, stop))
    else:
        with ThreadPoolExecutor(workers) as pool:
            yield from pool.map(draw, range(start, stop))


def _frame_of_blocks(model, plan: SamplePlan, blocks: list[BlockOut]) -> pd.DataFrame:
    """The typed frame (internal names) of consecutive blocks (or parts of blocks) of ``plan``'s sample."""
    if plan.ruled:
        return _frame_of(model, blocks)
    d = len(blocks[0].values)
    return values_to_frame(model, [np.concatenate([p.values[j] for p in blocks]) if len(blocks) > 1
                                   else blocks[0].values[j] for j in range(d)])


def blocks_frame(model, plan: SamplePlan, start_block: int, stop_block: int, *, workers: int = 1,
                 public: bool = True) -> pd.DataFrame:
    """Blocks ``start_block .. stop_block - 1`` of ``plan``'s sample as one typed frame.

    These are rows ``[start_block BLOCK_ROWS, min(stop_block BLOCK_ROWS, n))`` of
    ``model.sample(n, seed).frame``, equal to them value for value (index from 0; a column's
    dtype may follow its values, as in memory: ``int64`` unless a value is missing), with the
    table's public column names (``public=False``: internal names). A partition of a
    partitioned sample is one such frame cast to :func:`output_meta`.

    Examples
    --------
    >>> import numpy as np, pandas as pd, synthkit
    >>> m = synthkit.declare({"x": {"distribution": "normal"}}, strategy="montecarlo")
    >>> root = np.random.SeedSequence(0)
    >>> plan = prepare_sample(m, 100_000, root)
    >>> whole = m.sample(100_000, seed=root).frame
    >>> blocks_frame(m, plan, 1, 2).equals(whole.iloc[BLOCK_ROWS:].reset_index(drop=True))
    True
    """
    workers = check_workers(workers)
    frame = _frame_of_blocks(model, plan, list(_iter_blocks(model, plan, int(start_block), int(stop_block),
                                                            workers)))
    return output_schema(model).relabel(frame) if public else frame


def _meta_dtype(col) -> Any:
    """The one dtype of a column in every partition: the schema's, nullable where it allows nulls."""
    dtype = str(col.dtype)
    nullable = float(col.null_fraction) > 0
    if col.kind == GENERATED and dtype.lower().startswith(("int", "uint")):
        dtype = "int64"  # generated ids run past the real column's range (generated_series widens them)
    if dtype == "category":
        return pd.CategoricalDtype(pd.Index(col.categories or []))
    if dtype.lower() in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"):
        return dtype.capitalize().replace("Uint", "UInt") if nullable or dtype[0] in "IU" else dtype
    if dtype in ("bool", "boolean"):
        return "boolean" if nullable or dtype == "boolean" else "bool"
    if dtype.startswith("datetime64") or dtype.lower().startswith("float"):  # float32/64, Float32/64
        return dtype
    if any(not isinstance(c, str) for c in col.categories or []):
        return "object"  # labels of mixed types stay Python objects
    return pd.StringDtype("pyarrow")  # text: one nullable string type in frames, Dask and Parquet


def output_meta(model) -> pd.DataFrame:
    """The empty frame of a partitioned sample: public names, one dtype per column fixed by the schema.

    A column's dtype is its schema dtype (:func:`output_schema`) made nullable where the schema
    lets it hold nulls (``null_fraction > 0``: ``int64 -> Int64``, ``bool -> boolean``); text
    is ``string[pyarrow]`` (the type Dask and Parquet give text; the in-memory frame holds it as
    ``object``). An in-memory sample's dtype may instead follow its values (a column
    with rules is ``int64`` unless a value is missing); a partitioned sample equals the in-memory
    one cast by :func:`cast_to_meta`.

    Examples
    --------
    >>> import synthkit
    >>> m = synthkit.declare({"k": {"distribution": "poisson", "params": {"mu": 2}}}, strategy="montecarlo")
    >>> output_meta(m).dtypes.astype(str).to_dict()
    {'k': 'int64'}
    """
    schema = output_schema(model)
    meta = pd.DataFrame({col.name: pd.Series([], dtype=_meta_dtype(col)) for col in schema})
    return schema.relabel(meta)


def cast_to_meta(frame: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``meta``'s columns, each cast to ``meta``'s dtype where it differs.

    Examples
    --------
    >>> import pandas as pd
    >>> meta = pd.DataFrame({"k": pd.Series([], dtype="Int64")})
    >>> cast_to_meta(pd.DataFrame({"k": [1, 2]}), meta).dtypes.astype(str).tolist()
    ['Int64']
    """
    if list(frame.columns) != list(meta.columns):
        raise SpecError(f"the frame's columns {list(frame.columns)} are not the sample's "
                        f"{list(meta.columns)}")
    out = {}
    for c, dtype in meta.dtypes.items():
        s = frame[c]
        out[c] = s if s.dtype == dtype else s.astype(dtype)
    return pd.DataFrame(out, index=frame.index, columns=meta.columns, copy=False)


def _frame_of(model, blocks: list[BlockOut]) -> pd.DataFrame:
    """The output frame of consecutive blocks (or parts of blocks) with rules: their typed frames
    joined, the generated columns put in place, and each column's dtype a function of its
    values, as :func:`values_to_frame` makes it (``int64`` unless a value is missing)."""
    frame = pd.concat([p.frame for p in blocks], ignore_index=True) if len(blocks) > 1 \
        else blocks[0].frame.reset_index(drop=True)
    schema = output_schema(model)
    for col in schema:
        if col.name not in frame.columns:
            continue
        s = frame[col.name]
        if str(s.dtype) != col.dtype and not s.hasnans:
            try:
                frame[col.name] = cast_series(s, col)
            except (TypeError, ValueError):
                pass
    generated = getattr(model, "generated_", None) or []
    if generated and blocks[0].values:
        order = list(frame.columns)
        extra = {}
        for j, g in sorted(enumerate(generated), key=lambda jg: jg[1].position):
            v = np.concatenate([p.values[j] for p in blocks]) if len(blocks) > 1 else blocks[0].values[j]
            order.insert(min(g.position, len(order)), g.name)
            extra[g.name] = generated_series(g, v)
        frame = pd.concat([frame, pd.DataFrame(extra, index=frame.index)], axis=1)[order]
    return frame


def _slice(out: BlockOut, start: int, stop: int) -> BlockOut:
    frame = None if out.frame is None else out.frame.iloc[start:stop]
    return BlockOut([v[start:stop] for v in out.values], frame)


def sample_with_report(model, n: int, root: np.random.SeedSequence, *, conditions: dict | None = None,
                       progress: bool | None = None, workers: int = 1
                       ) -> tuple[pd.DataFrame, RulesReport | None]:
    """The whole sample of ``n`` rows as one typed frame (internal names), and its rules report.

    Without rules the blocks' values are written into preallocated columns (no
    per-block frames, no concatenation copy) and the report is None.
    """
    workers = check_workers(workers)
    d = n_output_columns(model)
    check_rows_memory(n, d)
    plan = prepare_sample(model, n, root, conditions, workers)
    parts: list[BlockOut] = []
    bar = progress_bar(n, progress)
    try:
        if not plan.ruled:
            return values_to_frame(model, _assemble(model, plan, workers, bar.update)), None
        for out in _iter_blocks(model, plan, 0, plan.blocks, workers):
            parts.append(out)
            bar.update(out.rows)
    finally:
        bar.close()
    return _frame_of(model, parts), _report(model, _rules_of(model, plan), parts, n)


def _assemble(model, plan: SamplePlan, workers: int, update: Any) -> list[np.ndarray]:
    """The values of every block of ``plan``'s sample (no rules), one array per column.

    One block's arrays are handed over as they are (copied only where one array stands for
    two columns or is not contiguous); several blocks are written into preallocated columns
    by the threads that draw them (block ``b`` into rows ``[b BLOCK_ROWS, b BLOCK_ROWS + rows)``),
    so there are no per-block frames and no concatenation. ``update(rows)`` follows progress.
    """
    root, conditions, state = plan.root, plan.conditions, plan.state
    if plan.blocks == 1:
        values = block_values(model, 0, root, plan.n, conditions=conditions, state=state)
        seen: set[int] = set()
        out = []
        for v in values:
            v = np.asarray(v)
            out.append(v if id(v) not in seen and v.flags.c_contiguous else v.copy())
            seen.add(id(v))
        update(plan.n)
        return out
    outs: list[np.ndarray] = []
    lock = threading.Lock()

    def fill(b: int) -> int:
        values = block_values(model, b, root, plan.rows_of(b), conditions=conditions, state=state)
        with lock:  # the first block drawn fixes the columns' dtypes
            if not outs:
                outs.extend(np.empty(plan.n, dtype=np.asarray(v).dtype) for v in values)
        start = b * BLOCK_ROWS
        for o, v in zip(outs, values, strict=True):
            o[start:start + len(v)] = v
        return plan.rows_of(b)

    if workers == 1:
        for b in range(plan.blocks):
            update(fill(b))
    else:
        with ThreadPoolExecutor(workers) as pool:
            for rows in pool.map(fill, range(plan.blocks)):
                update(rows)
    return outs


def sample_frame(model, n: int, root: np.random.SeedSequence, *, conditions: dict | None = None,
                 progress: bool | None = None, workers: int = 1) -> pd.DataFrame:
    """The whole sample of ``n`` rows as one typed frame (internal names)."""
    return sample_with_report(model, n, root, conditions=conditions, progress=progress,
                              workers=workers)[0]


def _report(model, plan: RulePlan, parts: list[BlockOut], n: int) -> RulesReport:
    """The rules report of a sample: counts summed in block order, the first round of block 0."""
    total = BlockCounts(passed={})
    for p in parts:
        total.add(p.counts)
    rules = plan.rules
    entries = []
    drawn = max(total.drawn, 1)
    for r in rules.hard:
        if r.text in plan.exact:
            entries.append({"rule": r.text, "kind": "bound", "share": total.passed.get(r.text, 0) / drawn,
                            "mass": plan.exact[r.text]})
        else:
            entries.append({"rule": r.text, "kind": "hard", "share": total.passed.get(r.text, 0) / drawn})
    for r, keep in rules.soft:
        entries.append({"rule": r.text, "kind": "soft", "keep": float(keep),
                        "share": total.passed.get(r.text, 0) / drawn})
    for dv in rules.derived:
        entries.append({"rule": getattr(dv, "text", str(dv.name)), "kind": "derived", "column": str(dv.name),
                        "replace": bool(getattr(dv, "replace", False))})
    first = parts[0].first
    columns = [c for c in first[0].columns] if first is not None else []
    return RulesReport(entries, drawn=total.drawn, accepted=total.accepted, rows=n, rounds=total.rounds,
                       blocks=len(parts), pilot_rows=plan.pilot_rows, first=first, columns=columns)


def iter_chunks(model, n: int, root: np.random.SeedSequence, chunk_rows: int, *,
                conditions: dict | None = None, progress: bool | None = None,
                workers: int = 1) -> Iterator[pd.DataFrame]:
    """The sample as consecutive typed frames of ``chunk_rows`` rows (internal names)."""
    workers = check_workers(workers)
    d = n_output_columns(model)
    check_rows_memory(min(n, chunk_rows), d)
    plan = prepare_sample(model, n, root, conditions, workers)
    bar = progress_bar(n, progress)
    buffer: list[BlockOut] = []
    buffered = 0

    def frame_of(pieces: list[BlockOut]) -> pd.DataFrame:
        return _frame_of_blocks(model, plan, pieces)

    try:
        for out in _iter_blocks(model, plan, 0, plan.blocks, workers):
            bar.update(out.rows)
            buffer.append(BlockOut(out.values, out.frame))
            buffered += out.rows
            if buffered < chunk_rows:
                continue
            joined, start = _join(buffer), 0
            while buffered - start >= chunk_rows:
                yield frame_of([_slice(joined, start, start + chunk_rows)])
                start += chunk_rows
            buffer, buffered = [_slice(joined, start, joined.rows)], buffered - start
        if buffered:
            yield frame_of(buffer)
    finally:
        bar.close()


def _join(pieces: list[BlockOut]) -> BlockOut:
    if len(pieces) == 1:
        return pieces[0]
    d = len(pieces[0].values)
    frame = None
    if pieces[0].frame is not None:
        frame = pd.concat([p.frame for p in pieces], ignore_index=True)
    return BlockOut([np.concatenate([p.values[j] for p in pieces]) for j in range(d)], frame)
