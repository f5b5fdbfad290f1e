"""SDMetrics-compatible Column Shapes and Column Pair Trends scores.

Written from the published definitions (SDMetrics single-table Quality Report)
so that synthkit users can compare with the SDV ecosystem without depending on
it; ``tests/test_validation_sdmetrics.py`` checks the numbers against
``sdmetrics`` 0.32 itself (agreement < 1e-3).

Column types follow SDV's sdtypes: ``continuous``, ``integer`` and ``datetime``
columns are *numerical*; ``categorical`` and ``boolean`` are *discrete*.

Column Shapes (mean over columns)
    * numerical: **KSComplement** = ``1 - D``, D the two-sample KS statistic of the
      non-missing values (datetimes as nanoseconds);
    * discrete: **TVComplement** = ``1 - 1/2 sum_k |p_r(k) - p_s(k)|`` over the
      non-missing labels.
Column Pair Trends (mean over column pairs, NaN pairs skipped)
    SDMetrics 0.32's QualityReport averages only the pairs with real dependence:
    ``|r_real| > 0.5`` for correlation pairs and real Cramér's V > 0.3 (missing
    values as a level, no bias correction) for contingency pairs
    (``DEFAULT_REAL_CORRELATION_THRESHOLD`` / ``DEFAULT_REAL_ASSOCIATION_THRESHOLD``).
    synthkit reports that score (``column_pair_trends_score``, the section score)
    and the plain mean over all pairs (``column_pair_trends_all_pairs``), the
    definition of the individual metrics and of earlier SDMetrics releases.

    * numerical-numerical: **CorrelationSimilarity** = ``1 - |r_r - r_s| / 2`` with
      Pearson's r on the rows where both columns are present (the Quality Report
      default); a pair with a constant column scores NaN and is skipped;
    * discrete-discrete: **ContingencySimilarity** = ``1 - TV`` of the two-way
      frequency tables, missing values forming their own level;
    * numerical-discrete: ContingencySimilarity after discretising the numerical
      column as the Quality Report does: ``numpy.histogram_bin_edges`` (10 equal
      bins) of *each table's own* non-missing values, then ``numpy.digitize`` (so
      the maximum and the missing values share the last index, as in SDMetrics).

One deliberate difference: SDMetrics subsamples 50,000 rows for contingency
tables of bigger tables (unseeded); synthkit always uses every row.

Both property scores are informational rows (``passed=None``): they have no
honest sampling allowance. Binning each table on its own range makes a faithful
sample of a heavy-tailed column lose contingency similarity with any label it is
paired with, by an amount that depends on the extremes of each sample rather than
on the sizes, so no threshold separates faithful samples from broken ones. The
pass/fail dependence checks are in :mod:`synthkit.validation.dependence`. A
threshold set by the user (``thresholds={"column_pair_trends": 0.8}``) turns a
score into a plain floor.
"""

from __future__ import annotations

import math

import numpy as np

from .checks import Check
from .dependence import contingency_counts
from .marginals import ks_distance_sorted, tv_distance
from .prepare import ColumnPair, PreparedTables
from .summaries import Counts

__all__ = ["column_shapes", "column_pair_trends", "sdmetrics_checks"]


def column_shapes(tables: PreparedTables, sorted_cache: dict | None = None) -> dict[str, float]:
    """Per-column KSComplement / TVComplement scores (SDMetrics Column Shapes).

    Returns
    -------
    dict
        ``column -> score``; the property score is the mean of the finite values.
    """
    out = {}
    for c in tables.columns:
        if c.is_numeric:
            if sorted_cache is not None and ("ks", c.name) in sorted_cache:
                out[c.name] = 1.0 - sorted_cache[("ks", c.name)]
                continue
            if sorted_cache is not None and c.name in sorted_cache:
                a, b = sorted_cache[c.name]
            else:
                a, b = np.sort(c.real_valid()), np.sort(c.synth_valid())
            out[c.name] = 1.0 - ks_distance_sorted(a, b) if a.size and b.size else math.nan
        else:
            k = len(c.categories or [])
            out[c.name] = 1.0 - tv_distance(Counts(k).update(c.real).frequencies(),
                                            Counts(k).update(c.synth).frequencies())
    return out


def _digitize_own(x: np.ndarray) -> np.ndarray:
    """SDMetrics' discretisation of a numerical column (own 10-bin edges, numpy.digitize)."""
    valid = x[~np.isnan(x)]
    if valid.size == 0:
        return np.full(x.shape, 0, dtype=np.int64)
    try:
        edges = np.histogram_bin_edges(valid)
    except ValueError:
        # one value too large for numpy's widening of a constant range by +-0.5 (e.g. a constant
        # date in nanoseconds): the codes numpy gives any constant column, 6 and NaN past the end
        return np.where(np.isnan(x), 11, 6).astype(np.int64)
    return np.digitize(x, bins=edges).astype(np.int64)


#: SDMetrics 0.32 QualityReport defaults (sdmetrics.reports.utils)
REAL_CORRELATION_THRESHOLD = 0.5
REAL_ASSOCIATION_THRESHOLD = 0.3


def _contingency_similarity(a_r, ka, b_r, kb, a_s, b_s) -> tuple[float, float]:
    """(ContingencySimilarity, real Cramér's V with missing values as a level)."""
    from .dependence import cramers_v

    tr = contingency_counts(a_r, ka, b_r, kb)
    ts = contingency_counts(a_s, ka, b_s, kb)
    return 1.0 - tv_distance(tr.ravel() / tr.sum(), ts.ravel() / ts.sum()), cramers_v(tr)


def column_pair_trends(tables: PreparedTables, pearson: tuple[np.ndarray, np.ndarray] | None = None,
                       numeric_names: list[str] | None = None) -> dict[str, float]:
    """Per-pair CorrelationSimilarity / ContingencySimilarity (SDMetrics Column Pair Trends).

    Parameters
    ----------
    tables : PreparedTables
    pearson : (R_real, R_synth), optional
        Precomputed pairwise-complete Pearson matrices of the numeric columns.
    numeric_names : list of str, optional
        Column order of ``pearson``.

    Returns
    -------
    dict
        ``"a|b" -> (score, real_strength)``: the pair's similarity and the strength of
        the real dependence (``|r|`` for correlation pairs, Cramér's V for contingency
        pairs) that decides whether SDMetrics' QualityReport counts the pair.
    """
    from .dependence import pearson_matrix

    cols: list[ColumnPair] = tables.columns
    num = [c for c in cols if c.is_numeric]
    if pearson is None and len(num) >= 2:
        pearson = (pearson_matrix(np.column_stack([c.real for c in num])),
                   pearson_matrix(np.column_stack([c.synth for c in num])))
        numeric_names = [c.name for c in num]
    pos = {nm: i for i, nm in enumerate(numeric_names or [])}
    binned = {c.name: (_digitize_own(c.real), _digitize_own(c.synth)) for c in num}
    n_bins_codes = 12  # digitize with 11 edges gives 0..11

    def constant(x):
        v = x[~np.isnan(x)] if x.dtype.kind == "f" else x
        return v.size == 0 or bool(np.all(v == v[0]))

    is_const = {c.name: constant(c.real) or constant(c.synth) for c in num}

    out = {}
    for i, a in enumerate(cols):
        for b in cols[i + 1:]:
            key = f"{a.name}|{b.name}"
            if a.is_numeric and b.is_numeric:
                if is_const[a.name] or is_const[b.name]:
                    out[key] = (math.nan, math.nan)
                    continue
                rr = pearson[0][pos[a.name], pos[b.name]]
                rs = pearson[1][pos[a.name], pos[b.name]]
                sc = 1.0 - abs(rr - rs) / 2 if np.isfinite(rr) and np.isfinite(rs) else math.nan
                out[key] = (sc, abs(rr))
            elif a.is_label and b.is_label:
                out[key] = _contingency_similarity(a.real, len(a.categories), b.real,
                                                   len(b.categories), a.synth, b.synth)
            else:
                lab, nm = (a, b) if a.is_label else (b, a)
                br, bs = binned[nm.name]
                # codes 0..11 -> use as labels with k = 12 (no -1 codes)
                out[key] = _contingency_similarity(lab.real, len(lab.categories), br,
                                                   n_bins_codes, lab.synth, bs)
    return out


def _floor(t: float, score: float) -> tuple[float | None, bool | None, str]:
    """(threshold, passed, note) of a property score: informational unless ``t`` is set."""
    if not np.isfinite(t):
        return None, None, "; informational (no sampling allowance exists for this score)"
    return t, (bool(score >= t) if np.isfinite(score) else None), "; floor set by the user"


def _mean(values) -> float:
    v = np.array([x for x in values if np.isfinite(x)], dtype=float)
    return float(v.mean()) if v.size else math.nan


def sdmetrics_checks(tables: PreparedTables, thr: dict, *, sorted_cache: dict | None = None,
                     dep_artifacts: dict | None = None, shapes: dict | None = None,
                     trends: dict | None = None) -> tuple[list[Check], dict]:
    """Column Shapes / Column Pair Trends as report rows.

    One informational row per column (``column_shape``) and per pair
    (``pair_trend``), and the two property scores: informational, or checks against
    the ``column_shapes`` / ``column_pair_trends`` thresholds when those are set
    (finite). ``shapes`` / ``trends``: the scores when computed elsewhere (from the summaries
    of a partitioned table).
    """
    if shapes is None:
        shapes = column_shapes(tables, sorted_cache)
    pearson = None
    names = None
    if dep_artifacts and "pearson_real" in dep_artifacts:
        pearson = (dep_artifacts["pearson_real"], dep_artifacts["pearson_synth"])
        names = dep_artifacts["numeric_names"]
    if trends is None:
        trends = column_pair_trends(tables, pearson, names)
    checks: list[Check] = []
    kinds = {c.name: c for c in tables.columns}
    for name, sc in shapes.items():
        metric = "KSComplement" if kinds[name].is_numeric else "TVComplement"
        checks.append(Check("marginals", "column_shape", name, sc, None, None, metric))
    cs = _mean(shapes.values())
    t, passed, note = _floor(thr["column_shapes"], cs)
    checks.append(Check("marginals", "column_shapes_score", "*", cs, t, passed,
                        "SDMetrics-compatible Column Shapes (mean KSComplement/TVComplement); "
                        "higher is better" + note))
    counted = {}
    # the pair of each "a|b" key (not key.split: column names may contain "|")
    cols = tables.columns
    pair_of = {f"{a.name}|{b.name}": (a, b) for i, a in enumerate(cols) for b in cols[i + 1:]}
    for key, (sc, strength) in trends.items():
        a, b = pair_of[key]
        both_num = a.is_numeric and b.is_numeric
        limit = REAL_CORRELATION_THRESHOLD if both_num else REAL_ASSOCIATION_THRESHOLD
        meets = bool(np.isfinite(strength) and strength > limit)
        if meets:
            counted[key] = sc
        checks.append(Check("dependence", "pair_trend", key, sc, None, None,
                            ("CorrelationSimilarity; real |r|" if both_num else
                             "ContingencySimilarity; real Cramer's V")
                            + f" {strength:.3f}" + ("" if meets else
                                                     f" <= {limit} (not counted by SDMetrics)")))
    all_pairs = _mean(sc for sc, _ in trends.values())
    cpt = _mean(counted.values())
    if trends:
        checks.append(Check("dependence", "column_pair_trends_all_pairs", "*", all_pairs, None,
                            None, "mean CorrelationSimilarity/ContingencySimilarity over all "
                                  "pairs"))
        score = cpt if np.isfinite(cpt) else all_pairs
        t, passed, note = _floor(thr["column_pair_trends"], score)
        checks.append(Check("dependence", "column_pair_trends_score", "*", score, t, passed,
                            (f"SDMetrics-compatible Column Pair Trends over the {len(counted)} pairs "
                             f"with real |r| > {REAL_CORRELATION_THRESHOLD} or Cramer's V > "
                             f"{REAL_ASSOCIATION_THRESHOLD} (SDMetrics 0.32 QualityReport); "
                             "higher is better" if np.isfinite(cpt) else
                             "no pair has real dependence above the SDMetrics thresholds: "
                             "mean over all pairs") + note))
    else:
        score = math.nan
    return checks, {"column_shapes": shapes, "column_pair_trends": trends,
                    "column_shapes_score": cs, "column_pair_trends_score": score,
                    "column_pair_trends_sdmetrics": cpt,
                    "column_pair_trends_all_pairs": all_pairs}
