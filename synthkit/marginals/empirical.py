"""Empirical marginals: the interpolated quantile function, optionally KDE-smoothed.

For sorted distinct values ``v_1 < ... < v_m`` with cumulative counts ``c_k``
(``c_0 = 0``, ``c_m = n``), the knots are ``(v_k, p_k)`` with mid-rank positions
``p_k = (c_{k-1} + c_k) / (2n)``. ``ppf`` interpolates linearly between knots and
is clamped to ``[v_1, v_m]`` (no value outside the observed range), ``cdf`` is
its inverse. Ties are handled exactly. With ``n`` observations the sampled
distribution is within ``1/(2n)`` (KS distance) of the data's ECDF, up to the
linear interpolation inside each gap.

With ``smoothing="kde"`` the knots come from a Gaussian kernel density estimate
(statsmodels ``KDEUnivariate``, FFT, Silverman's bandwidth by default) whose CDF
is tabulated on its support grid; declared bounds truncate and renormalise it.
Large samples are compressed to :data:`MAX_KNOTS` quantile knots (error below
``1/MAX_KNOTS`` in probability).

Privacy note: the knots are (interpolated) real values, including the minimum
and maximum. Use a parametric marginal or KDE smoothing where that matters.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import SpecError
from .base import Marginal, register_marginal

__all__ = ["EmpiricalMarginal", "MAX_KNOTS"]

MAX_KNOTS = 4001


@register_marginal
class EmpiricalMarginal(Marginal):
    """Piecewise-linear quantile function through ``(p, x)`` knots.

    Parameters
    ----------
    x, p : array_like
        Knot values (strictly increasing) and their cumulative probabilities
        (non-decreasing, within [0, 1]). A single knot is a constant column.
    method : {"ecdf", "kde"}
        How the knots were made (recorded, informative only).

    Examples
    --------
    >>> m = EmpiricalMarginal.fit([1.0, 2.0, 2.0, 3.0])
    >>> m.ppf([0.0, 0.5, 1.0]).tolist()
    [1.0, 2.0, 3.0]
    """

    type_name = "empirical"

    def __init__(self, x: Any, p: Any, method: str = "ecdf") -> None:
        x = np.asarray(x, dtype=float)
        p = np.asarray(p, dtype=float)
        if x.ndim != 1 or x.shape != p.shape or x.size == 0:
            raise SpecError("empirical marginal needs equal-length, non-empty 1-D `x` and `p`")
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(p))):
            raise SpecError("empirical marginal knots must be finite")
        if x.size > 1 and (np.any(np.diff(x) <= 0) or np.any(np.diff(p) < 0)):
            raise SpecError("empirical knots need strictly increasing `x` and non-decreasing `p`")
        if p.min() < 0 or p.max() > 1:
            raise SpecError("empirical knot probabilities must lie in [0, 1]")
        self.x, self.p, self.method = x, p, method

    @classmethod
    def fit(
        cls, values: Any, *, smoothing: str | None = None, bandwidth: str | float = "silverman",
        lower: float | None = None, upper: float | None = None,
    ) -> EmpiricalMarginal:
        """Build from data; ``smoothing="kde"`` uses a Gaussian KDE (statsmodels)."""
        v = np.asarray(values, dtype=float)
        v = v[np.isfinite(v)]
        if v.size == 0:
            raise SpecError("cannot fit an empirical marginal to no finite values")
        if smoothing == "kde" and np.unique(v).size > 1:
            return cls._fit_kde(v, bandwidth, lower, upper)
        if smoothing not in (None, "kde", "none", "ecdf"):
            raise SpecError(f"`smoothing` must be None or 'kde', got {smoothing!r}")
        vals, counts = np.unique(v, return_counts=True)
        c = np.cumsum(counts)
        n = c[-1]
        p = (np.concatenate([[0], c[:-1]]) + c) / (2.0 * n)
        if vals.size > MAX_KNOTS:
            grid = np.linspace(p[0], p[-1], MAX_KNOTS)
            vals = np.interp(grid, p, vals)
            keep = np.concatenate([[True], np.diff(vals) > 0])
            vals, p = vals[keep], grid[keep]
        if vals.size == 1:
            p = np.array([0.5])
        return cls(vals, p, "ecdf")

    @classmethod
    def _fit_kde(cls, v: np.ndarray, bandwidth: Any, lower: Any, upper: Any) -> EmpiricalMarginal:
        from statsmodels.nonparametric.kde import KDEUnivariate

        kde = KDEUnivariate(v)
        kde.fit(kernel="gau", bw=bandwidth, fft=True, gridsize=2**12)
        x = np.asarray(kde.support, dtype=float)
        F = np.clip(np.asarray(kde.cdf, dtype=float), 0.0, 1.0)
        lo = -np.inf if lower is None else float(lower)
        hi = np.inf if upper is None else float(upper)
        inside = (x >= lo) & (x <= hi)
        x, F = x[inside], F[inside]
        F = np.maximum.accumulate(F)
        F = (F - F[0]) / (F[-1] - F[0])
        keep = np.concatenate([[True], np.diff(F) > 0])
        return cls(x[keep], F[keep], "kde")

    def cdf(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.x.size == 1:
            return (x >= self.x[0]).astype(float)
        out = np.interp(x, self.x, self.p, left=0.0, right=1.0)
        return out

    def ppf(self, u: Any) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        if self.x.size == 1:
            return np.full(u.shape, self.x[0])
        return np.interp(u, self.p, self.x)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "method": self.method,
                "x": self.x.tolist(), "p": self.p.tolist()}

    @classmethod
    def _from_dict(cls, d: dict[str, Any]) -> EmpiricalMarginal:
        return cls(d["x"], d["p"], d.get("method", "ecdf"))
