"""NORTA: the latent normal correlation that gives a target Pearson correlation.

Cario, M. C. and Nelson, B. L. (1997), "Modeling and generating random vectors
with arbitrary marginal distributions and correlation matrix" (NORmal To
Anything). ``X_i = F_i^-1(Phi(Z_i))`` with ``Z`` standard normal of correlation
``r``. The Pearson correlation of ``(X_i, X_j)`` is a continuous, non-decreasing
function of ``r`` (Cambanis et al. 1976)::

    rho_ij(r) = (E[F_i^-1(Phi(Z_i)) F_j^-1(Phi(Z_j))] - mu_i mu_j) / (sigma_i sigma_j)

We evaluate the expectation by tensor Gauss–Hermite quadrature on
``Z_i = x``, ``Z_j = r x + sqrt(1 - r^2) y`` (x, y independent N(0, 1)), with the
transforms ``g(z) = F^-1(Phi(z))`` tabulated once per marginal on a dense
z-grid (linear interpolation; relative error ~1e-6 for smooth quantile
functions), and solve ``rho_ij(r) = target`` with Brent's method. The
attainable range is ``[rho_ij(-1), rho_ij(1)]``: the Fréchet–Hoeffding
(countermonotone, comonotone) bounds. Targets outside it are reported with
the interval. The latent matrix is finally repaired to positive definite
(Higham 2002) if needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special

from ..errors import SpecError
from .checks import check_correlation_matrix
from .repair import RepairReport, nearest_correlation

__all__ = [
    "NortaResult",
    "QuantileTransform",
    "norta_pair",
    "attainable_range",
    "norta_correlation",
]

_Z_MAX = 8.0  # Phi(-8) ~ 6e-16: beyond this the quadrature weights are negligible


class QuantileTransform:
    """``g(z) = F^-1(Phi(z))`` of one marginal, tabulated on a z-grid for fast evaluation.

    Parameters
    ----------
    marginal : object with ``ppf`` (and optionally ``isf``)
        A frozen scipy distribution or a synthkit marginal.
    grid : int
        Grid points on ``[-8, 8]``.

    Examples
    --------
    >>> from scipy import stats
    >>> g = QuantileTransform(stats.norm(2, 3))
    >>> round(float(g(np.array([1.0]))[0]), 6)
    5.0
    """

    def __init__(self, marginal, grid: int = 4001) -> None:
        if not hasattr(marginal, "ppf"):
            raise SpecError(
                f"NORTA needs marginals with a `ppf` method, got {type(marginal).__name__}"
            )
        self.z = np.linspace(-_Z_MAX, _Z_MAX, grid)
        self.values = _g(marginal, self.z)
        if not np.all(np.isfinite(self.values)):
            raise SpecError(
                f"marginal {marginal!r} has non-finite quantiles within 8 standard normal "
                "scores of the median; NORTA needs finite quantiles"
            )

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return np.interp(z, self.z, self.values)


def _g(marginal, z: np.ndarray) -> np.ndarray:
    """F^-1(Phi(z)) accurately in both tails (upper tail through ``isf`` when available)."""
    out = np.empty_like(z, dtype=float)
    lo = z <= 0
    out[lo] = np.asarray(marginal.ppf(special.ndtr(z[lo])), dtype=float)
    if hasattr(marginal, "isf"):
        out[~lo] = np.asarray(marginal.isf(special.ndtr(-z[~lo])), dtype=float)
    else:
        out[~lo] = np.asarray(
            marginal.ppf(np.minimum(special.ndtr(z[~lo]), np.nextafter(1.0, 0.0))), dtype=float
        )
    return out


class _Quad:
    """Gauss–Hermite (probabilists') nodes/weights for E[f(Z)], Z ~ N(0, 1)."""

    def __init__(self, nodes: int) -> None:
        x, w = np.polynomial.hermite_e.hermegauss(nodes)
        self.x = x
        self.w = w / w.sum()


def _moments(g: QuantileTransform, q: _Quad) -> tuple[float, float]:
    v = g(q.x)
    mu = float(q.w @ v)
    var = float(q.w @ (v - mu) ** 2)
    return mu, np.sqrt(max(var, 0.0))


def _pair_function(gi: QuantileTransform, gj: QuantileTransform, q: _Quad):
    mi, si = _moments(gi, q)
    mj, sj = _moments(gj, q)
    if si <= 0 or sj <= 0:
        raise SpecError(
            "NORTA: a marginal is degenerate (zero variance); its correlation is undefined"
        )
    vi = gi(q.x) - mi
    ww = np.outer(q.w, q.w)

    def rho(r: float) -> float:
        r = float(np.clip(r, -1.0, 1.0))
        zj = r * q.x[:, None] + np.sqrt(max(1.0 - r * r, 0.0)) * q.x[None, :]
        vj = gj(zj) - mj
        return float(np.sum(ww * vi[:, None] * vj) / (si * sj))

    return rho


def attainable_range(marginal_i, marginal_j, *, nodes: int = 64) -> tuple[float, float]:
    """Fréchet–Hoeffding bounds of the Pearson correlation between two marginals.

    Returns ``(rho(-1), rho(1))``: the countermonotone and comonotone correlations.

    Examples
    --------
    >>> from scipy import stats
    >>> lo, hi = attainable_range(stats.lognorm(1), stats.lognorm(1))
    >>> round(lo, 3), round(hi, 3)
    (-0.368, 1.0)
    """
    q = _Quad(nodes)
    f = _pair_function(_as_transform(marginal_i), _as_transform(marginal_j), q)
    return f(-1.0), f(1.0)


def _as_transform(m) -> QuantileTransform:
    return m if isinstance(m, QuantileTransform) else QuantileTransform(m)


def norta_pair(
    target: float, marginal_i, marginal_j, *, nodes: int = 64, xtol: float = 1e-10
) -> float:
    """Latent normal correlation giving Pearson ``target`` between two marginals.

    Raises :class:`~synthkit.errors.SpecError` when ``target`` is outside the
    attainable (Fréchet) interval, naming it.

    Examples
    --------
    >>> from scipy import stats
    >>> round(norta_pair(0.5, stats.norm(), stats.norm(3, 2)), 8)
    0.5
    """
    q = _Quad(nodes)
    f = _pair_function(_as_transform(marginal_i), _as_transform(marginal_j), q)
    lo, hi = f(-1.0), f(1.0)
    if not (lo - 1e-9 <= target <= hi + 1e-9):
        raise SpecError(
            f"Pearson correlation {target:g} is not attainable with these marginals; "
            f"the attainable interval is [{lo:.4f}, {hi:.4f}]"
        )
    return _solve(f, target, lo, hi, xtol)


def _solve(f, target: float, lo: float, hi: float, xtol: float) -> float:
    if target <= lo:
        return -1.0
    if target >= hi:
        return 1.0
    f0 = f(0.0)
    if abs(f0 - target) < 1e-14:
        return 0.0
    a, b = (-1.0, 0.0) if target < f0 else (0.0, 1.0)
    return float(optimize.brentq(lambda r: f(r) - target, a, b, xtol=xtol))


@dataclass
class NortaResult:
    """Result of :func:`norta_correlation`.

    Attributes
    ----------
    latent : numpy.ndarray
        Latent normal correlation (repaired to positive definite when needed).
    target : numpy.ndarray
        The declared Pearson correlation.
    lower, upper : numpy.ndarray
        Attainable (Fréchet) interval of each pair.
    infeasible : list of dict
        Pairs whose target was outside the attainable interval (clipped to it when
        ``on_infeasible="clip"``): names, target and interval.
    repair : RepairReport or None
        The repair of the latent matrix (None when it was positive definite).
    """

    latent: np.ndarray
    target: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    names: list[str]
    infeasible: list[dict] = field(default_factory=list)
    repair: RepairReport | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per pair: target, attainable interval and latent correlation."""
        iu = np.triu_indices(len(self.names), 1)
        return pd.DataFrame(
            {
                "column_a": [self.names[i] for i in iu[0]],
                "column_b": [self.names[j] for j in iu[1]],
                "target": self.target[iu],
                "attainable_low": self.lower[iu],
                "attainable_high": self.upper[iu],
                "latent": self.latent[iu],
            }
        )


def norta_correlation(
    target,
    marginals: Sequence,
    names: Sequence[str] | None = None,
    *,
    on_infeasible: str = "raise",
    nodes: int = 64,
    threshold: float = 1e-8,
    strict: bool = False,
) -> NortaResult:
    """NORTA latent correlation matrix for a declared Pearson matrix on given marginals.

    Parameters
    ----------
    target : array-like (d, d)
        Declared Pearson correlation of the output columns.
    marginals : sequence of length d
        Objects with ``ppf`` (frozen scipy distributions, synthkit marginals).
    names : sequence of str, optional
        Column names for messages and the report.
    on_infeasible : {"raise", "clip"}
        A target outside its pair's attainable interval raises
        :class:`~synthkit.errors.SpecError` listing every such pair with its
        interval, or (``"clip"``) is moved to the nearest bound and reported.
    nodes : int
        Gauss–Hermite nodes per dimension (64: errors < 1e-6 for the usual families).
    threshold, strict
        Passed to :func:`~synthkit.dependence.repair.nearest_correlation` for the
        latent matrix.

    Returns
    -------
    NortaResult

    Examples
    --------
    >>> from scipy import stats
    >>> res = norta_correlation([[1, .5], [.5, 1]], [stats.expon(), stats.expon()])
    >>> round(float(res.latent[0, 1]), 3)
    0.547
    """
    if on_infeasible not in ("raise", "clip"):
        raise SpecError(f"`on_infeasible` must be 'raise' or 'clip', got {on_infeasible!r}")
    d = len(marginals)
    names = [str(n) for n in names] if names is not None else [f"x{i}" for i in range(d)]
    t = check_correlation_matrix(target, names, what="target Pearson correlation")
    q = _Quad(nodes)
    gs = [_as_transform(m) for m in marginals]
    latent = np.eye(d)
    lower = np.eye(d)
    upper = np.eye(d)
    bad: list[dict] = []
    for i in range(d):
        for j in range(i + 1, d):
            f = _pair_function(gs[i], gs[j], q)
            lo, hi = f(-1.0), f(1.0)
            lower[i, j] = lower[j, i] = lo
            upper[i, j] = upper[j, i] = hi
            tij = t[i, j]
            if not (lo - 1e-9 <= tij <= hi + 1e-9):
                bad.append(
                    {
                        "column_a": names[i],
                        "column_b": names[j],
                        "target": float(tij),
                        "attainable_low": lo,
                        "attainable_high": hi,
                    }
                )
                tij = min(max(tij, lo), hi)
            r = 0.0 if tij == 0.0 and abs(f(0.0)) < 1e-12 else _solve(f, tij, lo, hi, 1e-10)
            latent[i, j] = latent[j, i] = r
    if bad and on_infeasible == "raise":
        listing = "; ".join(
            f"{b['column_a']}-{b['column_b']} target {b['target']:g} attainable "
            f"[{b['attainable_low']:.4f}, {b['attainable_high']:.4f}]"
            for b in bad
        )
        raise SpecError(
            f"declared Pearson correlation not attainable with these marginals: {listing}. "
            "Change the targets, or pass on_infeasible='clip' to use the nearest attainable values"
        )
    rep = nearest_correlation(latent, names, threshold=threshold, strict=strict)
    return NortaResult(rep.matrix, t, lower, upper, names, bad, rep if rep.repaired else None)
