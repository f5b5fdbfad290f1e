"""Empirical marginals: the interpolated quantile function, optionally KDE-smoothed.

For sorted distinct values ``v_1 < ... < v_m`` with counts ``c_k`` and
cumulative counts ``C_k`` (``C_0 = 0``, ``C_m = n``), each value gets the
probability interval ``[pl_k, pr_k] = [(C_{k-1} + 1/2)/n, (C_k - 1/2)/n]``.
The quantile function is flat on each interval (an atom of mass
``(c_k - 1)/n`` for a value seen ``c_k`` times: ties are kept as ties) and
linear between neighbouring values; it is clamped to ``[v_1, v_m]``, so no
sampled value leaves the observed range. For data without ties this is the
classic interpolated ECDF with plotting positions ``(i - 1/2)/n``; in every
case the sampled distribution is within ``1/(2n)`` (KS distance) of the data's
ECDF.

With ``smoothing="kde"`` the knots come from a Gaussian kernel density estimate
(statsmodels ``KDEUnivariate``, FFT, Silverman's bandwidth by default) whose CDF
is the cumulative trapezoid integral of the density on its 4,096-point grid;
declared bounds truncate and renormalise it.
Large samples are compressed to :data:`MAX_KNOTS` quantile knots (error below
``1/MAX_KNOTS`` in probability).

Privacy note: the knots are (interpolated) real values, including the minimum
and maximum. Use a parametric marginal or KDE smoothing where that matters.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.integrate import cumulative_trapezoid

from ..errors import SpecError
from .base import Marginal, register_marginal
from .guide import GuideTable

__all__ = ["EmpiricalMarginal", "MAX_KNOTS"]

MAX_KNOTS = 4001


@register_marginal
class EmpiricalMarginal(Marginal):
    """Quantile function through knots ``x`` with probability intervals ``[pl, pr]``.

    Parameters
    ----------
    x : array_like
        Knot values, strictly increasing. A single knot is a constant column.
    pl, pr : array_like
        Cumulative probability where each knot's atom starts and ends
        (``pl <= pr``, non-decreasing, in [0, 1]); ``pr`` defaults to ``pl``
        (no atoms).
    method : {"ecdf", "kde"}
        How the knots were made (recorded, informative only).

    Examples
    --------
    >>> m = EmpiricalMarginal.fit([1.0, 2.0, 2.0, 3.0])
    >>> m.ppf([0.0, 0.5, 1.0]).tolist()
    [1.0, 2.0, 3.0]
    """

    type_name = "empirical"

    def __init__(self, x: Any, pl: Any, pr: Any = None, method: str = "ecdf") -> None:
        if method not in ("ecdf", "kde"):
            raise SpecError(f"empirical marginal `method` must be 'ecdf' or 'kde', got {method!r}")
        try:
            x = np.asarray(x, dtype=float)
            pl = np.asarray(pl, dtype=float)
            pr = pl.copy() if pr is None else np.asarray(pr, dtype=float)
        except (TypeError, ValueError):
            raise SpecError("empirical marginal knots `x`, `pl`, `pr` must be numbers") from None
        if x.ndim != 1 or x.shape != pl.shape or x.shape != pr.shape or x.size == 0:
            raise SpecError("empirical marginal needs equal-length, non-empty 1-D `x`, `pl`, `pr`")
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(pl)) and np.all(np.isfinite(pr))):
            raise SpecError("empirical marginal knots must be finite")
        P = np.column_stack([pl, pr]).ravel()
        if x.size > 1 and (np.any(np.diff(x) <= 0) or np.any(np.diff(P) < 0)):
            raise SpecError("empirical knots need strictly increasing `x` and non-decreasing `p`")
        if P.min() < 0 or P.max() > 1:
            raise SpecError("empirical knot probabilities must lie in [0, 1]")
        self.x, self.pl, self.pr, self.method = x, pl, pr, method
        self._P = P
        self._X = np.repeat(x, 2)
        width = np.diff(P)
        with np.errstate(divide="ignore", invalid="ignore"):
            self._slope = np.where(width > 0, np.diff(self._X) / width, 0.0)
        self._guide = GuideTable(P) if x.size > 1 else None
        if self._guide is not None:
            # Inside a guide cell without a knot the quantile function is one line,
            # x = A + B u: tabulate A and B per cell (NaN where a knot needs the search).
            seg = np.clip(self._guide.index.astype(np.intp) - 1, 0, P.size - 2)
            sure = self._guide.index >= 0
            self._B = np.where(sure, self._slope[seg], np.nan)
            self._A = np.where(sure, self._X[seg] - P[seg] * self._slope[seg], np.nan)
            # A and B of a cell side by side: one cache line per lookup in a large table
            self._AB = np.column_stack([self._A, self._B]).ravel()

    @classmethod
    def fit(
        cls, values: Any, *, smoothing: str | None = None, bandwidth: str | float = "silverman",
        lower: float | None = None, upper: float | None = None,
    ) -> EmpiricalMarginal:
        """Build from data; ``smoothing="kde"`` uses a Gaussian KDE (statsmodels)."""
        try:
            v = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            raise SpecError("cannot fit an empirical marginal: the values must be numbers") from None
        v = v[np.isfinite(v)]
        if v.size == 0:
            raise SpecError("cannot fit an empirical marginal to no finite values")
        if smoothing not in (None, "kde", "none", "ecdf"):
            raise SpecError(f"`smoothing` must be None or 'kde', got {smoothing!r}")
        if smoothing == "kde" and np.unique(v).size > 1:
            return cls._fit_kde(v, bandwidth, lower, upper)
        vals, counts = np.unique(v, return_counts=True)
        if vals.size == 1:
            return cls(vals, [0.5], [0.5])
        c = np.cumsum(counts)
        n = float(c[-1])
        pl = (c - counts + 0.5) / n
        pr = (c - 0.5) / n
        if vals.size > MAX_KNOTS:
            P = np.column_stack([pl, pr]).ravel()
            grid = np.linspace(P[0], P[-1], MAX_KNOTS)
            xg = np.interp(grid, P, np.repeat(vals, 2))
            vals, first = np.unique(xg, return_index=True)
            last = np.concatenate([first[1:] - 1, [grid.size - 1]])
            pl, pr = grid[first], grid[last]
        return cls(vals, pl, pr, "ecdf")

    @classmethod
    def _fit_kde(cls, v: np.ndarray, bandwidth: Any, lower: Any, upper: Any) -> EmpiricalMarginal:
        from statsmodels.nonparametric.kde import KDEUnivariate

        kde = KDEUnivariate(v)
        kde.fit(kernel="gau", bw=bandwidth, fft=True, gridsize=2**12)
        x = np.asarray(kde.support, dtype=float)
        # CDF by cumulative trapezoid integration of the FFT density on its uniform grid
        # (statsmodels' own `.cdf` integrates point by point in Python: ~1 s per column).
        F = cumulative_trapezoid(np.asarray(kde.density, dtype=float), x, initial=0.0)
        lo = -np.inf if lower is None else float(lower)
        hi = np.inf if upper is None else float(upper)
        inside = (x >= lo) & (x <= hi)
        x, F = x[inside], F[inside]
        F = np.maximum.accumulate(F)
        F = (F - F[0]) / (F[-1] - F[0])
        keep = np.concatenate([[True], np.diff(F) > 0])
        return cls(x[keep], F[keep], None, "kde")

    def cdf(self, x: Any) -> np.ndarray:
        return self._cdf(x, right=True)

    def cdf_left(self, x: Any) -> np.ndarray:
        return self._cdf(x, right=False)

    def _cdf(self, x: Any, right: bool) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.x.size == 1:
            return (x >= self.x[0] if right else x > self.x[0]).astype(float)
        k = np.clip(np.searchsorted(self.x, x, side="right") - 1, 0, self.x.size - 2)
        x0, x1 = self.x[k], self.x[k + 1]
        t = np.clip((x - x0) / (x1 - x0), 0.0, 1.0)
        out = self.pr[k] + t * (self.pl[k + 1] - self.pr[k])
        out = np.where(x == x1, self.pr[k + 1] if right else self.pl[k + 1], out)
        if not right:
            out = np.where(x == x0, self.pl[k], out)
        out = np.where(x < self.x[0], 0.0, out)
        return np.where(x > self.x[-1], 1.0, out)

    def ppf(self, u: Any) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        if self.x.size == 1:
            return np.full(u.shape, self.x[0])
        # Linear interpolation through (P, X) located with a guide table: the values of
        # np.interp(u, P, X) (up to rounding), without a binary search for most u.
        P = self._P
        u = np.clip(u, P[0], P[-1])
        g = (u * self._guide.cells).astype(np.intp)
        np.clip(g, 0, self._guide.cells - 1, out=g)
        g *= 2
        x = self._AB.take(g + 1)
        x *= u
        x += self._AB.take(g)
        unsure = np.isnan(x)
        if unsure.any():
            x[unsure] = np.interp(u[unsure], P, self._X)
        return x

    def to_dict(self) -> dict[str, Any]:
        d = {"type": self.type_name, "method": self.method,
             "x": self.x.tolist(), "pl": self.pl.tolist()}
        if np.any(self.pr != self.pl):
            d["pr"] = self.pr.tolist()
        return d

    @classmethod
    def _from_dict(cls, d: dict[str, Any]) -> EmpiricalMarginal:
        return cls(d["x"], d["pl"], d.get("pr"), d.get("method", "ecdf"))
