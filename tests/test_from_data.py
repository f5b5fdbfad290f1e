"""Archetypes fitted to real labelled data, and labelled-vs-labelled cluster validation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import ndtr

import synthkit
from synthkit.clusters.estimate import LabelledData
from synthkit.clusters.from_data import archetype_from_data, fit_archetype
from synthkit.errors import DataError, SpecError
from synthkit.validation import labelled as labelled_mod
from synthkit.validation.labelled import labelled_checks


def _iris():
    from sklearn.datasets import load_iris

    d = load_iris()
    return d.data, d.target


def _wine():
    from sklearn.datasets import load_wine

    d = load_wine()
    X = (d.data - d.data.mean(0)) / d.data.std(0)
    return X, d.target


def _digits():
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA

    d = load_digits()
    return PCA(10, random_state=0).fit_transform(d.data), d.target


def _grunfeld():
    import statsmodels.api as sm

    g = sm.datasets.grunfeld.load_pandas().data
    return np.log(g[["invest", "value", "capital"]]), g["firm"].to_numpy()


DATASETS = {"iris": _iris, "wine": _wine, "digits": _digits, "grunfeld": _grunfeld}


def _brute_overlap(mi, Si, mj, Sj, n_t=4001):
    """Anderson–Bahadur by brute force: q(a(t)) on a fine grid of t, a(t) = (t Si + (1-t) Sj)^-1 d."""
    d = mj - mi
    best = -np.inf
    for t in np.linspace(0, 1, n_t):
        a = np.linalg.solve(t * Si + (1 - t) * Sj, d)
        best = max(best, a @ d / (math.sqrt(a @ Si @ a) + math.sqrt(a @ Sj @ a)))
    return 2 * ndtr(-best)


@pytest.mark.parametrize("name", list(DATASETS))
def test_estimates_match_numpy_on_the_groups(name):
    X, y = DATASETS[name]()
    fit = fit_archetype(X, y)
    a = fit.archetype
    Xa = np.asarray(X, float)
    classes = np.unique(y)
    covs = [np.cov(Xa[y == c], rowvar=False) for c in classes]
    axes = np.array([np.sqrt(np.linalg.eigvalsh(S)) for S in covs])
    radius = np.exp(np.log(axes).mean(1))
    aspect = axes.max(1) / axes.min(1)
    sizes = np.array([(y == c).sum() for c in classes])
    np.testing.assert_allclose(fit.clusters["radius"], radius, rtol=1e-10)
    np.testing.assert_allclose(fit.clusters["aspect"], aspect, rtol=1e-10)
    np.testing.assert_allclose(fit.covariances, covs, rtol=1e-10, atol=1e-12)
    assert (a.n_clusters, a.dim, a.n_samples) == (len(classes), Xa.shape[1], len(Xa))
    assert a.imbalance_ratio == pytest.approx(sizes.max() / sizes.min())
    assert a.scale == pytest.approx(np.exp(np.log(radius).mean()), rel=1e-10)
    assert a.radius_maxmin == pytest.approx(radius.max() / radius.min(), rel=1e-10)
    assert a.aspect_ref == pytest.approx(np.exp(np.log(aspect).mean()), rel=1e-10)
    assert a.aspect_maxmin == pytest.approx(aspect.max() / aspect.min(), rel=1e-10)
    assert fit.clusters.index.tolist() == classes.tolist()
    assert sum(a.distribution_proportions) == pytest.approx(1.0)
    # the largest pairwise overlap against a brute-force Anderson–Bahadur search
    ov = fit.overlap.to_numpy()
    i, j = np.unravel_index(np.argmax(ov), ov.shape)
    means = [Xa[y == c].mean(0) for c in classes]
    brute = _brute_overlap(means[i], covs[i], means[j], covs[j])
    assert ov[i, j] == pytest.approx(brute, rel=1e-3, abs=1e-12)
    assert fit.overlap_summary["exact"]["max"] == pytest.approx(ov.max())
    if ov.max() > 1e-6:
        assert a.max_overlap == pytest.approx(ov.max() if ov.max() >= 1.25 * a.min_overlap
                                              else a.max_overlap)
    assert 0 < a.min_overlap < a.max_overlap < 1 and a.avg_overlap < a.max_overlap
    assert "n_clusters" in fit.summary()


def test_from_data_entry_point_and_overrides():
    X, y = _iris()
    a = synthkit.Archetype.from_data(X, y, n_samples=90, distributions=["normal"])
    assert isinstance(a, synthkit.Archetype) and a.n_samples == 90
    assert archetype_from_data(X, y) == fit_archetype(X, y).archetype
    ds = a.sample(seed=0)
    assert ds.X.shape == (90, 4)
    with pytest.raises(SpecError, match="unknown archetype parameter"):
        archetype_from_data(X, y, n_sample=10)


def test_packing_follows_the_share_of_pairs_near_the_maximum():
    """iris has one close pair of three (sparse); a dense-packed mixture is read back dense."""
    fit = fit_archetype(*_iris())
    iu = np.triu_indices(3, 1)
    share = float(np.mean(fit.overlap.to_numpy()[iu] >= fit.overlap.to_numpy()[iu].max() / 10))
    assert fit.overlap_summary["exact"]["near_max"] == pytest.approx(share) == pytest.approx(1 / 3)
    assert fit.archetype.packing == "sparse"
    ds = synthkit.Archetype(n_clusters=5, dim=6, n_samples=2000, min_overlap=0.002,
                            max_overlap=0.02, packing="dense").sample(seed=1)
    again = fit_archetype(ds.X, ds.labels)
    assert again.overlap_summary["exact"]["near_max"] > 0.5
    assert again.archetype.packing == "dense"


def test_clusters_that_do_not_overlap_are_read_as_sparse():
    """No pair overlaps: the share near the maximum is taken against the floored maximum
    (OVERLAP_FLOOR), so it is 0 (sparse) rather than every pair counting against max 0."""
    rng = np.random.default_rng(0)
    centers = 100 * np.array([[0, 0], [1, 0], [0, 1], [1, 1]])
    X = np.vstack([rng.normal(c, 1, (40, 2)) for c in centers])
    fit = fit_archetype(X, np.repeat(np.arange(4), 40))
    assert fit.overlap_summary["exact"]["max"] < 1e-100
    assert fit.overlap_summary["exact"]["near_max"] == 0.0
    assert fit.archetype.packing == "sparse"


def test_zero_overlap_is_floored_and_two_clusters_are_spread():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (40, 2)), rng.normal(100, 1, (40, 2))])
    a = archetype_from_data(X, np.repeat(["a", "b"], 40))
    assert a.min_overlap == pytest.approx(1e-6 / math.sqrt(1.25))
    assert a.max_overlap == pytest.approx(1e-6 * math.sqrt(1.25))
    X[40:] -= 97  # one pair overlapping: min = max = that overlap before spreading
    fit = fit_archetype(X, np.repeat(["a", "b"], 40))
    v = fit.overlap.iloc[0, 1]
    assert fit.archetype.max_overlap / fit.archetype.min_overlap == pytest.approx(1.25)
    assert math.sqrt(fit.archetype.max_overlap * fit.archetype.min_overlap) == pytest.approx(v)


@pytest.mark.slow
def test_round_trip_recovers_the_mixture_within_monte_carlo_error():
    arch = synthkit.Archetype(n_clusters=4, dim=3, n_samples=8000, aspect_ref=2, aspect_maxmin=2,
                              radius_maxmin=2, imbalance_ratio=2, max_overlap=0.05, min_overlap=0.005)
    mix, _ = arch.sample_mixture(seed=3)
    axes = mix.axis_lengths()
    rad, asp = np.exp(np.log(axes).mean(1)), axes.max(1) / axes.min(1)
    ov = mix.overlap()
    iu = np.triu_indices(4, 1)
    truth = np.array([np.exp(np.log(asp).mean()), asp.max() / asp.min(), rad.max() / rad.min(),
                      np.exp(np.log(rad).mean()), ov[iu].max(), ov[iu].mean()])
    est = []
    for r in range(12):
        X, lab = mix.sample(seed=100 + r)
        f = fit_archetype(X, lab, distributions=["normal"])
        a, s = f.archetype, f.overlap_summary["exact"]
        est.append([a.aspect_ref, a.aspect_maxmin, a.radius_maxmin, a.scale, s["max"], s["mean"]])
        assert a.imbalance_ratio == pytest.approx(mix.sizes.max() / mix.sizes.min())
    est = np.array(est)
    se = est.std(0, ddof=1) / math.sqrt(len(est))
    z = np.abs(est.mean(0) - truth) / se
    assert np.all(z < 4), z


@pytest.mark.parametrize("family, axes", [
    ("exponential", [3.0, 1.0, 0.5]), ("normal", [3.0, 1.0, 0.5]), ("uniform", [3.0, 1.0, 0.5]),
    (("student_t", {"df": 4}), [3.0, 1.0, 0.5]),
    ("exponential", [1.0, 1.0, 1.0]),  # equal axes: principal axes mix the coordinates, ICA does not
])
def test_family_is_recovered(family, axes):
    """Clusters x = mu + R diag(axes) z with iid standardised z of the family, R Haar-random."""
    from synthkit.clusters.covariances import random_rotations
    from synthkit.clusters.distributions import parse_distribution

    rng = np.random.default_rng(5)
    dist = parse_distribution(family)
    R = random_rotations(3, 3, rng) * np.asarray(axes)[None, None, :]
    X = np.vstack([40.0 * i + dist.sample(rng, (2000, 3)) @ R[i].T for i in range(3)])
    fit = fit_archetype(X, np.repeat([0, 1, 2], 2000))
    assert fit.clusters["family"].tolist() == [dist.name] * 3
    assert [d["name"] for d in fit.archetype.distributions] == [dist.name]  # default parameters


def test_small_normal_clusters_stay_normal():
    """Few points per dimension (as wine: 60 points, p = 13): normality is tested on the
    principal coordinates, so at level 0.01 per cluster at most a rare cluster is rejected."""
    rng = np.random.default_rng(2)
    fams = []
    for _ in range(5):
        X = np.vstack([40.0 * i + rng.standard_normal((60, 13)) * np.linspace(0.5, 2, 13)
                       for i in range(3)])
        fams += fit_archetype(X, np.repeat([0, 1, 2], 60)).clusters["family"].tolist()
    assert fams.count("normal") >= 14, fams


@pytest.mark.parametrize("name", ["wine", "digits"])
def test_normality_is_tested_on_the_principal_coordinates(name):
    """On wine and digits the KS test on the principal coordinates (signs as they are) keeps
    every cluster normal; with the signs chosen to make each skewness positive it does not."""
    X, y = DATASETS[name]()
    assert set(fit_archetype(X, y).clusters["family"]) == {"normal"}


@pytest.mark.parametrize("X, labels, match", [
    (np.zeros((6, 2)), np.zeros(6), "only 1 cluster"),
    (np.random.default_rng(0).normal(size=(8, 3)), [0] * 5 + [1] * 3,
     "fewer than p \\+ 1"),
    (np.random.default_rng(0).normal(size=(14, 3)), [0] * 6 + [1] * 5 + [99] * 3,
     r"cluster\(s\) \[99\] have fewer"),                       # the user's label, not its code
    (np.random.default_rng(0).normal(size=(8, 2)), np.repeat([0, 1], 3), "6 entries but `X` has 8"),
    (np.array([[0.0, 1], [np.nan, 2], [3, 4], [1, 1], [5, 5], [6, 7]]), [0, 0, 0, 1, 1, 1],
     "missing or infinite"),
    (np.array([[0.0, 1], [np.inf, 2], [3, 4], [1, 1], [5, 5], [6, 7]]), [0, 0, 0, 1, 1, 1],
     "missing or infinite"),
    (pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6], "b": list("xyzxyz")}), [0, 0, 0, 1, 1, 1],
     r"\['b'\] are not"),
    (np.zeros((6, 0)), [0, 0, 0, 1, 1, 1], "p = 0"),
    (np.array([[0.0, 1], [1, 1], [2, 1], [5, 0], [6, 2], [7, 1]]), [0, 0, 0, 1, 1, 1], "degenerate"),
    (np.array([[0.0, 1], [1, 1], [2, 1], [5, 0], [6, 2], [7, 1]]), list("aaabbb"), r"\['a'\] are degenerate"),
    (np.zeros((6, 2)) + np.arange(6)[:, None], [0, 0, None, 1, 1, 1], "missing value"),
])
def test_bad_input_raises_a_clear_error(X, labels, match):
    with pytest.raises(DataError, match=match):
        fit_archetype(X, labels)


# --------------------------------------------------------------- labelled validation


def _two_samples(arch, seed=0, n=None):
    mix, _ = arch.sample_mixture(seed=seed)
    return [LabelledData(*mix.sample(n=n, seed=s)) for s in (11, 12)], mix


def _failed(rows):
    return {c.statistic for c in rows if c.passed is False}


BASE = dict(n_clusters=4, dim=3, n_samples=1200, aspect_ref=2.0, aspect_maxmin=1.5,
            radius_maxmin=1.5, imbalance_ratio=2.0, min_overlap=0.01, max_overlap=0.1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_labelled_checks_pass_two_samples_of_one_mixture(seed):
    (a, b), _ = _two_samples(synthkit.Archetype(**BASE), seed=seed)
    rows = labelled_checks(a, b, seed=0)
    assert not _failed(rows), [(c.statistic, c.value, c.threshold, c.detail) for c in rows]
    assert {c.statistic for c in rows} >= {"overlap_max", "overlap_min_nn", "overlap_matched",
                                            "imbalance_ratio", "scale", "radius_maxmin",
                                            "aspect_ref", "aspect_maxmin", "ari_rank_order"}


@pytest.mark.slow
@pytest.mark.parametrize("change, expected", [
    ({"max_overlap": 0.4, "min_overlap": 0.2}, {"overlap_max", "overlap_min_nn"}),
    ({"imbalance_ratio": 6.0}, {"imbalance_ratio"}),
    ({"scale": 1.5}, {"scale"}),
    ({"radius_maxmin": 4.0}, {"radius_maxmin"}),
    ({"aspect_ref": 5.0}, {"aspect_ref"}),
    ({"aspect_maxmin": 5.0}, {"aspect_maxmin"}),
])
def test_labelled_checks_fail_a_different_structure(change, expected):
    (a, _), _ = _two_samples(synthkit.Archetype(**BASE))
    (b, _), _ = _two_samples(synthkit.Archetype(**{**BASE, **change}), seed=5)
    assert expected <= _failed(labelled_checks(a, b, seed=0))


@pytest.mark.slow
def test_matched_overlap_fails_when_neighbours_change():
    arch = synthkit.Archetype(**{**BASE, "n_samples": 2000, "min_overlap": 0.001, "max_overlap": 0.4})
    (a, b), mix = _two_samples(arch)
    assert not _failed(labelled_checks(a, b, seed=0))
    X, lab = b.X.copy(), b.labels
    ov = mix.overlap()
    i, j = np.unravel_index(np.argmax(ov), ov.shape)
    X[lab == j] += 0.5 * (mix.centers[i] - mix.centers[j])  # the closest pair moves closer
    rows = labelled_checks(a, LabelledData(X, lab), seed=0)
    assert "overlap_matched" in _failed(rows)
    # relabelling does not matter (clusters are matched)
    perm = np.array([2, 0, 3, 1])
    assert not _failed(labelled_checks(a, LabelledData(b.X, perm[b.labels]), seed=0))


def test_ari_rank_order_rule(monkeypatch):
    (a, b), _ = _two_samples(synthkit.Archetype(**BASE))
    values = iter([{"kmeans": 0.9, "gmm": 0.7, "ward": 0.5}, {"kmeans": 0.5, "gmm": 0.7, "ward": 0.9}])
    monkeypatch.setattr(labelled_mod, "clusterer_ari", lambda X, y, seed: next(values))
    row = [c for c in labelled_checks(a, b) if c.statistic == "ari_rank_order"][0]
    assert row.passed is False and row.value == pytest.approx(-1.0)
    values = iter([{"kmeans": 0.9, "gmm": 0.88, "ward": 0.5}, {"kmeans": 0.88, "gmm": 0.9, "ward": 0.5}])
    monkeypatch.setattr(labelled_mod, "clusterer_ari", lambda X, y, seed: next(values))
    row = [c for c in labelled_checks(a, b) if c.statistic == "ari_rank_order"][0]
    assert row.passed is True  # a swap within ARI_TIE is a tie


def test_validate_dispatches_two_labelled_datasets():
    X, y = _iris()
    real = LabelledData(X, y)
    ds = synthkit.Archetype.from_data(X, y).sample(seed=0)
    rep = synthkit.validate(real, ds)
    assert rep.meta["reference_kind"] == "labelled"
    assert {c.section for c in rep.checks} == {"clusters"} and rep.passed
    assert "<html" in rep.to_html().lower()
    both = synthkit.validate(real, ds, checks=["clusters", "marginals"])
    assert {c.section for c in both.checks} == {"clusters", "marginals"}
    assert set(both.score) >= {"clusters", "marginals", "overall"}
    # table sections only: the labelled reference is compared as a table, as before
    assert synthkit.validate(ds, ds, checks="marginals").meta["reference_kind"] == "table"


@pytest.mark.slow
def test_regenerated_data_keeps_overlap_summary_and_clusterer_order():
    """Real vs regenerated (Archetype.from_data(...).sample) on the four datasets."""
    from synthkit.clusters.overlap import empirical_overlap_matrix
    from synthkit.validation.labelled import CLUSTERERS, clusterer_ari

    real_ari, regen_ari = [], []
    for name, load in DATASETS.items():
        X, y = load()
        real = LabelledData(X, y)
        arch = fit_archetype(real).archetype
        ov_r = empirical_overlap_matrix(real.X, real.labels)
        iu = np.triu_indices(arch.n_clusters, 1)
        ds = arch.sample(seed=0)
        ov_s = ds.empirical_overlap("exact")
        # largest pairwise overlap: within 0.05 + 3 binomial SE of the difference
        n_small = np.bincount(real.labels).min()
        h = max(ov_r[iu].max(), ov_s[iu].max()) / 2
        se = 2 * math.sqrt(h * (1 - h) * 2 / n_small / 2)
        assert abs(ov_s[iu].max() - ov_r[iu].max()) <= 0.05 + 3 * math.sqrt(2) * se, name
        a_r, a_s = clusterer_ari(real.X, real.labels, 0), clusterer_ari(ds.X, ds.labels, 0)
        real_ari += [a_r[c] for c in CLUSTERERS]
        regen_ari += [a_s[c] for c in CLUSTERERS]
    tau = stats.kendalltau(real_ari, regen_ari).statistic
    assert tau > 0.3, (tau, real_ari, regen_ari)
