"""Tests of synthkit.overlap.bayes_overlap: closed forms, Monte Carlo with standard errors, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.stats import multivariate_normal, norm

from synthkit.errors import SpecError
from synthkit.overlap import bayes_overlap, bayes_overlap_matrix


def _random_cov(rng, p: int, scale: float = 1.0) -> np.ndarray:
    A = rng.normal(size=(p, p))
    return scale * (A @ A.T / p + 0.3 * np.eye(p))


def _lda_closed_form(mu_i, mu_j, S, w_i) -> float:
    """``Phi(-D/2 + log(pi_j/pi_i)/D) + Phi(-D/2 - log(pi_j/pi_i)/D)``, D the Mahalanobis distance."""
    d = np.asarray(mu_j) - np.asarray(mu_i)
    D = np.sqrt(d @ np.linalg.solve(S, d))
    r = np.log((1 - w_i) / w_i)
    return float(norm.cdf(-D / 2 + r / D) + norm.cdf(-D / 2 - r / D))


def _p1_error(m1, s1, m2, s2, w1, w2) -> float:
    """``P_{X ~ N(m1, s1^2)}[w2 phi_2(X) > w1 phi_1(X)]`` from the two roots of the quadratic."""
    # w2 phi_2 > w1 phi_1  <=>  A x^2 + B x + C < 0
    A = 1 / s2**2 - 1 / s1**2
    B = -2 * m2 / s2**2 + 2 * m1 / s1**2
    C = m2**2 / s2**2 - m1**2 / s1**2 - 2 * np.log(w2 / w1) - 2 * np.log(s1 / s2)
    disc = B * B - 4 * A * C
    if disc <= 0:
        return 0.0 if A > 0 else 1.0
    r1, r2 = sorted([(-B - np.sqrt(disc)) / (2 * A), (-B + np.sqrt(disc)) / (2 * A)])
    inside = norm.cdf((r2 - m1) / s1) - norm.cdf((r1 - m1) / s1)
    return float(inside if A > 0 else 1 - inside)


@pytest.mark.parametrize("p", [1, 2, 5, 12])
@pytest.mark.parametrize("w_i", [0.5, 0.2, 0.85])
def test_equal_covariances_match_lda_closed_form(p, w_i):
    rng = np.random.default_rng(p)
    S = _random_cov(rng, p)
    mu_i = rng.normal(size=p)
    mu_j = mu_i + rng.normal(size=p)
    got = bayes_overlap(mu_i, S, mu_j, S, weights=(w_i, 1 - w_i))
    assert got == pytest.approx(_lda_closed_form(mu_i, mu_j, S, w_i), abs=1e-8)


@pytest.mark.parametrize(
    "m1, s1, m2, s2, w1",
    [
        (0.0, 1.0, 0.0, 2.0, 0.5),  # equal means: the slowest-decaying characteristic function
        (0.0, 1.0, 1.0, 3.0, 0.3),
        (0.0, 1.0, 0.5, 1.1, 0.5),
        (0.0, 1.0, 4.0, 0.5, 0.8),
        (0.0, 2.0, 3.0, 1.0, 0.5),
        (1.0, 1.0, 1.0, 1.0001, 0.6),
    ],
)
def test_p1_unequal_variances_match_roots_of_the_quadratic(m1, s1, m2, s2, w1):
    w2 = 1 - w1
    expected = _p1_error(m1, s1, m2, s2, w1, w2) + _p1_error(m2, s2, m1, s1, w2, w1)
    got = bayes_overlap([m1], [[s1**2]], [m2], [[s2**2]], weights=(w1, w2))
    assert got == pytest.approx(expected, abs=1e-8)


def _p2_error(mu_i, S_i, mu_j, S_j, w_i, w_j) -> float:
    """``P_{X ~ N(mu_i, S_i)}[w_j phi_j(X) > w_i phi_i(X)]`` at p = 2 (ties have probability 0).

    Conditioning on ``x2`` leaves a quadratic inequality in ``x1`` (two roots, normal CDFs of
    ``x1 | x2``); the outer integral over ``x2`` is split where the discriminant vanishes.
    """
    P_i, P_j = np.linalg.inv(S_i), np.linalg.inv(S_j)
    const = np.log(w_j / w_i) - 0.5 * np.linalg.slogdet(S_j)[1] + 0.5 * np.linalg.slogdet(S_i)[1]

    def f(x1, x2):  # log(w_j phi_j) - log(w_i phi_i)
        x = np.array([x1, x2])
        return const - 0.5 * (x - mu_j) @ P_j @ (x - mu_j) + 0.5 * (x - mu_i) @ P_i @ (x - mu_i)

    alpha = -0.5 * (P_j[0, 0] - P_i[0, 0])
    sd2 = np.sqrt(S_i[1, 1])
    cond_sd = np.sqrt(S_i[0, 0] - S_i[0, 1] ** 2 / S_i[1, 1])

    def coeffs(x2):
        gamma = f(0.0, x2)
        return gamma, f(1.0, x2) - alpha - gamma

    def inner(x2):  # P[alpha x1^2 + beta x1 + gamma > 0 | x2]
        gamma, beta = coeffs(x2)
        m = mu_i[0] + S_i[0, 1] / S_i[1, 1] * (x2 - mu_i[1])
        if abs(alpha) < 1e-14:
            r = -gamma / beta
            return norm.sf((r - m) / cond_sd) if beta > 0 else norm.cdf((r - m) / cond_sd)
        disc = beta * beta - 4 * alpha * gamma
        if disc <= 0:
            return 1.0 if alpha > 0 else 0.0
        r1, r2 = sorted([(-beta - np.sqrt(disc)) / (2 * alpha), (-beta + np.sqrt(disc)) / (2 * alpha)])
        between = norm.cdf((r2 - m) / cond_sd) - norm.cdf((r1 - m) / cond_sd)
        return 1 - between if alpha > 0 else between

    lo, hi = mu_i[1] - 12 * sd2, mu_i[1] + 12 * sd2
    xs = np.array([lo, 0.5 * (lo + hi), hi])  # the discriminant is quadratic in x2
    disc = [coeffs(x)[1] ** 2 - 4 * alpha * coeffs(x)[0] for x in xs]
    roots = np.roots(np.polyfit(xs, disc, 2))
    edges = np.unique(np.r_[lo, np.sort(roots[np.isreal(roots)].real.clip(lo, hi)), hi])
    return sum(quad(lambda x2: inner(x2) * norm.pdf(x2, mu_i[1], sd2), a, b, epsabs=1e-14,
                    epsrel=1e-12, limit=500)[0] for a, b in zip(edges[:-1], edges[1:], strict=True))


@pytest.mark.parametrize("seed", range(4))
def test_p2_matches_conditional_integration(seed):
    """An independent exact value at p = 2: 1-D quadrature of conditional normal probabilities."""
    rng = np.random.default_rng(seed)
    S_i, S_j = _random_cov(rng, 2), _random_cov(rng, 2, float(rng.uniform(0.3, 3)))
    mu_i, mu_j = rng.normal(size=2), rng.normal(size=2)
    w_i = float(rng.uniform(0.2, 0.8))
    expected = (_p2_error(mu_i, S_i, mu_j, S_j, w_i, 1 - w_i)
                + _p2_error(mu_j, S_j, mu_i, S_i, 1 - w_i, w_i))
    got = bayes_overlap(mu_i, S_i, mu_j, S_j, weights=(w_i, 1 - w_i))
    assert got == pytest.approx(expected, abs=1e-10)


def _monte_carlo(mu_i, S_i, mu_j, S_j, w_i, n, rng) -> tuple[float, float]:
    """Bayes overlap on ``n`` draws per cluster and its standard error (summed over the terms)."""
    w_j = 1 - w_i
    fi = multivariate_normal(mu_i, S_i)
    fj = multivariate_normal(mu_j, S_j)
    total = se = 0.0
    for f_own, mu, S, lw_own, lw_other, ties_err in (
        (fi, mu_i, S_i, np.log(w_i), np.log(w_j), False),
        (fj, mu_j, S_j, np.log(w_j), np.log(w_i), True),
    ):
        X = rng.multivariate_normal(mu, S, size=n)
        f_other = fj if f_own is fi else fi
        own = lw_own + f_own.logpdf(X)
        other = lw_other + f_other.logpdf(X)
        err = float(np.mean(other >= own if ties_err else other > own))
        total += err
        se += np.sqrt(max(err * (1 - err), 1.0 / n) / n)
    return total, se


@pytest.mark.parametrize("p, w_i, sep", [(1, 0.5, 1.0), (1, 0.3, 2.0), (2, 0.5, 1.5), (2, 0.7, 2.5),
                                         (5, 0.5, 2.0), (5, 0.25, 3.0)])
def test_general_covariances_match_monte_carlo(p, w_i, sep):
    rng = np.random.default_rng(100 + p)
    S_i = _random_cov(rng, p)
    S_j = _random_cov(rng, p, scale=2.5)
    mu_i = np.zeros(p)
    mu_j = sep * rng.normal(size=p) / np.sqrt(p)
    exact = bayes_overlap(mu_i, S_i, mu_j, S_j, weights=(w_i, 1 - w_i))
    mc, se = _monte_carlo(mu_i, S_i, mu_j, S_j, w_i, 400_000, rng)
    assert abs(exact - mc) <= 4 * se, (exact, mc, se)


def test_identical_clusters_overlap_one_whatever_the_weights():
    S = _random_cov(np.random.default_rng(3), 3)
    for w in (0.5, 0.2, 0.9):
        assert bayes_overlap(np.ones(3), S, np.ones(3), S, weights=(w, 1 - w)) == 1.0


def test_symmetric_and_matrix_consistent():
    rng = np.random.default_rng(7)
    k, p = 4, 3
    means = rng.normal(size=(k, p)) * 1.5
    covs = np.stack([_random_cov(rng, p, s) for s in (0.5, 1.0, 2.0, 1.0)])
    w = np.array([0.1, 0.2, 0.3, 0.4])
    M = bayes_overlap_matrix(means, covs, w)
    assert M.shape == (k, k)
    np.testing.assert_allclose(M, M.T)
    np.testing.assert_array_equal(np.diag(M), 0.0)
    for i, j in ((0, 1), (1, 3), (2, 0)):
        wi, wj = w[i] / (w[i] + w[j]), w[j] / (w[i] + w[j])
        ij = bayes_overlap(means[i], covs[i], means[j], covs[j], weights=(wi, wj))
        ji = bayes_overlap(means[j], covs[j], means[i], covs[i], weights=(wj, wi))
        assert ij == pytest.approx(ji, abs=1e-10)
        assert M[i, j] == pytest.approx(ij, abs=1e-10)
    assert np.all((M >= 0) & (M <= 2))


def test_bayes_overlap_at_most_the_linear_overlap_sum():
    """The Bayes rule errs no more than the best linear rule: sum of errors <= linear overlap."""
    from synthkit.overlap import pairwise_overlap

    rng = np.random.default_rng(11)
    for _ in range(5):
        S_i, S_j = _random_cov(rng, 4), _random_cov(rng, 4, 3.0)
        mu_j = rng.normal(size=4)
        assert bayes_overlap(np.zeros(4), S_i, mu_j, S_j) <= pairwise_overlap(
            np.zeros(4), S_i, mu_j, S_j) + 1e-10


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (([0, 0], np.eye(2), [0, 0, 0], np.eye(3)), {}, "one length"),
        (([0, 0], np.eye(3), [1, 0], np.eye(2)), {}, "cov_i"),
        (([0, 0], np.eye(2), [1, 0], np.diag([1.0, -1.0])), {}, "positive definite"),
        (([0, 0], np.eye(2), [1, 0], np.eye(2)), {"weights": (0.0, 1.0)}, "positive"),
        (([0, 0], np.eye(2), [1, 0], np.eye(2)), {"weights": (0.5, 0.6)}, "sum to 1"),
        (([0, 0], np.eye(2), [1, 0], np.eye(2)), {"weights": (1.0,)}, "2 prior weights"),
        (([0, 0], np.eye(2), [np.nan, 0], np.eye(2)), {}, "finite"),
        (("ab", np.eye(1), [1], np.eye(1)), {}, "arrays of numbers"),
        (([], np.zeros((0, 0)), [], np.zeros((0, 0))), {}, "p >= 1"),
        # relative eigenvalues 1e16 apart: clipped by round-off guards the value was 1.6e-4, not 9.3e-5
        (([0, 0], np.diag([1e-8, 1e8]), [1, 0], np.eye(2)), {}, "condition number 1e\\+16"),
    ],
)
def test_bad_input_raises_spec_error(args, kwargs, match):
    with pytest.raises(SpecError, match=match):
        bayes_overlap(*args, **kwargs)


def test_matrix_bad_weights_raise():
    with pytest.raises(SpecError, match="3 prior weights"):
        bayes_overlap_matrix(np.zeros((3, 2)), np.stack([np.eye(2)] * 3), [0.5, 0.5])
    with pytest.raises(SpecError, match="shape"):
        bayes_overlap_matrix(np.zeros((3, 2)), np.stack([np.eye(2)] * 2))


@pytest.mark.parametrize("ratio", [1e8, 1e11, 1e12])
def test_covariances_stretched_in_different_directions(ratio):
    """Condition d^2 each, generalised eigenvalue ratio d^4: exact up to the accepted ratio (an
    eigenvalue floor at 1e-13 of the largest used to double the value from about 1e13 on)."""
    d = ratio ** 0.25
    S_i, S_j = np.diag([d, 1 / d]), np.diag([1 / d, d])
    mu_i, mu_j = np.zeros(2), np.ones(2)
    got = bayes_overlap(mu_i, S_i, mu_j, S_j)
    mc, se = _monte_carlo(mu_i, S_i, mu_j, S_j, 0.5, 1_000_000, np.random.default_rng(7))
    assert abs(got - mc) <= 4 * se, (got, mc, se)


@pytest.mark.parametrize("ratio", [1e13, 1e16])
def test_pairs_beyond_the_verified_eigenvalue_ratio_are_refused(ratio):
    d = ratio ** 0.25
    with pytest.raises(SpecError, match="generalised eigenvalue ratio"):
        bayes_overlap(np.zeros(2), np.diag([d, 1 / d]), np.ones(2), np.diag([1 / d, d]))
