"""Per-row conditional sampling: complete real rows, or draw rows given a conditions table.

Every row carries its own *evidence*: for each dimension of the model's latent
table (the ``d`` value uniforms in ``columns_`` order, then one missingness
uniform per column of ``missing_columns_``, as in
:func:`~synthkit.strategies._engine.missing_layout`) a uniform interval
``[lo, hi]``, a point ``lo == hi`` or nothing (``NaN``). A given value ``x`` of a
column with marginal ``F`` becomes

* continuous: the point ``F(x)``;
* discrete, categorical, boolean: the atom's interval ``[F(x-), F(x)]``
  (the distributional transform's range, :func:`~synthkit.dependence.tabular.frame_to_intervals`);
* its missingness uniform in ``[pi, 1]`` (observed), or ``[0, pi]`` for a missing
  cell of a real row (:func:`~synthkit.dependence.tabular.missing_intervals`); a
  column without a missingness dimension keeps its null mass at the bottom of its
  one uniform: ``pi + (1 - pi) [F(x-), F(x)]``, missing ``[0, pi]``.

The model's hook ``_uniforms_given(lo, hi, rng)`` draws each row from its
conditional distribution (the Gaussian copula exactly: points fixed, intervals
by truncated / Gibbs draws, the rest from the conditional normal); the column
models turn the uniforms into values and the given values are written back
exactly (a real row's cells verbatim).

A given label of a *determined* column (a hierarchy,
:mod:`synthkit.dependence.hierarchy`) is evidence on the modelled column at the root
of its chain: the root's levels that map to it. The data-driven level order keeps each
group of levels one interval of the root's uniform
(:mod:`synthkit.dependence.level_order`), so the evidence is that interval, an exact
draw; when the levels do not form one interval (a declared hierarchy, an older model
file, a missing root that maps to the label too) the row is redrawn until its drawn root
gives the label, as for a rule.

Rows breaking the rules (or a determined column's given label) are redrawn, only they,
in rounds ``r = 1, 2, ...``: every row still failing is drawn ``k`` times at once and
keeps its first accepted draw (rejection sampling, row by row), with ``k = ceil(2 / p)``
for the acceptance rate ``p = min(q, 1 / (N + 1))``, ``q`` the share of accepted
redraws so far (of round 0 before any) and ``N`` the draws each failing row has had
(all alike), bounded by eight times ``N``, by ``ROUND_MAX_ROWS`` draws a round, and so
that ``N`` stops at ``VERDICT_ROWS`` (engine constants). The rows are given up on
(:class:`~synthkit.errors.RuleError` naming the rule that rejects most) when a row has had
``VERDICT_ROWS`` draws without one accepted (at the engine's ``MIN_ACCEPTANCE`` that has
probability ``e^-50``), when at least ``VERDICT_ROWS`` redraws accept less than
``MIN_ACCEPTANCE`` of them (the engine's rule, applied to the redraws), or after
``MAX_ROUNDS`` rounds.

Seeding follows the engine: output row ``i`` lies in block ``i // BLOCK_ROWS``,
drawn from :func:`~synthkit.seeding.block_generator` ``(root, b)``; redraw round ``r``
draws from the generator of key ``(b, REDRAW_STREAM, r)`` and the rules' own draws of
round ``r`` from ``(b, RULES_STREAM, r)`` (reserved keys of :mod:`synthkit.seeding`),
so the same seed gives the same rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._counts import check_n
from ..dataset import SyntheticDataset
from ..dependence.hierarchy import _root, derive_columns
from ..dependence.tabular import U_MIN
from ..errors import DataError, RuleError, SpecError
from ..schema import check_frame
from ..seeding import (
    BLOCK_ROWS,
    REDRAW_STREAM,
    RULES_STREAM,
    SeedLike,
    as_seed_sequence,
    block_generator,
    child_generator,
)
from . import _document
from ._engine import (
    MAX_ROUNDS,
    MIN_ACCEPTANCE,
    ROUND_MAX_ROWS,
    VERDICT_ROWS,
    BlockCounts,
    _bound_intervals,
    check_rows_memory,
    compiled_rules,
    derived_names,
    missing_layout,
    n_output_columns,
    rejection_summary,
    values_from_uniforms,
    values_to_frame,
)
from ._generated import check_not_generated, generated_values

__all__ = ["extend", "sample_table", "evidence", "Evidence", "replicates"]



@dataclass
class Evidence:
    """Per-row uniform bounds of the latent table and the values to write back.

    ``lower``, ``upper``: ``(n, d + m)`` (``NaN``: free). ``write``: column index ->
    ``(rows, values)``, the given values in ``values_from_uniform``'s form
    (category codes, ``-1`` missing; floats, ``NaN`` missing) and where they apply.
    ``match``: determined (hierarchy) column name -> the given labels (object array,
    missing: unconstrained), which a row's drawn determinant must reproduce.
    """

    lower: np.ndarray
    upper: np.ndarray
    write: dict[int, tuple[np.ndarray, np.ndarray]]
    match: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return self.lower.shape[0]

    def take(self, rows: Any) -> Evidence:
        return Evidence(self.lower[rows], self.upper[rows],
                        {j: (r[rows], v[rows]) for j, (r, v) in self.write.items()},
                        {c: v[rows] for c, v in self.match.items()})

    def matches(self, frame: pd.DataFrame) -> np.ndarray:
        """Rows of ``frame`` (these rows, drawn) whose determined columns have the given labels."""
        keep = np.ones(len(frame), dtype=bool)
        for c, want in self.match.items():
            got = frame[c].to_numpy(dtype=object)
            keep &= pd.isna(want) | np.asarray(got == want, dtype=bool)
        return keep

    def draw(self, model: Any, rng: np.random.Generator) -> list[np.ndarray]:
        """Per-column values of these rows: conditional uniforms, then the given values written back."""
        u = model._uniforms_given(self.lower, self.upper, rng)
        values = values_from_uniforms(model, u)
        for j, (rows, x) in self.write.items():
            values[j] = np.where(rows, x.astype(values[j].dtype, copy=False), values[j])
        return values


def unsupported_message(model: Any) -> str:
    """Why ``model`` cannot draw rows given per-row evidence, naming the strategies that can."""
    from .registry import available_strategies, get_strategy

    able = [n for n in available_strategies() if getattr(get_strategy(n), "supports_conditions", False)]
    return (f"the {model.name!r} strategy cannot draw rows given each row's own values (`extend`, "
            f"a conditions table); strategies that can: {able}")


def draw_conditions(model: Any, conditions: dict, n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``n`` rows' values given a conditions dict, through the model's ``_uniforms_given``.

    ``conditions`` maps a column to a value, a closed ``(low, high)`` range of a numeric or
    date column, or ``None`` (missing). Each becomes the same bounds on every row:
    :func:`~synthkit.dependence.tabular.condition_interval`'s interval of the column's uniform
    and, for a column with a missingness dimension, that dimension in ``[pi, 1]``
    (``[0, pi]`` for ``None``). A continuous point is written back exactly and ranges are
    clipped to their limits (the column's rounding can step over them).
    """
    from scipy import special

    from ..columns import _seconds_bound
    from ..dependence.tabular import condition_interval

    names = [cm.name for cm in model.columns_]
    lay = missing_layout(model)
    lo = np.full((1, len(names) + len(lay)), np.nan)
    hi = lo.copy()
    exact = {}
    for col, value in conditions.items():
        j = names.index(col)
        cm = model.columns_[j]
        is_null = value is None or (isinstance(value, float) and np.isnan(value))
        za, zb, point = condition_interval(cm, value, null_mass=j not in lay)
        if j in lay:
            pi = float(cm.column.null_fraction)
            lo[0, lay[j]], hi[0, lay[j]] = (0.0, pi) if is_null else (pi, 1.0)
            if is_null:
                continue
        lo[0, j], hi[0, j] = float(special.ndtr(za)), float(special.ndtr(zb))
        if point is not None:
            exact[j] = float(_seconds_bound(point)) if cm.column.kind == "datetime" else float(point)
    u = model._uniforms_given(np.repeat(lo, n, axis=0), np.repeat(hi, n, axis=0), rng)
    values = values_from_uniforms(model, u)
    for j, value in exact.items():
        values[j] = np.full(n, value)
    for col, value in conditions.items():
        if isinstance(value, (tuple, list)) and model.schema_[col].is_numeric:
            j = names.index(col)
            low, high = (None if v is None else float(v) for v in value)
            values[j] = np.clip(values[j], low, high)
    return values


def _check_model(model: Any, what: str) -> None:
    if not callable(getattr(type(model), "_check_fitted", None)):  # not a synthkit Strategy
        raise SpecError(f"`model` for {what} must be a fitted synthkit model (such as "
                        f"synthkit.fit(data, strategy='gaussian_copula')), got {type(model).__name__}")
    model._check_fitted()
    if not getattr(model, "supports_conditions", False):
        raise SpecError(unsupported_message(model))
    if model._sampler() is not model:
        raise SpecError(f"{what} is not supported by stratified models; fit with stratify=None")


# ------------------------------------------------------------------ evidence
def _column_values(cm: Any, s: pd.Series, error: type, what: str) -> np.ndarray:
    """A given column in ``values_from_uniform``'s form, its kind checked (``error`` otherwise)."""
    col = cm.column
    isna = s.isna().to_numpy()
    if cm.coded:
        cats = list(col.categories or [])
        codes = pd.Index(cats).get_indexer(s.to_numpy(dtype=object)) if len(s) else np.empty(0, int)
        codes = np.where(isna, -1, codes)
        bad = (codes < 0) & ~isna
        if bad.any():
            vals = sorted({str(v) for v in s[bad]})
            raise error(f"{what} column {col.name!r}: value(s) {vals[:10]} are not among the model's "
                        f"categories {cats[:20]}{' ...' if len(cats) > 20 else ''}")
        return codes.astype(np.int64)
    if col.kind == "datetime":
        from ..columns import _datetime_seconds

        try:
            return _datetime_seconds(s)
        except (TypeError, ValueError, OverflowError):
            raise error(f"{what} column {col.name!r} must hold dates (the model's column is a "
                        f"datetime), got values such as {s.dropna().iloc[:3].tolist()}") from None
    if pd.api.types.is_datetime64_any_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype):
        raise error(f"{what} column {col.name!r} must hold numbers (the model's column is "
                    f"{col.kind}), got dtype {s.dtype}")
    x = pd.to_numeric(s, errors="coerce")
    bad = x.isna().to_numpy() & ~isna
    if bad.any():
        vals = sorted({str(v) for v in s[bad]})
        raise error(f"{what} column {col.name!r} must hold numbers (the model's column is {col.kind}), "
                    f"got {vals[:10]}")
    return x.to_numpy(dtype=float, na_value=np.nan)


def _value_bounds(cm: Any, x: np.ndarray, strict: bool, what: str) -> tuple[np.ndarray, np.ndarray]:
    """``[F(x-), F(x)]`` of given (non-missing) values on the value scale; points for continuous ones.

    ``strict``: values of probability 0 or outside the support are refused (SpecError);
    otherwise (real rows) they are pinned where the CDF puts them.
    """
    col, m = cm.column, cm.marginal
    a = np.asarray(m.cdf_left(x), dtype=float)
    b = np.asarray(m.cdf(x), dtype=float)
    if cm.coded or m.discrete:
        bad = b <= a
        if strict and bad.any():
            vals = sorted({str(v) for v in (np.asarray(col.categories, dtype=object)[x[bad].astype(int)]
                                            if cm.coded else x[bad])})
            raise SpecError(f"{what} column {col.name!r}: value(s) {vals[:10]} have probability 0 under "
                            "the column's marginal (not among its values); give values it can take")
        a = np.where(bad, b, a)
    else:
        if strict:
            lo, hi = col.minimum, col.maximum
            if col.kind == "datetime":
                from ..columns import _seconds_bound

                lo, hi = _seconds_bound(lo), _seconds_bound(hi)
            out = np.zeros(x.shape, dtype=bool)
            if lo is not None:
                out |= x < float(lo)
            if hi is not None:
                out |= x > float(hi)
            if lo is None and hi is None:
                out |= (b <= 0.0) | (b >= 1.0)
            if out.any():
                raise SpecError(f"{what} column {col.name!r}: value(s) {sorted(set(x[out].tolist()))[:10]} "
                                f"are outside the column's support (about [{col.minimum}, {col.maximum}])")
        a = b
    return np.clip(a, U_MIN, 1 - U_MIN), np.clip(b, U_MIN, 1 - U_MIN)


def evidence(model: Any, frame: pd.DataFrame, *, missing_is_evidence: bool, strict: bool,
             error: type = SpecError, what: str = "conditions table") -> Evidence:
    """The per-row evidence of ``frame`` (internal column names, model columns only).

    ``missing_is_evidence``: a missing cell says the value is missing (real rows);
    otherwise it leaves the column free (conditions tables). ``strict``: see
    :func:`_value_bounds`; ``error`` is raised for values of the wrong kind.
    """
    n = len(frame)
    lay = missing_layout(model)
    dims = len(model.columns_) + len(lay)
    lower = np.full((n, dims), np.nan)
    upper = np.full((n, dims), np.nan)
    write = {}
    for j, cm in enumerate(model.columns_):
        if cm.name not in frame.columns:
            continue
        s = frame[cm.name]
        x = _column_values(cm, s, error, what)
        obs = ~s.isna().to_numpy()
        a, b = _value_bounds(cm, x[obs], strict, what)
        pi = float(cm.column.null_fraction)
        if j in lay:
            k = lay[j]
            lower[obs, j], upper[obs, j] = a, b
            lower[obs, k], upper[obs, k] = pi, 1.0
            if missing_is_evidence:
                lower[~obs, k], upper[~obs, k] = 0.0, pi
        else:
            lower[obs, j], upper[obs, j] = pi + (1.0 - pi) * a, pi + (1.0 - pi) * b
            if missing_is_evidence and pi > 0:
                lower[~obs, j], upper[~obs, j] = 0.0, pi
        write[j] = (np.ones(n, dtype=bool) if missing_is_evidence else obs, x)
    match = _determined_evidence(model, frame, lower, upper, write, strict, error, what)
    return Evidence(lower, upper, write, match)


def _determined_evidence(model: Any, frame: pd.DataFrame, lower: np.ndarray, upper: np.ndarray,
                         write: dict, strict: bool, error: type, what: str) -> dict[str, np.ndarray]:
    """Given labels of determined (hierarchy) columns as evidence on their modelled root column.

    For each row whose root is drawn, the root's levels deriving every given label (down the
    chain) form, with the data-driven level order, one interval of the root's uniform: it
    becomes the row's evidence on that dimension (the row's uniform bounds are set in place).
    Rows whose levels are not one interval, or whose label a missing root gives too, keep the
    labels as a check the drawn row must pass (the returned ``match``: column -> labels, None
    where unconstrained). A row whose root is given keeps its given values (``extend``); in a
    conditions table (``strict``) a label the given root does not determine is refused.
    """
    hierarchies = list(getattr(model, "hierarchies_", None) or [])
    given = [h for h in hierarchies if h.name in frame.columns]
    if not given:
        return {}
    n = len(frame)
    labels: dict[str, np.ndarray] = {}
    for h in given:
        want = frame[h.name].to_numpy(dtype=object)
        free = pd.isna(want)
        levels = pd.Index([v for v in h.values if v is not None] + [h.missing]).dropna()
        bad = ~free & ~pd.Index(want).isin(levels)
        if bad.any():
            vals = sorted({str(v) for v in want[bad]})
            raise error(f"{what} column {h.name!r}: value(s) {vals[:10]} are not among the levels "
                        f"{sorted(set(map(str, levels)))[:20]} it takes (it is determined by {h.by!r})")
        labels[h.name] = np.where(free, None, want)
    by_name = {h.name: h for h in hierarchies}
    names = [cm.name for cm in model.columns_]
    lay = missing_layout(model)
    match = {h.name: np.full(n, None, dtype=object) for h in given}
    for root in dict.fromkeys(_root(h, by_name) for h in given):
        chain = [h for h in hierarchies if _root(h, by_name) == root]
        hs = [h for h in given if _root(h, by_name) == root]
        j = names.index(root)
        cm = model.columns_[j]
        fixed = write[j][0] if j in write else np.zeros(n, dtype=bool)
        if strict and fixed.any():  # a conditions table giving both: they must agree
            derived = derive_columns(frame.loc[fixed, [root]], chain)
            for h in hs:
                got = derived[h.name].astype(object).to_numpy()
                want = labels[h.name][fixed]
                bad = np.flatnonzero(pd.notna(want) & ~np.asarray(got == want, dtype=bool))
                if bad.size:
                    rows = np.flatnonzero(fixed)[bad]
                    raise error(f"{what} row(s) {rows[:5].tolist()}: column {h.name!r} is given as "
                                f"{want[bad[0]]!r}, but the given {root!r} ({frame[root].iloc[rows[0]]!r}) "
                                f"determines {h.name!r} = {got[bad[0]]!r}; give one of them, or values "
                                "that agree")
        free_rows = np.flatnonzero(~fixed)
        if not free_rows.size:
            continue
        # the root's levels (category codes or the discrete support), then the missing root
        if cm.coded:
            cats = list(cm.column.categories or [])
            probe = pd.Series(cats + [None], dtype=object)
            x = np.arange(len(cats), dtype=float)
        else:
            support = np.asarray(getattr(cm.marginal, "support", []), dtype=float)
            probe = pd.Series(np.append(support, np.nan), dtype=float)
            x = support
        k = x.size
        if not k:  # no levels to list: the drawn rows are checked
            for h in hs:
                match[h.name][free_rows] = labels[h.name][free_rows]
            continue
        a = np.asarray(cm.marginal.cdf_left(x), dtype=float)
        b = np.asarray(cm.marginal.cdf(x), dtype=float)
        positive = b > a
        pi = float(cm.column.null_fraction)
        derived = derive_columns(pd.DataFrame({root: probe}), chain)
        # per given column, each row's label as an index among the labels the levels derive
        keys = np.full((free_rows.size, len(hs)), -1, dtype=np.int64)
        level_keys = []
        for t, h in enumerate(hs):
            lab, uniq = pd.factorize(derived[h.name].astype(object), use_na_sentinel=False)
            level_keys.append(np.asarray(lab, dtype=np.int64))
            want = labels[h.name][free_rows]
            idx = pd.Index(uniq, dtype=object).get_indexer(want)
            keys[:, t] = np.where(pd.isna(want), -1, np.where(idx < 0, -2, idx))
        combos, inverse = np.unique(keys, axis=0, return_inverse=True)
        inverse = np.asarray(inverse).ravel()
        for c, combo in enumerate(combos):
            if (combo == -1).all():
                continue
            rows = free_rows[inverse == c]
            allowed = np.ones(k + 1, dtype=bool)
            for t, key in enumerate(combo):
                if key != -1:
                    allowed &= level_keys[t] == key
            lv = allowed[:k] & positive
            with_missing = bool(allowed[k]) and pi > 0
            if not lv.any() and not with_missing:
                shown = {h.name: labels[h.name][rows[0]] for h in hs if labels[h.name][rows[0]] is not None}
                raise error(f"{what} value(s) {shown} have probability 0 under the model: no level of "
                            f"{root!r} that determines them occurs; give values the model can take")
            if not lv.any():  # only a missing root gives the label: the root is missing
                dim = lay.get(j, j)
                lower[rows, dim], upper[rows, dim] = 0.0, pi
                continue
            lo, hi = float(a[lv].min()), float(b[lv].max())
            mid = (a + b) / 2
            inside = ~allowed[:k] & positive & (mid > lo) & (mid < hi)
            if with_missing or inside.any():  # not one interval: drawn rows are checked instead
                for h in hs:
                    match[h.name][rows] = labels[h.name][rows]
                continue
            if j in lay:
                lower[rows, j], upper[rows, j] = lo, hi
                lower[rows, lay[j]], upper[rows, lay[j]] = pi, 1.0
            else:
                lower[rows, j], upper[rows, j] = pi + (1.0 - pi) * lo, pi + (1.0 - pi) * hi
    return {c: v for c, v in match.items() if pd.notna(v).any()}


# --------------------------------------------------------------------- rules
def _rule_set(model: Any, rules: Any) -> Any:
    """The model's rules and ``rules`` compiled together (None when there are none)."""
    if isinstance(rules, (str, dict)):
        rules = [rules]
    specs = list(model.rules or []) + list(rules or [])
    return compiled_rules(model, specs) if specs else None


# ------------------------------------------------------------------- drawing
def _screen(model: Any, ev: Evidence, values: list[np.ndarray], rs: Any, rng: np.random.Generator,
            counts: BlockCounts) -> tuple[np.ndarray, pd.DataFrame]:
    """Which drawn rows (modelled ``values`` of the rows of ``ev``) pass the determined columns'
    labels and the rules, and their frame with the derived columns; ``counts`` adds them up."""
    frame = values_to_frame(model, values)
    keep = ev.matches(frame)
    passed = {_MATCH: int(keep.sum())} if ev.match else {}
    if rs is not None:
        outcome = rs.apply(frame, rng)
        keep &= np.asarray(outcome.keep, dtype=bool)
        passed.update(outcome.passed)
        frame = outcome.frame
    counts.add(BlockCounts(len(keep), int(keep.sum()), 1, passed))
    return keep, frame


#: The text counting the drawn rows whose determined columns have their given labels.
_MATCH = "determined columns == their given labels"


def _copies(pending: int, draws: int, counts: BlockCounts, first: BlockCounts) -> int:
    """Draws of each failing row in the next round (module docstring)."""
    seen = counts if counts.drawn else first
    q = (seen.accepted + 0.5) / (seen.drawn + 1.0)
    p = min(q, 1.0 / (draws + 1.0))
    k = min(math.ceil(2.0 / p), 8 * draws, ROUND_MAX_ROWS // pending, VERDICT_ROWS - draws)
    return max(int(k), 1)


def _block_frame(model: Any, ev: Evidence, root: np.random.SeedSequence, b: int, rs: Any) -> pd.DataFrame:
    """Block ``b``'s rows (internal names): drawn given ``ev``; rows failing ``rs`` or the given
    labels of determined columns redrawn in rounds (module docstring)."""
    rows = len(ev)
    values = ev.draw(model, block_generator(root, b)) + generated_values(model, b, root, np.arange(rows))
    if rs is None and not ev.match:
        return values_to_frame(model, values)
    d = len(model.columns_)
    derived = derived_names(rs) if rs is not None else []
    first, counts = BlockCounts(passed={}), BlockCounts(passed={})
    keep, frame = _screen(model, ev, values[:d], rs, child_generator(root, b, RULES_STREAM, 0), first)
    extra = [frame.loc[keep, derived].set_axis(np.flatnonzero(keep))] if derived else []
    pending = np.flatnonzero(~keep)
    draws = 1  # draws each pending row has had
    while pending.size:
        why = None
        if draws >= VERDICT_ROWS:
            why = f"{draws:,} draws of each of these rows accepted none"
        elif counts.drawn >= VERDICT_ROWS and counts.accepted < MIN_ACCEPTANCE * counts.drawn:
            why = f"below the least usable share, {MIN_ACCEPTANCE:g}"
        elif counts.rounds >= MAX_ROUNDS:
            why = f"{MAX_ROUNDS} rounds of redraws"
        if why is not None:
            raise _given_up(rs, ev, counts if counts.drawn else first, why, b, pending)
        k = _copies(pending.size, draws, counts, first)
        idx = np.repeat(pending, k)
        sub = ev.take(idx)
        r = counts.rounds + 1
        new = sub.draw(model, child_generator(root, b, REDRAW_STREAM, r))
        keep, frame = _screen(model, sub, new, rs, child_generator(root, b, RULES_STREAM, r), counts)
        hits = keep.reshape(pending.size, k)
        done = hits.any(axis=1)
        pick = (np.arange(pending.size) * k + hits.argmax(axis=1))[done]
        for j in range(d):
            values[j][pending[done]] = new[j][pick]
        if derived:
            extra.append(frame.iloc[pick][derived].set_axis(pending[done]))
        pending = pending[~done]
        draws += k
    out = values_to_frame(model, values)
    if derived:
        table = pd.concat(extra).sort_index()
        for c in derived:
            out[c] = table[c].array
    return out


def _given_up(rs: Any, ev: Evidence, counts: BlockCounts, why: str, b: int, pending: np.ndarray) -> RuleError:
    """The error of rows no draw of which passes, naming what rejects most."""
    first = (b * BLOCK_ROWS + pending[:5]).tolist()
    checks = (_MATCH,) if ev.match else ()
    what = " and ".join((["the rules"] if rs is not None else [])
                        + ([f"the given labels of {list(ev.match)}"] if ev.match else []))
    return RuleError(
        f"{pending.size} row(s) (first output rows {first}) found no draw passing {what} given their "
        f"values; over their redraws {rejection_summary(rs, counts, why, checks)}. Check those rows' "
        "given values against the rules and hierarchies, or loosen the rule that rejects most")


def _confine_to_bounds(model: Any, ev: Evidence, rs: Any) -> None:
    """Hard rules bounding one column (``age >= 18``) become evidence: each row's uniform is
    confined to the bound's interval (the engine's, rounding cells and clip limits included),
    intersected with the row's own evidence; exact conditioning instead of redraws. A row whose
    evidence lies outside the bound keeps it (the rules then reject its draws)."""
    bound_rules = [r for r in rs.hard if getattr(r, "is_bound", False)] if rs is not None else []
    if not bound_rules:
        return
    given, _ = _bound_intervals(model, rs, bound_rules, set(derived_names(rs)))
    if given is None:
        return
    for k in np.flatnonzero(~np.isnan(given[0])):
        lo = np.fmax(ev.lower[:, k], given[0][k])
        hi = np.fmin(ev.upper[:, k], given[1][k])
        ok = (lo < hi) | ((ev.lower[:, k] == ev.upper[:, k]) & (lo == hi))  # (a given point inside)
        ev.lower[ok, k], ev.upper[ok, k] = lo[ok], hi[ok]


def _draw_frame(model: Any, ev: Evidence, root: np.random.SeedSequence, rs: Any) -> pd.DataFrame:
    """All rows of ``ev`` in blocks of ``BLOCK_ROWS`` (internal names, RangeIndex)."""
    _confine_to_bounds(model, ev, rs)
    n = len(ev)
    check_rows_memory(n, n_output_columns(model) + len(ev.write))
    frames = [_block_frame(model, ev.take(slice(s, min(s + BLOCK_ROWS, n))), root, b, rs)
              for b, s in enumerate(range(0, n, BLOCK_ROWS))]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


# ----------------------------------------------------------------- weights
def replicates(weights: Any, n: int) -> np.ndarray:
    """Copies of each row for non-negative weights: systematic (cumulative) rounding.

    ``c_i = round(W_i) - round(W_{i-1})`` with ``W_i`` the running sum, so the copies
    total ``round(sum(w))`` and no row is more than one copy from its weight.

    Examples
    --------
    >>> replicates([0.4, 0.4, 1.7, 0.5], 4).tolist()
    [0, 1, 2, 0]
    """
    w = np.asarray(weights, dtype=float) if not isinstance(weights, pd.Series) else \
        pd.to_numeric(weights, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if w.shape != (n,):
        raise SpecError(f"`weights` must give one weight per row ({n}), got shape {w.shape}")
    if not np.all(np.isfinite(w)) or (w < 0).any():
        bad = np.flatnonzero(~np.isfinite(w) | (w < 0))[:5].tolist()
        raise DataError(f"`weights` must be finite and non-negative, not at rows {bad}")
    total = np.floor(np.cumsum(w) + 0.5)
    counts = np.diff(np.concatenate([[0.0], total])).astype(np.int64)
    if counts.sum() == 0:
        raise DataError(f"`weights` round to no rows at all (sum {w.sum():.3g}); give weights summing "
                        "to at least 0.5")
    return counts


# -------------------------------------------------------------------- public
def _names_of(model: Any) -> tuple[list[str], dict[str, Any]]:
    """The whole table's internal names (modelled and generated) and their labels."""
    schema = model.schema
    return list(schema.names), schema.labels()


def extend(model: Any, real: pd.DataFrame, columns: list | None = None, *, seed: SeedLike = None,
           rules: Any = None, weights: Any = None) -> SyntheticDataset:
    """Complete the rows of ``real`` with the model's other columns, drawn given each row's values.

    Each real row's given cells are its evidence (see the module docstring): a value
    pins or bounds its column's latent uniform, a missing cell of a column that can
    be missing says it is missing; the other columns (or only ``columns``) are drawn
    from the model's conditional distribution given that evidence, row by row.

    Parameters
    ----------
    model : Strategy
        A fitted or declared model with ``supports_conditions``.
    real : DataFrame
        Real rows holding some of the model's columns (their kinds checked, unseen
        categories refused with :class:`~synthkit.errors.DataError`).
    columns : list, optional
        The columns to draw (default: every column of the model ``real`` lacks).
    seed : None, int, SeedSequence or Generator
    rules : list, optional
        Rules (with the model's own) the completed rows must satisfy: rows breaking
        them get their drawn columns redrawn, in rounds sized by the acceptance rate (module
        docstring); a :class:`~synthkit.errors.RuleError` names the rule that rejects most
        when they accept less than the engine's ``MIN_ACCEPTANCE``.
    weights : str or array-like, optional
        Replication weights: a column of ``real`` (left out of the output unless a
        model column) or one value per row; row ``i`` appears ``c_i`` times
        (:func:`replicates`), each copy drawn on its own.

    Returns
    -------
    SyntheticDataset
        Real rows in order with their index (repeated for weights), the given
        columns verbatim, then the drawn ones, in the table's column order.

    Examples
    --------
    >>> import numpy as np, pandas as pd, synthkit
    >>> m = synthkit.declare({"a": {"distribution": "normal"}, "b": {"distribution": "normal"}},
    ...                      correlation=[[1, .9], [.9, 1]])
    >>> out = extend(m, pd.DataFrame({"a": [2.0] * 2000}), seed=0).frame
    >>> round(float(out["b"].mean()), 1)
    1.8
    """
    _check_model(model, "`extend`")
    real = check_frame(real, what="the real table")
    table, labels = _names_of(model)
    generated = {g.name for g in getattr(model, "generated_", None) or []}
    counts = None
    if weights is not None:
        if isinstance(weights, str) or (np.ndim(weights) == 0 and weights in real.columns):
            if weights not in real.columns:
                raise SpecError(f"`weights` names {weights!r}, not a column of the real table "
                                f"{[str(c) for c in real.columns]}")
            counts = replicates(real[weights], len(real))
            if str(weights) not in table:
                real = real.drop(columns=[weights])
        else:
            counts = replicates(weights, len(real))
    given = {str(c): c for c in real.columns}
    unknown = [c for c in given if c not in table]
    if unknown:
        raise DataError(f"the real table's column(s) {unknown} are not columns of the model {table}; "
                        "drop them (or fit the model on a table that has them)")
    drawn_pool = [c for c in table if c not in given]
    rs = _rule_set(model, rules)
    new_cols = [c for c in derived_names(rs) if c not in table] if rs is not None else []
    if columns is None:
        targets = drawn_pool + new_cols
    else:
        if isinstance(columns, str):
            columns = [columns]
        targets = [str(c) for c in columns]
        bad = [c for c in targets if c not in drawn_pool + new_cols]
        if bad:
            already = [c for c in bad if c in given]
            raise SpecError(f"`columns` {bad} " + (
                f"are already in the real table ({already}); list only columns to draw"
                if already else f"are not columns of the model; choose among {drawn_pool + new_cols}"
                if drawn_pool + new_cols else "are not columns of the model, and the real table already "
                "has every column of the model: there is nothing to draw"))
    if not targets:
        raise SpecError("nothing to draw: the real table already has every column of the model")
    modelled = real[[given[c] for c in given if c not in generated]].rename(columns=str)
    ev = evidence(model, modelled, missing_is_evidence=True, strict=False, error=DataError,
                  what="the real table's")
    rows = np.arange(len(real))
    if counts is not None:
        rows = np.repeat(rows, counts)
        ev = ev.take(rows)
    root = as_seed_sequence(seed)
    frame = _draw_frame(model, ev, root, rs)
    index = real.index[rows]
    out = {}
    for c in [c for c in table if c in given or c in targets] + [c for c in new_cols if c in targets]:
        if c in given:
            out[given[c]] = real[given[c]].iloc[rows].array
        else:
            out[labels.get(c, c)] = frame[c].array
    result = pd.DataFrame(out, index=index)
    prov = _document.provenance(model, len(result), root, None)
    prov["extend"] = {"rows": int(len(real)), "given": list(given), "drawn": targets,
                      "weights": None if counts is None else int(counts.sum())}
    return SyntheticDataset(result, model.schema, prov)


def sample_table(model: Any, conditions: Any, n: Any = None, seed: SeedLike = None, *,
                 counts: Any = None) -> SyntheticDataset:
    """Draw one row per row of a conditions table (``counts`` rows each), given its values.

    A cell holds a value of its column (NaN: unconstrained); categories, booleans and
    continuous values are written back exactly. No rejection for the copula strategies.

    Parameters
    ----------
    model : Strategy
        A fitted or declared model with ``supports_conditions``.
    conditions : DataFrame
        Columns of the model; values they can take.
    n : int, optional
        Total rows; must equal ``len(conditions)`` (or ``sum(counts)``) when given.
    seed : None, int, SeedSequence or Generator
    counts : array-like or str, optional
        Rows per condition row (non-negative integers), or the name of a column of
        ``conditions`` holding them.

    Examples
    --------
    >>> import pandas as pd, synthkit
    >>> m = synthkit.declare({"x": {"distribution": "normal"}, "c": {"categories": ["a", "b"]}})
    >>> out = sample_table(m, pd.DataFrame({"c": ["a", "b"]}), seed=0, counts=[2, 1]).frame
    >>> out["c"].tolist()
    ['a', 'a', 'b']
    """
    if not isinstance(conditions, pd.DataFrame):
        raise SpecError("`counts` applies to a conditions table: pass `conditions` as a DataFrame "
                        f"(one row per condition), got {type(conditions).__name__}")
    _check_model(model, "a conditions table")
    if len(conditions) == 0:
        raise SpecError("the conditions table has no rows")
    table = conditions
    if counts is not None:
        if isinstance(counts, str) or (np.ndim(counts) == 0 and counts in table.columns):
            if counts not in table.columns:
                raise SpecError(f"`counts` names {counts!r}, not a column of the conditions table")
            reps, table = table[counts], table.drop(columns=[counts])
        else:
            reps = counts
        reps = np.asarray(pd.to_numeric(pd.Series(np.asarray(reps).ravel()), errors="coerce"), dtype=float)
        if reps.shape != (len(table),) or not np.all(np.isfinite(reps)) or (reps < 0).any() or \
                not np.all(reps == np.round(reps)):
            raise SpecError(f"`counts` must be one non-negative integer per condition row ({len(table)}), "
                            f"got {np.asarray(counts).ravel()[:5].tolist()}...")
        reps = reps.astype(np.int64)
    else:
        reps = np.ones(len(table), dtype=np.int64)
    total = int(reps.sum())
    if total == 0:
        raise SpecError("`counts` ask for no rows at all")
    if n is not None and check_n(n) != total:
        raise SpecError(f"`n` ({n}) must equal the rows the conditions table asks for ({total}: "
                        f"{'sum(counts)' if counts is not None else 'one per condition row'}), or be omitted")
    names = {str(c): c for c in table.columns}
    check_not_generated(model, list(names), "the conditions table")
    known = list(model.schema_.names) + [h.name for h in getattr(model, "hierarchies_", None) or []]
    unknown = [c for c in names if c not in known]
    if unknown:
        raise SpecError(f"the conditions table names unknown column(s) {unknown}; the model's columns "
                        f"are {known}")
    frame = table.rename(columns=str)
    if frame.columns.duplicated().any():
        raise SpecError("the conditions table has duplicate column names")
    ev = evidence(model, frame, missing_is_evidence=False, strict=True)
    ev = ev.take(np.repeat(np.arange(len(table)), reps))
    root = as_seed_sequence(seed)
    out = _draw_frame(model, ev, root, _rule_set(model, None))
    prov = _document.provenance(model, len(out), root, None)
    prov["conditions_table"] = {"rows": int(len(table)), "columns": list(names)}
    schema = model.schema
    return SyntheticDataset(schema.relabel(out), schema, prov)
