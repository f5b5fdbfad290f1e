"""NORTA with discrete and mixed marginals, checked against independent computations.

References: the attainable interval by the merged-breakpoint formula in the
probability scale (step functions) or closed-form partial expectations; the
correlation at a latent ``r`` by scipy's bivariate normal CDF on the grid of
thresholds, or closed forms for normal / lognormal partners; the achieved
Pearson correlation by Monte Carlo with a batch-means standard error.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

import synthkit
from synthkit.dependence.norta import attainable_range, norta_correlation, norta_pair
from synthkit.errors import SpecError
from synthkit.marginals.discrete import DiscreteMarginal

P3, P07 = stats.poisson(3), stats.poisson(0.7)


def _table(m, tail=1e-12):
    """Support and probabilities of a scipy discrete distribution (tails beyond 1e-12 dropped)."""
    v = np.arange(m.ppf(tail), m.isf(tail) + 1)
    p = m.pmf(v)
    keep = p > 0
    return v[keep], p[keep] / p[keep].sum()


def _moments(v, p):
    mu = p @ v
    return mu, np.sqrt(p @ (v - mu) ** 2)


def _merged_bounds(tx, ty):
    """Exact Fréchet bounds of two step quantile functions: merge their breakpoints in (0, 1)."""
    (vx, px), (vy, py) = tx, ty
    cx, cy = np.cumsum(px), np.cumsum(py)
    cx[-1] = cy[-1] = 1.0
    (mx, sx), (my, sy) = _moments(vx, px), _moments(vy, py)
    out = []
    for counter in (True, False):
        br = np.unique(np.concatenate([[0.0, 1.0], cx, 1.0 - cy if counter else cy]))
        mid, width = 0.5 * (br[1:] + br[:-1]), np.diff(br)
        x = vx[np.minimum(np.searchsorted(cx, mid), vx.size - 1)]
        y = vy[np.minimum(np.searchsorted(cy, 1.0 - mid if counter else mid), vy.size - 1)]
        out.append((width @ (x * y) - mx * my) / (sx * sy))
    return tuple(out)


def _scipy_rho(r, tx, ty):
    """Pearson at latent ``r``: Hoeffding's sum with scipy's bivariate normal CDF per cell."""
    (vx, px), (vy, py) = tx, ty
    a, b = special.ndtri(np.cumsum(px)[:-1]), special.ndtri(np.cumsum(py)[:-1])
    aa, bb = np.meshgrid(a, b, indexing="ij")
    f2 = stats.multivariate_normal.cdf(
        np.column_stack([aa.ravel(), bb.ravel()]), [0, 0], [[1, r], [r, 1]], abseps=1e-12, releps=1e-12
    ).reshape(aa.shape)
    k = f2 - np.outer(special.ndtr(a), special.ndtr(b))
    (_, sx), (_, sy) = _moments(vx, px), _moments(vy, py)
    return np.diff(vx) @ k @ np.diff(vy) / (sx * sy)


def test_bivariate_normal_cdf_matches_scipy():
    from synthkit.dependence.norta import bivariate_normal_cdf

    rng = np.random.default_rng(3)
    h = np.concatenate([2 * rng.standard_normal(30), [0.0, 0.0, 0.0, 1.5, -2.0, np.inf, -np.inf, 0.7]])
    k = np.concatenate([2 * rng.standard_normal(30), [0.0, 1.0, -1.0, 0.0, -2.0, 0.3, 0.3, np.inf]])
    for rho in (-0.99999, -0.95, -0.5, 0.0, 0.4, 0.93, 0.999, 0.99999):
        ref = stats.multivariate_normal.cdf(
            np.column_stack([h, k]), [0, 0], [[1, rho], [rho, 1]], abseps=1e-13, releps=1e-13
        )
        got = bivariate_normal_cdf(h, k, rho)
        # scipy 1.13 returns nan where a bound is -inf and |rho| is near 1; the exact value is 0
        bad = np.isnan(ref)
        assert np.all((h[bad] == -np.inf) | (k[bad] == -np.inf)) and np.all(got[bad] == 0.0)
        np.testing.assert_allclose(got[~bad], ref[~bad], rtol=0, atol=1e-12)
    np.testing.assert_allclose(bivariate_normal_cdf(h, k, 1.0), special.ndtr(np.minimum(h, k)), atol=1e-15)


def test_marginal_moments_exact_for_discrete():
    from synthkit.dependence.norta import marginal_moments

    for m in (P07, stats.binom(5, 0.3), stats.geom(0.25)):  # supports cut at 1e-12 tail mass
        mean, var = m.stats()
        assert marginal_moments(m) == pytest.approx((float(mean), float(np.sqrt(var))), rel=1e-8)
    mean, sd = marginal_moments(stats.lognorm(0.8))
    assert (mean, sd) == pytest.approx((stats.lognorm(0.8).mean(), stats.lognorm(0.8).std()), rel=1e-8)


DISCRETE_PAIRS = [
    (P3, P07),
    (stats.poisson(0.3), stats.poisson(5)),
    (stats.binom(4, 0.3), stats.geom(0.4)),
    (stats.bernoulli(0.5), stats.poisson(1.5)),  # a threshold exactly at 0
]


@pytest.mark.parametrize("mx, my", DISCRETE_PAIRS)
def test_attainable_range_discrete_is_the_merged_breakpoint_formula(mx, my):
    lo, hi = attainable_range(mx, my)
    ref_lo, ref_hi = _merged_bounds(_table(mx), _table(my))
    assert lo == pytest.approx(ref_lo, abs=1e-8)
    assert hi == pytest.approx(ref_hi, abs=1e-8)


def test_attainable_range_of_synthkit_pmf_marginals():
    a = DiscreteMarginal("pmf", values=[-1.0, 0.5, 4.0], probs=[0.2, 0.5, 0.3])
    b = DiscreteMarginal("poisson", {"mu": 2.0})
    lo, hi = attainable_range(a, b)
    ref_lo, ref_hi = _merged_bounds((a.support, a.probs), (b.support, b.probs))
    assert (lo, hi) == pytest.approx((ref_lo, ref_hi), abs=1e-8)


def _expon_partial(a, b, counter):
    """int_a^b G^-1(u) du (comonotone) or int_a^b G^-1(1 - u) du for the standard exponential."""
    def prim(v):
        return np.where(v > 0, v * np.log(np.where(v > 0, v, 1.0)) - v, 0.0)

    return -(prim(b) - prim(a)) if counter else prim(1 - b) - prim(1 - a)


@pytest.mark.parametrize("mx", [stats.poisson(2), stats.bernoulli(0.3), stats.poisson(0.3)])
def test_attainable_range_mixed_matches_closed_form(mx):
    """Discrete x exponential: E[F^-1(U) G^-1(U)] = sum_k x_k int_{C_(k-1)}^{C_k} -log(1 - u) du."""
    v, p = _table(mx)
    c = np.cumsum(p)
    c[-1] = 1.0
    a = np.concatenate([[0.0], c[:-1]])
    mu, sd = _moments(v, p)
    ref = [(v @ _expon_partial(a, c, counter) - mu) / sd for counter in (True, False)]
    assert attainable_range(mx, stats.expon()) == pytest.approx(tuple(ref), abs=1e-6)


def test_discrete_pair_correlation_matches_scipy_bivariate_cdf():
    """The solved latent r gives the target under scipy's bivariate normal CDF on every cell."""
    tx, ty = _table(P3), _table(P07)
    for target in (-0.6, 0.2, 0.5, 0.85):
        r = norta_pair(target, P3, P07)
        assert _scipy_rho(r, tx, ty) == pytest.approx(target, abs=1e-7)


def test_mixed_pair_correlation_matches_closed_forms():
    """Discrete X with a normal or lognormal partner: E[X Y] in closed form at any latent r.

    Normal Y = Z_2: ``Cov = r sum_k dx_k phi(a_k)``. Lognormal ``Y = exp(s Z_2)``:
    ``E[X Y] = exp(s^2 / 2) sum_k x_k [Phi(a_(k+1) - s r) - Phi(a_k - s r)]``.
    """
    v, p = _table(P07)
    mu, sd = _moments(v, p)
    a = special.ndtri(np.cumsum(p)[:-1])
    for target in (-0.4, 0.3, 0.6):
        r = norta_pair(target, P07, stats.norm())
        assert r * np.diff(v) @ stats.norm.pdf(a) / sd == pytest.approx(target, abs=1e-7)
    s = 0.8
    ln = stats.lognorm(s)
    m_y, sd_y = np.exp(s * s / 2), np.sqrt((np.exp(s * s) - 1) * np.exp(s * s))
    edges = np.concatenate([[-np.inf], a, [np.inf]])
    for target in (-0.3, 0.25, 0.5):
        r = norta_pair(target, P07, ln)
        exy = np.exp(s * s / 2) * v @ (special.ndtr(edges[1:] - s * r) - special.ndtr(edges[:-1] - s * r))
        assert (exy - mu * m_y) / (sd * sd_y) == pytest.approx(target, abs=1e-6)


def test_feasibility_uses_the_exact_interval():
    # exact interval of Poisson(3) x Poisson(0.7): [-0.7976, 0.9056]
    res = norta_correlation([[1, 0.9], [0.9, 1]], [P3, P07])
    assert res.upper[0, 1] == pytest.approx(0.905599, abs=1e-5) and not res.infeasible
    with pytest.raises(SpecError, match=r"target -0.8 attainable \[-0.7976, 0.9056\]"):
        norta_correlation([[1, -0.8], [-0.8, 1]], [P3, P07])


def _batch_se(x, y, batches=40):
    """Standard error of the Pearson correlation from batch means."""
    parts = zip(np.array_split(x, batches), np.array_split(y, batches), strict=True)
    rs = [np.corrcoef(a, b)[0, 1] for a, b in parts]
    return np.std(rs, ddof=1) / np.sqrt(batches)


def _declared(cols, rho):
    return synthkit.declare(
        cols, strategy="gaussian_copula", correlation=[[1, rho], [rho, 1]], correlation_type="pearson"
    )


POIS = {"x": {"distribution": "poisson", "params": {"mu": 3}},
        "y": {"distribution": "poisson", "params": {"mu": 0.7}}}


def test_achieved_pearson_discrete_200k():
    n = 200_000
    out = _declared(POIS, 0.5).sample(n, seed=21).frame.to_numpy(dtype=float)
    err = abs(np.corrcoef(out, rowvar=False)[0, 1] - 0.5)
    assert err < 4 * _batch_se(out[:, 0], out[:, 1]), err


@pytest.mark.slow
@pytest.mark.parametrize(
    "cols, rho",
    [
        (POIS, 0.5),
        ({"x": {"distribution": "poisson", "params": {"mu": 0.3}},
          "y": {"distribution": "poisson", "params": {"mu": 5}}}, 0.8),  # near the bound 0.8046
        ({"x": {"distribution": "binom", "params": {"n": 1, "p": 0.2}},
          "y": {"distribution": "lognormal", "params": {"s": 0.8}}}, 0.5),
        ({"x": {"distribution": "binom", "params": {"n": 3, "p": 0.4}},
          "y": {"distribution": "exponential"}}, -0.6),
    ],
)
def test_achieved_pearson_2m_rows(cols, rho):
    n = 2_000_000
    out = _declared(cols, rho).sample(n, seed=22).frame.to_numpy(dtype=float)
    err = abs(np.corrcoef(out, rowvar=False)[0, 1] - rho)
    assert err < min(0.005, 4 * _batch_se(out[:, 0], out[:, 1]) + 1e-4), err


def test_declared_spearman_is_reached_with_discrete_columns():
    """``2 sin(pi rho_s / 6)`` ignores ties: a Spearman target of 0.6 gave 0.54 for a
    Poisson(0.7) column and 0.47 for a Bernoulli(0.3) one. NORTA on the grades reaches it;
    continuous pairs keep the closed form. Tolerance: 4 standard errors of Spearman's rho
    (about (1 - rho^2) / sqrt(n), generous for ties) at n = 100,000."""
    spec = {"p": {"distribution": "poisson", "params": {"mu": 0.7}}, "z": {"distribution": "normal"},
            "w": {"distribution": "normal"}, "k": {"distribution": "binom", "params": {"n": 1, "p": 0.3}}}
    target = {"p,z": 0.6, "w,k": 0.6, "z,w": 0.3}
    m = synthkit.declare(spec, strategy="gaussian_copula", correlation=target, correlation_type="spearman")
    d = m.sample(100_000, seed=1).frame
    for pair, rho in target.items():
        a, b = pair.split(",")
        got = stats.spearmanr(d[a], d[b]).statistic
        assert abs(got - rho) <= 4 * (1 - rho**2) / np.sqrt(len(d)), (pair, got)
    assert m.latent_correlation_[1, 2] == pytest.approx(2 * np.sin(np.pi * 0.3 / 6), abs=1e-12)
    with pytest.raises(SpecError, match="declared Spearman correlation not attainable"):
        synthkit.declare(spec, strategy="gaussian_copula", correlation={"w,k": 0.9}, correlation_type="spearman")


@pytest.mark.parametrize("correlation_type", ["spearman", "pearson"])
def test_declared_correlation_with_a_boolean_column_is_reached(correlation_type):
    """A boolean is 0/1 (True = 1) for a declared Pearson or Spearman target, as the same
    Bernoulli declared as ``binom(1, 0.3)``: the target of 0.6 used to give 0.47 (Spearman)
    and 0.455 (Pearson) because the boolean kept the raw target as latent correlation.
    Tolerance: 4 standard errors, (1 - rho^2) / sqrt(n) at n = 100,000."""
    spec = {"x": {"distribution": "normal"}, "b": {"kind": "boolean", "p": 0.3}}
    m = synthkit.declare(spec, strategy="gaussian_copula", correlation={"x,b": 0.6},
                         correlation_type=correlation_type)
    d = m.sample(100_000, seed=1).frame
    b = d["b"].astype(float)
    got = stats.spearmanr(d["x"], b).statistic if correlation_type == "spearman" else np.corrcoef(d["x"], b)[0, 1]
    assert abs(got - 0.6) <= 4 * (1 - 0.6**2) / np.sqrt(len(d)), got
    # the largest point-biserial correlation of a Bernoulli(0.3) with a normal is
    # phi(z_0.3) / sqrt(0.3 * 0.7) = 0.76: above it the target is refused
    with pytest.raises(SpecError, match="not attainable"):
        synthkit.declare(spec, strategy="gaussian_copula", correlation={"x,b": 0.8},
                         correlation_type=correlation_type)
