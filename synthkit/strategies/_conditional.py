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

Seeding follows the engine: output row ``i`` lies in block ``i // BLOCK_ROWS``,
drawn from :func:`~synthkit.seeding.block_generator` ``(root, b)``; rows breaking
the rules are redrawn, only they, from the generator of key
``(b, REDRAW_STREAM, r)`` in round ``r``, so the same seed gives the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..dataset import SyntheticDataset
from ..errors import DataError, RuleError, SpecError
from ..schema import check_frame
from ..seeding import BLOCK_ROWS, SeedLike, as_seed_sequence, block_generator, child_generator
from . import _document
from ._engine import (
    check_n,
    check_rows_memory,
    compiled_rules,
    missing_layout,
    n_output_columns,
    values_from_uniforms,
    values_to_frame,
)
from ._generated import check_not_generated, generated_values

__all__ = ["extend", "sample_table", "evidence", "Evidence", "replicates", "REDRAW_STREAM", "MAX_REDRAWS"]

#: Key (under a block) of the generators redrawing rows that break the rules.
REDRAW_STREAM = 2**31 - 11
#: Key (under a block) of the generators of the rules' own draws (soft rules, noise).
RULES_STREAM = 2**31 - 13
#: Most redraw rounds of the rows breaking the rules.
MAX_REDRAWS = 100
#: Uniform bounds are kept in [U_MIN, 1 - U_MIN] (as the distributional transform's).
U_MIN = 1e-12


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

    able = [n for n in available_strategies() if getattr(get_strategy(n), "supports_given", False)]
    return (f"the {model.name!r} strategy cannot draw rows given each row's own values (`extend`, "
            f"a conditions table); strategies that can: {able}")


def _check_model(model: Any, what: str) -> None:
    if not getattr(model, "supports_given", False):
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
    match = {}
    for h in getattr(model, "hierarchies_", None) or []:
        if h.name not in frame.columns:
            continue
        given = frame[h.name].to_numpy(dtype=object)
        levels = pd.Index([v for v in h.values if v is not None])
        bad = ~pd.isna(given) & ~pd.Index(given).isin(levels)
        if bad.any():
            vals = sorted({str(v) for v in given[bad]})
            raise error(f"{what} column {h.name!r}: value(s) {vals[:10]} are not among the levels "
                        f"{sorted(set(map(str, levels)))[:20]} it takes (it is determined by {h.by!r})")
        match[h.name] = given
    return Evidence(lower, upper, write, match)


# --------------------------------------------------------------------- rules
def _rule_set(model: Any, rules: Any) -> Any:
    """The model's rules and ``rules`` compiled together (None when there are none)."""
    if isinstance(rules, (str, dict)):
        rules = [rules]
    specs = list(model.rules or []) + list(rules or [])
    return compiled_rules(model, specs) if specs else None


def _rule_texts(rs: Any) -> list[str]:
    return [r.text for r in rs.hard] + [r.text for r, _ in rs.soft]


def _derived_names(rs: Any) -> list[str]:
    return list(dict.fromkeys(str(dv.name) for dv in rs.derived))


# ------------------------------------------------------------------- drawing
def _block_frame(model: Any, ev: Evidence, root: np.random.SeedSequence, b: int, rs: Any) -> pd.DataFrame:
    """Block ``b``'s rows (internal names): drawn given ``ev``; rows breaking ``rs`` redrawn."""
    rows = len(ev)
    values = ev.draw(model, block_generator(root, b)) + generated_values(model, b, root, np.arange(rows))
    if rs is None and not ev.match:
        return values_to_frame(model, values)
    d = len(model.columns_)
    derived = _derived_names(rs) if rs is not None else []
    pending = np.arange(rows)
    parts: list[pd.DataFrame] = []
    for r in range(MAX_REDRAWS + 1):
        if r:
            new = ev.take(pending).draw(model, child_generator(root, b, REDRAW_STREAM, r))
            for j in range(d):
                values[j][pending] = new[j]
        part = values_to_frame(model, [v[pending] for v in values])
        keep = ev.take(pending).matches(part)
        if rs is not None:
            outcome = rs.apply(part, child_generator(root, b, RULES_STREAM, r))
            keep &= np.asarray(outcome.keep, dtype=bool)
        if derived:
            parts.append(outcome.frame.loc[keep, derived].set_axis(pending[keep]))
        pending = pending[~keep]
        if not pending.size:
            break
    else:
        first = (b * BLOCK_ROWS + pending[:5]).tolist()
        what = [f"rules {_rule_texts(rs)}"] if rs is not None else []
        what += [f"the given values of the determined column(s) {list(ev.match)}"] if ev.match else []
        raise RuleError(
            f"{pending.size} row(s) still break {' and '.join(what)} after {MAX_REDRAWS} redraws of "
            f"their drawn columns (first output rows {first}); their given values cannot satisfy "
            "them: check those rows against the rules and hierarchies")
    frame = values_to_frame(model, values)
    if derived:
        extra = pd.concat(parts).sort_index()
        for c in derived:
            frame[c] = extra[c].array
    return frame


def _confine_to_bounds(model: Any, ev: Evidence, rs: Any) -> None:
    """Hard rules bounding one drawn column (``age >= 18``) become evidence: its uniform is confined
    to the bound's interval (the engine's, rounding cells included), exact conditioning instead of
    redraws. Given columns keep their own evidence (the rules then only check them)."""
    bound_rules = [r for r in rs.hard if getattr(r, "is_bound", False)] if rs is not None else []
    if not bound_rules:
        return
    from ._engine import _bound_intervals

    given, _ = _bound_intervals(model, rs, bound_rules, set(_derived_names(rs)))
    if given is None:
        return
    lay = missing_layout(model)
    for j in range(len(model.columns_)):
        if j in ev.write:
            continue
        for k in [j] + ([lay[j]] if j in lay else []):
            if not np.isnan(given[0][k]):
                ev.lower[:, k], ev.upper[:, k] = given[0][k], given[1][k]


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
        A fitted or declared model with ``supports_given``.
    real : DataFrame
        Real rows holding some of the model's columns (their kinds checked, unseen
        categories refused with :class:`~synthkit.errors.DataError`).
    columns : list, optional
        The columns to draw (default: every column of the model ``real`` lacks).
    seed : None, int, SeedSequence or Generator
    rules : list, optional
        Rules (with the model's own) the completed rows must satisfy: rows breaking
        them get their drawn columns redrawn, at most :data:`MAX_REDRAWS` times.
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
    new_cols = [c for c in _derived_names(rs) if c not in table] if rs is not None else []
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
        A fitted or declared model with ``supports_given``.
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
