"""Latent Gaussian correlation of mixed continuous / discrete / censored columns, by pairwise MLE.

Under a Gaussian copula, every observed value pins the column's latent normal
score ``Z`` to an *interval*: a point ``Phi^-1(F(x))`` for a continuous value,
``[Phi^-1(F(x-)), Phi^-1(F(x))]`` for an atom (an integer, a category, a
boolean, a missing value). The distributional transform spreads atoms
uniformly at random inside their interval, which *attenuates* correlations
involving discrete columns (the jitter is independent of everything else):
on sklearn's wine table the fitted copula's Spearman to the 3-class target
came out 0.2 too weak. Here the latent correlation of a pair is instead
estimated by maximum likelihood of the interval-censored bivariate normal:

* point-point rows: bivariate normal density;
* point-interval rows: ``phi(z_i) [Phi((b - r z_i)/s) - Phi((a - r z_i)/s)]``,
  ``s = sqrt(1 - r^2)`` (the *polyserial* likelihood, Olsson, Drasgow & Dorans 1982);
* interval-interval rows: the rectangle probability of the bivariate normal,
  evaluated once per distinct cell of the contingency table (the
  *polychoric* likelihood, Olsson 1979).

Pairs of two fully continuous columns keep the normal-scores (van der
Waerden) correlation. ``Phi_2`` is computed with Sheppard's / Drezner–Wesolowsky's
integral ``Phi(h)Phi(k) + 1/(2 pi) int_0^asin(r) exp(-(h^2+k^2-2hk sin t)/(2 cos^2 t)) dt``
by 64-point Gauss–Legendre quadrature.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import optimize, special

__all__ = ["bvn_cdf", "pairwise_latent_correlation"]

_CAP = 38.0
_GL_X, _GL_W = np.polynomial.legendre.leggauss(64)
_RMAX = 0.995


def bvn_cdf(h: np.ndarray, k: np.ndarray, r: float) -> np.ndarray:
    """Standard bivariate normal CDF ``P(Z1 <= h, Z2 <= k)`` with correlation ``r`` (vectorised).

    Examples
    --------
    >>> round(float(bvn_cdf(np.array([0.0]), np.array([0.0]), 0.5)[0]), 6)
    0.333333
    """
    h = np.clip(np.asarray(h, dtype=float), -_CAP, _CAP)
    k = np.clip(np.asarray(k, dtype=float), -_CAP, _CAP)
    base = special.ndtr(h) * special.ndtr(k)
    if r == 0.0:
        return base
    top = np.arcsin(r)
    t = 0.5 * top * (_GL_X + 1.0)  # nodes on [0, asin r]
    w = 0.5 * top * _GL_W
    st, ct2 = np.sin(t), np.cos(t) ** 2
    hh = h[..., None]
    kk = k[..., None]
    expo = -((hh - kk * st) ** 2 / ct2 + kk**2) / 2.0
    integral = (np.exp(expo) * w).sum(axis=-1) / (2.0 * np.pi)
    return np.clip(base + integral, 0.0, 1.0)


def _pair_mle(zi_lo, zi_hi, zj_lo, zj_hi, start: float) -> float:
    pi_ = zi_lo == zi_hi
    pj_ = zj_lo == zj_hi
    pp = pi_ & pj_
    pint = pi_ & ~pj_  # i point, j interval
    intp = ~pi_ & pj_  # i interval, j point
    ii = ~pi_ & ~pj_
    x_pp, y_pp = zi_lo[pp], zj_lo[pp]
    sxx, syy, sxy = float(x_pp @ x_pp), float(y_pp @ y_pp), float(x_pp @ y_pp)
    n_pp = int(pp.sum())
    # point-interval rows: (point value, interval low, interval high)
    pz = np.concatenate([zi_lo[pint], zj_lo[intp]])
    pa = np.clip(np.concatenate([zj_lo[pint], zi_lo[intp]]), -_CAP, _CAP)
    pb = np.clip(np.concatenate([zj_hi[pint], zi_hi[intp]]), -_CAP, _CAP)
    # interval-interval: distinct cells with counts
    if ii.any():
        cells, counts = np.unique(
            np.column_stack([zi_lo[ii], zi_hi[ii], zj_lo[ii], zj_hi[ii]]),
            axis=0,
            return_counts=True,
        )
    else:
        cells, counts = np.empty((0, 4)), np.empty(0)

    def nll(r: float) -> float:
        s2 = 1.0 - r * r
        ll = 0.0
        if n_pp:
            ll += -0.5 * n_pp * np.log(s2) - (sxx - 2 * r * sxy + syy) / (2 * s2) + (sxx + syy) / 2
        if pz.size:
            s = np.sqrt(s2)
            p = special.ndtr((pb - r * pz) / s) - special.ndtr((pa - r * pz) / s)
            ll += float(np.log(np.maximum(p, 1e-300)).sum())
        if counts.size:
            a1, b1, a2, b2 = cells.T
            p = bvn_cdf(b1, b2, r) - bvn_cdf(a1, b2, r) - bvn_cdf(b1, a2, r) + bvn_cdf(a1, a2, r)
            ll += float(counts @ np.log(np.maximum(p, 1e-300)))
        return -ll

    res = optimize.minimize_scalar(
        nll, bounds=(-_RMAX, _RMAX), method="bounded", options={"xatol": 1e-6}
    )
    r = float(res.x)
    # guard against a poor local optimum: compare with the start value
    if np.isfinite(start) and nll(float(np.clip(start, -_RMAX, _RMAX))) < res.fun:
        r = float(np.clip(start, -_RMAX, _RMAX))
    return r


def pairwise_latent_correlation(
    lower: np.ndarray,
    upper: np.ndarray,
    jittered: np.ndarray | None = None,
    *,
    observed: np.ndarray | None = None,
    names: Sequence[str] | None = None,
    progress: bool | None = None,
) -> np.ndarray:
    """Latent normal correlation from interval-censored normal scores (see module docstring).

    Parameters
    ----------
    lower, upper : ndarray (n, d)
        Bounds of each row's latent normal score per column (equal for points;
        ``-inf``/``inf`` allowed).
    jittered : ndarray (n, d), optional
        Normal scores of the distributional transform (one point inside each
        interval): start values of the optimisation (default: interval midpoints).
    observed : ndarray of bool (n, d), optional
        False for missing cells: each pair uses the rows observed in both
        (pairwise-complete likelihood).
    names : sequence of str, optional
        Column names (accepted for symmetry with the other estimators; unused).
    progress : bool, optional
        Show a tqdm progress bar over the pairs.

    Returns
    -------
    numpy.ndarray (d, d)
        Symmetric with unit diagonal (not necessarily positive definite: repair it).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(4000, 2)) @ np.linalg.cholesky([[1, .7], [.7, 1]]).T
    >>> lo = z.copy(); hi = z.copy()
    >>> lo[:, 1] = np.where(z[:, 1] > 0, 0.0, -np.inf)
    >>> hi[:, 1] = np.where(z[:, 1] > 0, np.inf, 0.0)
    >>> r = pairwise_latent_correlation(lo, hi, z)
    >>> abs(float(r[0, 1]) - 0.7) < 0.04
    True
    """
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    n, d = lower.shape
    obs = np.ones((n, d), bool) if observed is None else np.asarray(observed, bool)
    if jittered is None:
        mid = 0.5 * (np.clip(lower, -_CAP, _CAP) + np.clip(upper, -_CAP, _CAP))
        jittered = mid
    zj = np.asarray(jittered, dtype=float)
    point = lower == upper
    corr = np.eye(d)
    from tqdm.auto import tqdm

    # fully observed, all-point columns: one vectorised normal-scores correlation
    clean = [j for j in range(d) if obs[:, j].all() and point[:, j].all()]
    if len(clean) >= 2:
        block = np.corrcoef(zj[:, clean], rowvar=False)
        corr[np.ix_(clean, clean)] = block
    done = set(clean)
    pairs = [(i, j) for i in range(d) for j in range(i + 1, d)
             if not (i in done and j in done)]
    for i, j in tqdm(
        pairs, disable=None if progress else True, desc="latent correlation", leave=False
    ):
        rows = obs[:, i] & obs[:, j]
        if rows.sum() < 3:
            continue
        zi, zk = zj[rows, i], zj[rows, j]
        start = float(np.corrcoef(zi, zk)[0, 1]) if zi.std() > 0 and zk.std() > 0 else 0.0
        if point[rows, i].all() and point[rows, j].all():
            corr[i, j] = corr[j, i] = start  # van der Waerden (normal-scores) correlation
            continue
        r = _pair_mle(lower[rows, i], upper[rows, i], lower[rows, j], upper[rows, j], start)
        corr[i, j] = corr[j, i] = r
    return np.nan_to_num(corr, nan=0.0)
