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
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from .columns import ColumnModel, _seconds_bound
from .errors import SpecError, reject_unknown_keys
from .marginals import CategoricalMarginal, DiscreteMarginal, EmpiricalMarginal, ParametricMarginal
from .marginals.discrete import _DISCRETE_ALIASES, DISCRETE_FAMILIES
from .schema import KINDS, Column

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


def _declare(name: str, spec: dict[str, Any]) -> ColumnModel:
    nulls = float(spec.get("nulls", spec.get("null_fraction", 0.0)) or 0.0)
    if not 0 <= nulls < 1:
        raise SpecError(f"`nulls` must be in [0, 1), got {nulls}")
    dist = spec.get("distribution")
    family = _DISCRETE_ALIASES.get(str(dist).lower(), str(dist).lower()) if dist else None
    kind = spec.get("kind")
    if kind is None:
        if "categories" in spec:
            kind = "categorical"
        elif "p" in spec:
            kind = "boolean"
        elif "values" in spec or family in DISCRETE_FAMILIES:
            kind = "integer"
        else:
            kind = "continuous"
    if kind not in KINDS:
        raise SpecError(f"unknown column kind {kind!r}; expected one of {', '.join(KINDS)}")
    dtype = str(spec.get("dtype") or _DEFAULT_DTYPE[kind])
    lo, hi = spec.get("min"), spec.get("max")

    if kind in ("categorical", "boolean"):
        if kind == "boolean":
            cats: list[Any] = [False, True]
            if "probs" in spec:
                probs = spec["probs"]
            else:
                p = float(spec.get("p", 0.5))
                if not 0 <= p <= 1:
                    raise SpecError(f"`p` must be in [0, 1], got {p}")
                probs = [1 - p, p]
        else:
            cats = spec.get("categories")
            if not isinstance(cats, list) or not cats:
                raise SpecError("`categories` must be a non-empty list")
            if len(set(map(str, cats))) != len(cats):
                raise SpecError(f"`categories` must be distinct, got {cats}")
            probs = spec.get("probs", [1.0 / len(cats)] * len(cats))
            if not isinstance(probs, list) or len(probs) != len(cats):
                raise SpecError(
                    f"`probs` must be a list with one probability per category ({len(cats)})"
                )
        marginal = CategoricalMarginal(probs)
        column = Column(name, kind, dtype, null_fraction=nulls, categories=list(cats),
                        frequencies=marginal.probs.tolist())
        return ColumnModel(column, marginal)

    if "value" in spec:
        v = spec["value"]
        if kind == "datetime":
            v = _seconds_bound(v)
        marginal = EmpiricalMarginal([float(v)], [0.5])
        column = Column(name, kind, dtype, minimum=spec["value"], maximum=spec["value"],
                        null_fraction=nulls)
        return ColumnModel(column, marginal)

    if kind == "datetime":
        lo_s, hi_s = _seconds_bound(lo), _seconds_bound(hi)
    else:
        lo_s = None if lo is None else _number(lo, "min")
        hi_s = None if hi is None else _number(hi, "max")
    if lo_s is not None and hi_s is not None and lo_s >= hi_s:
        raise SpecError(f"`min` ({lo}) must be below `max` ({hi})")

    params = dict(spec.get("params") or {})
    if "values" in spec:
        probs = spec.get("probs")
        values = spec["values"]
        if not isinstance(values, list) or not values:
            raise SpecError("`values` must be a non-empty list")
        if probs is None:
            probs = [1.0 / len(values)] * len(values)
        marginal: Any = DiscreteMarginal("pmf", values=values, probs=probs, lower=lo_s, upper=hi_s)
    elif family in DISCRETE_FAMILIES:
        marginal = DiscreteMarginal(family, params, lower=lo_s, upper=hi_s)
        if kind == "continuous":
            kind = "integer"
            dtype = spec.get("dtype") or "int64"
    else:
        if dist is None:
            raise SpecError(
                "declare `distribution` (+ `params`), `categories`, `values` or `value`"
            )
        if family in ("uniform",) and not params:
            if lo_s is None or hi_s is None:
                raise SpecError("a `uniform` column without `params` needs `min` and `max`")
            params = {"loc": lo_s, "scale": hi_s - lo_s}
        if kind == "datetime" and dist not in ("uniform",) and params:
            params = {k: (_seconds_bound(v) if k == "loc" and isinstance(v, str) else v)
                      for k, v in params.items()}
        marginal = ParametricMarginal(str(dist), params, lower=lo_s, upper=hi_s)
    if kind == "integer" and not isinstance(marginal, DiscreteMarginal):
        decimals = 0
    else:
        decimals = spec.get("decimals")
    if decimals is not None and (not isinstance(decimals, int) or decimals < 0):
        raise SpecError(f"`decimals` must be a non-negative integer, got {decimals!r}")
    column = Column(name, kind, dtype, minimum=lo, maximum=hi, null_fraction=nulls,
                    decimals=decimals)
    if kind == "datetime":
        resolution = spec.get("resolution", "s")
        if resolution not in ("D", "h", "min", "s", "ns"):
            raise SpecError(f"`resolution` must be one of D, h, min, s, ns; got {resolution!r}")
        column.extra["resolution"] = resolution
    return ColumnModel(column, marginal)


def _number(v: Any, key: str) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise SpecError(f"`{key}` must be a number, got {v!r}") from None
    if not np.isfinite(f):
        raise SpecError(f"`{key}` must be finite, got {v!r}")
    return f


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
    return [declare_column(str(k), v) for k, v in columns.items()]
