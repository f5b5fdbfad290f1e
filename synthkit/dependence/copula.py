"""Copulas on uniforms: Gaussian, Student-t and vine; fitting, sampling, conditioning.

Everything here works on *uniforms* ``u`` in (0, 1) (pseudo-observations or
``ColumnModel.to_uniform`` output, which handles discrete, categorical and
missing values with the distributional transform) and returns uniforms: the
marginal layer maps them to typed columns.

Gaussian copula
    ``u = Phi(Z)``, ``Z ~ N(0, R)``. ``R`` is estimated by the normal-scores
    correlation (Klaassen & Wellner 1997: efficient), repaired to positive
    definite (Higham 2002) when needed.
Student-t copula
    ``u = t_nu(Z / sqrt(W / nu))``, ``W ~ chi2(nu)``. ``R`` from Kendall's tau
    inversion ``R = sin(pi tau / 2)`` (valid for every elliptical copula,
    Lindskog, McNeil & Schmock 2003), then ``nu`` by maximum likelihood of the
    copula density given ``R`` (Demarta & McNeil 2005; profile likelihood over
    ``nu`` in [1, 200]).
Vine copula
    via pyvinecopulib (a dependency, imported on first use): structure and pair-copula families
    selected by AIC; sampled by the inverse Rosenblatt transform of uniforms
    drawn from *our* Generator, so no foreign random state is involved.
Conditional sampling (Gaussian)
    conditions become intervals of the latent normal scores (a point for a
    continuous value, ``[Phi^-1(F(x-)), Phi^-1(F(x))]`` for a discrete value or
    a range). One interval: exact draws (inverse-CDF truncated normal, then the
    conditional normal of the rest). Several intervals: a Gibbs sampler on the
    truncated normal of the conditioned scores (each row its own chain,
    started from sequential conditional draws), then the exact conditional
    normal of the rest. No rejection.
    Each row may carry its own evidence (:func:`sample_conditional_rows`):
    rows are grouped by which scores are points, intervals or free, and
    each group is drawn as above, vectorised over its rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from scipy import optimize, special, stats
from scipy.special import gammaln

from ..errors import FitError, SpecError
from ..io import parse_json
from .cholesky import cholesky_factor
from .correlation import _corr, kendall_to_pearson, normal_scores
from .repair import RepairReport, nearest_correlation

__all__ = [
    "U_EPS",
    "clip_uniform",
    "fit_gaussian_copula",
    "sample_gaussian_copula",
    "t_copula_loglik",
    "fit_t_copula",
    "sample_t_copula",
    "truncated_normal",
    "sample_conditional_normal",
    "sample_conditional_rows",
    "impute_truncated_normal",
    "vine_available",
    "fit_vine",
    "sample_vine",
]

#: Uniforms are kept in [U_EPS, 1 - U_EPS] so that every quantile function is finite.
U_EPS = 2.0**-53


def clip_uniform(u: np.ndarray) -> np.ndarray:
    """Clip uniforms into the open interval (0, 1) (to [2^-53, 1 - 2^-53]).

    Examples
    --------
    >>> bool(clip_uniform(np.array([0.0]))[0] > 0)
    True
    """
    return np.clip(u, U_EPS, 1.0 - U_EPS)


def _check_uniforms(u, what: str = "uniforms") -> np.ndarray:
    u = np.asarray(u, dtype=float)
    if u.ndim != 2:
        raise SpecError(f"{what} must be 2-D (rows x columns), got shape {u.shape}")
    if not np.all(np.isfinite(u)) or u.min() <= 0.0 or u.max() >= 1.0:
        raise SpecError(f"{what} must be finite and strictly inside (0, 1)")
    return u


def fit_gaussian_copula(
    u, *, threshold: float = 1e-8, names=None
) -> tuple[np.ndarray, RepairReport]:
    """Normal-scores correlation of uniforms: the Gaussian copula's parameter.

    Parameters
    ----------
    u : array-like (n, d)
        Uniforms in (0, 1).
    threshold : float
        Eigenvalue floor of the repair (Higham 2002).
    names : sequence of str, optional
        Column names for the repair report.

    Returns
    -------
    corr : numpy.ndarray (d, d)
        Positive-definite correlation matrix.
    report : RepairReport
        Whether and how much the estimate had to be repaired.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(5000, 2)) @ np.linalg.cholesky([[1, .6], [.6, 1]]).T
    >>> r, _ = fit_gaussian_copula(special.ndtr(z))
    >>> abs(float(r[0, 1]) - 0.6) < 0.03
    True
    """
    u = _check_uniforms(u)
    z = normal_scores(u)
    d = z.shape[1]
    if d == 1:
        return np.eye(1), nearest_correlation(np.eye(1), names)
    sd = z.std(axis=0)
    if np.any(sd < 1e-12):
        raise FitError("a column's normal scores are constant; its dependence cannot be fitted")
    rep = nearest_correlation(_corr(z), names, threshold=threshold)
    return rep.matrix, rep


def sample_gaussian_copula(factor: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` rows of a Gaussian copula given the Cholesky factor of its correlation.

    Examples
    --------
    >>> u = sample_gaussian_copula(np.eye(2), 3, np.random.default_rng(0))
    >>> u.shape
    (3, 2)
    """
    # column-major: (d, n) draws, so each column of the result is contiguous in memory
    z = factor @ rng.standard_normal((factor.shape[0], n))
    special.ndtr(z, out=z)
    np.clip(z, U_EPS, 1.0 - U_EPS, out=z)
    return z.T


def _t_logpdf_parts(x: np.ndarray, corr_inv: np.ndarray, logdet: float, df: float) -> np.ndarray:
    d = x.shape[1]
    q = np.einsum("ij,jk,ik->i", x, corr_inv, x)
    joint = (
        gammaln((df + d) / 2)
        - gammaln(df / 2)
        - 0.5 * d * np.log(df * np.pi)
        - 0.5 * logdet
        - 0.5 * (df + d) * np.log1p(q / df)
    )
    marg = (
        gammaln((df + 1) / 2)
        - gammaln(df / 2)
        - 0.5 * np.log(df * np.pi)
        - 0.5 * (df + 1) * np.log1p(x**2 / df)
    ).sum(axis=1)
    return joint - marg


def t_copula_loglik(u, corr: np.ndarray, df: float) -> float:
    """Log-likelihood of uniforms under a Student-t copula ``(corr, df)``.

    ``log c(u) = log t_{d,nu}(x; R) - sum_i log t_nu(x_i)``, ``x_i = t_nu^-1(u_i)``.

    Examples
    --------
    >>> u = np.array([[0.2, 0.3], [0.7, 0.6]])
    >>> bool(np.isfinite(t_copula_loglik(u, np.eye(2), 5.0)))
    True
    """
    u = clip_uniform(np.asarray(u, dtype=float))
    x = special.stdtrit(df, u)
    sign, logdet = np.linalg.slogdet(corr)
    if sign <= 0:
        raise SpecError("t copula correlation must be positive definite")
    return float(_t_logpdf_parts(x, np.linalg.inv(corr), logdet, df).sum())


def fit_t_copula(
    u,
    *,
    df_bounds: tuple[float, float] = (1.0, 200.0),
    max_rows: int = 20_000,
    threshold: float = 1e-8,
    seed=None,
    names=None,
) -> tuple[np.ndarray, float, float, RepairReport]:
    """Fit a Student-t copula: Kendall's-tau inversion for ``R``, then ML for ``df``.

    Parameters
    ----------
    u : array-like (n, d)
        Uniforms in (0, 1).
    df_bounds : (float, float)
        Search interval of the degrees of freedom.
    max_rows : int
        Kendall's tau and the likelihood use at most this many rows (a random
        subset, drawn from ``seed``), keeping the fit fast on large tables.
    threshold : float
        Eigenvalue floor of the repair of ``R``.
    seed : None, int, SeedSequence or Generator
        Randomness of the row subset (only used when ``n > max_rows``).
    names : sequence of str, optional
        Column names for the repair report.

    Returns
    -------
    corr, df, loglik, report

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> L = np.linalg.cholesky([[1, .5], [.5, 1]])
    >>> u = sample_t_copula(L, 4.0, 3000, rng)
    >>> _, df, _, _ = fit_t_copula(u)
    >>> 2.5 < df < 7
    True
    """
    from ..seeding import as_generator

    u = _check_uniforms(u)
    lo, hi = float(df_bounds[0]), float(df_bounds[1])
    if not (0 < lo < hi):
        raise SpecError(f"`df_bounds` must be 0 < low < high, got {df_bounds}")
    n, d = u.shape
    if n > max_rows:
        idx = as_generator(seed).choice(n, size=max_rows, replace=False)
        u = u[np.sort(idx)]
    c = np.eye(d)
    for i in range(d):
        for j in range(i + 1, d):
            tau = stats.kendalltau(u[:, i], u[:, j]).statistic
            c[i, j] = c[j, i] = kendall_to_pearson(0.0 if not np.isfinite(tau) else tau)
    rep = nearest_correlation(c, names, threshold=threshold)
    corr = rep.matrix
    cinv = np.linalg.inv(corr)
    _, logdet = np.linalg.slogdet(corr)
    uc = clip_uniform(u)

    def nll(logdf: float) -> float:
        df = float(np.exp(logdf))
        x = special.stdtrit(df, uc)
        return -float(_t_logpdf_parts(x, cinv, logdet, df).sum())

    res = optimize.minimize_scalar(
        nll, bounds=(np.log(lo), np.log(hi)), method="bounded", options={"xatol": 1e-3}
    )
    df = float(np.exp(res.x))
    return corr, df, -float(res.fun), rep


def sample_t_copula(factor: np.ndarray, df: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` rows of a Student-t copula given the Cholesky factor of ``R`` and ``df``.

    Examples
    --------
    >>> sample_t_copula(np.eye(3), 5.0, 4, np.random.default_rng(0)).shape
    (4, 3)
    """
    d = factor.shape[0]
    z = factor @ rng.standard_normal((d, n))  # column-major, as in sample_gaussian_copula
    w = rng.chisquare(df, size=n) / df
    z /= np.sqrt(w)[None, :]
    special.stdtr(df, z, out=z)
    np.clip(z, U_EPS, 1.0 - U_EPS, out=z)
    return z.T


# ----------------------------------------------------------------- conditional sampling

_ZCAP = 37.5  # |z| beyond which Phi rounds to 0 / 1 in double precision


def truncated_normal(
    a: np.ndarray, b: np.ndarray, rng: np.random.Generator, mean=0.0, sd=1.0
) -> np.ndarray:
    """Normal(mean, sd) draws truncated to ``[a, b]`` by the inverse CDF, stable in the tails.

    Intervals entirely in the upper tail are reflected into the lower tail,
    where ``Phi`` keeps full relative precision.

    Examples
    --------
    >>> x = truncated_normal(np.full(1000, 3.0), np.full(1000, np.inf), np.random.default_rng(0))
    >>> bool(x.min() >= 3.0) and 3.2 < float(x.mean()) < 3.4
    True
    """
    mean = np.asarray(mean, dtype=float)
    sd = np.asarray(sd, dtype=float)
    shape = np.broadcast(np.asarray(a), np.asarray(b), mean, sd).shape
    a = np.broadcast_to((np.asarray(a, dtype=float) - mean) / sd, shape)
    b = np.broadcast_to((np.asarray(b, dtype=float) - mean) / sd, a.shape)
    a = np.clip(a, -_ZCAP, _ZCAP)
    b = np.clip(b, -_ZCAP, _ZCAP)
    flip = a > 0
    lo = np.where(flip, -b, a)
    hi = np.where(flip, -a, b)
    pa = special.ndtr(lo)
    pb = special.ndtr(hi)
    v = rng.random(a.shape)
    p = pa + v * (pb - pa)
    with np.errstate(divide="ignore"):
        x = np.where(pb > pa, special.ndtri(np.clip(p, 1e-320, 1.0)), 0.5 * (lo + hi))
    x = np.clip(x, lo, hi)
    x = np.where(flip, -x, x)
    return mean + sd * x


def _conditional(corr: np.ndarray, given: list[int], rest: list[int]):
    """Regression matrix B (rest x given) and conditional covariance of rest | given."""
    s_gg = corr[np.ix_(given, given)]
    s_rg = corr[np.ix_(rest, given)]
    b = np.linalg.solve(s_gg, s_rg.T).T
    cov = corr[np.ix_(rest, rest)] - b @ s_rg.T
    cov = 0.5 * (cov + cov.T)
    return b, cov


def sample_conditional_normal(
    corr: np.ndarray,
    bounds: Mapping[int, tuple[float, float]],
    n: int,
    rng: np.random.Generator,
    *,
    sweeps: int = 25,
) -> np.ndarray:
    """Draw ``Z ~ N(0, corr)`` conditioned on ``Z_k in [a_k, b_k]`` for the given ``k``.

    Parameters
    ----------
    corr : ndarray (d, d)
        Positive-definite correlation of the latent normal scores.
    bounds : mapping {column index: (a, b)}
        Latent intervals; ``a == b`` conditions on a point.
    n : int
        Rows.
    rng : numpy.random.Generator
    sweeps : int
        Gibbs sweeps when more than one column is conditioned on an interval
        (each row runs its own chain from a sequential conditional start).

    Returns
    -------
    numpy.ndarray (n, d)

    Examples
    --------
    >>> r = np.array([[1, .8], [.8, 1]])
    >>> z = sample_conditional_normal(r, {0: (1.0, 1.0)}, 20000, np.random.default_rng(0))
    >>> abs(float(z[:, 1].mean()) - 0.8) < 0.02
    True
    """
    d = corr.shape[0]
    keys = sorted(int(k) for k in bounds)
    for k in keys:
        if not 0 <= k < d:
            raise SpecError(f"condition on column index {k}: the correlation has {d} columns")
        a, b = bounds[k]
        if not (a <= b):
            raise SpecError(f"condition interval for column {k} is empty: [{a}, {b}]")
    lower = np.full((1, d), np.nan)
    upper = np.full((1, d), np.nan)
    for k in keys:
        lower[0, k], upper[0, k] = bounds[k]
    return sample_conditional_rows(corr, np.broadcast_to(lower, (n, d)), np.broadcast_to(upper, (n, d)),
                                   rng, sweeps=sweeps)


#: Evidence patterns above which :func:`sample_conditional_rows` draws all rows by one sampler.
MAX_PATTERNS = 64


#: Largest number of Gibbs sweeps of conditional sampling (the default is 25); a model file
#: asking for more would make sampling run for hours.
MAX_GIBBS_SWEEPS = 1_000


def check_gibbs_sweeps(sweeps: Any) -> None:
    """Refuse a number of Gibbs sweeps that is not an integer in [1, MAX_GIBBS_SWEEPS]."""
    if (isinstance(sweeps, bool) or not isinstance(sweeps, (int, np.integer))
            or not 1 <= sweeps <= MAX_GIBBS_SWEEPS):
        raise SpecError(f"`gibbs_sweeps` must be an integer in [1, {MAX_GIBBS_SWEEPS}], got {sweeps!r}")


def sample_conditional_rows(
    corr: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    rng: np.random.Generator,
    *,
    sweeps: int = 25,
) -> np.ndarray:
    """Draw each row of ``Z ~ N(0, corr)`` conditioned on its own evidence ``lower <= Z <= upper``.

    Row ``i`` and coordinate ``k`` are *free* (``NaN`` bounds, or ``(-inf, inf)``),
    a *point* (``lower == upper``: ``z`` fixed) or an *interval* (truncated). Rows
    are grouped by their evidence pattern (which coordinates are points, intervals,
    free); per pattern, with ``P`` the points, ``I`` the intervals and ``F`` the
    free coordinates:

    * ``Z_I | Z_P ~ N(B z_P, S)``, ``B = C_IP C_PP^-1``, ``S = C_II - B C_PI``,
      truncated to the row's box: one interval is an exact inverse-CDF draw
      (:func:`truncated_normal`); several are drawn by Gibbs sampling of the
      truncated multivariate normal (Geweke 1991), each row its own chain started
      from sequential conditional draws, ``sweeps`` sweeps over the coordinates
      from ``N(mu_t - sum_{s != t} (Q_ts / Q_tt)(z_s - mu_s), 1 / Q_tt)``, ``Q = S^-1``,
      vectorised over the rows;
    * ``Z_F | Z_P, Z_I`` is the exact conditional normal (regression on all the evidence).

    Only a pattern's interval coordinates take part in its Gibbs chain, and rows with
    no or one interval coordinate get exact draws. With more than ``MAX_PATTERNS``
    patterns and some interval, all rows are drawn by one blocked Gibbs sampler
    instead (:func:`impute_truncated_normal`, ``sweeps`` sweeps): the same target,
    vectorised per coordinate over every row rather than per pattern. No rejection:
    every row gets a draw, however unlikely its evidence.

    Parameters
    ----------
    corr : ndarray (d, d)
        Positive-definite correlation of the latent normal scores.
    lower, upper : ndarray (n, d)
        Per-row latent bounds; ``NaN`` leaves a coordinate free.
    rng : numpy.random.Generator
    sweeps : int
        Gibbs sweeps for rows with more than one interval coordinate.

    Returns
    -------
    numpy.ndarray (n, d)

    Examples
    --------
    >>> r = np.array([[1, .8], [.8, 1]])
    >>> lo = np.array([[1.0, np.nan], [-1.0, np.nan]]).repeat(20000, axis=0)
    >>> z = sample_conditional_rows(r, lo, lo, np.random.default_rng(0))
    >>> [round(float(z[lo[:, 0] == v, 1].mean()), 1) for v in (1.0, -1.0)]
    [0.8, -0.8]
    """
    corr = np.asarray(corr, dtype=float)
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    d = corr.shape[0]
    if lower.ndim != 2 or lower.shape != upper.shape or lower.shape[1] != d:
        raise SpecError(f"`lower` and `upper` must both have shape (rows, {d}), got {lower.shape} "
                        f"and {upper.shape}")
    n = lower.shape[0]
    free = np.isnan(lower) | np.isnan(upper) | (np.isneginf(lower) & np.isposinf(upper))
    with np.errstate(invalid="ignore"):
        empty = ~free & ~(lower <= upper)
    if empty.any():
        i, k = np.argwhere(empty)[0]
        raise SpecError(f"condition interval of row {i}, column {k} is empty: "
                        f"[{lower[i, k]}, {upper[i, k]}]")
    kind = np.where(free, 0, np.where(lower == upper, 1, 2)).astype(np.int8)
    z = np.empty((n, d))
    if n == 0:
        return z
    if (kind == kind[0]).all():  # one pattern (the common case): no grouping
        return _pattern_draw(corr, kind[0], lower, upper, rng, sweeps)
    patterns, inverse = np.unique(kind, axis=0, return_inverse=True)
    if len(patterns) > MAX_PATTERNS and (kind == 2).any():
        # scattered evidence with intervals (e.g. imputation given missingness indicators):
        # one blocked Gibbs sampler over all rows, vectorised per coordinate
        return impute_truncated_normal(np.where(free, -np.inf, lower), np.where(free, np.inf, upper),
                                       corr, rng, sweeps=sweeps)
    inverse = np.asarray(inverse).reshape(-1)
    order = np.argsort(inverse, kind="stable")
    starts = np.searchsorted(inverse[order], np.arange(len(patterns) + 1))
    for p, pattern in enumerate(patterns):
        rows = order[starts[p]:starts[p + 1]]
        z[rows] = _pattern_draw(corr, pattern, lower[rows], upper[rows], rng, sweeps)
    return z


def _pattern_draw(corr: np.ndarray, pattern: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                  rng: np.random.Generator, sweeps: int) -> np.ndarray:
    """Rows sharing one evidence pattern (0 free, 1 point, 2 interval per coordinate)."""
    n, d = lower.shape
    points = np.flatnonzero(pattern == 1).tolist()
    inter = np.flatnonzero(pattern == 2).tolist()
    rest = np.flatnonzero(pattern == 0).tolist()
    keys = sorted(points + inter)
    z = np.empty((n, d))
    z[:, points] = np.clip(lower[:, points], -_ZCAP, _ZCAP)
    if inter:
        lo, hi = lower[:, inter], upper[:, inter]
        # distribution of the interval scores given the point scores
        if points:
            b_ip, cov_i = _conditional(corr, points, inter)
            mean_i = z[:, points] @ b_ip.T
        else:
            cov_i = corr[np.ix_(inter, inter)]
            mean_i = np.zeros((n, len(inter)))
        m = len(inter)
        x = np.empty((n, m))
        # sequential start: each from its conditional given the earlier ones
        for t in range(m):
            if t == 0:
                mu = mean_i[:, 0]
                sd = np.sqrt(cov_i[0, 0])
            else:
                bt, ct = _conditional(cov_i, list(range(t)), [t])
                mu = mean_i[:, t] + (x[:, :t] - mean_i[:, :t]) @ bt[0]
                sd = np.sqrt(max(ct[0, 0], 1e-300))
            x[:, t] = truncated_normal(lo[:, t], hi[:, t], rng, mu, sd)
        if m > 1:
            prec = np.linalg.inv(cov_i)
            for _ in range(int(sweeps)):
                for t in range(m):
                    others = [s for s in range(m) if s != t]
                    mu = mean_i[:, t] - (x[:, others] - mean_i[:, others]) @ (
                        prec[t, others] / prec[t, t]
                    )
                    x[:, t] = truncated_normal(lo[:, t], hi[:, t], rng, mu, np.sqrt(1.0 / prec[t, t]))
        z[:, inter] = x
    if rest:
        if keys:
            b_rk, cov_r = _conditional(corr, keys, rest)
            mean_r = z[:, keys] @ b_rk.T
        else:
            cov_r = corr
            mean_r = np.zeros((n, d))
        lr = _psd_factor(cov_r)
        z[:, rest] = mean_r + rng.standard_normal((n, len(rest))) @ lr.T
    return z


def impute_truncated_normal(
    lower: np.ndarray,
    upper: np.ndarray,
    corr: np.ndarray,
    rng: np.random.Generator,
    *,
    sweeps: int = 10,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Draw every row of ``Z ~ N(0, corr)`` given its own box ``lower <= Z <= upper`` (Gibbs).

    Row ``i`` is restricted coordinate by coordinate: ``lower == upper`` fixes a
    coordinate (an observed score), ``(-inf, inf)`` leaves it free (a missing
    value) and a proper interval truncates it (an indicator or an atom). A
    blocked Gibbs sampler (Geweke 1991) alternates

    * each truncated coordinate ``k``, all rows at once, from
      ``N(-sum_{l != k} P_kl z_l / P_kk, 1 / P_kk)`` (``P = corr^-1``) truncated
      to its interval;
    * the free coordinates of each row jointly, exactly, from their conditional
      normal ``N(P_MM^-1 h, P_MM^-1)``, ``h = -P_{M,rest} z_rest`` (``M``: the
      row's free coordinates), by batched Cholesky factors over the rows, so
      nearly collinear missing values do not slow the chain down.

    It starts from the truncated marginals (or from ``start``, a previous draw
    inside the same boxes), runs ``sweeps`` sweeps and returns one stochastic
    imputation of the unobserved scores given the observed ones.

    Parameters
    ----------
    lower, upper : ndarray (n, d)
        Per-row bounds (``-inf`` / ``inf`` allowed).
    corr : ndarray (d, d)
        Positive-definite correlation.
    rng : numpy.random.Generator
    sweeps : int
        Gibbs sweeps after the start.
    start : ndarray (n, d), optional
        The chain's state to continue from (its fixed coordinates are ignored).

    Returns
    -------
    numpy.ndarray (n, d)

    Examples
    --------
    >>> r = np.array([[1, .8], [.8, 1]])
    >>> lo = np.column_stack([np.full(4000, 1.0), np.full(4000, -np.inf)])
    >>> hi = np.column_stack([np.full(4000, 1.0), np.full(4000, np.inf)])
    >>> z = impute_truncated_normal(lo, hi, r, np.random.default_rng(0))
    >>> abs(float(z[:, 1].mean()) - 0.8) < 0.03
    True
    """
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    n, d = lower.shape
    fixed = lower == upper
    z = np.where(fixed, np.clip(lower, -_ZCAP, _ZCAP), 0.0)
    moving = [k for k in range(d) if not fixed[:, k].all()]
    if not moving:
        return z
    rows = {k: np.flatnonzero(~fixed[:, k]) for k in moving}
    # coordinates whose moving rows are all unbounded (missing values) are drawn jointly
    free = [k for k in moving
            if np.all(np.isneginf(lower[rows[k], k]) & np.isposinf(upper[rows[k], k]))]
    truncated = [k for k in moving if k not in free]
    prec = np.linalg.inv(np.asarray(corr, dtype=float))
    block = _FreeBlock(prec, free, ~fixed[:, free]) if free else None
    if start is not None:
        z = np.where(fixed, z, np.asarray(start, dtype=float))
    else:
        for k in truncated:
            r = rows[k]
            z[r, k] = truncated_normal(lower[r, k], upper[r, k], rng)
        if block is not None:
            block.draw(z, rng)
    everywhere = {k: rows[k].size == n for k in truncated}  # then no row gathering
    bounds = {k: (lower[:, k], upper[:, k]) if everywhere[k] else (lower[rows[k], k], upper[rows[k], k])
              for k in truncated}
    for _ in range(int(sweeps)):
        for k in truncated:
            coef = -prec[:, k] / prec[k, k]
            coef[k] = 0.0
            lo, hi = bounds[k]
            if everywhere[k]:
                z[:, k] = truncated_normal(lo, hi, rng, z @ coef, np.sqrt(1.0 / prec[k, k]))
            else:
                r = rows[k]
                z[r, k] = truncated_normal(lo, hi, rng, z[r] @ coef, np.sqrt(1.0 / prec[k, k]))
        if block is not None:
            block.draw(z, rng)
    return z


class _FreeBlock:
    """Exact joint draws of each row's free coordinates given the others (batched over rows).

    A row's free coordinates ``M`` given the rest are ``N(A^-1 h, A^-1)`` with
    ``A = P_MM`` and ``h = -P_{M,rest} z_rest``; with ``A = L L^T`` and ``K = L^-1``
    that is ``K^T (K h + e)``, ``e`` standard normal. ``K`` depends on the row's
    missingness pattern only: it is computed once per distinct pattern (missing
    coordinates of ``A`` padded with the identity) and gathered per row.
    """

    #: Rows per batch of gathered ``f x f`` factors (bounds the memory to ~32 MB).
    CELLS = 4_000_000

    def __init__(self, prec: np.ndarray, cols: list[int], missing: np.ndarray) -> None:
        self.prec = prec
        self.cols = np.asarray(cols)
        self.rows = np.flatnonzero(missing.any(axis=1))
        self.missing = missing[self.rows]  # (rows, f): where each free coordinate is missing
        f = self.cols.size
        if f <= 62:  # one integer code per pattern: a 1-D sort
            codes = self.missing @ (np.int64(1) << np.arange(f, dtype=np.int64))
            _, first, self.pattern_of = np.unique(codes, return_index=True, return_inverse=True)
            patterns = self.missing[first]
        else:
            patterns, self.pattern_of = np.unique(self.missing, axis=0, return_inverse=True)
        self.pattern_of = np.asarray(self.pattern_of).reshape(-1)
        both = patterns[:, :, None] & patterns[:, None, :]
        a = np.where(both, prec[np.ix_(self.cols, self.cols)], np.eye(f))
        self.factors = np.linalg.inv(np.linalg.cholesky(a))  # K per pattern
        self.step = max(1, self.CELLS // (f * f))

    def draw(self, z: np.ndarray, rng: np.random.Generator) -> None:
        for start in range(0, self.rows.size, self.step):
            r = self.rows[start:start + self.step]
            mk = self.missing[start:start + self.step]
            x = z[r]
            x[:, self.cols] = np.where(mk, 0.0, x[:, self.cols])
            h = -(x @ self.prec[:, self.cols]) * mk
            k = self.factors[self.pattern_of[start:start + self.step]]
            w = np.einsum("nij,nj->ni", k, h) + rng.standard_normal((r.size, self.cols.size))
            draw = np.einsum("nji,nj->ni", k, w)
            z[np.ix_(r, self.cols)] = np.where(mk, draw, z[np.ix_(r, self.cols)])


def _psd_factor(cov: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(cov)
        return v * np.sqrt(np.clip(w, 0.0, None))


# ---------------------------------------------------------------------------- vines


def vine_available() -> bool:
    """Whether pyvinecopulib (the vine backend) is installed; checked without importing it."""
    from importlib.util import find_spec

    return find_spec("pyvinecopulib") is not None


_FAMILY_SETS = {
    "all": None,
    "parametric": [
        "indep",
        "gaussian",
        "student",
        "clayton",
        "gumbel",
        "frank",
        "joe",
        "bb1",
        "bb6",
        "bb7",
        "bb8",
    ],
    "gaussian": ["indep", "gaussian"],
    "tll": ["indep", "tll"],
    # one-parameter families whose inverse h-functions pyvinecopulib evaluates in closed form or
    # in a few steps (Frank's and the BB families' take a root search, 20-40x slower to sample;
    # the Student's degrees of freedom, a profile likelihood, cost most of a parametric fit)
    "fast": ["indep", "gaussian", "clayton", "gumbel", "joe"],
}


def fit_vine(
    u,
    *,
    family_set: str | list[str] = "parametric",
    trunc_lvl: int | None = None,
    selection_criterion: str = "aic",
    num_threads: int = 1,
    parametric_method: str = "mle",
    select_trunc_lvl: bool = False,
) -> str:
    """Fit an R-vine copula to uniforms with pyvinecopulib; return its JSON text.

    Parameters
    ----------
    u : array-like (n, d)
        Uniforms in (0, 1).
    family_set : {"parametric", "fast", "all", "gaussian", "tll"} or list of family names
        Pair-copula families to select from (pyvinecopulib ``BicopFamily`` names).
    trunc_lvl : int, optional
        Truncate the vine after this many trees (independence above).
    selection_criterion : {"aic", "bic", "mbicv", "loglik"}
        Pair-copula family selection criterion.
    num_threads : int
        Threads fitting the pair copulas of a tree (the fit does not depend on it).
    parametric_method : {"mle", "itau"}
        Estimation of one-parameter families: maximum likelihood, or inversion of
        Kendall's tau (``itau``: each pair copula reproduces its pair's empirical tau;
        the Student's degrees of freedom are still fitted by profile likelihood).
    select_trunc_lvl : bool
        Choose the truncation level by the modified vine BIC (mBICV, Nagler et al. 2019):
        trees are added while they improve it (``trunc_lvl`` then bounds the choice).

    Returns
    -------
    str
        The fitted vine as pyvinecopulib JSON (stored in model files).

    Raises
    ------
    FitError
        pyvinecopulib is not installed (``pip install pyvinecopulib``).
    """
    pv = _pyvinecopulib()
    u = _check_uniforms(u)
    names = _FAMILY_SETS.get(family_set, family_set) if isinstance(family_set, str) else family_set
    if isinstance(family_set, str) and family_set not in _FAMILY_SETS:
        raise SpecError(
            f"`family_set` must be one of {', '.join(_FAMILY_SETS)} or a list of family names, "
            f"got {family_set!r}"
        )
    if parametric_method not in ("mle", "itau"):
        raise SpecError(f"`parametric_method` must be 'mle' or 'itau', got {parametric_method!r}")
    kwargs: dict = {"selection_criterion": selection_criterion, "num_threads": int(num_threads),
                    "parametric_method": parametric_method, "select_trunc_lvl": bool(select_trunc_lvl)}
    if names is not None:
        try:
            kwargs["family_set"] = [getattr(pv.BicopFamily, f) for f in names]
        except AttributeError as exc:
            raise SpecError(f"unknown pair-copula family in `family_set`: {exc}") from None
    if trunc_lvl is not None:
        kwargs["trunc_lvl"] = int(trunc_lvl)
    controls = pv.FitControlsVinecop(**kwargs)
    vine = pv.Vinecop.from_data(np.asfortranarray(u), controls=controls)
    return vine.to_json()


#: Largest side of a pair copula's parameter matrix in a vine model file (a nonparametric
#: ``TLL`` pair copula stores a 30 x 30 grid; parametric families at most 2 x 1).
MAX_PAIR_PARAMETERS_SIDE = 64


def _check_pair_copulas(vine: Any) -> None:
    """Refuse a pair copula whose parameter matrix does not match its stated shape.

    pyvinecopulib reads ``par.data`` as a ``shape[0] x shape[1]`` buffer without checking
    its length, so a mismatch would read past it (a crash, not an exception).
    """
    trees = vine.get("pair copulas") if isinstance(vine, dict) else None
    if not isinstance(trees, dict):
        raise SpecError("malformed vine model: no 'pair copulas' object")
    for tree_name, tree in trees.items():
        if not isinstance(tree, dict):
            raise SpecError(f"malformed vine model: {tree_name!r} is not an object")
        for pc_name, pc in tree.items():
            where = f"malformed vine model: pair copula {tree_name}/{pc_name}"
            par = pc.get("par") if isinstance(pc, dict) else None
            shape = par.get("shape") if isinstance(par, dict) else None
            if not (isinstance(shape, list) and len(shape) == 2
                    and all(type(v) is int and 0 <= v <= MAX_PAIR_PARAMETERS_SIDE for v in shape)):
                raise SpecError(f"{where}: 'par.shape' must be two integers in "
                                f"[0, {MAX_PAIR_PARAMETERS_SIDE}]")
            size = shape[0] * shape[1]
            data = par.get("data")
            values = [] if data is None else data
            if not isinstance(values, list) or len(values) != size:
                raise SpecError(f"{where}: 'par.data' must hold {size} numbers for shape {shape}")


def load_vine(model_json: str):
    """A pyvinecopulib ``Vinecop`` from its JSON text (checked; never executes code)."""
    pv = _pyvinecopulib()
    _check_pair_copulas(parse_json(model_json, "vine model"))  # bounded size and depth
    try:
        return pv.Vinecop.from_json(model_json)
    except Exception as exc:  # noqa: BLE001 - pyvinecopulib raises plain RuntimeError
        raise SpecError(f"malformed vine model: {exc}") from None


#: Rows per call of pyvinecopulib's inverse Rosenblatt transform. Its results depend in the
#: last bits on which rows share a call (vectorised arithmetic), so the rows are always cut
#: into the same batches and threads only share the batches out: the draws do not depend on
#: the number of threads (pyvinecopulib's own ``num_threads`` splits by thread count).
VINE_BATCH_ROWS = 8192


def sample_vine(vine, n: int, rng: np.random.Generator, num_threads: int = 1) -> np.ndarray:
    """Draw ``n`` rows of a fitted vine: inverse Rosenblatt of uniforms from ``rng``.

    ``V = T^{-1}(W)`` with ``W = rng.random((n, d))`` the only randomness, so draws follow
    the block-seeding contract (pyvinecopulib's own generator is never used). The rows are
    transformed in batches of :data:`VINE_BATCH_ROWS`, ``num_threads`` batches at a time
    (pyvinecopulib releases the GIL); the draws are the same for any ``num_threads``.

    Examples
    --------
    >>> import pyvinecopulib as pv
    >>> vine = pv.Vinecop.from_dimension(3)  # independence
    >>> sample_vine(vine, 20_000, np.random.default_rng(0), num_threads=2).shape
    (20000, 3)
    """
    d = vine.dim
    w = clip_uniform(rng.random((n, d)))
    batches = [np.asfortranarray(w[i:i + VINE_BATCH_ROWS]) for i in range(0, n, VINE_BATCH_ROWS)]
    threads = min(int(num_threads), len(batches))
    if threads > 1:
        with ThreadPoolExecutor(threads) as pool:
            parts = list(pool.map(vine.inverse_rosenblatt, batches))
    else:
        parts = [vine.inverse_rosenblatt(b) for b in batches]
    out = np.concatenate(parts, axis=0) if parts else np.empty((0, d))
    return clip_uniform(np.asarray(out, dtype=float))


def _pyvinecopulib():
    try:
        import pyvinecopulib as pv
    except ImportError:
        raise FitError(
            "the vine strategy needs pyvinecopulib, a synthkit dependency: pip install pyvinecopulib"
        ) from None
    return pv


__all__ += ["load_vine", "cholesky_factor"]
