"""Overlap control: tight maximum, average, nearest-neighbour target, Bayes definition.

Every achieved value is recomputed independently of the control's pruning: the exact
linear overlap of *all* pairs (``overlap_matrix``), the Bayes overlap of all pairs
(``bayes_overlap_matrix``) and, for the Bayes closest pair, a Monte Carlo estimate of the
quadratic rule's two errors with its standard error.
"""

from __future__ import annotations

import numpy as np
import pytest

from synthkit import Archetype
from synthkit.clusters.overlap_control import TIGHT_FRACTION, control_overlap
from synthkit.errors import OverlapError, SpecError
from synthkit.overlap import bayes_overlap_matrix, overlap_matrix


def _all_pairs(ds, bayes=False):
    mix = ds.mixture
    ov = (bayes_overlap_matrix if bayes else overlap_matrix)(mix.centers, mix.covariances)
    np.fill_diagonal(ov, 0.0)
    return ov


@pytest.mark.parametrize("k,p,mx", [(5, 10, 0.1), (5, 10, 1e-3), (30, 10, 0.05), (12, 40, 0.01),
                                    (8, 2, 0.3)])
def test_closest_pair_sits_in_the_tight_band(k, p, mx):
    for seed in range(2):
        ds = Archetype(n_clusters=k, dim=p, n_samples=10 * k, max_overlap=mx,
                       min_overlap=mx / 10).sample(seed=seed)
        ov = _all_pairs(ds)
        assert TIGHT_FRACTION * mx <= ov.max() <= mx
        assert ov.max(axis=1).min() >= mx / 10
        assert ds.placement["max_overlap"] == pytest.approx(ov.max(), rel=1e-9)
        assert ds.placement["min_nn_overlap"] == pytest.approx(ov.max(axis=1).min(), rel=1e-6)


def test_control_is_reproducible_and_only_shrinks():
    a = Archetype(n_clusters=10, dim=5, n_samples=100)
    m1, p1 = a.sample_mixture(seed=4)
    m2, _ = a.sample_mixture(seed=4)
    np.testing.assert_array_equal(m1.centers, m2.centers)
    assert 0 < p1["extra"]["center_scale"] <= 1.0


def test_control_overlap_direct_call_matches_closed_form():
    # two unit-variance clusters at distance d: overlap 2 Phi(-d/2); the target is the
    # band's midpoint (0.95 * max), reached at d = 2 Phi^{-1}(1 - 0.0475 / 2)
    from scipy.stats import norm

    A = np.tile(np.eye(3), (2, 1, 1))
    M = np.array([[0.0, 0.0, 0.0], [8.0, 0.0, 0.0]])
    M2, rep = control_overlap(M, A, min_overlap=1e-3, max_overlap=0.05)
    d = np.linalg.norm(M2[1] - M2[0])
    assert d == pytest.approx(2 * norm.isf(0.0475 / 2), rel=1e-9)
    assert rep.max_overlap == pytest.approx(0.0475, rel=1e-9)


@pytest.mark.parametrize("k,p,avg,mx", [(5, 10, 0.01, 0.05), (5, 10, 0.001, 0.05),
                                        (10, 5, 0.005, 0.05), (30, 10, 0.002, 0.05),
                                        (30, 10, 0.01, 0.1), (6, 2, 0.02, 0.05)])
def test_average_overlap_within_five_percent_with_both_bounds(k, p, avg, mx):
    for seed in range(2):
        ds = Archetype(n_clusters=k, dim=p, n_samples=10 * k, max_overlap=mx, min_overlap=mx / 50,
                       avg_overlap=avg).sample(seed=seed)
        ov = _all_pairs(ds)
        mean = ov[np.triu_indices(k, 1)].mean()
        assert abs(mean / avg - 1) <= 0.05
        assert ov.max() <= mx and ov.max(axis=1).min() >= mx / 50


def test_average_near_the_maximum_is_reached_when_feasible():
    """avg = 0.8 max: pulling only the closest pair to the tight target made the next rescaling
    push it back above the maximum (half of these seeds ended in OverlapError although equal
    overlaps of 0.04 are feasible); every pair above the maximum now goes to the mean's level."""
    for seed in range(10):
        ds = Archetype(n_clusters=3, dim=2, n_samples=300, min_overlap=0.001, max_overlap=0.05,
                       avg_overlap=0.04).sample(seed=seed)
        ov = _all_pairs(ds)
        assert abs(ov[np.triu_indices(3, 1)].mean() / 0.04 - 1) <= 0.05
        assert ov.max() <= 0.05 and ov.max(axis=1).min() >= 0.001


def test_two_clusters_average_outside_the_bounds_fails_at_once():
    import time

    start = time.perf_counter()
    with pytest.raises(OverlapError, match=r"must lie in \[min_overlap, max_overlap\]"):
        Archetype(n_clusters=2, avg_overlap=0.0005, min_overlap=0.001, overlap="bayes").sample(seed=0)
    assert time.perf_counter() - start < 30  # the Bayes bisections used to run for minutes


def test_infeasible_average_names_the_bound_to_move():
    # two clusters: the mean is the single pair, which must stay >= min_overlap
    with pytest.raises(OverlapError, match="min_overlap"):
        Archetype(n_clusters=2, dim=3, n_samples=20, min_overlap=0.045, max_overlap=0.05,
                  avg_overlap=0.01).sample(seed=0)
    with pytest.raises(SpecError, match="avg_overlap"):
        Archetype(avg_overlap=0.2, max_overlap=0.1)
    with pytest.raises(SpecError, match="not both"):
        Archetype(avg_overlap=0.01, nn_overlap=0.01)
    with pytest.raises(SpecError, match="nn_overlap"):
        Archetype(nn_overlap=0.2, max_overlap=0.1)


@pytest.mark.parametrize("k,p,t", [(10, 5, 0.01), (30, 10, 0.05), (20, 2, 0.002)])
def test_nn_target_places_every_nearest_neighbour_near_the_target(k, p, t):
    ds = Archetype(n_clusters=k, dim=p, n_samples=10 * k, nn_overlap=t, min_overlap=t / 10,
                   max_overlap=min(5 * t, 0.5)).sample(seed=1)
    nn = _all_pairs(ds).max(axis=1) / t
    assert 0.85 <= nn.min() and nn.max() <= 1.15
    lo, med, hi = ds.placement["extra"]["nn_overlap_spread"]
    assert lo == pytest.approx(nn.min(), rel=1e-6) and hi == pytest.approx(nn.max(), rel=1e-6)


def test_bayes_closest_pair_in_band_and_agrees_with_monte_carlo():
    mx = 0.05
    ds = Archetype(n_clusters=4, dim=3, n_samples=40, max_overlap=mx, min_overlap=mx / 10,
                   overlap="bayes").sample(seed=2)
    B = _all_pairs(ds, bayes=True)
    assert TIGHT_FRACTION * mx <= B.max() <= mx
    assert B.max(axis=1).min() >= mx / 10
    np.testing.assert_allclose(ds.achieved_overlap, B + np.diag(np.diag(ds.achieved_overlap)),
                               atol=1e-12)
    # Monte Carlo of the quadratic rule's two errors for the closest pair
    i, j = np.unravel_index(np.argmax(B), B.shape)
    mix = ds.mixture
    rng = np.random.default_rng(0)
    n = 200_000
    from scipy.stats import multivariate_normal as mvn

    di, dj = mvn(mix.centers[i], mix.covariances[i]), mvn(mix.centers[j], mix.covariances[j])
    xi = rng.multivariate_normal(mix.centers[i], mix.covariances[i], n)
    xj = rng.multivariate_normal(mix.centers[j], mix.covariances[j], n)
    e1 = np.mean(dj.logpdf(xi) > di.logpdf(xi))
    e2 = np.mean(di.logpdf(xj) >= dj.logpdf(xj))
    se = np.sqrt(e1 * (1 - e1) / n + e2 * (1 - e2) / n)
    assert abs(e1 + e2 - B[i, j]) <= 4 * se
    # the Bayes overlap never exceeds the linear one (equal weights)
    assert np.all(B <= _all_pairs(ds) + 1e-9)


def test_bayes_errors():
    with pytest.raises(SpecError, match="normal"):
        Archetype(overlap="bayes", distributions=["uniform"])
    # in 100 dimensions clusters with radii 3x apart are told apart by their spread alone
    with pytest.raises(OverlapError, match="shape"):
        Archetype(n_clusters=5, dim=100, n_samples=50, overlap="bayes", radius_maxmin=3.0,
                  min_overlap=0.005, max_overlap=0.05).sample(seed=0)


def test_narrow_band_of_a_non_normal_family_certifies():
    for seed in range(3):
        ds = Archetype(n_clusters=2, dim=5, distributions=["uniform"], min_overlap=0.049,
                       max_overlap=0.05, n_samples=20).sample(seed=seed)
        assert ds.placement["certified"]
        assert 0.049 <= ds.max_overlap <= 0.05


@pytest.mark.parametrize("kind", ["linear", "bayes"])
def test_branch_and_bound_finds_the_pair_a_brute_force_scan_finds(kind):
    from synthkit.clusters.overlap_control import _max_scale, _Pairs

    a = Archetype(n_clusters=7, dim=3, n_samples=70)
    mix, _ = a.sample_mixture(seed=5)
    M, A, S = mix.centers, mix.factors, mix.covariances
    I, J = np.triu_indices(7, 1)
    brute = _Pairs(kind, M, A, S, None, I, J).scale_for(0.02)
    lam, n_eval, _, pair = _max_scale(kind, M, A, S, None, 0.02, batch=1)
    assert lam == pytest.approx(brute.max(), rel=1e-3)
    assert pair == (int(I[np.argmax(brute)]), int(J[np.argmax(brute)]))


def test_non_normal_reported_values_match_all_pairs():
    t = 0.01
    ds = Archetype(n_clusters=10, dim=5, n_samples=100, distributions=["uniform"], nn_overlap=t,
                   min_overlap=0.001, max_overlap=0.05).sample(seed=0)
    ov = ds.achieved_overlap.copy()  # every pair, certified best-linear (independent of the control)
    np.fill_diagonal(ov, 0.0)
    assert ds.placement["max_overlap"] == pytest.approx(ov.max(), rel=1e-9)
    lo, _, hi = ds.placement["extra"]["nn_overlap_spread"]
    assert lo == pytest.approx(ov.max(axis=1).min() / t, rel=1e-9)
    assert hi == pytest.approx(ov.max(axis=1).max() / t, rel=1e-9)
    assert ov.max() <= 0.05 and ov.max(axis=1).min() >= 0.001


def test_unreachable_target_raises_instead_of_collapsing_the_centers():
    # in 10 dimensions clusters with radii 1.5x apart have a Bayes overlap of about 0.32 even
    # when concentric: a closest pair at 0.475 cannot be reached by moving the centers
    with pytest.raises(OverlapError, match="lower max_overlap"):
        Archetype(n_clusters=2, dim=10, n_samples=20, overlap="bayes", radius_maxmin=1.5,
                  min_overlap=1e-4, max_overlap=0.5).sample(seed=0)


def test_on_infeasible_return_keeps_the_certified_placement():
    ds = Archetype(n_clusters=20, dim=2, n_samples=40, min_overlap=0.04, max_overlap=0.05,
                   avg_overlap=0.01, on_infeasible="return").sample(seed=0)
    assert ds.placement["certified"] is False
    assert "avg_overlap" in ds.placement["message"]


@pytest.mark.parametrize("kw", [{"overlap": "foo"}, {"avg_overlap": "0.01"}, {"avg_overlap": float("nan")},
                                {"avg_overlap": True}, {"nn_overlap": float("inf")},
                                {"avg_overlap": 0.01, "nn_overlap": 0.01}])
def test_place_centers_rejects_bad_overlap_knobs(kw):
    from synthkit.clusters import place_centers

    A = np.tile(np.eye(2), (3, 1, 1))
    with pytest.raises(SpecError):
        place_centers(A, 0.001, 0.05, np.random.default_rng(0), **kw)
