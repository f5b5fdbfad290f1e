"""Data-driven latent order of nominal levels: the marginal's order, the scores, and what copulas gain."""

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import special, stats

import synthkit
from synthkit.columns import ColumnModel
from synthkit.dependence.level_order import association, level_orders
from synthkit.errors import SynthkitError
from synthkit.marginals import CategoricalMarginal, marginal_from_dict

MARITAL = {"divorced": 52.0, "married": 45.0, "never married": 26.0, "separated": 38.0, "widowed": 72.0}


def marital_table(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    """Age depends on a nominal status whose alphabetical order is not its age order."""
    rng = np.random.default_rng(seed)
    status = rng.choice(list(MARITAL), n, p=[0.15, 0.4, 0.3, 0.05, 0.1])
    age = np.array([MARITAL[s] for s in status]) + rng.normal(0, 6, n)
    return pd.DataFrame({"status": pd.Categorical(status, categories=sorted(MARITAL)),
                         "age": np.round(age, 1)})


def test_categorical_marginal_order_keeps_probabilities_and_round_trips():
    probs = np.array([0.1, 0.25, 0.4, 0.25])
    m = CategoricalMarginal(probs, order=[2, 0, 3, 1])
    u = (np.arange(100_000) + 0.5) / 100_000  # a uniform grid: frequencies are exact up to 1e-5
    freq = np.bincount(m.ppf_index(u), minlength=4) / u.size
    np.testing.assert_allclose(freq, probs, atol=2e-5)
    codes = np.arange(4)
    np.testing.assert_allclose(m.cdf(codes) - m.cdf_left(codes), probs)
    np.testing.assert_array_equal(m.ppf_index((m.cdf(codes) + m.cdf_left(codes)) / 2), codes)
    np.testing.assert_allclose(m.cdf_left([2, 0, 3, 1]), [0.0, 0.4, 0.5, 0.75])  # latent intervals in order
    again = marginal_from_dict(json.loads(json.dumps(m.to_dict())))
    np.testing.assert_array_equal(again.ppf_index(u), m.ppf_index(u))
    assert "order" not in CategoricalMarginal(probs).to_dict()  # code order: the record as before
    for bad in ([0, 1, 2], [0, 0, 1, 2], [0.0, 1.0, 2.0, 3.0]):
        with pytest.raises(SynthkitError):
            CategoricalMarginal(probs, order=bad)


def test_association_matches_statsmodels_and_scipy():
    rng = np.random.default_rng(5)
    n, k = 900, 6
    codes = rng.integers(0, k, n)
    x = codes % 3 + rng.normal(0, 1.5, n)
    z = special.ndtri(stats.rankdata(x) / (n + 1))
    strength, scores = association(codes, k, ("ordered", z))
    ols = smf.ols("z ~ C(c)", data=pd.DataFrame({"z": z, "c": codes})).fit()
    assert strength == pytest.approx(np.sqrt(ols.rsquared_adj), rel=1e-9)  # eta adjusted = adjusted R^2
    np.testing.assert_allclose(scores, pd.Series(z).groupby(codes).mean().to_numpy(), rtol=1e-12)
    other = (codes // 2 + rng.integers(0, 2, n)) % 4
    v, _ = association(codes, k, ("nominal", other, 4))
    table = pd.crosstab(codes, other).to_numpy()
    chi2 = stats.chi2_contingency(table, correction=False)[0]
    phi2c = max(0.0, chi2 / n - (k - 1) * 3 / (n - 1))
    kc, lc = k - (k - 1) ** 2 / (n - 1), 4 - 9 / (n - 1)
    assert v == pytest.approx(np.sqrt(phi2c / min(kc - 1, lc - 1)), rel=1e-9)


def test_correspondence_scores_with_a_binary_partner_follow_the_conditional_share():
    # with a two-level partner the first CA dimension is affine in P(partner = 1 | level)
    rng = np.random.default_rng(2)
    share = np.array([0.7, 0.2, 0.9, 0.5, 0.35])
    codes = rng.integers(0, 5, 5000)
    partner = (rng.random(5000) < share[codes]).astype(np.int64)
    _, scores = association(codes, 5, ("nominal", partner, 2))
    observed = np.bincount(codes, weights=partner) / np.bincount(codes)
    assert abs(np.corrcoef(scores, observed)[0, 1]) == pytest.approx(1.0, abs=1e-9)
    assert set(level_orders(pd.DataFrame({"c": [f"l{c}" for c in codes], "p": partner.astype(bool)}),
                            _models(pd.DataFrame({"c": [f"l{c}" for c in codes],
                                                  "p": partner.astype(bool)})))) <= {"c"}


def _models(df):
    return [ColumnModel.fit(df[c].rename(c)) for c in df.columns]


def test_the_copula_reproduces_a_nominal_association():
    real = marital_table()
    model = synthkit.fit(real, strategy="gaussian_copula")
    status = model.columns_[0].marginal
    assert [sorted(MARITAL)[k] for k in status.order] == sorted(MARITAL, key=MARITAL.get)
    synth = model.sample(len(real), seed=1).frame
    assert list(synth["status"].cat.categories) == sorted(MARITAL)  # labels shown as they were
    # A Gaussian copula's conditional mean of age is monotone along the status's latent order,
    # so in code (alphabetical) order the level means come out in the wrong order (and eta^2
    # of age given status falls from 0.83 to 0.01). With the data-driven order the level means
    # keep the real ranking: neighbouring real means are >= 6 years apart, ~20 standard errors.
    r, s = real.groupby("status", observed=True)["age"], synth.groupby("status", observed=True)["age"]
    se = np.sqrt(r.var() / r.count() + s.var() / s.count())
    assert (np.diff(np.sort(r.mean().to_numpy())) > 10 * se.max()).all()
    assert list(s.mean().sort_values().index) == list(r.mean().sort_values().index)

    def eta2(df):
        g = df.groupby("status", observed=True)["age"]
        return float((g.count() * (g.mean() - df["age"].mean()) ** 2).sum()
                     / ((df["age"] - df["age"].mean()) ** 2).sum())

    # sampling error of eta^2 here is ~2 (1 - eta^2) sqrt(eta^2 / n) = 0.005; 0.1 is the copula's
    # own approximation (code order: 0.83 - 0.01)
    assert abs(eta2(synth) - eta2(real)) < 0.1


def test_ordered_and_integer_columns_keep_their_order_and_groups_stay_whole():
    real = marital_table(1500)
    real["status"] = real["status"].cat.as_ordered()
    model = synthkit.fit(real, strategy="gaussian_copula")
    assert model.columns_[0].marginal.order is None
    rng = np.random.default_rng(4)
    code = rng.integers(0, 40, 3000)
    group = (code * 7) % 5  # groups scattered over the code order
    # x follows the code's last three bits: ordering codes by x alone interleaves the groups
    df = pd.DataFrame({"code": [f"k{c:02d}" for c in code], "group": [f"g{g}" for g in group],
                       "x": (code % 8) * 3.0 + rng.normal(0, 1, 3000), "n": rng.integers(0, 4, 3000)})
    model = synthkit.fit(df, strategy="gaussian_copula", privacy="off")
    order = model.columns_[0].marginal.order
    labels = np.array(model.columns_[0].column.categories)[order]
    groups = [(int(lab[1:]) * 7) % 5 for lab in labels]
    assert np.count_nonzero(np.diff(groups)) == 4  # each group one interval
    within = [int(lab[1:]) % 8 for lab, g in zip(labels, groups, strict=True) if g == groups[0]]
    assert within == sorted(within) or within == sorted(within, reverse=True)  # by x inside a group
    assert model.columns_[2].column.kind == "integer"


def test_a_column_associated_with_nothing_keeps_its_code_order():
    # independent columns: no partner is significant, so no order is drawn from noise
    rng = np.random.default_rng(8)
    n = 3000
    df = pd.DataFrame({"c": rng.choice(["p", "q", "r", "s", "t"], n), "x": rng.normal(size=n),
                       "d": rng.choice(["u", "v", "w"], n), "k": rng.integers(0, 5, n)})
    assert level_orders(df, _models(df)) == {}
