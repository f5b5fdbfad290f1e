"""Tests of the dependence toolkit (synthkit.dependence): estimation, checks, repair,
Cholesky, Iman–Conover, NORTA, copulas, latent MLE."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from synthkit.dependence.checks import check_correlation_matrix, is_positive_definite
from synthkit.dependence.cholesky import cholesky_factor, correlate
from synthkit.dependence.copula import (
    fit_gaussian_copula,
    fit_t_copula,
    sample_conditional_normal,
    sample_gaussian_copula,
    sample_t_copula,
    t_copula_loglik,
    truncated_normal,
)
from synthkit.dependence.correlation import (
    convert_correlation,
    correlation,
    kendall_to_pearson,
    pearson_to_kendall,
    pearson_to_spearman,
    pseudo_observations,
    spearman_to_pearson,
)
from synthkit.dependence.iman_conover import iman_conover
from synthkit.dependence.latent import bvn_cdf, pairwise_latent_correlation
from synthkit.dependence.norta import attainable_range, norta_correlation, norta_pair
from synthkit.dependence.repair import nearest_correlation
from synthkit.errors import DataError, SpecError

R3 = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 1.0]])


def _mvn(n, corr, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, corr.shape[0])) @ np.linalg.cholesky(corr).T


# ----------------------------------------------------------------- estimation
def test_estimators_agree_with_scipy_and_pandas():
    x = _mvn(2000, R3, 1)
    df = pd.DataFrame(x, columns=list("abc"))
    np.testing.assert_allclose(correlation(x, "pearson"), np.corrcoef(x, rowvar=False), atol=1e-12)
    np.testing.assert_allclose(
        correlation(x, "spearman"), df.corr("spearman").to_numpy(), atol=1e-12
    )
    np.testing.assert_allclose(
        correlation(x[:400], "kendall"), df.iloc[:400].corr("kendall").to_numpy(), atol=1e-12
    )
    out = correlation(df, "normal_scores", seed=0)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list("abc")
    # normal scores estimate the latent correlation within ~4/sqrt(n)
    assert np.abs(out.to_numpy() - R3).max() < 4 / np.sqrt(2000)


def test_gaussian_conversions_match_theory_and_invert():
    rho = np.linspace(-0.95, 0.95, 9)
    np.testing.assert_allclose(spearman_to_pearson(pearson_to_spearman(rho)), rho, atol=1e-13)
    np.testing.assert_allclose(kendall_to_pearson(pearson_to_kendall(rho)), rho, atol=1e-13)
    # against large-sample Gaussian estimates
    x = _mvn(200_000, np.array([[1, 0.7], [0.7, 1]]), 2)
    rs = stats.spearmanr(x[:, 0], x[:, 1]).statistic
    assert abs(rs - pearson_to_spearman(0.7)) < 4 / np.sqrt(200_000)
    m = convert_correlation(np.array([[1, 0.5], [0.5, 1]]), "spearman", "kendall")
    assert m[0, 0] == 1.0 and abs(m[0, 1] - pearson_to_kendall(spearman_to_pearson(0.5))) < 1e-14


def test_distributional_transform_breaks_ties_uniformly():
    x = np.repeat([1.0, 2.0, 3.0], [500, 300, 200])[:, None]
    u = pseudo_observations(x, seed=3)[:, 0]
    assert np.unique(u).size == 1000  # all ties broken
    assert stats.kstest(u, "uniform").statistic < 1.63 / np.sqrt(1000)
    # the atom at 1 occupies exactly the bottom half of the ranks
    assert u[:500].max() < u[500:].min()


def test_correlation_bad_input_messages():
    with pytest.raises(DataError, match="missing values in column"):
        correlation(np.array([[1.0, np.nan], [2.0, 3.0], [3.0, 1.0]]))
    with pytest.raises(DataError, match=r"constant column\(s\) \['b'\]"):
        correlation(pd.DataFrame({"a": [1.0, 2, 3], "b": [5.0, 5, 5]}))
    with pytest.raises(SpecError, match="`method` must be one of"):
        correlation(np.eye(3), "foo")


# ----------------------------------------------------------------- checks
@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ([[1, 0.5, 0.2], [0.5, 1, 0.1]], r"must be square \(d x d\), got shape \(2, 3\)"),
        ([[1, 0.5], [0.4, 1]], "must be symmetric, but entry"),
        ([[1, 1.3], [1.3, 1]], r"must be in \[-1, 1\], got 1.3"),
        ([[1, np.nan], [np.nan, 1]], "non-finite entry"),
        ([[2, 0.1], [0.1, 1]], "diagonal entries must be 1, got 2"),
        ([["a", 0], [0, 1]], "square array of numbers"),
        (np.zeros((0, 0)), "matrix is empty"),
    ],
)
def test_check_correlation_matrix_errors(matrix, message):
    with pytest.raises(SpecError, match=message):
        check_correlation_matrix(matrix)


def test_check_correlation_matrix_alignment():
    with pytest.raises(SpecError, match=r"matrix is 2 x 2 but the table has 3 columns"):
        check_correlation_matrix(np.eye(2), ["a", "b", "c"])
    df = pd.DataFrame([[1, 0.3], [0.3, 1]], index=["b", "a"], columns=["b", "a"])
    with pytest.raises(SpecError, match=r"do not match the table: missing \['c'\], unknown"):
        check_correlation_matrix(
            pd.DataFrame(np.eye(2), index=["a", "x"], columns=["a", "x"]), ["a", "c"]
        )
    m = check_correlation_matrix(df, ["a", "b"])
    assert m[0, 1] == 0.3
    m = check_correlation_matrix({"a,c": -0.4, ("b", "c"): 0.2}, ["a", "b", "c"])
    assert m[0, 2] == m[2, 0] == -0.4 and m[1, 2] == 0.2 and m[0, 1] == 0
    with pytest.raises(SpecError, match=r"unknown column\(s\) \['z'\]"):
        check_correlation_matrix({"a,z": 0.1}, ["a", "b"])
    # a pair given twice must agree, even when the first value is 0
    with pytest.raises(SpecError, match="given twice with different values"):
        check_correlation_matrix({"a,b": 0.0, "b,a": 0.5}, ["a", "b"])
    assert check_correlation_matrix({"a,b": 0.5, "b,a": 0.5}, ["a", "b"])[0, 1] == 0.5


# ----------------------------------------------------------------- repair
def test_repair_non_pd_to_pd_with_unit_diagonal():
    bad = np.array(
        [[1, 0.9, 0.9, -0.6], [0.9, 1, 0.9, 0.2], [0.9, 0.9, 1, 0.8], [-0.6, 0.2, 0.8, 1]]
    )
    assert not is_positive_definite(bad)
    rep = nearest_correlation(bad, list("abcd"))
    assert rep.repaired and rep.min_eigenvalue_before < 0
    np.testing.assert_array_equal(np.diag(rep.matrix), np.ones(4))
    np.testing.assert_array_equal(rep.matrix, rep.matrix.T)
    assert np.linalg.eigvalsh(rep.matrix)[0] >= 1e-8 * (1 - 1e-6)
    np.linalg.cholesky(rep.matrix)  # stable
    frame = rep.to_frame()
    assert len(frame) == 6 and abs(frame["change"]).max() == pytest.approx(rep.max_change)
    # nearest: closer (Frobenius) than the naive "subtract lambda_min, rescale" fix
    w = np.linalg.eigvalsh(bad)[0]
    naive = bad - 1.1 * w * np.eye(4)
    s = 1 / np.sqrt(np.diag(naive))
    naive = naive * s[:, None] * s[None, :]
    assert np.linalg.norm(rep.matrix - bad) < np.linalg.norm(naive - bad)
    assert "not positive definite" in str(rep)


def test_repair_strict_raises_and_pd_untouched():
    with pytest.raises(SpecError, match="not positive definite .* pass strict=False"):
        nearest_correlation([[1, 0.9, 0.1], [0.9, 1, 0.9], [0.1, 0.9, 1]], strict=True)
    rep = nearest_correlation(R3)
    assert not rep.repaired and rep.max_change == 0 and np.array_equal(rep.matrix, R3)


# ----------------------------------------------------------------- cholesky
def test_cholesky_exact_and_statistical():
    L = cholesky_factor(R3)
    z = np.random.default_rng(5).standard_normal((1000, 3))
    x = correlate(z, L, exact=True)
    assert np.abs(np.corrcoef(x, rowvar=False) - R3).max() < 1e-10
    n = 20_000
    x = correlate(np.random.default_rng(6).standard_normal((n, 3)), L)
    assert np.abs(np.corrcoef(x, rowvar=False) - R3).max() < 4 / np.sqrt(n)
    with pytest.raises(SpecError, match="not positive definite"):
        cholesky_factor(np.array([[1, 1.0], [1.0, 1]]) + np.array([[0, 0.01], [0.01, 0]]))


# ----------------------------------------------------------------- Iman–Conover
def test_iman_conover_keeps_marginals_and_hits_spearman():
    """Spearman within 4 standard errors of the target, ``(1 - rho^2) sqrt(1.06 / n)`` (the
    Fieller-Hartley-Pearson variance of atanh r_s) at 200,000 rows; without the
    ``2 sin(pi rho / 6)`` pre-adjustment it lands 0.017 off, on ``6/pi asin(rho/2)``."""
    n = 200_000
    rng = np.random.default_rng(7)
    x = np.column_stack([rng.lognormal(size=n), rng.gamma(2.0, size=n), rng.integers(0, 5, n)])
    target = np.array([[1, 0.7, -0.4], [0.7, 1, 0.3], [-0.4, 0.3, 1]])
    y = iman_conover(x[:, :2], target[:2, :2], seed=8)
    for j in range(2):
        np.testing.assert_array_equal(np.sort(y[:, j]), np.sort(x[:, j]))
    se = lambda r: (1 - r**2) * np.sqrt(1.06 / n)  # noqa: E731
    assert abs(stats.spearmanr(y[:, 0], y[:, 1]).statistic - 0.7) < 4 * se(0.7)
    y3 = iman_conover(x, target, seed=9)
    rs = pd.DataFrame(y3).corr("spearman").to_numpy()
    assert abs(rs[0, 1] - 0.7) < 4 * se(0.7)  # (the tied integer column cannot reach its targets)
    # without the pre-adjustment, Spearman lands on 6/pi asin(rho/2) instead (biased)
    yb = iman_conover(x[:, :2], target[:2, :2], seed=8, adjust=False)
    rb = stats.spearmanr(yb[:, 0], yb[:, 1]).statistic
    assert abs(rb - pearson_to_spearman(0.7)) < 4 * se(0.7) and abs(rb - 0.7) > 8 * se(0.7)


# ----------------------------------------------------------------- NORTA
def _norta_check(marginals, target, n, seed, tol):
    res = norta_correlation(target, marginals)
    z = (
        np.random.default_rng(seed).standard_normal((n, len(marginals)))
        @ cholesky_factor(res.latent).T
    )
    x = np.column_stack([m.ppf(special.ndtr(z[:, k])) for k, m in enumerate(marginals)])
    err = np.abs(np.corrcoef(x, rowvar=False) - target).max()
    assert err < tol, err
    return res


NORTA_MARGINALS = [stats.lognorm(0.8), stats.gamma(2.0), stats.beta(2, 5), stats.expon()]
NORTA_TARGET = np.array(
    [[1, 0.5, 0.3, -0.2], [0.5, 1, 0.4, 0.3], [0.3, 0.4, 1, 0.1], [-0.2, 0.3, 0.1, 1]]
)


def test_norta_light():
    res = _norta_check(NORTA_MARGINALS, NORTA_TARGET, 40_000, 10, 4 / np.sqrt(40_000) + 0.01)
    assert res.latent[0, 1] > 0.5  # lognormal pairs need a stronger latent correlation
    # normal marginals: latent == target
    assert norta_pair(0.37, stats.norm(1, 2), stats.norm(-3, 0.5)) == pytest.approx(0.37, abs=1e-8)


def test_norta_200k():
    _norta_check(NORTA_MARGINALS, NORTA_TARGET, 200_000, 11, 0.02)


def test_norta_attainable_interval_reported():
    lo, hi = attainable_range(stats.lognorm(1), stats.lognorm(1))
    assert lo == pytest.approx((np.exp(-1) - 1) / (np.e - 1), abs=1e-4)  # known closed form
    assert hi == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(SpecError, match=r"x0-x1 target -0.6 attainable \[-0.36"):
        norta_correlation([[1, -0.6], [-0.6, 1]], [stats.lognorm(1), stats.lognorm(1)])
    res = norta_correlation(
        [[1, -0.6], [-0.6, 1]], [stats.lognorm(1), stats.lognorm(1)], on_infeasible="clip"
    )
    assert res.infeasible[0]["attainable_low"] == pytest.approx(lo, abs=1e-9)
    assert res.latent[0, 1] < -0.99  # clipped to the countermonotone bound, then repaired


# ----------------------------------------------------------------- copulas
def test_gaussian_copula_fit_and_sample():
    n = 20_000
    u = special.ndtr(_mvn(n, R3, 12))
    corr, rep = fit_gaussian_copula(u)
    assert np.abs(corr - R3).max() < 4 / np.sqrt(n) and not rep.repaired
    v = sample_gaussian_copula(np.linalg.cholesky(R3), n, np.random.default_rng(1))
    assert v.min() > 0 and v.max() < 1
    assert stats.kstest(v[:, 0], "uniform").statistic < 1.63 / np.sqrt(n)


def test_t_copula_df_by_maximum_likelihood():
    L = np.linalg.cholesky(R3)
    u = sample_t_copula(L, 4.0, 4000, np.random.default_rng(13))
    corr, df, ll, _ = fit_t_copula(u)
    assert 2.5 < df < 7.0  # ML estimate near the true 4 (se ~ 0.6 at n = 4000)
    assert np.abs(corr - R3).max() < 0.06
    # the ML df beats nearby values
    assert ll >= t_copula_loglik(u, corr, 2 * df) and ll >= t_copula_loglik(u, corr, df / 2)
    # Gaussian data -> large df
    ug = special.ndtr(_mvn(4000, R3, 14))
    assert fit_t_copula(ug)[1] > 20


def test_truncated_normal_and_conditional_normal():
    rng = np.random.default_rng(15)
    x = truncated_normal(np.full(50_000, 1.0), np.full(50_000, 2.0), rng)
    ref = stats.truncnorm(1.0, 2.0)
    assert x.min() >= 1 and x.max() <= 2
    assert stats.kstest(x, ref.cdf).statistic < 1.63 / np.sqrt(50_000)
    # far tail stays finite and inside the interval
    y = truncated_normal(np.full(100, 30.0), np.full(100, np.inf), rng)
    assert np.all(np.isfinite(y)) and y.min() >= 30
    # scalar bounds and mean with per-row sd: the shape comes from sd too
    own = np.random.default_rng(0)  # keep `rng`'s stream for the checks below
    s = truncated_normal(0.0, 1.0, own, 0.0, np.linspace(0.5, 2.0, 7))
    assert s.shape == (7,) and s.min() >= 0 and s.max() <= 1
    with pytest.raises(SpecError, match="column index 5"):
        sample_conditional_normal(np.eye(2), {5: (0.0, 1.0)}, 3, own)
    # one interval condition: exact conditional law vs rejection from the joint
    c = np.array([[1, 0.8, 0.3], [0.8, 1, 0.5], [0.3, 0.5, 1]])
    z = sample_conditional_normal(c, {0: (0.5, 1.5)}, 40_000, rng)
    big = rng.standard_normal((600_000, 3)) @ np.linalg.cholesky(c).T
    keep = big[(big[:, 0] >= 0.5) & (big[:, 0] <= 1.5)]
    for j in (1, 2):
        assert stats.ks_2samp(z[:, j], keep[:, j]).statistic < 1.63 * np.sqrt(
            1 / len(z) + 1 / len(keep)
        )
    # two intervals (Gibbs) against rejection
    z2 = sample_conditional_normal(c, {0: (0.0, 1.0), 2: (-np.inf, 0.0)}, 40_000, rng)
    keep2 = big[(big[:, 0] >= 0) & (big[:, 0] <= 1) & (big[:, 2] <= 0)]
    assert z2[:, 0].min() >= 0 and z2[:, 2].max() <= 0
    assert abs(z2[:, 1].mean() - keep2[:, 1].mean()) < 0.02
    assert (
        abs(np.corrcoef(z2[:, 0], z2[:, 2])[0, 1] - np.corrcoef(keep2[:, 0], keep2[:, 2])[0, 1])
        < 0.03
    )


# ----------------------------------------------------------------- latent MLE
def test_bvn_cdf_against_scipy():
    h = np.array([-1.0, 0.5, 2.0, -3.0, np.inf, -np.inf])
    k = np.array([0.3, -0.7, 1.5, 2.0, 0.2, 0.4])
    for r in (-0.9, 0.0, 0.45, 0.99):
        ref = [
            stats.multivariate_normal([0, 0], [[1, r], [r, 1]]).cdf([min(a, 40), min(b, 40)])
            if np.isfinite(a) or a > 0
            else 0.0
            for a, b in zip(h, k, strict=True)
        ]
        np.testing.assert_allclose(bvn_cdf(h, k, r), ref, atol=1e-7)


def test_latent_likelihood_uses_the_owens_t_bivariate_normal_cdf():
    """One bivariate normal CDF in the package: the latent MLE's is NORTA's Owen's T one,
    accurate to 1e-12 against scipy's (tight tolerances) even at rho = 0.99999."""
    from synthkit.dependence import latent, norta

    assert latent.bvn_cdf is norta.bivariate_normal_cdf
    h, k = np.meshgrid(np.linspace(-4, 4, 9), np.linspace(-4, 4, 9))
    rho = 0.99999
    ref = stats.multivariate_normal.cdf(np.column_stack([h.ravel(), k.ravel()]), [0, 0],
                                        [[1, rho], [rho, 1]], abseps=1e-13, releps=1e-13)
    np.testing.assert_allclose(latent.bvn_cdf(h.ravel(), k.ravel(), rho), ref, rtol=0, atol=1e-12)


def test_pairwise_latent_mle_undoes_discretization():
    n = 6000
    z = _mvn(n, R3, 16)
    cuts = np.array([-np.inf, -0.5, 0.4, 1.2, np.inf])
    k1 = np.searchsorted(cuts, z[:, 1]) - 1
    k2 = (z[:, 2] > 0).astype(int)
    lo, hi = z.copy(), z.copy()
    lo[:, 1], hi[:, 1] = cuts[k1], cuts[k1 + 1]
    lo[:, 2], hi[:, 2] = np.where(k2, 0, -np.inf), np.where(k2, np.inf, 0)
    rng = np.random.default_rng(17)
    # the distributional transform: a uniform point inside each atom's interval
    plo, phi = special.ndtr(lo[:, 1:]), special.ndtr(hi[:, 1:])
    jit = np.column_stack([z[:, 0], special.ndtri(plo + rng.random((n, 2)) * (phi - plo))])
    r = pairwise_latent_correlation(lo, hi, jit)
    assert np.abs(r - R3).max() < 0.06
    naive = np.corrcoef(jit, rowvar=False)  # jittered: attenuated
    assert abs(naive[0, 2]) < abs(r[0, 2])


@pytest.mark.parametrize("seed", [97, 252])
def test_stochastic_em_stays_positive_definite_with_a_derived_column(seed):
    """A column tied exactly to others (``c = (a + b) / 3``) makes the completed data's correlation
    singular up to rounding; the maximum-determinant completion of the unidentified pairs then
    read a solve of a singular block and was clipped to -0.995, leaving an indefinite matrix
    (seen on a bank table with derived income columns: ``LinAlgError`` in the next S-step).
    The ridge now comes first and the completion stays inside the positive definite range."""
    from synthkit.dependence.latent import stochastic_em_correlation

    g = np.random.default_rng(seed)
    z = g.standard_normal((400, 6))
    z[:, 2] = (z[:, 1] + z[:, 3]) / 3.0
    r = stochastic_em_correlation(z, z, np.eye(6), g, own=[(0, 4), (1, 5)], max_iterations=4)
    assert np.linalg.eigvalsh(r).min() > 0
    np.linalg.cholesky(r)
