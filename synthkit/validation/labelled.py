"""Cluster checks between two labelled datasets: real labelled points vs a synthetic sample.

Called by :func:`synthkit.validate` when both sides have ``X`` and ``labels`` (a
:class:`~synthkit.clusters.estimate.LabelledData`, a
:class:`~synthkit.clusters.archetype.ClusterDataset`) and the cluster checks are asked
for (the default for two labelled datasets). Every statistic is invariant to rotating,
translating and relabelling the clusters, so a dataset regenerated from
``Archetype.from_data(real)`` (random orientations and positions) can be compared with
the real one. Per side, :func:`synthkit.clusters.estimate.cluster_shapes` gives sizes,
radii and aspect ratios (sample covariance, ``ddof = 1``) and
:func:`~synthkit.clusters.overlap.empirical_overlap_matrix` the overlap on the points
(twice the minimax error of the fitted linear rule): the same estimators on both sides.

Allowances: ``z`` is the two-sided normal quantile at ``alpha = false_fail_rate / T``
(Bonferroni over the ``T`` pass/fail rows).

* overlap of a pair with ``n_i`` and ``n_j`` points: binomial standard error
  ``se = 2 sqrt(h (1 - h) (1/n_i + 1/n_j) / 2)``, ``h = overlap / 2`` (at least
  ``1 / (n_i + n_j)``); a difference between the two sides may be
  ``overlap_abs_diff + z sqrt(se_r^2 + se_s^2)``;
* log eigenvalue of a sample covariance (delta method, distinct eigenvalues):
  ``var(log lambda_l) = (m4_l - 1) / (n_c - 1)``, ``m4_l`` the fourth moment of the
  standardised principal coordinate ``l`` (3 for normal data); so
  ``var(log radius_c) = sum_l (m4_l - 1) / (4 p^2 (n_c - 1))`` and
  ``var(log aspect_c) = (m4_1 + m4_p - 2) / (4 (n_c - 1))``; a summary's log may differ by
  ``log(1 + shape_rel_tol) + z sqrt(var_r + var_s)``;
* sizes are compared by the imbalance ratio, with ``imbalance_rel_tol`` plus the integer
  rounding of both sides (as :mod:`synthkit.validation.clusters`).

Clusters are matched between the sides by the Hungarian algorithm
(:func:`scipy.optimize.linear_sum_assignment`) on the cost
``|log share_i - log share_j| + |log radius_i - log radius_j| + |log aspect_i - log aspect_j|
+ sum |sorted overlap row_i - sorted overlap row_j|``.

Rows (section ``"clusters"``)
-----------------------------
* ``n_clusters``, ``dim``: exact matches;
* ``imbalance_ratio``, ``scale``, ``radius_maxmin``, ``aspect_ref``, ``aspect_maxmin``: the
  archetype's shape and size parameters measured on both sides;
* ``overlap_max`` (largest pairwise), ``overlap_min_nn`` (smallest nearest-neighbour),
  ``overlap_mean`` (mean pairwise);
* ``overlap_matched``: the largest ``|O_r(i, j) - O_s(m(i), m(j))|`` over pairs after matching;
  passes when every pair is within its allowance. An archetype controls the extremes
  (and the mean), not which cluster neighbours which: data regenerated from an archetype
  may fail this row while passing the summaries;
* ``ari_<clusterer>`` (informational): adjusted Rand index of scikit-learn's KMeans,
  GaussianMixture (full covariances) and Ward agglomerative clustering with ``k``
  clusters against the true labels, on the synthetic side (the real one in ``detail``);
* ``ari_rank_order``: Kendall's tau between the two sides' ARIs; passes when no pair of
  clusterers is ordered differently by more than :data:`ARI_TIE` (0.05) on both sides.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import optimize, stats

from .._threads import limit_threads
from ..clusters.estimate import LabelledData, cluster_shapes
from ..clusters.overlap import empirical_overlap_matrix
from ..errors import DataError
from ..seeding import SeedLike, as_generator
from .checks import DEFAULT_THRESHOLDS, Check, bonferroni_level, z_value

__all__ = ["labelled_checks", "clusterer_ari", "match_clusters", "ARI_TIE", "CLUSTERERS"]

_SECTION = "clusters"
#: Two clusterers whose ARIs differ by at most this much on a side are tied there.
ARI_TIE = 0.05
CLUSTERERS = ("kmeans", "gmm", "ward")


def _as_labelled(obj: Any, what: str) -> LabelledData:
    if isinstance(obj, LabelledData):
        return obj
    if not (hasattr(obj, "X") and hasattr(obj, "labels")):
        raise DataError(f"{what} must be a labelled dataset (with `X` and `labels`), e.g. "
                        f"synthkit.clusters.LabelledData(X, labels); got {type(obj).__name__}")
    return LabelledData(obj.X, obj.labels)


def _side(d: LabelledData) -> dict:
    k = d.n_clusters
    sh = cluster_shapes(d.X, d.labels, k, d.classes)
    ev, vecs = np.linalg.eigh(sh["covariances"])
    ev, vecs = ev[:, ::-1], vecs[:, :, ::-1]
    m4 = np.empty_like(ev)
    for c in range(k):
        Z = (d.X[d.labels == c] - sh["means"][c]) @ vecs[c] / np.sqrt(ev[c])
        m4[c] = np.mean(Z**4, axis=0)
    n_c = sh["sizes"].astype(float)
    p = d.X.shape[1]
    var_r = (m4 - 1).sum(axis=1) / (4 * p**2 * (n_c - 1))
    var_a = (m4[:, 0] + m4[:, -1] - 2) / (4 * (n_c - 1))
    ov = empirical_overlap_matrix(d.X, d.labels) if k > 1 else np.zeros((1, 1))
    return {"k": k, "p": p, "n": len(d), "sizes": sh["sizes"], "radius": sh["radius"],
            "aspect": sh["aspect"], "var_log_radius": var_r, "var_log_aspect": var_a, "overlap": ov}


def _pair_se(ov: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    h = np.clip(ov / 2, 0, 0.5)
    inv = 1 / sizes[:, None] + 1 / sizes[None, :]
    se = 2 * np.sqrt(h * (1 - h) * inv / 2)
    return np.maximum(se, 1 / (sizes[:, None] + sizes[None, :]))


def match_clusters(a: dict, b: dict) -> np.ndarray:
    """``m`` with cluster ``i`` of side ``a`` matched to cluster ``m[i]`` of side ``b``
    (Hungarian algorithm on the cost of the module docstring; equal ``k``)."""
    def profile(s):
        k = s["k"]
        rows = np.sort(np.where(np.eye(k, dtype=bool), 0.0, s["overlap"]), axis=1)[:, ::-1]
        return (np.log(s["sizes"] / s["n"]), np.log(s["radius"]), np.log(s["aspect"]), rows)

    la, ra, aa, oa = profile(a)
    lb, rb, ab, ob = profile(b)
    cost = (np.abs(la[:, None] - lb[None]) + np.abs(ra[:, None] - rb[None])
            + np.abs(aa[:, None] - ab[None]) + np.abs(oa[:, None, :] - ob[None]).sum(axis=2))
    rows, cols = optimize.linear_sum_assignment(cost)
    out = np.empty(a["k"], dtype=np.int64)
    out[rows] = cols
    return out


def clusterer_ari(X: np.ndarray, labels: np.ndarray, seed: SeedLike = None) -> dict[str, float]:
    """Adjusted Rand index of KMeans, GaussianMixture (full) and Ward clustering vs ``labels``.

    Each clusterer is asked for ``k`` = the number of distinct labels; KMeans and the
    mixture use 10 and 3 initialisations seeded from ``seed``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(8, 1, (50, 2))])
    >>> clusterer_ari(X, np.repeat([0, 1], 50), seed=0)
    {'kmeans': 1.0, 'gmm': 1.0, 'ward': 1.0}
    """
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.metrics import adjusted_rand_score
    from sklearn.mixture import GaussianMixture

    X = np.asarray(X, dtype=float)
    k = int(np.unique(labels).size)
    s1, s2 = (int(v) for v in as_generator(seed).integers(0, 2**31 - 1, size=2))
    fits = {
        "kmeans": KMeans(n_clusters=k, n_init=10, random_state=s1),
        "gmm": GaussianMixture(n_components=k, covariance_type="full", n_init=3, random_state=s2),
        "ward": AgglomerativeClustering(n_clusters=k, linkage="ward"),
    }
    with limit_threads(1):  # small problems: threads cost more than they save (synthkit._threads)
        return {name: float(adjusted_rand_score(labels, est.fit_predict(X)))
                for name, est in fits.items()}


def labelled_checks(real: Any, synthetic: Any, thresholds: dict | None = None,
                    seed: SeedLike = 0) -> list[Check]:
    """Compare the cluster structure of two labelled datasets (see the module docstring).

    Parameters
    ----------
    real, synthetic : LabelledData, ClusterDataset or anything with ``X`` and ``labels``
    thresholds : dict, optional
        ``false_fail_rate``, ``overlap_abs_diff``, ``imbalance_rel_tol``, ``shape_rel_tol``
        (defaults of :data:`synthkit.validation.checks.DEFAULT_THRESHOLDS`).
    seed : int, SeedSequence or Generator
        Seed of the clusterers' initialisations.

    Returns
    -------
    list of Check

    Examples
    --------
    >>> import synthkit
    >>> from synthkit.clusters.estimate import LabelledData
    >>> arch = synthkit.Archetype(n_clusters=3, dim=2, n_samples=600)
    >>> mix, _ = arch.sample_mixture(seed=0)
    >>> a, b = (LabelledData(*mix.sample(seed=s)) for s in (1, 2))
    >>> all(c.passed for c in labelled_checks(a, b) if c.passed is not None)
    True
    """
    thr = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    r = _side(_as_labelled(real, "the reference"))
    s = _side(_as_labelled(synthetic, "the synthetic dataset"))
    out: list[Check] = []

    def add(stat, cols, value, threshold=None, passed=None, detail=""):
        out.append(Check(_SECTION, stat, cols, float(value), None if threshold is None
                         else float(threshold), None if passed is None else bool(passed), detail))

    add("n_clusters", "*", s["k"], r["k"], s["k"] == r["k"], "distinct labels: synthetic vs reference")
    add("dim", "*", s["p"], r["p"], s["p"] == r["p"], "columns: synthetic vs reference")
    if s["k"] != r["k"] or s["p"] != r["p"] or r["k"] < 2:
        return out
    k = r["k"]
    n_pairs = k * (k - 1) // 2
    z = z_value(bonferroni_level(thr, 5 + 2 + 1 + n_pairs))
    tol_ov = float(thr["overlap_abs_diff"])
    tol_shape = math.log1p(float(thr["shape_rel_tol"]))

    # ---- sizes and shapes
    def ratio_rounding(sz):
        return 1.0 / sz.min() + 1.0 / sz.max()

    imb_r = r["sizes"].max() / r["sizes"].min()
    imb_s = s["sizes"].max() / s["sizes"].min()
    allow = math.log1p(float(thr["imbalance_rel_tol"])) + ratio_rounding(r["sizes"]) + \
        ratio_rounding(s["sizes"])
    add("imbalance_ratio", "*", imb_s, imb_r, abs(math.log(imb_s / imb_r)) <= allow,
        f"largest / smallest cluster size; |log ratio| <= {allow:.3g}")

    def shape_row(stat, fn, detail):
        (vr, var_r), (vs, var_s) = fn(r), fn(s)
        allow = tol_shape + z * math.sqrt(var_r + var_s)
        diff = abs(math.log(vs / vr))
        add(stat, "*", vs, vr, diff <= allow,
            f"{detail}; |log(synthetic / reference)| = {diff:.3g} <= {allow:.3g} "
            f"(shape_rel_tol + {z:.2f} SE, delta method)")

    def geo(key):
        def fn(side):
            return (float(np.exp(np.mean(np.log(side[key])))),
                    float(side["var_log_" + key].sum() / side["k"] ** 2))
        return fn

    def maxmin(key):
        def fn(side):
            v = side[key]
            var = side["var_log_" + key]
            return float(v.max() / v.min()), float(var[v.argmax()] + var[v.argmin()])
        return fn

    shape_row("scale", geo("radius"), "geometric mean of the cluster radii")
    shape_row("radius_maxmin", maxmin("radius"), "largest / smallest cluster radius")
    if r["p"] > 1:
        shape_row("aspect_ref", geo("aspect"), "geometric mean of the aspect ratios")
        shape_row("aspect_maxmin", maxmin("aspect"), "largest / smallest aspect ratio")

    # ---- overlap
    ov_r, ov_s = r["overlap"], s["overlap"]
    se_r, se_s = _pair_se(ov_r, r["sizes"].astype(float)), _pair_se(ov_s, s["sizes"].astype(float))
    iu = np.triu_indices(k, 1)
    eye = np.eye(k, dtype=bool)

    def extreme(side_ov, side_se, kind):
        if kind == "max":
            flat = int(np.argmax(side_ov[iu]))
            return float(side_ov[iu][flat]), float(side_se[iu][flat])
        off = np.where(eye, -np.inf, side_ov)
        nn = off.argmax(axis=1)
        c = int(np.argmin(off[np.arange(k), nn]))
        return float(side_ov[c, nn[c]]), float(side_se[c, nn[c]])

    for stat, kind, detail in (("overlap_max", "max", "largest pairwise overlap"),
                               ("overlap_min_nn", "nn", "smallest nearest-neighbour overlap")):
        (vr, er), (vs, es) = extreme(ov_r, se_r, kind), extreme(ov_s, se_s, kind)
        allow = tol_ov + z * math.sqrt(er**2 + es**2)
        add(stat, "*", vs, vr, abs(vs - vr) <= allow,
            f"{detail} on the points; |synthetic - reference| <= {allow:.3g} "
            f"(overlap_abs_diff + {z:.2f} binomial SE)")
    add("overlap_mean", "*", float(ov_s[iu].mean()), float(ov_r[iu].mean()), None,
        "mean pairwise overlap on the points (synthetic; threshold column: reference)")
    m = match_clusters(r, s)
    matched = ov_s[np.ix_(m, m)]
    se_m = se_s[np.ix_(m, m)]
    d = np.abs(matched - ov_r)[iu]
    allow = tol_ov + z * np.sqrt(se_r[iu] ** 2 + se_m[iu] ** 2)
    worst = int(np.argmax(d - allow))
    add("overlap_matched", "*", float(d.max()), float(allow[worst]), bool(np.all(d <= allow)),
        f"largest |overlap difference| over pairs after matching the clusters (Hungarian); "
        f"pair {iu[0][worst]}-{iu[1][worst]} is the closest to its allowance")
    add("overlap_sorted", "*", float(np.max(np.abs(np.sort(ov_s[iu]) - np.sort(ov_r[iu])))), None,
        None, "largest difference between the sorted pairwise overlaps")

    # ---- clusterers
    rng = as_generator(seed)
    d_r = _as_labelled(real, "the reference")
    d_s = _as_labelled(synthetic, "the synthetic dataset")
    ari_r = clusterer_ari(d_r.X, d_r.labels, rng)
    ari_s = clusterer_ari(d_s.X, d_s.labels, rng)
    for name in CLUSTERERS:
        add(f"ari_{name}", "*", ari_s[name], None, None,
            f"adjusted Rand index vs the true labels: synthetic {ari_s[name]:.3f}, "
            f"reference {ari_r[name]:.3f}")
    a_r = np.array([ari_r[c] for c in CLUSTERERS])
    a_s = np.array([ari_s[c] for c in CLUSTERERS])
    I, J = np.triu_indices(len(CLUSTERERS), 1)
    dr, ds = a_r[I] - a_r[J], a_s[I] - a_s[J]
    swapped = (np.sign(dr) * np.sign(ds) < 0) & (np.abs(dr) > ARI_TIE) & (np.abs(ds) > ARI_TIE)
    tau = stats.kendalltau(a_r, a_s).statistic
    bad = [f"{CLUSTERERS[i]}/{CLUSTERERS[j]}" for i, j, w in zip(I, J, swapped, strict=True) if w]
    add("ari_rank_order", "*", float(tau) if np.isfinite(tau) else 1.0, None, not bad,
        "Kendall's tau of the clusterers' ARIs, synthetic vs reference; "
        + (f"order reversed for {', '.join(bad)}" if bad else
           f"no pair ordered differently by more than {ARI_TIE:g} on both sides"))
    return out
