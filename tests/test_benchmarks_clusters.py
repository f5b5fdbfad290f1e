"""The cluster benchmark's own measurements: repliclust's covariances as the benchmark reads them,
the Monte Carlo estimate of the quadratic rule's errors, and its label-free k-means start."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "clusters.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_clusters", PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _cov_z(X, cov):
    """Entrywise z-scores of a sample covariance against ``cov`` (normal data:
    Var(S_ab) = (C_aa C_bb + C_ab^2) / n)."""
    n = len(X)
    S = np.cov(X, rowvar=False)
    se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
    return (S - cov) / se


@pytest.mark.slow  # importing repliclust takes 10-20 s
def test_repliclust_covariances_match_its_points(bench):
    rep = pytest.importorskip("repliclust") and bench.import_repliclust()
    k, p, n = 3, 4, 60_000
    mm, centers, covs, _ = bench.repliclust_mixture(rep, k, p, n, 0.05, seed=5)
    X, y = bench.repliclust_points(mm, np.full(k, n // k))
    assert centers.shape == (k, p) and covs.shape == (k, p, p)
    for c in range(k):
        Xc = X[y == c]
        # means: 5 standard errors; covariances: 5 standard errors entrywise
        se_mean = np.sqrt(np.diag(covs[c]) / len(Xc))
        assert np.all(np.abs(Xc.mean(0) - centers[c]) < 5 * se_mean)
        assert np.all(np.abs(_cov_z(Xc, covs[c])) < 5)


def test_bayes_monte_carlo_matches_closed_form(bench):
    # equal covariances and weights: the quadratic rule is linear, overlap 2 Phi(-Delta / 2)
    rng = np.random.default_rng(3)
    p, n = 3, 200_000
    A = rng.standard_normal((p, p))
    cov = A @ A.T + np.eye(p)
    d = rng.standard_normal(p)
    delta = np.sqrt(d @ np.linalg.solve(cov, d))
    truth = 2 * stats.norm.cdf(-delta / 2)
    mc, se = bench.bayes_monte_carlo(np.zeros(p), cov, d, cov, n, rng)
    assert se == pytest.approx(np.sqrt(2 * (truth / 2) * (1 - truth / 2) / n), rel=0.05)
    assert abs(mc - truth) < 4 * se


def test_difficulty_rows_measure_the_requested_band(bench):
    rows = bench.difficulty_rows(p=3, seeds=1, use_rep=False, levels=(0.01, 0.2), k=3)
    assert [r["level"] for r in rows] == [0.01, 0.2]
    for r in rows:
        assert r["certified"]
        assert 0 < r["exact_max"] <= r["level"] * (1 + 1e-9)
        assert all(0 <= r[c] <= 1.5 for c in bench.CLUSTERERS)
        # k = 3: three pairs; the closest is in the band, so at least one of three counts
        assert r["near_max"] in (1 / 3, 2 / 3, 1.0)


def test_pair_structure_counts_pairs_at_or_above_a_tenth_of_the_level(bench):
    got = bench.pair_structure(np.array([0.05, 0.005, 0.0049, 0.0]), 0.05)
    assert got == {"exact_max": 0.05, "near_max": 0.5}


def test_partition_start_is_each_part_s_moments(bench):
    # weights = shares, means = part means, precisions = inverse of (biased covariance + reg I)
    rng = np.random.default_rng(4)
    X = rng.standard_normal((300, 3)) + np.repeat([[0, 0, 0], [6, 0, 0], [0, 6, 0]], 100, axis=0)
    labels = np.repeat([2, 0, 1], 100)
    start = bench.partition_start(X, labels, 3, 1e-4)
    for c in range(3):
        part = X[labels == c]
        assert start["weights_init"][c] == pytest.approx(1 / 3)
        np.testing.assert_allclose(start["means_init"][c], part.mean(axis=0))
        cov = np.cov(part.T, bias=True) + 1e-4 * np.eye(3)
        np.testing.assert_allclose(start["precisions_init"][c] @ cov, np.eye(3), atol=1e-10)


def test_exact_overlaps_match_a_direct_search(bench):
    # q* = max over directions a of a'delta / (sqrt(a' S_i a) + sqrt(a' S_j a)); overlap 2 Phi(-q*)
    from scipy.optimize import minimize

    rng = np.random.default_rng(8)
    k, p = 3, 3
    Q = np.linalg.qr(rng.standard_normal((k, p, p)))[0]
    covs = (Q * np.array([1.0, 4.0, 25.0])) @ np.swapaxes(Q, 1, 2)
    centers = 3 * rng.standard_normal((k, p))
    got = bench.exact_offdiag(centers, covs)
    want = []
    for i, j in zip(*np.triu_indices(k, 1), strict=True):
        d = centers[j] - centers[i]

        def neg_q(a, d=d, i=i, j=j):
            return -(a @ d) / (np.sqrt(a @ covs[i] @ a) + np.sqrt(a @ covs[j] @ a))

        starts = [d, np.linalg.solve(covs[i] + covs[j], d), *rng.standard_normal((5, p))]
        q = max(-minimize(neg_q, a0, method="Nelder-Mead",
                          options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 20_000}).fun
                for a0 in starts)
        want.append(2 * stats.norm.cdf(-q))
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_principal_subspace_kmeans_finds_separated_clusters_in_high_dimensions(bench):
    # p = 300, radii 1, 2 and 3, centers 30 apart: the between-cluster spread lies in the
    # top two principal components, so the start recovers the partition and Lloyd's
    # iterations from it reach the optimum that the true means reach
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(11)
    p, sizes = 300, (400, 250, 150)
    centers = np.zeros((3, p))
    centers[1, 0], centers[2, 1] = 30.0, 30.0
    X = np.vstack([c + r * rng.standard_normal((m, p))
                   for c, r, m in zip(centers, (3.0, 2.0, 1.0), sizes, strict=True)])
    y = np.repeat([0, 1, 2], sizes)
    # single k-means++ starts stop in poor optima on these data (a wide cluster split)
    assert min(adjusted_rand_score(y, KMeans(3, n_init=1, random_state=s).fit(X).labels_)
               for s in range(5)) < 0.9
    found = bench.principal_subspace_kmeans(X, 3)
    assert adjusted_rand_score(y, found.labels_) == 1.0
    means = np.array([X[y == c].mean(axis=0) for c in range(3)])
    lloyd = KMeans(3, init=means, n_init=1).fit(X)
    assert found.inertia_ <= lloyd.inertia_ * (1 + 1e-9)


def test_start_rows_count_the_single_starts_that_find_the_partition(bench):
    # well separated clusters in 2 dimensions: k-means++ seeds one point per cluster in
    # nearly every start, so nearly all starts end where Lloyd's iterations from the true
    # means do; at overlap 0.3 the partitions miss many points
    rows = bench.start_rows(p=2, seeds=1, use_rep=False, levels=(1e-4, 0.3), k=3)
    low, high = rows
    for r in rows:
        assert (r["reach"] * bench.N_STARTS) == pytest.approx(round(r["reach"] * bench.N_STARTS))
        assert 0 < r["reach"] <= 1 and 0 <= r["start_err"] <= 1
    assert low["reach"] >= 0.9 and low["start_err"] < 0.05
    assert high["start_err"] > 0.3
