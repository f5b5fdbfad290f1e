"""Tests of the Gaussian-mixture strategy ("gmm")."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import synthkit
from synthkit.errors import FitError, ModelFileError, SpecError
from synthkit.strategies.gmm import GMM, mixture_cdf, mixture_ppf
from synthkit.testing import frame_hash

#: One-sided normal quantile of the tests' level (1e-3): the tolerances are this many standard errors.
Z = 3.09
#: Asymptotic Kolmogorov critical value at level 1e-3 (times 1/sqrt(n)).
KS_CRIT = 1.95


def clusters(n: int = 900, seed: int = 0, nulls: bool = False) -> pd.DataFrame:
    """Three well-separated clusters with their own covariances (plus a class label)."""
    rng = np.random.default_rng(seed)
    means = np.array([[-4.0, 0.0], [0.0, 4.0], [4.0, -1.0]])
    covs = [np.array([[1.0, 0.8], [0.8, 1.0]]), np.array([[1.0, -0.6], [-0.6, 0.5]]), np.diag([0.3, 1.5])]
    label = rng.integers(0, 3, n)
    x = np.empty((n, 2))
    for k in range(3):
        rows = label == k
        x[rows] = rng.multivariate_normal(means[k], covs[k], rows.sum())
    df = pd.DataFrame({"x": x[:, 0], "y": np.exp(x[:, 1] / 3)})
    if nulls:  # missing mostly in the third cluster: missingness tied to the clusters
        df["y"] = df["y"].where(rng.random(n) > np.where(label == 2, 0.5, 0.05))
    return df


@pytest.fixture(scope="module")
def fitted():
    return synthkit.fit(clusters(nulls=True), strategy="gmm", privacy="off")


@pytest.fixture(scope="module")
def pool(fitted):
    """Unconditional draws, for conditioning by rejection."""
    return fitted.sample(400_000, seed=4).frame


def _eta(df: pd.DataFrame, y: str, x: str) -> float:
    """Correlation ratio of ``x`` by the classes of ``y``."""
    g = df.groupby(y, observed=True)[x]
    mu = df[x].mean()
    return float(np.sqrt((g.size() * (g.mean() - mu) ** 2).sum() / ((df[x] - mu) ** 2).sum()))


# --------------------------------------------------------------------------- fit
def test_registered_and_fitted_only():
    assert "gmm" in synthkit.available_strategies()  # the conformance suite runs on it (test_montecarlo)
    assert GMM.supports_conditions
    with pytest.raises(SpecError, match="fitted from data only"):
        synthkit.declare({"a": {"distribution": "normal"}}, strategy="gmm")


def test_bic_picks_the_true_number_of_clusters():
    m = synthkit.fit(clusters(), strategy="gmm", privacy="off")
    assert m.n_components_ == 3, m.bic_
    t = m.bic_
    assert t["chosen"].sum() == 1 and set(t["covariance_type"]) == {"full"}
    assert t.loc[t["chosen"], "bic"].item() == t.loc[t["admissible"], "bic"].min()
    auto = synthkit.fit(clusters(), strategy="gmm", privacy="off", covariance_type="auto")
    assert auto.n_components_ == 3 and set(auto.bic_["covariance_type"]) == {"full", "tied", "diag"}
    assert auto.covariance_type_ == "full" and len(auto.bic_) == 30
    fig = auto.plot_bic()
    ax = fig.axes[0]
    assert "components" in ax.get_xlabel() and "BIC" in ax.get_ylabel()
    assert any("chosen: 3" in text.get_text() for text in ax.get_legend().get_texts())


def test_bad_component_counts():
    df = clusters(40)
    with pytest.raises(FitError, match="more than the table's 40 rows"):
        synthkit.fit(df, strategy="gmm", n_components=41)
    with pytest.raises(FitError, match="more than the table's 40 rows"):
        synthkit.fit(df, strategy="gmm", max_components=50)
    with pytest.raises(FitError, match="at least 2 rows"):
        synthkit.fit(df.head(1), strategy="gmm", privacy="off")
    with pytest.raises(SpecError, match="not both"):
        synthkit.fit(df, strategy="gmm", n_components=2, max_components=3)
    for bad in ({"n_components": 0}, {"max_components": 2.5}, {"covariance_type": "spherical"},
                {"reg_covar": 0}, {"gibbs_sweeps": 0}):
        with pytest.raises(SpecError):
            synthkit.fit(df, strategy="gmm", **bad)
    # a component of a couple of rows would store them: refused under the standard privacy
    with pytest.raises(FitError, match="min_count"):
        synthkit.fit(df, strategy="gmm", n_components=30, covariance_type="full")
    m = synthkit.fit(clusters(12), strategy="gmm")  # default search capped by the rows
    assert m.bic_["k"].max() == 10 and (m.bic_.loc[m.bic_["chosen"], "smallest_component_rows"] >= 5).all()


# ------------------------------------------------------------- exact marginals
def test_every_column_keeps_its_fitted_marginal_exactly(fitted):
    n = 100_000
    out = fitted.sample(n, seed=1).frame
    for cm in fitted.columns_:
        x = out[cm.name].dropna().to_numpy()
        ks = stats.kstest(x, lambda v, cm=cm: cm.marginal.cdf(np.asarray(v))).statistic
        assert ks < KS_CRIT / np.sqrt(len(x)), (cm.name, ks)
    p = fitted.columns_[1].column.null_fraction
    assert abs(out["y"].isna().mean() - p) < Z * np.sqrt(p * (1 - p) / n)


def test_one_column_table_is_a_one_dimensional_mixture():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"v": np.r_[rng.normal(-3, 0.5, 300), rng.normal(2, 1.0, 300)]})
    m = synthkit.fit(df, strategy="gmm", privacy="off")
    assert m.means_.shape == (m.n_components_, 1) and m.n_components_ >= 2
    x = m.sample(10_000, seed=2).frame["v"].to_numpy()
    cm = m.columns_[0]
    assert stats.kstest(x, lambda v: cm.marginal.cdf(np.asarray(v))).statistic < KS_CRIT / np.sqrt(len(x))


def test_mixture_cdf_and_its_inverse():
    w = np.array([0.2, 0.5, 0.3])
    mu = np.array([[-3.0, 0.0], [0.0, 1.0], [2.0, 5.0]])
    sd = np.array([[0.5, 1.0], [1.0, 0.2], [0.3, 2.0]])
    z = np.array([[-3.5, 0.3], [0.1, 4.0], [40.0, -30.0]])
    brute = sum(w[k] * stats.norm.cdf(z, mu[k], sd[k]) for k in range(3))
    np.testing.assert_allclose(mixture_cdf(z, w, mu, sd), brute, rtol=1e-12, atol=0)
    u = np.array([[1e-10, 0.3], [0.5, 1 - 1e-10]])
    np.testing.assert_allclose(mixture_cdf(mixture_ppf(u, w, mu, sd), w, mu, sd), u, rtol=1e-9)


# ------------------------------------------------------------ class structure
def test_class_structure_of_wine_is_kept(wine):
    real = _eta(wine, "target", "color_intensity")
    rng = np.random.default_rng(0)  # the real statistic's standard error, by the bootstrap
    boot = [_eta(wine.iloc[rng.integers(0, len(wine), len(wine))], "target", "color_intensity")
            for _ in range(300)]
    se_real = float(np.std(boot))
    n = 20_000
    out = synthkit.fit(wine, strategy="gmm").sample(n, seed=3).frame
    got = _eta(out, "target", "color_intensity")
    se = np.sqrt(se_real**2 + (1 - got**2) ** 2 / n)
    assert abs(got - real) < Z * se, (got, real, se)
    flat = _eta(synthkit.fit(wine, strategy="gaussian_copula").sample(n, seed=3).frame, "target",
                "color_intensity")
    assert real - flat > Z * se  # the single copula loses it: the check can tell


# -------------------------------------------------------- conditional sampling
def _ks2(a: np.ndarray, b: np.ndarray) -> None:
    stat = stats.ks_2samp(a, b).statistic
    crit = KS_CRIT * np.sqrt(1 / len(a) + 1 / len(b))
    assert stat < crit, (stat, crit)


@pytest.mark.parametrize("conditions", [
    {"x": (1.0, 3.0)},  # one interval: exact
    {"x": (-3.0, 0.0), "y": (1.5, 4.0)},  # x, y and y observed: three intervals (GHK weights, Gibbs)
    {"x": (-6.0, -2.0), "y": (1.2, 3.0)},
    {"y": None},  # missing values only
], ids=["one-interval", "three-intervals", "three-intervals-b", "missing"])
def test_conditions_match_rejection_from_unconditional_draws(fitted, pool, conditions):
    keep = np.ones(len(pool), dtype=bool)
    for col, value in conditions.items():
        if value is None:
            keep &= pool[col].isna().to_numpy()
        else:
            keep &= pool[col].between(*value).to_numpy()
    ref = pool[keep]
    got = fitted.sample(4000, seed=5, conditions=conditions).frame
    for col, value in conditions.items():
        assert got[col].isna().all() if value is None else got[col].between(*value).all()
    assert len(ref) > 5000
    for col in ("x", "y"):
        if conditions.get(col, 0) is not None:
            _ks2(got[col].dropna().to_numpy(), ref[col].dropna().to_numpy())
    if "y" not in conditions:
        p = ref["y"].isna().mean()
        assert abs(got["y"].isna().mean() - p) < Z * np.sqrt(p * (1 - p) * (1 / len(got) + 1 / len(ref)))


@pytest.mark.parametrize("box", [((-1.5, 0.0), (0.0, 1.0)), ((-1.0, 0.5), (0.5, 3.0))])
def test_two_latent_intervals_match_rejection(box):
    m = synthkit.fit(clusters(), strategy="gmm", privacy="off")
    rng = np.random.default_rng(9)
    labels = rng.choice(m.n_components_, 400_000, p=m.weights_ / m.weights_.sum())
    z = m.means_[labels] + np.einsum("nij,nj->ni", np.linalg.cholesky(m.covariances_)[labels],
                                     rng.standard_normal((len(labels), 2)))
    a, b = np.array([box[0][0], box[1][0]]), np.array([box[0][1], box[1][1]])
    ref = z[np.all((z >= a) & (z <= b), axis=1)]
    n = 4000
    got = m._sample_given(np.tile(a, (n, 1)), np.tile(b, (n, 1)), np.zeros((n, 2), bool),
                          np.random.default_rng(10))
    assert len(ref) > 5000 and np.all((got >= a) & (got <= b))
    for j in range(2):
        _ks2(got[:, j], ref[:, j])


def test_point_evidence_is_the_closed_form_mixture_conditional():
    m = synthkit.fit(clusters(), strategy="gmm", privacy="off")
    w, mu, cov = m.weights_, m.means_, m.covariances_
    x0 = 0.5
    n = 20_000
    a = np.column_stack([np.full(n, x0), np.full(n, -np.inf)])
    b = np.column_stack([np.full(n, x0), np.full(n, np.inf)])
    z = m._sample_given(a, b, np.column_stack([np.ones(n, bool), np.zeros(n, bool)]), np.random.default_rng(6))
    # posterior weights w_k N(x0; mu_k0, S_k00) and conditional normals of the other dimension
    post = w * stats.norm.pdf(x0, mu[:, 0], np.sqrt(cov[:, 0, 0]))
    post /= post.sum()
    cm = mu[:, 1] + cov[:, 0, 1] / cov[:, 0, 0] * (x0 - mu[:, 0])
    cs = np.sqrt(cov[:, 1, 1] - cov[:, 0, 1] ** 2 / cov[:, 0, 0])
    cdf = lambda v: (post * stats.norm.cdf(np.asarray(v)[..., None], cm, cs)).sum(axis=-1)  # noqa: E731
    assert (z[:, 0] == x0).all()
    assert stats.kstest(z[:, 1], cdf).statistic < KS_CRIT / np.sqrt(n)


def test_uniforms_given_rows_and_extend(wine):
    m = synthkit.fit(wine, strategy="gmm")
    dims = len(m.columns_)
    lo = np.full((6, dims), np.nan)
    hi = np.full((6, dims), np.nan)
    lo[:3, 0] = hi[:3, 0] = 0.9  # a point for three rows
    lo[3:, 1], hi[3:, 1] = 0.1, 0.2  # an interval for the others
    u = m._uniforms_given(lo, hi, np.random.default_rng(0))
    assert (u[:3, 0] == 0.9).all() and ((u[3:, 1] >= 0.1) & (u[3:, 1] <= 0.2)).all()
    assert ((u > 0) & (u < 1)).all()
    given = wine[["alcohol", "target"]].head(40)
    out = m.extend(given, seed=1).frame
    pd.testing.assert_frame_equal(out[["alcohol", "target"]], given)
    assert out.notna().all().all() and out.shape == (40, 14)


# ----------------------------------------------------------------- persistence
def test_json_round_trip_gives_identical_samples(fitted):
    doc = json.loads(json.dumps(fitted.to_dict()))
    back = synthkit.strategies.base.Strategy.from_dict(doc)
    assert isinstance(back, GMM)
    assert frame_hash(back.sample(3000, seed=7).frame) == frame_hash(fitted.sample(3000, seed=7).frame)
    cond = {"x": (0.0, 2.0), "y": (1.0, 1.5)}
    assert frame_hash(back.sample(500, seed=8, conditions=cond).frame) == \
        frame_hash(fitted.sample(500, seed=8, conditions=cond).frame)
    pd.testing.assert_frame_equal(back.bic_, fitted.bic_)


def _edit(doc: dict, edit) -> dict:
    doc = json.loads(json.dumps(doc))
    edit(doc["dependence"])
    return doc


@pytest.mark.parametrize("edit, match", [
    (lambda d: d["mixture"]["weights"].__setitem__(0, -0.5), "weights"),
    (lambda d: d["mixture"].__setitem__("weights", [1.0] * 101), "components"),
    (lambda d: d["mixture"]["means"][0].append(0.0), "numeric arrays"),
    (lambda d: d["mixture"]["means"][0].__setitem__(0, "inf"), "means"),
    (lambda d: d["mixture"]["covariances"][0].__setitem__(0, [9.0, 0.0, 0.0]), "symmetric"),
    (lambda d: d["mixture"]["covariances"][0].__setitem__(
        0, [d["mixture"]["covariances"][0][0][0], 1e3, d["mixture"]["covariances"][0][0][2]])
     or d["mixture"]["covariances"][0][1].__setitem__(0, 1e3), "positive definite"),
    (lambda d: d["mixture"].__setitem__("covariances", {"a": 1}), "lists"),
    (lambda d: d["mixture"]["covariances"].__setitem__(0, [[[1.0]]]), "numeric arrays"),
    (lambda d: d.__setitem__("bic", [{"k": "x"}]), "bic"),
    (lambda d: d.pop("mixture"), "mixture"),
    (lambda d: d.__setitem__("names", 7), "names"),
], ids=["negative-weight", "too-many", "ragged-mean", "infinite-mean", "asymmetric", "not-pd",
        "not-lists", "ragged-covariance", "bad-bic", "missing", "names"])
def test_hostile_model_documents_are_refused(fitted, edit, match):
    with pytest.raises(ModelFileError, match=match):
        synthkit.strategies.base.Strategy.from_dict(_edit(fitted.to_dict(), edit))


def test_a_dependence_entry_that_is_not_an_object_is_refused(fitted):
    doc = json.loads(json.dumps(fitted.to_dict()))
    doc["dependence"] = [1, 2]
    with pytest.raises(ModelFileError, match="must be an object"):
        synthkit.strategies.base.Strategy.from_dict(doc)


def test_latent_calibration_undoes_itself(fitted):
    j = 1  # "y", the nullable column: its observed values' scale differs from the latent one
    assert j in fitted._calibration()
    v = np.linspace(0.01, 0.99, 50)
    ug, gg = fitted._calibration()[j]
    np.testing.assert_allclose(np.interp(fitted._uncalibrate_array(j, v), ug, gg), v, atol=1e-6)
    # the calibration is not the identity (by far more than the tolerance above)
    assert np.abs(fitted._uncalibrate_array(j, v) - v).max() > 1e-3


def test_inspect_shows_the_chosen_mixture(fitted, tmp_path):
    from synthkit.cli.inspect_model import summarize

    dep = summarize(str(fitted.save(tmp_path / "m.json")))["dependence"]
    t = fitted.bic_
    best = t[t["chosen"]].iloc[0]
    assert dep["mixture"] == f"{best['k']} components, {best['covariance_type']} covariances"
    assert f"{best['covariance_type']} k={best['k']} {best['bic']:.1f}" in dep["bic"]
