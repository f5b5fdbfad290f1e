"""Hierarchies: columns determined by another column, detected at fit time and kept exactly.

Real tables often hold *functional dependencies*: an occupation code determines
its occupation group, a product its category, a postcode its city. A copula
cannot keep such a map: it would have to put every code's probability interval
inside its group's, for every pair of columns at once, and sampling noise
breaks it anyway. Instead the coarser column leaves the modelled table, the
finer one is modelled and sampled, and the coarser one is derived from it by the
stored level map (``model.schema.describe()`` shows it as "determined by code").

Detection (``hierarchies="auto"``)
----------------------------------
Column ``B`` is *determined by* column ``A`` when, on the (protected) table of
``n`` rows, ``A``'s majority map ``m(a) = argmax_b n(a, b)`` disagrees with at most

    d(A -> B) = n - sum_a max_b n(a, b)  <=  TOLERANCE * n          (1% of the rows)

rows, and with at most half as many rows as the trivial map to ``B``'s most common
level (``d <= (n - max_b n(b)) / 2``: a nearly constant ``B`` is not "determined"
by everything). Missing values count as a level of either column. Those
disagreeing rows are the noise: sampled rows take the majority value. Only

* ``B`` categorical, boolean or integer-coded (discrete) with at least two values,
  never continuous;
* ``A`` categorical or integer-coded with more levels than ``B``, at least three, and
  at most ``n / 2`` (a column unique per row, an identifier, determines everything
  and is never used; nor is a column whose role is ``identifier``).

Among the columns that determine ``B`` the one with the fewest levels is its
determinant (its nearest parent), so chains ``a -> b -> c`` are kept as such and
derived in order. Levels strictly decrease along a chain: there are no cycles.

The map is built on the protected frame (levels held by fewer than ``min_count``
rows are already merged by the privacy protections) and holds only level -> level
pairs of levels the column models store anyway: no counts, no record.

``hierarchies=None`` turns detection off; ``hierarchies={"group": "code"}`` declares
the pairs (``determined: determinant``) instead (majority map, no tolerance check).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ModelFileError, SpecError, SynthkitError

__all__ = ["Hierarchy", "TOLERANCE", "detect_hierarchies", "fit_hierarchies", "derive_columns",
           "insert_columns", "hierarchies_to_dict", "hierarchies_from_dict", "check_hierarchies_param",
           "descendant_groups", "split_determined", "declared_hierarchies", "insert_schema_columns",
           "check_not_determined", "determined_levels"]

#: Largest share of rows that may disagree with a detected hierarchy's majority map.
TOLERANCE = 0.01
#: Largest product of the two columns' level counts tabulated densely.
_DENSE_CELLS = 4_000_000
_DETERMINED_KINDS = ("categorical", "boolean", "integer")
_DETERMINANT_KINDS = ("categorical", "integer")


@dataclass(frozen=True)
class Hierarchy:
    """A determined column: its model, its determinant and the level map.

    ``model`` is the determined column's :class:`~synthkit.columns.ColumnModel`
    (its ``column.determined_by`` is ``by``), kept for typing sampled values;
    ``position`` its index in the modelled table; ``keys`` the determinant's levels
    (labels, or numbers for an integer column) and ``values`` the determined level of
    each (None: missing); ``missing`` the level where the determinant is missing.
    """

    model: Any
    by: str
    position: int
    keys: list
    values: list
    missing: Any = None

    @property
    def name(self) -> str:
        return self.model.name

    def derive(self, determinant: pd.Series) -> pd.Series:
        """The determined column of sampled ``determinant`` values (vectorised lookup)."""
        idx = _key_index(determinant, self.keys)
        col = self.model.column
        table = list(self.values) + [self.missing]
        if self.model.coded:
            cats = list(col.categories or [])
            lookup = np.array([-1 if v is None else cats.index(v) for v in table], dtype=np.int64)
        else:
            lookup = np.array([np.nan if v is None else float(v) for v in table], dtype=float)
        return self.model.series_from_values(lookup[idx]).set_axis(determinant.index)

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.model.to_dict(), "by": self.by, "position": self.position,
                "map": [[k, v] for k, v in zip(self.keys, self.values, strict=True)],
                "missing": self.missing}


def _key_index(series: pd.Series, keys: list) -> np.ndarray:
    """Index of each value among ``keys``; ``len(keys)`` for missing values and unknown levels.

    Numeric keys (an integer-coded determinant) take the nearest key, the lower one on a tie: a
    strategy whose marginals are continuous (``cholesky``) draws codes between the real ones,
    and the most common level would map every such code to one group.
    """
    numeric = len(keys) > 0 and all(isinstance(k, (int, float)) and not isinstance(k, bool) for k in keys)
    types = pd.api.types
    if numeric and types.is_numeric_dtype(series.dtype) and not types.is_bool_dtype(series.dtype):
        karr = np.asarray(keys, dtype=float)
        order = np.argsort(karr, kind="stable")
        sk = karr[order]
        x = series.to_numpy(dtype=float, na_value=np.nan)
        pos = np.searchsorted(sk, x)
        lo, hi = np.clip(pos - 1, 0, sk.size - 1), np.clip(pos, 0, sk.size - 1)
        with np.errstate(invalid="ignore"):
            nearest = np.where(np.abs(x - sk[lo]) <= np.abs(sk[hi] - x), lo, hi)
        return np.where(np.isnan(x), len(keys), order[nearest])
    if isinstance(series.dtype, pd.CategoricalDtype) and list(series.cat.categories) == list(keys):
        codes = series.cat.codes.to_numpy().astype(np.int64)
        return np.where(codes < 0, len(keys), codes)
    idx = pd.Index(keys, dtype=object).get_indexer(series.to_numpy(dtype=object))
    idx[series.isna().to_numpy()] = -1
    return np.where(idx < 0, len(keys), idx)


def _factorize(series: pd.Series) -> tuple[np.ndarray, pd.Index]:
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques)


def _majority(a: np.ndarray, ka: int, b: np.ndarray, kb: int) -> tuple[int, np.ndarray]:
    """Rows agreeing with ``a``'s majority map to ``b``, and that map (``b`` code per ``a`` code)."""
    if ka * kb <= _DENSE_CELLS:
        table = np.bincount(a * kb + b, minlength=ka * kb).reshape(ka, kb)
        return int(table.max(axis=1).sum()), table.argmax(axis=1)
    key, counts = np.unique(a * kb + b, return_counts=True)
    ua, ub = key // kb, key % kb
    first = np.lexsort((ub, -counts, ua))
    ua, ub, counts = ua[first], ub[first], counts[first]
    head = np.ones(ua.size, dtype=bool)
    head[1:] = ua[1:] != ua[:-1]
    out = np.zeros(ka, dtype=np.int64)
    out[ua[head]] = ub[head]
    return int(counts[head].sum()), out


def detect_hierarchies(frame: pd.DataFrame, schema: Any, *, tolerance: float = TOLERANCE,
                       protect: Sequence[str] = ()) -> dict[str, str]:
    """``{determined column: its determinant}`` of ``frame`` (see the module docstring).

    ``protect`` names columns never determined (a stratification column).

    Examples
    --------
    >>> from synthkit.schema import infer_schema
    >>> df = pd.DataFrame({"code": list("abcdef") * 10, "group": list("xxyyzz") * 10})
    >>> detect_hierarchies(df, infer_schema(df))
    {'group': 'code'}
    """
    n = len(frame)
    if n < 2:
        return {}
    cols = [c for c in schema if c.kind in _DETERMINED_KINDS]
    codes = {c.name: _factorize(frame[c.name]) for c in cols}
    levels = {name: len(u) for name, (_, u) in codes.items()}
    nonnull = {name: int(u.notna().sum()) for name, (_, u) in codes.items()}
    determinants = [c.name for c in cols if c.kind in _DETERMINANT_KINDS and c.role != "identifier"
                    and nonnull[c.name] >= 3 and levels[c.name] <= n / 2]
    found: dict[str, tuple[int, int, int, str]] = {}
    for c in cols:
        if c.name in protect or nonnull[c.name] < 2:
            continue
        b, kb = codes[c.name][0], levels[c.name]
        base = n - int(np.bincount(b, minlength=kb).max())
        limit = min(tolerance * n, base / 2)
        for i, a_name in enumerate(determinants):
            ka = levels[a_name]
            if a_name == c.name or ka <= kb:
                continue
            agree, _ = _majority(codes[a_name][0], ka, b, kb)
            d = n - agree
            if d <= limit:
                rank = (ka, d, i, a_name)
                if c.name not in found or rank < found[c.name]:
                    found[c.name] = rank
    return {name: rank[3] for name, rank in found.items()}


def check_hierarchies_param(value: Any) -> None:
    """Refuse a ``hierarchies`` parameter that is not ``"auto"``, None or ``{determined: determinant}``."""
    if value is None or value == "auto":
        return
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in value.items()):
        raise SpecError(f"`hierarchies` must be 'auto', None or a dict {{determined column: determining "
                        f"column}} such as {{'group': 'code'}}, got {value!r}")


def declared_hierarchies(frame: pd.DataFrame, schema: Any, declared: Mapping[str, str]) -> dict[str, str]:
    """Check the user's ``{determined: determinant}`` pairs against the table."""
    names = schema.names
    for col, by in declared.items():
        for c in (col, by):
            if c not in names:
                raise SpecError(f"`hierarchies` names unknown column {c!r}; columns are {names}")
        if col == by:
            raise SpecError(f"`hierarchies`: column {col!r} cannot determine itself")
        kc, kb = schema[col].kind, schema[by].kind
        if kc not in _DETERMINED_KINDS:
            raise SpecError(f"`hierarchies`: {col!r} is a {kc} column; only categorical, boolean or "
                            "integer-coded columns can be determined by another one")
        if kb not in _DETERMINANT_KINDS:
            raise SpecError(f"`hierarchies`: {by!r} is a {kb} column; a determining column must be "
                            "categorical or integer-coded")
        lc, lb = frame[col].nunique(dropna=False), frame[by].nunique(dropna=False)
        if lb <= lc:
            raise SpecError(f"`hierarchies`: {by!r} has {lb} levels, not more than {col!r} ({lc}); "
                            "the determining column must be the finer one")
        if lb > len(frame) / 2:
            raise SpecError(f"`hierarchies`: {by!r} is nearly unique per row ({lb} levels in "
                            f"{len(frame)} rows); an identifier cannot determine a column")
    return dict(declared)


def _derivation_order(pairs: Mapping[str, str], frame: pd.DataFrame) -> list[str]:
    """The determined columns, determinants before the columns they determine."""
    return sorted(pairs, key=lambda c: (-frame[c].nunique(dropna=False), c))


def _label(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
        return None
    return v.item() if isinstance(v, np.generic) else v


def fit_hierarchies(frame: pd.DataFrame, pairs: Mapping[str, str],
                    models: Mapping[str, Any]) -> list[Hierarchy]:
    """The :class:`Hierarchy` of each ``{determined: determinant}`` pair, in derivation order.

    ``models`` are the fitted column models by name (the determined columns'
    ``column.determined_by`` is set here); the maps are the majority maps of ``frame``.
    """
    names = [str(c) for c in frame.columns]
    out = []
    for col in _derivation_order(pairs, frame):
        by = pairs[col]
        a, ua = _factorize(frame[by])
        b, ub = _factorize(frame[col])
        _, major = _majority(a, len(ua), b, len(ub))
        fallback = _label(frame[col].mode(dropna=False).iloc[0])
        det = models[by].column
        if det.kind == "categorical":
            keys = [_label(k) for k in det.categories or []]
        else:
            keys = sorted(float(k) for k in ua if _label(k) is not None)
        seen = {_label(k): _label(ub[major[i]]) for i, k in enumerate(ua)}
        values = [seen.get(k, fallback) for k in keys]
        missing = seen.get(None, fallback)
        cm = models[col]
        cm.column.determined_by = by
        if cm.column.kind == "boolean":
            values = [None if v is None else bool(v) for v in values]
            missing = None if missing is None else bool(missing)
        out.append(Hierarchy(cm, by, names.index(col), keys, values, missing))
    return out


def derive_columns(frame: pd.DataFrame, hierarchies: Sequence[Hierarchy]) -> dict[str, pd.Series]:
    """The determined columns of a sampled ``frame`` (derived in order: chains work)."""
    derived: dict[str, pd.Series] = {}
    for h in hierarchies:
        source = derived[h.by] if h.by in derived else frame[h.by]
        derived[h.name] = h.derive(source)
    return derived


def insert_columns(frame: pd.DataFrame, hierarchies: Sequence[Hierarchy]) -> pd.DataFrame:
    """``frame`` (the modelled columns) with the determined columns at their places."""
    if not hierarchies:
        return frame
    derived = derive_columns(frame, hierarchies)
    order = list(frame.columns)
    for h in sorted(hierarchies, key=lambda h: h.position):
        order.insert(min(h.position, len(order)), h.name)
    return pd.concat([frame, pd.DataFrame(derived, index=frame.index)], axis=1)[order]


def insert_schema_columns(columns: list, hierarchies: Sequence[Hierarchy]) -> list:
    """The modelled schema's columns with the determined ones at their places."""
    out = list(columns)
    for h in sorted(hierarchies, key=lambda h: h.position):
        out.insert(min(h.position, len(out)), h.model.column)
    return out


def descendant_groups(hierarchies: Sequence[Hierarchy],
                      models: Mapping[str, Any]) -> dict[str, list[np.ndarray]]:
    """Per modelled determining column, the group id of each of its codes in every column it
    determines (directly or down a chain), coarsest first: the groups the level order keeps whole."""
    by_name = {h.name: h for h in hierarchies}
    out: dict[str, list[tuple[int, np.ndarray]]] = {}
    for h in hierarchies:
        root = h.by
        while root in by_name:
            root = by_name[root].by
        cm = models.get(root)
        if cm is None or cm.column.kind != "categorical":
            continue
        cats = list(cm.column.categories or [])
        probe = pd.DataFrame({root: pd.Series(cats, dtype=object)})
        values = derive_columns(probe, [g for g in hierarchies if _root(g, by_name) == root])[h.name]
        gid, uniq = pd.factorize(values.astype(object), use_na_sentinel=False)
        out.setdefault(root, []).append((len(uniq), np.asarray(gid, dtype=np.int64)))
    return {root: [g for _, g in sorted(items, key=lambda t: t[0])] for root, items in out.items()}


def _root(h: Hierarchy, by_name: Mapping[str, Hierarchy]) -> str:
    root = h.by
    while root in by_name:
        root = by_name[root].by
    return root


def hierarchies_to_dict(hierarchies: Sequence[Hierarchy]) -> list[dict]:
    return [h.to_dict() for h in hierarchies]


def _scalar(v: Any) -> bool:
    """A level as a model file may hold it: None, true/false, a finite number or text."""
    if v is None or isinstance(v, (bool, str)):
        return True
    return isinstance(v, (int, float)) and bool(np.isfinite(v))


def hierarchies_from_dict(entries: Any, modelled: Any) -> list[Hierarchy]:
    """The hierarchies of a model document (strict: a hand-edited file is checked).

    ``modelled`` is the modelled columns' :class:`~synthkit.schema.Schema` (or their names).
    Every level must be a scalar; the keys of a map must be exactly the determining column's
    levels (its categories, or distinct numbers for an integer column) and its values, like
    ``missing``, levels of the determined column; anything else is a ModelFileError.
    """
    from ..columns import ColumnModel

    if entries is None:
        return []
    if not isinstance(entries, list) or len(entries) > 10_000:
        raise ModelFileError("model document: `schema.determined` must be a list of determined columns")
    columns = {c.name: c for c in getattr(modelled, "columns", [])}
    known = list(getattr(modelled, "names", modelled))
    n_modelled = len(known)
    out = []
    for e in entries:
        if not isinstance(e, dict) or not {"column", "by", "position", "map"} <= set(e):
            raise ModelFileError("model document: a determined column needs `column`, `by`, `position` "
                                 "and `map`")
        try:
            cm = ColumnModel.from_dict(e["column"])
        except SynthkitError as exc:
            raise ModelFileError(f"model document: malformed determined column: {exc}") from None
        by, pos, pairs = e["by"], e["position"], e["map"]
        if not isinstance(by, str) or by not in known or cm.column.determined_by != by:
            raise ModelFileError(f"model document: determined column {cm.name!r} must name a column "
                                 f"listed before it as `by` (and in its `determined_by`), got {by!r}")
        if cm.name in known:
            raise ModelFileError(f"model document: determined column {cm.name!r} is also modelled")
        if isinstance(pos, bool) or not isinstance(pos, int) or not 0 <= pos <= n_modelled + len(entries):
            raise ModelFileError(f"model document: determined column position {pos!r} is out of range")
        if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 for p in pairs):
            raise ModelFileError(f"model document: the `map` of {cm.name!r} must be a list of "
                                 "[level, determined level] pairs")
        keys, values = [p[0] for p in pairs], [p[1] for p in pairs]
        missing = e.get("missing")
        if not all(_scalar(v) for v in [*keys, *values, missing]):
            bad = next(v for v in [*keys, *values, missing] if not _scalar(v))
            raise ModelFileError(f"model document: the `map` of {cm.name!r} holds {bad!r}; levels are "
                                 "text, numbers, true/false or null")
        _check_keys(cm.name, keys, columns.get(by))
        allowed = set(cm.column.categories or []) if cm.coded else None
        for v in [*values, missing]:
            ok = v is None or (v in allowed if allowed is not None
                               else isinstance(v, (int, float)) and not isinstance(v, bool))
            if not ok:
                raise ModelFileError(f"model document: the `map` of {cm.name!r} holds {v!r}, not one of "
                                     "its levels")
        out.append(Hierarchy(cm, by, pos, keys, values, missing))
        known.append(cm.name)
        columns[cm.name] = cm.column
    return out


def _check_keys(name: str, keys: list, determinant: Any) -> None:
    """The keys of ``name``'s map must be exactly the levels of its determining column."""
    if determinant is None:
        return
    if len(set(map(repr, keys))) != len(keys):
        raise ModelFileError(f"model document: the `map` of {name!r} lists a level of "
                             f"{determinant.name!r} more than once")
    if determinant.kind == "categorical":
        levels = [_label(c) for c in determinant.categories or []]
        if len(keys) != len(levels) or {repr(k) for k in keys} != {repr(v) for v in levels}:
            extra = [k for k in keys if repr(k) not in {repr(v) for v in levels}]
            lacking = [v for v in levels if repr(v) not in {repr(k) for k in keys}]
            raise ModelFileError(f"model document: the `map` of {name!r} must list exactly the levels of "
                                 f"{determinant.name!r}; it has unknown level(s) {extra[:10]} and lacks "
                                 f"{lacking[:10]}")
    elif determinant.kind == "integer":
        if not all(isinstance(k, (int, float)) and not isinstance(k, bool) for k in keys):
            raise ModelFileError(f"model document: the `map` of {name!r} must list numbers, the levels of "
                                 f"integer column {determinant.name!r}")
    else:
        raise ModelFileError(f"model document: determined column {name!r} is determined by "
                             f"{determinant.name!r}, a {determinant.kind} column; a determining column "
                             "is categorical or integer")


def split_determined(frame: pd.DataFrame, schema: Any, columns: Sequence, param: Any,
                     protect: Sequence[str] = ()) -> tuple[pd.DataFrame, Any, list, list[Hierarchy]]:
    """The modelled part of a fitted table and its hierarchies (the fit-time step of a strategy).

    ``param`` is the strategy's ``hierarchies`` parameter (``"auto"``, None or a dict);
    ``columns`` are the fitted column models of every column of ``frame`` (``schema``'s
    order). Returns the frame, schema and column models without the determined columns,
    and the hierarchies that derive them.
    """
    from ..schema import Schema

    check_hierarchies_param(param)
    if param is None:
        return frame, schema, list(columns), []
    if param == "auto":
        pairs = detect_hierarchies(frame, schema, protect=protect)
    else:
        pairs = declared_hierarchies(frame, schema, param)
    if not pairs:
        return frame, schema, list(columns), []
    models = {cm.name: cm for cm in columns}
    hierarchies = fit_hierarchies(frame, pairs, models)
    kept = [c for c in schema.names if c not in pairs]
    return (frame[kept], Schema([schema[c] for c in kept]), [models[c] for c in kept], hierarchies)


def determined_levels(model: Any, column: str, value: Any) -> tuple[str, list]:
    """The modelled column at the root of ``column``'s hierarchy and its levels whose derived
    ``column`` equals ``value`` (a condition on ``column`` is a condition on those levels).

    Only a categorical or integer root has levels to list (else an empty list).
    """
    hierarchies = getattr(model, "hierarchies_", None) or []
    by_name = {h.name: h for h in hierarchies}
    root = _root(by_name[column], by_name)
    cm = next((c for c in model.columns_ if c.name == root), None)
    if cm is None:
        return root, []
    if cm.coded:
        levels = list(cm.column.categories or [])
    else:
        levels = [float(v) for v in getattr(cm.marginal, "support", [])]
    if not levels:
        return root, []
    probe = pd.DataFrame({root: pd.Series(levels, dtype=object if cm.coded else float)})
    derived = derive_columns(probe, [h for h in hierarchies if _root(h, by_name) == root])[column]
    hit = derived.astype(object).to_numpy() == value
    return root, [lv for lv, ok in zip(levels, hit, strict=True) if ok]


def check_not_determined(model: Any, conditions: Any, what: str) -> None:
    """Refuse ``what`` (conditions) naming determined columns: condition on the determining one.

    The message names the modelled column to condition on and, for a fixed value, its levels
    that map to that value.
    """
    by_name = {h.name: h for h in getattr(model, "hierarchies_", None) or []}
    bad = [n for n in conditions if n in by_name]
    if not bad:
        return
    col = bad[0]
    value = conditions[col] if isinstance(conditions, Mapping) else None
    root, levels = determined_levels(model, col, value) if value is not None else (
        _root(by_name[col], by_name), [])
    hint = ""
    if levels:
        shown = ", ".join(repr(v) for v in levels[:10]) + (", ..." if len(levels) > 10 else "")
        hint = f": its levels with {col} == {value!r} are {shown}"
    raise SpecError(f"{what} name(s) {bad}: {col!r} is determined by {by_name[col].by!r} (a hierarchy, "
                    f"see model.schema.describe()) and derived from it, not modelled; condition on "
                    f"{root!r} instead{hint}; or fit with hierarchies=None to model {col!r} as its own "
                    "column")
