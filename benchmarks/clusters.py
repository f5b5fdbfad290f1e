"""Cluster benchmark: synthkit archetypes vs repliclust, side by side.

Prints eight tables:

1. **speed and constraints** for (k, p) in {(3,2), (10,10), (30,10), (10,100),
   (80,5), (100,100)}: median seconds per dataset (also with
   ``packing="sparse"``, the other start of the placement) and the share of datasets
   whose centers meet both constraints (every pairwise overlap <= max_overlap,
   every nearest-neighbour overlap >= min_overlap) under the *exact*
   Anderson–Bahadur overlap, recomputed independently here for all pairs.
   repliclust runs in a child process with a time limit per dataset.
2. **calibration per family**: two clusters at nominal overlap 0.045-0.05, the
   linear-rule overlap measured on the points (twice the empirical minimax error of
   the fitted rule) for every synthkit family, and for repliclust's families.
3. **exact vs LDA approximation** on random oblong pairs, and the exact value
   against a Monte Carlo estimate of the minimax rule's error.
4. **difficulty**: k=5 normal clusters, the requested max overlap at 7 levels
   geometrically from 1e-4 to 0.3 (min overlap = max / 10), 4 seeds each,
   n = 200 k + 10 p points, p in {10, 100, 500}; each dataset is clustered by
   scikit-learn's ``KMeans(k, n_init=50, random_state=0)`` (``kmeans``), by
   ``GaussianMixture(k, covariance_type="full", reg_covar=1e-4, max_iter=100,
   random_state=0)`` started from that k-means partition (``gmm``: EM begins where the
   50 k-means starts ended), and by the same mixture with its own start, the best of
   ``n_init=3`` single k-means runs (``gmm_own``), the same for both tools. In high
   dimensions the k-means++ starts often stop in a poor local optimum (merged clusters
   and one-point clusters) whatever the overlap, so the table also runs k-means started
   in the principal subspace (``kmeans_pca``; Ding & He 2004: the cluster indicators of
   the k-means optimum lie near the span of the top ``k - 1`` principal components): the
   50-start k-means partition of the points' top ``k - 1`` principal-component scores
   (sklearn ``PCA``), then Lloyd's iterations in the full space from that partition's
   means; and the mixture started from it (``gmm_pca``). Neither uses the true labels.
   A diagnostic line per tool counts the datasets where the k-means++ starts, and the
   principal-subspace start, stopped above the best optimum found (the lowest inertia
   of both and of Lloyd's iterations started from the true partition's means), and the
   mean share of the 10 pairs whose exact overlap is at least max/10 (how many pairs
   the level binds, not only the closest one).
   Printed: Spearman's rank correlation of the requested max overlap with 1 - ARI
   (adjusted Rand index against the true labels), and the mean 1 - ARI per level, per
   tool, p and clusterer.
5. **tightness**: k=5 and k=30 (p=10): the closest pair's exact overlap divided by the
   requested max (quantiles over seeds; the target is [0.9, 1]) and the mean pairwise
   overlap, both tools.
6. **average overlap** (``Archetype(avg_overlap=...)``): achieved mean pairwise exact
   overlap / target, alone and with a max, and the share certified.
7. **Bayes overlap**: :func:`synthkit.overlap.bayes_overlap` against a Monte Carlo
   estimate of the quadratic rule's errors on random pairs (p = 2, 10, 50), and the
   closest pair's Bayes overlap / requested max for ``Archetype(overlap="bayes")``.
8. **k-means++ starts**: on the datasets of table 4, the share of 50 single k-means++
   starts that end in the partition the data allow (where Lloyd's iterations from the
   true means stop), and their mean 1 - ARI, per level: how often the search behind
   ``KMeans(n_init=50)`` finds that partition.

Every overlap in tables 1, 4, 5 and 6 is recomputed here from the mixture's means and
covariances with ``synthkit.overlap.overlap_matrix(means, covs, "exact")``.

Usage::

    python benchmarks/clusters.py            # full (over an hour with repliclust; table 4 at p=500 the most)
    python benchmarks/clusters.py --quick    # a few minutes (tables 4-8: under a minute)
    python benchmarks/clusters.py --no-repliclust
    python benchmarks/clusters.py --tables 4 5 --p 10 100   # some tables, some dimensions
    python benchmarks/clusters.py --tables 4 5 --packing sparse   # synthkit's other start
    python benchmarks/clusters.py --tables 4 --p 500 --seed-base 20000   # other seeds

Times of tables 4-8 with repliclust, measured on 2 cores shared with other jobs (one
BLAS thread): table 4 49 s at p=10, 3 minutes at p=100 and about an hour at p=500 (the
Gaussian mixture fits dominate at p=500; ``--p 10 100`` leaves them out); table 5 about
2 minutes (repliclust's placement of 30 clusters); tables 6 and 7 about a minute; table 8
10 s at p=10, 30 s at p=100 and 5 minutes at p=500.

Both libraries use the same archetype parameters (repliclust's defaults:
aspect_ref 1.5, aspect_maxmin 2, radius_maxmin 3, imbalance_ratio 2,
min_overlap 0.001, max_overlap 0.05) with normal clusters in table 1.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
import warnings

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from synthkit._threads import limit_threads  # noqa: E402
from synthkit.clusters import Archetype  # noqa: E402
from synthkit.clusters.centers import PACKINGS  # noqa: E402
from synthkit.clusters.distributions import FAMILIES  # noqa: E402
from synthkit.overlap import (  # noqa: E402
    bayes_overlap,
    bayes_overlap_matrix,
    empirical_overlap_matrix,
    exact_q,
    lda_q,
    overlap_matrix,
    q_to_overlap,
)

CONFIGS = [(3, 2), (10, 10), (30, 10), (10, 100), (80, 5), (100, 100)]
MIN_OV, MAX_OV = 1e-3, 0.05
# repliclust family names for the calibration table
REPLICLUST_FAMILIES = {
    "normal": "normal", "exponential": "exponential", "lognormal": "lognormal",
    "pareto": "pareto", "student_t": "standard_t", "gamma": "gamma", "uniform": "uniform",
    "beta": "beta", "weibull": "weibull", "gumbel": "gumbel", "chisquare": "chisquare",
    "f": "f",
}


def meets(centers, covs, lo=MIN_OV, hi=MAX_OV, tol=1e-9) -> bool:
    """Both constraints under the exact overlap, all pairs (independent check)."""
    k = len(centers)
    if k < 2:
        return True
    ov = overlap_matrix(centers, covs, method="exact")
    off = ov + np.diag(np.full(k, -np.inf))
    return bool(off.max() <= hi * (1 + tol) and off.max(1).min() >= lo * (1 - tol))


def n_samples_for(k: int) -> int:
    return max(500, 20 * k)


# ------------------------------------------------------------------ repliclust child


def _repliclust_job(k, p, seed, queue):
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import repliclust

        repliclust.set_seed(seed)
        arch = repliclust.Archetype(n_clusters=k, dim=p, n_samples=n_samples_for(k),
                                    min_overlap=MIN_OV, max_overlap=MAX_OV,
                                    distributions=["normal"])
        t0 = time.perf_counter()
        mm = arch.sample_mixture_model(quiet=True)
        sizes = np.full(k, n_samples_for(k) // k)
        mm.sample_data(sizes)
        dt = time.perf_counter() - t0
    covs = np.array([ax.T @ np.diag(np.asarray(L) ** 2) @ ax
                     for ax, L in zip(mm.axes_list, mm.axis_lengths_list, strict=True)])
    queue.put((dt, np.asarray(mm.centers, float), covs))


def run_in_subprocess(target, args, timeout, default=None):
    """Run ``target(*args, queue)`` in a spawned process; its queued result, or ``default``
    when it crashes or takes longer than ``timeout`` seconds (the process is then killed)."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, q))
    proc.start()
    try:
        result = q.get(timeout=timeout)
    except Exception:  # noqa: BLE001 - timeout or crash
        result = default
    proc.join(5)
    if proc.is_alive():
        proc.terminate()
        proc.join()
    return result


def run_repliclust(k, p, seed, timeout):
    return run_in_subprocess(_repliclust_job, (k, p, seed), timeout)


def have_repliclust() -> bool:
    try:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            import repliclust  # noqa: F401
        return True
    except Exception:  # noqa: BLE001
        return False


# ------------------------------------------------------------------ tables


def timed_datasets(k: int, p: int, n_ds: int, packing: str) -> tuple[float, list]:
    """Median seconds per dataset of the default-shape archetype, and the datasets."""
    arch = Archetype(n_clusters=k, dim=p, n_samples=n_samples_for(k), min_overlap=MIN_OV,
                     max_overlap=MAX_OV, on_infeasible="return", packing=packing)
    times, datasets = [], []
    for s in range(n_ds):
        t0 = time.perf_counter()
        datasets.append(arch.sample(seed=1000 + s))
        times.append(time.perf_counter() - t0)
    return statistics.median(times), datasets


def table_speed(n_ds: int, n_rep: int, timeout: float, use_rep: bool) -> list[dict]:
    rows = []
    for k, p in CONFIGS:
        seconds, datasets = timed_datasets(k, p, n_ds, "dense")
        cert = sum(bool(ds.placement["certified"]) for ds in datasets)
        with limit_threads(1):
            ok = sum(meets(ds.mixture.centers, ds.mixture.covariances) for ds in datasets)
        row = {"k": k, "p": p, "sk_s": seconds, "sk_ok": ok / n_ds, "sk_cert": cert / n_ds,
               "n": n_ds, "sparse_s": timed_datasets(k, p, n_ds, "sparse")[0]}
        if use_rep:
            rt, rok, rn, timeouts = [], 0, 0, 0
            for s in range(n_rep):
                res = run_repliclust(k, p, 2000 + s, timeout)
                if res is None:
                    timeouts += 1
                    break  # later seeds would time out too; do not waste the budget
                dt, centers, covs = res
                rt.append(dt)
                rn += 1
                with limit_threads(1):
                    rok += meets(centers, covs)
            row.update(rep_s=statistics.median(rt) if rt else float("nan"),
                       rep_ok=rok / rn if rn else float("nan"), rep_n=rn, rep_timeouts=timeouts)
        rows.append(row)
        print_speed_row(row, use_rep, timeout)
    return rows


def print_speed_header(use_rep):
    h = (f"{'k':>4} {'p':>4} | {'synthkit s/ds':>13} {'meet exact':>10} {'certified':>9} "
         f"{'sparse s/ds':>11}")
    if use_rep:
        h += f" | {'repliclust s/ds':>15} {'meet exact':>10} {'n':>3} | {'speed-up':>8}"
    print(h)
    print("-" * len(h))


def print_speed_row(r, use_rep, timeout):
    line = (f"{r['k']:>4} {r['p']:>4} | {r['sk_s']:>13.3f} {100 * r['sk_ok']:>9.0f}% "
            f"{100 * r['sk_cert']:>8.0f}% {r['sparse_s']:>11.3f}")
    if use_rep:
        if r["rep_n"]:
            rs = f"{r['rep_s']:>15.2f}"
            ok = f"{100 * r['rep_ok']:>9.0f}%"
            ratio = r["rep_s"] / r["sk_s"]
            sp = f"{ratio:>7.{1 if ratio < 10 else 0}f}x"
        else:
            rs = f"{'>' + format(timeout, '.0f') + ' s':>15}"
            ok = f"{'-':>10}"
            sp = f"{'>' + format(timeout / r['sk_s'], '.0f') + 'x':>8}"
        line += f" | {rs} {ok} {r['rep_n']:>3} | {sp}"
    print(line, flush=True)


def _rep_calib_job(fam, n, dim, queue):
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import repliclust

        repliclust.set_seed(7)
        arch = repliclust.Archetype(n_clusters=2, dim=dim, n_samples=n, min_overlap=0.045,
                                    max_overlap=0.05, imbalance_ratio=1, distributions=[fam],
                                    aspect_ref=2, aspect_maxmin=1.5)
        X, y = arch.synthesize(quiet=True)
    queue.put(float(empirical_overlap_matrix(X, y)[0, 1]))


def table_calibration(n: int, dims, use_rep: bool, timeout: float):
    print(f"\nCalibration: 2 clusters, nominal overlap in [0.045, 0.05], {n} points; measured = "
          f"twice the empirical minimax error of the fitted linear rule")
    head = f"{'family':>12} {'dim':>4} | {'certificate':>11} {'measured':>9} {'in 0.04-0.06':>12}"
    if use_rep:
        head += f" | {'repliclust':>10}"
    print(head)
    print("-" * len(head))
    rows = []
    for fam in sorted(FAMILIES):
        for dim in dims:
            arch = Archetype(n_clusters=2, dim=dim, n_samples=n, min_overlap=0.045,
                             max_overlap=0.05, distributions=[fam], imbalance_ratio=1,
                             aspect_ref=2, aspect_maxmin=1.5)
            ds = arch.sample(seed=3)
            emp = float(ds.empirical_overlap()[0, 1])
            row = {"family": fam, "dim": dim, "certificate": float(ds.achieved_overlap[0, 1]),
                   "measured": emp, "ok": 0.04 <= emp <= 0.06}
            line = (f"{fam:>12} {dim:>4} | {row['certificate']:>11.4f} {emp:>9.4f} "
                    f"{'yes' if row['ok'] else 'NO':>12}")
            if use_rep:
                rf = REPLICLUST_FAMILIES.get(fam)
                val = run_in_subprocess(_rep_calib_job, (rf, n, dim), timeout, float("nan"))
                row["repliclust"] = val
                line += f" | {val:>10.4f}" + ("  (its 'standard_t' is Cauchy)"
                                              if fam == "student_t" else "")
            print(line, flush=True)
            rows.append(row)
    return rows


def table_exact(n_mc: int):
    rng = np.random.default_rng(0)
    P, p = 2000, 5

    def cov():
        Q, _ = np.linalg.qr(rng.standard_normal((p, p)))
        return (Q * np.exp(rng.uniform(0, np.log(10), p)) ** 2) @ Q.T

    Si = np.array([cov() for _ in range(P)])
    Sj = np.array([cov() for _ in range(P)])
    d = rng.standard_normal((P, p))
    qe = exact_q(d, Si, Sj)
    d *= (1.96 / qe)[:, None]  # put every pair at exact overlap 0.05
    qe = exact_q(d, Si, Sj)
    ql = lda_q(d, Si, Sj)
    oe, ol = q_to_overlap(qe), q_to_overlap(ql)
    print(f"\nExact vs LDA approximation: {P} random oblong pairs (p={p}, axis ratio up to 10) "
          f"at exact overlap 0.05")
    print(f"  exact <= LDA for every pair: {bool(np.all(oe <= ol + 1e-15))}; LDA overstates by "
          f"median {100 * np.median(ol / oe - 1):.2f}%, max {100 * np.max(ol / oe - 1):.2f}%")
    # Monte Carlo check of the exact value for a few pairs
    worst = 0.0
    for e in range(5):
        q, a, _, si, _ = exact_q(d[e : e + 1], Si[e : e + 1], Sj[e : e + 1], return_direction=True)
        c = si[0] * q[0]
        xi = rng.multivariate_normal(np.zeros(p), Si[e], n_mc) @ a[0]
        xj = rng.multivariate_normal(d[e], Sj[e], n_mc) @ a[0]
        err = 0.5 * (np.mean(xi > c) + np.mean(xj <= c))
        se = np.sqrt(0.025 * 0.975 / (2 * n_mc))
        worst = max(worst, abs(err - q_to_overlap(q[0]) / 2) / se)
    print(f"  Monte Carlo ({n_mc} points per cluster, 5 pairs): largest |MC - exact| = "
          f"{worst:.2f} standard errors")


# ------------------------------------------------------------------ difficulty (tables 4-8)

SHAPE = {"aspect_ref": 1.5, "aspect_maxmin": 2.0, "radius_maxmin": 3.0, "imbalance_ratio": 2.0}
DIFF_LEVELS = tuple(float(x) for x in np.geomspace(1e-4, 0.3, 7))
KMEANS_N_INIT = 50
GMM = {"covariance_type": "full", "reg_covar": 1e-4, "max_iter": 100}
#: The mixture's own start: sklearn's default (one k-means run per start), best of 3 starts.
GMM_OWN_START = {**GMM, "n_init": 3}
CLUSTERERS = ("kmeans", "gmm", "kmeans_pca", "gmm_pca", "gmm_own")


def partition_start(X: np.ndarray, labels: np.ndarray, k: int, reg_covar: float) -> dict:
    """EM's start at a partition: its weights, means and precisions (``reg_covar`` added).

    The parameters sklearn's ``GaussianMixture`` computes from its own k-means labels
    (one-hot responsibilities, covariances with ``reg_covar`` on the diagonal), here from
    the partition found by ``KMeans(n_init=50)``.
    """
    resp = np.eye(k)[labels]
    nk = resp.sum(axis=0) + 10 * np.finfo(float).eps
    means = resp.T @ X / nk[:, None]
    precisions = np.empty((k, X.shape[1], X.shape[1]))
    for c in range(k):
        d = X - means[c]
        cov = (resp[:, c, None] * d).T @ d / nk[c]
        cov.flat[::X.shape[1] + 1] += reg_covar
        inv = np.linalg.inv(cov)
        precisions[c] = (inv + inv.T) / 2  # exactly symmetric, as sklearn's check requires
    return {"weights_init": nk / nk.sum(), "means_init": means, "precisions_init": precisions}


def difficulty_n(k: int, p: int) -> int:
    return 200 * k + 10 * p


def _quiet():
    import contextlib
    import io

    stack = contextlib.ExitStack()
    stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
    stack.enter_context(contextlib.redirect_stderr(io.StringIO()))
    return stack


def import_repliclust():
    with _quiet():
        import repliclust
    return repliclust


#: synthkit's packing in tables 4, 5 and 8 (``--packing``; the archetype's default is "dense").
PACKING = "dense"


def synthkit_mixture(k, p, n, max_ov, seed, **extra):
    """A synthkit mixture (no points drawn) with the shared shape parameters, band [max/10, max]."""
    params = {"min_overlap": max_ov / 10, "max_overlap": max_ov, "packing": PACKING, **extra}
    arch = Archetype(n_clusters=k, dim=p, n_samples=n, distributions=["normal"],
                     on_infeasible="return", **SHAPE, **params)
    mixture, placement = arch.sample_mixture(seed=seed)
    return mixture, placement


def repliclust_mixture(rep, k, p, n, max_ov, seed):
    """repliclust's mixture and group sizes (its own seed), same shape parameters and band."""
    rep.set_seed(seed)
    with _quiet():
        arch = rep.Archetype(n_clusters=k, dim=p, n_samples=n, min_overlap=max_ov / 10,
                             max_overlap=max_ov, distributions=["normal"], **SHAPE)
        sizes = arch.groupsize_sampler.sample_group_sizes(arch, n)
        mm = arch.sample_mixture_model(quiet=True)
    covs = np.array([ax.T @ np.diag(np.asarray(L) ** 2) @ ax
                     for ax, L in zip(mm.axes_list, mm.axis_lengths_list, strict=True)])
    return mm, np.asarray(mm.centers, float), covs, sizes


def repliclust_points(mm, sizes):
    with _quiet():
        X, y = mm.sample_data(sizes)
    return np.asarray(X, float), np.asarray(y)


def exact_offdiag(centers, covs) -> np.ndarray:
    """Pairwise exact overlaps (upper triangle, flattened), recomputed here."""
    with limit_threads(1):
        ov = overlap_matrix(centers, covs, method="exact")
    return ov[np.triu_indices(len(centers), 1)]


def lloyd_from(X: np.ndarray, labels: np.ndarray, k: int):
    """Lloyd's iterations (sklearn ``KMeans``, one start) from the means of a partition."""
    from sklearn.cluster import KMeans

    means = np.array([X[labels == c].mean(axis=0) for c in range(k)])
    return KMeans(k, init=means, n_init=1).fit(X)


def principal_subspace_kmeans(X: np.ndarray, k: int):
    """k-means started in the principal subspace (Ding & He 2004), no labels used.

    The top ``k - 1`` principal-component scores hold the between-cluster spread; the
    full space adds ``p`` dimensions of within-cluster noise, in which a k-means++ seed
    on a point of a wide cluster keeps only that point. ``KMeans(n_init=50)`` on the
    scores, then Lloyd's iterations in the full space from that partition's means.
    """
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    scores = PCA(k - 1, random_state=0).fit_transform(X)
    return lloyd_from(X, KMeans(k, n_init=KMEANS_N_INIT, random_state=0).fit(scores).labels_, k)


def one_minus_ari(X, y, k) -> dict:
    """1 - ARI of each clusterer of :data:`CLUSTERERS` (settings in the module docstring),
    and whether the k-means++ starts (``kmeans_stuck``) and the principal-subspace start
    (``pca_stuck``) stopped above the best optimum found."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
    from sklearn.mixture import GaussianMixture

    def mixture_from(labels):
        start = partition_start(X, labels, k, GMM["reg_covar"])
        return GaussianMixture(k, random_state=0, **GMM, **start).fit(X).predict(X)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings: the score is what counts
        km = KMeans(k, n_init=KMEANS_N_INIT, random_state=0).fit(X)
        pca = principal_subspace_kmeans(X, k)
        best = min(km.inertia_, pca.inertia_, lloyd_from(X, y, k).inertia_)
        gm = mixture_from(km.labels_)
        gm_pca = mixture_from(pca.labels_)
        own = GaussianMixture(k, random_state=0, **GMM_OWN_START).fit(X).predict(X)
    found = {"kmeans": km.labels_, "gmm": gm, "kmeans_pca": pca.labels_, "gmm_pca": gm_pca,
             "gmm_own": own}
    return {"kmeans_stuck": bool(best < km.inertia_ * (1 - 1e-12)),
            "pca_stuck": bool(best < pca.inertia_ * (1 - 1e-12)),
            **{name: 1 - adjusted_rand_score(y, found[name]) for name in CLUSTERERS}}


def pair_structure(overlaps: np.ndarray, level: float) -> dict:
    """The closest pair's exact overlap and the share of pairs at or above ``level / 10``."""
    return {"exact_max": float(overlaps.max()), "near_max": float(np.mean(overlaps >= level / 10))}


#: Seed of the first dataset of table 4: level ``i``, dataset ``s`` uses ``base + 100 i + s``.
DIFF_SEED_BASE = 10_000


def difficulty_datasets(p, seeds, use_rep, levels=DIFF_LEVELS, k=5, seed_base=DIFF_SEED_BASE):
    """Yield ``(row, X, y)`` per (level, seed, tool): the datasets of table 4 (and 8).

    ``row`` holds the tool, p, requested level, seed, the closest pair's exact overlap,
    the share of pairs the level binds and whether synthkit certified the placement.
    """
    rep = import_repliclust() if use_rep else None
    n = difficulty_n(k, p)
    for li, level in enumerate(levels):
        for s in range(seeds):
            seed = seed_base + 100 * li + s
            mixture, placement = synthkit_mixture(k, p, n, level, seed)
            X, y = mixture.sample(seed=seed + 50)
            yield ({"tool": "synthkit", "p": p, "level": level, "seed": seed,
                    **pair_structure(exact_offdiag(mixture.centers, mixture.covariances), level),
                    "certified": bool(placement["certified"])}, X, y)
            if rep is not None:
                mm, centers, covs, sizes = repliclust_mixture(rep, k, p, n, level, seed)
                X, y = repliclust_points(mm, sizes)
                yield ({"tool": "repliclust", "p": p, "level": level, "seed": seed,
                        **pair_structure(exact_offdiag(centers, covs), level), "certified": None},
                       X, y)


def difficulty_rows(p, seeds, use_rep, levels=DIFF_LEVELS, k=5, seed_base=DIFF_SEED_BASE) -> list[dict]:
    """One row per (tool, level, seed): requested max, exact max achieved, 1 - ARI per clusterer."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return [{**row, **one_minus_ari(X, y, k)}
                for row, X, y in difficulty_datasets(p, seeds, use_rep, levels, k, seed_base)]


def spearman(x, y) -> float:
    x, y = np.asarray(x, float), np.asarray(y, float)
    if np.ptp(y) == 0:
        return float("nan")
    return float(stats.spearmanr(x, y).statistic)


def print_difficulty(rows, levels=DIFF_LEVELS):
    head = (f"{'p':>4} {'tool':>10} {'clusterer':>11} | {'Spearman':>8} | mean 1-ARI at requested max "
            + " ".join(f"{lv:>7.0e}" for lv in levels))
    print(head)
    print("-" * len(head))
    for p in sorted({r["p"] for r in rows}):
        for tool in ("synthkit", "repliclust"):
            part = [r for r in rows if r["p"] == p and r["tool"] == tool]
            if not part:
                continue
            lv = np.array([r["level"] for r in part])
            for clu in CLUSTERERS:
                v = np.array([r[clu] for r in part])
                means = " ".join(f"{v[lv == x].mean():>7.3f}" for x in levels)
                print(f"{p:>4} {tool:>10} {clu:>11} | {spearman(lv, v):>+8.2f} | {'':>27} {means}")
            stuck = sum(r["kmeans_stuck"] for r in part)
            pca_stuck = sum(r["pca_stuck"] for r in part)
            print(f"{p:>4} {tool:>10} {'':>11} | {'':>8} | stopped above the best optimum found: "
                  f"k-means++ starts {stuck}, principal-subspace start {pca_stuck} of {len(part)}")
            ratio = np.array([r["exact_max"] for r in part]) / lv
            med = " ".join(f"{np.median(ratio[lv == x]):>7.2f}" for x in levels)
            print(f"{p:>4} {tool:>10} {'':>11} | {'':>8} | {'median exact max / requested':>27} {med}")
            near = np.array([r["near_max"] for r in part])
            share = " ".join(f"{near[lv == x].mean():>7.2f}" for x in levels)
            print(f"{p:>4} {tool:>10} {'':>11} | {'':>8} | {'pairs at or above max/10':>27} {share}")


def table_difficulty(dims, seeds, use_rep, seed_base=DIFF_SEED_BASE) -> list[dict]:
    print(f"\nDifficulty: k=5 normal clusters, shape {SHAPE}, band [max/10, max], {seeds} seeds per "
          f"level, n = 200 k + 10 p;\n  KMeans(n_init={KMEANS_N_INIT}, random_state=0), "
          f"gmm = GaussianMixture({', '.join(f'{a}={b!r}' for a, b in GMM.items())}, random_state=0) "
          f"started from the k-means partition;\n  kmeans_pca = k-means started in the principal "
          f"subspace (top k-1 components), gmm_pca = gmm started from it;\n"
          f"  gmm_own = gmm with its own start (n_init={GMM_OWN_START['n_init']}); "
          f"Spearman(requested max, 1 - ARI)")
    rows = []
    for p in dims:
        t0 = time.perf_counter()
        part = difficulty_rows(p, seeds, use_rep, seed_base=seed_base)
        rows += part
        print_difficulty(part)
        print(f"  p={p}: {time.perf_counter() - t0:.0f} s", flush=True)
    return rows


#: Single k-means++ starts per dataset in table 8.
N_STARTS = 50


def start_rows(p, seeds, use_rep, levels=DIFF_LEVELS, k=5, seed_base=DIFF_SEED_BASE) -> list[dict]:
    """Per dataset of table 4: the share of single k-means++ starts that end in the
    partition the data allow, and the starts' mean 1 - ARI.

    Each start is ``KMeans(k, n_init=1, random_state=r)``, ``r = 0..N_STARTS-1``. The
    partition the data allow is where Lloyd's iterations from the true partition's means
    stop (a reference only); a start ends in it when the two partitions agree to
    ARI >= 0.95 (a few points on the boundaries may differ). ``KMeans(n_init=50)`` of
    table 4 keeps the start of lowest inertia, so it misses that partition when the
    share is near 0.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
    from threadpoolctl import threadpool_limits

    rows = []
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for row, X, y in difficulty_datasets(p, seeds, use_rep, levels, k, seed_base):
            allowed = lloyd_from(X, y, k).labels_
            labels = [KMeans(k, n_init=1, random_state=r).fit(X).labels_ for r in range(N_STARTS)]
            rows.append({**row,
                         "reach": float(np.mean([adjusted_rand_score(allowed, lab) >= 0.95
                                                 for lab in labels])),
                         "start_err": float(np.mean([1 - adjusted_rand_score(y, lab)
                                                     for lab in labels]))})
    return rows


def table_starts(dims, seeds, use_rep, seed_base=DIFF_SEED_BASE, levels=DIFF_LEVELS) -> list[dict]:
    print(f"\nk-means++ starts on the datasets of table 4 ({seeds} seeds per level): share of "
          f"{N_STARTS} single starts KMeans(n_init=1) ending in the partition the data allow\n"
          f"  (ARI >= 0.95 with Lloyd's iterations from the true means), and their mean 1 - ARI")
    head = f"{'p':>4} {'tool':>10} {'':>20} " + " ".join(f"{lv:>7.0e}" for lv in levels)
    print(head)
    print("-" * len(head))
    rows = []
    for p in dims:
        t0 = time.perf_counter()
        part = start_rows(p, seeds, use_rep, levels, seed_base=seed_base)
        rows += part
        for tool in ("synthkit", "repliclust"):
            sub = [r for r in part if r["tool"] == tool]
            if not sub:
                continue
            lv = np.array([r["level"] for r in sub])
            for key, label in (("reach", "starts that find it"), ("start_err", "mean 1-ARI")):
                v = np.array([r[key] for r in sub])
                print(f"{p:>4} {tool:>10} {label:>20} "
                      + " ".join(f"{v[lv == x].mean():>7.3f}" for x in levels))
        print(f"  p={p}: {time.perf_counter() - t0:.0f} s", flush=True)
    return rows


def tightness_rows(k, p, levels, seeds, use_rep) -> list[dict]:
    rep = import_repliclust() if use_rep else None
    rows = []
    for level in levels:
        for s in range(seeds):
            seed = 20_000 + s
            mixture, placement = synthkit_mixture(k, p, 500, level, seed)
            ov = exact_offdiag(mixture.centers, mixture.covariances)
            rows.append({"tool": "synthkit", "k": k, "level": level, "closest": ov.max() / level,
                         "mean": ov.mean(), "certified": bool(placement["certified"])})
            if rep is not None:
                _, centers, covs, _ = repliclust_mixture(rep, k, p, 500, level, seed)
                ov = exact_offdiag(centers, covs)
                rows.append({"tool": "repliclust", "k": k, "level": level, "closest": ov.max() / level,
                             "mean": ov.mean(), "certified": None})
    return rows


def table_tightness(ks, levels, seeds, use_rep, p=10) -> list[dict]:
    print(f"\nTightness (p={p}, band [max/10, max], {seeds} seeds): closest pair's exact overlap / "
          f"requested max (quantiles 10/50/90%; target [0.9, 1]) and mean pairwise exact overlap")
    head = (f"{'k':>3} {'max':>6} {'tool':>10} | {'q10':>5} {'q50':>5} {'q90':>5} "
            f"{'in [.9,1]':>9} | {'mean ov (median)':>16}")
    print(head)
    print("-" * len(head))
    rows = []
    for k in ks:
        t0 = time.perf_counter()
        part = tightness_rows(k, p, levels, seeds, use_rep)
        rows += part
        for level in levels:
            for tool in ("synthkit", "repliclust"):
                sub = [r for r in part if r["level"] == level and r["tool"] == tool]
                if not sub:
                    continue
                c = np.array([r["closest"] for r in sub])
                q = np.quantile(c, [0.1, 0.5, 0.9])
                inside = np.mean((c >= 0.9) & (c <= 1 + 1e-9))
                print(f"{k:>3} {level:>6g} {tool:>10} | {q[0]:>5.2f} {q[1]:>5.2f} {q[2]:>5.2f} "
                      f"{100 * inside:>8.0f}% | {np.median([r['mean'] for r in sub]):>16.2e}")
        print(f"  k={k}: {time.perf_counter() - t0:.0f} s", flush=True)
    return rows


def table_avg_overlap(targets, seeds, k=10, p=10) -> list[dict]:
    """Achieved mean pairwise exact overlap / target; 'not available' until the parameter acts."""
    print(f"\nAverage overlap: Archetype(avg_overlap=target), k={k}, p={p}, {seeds} seeds; "
          f"achieved mean pairwise exact overlap / target")
    cases = [(t, None) for t in targets] + [(t, 4 * t) for t in targets]
    rows = []
    try:
        for t, mx in cases:
            extra = {"avg_overlap": t, "max_overlap": 0.5 if mx is None else mx,
                     "min_overlap": t / 10}
            ratios, cert = [], []
            for s in range(seeds):
                arch = Archetype(n_clusters=k, dim=p, n_samples=500, distributions=["normal"],
                                 on_infeasible="return", **SHAPE, **extra)
                mixture, placement = arch.sample_mixture(seed=30_000 + s)
                ratios.append(exact_offdiag(mixture.centers, mixture.covariances).mean() / t)
                cert.append(bool(placement["certified"]))
            rows.append({"target": t, "max": mx, "ratio": np.array(ratios), "certified": np.mean(cert)})
    except Exception as exc:  # noqa: BLE001 - the parameter may not be accepted yet
        print(f"  not available: {type(exc).__name__}: {exc}")
        return []
    if not rows or max(abs(np.median(r["ratio"]) - 1) for r in rows) > 0.1:
        worst = max(rows, key=lambda r: abs(np.median(r["ratio"]) - 1))
        print(f"  not available: the mean overlap does not follow avg_overlap yet (target "
              f"{worst['target']:g}: achieved / target median {np.median(worst['ratio']):.2f})")
        return rows
    head = f"{'target':>7} {'max':>6} | {'q10':>5} {'q50':>5} {'q90':>5} | {'certified':>9}"
    print(head)
    print("-" * len(head))
    for r in rows:
        q = np.quantile(r["ratio"], [0.1, 0.5, 0.9])
        mx = "-" if r["max"] is None else f"{r['max']:g}"
        print(f"{r['target']:>7g} {mx:>6} | {q[0]:>5.2f} {q[1]:>5.2f} {q[2]:>5.2f} | "
              f"{100 * r['certified']:>8.0f}%")
    return rows


def _random_cov(rng, p, ratio=10.0):
    Q, _ = np.linalg.qr(rng.standard_normal((p, p)))
    return (Q * np.exp(rng.uniform(0, np.log(ratio), p))) @ Q.T


def bayes_monte_carlo(mu_i, cov_i, mu_j, cov_j, n, rng) -> tuple[float, float]:
    """Errors of the quadratic rule (equal weights) on n draws per cluster: overlap and its SE."""
    di = stats.multivariate_normal(mu_i, cov_i)
    dj = stats.multivariate_normal(mu_j, cov_j)
    xi = di.rvs(n, random_state=rng).reshape(n, -1)
    xj = dj.rvs(n, random_state=rng).reshape(n, -1)
    e_i = np.mean(dj.logpdf(xi) > di.logpdf(xi))  # ties go to i
    e_j = np.mean(dj.logpdf(xj) <= di.logpdf(xj))
    se = np.sqrt(e_i * (1 - e_i) / n + e_j * (1 - e_j) / n)
    return float(e_i + e_j), float(se)


def table_bayes(n_mc, pairs, levels, seeds, k=5, p=10):
    rng = np.random.default_rng(11)
    print(f"\nBayes overlap (quadratic rule, equal weights) vs Monte Carlo ({n_mc} points per cluster, "
          f"{pairs} random oblong pairs per dimension)")
    head = f"{'p':>4} | {'overlap range':>15} | {'max |exact - MC| / SE':>21}"
    print(head)
    print("-" * len(head))
    for dim in (2, 10, 50):
        worst, vals = 0.0, []
        for _ in range(pairs):
            ci, cj = _random_cov(rng, dim), _random_cov(rng, dim)
            d = rng.standard_normal(dim)
            d *= rng.uniform(1.0, 4.0) / np.sqrt(d @ np.linalg.solve((ci + cj) / 2, d))
            exact = bayes_overlap(np.zeros(dim), ci, d, cj)
            mc, se = bayes_monte_carlo(np.zeros(dim), ci, d, cj, n_mc, rng)
            worst = max(worst, abs(exact - mc) / se)
            vals.append(exact)
        print(f"{dim:>4} | {min(vals):>6.3f} - {max(vals):>6.3f} | {worst:>21.2f}", flush=True)
    print(f"\nArchetype(overlap='bayes'), k={k}, p={p}, {seeds} seeds: closest pair's Bayes overlap "
          f"(equal weights, recomputed) / requested max")
    try:
        out = []
        for level in levels:
            r = []
            for s in range(seeds):
                mixture, _ = synthkit_mixture(k, p, 500, level, 40_000 + s, overlap="bayes")
                with limit_threads(1):
                    b = bayes_overlap_matrix(mixture.centers, mixture.covariances)
                r.append(b[np.triu_indices(k, 1)].max() / level)
            out.append((level, np.array(r)))
    except Exception as exc:  # noqa: BLE001 - overlap="bayes" placement may not exist yet
        print(f"  not available: {type(exc).__name__}: {exc}")
        return
    if any(np.median(r) < 0.5 or np.median(r) > 1.01 for _, r in out):
        print("  not available: the placement does not follow overlap='bayes' yet "
              + ", ".join(f"(max {lv:g}: median ratio {np.median(r):.2f})" for lv, r in out))
        return
    for level, r in out:
        q = np.quantile(r, [0.1, 0.5, 0.9])
        print(f"  max {level:g}: q10 {q[0]:.2f}, median {q[1]:.2f}, q90 {q[2]:.2f}; "
              f"in [0.9, 1]: {100 * np.mean((r >= 0.9) & (r <= 1 + 1e-9)):.0f}%")



def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer datasets and points")
    ap.add_argument("--no-repliclust", action="store_true", help="skip repliclust")
    ap.add_argument("--datasets", type=int, default=None, help="synthkit datasets per config")
    ap.add_argument("--timeout", type=float, default=None,
                    help="seconds allowed per repliclust dataset")
    ap.add_argument("--tables", type=int, nargs="+", default=list(range(1, 9)),
                    help="tables to print (1-8, default all)")
    ap.add_argument("--p", type=int, nargs="+", default=None,
                    help="dimensions of tables 4 and 8 (default 10 100 500; --quick: 10)")
    ap.add_argument("--seeds", type=int, default=None,
                    help="datasets per level in tables 4 and 8 (default 4; --quick: 2)")
    ap.add_argument("--seed-base", type=int, default=DIFF_SEED_BASE,
                    help="tables 4 and 8: level i, dataset s uses seed BASE + 100 i + s (default 10000)")
    ap.add_argument("--packing", choices=PACKINGS, default="dense",
                    help="synthkit's packing in tables 4, 5 and 8 (default: the archetype's, dense)")
    args = ap.parse_args(argv)
    global PACKING
    PACKING = args.packing
    use_rep = not args.no_repliclust and have_repliclust()
    n_ds = args.datasets or (3 if args.quick else 10)
    n_rep = 1 if args.quick else 3
    timeout = args.timeout or (60.0 if args.quick else 300.0)
    tables = set(args.tables)
    print(f"synthkit cluster benchmark ({'quick' if args.quick else 'full'}, packing={PACKING!r}); "
          f"repliclust {'installed' if use_rep else 'not run'}; {os.cpu_count()} CPUs\n")
    if 1 in tables:
        print_speed_header(use_rep)
        table_speed(n_ds, n_rep, timeout, use_rep)
    if 2 in tables:
        table_calibration(40_000 if args.quick else 200_000, (2,) if args.quick else (2, 5),
                          use_rep, timeout)
    if 3 in tables:
        table_exact(50_000 if args.quick else 400_000)
    if 4 in tables:
        dims = args.p or ([10] if args.quick else [10, 100, 500])
        table_difficulty(dims, args.seeds or (2 if args.quick else 4), use_rep, args.seed_base)
    if 5 in tables:
        t0 = time.perf_counter()
        table_tightness((5, 30), (0.001, 0.01, 0.05, 0.2), 3 if args.quick else 10, use_rep)
        print(f"  table 5: {time.perf_counter() - t0:.0f} s")
    if 6 in tables:
        table_avg_overlap((0.002, 0.01, 0.03), 3 if args.quick else 10)
    if 7 in tables:
        table_bayes(20_000 if args.quick else 200_000, 3 if args.quick else 5, (0.01, 0.05),
                    3 if args.quick else 10)
    if 8 in tables:
        dims = args.p or ([10] if args.quick else [10, 100, 500])
        table_starts(dims, args.seeds or (2 if args.quick else 4), use_rep, args.seed_base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
