"""NORTA: the latent normal correlation that gives a target Pearson correlation.

Cario, M. C. and Nelson, B. L. (1997), "Modeling and generating random vectors
with arbitrary marginal distributions and correlation matrix" (NORmal To
Anything). ``X_i = F_i^-1(Phi(Z_i))`` with ``Z`` standard normal of correlation
``r``. The Pearson correlation of ``(X_i, X_j)`` is a continuous, non-decreasing
function of ``r`` (Cambanis et al. 1976)::

    rho_ij(r) = (E[F_i^-1(Phi(Z_i)) F_j^-1(Phi(Z_j))] - mu_i mu_j) / (sigma_i sigma_j)

It is solved for ``r`` with Brent's bracketing method (``scipy.optimize.brentq``).
The expectation is computed according to the marginals' kinds:

* **discrete x discrete** (finite supports ``x_0 < ... < x_{m-1}`` with
  cumulative probabilities ``C_k``; scipy families truncated at ``1e-12`` tail
  mass): ``g(z) = F^-1(Phi(z))`` is a step function with jumps
  ``dx_k = x_k - x_{k-1}`` at the thresholds ``a_k = Phi^-1(C_{k-1})``, and
  (Hoeffding's identity in the latent scale)::

      Cov(X, Y) = sum_k sum_l dx_k dy_l [Phi_2(a_k, b_l; r) - Phi(a_k) Phi(b_l)]

  exactly, with the bivariate normal CDF ``Phi_2`` evaluated on the whole grid
  of thresholds at once (:func:`bivariate_normal_cdf`, Owen's T function).
* **discrete x continuous**, **continuous x continuous**:
  ``E[(g(Z_i) - mu_i)(h(Z_j) - mu_j)] = E[(g(Z_i) - mu_i) E[h(r Z_i + s W) - mu_j | Z_i]]``,
  ``s = sqrt(1 - r^2)``: the outer integral over ``Z_i`` by composite
  Gauss–Legendre on ``[-8, 8]`` cut at every jump of ``g`` (so the integrand is
  smooth on each piece: exact for step functions), the inner one over ``W`` by
  Gauss–Hermite quadrature of the continuous ``h`` (tabulated on a dense
  z-grid, relative error ~1e-6 for smooth quantile functions).
* **the attainable interval** ``[rho_ij(-1), rho_ij(1)]`` (the Fréchet–Hoeffding
  countermonotone and comonotone couplings) is computed directly from the
  quantile functions, ``E[F^-1(U) G^-1(U)]`` and ``E[F^-1(U) G^-1(1 - U)]``, by
  the same composite rule cut at the breakpoints of both step functions.

Means and variances are exact sums for discrete marginals, composite
Gauss–Legendre integrals of the quantile function otherwise. Discrete supports
of more than 4,096 values are integrated as continuous (their steps are then
small), and discrete pairs whose threshold grid would exceed 10^6 cells use the
continuous rule for the larger support. Targets outside the attainable interval
are reported with the interval. The latent matrix is finally repaired to
positive definite (Higham 2002) if needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from ..errors import SpecError
from .checks import check_correlation_matrix
from .repair import RepairReport, nearest_correlation

__all__ = [
    "GradeMarginal",
    "NortaResult",
    "QuantileTransform",
    "bivariate_normal_cdf",
    "marginal_moments",
    "norta_pair",
    "attainable_range",
    "norta_correlation",
]

_Z_MAX = 8.0  # Phi(-8) ~ 6e-16: beyond this the probability mass is negligible
_PIECE = 0.25  # widest piece of the composite Gauss–Legendre rule on [-8, 8]
_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)
_TAIL = 1e-12  # tail mass left out of an infinite discrete support
_MAX_STEPS = 4096  # discrete supports up to this size are integrated step by step
_MAX_CELLS = 1_000_000  # largest threshold grid of a discrete x discrete pair
_ROWS = 1 << 18  # cells per vectorised slice of the threshold grid
_TINY = 1e-300


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
        self.marginal = marginal
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


def bivariate_normal_cdf(h, k, rho: float) -> np.ndarray:
    """Standard bivariate normal CDF ``P(Z_1 <= h, Z_2 <= k)`` with correlation ``rho``, vectorised.

    Owen's (1956) formula through his T function (``scipy.special.owens_t``)::

        Phi_2(h, k; rho) = (Phi(h) + Phi(k)) / 2 - T(h, a_h) - T(k, a_k) - beta,
        a_h = (k - rho h) / (h sqrt(1 - rho^2)),  a_k = (h - rho k) / (k sqrt(1 - rho^2)),

    ``beta = 0`` when ``h`` and ``k`` have the same sign, ``1/2`` otherwise (a zero
    argument is taken as its limit from above; ``Phi_2`` is continuous). Absolute
    error ~1e-15 for every ``rho`` in [-1, 1]; ``rho = +-1`` are the comonotone and
    countermonotone limits.

    Parameters
    ----------
    h, k : array_like
        Upper limits (broadcast together; ``+-inf`` allowed).
    rho : float
        Correlation in [-1, 1].

    Examples
    --------
    >>> round(float(bivariate_normal_cdf(0.0, 0.0, 0.5)), 12)  # 1/4 + asin(rho)/(2 pi)
    0.333333333333
    """
    rho = float(rho)
    if not -1.0 <= rho <= 1.0:
        raise SpecError(f"`rho` must be in [-1, 1], got {rho}")
    h, k = np.broadcast_arrays(np.asarray(h, dtype=float), np.asarray(k, dtype=float))
    if rho == 1.0:
        return special.ndtr(np.minimum(h, k))
    if rho == -1.0:
        return np.maximum(special.ndtr(h) - special.ndtr(-k), 0.0)
    s = np.sqrt((1.0 - rho) * (1.0 + rho))
    hh = np.where(h == 0.0, _TINY, h)
    kk = np.where(k == 0.0, _TINY, k)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        ah = (kk - rho * hh) / (hh * s)
        ak = (hh - rho * kk) / (kk * s)
        beta = np.where((hh > 0) == (kk > 0), 0.0, 0.5)
        out = (
            0.5 * (special.ndtr(hh) + special.ndtr(kk))
            - special.owens_t(hh, ah)
            - special.owens_t(kk, ak)
            - beta
        )
    out = np.where(np.isposinf(h), special.ndtr(k), out)
    out = np.where(np.isposinf(k), special.ndtr(h), out)
    out = np.where(np.isneginf(h) | np.isneginf(k), 0.0, out)
    return np.clip(out, 0.0, 1.0)


def _rule(breaks: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of ``E[f(Z)]``, Z ~ N(0, 1): composite Gauss–Legendre on [-8, 8].

    Pieces at most 0.25 wide (8 nodes each), also cut at ``breaks`` so a
    step function between breaks is integrated exactly. Weights sum to 1.
    """
    cuts = np.linspace(-_Z_MAX, _Z_MAX, int(round(2 * _Z_MAX / _PIECE)) + 1)
    if breaks is not None and len(breaks):
        b = np.asarray(breaks, dtype=float)
        cuts = np.unique(np.concatenate([cuts, b[(b > -_Z_MAX) & (b < _Z_MAX)]]))
    half = 0.5 * np.diff(cuts)
    mid = 0.5 * (cuts[1:] + cuts[:-1])
    z = (mid[:, None] + half[:, None] * _GL_X).ravel()
    w = (half[:, None] * _GL_W).ravel() * np.exp(-0.5 * z * z)
    return z, w / w.sum()


def _discrete_table(marginal) -> tuple[np.ndarray, np.ndarray] | None:
    """Support and probabilities of a discrete marginal (None for continuous ones)."""
    inner = getattr(marginal, "marginal", marginal)  # column views expose the wrapped marginal
    if getattr(inner, "discrete", False) and hasattr(inner, "support") and hasattr(inner, "probs"):
        v = np.asarray(inner.support, dtype=float)
        p = np.asarray(inner.probs, dtype=float)
    elif isinstance(getattr(inner, "dist", None), stats.rv_discrete):
        xk = getattr(inner.dist, "xk", None)
        if xk is not None:  # rv_discrete(values=...): an explicit support
            loc = inner.kwds.get("loc", inner.args[0] if inner.args else 0.0)
            v = np.asarray(xk, dtype=float) + float(loc)
        else:
            lo, hi = (float(t) for t in inner.support())
            a, b = max(float(inner.ppf(_TAIL)), lo), min(float(inner.isf(_TAIL)), hi)
            if not np.isfinite(b - a) or b - a > 5_000_000:
                return None
            v = np.arange(a, b + 1.0)
        p = np.asarray(inner.pmf(v), dtype=float)
    else:
        return None
    keep = p > 0
    if not keep.any():
        return None
    return v[keep], p[keep] / p[keep].sum()


class _Margin:
    """One marginal prepared for NORTA: exact steps when discrete, a tabulated ``g`` otherwise."""

    def __init__(self, marginal) -> None:
        given = marginal if isinstance(marginal, QuantileTransform) else None
        if given is not None:
            marginal = given.marginal
        elif not hasattr(marginal, "ppf"):
            raise SpecError(
                f"NORTA needs marginals with a `ppf` method, got {type(marginal).__name__}"
            )
        self.marginal = marginal
        table = _discrete_table(marginal)
        self.discrete = table is not None
        self.transform: QuantileTransform | None = None
        if table is not None:
            v, p = table
            cum = np.cumsum(p)
            cum[-1] = 1.0
            self.values = v
            self.thresholds = special.ndtri(cum[:-1])  # g jumps by dx at each threshold
            ok = np.isfinite(self.thresholds)
            self.grid_thresholds = self.thresholds[ok]
            self.grid_jumps = np.diff(v)[ok]
            self.size = v.size
            self.mean = float(p @ v)
            self.sd = float(np.sqrt(p @ (v - self.mean) ** 2))
            self.breaks = self.thresholds if v.size <= _MAX_STEPS else np.empty(0)
        else:
            self.transform = given if given is not None else QuantileTransform(marginal)
            self.breaks = np.empty(0)
            z, w = _rule()
            x = self.exact(z)
            self.mean = float(w @ x)
            self.sd = float(np.sqrt(max(float(w @ (x - self.mean) ** 2), 0.0)))

    def exact(self, z: np.ndarray) -> np.ndarray:
        """``g(z)`` from the marginal itself (the step function when discrete)."""
        if self.discrete:
            return self.values[np.searchsorted(self.thresholds, z)]
        return _g(self.marginal, z)

    def fast(self, z: np.ndarray) -> np.ndarray:
        """``g(z)`` for many arbitrary ``z`` (the tabulated transform when continuous)."""
        if self.transform is None:
            return self.values[np.searchsorted(self.thresholds, z)]
        return self.transform(z)


class GradeMarginal:
    """The distribution of the grade ``G(X) = (F(X-) + F(X)) / 2`` of a discrete marginal.

    Spearman's correlation with mid-ranks converges to the Pearson correlation of the
    two columns' grades (a continuous column's grade ``F(X)`` is uniform), so NORTA on
    grades solves a declared Spearman target for discrete columns, whose ties keep
    ``2 sin(pi rho_s / 6)`` short of it. Support ``C_{k-1} + p_k / 2``, probabilities ``p_k``.

    Examples
    --------
    >>> from scipy import stats
    >>> g = GradeMarginal([0.0, 1.0], [0.7, 0.3])
    >>> g.support.tolist(), g.probs.tolist()
    ([0.35, 0.85], [0.7, 0.3])
    >>> res = norta_correlation([[1, .6], [.6, 1]], [g, stats.uniform()], measure="Spearman")
    >>> round(float(res.latent[0, 1]), 3)  # 2 sin(pi 0.6 / 6) = 0.618 would give 0.47
    0.778
    """

    discrete = True

    def __init__(self, support, probs) -> None:
        p = np.asarray(probs, dtype=float)
        p = p / p.sum()
        cum = np.cumsum(p)
        self.probs = p
        self.support = cum - p / 2
        self._cum = cum

    def ppf(self, u):
        k = np.searchsorted(self._cum, np.asarray(u, dtype=float), side="left")
        return self.support[np.minimum(k, self.support.size - 1)]

    @classmethod
    def of(cls, marginal) -> GradeMarginal | None:
        """The grade distribution of a discrete marginal (None for a continuous one)."""
        table = _discrete_table(marginal)
        return None if table is None else cls(*table)


def _as_margin(m) -> _Margin:
    return m if isinstance(m, _Margin) else _Margin(m)


def marginal_moments(marginal) -> tuple[float, float]:
    """Mean and standard deviation of a marginal, as NORTA computes them.

    Exact sums over the support of a discrete marginal (scipy families
    truncated at 1e-12 tail mass); for a continuous one, composite
    Gauss–Legendre integrals ``int F^-1(Phi(z))^k phi(z) dz`` over [-8, 8].

    Examples
    --------
    >>> from scipy import stats
    >>> [round(v, 8) for v in marginal_moments(stats.poisson(3))]  # 3 and sqrt(3)
    [3.0, 1.73205081]
    """
    m = _as_margin(marginal)
    return m.mean, m.sd


class _Pair:
    """``rho(r)`` of two marginals, with the attainable interval ``lo = rho(-1)``, ``hi = rho(1)``."""

    def __init__(self, a: _Margin, b: _Margin, nodes: int = 64) -> None:
        if a.sd <= 0 or b.sd <= 0:
            raise SpecError(
                "NORTA: a marginal is degenerate (zero variance); its correlation is undefined"
            )
        # the outer variable carries the exact breaks: the discrete one, the smaller support
        if (b.discrete and not a.discrete) or (a.discrete and b.discrete and b.size < a.size):
            a, b = b, a
        self.a, self.b = a, b
        self.scale = a.sd * b.sd
        self.grid = (
            a.discrete
            and b.discrete
            and a.grid_thresholds.size * b.grid_thresholds.size <= _MAX_CELLS
        )
        if self.grid:
            self.pa = special.ndtr(a.grid_thresholds)
            self.pb = special.ndtr(b.grid_thresholds)
        else:
            self.z, w = _rule(a.breaks)
            self.wa = w * (a.exact(self.z) - a.mean)
            x, v = np.polynomial.hermite_e.hermegauss(nodes)
            self.x, self.v = x, v / v.sum()
        self.lo = self._bound(-1.0)
        self.hi = self._bound(1.0)

    def _bound(self, sign: float) -> float:
        """Pearson correlation of the comonotone (+1) / countermonotone (-1) coupling."""
        a, b = self.a, self.b
        z, w = _rule(np.concatenate([a.breaks, sign * b.breaks]))
        cov = w @ ((a.exact(z) - a.mean) * (b.exact(sign * z) - b.mean))
        return float(np.clip(cov / self.scale, -1.0, 1.0))

    def __call__(self, r: float) -> float:
        r = float(np.clip(r, -1.0, 1.0))
        if r <= -1.0:
            return self.lo
        if r >= 1.0:
            return self.hi
        if r == 0.0:
            return 0.0  # independent latent scores: uncorrelated outputs
        a, b = self.a, self.b
        if self.grid:
            ta, tb = a.grid_thresholds, b.grid_thresholds
            step = max(1, _ROWS // max(tb.size, 1))
            cov = 0.0
            for s in range(0, ta.size, step):
                sl = slice(s, s + step)
                k = bivariate_normal_cdf(ta[sl, None], tb[None, :], r)
                k -= self.pa[sl, None] * self.pb[None, :]
                cov += float(a.grid_jumps[sl] @ k @ b.grid_jumps)
        else:
            s = np.sqrt((1.0 - r) * (1.0 + r))
            inner = b.fast(r * self.z[:, None] + s * self.x[None, :]) @ self.v
            cov = float(self.wa @ (inner - b.mean))
        return cov / self.scale


def attainable_range(marginal_i, marginal_j, *, nodes: int = 64) -> tuple[float, float]:
    """Fréchet–Hoeffding bounds of the Pearson correlation between two marginals.

    Returns ``(rho(-1), rho(1))``: the correlations of the countermonotone and
    comonotone couplings, ``E[F^-1(U) G^-1(1 - U)]`` and ``E[F^-1(U) G^-1(U)]``
    standardised, integrated piecewise between the breakpoints of both quantile
    functions (exact for discrete marginals).

    Examples
    --------
    >>> from scipy import stats
    >>> lo, hi = attainable_range(stats.lognorm(1), stats.lognorm(1))
    >>> round(lo, 3), round(hi, 3)
    (-0.368, 1.0)
    """
    f = _Pair(_as_margin(marginal_i), _as_margin(marginal_j), nodes)
    return f.lo, f.hi


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
    f = _Pair(_as_margin(marginal_i), _as_margin(marginal_j), nodes)
    lo, hi = f.lo, f.hi
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
    measure: str = "Pearson",
) -> NortaResult:
    """NORTA latent correlation matrix for a declared Pearson matrix on given marginals.

    Parameters
    ----------
    target : array-like (d, d)
        Declared Pearson correlation of the output columns.
    marginals : sequence of length d
        Objects with ``ppf`` (frozen scipy distributions, synthkit marginals).
        Discrete ones (scipy ``rv_discrete`` families, synthkit discrete
        marginals) are integrated exactly as step functions.
    names : sequence of str, optional
        Column names for messages and the report.
    on_infeasible : {"raise", "clip"}
        A target outside its pair's attainable interval raises
        :class:`~synthkit.errors.SpecError` listing every such pair with its
        interval, or (``"clip"``) is moved to the nearest bound and reported.
    nodes : int
        Gauss–Hermite nodes of the inner integral over a continuous marginal
        (64: errors < 1e-6 for the usual families).
    threshold, strict
        Passed to :func:`~synthkit.dependence.repair.nearest_correlation` for the
        latent matrix.
    measure : str
        What the target measures, in messages (``"Spearman"`` when the marginals are the
        columns' grades, :class:`GradeMarginal`).

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
    if isinstance(nodes, bool) or not isinstance(nodes, (int, np.integer)) or not 2 <= nodes <= 1024:
        raise SpecError(f"`nodes` must be an integer in [2, 1024], got {nodes!r}")
    d = len(marginals)
    names = [str(n) for n in names] if names is not None else [f"x{i}" for i in range(d)]
    t = check_correlation_matrix(target, names, what=f"target {measure} correlation")
    ms = [_as_margin(m) for m in marginals]
    latent = np.eye(d)
    lower = np.eye(d)
    upper = np.eye(d)
    bad: list[dict] = []
    for i in range(d):
        for j in range(i + 1, d):
            f = _Pair(ms[i], ms[j], nodes)
            lo, hi = f.lo, f.hi
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
            f"declared {measure} correlation not attainable with these marginals: {listing}. "
            "Change the targets, or pass on_infeasible='clip' to use the nearest attainable values"
        )
    rep = nearest_correlation(latent, names, threshold=threshold, strict=strict)
    return NortaResult(rep.matrix, t, lower, upper, names, bad, rep if rep.repaired else None)
