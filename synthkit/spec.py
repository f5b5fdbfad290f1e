"""Declared tables: column models built from distributions, without data.

A column is declared by a mapping (from Python or a YAML recipe)::

    age:      {distribution: normal, params: {loc: 42, scale: 12}, min: 18, max: 95, kind: integer}
    income:   {distribution: lognormal, params: {s: 0.55, scale: 38000}, decimals: 0}
    children: {distribution: poisson, params: {mu: 1.1}, max: 8}
    risk:     {categories: [low, medium, high], probs: [0.5, 0.35, 0.15]}
    rating:   {values: [1, 2, 3, 4, 5], probs: [0.1, 0.2, 0.4, 0.2, 0.1]}
    vip:      {kind: boolean, p: 0.08}
    signup:   {kind: datetime, distribution: uniform, min: "2020-01-01", max: "2025-12-31",
               resolution: D}
    country:  {value: NL}                      # a constant column
    email_ok: {categories: [yes, no], nulls: 0.05}

or, in Python, by a frozen ``scipy.stats`` distribution (``stats.gamma(2, scale=3)``).
Continuous families are any ``scipy.stats`` continuous distribution (with aliases
such as ``normal``, ``lognormal``, ``exponential``, ``weibull``, ``student_t``);
discrete ones are ``poisson``, ``nbinom``, ``binom``, ``geom``, ``randint``.
A ``uniform`` without parameters spans ``[min, max]``; a ``normal`` without
parameters is standard.

Every field is checked, and a key that does not apply to the column's kind (``p`` on a
numeric column, ``categories`` on a boolean one, ...) is refused. The kind follows from
the keys: ``categories`` -> categorical, ``p`` -> boolean, whole-number ``values`` or a
discrete family -> integer, other ``values`` -> continuous; a constant ``value`` gives a
categorical (text), boolean, integer or continuous column by its type. A boolean column's
``probs`` are ``[P(false), P(true)]``. Dates (``min``, ``max``, ``value``, ``params.loc``)
must lie between 1677-09-22 and 2262-04-11; ``decimals`` is an integer in [0, 15]; an
integer ``dtype`` narrower than ``int64`` needs ``min`` and ``max`` inside its range.
Integer and float column names are kept as given on sampled frames.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .columns import ColumnModel
from .errors import SpecError, reject_unknown_keys
from .marginals import CategoricalMarginal, DiscreteMarginal, EmpiricalMarginal, ParametricMarginal
from .marginals.discrete import _DISCRETE_ALIASES, DISCRETE_FAMILIES
from .schema import (
    KINDS,
    MAX_DECIMALS,
    Column,
    column_label,
    integer_dtype_range,
    known_dtype,
    timestamp_seconds,
)

__all__ = ["declare_column", "declare_columns", "COLUMN_KEYS"]

COLUMN_KEYS = {
    "kind", "distribution", "params", "min", "max", "categories", "probs", "values", "value",
    "p", "nulls", "null_fraction", "dtype", "decimals", "resolution",
}

_DEFAULT_DTYPE = {"continuous": "float64", "integer": "int64", "categorical": "object",
                  "boolean": "bool", "datetime": "datetime64[ns]"}


def _frozen_to_spec(dist: Any) -> dict[str, Any]:
    family = dist.dist.name
    shapes = [s.strip() for s in (dist.dist.shapes or "").split(",") if s.strip()]
    names = shapes + ["loc", "scale"]
    params = dict(zip(names, dist.args, strict=False))
    params.update(dist.kwds)
    spec: dict[str, Any] = {"distribution": family, "params": params}
    if isinstance(dist.dist, stats.rv_discrete):
        spec["kind"] = "integer"
        params.pop("scale", None)
        if params.get("loc", 0) == 0:
            params.pop("loc", None)
    return spec


def declare_column(name: str, spec: Any) -> ColumnModel:
    """Build the :class:`~synthkit.columns.ColumnModel` of one declared column.

    Parameters
    ----------
    name : str
        Column name.
    spec : dict or frozen scipy.stats distribution
        The declaration (see module docstring).

    Returns
    -------
    ColumnModel

    Raises
    ------
    SpecError
        Unknown keys, kinds or distributions, invalid parameters, bad probabilities.

    Examples
    --------
    >>> cm = declare_column("risk", {"categories": ["low", "high"], "probs": [0.7, 0.3]})
    >>> cm.column.kind
    'categorical'
    """
    if hasattr(spec, "dist") and hasattr(spec, "ppf"):
        spec = _frozen_to_spec(spec)
    if not isinstance(spec, dict):
        raise SpecError(f"column {name!r}: a declaration must be a mapping, got {spec!r}")
    reject_unknown_keys(spec, COLUMN_KEYS, f"column {name!r}", SpecError)
    try:
        return _declare(name, spec)
    except SpecError as exc:
        msg = str(exc)
        prefix = f"column {name!r}"
        raise SpecError(msg if msg.startswith(prefix) else f"{prefix}: {msg}") from None


#: Keys that apply to each kind of column (besides ``kind``, ``nulls``, ``null_fraction``, ``dtype``).
_KIND_KEYS = {
    "categorical": {"categories", "probs", "value"},
    "boolean": {"p", "probs", "value"},
    "continuous": {"distribution", "params", "min", "max", "values", "probs", "decimals", "value"},
    "integer": {"distribution", "params", "min", "max", "values", "probs", "decimals", "value"},
    "datetime": {"distribution", "params", "min", "max", "resolution", "value"},
}
_COMMON_KEYS = {"kind", "nulls", "null_fraction", "dtype"}
_RESOLUTIONS = ("D", "h", "min", "s", "ns")


def _number(v: Any, key: str) -> float:
    """``v`` as a finite float; booleans, strings, lists and NaN/inf are refused."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, Real):
        raise SpecError(f"`{key}` must be a number, got {v!r}")
    f = float(v)
    if not np.isfinite(f):
        raise SpecError(f"`{key}` must be finite, got {v!r}")
    return f


def _numbers(v: Any, key: str, what: str) -> list[float]:
    """A non-empty list of finite numbers (``what`` says what each entry is)."""
    if not isinstance(v, (list, tuple)) or not len(v):
        raise SpecError(f"`{key}` must be a non-empty list of {what}, got {v!r}")
    return [_number(x, f"{key}[{i}]") for i, x in enumerate(v)]


def _bounds(lo: Any, hi: Any, convert) -> tuple[float | None, float | None]:
    """Declared ``min``/``max`` converted by ``convert`` (numbers or datetimes), checked ``min < max``."""
    lo_s = None if lo is None else convert(lo, "min")
    hi_s = None if hi is None else convert(hi, "max")
    if lo_s is not None and hi_s is not None and lo_s >= hi_s:
        raise SpecError(f"`min` ({lo}) must be below `max` ({hi})")
    return lo_s, hi_s


def _decimals(spec: dict[str, Any]) -> int | None:
    decimals = spec.get("decimals")
    if decimals is not None and (isinstance(decimals, bool) or not isinstance(decimals, Integral)
                                 or not 0 <= decimals <= MAX_DECIMALS):
        raise SpecError(f"`decimals` must be an integer in [0, {MAX_DECIMALS}], got {decimals!r}")
    return decimals


def _half_cells(kind: str, decimals: int | None, lo_s: float | None,
                hi_s: float | None) -> tuple[float, float]:
    """Half the rounding cell at each bound of a continuous family drawn for a rounded column.

    Values are rounded after the draw (to whole numbers, ``decimals``, or a date resolution), so
    the value at a bound ``b`` collects the draws in ``[b - h, b + h]``; a window cut at ``b``
    itself would give it half its probability (a uniform die's 1 and 6 at 1/10 each). Bounds off the grid
    keep their exact cut.
    """
    if kind == "integer":
        return 0.5, 0.5
    if decimals is None:
        return 0.0, 0.0
    h = 0.5 * 10.0 ** -decimals
    on = [b is not None and math.isclose(round(b, decimals), b, rel_tol=0, abs_tol=1e-9 * h)
          for b in (lo_s, hi_s)]
    return (h if on[0] else 0.0), (h if on[1] else 0.0)


def _cell_window(lo_s: float | None, hi_s: float | None, h_lo: float,
                 h_hi: float) -> tuple[float | None, float | None]:
    """The truncation window ``[lo - h_lo, hi + h_hi]`` of a rounded column (open sides stay open)."""
    return (None if lo_s is None else lo_s - h_lo), (None if hi_s is None else hi_s + h_hi)


def _uniform_from_bounds(lo_s: float | None, hi_s: float | None) -> dict[str, float]:
    """``loc``/``scale`` of a uniform declared by its bounds alone."""
    if lo_s is None or hi_s is None:
        raise SpecError("a `uniform` column without `params` needs `min` and `max`")
    return {"loc": lo_s, "scale": hi_s - lo_s}


def _datetime(v: Any, key: str) -> float:
    return timestamp_seconds(v, f"`{key}`")


def _infer_kind(spec: dict[str, Any], family: str | None) -> str:
    if "value" in spec:
        v = spec["value"]
        if isinstance(v, (bool, np.bool_)):
            return "boolean"
        if isinstance(v, str):
            return "categorical"
        return "integer" if isinstance(v, Integral) else "continuous"
    if "categories" in spec:
        return "categorical"
    if "p" in spec:
        return "boolean"
    if "values" in spec:
        values = spec["values"]
        whole = isinstance(values, (list, tuple)) and all(
            isinstance(x, Real) and not isinstance(x, bool) and float(x).is_integer()
            for x in values)
        return "integer" if whole else "continuous"
    if family in DISCRETE_FAMILIES:
        return "integer"
    return "continuous"


def _check_label(v: Any, key: str) -> None:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        raise SpecError(f"`{key}` holds {v!r}; declare missing values with `nulls` instead")
    if not isinstance(v, (str, bool, np.bool_, Real)):
        raise SpecError(f"`{key}` entries must be strings or numbers, got {v!r}")


def _declare(name: str, spec: dict[str, Any]) -> ColumnModel:
    if "nulls" in spec and "null_fraction" in spec:
        raise SpecError("give `nulls` or `null_fraction`, not both")
    nulls_v = spec.get("nulls", spec.get("null_fraction"))
    key = "null_fraction" if "null_fraction" in spec else "nulls"
    nulls = 0.0 if nulls_v is None else _number(nulls_v, key)
    if not 0 <= nulls < 1:
        raise SpecError(f"`{key}` must be in [0, 1), got {nulls}")
    dist = spec.get("distribution")
    if dist is not None and not isinstance(dist, str):
        raise SpecError(f"`distribution` must be a distribution name such as 'normal', got {dist!r}")
    family = _DISCRETE_ALIASES.get(dist.lower(), dist.lower()) if dist else None
    kind = spec.get("kind")
    if kind is None:
        kind = _infer_kind(spec, family)
    if kind not in KINDS:
        raise SpecError(f"unknown column kind {kind!r}; expected one of {', '.join(KINDS)}")
    stray = sorted(set(spec) - _COMMON_KEYS - _KIND_KEYS[kind])
    if stray:
        raise SpecError(
            f"key(s) {stray} do not apply to {kind} columns, whose keys are "
            f"{sorted(_COMMON_KEYS | _KIND_KEYS[kind])}"
        )
    if "value" in spec:
        others = sorted(set(spec) & {"distribution", "params", "categories", "values", "probs", "p",
                                     "min", "max"})
        if others:
            raise SpecError(f"a constant column (`value`) takes no {others}")
    if "probs" in spec and kind in ("continuous", "integer") and "values" not in spec:
        raise SpecError("`probs` needs `values` (the numbers they belong to)")
    dtype = spec.get("dtype") or _DEFAULT_DTYPE[kind]
    if not isinstance(dtype, str):
        raise SpecError(f"`dtype` must be a pandas dtype name such as 'float64', got {dtype!r}")

    if kind in ("categorical", "boolean"):
        return _declare_labels(name, spec, kind, dtype, nulls)
    if kind == "datetime":
        return _declare_datetime(name, spec, dtype, nulls, dist)
    return _declare_numeric(name, spec, kind, dtype, nulls, dist, family)


def _declare_labels(name: str, spec: dict[str, Any], kind: str, dtype: str,
                    nulls: float) -> ColumnModel:
    if kind == "boolean":
        cats: list[Any] = [False, True]
        if "value" in spec:
            v = spec["value"]
            if not isinstance(v, (bool, np.bool_)):
                raise SpecError(f"`value` of a boolean column must be true or false, got {v!r}")
            probs = [0.0, 1.0] if v else [1.0, 0.0]
        elif "probs" in spec:
            probs = _numbers(spec["probs"], "probs", "probabilities")
            if len(probs) != 2:
                raise SpecError(
                    f"`probs` of a boolean column must be [P(false), P(true)], got {spec['probs']!r}"
                )
        else:
            p = _number(spec.get("p", 0.5), "p")
            if not 0 <= p <= 1:
                raise SpecError(f"`p` must be in [0, 1], got {p}")
            probs = [1 - p, p]
    else:
        if "value" in spec:
            _check_label(spec["value"], "value")
            cats, probs = [spec["value"]], [1.0]
        else:
            cats = spec.get("categories")
            if not isinstance(cats, list) or not cats:
                raise SpecError("`categories` must be a non-empty list")
            for c in cats:
                _check_label(c, "categories")
            if len(set(map(str, cats))) != len(cats):
                raise SpecError(f"`categories` must be distinct, got {cats}")
            if "probs" in spec:
                probs = _numbers(spec["probs"], "probs", "probabilities")
                if len(probs) != len(cats):
                    raise SpecError(
                        f"`probs` must be a list with one probability per category ({len(cats)}), "
                        f"got {len(probs)}"
                    )
            else:
                probs = [1.0 / len(cats)] * len(cats)
    if kind == "categorical" and known_dtype(dtype) and \
            pd.api.types.is_numeric_dtype(pd.api.types.pandas_dtype(dtype)) and \
            not all(isinstance(c, Real) for c in cats):
        raise SpecError(f"dtype {dtype!r} holds numbers, but the categories are {cats}; "
                        "use dtype 'object' or 'category'")
    marginal = CategoricalMarginal(probs)
    column = Column(name, kind, dtype, null_fraction=nulls, categories=list(cats),
                    frequencies=marginal.probs.tolist())
    return ColumnModel(column, marginal)


def _params(spec: dict[str, Any], datetime: bool = False) -> dict[str, float]:
    params = spec.get("params")
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise SpecError(f"`params` must be a mapping of parameter name -> number, got {params!r}")
    out = {}
    for k, v in params.items():
        if datetime and k == "loc" and not isinstance(v, Real):
            out[str(k)] = _datetime(v, "params.loc")
        else:
            out[str(k)] = _number(v, f"params.{k}")
    return out


def _declare_datetime(name: str, spec: dict[str, Any], dtype: str, nulls: float,
                      dist: str | None) -> ColumnModel:
    resolution = spec.get("resolution", "s")
    if resolution not in _RESOLUTIONS:
        raise SpecError(f"`resolution` must be one of {', '.join(_RESOLUTIONS)}; got {resolution!r}")
    if "value" in spec:
        v = _datetime(spec["value"], "value")
        iso = pd.Timestamp(spec["value"]).isoformat()
        column = Column(name, "datetime", dtype, minimum=iso, maximum=iso, null_fraction=nulls)
        column.extra["resolution"] = resolution
        return ColumnModel(column, EmpiricalMarginal([v], [0.5]))
    lo, hi = spec.get("min"), spec.get("max")
    lo_s, hi_s = _bounds(lo, hi, _datetime)
    params = _params(spec, datetime=True)
    if dist is None:
        raise SpecError("declare `distribution` (e.g. uniform with `min` and `max`) or `value`")
    half = 0.5e-9 * pd.Timedelta(1, unit=resolution).value  # half the resolution, in seconds
    w_lo, w_hi = _cell_window(lo_s, hi_s, half, half)
    if dist.lower() == "uniform" and not params:
        params = _uniform_from_bounds(w_lo, w_hi)
    elif "loc" not in params:
        raise SpecError(f"a datetime `{dist}` column needs `params.loc` (a date such as "
                        "'2020-01-31') and usually `params.scale` (in seconds)")
    marginal = ParametricMarginal(dist, params, lower=w_lo, upper=w_hi)
    column = Column(name, "datetime", dtype,
                    minimum=None if lo is None else pd.Timestamp(lo).isoformat(),
                    maximum=None if hi is None else pd.Timestamp(hi).isoformat(),
                    null_fraction=nulls)
    column.extra["resolution"] = resolution
    return ColumnModel(column, marginal)


def _declare_numeric(name: str, spec: dict[str, Any], kind: str, dtype: str, nulls: float,
                     dist: str | None, family: str | None) -> ColumnModel:
    span = integer_dtype_range(dtype) if known_dtype(dtype) else None
    if "value" in spec:
        v = _number(spec["value"], "value")
        if kind == "integer" and not v.is_integer():
            raise SpecError(f"`value` of an integer column must be a whole number, got {v}")
        column = Column(name, kind, dtype, minimum=v, maximum=v, null_fraction=nulls)
        return ColumnModel(column, EmpiricalMarginal([v], [0.5]))
    lo, hi = spec.get("min"), spec.get("max")
    lo_s, hi_s = _bounds(lo, hi, _number)
    if span is not None and span != _INT64_RANGE and (lo_s is None or hi_s is None):
        raise SpecError(
            f"dtype {dtype!r} holds only [{span[0]}, {span[1]}]: declare `min` and `max` inside "
            "that range, or use dtype 'int64'"
        )
    params = _params(spec)
    decimals = _decimals(spec)
    if "values" in spec:
        values = _numbers(spec["values"], "values", "numbers")
        if kind == "integer" and not all(float(v).is_integer() for v in values):
            raise SpecError(f"`values` of an integer column must be whole numbers, got {values}; "
                            "use kind: continuous for other numbers")
        if "probs" in spec:
            probs = _numbers(spec["probs"], "probs", "probabilities")
            if len(probs) != len(values):
                raise SpecError(f"`probs` must have one probability per value ({len(values)}), "
                                f"got {len(probs)}")
        else:
            probs = [1.0 / len(values)] * len(values)
        if dist is not None:
            raise SpecError("give `distribution` or `values`, not both")
        marginal: Any = DiscreteMarginal("pmf", values=values, probs=probs, lower=lo_s, upper=hi_s)
    elif family in DISCRETE_FAMILIES:
        if kind == "continuous" and "kind" in spec:
            raise SpecError(f"{dist!r} is a discrete distribution: use kind: integer")
        marginal = DiscreteMarginal(family, params, lower=lo_s, upper=hi_s)
        kind = "integer"
        dtype = spec.get("dtype") or "int64"
    else:
        if dist is None:
            raise SpecError(
                "declare `distribution` (+ `params`), `categories`, `values` or `value`"
            )
        w_lo, w_hi = _cell_window(lo_s, hi_s, *_half_cells(kind, decimals, lo_s, hi_s))
        if dist.lower() == "uniform" and not params:
            params = _uniform_from_bounds(w_lo, w_hi)
        marginal = ParametricMarginal(dist, params, lower=w_lo, upper=w_hi)
    if kind == "integer" and not isinstance(marginal, DiscreteMarginal):
        if decimals not in (None, 0):
            raise SpecError(f"an integer column has no decimals, got `decimals: {decimals}`")
        decimals = 0
    column = Column(name, kind, dtype, minimum=lo_s, maximum=hi_s, null_fraction=nulls,
                    decimals=decimals)
    return ColumnModel(column, marginal)


_INT64_RANGE = (int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max))


def declare_columns(columns: dict[str, Any]) -> list[ColumnModel]:
    """Declare every column of a table from ``{name: declaration}`` (order kept).

    Examples
    --------
    >>> cms = declare_columns({"x": {"distribution": "expon"}, "c": {"categories": ["a", "b"]}})
    >>> [c.column.kind for c in cms]
    ['continuous', 'categorical']
    """
    if not isinstance(columns, dict) or not columns:
        raise SpecError("`columns` must be a non-empty mapping of column name -> declaration")
    out = []
    for k, v in columns.items():
        if not isinstance(k, (str, int, float, np.integer, np.floating)) or isinstance(k, bool):
            raise SpecError(f"column name {k!r} must be a string (in YAML, quote names such as "
                            "'yes', 'no', 'on', 'off' and 'null')")
        cm = declare_column(str(k), v)
        label = column_label(k)
        if label is not None:
            cm.column.extra["label"] = label
        out.append(cm)
    return out
