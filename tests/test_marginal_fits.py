"""Maximum-likelihood fits, parameter counts and information criteria of the parametric
marginals, and the accuracy of truncated quantile functions."""

import warnings

import numpy as np
import pytest
from scipy import integrate, special, stats

from synthkit.marginals import ParametricMarginal, QuantileTable, fit_continuous

N_FIT = 5000


def _beta_sample(a, b, n, seed, loc=0.0, scale=1.0):
    return stats.beta(a, b, loc, scale).rvs(n, random_state=np.random.default_rng(seed))


def _loglik(family, params, x):
    return float(np.sum(getattr(stats, family)(**params).logpdf(x)))


def test_beta_on_unit_interval_is_the_standard_beta_mle():
    a, b = 2.0, 5.0
    x = _beta_sample(a, b, N_FIT, seed=0)
    m = ParametricMarginal.fit(x, "beta")
    assert (m.params["loc"], m.params["scale"]) == (0.0, 1.0)
    assert m.free_params == ("a", "b") and m.n_params() == 2
    # the MLE with the known support, computed by scipy
    a_ref, b_ref, _, _ = stats.beta.fit(x, floc=0, fscale=1)
    assert m.params["a"] == pytest.approx(a_ref, rel=1e-4)
    assert m.params["b"] == pytest.approx(b_ref, rel=1e-4)
    # and within 4 standard errors of the truth (inverse Fisher information, trigamma form)
    t = special.polygamma(1, [a, b, a + b])
    info = np.array([[t[0] - t[2], -t[2]], [-t[2], t[1] - t[2]]])
    se = np.sqrt(np.diag(np.linalg.inv(info)) / N_FIT)
    assert abs(m.params["a"] - a) < 4 * se[0]
    assert abs(m.params["b"] - b) < 4 * se[1]


def test_four_parameter_beta_is_maximum_likelihood():
    a, b, loc, scale = 3.0, 4.0, 10.0, 2.0
    x = _beta_sample(a, b, N_FIT, seed=1, loc=loc, scale=scale)
    m = ParametricMarginal.fit(x, "beta")
    p = m.params
    # the support holds every point, at least one mean spacing outside the data
    spacing = np.ptp(x) / x.size
    assert p["loc"] <= x.min() - spacing * (1 - 1e-9)
    assert p["loc"] + p["scale"] >= x.max() + spacing * (1 - 1e-9)
    ll = _loglik("beta", p, x)
    # at least as likely as scipy's own 4-parameter fit (a different optimiser and start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = stats.beta.fit(x)
    assert ll >= _loglik("beta", dict(zip(["a", "b", "loc", "scale"], ref, strict=True)), x) - 1e-6
    # a stationary point: the observed information (central differences of scipy's logpdf) is
    # positive definite, and the truth lies within 4 of its standard errors (shapes > 2: regular)
    theta = np.array([p["a"], p["b"], p["loc"], p["scale"]])
    h = 1e-4 * np.abs(theta)

    def f(th):
        return _loglik("beta", dict(zip(["a", "b", "loc", "scale"], th, strict=True)), x)

    H = np.empty((4, 4))
    for i in range(4):
        for j in range(4):
            ei, ej = np.eye(4)[i] * h[i], np.eye(4)[j] * h[j]
            H[i, j] = (f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej)
                       + f(theta - ei - ej)) / (4 * h[i] * h[j])
    cov = np.linalg.inv(-H)
    assert np.all(np.linalg.eigvalsh(-H) > 0)
    se = np.sqrt(np.diag(cov))
    assert np.all(np.abs(theta - [a, b, loc, scale]) < 4 * se), (theta, se)
    assert m.free_params == ("a", "b", "loc", "scale") and m.n_params() == 4


def test_beta_is_selected_on_beta_data():
    chosen = [fit_continuous(_beta_sample(2.0, 5.0, N_FIT, seed=s))[1].chosen for s in range(10)]
    assert sum(c == "parametric:beta" for c in chosen) >= 9, chosen


def test_exponential_location_is_fixed_on_positive_data_and_counted_otherwise():
    x = np.random.default_rng(2).exponential(3.0, 2000)
    m = ParametricMarginal.fit(x, "exponential")
    # closed-form MLE with loc = 0: scale = mean; one parameter, nested in gamma and Weibull
    assert m.params["loc"] == 0.0
    assert m.params["scale"] == pytest.approx(x.mean(), rel=1e-12)
    assert m.n_params() == 1
    y = x - 2.0  # values below 0: the location is estimated by its MLE min(y) and counted
    m = ParametricMarginal.fit(y, "exponential")
    assert m.params["loc"] == pytest.approx(y.min(), abs=1e-12)
    assert m.params["scale"] == pytest.approx(y.mean() - y.min(), rel=1e-12)
    assert m.n_params() == 2


def test_exponential_on_shifted_positive_data_estimates_its_location():
    """100 + Exp(1): all values positive, yet loc = 0 would put the scale at ~101. The
    2-parameter fit wins the BIC: its location is scipy's MLE min(x), the scale the shifted
    mean, and the fitted CDF passes a KS test at the 0.1 % level (scipy's kstwo)."""
    x = 100.0 + np.random.default_rng(7).exponential(1.0, 2000)
    m = ParametricMarginal.fit(x, "exponential")
    loc, scale = stats.expon.fit(x)
    assert m.params["loc"] == pytest.approx(loc, abs=1e-12)
    assert m.params["scale"] == pytest.approx(scale, rel=1e-12)
    assert m.n_params() == 2
    ks = stats.kstest(x, lambda v: m.cdf(v)).statistic
    assert ks < stats.kstwo.isf(0.001, x.size)


def test_exponential_location_follows_the_bic():
    """On positive data the kept exponential is the one (loc = 0, k = 1, or loc = min(x),
    k = 2) with the lower BIC computed here from scipy's log-density."""
    rng = np.random.default_rng(8)
    for x in (rng.exponential(3.0, 500), rng.gamma(3.0, 2.0, 1000), 5 + rng.exponential(1.0, 50)):
        n = x.size
        bic1 = np.log(n) - 2 * stats.expon.logpdf(x, 0, x.mean()).sum()
        bic2 = 2 * np.log(n) - 2 * stats.expon.logpdf(x, x.min(), x.mean() - x.min()).sum()
        assert ParametricMarginal.fit(x, "exponential").n_params() == (1 if bic1 < bic2 else 2)


#: Free parameters each fit estimates, written out by hand: loc = 0 fixed for positive families;
#: the standard beta's support [0, 1] is fixed; the data range of the uniform, the truncated
#: normal's bounds and the 4-parameter beta's support count. The exponential's location is
#: estimated on the gamma(3) and beta(2, 5) samples below (their minimum sits far enough from 0
#: for the 2-parameter fit to win the BIC; see test_exponential_location_follows_the_bic).
HAND_COUNTS = {"norm": 2, "lognorm": 2, "gamma": 2, "weibull_min": 2, "expon": 2, "t": 3,
               "uniform": 2, "truncnorm": 4, "chi2": 2, "f": 3, "invgauss": 2, "logistic": 2,
               "gumbel_r": 2, "laplace": 2}


def test_parameter_count_of_each_family_matches_the_hand_table():
    x = np.random.default_rng(3).gamma(3.0, 2.0, 1000)
    counts = {fam: ParametricMarginal.fit(x, fam).n_params() for fam in HAND_COUNTS}
    assert counts == HAND_COUNTS


def test_parameter_count_of_beta_depends_on_its_support():
    assert ParametricMarginal.fit(_beta_sample(2, 5, 1000, seed=4), "beta").n_params() == 2
    assert ParametricMarginal.fit(_beta_sample(2, 5, 1000, seed=4, loc=3), "beta").n_params() == 4


@pytest.mark.parametrize("data,beta_k", [
    (lambda r: r.gamma(3.0, 2.0, 3000), 4),
    (lambda r: stats.beta(2, 5).rvs(3000, random_state=r), 2),
])
def test_information_criteria_use_scipy_loglik_and_the_hand_counts(data, beta_k):
    x = data(np.random.default_rng(5))
    n = x.size
    _, rep = fit_continuous(x)
    counts = dict(HAND_COUNTS, beta=beta_k)
    scored = [r for r in rep.candidates if "error" not in r]
    assert {r["family"] for r in scored} >= {"norm", "gamma", "expon", "beta", "weibull_min"}
    for r in scored:
        k = counts[r["family"]]
        ll = _loglik(r["family"], r["params"], x)
        assert r["loglik"] == pytest.approx(ll, rel=1e-10, abs=1e-8)
        assert r["bic"] == pytest.approx(-2 * ll + k * np.log(n), rel=1e-10, abs=1e-8), r["family"]
        assert r["aic"] == pytest.approx(-2 * ll + 2 * k, rel=1e-10, abs=1e-8), r["family"]
    assert {r["family"]: r["k"] for r in scored} == {r["family"]: counts[r["family"]] for r in scored}


def test_subsampled_fit_keeps_every_point_inside_fitted_supports():
    # above the fitting subsample size, range-based supports must still hold all the data
    x = _beta_sample(3.0, 4.0, 20_000, seed=6, loc=10.0, scale=2.0)
    m, rep = fit_continuous(x)
    by_family = {r["family"]: r for r in rep.candidates}
    for fam in ("beta", "uniform", "truncnorm"):
        assert "error" not in by_family[fam], by_family[fam]
        assert np.isfinite(by_family[fam]["loglik"])
    assert rep.chosen == "parametric:beta"


# ------------------------------------------------------------------ truncated quantile functions
#: Narrow windows in the body and deep in both tails (upper-tail windows where F(lower) rounds to 1).
EXTREME_WINDOWS = {
    "gamma": ({"a": 2.0}, [(0.5, 0.5001), (1e-6, 1.0001e-6), (40.0, 40.01), (30.0, None)]),
    "beta": ({"a": 2.0, "b": 5.0}, [(0.3, 0.30001), (1e-5, 1.1e-5), (0.9995, 0.99951)]),
    "lognorm": ({"s": 0.7}, [(1.0, 1.0001), (1e-3, 1.001e-3), (200.0, 201.0)]),
    "norm": ({}, [(0.5, 0.5001), (-9.001, -9.0), (9.0, 9.001), (8.5, None)]),
}
U = np.concatenate([[0.0, 1e-9, 1e-6, 1e-3], np.linspace(0.01, 0.99, 50), [1 - 1e-3, 1 - 1e-6, 1.0]])


@pytest.mark.parametrize("family", sorted(EXTREME_WINDOWS))
def test_truncated_ppf_is_accurate_in_extreme_windows(family):
    params, windows = EXTREME_WINDOWS[family]
    pdf = getattr(stats, family)(**params).pdf
    for lower, upper in windows:
        m = ParametricMarginal(family, params, lower=lower, upper=upper)
        x = m.ppf(U)
        hi = np.inf if upper is None else upper
        assert np.all((x >= lower) & (x <= hi))
        # F_T(x) by integrating the density (independent of any CDF or quantile code)
        with warnings.catch_warnings():  # tiny intervals near `lower` trip quad's roundoff warning
            warnings.simplefilter("ignore", integrate.IntegrationWarning)
            mass, mass_err = integrate.quad(pdf, lower, hi, epsabs=0.0, epsrel=1e-12, limit=200)
            parts = np.array([integrate.quad(pdf, lower, xi, epsabs=0.0, epsrel=1e-12, limit=200)
                              for xi in x])
        assert mass_err <= 1e-10 * mass and np.all(parts[:, 1] <= 1e-10 * mass)
        err = np.max(np.abs(parts[:, 0] / mass - U))
        assert err <= 1e-6 + 1e-9, (lower, upper, err)  # certified bound + quadrature error
        if family == "norm":  # scipy's truncated normal (log-space tail algorithms)
            ref_dist = stats.truncnorm(lower, hi)
            ref = ref_dist.ppf(U)
            d = ~(x == ref)  # (both infinite at u = 1 for an unbounded window)
            # a probability error e moves the quantile by about e / f_T(x)
            assert np.all(np.abs(x[d] - ref[d]) <= (1e-6 + 1e-9) / ref_dist.pdf(ref[d])), (lower, upper)


def test_quantile_table_that_cannot_certify_falls_back_to_exact_ppf():
    dist = stats.gamma(2.0)
    table = QuantileTable(dist, tol=1e-13, max_intervals=4096)
    assert not table.certified and table.max_error > 1e-13
    u = np.random.default_rng(7).random(1000)
    assert np.array_equal(table(u), dist.ppf(u))
    good = QuantileTable(dist)
    assert good.certified and good.max_error <= 1e-6
    assert abs(float(good(0.3)) - dist.ppf(0.3)) < 1e-5  # scalar input


def test_the_fit_report_ks_of_an_ecdf_on_tied_data_is_its_true_distance():
    """The report compared F(x) with F_n(x-) at a tied value: it showed the largest tie's share
    (0.073 here) instead of the ECDF marginal's distance, 1/(2n)."""
    from synthkit.marginals.selection import fit_continuous

    x = np.round(np.random.default_rng(0).lognormal(size=2000), 1)
    m, rep = fit_continuous(x, "empirical")
    u = np.unique(x)
    xs = np.sort(x)
    right = np.abs(m.cdf(u) - np.searchsorted(xs, u, side="right") / x.size).max()
    left = np.abs(m.cdf_left(u) - np.searchsorted(xs, u, side="left") / x.size).max()
    assert rep.ks == pytest.approx(max(right, left)) and rep.ks <= 0.5 / x.size + 1e-12
