"""Pair checks: does the synthetic table keep the reference's dependence.

Every pass/fail check compares the worst pair's statistic with ``threshold +
allowance``, the allowance being the pair's ``1 - alpha`` bound under faithful
sampling from both sizes (``n`` / ``m``: the pair's complete rows in the
reference / synthetic table) at the per-test level ``alpha`` (``false_fail_rate``
split over the report's tests, each pair one test: a Bonferroni correction over
the pairs); ``z`` is the two-sided normal quantile of ``alpha``.

Numeric pairs (continuous, integer, datetime)
    Pearson, Spearman and Kendall (tau-b) matrices of both tables on
    pairwise-complete rows. Pearson comes from mergeable co-moment sums
    (:class:`~synthkit.validation.summaries.PairwiseMoments`); Spearman is Pearson
    on average ranks (each column ranked over its non-missing values); Kendall's
    tau-b (Kendall 1945) is computed with ``scipy.stats.kendalltau`` on a seeded
    (:func:`synthkit.validation.rowplan.synth_rows` on the synthetic side)
    row subsample of at most :data:`KENDALL_ROWS` rows per table (it costs
    O(n log n) per pair). For each method:

    * ``<method>_max_abs_diff`` = ``|R_s - R_r|`` of the pair that exceeds its
      allowance ``z sqrt(v_ij (1/n + 1/m))`` most, with ``v_ij`` the asymptotic
      variance of ``sqrt(n)`` times the coefficient: for Pearson the fourth-moment
      formula ``rho^2/4 (m40 + 2 m22 + m04) - rho (m31 + m13) + m22`` of the
      standardised pair (``(1 - rho^2)^2`` for a normal pair; heavy tails make it
      larger), estimated on the reference (at most :data:`MOMENT_ROWS` rows); for
      Spearman ``(1 - rho^2)^2 (1 + rho^2 / 2)`` (Bonett & Wright 2000) and for Kendall
      ``0.437 (1 - tau^2)^2`` (Fieller, Hartley & Pearson 1957) times the tie factor
      of tau-b (see :func:`correlation_variance`), at the reference's coefficient.
      Under the null both tables are samples of the reference's distribution, so
      every variance term is the reference's (the synthetic table's would widen a
      check by the defect it should catch);
    * ``<method>_relative_frobenius`` = ``||R_s - R_r||_F / ||R_r - I||_F``: the
      share of the real dependence that is lost (1 for independent columns). Under
      faithful sampling the pair differences are jointly normal with variances
      ``v_ij (1/n + 1/m)`` and the correlations of two sample correlations
      (Pearson & Filon 1898, on the normal-equivalent coefficients of the reference),
      so ``sum_{i<j} (R_s - R_r)_ij^2`` is a weighted sum of chi-squares, matched to
      ``a chi2_f`` by its first two moments (Welch-Satterthwaite:
      ``a = ||C||_F^2 / tr C``, ``f = (tr C)^2 / ||C||_F^2`` for the covariance ``C``):
      allowance ``sqrt(2 a chi2_f(1 - alpha)) / ||R_r - I||_F``. Informational
      when the reference has no dependence to keep (``||R_r - I||_F < 0.05``).
Label pairs (categorical, boolean)
    ``cramers_v_max_abs_diff`` (Cramér 1946, V = sqrt(chi2 / (n (min(r, c) - 1))),
    without bias correction, missing values dropped). V is the norm of the
    standardised residuals ``u_ij = (p_ij - p_i p_j) / sqrt(p_i p_j)`` over
    ``sqrt(k - 1)``, so ``|V_hat - V| <= ||u_hat - u|| / sqrt(k - 1)``, and
    ``n ||u_hat - u||^2`` is chi-square with ``(r-1)(c-1)`` degrees of freedom:
    allowance ``sqrt(chi2_df(1 - alpha/2) / (k - 1)) (1/sqrt(n) + 1/sqrt(m))``.
    ``contingency_tv_max``: the largest total-variation distance between the two-way
    frequency tables (missing values as their own level), allowance as the
    marginal ``tv_distance`` over the cells
    (:func:`~synthkit.validation.marginals.tv_allowance`).
Label-numeric pairs
    ``correlation_ratio_max_abs_diff``: the correlation ratio
    ``eta = sqrt(SS_between / SS_total)`` (Pearson 1903) of the numeric column
    given the label, from mergeable per-group moments. ``eta`` is the norm of the
    standardised group-mean deviations and ``n eta_hat^2`` is asymptotically
    chi-square with ``k - 1`` degrees of freedom under no association: allowance
    ``sqrt(chi2_{k-1}(1 - alpha/2)) (1/sqrt(n) + 1/sqrt(m))`` (k non-empty groups).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from ..seeding import as_generator
from .checks import Check, bonferroni_level, z_value
from .marginals import tv_allowance, tv_distance
from .prepare import ColumnPair, PreparedTables
from .rowplan import KENDALL, synth_rows
from .summaries import GroupMoments, PairwiseMoments

__all__ = [
    "KENDALL_ROWS",
    "pearson_matrix",
    "spearman_matrix",
    "kendall_matrix",
    "cramers_v",
    "contingency_counts",
    "correlation_variance",
    "dependence_test_count",
    "SynthDependence",
    "synth_dependence",
    "dependence_checks",
]

#: Row subsample (per table) for Kendall's tau; seeded, documented in the report.
KENDALL_ROWS = 5000
#: Row subsample (per table) for the fourth moments of the Pearson variance.
MOMENT_ROWS = 100_000


def _stack(cols: list[np.ndarray]) -> np.ndarray:
    return np.column_stack(cols) if cols else np.empty((0, 0))


def pearson_matrix(x: np.ndarray, block_rows: int = 262_144) -> np.ndarray:
    """Pearson matrix on pairwise-complete rows, from block-merged co-moment sums.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(500, 3))
    >>> np.allclose(pearson_matrix(x), np.corrcoef(x.T))
    True
    """
    with np.errstate(invalid="ignore"):
        shift = np.nan_to_num(np.nanmean(x[: min(len(x), 10_000)], axis=0))
    pm = PairwiseMoments(shift)
    for start in range(0, len(x), block_rows):
        pm.update(x[start:start + block_rows])
    return pm.correlation()


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (1-based, ties averaged) of the non-missing values; NaN stays NaN.

    One argsort plus linear work (same result as ``scipy.stats.rankdata``).
    """
    out = np.full(x.shape, np.nan)
    ok = ~np.isnan(x)
    v = x[ok]
    if v.size == 0:
        return out
    order = np.argsort(v)  # introsort: 2x faster than stable; tie order does not matter
    s = v[order]
    first = np.empty(s.size, dtype=bool)
    first[0] = True
    np.not_equal(s[1:], s[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], s.size)
    avg = (starts + ends + 1) / 2.0
    r = np.empty(s.size)
    r[order] = np.repeat(avg, ends - starts)
    out[ok] = r
    return out


def spearman_matrix(x: np.ndarray) -> np.ndarray:
    """Spearman matrix: Pearson on average ranks (each column ranked over its non-missing values).

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(200, 2))
    >>> bool(np.isclose(spearman_matrix(x)[0, 1], stats.spearmanr(x).statistic))
    True
    """
    return pearson_matrix(np.column_stack([_ranks(x[:, j]) for j in range(x.shape[1])]))


def kendall_matrix(x: np.ndarray) -> np.ndarray:
    """Kendall tau-b matrix (Kendall 1945) on pairwise-complete rows (``scipy.stats.kendalltau``).

    Examples
    --------
    >>> round(float(kendall_matrix(np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 3.0]]))[0, 1]), 4)
    0.3333
    """
    d = x.shape[1]
    r = np.eye(d)
    for i in range(d):
        for j in range(i + 1, d):
            ok = ~(np.isnan(x[:, i]) | np.isnan(x[:, j]))
            if ok.sum() < 2:
                t = np.nan
            else:
                t = stats.kendalltau(x[ok, i], x[ok, j]).statistic
            r[i, j] = r[j, i] = t
    return r


def contingency_counts(a: np.ndarray, ka: int, b: np.ndarray, kb: int) -> np.ndarray:
    """Two-way counts of codes ``a`` (0..ka-1) and ``b`` (0..kb-1); -1 (missing) is level 0.

    Returns an array of shape ``(ka + 1, kb + 1)`` whose first row / column count
    the missing values.

    Examples
    --------
    >>> contingency_counts(np.array([0, 1, -1]), 2, np.array([1, 1, 0]), 2).tolist()
    [[0, 1, 0], [0, 0, 1], [0, 0, 1]]
    """
    idx = (a + 1) * (kb + 1) + (b + 1)
    return np.bincount(idx, minlength=(ka + 1) * (kb + 1)).reshape(ka + 1, kb + 1)


def cramers_v(table: np.ndarray) -> float:
    """Cramér's V of a contingency table (no bias correction; empty rows/columns dropped).

    ``V = sqrt(chi2 / (n (min(r, c) - 1)))`` with Pearson's chi-squared statistic
    (Cramér 1946); NaN when fewer than two non-empty rows or columns remain.

    Examples
    --------
    >>> cramers_v(np.array([[10, 0], [0, 10]]))
    1.0
    """
    t = np.asarray(table, dtype=float)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    n = t.sum()
    r, c = t.shape
    if n == 0 or min(r, c) < 2:
        return float("nan")
    expected = np.outer(t.sum(axis=1), t.sum(axis=0)) / n
    chi2 = float(((t - expected) ** 2 / expected).sum())
    return math.sqrt(chi2 / n / (min(r, c) - 1))


def _complete_counts(x: np.ndarray) -> np.ndarray:
    """Pairwise-complete row counts of the columns of ``x`` (NaN = missing)."""
    ok = (~np.isnan(x)).astype(float)
    return ok.T @ ok


def correlation_variance(method: str, x: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Asymptotic variance of ``sqrt(n)`` times each coefficient of ``r`` (``n v``, see module doc).

    ``pearson`` uses the fourth moments of the standardised columns of ``x``
    (pairwise-complete rows); ``spearman`` and ``kendall`` the normal-copula
    formulas of ``r``, Kendall's times the tie factor ``c_i c_j`` of tau-b,
    ``c = (1 - sum_l p_l^3) / (1 - sum_l p_l^2)`` over the level frequencies ``p``
    of each column of ``x`` (1 without ties; from the null variance of tau-b with
    ties, Kendall 1945).

    Examples
    --------
    >>> x = np.random.default_rng(0).multivariate_normal([0, 0], [[1, .5], [.5, 1]], 20_000)
    >>> v = correlation_variance("pearson", x, np.corrcoef(x.T))
    >>> bool(abs(v[0, 1] - (1 - .5**2) ** 2) < 0.05)
    True
    """
    r2 = np.square(r)
    if method == "spearman":
        return (1 - r2) ** 2 * (1 + r2 / 2)
    if method == "kendall":
        c = np.ones(r.shape[0])
        for j in range(x.shape[1]):
            v = x[:, j][~np.isnan(x[:, j])]
            if v.size > 1:
                p = np.unique(v, return_counts=True)[1] / v.size
                if (p**2).sum() < 1:
                    c[j] = (1 - (p**3).sum()) / (1 - (p**2).sum())
        return 0.437 * (1 - r2) ** 2 * np.outer(c, c)
    ok = ~np.isnan(x)
    cnt = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(cnt > 0, np.nansum(x, axis=0) / np.maximum(cnt, 1), 0.0)
        sd = np.sqrt(np.nansum((x - mean) ** 2, axis=0) / np.maximum(cnt, 1))
        z = np.where(ok, (x - mean) / sd, 0.0)
        okf = ok.astype(float)
        n = okf.T @ okf
        z2 = z * z
        m22 = (z2.T @ z2) / n
        m31 = ((z2 * z).T @ z) / n
        m40 = ((z2 * z2).T @ okf) / n
        return r2 / 4 * (m40 + 2 * m22 + m40.T) - r * (m31 + m31.T) + m22


def _worst_pair_check(statistic: str, items: list[tuple[tuple[str, str], float, float]],
                      values: dict, base: float, what: str, kind: str) -> list[Check]:
    """One check for the pair with the largest value - allowance (none if no value is finite).

    ``items`` are ``((a, b), value, allowance)``; ``values[(a, b)]`` is the pair's
    ``(real, synthetic)`` statistic, quoted in the detail as ``what``. The pair is
    kept as a tuple (column names may contain ``|``).
    """
    finite = [it for it in items if np.isfinite(it[1])]
    if not finite:
        return []
    key, v, allow = max(finite, key=lambda it: it[1] - it[2])
    t = base + allow
    vr, vs = values[key]
    return [Check("dependence", statistic, "|".join(key), v, t, v <= t,
                  f"worst pair: real {what}{vr:.3f}, synthetic {vs:.3f} ({len(items)} {kind} pairs); "
                  f"allowance {allow:.4f}")]


def _estimate_correlation(rho: np.ndarray, ia: np.ndarray, ja: np.ndarray, kb: np.ndarray,
                          lb: np.ndarray) -> np.ndarray:
    """Correlation between the estimates of rho[ia, ja] and rho[kb, lb] (normal theory).

    The asymptotic covariance of two sample correlations (Pearson & Filon 1898;
    Olkin & Siotani 1976): ``1/2 r_ij r_kl (r_ik^2 + r_il^2 + r_jk^2 + r_jl^2) + r_ik r_jl
    + r_il r_jk - r_ij r_ik r_il - r_ij r_jk r_jl - r_ik r_jk r_kl - r_il r_jl r_kl``,
    divided by the two standard deviations ``(1 - r_ij^2) (1 - r_kl^2)``.
    """
    i, j, k, l_ = ia[:, None], ja[:, None], kb[None, :], lb[None, :]
    rij, rkl = rho[i, j], rho[k, l_]
    rik, ril, rjk, rjl = rho[i, k], rho[i, l_], rho[j, k], rho[j, l_]
    cov = (0.5 * rij * rkl * (rik**2 + ril**2 + rjk**2 + rjl**2) + rik * rjl + ril * rjk
           - rij * rik * ril - rij * rjk * rjl - rik * rjk * rkl - ril * rjl * rkl)
    with np.errstate(invalid="ignore", divide="ignore"):
        return cov / ((1 - rij**2) * (1 - rkl**2))


#: Pairs up to which ``||Cov||_F^2`` is summed exactly (O(pairs^2)); above, it is a
#: Monte Carlo (Hutchinson) estimate from :data:`FROBENIUS_PROBES` products ``Cov g``,
#: each O(d^3) through :func:`_cov_times`.
FROBENIUS_EXACT_PAIRS = 1200
FROBENIUS_PROBES = 200


def _cov_times(r: np.ndarray, scale: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``Cov @ g`` for a stack of symmetric pair matrices ``g`` (shape ``(b, d, d)``).

    ``Cov = K o sqrt(v v^T)`` with the Pearson-Filon covariance ``K`` of
    :func:`_estimate_correlation`; ``scale = sqrt(v) / (1 - r^2)`` (zero outside the
    tested pairs). With ``W = scale o g`` and ``u = (r o W) 1``, ``M = r W r`` the sum of the
    formula's seven terms over the pairs ``k < l`` is
    ``1/2 [r_ij (a_i + a_j) + 2 M_ij - r_ij (M_ii + M_jj) - 2 (r diag(u) r)_ij]``,
    ``a = (r o r) u``: matrix products, O(d^3) instead of O(d^4).
    """
    w = scale * g
    u = (r * w).sum(axis=2)
    a = u @ (r * r)
    m = r @ w @ r
    diag = np.einsum("bii->bi", m)
    rur = (r * u[:, None, :]) @ r
    t = (r * (a[:, :, None] + a[:, None, :]) + 2 * m - r * (diag[:, :, None] + diag[:, None, :])
         - 2 * rur)
    return scale * 0.5 * t


def _frobenius_quantile(var: np.ndarray, rho: np.ndarray, mask: np.ndarray, alpha: float,
                        block: int = 128, rng=None) -> float:
    """``1 - alpha`` quantile of ``sum_{i<j, mask} D_ij^2`` for correlated normal ``D``.

    ``Cov(D) = K o sqrt(v v^T)`` with ``K`` from :func:`_estimate_correlation` on the
    normal-equivalent correlations ``rho``; the weighted chi-square sum is matched
    to ``a chi2_f`` by its first two moments (Welch-Satterthwaite):
    ``a = ||Cov||_F^2 / tr Cov``, ``f = (tr Cov)^2 / ||Cov||_F^2``. Up to
    :data:`FROBENIUS_EXACT_PAIRS` pairs ``||Cov||_F^2`` is summed in blocks of pairs
    (memory ``block x pairs``, time O(pairs^2) = O(d^4)); above, it is Hutchinson's
    estimate ``mean_g ||Cov g||^2`` over :data:`FROBENIUS_PROBES` standard normal ``g``
    (``rng``, :func:`synthkit.seeding.as_generator`), each product O(d^3)
    (:func:`_cov_times`), plus two of its standard errors, so the quantile errs on the
    wide side.
    """
    ia, ja = np.nonzero(np.triu(mask, 1))
    v = var[ia, ja]
    if not v.size or not v.sum() > 0:
        return 0.0
    sd = np.sqrt(v)
    r = np.clip(np.nan_to_num(rho), -0.999, 0.999)
    np.fill_diagonal(r, 1.0)
    trace = float(v.sum())
    if ia.size <= FROBENIUS_EXACT_PAIRS:
        frob2 = 0.0
        for start in range(0, ia.size, block):
            sl = slice(start, start + block)
            k = np.nan_to_num(_estimate_correlation(r, ia[sl], ja[sl], ia, ja))
            frob2 += float(((k * sd[sl, None] * sd[None, :]) ** 2).sum())
    else:
        d = r.shape[0]
        scale = np.zeros((d, d))
        scale[ia, ja] = scale[ja, ia] = sd / (1 - r[ia, ja] ** 2)
        gen = as_generator(rng)
        sq = []
        for _ in range(FROBENIUS_PROBES // 25):
            g = np.zeros((25, d, d))
            g[:, ia, ja] = gen.standard_normal((25, ia.size))
            g = g + g.transpose(0, 2, 1)
            cg = _cov_times(r, scale, g)
            sq.append(np.square(cg[:, ia, ja]).sum(axis=1))
        sq = np.concatenate(sq)
        frob2 = float(sq.mean() + 2 * sq.std(ddof=1) / math.sqrt(sq.size))
    frob2 = max(frob2, float(np.square(v).sum()))  # at least the diagonal's share
    return frob2 / trace * float(stats.chi2.isf(alpha, trace**2 / frob2))


def _matrix_checks(method: str, names: list[str], rr: np.ndarray, rs: np.ndarray,
                   var: np.ndarray, thr: dict, alpha: float, rng=None) -> list[Check]:
    """Worst-pair and relative-Frobenius rows; ``var`` is each difference's variance."""
    out = []
    d = len(names)
    iu = np.triu_indices(d, 1)
    diff = np.abs(rs - rr)[iu]
    if not np.isfinite(diff).any():
        return out
    z = z_value(alpha)
    # a pair whose columns are exactly related (a derived column) has variance 0, computed
    # as a tiny negative number by rounding: clip it so its allowance is 0, not NaN
    var = np.where(np.isnan(var), var, np.maximum(var, 0.0))
    allow = z * np.sqrt(var[iu])
    excess = np.where(np.isfinite(diff), diff - np.nan_to_num(allow, nan=np.inf), -np.inf)
    k = int(np.argmax(excess))
    pair = f"{names[iu[0][k]]}|{names[iu[1][k]]}"
    t = thr["corr_max_abs_diff"] + float(allow[k])
    v = float(diff[k])
    out.append(Check("dependence", f"{method}_max_abs_diff", pair, v, t, v <= t,
                     f"worst pair: real {rr[iu][k]:+.3f}, synthetic {rs[iu][k]:+.3f}; "
                     f"allowance {allow[k]:.4f} (z = {z:.2f} standard errors, {len(diff)} pairs)"))
    off = ~np.eye(d, dtype=bool)
    ok = off & np.isfinite(rr) & np.isfinite(rs)
    signal = math.sqrt(float((rr[ok] ** 2).sum()))
    err = math.sqrt(float(((rs - rr)[ok] ** 2).sum()))
    if signal < 0.05:
        out.append(Check("dependence", f"{method}_relative_frobenius", "*", math.nan, None, None,
                         f"||R_s - R_r||_F = {err:.4f}; the reference has no {method} dependence"))
        return out
    # normal-equivalent correlations of the reference (Greiner's relation for Kendall,
    # Pearson's for Spearman) give the correlation between the pairs' estimates
    rho = {"pearson": rr, "spearman": 2 * np.sin(np.pi * rr / 6),
           "kendall": np.sin(np.pi * rr / 2)}[method]
    q = _frobenius_quantile(var, rho, ok & np.isfinite(var), alpha, rng=rng)
    allow_f = math.sqrt(2 * q) / signal
    t = thr["corr_relative_frobenius"] + allow_f
    v = err / signal
    out.append(Check("dependence", f"{method}_relative_frobenius", "*", v, t, v <= t,
                     f"||R_s - R_r||_F / ||R_r - I||_F = {err:.4f} / {signal:.4f}; "
                     f"allowance {allow_f:.4f}"))
    return out


@dataclass
class SynthDependence:
    """What the pair checks read of the synthetic table.

    Built exactly from the arrays of a :class:`PreparedTables` (:func:`synth_dependence`) or
    from the one-pass summaries of a partitioned table
    (:mod:`synthkit.validation.streaming`); :func:`dependence_checks` is the same code either way.

    Attributes
    ----------
    pearson, spearman : ndarray or None
        Pairwise-complete matrices of the numeric columns (``None`` below two columns).
    complete : ndarray or None
        Pairwise-complete row counts of the numeric columns.
    kendall_rows : ndarray or None
        The numeric columns of the Kendall subsample (:func:`synthkit.validation.rowplan.synth_rows`).
    contingency : dict
        ``(a, b) -> `` :func:`contingency_counts` of each label pair.
    groups : dict
        ``(label, numeric) -> `` :class:`GroupMoments` (shifted by the reference's mean).
    """

    pearson: np.ndarray | None = None
    spearman: np.ndarray | None = None
    complete: np.ndarray | None = None
    kendall_rows: np.ndarray | None = None
    contingency: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)


def group_shift(c: ColumnPair) -> float:
    """The fixed centre of a numeric column's group sums: the mean of its first 10,000 reference values."""
    with np.errstate(invalid="ignore"):
        return float(np.nan_to_num(np.nanmean(c.real[:10_000])))


def synth_dependence(tables: PreparedTables, seed=0, kendall_rows: int = KENDALL_ROWS) -> SynthDependence:
    """The exact :class:`SynthDependence` of the synthetic arrays of ``tables``.

    Examples
    --------
    >>> from synthkit.validation.prepare import prepare_tables
    >>> import pandas as pd
    >>> t = prepare_tables(pd.DataFrame({"x": [1.0, 2, 3], "y": [1.0, 3, 2]}),
    ...                    pd.DataFrame({"x": [1.0, 2, 3], "y": [2.0, 4, 6]}))
    >>> float(synth_dependence(t).pearson[0, 1])
    1.0
    """
    out = SynthDependence()
    num, lab = tables.numeric(), tables.labels()
    if len(num) >= 2:
        xs = _stack([c.synth for c in num])
        out.pearson, out.spearman = pearson_matrix(xs), spearman_matrix(xs)
        out.complete = _complete_counts(xs)
        out.kendall_rows = xs[synth_rows(seed, tables.n_synth, kendall_rows, KENDALL)]
    for i, a in enumerate(lab):
        for b in lab[i + 1:]:
            out.contingency[(a.name, b.name)] = contingency_counts(
                a.synth, len(a.categories or []), b.synth, len(b.categories or []))
        for c in num:
            out.groups[(a.name, c.name)] = GroupMoments(len(a.categories or []),
                                                        shift=group_shift(c)).update(a.synth, c.synth)
    return out


def dependence_test_count(tables: PreparedTables) -> int:
    """Elementary tests :func:`dependence_checks` runs (its share of the Bonferroni split).

    Per correlation method: one per numeric pair plus the Frobenius row; two per
    label pair (Cramér's V, contingency TV); one per label-numeric pair.
    """
    d, k = len(tables.numeric()), len(tables.labels())
    pairs = d * (d - 1) // 2
    return (3 * (pairs + 1) if d >= 2 else 0) + k * (k - 1) + k * d


def dependence_checks(tables: PreparedTables, thr: dict, *, seed=0,
                      kendall_rows: int = KENDALL_ROWS, timings: dict | None = None,
                      alpha: float | None = None,
                      synth: SynthDependence | None = None) -> tuple[list[Check], dict]:
    """All pair checks (see module docstring) and the matrices for the heatmaps.

    ``alpha`` is the level of each elementary test (default: ``false_fail_rate``
    split over :func:`dependence_test_count` tests). ``synth``: the synthetic side when it
    is summarised (a partitioned table); default :func:`synth_dependence` of ``tables``.

    Returns
    -------
    checks : list of Check
    artifacts : dict
        ``names``, ``association_real`` / ``association_synth`` (mixed matrix:
        Pearson for numeric pairs, Cramér's V for label pairs, correlation ratio
        for mixed pairs) and the numeric ``pearson_*`` / ``spearman_*`` / ``kendall_*``
        matrices with their ``numeric_names``.
    """
    if alpha is None:
        alpha = bonferroni_level(thr, dependence_test_count(tables))
    checks: list[Check] = []
    art: dict = {}
    n, m = tables.n_real, tables.n_synth
    num = tables.numeric()
    lab = tables.labels()
    names = [c.name for c in num]
    art["numeric_names"] = names
    if synth is None:
        synth = synth_dependence(tables, seed, kendall_rows)
    if len(num) >= 2:
        xr = _stack([c.real for c in num])
        xs_k = synth.kendall_rows
        mats = {}
        mats["pearson"] = (pearson_matrix(xr), synth.pearson)
        mats["spearman"] = (spearman_matrix(xr), synth.spearman)
        rng = as_generator(seed)
        ir = rng.choice(n, kendall_rows, replace=False) if n > kendall_rows else slice(None)
        mats["kendall"] = (kendall_matrix(xr[ir]), kendall_matrix(xs_k))
        counts = {"pearson": (_complete_counts(xr), synth.complete)}
        counts["spearman"] = (counts["pearson"][0] - 3, counts["pearson"][1] - 3)
        counts["kendall"] = (_complete_counts(xr[ir]) - 4, _complete_counts(xs_k) - 4)
        mr = rng.choice(n, MOMENT_ROWS, replace=False) if n > MOMENT_ROWS else slice(None)
        for method, (rr, rs) in mats.items():
            # the null is "both tables are samples of the reference's distribution": the
            # variance terms come from the reference alone, so a synthetic defect (heavier
            # tails, a weaker coefficient) never widens the test that should catch it
            if method == "pearson":  # fourth moments of the reference
                v = correlation_variance(method, xr[mr], rr)
            else:  # the normal-copula formula at the reference coefficient
                v = correlation_variance(method, xr[ir], rr)
            cr, cs = counts[method]
            with np.errstate(invalid="ignore", divide="ignore"):
                var = v * (1 / np.maximum(cr, 1) + 1 / np.maximum(cs, 1))
            checks += _matrix_checks(method, names, rr, rs, var, thr, alpha, rng=rng)
            art[f"{method}_real"] = rr
            art[f"{method}_synth"] = rs
        del xr

    def z_half(df: int) -> float:  # square root of the chi-square 1 - alpha/2 quantile
        return math.sqrt(float(stats.chi2.isf(alpha / 2, df)))

    # label-label
    v_items, tv_items = [], []
    cv: dict = {}
    for i, a in enumerate(lab):
        for b in lab[i + 1:]:
            ka, kb = len(a.categories or []), len(b.categories or [])
            tr = contingency_counts(a.real, ka, b.real, kb)
            ts = synth.contingency[(a.name, b.name)]
            pair = (a.name, b.name)
            vr, vs = cramers_v(tr[1:, 1:]), cramers_v(ts[1:, 1:])
            cv[pair] = (vr, vs)
            both = (tr + ts)[1:, 1:]
            rows, cols = int((both.sum(axis=1) > 0).sum()), int((both.sum(axis=0) > 0).sum())
            nc, mc = int(tr[1:, 1:].sum()), int(ts[1:, 1:].sum())
            if min(rows, cols) >= 2 and nc and mc:
                allow = (z_half((rows - 1) * (cols - 1)) / math.sqrt(min(rows, cols) - 1)
                         * (1 / math.sqrt(nc) + 1 / math.sqrt(mc)))
            else:
                allow = math.inf
            v_items.append((pair, abs(vr - vs), allow))
            pr, ps = tr.ravel() / tr.sum(), ts.ravel() / ts.sum()
            tv_items.append((pair, tv_distance(pr, ps),
                             tv_allowance((pr * n + ps * m) / (n + m), n, m, alpha)))
    checks += _worst_pair_check("cramers_v_max_abs_diff", v_items, cv,
                                thr["cramers_v_max_abs_diff"], "", "label")
    finite_tv = [it for it in tv_items if np.isfinite(it[1])]
    if finite_tv:
        pair, v, allow = max(finite_tv, key=lambda it: it[1] - it[2])
        t = thr["contingency_tv_max"] + allow
        checks.append(Check("dependence", "contingency_tv_max", "|".join(pair), v, t, v <= t,
                            f"worst of {len(tv_items)} label pairs (missing as a level); "
                            f"allowance {allow:.4f}"))
    # label-numeric
    eta_items = []
    eta: dict = {}
    for a in lab:
        k = len(a.categories or [])
        for c in num:
            gr = GroupMoments(k, shift=group_shift(c)).update(a.real, c.real)
            gs = synth.groups[(a.name, c.name)]
            er, es = gr.correlation_ratio(), gs.correlation_ratio()
            eta[(a.name, c.name)] = (er, es)
            groups = int(((gr.count + gs.count) > 0).sum())
            nc, mc = gr.count.sum(), gs.count.sum()
            allow = (z_half(groups - 1) * (1 / math.sqrt(nc) + 1 / math.sqrt(mc))
                     if groups >= 2 and nc and mc else math.inf)
            eta_items.append(((a.name, c.name), abs(er - es), allow))
    checks += _worst_pair_check("correlation_ratio_max_abs_diff", eta_items, eta,
                                thr["correlation_ratio_max_abs_diff"], "eta ", "label-numeric")

    # mixed association matrix over all columns, for the heatmaps
    all_cols: list[ColumnPair] = list(tables.columns)
    d = len(all_cols)
    ar, as_ = np.eye(d), np.eye(d)
    pos = {c.name: i for i, c in enumerate(num)}
    for i, a in enumerate(all_cols):
        for j in range(i + 1, d):
            b = all_cols[j]
            if a.is_numeric and b.is_numeric and "pearson_real" in art:
                r = (art["pearson_real"][pos[a.name], pos[b.name]],
                     art["pearson_synth"][pos[a.name], pos[b.name]])
            elif a.is_label and b.is_label:
                r = cv.get((a.name, b.name), (np.nan, np.nan))
            elif a.is_label:
                r = eta.get((a.name, b.name), (np.nan, np.nan))
            else:
                r = eta.get((b.name, a.name), (np.nan, np.nan))
            ar[i, j] = ar[j, i] = r[0]
            as_[i, j] = as_[j, i] = r[1]
    art["names"] = [c.name for c in all_cols]
    art["association_real"] = ar
    art["association_synth"] = as_
    return checks, art
