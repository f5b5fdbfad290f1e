"""synthkit.oversample: counts, dtypes, verbatim originals, seeds, class-conditional synthesis, bad inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.datasets import load_breast_cancer

import synthkit
from synthkit.cli import main
from synthkit.errors import DataError, FitError, SpecError, SynthkitError
from synthkit.oversampling import METHODS, oversample

IMBLEARN_NUMERIC = ["naive", "smote", "borderline", "adasyn", "kmeans_smote"]


@pytest.fixture(scope="module")
def cancer() -> pd.DataFrame:
    """Breast cancer with the malignant class (target 0) cut to 5% of the rows."""
    df = load_breast_cancer(as_frame=True).frame
    rng = np.random.default_rng(3)
    benign = df[df.target == 1]
    malignant = df[df.target == 0]
    keep = rng.choice(len(malignant), size=19, replace=False)
    out = pd.concat([benign, malignant.iloc[np.sort(keep)]])
    return out.iloc[rng.permutation(len(out))]  # keep the original (non-range) index


@pytest.fixture(scope="module")
def mixed() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 300
    y = np.where(rng.random(n) < 0.12, "rare", "common")
    a = rng.normal(size=n) + (y == "rare") * 2.0
    return pd.DataFrame({
        "a": a,
        "count": rng.poisson(3, n).astype("int64"),
        "flag": rng.random(n) < 0.3,
        "colour": pd.Categorical(rng.choice(["red", "green", "blue"], n, p=[0.6, 0.3, 0.1])),
        "y": y,
    })


@pytest.mark.parametrize("method", IMBLEARN_NUMERIC + ["synthetic"])
def test_counts_dtypes_and_original_rows_verbatim(cancer, method):
    res = oversample(cancer, target="target", method=method, seed=1)
    n = len(cancer)
    assert res.counts_before == {0: 19, 1: 357}
    assert res.counts_after[1] == 357
    if method == "adasyn":  # ADASYN rounds its per-row weights: about, not exactly, the asked count
        assert abs(res.counts_after[0] - 357) <= 5
    else:
        assert res.counts_after[0] == 357
    assert res.counts_after == res.frame["target"].value_counts().to_dict()
    assert res.frame.iloc[:n].equals(cancer.reset_index(drop=True))
    assert res.is_new.sum() == len(res.frame) - n and not res.is_new[:n].any()
    assert (res.frame.dtypes == cancer.dtypes).all()
    assert (res.frame.loc[res.is_new, "target"] == 0).all()
    assert res.frame.notna().all().all()


@pytest.mark.parametrize("method", ["smote", "borderline", "kmeans_smote"])
def test_interpolated_rows_stay_in_the_class_hull_box(cancer, method):
    """SMOTE rows are convex combinations of two rows of the class: inside its bounding box."""
    res = oversample(cancer, target="target", method=method, seed=2)
    real = cancer[cancer.target == 0].drop(columns="target")
    new = res.frame.loc[res.is_new].drop(columns="target")
    assert (new.to_numpy() >= real.min().to_numpy() - 1e-12).all()
    assert (new.to_numpy() <= real.max().to_numpy() + 1e-12).all()
    # and not copies of the real rows
    assert not new.round(12).merge(real.round(12), how="inner").shape[0]


def test_ratio_semantics(cancer):
    res = oversample(cancer, target="target", method="smote", ratio=0.5, seed=0)
    assert res.counts_after == {0: int(np.ceil(0.5 * 357)), 1: 357}
    res = oversample(cancer, target="target", method="naive", ratio={0: 100}, seed=0)
    assert res.counts_after == {0: 100, 1: 357}
    res = oversample(cancer, target="target", method="smote", ratio=0.01, seed=0)  # already above
    assert res.counts_after == res.counts_before and not res.is_new.any()
    assert res.frame.equals(cancer.reset_index(drop=True))


def test_naive_duplicates_real_rows_exactly(mixed):
    res = oversample(mixed, target="y", method="naive", seed=4)
    new = res.frame.loc[res.is_new]
    real = mixed[mixed.y == "rare"]
    assert len(new.merge(real.drop_duplicates(), how="inner")) == len(new)
    assert (res.frame.dtypes == mixed.dtypes).all()


def test_smotenc_mixed_types_decoded(mixed):
    res = oversample(mixed, target="y", method="smotenc", seed=3)
    assert res.counts_after == {"common": res.counts_before["common"]} | {"rare": res.counts_before["common"]}
    assert (res.frame.dtypes == mixed.dtypes).all()
    new = res.frame.loc[res.is_new]
    real = mixed[mixed.y == "rare"]
    assert set(new["colour"]) <= set(real["colour"])  # a neighbour's category, never a new one
    assert new["colour"].nunique() >= 2  # decoded codes, not one constant code
    assert new["count"].between(real["count"].min(), real["count"].max()).all()
    assert res.frame.iloc[:len(mixed)].equals(mixed)


@pytest.mark.parametrize("method", [m for m in METHODS if m != "smotenc"] + ["smotenc_mixed"])
def test_same_seed_same_rows(cancer, mixed, method):
    df, target = (mixed, "y") if method in ("smotenc_mixed", "synthetic") else (cancer, "target")
    method = method.replace("_mixed", "")
    a = oversample(df, target=target, method=method, seed=11, check_privacy=False)
    b = oversample(df, target=target, method=method, seed=11, check_privacy=False)
    c = oversample(df, target=target, method=method, seed=12, check_privacy=False)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert a.privacy == {} and a.privacy_passed is None
    assert not a.frame.equals(c.frame)


def test_synthetic_rows_follow_the_class_distribution():
    """New rows of a class vs that class's real rows: two-sample KS with both sizes (Bonferroni over
    the columns); the other class's real rows must be rejected by the same test."""
    df = load_breast_cancer(as_frame=True).frame
    cols = ["mean radius", "mean texture", "mean concavity", "worst area", "target"]
    df = df[cols]
    n_new = 2000
    res = oversample(df, target="target", method="synthetic", ratio={0: 212 + n_new, 1: 357}, seed=7)
    assert res.counts_after == {0: 212 + n_new, 1: 357}
    new = res.frame.loc[res.is_new]
    assert (new.target == 0).all() and len(new) == n_new
    real0, real1 = df[df.target == 0], df[df.target == 1]
    alpha = 0.01 / (len(cols) - 1)
    for col in cols[:-1]:
        n, m = len(real0), len(new)
        crit = stats.kstwo.ppf(1 - alpha, round(n * m / (n + m)))  # two-sample KS, effective size
        d_same = stats.ks_2samp(new[col], real0[col]).statistic
        assert d_same < crit, (col, d_same, crit)
    # the test can fail: the benign class's rows differ from the malignant class's synthetic rows
    rejected = [stats.ks_2samp(new[c], real1[c]).pvalue < alpha for c in cols[:-1]]
    assert all(rejected)
    # dependence within the class kept: the class model is a Gaussian copula, whose Spearman
    # correlation is (6 / pi) arcsin(rho / 2) with rho the correlation of the class's normal
    # scores (van der Waerden, ranks / (n + 1)); the new rows' Spearman lies within 4 standard
    # errors of it (Fieller: var z = 1.06 / (m - 3), so se r = (1 - r^2) sqrt(1.06 / (m - 3)))
    scores = [stats.norm.ppf(stats.rankdata(real0[c]) / (len(real0) + 1))
              for c in ("mean radius", "worst area")]
    r_model = 6 / np.pi * np.arcsin(np.corrcoef(*scores)[0, 1] / 2)
    r_new = stats.spearmanr(new["mean radius"], new["worst area"]).statistic
    se = (1 - r_model**2) * np.sqrt(1.06 / (len(new) - 3))
    assert abs(r_new - r_model) < 4 * se, (r_new, r_model, se)


def test_synthetic_privacy_verdict(cancer):
    res = oversample(cancer, target="target", method="synthetic", seed=1)
    assert set(res.privacy) == {0}
    rep = res.privacy[0]
    assert {c.section for c in rep.checks} == {"privacy"}
    assert (rep.meta["n_reference"], rep.meta["n_synthetic"]) == (19, 357 - 19)  # the class's rows only
    assert "target" not in rep.meta["columns"]
    assert res.privacy_passed is True and rep.passed
    assert "privacy passed" in repr(res)
    assert oversample(cancer, target="target", method="smote", seed=1).privacy_passed is None


def test_synthetic_privacy_flags_copies(cancer, monkeypatch):
    """A strategy that returns the class's real rows must fail the privacy checks."""
    import synthkit.oversampling as mod

    real = cancer[cancer.target == 0].drop(columns="target")

    class _Copier:
        def sample(self, n, seed=None):
            class _D:
                frame = real.sample(n, replace=True, random_state=0).reset_index(drop=True)
            return _D()

    monkeypatch.setattr("synthkit.api.fit", lambda *a, **k: _Copier())
    with pytest.warns(UserWarning, match="fail privacy checks"):
        res = mod.oversample(cancer, target="target", method="synthetic", seed=1)
    assert res.privacy_passed is False


def test_mixed_synthetic_keeps_dtypes(mixed, capsys):
    res = oversample(mixed, target="y", method="synthetic", ratio=0.5, seed=2, progress=True)
    assert "oversample: classes" in capsys.readouterr().err
    assert (res.frame.dtypes == mixed.dtypes).all()
    assert set(res.frame.loc[res.is_new, "colour"]) <= set(mixed["colour"].cat.categories)


def test_package_attribute_is_the_function(cancer):
    res = synthkit.oversample(cancer, target="target", method="naive", seed=0)
    assert res.counts_after[0] == 357


@pytest.mark.parametrize("kwargs, error, words", [
    ({"target": "nope"}, DataError, "not a column"),
    ({"target": "mean radius"}, DataError, "continuous"),
    ({"target": "target", "method": "smoteboost"}, SpecError, "unknown oversampling `method`"),
    ({"target": "target", "ratio": 1.5}, SpecError, "(0, 1]"),
    ({"target": "target", "ratio": {0: 5}}, SpecError, ">= its current"),
    ({"target": "target", "ratio": {7: 50}}, SpecError, "not in the target"),
])
def test_bad_inputs(cancer, kwargs, error, words):
    with pytest.raises(error, match=None) as info:
        oversample(cancer, seed=0, **kwargs)
    assert words in str(info.value)


def test_bad_tables(cancer, mixed):
    one = pd.concat([cancer[cancer.target == 1], cancer[cancer.target == 0].iloc[:1]])
    for method in METHODS:
        with pytest.raises(DataError, match="has 1 row.*drop or merge"):
            oversample(one, target="target", method=method, seed=0)
    with pytest.raises(DataError, match="single class"):
        oversample(cancer[cancer.target == 1], target="target", seed=0)
    with pytest.raises(DataError, match="categorical: use method='smotenc'"):
        oversample(mixed, target="y", method="smote", seed=0)
    with pytest.raises(DataError, match="has none: use method='smote'"):
        oversample(cancer, target="target", method="smotenc", seed=0)
    holes = cancer.copy()
    holes.iloc[3, 0] = np.nan
    with pytest.raises(DataError, match="missing values"):
        oversample(holes, target="target", method="smote", seed=0)
    assert oversample(holes, target="target", method="naive", seed=0).counts_after[0] == 357
    unlabelled = cancer.copy()
    unlabelled.iloc[0, -1] = np.nan
    with pytest.raises(DataError, match="missing values"):
        oversample(unlabelled, target="target", seed=0)
    ids = cancer.assign(target=np.arange(len(cancer)))
    with pytest.raises(DataError, match="looks continuous"):
        oversample(ids, target="target", seed=0)
    assert issubclass(DataError, SynthkitError)


def test_cli(tmp_path, cancer, capsys):
    from synthkit.cli.oversample import METHOD_NAMES

    assert METHOD_NAMES == list(METHODS)
    src = tmp_path / "train.csv"
    cancer.to_csv(src, index=False)
    out = tmp_path / "balanced.csv"
    assert main(["oversample", str(src), "--target", "target", "-o", str(out), "--method", "synthetic",
                 "--seed", "1"]) == 0
    text = capsys.readouterr().out
    assert "0: 19 -> 357" in text and "privacy of class 0's new rows: passed" in text
    back = pd.read_csv(out)
    assert back["target"].value_counts().to_dict() == {0: 357, 1: 357}
    assert main(["oversample", str(src), "--target", "mean radius", "-o", str(out)]) == 2
    assert "continuous" in capsys.readouterr().err


def _two_classes(n_small: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 200 + n_small
    return pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n),
                         "y": np.r_[np.zeros(200, dtype=int), np.ones(n_small, dtype=int)]})


@pytest.mark.parametrize("n_small", [5, 8, 10])
def test_synthetic_draws_varied_rows_for_a_small_class(n_small):
    """The release protections (on by default in fit) coded every value of a class of up to ten
    rows to its median: one row repeated, while the privacy verdict said passed."""
    res = oversample(_two_classes(n_small), "y", method="synthetic", seed=0, check_privacy=False)
    new = res.frame.loc[res.is_new, ["x", "z"]]
    real = res.frame.loc[~res.is_new & (res.frame.y == 1), ["x", "z"]]
    assert len(new) == 200 - n_small
    assert new.drop_duplicates().shape[0] > 0.9 * len(new)
    assert (new.std() / real.std()).min() > 0.5


def test_synthetic_keeps_rare_levels_and_integer_values():
    rng = np.random.default_rng(1)
    small = pd.DataFrame({"cat": ["a"] * 20 + ["b"] * 14 + ["c"] * 3 + ["d"] * 3,
                          "k": np.repeat(np.arange(10), 4), "x": rng.normal(size=40), "y": 1})
    big = pd.DataFrame({"cat": rng.choice(list("abcd"), 400), "k": rng.integers(0, 10, 400),
                        "x": rng.normal(size=400), "y": 0})
    df = pd.concat([big, small], ignore_index=True)
    df["cat"] = df["cat"].astype("category")
    res = oversample(df, "y", method="synthetic", seed=0, check_privacy=False)
    new = res.frame.loc[res.is_new]
    assert set(new["cat"].astype(str)) == {"a", "b", "c", "d"} and not new.isna().any().any()
    assert new["k"].nunique() == 10


def test_borderline_refuses_a_class_it_cannot_grow():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": np.r_[rng.normal(0, 1, 200), rng.normal(50, 1, 20)], "y": [0] * 200 + [1] * 20})
    with pytest.raises(FitError, match="drew 0 of the 180 new rows asked for class 1"):
        oversample(df, "y", method="borderline", seed=0)


def test_kmeans_smote_gives_the_exact_count():
    """K-Means-SMOTE rounds its per-cluster counts up: 505 rows for 500 asked."""
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"a": rng.normal(size=2200), "b": rng.normal(size=2200), "y": [0] * 2000 + [1] * 200})
    df.loc[df.y == 1, "a"] += rng.choice([0, 3, 6], 200)
    res = oversample(df, "y", method="kmeans_smote", ratio={1: 500}, seed=0)
    assert res.counts_after == {0: 2000, 1: 500}


def test_labels_of_several_types_and_refused_params():
    df = pd.DataFrame({"x": np.arange(60.0), "y": pd.Series([1] * 30 + ["a"] * 15 + [2.5] * 15, dtype=object)})
    for method in ("naive", "smote"):
        assert oversample(df, "y", method=method, seed=0).counts_after == {1: 30, 2.5: 30, "a": 30}
    with pytest.raises(SpecError, match="`shrinkage`"):
        oversample(df, "y", method="naive", params={"shrinkage": 1.0}, seed=0)
    with pytest.raises(SpecError, match="`check_privacy` must be True or False"):
        oversample(df, "y", method="synthetic", check_privacy="off", seed=0)
    with pytest.warns(DeprecationWarning, match="check_privacy"):
        oversample(df, "y", method="naive", privacy=False, seed=0)
    with pytest.raises(DataError, match="has no rows"):
        oversample(df.iloc[:0], "y", seed=0)
