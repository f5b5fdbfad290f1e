"""Missing values as variables of their own in every strategy that models dependence.

Each column with nulls carries a missingness indicator in the latent space, so a
synthetic table is missing where the real one is: at random when the real nulls
are (MCAR), more often where another column is high when they are (MAR), and the
observed values keep their dependence. Tolerances are ``K`` standard errors of
the difference between the real statistic and the synthetic one (both sampled).
"""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import special

import synthkit
from synthkit.errors import ModelFileError
from synthkit.seeding import BLOCK_ROWS
from synthkit.strategies.base import Strategy
from synthkit.testing import frame_hash

N_REAL = 4000
N_SYN = BLOCK_ROWS + 4464  # 70,000 rows: two blocks
K = 4.0

# (strategy, parameters, table with a stratification column)
CASES = [
    pytest.param("gaussian_copula", {}, False, id="gaussian_copula"),
    pytest.param("t_copula", {}, False, id="t_copula"),
    pytest.param("iman_conover", {}, False, id="iman_conover"),
    pytest.param("vine", {"family_set": "gaussian"}, False, id="vine-gaussian-pairs"),
    pytest.param("vine", {}, False, id="vine", marks=pytest.mark.slow),
    pytest.param("gaussian_copula", {"stratify": "g"}, True, id="stratified"),
]
# Cholesky drew numeric nulls independently already: only missingness that depends on
# another column distinguishes it
MAR_CASES = [*CASES, pytest.param("cholesky", {}, False, id="cholesky")]


def _pair(rho: float, rng: np.random.Generator, strata: bool) -> pd.DataFrame:
    z = rng.standard_normal((N_REAL, 2)) @ np.linalg.cholesky([[1.0, rho], [rho, 1.0]]).T
    df = pd.DataFrame({"a": z[:, 0], "b": z[:, 1]})
    if strata:  # two classes with shifted centres: what stratification is for
        hi = rng.random(N_REAL) < 0.5
        df[["a", "b"]] += 1.5 * hi[:, None]
        df["g"] = np.where(hi, "hi", "lo")
    return df


def mcar_table(strata: bool = False) -> pd.DataFrame:
    """``b`` is missing on 30% of the rows, whatever the values."""
    rng = np.random.default_rng(0)
    df = _pair(0.8, rng, strata)
    df.loc[rng.random(N_REAL) < 0.3, "b"] = np.nan
    return df


def mar_table(strata: bool = False) -> pd.DataFrame:
    """``b`` is missing more often where ``a`` is high (logistic in ``a``)."""
    rng = np.random.default_rng(1)
    df = _pair(0.6, rng, strata)
    df.loc[rng.random(N_REAL) < special.expit(-1.0 + 1.5 * (df["a"] - df["a"].mean())), "b"] = np.nan
    return df


def mean_where_missing(f: pd.DataFrame) -> tuple[float, float]:
    """Mean of ``a`` over the rows where ``b`` is missing, and its standard error."""
    a = f.loc[f["b"].isna(), "a"]
    return float(a.mean()), float(a.std(ddof=1) / np.sqrt(len(a)))


def observed_pair_z(f: pd.DataFrame) -> tuple[float, float]:
    """Fisher z of the correlation of the rows where both are observed, and its standard error."""
    ok = f[["a", "b"]].dropna()
    return float(np.arctanh(ok["a"].corr(ok["b"]))), 1.0 / np.sqrt(len(ok) - 3)


def spearman_z(p: pd.DataFrame) -> tuple[float, float]:
    """Fisher z of Spearman's rho of a two-column frame, and its SE sqrt(1.06 / (n - 3))."""
    rho = p.iloc[:, 0].corr(p.iloc[:, 1], method="spearman")
    return float(np.arctanh(rho)), float(np.sqrt(1.06 / (len(p) - 3)))


def assert_close(real: tuple[float, float], syn: tuple[float, float], what: str) -> None:
    tol = K * np.hypot(real[1], syn[1])
    assert abs(syn[0] - real[0]) < tol, f"{what}: real {real[0]:.4f}, synthetic {syn[0]:.4f}, tol {tol:.4f}"


def missing_rate_by_decile(f: pd.DataFrame, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of rows with ``b`` missing in each decile of ``a`` (real edges), and the counts."""
    k = np.searchsorted(edges, f["a"].to_numpy())
    miss = f["b"].isna().to_numpy()
    counts = np.bincount(k, minlength=10)
    return np.bincount(k, weights=miss, minlength=10) / counts, counts


@pytest.mark.parametrize(("name", "params", "strata"), CASES)
def test_values_missing_completely_at_random_stay_so(name, params, strata):
    real = mcar_table(strata)
    model = synthkit.fit(real, strategy=name, **params)
    syn = model.sample(N_SYN, seed=1).frame
    # real: a's mean where b is missing ~ its overall mean (about 0 without strata)
    assert_close(mean_where_missing(real), mean_where_missing(syn), "mean of a where b is missing")
    assert_close(observed_pair_z(real), observed_pair_z(syn), "Fisher z of the observed pairs")
    p = real["b"].isna().mean()
    se = np.sqrt(p * (1 - p) / N_REAL + p * (1 - p) / N_SYN)
    assert abs(syn["b"].isna().mean() - p) < K * se
    # the sampling contract holds with the extra latent dimension: same rows whatever the
    # threads and chunks, and after a JSON round trip
    ref = frame_hash(syn)
    assert frame_hash(model.sample(N_SYN, seed=1, workers=2).frame) == ref
    chunks = pd.concat(list(model.iter_chunks(N_SYN, seed=1, chunk_rows=30_000)), ignore_index=True)
    assert frame_hash(model._restore_dtypes(chunks)) == ref
    loaded = Strategy.from_dict(json.loads(json.dumps(model.to_dict())))
    assert frame_hash(loaded.sample(N_SYN, seed=1).frame) == ref


@pytest.mark.parametrize(("name", "params", "strata"), MAR_CASES)
def test_missingness_rising_with_another_column_is_reproduced(name, params, strata):
    real = mar_table(strata)
    model = synthkit.fit(real, strategy=name, **params)
    syn = model.sample(N_SYN, seed=2).frame
    edges = np.quantile(real["a"], np.linspace(0.1, 0.9, 9))
    p_real, n_real = missing_rate_by_decile(real, edges)
    p_syn, n_syn = missing_rate_by_decile(syn, edges)
    p = (p_real * n_real + p_syn * n_syn) / (n_real + n_syn)
    tol = K * np.sqrt(p * (1 - p) * (1 / n_real + 1 / n_syn))
    assert np.all(np.abs(p_syn - p_real) < tol), (np.round(p_real, 3), np.round(p_syn, 3))
    assert p_real[-1] - p_real[0] > 0.5  # the real rates do rise
    # the observed pairs keep their correlation, and the observed values of b their mean
    # (b's values are observed mostly where a is low)
    assert_close(observed_pair_z(real), observed_pair_z(syn), "Fisher z of the observed pairs")
    ob_real, ob_syn = real["b"].dropna(), syn["b"].dropna()
    assert_close((ob_real.mean(), ob_real.std() / np.sqrt(len(ob_real))),
                 (ob_syn.mean(), ob_syn.std() / np.sqrt(len(ob_syn))), "mean of the observed b")


def test_strongly_tied_columns_with_strong_missing_at_random():
    # corr(a, b) = 0.9 and b's missingness driven by a: b's value cannot be independent of
    # its own missingness in any latent model, yet the observed table is reproduced
    rng = np.random.default_rng(5)
    n = 5000
    r = np.array([[1, 0.9, 0.7], [0.9, 1, 0.8], [0.7, 0.8, 1]])
    z = rng.standard_normal((n, 3)) @ np.linalg.cholesky(r).T
    real = pd.DataFrame({"a": z[:, 0], "b": np.exp(z[:, 1]), "c": z[:, 2]})
    drive = 0.8 * z[:, 0] + 0.6 * rng.standard_normal(n)
    real.loc[drive > 0.5, "b"] = np.nan
    real.loc[(drive > 0.2) & (rng.random(n) < 0.7), "c"] = np.nan
    syn = synthkit.fit(real, strategy="gaussian_copula").sample(N_SYN, seed=3).frame
    for x, y in (("a", "b"), ("a", "c"), ("b", "c")):
        zs = [spearman_z(f[[x, y]].dropna()) for f in (real, syn)]
        assert_close(zs[0], zs[1], f"Spearman z of {x}, {y}")
    for c in ("b", "c"):
        # the observed values keep their distribution: the synthetic median is the real
        # median, i.e. half of the real observed values lie below it (binomial SEs)
        obs = real[c].dropna()
        share = float((obs < syn[c].dropna().median()).mean())
        se = np.hypot(0.5 / np.sqrt(len(obs)), 0.5 / np.sqrt(syn[c].notna().sum()))
        assert abs(share - 0.5) < K * se, (c, share)
    both = [float((f["b"].isna() & f["c"].isna()).mean()) for f in (real, syn)]
    se = np.sqrt(both[0] * (1 - both[0]) * (1 / n + 1 / N_SYN))
    assert abs(both[1] - both[0]) < K * se, both


@pytest.mark.parametrize(("name", "params", "target", "measure"), [
    ("gaussian_copula", {}, 0.8, "pearson"),  # normal marginals: Pearson = R
    ("t_copula", {"df": 6.0}, 0.6, "kendall"),  # declared as Kendall's tau
    ("iman_conover", {}, 0.7, "spearman"),  # declared as Spearman
])
def test_declared_null_fraction_is_missing_completely_at_random(name, params, target, measure):
    spec = {"a": {"distribution": "normal"}, "b": {"distribution": "normal", "nulls": 0.3}}
    model = synthkit.declare(spec, strategy=name, correlation=[[1, target], [target, 1]], **params)
    syn = model.sample(N_SYN, seed=4).frame
    m, se = mean_where_missing(syn)
    assert abs(m) < K * se  # closed form: E[a | b missing] = E[a] = 0
    ok = syn[["a", "b"]].dropna()
    r = ok["a"].corr(ok["b"], method=measure)
    # Fisher z standard errors: 1 / sqrt(n - 3); Spearman sqrt(1.06 / (n - 3)); Kendall
    # sqrt(0.437 / (n - 4)) (Fieller, Hartley & Pearson 1957)
    var = {"pearson": 1.0, "spearman": 1.06, "kendall": 0.437}[measure] / (len(ok) - 4)
    assert abs(np.arctanh(r) - np.arctanh(target)) < K * np.sqrt(var), r


def test_iman_conover_keeps_the_independent_draws_and_places_nulls_at_random():
    real = mcar_table()
    ic = synthkit.fit(real, strategy="iman_conover").sample(N_SYN, seed=5).frame
    mc = synthkit.fit(real, strategy="montecarlo").sample(N_SYN, seed=5).frame
    for c in ("a", "b"):  # the same values (and as many nulls) as the independent draw
        np.testing.assert_array_equal(np.sort(ic[c].dropna()), np.sort(mc[c].dropna()))
        assert ic[c].isna().sum() == mc[c].isna().sum()
    assert_close(mean_where_missing(real), mean_where_missing(ic), "mean of a where b is missing")


def test_conditions_on_a_column_with_nulls():
    real = mcar_table()
    model = synthkit.fit(real, strategy="gaussian_copula")
    nulls = model.sample(20_000, seed=6, conditions={"b": None}).frame
    assert nulls["b"].isna().all()
    assert_close(mean_where_missing(real), mean_where_missing(nulls), "mean of a given b missing")
    # conditioning on a leaves b's missingness at its rate (MCAR) and its values correlated
    high = model.sample(20_000, seed=7, conditions={"a": (1.0, 2.0)}).frame
    p = real["b"].isna().mean()
    assert abs(high["b"].isna().mean() - p) < K * np.sqrt(p * (1 - p) * (1 / N_REAL + 1 / 20_000))
    ref = real[real["a"].between(1.0, 2.0)]["b"].dropna()
    got = high["b"].dropna()
    assert_close((ref.mean(), ref.std() / np.sqrt(len(ref))), (got.mean(), got.std() / np.sqrt(len(got))),
                 "mean of b given a in [1, 2]")
    # a value condition on the nullable column itself gives observed values only
    band = model.sample(5_000, seed=8, conditions={"b": (0.0, 0.5)}).frame
    assert band["b"].between(0.0, 0.5).all()


def test_model_file_missingness_entry_is_checked():
    model = synthkit.fit(mcar_table(), strategy="gaussian_copula")
    doc = json.loads(json.dumps(model.to_dict()))
    assert doc["dependence"]["missing"]["columns"] == ["b"]
    for bad, match in (
        ({"columns": ["a"], "correlation": doc["dependence"]["missing"]["correlation"]},
         "positive null fraction"),
        ({"columns": ["b"], "correlation": [[1, 0], [0, 1]]}, "missingness correlation"),
    ):
        broken = json.loads(json.dumps(doc))
        broken["dependence"]["missing"] = bad
        with pytest.raises(ModelFileError, match=match):
            Strategy.from_dict(broken)


def test_stochastic_em_recovers_a_nearly_singular_correlation():
    # three columns with x3 = x1 + x2 + small noise (the weakest eigenvalue ~0.01), 30% of
    # cells missing at random: pairwise estimates use different rows and mis-state the weak
    # direction; the joint estimate from every row agrees with the complete table's
    from synthkit.dependence.latent import pairwise_latent_correlation, stochastic_em_correlation

    rng = np.random.default_rng(11)
    n = 600
    x = rng.standard_normal((n, 2))
    z = np.column_stack([x, x.sum(axis=1) + 0.15 * rng.standard_normal(n)])
    z = (z - z.mean(0)) / z.std(0)
    complete = np.corrcoef(z, rowvar=False)
    holes = np.where(rng.random(z.shape) < 0.3, np.nan, z)
    lo, hi = np.where(np.isnan(holes), -np.inf, holes), np.where(np.isnan(holes), np.inf, holes)
    pairwise = pairwise_latent_correlation(lo, hi, observed=~np.isnan(holes))
    joint = stochastic_em_correlation(lo, hi, np.eye(3), rng)
    # the entries: within 4 standard errors of the complete table's, (1 - r^2) sqrt(1/n_pair - 1/n)
    n_pair = (~np.isnan(holes)).astype(float).T @ (~np.isnan(holes)).astype(float)
    se = (1 - complete ** 2) * np.sqrt(np.maximum(1 / n_pair - 1 / n, 0)) + 1e-12
    upper = np.triu_indices(3, 1)
    assert np.all(np.abs(joint - complete)[upper] < 4 * se[upper])
    # the weakest direction: an eigenvalue's relative standard error is sqrt(2 / n) (normal
    # data); taking n as the rows with all three observed, the joint estimate's smallest
    # eigenvalue is within 4 of them of the complete table's, and the pairwise one is not
    tol = 4 * np.sqrt(2 / int((~np.isnan(holes)).all(axis=1).sum()))
    w_true = np.linalg.eigvalsh(complete)[0]
    assert abs(np.linalg.eigvalsh(joint)[0] / w_true - 1) < tol
    assert abs(np.linalg.eigvalsh(pairwise)[0] / w_true - 1) > tol


def test_one_sampler_and_per_pattern_draws_agree(monkeypatch):
    # scattered evidence (points, intervals, free cells: hundreds of patterns) is drawn by
    # one blocked Gibbs sampler above MAX_PATTERNS and pattern by pattern below: the same
    # conditional distribution, so the drawn cells' means and spreads agree within their
    # Monte Carlo standard errors
    from synthkit.dependence import copula

    rng = np.random.default_rng(4)
    d, n = 6, 3000
    r = 0.5 * np.ones((d, d)) + 0.5 * np.eye(d)
    z = rng.standard_normal((n, d)) @ np.linalg.cholesky(r).T
    kind = rng.choice(3, size=(n, d), p=[0.3, 0.4, 0.3])  # free, point, interval (sign known)
    lower = np.where(kind == 1, z, np.where(kind == 2, np.where(z > 0, 0.0, -np.inf), np.nan))
    upper = np.where(kind == 1, z, np.where(kind == 2, np.where(z > 0, np.inf, 0.0), np.nan))
    assert len(np.unique(kind, axis=0)) > copula.MAX_PATTERNS
    one = copula.sample_conditional_rows(r, lower, upper, np.random.default_rng(1))
    monkeypatch.setattr(copula, "MAX_PATTERNS", 10**9)
    each = copula.sample_conditional_rows(r, lower, upper, np.random.default_rng(2))
    drawn = kind != 1
    for k in range(d):
        a, b = one[drawn[:, k], k], each[drawn[:, k], k]
        se = np.sqrt(a.var() / a.size + b.var() / b.size)
        assert abs(a.mean() - b.mean()) < 4 * se, k
        # and both reproduce the truth the evidence came from (the cells' real values)
        assert abs(a.mean() - z[drawn[:, k], k].mean()) < 4 * np.sqrt(2) * se, k
    assert np.all(one[~drawn] == np.clip(lower[~drawn], -copula._ZCAP, copula._ZCAP))


@pytest.mark.parametrize("seed", [32])
def test_wine_with_a_tenth_of_its_cells_missing_fits(seed):
    """The conditional-independence completion of a value and its indicator read a solve of an
    indefinite pairwise block and kept values such as 881 or -7.1 (21 of 40 masks of wine failed
    with "must be in [-1, 1]"); the completion is a correlation whatever the rest, and the fitted
    model keeps wine's rank correlations."""
    from sklearn.datasets import load_wine

    real = load_wine(as_frame=True).frame
    rng = np.random.default_rng(seed)
    holes = real.copy()
    num = holes.columns[:-1]
    holes[num] = holes[num].mask(rng.random((len(holes), len(num))) < 0.10)
    model = synthkit.fit(holes)
    assert np.linalg.eigvalsh(model.latent_correlation_).min() > 0
    synth = model.sample(5000, seed=1).frame
    assert synthkit.validate(real, synth.dropna(), checks=["dependence"]).passed
