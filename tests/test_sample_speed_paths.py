"""The normal-score fast paths of sampling.

A Gaussian copula draws latent normal scores; its column models read them directly
(quantile tables on a normal-score grid, guide tables over normal-score thresholds)
instead of going through ``u = Phi(z)`` and back. These tests check the tables'
accuracy against scipy, the guides' exactness, that the fast path gives the values
of the uniform path (``Phi(z)`` through the column models: an independent
computation), and the sampled distribution against the declared one with
tolerances from the sample size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

import synthkit
from synthkit.marginals import CategoricalMarginal, DiscreteMarginal, ParametricMarginal
from synthkit.marginals.quantile_table import NormalScoreGuide
from synthkit.strategies._engine import values_from_uniforms
from synthkit.strategies.gaussian_copula import correlated_normals

#: A dense grid of normal scores: ~30 points per table interval, both tails to the table's end.
Z_GRID = np.linspace(-8.3, 8.3, 120_001)


def _window(m: ParametricMarginal):
    return m._window if m._window is not None else m.dist


@pytest.mark.parametrize("family, params, lower, upper", [
    ("gamma", {"a": 2.5, "scale": 40}, None, None),
    ("beta", {"a": 2, "b": 5}, None, None),
    ("t", {"df": 5}, None, None),
    ("weibull_min", {"c": 1.5, "scale": 200}, None, None),
    ("expon", {"scale": 3}, None, None),
    ("gamma", {"a": 2.5, "scale": 40}, 10.0, 200.0),
    ("norm", {"loc": 1, "scale": 2}, 1.5, None),
])
def test_table_at_normal_scores_matches_scipy(family, params, lower, upper):
    m = ParametricMarginal(family, params, lower, upper)
    x = m.ppf_normal(Z_GRID)
    assert m._table.certified
    dist = _window(m)
    low = Z_GRID <= 0
    u, q = special.ndtr(Z_GRID), special.ndtr(-Z_GRID)
    exact = np.where(low, dist.ppf(u), dist.isf(q))
    # probability error |F(x) - Phi(z)| (survival side above the median) within the
    # certificate everywhere, not only at the grid midpoints where it is checked
    perr = np.where(low, np.abs(dist.cdf(x) - u), np.abs(dist.sf(x) - q))
    assert perr.max() <= m._table.tol
    # in value: |x - F^-1(Phi(z))| within that probability error over the density,
    # where the density does not vanish
    pdf = np.exp(m.logpdf(exact))
    body = np.abs(Z_GRID) <= 5
    assert np.all(np.abs(x - exact)[body] * pdf[body] <= m._table.tol * (1 + 1e-9) + 1e-15)
    if lower is None and upper is None:
        # tails: the tail probability of the value is right to 2e-4 relative, out to |z| = 8.3
        rel = np.where(low, dist.cdf(x) / u, dist.sf(x) / q) - 1
        assert np.max(np.abs(rel)) <= 2e-4
    else:
        assert x.min() >= (lower if lower is not None else -np.inf)
        assert x.max() <= (upper if upper is not None else np.inf)


def test_normal_and_lognormal_are_exact_from_normal_scores():
    z = np.random.default_rng(0).standard_normal(1000)
    n = ParametricMarginal("norm", {"loc": 3, "scale": 2})
    ln = ParametricMarginal("lognorm", {"s": 0.6, "scale": 300})
    np.testing.assert_allclose(n.ppf_normal(z), 3 + 2 * z, rtol=0, atol=1e-14)
    np.testing.assert_allclose(ln.ppf_normal(z), stats.lognorm(0.6, scale=300).ppf(special.ndtr(z)),
                               rtol=1e-9)


def test_normal_score_guide_is_exactly_the_thresholds_search():
    rng = np.random.default_rng(1)
    probs = np.array([0.3, 1e-12, 0.0, 0.2, 1e-9, 0.4999999989, 1e-3])
    cum = np.cumsum(probs / probs.sum())
    guide = NormalScoreGuide(cum)
    thresholds = special.ndtri(cum[:-1])
    z = np.concatenate([
        rng.standard_normal(200_000), 4 * rng.standard_normal(20_000),
        thresholds, np.nextafter(thresholds, np.inf), np.nextafter(thresholds, -np.inf),
        [-40.0, -8.3, 8.3, 40.0, -np.inf, np.inf],
    ])
    t = np.append(thresholds, np.inf)
    np.testing.assert_array_equal(guide(z), np.searchsorted(t, z, side="left"))


@pytest.mark.parametrize("marginal", [
    CategoricalMarginal([0.4, 0.3, 0.2, 0.1]),
    CategoricalMarginal([0.05, 0.5, 0.15, 0.3], order=[2, 0, 3, 1]),
    DiscreteMarginal("poisson", {"mu": 3.5}),
])
def test_discrete_normal_scores_select_what_their_uniforms_select(marginal):
    z = np.random.default_rng(2).standard_normal(300_000)
    np.testing.assert_array_equal(marginal.ppf_index_normal(z), marginal.ppf_index(special.ndtr(z)))
    np.testing.assert_array_equal(marginal.ppf_normal(z), marginal.ppf(special.ndtr(z)))


def test_correlated_normals_is_the_cholesky_product():
    d = 7
    corr = 0.6 ** np.abs(np.subtract.outer(np.arange(d), np.arange(d)))
    factor = np.linalg.cholesky(corr)
    z = correlated_normals(factor, 70_001, np.random.default_rng(3))
    e = np.random.default_rng(3).standard_normal((d, 70_001))
    np.testing.assert_allclose(z, factor @ e, rtol=0, atol=1e-12)


# --------------------------------------------------------------- the Gaussian copula
SPEC = {
    "g": {"distribution": "gamma", "params": {"a": 2.5, "scale": 40}},
    "w": {"distribution": "weibull", "params": {"c": 1.5, "scale": 200}, "max": 400},
    "n": {"distribution": "normal", "params": {"loc": 50, "scale": 10}, "decimals": 1,
          "null_fraction": 0.2},
    "seg": {"categories": ["a", "b", "c", "d"], "probs": [0.4, 0.3, 0.2, 0.1], "null_fraction": 0.1},
    "k": {"distribution": "poisson", "params": {"mu": 3.5}},
    "when": {"kind": "datetime", "distribution": "uniform", "min": "2020-01-01", "max": "2024-12-31"},
}
R = 0.5 ** np.abs(np.subtract.outer(np.arange(6), np.arange(6)))


def _declared():
    return synthkit.declare(SPEC, correlation=R, strategy="gaussian_copula")


def _mixed_table(n=3000, seed=4):
    rng = np.random.default_rng(seed)
    a = rng.gamma(2.0, 10.0, n)
    b = a + rng.normal(0, 5, n)
    c = np.where(b + rng.normal(0, 5, n) > 25, "hi", "lo").astype(object)
    k = rng.poisson(2 + a / 10)
    df = pd.DataFrame({"a": a, "b": b, "c": c, "k": k})
    df.loc[b > np.quantile(b, 0.8), "a"] = np.nan  # missing at random: tied to b
    df.loc[rng.random(n) < 0.1, "c"] = None
    return df


@pytest.mark.parametrize("make", [_declared, lambda: synthkit.fit(_mixed_table(), strategy="gaussian_copula")])
def test_fast_path_gives_the_uniform_path_values(make):
    model = make()
    n = 50_000
    fast = model._draw(synthkit.strategies._engine.BlockRequest(
        np.random.SeedSequence(0), 0, n, np.random.default_rng(5)))
    slow = values_from_uniforms(model, model._uniforms(n, np.random.default_rng(5)))
    for cm, f, s in zip(model.columns_, fast, slow, strict=True):
        if cm.coded or cm.marginal.discrete:
            assert np.mean(f != s) <= 1e-4, cm.name  # the same atoms (ties at rounding level)
            continue
        np.testing.assert_array_equal(np.isnan(f), np.isnan(s))
        obs = ~np.isnan(f)
        # the same value up to the tables' certified probability error (and one rounding step)
        pf, ps = cm.marginal.cdf(f[obs]), cm.marginal.cdf(s[obs])
        step = 10.0 ** -(cm.column.decimals or 12)
        close = (np.abs(pf - ps) <= 2e-6) | (np.abs(f[obs] - s[obs]) <= step * (1 + 1e-9))
        assert close.all(), cm.name


def test_fast_path_distribution_matches_the_declaration():
    n = 60_000
    model = _declared()
    frame = model.sample(n, seed=6, progress=False).frame
    crit = 1.95 / np.sqrt(n)  # KS critical value at the 0.1% level
    for name in ("g", "w"):
        cm = model.columns_[model._names.index(name)]
        assert stats.kstest(frame[name].to_numpy(), cm.marginal.cdf).statistic <= crit, name
    # the rounded normal column (0.1 steps): KS against the declared normal, plus the most
    # probability a half-step shift can move (half-step x the density's maximum)
    nn = frame["n"].dropna().to_numpy()
    shift = 0.05 * stats.norm(50, 10).pdf(50)
    assert stats.kstest(nn, stats.norm(50, 10).cdf).statistic <= 1.95 / np.sqrt(nn.size) + shift
    when = frame["when"].astype("int64").to_numpy() / 1e9
    lo, hi = pd.Timestamp("2020-01-01").value / 1e9, pd.Timestamp("2024-12-31").value / 1e9
    assert stats.kstest(when, stats.uniform(lo, hi - lo).cdf).statistic <= crit
    # nulls: binomial counts within 4 standard errors
    for name, pi in (("n", 0.2), ("seg", 0.1)):
        assert abs(frame[name].isna().mean() - pi) <= 4 * np.sqrt(pi * (1 - pi) / n), name
    # categories and Poisson counts: frequencies within 4 standard errors
    seg = frame["seg"].dropna()
    for cat, p in zip("abcd", (0.4, 0.3, 0.2, 0.1), strict=True):
        assert abs((seg == cat).mean() - p) <= 4 * np.sqrt(p * (1 - p) / seg.size), cat
    k = frame["k"].to_numpy()
    for v in range(8):
        p = stats.poisson(3.5).pmf(v)
        assert abs((k == v).mean() - p) <= 4 * np.sqrt(p * (1 - p) / n), v
    # dependence: Spearman of the continuous pairs = (6 / pi) asin(r / 2), Fisher-z SE ~ sqrt(1.06 / (n - 3))
    rho = frame[["g", "w"]].corr(method="spearman").iloc[0, 1]
    target = 6 / np.pi * np.arcsin(R[0, 1] / 2)
    assert abs(np.arctanh(rho) - np.arctanh(target)) <= 4 * np.sqrt(1.06 / (n - 3))
    assert frame["w"].max() <= 400


def test_fast_path_rows_do_not_depend_on_workers_or_chunks():
    model = synthkit.fit(_mixed_table(), strategy="gaussian_copula")
    n = 140_000
    one = model.sample(n, seed=7, progress=False).frame
    two = model.sample(n, seed=7, progress=False, workers=2).frame
    pd.testing.assert_frame_equal(one, two)
    chunks = pd.concat(model.iter_chunks(n, seed=7, chunk_rows=50_000), ignore_index=True)
    pd.testing.assert_frame_equal(one, chunks)


# ------------------------------------------------- Monte Carlo: normal scores drawn directly
MC_SPEC = {
    "n": {"distribution": "normal", "params": {"loc": 50, "scale": 10}},
    "ln": {"distribution": "lognormal", "params": {"s": 0.6, "scale": 300}},
    "g": {"distribution": "gamma", "params": {"a": 2.5, "scale": 40}},
    "b": {"distribution": "beta", "params": {"a": 2, "b": 5}},
    "gt": {"distribution": "gamma", "params": {"a": 2.5, "scale": 40}, "min": 20, "max": 150},
    "w": {"distribution": "weibull", "params": {"c": 1.5, "scale": 200}},
    "nn": {"distribution": "normal", "nulls": 0.2},
    "seg": {"categories": ["a", "b", "c"], "probs": [0.5, 0.3, 0.2]},
}


def test_montecarlo_normal_score_columns_follow_their_marginals():
    """Columns drawn from normal scores (normal, lognormal, table-read gamma / beta, truncated
    gamma) and from uniforms (Weibull, a nullable normal, a category): KS against the declared
    marginal at the 0.1% level (1.95 / sqrt(n)), independence by Spearman (4 / sqrt(n))."""
    model = synthkit.declare(MC_SPEC, strategy="montecarlo")
    normal = {cm.name for cm in model.columns_ if cm.reads_normal_scores}
    assert normal == {"n", "ln", "g", "b", "gt"}
    n = 150_000  # three blocks
    frame = model.sample(n, seed=11, progress=False).frame
    crit = 1.95 / np.sqrt(n)
    laws = {"n": stats.norm(50, 10), "ln": stats.lognorm(0.6, scale=300), "g": stats.gamma(2.5, scale=40),
            "b": stats.beta(2, 5), "w": stats.weibull_min(1.5, scale=200)}
    for name, law in laws.items():
        assert stats.kstest(frame[name].to_numpy(), law.cdf).statistic <= crit, name
    g = stats.gamma(2.5, scale=40)  # truncated to [20, 150]
    lo, hi = g.cdf(20), g.cdf(150)
    gt = frame["gt"].to_numpy()
    assert gt.min() >= 20 and gt.max() <= 150
    assert stats.kstest(gt, lambda x: (g.cdf(x) - lo) / (hi - lo)).statistic <= crit
    nn = frame["nn"].dropna().to_numpy()
    assert abs(frame["nn"].isna().mean() - 0.2) <= 4 * np.sqrt(0.2 * 0.8 / n)
    assert stats.kstest(nn, stats.norm.cdf).statistic <= 1.95 / np.sqrt(nn.size)
    for cat, p in zip("abc", (0.5, 0.3, 0.2), strict=True):
        assert abs((frame["seg"] == cat).mean() - p) <= 4 * np.sqrt(p * (1 - p) / n), cat
    rho = frame[["n", "ln", "g", "b", "gt", "w"]].corr(method="spearman").to_numpy()
    assert np.abs(rho[np.triu_indices(6, 1)]).max() <= 4 / np.sqrt(n)


def test_montecarlo_rows_do_not_depend_on_workers_chunks_or_blocks():
    model = synthkit.declare(MC_SPEC, strategy="montecarlo")
    n = 140_000
    one = model.sample(n, seed=12, progress=False).frame
    pd.testing.assert_frame_equal(one, model.sample(n, seed=12, progress=False, workers=2).frame)
    pd.testing.assert_frame_equal(one, pd.concat(model.iter_chunks(n, seed=12, chunk_rows=30_000),
                                                 ignore_index=True))
    blocks = [model.sample_block(b, seed=12, n=n) for b in range(3)]
    pd.testing.assert_frame_equal(one, pd.concat(blocks, ignore_index=True))


def test_one_block_sample_hands_over_independent_columns():
    """A one-block sample keeps the block's arrays: still one separate buffer per column."""
    model = synthkit.declare(MC_SPEC, strategy="montecarlo")
    frame = model.sample(5000, seed=13, progress=False).frame
    pd.testing.assert_frame_equal(frame, model.sample_block(0, seed=13, n=5000))
    arrays = [frame[c].to_numpy() for c in ("n", "ln", "g", "b", "gt", "w")]
    for i, a in enumerate(arrays):
        assert a.flags.c_contiguous
        assert not any(np.shares_memory(a, o) for o in arrays[i + 1:])


def test_iman_conover_draws_the_montecarlo_values():
    """Iman-Conover reorders the independent draw (normal scores included): sorted columns equal."""
    corr = np.eye(len(MC_SPEC))
    corr[0, 2] = corr[2, 0] = 0.6
    ic = synthkit.declare(MC_SPEC, strategy="iman_conover", correlation=corr)
    mc = synthkit.declare(MC_SPEC, strategy="montecarlo")
    a = ic.sample(70_000, seed=14, progress=False).frame
    b = mc.sample(70_000, seed=14, progress=False).frame
    for c in ("n", "ln", "g", "b", "gt", "w"):
        np.testing.assert_array_equal(np.sort(a[c].to_numpy()), np.sort(b[c].to_numpy()))
    rho = stats.spearmanr(a["n"], a["g"])[0]
    assert abs(rho - 0.6) <= 4 * np.sqrt(1.06 / 70_000)
