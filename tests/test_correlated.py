"""Tests of the correlated strategies: cholesky, iman_conover, gaussian_copula, t_copula, vine."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import synthkit
from synthkit.dependence.copula import vine_available
from synthkit.errors import DataError, FitError, ModelFileError, SpecError, SynthkitError
from synthkit.seeding import BLOCK_ROWS
from synthkit.testing import frame_hash, mixed_table

STRATEGIES = ["gaussian_copula", "cholesky", "iman_conover", "t_copula", "vine"]
needs_vine = pytest.mark.skipif(not vine_available(), reason="pyvinecopulib not installed")


def _params(name):
    return [pytest.param(name, marks=needs_vine)] if name == "vine" else [name]


ALL = [p for s in STRATEGIES for p in _params(s)]

NORMALS = {
    "a": {"distribution": "normal", "params": {"loc": 10, "scale": 2}},
    "b": {"distribution": "normal"},
    "c": {"distribution": "normal", "params": {"loc": -5, "scale": 0.1}},
}
TARGET = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 1.0]])
SKEWED = {
    "ln": {"distribution": "lognormal", "params": {"s": 0.8}},
    "ga": {"distribution": "gamma", "params": {"a": 2.0}},
    "be": {"distribution": "beta", "params": {"a": 2, "b": 5}},
    "ex": {"distribution": "exponential"},
}
SKEWED_TARGET = np.array(
    [[1, 0.5, 0.3, -0.2], [0.5, 1, 0.4, 0.3], [0.3, 0.4, 1, 0.1], [-0.2, 0.3, 0.1, 1]]
)


@pytest.fixture(scope="module")
def mixed():
    return mixed_table(600, seed=1)


# conformance (synthkit.testing.check_strategy): once per registered strategy, in
# tests/test_montecarlo.py::test_every_registered_strategy_passes_the_conformance_suite


# ------------------------------------------------------------------ Cholesky
def test_cholesky_exact_to_machine_precision():
    m = synthkit.declare(NORMALS, strategy="cholesky", correlation=TARGET, exact=True)
    x = m.sample(5000, seed=1).frame
    assert np.abs(np.corrcoef(x.to_numpy(), rowvar=False) - TARGET).max() < 1e-10
    np.testing.assert_allclose(x.mean().to_numpy(), [10, 0, -5], atol=1e-10)
    np.testing.assert_allclose(x.std().to_numpy(), [2, 1, 0.1], rtol=1e-10)


def test_cholesky_non_exact_within_sampling_error():
    n = 20_000
    m = synthkit.declare(NORMALS, strategy="cholesky", correlation=TARGET)
    x = m.sample(n, seed=2).frame
    assert np.abs(np.corrcoef(x.to_numpy(), rowvar=False) - TARGET).max() < 4 / np.sqrt(n)


def test_cholesky_fitted_preserves_moments_and_pearson():
    rng = np.random.default_rng(3)
    z = rng.standard_normal((3000, 3)) @ np.linalg.cholesky(TARGET).T
    df = pd.DataFrame({"x": np.exp(z[:, 0]), "y": 3 * z[:, 1] + 1, "w": z[:, 2] ** 3})
    # privacy="off": the exact method reproduces the table as given (no top/bottom coding)
    m = synthkit.fit(df, strategy="cholesky", exact=True, privacy="off")
    out = m.sample(3000, seed=4).frame
    np.testing.assert_allclose(out.corr().to_numpy(), df.corr().to_numpy(), atol=1e-10)
    np.testing.assert_allclose(out.mean().to_numpy(), df.mean().to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(out.std().to_numpy(), df.std().to_numpy(), rtol=1e-9)


# ------------------------------------------------------------- Iman–Conover
def test_iman_conover_marginals_identical_to_independent_draws():
    n = 10_000
    target = SKEWED_TARGET
    ic = synthkit.declare(SKEWED, strategy="iman_conover", correlation=target)
    mc = synthkit.declare(SKEWED, strategy="montecarlo")
    x = ic.sample(n, seed=5).frame
    y = mc.sample(n, seed=5).frame
    for c in SKEWED:
        np.testing.assert_array_equal(np.sort(x[c].to_numpy()), np.sort(y[c].to_numpy()))
    err = np.abs(x.corr("spearman").to_numpy() - target).max()
    assert err < 0.02, err
    # the independent draws themselves are uncorrelated: the reordering did the work
    assert np.abs(y.corr("spearman").to_numpy() - np.eye(4)).max() < 4 / np.sqrt(n)


def test_iman_conover_fitted_reproduces_rank_correlation():
    rng = np.random.default_rng(6)
    z = rng.standard_normal((4000, 3)) @ np.linalg.cholesky(TARGET).T
    df = pd.DataFrame({"p": np.exp(z[:, 0]), "q": stats.norm.cdf(z[:, 1]) ** 2, "r": z[:, 2]})
    m = synthkit.fit(df, strategy="iman_conover")
    out = m.sample(20_000, seed=7).frame
    assert np.abs(out.corr("spearman").to_numpy() - df.corr("spearman").to_numpy()).max() < 0.03


def test_iman_conover_rejects_pearson_type():
    with pytest.raises(SpecError, match="'pearson' is not supported by 'iman_conover'"):
        synthkit.declare(
            SKEWED, strategy="iman_conover", correlation=SKEWED_TARGET, correlation_type="pearson"
        )


# ------------------------------------------------------------ NORTA (declared Pearson)
def _norta(n, seed):
    m = synthkit.declare(
        SKEWED, strategy="gaussian_copula", correlation=SKEWED_TARGET, correlation_type="pearson"
    )
    x = m.sample(n, seed=seed).frame
    return m, np.abs(x.corr().to_numpy() - SKEWED_TARGET).max()


def test_norta_gaussian_copula_light():
    m, err = _norta(50_000, 8)
    assert err < 0.02 + 4 / np.sqrt(50_000), err
    table = m.norta_.to_frame()
    assert {"attainable_low", "attainable_high", "latent"} <= set(table.columns)


def test_norta_gaussian_copula_200k():
    _, err = _norta(200_000, 9)
    assert err < 0.02, err


def test_norta_unattainable_target_reports_interval():
    cols = {
        "x": {"distribution": "lognormal", "params": {"s": 1.0}},
        "y": {"distribution": "lognormal", "params": {"s": 1.0}},
    }
    with pytest.raises(SpecError, match=r"x-y target -0.8 attainable \[-0.36"):
        synthkit.declare(
            cols,
            strategy="gaussian_copula",
            correlation=[[1, -0.8], [-0.8, 1]],
            correlation_type="pearson",
        )
    m = synthkit.declare(
        cols,
        strategy="gaussian_copula",
        correlation=[[1, -0.8], [-0.8, 1]],
        correlation_type="pearson",
        on_infeasible="clip",
    )
    assert m.norta_.infeasible[0]["target"] == -0.8


def test_declared_spearman_and_kendall_types():
    n = 30_000
    for ctype, measure in (("spearman", "spearman"), ("kendall", "kendall")):
        m = synthkit.declare(
            SKEWED, strategy="gaussian_copula", correlation=SKEWED_TARGET, correlation_type=ctype
        )
        x = m.sample(n if ctype == "spearman" else 4000, seed=10).frame
        tol = 0.02 if ctype == "spearman" else 0.04
        assert np.abs(x.corr(measure).to_numpy() - SKEWED_TARGET).max() < tol


def test_non_pd_declared_matrix_is_repaired_or_refused():
    bad = [[1, 0.9, 0.9], [0.9, 1, -0.5], [0.9, -0.5, 1]]
    m = synthkit.declare(NORMALS, strategy="gaussian_copula", correlation=bad)
    assert m.repair_ is not None and m.repair_.min_eigenvalue_before < 0
    np.testing.assert_array_equal(np.diag(m.correlation_), 1.0)
    assert np.linalg.eigvalsh(m.correlation_)[0] > 0
    with pytest.raises(SpecError, match="not positive definite"):
        synthkit.declare(NORMALS, strategy="gaussian_copula", correlation=bad, strict=True)


# ------------------------------------------------------------- mixed types
def test_mixed_types_take_part_in_the_dependence():
    rng = np.random.default_rng(11)
    n = 3000
    levels = np.array(["secondary", "bachelor", "master", "doctorate"])
    edu_code = rng.choice(4, size=n, p=[0.4, 0.35, 0.2, 0.05])
    income = np.exp(10 + 0.35 * edu_code + 0.3 * rng.standard_normal(n))
    owner = rng.random(n) < 0.2 + 0.15 * edu_code
    joined = pd.Timestamp("2015-01-01") + pd.to_timedelta(
        (2000 - 300 * edu_code + rng.integers(0, 600, n)).astype(int), unit="D"
    )
    kids = rng.poisson(0.5 + 0.4 * edu_code)
    income[rng.random(n) < 0.05] = np.nan
    df = pd.DataFrame(
        {
            "education": pd.Categorical(levels[edu_code], categories=list(levels)),
            "income": income,
            "owner": owner,
            "joined": joined,
            "kids": kids,
        }
    )
    m = synthkit.fit(df, strategy="gaussian_copula")
    out = m.sample(20_000, seed=12).frame
    real_med = df.groupby("education", observed=True)["income"].median()
    syn_med = out.groupby("education", observed=True)["income"].median()
    # income rises with education in the synthetic table as in the real one; a Gaussian
    # copula approximates this dependence (not exactly of its form): medians within 20%
    np.testing.assert_allclose(syn_med.to_numpy(), real_med.to_numpy(), rtol=0.2)
    assert syn_med.is_monotonic_increasing
    code = {v: i for i, v in enumerate(levels)}
    rs = [
        f["education"].map(code).astype(float).corr(f["income"], method="spearman")
        for f in (df, out)
    ]
    assert abs(rs[0] - rs[1]) < 0.05, rs
    own_real = df.groupby("education", observed=True)["owner"].mean().to_numpy()
    own_syn = out.groupby("education", observed=True)["owner"].mean().to_numpy()
    assert np.abs(own_real - own_syn).max() < 0.06
    assert out["joined"].dtype == df["joined"].dtype
    assert abs(out["income"].isna().mean() - 0.05) < 0.01
    assert set(out["kids"].unique()) <= set(df["kids"].unique())
    rs_real = df["kids"].corr(df["income"], method="spearman")
    rs_syn = out["kids"].corr(out["income"], method="spearman")
    assert abs(rs_real - rs_syn) < 0.06


def test_pairwise_mle_beats_jitter_on_discrete_columns():
    from sklearn.datasets import load_wine

    wine = load_wine(as_frame=True).frame  # `target`: 3 classes coded 0, 1, 2
    target = wine.corr("spearman")["target"].to_numpy()

    def err(est):
        m = synthkit.fit(wine, strategy="gaussian_copula", estimator=est)
        out = m.sample(30_000, seed=13).frame
        return np.abs(out.corr("spearman")["target"].to_numpy() - target).max()

    assert err("pairwise_mle") < 0.8 * err("normal_scores")


# ---------------------------------------------------------- conditional sampling
def test_conditional_sampling_range_matches_rejection(mixed):
    m = synthkit.fit(mixed, strategy="gaussian_copula")
    cond = m.sample(20_000, seed=14, conditions={"age": (30, 40)}).frame
    assert cond["age"].between(30, 40).all()
    big = m.sample(200_000, seed=15).frame
    ref = big[big["age"].between(30, 40)]
    for c in ("income", "score"):
        a, b = cond[c].dropna(), ref[c].dropna()
        assert stats.ks_2samp(a, b).statistic < 1.63 * np.sqrt(1 / len(a) + 1 / len(b)) + 0.01
    share_real = ref["segment"].value_counts(normalize=True)
    share_cond = cond["segment"].value_counts(normalize=True)
    assert np.abs(share_real - share_cond).max() < 0.02


def test_conditional_sampling_points_and_categories(mixed):
    m = synthkit.fit(mixed, strategy="gaussian_copula")
    out = m.sample(5000, seed=16, conditions={"segment": "gold", "income": 30000.0}).frame
    assert (out["segment"] == "gold").all() and (out["income"] == 30000.0).all()
    both = m.sample(3000, seed=17, conditions={"segment": "gold", "age": (50, 60)}).frame
    assert (both["segment"] == "gold").all() and both["age"].between(50, 60).all()
    nulls = m.sample(500, seed=18, conditions={"score": None}).frame
    assert nulls["score"].isna().all()
    with pytest.raises(SpecError, match="'platinum' is not a category"):
        m.sample(10, seed=0, conditions={"segment": "platinum"})
    with pytest.raises(SpecError, match="empty range"):
        m.sample(10, seed=0, conditions={"age": (60, 50)})
    with pytest.raises(SpecError, match="outside the column's support"):
        m.sample(10, seed=0, conditions={"income": -5.0})
    with pytest.raises(SpecError, match="does not support `conditions`"):
        synthkit.fit(mixed, strategy="iman_conover").sample(10, conditions={"age": 40})


# ------------------------------------------------------- seeding and threads
@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_rows_under_threads(name):
    rng = np.random.default_rng(19)
    z = rng.standard_normal((400, 3)) @ np.linalg.cholesky(TARGET).T
    df = pd.DataFrame({"a": np.exp(z[:, 0]), "b": z[:, 1], "c": (z[:, 2] > 0.3).astype(int)})
    m = synthkit.fit(df, strategy=name)
    n = 2 * BLOCK_ROWS + 17
    ref = frame_hash(m.sample(n, seed=20).frame)
    # blocks drawn by several worker threads inside one call
    assert frame_hash(m.sample(n, seed=20, workers=3).frame) == ref
    # several threads sampling the same model at once
    barrier = threading.Barrier(4)

    def draw(_):
        barrier.wait()
        return frame_hash(m.sample(n, seed=20).frame)

    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(draw, range(4))) == {ref}


@pytest.mark.parametrize("name", ALL)
def test_sampling_never_touches_global_random_state(name, mixed):
    m = synthkit.fit(mixed.iloc[:200], strategy=name)
    legacy = np.random  # the global (legacy) state is what copulas would use
    legacy.seed(1234)  # noqa: NPY002
    before = legacy.get_state()[1].copy()  # noqa: NPY002
    m.sample(3000, seed=21)
    after = legacy.get_state()[1]  # noqa: NPY002
    assert np.array_equal(before, after)


# ----------------------------------------------------------------- t and vine
def test_t_copula_fits_df_and_declared_needs_df():
    rng = np.random.default_rng(22)
    from synthkit.dependence.copula import sample_t_copula

    u = sample_t_copula(np.linalg.cholesky(TARGET), 3.0, 3000, rng)
    df = pd.DataFrame(stats.norm.ppf(u) * [1, 2, 3], columns=list("xyz"))
    m = synthkit.fit(df, strategy="t_copula")
    assert 2.0 < m.df_ < 5.0  # (the sampled tails: test_t_copula_joint_tail_is_the_bivariate_t)
    with pytest.raises(SpecError, match="positive finite number"):
        synthkit.fit(df, strategy="t_copula", df=float("inf"))
    with pytest.raises(SpecError, match="`df_bounds` must be"):
        synthkit.fit(df, strategy="t_copula", df_bounds=("x", 3))
    with pytest.raises(SpecError, match="needs `df`"):
        synthkit.declare(
            NORMALS, strategy="t_copula", correlation=TARGET, correlation_type="kendall"
        )
    d = synthkit.declare(
        NORMALS,
        strategy="t_copula",
        correlation=TARGET * 0.5 + np.eye(3) * 0.5,
        correlation_type="kendall",
        df=4,
    )
    assert d.df_ == 4.0


@pytest.mark.parametrize("df", [3.0, 8.0])
def test_t_copula_joint_tail_is_the_bivariate_t(df):
    """The declared t copula's joint upper-tail probability of a pair with latent correlation
    r: ``P(U > q, V > q) = 1 - 2q + T2(t_df^-1(q), t_df^-1(q); r, df)`` with ``T2`` the
    bivariate t CDF (scipy's ``multivariate_t.cdf``), within 4 binomial standard errors of
    200,000 rows. Sampling at 5x the declared df misses it by about 10 standard errors."""
    d = synthkit.declare(NORMALS, strategy="t_copula", correlation=TARGET,
                         correlation_type="normal_scores", df=df)
    n, q = 200_000, 0.99
    x = d.sample(n, seed=31).frame
    ua, ub = stats.norm.cdf(x["a"], 10, 2), stats.norm.cdf(x["b"])
    t = stats.t.ppf(q, df)
    r = TARGET[0, 1]
    p = 1 - 2 * q + stats.multivariate_t(shape=[[1, r], [r, 1]], df=df).cdf(
        [t, t], random_state=np.random.default_rng(0))
    se = np.sqrt(p * (1 - p) / n)
    assert abs(np.mean((ua > q) & (ub > q)) - p) < 4 * se


@needs_vine
def test_vine_fitted_only_and_reproduces_dependence():
    rng = np.random.default_rng(24)
    x = rng.standard_normal(3000)
    df = pd.DataFrame(
        {
            "x": x,
            "y": np.tanh(2 * x) + 0.3 * rng.standard_normal(3000),
            "z": np.exp(x) + rng.standard_normal(3000),
        }
    )
    m = synthkit.fit(df, strategy="vine")
    out = m.sample(20_000, seed=25).frame
    assert np.abs(out.corr("spearman").to_numpy() - df.corr("spearman").to_numpy()).max() < 0.05
    with pytest.raises(SpecError, match="fitted from data only"):
        synthkit.declare(NORMALS, strategy="vine")
    # a malformed stored correlation is a model-file error, not a numpy traceback
    doc = m.to_dict()
    doc["dependence"]["correlation"] = [["x"]]
    with pytest.raises(ModelFileError, match=r"must be a 3 x 3 matrix"):
        type(m).from_dict(doc)


# ----------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("correlation", "message"),
    [
        ([[1, 0.5]], r"must be square \(d x d\), got shape \(1, 2\)"),
        ([[1, 0.5, 0], [0.4, 1, 0], [0, 0, 1]], "must be symmetric"),
        ([[1, 1.3, 0], [1.3, 1, 0], [0, 0, 1]], r"must be in \[-1, 1\], got 1.3"),
        ([[1, np.nan, 0], [np.nan, 1, 0], [0, 0, 1]], "non-finite entry"),
        ([[1, 0.2], [0.2, 1]], "matrix is 2 x 2 but the table has 3 columns"),
        (
            pd.DataFrame(np.eye(3), index=list("abz"), columns=list("abz")),
            r"do not match the table: missing \['c'\], unknown \['z'\]",
        ),
    ],
)
@pytest.mark.parametrize("name", ["gaussian_copula", "cholesky", "iman_conover"])
def test_bad_declared_correlation(name, correlation, message):
    with pytest.raises(SpecError, match=message):
        synthkit.declare(NORMALS, strategy=name, correlation=correlation)


def test_bad_fit_inputs(mixed):
    with pytest.raises(SpecError, match="matrix is 2 x 2 but the table has 8 columns"):
        synthkit.fit(mixed, strategy="gaussian_copula", correlation=np.eye(2))
    with pytest.raises(SpecError, match="unknown strategy 'gausian_copula'; available"):
        synthkit.fit(mixed, strategy="gausian_copula")
    with pytest.raises(SpecError, match="`correlation_type` must be one of"):
        synthkit.fit(mixed, strategy="gaussian_copula", correlation_type="cosine")
    with pytest.raises(SpecError, match="`threshold` must be a number in"):
        synthkit.fit(mixed, strategy="cholesky", threshold=2)
    with pytest.raises(FitError, match="not fitted yet"):
        synthkit.get_strategy("gaussian_copula")().sample(5)


@pytest.mark.parametrize("name", ["gaussian_copula", "cholesky", "iman_conover", "t_copula"])
def test_singular_table(name):
    rng = np.random.default_rng(26)
    x = rng.standard_normal(300)
    dup = pd.DataFrame({"x": x, "x2": 2 * x + 1, "y": rng.standard_normal(300)})
    const = pd.DataFrame({"x": x, "k": 7.0, "y": rng.standard_normal(300)})
    with pytest.raises(
        DataError, match=r"singular: perfectly correlated column pair\(s\) \['x~x2'\]"
    ):
        synthkit.fit(dup, strategy=name, strict=True, privacy="off")  # coding breaks exact ties
    with pytest.raises(DataError, match=r"singular: constant column\(s\) \['k'\]"):
        synthkit.fit(const, strategy=name, strict=True)
    # default: repaired / modelled as independent, and still sampled
    m = synthkit.fit(dup, strategy=name)
    assert np.linalg.eigvalsh(m.correlation_)[0] > 0
    out = synthkit.fit(const, strategy=name).sample(100, seed=0).frame
    assert (out["k"] == 7.0).all()


def test_errors_are_synthkit_errors():
    with pytest.raises(SynthkitError):
        synthkit.declare(NORMALS, strategy="gaussian_copula", correlation="high")


def test_strict_refusal_reports_the_whole_declarations_eigenvalue():
    """With a discrete column the Spearman pairs are solved on a subset; strict=True reported that
    subset's eigenvalue (-0.05) instead of the declaration's (-0.65)."""
    from synthkit.dependence import convert_correlation, min_eigenvalue
    from synthkit.dependence.tabular import check_correlation_matrix

    columns = {"edu": {"distribution": "poisson", "params": {"mu": 2}},
               "income": {"distribution": "lognormal", "params": {"s": 0.5}},
               "housing": {"distribution": "normal"}}
    declared = {"edu,income": 0.8, "income,housing": 0.85, "edu,housing": -0.6}
    latent = convert_correlation(check_correlation_matrix(declared, list(columns)), "spearman", "normal_scores")
    with pytest.raises(SpecError, match=f"smallest eigenvalue {min_eigenvalue(latent):.3g}"):
        synthkit.declare(columns, correlation=declared, correlation_type="spearman", strict=True)
