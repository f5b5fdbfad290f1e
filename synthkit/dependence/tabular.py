"""Glue between fitted/declared columns and the dependence toolkit.

Shared by the correlated strategies (Cholesky, Iman–Conover, Gaussian / t /
vine copulas): mapping a mixed-type table to uniforms with each column's
distributional transform, resolving a *declared* correlation matrix of a
given type into the latent (normal-scores) correlation a copula needs, and
turning a condition on a column's value into an interval of its latent normal
score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from ..errors import DataError, SpecError
from .checks import check_correlation_matrix
from .correlation import convert_correlation
from .norta import GradeMarginal, norta_correlation
from .repair import nearest_correlation

__all__ = [
    "CORRELATION_TYPES",
    "frame_to_uniforms",
    "frame_to_intervals",
    "missing_columns",
    "missing_names",
    "missing_intervals",
    "missing_uniforms",
    "missing_thresholds",
    "constant_columns",
    "identity_for_constant",
    "correlation_param_to_json",
    "resolve_declared",
    "condition_interval",
    "NumericMarginalView",
    "check_duplicates",
]

#: Uniforms of observed values are kept in ``[U_MIN, 1 - U_MIN]`` (finite normal scores).
U_MIN = 1e-12

#: Types a declared correlation matrix may have.
CORRELATION_TYPES = ("normal_scores", "spearman", "kendall", "pearson")


def frame_to_uniforms(
    columns: Sequence, frame: pd.DataFrame, rng: np.random.Generator, *, null_mass: bool = True
) -> np.ndarray:
    """``(n, d)`` uniforms of a table: each column's distributional transform (mixed types, nulls).

    Parameters
    ----------
    columns : sequence of ColumnModel
        The fitted column models, in table order.
    frame : DataFrame
        The table.
    rng : numpy.random.Generator
        Randomness of the transform (the ``V`` of ``F(x-) + V (F(x) - F(x-))``).
    null_mass : bool
        True: missing values at the bottom of each column's uniform. False: the
        uniforms of the non-missing values only, NaN where a value is missing
        (missingness is then described by :func:`missing_intervals`).
    """
    return np.column_stack([cm.to_uniform(frame[cm.name], rng, null_mass=null_mass)
                            for cm in columns])


def missing_columns(columns: Sequence) -> list[int]:
    """Indices of the columns with a positive null fraction (each gets a missingness variable)."""
    return [j for j, cm in enumerate(columns) if float(cm.column.null_fraction) > 0]


def missing_names(names: Sequence[str], idx: Sequence[int]) -> list[str]:
    """Labels of a latent space: the column names, then ``"<name> (missing)"`` per index."""
    return [str(c) for c in names] + [f"{names[j]} (missing)" for j in idx]


def missing_thresholds(columns: Sequence, idx: Sequence[int]) -> np.ndarray:
    """Latent thresholds ``Phi^-1(pi_j)``: a cell is missing when its indicator score is below."""
    return special.ndtri(np.array([float(columns[j].column.null_fraction) for j in idx]))


def missing_intervals(
    columns: Sequence, frame: pd.DataFrame, idx: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Latent normal-score intervals of the missingness indicators of the columns ``idx``.

    The indicator of column ``j`` is a binary variable with ``P(missing) = pi_j``
    entering the Gaussian copula through a threshold: missing cells pin its
    latent score to ``(-inf, t_j]``, observed ones to ``[t_j, inf)``, with
    ``t_j = Phi^-1(pi_j)``.

    Returns
    -------
    lower, upper : ndarray (n, len(idx))
    """
    t = missing_thresholds(columns, idx)
    miss = np.column_stack([frame[columns[j].name].isna().to_numpy() for j in idx]) if len(idx) \
        else np.zeros((len(frame), 0), dtype=bool)
    lower = np.where(miss, -np.inf, t)
    upper = np.where(miss, t, np.inf)
    return lower, upper


def missing_uniforms(
    columns: Sequence, frame: pd.DataFrame, idx: Sequence[int], rng: np.random.Generator
) -> np.ndarray:
    """Distributional transform of the missingness indicators: ``pi V`` if missing, else ``pi + (1 - pi) V``.

    Exactly uniform, with the missing cells below ``pi`` as the sampler reads them.
    """
    out = np.empty((len(frame), len(idx)))
    for k, j in enumerate(idx):
        pi = float(columns[j].column.null_fraction)
        miss = frame[columns[j].name].isna().to_numpy()
        v = rng.random(len(frame))
        out[:, k] = np.where(miss, pi * v, pi + (1.0 - pi) * v)
    return np.clip(out, U_MIN, 1 - U_MIN)


class _ConstantDraws:
    """A stand-in generator whose ``random(n)`` is constant: evaluates the transform's bounds."""

    def __init__(self, value: float) -> None:
        self.value = float(value)

    def random(self, n: int) -> np.ndarray:
        return np.full(int(n), self.value)


def frame_to_intervals(
    columns: Sequence, frame: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row and column, the interval ``[F(x-), F(x)]`` of the observed value, in (0, 1).

    The distributional transform evaluated at ``V = 0`` and ``V = 1``: equal
    bounds for continuous values, the atom's probability interval for
    discrete, categorical and boolean values. The null mass is taken out
    (``(u - pi) / (1 - pi)``), so the bounds describe the non-missing part of
    each column; missing cells are flagged in the returned mask instead.

    Returns
    -------
    lower, upper : ndarray (n, d)
    observed : ndarray of bool (n, d)
        False where the value is missing.
    """
    lows, highs, obs = [], [], []
    for cm in columns:
        s = frame[cm.name]
        pi = float(cm.column.null_fraction)
        lo = (cm.to_uniform(s, _ConstantDraws(0.0)) - pi) / (1.0 - pi)
        hi = (cm.to_uniform(s, _ConstantDraws(1.0)) - pi) / (1.0 - pi)
        lows.append(np.clip(lo, U_MIN, 1 - U_MIN))
        highs.append(np.clip(hi, U_MIN, 1 - U_MIN))
        obs.append(~s.isna().to_numpy())
    return np.column_stack(lows), np.column_stack(highs), np.column_stack(obs)


def constant_columns(x: np.ndarray, names: Sequence[str]) -> list[str]:
    """Names of the columns of ``x`` with (numerically) zero spread."""
    sd = np.nanstd(x, axis=0)
    scale = np.maximum(1.0, np.nanmax(np.abs(x), axis=0))
    return [names[j] for j in np.flatnonzero(~(sd > 1e-12 * scale))]


def identity_for_constant(corr: np.ndarray, idx: Sequence[int]) -> np.ndarray:
    """Set the rows/columns ``idx`` of a correlation matrix to those of the identity."""
    c = corr.copy()
    for j in idx:
        c[j, :] = 0.0
        c[:, j] = 0.0
        c[j, j] = 1.0
    return c


def check_duplicates(corr: np.ndarray, names: Sequence[str], tol: float = 1e-10) -> None:
    """Raise :class:`DataError` for perfectly correlated (duplicate / collinear) column pairs."""
    d = corr.shape[0]
    iu = np.triu_indices(d, 1)
    hit = np.flatnonzero(np.abs(corr[iu]) >= 1.0 - tol)
    if hit.size:
        pairs = [f"{names[iu[0][k]]}~{names[iu[1][k]]}" for k in hit[:5]]
        raise DataError(
            f"the table is singular: perfectly correlated column pair(s) {pairs}; drop one column "
            "of each pair (or derive it after sampling with a rule), or pass strict=False to "
            "repair the correlation to the nearest positive-definite one"
        )


def correlation_param_to_json(corr: Any) -> Any:
    """A JSON-able form of a declared correlation (DataFrame -> mapping of 'a,b' pairs)."""
    if corr is None:
        return None
    if isinstance(corr, pd.DataFrame):
        names = [str(c) for c in corr.columns]
        out = {}
        for i, a in enumerate(names):
            for j in range(i + 1, len(names)):
                out[f"{a},{names[j]}"] = float(corr.iloc[i, j])
        return out
    if isinstance(corr, Mapping):
        return {
            (k if isinstance(k, str) else ",".join(map(str, k))): float(v) for k, v in corr.items()
        }
    return np.asarray(corr, dtype=float).tolist()


class NumericMarginalView:
    """``ppf`` of a column's non-missing numeric values (for NORTA); codes for categoricals."""

    def __init__(self, column_model) -> None:
        self.cm = column_model
        self.marginal = column_model.marginal  # lets NORTA integrate discrete marginals exactly

    def ppf(self, u):
        return np.asarray(self.cm.marginal.ppf(np.asarray(u, dtype=float)), dtype=float)


#: Kinds whose values have an order, so a declared Pearson or Spearman target applies to
#: them: numbers, dates and booleans (0/1, True = 1: the point-biserial correlation);
#: categorical columns have none.
ORDERED_KINDS = ("continuous", "integer", "datetime", "boolean")


def _spearman_with_discrete(latent, target, columns, names, on_infeasible, threshold, strict):
    """Latent correlations of declared Spearman targets on pairs with a discrete numeric column.

    ``2 sin(pi rho_s / 6)`` holds for continuous marginals; a discrete column's ties keep it
    short (0.47 for a target of 0.6 between a Bernoulli(0.3) and a normal column). Spearman's
    correlation is the Pearson correlation of the grades
    (:class:`~synthkit.dependence.norta.GradeMarginal`; uniform for a continuous column), so
    NORTA on the grades solves those pairs exactly. Pairs of continuous columns keep the
    closed form.
    """
    numeric = [j for j, cm in enumerate(columns) if cm.column.kind in ORDERED_KINDS]
    grades = {j: GradeMarginal.of(columns[j].marginal) for j in numeric}
    if not any(g is not None for g in grades.values()) or len(numeric) < 2:
        return latent, None
    res = norta_correlation(
        target[np.ix_(numeric, numeric)],
        [stats.uniform() if grades[j] is None else grades[j] for j in numeric],
        [names[j] for j in numeric],
        on_infeasible=on_infeasible, threshold=threshold, strict=strict, measure="Spearman",
    )
    latent = latent.copy()
    for a, i in enumerate(numeric):
        for b, j in enumerate(numeric):
            if a != b and (grades[i] is not None or grades[j] is not None):
                latent[i, j] = res.latent[a, b]
    return latent, res


def resolve_declared(
    correlation: Any,
    correlation_type: str,
    columns: Sequence,
    *,
    threshold: float = 1e-8,
    strict: bool = False,
    on_infeasible: str = "raise",
) -> tuple[np.ndarray, dict]:
    """Latent normal-scores correlation for a declared matrix of ``correlation_type``.

    ``normal_scores``: used as is. ``spearman``: ``2 sin(pi rho_s / 6)``, and for pairs
    with a discrete numeric column NORTA on the columns' grades (exact with ties).
    ``kendall``: ``sin(pi tau / 2)``. ``pearson``: NORTA (Cario & Nelson 1997)
    per pair on the columns' marginals (booleans as 0/1; categorical columns take
    their declared value as latent correlation). The result is repaired to
    positive definite (Higham 2002) unless ``strict``.

    Returns
    -------
    latent : ndarray (d, d)
    info : dict
        ``{"repair": RepairReport | None, "norta": NortaResult | None}``.
    """
    if correlation_type not in CORRELATION_TYPES:
        raise SpecError(
            f"`correlation_type` must be one of {', '.join(CORRELATION_TYPES)}, "
            f"got {correlation_type!r}"
        )
    names = [cm.name for cm in columns]
    target = check_correlation_matrix(correlation, names)
    info: dict = {"repair": None, "norta": None}
    if correlation_type == "pearson":
        numeric = [j for j, cm in enumerate(columns) if cm.column.kind in ORDERED_KINDS]
        latent = target.copy()
        if len(numeric) >= 2:
            sub = target[np.ix_(numeric, numeric)]
            res = norta_correlation(
                sub,
                [NumericMarginalView(columns[j]) for j in numeric],
                [names[j] for j in numeric],
                on_infeasible=on_infeasible,
                threshold=threshold,
                strict=strict,
            )
            latent[np.ix_(numeric, numeric)] = res.latent
            info["norta"] = res
    else:
        latent = convert_correlation(target, correlation_type, "normal_scores")
        if strict:  # the declaration as a whole first: its own eigenvalue, not a solved subset's
            nearest_correlation(latent, names, threshold=threshold, strict=True)
        if correlation_type == "spearman":
            latent, info["norta"] = _spearman_with_discrete(latent, target, columns, names,
                                                            on_infeasible, threshold, strict)
    rep = nearest_correlation(latent, names, threshold=threshold, strict=strict)
    info["repair"] = rep if rep.repaired else None
    return rep.matrix, info


def condition_interval(cm, value: Any, *, null_mass: bool = True) -> tuple[float, float, Any]:
    """Latent normal-score interval ``[a, b]`` of a condition on one column.

    Parameters
    ----------
    cm : ColumnModel
    value : scalar, None or (low, high)
        ``None`` (or NaN) asks for missing values; a scalar for that value (a
        category label for categorical/boolean columns); a 2-tuple for a closed
        range of a numeric or datetime column.
    null_mass : bool
        True: one latent score per column with the null mass at its bottom.
        False: the value's score covers the non-missing values only, and the
        interval of a ``None`` condition, ``(-inf, Phi^-1(pi)]``, applies to the
        column's missingness indicator (a value condition then also needs the
        indicator in ``[Phi^-1(pi), inf)``).

    Returns
    -------
    (a, b, exact)
        ``a == b`` for a point (a continuous value); ``exact`` is the value to
        write back in the output (the scalar for point conditions), else None.

    Raises
    ------
    SpecError
        Values outside the column's support, a category it does not have, a
        range for a categorical column, an empty range, or a probability-zero event.
    """
    col = cm.column
    pi = float(col.null_fraction)
    m = cm.marginal
    name = col.name

    def z(u: float) -> float:
        return float(special.ndtri(min(max(u, 0.0), 1.0)))

    def outer(u: float) -> float:
        return pi + (1.0 - pi) * float(u) if null_mass else float(u)

    is_null = value is None or (isinstance(value, float) and np.isnan(value))
    if is_null:
        if pi <= 0:
            raise SpecError(
                f"condition on {name!r}: the column has no missing values to condition on"
            )
        return -np.inf, z(pi), None
    kind = col.kind
    if kind in ("categorical", "boolean"):
        if isinstance(value, tuple):
            raise SpecError(
                f"condition on {name!r}: a range is not defined for a {kind} column; give one label"
            )
        cats = list(col.categories or [])
        key = bool(value) if kind == "boolean" and isinstance(value, (bool, np.bool_)) else value
        if key not in cats:
            raise SpecError(
                f"condition on {name!r}: {value!r} is not a category; categories: {cats}"
            )
        k = float(cats.index(key))
        lo, hi = float(m.cdf_left(np.array([k]))[0]), float(m.cdf(np.array([k]))[0])
        if hi <= lo:
            raise SpecError(f"condition on {name!r}: category {value!r} has probability 0")
        return z(outer(lo)), z(outer(hi)), None

    def num(v):
        if kind == "datetime":
            from ..columns import _seconds_bound

            return _seconds_bound(v)
        try:
            return float(v)
        except (TypeError, ValueError):
            raise SpecError(f"condition on {name!r}: expected a number, got {v!r}") from None

    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise SpecError(f"condition on {name!r}: a range must be (low, high), got {value!r}")
        lo_v, hi_v = (
            -np.inf if value[0] is None else num(value[0]),
            np.inf if value[1] is None else num(value[1]),
        )
        if lo_v > hi_v:
            raise SpecError(
                f"condition on {name!r}: empty range, low {value[0]!r} > high {value[1]!r}"
            )
        flo = float(m.cdf_left(np.array([lo_v]))[0]) if np.isfinite(lo_v) else 0.0
        fhi = float(m.cdf(np.array([hi_v]))[0]) if np.isfinite(hi_v) else 1.0
        if fhi - flo <= 0:
            raise SpecError(
                f"condition on {name!r}: the range {value!r} has probability 0 under the column's "
                f"marginal (support about [{col.minimum}, {col.maximum}])"
            )
        return z(outer(flo)), z(outer(fhi)), None
    v = num(value)
    lo, hi = float(m.cdf_left(np.array([v]))[0]), float(m.cdf(np.array([v]))[0])
    if m.discrete:
        if hi <= lo:
            raise SpecError(
                f"condition on {name!r}: value {value!r} has probability 0 (not among the "
                "column's values); give one of its values or a (low, high) range"
            )
        return z(outer(lo)), z(outer(hi)), None
    if not (0.0 < hi < 1.0):
        raise SpecError(
            f"condition on {name!r}: value {value!r} is outside the column's support "
            f"(about [{col.minimum}, {col.maximum}])"
        )
    zz = z(outer(hi))
    return zz, zz, value
