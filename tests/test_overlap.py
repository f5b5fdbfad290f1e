"""Tests of synthkit.overlap: exact minimax overlap, LDA approximation, empirical and calibrated."""

import numpy as np
import pytest
from scipy.special import ndtr

from synthkit.errors import DataError, SpecError
from synthkit.overlap import (
    calibrated_overlap,
    empirical_minimax_error,
    empirical_overlap_matrix,
    exact_q,
    lda_q,
    minimax_direction,
    overlap_matrix,
    overlap_to_q,
    pairwise_overlap,
    q_to_overlap,
)


def _random_pair(rng, p, aspect=5.0):
    def cov():
        Q, _ = np.linalg.qr(rng.standard_normal((p, p)))
        s = np.exp(rng.uniform(0, np.log(aspect), p))
        return (Q * s**2) @ Q.T

    return cov(), cov()


def test_q_overlap_inverse():
    ov = np.array([1e-6, 1e-3, 0.05, 0.5, 0.99])
    np.testing.assert_allclose(q_to_overlap(overlap_to_q(ov)), ov, rtol=1e-10)
    assert q_to_overlap(0.0) == pytest.approx(1.0)


def test_one_dimension_closed_form():
    # in 1-D the minimax rule is the threshold with equal standardised distances
    m = overlap_matrix([[0.0], [5.0]], [[[1.0]], [[4.0]]])
    assert m[0, 1] == pytest.approx(2 * ndtr(-5.0 / 3.0), rel=1e-10)


def test_exact_matches_brute_force_direction_search_2d():
    rng = np.random.default_rng(0)
    for _ in range(5):
        Si, Sj = _random_pair(rng, 2, aspect=8)
        d = rng.standard_normal(2) * 3
        q = exact_q(d[None], Si[None], Sj[None])[0]
        th = np.linspace(0, 2 * np.pi, 100_001)
        A = np.stack([np.cos(th), np.sin(th)], 1)
        qa = (A @ d) / (np.sqrt(np.einsum("nk,kl,nl->n", A, Si, A))
                        + np.sqrt(np.einsum("nk,kl,nl->n", A, Sj, A)))
        assert q == pytest.approx(qa.max(), rel=1e-6)
        assert q >= qa.max() - 1e-9


def test_exact_never_above_random_directions_high_dim():
    rng = np.random.default_rng(1)
    p = 6
    Si, Sj = _random_pair(rng, p)
    d = rng.standard_normal(p)
    q = exact_q(d[None], Si[None], Sj[None])[0]
    A = rng.standard_normal((20_000, p))
    qa = (A @ d) / (np.sqrt(np.einsum("nk,kl,nl->n", A, Si, A))
                    + np.sqrt(np.einsum("nk,kl,nl->n", A, Sj, A)))
    assert qa.max() <= q + 1e-9


def test_exact_vs_monte_carlo_minimax_error():
    """The minimax rule's two error rates, simulated, equal Phi(-q*) within 3 SE."""
    rng = np.random.default_rng(2)
    p = 3
    Si, Sj = _random_pair(rng, p, aspect=6)
    mu_i = np.zeros(p)
    mu_j = rng.standard_normal(p)
    mu_j *= 2.0 / np.sqrt(mu_j @ np.linalg.solve(0.5 * (Si + Sj), mu_j))
    q, a, _, si, sj = exact_q((mu_j - mu_i)[None], Si[None], Sj[None], return_direction=True)
    a, q = a[0], q[0]
    c = a @ mu_i + si[0] * q  # minimax threshold: equal standardised distances
    n = 200_000
    Xi = rng.multivariate_normal(mu_i, Si, n)
    Xj = rng.multivariate_normal(mu_j, Sj, n)
    e_true = ndtr(-q)
    se = np.sqrt(e_true * (1 - e_true) / n)
    assert abs(np.mean(Xi @ a > c) - e_true) < 3 * se
    assert abs(np.mean(Xj @ a <= c) - e_true) < 3 * se
    # the empirical minimax error on the same points agrees too (it optimises c on them)
    err, _ = empirical_minimax_error(Xi @ a, Xj @ a)
    assert abs(err - e_true) < 4 * se


def test_exact_never_above_lda_approximation():
    rng = np.random.default_rng(3)
    P, p = 300, 4
    covs = np.array([(lambda Q, s: (Q * s**2) @ Q.T)(np.linalg.qr(rng.standard_normal((p, p)))[0],
                                                     np.exp(rng.uniform(0, 2.5, p)))
                     for _ in range(2 * P)])
    d = rng.standard_normal((P, p)) * 3
    qe = exact_q(d, covs[:P], covs[P:])
    ql = lda_q(d, covs[:P], covs[P:])
    assert np.all(qe >= ql - 1e-10)  # exact overlap <= LDA overlap
    assert np.any(q_to_overlap(ql) > 1.05 * q_to_overlap(qe))  # the gap is real for oblong pairs


def test_equal_covariances_exact_equals_lda():
    # with S_i = S_j every t gives the same direction: exact == LDA == Mahalanobis / 2
    S = np.array([[2.0, 0.5], [0.5, 1.0]])
    d = np.array([1.0, 2.0])
    q_expected = np.sqrt(d @ np.linalg.solve(S, d)) / 2
    assert exact_q(d[None], S[None], S[None])[0] == pytest.approx(q_expected, rel=1e-10)
    assert lda_q(d[None], S[None], S[None])[0] == pytest.approx(q_expected, rel=1e-10)


def test_overlap_matrix_properties_and_pairwise():
    rng = np.random.default_rng(4)
    k, p = 5, 3
    means = rng.standard_normal((k, p)) * 3
    covs = np.array([np.eye(p) * s for s in rng.uniform(0.5, 2, k)])
    m = overlap_matrix(means, covs)
    assert m.shape == (k, k)
    np.testing.assert_allclose(m, m.T)
    assert np.all(np.diag(m) == 0)
    assert np.all((m >= 0) & (m <= 1))
    assert pairwise_overlap(means[1], covs[1], means[3], covs[3]) == pytest.approx(m[1, 3])
    ml = overlap_matrix(means, covs, method="lda")
    assert np.all(ml >= m - 1e-12)
    # identical clusters overlap completely
    assert pairwise_overlap([0, 0], np.eye(2), [0, 0], np.eye(2)) == pytest.approx(1.0)
    a, t = minimax_direction(means[0], covs[0], means[1], covs[1])
    assert a.shape == (p,) and 0 <= t <= 1


def test_overlap_bad_inputs():
    with pytest.raises(SpecError, match="positive definite"):
        overlap_matrix([[0, 0], [1, 1]], [np.eye(2), np.zeros((2, 2))])
    with pytest.raises(SpecError, match="shape"):
        overlap_matrix([[0, 0], [1, 1]], [np.eye(3), np.eye(3)])
    with pytest.raises(SpecError, match="method"):
        overlap_matrix([[0.0], [1.0]], [[[1.0]], [[1.0]]], method="c2c")
    with pytest.raises(SpecError, match="symmetric"):
        overlap_matrix([[0, 0], [1, 1]], [np.eye(2), np.array([[1.0, 0.5], [0.0, 1.0]])])
    with pytest.raises(DataError, match="finite"):
        empirical_overlap_matrix(np.array([[0.0], [np.nan]]), [0, 1])


def test_empirical_minimax_error_exact_small_cases():
    assert empirical_minimax_error(np.array([0.0, 1.0]), np.array([2.0, 3.0]))[0] == 0.0
    # interleaved: best threshold leaves one error in each class of two -> 0.5
    err, _ = empirical_minimax_error(np.array([0.0, 2.0]), np.array([1.0, 3.0]))
    assert err == 0.5
    err, _ = empirical_minimax_error(np.array([0.0, 1.0, 2.0, 5.0]), np.array([3.0, 4.0, 6.0, 7.0]))
    assert err == 0.25


def test_empirical_overlap_matrix_tracks_exact():
    rng = np.random.default_rng(5)
    means = np.array([[0.0, 0.0], [3.0, 0.5], [0.0, 9.0]])
    covs = np.array([[[1.0, 0.3], [0.3, 0.5]], [[0.6, -0.2], [-0.2, 1.2]], [[1.0, 0], [0, 1.0]]])
    n = 40_000
    X = np.vstack([rng.multivariate_normal(m, c, n) for m, c in zip(means, covs, strict=True)])
    y = np.repeat(np.arange(3), n)
    emp = empirical_overlap_matrix(X, y)
    ex = overlap_matrix(means, covs)
    se = 2 * np.sqrt(ex[0, 1] / 2 * (1 - ex[0, 1] / 2) / n)
    assert abs(emp[0, 1] - ex[0, 1]) < 4 * se + 2e-3
    assert emp[0, 2] < 1e-3 and np.all(np.diag(emp) == 0)
    emp_lda = empirical_overlap_matrix(X, y, direction="lda")
    assert emp_lda[0, 1] >= emp[0, 1] - 4 * se  # LDA direction is no better than minimax


def test_calibrated_overlap_reduces_to_normal():
    rng = np.random.default_rng(6)
    ref = np.sort(rng.standard_normal(400_000))[None]
    gap, si, sj = np.array([4.0]), np.array([1.0]), np.array([1.5])
    normal = calibrated_overlap(gap, si, sj, None, None)
    assert normal[0] == pytest.approx(q_to_overlap(4.0 / 2.5))
    approx = calibrated_overlap(gap, si, sj, ref, ref)
    assert approx[0] == pytest.approx(normal[0], abs=2e-3)


def test_calibrated_pair_overlap_with_references_of_different_sizes():
    # the order-statistic grid assumes one reference size; different sizes must give the
    # bisection solver's answer (it used to mis-index the smaller reference or crash)
    from synthkit.overlap import calibrated_pair_overlap

    rng = np.random.default_rng(0)
    u_i, u_j = rng.standard_t(4, 3000), rng.standard_t(4, 100)
    for gap in (0.5, 3.0):
        got = calibrated_pair_overlap(u_i, u_j, 1.0, 1.5, gap)
        want = calibrated_overlap(np.array([gap]), 1.0, 1.5, np.sort(u_i)[None],
                                  np.sort(u_j)[None])[0]
        assert got == pytest.approx(want, abs=1e-9)


def test_calibrated_matrix_rejects_singular_factors_and_handles_equal_centers():
    from synthkit.overlap import calibrated_overlap_matrix

    ref = np.random.default_rng(1).standard_t(4, (2000, 2))
    with pytest.raises(SpecError, match="positive definite"):
        calibrated_overlap_matrix([[0.0, 0.0], [3.0, 0.0]], np.zeros((2, 2, 2)), [None, ref])
    with np.errstate(all="raise"):  # no 0/0 when the pair has no direction
        ov = calibrated_overlap_matrix(np.zeros((2, 2)), np.tile(np.eye(2), (2, 1, 1)),
                                       [ref, ref])
    assert ov[0, 1] == 1.0


def test_empirical_overlap_is_at_most_one_for_equal_means():
    X = np.array([[0.0], [1.0], [0.0], [1.0]])
    assert empirical_overlap_matrix(X, [0, 0, 1, 1])[0, 1] == 1.0


# ------------------------------------------------- best linear rule of non-normal clusters


def _rot(t):
    return np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])


def _exponential_pair_best_by_quadrature(mu_j, A_i, A_j, K=20_000):
    """Exact best-linear overlap of two 2-D clusters ``x = mu + A z``, z iid standardised
    exponential (``E - 1``), by brute force over directions.

    Along ``a`` the projection is ``w1 z1 + w2 z2`` (``w = A'a``): its survival function is
    integrated exactly in the larger-weight coordinate (closed-form exponential tail) and
    by midpoint quadrature on ``K`` quantiles of the other; the minimax threshold is a
    root (brentq), and the direction a grid of 180 angles refined by bounded Brent search.
    """
    from scipy.optimize import brentq, minimize_scalar

    zq = -np.log1p(-(np.arange(K) + 0.5) / K) - 1.0

    def sf(w, t):  # P(w'z > t)
        w1, w2 = (w[0], w[1]) if abs(w[0]) >= abs(w[1]) else (w[1], w[0])
        s = (t - w2 * zq) / w1
        tail = np.where(s < -1.0, 1.0, np.exp(-np.minimum(s + 1.0, 700.0)))
        return float(np.mean(tail if w1 > 0 else 1.0 - tail))

    def error(theta):
        a = np.array([np.cos(theta), np.sin(theta)])
        w_i, w_j, loc = A_i.T @ a, A_j.T @ a, a @ mu_j
        c = brentq(lambda c: sf(w_i, c) - (1.0 - sf(w_j, c - loc)), min(0, loc) - 60,
                   max(0, loc) + 60, xtol=1e-12)
        return sf(w_i, c)

    grid = np.linspace(0, 2 * np.pi, 180, endpoint=False)
    b = grid[int(np.argmin([error(t) for t in grid]))]
    h = grid[1]
    best = minimize_scalar(error, bounds=(b - h, b + h), method="bounded",
                           options={"xatol": 1e-7})
    return 2 * best.fun


def test_best_linear_overlap_of_exponential_pair_matches_quadrature():
    """Skewed clusters: the certificate is the best linear rule's overlap, not the overlap
    along the normal-theory direction (which is 3x-5x larger here)."""
    from synthkit.overlap import calibrated_overlap_matrix

    A_i = _rot(1.29) @ np.diag([1.0, 0.43])
    A_j = _rot(2.37) @ np.diag([0.99, 0.76])
    m = 80_000
    z = np.random.default_rng(7).standard_exponential((m, 2)) - 1.0
    for mu_j in ([0.76, -3.16], [0.85, -3.51]):
        mu_j = np.array(mu_j)
        exact = _exponential_pair_best_by_quadrature(mu_j, A_i, A_j)
        ov = calibrated_overlap_matrix(np.stack([np.zeros(2), mu_j]), np.stack([A_i, A_j]),
                                       [z, z])[0, 1]
        # the certificate is evaluated on at least half of the m draws: binomial SE bound
        e = exact / 2
        se = 2 * np.sqrt(e * (1 - e) / (m / 2))
        assert abs(ov - exact) < 4 * se, (ov, exact, se)
        from synthkit.overlap import best_linear_pair_overlap

        pair, pair_se, a = best_linear_pair_overlap(np.zeros(2), A_i, z, mu_j, A_j, z)
        assert pair == ov and 0 < pair_se <= se
        # measured on fresh points with the direction searched on them: the same value
        rng = np.random.default_rng(8)
        n = 100_000
        X = np.vstack([(rng.standard_exponential((n, 2)) - 1.0) @ A_i.T,
                       mu_j + (rng.standard_exponential((n, 2)) - 1.0) @ A_j.T])
        y = np.repeat([0, 1], n)
        emp = empirical_overlap_matrix(X, y, direction="best")[0, 1]
        se_emp = 2 * np.sqrt(e * (1 - e) / n)
        assert abs(emp - exact) < 4 * se_emp + 1e-3, (emp, exact)
        assert empirical_overlap_matrix(X, y)[0, 1] > exact + 8 * se_emp  # moment direction


def test_best_linear_pair_overlap_normal_and_degenerate_pairs():
    from synthkit.overlap import best_linear_pair_overlap

    ov, se, a = best_linear_pair_overlap([0.0, 0.0], np.eye(2), None, [3.92, 0.0], np.eye(2), None)
    assert ov == pytest.approx(0.05, abs=1e-4) and se == 0.0
    np.testing.assert_allclose(a, [1.0, 0.0], atol=1e-12)
    z = np.random.default_rng(0).standard_t(5, (4000, 2)) / np.sqrt(5 / 3)
    assert best_linear_pair_overlap([1.0, 2.0], np.eye(2), z, [1.0, 2.0], np.eye(2), z)[0] == 1.0
    with pytest.raises(SpecError, match="reference"):
        from synthkit.overlap import calibrated_overlap_matrix

        calibrated_overlap_matrix([[0.0, 0.0], [3.0, 0.0]], np.tile(np.eye(2), (2, 1, 1)),
                                  [z[:, :1], None])


def test_pair_overlap_along_scaled_exponential_pair_closed_form():
    """One rule, centers scaled by ``lam``, the same draws: two unit exponential clusters
    ``z - 1`` and ``lam d + z' - 1`` on a line have minimax error ``1 / (1 + exp(lam d))``
    (``exp(-(c + 1)) = 1 - exp(-(c + 1 - lam d))``), so the overlap is
    ``2 / (1 + exp(lam d))`` and the scale for an overlap ``o`` is ``log(2 / o - 1) / d``."""
    from synthkit.clusters.overlap import _evaluate_direction
    from synthkit.overlap import calibrated_pair_overlap, pair_overlap_along

    m, d = 200_000, 3.0
    rng = np.random.default_rng(11)
    z_i = rng.standard_exponential((m, 1)) - 1.0
    z_j = rng.standard_exponential((m, 1)) - 1.0
    lam = np.array([0.5, 1.0, 1.5, 2.0])
    ov = pair_overlap_along([0.0], [[1.0]], z_i, [d], [[1.0]], z_j, [1.0], lam)
    exact = 2 / (1 + np.exp(lam * d))
    e = exact / 2
    # the root uses both clusters' empirical quantiles: two binomial SEs of the error rate
    se = 2 * np.sqrt(2 * e * (1 - e) / m)
    np.testing.assert_array_less(np.abs(ov - exact), 4 * se)
    # the same value as the one-gap solver, scale by scale
    for s, v in zip(lam, ov, strict=True):
        assert v == calibrated_pair_overlap(z_i[:, 0], z_j[:, 0], 1.0, 1.0, s * d)
    # closed-form inverse: exact on the draws, near the closed form of the law
    cert = _evaluate_direction(np.array([1.0]), np.array([d]), np.eye(1), np.eye(1), z_i, z_j)
    for level in (0.01, 0.05, 0.2):
        s = cert.scale_for(level)
        assert cert.at_scale(s) == pytest.approx(level, rel=1e-12)
        lam_exact = np.log(2 / level - 1) / d
        slope = d * level * (1 - level / 2)  # |d overlap / d lam| at lam_exact
        tol = 4 * 2 * np.sqrt(2 * level / 2 * (1 - level / 2) / m) / slope
        assert abs(s - lam_exact) < tol, (level, s, lam_exact)
    with pytest.raises(SpecError, match="overlap"):
        cert.scale_for(0.0)


def test_pair_overlap_along_is_monotone_through_the_reference_resolution():
    """Deterministic and non-increasing in the scale down to the resolution ``2 / m`` and
    beyond (a bisection over a common center scale needs no noise, no jumps)."""
    from synthkit.clusters.overlap import _best_linear_pair
    from synthkit.overlap import calibrated_pair_overlap, exact_q, pair_overlap_along

    rng = np.random.default_rng(5)
    m, p = 4000, 3
    z = rng.uniform(-np.sqrt(3), np.sqrt(3), (m, p))  # bounded support: the floor is reached
    A_i, A_j = np.eye(p), np.diag([1.5, 0.7, 1.0])
    mu_j = np.array([2.0, 1.0, -0.5])
    q, a, _, _, _ = exact_q(mu_j[None], (A_i @ A_i.T)[None], (A_j @ A_j.T)[None],
                            return_direction=True)
    cert = _best_linear_pair(np.zeros(p), A_i, z, mu_j, A_j, z, a[0])
    lam = np.linspace(0.01, 4.0, 3000)
    ov = cert.at_scale(lam)
    assert np.all(np.diff(ov) <= 0) and ov[0] > 0.9 and ov[-1] < 2.0 / m
    assert cert.at_scale(1.0) == cert.overlap
    np.testing.assert_array_equal(
        ov[::50], [calibrated_pair_overlap(cert.u_i, cert.u_j, cert.s_i, cert.s_j, s * cert.gap)
                   for s in lam[::50]])
    held = z[m - cert.u_i.shape[0]:]  # the certificate's evaluation draws (all, or held out)
    np.testing.assert_allclose(ov[::50], pair_overlap_along(np.zeros(p), A_i, held, mu_j, A_j, held,
                                                            cert.direction, lam[::50]), rtol=1e-9)
    # the one-gap solver itself no longer jumps up at the resolution floor
    g = cert.gap * np.linspace(1.0, 4.0, 4000)
    vals = [calibrated_pair_overlap(cert.u_i, cert.u_j, cert.s_i, cert.s_j, x) for x in g]
    assert np.all(np.diff(vals) <= 0)


def test_pair_overlap_along_normal_pair_and_bad_direction():
    from synthkit.overlap import exact_q, pair_overlap_along

    S_i, S_j = np.diag([1.0, 4.0]), np.array([[2.0, 0.5], [0.5, 1.0]])
    mu_j = np.array([2.0, 3.0])
    q, a, _, _, _ = exact_q(mu_j[None], S_i[None], S_j[None], return_direction=True)
    lam = np.array([0.5, 1.0, 2.0])
    ov = pair_overlap_along(np.zeros(2), np.linalg.cholesky(S_i), None, mu_j,
                            np.linalg.cholesky(S_j), None, a[0], lam)
    np.testing.assert_allclose(ov, q_to_overlap(lam * q[0]), rtol=1e-10)
    with pytest.raises(SpecError, match="direction"):
        pair_overlap_along(np.zeros(2), np.eye(2), None, mu_j, np.eye(2), None, [0.0, 0.0])


def test_robust_location_scatter_is_consistent_at_the_normal_and_ignores_extremes():
    """The robust start of the empirical search: at the normal it estimates the covariance
    (the 75% core rescaled by the chi-square factor); 1% gross outliers barely move it."""
    from synthkit.clusters.overlap import _robust_location_scatter

    rng = np.random.default_rng(21)
    C = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, 0.2], [0.0, 0.2, 0.5]])
    n = 100_000
    X = rng.multivariate_normal([1.0, 2.0, 3.0], C, n)
    # standard error of a covariance entry from n_eff = 0.75 n points, times an
    # efficiency loss of the trimmed estimator of at most 2
    se = 2 * np.sqrt((np.outer(np.diag(C), np.diag(C)) + C**2) / (0.75 * n))
    loc, S = _robust_location_scatter(X)
    np.testing.assert_array_less(np.abs(S - C), 5 * se)
    np.testing.assert_array_less(np.abs(loc - [1.0, 2.0, 3.0]), 5 * 2 * np.sqrt(np.diag(C) / n))
    X[: n // 100] = 1e6 * rng.standard_cauchy((n // 100, 3))
    loc2, S2 = _robust_location_scatter(X)
    assert np.trace(np.cov(X, rowvar=False)) > 1e6 * np.trace(C)
    np.testing.assert_allclose(S2, C, atol=0.1 * np.trace(C))
