"""Pair checks: does the synthetic table keep the reference's dependence.

Numeric pairs (continuous, integer, datetime)
    Pearson, Spearman and Kendall (tau-b) matrices of both tables on
    pairwise-complete rows. Pearson comes from mergeable co-moment sums
    (:class:`~synthkit.validation.summaries.PairwiseMoments`); Spearman is Pearson
    on average ranks (each column ranked over its non-missing values); Kendall's
    tau-b (Kendall 1945) is computed with ``scipy.stats.kendalltau`` on a seeded
    row subsample of at most :data:`KENDALL_ROWS` rows per table (it costs
    O(n log n) per pair). For each method:

    * ``<method>_max_abs_diff`` = ``max_ij |R_s - R_r|``, threshold
      ``corr_max_abs_diff + 3 sqrt(1/n + 1/m)`` (three standard errors of a
      difference of two correlations, each at most ``1/sqrt(n)``);
    * ``<method>_relative_frobenius`` = ``||R_s - R_r||_F / ||R_r - I||_F``: the
      share of the real dependence that is lost (1 for independent columns),
      threshold ``corr_relative_frobenius + 2 * noise`` with
      ``noise = sqrt(sum_ij (1 - r_ij^2)^2 (1/n + 1/m)) / ||R_r - I||_F``, the
      expected relative error of a faithful sample. Informational when the
      reference has no dependence to keep (``||R_r - I||_F < 0.05``).
Label pairs (categorical, boolean)
    ``cramers_v_max_abs_diff`` (Cramér 1946, V = sqrt(chi2 / (n (min(r, c) - 1))),
    without bias correction, missing values dropped) and ``contingency_tv_max``,
    the largest total-variation distance between the two-way frequency tables
    (missing values as their own level), allowance twice the expected TV of two
    multinomial samples of the cells.
Label-numeric pairs
    ``correlation_ratio_max_abs_diff``: the correlation ratio
    ``eta = sqrt(SS_between / SS_total)`` (Pearson 1903) of the numeric column
    given the label, from mergeable per-group moments.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from ..seeding import as_generator
from .checks import Check
from .marginals import _expected_tv, tv_distance
from .prepare import ColumnPair, PreparedTables
from .summaries import GroupMoments, PairwiseMoments

__all__ = [
    "KENDALL_ROWS",
    "pearson_matrix",
    "spearman_matrix",
    "kendall_matrix",
    "cramers_v",
    "contingency_counts",
    "dependence_checks",
]

#: Row subsample (per table) for Kendall's tau; seeded, documented in the report.
KENDALL_ROWS = 5000


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
                  f"worst pair: real {what}{vr:.3f}, synthetic {vs:.3f} ({len(items)} {kind} pairs)")]


def _matrix_checks(method: str, names: list[str], rr: np.ndarray, rs: np.ndarray,
                   n: int, m: int, thr: dict) -> list[Check]:
    out = []
    d = len(names)
    iu = np.triu_indices(d, 1)
    diff = np.abs(rs - rr)[iu]
    if not np.isfinite(diff).any():
        return out
    k = int(np.nanargmax(diff))
    pair = f"{names[iu[0][k]]}|{names[iu[1][k]]}"
    noise = math.sqrt(1 / n + 1 / m)
    t = thr["corr_max_abs_diff"] + 3 * noise
    v = float(diff[k])
    out.append(Check("dependence", f"{method}_max_abs_diff", pair, v, t, v <= t,
                     f"worst pair: real {rr[iu][k]:+.3f}, synthetic {rs[iu][k]:+.3f}; "
                     f"allowance {3 * noise:.4f}"))
    off = ~np.eye(d, dtype=bool)
    ok = off & np.isfinite(rr) & np.isfinite(rs)
    signal = math.sqrt(float((rr[ok] ** 2).sum()))
    err = math.sqrt(float(((rs - rr)[ok] ** 2).sum()))
    if signal < 0.05:
        out.append(Check("dependence", f"{method}_relative_frobenius", "*", math.nan, None, None,
                         f"||R_s - R_r||_F = {err:.4f}; the reference has no {method} dependence"))
        return out
    expected = math.sqrt(float(((1 - rr[ok] ** 2) ** 2).sum()) * (1 / n + 1 / m)) / signal
    t = thr["corr_relative_frobenius"] + 2 * expected
    v = err / signal
    out.append(Check("dependence", f"{method}_relative_frobenius", "*", v, t, v <= t,
                     f"||R_s - R_r||_F / ||R_r - I||_F = {err:.4f} / {signal:.4f}; "
                     f"allowance {2 * expected:.4f}"))
    return out


def dependence_checks(tables: PreparedTables, thr: dict, *, seed=0,
                      kendall_rows: int = KENDALL_ROWS, timings: dict | None = None
                      ) -> tuple[list[Check], dict]:
    """All pair checks (see module docstring) and the matrices for the heatmaps.

    Returns
    -------
    checks : list of Check
    artifacts : dict
        ``names``, ``association_real`` / ``association_synth`` (mixed matrix:
        Pearson for numeric pairs, Cramér's V for label pairs, correlation ratio
        for mixed pairs) and the numeric ``pearson_*`` / ``spearman_*`` / ``kendall_*``
        matrices with their ``numeric_names``.
    """
    checks: list[Check] = []
    art: dict = {}
    n, m = tables.n_real, tables.n_synth
    num = tables.numeric()
    lab = tables.labels()
    names = [c.name for c in num]
    art["numeric_names"] = names
    if len(num) >= 2:
        xr = _stack([c.real for c in num])
        xs = _stack([c.synth for c in num])
        mats = {}
        mats["pearson"] = (pearson_matrix(xr), pearson_matrix(xs))
        mats["spearman"] = (spearman_matrix(xr), spearman_matrix(xs))
        rng = as_generator(seed)
        ir = rng.choice(n, kendall_rows, replace=False) if n > kendall_rows else slice(None)
        is_ = rng.choice(m, kendall_rows, replace=False) if m > kendall_rows else slice(None)
        mats["kendall"] = (kendall_matrix(xr[ir]), kendall_matrix(xs[is_]))
        for method, (rr, rs) in mats.items():
            nn, mm = (min(n, kendall_rows), min(m, kendall_rows)) if method == "kendall" else (n, m)
            checks += _matrix_checks(method, names, rr, rs, nn, mm, thr)
            art[f"{method}_real"] = rr
            art[f"{method}_synth"] = rs
        del xr, xs

    noise = math.sqrt(1 / n + 1 / m)
    # label-label
    v_items, tv_items = [], []
    cv: dict = {}
    for i, a in enumerate(lab):
        for b in lab[i + 1:]:
            ka, kb = len(a.categories or []), len(b.categories or [])
            tr = contingency_counts(a.real, ka, b.real, kb)
            ts = contingency_counts(a.synth, ka, b.synth, kb)
            pair = (a.name, b.name)
            vr, vs = cramers_v(tr[1:, 1:]), cramers_v(ts[1:, 1:])
            cv[pair] = (vr, vs)
            v_items.append((pair, abs(vr - vs), 3 * noise))
            pr, ps = tr.ravel() / tr.sum(), ts.ravel() / ts.sum()
            tv_items.append((pair, tv_distance(pr, ps), 2 * _expected_tv(pr, n, m)))
    checks += _worst_pair_check("cramers_v_max_abs_diff", v_items, cv,
                                thr["cramers_v_max_abs_diff"], "", "label")
    finite_tv = [it for it in tv_items if np.isfinite(it[1])]
    if finite_tv:
        pair, v, allow = max(finite_tv, key=lambda it: it[1] - it[2])
        t = thr["contingency_tv_max"] + allow
        checks.append(Check("dependence", "contingency_tv_max", "|".join(pair), v, t, v <= t,
                            f"worst of {len(tv_items)} label pairs (missing as a level)"))
    # label-numeric
    eta_items = []
    eta: dict = {}
    for a in lab:
        k = len(a.categories or [])
        for c in num:
            with np.errstate(invalid="ignore"):
                shift = float(np.nan_to_num(np.nanmean(c.real[:10_000])))
            er = GroupMoments(k, shift=shift).update(a.real, c.real).correlation_ratio()
            es = GroupMoments(k, shift=shift).update(a.synth, c.synth).correlation_ratio()
            eta[(a.name, c.name)] = (er, es)
            eta_items.append(((a.name, c.name), abs(er - es), 3 * noise))
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
