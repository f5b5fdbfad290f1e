"""Protections applied when a model is fitted with ``privacy="standard"``.

``k = min_count`` (default 5) is the fewest records a stored label, value or
extreme may stand for. Two steps enforce it: :func:`protect_frame` rewrites the
table *before* the schema is inferred and the marginals are fitted, and
:func:`protect_columns` bounds what the fitted numeric marginals store. After
both, a model stores

- categorical and boolean levels, and the values of discrete numeric columns,
  each held by at least ``k`` rows (or by none: a boolean's unused side);
- as the minimum and maximum of a continuous or datetime column, values held
  (after coding) by at least ``k`` rows, or the median of at least ``k``;
- quantile knots at ranks at least ``floor(n/m) >= k`` apart, each (for an ECDF)
  the midpoint of two neighbouring sorted values: not a record's value unless
  those two are tied, so in coarse-precision data (few decimals, many ties) a
  knot can equal a value held by 2 to ``k - 1`` rows (a tie of ``k`` or more
  rows at a knot is kept as an atom);
- nothing of a column with fewer than ``k`` non-missing values: such a column is
  refused (or, in a part of a table, set missing).

Every protection that ran is returned as a JSON-able record naming the
protection, the column and ``min_count``, never a value of the data (no level
names, no extremes).

Rules of :func:`protect_frame`
------------------------------
Let a column hold ``n`` non-missing values; missing values are never touched.

Columns with too few values
    When ``0 < n < k`` any statistic of the column describes fewer than ``k``
    records: :class:`~synthkit.errors.DataError` names the column and the ways
    out (drop it, ``privacy="off"`` for non-sensitive data, a lower
    ``min_count``). With ``sparse="missing"`` (a part of a table, such as a
    stratum) every value of the column is set missing instead. Every rule below
    therefore sees ``n >= k``.

Labels (categorical and boolean columns)
    A level held by ``c < k`` rows is *rare*. With string labels the rare levels
    are merged into one level ``"other"`` (into the column's own ``"other"`` or
    ``"Other"`` level when it has one; a pandas ``category`` column gets the new
    category and loses the rare ones, including categories no row uses). When
    the merged level would itself hold fewer than ``k`` rows, or the labels are
    not strings (numbers, booleans), the rare rows are *redistributed* over the
    kept levels instead, in proportion to their counts ``c_j`` by
    largest-remainder apportionment of the ``R`` rare rows:

        q_j = R c_j / sum_i c_i,   r_j = floor(q_j) + [j among the R - sum floor(q)
        levels with the largest fractional parts q_j - floor(q_j)]

    (ties go to the larger level, then to the earlier one). The kept levels keep
    their relative shares up to one row, and the rare rows do not all go to the
    most frequent level (which would bias it). The assignment is deterministic: the
    rare rows, ordered by their level and then by position, take the kept levels in
    an interleaved order (level ``j``'s ``i``-th slot at ``(i + 1/2) / r_j``), so
    every rare level is spread over the kept ones. When no level holds ``k`` rows
    every label becomes ``"other"`` (held by all ``n >= k`` rows; a column of
    non-string labels becomes an ``object`` column, or a ``category`` column, of
    that one level): no real label of fewer than ``k`` rows is kept. A boolean
    column whose minority side holds fewer than ``k`` rows becomes constant (the
    majority side of all ``n >= k`` rows; ``False`` on a tie).

    With ``labels="redistribute"`` (the strata of a stratified model, whose levels
    must stay the whole table's levels) no level is ever created: rare rows are
    always redistributed, and a column where no level holds ``k`` rows is set
    missing.

Discrete numbers (a numeric column with at most
:data:`~synthkit.schema.DISCRETE_MAX_LEVELS` distinct values that are whole
numbers, or that are fitted as an exact pmf: at least 5 rows per value)
    A value held by ``c < k`` rows is replaced by the nearest value held by at
    least ``k`` rows (the smaller one on a tie); the other values are kept. When no
    value holds ``k`` rows, every value becomes the median of the ``n`` values
    (rounded to the column's decimals).

Continuous numbers and datetimes: top and bottom coding
    With the values sorted, ``x_(1) <= ... <= x_(n)`` and ``c = ceil(k / 2)``, each
    tail of ``k`` values is set to its middle value (its median for odd ``k``):

        x_(i) -> x_(c)   (i <= k),        x_(i) -> x_(n+1-c)   (i > n - k),

    so the column's minimum and maximum (stored in its schema, reached by its
    samples) are values held, after coding, by at least ``k`` records, and they are
    robust: the ``c - 1`` most extreme values of each tail (an outlier among them)
    change nothing. (Setting a tail to its *mean* would let an outlier be recovered
    from the stored extreme and the knot below it; setting it to ``x_(n-k)``, the
    nearest value outside the tail, costs about twice the fidelity on small tables.)
    When ``n <= 2k`` the tails overlap: every value becomes
    the median of the ``n >= k`` values (the mean of the two middle ones for even
    ``n``, rounded to the column's decimals; datetimes in wall-clock time, to
    their resolution; the record says ``collapsed_to_median``). A coded column
    that now has few distinct values also goes through the discrete rule.

Rule of :func:`protect_columns`
-------------------------------
An :class:`~synthkit.marginals.EmpiricalMarginal` (``"ecdf"`` or ``"kde"``)
stores knots of its quantile function ``Q``. With ``n`` the column's non-missing
rows it is replaced by one with at most

    m = min(max_knots, max(2, n // k))

knots, at the equally spaced probabilities ``(i + 1/2) / m`` moved to the nearest
multiple of ``1/n``:

    p_i = j_i / n,   j_i = floor(n (i + 1/2) / m + 1/2),   i = 0 .. m-1,

with values ``Q(p_i)``. For the interpolated ECDF (plotting positions
``(r - 1/2)/n``) ``Q(j/n) = (x_(j) + x_(j+1)) / 2``: every knot is the midpoint of
two neighbouring order statistics (their common value when they are tied), not
the value of a single record (at ``(i + 1/2)/m`` itself every knot would be an
order statistic whenever ``n/m`` is an odd integer), and consecutive knots are
``j_{i+1} - j_i >= floor(n/m) >= k`` observations apart. A tie of ``c >= k``
records (an atom of width ``(c - 1)/n`` in the empirical marginal) that contains
at least one ``p_i`` is kept as an atom with its exact probability interval,
replacing those ``p_i``; smaller ties are smoothed, except that a knot falling
inside one takes its value (moving such a knot off the tie would loosen the
bound below by up to ``(k - 1)/n``).

Distance to the data. At a knot ``F_c(x_i) = j_i/n = F_n(x_i)``, the ECDF there
(``x_(j) <= x_i <= x_(j+1)``); between two consecutive knots both CDFs rise from
at least ``j_i/n`` to at most ``j_{i+1}/n`` (and from 0 to ``j_0/n`` below the
first knot, from ``j_{m-1}/n`` to 1 above the last); a kept atom jumps from
``(C' + 1/2)/n`` to ``(C - 1/2)/n`` where the ECDF jumps from ``C'/n`` to ``C/n``.
Hence, with ``j_{-1} = 0`` and ``j_m = n``,

    sup_x |F_c(x) - F_n(x)| <= max_i (j_{i+1} - j_i) / n <= ceil(n/m) / n <= 1/m + 1/n,

exactly ``1/m`` when ``m`` divides ``n``. For a KDE marginal the same argument
bounds the distance to the KDE's own CDF.

The number of stored knots is at most ``m <= max_knots``. A discrete ``"pmf"``
marginal or a categorical one is checked, not changed: one that stores a value
held by 1 to ``k - 1`` rows (a column that did not come through
:func:`protect_frame`) is a :class:`~synthkit.errors.FitError`, so a
``support_check`` record always says ``values_below_min_count: 0``. Parametric
marginals store no data value and are left as they are.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"job": ["nurse"] * 6 + ["pilot"] * 6 + ["mayor", "poet"]})
>>> out, records = protect_frame(frame, PrivacyPolicy(min_count=5))
>>> sorted(out["job"].unique())
['nurse', 'pilot']
>>> records[0]["levels_merged"], records[0]["into"]
(2, 'redistributed')
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from ..columns import ColumnModel
from ..errors import DataError, FitError, SpecError, reject_unknown_keys
from ..marginals import CategoricalMarginal, DiscreteMarginal, EmpiricalMarginal
from ..schema import DISCRETE_MAX_LEVELS, Column, infer_column, infer_schema

__all__ = ["PrivacyPolicy", "protect_frame", "protect_columns", "knot_budget", "MODES"]

#: The privacy modes: protections on (``"standard"``) or the data as they are (``"off"``).
MODES = ("standard", "off")

#: Labels a column may already use for its merged level (the first one found is used).
OTHER_LABELS = ("other", "Other")

#: A non-integral numeric column is fitted as an exact pmf with at least this many rows per value
#: (the rule of :meth:`synthkit.columns.ColumnModel.fit`).
_PMF_ROWS_PER_VALUE = 5

_NS = {"D": 86_400 * 10**9, "h": 3_600 * 10**9, "min": 60 * 10**9, "s": 10**9,
       "ms": 10**6, "us": 10**3, "ns": 1}

_LABEL_RULES = ("merge", "redistribute")
_SPARSE_RULES = ("error", "missing")


@dataclass(frozen=True)
class PrivacyPolicy:
    """What the fit-time protections do.

    Parameters
    ----------
    mode : {"standard", "off"}
        ``"standard"``: apply the protections (module docstring); ``"off"``: none.
    min_count : int
        ``k``: a level, value or tail held by fewer than ``k`` rows is never stored
        or emitted (>= 1).
    max_knots : int
        Knot budget of a numeric quantile function (>= 2).

    Examples
    --------
    >>> p = PrivacyPolicy(min_count=10)
    >>> p.to_dict()
    {'mode': 'standard', 'min_count': 10, 'max_knots': 256}
    >>> PrivacyPolicy.from_dict(p.to_dict()) == p
    True
    """

    mode: str = "standard"
    min_count: int = 5
    max_knots: int = 256

    def __post_init__(self) -> None:
        if not isinstance(self.mode, str) or self.mode not in MODES:
            raise SpecError(f"privacy `mode` must be 'standard' or 'off', got {self.mode!r}")
        for key, low in (("min_count", 1), ("max_knots", 2)):
            v = getattr(self, key)
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, Integral) or v < low:
                raise SpecError(f"privacy `{key}` must be an integer >= {low}, got {v!r}")
            object.__setattr__(self, key, int(v))

    @property
    def active(self) -> bool:
        """Whether the protections run (``mode == "standard"``)."""
        return self.mode == "standard"

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "min_count": self.min_count, "max_knots": self.max_knots}

    @classmethod
    def from_dict(cls, d: Any) -> PrivacyPolicy:
        """Rebuild from :meth:`to_dict` output; unknown keys and bad values are refused."""
        if not isinstance(d, dict):
            raise SpecError(f"a privacy policy must be a mapping such as {cls().to_dict()}, got {d!r}")
        reject_unknown_keys(d, {"mode", "min_count", "max_knots"}, "privacy policy", SpecError)
        return cls(**d)


def _check_policy(policy: Any) -> PrivacyPolicy:
    if not isinstance(policy, PrivacyPolicy):
        raise SpecError(f"`policy` must be a PrivacyPolicy, got {type(policy).__name__}")
    return policy


def knot_budget(n_obs: int, policy: PrivacyPolicy) -> int:
    """Knots of a protected quantile function: ``m = min(max_knots, max(2, n_obs // k))``.

    Examples
    --------
    >>> p = PrivacyPolicy()
    >>> knot_budget(178, p), knot_budget(10**6, p), knot_budget(3, p)
    (35, 256, 2)
    """
    return int(min(policy.max_knots, max(2, int(n_obs) // policy.min_count)))


def _record(protection: str, name: str, k: int, **fields: Any) -> dict[str, Any]:
    return {"protection": protection, "column": name, "min_count": k, **fields}


# --------------------------------------------------------------------------- frame
def protect_frame(frame: pd.DataFrame, policy: PrivacyPolicy, *, labels: str = "merge",
                  sparse: str = "error", continuous: Collection[str] = ()) -> tuple[pd.DataFrame, list[dict]]:
    """Merge rare levels and values, top/bottom code extremes (module docstring).

    Parameters
    ----------
    frame : pandas.DataFrame
        The modelled columns of the real table (identifier and PII columns removed).
    policy : PrivacyPolicy
        ``k = policy.min_count``; with ``mode="off"`` the frame is returned as it is.
    labels : {"merge", "redistribute"}
        ``"merge"``: rare string levels merge into ``"other"`` when that level holds
        ``k`` rows (module docstring). ``"redistribute"``: never a new level; rare rows
        go to the kept levels and a column with no kept level is set missing (the strata
        of a stratified model, whose levels are the whole table's).
    sparse : {"error", "missing"}
        A column with ``0 < n < k`` non-missing values raises :class:`DataError`
        (``"error"``) or is set missing (``"missing"``: a part of a table, such as a stratum).
    continuous : collection of str
        Numeric columns to treat as continuous whatever their values (a stratified model's
        levels: the whole table's continuous columns): top/bottom coded, never merged as
        discrete values.

    Returns
    -------
    frame : pandas.DataFrame
        A new frame (the input is not modified) with the same columns and index, and the
        same dtypes except where a value had to become missing or ``"other"``.
    records : list of dict
        One record per protection that changed a column, e.g.
        ``{"protection": "top_bottom_coding", "column": "income", "min_count": 5}``.
        Columns whose kind cannot be inferred (entirely missing, unhashable cells) are
        left for the fit to report.

    Raises
    ------
    DataError
        A column with fewer than ``k`` non-missing values (``sparse="error"``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> x = pd.DataFrame({"income": np.arange(1.0, 21.0) + 0.5})  # 1.5, 2.5, ..., 20.5
    >>> out, rec = protect_frame(x, PrivacyPolicy(min_count=5))
    >>> float(out["income"].min()), float(out["income"].max()), rec[0]["protection"]
    (3.5, 18.5, 'top_bottom_coding')
    """
    policy = _check_policy(policy)
    if labels not in _LABEL_RULES:
        raise SpecError(f"`labels` must be one of {list(_LABEL_RULES)}, got {labels!r}")
    if sparse not in _SPARSE_RULES:
        raise SpecError(f"`sparse` must be one of {list(_SPARSE_RULES)}, got {sparse!r}")
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"protect_frame needs a pandas DataFrame, got {type(frame).__name__}")
    if not policy.active:
        return frame, []
    k = policy.min_count
    out = frame.copy()
    records: list[dict] = []
    too_few: list[str] = []
    for j, label in enumerate(frame.columns):
        s = frame.iloc[:, j]
        name = str(label)
        try:
            col = infer_column(s, name)
        except DataError:
            continue
        n_obs = int(s.notna().sum())
        if n_obs < k:
            if sparse == "error":
                too_few.append(f"column {name!r} has {n_obs} non-missing value(s)")
                continue
            new, recs = _missing(s), [_record("too_few_values", name, k, into="missing")]
        elif col.kind == "categorical":
            new, recs = _protect_labels(s, k, name, labels)
        elif col.kind == "boolean":
            new, recs = _protect_boolean(s, k, name)
        elif col.kind == "datetime":
            new, recs = _protect_datetime(s, col, k, name)
        else:
            new, recs = _protect_numeric(s, col, k, name, name in continuous)
        if recs:
            out.isetitem(j, new)
            records.extend(recs)
    if too_few:
        infer_schema(frame)  # a problem of the table itself (labels, an empty column) is reported first
        raise DataError(
            f"{'; '.join(too_few)}: fewer than min_count={k}, so a model of the column would describe fewer "
            f"than {k} records. Drop the column, declare privacy='off' if the data are not sensitive, "
            "or lower min_count")
    return out, records


def _missing(s: pd.Series) -> pd.Series:
    """``s`` with every value missing (its dtype when it can hold a missing value)."""
    return s.where(np.zeros(len(s), dtype=bool))


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers ``r_j`` summing to ``total``, proportional to ``weights`` (Hamilton's method).

    ``weights`` are sorted by decreasing size, so ties of the fractional parts go to the
    larger weight, then to the earlier one.
    """
    quota = total * weights / weights.sum()
    base = np.floor(quota).astype(np.int64)
    extra = np.argsort(-(quota - base), kind="stable")[: total - int(base.sum())]
    base[extra] += 1
    return base


def _redistribute(codes: np.ndarray, counts: np.ndarray, rare: np.ndarray) -> np.ndarray:
    """New codes for the rows whose code is rare: kept codes by largest remainder (module docstring).

    ``codes`` are the level codes of the non-missing rows; returns the codes of all of them.
    """
    kept = np.flatnonzero(~rare)
    kept = kept[np.argsort(-counts[kept], kind="stable")]  # larger levels first
    rows = np.flatnonzero(rare[codes])
    rows = rows[np.argsort(codes[rows], kind="stable")]  # by level, then by position
    slots = _largest_remainder(rows.size, counts[kept].astype(float))
    level = np.repeat(np.arange(kept.size), slots)
    start = np.repeat(np.cumsum(slots) - slots, slots)
    position = (np.arange(rows.size) - start + 0.5) / np.repeat(np.maximum(slots, 1), slots)
    order = np.lexsort((level, position))  # interleave the kept levels
    new = codes.copy()
    new[rows] = kept[level[order]]
    return new


def _protect_labels(s: pd.Series, k: int, name: str, rule: str) -> tuple[pd.Series, list[dict]]:
    """Merge or redistribute the levels of a categorical column held by fewer than ``k`` rows."""
    is_cat = isinstance(s.dtype, pd.CategoricalDtype)
    obs = s.notna().to_numpy()
    values = s.to_numpy(dtype=object)[obs]
    if is_cat:
        labels = pd.Index(s.cat.categories)
        codes = np.asarray(s.cat.codes)[obs].astype(np.int64)
    else:
        codes, labels = pd.factorize(pd.Series(values, dtype=object), sort=False)
        codes = np.asarray(codes, dtype=np.int64)
    counts = np.bincount(codes, minlength=len(labels))
    rare = counts < k
    if not rare.any():
        return s, []
    record = _record("rare_levels", name, k)
    empty = int((counts == 0).sum())
    if empty:
        record["empty_levels_dropped"] = empty
    rows_rare = rare & (counts > 0)
    if not rows_rare.any():  # only categories no row uses are rare: drop them
        record["levels_merged"] = 0
        return _rebuild(s, obs, values, [lab for lab, c in zip(labels, counts, strict=True) if c > 0],
                        is_cat), [record]
    if (~rare).any() and rule == "redistribute":
        return _redistributed(s, obs, codes, counts, rare, labels, is_cat, record)
    strings = all(isinstance(v, str) for v in labels)
    if not (~rare).any():  # no level reaches k: no real label is kept
        record["levels_merged"] = int(rows_rare.sum())
        if rule == "redistribute":
            record["into"] = "missing"
            return _missing(s), [record]
        target = next((lab for lab in OTHER_LABELS if lab in labels), "other")
        record["levels_merged"] -= int(target in labels and counts[labels.get_loc(target)] > 0)
        record["into"] = target
        base = s if is_cat or strings else s.astype(object)  # numbers become text: "other"
        return _rebuild(base, obs, np.full(values.shape, target, dtype=object), [target], is_cat), [record]
    if strings:
        target = next((lab for lab in OTHER_LABELS if lab in labels), "other")
        t = labels.get_loc(target) if target in labels else -1
        merge = rare & (np.arange(len(labels)) != t)  # the rare levels other than the merged level
        merged = int(counts[merge].sum()) + (int(counts[t]) if t >= 0 else 0)
        if merged >= k:
            new_values = values.copy()
            new_values[merge[codes]] = target
            keep = ~rare | (np.arange(len(labels)) == t)  # the kept levels and the merged level
            new_labels = [lab for lab, kp in zip(labels, keep, strict=True) if kp]
            if t < 0:
                new_labels.append(target)
            record.update(levels_merged=int((merge & (counts > 0)).sum()), into=target)
            return _rebuild(s, obs, new_values, new_labels, is_cat), [record]
    return _redistributed(s, obs, codes, counts, rare, labels, is_cat, record)


def _redistributed(s: pd.Series, obs: np.ndarray, codes: np.ndarray, counts: np.ndarray, rare: np.ndarray,
                   labels: pd.Index, is_cat: bool, record: dict) -> tuple[pd.Series, list[dict]]:
    """The rare rows of ``s`` moved to the kept levels by largest remainder (module docstring)."""
    record.update(levels_merged=int((rare & (counts > 0)).sum()), into="redistributed",
                  method="largest_remainder")
    new_codes = _redistribute(codes, counts, rare)
    new_values = np.asarray(labels, dtype=object)[new_codes]
    new_labels = [lab for lab, r in zip(labels, rare, strict=True) if not r]
    return _rebuild(s, obs, new_values, new_labels, is_cat), [record]


def _rebuild(s: pd.Series, obs: np.ndarray, values: np.ndarray, labels: list, is_cat: bool) -> pd.Series:
    """``s`` with its non-missing values replaced (dtype kept; a category column gets ``labels``)."""
    if is_cat:
        full = np.full(len(s), np.nan, dtype=object)
        full[obs] = values
        cat = pd.Categorical(full, categories=labels, ordered=s.cat.ordered)
        return pd.Series(cat, index=s.index, name=s.name)
    out = s.copy()
    out[obs] = values
    return out


def _protect_boolean(s: pd.Series, k: int, name: str) -> tuple[pd.Series, list[dict]]:
    """Make a boolean column constant when its minority side holds fewer than ``k`` rows."""
    obs = s.notna().to_numpy()
    b = s[obs].astype(bool).to_numpy()
    n_true = int(b.sum())
    n_false = b.size - n_true
    if min(n_true, n_false) == 0 or min(n_true, n_false) >= k:
        return s, []
    majority = n_true > n_false
    out = s.copy()
    out[obs] = majority if s.dtype != object else np.full(b.size, majority, dtype=object)
    return out, [_record("rare_levels", name, k, levels_merged=1, into="majority")]


def _discrete_like(v: np.ndarray) -> bool:
    """Whether a numeric column is fitted on its exact values (a pmf), as ``ColumnModel.fit`` does."""
    n_unique = np.unique(v).size
    if n_unique > DISCRETE_MAX_LEVELS:
        return False
    return bool(np.all(v == np.round(v))) or v.size >= _PMF_ROWS_PER_VALUE * n_unique


def _protect_numeric(s: pd.Series, col: Column, k: int, name: str,
                     continuous: bool = False) -> tuple[pd.Series, list[dict]]:
    """Discrete values: merge rare values; otherwise top/bottom code (then merge if now discrete).

    ``continuous``: the column is continuous in the whole table (a stratum's few values of it
    are not a discrete support): top/bottom code only; its knots bound what is stored.
    """
    x = s.to_numpy(dtype=float, na_value=np.nan, copy=True)  # never a view of the input
    obs = ~np.isnan(x)
    v = x[obs]
    records = []
    if continuous or not _discrete_like(v):
        v, rec = _top_bottom(v, k, col.decimals)
        records.append(_record("top_bottom_coding", name, k, **rec))
    v, rec = (v, None) if continuous else _merge_rare_values(v, k, col.decimals)
    if rec is not None:
        records.append(_record("rare_values", name, k, **rec))
    if not records:
        return s, []
    x[obs] = v
    out = pd.Series(x, index=s.index, name=s.name)
    if pd.api.types.is_integer_dtype(s.dtype):
        out = out.round()
    return out.astype(s.dtype), records


def _rounded(value: float, decimals: int | None) -> float:
    return value if decimals is None else float(np.round(value, decimals))


def _top_bottom(v: np.ndarray, k: int, decimals: int | None) -> tuple[np.ndarray, dict]:
    """``x_(i) -> x_(c)`` for ``i <= k`` and ``x_(n+1-c)`` for ``i > n - k`` (``c = ceil(k/2)``);
    the median if ``n <= 2k``."""
    if v.size <= 2 * k:
        return np.full(v.shape, _rounded(float(np.median(v)), decimals)), {"collapsed_to_median": True}
    order = np.argsort(v, kind="stable")
    c = -(-k // 2)
    out = v.copy()
    out[order[:k]] = v[order[c - 1]]
    out[order[-k:]] = v[order[-c]]
    return out, {}


def _merge_rare_values(v: np.ndarray, k: int, decimals: int | None) -> tuple[np.ndarray, dict | None]:
    """Values with fewer than ``k`` rows -> the nearest value with at least ``k`` (the smaller on a tie).

    Only for columns of few distinct values (:func:`_discrete_like`); others are returned as they are.
    When no value has ``k`` rows, every value becomes the median.
    """
    if v.size == 0 or not _discrete_like(v):
        return v, None
    vals, inverse, counts = np.unique(v, return_inverse=True, return_counts=True)
    rare = counts < k
    if not rare.any():
        return v, None
    kept = vals[~rare]
    if kept.size == 0:
        return np.full(v.shape, _rounded(float(np.median(v)), decimals)), {
            "values_merged": int(rare.sum()), "into": "median"}
    i = np.searchsorted(kept, vals)
    below = kept[np.clip(i - 1, 0, kept.size - 1)]
    above = kept[np.clip(i, 0, kept.size - 1)]
    nearest = np.where(np.abs(vals - below) <= np.abs(above - vals), below, above)
    target = np.where(rare, nearest, vals)
    return target[inverse.ravel()], {"values_merged": int(rare.sum()), "into": "nearest"}


def _protect_datetime(s: pd.Series, col: Column, k: int, name: str) -> tuple[pd.Series, list[dict]]:
    """Top/bottom code a datetime column; the median (wall-clock time, at its resolution) if ``n <= 2k``."""
    obs = s.notna().to_numpy()
    positions = np.flatnonzero(obs)
    tz = getattr(s.dt, "tz", None)
    wall = s.dt.tz_localize(None) if tz is not None else s
    ns = wall.astype("datetime64[ns]").to_numpy().view(np.int64)[obs]
    out = s.copy()
    if ns.size > 2 * k:  # the coded values are values of the column: no rounding, no time-zone change
        order = positions[np.argsort(ns, kind="stable")]
        c = -(-k // 2)
        out.iloc[order[:k]] = s.iloc[order[c - 1]]
        out.iloc[order[-k:]] = s.iloc[order[-c]]
        return out, [_record("top_bottom_coding", name, k)]
    ns = np.sort(ns)
    step = max(_NS.get(col.extra.get("resolution", "ns"), 1), _NS.get(str(s.dt.unit), 1))
    lo, hi = int(ns[(ns.size - 1) // 2]), int(ns[ns.size // 2])
    middle = (lo + hi) // 2  # Python integers: exact, no overflow
    ts = pd.Timestamp((middle + step // 2) // step * step, unit="ns")
    if tz is not None:
        ts = ts.tz_localize(tz, ambiguous=False, nonexistent="shift_forward")
    out.iloc[positions] = ts
    return out, [_record("top_bottom_coding", name, k, collapsed_to_median=True)]


# ------------------------------------------------------------------------ columns
def protect_columns(
    columns: list[ColumnModel], n: int, policy: PrivacyPolicy
) -> tuple[list[ColumnModel], list[dict]]:
    """Bound every stored numeric quantile function; check every stored support (module docstring).

    Parameters
    ----------
    columns : list of ColumnModel
        The column models fitted on ``n`` rows (of the protected frame).
    n : int
        Rows the marginals were fitted on; a column with null fraction ``π`` has
        ``n_obs = round(n (1 - π))`` observations.
    policy : PrivacyPolicy
        ``k = policy.min_count`` and ``max_knots``; with ``mode="off"`` the columns
        are returned as they are.

    Returns
    -------
    columns : list of ColumnModel
        New column models (the inputs are not modified): empirical marginals
        compressed to at most ``m = min(max_knots, max(2, n_obs // k))`` knots;
        every other marginal as it was.
    records : list of dict
        ``{"protection": "quantile_knots", "column", "min_count", "knots", "max_knots", "atoms"}`` per
        compressed marginal and ``{"protection": "support_check", "column", "min_count",
        "values_below_min_count": 0}`` per pmf or categorical marginal.

    Raises
    ------
    FitError
        A pmf or categorical marginal stores a value held by 1 to ``k - 1`` rows (its
        column did not come through :func:`protect_frame`).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> cm = ColumnModel.fit(pd.Series(np.linspace(0.0, 1.0, 100), name="x"), method="empirical")
    >>> [out], rec = protect_columns([cm], 100, PrivacyPolicy(min_count=10))
    >>> out.marginal.x.size, rec[0]["knots"]
    (10, 10)
    """
    policy = _check_policy(policy)
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, Integral) or n < 0:
        raise SpecError(f"`n` (rows the columns were fitted on) must be an integer >= 0, got {n!r}")
    columns = list(columns)
    for cm in columns:
        if not isinstance(cm, ColumnModel):
            raise SpecError(f"protect_columns needs ColumnModel objects, got {type(cm).__name__}")
    if not policy.active:
        return columns, []
    k = policy.min_count
    out: list[ColumnModel] = []
    records: list[dict] = []
    for cm in columns:
        marg = cm.marginal
        n_obs = int(round(n * (1.0 - float(cm.column.null_fraction))))
        if isinstance(marg, EmpiricalMarginal):
            m = knot_budget(n_obs, policy)
            new, atoms = _compress(marg, m, n_obs, (k - 1) / max(n_obs, 1))
            out.append(ColumnModel(cm.column, new, cm.report))
            records.append(_record("quantile_knots", cm.name, k, knots=int(new.x.size),
                                   max_knots=policy.max_knots, atoms=atoms))
            continue
        if isinstance(marg, CategoricalMarginal) or (
                isinstance(marg, DiscreteMarginal) and marg.family == "pmf"):
            held = np.asarray(marg.probs) * n_obs  # rows per stored value (a boolean's unused side: 0)
            below = int(np.sum((held > 0.5) & (held < k - 0.5)))
            if below:
                raise FitError(
                    f"column {cm.name!r}: its fitted marginal stores {below} value(s) held by fewer than "
                    f"min_count={k} of its {n_obs} rows; fit it on a frame that went through "
                    "protect_frame, or declare privacy='off' if the data are not sensitive")
            records.append(_record("support_check", cm.name, k, values_below_min_count=0))
        out.append(cm)
    return out, records


def _compress(marg: EmpiricalMarginal, m: int, n: int, min_atom: float) -> tuple[EmpiricalMarginal, int]:
    """At most ``m`` knots at ``p_i = j_i / n`` of ``marg``'s quantile function (module docstring).

    Atoms of width at least ``min_atom`` (ties of ``k`` or more records) that contain a
    ``p_i`` are kept exactly. Returns the new marginal and the number of kept atoms.
    """
    if marg.x.size == 1:
        return EmpiricalMarginal(marg.x, marg.pl, marg.pr, marg.method), 0
    n = max(int(n), 1)
    p = np.unique(np.floor(n * (np.arange(m) + 0.5) / m + 0.5)) / n
    width = marg.pr - marg.pl
    big = np.flatnonzero((width > 0) & (width >= min_atom - 1e-12))
    a, b, v = marg.pl[big], marg.pr[big], marg.x[big]
    j = np.searchsorted(a, p, side="right") - 1
    inside = (j >= 0) & (p <= b[np.clip(j, 0, None)]) if big.size else np.zeros(p.size, bool)
    hit = np.unique(j[inside])
    grid = p[~inside]
    x = np.concatenate([marg.ppf(grid), v[hit]])
    pl = np.concatenate([grid, a[hit]])
    pr = np.concatenate([grid, b[hit]])
    order = np.argsort(pl, kind="stable")
    x, pl, pr = np.maximum.accumulate(x[order]), pl[order], pr[order]
    x, first = np.unique(x, return_index=True)  # equal quantiles: one knot spanning them
    last = np.concatenate([first[1:] - 1, [pl.size - 1]])
    return EmpiricalMarginal(x, pl[first], pr[last], marg.method), int(hit.size)
