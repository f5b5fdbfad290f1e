"""Fast inverse CDFs: a quantile table on a normal-score grid.

scipy's ``ppf`` is fast for some families (normal, lognormal, Weibull) and tens
of times slower for others (gamma, beta, t: they run a root finder per value).
A :class:`QuantileTable` tabulates ``x(z) = F^{-1}(Φ(z))`` on a uniform grid in
normal-score space ``z`` and answers ``ppf(u)`` with one ``ndtri`` and one linear
interpolation: ``x̂(u) = interp(Φ^{-1}(u); z_grid, x_grid)``.

Working in ``z`` rather than ``u`` keeps the tails accurate: a uniform grid in
``u`` would put almost no knots where ``u`` is within 1e-6 of 0 or 1.

Accuracy
--------
The table is *self-certifying*: after building it, the exact ``ppf`` is
evaluated at every interval midpoint and the error is measured in probability
space, ``|F(x̂(u)) - u|``. The grid is doubled (up to 2**16 intervals) until
that error is below ``tol`` (default ``1e-6``); the achieved bound is stored in
``max_error``. For smooth families (gamma, beta, t, ...) this holds with 4,096-8,192
intervals; a probability error of 1e-6 is far below any sampling noise
(the KS distance of a million draws is ~1e-3). Beyond ``|z| > z_max`` (default 8.3, ``u`` within 5e-17 of 0 or 1)
the exact ``ppf`` is used, which is only reachable from ``u`` that round to
those extremes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special

__all__ = ["QuantileTable"]


class QuantileTable:
    """Tabulated ``ppf`` with certified probability-space accuracy.

    Parameters
    ----------
    ppf, cdf : callable
        The exact (slow) vectorised quantile function and CDF.
    tol : float
        Target bound on ``|F(x̂(u)) - u|`` at interval midpoints.
    z_max : float
        Half-width of the normal-score grid.

    Examples
    --------
    >>> from scipy import stats
    >>> d = stats.gamma(2.5)
    >>> t = QuantileTable(d.ppf, d.cdf)
    >>> bool(abs(t(0.3) - d.ppf(0.3)) < 1e-5)
    True
    """

    def __init__(
        self,
        ppf: Callable[[np.ndarray], np.ndarray],
        cdf: Callable[[np.ndarray], np.ndarray],
        *,
        tol: float = 1e-6,
        z_max: float = 8.3,
        start_intervals: int = 4096,
        max_intervals: int = 2**16,
    ) -> None:
        self._ppf = ppf
        self.z_max = float(z_max)
        m = int(start_intervals)
        while True:
            z = np.linspace(-self.z_max, self.z_max, m + 1)
            x = np.asarray(ppf(special.ndtr(z)), dtype=float)
            x = np.maximum.accumulate(np.where(np.isfinite(x), x, np.nan))
            zm = 0.5 * (z[:-1] + z[1:])
            um = special.ndtr(zm)
            xm = np.interp(zm, z, x)
            err = np.abs(np.asarray(cdf(xm), dtype=float) - um)
            err = err[np.isfinite(err)]
            max_err = float(err.max()) if err.size else 0.0
            if (max_err <= tol and np.all(np.isfinite(x))) or m >= max_intervals:
                break
            m *= 2
        if not np.all(np.isfinite(x)):
            # Unbounded ppf at the grid ends (should not happen inside |z|<=z_max):
            # fall back to the exact ppf there.
            x = np.where(np.isfinite(x), x, np.nan)
        self.z = z
        self.x = x
        self.max_error = max_err
        self.n_intervals = m

    def __call__(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        z = special.ndtri(u)
        out = np.interp(z, self.z, self.x)
        outside = (np.abs(z) > self.z_max) | np.isnan(out)
        if np.any(outside):
            out = np.array(out, copy=True)
            out[outside] = self._ppf(u[outside])
        return out
