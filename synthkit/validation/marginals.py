"""Per-column checks: how close is each synthetic column to the reference column.

Every pass/fail check compares its statistic with ``threshold + allowance``: the
effect size of :data:`~synthkit.validation.checks.DEFAULT_THRESHOLDS` plus the
``1 - alpha`` quantile of the statistic when the synthetic column is an
independent sample of the reference's distribution, from both sizes (``n``
reference and ``m`` synthetic non-missing values) and the per-test level
``alpha`` (``false_fail_rate`` split over the report's tests; ``z`` below is the
two-sided normal quantile of ``alpha``, ``noise = sqrt(1/n + 1/m)``).

Numeric columns (continuous, integer, datetime as nanoseconds)
    * ``ks_distance`` - two-sample Kolmogorov-Smirnov distance
      ``D = sup_x |F_r(x) - F_s(x)|``, exact, from the two sorted columns;
      allowance ``K_alpha noise`` with ``K_alpha`` the ``1 - alpha`` quantile of
      Kolmogorov's distribution (``scipy.stats.kstwobign``; conservative for ties).
      Informational for integer columns (their levels get ``tv_distance``).
    * ``wasserstein_iqr`` - Wasserstein-1 distance ``int |F_r - F_s| dx`` divided by
      the real inter-quartile range (sd, then 1, when the IQR is 0). ``F_r - F_s`` is
      ``noise`` times a Gaussian process of variance ``F (1 - F)``, so
      ``E W1 <= sqrt(2/pi) noise J`` with ``J = int sqrt(F (1 - F)) dx`` (del Barrio,
      Giné & Matrán 1999) and, by the Borell-TIS inequality, W1 exceeds its mean by
      more than ``sqrt(2 ln(1/alpha)) noise J`` with probability below ``alpha``:
      allowance ``(sqrt(2/pi) + sqrt(2 ln(1/alpha))) noise J / IQR``.
    * ``mean_difference_sd`` ``|mean_s - mean_r| / sd_r``, allowance
      ``z sqrt(1 + 5 sqrt((kurtosis - 1) / n)) noise`` (under the null both samples
      share the reference's variance, here its upper bound: ``sd_r^2`` plus five of
      its standard errors); ``sd_log_ratio`` ``|log(sd_s / sd_r)|``, allowance
      ``z sqrt((kurtosis - 1) / 4) noise`` (the delta-method standard error). The
      kurtosis is the reference's plus five jackknife standard errors, as a small
      heavy-tailed reference understates its tail. Variance terms come from the
      reference alone: the synthetic sample's would widen a check by the very defect
      it should catch (a synthetic tail too heavy raises both its sd and kurtosis).
    * ``quantile_difference_iqr`` - ``|q_s(p) - q_r(p)| / IQR`` at the p among
      5, 25, 50, 75, 95 % that exceeds its allowance most (each p one test). By Bahadur's representation
      ``q_s(p) - q_r(p) ~ (F_r - F_s)(q(p)) / f(q(p))`` and ``|F_r - F_s|`` stays
      within ``delta = z sqrt(p (1-p)) noise``, plus ``1/n`` (one step of the reference
      ECDF, which a small reference quantile moves by), so the allowance is the reach of the
      real quantile function over that band,
      ``max(q_r(p + delta) - q_r(p), q_r(p) - q_r(p - delta)) / IQR``, with ``q_r``
      continued beyond ``[0, 1]`` at its average slope from ``p`` to the sample's end (so
      a small reference's band is not cut off at its own minimum or maximum); on a discrete
      column it covers the jump to the adjacent level when ``p`` is near a CDF step.
    * ``range_violation_rate`` - share of synthetic values outside the real
      ``[min, max]``. For a continuous distribution the probability mass outside
      the range of ``n`` draws is ``Beta(2, n - 1)`` (two of the ``n + 1``
      spacings), so the count of ``m`` synthetic values outside it is
      ``BetaBinomial(m, 2, n - 1)``: allowance its ``1 - alpha`` quantile over ``m``
      (conservative with ties).
Integer columns with few levels and labels (categorical, boolean)
    * ``tv_distance`` - total variation ``1/2 sum_k |p_r(k) - p_s(k)|`` of the
      level frequencies. ``E TV <= 1/2 sum_k sqrt(p_k (1 - p_k)) noise`` (Jensen)
      and one draw moves TV by at most ``1/n`` (or ``1/m``), so by McDiarmid's
      inequality the allowance is
      ``(1/2 sum_k sqrt(p_k (1 - p_k)) + sqrt(ln(1/alpha) / 2)) noise`` with the
      pooled frequencies ``p``.
    * ``unseen_category_rate`` (labels) - share of synthetic values whose label
      never occurs in the reference column. Under faithful sampling its mean is the
      reference sample's missing mass ``M = sum_k p_k (1 - p_k)^n``, estimated from
      the reference alone by Good-Turing, ``M = N1 / n`` (``N1``, ``N2``: labels seen
      once, twice), with variance ``M (1 - M) / m + (N1 + 2 N2) / n^2`` (binomial
      draw of the synthetic side plus Esty's variance of the estimate); allowance
      ``M + z sqrt(var)``, and never below ``floor(ln alpha / ln(m / (n + m))) / m``
      (given ``C`` values with such labels, all land on the synthetic side with
      probability ``(m / (n + m))^C``), which covers references without singletons.
Every column
    * ``missing_rate_difference`` - ``|null_s - null_r|``, allowance ``z`` pooled
      binomial standard errors of the difference (over all rows).

Against a declared distribution (a strategy or recipe as reference):
``ks_distance_declared`` is the one-sample KS distance ``sup_x |F_s(x) - F(x)|``
to the declared CDF (allowance ``K_alpha / sqrt(m)``); when the column is rounded to
``decimals`` (or is integer) the CDF of the rounded variable is used (see
:func:`one_sample_ks`). Labels get ``tv_distance`` to the declared frequencies
(allowance as above with ``n = infinity``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .checks import Check, bonferroni_level, z_value
from .prepare import ColumnPair
from .summaries import Counts, Histogram, Moments

__all__ = [
    "ks_distance_sorted",
    "SynthMarginal",
    "ks_wasserstein_sorted",
    "one_sample_ks",
    "tv_distance",
    "tv_allowance",
    "marginal_test_count",
    "column_checks",
    "declared_column_checks",
    "plot_data",
]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass
class SynthMarginal:
    """What the numeric checks read of one synthetic column, given the reference column.

    Built exactly from the sorted synthetic values (:meth:`from_sorted`) or from the one-pass
    summaries of a partitioned table (:mod:`synthkit.validation.streaming`); the checks of
    :func:`column_checks` are the same code either way.

    Attributes
    ----------
    m, nulls : int
        Non-missing and missing synthetic values.
    moments : Moments
        Exact count, mean and central moments.
    ks, w1 : float
        Two-sample KS and Wasserstein-1 distances to the reference column.
    quantiles : callable
        ``probs -> values``, numpy's linear-interpolation quantiles of the synthetic values.
    outside : int
        Synthetic values outside the reference's ``[min, max]``.
    levels : (values, counts) or None
        Distinct synthetic values and their counts (integer columns).

    Examples
    --------
    >>> s = SynthMarginal.from_sorted(np.array([0.0, 1.0]), np.array([0.0, 1.0, 2.0, 3.0]))
    >>> s.ks, s.w1, s.outside
    (0.5, 1.0, 2)
    """

    m: int
    nulls: int
    moments: Moments
    ks: float
    w1: float
    quantiles: Callable[[Sequence[float]], np.ndarray]
    outside: int
    levels: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def from_sorted(cls, a: np.ndarray, b: np.ndarray, nulls: int = 0,
                    levels: bool = False) -> SynthMarginal:
        """The exact side of the sorted synthetic values ``b`` against the sorted reference ``a``."""
        ks, w1 = ks_wasserstein_sorted(a, b)
        out = int(np.searchsorted(b, a[0], side="left") + b.size
                  - np.searchsorted(b, a[-1], side="right")) if a.size and b.size else 0
        lv = np.unique(b, return_counts=True) if levels else None
        return cls(int(b.size), int(nulls), Moments().update(b), ks, w1,
                   lambda probs: _quantiles_sorted(b, probs), out, lv)


def ks_wasserstein_sorted(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Two-sample KS distance and Wasserstein-1 distance of two *sorted* samples.

    Both are read off the two empirical CDFs evaluated on the merged sample:
    ``D = max |F_a - F_b|`` and ``W1 = sum |F_a - F_b| * gap``.

    Examples
    --------
    >>> ks_wasserstein_sorted(np.array([0.0, 1.0]), np.array([0.0, 1.0, 2.0, 3.0]))
    (0.5, 1.0)
    """
    n, m = a.size, b.size
    if n == 0 or m == 0:
        return float("nan"), float("nan")
    allv = np.concatenate([a, b])
    allv.sort(kind="stable")  # two sorted runs: a linear merge
    fa = np.searchsorted(a, allv, side="right") / n
    fb = np.searchsorted(b, allv, side="right") / m
    diff = np.abs(fa - fb)
    ks = float(diff.max())
    w1 = float(np.sum(diff[:-1] * np.diff(allv)))
    return ks, w1


def ks_distance_sorted(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample KS distance of two sorted samples (same as ``scipy.stats.ks_2samp``).

    Examples
    --------
    >>> ks_distance_sorted(np.array([0.0, 1.0]), np.array([0.5, 1.5]))
    0.5
    """
    return ks_wasserstein_sorted(a, b)[0]


def one_sample_ks(x_sorted: np.ndarray, cdf: Callable[[np.ndarray], np.ndarray],
                  discrete: bool = False, step: float | None = None) -> float:
    """One-sample KS distance ``sup_x |F_m(x) - F(x)|`` of a sorted sample to a CDF.

    For a continuous ``F`` this is ``max(i/m - F(x_i), F(x_i) - (i-1)/m)``.
    For values on a grid of width ``step`` (integers: ``discrete=True``, step 1; a
    continuous model whose draws are rounded to ``d`` decimals: ``step=10**-d``) the
    reference CDF is that of the *rounded* variable, ``F(x + step/2)`` at the grid
    points (for a distribution on the integers this equals ``F(x)``); both step
    functions jump only on the grid, so the sup is attained there.

    Examples
    --------
    >>> from scipy import stats
    >>> x = np.sort(stats.norm.rvs(size=200, random_state=1))
    >>> bool(abs(one_sample_ks(x, stats.norm.cdf) - stats.kstest(x, "norm").statistic) < 1e-12)
    True
    """
    m = x_sorted.size
    if m == 0:
        return float("nan")
    if discrete and step is None:
        step = 1.0
    if step is not None and step > 0:
        lo = math.floor(x_sorted[0] / step)
        hi = math.ceil(x_sorted[-1] / step)
        if hi - lo <= 2_000_000:
            grid = np.arange(lo - 1, hi + 1, dtype=float) * step
            # tolerance: sample values are the grid points up to float rounding
            fm = np.searchsorted(x_sorted, grid + step * 1e-6, side="right") / m
            f = np.asarray(cdf(grid + step / 2), dtype=float)
            return float(np.max(np.abs(fm - f)))
    f = np.asarray(cdf(x_sorted), dtype=float)
    i = np.arange(1, m + 1)
    return float(max(np.max(i / m - f), np.max(f - (i - 1) / m)))


def tv_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Total-variation distance ``1/2 sum |p - q|`` of two frequency vectors.

    Examples
    --------
    >>> tv_distance(np.array([0.5, 0.5]), np.array([0.75, 0.25]))
    0.25
    """
    return 0.5 * float(np.abs(np.asarray(p) - np.asarray(q)).sum())


def tv_allowance(p: np.ndarray, n: float, m: float, alpha: float) -> float:
    """``1 - alpha`` bound on the TV distance of two multinomial samples (sizes n, m) from ``p``.

    ``(1/2 sum_k sqrt(p_k (1 - p_k)) + sqrt(ln(1/alpha) / 2)) sqrt(1/n + 1/m)``: the
    first term bounds the mean (Jensen), the second the deviation (McDiarmid: one
    draw moves the distance by at most ``1/n`` or ``1/m``). ``n = inf`` compares one
    sample with known frequencies.

    Examples
    --------
    >>> round(tv_allowance(np.array([0.5, 0.5]), 100, 100, 0.01), 4)
    0.2853
    """
    p = np.asarray(p, dtype=float)
    noise = math.sqrt(1 / n + 1 / m)
    return (0.5 * float(np.sqrt(p * (1 - p)).sum()) + math.sqrt(math.log(1 / alpha) / 2)) * noise


def _pooled(pr: np.ndarray, n: float, ps: np.ndarray, m: float) -> np.ndarray:
    return (pr * n + ps * m) / (n + m)


def _scale(iqr: float, sd: float) -> tuple[float, str]:
    if iqr > 0:
        return iqr, "IQR"
    if sd > 0:
        return sd, "sd (IQR is 0)"
    return 1.0, "1 (constant column)"


def _quantiles_sorted(x: np.ndarray, probs: Sequence[float]) -> np.ndarray:
    """Linear-interpolation quantiles (numpy's default) of a sorted array."""
    pos = np.asarray(probs) * (x.size - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, x.size - 1)
    w = pos - lo
    return x[lo] * (1 - w) + x[hi] * w


def _quantile_reach(a: np.ndarray, qs: np.ndarray, qa: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """``max(Q(p + delta) - Q(p), Q(p) - Q(p - delta))`` of the sorted sample ``a``'s quantile
    function ``Q``, which beyond ``[0, 1]`` goes on at its average slope from ``p`` to the
    sample's end (a band reaching past the reference's extremes is not cut off at them)."""
    up, down = qs + delta, qs - delta
    top = _quantiles_sorted(a, np.minimum(up, 1.0)) + np.maximum(up - 1.0, 0.0) * (a[-1] - qa) / (1.0 - qs)
    bottom = _quantiles_sorted(a, np.maximum(down, 0.0)) - np.maximum(-down, 0.0) * (qa - a[0]) / qs
    return np.maximum(top - qa, qa - bottom)


def _levels_tv(a: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """TV distance and level frequencies of two numeric samples with few levels."""
    levels = np.union1d(np.unique(a), np.unique(b))
    ca = np.bincount(np.searchsorted(levels, a), minlength=levels.size) / max(a.size, 1)
    cb = np.bincount(np.searchsorted(levels, b), minlength=levels.size) / max(b.size, 1)
    return tv_distance(ca, cb), levels, ca, cb


def _levels_tv_counts(a: np.ndarray, values: np.ndarray, counts: np.ndarray
                      ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_levels_tv` with the synthetic sample given as its distinct values and their counts."""
    ra, rc = np.unique(a, return_counts=True)
    levels = np.union1d(ra, values)
    ca = np.zeros(levels.size)
    ca[np.searchsorted(levels, ra)] = rc / max(a.size, 1)
    cb = np.zeros(levels.size)
    cb[np.searchsorted(levels, values)] = counts / max(int(np.sum(counts)), 1)
    return tv_distance(ca, cb), levels, ca, cb


def marginal_test_count(col: ColumnPair) -> int:
    """Elementary tests :func:`column_checks` runs on ``col`` (its share of the Bonferroni split).

    Labels: TV, unseen labels, null rate. Numeric: KS (or level TV), Wasserstein,
    mean, sd, five quantiles, range, null rate.
    """
    return 3 if col.is_label else 6 + len(QUANTILES)


def _missing_check(col: ColumnPair, thr: dict, alpha: float, synth_nulls: tuple[int, int] | None = None
                   ) -> Check:
    """``synth_nulls``: ``(missing, rows)`` of the synthetic column when it is summarised, not held."""
    n = col.real.size
    if synth_nulls is None:
        nr, ns = col.null_rates()
        m = col.synth.size
    else:
        nr = float((np.isnan(col.real) if col.is_numeric else col.real < 0).mean())
        m = synth_nulls[1]
        ns = synth_nulls[0] / m if m else 0.0
    pooled = (nr * n + ns * m) / (n + m)
    allow = z_value(alpha) * math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / m))
    t = thr["missing_rate_difference"] + allow
    v = abs(ns - nr)
    return Check("marginals", "missing_rate_difference", col.name, v, t, v <= t,
                 f"null rate real {nr:.4f}, synthetic {ns:.4f}; allowance z*SE = {allow:.4f}")


def _unseen_allowance(n: int, m: int, alpha: float, ref_counts: np.ndarray | None = None) -> float:
    """Largest share of labels absent from the reference a faithful sample reaches (level alpha).

    The Good-Turing missing mass ``N1 / n`` of the reference plus ``z`` standard errors
    (module docstring), never below the count bound: given ``C`` values with such labels in
    both tables, all of them land in the synthetic table with probability ``(m / (n + m))^C``.
    The allowance reads the reference's counts only, so a synthetic table cannot widen it.

    Examples
    --------
    >>> round(_unseen_allowance(200, 2000, 0.01, np.full(200, 1)), 3)
    1.0
    >>> _unseen_allowance(1000, 1000, 0.05, np.array([500, 500]))
    0.004
    """
    if n <= 0 or m <= 0:
        return 1.0
    floor_bound = math.floor(math.log(alpha) / math.log(m / (n + m))) / m
    if ref_counts is None:
        return floor_bound
    counts = np.asarray(ref_counts)
    n1, n2 = float(np.sum(counts == 1)), float(np.sum(counts == 2))
    mass = min(1.0, n1 / n)
    var = mass * (1.0 - mass) / m + (n1 + 2.0 * n2) / n**2
    return min(1.0, max(floor_bound, mass + z_value(alpha) * math.sqrt(var)))


#: Jackknife standard errors added to the reference's kurtosis and variance (see
#: :func:`_kurtosis_upper`).
UPPER_SE = 5.0


def _kurtosis_upper(x: np.ndarray) -> float:
    """Upper bound of the kurtosis behind the sample ``x``: its kurtosis ``m4 / m2^2`` plus
    :data:`UPPER_SE` jackknife standard errors (Quenouille-Tukey, leave-one-out values from
    the power sums, vectorised). A small sample of a heavy-tailed distribution rarely holds
    its extreme values and understates the kurtosis; the bound comes from the reference
    alone, so a synthetic tail too heavy cannot widen the check that should catch it.

    Examples
    --------
    >>> x = np.random.default_rng(0).standard_normal(20_000)
    >>> bool(3.0 < _kurtosis_upper(x) < 3.3)
    True
    """
    n = x.size
    if n < 4:
        return 3.0
    y = (x - x.mean()) / (x.std() or 1.0)
    y2 = y * y
    s1, s2, s3, s4 = y.sum(), y2.sum(), (y2 * y).sum(), (y2 * y2).sum()
    mu = (s1 - y) / (n - 1)  # leave-one-out raw moments
    r2, r3, r4 = (s2 - y2) / (n - 1), (s3 - y2 * y) / (n - 1), (s4 - y2 * y2) / (n - 1)
    c2 = r2 - mu**2
    c4 = r4 - 4 * mu * r3 + 6 * mu**2 * r2 - 3 * mu**4
    with np.errstate(divide="ignore", invalid="ignore"):
        loo = c4 / c2**2
    kurt = s4 / n / (s2 / n) ** 2
    se = math.sqrt((n - 1) / n * float(np.sum((loo - loo.mean()) ** 2)))
    out = kurt + UPPER_SE * se
    return float(out) if np.isfinite(out) else 3.0


#: Synthetic rows above which :func:`_betabinom_ppf` integrates instead of summing the pmf.
BETABINOM_DIRECT_ROWS = 100_000


def _betabinom_ppf(q: float, m: int, a: float, b: float) -> int:
    """``q`` quantile of BetaBinomial(m, a, b) in memory and time independent of ``m``.

    Up to :data:`BETABINOM_DIRECT_ROWS` trials ``scipy.stats.betabinom.ppf`` (which sums the
    pmf: O(m) memory); above, bisection on the CDF written as the mixture
    ``P(X <= k) = int_0^1 F_Bin(k; m, p) g(p) dp`` (``g`` the Beta(a, b) density): the Beta mass
    below the binomial step plus ``scipy.integrate.quad`` across it (twelve binomial sd each side).

    Examples
    --------
    >>> _betabinom_ppf(0.99, 10**7, 2, 999) == int(stats.betabinom.ppf(0.99, 10**7, 2, 999))
    True
    """
    if m <= BETABINOM_DIRECT_ROWS:
        return int(stats.betabinom.ppf(q, m, a, b))
    from scipy import integrate, special

    log_beta = float(special.betaln(a, b))

    def cdf(k: int) -> float:
        # F_Bin(k; m, p) steps from 1 to 0 within a few binomial sd of p0 = k / m: Beta mass below
        # the step, plus the integral over it
        p0 = (k + 0.5) / m
        sd = math.sqrt(max(p0 * (1 - p0), 1.0 / m) / m)
        lo, hi = max(p0 - 12 * sd, 0.0), min(p0 + 12 * sd, 1.0)
        val, _ = integrate.quad(lambda p: special.bdtr(k, m, p) * math.exp(
            (a - 1) * math.log(p) + (b - 1) * math.log1p(-p) - log_beta) if 0 < p < 1 else 0.0,
            lo, hi, limit=200, epsabs=1e-14, epsrel=1e-12)
        return float(special.betainc(a, b, lo)) + val

    lo, hi = -1, m  # cdf(lo) < q <= cdf(hi)
    guess = int(stats.beta.ppf(q, a, b) * m)
    for k in (guess - 10 - int(5 * math.sqrt(guess + 1)), guess + 10 + int(5 * math.sqrt(guess + 1))):
        if 0 <= k < m:
            if cdf(k) >= q:
                hi = min(hi, k)
            else:
                lo = max(lo, k)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if cdf(mid) >= q:
            hi = mid
        else:
            lo = mid
    return hi


def _range_allowance(n: int, m: int, alpha: float) -> float:
    """``1 - alpha`` quantile of BetaBinomial(m, 2, n - 1) / m: share of m fresh draws
    outside the range of n draws from the same continuous distribution."""
    if n < 2 or m < 1:
        return 1.0
    return _betabinom_ppf(1 - alpha, m, 2, n - 1) / m


def column_checks(col: ColumnPair, thr: dict, sorted_cache: dict | None = None,
                  alpha: float | None = None, synth: SynthMarginal | Counts | None = None) -> list[Check]:
    """All marginal checks of one column (see the module docstring).

    Parameters
    ----------
    col : ColumnPair
        The column in both tables (:func:`synthkit.validation.prepare.prepare_tables`).
    thr : dict
        Resolved thresholds (:func:`synthkit.validation.checks.resolve_thresholds`).
    sorted_cache : dict, optional
        Filled with ``name -> (real_sorted, synth_sorted)`` and ``("ks", name) -> D`` for
        reuse by other sections.
    alpha : float, optional
        Level of each elementary test; default ``false_fail_rate`` split over this
        column's tests (:func:`marginal_test_count`).
    synth : SynthMarginal or Counts, optional
        The synthetic side when it is summarised rather than held in ``col.synth`` (a
        partitioned table): a :class:`SynthMarginal` for a numeric column, the label
        :class:`~synthkit.validation.summaries.Counts` (over ``col.categories``) for a label.

    Returns
    -------
    list of Check
    """
    if alpha is None:
        alpha = bonferroni_level(thr, marginal_test_count(col))
    z = z_value(alpha)
    out: list[Check] = []
    name = col.name
    if col.is_label:
        k = len(col.categories or [])
        cr = Counts(k).update(col.real)
        cs = synth if isinstance(synth, Counts) else Counts(k).update(col.synth)
        pr, ps = cr.frequencies(), cs.frequencies()
        n, m = int(cr.counts.sum()), int(cs.counts.sum())
        if n and m:
            v = tv_distance(pr, ps)
            allow = tv_allowance(_pooled(pr, n, ps, m), n, m, alpha)
            t = thr["tv_distance"] + allow
            out.append(Check("marginals", "tv_distance", name, v, t, v <= t,
                             f"{k} categories; allowance {allow:.4f}"))
            unseen = ps[col.n_real_categories:]
            rate = float(unseen.sum())
            labels = [str(c) for c, f in zip(col.categories[col.n_real_categories:], unseen,
                                             strict=True) if f > 0]
            allow = _unseen_allowance(n, m, alpha, cr.counts[:col.n_real_categories])
            t = thr["unseen_category_rate"] + allow
            out.append(Check("marginals", "unseen_category_rate", name, rate, t, rate <= t,
                             (("unseen: " + ", ".join(labels[:10])) if labels else "none")
                             + f"; allowance {allow:.4f}"))
        out.append(_missing_check(col, thr, alpha, None if synth is None
                                  else (cs.nulls, int(cs.counts.sum()) + cs.nulls)))
        return out

    a = np.sort(col.real_valid())
    if isinstance(synth, SynthMarginal):
        sm = synth
    else:
        b = np.sort(col.synth_valid())
        if sorted_cache is not None:
            sorted_cache[name] = (a, b)
        sm = SynthMarginal.from_sorted(a, b, col.synth.size - b.size, levels=col.kind == "integer")
    n, m = a.size, sm.m
    mr = Moments().update(a)
    ms = sm.moments
    q_r = _quantiles_sorted(a, (0.25, 0.75))
    iqr = float(q_r[1] - q_r[0])
    scale, scale_name = _scale(iqr, mr.std if n > 1 else 0.0)
    noise = math.sqrt(1 / n + 1 / m)

    ks, w1 = sm.ks, sm.w1
    if sorted_cache is not None:
        sorted_cache[("ks", name)] = ks
    allow = float(stats.kstwobign.isf(alpha)) * noise
    t = thr["ks_distance"] + allow
    out.append(Check("marginals", "ks_distance", name, ks, t,
                     ks <= t if col.kind != "integer" else None,
                     f"two-sample KS; allowance K_alpha*sqrt(1/n+1/m) = {allow:.4f}"
                     + ("; informational for integer levels (see tv_distance)"
                        if col.kind == "integer" else "")))
    # W1 of two samples: mean <= sqrt(2/pi) noise J, deviation sqrt(2 ln(1/alpha)) noise J
    if n > 1:
        F = np.arange(1, n) / n
        j = float(np.sum(np.sqrt(F * (1 - F)) * np.diff(a)))
    else:
        j = 0.0
    allow = (math.sqrt(2 / math.pi) + math.sqrt(2 * math.log(1 / alpha))) * noise * j / scale
    t = thr["wasserstein_iqr"] + allow
    v = w1 / scale
    out.append(Check("marginals", "wasserstein_iqr", name, v, t, v <= t,
                     f"W1 = {w1:.4g} / {scale_name} {scale:.4g}; allowance {allow:.4f}"))

    if col.kind == "integer":
        v, levels, ca, cb = _levels_tv_counts(a, *sm.levels)
        allow = tv_allowance(_pooled(ca, n, cb, m), n, m, alpha)
        t = thr["tv_distance"] + allow
        out.append(Check("marginals", "tv_distance", name, v, t, v <= t,
                         f"{levels.size} levels; allowance {allow:.4f}"))

    sd_r = mr.std if n > 1 else 0.0
    sd_s = ms.std if m > 1 else 0.0
    if sd_r > 0:
        v = abs(ms.mean - mr.mean) / sd_r
        # under the null both samples have the reference's spread; a small heavy-tailed
        # reference understates it, so the variance is its upper bound from the reference
        # alone (never from the synthetic sample, whose defect would widen its own test)
        kurt_hi = _kurtosis_upper(a)
        var_hi = 1 + UPPER_SE * math.sqrt(max(kurt_hi - 1, 0.5) / n)
        allow = z * math.sqrt(var_hi) * noise
        t = thr["mean_difference_sd"] + allow
        out.append(Check("marginals", "mean_difference_sd", name, v, t, v <= t,
                         f"mean real {mr.mean:.4g}, synthetic {ms.mean:.4g}; allowance {allow:.4f}"))
        if sd_s > 0:
            v = abs(math.log(sd_s / sd_r))
            kurt = kurt_hi  # the reference's: a synthetic tail too heavy must not widen its test
            allow = z * math.sqrt(max(kurt - 1, 0.5) / 4) * noise
            t = thr["sd_log_ratio"] + allow
            out.append(Check("marginals", "sd_log_ratio", name, v, t, v <= t,
                             f"sd real {sd_r:.4g}, synthetic {sd_s:.4g}; kurtosis {kurt:.3g}; "
                             f"allowance {allow:.4f}"))
        else:
            out.append(Check("marginals", "sd_log_ratio", name, math.inf,
                             thr["sd_log_ratio"], False, "synthetic column is constant"))
    else:
        out.append(Check("marginals", "mean_difference", name, abs(ms.mean - mr.mean), None, None,
                         "real column is constant: sd-scaled checks skipped"))

    qs = np.asarray(QUANTILES)
    qa, qb = _quantiles_sorted(a, qs), np.asarray(sm.quantiles(qs), dtype=float)
    delta = z * np.sqrt(qs * (1 - qs)) * noise + 1.0 / n  # one step of the reference ECDF
    reach = _quantile_reach(a, qs, qa, delta)
    diffs = np.abs(qb - qa) / scale
    # rounded: on a discrete column two p often tie exactly (up to float noise); the first is named
    excess = np.round(diffs - reach / scale, 9)
    worst = int(excess.argmax())
    v = float(diffs[worst])
    allow = float(reach[worst] / scale)
    t = thr["quantile_difference_iqr"] + allow
    out.append(Check("marginals", "quantile_difference_iqr", name, v, t, v <= t,
                     f"worst at p={qs[worst]:.2f}: real {qa[worst]:.4g}, synthetic {qb[worst]:.4g}; "
                     f"allowance {allow:.4f} (real quantiles over p +- {delta[worst]:.4f})"))

    lo, hi = a[0], a[-1]
    v = sm.outside / m if m else 0.0
    allow = _range_allowance(n, m, alpha)
    t = thr["range_violation_rate"] + allow
    out.append(Check("marginals", "range_violation_rate", name, v, t, v <= t,
                     f"real range [{lo:.4g}, {hi:.4g}]; allowance {allow:.4f} "
                     "(BetaBinomial(m, 2, n-1) quantile)"))
    out.append(_missing_check(col, thr, alpha, None if synth is None else (sm.nulls, sm.m + sm.nulls)))
    return out


def declared_column_checks(col: ColumnPair, model, declared_column, thr: dict,
                           alpha: float | None = None) -> list[Check]:
    """Checks of a synthetic column against a declared / fitted column model.

    Parameters
    ----------
    col : ColumnPair
        The synthetic column (``col.real`` is ignored; pass the synthetic twice).
    model : object
        A column model with ``.marginal.cdf(x)`` (numeric), or ``None``.
    declared_column : synthkit.schema.Column
        Declared kind, bounds, categories / frequencies and null fraction.
    thr : dict
        Resolved thresholds.
    alpha : float, optional
        Level of each elementary test (default ``false_fail_rate / 3``). Labels
        outside the declared categories and values outside the declared bounds never
        come from a faithful sample: those checks have no allowance.
    """
    if alpha is None:
        alpha = bonferroni_level(thr, 3)
    out: list[Check] = []
    name = col.name
    marginal = getattr(model, "marginal", model)
    m = col.synth.size
    if col.is_label:
        freqs = declared_column.frequencies
        probs = getattr(marginal, "probs", None)
        if probs is not None:
            freqs = list(np.asarray(probs, dtype=float))
        if freqs is not None:
            k = len(col.categories or [])
            p = np.zeros(k)
            p[: len(freqs)] = freqs
            cs = Counts(k).update(col.synth)
            ps = cs.frequencies()
            v = tv_distance(p, ps)
            nn = max(int(cs.counts.sum()), 1)
            allow = tv_allowance(p, math.inf, nn, alpha)
            t = thr["tv_distance"] + allow
            out.append(Check("marginals", "tv_distance_declared", name, v, t, v <= t,
                             f"against the declared frequencies; allowance {allow:.4f}"))
            rate = float(ps[len(freqs):].sum())
            t = thr["unseen_category_rate"]
            out.append(Check("marginals", "unseen_category_rate", name, rate, t, rate <= t,
                             "share of labels outside the declared categories"))
    elif marginal is not None and callable(getattr(marginal, "cdf", None)):
        b = np.sort(col.synth_valid())
        decimals = getattr(declared_column, "decimals", None)
        step = None
        if col.kind == "integer":
            step = 1.0
        elif col.kind == "continuous" and decimals is not None and 0 <= int(decimals) <= 6:
            step = 10.0 ** -int(decimals)  # the model rounds its draws to `decimals`
        try:
            v = one_sample_ks(b, lambda x: np.asarray(marginal.cdf(x), dtype=float), step=step)
        except Exception as exc:  # a third-party marginal whose cdf fails
            out.append(Check("marginals", "ks_distance_declared", name, math.nan, None, None,
                             f"declared cdf failed: {exc}"))
        else:
            allow = float(stats.kstwobign.isf(alpha)) / math.sqrt(max(b.size, 1))
            t = thr["ks_distance_declared"] + allow
            out.append(Check("marginals", "ks_distance_declared", name, v, t, v <= t,
                             f"one-sample KS to the declared distribution; allowance {allow:.4f}"))
        lo, hi = declared_column.minimum, declared_column.maximum
        if col.kind != "datetime" and (lo is not None or hi is not None):
            lo_f = -math.inf if lo is None else float(lo)
            hi_f = math.inf if hi is None else float(hi)
            outside = (b < lo_f - 1e-9 * abs(lo_f)) | (b > hi_f + 1e-9 * abs(hi_f))
            v = float(outside.mean()) if b.size else 0.0
            t = thr["range_violation_rate"]
            out.append(Check("marginals", "range_violation_rate", name, v, t, v <= t,
                             f"declared range [{lo_f:.4g}, {hi_f:.4g}]"))
    declared_null = float(getattr(declared_column, "null_fraction", 0.0) or 0.0)
    ns = col.null_rates()[1]
    allow = z_value(alpha) * math.sqrt(max(declared_null * (1 - declared_null), 1e-12) / max(m, 1))
    t = thr["missing_rate_difference"] + allow
    v = abs(ns - declared_null)
    out.append(Check("marginals", "missing_rate_difference", name, v, t, v <= t,
                     f"declared null fraction {declared_null:.4f}, synthetic {ns:.4f}"))
    return out


#: Bins of an overlay histogram: Freedman-Diaconis on the reference, clipped to this range.
HIST_BINS = (10, 60)


def hist_edges(a: np.ndarray, lo: float, hi: float, *, log_ok: bool = True) -> tuple[np.ndarray, bool]:
    """Edges of the overlay histogram of the sorted reference ``a`` over ``[lo, hi]``, and
    whether they are log-spaced.

    * width: Freedman-Diaconis, ``2 IQR n^(-1/3)`` of the reference, with between 10 and
      60 bins over the range;
    * whole-number references: edges at ``k - 1/2`` and a whole width, so every bin holds the
      same number of integers (equal-width bins over integers alias into a comb);
    * positive references with a long right tail (``q99 / q50 > 20``): log-spaced edges
      (the figure then draws a log axis and the density per log10 unit), unless
      ``log_ok`` is false (dates).

    Examples
    --------
    >>> edges, log = hist_edges(np.arange(18.0, 96.0), 18, 95)
    >>> bool(np.all(np.diff(edges) == np.diff(edges)[0])), float(edges[0]), log
    (True, 17.5, False)
    """
    lo_n, hi_n = HIST_BINS
    q25, q50, q75, q99 = _quantiles_sorted(a, (0.25, 0.5, 0.75, 0.99))
    if log_ok and lo > 0 and q50 > 0 and q99 / q50 > 20:
        return np.geomspace(lo, hi, hi_n // 2 + 1), True
    fd = 2 * (q75 - q25) * a.size ** (-1 / 3)
    count = int(np.clip(np.ceil((hi - lo) / fd), lo_n, hi_n)) if fd > 0 else 40
    if a.size and hi - lo >= 1 and max(abs(lo), abs(hi)) < 2.0**50 and np.all(a == np.round(a)):
        width = max(1.0, float(np.ceil((np.floor(hi) - np.ceil(lo) + 1) / count)))
        start = np.ceil(lo) - 0.5
        k = int(np.ceil((np.floor(hi) + 0.5 - start) / width))
        return start + width * np.arange(k + 1), False
    return np.linspace(lo, hi, count + 1), False


def counts_density(counts: np.ndarray, total: int, edges: np.ndarray, log: bool) -> np.ndarray:
    """Density of bin ``counts`` out of ``total`` values: per unit, or per log10 unit on
    log-spaced ``edges``."""
    width = np.diff(np.log10(edges)) if log else np.diff(edges)
    return np.asarray(counts) / max(total, 1) / np.where(width > 0, width, 1.0)


def hist_density(x: np.ndarray, edges: np.ndarray, log: bool) -> np.ndarray:
    """:func:`counts_density` of the values ``x``."""
    return counts_density(Histogram(edges).update(x).counts, x.size, edges, log)


def label_bars(labels: list[str], pr: np.ndarray, ps: np.ndarray, top: int) -> dict:
    """Bar data of label frequencies: all levels, or the ``top`` most frequent in the
    reference (chosen on the reference alone, so the choice favours neither side) and one
    ``other`` bar holding the rest of each side's mass."""
    if len(labels) <= top:
        return {"type": "bar", "labels": list(labels), "real": pr.tolist(), "synth": ps.tolist(),
                "truncated": False}
    order = np.argsort(-pr, kind="stable")[:top]
    return {"type": "bar", "labels": [labels[i] for i in order] + [f"other ({len(labels) - top})"],
            "real": pr[order].tolist() + [float(max(0.0, 1 - pr[order].sum()))],
            "synth": ps[order].tolist() + [float(max(0.0, 1 - ps[order].sum()))],
            "truncated": True, "other": True}


def plot_data(col: ColumnPair, sorted_pair: tuple[np.ndarray, np.ndarray] | None = None,
              top: int = 20, synth_counts: Counts | None = None) -> dict:
    """Small, JSON-able data for the marginal overlay figure of one column.

    Labels: bars (:func:`label_bars`). Numbers: bars when there are at most ``top``
    distinct values (integers) or levels (continuous), else a histogram on
    :func:`hist_edges`. ``synth_counts``: the synthetic label counts when they are
    summarised (a partitioned table).
    """
    out = _plot_data(col, sorted_pair, top, synth_counts)
    return with_missing(out, col, None if synth_counts is None else synth_counts.null_rate)


def with_missing(out: dict, col: ColumnPair, synth_rate: float | None = None) -> dict:
    """``out`` with ``missing = [reference share, synthetic share]`` of missing values (drawn
    on the column's figure) when either side has some; ``synth_rate`` is the exact share of a
    summarised synthetic column (default: that of ``col.synth``)."""
    if col.real.size and col.synth.size:
        real_rate, own_rate = col.null_rates()
        rate = own_rate if synth_rate is None else synth_rate
        if max(real_rate, rate) > 0:
            out["missing"] = [real_rate, float(rate)]
    return out


def _plot_data(col: ColumnPair, sorted_pair, top: int, synth_counts: Counts | None) -> dict:
    if col.is_label:
        k = len(col.categories or [])
        pr = Counts(k).update(col.real).frequencies()
        ps = (synth_counts if synth_counts is not None else Counts(k).update(col.synth)).frequencies()
        return label_bars([str(c) for c in (col.categories or [])], pr, ps, top)
    a, b = sorted_pair if sorted_pair is not None else (np.sort(col.real_valid()), np.sort(col.synth_valid()))
    if a.size == 0:
        return {"type": "empty"}
    if col.kind in ("integer", "continuous"):
        n_levels = int(np.count_nonzero(np.diff(a)) + 1 + (np.count_nonzero(np.diff(b)) + 1 if b.size else 0))
        if n_levels <= 2 * top:  # few distinct values: bars read better
            _, levels, pr, ps = _levels_tv(a, b)
            if levels.size <= top:
                return {"type": "bar", "labels": [f"{v:g}" for v in levels], "real": pr.tolist(),
                        "synth": ps.tolist(), "truncated": False}
    lo, hi = _quantiles_sorted(a, (0.001, 0.999))
    if b.size:
        lo = min(lo, _quantiles_sorted(b, (0.001,))[0])
        hi = max(hi, _quantiles_sorted(b, (0.999,))[0])
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges, log = hist_edges(a, lo, hi, log_ok=col.kind != "datetime")
    return {"type": "hist", "edges": edges.tolist(), "real": hist_density(a, edges, log).tolist(),
            "synth": hist_density(b, edges, log).tolist(), "datetime": col.kind == "datetime",
            "log": log}
