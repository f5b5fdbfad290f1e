"""Statistical tests of the marginal layer, with sample-size-derived tolerances."""

import numpy as np
import pytest
from scipy import stats

from synthkit.errors import ModelFileError, SpecError
from synthkit.marginals import (
    CategoricalMarginal,
    DiscreteMarginal,
    EmpiricalMarginal,
    ParametricMarginal,
    QuantileTable,
    fit_continuous,
    marginal_from_dict,
)

N = 20_000
# 99.9% two-sided critical value of the one-sample KS statistic (asymptotic 1.95/sqrt(n)).
KS_BOUND = 1.95 / np.sqrt(N)


@pytest.mark.parametrize(
    "family,params",
    [("norm", {"loc": 3, "scale": 2}), ("gamma", {"a": 2.5, "scale": 3}),
     ("beta", {"a": 2, "b": 5}), ("t", {"df": 4}), ("lognorm", {"s": 0.7, "scale": 2}),
     ("weibull_min", {"c": 1.5}), ("chi2", {"df": 3}), ("f", {"dfn": 5, "dfd": 12})],
)
def test_parametric_samples_follow_the_declared_distribution(family, params):
    m = ParametricMarginal(family, params)
    x = m.sample(N, seed=11)
    d = stats.kstest(x, getattr(stats, family)(**params).cdf).statistic
    assert d < KS_BOUND


@pytest.mark.parametrize("family,params", [("gamma", {"a": 0.7}), ("beta", {"a": 0.5, "b": 3}),
                                           ("t", {"df": 2.5}), ("truncnorm", {"a": -1, "b": 2}),
                                           ("lognorm", {"s": 1.5}), ("invgauss", {"mu": 0.3})])
def test_quantile_table_accuracy_is_certified(family, params):
    dist = getattr(stats, family)(**params)
    table = QuantileTable(dist)
    assert table.max_error <= 1e-6
    u = np.random.default_rng(0).random(50_000)
    u = np.concatenate([u, [1e-12, 1e-9, 1 - 1e-9, 0.5]])
    err = np.abs(dist.cdf(table(u)) - u)
    assert err.max() < 2e-6
    # and it agrees with scipy's exact ppf in value where the density is not tiny
    mid = (u > 1e-3) & (u < 1 - 1e-3)
    assert np.allclose(table(u[mid]), dist.ppf(u[mid]), rtol=1e-4, atol=1e-6)


def test_truncation_respects_bounds_and_renormalises():
    m = ParametricMarginal("normal", {"loc": 0, "scale": 1}, lower=-0.5, upper=2.0)
    x = m.sample(N, seed=1)
    assert x.min() >= -0.5 and x.max() <= 2.0
    ref = stats.truncnorm(-0.5, 2.0)
    assert stats.kstest(x, ref.cdf).statistic < KS_BOUND
    assert np.allclose(m.cdf([-0.5, 2.0]), [0, 1])


@pytest.mark.parametrize("family,sampler", [
    ("gamma", lambda r: r.gamma(3.0, 2.0, 5000)),
    ("lognorm", lambda r: r.lognormal(1.0, 0.5, 5000)),
    ("norm", lambda r: r.normal(5.0, 2.0, 5000)),
    ("expon", lambda r: r.exponential(3.0, 5000)),
])
def test_selection_finds_the_generating_family(family, sampler):
    x = sampler(np.random.default_rng(3))
    m, rep = fit_continuous(x, criterion="bic")
    assert rep.chosen == f"parametric:{family}", rep.to_frame()[["family", "bic", "ks"]]
    # the recorded goodness of fit is the KS distance of the chosen fit
    assert rep.ks == pytest.approx(stats.kstest(x, m.cdf).statistic, abs=1e-9)
    assert rep.wasserstein is not None and rep.wasserstein < 0.1 * x.std()
    table = rep.to_frame()
    assert {"aic", "bic", "ks", "wasserstein"} <= set(table.columns)
    assert "pvalue" not in table.columns


def test_bimodal_data_falls_back_to_empirical():
    r = np.random.default_rng(4)
    x = np.concatenate([r.normal(0, 1, 3000), r.normal(8, 1, 3000)])
    m, rep = fit_continuous(x)
    assert rep.chosen == "empirical"
    y = m.sample(N, seed=2)
    assert stats.ks_2samp(x, y).statistic < 0.5 / len(x) + 1.95 * np.sqrt(1 / N + 1 / len(x))


def test_empirical_keeps_ties_and_range():
    x = np.array([1, 2, 2, 2, 3, 7.5, 7.5, 10], dtype=float)
    m = EmpiricalMarginal.fit(x)
    y = m.sample(N, seed=5)
    assert y.min() >= 1 and y.max() <= 10
    # atoms keep their mass: P(Y=2) = (3-1)/8, P(Y=7.5) = 1/8
    assert abs(np.mean(y == 2) - 2 / 8) < 4 * np.sqrt(0.25 * 0.75 / N)
    assert abs(np.mean(y == 7.5) - 1 / 8) < 4 * np.sqrt(0.125 * 0.875 / N)
    # sup |F - F_n| <= 1/(2n) at the data points
    Fn = np.searchsorted(np.sort(x), x, side="right") / len(x)
    assert np.max(np.abs(m.cdf(x) - Fn)) <= 0.5 / len(x) + 1e-12


def test_kde_smoothing_is_close_and_smooth():
    x = np.random.default_rng(6).normal(10, 2, 2000)
    m, rep = fit_continuous(x, "kde")
    assert rep.chosen == "kde"
    assert rep.ks < 0.03
    y = m.sample(N, seed=1)
    assert np.unique(y).size > 0.99 * N  # continuous, not resampled


@pytest.mark.parametrize("loc, scale, n", [(10, 2, 2000), (0, 1, 300), (5, 3, 50)])
def test_kde_marginal_has_the_gaussian_mixture_moments(loc, scale, n):
    """A Gaussian KDE with bandwidth h is the mixture of N(x_i, h^2): mean x-bar and variance
    s_n^2 + h^2 (s_n^2 the variance with divisor n), with Silverman's rule
    h = 0.9 min(s, IQR / 1.349) n^(-1/5). The fitted marginal's moments by midpoint quadrature
    of its quantile function over 200,000 cells (the FFT grid and the cut at 3 h move the
    variance by less than 1e-4 relative here; twice the bandwidth moves it by 11-44%)."""
    x = np.random.default_rng(n).normal(loc, scale, n)
    m = EmpiricalMarginal.fit(x, smoothing="kde")
    h = 0.9 * min(x.std(ddof=1), stats.iqr(x) / 1.349) * n ** -0.2
    y = m.ppf((np.arange(200_000) + 0.5) / 200_000)
    assert abs(y.mean() - x.mean()) < 1e-3 * h
    assert abs(y.var() / (x.var() + h * h) - 1) < 1e-3


def test_discrete_generalised_inverse_one_uniform_one_value():
    m = DiscreteMarginal("poisson", {"mu": 3.2})
    u = np.random.default_rng(7).random(N)
    k = m.ppf(u)
    # exactly the generalised inverse: F(k-1) < u <= F(k)
    assert np.all(stats.poisson(3.2).cdf(k - 1) < u) and np.all(u <= stats.poisson(3.2).cdf(k) + 1e-12)
    cat = CategoricalMarginal([0.2, 0.5, 0.3])
    codes = cat.ppf(u)
    for j, p in enumerate([0.2, 0.5, 0.3]):
        assert abs(np.mean(codes == j) - p) < 4 * np.sqrt(p * (1 - p) / N)


def test_discrete_fits():
    r = np.random.default_rng(8)
    x = r.negative_binomial(3, 0.4, 5000)
    m = DiscreteMarginal.fit(x, "nbinom")
    assert m.family == "nbinom"
    # method of moments: the fitted law's mean and variance are the sample's (scipy's moments)
    mean, var = stats.nbinom(m.params["n"], m.params["p"]).stats(moments="mv")
    assert abs(mean - x.mean()) < 1e-9 * x.mean()
    assert abs(var - x.var(ddof=1)) < 1e-9 * x.var(ddof=1)
    pmf = DiscreteMarginal.fit(x, "pmf")
    vals, counts = np.unique(x, return_counts=True)
    assert np.allclose(pmf.probs, counts / counts.sum())


@pytest.mark.parametrize("m", [
    ParametricMarginal("gamma", {"a": 2, "scale": 3}, lower=0.5, upper=30),
    EmpiricalMarginal.fit([1, 2, 2, 5, 9.5]),
    EmpiricalMarginal.fit(np.random.default_rng(0).normal(size=300), smoothing="kde"),
    DiscreteMarginal("binom", {"n": 10, "p": 0.3}),
    DiscreteMarginal("pmf", values=[1, 2, 5], probs=[0.2, 0.3, 0.5]),
    CategoricalMarginal([0.1, 0.9]),
])
def test_to_dict_round_trip_gives_identical_ppf(m):
    u = np.linspace(0, 1, 101)
    clone = marginal_from_dict(m.to_dict())
    assert type(clone) is type(m)
    assert np.array_equal(clone.ppf(u), m.ppf(u))


def test_bad_parameters_are_clear_errors():
    with pytest.raises(SpecError, match="unknown distribution 'gausian'"):
        ParametricMarginal("gausian", {})
    with pytest.raises(SpecError, match="`scale` of 'normal' must be > 0, got -1.0"):
        ParametricMarginal("normal", {"loc": 0, "scale": -1})
    with pytest.raises(SpecError, match="needs shape parameter"):
        ParametricMarginal("gamma", {"scale": 2})
    with pytest.raises(SpecError, match="has no parameter"):
        ParametricMarginal("norm", {"mu": 1})
    with pytest.raises(SpecError, match="must sum to 1"):
        CategoricalMarginal([0.5, 0.6])
    with pytest.raises(SpecError, match="invalid parameters for 'poisson'"):
        DiscreteMarginal("poisson", {"mu": -2})
    with pytest.raises(SpecError, match="no probability mass"):
        ParametricMarginal("expon", {}, lower=-5, upper=-1)
    with pytest.raises(ModelFileError, match="unknown marginal type 'spline'"):
        marginal_from_dict({"type": "spline"})
